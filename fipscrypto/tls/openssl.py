"""Endpoint settings -> a pyOpenSSL context (TLS now, DTLS in the DTLS-SRTP phase).

Every setting is made on the context itself, so a context built for a policy other than the active one
offers what its policy allows; the process-wide ``system_default`` section (compiled from the active
policy at activation) is only the starting point OpenSSL gives every new context. pyOpenSSL has no
setter for groups and signature schemes: they go through its binding's ``SSL_CTX_set1_curves_list``
(the old name of ``SSL_CTX_set1_groups_list``, which takes every group name, hybrids included) and
``SSL_CTX_set1_sigalgs_list``.

Options (SSL_CTX_set_options(3)):

- ``NO_COMPRESSION``: TLS compression leaks secrets through length (CRIME); RFC 9325 (BCP 195),
  section "Compression": implementations SHOULD disable it.
- ``NO_RENEGOTIATION``: no TLS 1.2 renegotiation in either direction (RFC 9325, section
  "Renegotiation in TLS 1.2"); a signalling connection that needs new keys reconnects.
- ``CIPHER_SERVER_PREFERENCE``: the server's (the policy's) order decides, preferred items first.
- ``NO_TICKET`` and no server session cache unless ``session_tickets=True``: resumption would skip the
  certificate checks of the full handshake. TLS 1.3 servers still send OpenSSL's two NewSessionTicket
  messages (``SSL_CTX_set_num_tickets`` is not in pyOpenSSL's binding), but with no session cache they
  resume nothing.
"""

from __future__ import annotations

from OpenSSL import SSL
from OpenSSL._util import lib as _lib

from ..errors import AlgorithmUnavailable
from .settings import EndpointSettings

__all__ = ["apply", "new_context"]

_METHODS = {"tls": SSL.TLS_METHOD, "dtls": SSL.DTLS_METHOD}
_OPTIONS = SSL.OP_NO_COMPRESSION | _lib.SSL_OP_NO_RENEGOTIATION | SSL.OP_CIPHER_SERVER_PREFERENCE


def new_context(settings: EndpointSettings) -> SSL.Context:
    """A context of the settings' protocol, with the settings applied."""
    context = SSL.Context(_METHODS[settings.protocol])
    apply(context, settings)
    return context


def _check(result: int, what: str, value: str) -> None:
    if result != 1:
        raise AlgorithmUnavailable(f"OpenSSL refused the {what} {value!r} (a provider without them?)")


def apply(context: SSL.Context, settings: EndpointSettings) -> None:
    """Make the context offer and accept only what the settings allow."""
    context.set_min_proto_version(settings.min_version)
    context.set_max_proto_version(settings.max_version)
    if settings.tls12_suites:
        context.set_cipher_list(":".join(settings.tls12_suites).encode())
    if settings.protocol == "tls":
        context.set_tls13_ciphersuites(":".join(settings.tls13_suites).encode())
    groups = ":".join(settings.groups)
    _check(_lib.SSL_CTX_set1_curves_list(context._context, groups.encode()), "groups", groups)
    sigalgs = ":".join(settings.sigalgs)
    _check(_lib.SSL_CTX_set1_sigalgs_list(context._context, sigalgs.encode()), "signature schemes", sigalgs)
    options = _OPTIONS
    if not settings.session_tickets:
        options |= SSL.OP_NO_TICKET
    context.set_options(options)
    context.set_session_cache_mode(SSL.SESS_CACHE_SERVER if settings.session_tickets else SSL.SESS_CACHE_OFF)
