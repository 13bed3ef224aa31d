"""fipscrypto.tls against an independent implementation: the system ``openssl`` (3.0, outside the boundary).

``openssl s_client`` makes offers to a fipscrypto server and presents client certificates;
``openssl s_server`` presents server certificates this FIPS process could not (an RSA-1024 key cannot
sign in the FIPS provider, a SHA-1 signature cannot be made) to a fipscrypto client. Every refusal has
an acceptance next to it that differs only in the item refused.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import time
from pathlib import Path

import pytest
from OpenSSL import SSL
from tlslib import (
    OPENSSL,
    TIMEOUT,
    Issued,
    Pki,
    Server,
    closing,
    connect,
    free_port,
    no_ems_config,
    parameters,
    s_client,
    s_server,
    succeeded,
)

from fipscrypto import tls
from fipscrypto.errors import (
    CertificateExpired,
    CertificateKeyRejected,
    CertificateNotCA,
    CertificateRejected,
    CertificateSignatureRejected,
    CertificateUsageRejected,
    HandshakeRejected,
    PolicyViolation,
)

from support import clean_env

LEGACY = ("-cipher", "DEFAULT:@SECLEVEL=0")  # lets the system openssl use what it would refuse itself


@pytest.fixture(scope="module")
def server_context(server_cert: Issued) -> SSL.Context:
    return tls.server_context(server_cert.chain, server_cert.key)


# --------------------------------------------------------------------- s_client offers to our server


@pytest.mark.parametrize(
    ("offer", "expected"),
    [
        (("-tls1_3",), ("TLSv1.3", "TLS_AES_128_GCM_SHA256", "secp256r1")),
        (
            ("-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"),
            ("TLSv1.3", "TLS_AES_256_GCM_SHA384", "secp256r1"),
        ),
        (("-tls1_3", "-groups", "P-384"), ("TLSv1.3", "TLS_AES_128_GCM_SHA256", "secp384r1")),
        (("-tls1_3", "-groups", "P-521"), ("TLSv1.3", "TLS_AES_128_GCM_SHA256", "secp521r1")),
        (("-tls1_3", "-groups", "ffdhe3072"), ("TLSv1.3", "TLS_AES_128_GCM_SHA256", "ffdhe3072")),
        (("-tls1_3", "-groups", "X25519:P-256"), ("TLSv1.3", "TLS_AES_128_GCM_SHA256", "secp256r1")),
        (
            ("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"),
            ("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "secp256r1"),
        ),
        (
            ("-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"),
            ("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "secp256r1"),
        ),
        (
            ("-tls1_2", "-groups", "P-521:P-256"),
            ("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "secp256r1"),
        ),
    ],
)
def test_approved_offers_succeed(
    server_context: SSL.Context, pki: Pki, offer: tuple[str, ...], expected: tuple[str, str, str]
) -> None:
    server = Server(server_context)
    peer = s_client(server.port, *offer, cafile=pki.cert)
    result = server.result()
    parameters(result)
    p = result.parameters
    assert (p.version, p.suite, p.group) == expected
    assert p.approved
    assert peer.verified
    assert peer.exit == 0
    if p.version == "TLSv1.2":
        assert p.extended_master_secret is True  # the system openssl offers EMS; it was used


@pytest.mark.parametrize(
    ("offer", "why"),
    [
        (("-tls1", *LEGACY), "TLS 1.0 (SP 800-52r2 §3.1)"),
        (("-tls1_1", *LEGACY), "TLS 1.1 (SP 800-52r2 §3.1)"),
        (("-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"), "ChaCha20-Poly1305 is not approved"),
        (("-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"), "ChaCha20-Poly1305 is not approved"),
        (("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"), "CBC with SHA-1 is only deprecated: not offered"),
        (("-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA"), "CBC with SHA-1 is only deprecated: not offered"),
        (("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256"), "CBC with SHA-256 is only deprecated"),
        (("-tls1_3", "-groups", "X25519"), "X25519 alone is not an approved group"),
        (("-tls1_2", "-groups", "X25519", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"), "X25519 alone"),
        (("-tls1_3", "-groups", "ffdhe2048"), "ffdhe2048: 112 bits, disallowed by fips-140-3-hardened"),
        (("-tls1_2", "-sigalgs", "ECDSA+SHA1", *LEGACY), "SHA-1 signatures are disallowed"),
        (("-tls1_3", "-sigalgs", "ed25519"), "no signature scheme the server's key can make"),
    ],
)
def test_non_approved_offers_are_refused(
    server_context: SSL.Context, pki: Pki, offer: tuple[str, ...], why: str
) -> None:
    server = Server(server_context)
    peer = s_client(server.port, *offer, cafile=pki.cert)
    result = server.result()
    assert not result.ok, f"{why}: the handshake succeeded: {result.parameters}"
    assert not peer.verified, peer.stderr
    assert peer.exit != 0


# ----------------------------------------------------------- client certificates from s_client


@pytest.fixture(scope="module")
def mtls_context(server_cert: Issued, pki: Pki) -> SSL.Context:
    return tls.server_context(
        server_cert.chain, server_cert.key, client_ca=pki.cert, require_client_cert=True
    )


@pytest.mark.parametrize("version", ["-tls1_3", "-tls1_2"])
def test_good_client_certificate(mtls_context: SSL.Context, pki: Pki, version: str) -> None:
    cert = pki.issue("good client", eku=("client",), sans=())
    server = Server(mtls_context)
    s_client(server.port, version, *LEGACY, cafile=pki.cert, cert=cert)  # the same options as below
    result = server.result()
    parameters(result)
    assert result.parameters.peer_certificate is not None
    assert result.parameters.peer_certificate.subject == "CN=good client"


@pytest.mark.parametrize(
    ("make", "error", "reason"),
    [
        (
            lambda pki: pki.issue(
                "expired client", eku=("client",), valid=(dt.timedelta(days=-9), dt.timedelta(days=-1))
            ),
            CertificateExpired,
            "expired",
        ),
        (
            lambda pki: pki.issue(
                "future client", eku=("client",), valid=(dt.timedelta(days=1), dt.timedelta(days=9))
            ),
            CertificateExpired,
            "not-yet-valid",
        ),
        (
            lambda pki: pki.issue("server-only client", eku=("server",)),
            CertificateUsageRejected,
            "extended-key-usage",
        ),
        (
            lambda pki: pki.issue("rsa1024 client", key="rsa-1024", eku=("client",)),
            CertificateKeyRejected,
            "key-too-small",
        ),
        (
            lambda pki: pki.issue("sha1 client", eku=("client",), signature="sha1"),
            CertificateSignatureRejected,
            "signature-not-allowed",
        ),
    ],
    ids=["expired", "not-yet-valid", "wrong-eku", "rsa-1024", "sha1-signed"],
)
@pytest.mark.parametrize("version", ["-tls1_3", "-tls1_2"])
def test_bad_client_certificates_are_rejected(
    mtls_context: SSL.Context,
    pki: Pki,
    make: object,
    error: type[CertificateRejected],
    reason: str,
    version: str,
) -> None:
    cert = make(pki)  # type: ignore[operator]
    server = Server(mtls_context)
    s_client(server.port, version, *LEGACY, cafile=pki.cert, cert=cert)
    result = server.result()
    assert isinstance(result.error, error), result.error
    assert result.error.reason == reason
    assert result.error.depth == 0
    assert result.error.subject == cert.subject
    if error in (CertificateKeyRejected, CertificateSignatureRejected):
        assert isinstance(result.error, PolicyViolation)
        assert result.error.verdict is not None


# ------------------------------------------------------------------------- extended master secret


@pytest.mark.parametrize("inspect", [False, True])
def test_tls12_client_without_ems(server_cert: Issued, pki: Pki, tmp_path: Path, inspect: bool) -> None:
    """RFC 7627 §5.2: the server aborts at the ClientHello with a handshake_failure alert. The system
    openssl 3.0 has no -no_ems: its configuration leaves the extension out."""
    context = tls.server_context(server_cert.chain, server_cert.key, inspect_handshake=inspect)
    server = Server(context)
    peer = s_client(
        server.port, "-tls1_2", "-msg", cafile=pki.cert, config=no_ems_config(tmp_path), brief=False
    )
    result = server.result()
    assert "Extended master secret: no" in peer.stdout  # the offer really lacked EMS
    assert isinstance(result.error, HandshakeRejected), result.error
    assert result.error.reason == "no-extended-master-secret"
    received = [line for line in peer.stdout.splitlines() if line.startswith("<<<")]
    assert received == [
        "<<< TLS 1.2, RecordHeader [length 0005]",
        "<<< TLS 1.2, Alert [length 0002], fatal handshake_failure",
    ]  # and no ServerHello
    assert "SSL alert number 40" in peer.stderr
    server = Server(context)  # the same client with EMS is accepted
    peer = s_client(server.port, "-tls1_2", cafile=pki.cert, brief=False)
    assert "Extended master secret: yes" in peer.stdout
    assert server.result().ok


# --------------------------------------------------------------------- s_server serves our client


@pytest.mark.parametrize("version", ["-tls1_3", "-tls1_2"])
def test_good_server_through_s_server(pki: Pki, server_cert: Issued, version: str) -> None:
    with s_server(server_cert, version, *LEGACY) as port:
        outcome, conn = connect(tls.client_context(ca=pki.cert), port)
        closing(conn)
    parameters(outcome)
    assert outcome.parameters.peer_certificate is not None
    assert outcome.parameters.peer_certificate.subject == "CN=localhost"


def _rsa1024(pki: Pki) -> Issued:
    return pki.issue("rsa1024.localhost", key="rsa-1024", eku=("server",))


def _not_ca(pki: Pki) -> Issued:
    """A chain whose intermediate is an end-entity certificate: it may not issue (RFC 5280 §4.2.1.9)."""
    fake = Pki(pki.folder / "fake-intermediate", "fake intermediate", issuer=pki, ca=False)
    return fake.issue("localhost.behind.fake", eku=("server",))


@pytest.mark.parametrize(
    ("make", "error", "reason", "depth"),
    [
        (
            lambda pki: pki.issue(
                "expired.localhost", eku=("server",), valid=(dt.timedelta(days=-9), dt.timedelta(days=-1))
            ),
            CertificateExpired,
            "expired",
            0,
        ),
        (
            lambda pki: pki.issue("client-only.localhost", eku=("client",)),
            CertificateUsageRejected,
            "extended-key-usage",
            0,
        ),
        (_rsa1024, CertificateKeyRejected, "key-too-small", 0),
        (
            lambda pki: pki.issue("sha1.localhost", eku=("server",), signature="sha1"),
            CertificateSignatureRejected,
            "signature-not-allowed",
            0,
        ),
        (_not_ca, CertificateNotCA, "not-ca", 1),
    ],
    ids=["expired", "wrong-eku", "rsa-1024", "sha1-signed", "not-ca"],
)
@pytest.mark.parametrize("version", ["-tls1_3", "-tls1_2"])
def test_bad_server_certificates_are_rejected(
    pki: Pki, make: object, error: type[CertificateRejected], reason: str, depth: int, version: str
) -> None:
    cert = make(pki)  # type: ignore[operator]
    with s_server(cert, version, *LEGACY) as port:
        outcome, conn = connect(tls.client_context(ca=pki.cert), port)
        closing(conn)
    assert isinstance(outcome.error, error), outcome.error
    assert (outcome.error.reason, outcome.error.depth) == (reason, depth)


def test_server_initiated_renegotiation_is_refused(pki: Pki, server_cert: Issued) -> None:
    """TLS 1.2 renegotiation is off: a HelloRequest from s_server is refused by our client, and accepted
    by the system s_client (the control: the server side works)."""

    def serve() -> tuple[subprocess.Popen[str], int]:
        port = free_port()
        proc = subprocess.Popen(
            [OPENSSL, "s_server", "-accept", f"127.0.0.1:{port}", "-naccept", "1", "-tls1_2",
             "-cert", str(server_cert.cert), "-key", str(server_cert.key)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=clean_env(),
        )  # fmt: skip
        assert proc.stdout is not None
        assert proc.stdin is not None
        for line in proc.stdout:
            if "ACCEPT" in line:
                break
        return proc, port

    def renegotiate_then_send(proc: subprocess.Popen[str]) -> None:
        assert proc.stdin is not None
        proc.stdin.write("R\n")  # s_server: renegotiate
        proc.stdin.flush()
        time.sleep(1)
        proc.stdin.write("after\n")
        proc.stdin.flush()
        time.sleep(0.5)

    def finish(proc: subprocess.Popen[str]) -> str:
        """s_server's output once it has ended (it serves one connection); killed if it hangs."""
        try:
            return proc.communicate(timeout=5)[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.communicate(timeout=TIMEOUT)[0]

    proc, port = serve()
    try:
        outcome, conn = connect(tls.client_context(ca=pki.cert), port)
        succeeded(outcome)
        assert outcome.version == "TLSv1.2"
        renegotiate_then_send(proc)
        with contextlib.suppress(SSL.Error):
            while conn.recv(100):  # our client answers the HelloRequest while it reads
                pass
        closing(conn)
    finally:
        out = finish(proc)
    assert "no renegotiation" in out  # our client's no_renegotiation alert ended the server's attempt
    proc, port = serve()
    client = subprocess.Popen(
        [OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", str(pki.cert),
         "-servername", "localhost"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=clean_env(),
    )  # fmt: skip
    try:
        time.sleep(1)
        renegotiate_then_send(proc)
    finally:
        client.kill()
        seen = client.communicate(timeout=TIMEOUT)[0]
        out = finish(proc)
    assert "no renegotiation" not in out
    assert "after" in seen
