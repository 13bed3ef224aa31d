"""Audit events to syslog: a loopback UDP "syslog server" receives fipscrypto's RFC 5424 messages.

The sink is subscribed before activation, so the self-test results and the activation itself reach
it; then a key pair is generated (audited with its key id, never its key). Run it:

    python docs/examples/audit_syslog.py

It prints one JSON line: the MSGID (the event kind) of each message received, and the key-generated
message as it came over the wire.
"""

from __future__ import annotations

import json
import socket

import fipscrypto
from fipscrypto import audit
from fipscrypto.audit.syslog import Facility, RFC5424Formatter, SyslogHandler


def main() -> dict[str, object]:
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # stands in for rsyslog or syslog-ng
    server.bind(("127.0.0.1", 0))
    server.settimeout(5)

    sink = SyslogHandler(server.getsockname(), "udp", formatter=RFC5424Formatter(facility=Facility.LOCAL4))
    audit.subscribe(sink)
    fipscrypto.activate()  # before anything imports cryptography or pyOpenSSL

    from fipscrypto import keys

    keys.generate_signing_key("ecdsa-p384")

    received = []
    while len(received) < sink.sent:
        received.append(server.recv(65536).decode("utf-8"))
    kinds = [message.split(" ")[5] for message in received]  # MSGID, the 6th header field
    generated = next(m for m in received if m.split(" ")[5] == "key-generated")
    return {"kinds": kinds, "key_generated": generated, "sent": sink.sent, "failures": sink.failures}


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False))
