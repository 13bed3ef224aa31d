"""A fipscrypto Connection after its handshake: a handshake of a shape its context approved before
reuses the record, yet passes the gate, records the indicator and writes its audit event; a shape not
approved goes through every check again; once checked, the data path is pyOpenSSL's own."""

from __future__ import annotations

import contextlib

import pytest
from OpenSSL import SSL
from tlslib import Issued, Pki, closing, connect, parameters, s_server

from fipscrypto import audit, hashes, indicator, tls
from fipscrypto._backend import pyopenssl
from fipscrypto.errors import AuditError, HandshakeRejected
from fipscrypto.provider.state import StatePaths

from support import run_json


def _pump(client: SSL.Connection, server: SSL.Connection) -> None:
    """Run both handshakes over memory BIOs, in this thread, until each has completed or raised."""
    pending = [client, server]
    for _ in range(20):
        for conn in list(pending):
            try:
                conn.do_handshake()
                pending.remove(conn)
            except SSL.WantReadError:
                pass
        for a, b in ((client, server), (server, client)):
            with contextlib.suppress(SSL.WantReadError):
                b.bio_write(a.bio_read(65536))
        if not pending:
            return
    raise AssertionError("the handshake did not complete")


def _pair(server_cert: Issued, pki: Pki) -> tuple[SSL.Context, SSL.Context]:
    return tls.server_context(server_cert.chain, server_cert.key), tls.client_context(ca=pki.cert)


def test_each_repeated_handshake_is_recorded_and_audited(
    server_cert: Issued, pki: Pki, events: list[audit.Event]
) -> None:
    server_ctx, client_ctx = _pair(server_cert, pki)
    records = []
    for round_ in range(3):
        hashes.digest("sha256", b"x")  # the indicator's last operation is something else
        client = tls.client_connection(client_ctx, "localhost")
        server = tls.server_connection(server_ctx)
        _pump(client, server)
        assert indicator.last() == indicator.Operation("tls.handshake", "TLS_AES_128_GCM_SHA256", True)
        shakes = [e for e in events if e.kind == "tls-handshake"]
        assert len(shakes) == 2 * (round_ + 1)  # one per side and connection, repeats included
        assert [e.fields["role"] for e in shakes[-2:]] == ["client", "server"]
        records.append((client.parameters, server.parameters))
    # The repeats reuse the record of the first (the checks ran on it); the events carry its fields.
    assert records[1][0] is records[2][0] is records[0][0]
    assert records[0][0].approved
    assert shakes[-2].fields == records[0][0].audit_fields()


def test_a_kept_shape_writes_its_event_before_any_data_and_a_failing_sink_stops_it(
    server_cert: Issued, pki: Pki, events: list[audit.Event]
) -> None:
    """A handshake of a shape the context keeps still writes its own audit event; when a sink fails,
    the handshake raises AuditError and the connection carries no data until an event was written."""
    server_ctx, client_ctx = _pair(server_cert, pki)
    _pump(tls.client_connection(client_ctx, "localhost"), tls.server_connection(server_ctx))  # kept now
    kept = next(e.fields for e in events if e.kind == "tls-handshake")
    failing: list[audit.Event] = []

    def sink(event: audit.Event) -> None:
        failing.append(event)
        raise OSError("the audit log is full")

    client = tls.client_connection(client_ctx, "localhost")
    server = tls.server_connection(server_ctx)
    audit.subscribe(sink)
    try:
        with pytest.raises(AuditError):
            _pump(client, server)  # the client completes first; its event reaches every sink
    finally:
        audit.unsubscribe(sink)
    assert [(e.kind, e.fields) for e in failing] == [("tls-handshake", kept)]
    assert type(client).sendall is not SSL.Connection.sendall  # not concluded: data calls check first
    assert client.parameters.approved  # the step runs again, and now writes its event
    shakes = [e.fields for e in events if e.kind == "tls-handshake"]
    assert shakes[2:] == [kept, kept]  # the failed delivery and the second step: one event each


def test_a_peer_breaking_the_policy_is_refused_after_approved_repeats(
    server_cert: Issued, pki: Pki, events: list[audit.Event]
) -> None:
    """The server's context (fips-140-3) accepts X25519MLKEM768, which the active policy refuses: a
    client that picks it is refused after each handshake, between handshakes the context approved."""
    with indicator.exempt(reason="test: a fips-140-3 endpoint"):
        server_ctx = tls.server_context(
            server_cert.chain, server_cert.key, policy="fips-140-3", post_quantum=True
        )
    good = SSL.Context(SSL.TLS_METHOD)
    good.set_verify(SSL.VERIFY_NONE)
    assert pyopenssl.set_groups(good, "P-256")
    bad = SSL.Context(SSL.TLS_METHOD)
    bad.set_verify(SSL.VERIFY_NONE)
    assert pyopenssl.set_groups(bad, "X25519MLKEM768")
    for plain in (good, good, bad, good, bad):
        client = SSL.Connection(plain)
        client.set_connect_state()
        server = tls.server_connection(server_ctx)
        if plain is good:
            _pump(client, server)
            assert server.parameters.group == "secp256r1"
            assert server.parameters.approved
            continue
        with pytest.raises(HandshakeRejected) as refused:
            _pump(client, server)
        assert refused.value.reason == "group-not-allowed"
        assert type(server).recv is not SSL.Connection.recv  # still checking: every later call raises
        with pytest.raises(HandshakeRejected):
            server.recv(1)
    assert [e.fields["approved"] for e in events if e.kind == "tls-handshake"] == [True] * 3


def test_our_client_refuses_a_server_breaking_the_policy_after_approved_repeats(
    server_cert: Issued, pki: Pki, events: list[audit.Event]
) -> None:
    """The client's context (fips-140-3) offers ffdhe2048, which the active policy refuses: the system
    openssl s_server that picks it is refused after each handshake, between handshakes of the shape the
    context approved and kept. Each approved handshake marks the indicator and writes its audit event;
    each refusal writes its policy-violation event."""
    with indicator.exempt(reason="test: a fips-140-3 endpoint"):
        client_ctx = tls.client_context(ca=pki.cert, policy="fips-140-3")
    groups = ("P-256", "P-256", "ffdhe2048", "P-256", "ffdhe2048")
    for group in groups:
        hashes.digest("sha256", b"x")  # the indicator's last operation is something else
        with s_server(server_cert, "-tls1_3", "-groups", group) as port:
            outcome, conn = connect(client_ctx, port)
            try:
                if group == "P-256":
                    assert parameters(outcome).group == "secp256r1"
                    last = indicator.Operation("tls.handshake", "TLS_AES_128_GCM_SHA256", True)
                    assert indicator.last() == last
                    continue
                assert isinstance(outcome.error, HandshakeRejected), outcome.error
                assert outcome.error.reason == "group-not-allowed"
                assert indicator.last() == indicator.Operation("tls.handshake", "ffdhe2048", False)
                with pytest.raises(HandshakeRejected):
                    conn.recv(1)  # no application data: the check runs (and refuses) again
            finally:
                closing(conn)
    assert [e.fields["approved"] for e in events if e.kind == "tls-handshake"] == [True] * 3
    refused = [e.fields for e in events if e.kind == "policy-violation"]
    assert [(f["service"], f["algorithm"]) for f in refused] == [("tls.handshake", "ffdhe2048")] * 4


def test_the_data_path_is_pyopenssls_once_checked(server_cert: Issued, pki: Pki) -> None:
    """Before the handshake, recv and sendall are fipscrypto's (they complete and check the handshake
    first); after the checks passed, they are pyOpenSSL's own methods."""
    server_ctx, client_ctx = _pair(server_cert, pki)
    client = tls.client_connection(client_ctx, "localhost")
    server = tls.server_connection(server_ctx)
    assert type(client).sendall is not SSL.Connection.sendall
    with pytest.raises(SSL.WantReadError):
        client.sendall(b"early")  # runs the handshake first: the ClientHello is written, no answer yet
    assert type(client).sendall is not SSL.Connection.sendall
    _pump(client, server)
    for conn in (client, server):
        assert isinstance(conn, tls.Connection)
        assert type(conn).recv is type(conn).read is SSL.Connection.recv
        assert type(conn).sendall is SSL.Connection.sendall
        assert type(conn).bio_write is SSL.Connection.bio_write
        assert conn.parameters.approved
    client.sendall(b"media")
    server.bio_write(client.bio_read(65536))
    assert server.recv(5) == b"media"


def test_a_subclass_keeps_its_own_methods(server_cert: Issued, pki: Pki) -> None:
    server_ctx, client_ctx = _pair(server_cert, pki)

    class Counting(tls.Connection):
        reads = 0

        def recv(self, bufsiz: int, flags: int | None = None) -> bytes:
            type(self).reads += 1
            return super().recv(bufsiz, flags)

    server = Counting(server_ctx)
    server.set_accept_state()
    client = tls.client_connection(client_ctx, "localhost")
    _pump(client, server)
    assert type(server) is Counting
    client.sendall(b"x")
    server.bio_write(client.bio_read(65536))
    assert server.recv(1) == b"x"
    assert Counting.reads == 1
    assert server.parameters.approved


ERROR_AND_RECOVERY = """
import contextlib, json, fipscrypto
fipscrypto.activate()
from OpenSSL import SSL
from fipscrypto import _faults, selftests, tls
server = tls.server_context({chain!r}, {key!r})
client = tls.client_context(ca={ca!r})
def pair():
    return tls.client_connection(client, "localhost"), tls.server_connection(server)
def pump(c, s):
    for _ in range(20):
        for conn in (c, s):
            with contextlib.suppress(SSL.WantReadError):
                conn.do_handshake()
        for a, b in ((c, s), (s, c)):
            with contextlib.suppress(SSL.WantReadError):
                b.bio_write(a.bio_read(65536))
    return c.parameters
first = pump(*pair())
kept = pump(*pair()) is first
made = pair()  # before the ERROR state: its handshake completes after
_faults.inject("sha2-512")
selftests.run_all()
try:
    pump(*made)
    refused = False
except fipscrypto.ModuleErrorState:
    refused = True
_faults.clear()
recovered = all(r.passed for r in selftests.run_all())
after = pump(*pair())
print(json.dumps({{"kept": kept, "refused": refused, "recovered": recovered,
                  "checked_again": after is not first, "same": after == first}}))
"""


def test_error_state_refuses_a_kept_shape_and_drops_the_kept_outcomes(
    server_cert: Issued, pki: Pki, state_paths: StatePaths
) -> None:
    result = run_json(
        ERROR_AND_RECOVERY.format(chain=str(server_cert.chain), key=str(server_cert.key), ca=str(pki.cert)),
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
    )
    assert result == {"kept": True, "refused": True, "recovered": True, "checked_again": True, "same": True}
