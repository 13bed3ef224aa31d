"""What runs inside a pyOpenSSL handshake: OpenSSL callbacks and the per-connection state they keep.

Installed on every fipscrypto context (TLS and DTLS alike):

- **verify** (``SSL_CTX_set_verify``): when OpenSSL has verified the peer's chain (depth 0), the policy
  checks of :class:`~fipscrypto.tls.certs.ChainChecker` on the whole chain; OpenSSL's own verification
  errors as typed errors; host name verification being on. A failure aborts the handshake with an
  alert; the error is kept with the connection and raised by :class:`~fipscrypto.tls.Connection`.

Installed on every server context:

- **client hello** (the servername callback, called once per ClientHello, after the server chose the
  version and before it sends anything): a server about to negotiate TLS 1.2 with a client that did
  not offer the extended master secret aborts with a handshake_failure alert (RFC 7627 §5.2). Whether
  the ClientHello carried the extension comes from the ClientHello itself: fipscrypto's server
  :class:`~fipscrypto.tls.Connection` keeps the bytes it reads before the handshake (``ConnectionState.
  hello``), and :func:`first_handshake_message` / :func:`hello_has_ems` parse them here, once, only
  when TLS 1.2 was chosen. pyOpenSSL's binding has neither ``SSL_CTX_set_client_hello_cb`` nor
  ``SSL_client_hello_get0_ext``, and ``SSL_get_extms_support`` answers -1 while a handshake runs.

Installed only with ``inspect_handshake=True``, because OpenSSL then makes a Python call per TLS
record for the life of the connection: about 7 % of a full handshake (bench/tls.py), and about a fifth
of a 200-byte request and response on memory BIOs (measured with a callback that returns at once):

- **message** (``SSL_CTX_set_msg_callback``): reads the hellos for the extended_master_secret
  extension (RFC 7627) and the signature scheme of CertificateVerify / ServerKeyExchange; a TLS 1.2
  client refuses a server without EMS in the verify callback, before its key exchange.

Libssl has no switch that requires EMS (openssl/openssl#19989). FIPS 140-3 IG D.Q has the TLS 1.2 KDF
use EMS. fipscrypto's clients, and its servers whose ClientHello could not be read whole (one split
across records or not yet arrived in a socket), are held to it right after the handshake, before any
application data (:func:`~fipscrypto.tls.negotiated`). Whatever the connection (a plain pyOpenSSL
``SSL.Connection`` on a fipscrypto context included), the FIPS provider's ``tls1-prf-ems-check``
option refuses the TLS 1.2 PRF without EMS (its own configuration).

The callbacks are raw cffi callbacks rather than pyOpenSSL's wrappers: the verify callback returns at
once for every certificate but the last (it reads the built chain from the store context then), and
errors stay with their connection instead of pyOpenSSL's per-context list.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from OpenSSL import SSL

from .._backend import pyopenssl as _ossl
from .._backend import x509 as _x509
from ..errors import (
    CertificateExpired,
    CertificateKeyRejected,
    CertificateNotCA,
    CertificateRejected,
    CertificateSignatureRejected,
    CertificateUntrusted,
    CertificateUsageRejected,
    FipsError,
    HandshakeRejected,
    HostnameMismatch,
)
from ..indicator import Operation
from ..module import on_error
from .certs import ChainChecker, Role, facts_of
from .params import TLSParameters
from .rules import PolicyRef
from .settings import EndpointSettings

__all__ = [
    "ConnectionState",
    "EndpointConfig",
    "client_hello_suites",
    "config_of",
    "first_handshake_message",
    "hello_has_ems",
    "install",
    "key_exchange_scheme",
    "state_of",
]

log = logging.getLogger("fipscrypto.tls")

# The versions with a master secret (RFC 7627): TLS 1.0-1.2, DTLS 1.0 and 1.2, on the wire.
_MASTER_SECRET_WIRE = (0x0301, 0x0302, 0x0303, 0xFEFF, 0xFEFD)
_EMS = 23  # extended_master_secret, RFC 7627 §5.1
# RFC 8446 §4.1.3: a ServerHello with this Random is a HelloRetryRequest.
_HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
_CLIENT_HELLO, _SERVER_HELLO, _SERVER_KEY_EXCHANGE, _CERTIFICATE_VERIFY = 1, 2, 12, 15
_WATCHED = frozenset({_CLIENT_HELLO, _SERVER_HELLO, _SERVER_KEY_EXCHANGE, _CERTIFICATE_VERIFY})
_HANDSHAKE = 22  # ContentType handshake
_ALERT_HANDSHAKE_FAILURE, _ALERT_INTERNAL_ERROR = 40, 80
# SSL_TLSEXT_ERR_NOACK: what OpenSSL assumes when a server has no servername callback.
_SSL_TLSEXT_ERR_ALERT_FATAL, _SSL_TLSEXT_ERR_NOACK = 2, 3


@dataclass(slots=True, eq=False)
class EndpointConfig:
    """What the callbacks know about a context (one per context)."""

    role: Role  # this endpoint's
    settings: EndpointSettings
    ref: PolicyRef
    checker: ChainChecker  # for the peer's chain (the checker's role is the peer's)
    check_hostname: bool
    local: tuple[_x509.CertificateFacts, ...]
    inspect: bool  # the message callback is installed
    peer_certificates: bool  # the peer may present a certificate (a client, or a server asking)
    alpn: bool
    # The trust anchors this context added to its store: X509 address -> DER. The store holds them as
    # long as the context lives, so a chain ending in one needs no encoding of it per handshake.
    anchors: dict[int, bytes]
    # The approved outcomes of this context's handshakes, by what decided them (see
    # fipscrypto.tls.outcome): a handshake of a shape seen before costs a lookup, not the checks.
    outcomes: dict[tuple[object, ...], Outcome] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outcome:
    """An approved handshake outcome, kept for the UTC day on which its verdicts were given, with what
    a handshake of its shape records: the indicator's operation and counter, the audit event's fields."""

    day: int
    parameters: TLSParameters
    audit_fields: dict[str, object]  # parameters.audit_fields(), never changed
    op: Operation  # (tls.handshake, the suite, approved)
    counter: Iterator[int]


@dataclass(slots=True, eq=False)
class ConnectionState:
    """What one connection's handshake showed; lives as long as the Connection (an attribute of it)."""

    config: EndpointConfig
    hostname: str | None = None
    client_ems: bool | None = None  # the ClientHello offered EMS (seen by a server, when inspecting)
    # A fipscrypto server Connection's first inbound bytes (TLS records holding the ClientHello), read
    # by the client-hello callback; None where nobody keeps them.
    hello: bytearray | None = None
    server_ems: bool | None = None  # the ServerHello confirmed EMS (seen by a client, when inspecting)
    peer_sigalg: int | None = None
    local_sigalg: int | None = None
    peer_chain: tuple[bytes, ...] | None = None  # DER, end entity first, checked in the handshake
    peer_approved: bool = True
    error: FipsError | None = None  # why the handshake was aborted
    parameters: TLSParameters | None = None


# A context holds its configuration as an attribute (pyOpenSSL's Context has a __dict__), and a
# connection its state likewise: a lookup per connection costs no weak reference. The weak mapping lists
# the configurations of the living contexts, for the ERROR sweep.
_configs: weakref.WeakKeyDictionary[SSL.Context, EndpointConfig] = weakref.WeakKeyDictionary()
_reverse: Callable[[Any], SSL.Connection | None] = _ossl.connection_of
_context_of = _ossl.context_of
_STATE = "_fipscrypto_tls_state"
_CONFIG = "_fipscrypto_tls_config"


def config_of(context: SSL.Context) -> EndpointConfig | None:
    config: EndpointConfig | None = context.__dict__.get(_CONFIG)
    return config


def _forget_outcomes() -> None:
    """Entering ERROR drops every kept outcome, as it revokes the services' standing grants: after a
    recovery, each handshake shape goes through every check again."""
    for config in list(_configs.values()):
        config.outcomes.clear()


on_error(_forget_outcomes)


def state_of(conn: SSL.Connection) -> ConnectionState | None:
    """The connection's state, created on first use; None when its context is not a fipscrypto one."""
    # From __dict__: a missing attribute would go through pyOpenSSL's Connection.__getattr__, which
    # raises AttributeError (the costly part of a miss).
    state: ConnectionState | None = conn.__dict__.get(_STATE)
    if state is None:
        config = _context_of(conn).__dict__.get(_CONFIG)
        if config is None:
            return None
        state = conn.__dict__[_STATE] = ConnectionState(config)
    return state


def _state_of_ssl(ssl: Any) -> ConnectionState | None:
    conn = _reverse(ssl)
    return state_of(conn) if conn is not None else None


# ------------------------------------------------------------------------------------------ parsing


def first_handshake_message(records: bytes) -> bytes | None:
    """The first handshake message (with its 4-byte header) in a stream of TLS records, reassembled: RFC
    5246 §6.2.1, "a single message MAY be fragmented across several records". None until all of it is
    there, or when the stream does not start with handshake records."""
    message = bytearray()
    p = 0
    while p + 5 <= len(records) and records[p] == _HANDSHAKE:
        end = p + 5 + int.from_bytes(records[p + 3 : p + 5], "big")
        message += records[p + 5 : end]
        p = end
        if len(message) >= 4:
            size = 4 + int.from_bytes(message[1:4], "big")
            if len(message) >= size:
                return bytes(message[:size])
    return None


def _suites_at(message: bytes) -> int:
    """Where cipher_suites starts in a ClientHello (RFC 8446 §4.1.2; RFC 5246 §7.4.1.2), or cipher_suite
    in a ServerHello: after the 4-byte header, legacy_version, random and legacy_session_id."""
    p = 4 + 2 + 32
    return p + 1 + message[p]


def client_hello_suites(message: bytes) -> list[bytes]:
    """The cipher suites a ClientHello (with its 4-byte header) offers, as 2-byte code points."""
    p = _suites_at(message)
    end = p + 2 + int.from_bytes(message[p : p + 2], "big")
    return [message[i : i + 2] for i in range(p + 2, end, 2)]


def hello_has_ems(message: bytes) -> bool | None:
    """Whether a ClientHello or ServerHello (with its 4-byte handshake header) carries the
    extended_master_secret extension; None for a HelloRetryRequest or a message too short to tell."""
    try:
        kind = message[0]
        if kind == _SERVER_HELLO and message[6:38] == _HRR_RANDOM:
            return None
        p = _suites_at(message)
        if kind == _CLIENT_HELLO:
            p += 2 + int.from_bytes(message[p : p + 2], "big")  # cipher_suites
            p += 1 + message[p]  # legacy_compression_methods
        else:
            p += 2 + 1  # cipher_suite, legacy_compression_method
        if p + 2 > len(message):
            return False  # no extensions at all
        end = min(len(message), p + 2 + int.from_bytes(message[p : p + 2], "big"))
        p += 2
        while p + 4 <= end:
            if int.from_bytes(message[p : p + 2], "big") == _EMS:
                return True
            p += 4 + int.from_bytes(message[p + 2 : p + 4], "big")
    except IndexError:
        return None
    return False


def key_exchange_scheme(message: bytes) -> int | None:
    """The SignatureScheme of a TLS 1.2 ServerKeyExchange (ECDHE, RFC 8422 §5.4; DHE, RFC 5246
    §7.4.3), or None. The two layouts are told apart by their lengths adding up."""
    body = message[4:]
    if len(body) > 4 and body[0] == 3:  # ECParameters.curve_type named_curve
        p = 3 + 1 + body[3]
        if p + 4 <= len(body) and p + 4 + int.from_bytes(body[p + 2 : p + 4], "big") == len(body):
            return int.from_bytes(body[p : p + 2], "big")
    p = 0
    for _ in range(3):  # dh_p, dh_g, dh_Ys
        p += 2 + int.from_bytes(body[p : p + 2], "big")
    if p + 4 <= len(body) and p + 4 + int.from_bytes(body[p + 2 : p + 4], "big") == len(body):
        return int.from_bytes(body[p : p + 2], "big")
    return None


# ------------------------------------------------------------------------------------- verification


def _current_der(store: Any) -> bytes:
    der = _ossl.store_current_certificate(store)
    if der is None:
        raise CertificateUntrusted("the peer's certificate cannot be encoded", "untrusted")
    return der


def _chain(store: Any, anchors: dict[int, bytes]) -> tuple[bytes, ...]:
    """The chain OpenSSL built and verified, end entity first, as DER."""
    chain = _ossl.store_chain(store, anchors)
    if chain is None:
        raise CertificateUntrusted("the peer's certificate cannot be encoded", "untrusted")
    return chain


# X509_V_ERR_* (openssl/x509_vfy.h) -> (error class, reason)
_X509_ERRORS: dict[int, tuple[type[CertificateRejected], str]] = {
    9: (CertificateExpired, "not-yet-valid"),
    10: (CertificateExpired, "expired"),
    24: (CertificateNotCA, "not-ca"),
    25: (CertificateNotCA, "path-length"),
    26: (CertificateUsageRejected, "extended-key-usage"),
    32: (CertificateNotCA, "not-ca"),  # KEYUSAGE_NO_CERTSIGN
    62: (HostnameMismatch, "hostname-mismatch"),
    64: (HostnameMismatch, "hostname-mismatch"),  # IP_ADDRESS_MISMATCH
    66: (CertificateKeyRejected, "key-too-small"),  # EE_KEY_TOO_SMALL
    67: (CertificateKeyRejected, "key-too-small"),  # CA_KEY_TOO_SMALL
    68: (CertificateSignatureRejected, "signature-not-allowed"),  # CA_MD_TOO_WEAK
}
# Our reason -> the X509_V_ERR that picks OpenSSL's alert (ssl_x509err2alert): certificate_expired,
# bad_certificate, unsupported_certificate, unknown_ca, handshake_failure (RFC 8446 §6.2).
_ALERT_ERRORS = {
    "expired": 10,
    "not-yet-valid": 9,
    "key-too-small": 28,
    "key-not-allowed": 28,
    "signature-not-allowed": 28,
    "key-usage": 26,
    "extended-key-usage": 26,
    "not-ca": 24,
    "path-length": 25,
    "hostname-mismatch": 62,
}
_X509_V_ERR_APPLICATION_VERIFICATION = 50


def _openssl_error(errno: int, depth: int, facts: _x509.CertificateFacts) -> CertificateRejected:
    text = _ossl.verify_error_text(errno)
    kind, reason = _X509_ERRORS.get(errno, (CertificateUntrusted, "untrusted"))
    return kind(
        f"the peer's certificate at depth {depth} ({facts.subject}) failed verification: {text} "
        f"(X509_V_ERR {errno})",
        reason,
        subject=facts.subject,
        depth=depth,
    )


def _check_verified(state: ConnectionState, store: Any, ssl: Any) -> None:
    """Depth 0, after OpenSSL verified the whole chain: the policy, EMS, host name verification."""
    config = state.config
    if (
        config.inspect
        and config.role == "client"
        and not state.server_ems
        and _ossl.ssl_version(ssl) in _MASTER_SECRET_WIRE
    ):
        raise HandshakeRejected(
            "the server negotiated TLS 1.2 without the extended master secret (RFC 7627); the TLS 1.2 "
            "key derivation must use it (FIPS 140-3 IG D.Q)",
            "no-extended-master-secret",
        )
    chain = _chain(store, config.anchors)
    if not chain:
        raise CertificateUntrusted("OpenSSL verified no certificate chain", "untrusted")
    state.peer_approved = config.checker.check_ders(chain)
    state.peer_chain = chain
    if config.check_hostname and state.hostname is None:
        raise HostnameMismatch(
            "host name verification is on but no server host name was given: make the connection with "
            "fipscrypto.tls.client_connection(context, hostname)",
            "hostname-mismatch",
            subject=facts_of(chain[0]).subject if chain else None,
            depth=0,
        )


def _on_verify(ok: int, store: Any) -> int:
    depth = _ossl.store_error_depth(store)
    if ok and depth:
        return 1  # the whole chain is checked at depth 0, the last call
    state = None
    try:
        ssl = _ossl.ssl_of_store(store)
        state = _state_of_ssl(ssl)
        if state is None:
            return ok
        if state.error is not None:
            return 0
        if ok:
            _check_verified(state, store, ssl)
            return 1
        errno = _ossl.store_error(store)
        facts = facts_of(_current_der(store))
        state.config.checker.check_one(facts, depth)  # the policy's own reason, when there is one
        error: FipsError = _openssl_error(errno, depth, facts)
    except FipsError as exc:
        error = exc
    except Exception as exc:  # fail closed, never across OpenSSL's stack frames
        log.exception("fipscrypto.tls: verify callback failed")
        error = CertificateUntrusted(f"the certificate check failed: {exc!r}", "untrusted")
    if state is not None:
        state.error = error
    reason = getattr(error, "reason", "")
    _ossl.store_set_error(store, _ALERT_ERRORS.get(reason, _X509_V_ERR_APPLICATION_VERIFICATION))
    return 0


# -------------------------------------------------------------------------------- client hello


def _client_offered_ems(state: ConnectionState) -> bool | None:
    """Whether the ClientHello carried extended_master_secret; None when nobody kept it."""
    if state.client_ems is not None:  # read by the message callback (inspect_handshake)
        return state.client_ems
    if state.hello is None:
        return None
    message = first_handshake_message(bytes(state.hello))
    return hello_has_ems(message) if message is not None and message[0] == _CLIENT_HELLO else None


def _on_client_hello(ssl: Any, alert: Any, arg: Any) -> int:
    # RFC 7627 §5.2: "If the server receives a ClientHello without the extension, it SHOULD abort the
    # handshake if it does not wish to interoperate with legacy clients", where "abort the handshake"
    # means "sending a fatal 'handshake_failure' alert". TLS 1.3 has no master secret to protect: its
    # key schedule always covers the transcript (RFC 8446 Appendix D), so only TLS 1.2 is held to it.
    try:
        if _ossl.ssl_version(ssl) not in _MASTER_SECRET_WIRE:
            return _SSL_TLSEXT_ERR_NOACK
        state = _state_of_ssl(ssl)
        if state is None or _client_offered_ems(state) is not False:
            return _SSL_TLSEXT_ERR_NOACK  # offered, or unknown: held to it after the handshake
        state.error = HandshakeRejected(
            "the client offered TLS 1.2 without the extended master secret (RFC 7627); the TLS 1.2 key "
            "derivation must use it (FIPS 140-3 IG D.Q)",
            "no-extended-master-secret",
        )
        alert[0] = _ALERT_HANDSHAKE_FAILURE
    except Exception:
        log.exception("fipscrypto.tls: client-hello callback failed")
        alert[0] = _ALERT_INTERNAL_ERROR  # fail closed
    return _SSL_TLSEXT_ERR_ALERT_FATAL


# ---------------------------------------------------------------------------- inspect_handshake only


def _on_message(
    write_p: int, version: int, content_type: int, buf: Any, length: int, ssl: Any, arg: Any
) -> None:
    if content_type != _HANDSHAKE or length < 6:
        return
    kind = _ossl.first_byte(buf)
    if kind not in _WATCHED:
        return
    try:
        state = _state_of_ssl(ssl)
        if state is None:
            return
        message = _ossl.buffer_bytes(buf, length)
        if kind == _CERTIFICATE_VERIFY:
            scheme: int | None = int.from_bytes(message[4:6], "big")
        elif kind == _SERVER_KEY_EXCHANGE:
            scheme = key_exchange_scheme(message)
        else:
            if not write_p:
                ems = hello_has_ems(message)
                if kind == _CLIENT_HELLO:
                    state.client_ems = ems
                elif ems is not None:
                    state.server_ems = ems
            return
        if write_p:
            state.local_sigalg = scheme
        else:
            state.peer_sigalg = scheme
    except Exception:  # never let an exception cross OpenSSL's stack frames
        log.exception("fipscrypto.tls: message callback failed")


_VERIFY_CALLBACK = _ossl.verify_callback(_on_verify)
_MESSAGE_CALLBACK = _ossl.message_callback(_on_message)
_CLIENT_HELLO_CALLBACK = _ossl.servername_callback(_on_client_hello)


def install(context: SSL.Context, config: EndpointConfig, verify_mode: int) -> None:
    """Register the context's configuration and install the callbacks (before its first connection).
    Calling pyOpenSSL's ``set_verify`` or ``set_tlsext_servername_callback`` afterwards replaces them."""
    _configs[context] = context.__dict__[_CONFIG] = config
    _ossl.install_verify_callback(context, verify_mode, _VERIFY_CALLBACK)
    if config.role == "server":
        _ossl.install_servername_callback(context, _CLIENT_HELLO_CALLBACK)
    if config.inspect:
        _ossl.install_message_callback(context, _MESSAGE_CALLBACK)
