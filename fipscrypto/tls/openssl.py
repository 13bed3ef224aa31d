"""Endpoint settings -> a pyOpenSSL context, TLS or DTLS.

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

:func:`capability` asks this OpenSSL which suites it can negotiate at all, so that an endpoint offers
only those (the policy compiler intersects; ``fipscheck provider install`` records the answer for the
process-wide section).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Sequence

from OpenSSL import SSL

from .._backend import openssl_version
from .._backend import pyopenssl as _ossl
from ..errors import AlgorithmUnavailable
from ..policy.compile import Negotiable
from ..policy.vocabulary import categories
from .hooks import client_hello_suites, first_handshake_message
from .names import WIRE_VERSIONS
from .settings import EndpointSettings

__all__ = ["apply", "capability", "new_context"]

_METHODS = {"tls": SSL.TLS_METHOD, "dtls": SSL.DTLS_METHOD}
_OPTIONS = SSL.OP_NO_COMPRESSION | _ossl.OP_NO_RENEGOTIATION | SSL.OP_CIPHER_SERVER_PREFERENCE


def new_context(settings: EndpointSettings) -> SSL.Context:
    """A context of the settings' protocol, with the settings applied."""
    context = SSL.Context(_METHODS[settings.protocol])
    apply(context, settings)
    return context


def _check(accepted: bool, what: str, value: str) -> None:
    if not accepted:
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
    _check(_ossl.set_groups(context, groups), "groups", groups)
    sigalgs = ":".join(settings.sigalgs)
    _check(_ossl.set_sigalgs(context, sigalgs), "signature schemes", sigalgs)
    options = _OPTIONS
    if not settings.session_tickets:
        options |= SSL.OP_NO_TICKET
    context.set_options(options)
    context.set_session_cache_mode(SSL.SESS_CACHE_SERVER if settings.session_tickets else SSL.SESS_CACHE_OFF)


@functools.cache
def capability() -> Negotiable:
    """Which of the vocabulary's TLS 1.2 and 1.3 suites and (D)TLS versions this OpenSSL (cryptography's,
    with the loaded providers, at its default security level) can negotiate, as OpenSSL itself answers:
    the suites a client offering all of them puts into its ClientHello, and the versions for which a
    client limited to that one version makes a ClientHello at all. OpenSSL leaves out a suite that its
    security level rules out (it rates each suite's strength in bits) or that no loaded provider
    implements; it makes no ClientHello for a version its security level rules out (TLS 1.0 and 1.1 at
    level 1 and up) or whose handshake needs a digest no loaded provider has (their MD5‖SHA-1). The
    same client at security level 0 tells the causes apart. Asked once per process."""
    vocab = categories()
    tls12 = tuple(vocab["tls12-suite"].openssl_name(n) for n in vocab["tls12-suite"].names)
    tls13 = vocab["tls13-suite"].names
    # Every signature scheme this OpenSSL takes, so that no suite is left out for want of one.
    scratch = SSL.Context(SSL.TLS_METHOD)
    sigalgs = tuple(
        name
        for name in (vocab["tls-sigalg"].openssl_name(n) for n in vocab["tls-sigalg"].names)
        if _ossl.set_sigalgs(scratch, name)
    )
    offered = _offered(tls12, tls13, sigalgs, b"")
    without_level = _offered(tls12, tls13, sigalgs, b":@SECLEVEL=0")
    version = openssl_version()
    refused = tuple(
        (
            name,
            f"{version} rates it at {without_level[name]} bits of security, below its security level"
            if name in without_level
            else f"{version} does not offer it, even at security level 0",
        )
        for name in (*tls12, *tls13)
        if name not in offered
    )
    versions = []
    for name, wire in WIRE_VERSIONS.items():
        why = _no_hello(wire, tls12, tls13, sigalgs, b"")
        if why is None:
            versions.append(name)
            continue
        below = _no_hello(wire, tls12, tls13, sigalgs, b":@SECLEVEL=0")
        at_zero = "it would at security level 0" if below is None else f"at security level 0: {below}"
        refused += ((name, f"{version} makes no ClientHello for it: {why}; {at_zero}"),)
    return Negotiable(version, frozenset(offered), refused, frozenset(versions))


def _no_hello(
    wire: int, tls12: Sequence[str], tls13: Sequence[str], sigalgs: Sequence[str], level: bytes
) -> str | None:
    """None when a client limited to the version ``wire``, offering every suite, makes a ClientHello;
    else OpenSSL's reason."""
    context = SSL.Context(SSL.DTLS_METHOD if wire >= 0xFE00 else SSL.TLS_METHOD)
    try:
        context.set_min_proto_version(wire)
        context.set_max_proto_version(wire)
        context.set_cipher_list(":".join(tls12).encode() + level)
        context.set_tls13_ciphersuites(":".join(tls13).encode())
        _ossl.set_sigalgs(context, ":".join(sigalgs))
        conn = SSL.Connection(context)
        conn.set_connect_state()
        with contextlib.suppress(SSL.WantReadError):
            conn.do_handshake()
    except SSL.Error as exc:
        reasons = [str(part[2]) for part in exc.args[0] if len(part) > 2] if exc.args else []
        return "; ".join(reasons) or "the version is unknown to it"
    return None if conn.bio_read(2**16) else "no bytes were written"


def _offered(
    tls12: Sequence[str], tls13: Sequence[str], sigalgs: Sequence[str], level: bytes
) -> dict[str, int]:
    """Suite -> OpenSSL's strength in bits, for each suite in the ClientHello of a client that offers
    ``tls12`` and ``tls13`` (``level``: a cipher-string suffix setting the security level)."""
    context = SSL.Context(SSL.TLS_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.set_max_proto_version(SSL.TLS1_3_VERSION)
    context.set_cipher_list(":".join(tls12).encode() + level)
    context.set_tls13_ciphersuites(":".join(tls13).encode())
    joined = ":".join(sigalgs)
    _check(_ossl.set_sigalgs(context, joined), "signature schemes", joined)
    conn = SSL.Connection(context)
    conn.set_connect_state()
    with contextlib.suppress(SSL.WantReadError):
        conn.do_handshake()
    hello = first_handshake_message(conn.bio_read(2**16))
    if hello is None:
        raise AlgorithmUnavailable("OpenSSL made no ClientHello: it can offer no suite at all")
    found = {}
    for point in client_hello_suites(hello):
        known = _ossl.cipher_strength(conn, point)
        if known is not None:
            found[known[0]] = known[1]
    return found
