"""DTLS-SRTP handshakes per second: fipscrypto.srtp.DtlsSrtp against pyOpenSSL by hand, in one process.

One handshake: two endpoints made (a context each, as a WebRTC peer connection makes them), DTLS 1.2
between them over memory BIOs in this thread, SRTP keying material exported on both sides. ECDSA P-256
self-signed certificates pinned by SHA-256 fingerprint; the server does no cookie exchange (WebRTC
endpoints behind ICE skip it) unless the row says so.

- **pyOpenSSL by hand**: ``SSL.Context(DTLS_METHOD)`` per endpoint, as aiortc makes one per
  peer connection, with the policy's DTLS settings by pyOpenSSL's setters and binding (versions,
  suites, groups, signature schemes, options), ``set_tlsext_use_srtp``, a ``set_verify`` callback
  comparing the peer's SHA-256 fingerprint, ``export_keying_material``: what a careful caller writes
  without fipscrypto.
- **pyOpenSSL by hand, shared**: the same with one context per certificate, made once, the pin kept
  with each connection.
- **fipscrypto**: ``DtlsSrtp`` (``datagrams_to_send``/``receive``; it shares a context among the
  endpoints of one certificate given as bytes): the same, plus the policy checks of the profiles, of
  both certificates and of the outcome, the service indicator and the audit event.

ROUNDS rounds, each interleaved in SLICES alternating slices; a ratio is the median of the per-round
ratios.
"""

from __future__ import annotations

import hmac
import statistics
import time
from collections.abc import Callable
from typing import Any

from tls import pump

import fipscrypto

ROUNDS = 7
SLICES = 4
PER_SLICE = 8
DTLS1_2 = 0xFEFD  # DTLS1_2_VERSION: pyOpenSSL names no DTLS version constant
PROFILE = b"SRTP_AEAD_AES_256_GCM:SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32"


def _by_hand(client_cert: Any, server_cert: Any, *, shared: bool) -> Callable[[], bytes]:
    """A handshake between two pyOpenSSL endpoints set up by hand; returns the client's keys.
    ``shared``: one context per certificate, the peer's pin kept with each connection."""
    import hashlib

    from OpenSSL import SSL, crypto
    from OpenSSL._util import lib

    from fipscrypto import policy
    from fipscrypto.policy.compile import tls_settings
    from fipscrypto.tls.openssl import capability

    wanted = tls_settings(policy.current(), negotiable=capability())
    groups = b"P-256:P-384:P-521:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192"
    sigalgs = ":".join(wanted.sigalgs).encode()
    loaded = {
        id(c): (
            crypto.load_certificate(crypto.FILETYPE_PEM, c.certificate),
            crypto.load_privatekey(crypto.FILETYPE_PEM, c.private_key),
        )
        for c in (client_cert, server_cert)
    }

    def context(own: Any, peer: Any) -> SSL.Context:
        ctx = SSL.Context(SSL.DTLS_METHOD)
        ctx.set_min_proto_version(DTLS1_2)
        ctx.set_max_proto_version(DTLS1_2)
        ctx.set_cipher_list(":".join(wanted.tls12_suites).encode())
        lib.SSL_CTX_set1_curves_list(ctx._context, groups)
        lib.SSL_CTX_set1_sigalgs_list(ctx._context, sigalgs)
        ctx.set_options(
            SSL.OP_NO_COMPRESSION
            | lib.SSL_OP_NO_RENEGOTIATION
            | SSL.OP_CIPHER_SERVER_PREFERENCE
            | SSL.OP_NO_TICKET
        )
        ctx.set_session_cache_mode(SSL.SESS_CACHE_OFF)
        cert, key = loaded[id(own)]
        ctx.use_certificate(cert)
        ctx.use_privatekey(key)
        ctx.set_tlsext_use_srtp(PROFILE)

        def verify(conn: Any, x509: Any, errno: int, depth: int, ok: int) -> bool:
            if depth:
                return True
            der = crypto.dump_certificate(crypto.FILETYPE_ASN1, x509)
            return hmac.compare_digest(hashlib.sha256(der).digest(), conn.pin)

        ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, verify)
        return ctx

    kept = {"client": context(client_cert, server_cert), "server": context(server_cert, client_cert)}

    def once() -> bytes:
        if shared:
            client, server = SSL.Connection(kept["client"], None), SSL.Connection(kept["server"], None)
        else:
            client = SSL.Connection(context(client_cert, server_cert), None)
            server = SSL.Connection(context(server_cert, client_cert), None)
        client.pin = server_cert.fingerprint.value  # type: ignore[attr-defined]
        server.pin = client_cert.fingerprint.value  # type: ignore[attr-defined]
        client.set_connect_state()
        server.set_accept_state()
        pump(client, server)
        assert client.get_selected_srtp_profile() == b"SRTP_AEAD_AES_256_GCM"
        material: bytes = client.export_keying_material(b"EXTRACTOR-dtls_srtp", 88)
        server.export_keying_material(b"EXTRACTOR-dtls_srtp", 88)
        return material[:32]  # the client's write key (RFC 5764 §4.2)

    return once


def _ours(client_cert: Any, server_cert: Any, *, cookies: bool) -> Callable[[], bytes]:
    from fipscrypto import srtp

    def once() -> bytes:
        client = srtp.DtlsSrtp(
            "client",
            certificate=client_cert.certificate,
            private_key=client_cert.private_key,
            remote_fingerprint=server_cert.fingerprint,
        )
        server = srtp.DtlsSrtp(
            "server",
            certificate=server_cert.certificate,
            private_key=server_cert.private_key,
            remote_fingerprint=client_cert.fingerprint,
            cookies=cookies,
        )
        while not (client.handshake_complete and server.handshake_complete):
            for datagram in client.datagrams_to_send():
                server.receive(datagram, ("192.0.2.1", 5004))
            for datagram in server.datagrams_to_send():
                client.receive(datagram)
        server.keying_material()
        return client.keying_material().local_key

    return once


def _seconds(once: Callable[[], bytes], count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        once()
    return time.perf_counter() - start


def main() -> dict[str, dict[str, float]]:
    fipscrypto.activate()
    from fipscrypto import srtp

    client_cert, server_cert = srtp.generate_certificate(), srtp.generate_certificate()
    variants = {
        "pyOpenSSL by hand": _by_hand(client_cert, server_cert, shared=False),
        "pyOpenSSL by hand, shared": _by_hand(client_cert, server_cert, shared=True),
        "fipscrypto": _ours(client_cert, server_cert, cookies=False),
        "fipscrypto, cookie exchange": _ours(client_cert, server_cert, cookies=True),
    }
    for once in variants.values():  # warm-up, and each variant completes its handshake
        assert len(once()) == 32
    base = "pyOpenSSL by hand"
    times: dict[str, list[float]] = {name: [] for name in variants}
    ratios: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(ROUNDS):
        spent = dict.fromkeys(variants, 0.0)
        for _ in range(SLICES):
            for name, once in variants.items():
                spent[name] += _seconds(once, PER_SLICE)
        per = {name: spent[name] / (SLICES * PER_SLICE) for name in variants}
        for name in variants:
            times[name].append(per[name])
            ratios[name].append(per[name] / per[base])
    results = {
        name: {
            "ms": statistics.median(times[name]) * 1e3,
            "per_second": 1 / statistics.median(times[name]),
            "ratio": statistics.median(ratios[name]),
        }
        for name in variants
    }
    print(f"DTLS-SRTP handshakes (both endpoints, memory BIOs), median of {ROUNDS} interleaved rounds")
    for name, r in results.items():
        print(
            f"  {name:28} {r['ms']:7.2f} ms  {r['per_second']:7.1f}/s  x{r['ratio']:.2f} of pyOpenSSL by hand"
        )
    return results


if __name__ == "__main__":
    main()
