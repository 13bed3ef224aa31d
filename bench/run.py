"""Run every benchmark (``make bench``); figures go to docs/performance.md."""

from __future__ import annotations

import activation
import fipscheck
import keys
import policy
import rand
import services
import tls

if __name__ == "__main__":
    activation.main()
    fipscheck.main()
    services.main()
    rand.main()
    policy.main()
    keys.main()
    tls.main()
