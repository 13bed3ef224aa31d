"""fipscrypto.tls stdlib contexts: ``ssl.SSLContext`` on the system OpenSSL, outside the FIPS boundary.

What ``ssl`` cannot restrict (TLS 1.3 suites, signature schemes) is checked after the handshake: the
handshake succeeds at the TLS level and the connection is still refused.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl

import pytest
from tlslib import TIMEOUT, Issued, Pki, Server, parameters, s_client, s_server

from fipscrypto import audit, tls
from fipscrypto.errors import CertificateExpired, HandshakeRejected, InvalidParameter


def _stdlib_connect(context: ssl.SSLContext, port: int, hostname: str = "localhost") -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    return context.wrap_socket(raw, server_hostname=hostname)


def test_stdlib_client_to_our_server(server_cert: Issued, pki: Pki) -> None:
    seen: list[audit.Event] = []
    audit.subscribe(seen.append)
    try:
        server = Server(tls.server_context(server_cert.chain, server_cert.key), greeting=b"hello")
        with _stdlib_connect(tls.stdlib_client_context(ca=pki.cert), server.port) as sock:
            params = tls.negotiated(sock)  # made (and audited) by the handshake already
            assert sock.recv(5) == b"hello"
        result = server.result()
    finally:
        audit.unsubscribe(seen.append)
    parameters(result)
    assert params.version == "TLSv1.3"
    assert params.suite.startswith("TLS_AES_")
    assert params.peer_certificate is not None
    assert params.peer_certificate.subject == "CN=localhost"
    assert params.fips_boundary is False
    assert params.approved is False
    assert result.parameters.group == "secp256r1"  # the stdlib client offers one curve: the policy's first
    assert result.parameters.approved  # our side is inside the boundary
    stdlib_events = [e for e in seen if e.kind == "tls-handshake" and e.fields["fips_boundary"] is False]
    assert len(stdlib_events) == 1


def test_stdlib_client_tls12_only_policy(server_cert: Issued, pki: Pki, tmp_path: object) -> None:
    from pathlib import Path

    from test_tls import TLS12_ONLY
    from tlslib import write_policy

    policy = write_policy(Path(str(tmp_path)), "tls12-only", TLS12_ONLY)
    server = Server(tls.server_context(server_cert.chain, server_cert.key))
    with _stdlib_connect(tls.stdlib_client_context(ca=pki.cert, policy=str(policy)), server.port) as sock:
        assert sock.version() == "TLSv1.2"
        assert sock.cipher()[0] == "ECDHE-ECDSA-AES128-GCM-SHA256"
    assert server.result().ok


def test_stdlib_client_hostname_mismatch(server_cert: Issued, pki: Pki) -> None:
    server = Server(tls.server_context(server_cert.chain, server_cert.key))
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        _stdlib_connect(tls.stdlib_client_context(ca=pki.cert), server.port, "sip.example.org")
    server.wait()


def test_stdlib_client_refuses_a_chacha20_server_after_the_handshake(pki: Pki, server_cert: Issued) -> None:
    """The system OpenSSL offers ChaCha20 in TLS 1.3 (ssl cannot stop it); the handshake completes and
    fipscrypto refuses the connection. The same server with AES-GCM is accepted (the control)."""
    context = tls.stdlib_client_context(ca=pki.cert)
    with (
        s_server(server_cert, "-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256") as port,
        pytest.raises(HandshakeRejected) as caught,
    ):
        _stdlib_connect(context, port)
    assert caught.value.reason == "suite-not-allowed"
    with (
        s_server(server_cert, "-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384") as port,
        _stdlib_connect(context, port) as sock,
    ):
        assert tls.negotiated(sock).suite == "TLS_AES_256_GCM_SHA384"


def test_stdlib_server_with_s_client(server_cert: Issued, pki: Pki) -> None:
    context = tls.stdlib_server_context(server_cert.chain, server_cert.key)
    server = Server(context)
    peer = s_client(server.port, "-tls1_3", cafile=pki.cert)
    result = server.result()
    parameters(result)
    assert result.parameters.suite == "TLS_AES_256_GCM_SHA384"  # the system OpenSSL's order (no setter)
    assert peer.verified
    # ChaCha20: the system OpenSSL completes the handshake, fipscrypto refuses the connection after it.
    server = Server(context)
    peer = s_client(server.port, "-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256", cafile=pki.cert)
    result = server.result()
    assert "Verification: OK" in peer.stderr  # the handshake itself succeeded
    assert isinstance(result.error, HandshakeRejected)
    assert result.error.reason == "suite-not-allowed"


@pytest.mark.parametrize(
    "offer", [("-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"), ("-tls1_3", "-groups", "X25519")]
)
def test_stdlib_server_refuses_in_the_handshake(
    server_cert: Issued, pki: Pki, offer: tuple[str, ...]
) -> None:
    server = Server(tls.stdlib_server_context(server_cert.chain, server_cert.key))
    peer = s_client(server.port, *offer, cafile=pki.cert)
    assert not server.result().ok
    assert not peer.verified


def test_stdlib_builders_check_the_local_chain(pki: Pki) -> None:
    expired = pki.issue("expired.stdlib", valid=(dt.timedelta(days=-9), dt.timedelta(days=-1)))
    with pytest.raises(CertificateExpired):
        tls.stdlib_server_context(expired.chain, expired.key)
    with pytest.raises(InvalidParameter):
        tls.stdlib_server_context(expired.chain.read_bytes(), expired.key)  # files only
