"""DTLS-SRTP keying the WebRTC way: two endpoints over UDP on 127.0.0.1, with asyncio moving datagrams.

Each side makes a self-signed ECDSA P-256 certificate, "signals" its fingerprint to the other (here a
variable; in WebRTC the SDP ``a=fingerprint`` line), and runs the DTLS 1.2 handshake as a sans-I/O
:class:`fipscrypto.srtp.DtlsSrtp` driven by a small asyncio datagram protocol. Both print the profile
and which key each will send with; the run checks that each side's local key is the other's remote
key. Run it:

    python docs/examples/dtls_srtp.py

It prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json

import fipscrypto

fipscrypto.activate()  # before anything imports cryptography or pyOpenSSL

from fipscrypto import srtp  # noqa: E402


class DtlsDatagrams(asyncio.DatagramProtocol):
    """Drives one sans-I/O endpoint over a UDP socket: sends what it has to send, gives it what
    arrives, and calls handle_timeout() when its retransmission timer expires."""

    def __init__(self, endpoint: srtp.DtlsSrtp, peer: tuple[str, int] | None = None) -> None:
        self.endpoint, self.peer = endpoint, peer
        self.done: asyncio.Future[srtp.KeyingMaterial] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.DatagramTransport | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.flush()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.peer = self.peer or addr  # a server learns its peer from the first datagram
        try:
            self.endpoint.receive(data, addr)  # the address binds a server's cookie (RFC 6347 §4.2.1)
        except fipscrypto.FipsError as exc:  # FingerprintMismatch, HandshakeFailed, ...
            self.flush()  # the alert
            if not self.done.done():
                self.done.set_exception(exc)
            return
        self.flush()

    def flush(self) -> None:
        if self.transport is not None and self.peer is not None:
            for datagram in self.endpoint.datagrams_to_send():
                self.transport.sendto(datagram, self.peer)
        if self.timer is not None:
            self.timer.cancel()
        due = self.endpoint.next_timeout()
        if due is not None:
            self.timer = asyncio.get_running_loop().call_later(due, self.expire)
        if self.endpoint.handshake_complete and not self.done.done():
            self.done.set_result(self.endpoint.keying_material())

    def expire(self) -> None:
        self.endpoint.handle_timeout()  # retransmits the last flight (RFC 6347 §4.2.4)
        self.flush()


async def main() -> dict[str, object]:
    loop = asyncio.get_running_loop()
    alice, bob = srtp.generate_certificate(), srtp.generate_certificate()
    # Signalling: each side learns the other's fingerprint from its SDP.
    alice_sdp, bob_sdp = alice.fingerprint.attribute, bob.fingerprint.attribute

    # RFC 5763 §5: the answerer (here Bob, a=setup:passive) is the DTLS server.
    server = srtp.DtlsSrtp(
        "server", certificate=bob.certificate, private_key=bob.private_key, remote_fingerprint=alice_sdp
    )
    server_transport, server_side = await loop.create_datagram_endpoint(
        lambda: DtlsDatagrams(server), local_addr=("127.0.0.1", 0)
    )
    address = server_transport.get_extra_info("sockname")
    client = srtp.DtlsSrtp(
        "client", certificate=alice.certificate, private_key=alice.private_key, remote_fingerprint=bob_sdp
    )
    client_transport, client_side = await loop.create_datagram_endpoint(
        lambda: DtlsDatagrams(client, address), local_addr=("127.0.0.1", 0)
    )
    try:
        alice_keys, bob_keys = await asyncio.wait_for(
            asyncio.gather(client_side.done, server_side.done), timeout=20
        )
    finally:
        client_transport.close()
        server_transport.close()
    # Alice protects with alice_keys.local_key/local_salt; Bob unprotects with his remote ones.
    return {
        "profile": alice_keys.profile.name,
        "suite": client.parameters.suite,
        "alice_fingerprint": alice_sdp,
        "agree": (alice_keys.local_key, alice_keys.local_salt) == (bob_keys.remote_key, bob_keys.remote_salt)
        and (alice_keys.remote_key, alice_keys.remote_salt) == (bob_keys.local_key, bob_keys.local_salt),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
