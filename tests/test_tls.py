"""fipscrypto.tls: our client and our server, real handshakes over loopback in this FIPS process.

Versions, suites, groups, signature schemes, client certificates, host names, the post-quantum
switch, the extended master secret, session tickets, ALPN, per-context policies, the local chain
checks, the record (TLSParameters), the service indicator and the audit event. The system openssl as
the peer: test_tls_openssl.py; the stdlib contexts: test_tls_stdlib.py; asyncio: test_tls_aio.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import select
import socket
import time
from pathlib import Path

import pytest
from OpenSSL import SSL
from tlslib import (
    TIMEOUT,
    Issued,
    Outcome,
    Pki,
    Server,
    closing,
    connect,
    open_socket,
    parameters,
    succeeded,
    write_policy,
)

from fipscrypto import audit, indicator, tls
from fipscrypto._backend import pyopenssl
from fipscrypto.errors import (
    CertificateExpired,
    CertificateKeyRejected,
    CertificateUsageRejected,
    HandshakeRejected,
    HostnameMismatch,
    InvalidParameter,
    NoApplicationProtocol,
    PolicyViolation,
)

_NO_EXTENDED_MASTER_SECRET = 0x1  # SSL_OP_NO_EXTENDED_MASTER_SECRET (openssl/ssl.h, OpenSSL 3)

# A per-context policy that narrows the default fips-140-3-hardened to TLS 1.2 (no justification
# needed: it is stricter).
TLS12_ONLY = """
[[rule]]
category = "tls-version"
names = ["tls1.3"]
apply = "disallowed"
process = "disallowed"
cite = "sp800-52r2"
section = "Section 3.1"
note = "Test: TLS 1.2 only."
"""
P384_ONLY = """
[[rule]]
category = "tls-group"
names = ["secp256r1", "secp521r1", "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192"]
apply = "disallowed"
process = "disallowed"
cite = "sp800-52r2"
section = "Section 3.4.2.2"
note = "Test: P-384 only."
"""


def handshake(
    server_ctx: SSL.Context, client_ctx: SSL.Context, hostname: str | None = "localhost"
) -> tuple[Outcome, Outcome]:
    """One handshake over loopback; the server greets, the client reads the greeting."""
    server = Server(server_ctx, greeting=b"hello")
    client, conn = connect(client_ctx, server.port, hostname, read=5)
    closing(conn)
    return client, server.result()


# ------------------------------------------------------------------------------- versions, suites


def test_tls13_default_handshake(server_cert: Issued, pki: Pki, events: list[audit.Event]) -> None:
    client, server = handshake(
        tls.server_context(server_cert.chain, server_cert.key), tls.client_context(ca=pki.cert)
    )
    succeeded(client, server)
    c, s = client.parameters, server.parameters
    assert c is not None
    assert s is not None
    assert (c.role, s.role) == ("client", "server")
    assert c.version == s.version == "TLSv1.3"  # preferred when both can (SP 800-52r2 §3.1)
    assert c.suite == s.suite == "TLS_AES_128_GCM_SHA256"  # the policy's first TLS 1.3 suite
    assert c.group == s.group == "secp256r1"  # the policy's first group
    assert c.signature_algorithm == "ecdsa_secp256r1_sha256"  # the server's ECDSA P-256 key
    assert s.local_signature_algorithm == "ecdsa_secp256r1_sha256"
    assert c.extended_master_secret is True  # TLS 1.3 (RFC 8446 Appendix D)
    assert c.peer_certificate is not None
    assert c.peer_certificate.subject == "CN=localhost"
    assert c.peer_certificate.issuer == "CN=fipscrypto test CA"
    assert [x.subject for x in c.peer_chain] == ["CN=localhost", "CN=fipscrypto test CA"]
    assert s.peer_certificate is None  # no client certificate was asked for
    assert c.approved
    assert s.approved
    assert c.fips_boundary
    assert c.policy == "fips-140-3-hardened"  # the default policy
    assert client.data == b"hello"
    # One audit event per handshake and side, with the documented fields only.
    shakes = [e for e in events if e.kind == "tls-handshake"]
    assert sorted(e.fields["role"] for e in shakes) == ["client", "server"]
    fields = next(e.fields for e in shakes if e.fields["role"] == "client")
    assert set(fields) == {
        "role", "version", "suite", "group", "signature_algorithm", "extended_master_secret", "resumed",
        "peer_subject", "peer_issuer", "peer_serial", "peer_fingerprint_sha256", "policy", "approved",
        "fips_boundary",
    }  # fmt: skip
    assert fields["peer_fingerprint_sha256"] == c.peer_certificate.fingerprint_sha256
    key_pem = server_cert.key.read_bytes()
    assert all(str(v).encode() not in key_pem for v in fields.values() if v not in (None, True, False))


def test_indicator_records_the_handshake(server_cert: Issued, pki: Pki) -> None:
    server = Server(tls.server_context(server_cert.chain, server_cert.key))
    outcome, conn = connect(tls.client_context(ca=pki.cert), server.port)
    try:
        assert outcome.ok, outcome.error
        assert indicator.last() == indicator.Operation("tls.handshake", "TLS_AES_128_GCM_SHA256", True)
    finally:
        closing(conn)
    assert server.result().ok


def test_tls12_between_our_endpoints(server_cert: Issued, pki: Pki, tmp_path: Path) -> None:
    policy = write_policy(tmp_path, "tls12-only", TLS12_ONLY)
    client, server = handshake(
        tls.server_context(server_cert.chain, server_cert.key),
        tls.client_context(ca=pki.cert, policy=str(policy)),
    )
    succeeded(client, server)
    c, s = client.parameters, server.parameters
    assert c is not None
    assert s is not None
    assert c.version == "TLSv1.2"
    assert c.policy == "tls12-only"
    assert s.policy == "fips-140-3-hardened"
    assert c.suite == "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"  # ECDHE with AES-GCM, server's order
    assert c.group == "secp256r1"
    assert c.extended_master_secret is True
    assert s.extended_master_secret is True
    assert client.data == b"hello"


def test_mutual_tls_tls13_and_tls12(
    server_cert: Issued, client_cert: Issued, pki: Pki, tmp_path: Path
) -> None:
    server_ctx = tls.server_context(
        server_cert.chain, server_cert.key, client_ca=pki.cert, require_client_cert=True
    )
    for policy in (None, str(write_policy(tmp_path, "tls12-only", TLS12_ONLY))):
        client_ctx = tls.client_context(
            ca=pki.cert, cert_chain=client_cert.chain, private_key=client_cert.key, policy=policy
        )
        client, server = handshake(server_ctx, client_ctx)
        succeeded(client, server)
        assert server.parameters is not None
        assert server.parameters.peer_certificate is not None
        assert server.parameters.peer_certificate.subject == "CN=sip client"
        assert server.parameters.version == ("TLSv1.3" if policy is None else "TLSv1.2")


def test_required_client_certificate_missing(server_cert: Issued, pki: Pki) -> None:
    server_ctx = tls.server_context(
        server_cert.chain, server_cert.key, client_ca=pki.cert, require_client_cert=True
    )
    client, server = handshake(server_ctx, tls.client_context(ca=pki.cert))
    assert not server.ok
    assert not client.ok or client.data == b""  # TLS 1.3: the client learns it after its Finished


def test_wrong_client_certificate_purpose_rejected(server_cert: Issued, pki: Pki) -> None:
    """A client presenting a certificate made for servers only: the server refuses it, by name."""
    server_only = pki.issue("server-only client", eku=("server",), sans=())
    server_ctx = tls.server_context(
        server_cert.chain, server_cert.key, client_ca=pki.cert, require_client_cert=True
    )
    with pytest.raises(CertificateUsageRejected):
        tls.client_context(ca=pki.cert, cert_chain=server_only.chain, private_key=server_only.key)
    # The same certificate through a plain pyOpenSSL client, which does not check its own chain.
    plain = SSL.Context(SSL.TLS_METHOD)
    plain.use_certificate_chain_file(str(server_only.chain))
    plain.use_privatekey_file(str(server_only.key))
    server = Server(server_ctx)
    _, conn = connect(plain, server.port)
    closing(conn)
    result = server.result()
    assert isinstance(result.error, CertificateUsageRejected), result.error
    assert result.error.reason == "extended-key-usage"
    assert result.error.depth == 0


# ------------------------------------------------------------------------------------ host names


def test_hostname_mismatch_fails(server_cert: Issued, pki: Pki) -> None:
    client, server = handshake(
        tls.server_context(server_cert.chain, server_cert.key),
        tls.client_context(ca=pki.cert),
        "sip.example.org",
    )
    assert isinstance(client.error, HostnameMismatch), client.error
    assert client.error.reason == "hostname-mismatch"
    assert not server.ok


def test_hostname_verification_needs_a_hostname(server_cert: Issued, pki: Pki) -> None:
    client_ctx = tls.client_context(ca=pki.cert)
    with pytest.raises(InvalidParameter):
        tls.client_connection(client_ctx, None)
    # A bare pyOpenSSL Connection on the context skips client_connection(): the handshake fails.
    server = Server(tls.server_context(server_cert.chain, server_cert.key))
    bare = SSL.Connection(client_ctx, open_socket(server.port))
    bare.set_connect_state()
    with pytest.raises(SSL.Error):
        bare.do_handshake()
    closing(bare)
    assert not server.result().ok


def test_hostname_check_can_be_turned_off(server_cert: Issued, pki: Pki) -> None:
    client, server = handshake(
        tls.server_context(server_cert.chain, server_cert.key),
        tls.client_context(ca=pki.cert, check_hostname=False),
        "other.example.org",
    )
    succeeded(client, server)


# ----------------------------------------------------------------------------------- post-quantum


def test_hybrid_group_when_both_sides_enable_post_quantum(server_cert: Issued, pki: Pki) -> None:
    client, server = handshake(
        tls.server_context(server_cert.chain, server_cert.key, post_quantum=True),
        tls.client_context(ca=pki.cert, post_quantum=True),
    )
    succeeded(client, server)
    assert client.parameters is not None
    assert server.parameters is not None
    assert client.parameters.group == server.parameters.group == "SecP256r1MLKEM768"
    assert client.parameters.approved


def test_post_quantum_on_one_side_only_falls_back_to_ecdhe(server_cert: Issued, pki: Pki) -> None:
    client, server = handshake(
        tls.server_context(server_cert.chain, server_cert.key, post_quantum=True),
        tls.client_context(ca=pki.cert),
    )
    assert client.ok
    assert client.parameters is not None
    assert client.parameters.group == "secp256r1"
    assert server.ok


def test_the_default_policy_offers_no_x25519_hybrid_and_no_ffdhe2048(server_cert: Issued, pki: Pki) -> None:
    from fipscrypto.tls.rules import PolicyRef

    offered = tls.endpoint_settings(PolicyRef(None), service="test", post_quantum=True).groups
    assert offered[:2] == ("SecP256r1MLKEM768", "SecP384r1MLKEM1024")
    assert "X25519MLKEM768" not in offered  # fips-140-3-hardened disallows it
    assert "X25519" not in offered
    assert "ffdhe2048" not in offered  # likewise
    assert "ffdhe3072" in offered
    # A client that offers only X25519MLKEM768 (as OpenSSL 3.5 does by default) is refused.
    plain = SSL.Context(SSL.TLS_METHOD)
    assert pyopenssl.set_groups(plain, "X25519MLKEM768")
    server = Server(tls.server_context(server_cert.chain, server_cert.key, post_quantum=True))
    outcome, conn = connect(plain, server.port)
    closing(conn)
    assert not outcome.ok
    assert not server.result().ok


@pytest.mark.parametrize("post_quantum", [True, False])
def test_the_nist_profile_offers_what_nist_accepts(post_quantum: bool) -> None:
    """No rule of the TLS layer's own: under fips-140-3 (NIST as written) a strict-mode endpoint offers
    ffdhe2048 and, with post_quantum, X25519MLKEM768; only the hardened profile leaves them out."""
    from fipscrypto.tls.rules import PolicyRef

    with indicator.exempt(reason="test: what a fips-140-3 endpoint offers"):  # wider than the active policy
        nist = tls.endpoint_settings(PolicyRef("fips-140-3"), service="test", post_quantum=post_quantum)
    hardened = tls.endpoint_settings(
        PolicyRef("fips-140-3-hardened"), service="test", post_quantum=post_quantum
    )
    assert "ffdhe2048" in nist.groups
    assert ("X25519MLKEM768" in nist.groups) is post_quantum
    assert [g for g in nist.groups if g not in hardened.groups] == (
        ["X25519MLKEM768", "ffdhe2048"] if post_quantum else ["ffdhe2048"]
    )


def test_a_nist_profile_endpoint_negotiates_x25519_hybrid_and_ffdhe2048(
    server_cert: Issued, pki: Pki, tmp_path: Path
) -> None:
    """A context built for fips-140-3 negotiates what that profile accepts, but the active (default)
    policy still gates every use: in this strict process only an exemption builds the context, and the
    handshake (outside the exemption) is refused afterwards."""
    chain, key = server_cert.chain, server_cert.key
    with pytest.raises(PolicyViolation, match="X25519MLKEM768"):  # strict: a wider policy cannot widen
        tls.server_context(chain, key, policy="fips-140-3", post_quantum=True)
    with indicator.exempt(reason="test: a fips-140-3 endpoint"):
        server = tls.server_context(chain, key, policy="fips-140-3", post_quantum=True)
    plain = SSL.Context(SSL.TLS_METHOD)
    plain.set_verify(SSL.VERIFY_NONE)
    assert pyopenssl.set_groups(plain, "X25519MLKEM768")
    running = Server(server)
    outcome, conn = connect(plain, running.port)
    closing(conn)
    assert outcome.ok, outcome.error  # offered and negotiated by the fips-140-3 context
    assert outcome.group == "X25519MLKEM768"
    result = running.result()
    assert not result.ok  # the active fips-140-3-hardened policy refuses it after the handshake
    assert isinstance(result.error, HandshakeRejected)
    assert result.error.reason == "group-not-allowed"


# ---------------------------------------------------------------------- extended master secret


def _plain_tls12_client(ems: bool) -> SSL.Context:
    plain = SSL.Context(SSL.TLS_METHOD)
    plain.set_max_proto_version(SSL.TLS1_2_VERSION)
    plain.set_verify(SSL.VERIFY_NONE)
    if not ems:
        plain.set_options(_NO_EXTENDED_MASTER_SECRET)
    return plain


# RFC 7627 §5.2: the server aborts with a fatal handshake_failure alert (RFC 5246 §6.2.1: a record of
# type alert, 21; §7.2: level fatal, 2; handshake_failure, 40), and sends nothing else.
_HANDSHAKE_FAILURE_ALERT = bytes([21, 3, 3, 0, 2, 2, 40])


def _client_hello(client: SSL.Context) -> tuple[SSL.Connection, bytes]:
    """A plain pyOpenSSL client on memory BIOs, and the TLS records of its ClientHello."""
    conn = SSL.Connection(client)
    conn.set_connect_state()
    with contextlib.suppress(SSL.WantReadError):
        conn.do_handshake()
    return conn, conn.bio_read(65536)


def _refused_hello(server_ctx: SSL.Context, client: SSL.Connection, records: list[bytes]) -> bytes:
    """Feed ClientHello records to a fipscrypto server connection: the HandshakeRejected it raises, and
    what the server sent back (given to the client, which must see the alert)."""
    server = tls.server_connection(server_ctx)
    for record in records:
        server.bio_write(record)
    with pytest.raises(HandshakeRejected) as refused:
        server.do_handshake()
    assert refused.value.reason == "no-extended-master-secret"
    reply = server.bio_read(65536)
    client.bio_write(reply)
    with pytest.raises(SSL.Error, match="alert handshake failure"):
        client.do_handshake()
    return reply


@pytest.mark.parametrize("inspect", [False, True])
def test_tls12_client_without_ems_is_refused(server_cert: Issued, inspect: bool) -> None:
    server_ctx = tls.server_context(server_cert.chain, server_cert.key, inspect_handshake=inspect)
    for ems in (True, False):  # the same plain client succeeds with EMS: only EMS differs
        server = Server(server_ctx)
        outcome, conn = connect(_plain_tls12_client(ems), server.port)
        closing(conn)
        result = server.result()
        if ems:
            parameters(result)
            assert result.parameters.version == "TLSv1.2"
            assert result.parameters.extended_master_secret
        else:  # refused at the ClientHello: the client saw a handshake_failure alert
            assert isinstance(result.error, HandshakeRejected), result.error
            assert result.error.reason == "no-extended-master-secret"
            assert isinstance(outcome.error, SSL.Error)
            assert "alert handshake failure" in str(outcome.error)


@pytest.mark.parametrize("inspect", [False, True])
def test_tls12_client_without_ems_gets_the_alert_and_no_server_hello(
    server_cert: Issued, inspect: bool
) -> None:
    server_ctx = tls.server_context(server_cert.chain, server_cert.key, inspect_handshake=inspect)
    client, hello = _client_hello(_plain_tls12_client(ems=False))
    assert _refused_hello(server_ctx, client, [hello]) == _HANDSHAKE_FAILURE_ALERT


def test_a_client_hello_in_two_records_is_read_whole(server_cert: Issued) -> None:
    """RFC 5246 §6.2.1 lets a client fragment its ClientHello across records."""
    client, hello = _client_hello(_plain_tls12_client(ems=False))
    message = hello[5:]
    assert len(hello) == 5 + len(message)  # one record, as OpenSSL sends it
    records = [hello[:3] + len(part).to_bytes(2, "big") + part for part in (message[:40], message[40:])]
    server_ctx = tls.server_context(server_cert.chain, server_cert.key)
    assert _refused_hello(server_ctx, client, records) == _HANDSHAKE_FAILURE_ALERT


def test_a_client_hello_arriving_in_pieces_on_a_blocking_socket(server_cert: Issued) -> None:
    """The server waits for the whole first record before its handshake reads it, as OpenSSL would."""
    _, hello = _client_hello(_plain_tls12_client(ems=False))
    server = Server(tls.server_context(server_cert.chain, server_cert.key))
    with open_socket(server.port) as sock:
        sock.sendall(hello[:30])
        time.sleep(0.2)
        sock.sendall(hello[30:])
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
    assert reply == _HANDSHAKE_FAILURE_ALERT
    result = server.result()
    assert isinstance(result.error, HandshakeRejected), result.error
    assert result.error.reason == "no-extended-master-secret"


def test_plaintext_on_a_blocking_socket_is_refused_as_openssl_refuses_it(server_cert: Issued) -> None:
    """Bytes that do not start a TLS handshake record are left to OpenSSL at once: the server does not
    wait for the "record" their first five bytes would announce (here 21,541 bytes)."""
    server = Server(tls.server_context(server_cert.chain, server_cert.key))
    with open_socket(server.port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        try:
            reply = sock.recv(4096)
        except ConnectionResetError:  # closed with the request unread
            reply = b""
        assert reply == b""
    result = server.result()
    assert isinstance(result.error, SSL.Error)
    assert "http request" in str(result.error)


def test_a_non_blocking_server_socket(server_cert: Issued) -> None:
    """The server reads nothing before the ClientHello has arrived (WantReadError), then refuses it."""
    _, hello = _client_hello(_plain_tls12_client(ems=False))
    server_ctx = tls.server_context(server_cert.chain, server_cert.key)
    with socket.create_server(("127.0.0.1", 0)) as listener, open_socket(listener.getsockname()[1]) as sock:
        accepted, _ = listener.accept()
        with accepted:
            accepted.setblocking(False)
            conn = tls.server_connection(server_ctx, accepted)
            with pytest.raises(SSL.WantReadError):
                conn.do_handshake()  # nothing sent yet
            sock.sendall(hello)
            assert select.select([accepted], [], [], TIMEOUT)[0]
            with pytest.raises(HandshakeRejected) as refused:
                conn.do_handshake()
        assert refused.value.reason == "no-extended-master-secret"
        assert sock.recv(4096) == _HANDSHAKE_FAILURE_ALERT


def test_a_non_blocking_server_socket_closed_before_the_client_hello(server_cert: Issued) -> None:
    """End of stream is not "nothing yet": OpenSSL gets to see it and fails the handshake."""
    server_ctx = tls.server_context(server_cert.chain, server_cert.key)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        open_socket(listener.getsockname()[1]).close()
        accepted, _ = listener.accept()
        with accepted:
            accepted.setblocking(False)
            assert select.select([accepted], [], [], TIMEOUT)[0]
            conn = tls.server_connection(server_ctx, accepted)
            with pytest.raises(SSL.SysCallError):
                conn.do_handshake()


def test_a_client_without_ems_that_offers_tls13_is_served(server_cert: Issued) -> None:
    """EMS protects the TLS 1.2 master secret; TLS 1.3 always binds its keys to the transcript."""
    plain = SSL.Context(SSL.TLS_METHOD)
    plain.set_verify(SSL.VERIFY_NONE)
    plain.set_options(_NO_EXTENDED_MASTER_SECRET)
    server = Server(tls.server_context(server_cert.chain, server_cert.key))
    outcome, conn = connect(plain, server.port)
    closing(conn)
    succeeded(outcome)
    result = parameters(server.result())
    assert result.version == "TLSv1.3"
    assert result.extended_master_secret  # RFC 8446 Appendix D


def test_a_plain_connection_on_our_server_context_is_refused_by_the_provider(server_cert: Issued) -> None:
    """Without fipscrypto's Connection nobody keeps the ClientHello: the server answers it, and the
    FIPS provider refuses the TLS 1.2 key derivation without EMS (tls1-prf-ems-check)."""
    client, hello = _client_hello(_plain_tls12_client(ems=False))
    server = SSL.Connection(tls.server_context(server_cert.chain, server_cert.key))
    server.set_accept_state()
    server.bio_write(hello)
    with pytest.raises(SSL.WantReadError):
        server.do_handshake()
    reply = server.bio_read(65536)
    assert (reply[0], reply[5]) == (22, 2)  # a handshake record holding a ServerHello
    client.bio_write(reply)
    with pytest.raises(SSL.Error, match="ems not enabled"):
        client.do_handshake()  # the client's key derivation: refused by the same provider


@pytest.mark.parametrize("inspect", [False, True])
def test_tls12_server_without_ems_is_refused(server_cert: Issued, pki: Pki, inspect: bool) -> None:
    plain = SSL.Context(SSL.TLS_METHOD)
    plain.set_max_proto_version(SSL.TLS1_2_VERSION)
    plain.use_certificate_chain_file(str(server_cert.chain))
    plain.use_privatekey_file(str(server_cert.key))
    plain.set_options(_NO_EXTENDED_MASTER_SECRET)
    server = Server(plain)
    outcome, conn = connect(tls.client_context(ca=pki.cert, inspect_handshake=inspect), server.port)
    closing(conn)
    assert isinstance(outcome.error, HandshakeRejected), outcome.error
    assert outcome.error.reason == "no-extended-master-secret"
    if inspect:  # refused before the key exchange: the server's handshake failed too
        assert not server.result().ok
    else:
        server.wait()


def test_inspect_handshake_reads_the_signature_schemes(server_cert: Issued, pki: Pki, tmp_path: Path) -> None:
    rsa = pki.issue("rsa.localhost", key="rsa-2048", eku=("server",), sans=("localhost",))
    server_ctx = tls.server_context(rsa.chain, rsa.key, inspect_handshake=True)
    for policy in (None, str(write_policy(tmp_path, "tls12-only", TLS12_ONLY))):
        client, server = handshake(
            server_ctx, tls.client_context(ca=pki.cert, policy=policy, inspect_handshake=True)
        )
        assert client.ok, client.error
        assert client.parameters is not None
        assert server.parameters is not None
        # RSA keys sign with RSA-PSS in TLS 1.3, and the policy prefers it in TLS 1.2 too.
        assert client.parameters.signature_algorithm == "rsa_pss_rsae_sha256"
        assert server.parameters.local_signature_algorithm == "rsa_pss_rsae_sha256"
    # Without inspection, several RSA schemes could have been used: not reported.
    client, _ = handshake(tls.server_context(rsa.chain, rsa.key), tls.client_context(ca=pki.cert))
    assert client.parameters is not None
    assert client.parameters.signature_algorithm is None


# ------------------------------------------------------------------------------ tickets, ALPN


@pytest.mark.parametrize("tickets", [False, True])
def test_session_resumption_follows_session_tickets(server_cert: Issued, pki: Pki, tickets: bool) -> None:
    server_ctx = tls.server_context(server_cert.chain, server_cert.key, session_tickets=tickets)
    client_ctx = tls.client_context(ca=pki.cert, session_tickets=tickets)
    server = Server(server_ctx, count=2, greeting=b"hello")
    first, conn = connect(client_ctx, server.port, read=5)  # reading lets the client take the tickets
    session = conn.get_session()
    closing(conn)
    second, conn = connect(client_ctx, server.port, read=5, session=session)
    closing(conn)
    succeeded(first, second)
    assert second.parameters is not None
    assert second.parameters.resumed is tickets
    outcomes = server.wait()
    assert outcomes[1].parameters is not None
    assert outcomes[1].parameters.resumed is tickets
    if tickets:  # a resumed session still carries the checked peer chain
        assert second.parameters.peer_certificate is not None
        assert second.parameters.peer_certificate.subject == "CN=localhost"


def test_alpn(server_cert: Issued, pki: Pki) -> None:
    server_ctx = tls.server_context(server_cert.chain, server_cert.key, alpn=[b"sip", b"http/1.1"])
    client, server = handshake(server_ctx, tls.client_context(ca=pki.cert, alpn=[b"http/1.1", b"sip"]))
    assert client.parameters is not None
    assert client.parameters.alpn == "sip"
    client, server = handshake(server_ctx, tls.client_context(ca=pki.cert, alpn=[b"h2"]))
    assert isinstance(server.error, NoApplicationProtocol), server.error  # RFC 7301 §3.2
    assert not client.ok
    assert "no application protocol" in str(client.error)


# -------------------------------------------------------------------------- per-context policies


def test_context_policy_narrows_the_groups(server_cert: Issued, pki: Pki, tmp_path: Path) -> None:
    p384 = str(write_policy(tmp_path, "p384-only", P384_ONLY))
    client, _server = handshake(
        tls.server_context(server_cert.chain, server_cert.key), tls.client_context(ca=pki.cert, policy=p384)
    )
    assert client.parameters is not None
    assert client.parameters.group == "secp384r1"
    assert client.parameters.policy == "p384-only"


def test_context_policy_that_allows_nothing_fails_to_build(server_cert: Issued) -> None:
    with pytest.raises(PolicyViolation, match="post_quantum"):
        tls.server_context(server_cert.chain, server_cert.key, policy="cnsa-2.0")  # no classical group


def test_context_policy_object(server_cert: Issued, pki: Pki, tmp_path: Path) -> None:
    from fipscrypto import policy

    narrower = policy.select(str(write_policy(tmp_path, "tls12-only", TLS12_ONLY)))
    ctx = tls.client_context(ca=pki.cert, policy=narrower)
    client, _server = handshake(tls.server_context(server_cert.chain, server_cert.key), ctx)
    assert client.ok
    assert client.parameters is not None
    assert client.parameters.policy == "tls12-only"


def test_a_wider_context_policy_cannot_widen_in_strict_mode(server_cert: Issued) -> None:
    """fips-140-3 accepts ffdhe2048, which the active fips-140-3-hardened disallows: strict mode refuses
    to build the context instead of offering it."""
    with pytest.raises(PolicyViolation, match="ffdhe2048"):
        tls.server_context(server_cert.chain, server_cert.key, policy="fips-140-3")


# --------------------------------------------------------------------------- the local chain


def test_local_chain_checks(pki: Pki) -> None:
    expired = pki.issue("expired.local", valid=(dt.timedelta(days=-10), dt.timedelta(days=-1)))
    with pytest.raises(CertificateExpired) as caught:
        tls.server_context(expired.chain, expired.key)
    assert caught.value.reason == "expired"
    assert caught.value.depth == 0
    small = pki.issue("rsa1024.local", key="rsa-1024")
    with pytest.raises(CertificateKeyRejected) as rejected:
        tls.server_context(small.chain, small.key)
    assert rejected.value.reason == "key-too-small"
    assert isinstance(rejected.value, PolicyViolation)
    assert rejected.value.verdict is not None
    client_only = pki.issue("client-only.local", eku=("client",))
    with pytest.raises(CertificateUsageRejected):
        tls.server_context(client_only.chain, client_only.key)
    other = pki.issue("other.local")
    with pytest.raises(InvalidParameter, match="private key"):
        tls.server_context(other.chain, client_only.key)


def test_der_chain_and_key_load(server_cert: Issued, pki: Pki) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate(server_cert.cert.read_bytes())
    key = serialization.load_pem_private_key(server_cert.key.read_bytes(), None)
    der_cert = cert.public_bytes(serialization.Encoding.DER)
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    client, server = handshake(
        tls.server_context(der_cert, der_key), tls.client_context(ca=pki.cert.read_bytes())
    )
    succeeded(client, server)


def test_negotiated_before_the_handshake(pki: Pki) -> None:
    conn = tls.client_connection(tls.client_context(ca=pki.cert), "localhost")
    with pytest.raises(InvalidParameter):
        tls.negotiated(conn)
    with pytest.raises(InvalidParameter):
        tls.negotiated(SSL.Connection(SSL.Context(SSL.TLS_METHOD)))


def test_dtls_settings_for_the_dtls_srtp_phase(server_cert: Issued) -> None:
    """The policy -> context code is shared with DTLS: a DTLS 1.2 handshake between two contexts built
    from ``endpoint_settings(protocol="dtls")`` (over memory BIOs; DTLS-SRTP brings the sockets)."""
    from fipscrypto.tls import openssl

    settings = tls.endpoint_settings(tls.PolicyRef(None), service="test", protocol="dtls")
    assert settings.versions == ("dtls1.2",)
    server, client = openssl.new_context(settings), openssl.new_context(settings)
    server.use_certificate_chain_file(str(server_cert.chain))
    server.use_privatekey_file(str(server_cert.key))
    server.set_cookie_generate_callback(lambda conn: b"cookie")
    server.set_cookie_verify_callback(lambda conn, cookie: cookie == b"cookie")
    accepting, connecting = SSL.Connection(server), SSL.Connection(client)
    accepting.set_accept_state()
    connecting.set_connect_state()
    for _ in range(20):
        for conn in (connecting, accepting):
            with contextlib.suppress(SSL.WantReadError):
                conn.do_handshake()
        for a, b in ((connecting, accepting), (accepting, connecting)):
            with contextlib.suppress(SSL.WantReadError):
                b.bio_write(a.bio_read(65536))
    assert connecting.get_protocol_version_name() == "DTLSv1.2"
    assert connecting.get_cipher_name() == "ECDHE-ECDSA-AES128-GCM-SHA256"
    assert connecting.get_group_name() == "secp256r1"
