"""TLS 1.2+ for signalling (SIP over TLS, WebRTC signalling, HTTPS, LDAP), restricted to the policy.

    from fipscrypto import tls

    server = tls.server_context("server.pem", "server.key")
    client = tls.client_context(ca="ca.pem")
    conn = tls.client_connection(client, "sip.example.org", sock)
    conn.do_handshake()
    conn.parameters            # TLSParameters: version, suite, group, signature scheme, peer, EMS

The pyOpenSSL contexts run inside the FIPS boundary (cryptography's OpenSSL with the FIPS provider);
the stdlib ones (:func:`stdlib_server_context`, :func:`stdlib_client_context`) run on the system
OpenSSL, outside it. User guide: docs/tls.md.

Modules: ``settings`` (policy -> what an endpoint offers), ``rules`` (the endpoint's and the active
policy), ``certs`` (loading, chain checks), ``openssl`` (settings -> pyOpenSSL context), ``hooks``
(the handshake callbacks), ``contexts`` (the builders), ``outcome`` (the record, indicator and
audit), ``stdlib``, ``aio`` (asyncio streams).
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

# The backend first: it boots the module (the FIPS provider configuration) before pyOpenSSL, imported
# below, loads cryptography's OpenSSL.
from .. import _backend  # noqa: F401  # isort: skip
from .certs import CertificateSummary, ChainChecker, Role, load_chain, load_private_key
from .contexts import (
    Connection,
    client_connection,
    client_context,
    handshake,
    server_connection,
    server_context,
)
from .outcome import pyopenssl_negotiated
from .params import TLSParameters
from .rules import PolicyRef
from .settings import EndpointSettings, endpoint_settings
from .stdlib import negotiated_stdlib, stdlib_client_context, stdlib_server_context

if TYPE_CHECKING:
    from OpenSSL import SSL

__all__ = [
    "CertificateSummary",
    "ChainChecker",
    "Connection",
    "EndpointSettings",
    "PolicyRef",
    "TLSParameters",
    "client_connection",
    "client_context",
    "endpoint_settings",
    "handshake",
    "load_chain",
    "load_private_key",
    "negotiated",
    "server_connection",
    "server_context",
    "stdlib_client_context",
    "stdlib_server_context",
]


def negotiated(
    connection: SSL.Connection | ssl.SSLSocket | ssl.SSLObject, *, role: Role | None = None
) -> TLSParameters:
    """What a completed handshake negotiated, checked against the policy and audited (once).

    ``connection``: a pyOpenSSL Connection, or a stdlib SSLSocket/SSLObject. ``role`` is needed only for
    a pyOpenSSL connection whose context fipscrypto did not build. Raises HandshakeRejected or a
    CertificateRejected subclass when the peer broke the policy, InvalidParameter before the handshake.
    """
    if isinstance(connection, ssl.SSLSocket | ssl.SSLObject):
        return negotiated_stdlib(connection)
    return pyopenssl_negotiated(connection, role)
