"""fipscrypto.tls.aio: TLS over asyncio streams with fipscrypto's pyOpenSSL contexts, over loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from OpenSSL import SSL
from tlslib import Issued, Pki, closing, connect

from fipscrypto import tls
from fipscrypto.errors import CertificateUsageRejected, HostnameMismatch
from fipscrypto.provider.state import StatePaths
from fipscrypto.tls import aio

from support import run_script_json

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "tls_asyncio.py"


async def _echo(stream: aio.TLSStream) -> None:
    while data := await stream.read():
        await stream.write(data.upper())


def test_echo_over_asyncio(server_cert: Issued, pki: Pki) -> None:
    async def run() -> tuple[bytes, tls.TLSParameters]:
        server = await aio.start_server(
            _echo, "127.0.0.1", 0, tls.server_context(server_cert.chain, server_cert.key)
        )
        port = server.sockets[0].getsockname()[1]
        async with server:
            stream = await aio.connect(
                "127.0.0.1", port, tls.client_context(ca=pki.cert), server_hostname="localhost"
            )
            await stream.write(b"invite")
            reply = await stream.read()
            await stream.close()
            return reply, stream.parameters

    reply, params = asyncio.run(asyncio.wait_for(run(), 30))
    assert reply == b"INVITE"
    assert params.version == "TLSv1.3"
    assert params.approved
    assert params.fips_boundary
    assert params.peer_certificate is not None
    assert params.peer_certificate.subject == "CN=localhost"


def test_rejections_reach_both_sides(server_cert: Issued, pki: Pki) -> None:
    server_only = pki.issue("server-only client", eku=("server",), sans=())
    errors: list[BaseException] = []

    async def run() -> None:
        server = await aio.start_server(
            _echo,
            "127.0.0.1",
            0,
            tls.server_context(
                server_cert.chain, server_cert.key, client_ca=pki.cert, require_client_cert=True
            ),
            on_error=errors.append,
        )
        port = server.sockets[0].getsockname()[1]
        async with server:
            with pytest.raises(HostnameMismatch):
                await aio.connect(
                    "127.0.0.1", port, tls.client_context(ca=pki.cert), server_hostname="sip.example.org"
                )
            # A client certificate for servers only, from a plain pyOpenSSL client (a fipscrypto client
            # context would refuse to load it): the server refuses it by name.
            plain = SSL.Context(SSL.TLS_METHOD)
            plain.use_certificate_chain_file(str(server_only.chain))
            plain.use_privatekey_file(str(server_only.key))
            outcome, conn = await asyncio.to_thread(connect, plain, port, "localhost", read=1)
            closing(conn)
            assert not outcome.ok or outcome.data == b""  # TLS 1.3: the client learns it after its Finished
            await asyncio.sleep(0.2)

    asyncio.run(asyncio.wait_for(run(), 30))
    assert len(errors) == 2, errors  # the first: the client's bad_certificate alert about the host name
    assert isinstance(errors[1], CertificateUsageRejected)
    assert errors[1].reason == "extended-key-usage"


def test_the_asyncio_example_runs(state_paths: StatePaths) -> None:
    result = run_script_json(EXAMPLE, timeout=120, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert result["reply"] == "SIP/2.0 200 OK"
    assert result["version"] == "TLSv1.3"
    assert result["group"] == "secp256r1"
    assert result["signature_algorithm"] == "ecdsa_secp256r1_sha256"
    assert result["approved"] is True
    assert result["fips_boundary"] is True
