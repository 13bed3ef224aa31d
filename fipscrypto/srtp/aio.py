"""asyncio datagrams for a :class:`~fipscrypto.srtp.DtlsSrtp` endpoint: one UDP socket for DTLS and media.

    protocol = await aio.open_endpoint(endpoint, local_addr=("0.0.0.0", 5004), remote_addr=peer,
                                       media=on_media)
    keys = await protocol.handshake              # KeyingMaterial, or the handshake's error
    protocol.send(srtp_packet)                   # to the peer, on the same socket

The protocol sends what the endpoint has to send, gives it each DTLS datagram that arrives, and runs
its retransmission timer on the event loop. DTLS shares the socket with media, as in WebRTC: RFC 7983
§7 tells them apart by the first byte, 20 to 63 for DTLS and 128 to 191 for RTP and RTCP; other
datagrams (STUN, 0 to 3) and media go to ``media(datagram, address)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ..errors import InvalidParameter
from .dtls import DtlsSrtp, KeyingMaterial

__all__ = ["DtlsSrtpProtocol", "open_endpoint"]

Address = Any  # what the socket's family uses: (host, port) for IPv4
Media = Callable[[bytes, Address], None]
_DTLS = range(20, 64)  # RFC 7983 §7: "If the value is in the range 20 to 63 (inclusive) -> forward to DTLS"


class DtlsSrtpProtocol(asyncio.DatagramProtocol):
    """Drives one endpoint over a datagram transport. ``peer``: the peer's address (a client's must be
    given). A server answers the address its last DTLS datagram came from until its handshake
    completes, and then keeps that one as its peer (with cookies, only an address that returned its
    cookie gets that far). Once the peer is known, DTLS datagrams from other addresses are dropped.
    ``handshake`` completes with the keying material, or with the handshake's error
    (FingerprintMismatch, HandshakeFailed, ...)."""

    def __init__(
        self, endpoint: DtlsSrtp, peer: Address | None = None, *, media: Media | None = None
    ) -> None:
        if not isinstance(endpoint, DtlsSrtp):
            raise InvalidParameter(f"endpoint is a DtlsSrtp, not {type(endpoint).__name__}")
        if endpoint.role == "client" and peer is None:
            raise InvalidParameter("a client needs the peer's address")
        self.endpoint, self.peer, self._media = endpoint, peer, media
        self._reply: Address | None = peer  # where the endpoint's datagrams go
        self.handshake: asyncio.Future[KeyingMaterial] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.DatagramTransport | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a datagram endpoint's
        self._flush()

    def datagram_received(self, data: bytes, addr: Address) -> None:
        if not data or data[0] not in _DTLS:
            if self._media is not None:
                self._media(data, addr)
            return
        if self.handshake.done() and not self.endpoint.handshake_complete:
            return  # failed: the error is in self.handshake
        if self.peer is not None and addr != self.peer:
            return
        self._reply = addr
        try:
            self.endpoint.receive(data, addr)  # the address binds a server's cookie (RFC 6347 §4.2.1)
        except Exception as exc:  # the handshake's error goes to whoever awaits it
            self._flush()  # the alert
            if not self.handshake.done():
                self.handshake.set_exception(exc)
            return
        self._flush()

    def error_received(self, exc: Exception) -> None:
        if not self.handshake.done():
            self.handshake.set_exception(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if not self.handshake.done():
            self.handshake.set_exception(exc or ConnectionError("the datagram transport was closed"))

    def send(self, datagram: bytes) -> None:
        """Send a datagram (SRTP, SRTCP) to the peer on the same socket."""
        if self.transport is None or self.peer is None:
            raise InvalidParameter("no transport or no peer address yet")
        self.transport.sendto(datagram, self.peer)

    def _flush(self) -> None:
        if self.transport is not None and self._reply is not None:
            for datagram in self.endpoint.datagrams_to_send():
                self.transport.sendto(datagram, self._reply)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        due = self.endpoint.next_timeout()
        if due is not None:
            self._timer = asyncio.get_running_loop().call_later(due, self._expire)
        if self.endpoint.handshake_complete and not self.handshake.done():
            self.peer = self._reply
            self.handshake.set_result(self.endpoint.keying_material())

    def _expire(self) -> None:
        self._timer = None
        if self.handshake.done() and not self.endpoint.handshake_complete:
            return
        try:
            self.endpoint.handle_timeout()  # retransmits the last flight (RFC 6347 §4.2.4)
        except Exception as exc:
            if not self.handshake.done():
                self.handshake.set_exception(exc)
            return
        self._flush()


async def open_endpoint(
    endpoint: DtlsSrtp,
    *,
    local_addr: Address,
    remote_addr: Address | None = None,
    media: Media | None = None,
) -> DtlsSrtpProtocol:
    """A UDP socket bound to ``local_addr`` running ``endpoint``; await its ``handshake``. A client
    sends its ClientHello to ``remote_addr`` at once."""
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_datagram_endpoint(
        lambda: DtlsSrtpProtocol(endpoint, remote_addr, media=media), local_addr=local_addr
    )
    return protocol
