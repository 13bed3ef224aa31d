"""A DTLS-SRTP client whose peer never answers, run until OpenSSL gives up; prints a JSON summary.

The test runs it with ``tests/fastclock.c`` preloaded so that the retransmission timer's minutes of wall
clock pass in seconds; the loop waits on the endpoint's own ``next_timeout()``, as a caller would.
"""

from __future__ import annotations

import json
import time

import fipscrypto

fipscrypto.activate()

from fipscrypto import srtp  # noqa: E402
from fipscrypto.errors import HandshakeFailed  # noqa: E402

own, peer = srtp.generate_certificate(), srtp.generate_certificate()
client = srtp.DtlsSrtp(
    "client",
    certificate=own.certificate,
    private_key=own.private_key,
    remote_fingerprint=peer.fingerprint.attribute,
)
first = client.datagrams_to_send()  # the ClientHello, which nobody answers
timers: list[float] = []
flights: list[int] = []
failure: HandshakeFailed | None = None
while failure is None:
    timer = client.next_timeout()
    assert timer is not None
    timers.append(timer)
    while (left := client.next_timeout()) is not None and left > 0:
        time.sleep(0.001)
    try:
        client.handle_timeout()
    except HandshakeFailed as exc:
        failure = exc
    flights.append(len(client.datagrams_to_send()))
try:
    client.handle_timeout()
    again = "nothing"
except HandshakeFailed as exc:
    again = exc.reason
print(
    json.dumps(
        {
            "first": len(first),
            "timers": timers,
            "flights": flights,
            "reason": failure.reason,
            "message": str(failure),
            "after": {"next_timeout": client.next_timeout(), "handle_timeout": again},
            "complete": client.handshake_complete,
        }
    )
)
