"""DTLS-SRTP keying the WebRTC way: two endpoints over UDP on 127.0.0.1, with asyncio moving datagrams.

Each side makes a self-signed ECDSA P-256 certificate, "signals" its fingerprint to the other (here a
variable; in WebRTC the SDP ``a=fingerprint`` line), and runs the DTLS 1.2 handshake as a sans-I/O
:class:`fipscrypto.srtp.DtlsSrtp` on a UDP socket (:mod:`fipscrypto.srtp.aio`). The run checks that
each side's local key is the other's remote key, and sends one datagram of "media" beside DTLS on
the same socket. Run it:

    python docs/examples/dtls_srtp.py

It prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json

import fipscrypto

fipscrypto.activate()  # before anything imports cryptography or pyOpenSSL

from fipscrypto import srtp  # noqa: E402
from fipscrypto.srtp import aio  # noqa: E402


async def main() -> dict[str, object]:
    alice, bob = srtp.generate_certificate(), srtp.generate_certificate()
    # Signalling: each side learns the other's fingerprint from its SDP.
    alice_sdp, bob_sdp = alice.fingerprint.attribute, bob.fingerprint.attribute

    # RFC 5763 §5: the answerer (here Bob, a=setup:passive) is the DTLS server.
    server = srtp.DtlsSrtp(
        "server", certificate=bob.certificate, private_key=bob.private_key, remote_fingerprint=alice_sdp
    )
    media: asyncio.Queue[bytes] = asyncio.Queue()
    bob_side = await aio.open_endpoint(
        server, local_addr=("127.0.0.1", 0), media=lambda datagram, address: media.put_nowait(datagram)
    )
    address = bob_side.transport.get_extra_info("sockname") if bob_side.transport else None
    client = srtp.DtlsSrtp(
        "client", certificate=alice.certificate, private_key=alice.private_key, remote_fingerprint=bob_sdp
    )
    alice_side = await aio.open_endpoint(client, local_addr=("127.0.0.1", 0), remote_addr=address)
    try:
        alice_keys, bob_keys = await asyncio.wait_for(
            asyncio.gather(alice_side.handshake, bob_side.handshake), timeout=20
        )
        # RTP and RTCP (first byte 128..191, RFC 7983) share the socket; here a bare RTP header.
        alice_side.send(bytes([0x80, 96]) + bytes(10))
        rtp = await asyncio.wait_for(media.get(), timeout=20)
    finally:
        for side in (alice_side, bob_side):
            if side.transport is not None:
                side.transport.close()
    # Alice protects with alice_keys.local_key/local_salt; Bob unprotects with his remote ones.
    return {
        "profile": alice_keys.profile.name,
        "suite": client.parameters.suite,
        "alice_fingerprint": alice_sdp,
        "media": rtp.hex(),
        "agree": (alice_keys.local_key, alice_keys.local_salt) == (bob_keys.remote_key, bob_keys.remote_salt)
        and (alice_keys.remote_key, alice_keys.remote_salt) == (bob_keys.local_key, bob_keys.local_salt),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
