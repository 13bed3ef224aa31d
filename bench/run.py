"""Run every benchmark (``make bench``); figures go to docs/performance.md."""

from __future__ import annotations

import activation
import audit
import audit_syslog
import dtls_srtp
import fipscheck
import gcm
import ikev2
import ipsec
import keys
import passwords
import policy
import pqc_hybrid
import rand
import scan_code
import scan_tls
import seal
import services
import srtp
import tls

import pqc

if __name__ == "__main__":
    activation.main()
    fipscheck.main()
    services.main()
    rand.main()
    gcm.main()
    seal.main()
    policy.main()
    passwords.main()
    keys.main()
    tls.main()
    srtp.main()
    dtls_srtp.main()
    pqc.main()
    pqc_hybrid.main()
    ipsec.main()
    ikev2.main()
    scan_code.main()
    scan_tls.main()
    audit.main()
    audit_syslog.main()
