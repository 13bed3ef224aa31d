"""The certificate chain of a server that speaks only TLS 1.3, where it is encrypted: one handshake
through pyOpenSSL, without verification (the chain is judged by the policy, not trusted) and at
security level 0 (a weak key must be seen, not refused). It runs on this process's OpenSSL, so a
server whose only groups or suites the FIPS provider cannot run gives no chain."""

from __future__ import annotations

import select
import socket
import time

from OpenSSL import SSL, crypto

__all__ = ["fetch_chain"]


def fetch_chain(host: str, port: int, server_name: str | None, timeout: float) -> tuple[bytes, ...]:
    """The chain the server sends (DER, leaf first). OSError when no handshake completes."""
    context = SSL.Context(SSL.TLS_METHOD)
    context.set_min_proto_version(SSL.TLS1_3_VERSION)
    context.set_cipher_list(b"ALL:@SECLEVEL=0")
    context.set_verify(SSL.VERIFY_NONE)
    with socket.create_connection((host, port), timeout) as sock:
        conn = SSL.Connection(context, sock)
        if server_name:
            conn.set_tlsext_host_name(server_name.encode("idna"))
        conn.set_connect_state()
        deadline = time.monotonic() + timeout
        while True:  # the socket has a timeout, so OpenSSL sees it non-blocking
            try:
                conn.do_handshake()
                break
            except SSL.WantReadError:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([sock], [], [], left)[0]:
                    raise OSError("no answer to the handshake in time") from None
            except SSL.Error as exc:
                raise OSError(f"handshake failed: {exc}") from None
        chain = conn.get_peer_cert_chain(as_cryptography=False) or []
        return tuple(crypto.dump_certificate(crypto.FILETYPE_ASN1, cert) for cert in chain)
