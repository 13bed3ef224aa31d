"""asyncio over fipscrypto's pyOpenSSL contexts, inside the FIPS boundary.

The TLS engine is a pyOpenSSL Connection on memory BIOs (sans-I/O: it never touches a socket); asyncio
streams carry its bytes. So the handshake and the records are the FIPS provider's, with every check of
:mod:`fipscrypto.tls`, while the sockets stay in the event loop.

    server = await aio.start_server(handle, "127.0.0.1", 5061, tls.server_context(cert, key))
    stream = await aio.connect("sip.example.org", 5061, tls.client_context(ca=ca))
    await stream.write(b"OPTIONS sip:... SIP/2.0\\r\\n...")
    reply = await stream.read()
    await stream.close()

(asyncio's own ``ssl=`` argument would take a stdlib context, which runs outside the boundary.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from OpenSSL import SSL

from .contexts import Connection, client_connection, server_connection
from .params import TLSParameters

__all__ = ["TLSStream", "connect", "start_server"]

log = logging.getLogger("fipscrypto.tls")
_CHUNK = 65536


class TLSStream:
    """One TLS connection over an asyncio stream pair."""

    def __init__(self, conn: Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._conn = conn
        self._reader = reader
        self._writer = writer

    @property
    def parameters(self) -> TLSParameters:
        """What the handshake negotiated (checked and audited)."""
        return self._conn.parameters

    @property
    def connection(self) -> Connection:
        return self._conn

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """The transport's extra information (``peername``, ``sockname``, ...)."""
        return self._writer.get_extra_info(name, default)

    async def _flush(self) -> None:
        while True:
            try:
                data = self._conn.bio_read(_CHUNK)
            except SSL.WantReadError:
                break
            if not data:
                break
            self._writer.write(data)
        await self._writer.drain()

    async def _fill(self) -> bool:
        data = await self._reader.read(_CHUNK)
        if not data:
            self._conn.bio_shutdown()
            return False
        self._conn.bio_write(data)
        return True

    async def handshake(self) -> TLSParameters:
        """Run the handshake; a rejection (an alert is sent when OpenSSL made one) closes the stream."""
        try:
            while True:
                try:
                    self._conn.do_handshake()
                    break
                except SSL.WantReadError:
                    await self._flush()
                    if not await self._fill():
                        raise ConnectionResetError(
                            "the peer closed the connection during the handshake"
                        ) from None
            await self._flush()
        except BaseException:
            with contextlib.suppress(Exception):
                await self._flush()  # the alert, if any
            await self._abort()
            raise
        return self._conn.parameters

    async def read(self, n: int = _CHUNK) -> bytes:
        """Up to ``n`` bytes of application data; b"" once the peer sent close_notify."""
        while True:
            try:
                data: bytes = self._conn.recv(n)
            except SSL.WantReadError:
                await self._flush()
                if not await self._fill():
                    continue  # recv now reports the unexpected EOF (a truncation attack, or a crash)
            except SSL.ZeroReturnError:
                return b""
            else:
                return data

    async def write(self, data: bytes) -> None:
        self._conn.sendall(data)
        await self._flush()

    async def close(self) -> None:
        """Send close_notify and close the transport."""
        with contextlib.suppress(SSL.Error, OSError):
            self._conn.shutdown()
            await self._flush()
        await self._abort()

    async def _abort(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError, ConnectionError):
            await self._writer.wait_closed()


async def connect(
    host: str, port: int, context: SSL.Context, *, server_hostname: str | None = None
) -> TLSStream:
    """Connect and complete the handshake; ``server_hostname`` (default ``host``) is verified."""
    reader, writer = await asyncio.open_connection(host, port)
    conn = client_connection(context, server_hostname if server_hostname is not None else host)
    stream = TLSStream(conn, reader, writer)
    await stream.handshake()
    return stream


async def start_server(
    handler: Callable[[TLSStream], Awaitable[None]],
    host: str | None,
    port: int,
    context: SSL.Context,
    *,
    on_error: Callable[[BaseException], None] | None = None,
    **kwargs: Any,
) -> asyncio.Server:
    """Serve TLS: ``handler(stream)`` runs for each client after a successful handshake; the stream is
    closed when it returns. A failed handshake goes to ``on_error`` (default: a log warning)."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stream = TLSStream(server_connection(context), reader, writer)
        try:
            await stream.handshake()
        except Exception as exc:
            if on_error is not None:
                on_error(exc)
            else:
                log.warning("TLS handshake failed: %s", exc)
            return
        try:
            await handler(stream)
        finally:
            await stream.close()

    return await asyncio.start_server(serve, host, port, **kwargs)
