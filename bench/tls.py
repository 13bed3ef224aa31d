"""TLS handshakes per second and bulk transfer: fipscrypto against plain pyOpenSSL, in one process.

TLS 1.3, group P-256, an ECDSA P-256 server certificate issued by a P-256 CA; the client verifies the
chain and the host name. Both sides of each handshake run in this thread over memory BIOs, so the
figure is CPU time of the two endpoints, without sockets.

- **pyOpenSSL by hand**: ``SSL.Context`` given the same settings with pyOpenSSL's setters and its
  binding (versions, suites, groups, signature schemes, options, verification with host name), no
  Python callback. What a careful caller would write without fipscrypto.
- **fipscrypto contexts**: ``tls.server_context`` / ``tls.client_context`` with pyOpenSSL's own
  ``SSL.Connection`` and the host name set by hand: the policy's settings, the verify callback with
  the certificate policy checks, which abort a bad handshake, and the server's client-hello callback
  (which returns at once for TLS 1.3).
- **fipscrypto full**: the same contexts through ``tls.client_connection`` / ``tls.server_connection``:
  in addition, on each side, the post-handshake checks, the service indicator and the
  ``tls-handshake`` audit event (``tls.Connection.do_handshake`` runs ``tls.negotiated``), and the
  server keeping the bytes it receives until its handshake is done (for the ClientHello's EMS check).

Bulk: TLS 1.3 application data in WRITE-byte (media-sized) writes, ``sendall`` on the client and
``recv`` on the server, over a socketpair, both ends in this thread: fipscrypto's ``tls.Connection``
(full path) against pyOpenSSL's own ``SSL.Connection`` on the contexts configured by hand, same suite.

All run on the same FIPS provider and the same process-wide ``system_default`` section. ROUNDS rounds
(BULK_ROUNDS for bulk), each interleaved in SLICES alternating slices; a ratio is the median of the
per-round ratios.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
import time
from collections.abc import Callable
from typing import Any

import fipscrypto

ROUNDS = 9
SLICES = 6
PER_SLICE = 25
WRITE = 1200  # a media-sized application write (an RTP packet, a slice of a video frame)
BULK_ROUNDS = 9
BULK_PER_SLICE = 1000

# Connection factories (client, server): no argument for memory BIOs, or a connected socket.
Pair = tuple[Callable[..., Any], Callable[..., Any]]


def _pki() -> tuple[bytes, bytes, bytes]:
    """(server chain PEM, server key PEM, CA PEM): ECDSA P-256 throughout."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("bench CA"))
        .issuer_name(name("bench CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return leaf.public_bytes(pem) + ca.public_bytes(pem), key_pem, ca.public_bytes(pem)


def _by_hand(chain: bytes, key: bytes, ca: bytes) -> Pair:
    """Plain pyOpenSSL contexts with the fips-140-3 settings, set by hand."""
    from OpenSSL import SSL, crypto
    from OpenSSL._util import lib

    from fipscrypto import policy
    from fipscrypto.policy.compile import tls_settings
    from fipscrypto.tls.openssl import capability

    wanted = tls_settings(policy.current(), negotiable=capability())

    def base() -> SSL.Context:
        ctx = SSL.Context(SSL.TLS_METHOD)
        ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
        ctx.set_max_proto_version(SSL.TLS1_3_VERSION)
        ctx.set_cipher_list(":".join(wanted.tls12_suites).encode())
        ctx.set_tls13_ciphersuites(":".join(wanted.tls13_suites).encode())
        lib.SSL_CTX_set1_curves_list(
            ctx._context, b"P-256:P-384:P-521:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192"
        )
        lib.SSL_CTX_set1_sigalgs_list(ctx._context, ":".join(wanted.sigalgs).encode())
        ctx.set_options(
            SSL.OP_NO_COMPRESSION
            | lib.SSL_OP_NO_RENEGOTIATION
            | SSL.OP_CIPHER_SERVER_PREFERENCE
            | SSL.OP_NO_TICKET
        )
        ctx.set_session_cache_mode(SSL.SESS_CACHE_OFF)
        return ctx

    server = base()
    certs = crypto.load_certificate(crypto.FILETYPE_PEM, chain)
    server.use_certificate(certs)
    server.use_privatekey(crypto.load_privatekey(crypto.FILETYPE_PEM, key))
    client = base()
    client.get_cert_store().add_cert(crypto.load_certificate(crypto.FILETYPE_PEM, ca))
    client.set_verify(SSL.VERIFY_PEER)
    return _plain_connections(client, server)


def _plain_connections(client: Any, server: Any) -> Pair:
    """Factories of pyOpenSSL's own Connection on the two contexts, the host name set by hand."""
    from OpenSSL import SSL

    def client_conn(sock: Any = None) -> SSL.Connection:
        conn = SSL.Connection(client, sock)
        conn.set_connect_state()
        _set_host(conn, b"localhost")
        return conn

    def server_conn(sock: Any = None) -> SSL.Connection:
        conn = SSL.Connection(server, sock)
        conn.set_accept_state()
        return conn

    return client_conn, server_conn


def _set_host(conn: object, name: bytes) -> None:
    """SNI and host name verification by hand, as a careful pyOpenSSL caller writes them."""
    from OpenSSL._util import lib

    conn.set_tlsext_host_name(name)  # type: ignore[attr-defined]
    param = lib.SSL_get0_param(conn._ssl)  # type: ignore[attr-defined]
    lib.X509_VERIFY_PARAM_set_hostflags(param, 0x4)  # no partial wildcards
    lib.X509_VERIFY_PARAM_set1_host(param, name, len(name))


def _handshake(make_client: Callable[[], Any], make_server: Callable[[], Any]) -> None:
    pump(make_client(), make_server())


def pump(client: Any, server: Any) -> None:
    """Run the handshake of two memory-BIO connections in this thread, moving what each writes to the
    other, until both are done."""
    from OpenSSL import SSL

    pending = [client, server]
    while pending:
        for conn in list(pending):
            try:
                conn.do_handshake()
                pending.remove(conn)
            except SSL.WantReadError:
                pass
        for a, b in ((client, server), (server, client)):
            try:
                data = a.bio_read(65536)
            except SSL.WantReadError:
                continue
            b.bio_write(data)


def _seconds(pair: Pair, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        _handshake(*pair)
    return time.perf_counter() - start


def _variants(chain: bytes, key: bytes, ca: bytes) -> dict[str, Pair]:
    from fipscrypto import tls

    server = tls.server_context(chain, key)
    client = tls.client_context(ca=ca)
    # The same contexts with pyOpenSSL's own Connection and the host name set by hand: what the
    # contexts cost (settings, verify callback with the certificate policy checks) without the record.
    bare_client = tls.client_context(ca=ca, check_hostname=False)
    return {
        "pyOpenSSL by hand": _by_hand(chain, key, ca),
        "fipscrypto contexts": _plain_connections(bare_client, server),
        "fipscrypto full": (
            lambda sock=None: tls.client_connection(client, "localhost", sock),
            lambda sock=None: tls.server_connection(server, sock),
        ),
    }


def _connected(pair: Pair) -> tuple[Any, Any]:
    """A (client, server) over a socketpair, both endpoints in this thread, the handshake done; the
    sockets blocking afterwards."""
    import socket

    from OpenSSL import SSL

    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    client, server = pair[0](a), pair[1](b)
    pending = [client, server]
    while pending:
        for conn in list(pending):
            try:
                conn.do_handshake()
                pending.remove(conn)
            except SSL.WantReadError:
                pass
    a.setblocking(True)
    b.setblocking(True)
    return client, server


def _bulk_seconds(ends: tuple[Any, Any], count: int, data: bytes) -> float:
    """``count`` writes of ``data`` by the client (``sendall``), each read by the server (``recv``)."""
    sender, receiver = ends
    size = len(data)
    start = time.perf_counter()
    for _ in range(count):
        sender.sendall(data)
        got = len(receiver.recv(65536))
        while got < size:  # one record per write, read at once unless the kernel splits it
            got += len(receiver.recv(65536))
    return time.perf_counter() - start


def _bulk(variants: dict[str, Pair]) -> dict[str, float]:
    """Application data in WRITE-byte writes over a socketpair: fipscrypto's ``tls.Connection`` against
    pyOpenSSL's own ``SSL.Connection`` on the contexts configured by hand, interleaved."""
    from fipscrypto import tls

    names = ("pyOpenSSL by hand", "fipscrypto full")
    ends = {name: _connected(variants[name]) for name in names}
    got = tls.negotiated(ends["fipscrypto full"][0])
    plain = ends["pyOpenSSL by hand"][0]
    assert (got.version, got.suite) == (plain.get_protocol_version_name(), plain.get_cipher_name())
    data = b"\x5a" * WRITE
    for pair in ends.values():  # warm-up
        _bulk_seconds(pair, BULK_PER_SLICE, data)
    times: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(BULK_ROUNDS):
        spent = dict.fromkeys(names, 0.0)
        for _ in range(SLICES):
            for name in names:
                spent[name] += _bulk_seconds(ends[name], BULK_PER_SLICE, data)
        for name in names:
            times[name].append(spent[name] / (SLICES * BULK_PER_SLICE))
    base, ours = times["pyOpenSSL by hand"], times["fipscrypto full"]
    return {
        "pyOpenSSL by hand: MB/s": WRITE / statistics.median(base) / 1e6,
        "fipscrypto full: MB/s": WRITE / statistics.median(ours) / 1e6,
        "fipscrypto full / by hand": statistics.median(b / o for b, o in zip(base, ours, strict=True)),
    }


def main() -> dict[str, float]:
    fipscrypto.activate()
    logging.getLogger("fipscrypto.audit").setLevel(logging.WARNING)  # as a service would run it
    from fipscrypto import tls

    chain, key, ca = _pki()
    variants = _variants(chain, key, ca)
    # The full path negotiates what the benchmark claims: TLS 1.3, P-256, ECDSA P-256.
    probe = variants["fipscrypto full"][0](), variants["fipscrypto full"][1]()
    _handshake(lambda: probe[0], lambda: probe[1])
    got = tls.negotiated(probe[0])
    assert (got.version, got.group, got.signature_algorithm) == (
        "TLSv1.3",
        "secp256r1",
        "ecdsa_secp256r1_sha256",
    )
    for pair in variants.values():  # warm-up
        for _ in range(20):
            _handshake(*pair)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(ROUNDS):
        spent = dict.fromkeys(variants, 0.0)
        for _ in range(SLICES):
            for name, pair in variants.items():
                spent[name] += _seconds(pair, PER_SLICE)
        for name in variants:
            times[name].append(spent[name] / (SLICES * PER_SLICE))
    base = times["pyOpenSSL by hand"]
    result: dict[str, float] = {}
    for name, per in times.items():
        result[f"{name}: handshakes/s"] = 1 / statistics.median(per)
    for name in ("fipscrypto contexts", "fipscrypto full"):
        result[f"{name} / by hand"] = statistics.median(b / o for b, o in zip(base, times[name], strict=True))
    print("TLS 1.3 full handshakes, P-256, ECDSA P-256 certificate (client and server in one thread,")
    print(f"memory BIOs; median of {ROUNDS} interleaved rounds of {SLICES * PER_SLICE} each)")
    for label, value in result.items():
        print(f"  {label:42} {value:8.3f}" if "/ by hand" in label else f"  {label:42} {value:8.1f}")
    bulk = _bulk(variants)
    print(f"TLS 1.3 application data, {WRITE}-byte writes (sendall, recv), socketpair, both ends in one")
    print(f"thread; median of {BULK_ROUNDS} interleaved rounds of {SLICES * BULK_PER_SLICE} writes")
    for label, value in bulk.items():
        print(f"  {label:42} {value:8.3f}" if "/ by hand" in label else f"  {label:42} {value:8.1f}")
    result.update({f"bulk {label}": value for label, value in bulk.items()})
    return result


if __name__ == "__main__":
    main()
