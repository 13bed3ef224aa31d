"""pyOpenSSL's private API behind one small, typed surface: the only module that touches it.

pyOpenSSL has no public setter for groups or signature schemes, no host-name verification switch, no
raw OpenSSL callbacks and no view of a verification in progress, so :mod:`fipscrypto.tls` reaches
through pyOpenSSL to OpenSSL itself: the cffi binding (``OpenSSL._util.lib`` and ``ffi``) and the
pointers pyOpenSSL keeps in its objects (``Context._context``, ``Connection._ssl``, ``X509._x509``).
None of that is pyOpenSSL's public API and any release may move it. Everything used is listed in
:data:`PRIVATE_SYMBOLS`; :func:`missing_symbols` checks the installed pyOpenSSL against that list
(tests/test_tls_backend.py runs it, so an upgrade that drops one fails naming it), and importing this
module fails with :class:`~fipscrypto.errors.AlgorithmUnavailable` naming any binding function that
is absent.

The functions of the binding that run inside a handshake are exported as the binding's own callables
(no Python frame of ours in between); pointers are opaque (:data:`Pointer`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from OpenSSL import SSL, crypto
from OpenSSL._util import ffi as _ffi
from OpenSSL._util import lib as _lib

from ..errors import AlgorithmUnavailable

__all__ = [
    "OP_NO_RENEGOTIATION",
    "PRIVATE_SYMBOLS",
    "Pointer",
    "buffer_bytes",
    "cipher_strength",
    "connection_of",
    "context_of",
    "extended_master_secret",
    "first_byte",
    "handshake_step",
    "install_message_callback",
    "install_servername_callback",
    "install_verify_callback",
    "message_callback",
    "missing_symbols",
    "outcome_key",
    "raise_ssl_error",
    "servername_callback",
    "session_reused",
    "set_dtls_mtu",
    "set_groups",
    "set_sigalgs",
    "set_verify_host",
    "set_verify_ip",
    "socket_of",
    "ssl_of",
    "ssl_of_store",
    "ssl_version",
    "store_chain",
    "store_current_certificate",
    "store_error",
    "store_error_depth",
    "store_set_error",
    "verify_callback",
    "verify_error_text",
    "x509_address",
]

Pointer = Any  # an OpenSSL pointer (SSL *, X509_STORE_CTX *, X509 *) as cffi hands it over

# Every private symbol used below, as data: "lib.NAME" (a function or constant of the binding),
# "ffi.NAME" (a cffi method), "CLASS.ATTRIBUTE" (an attribute pyOpenSSL keeps, class- or instance-level).
PRIVATE_SYMBOLS: Final[tuple[str, ...]] = (
    # contexts: groups, signature schemes, callbacks
    "lib.SSL_CTX_set1_curves_list",
    "lib.SSL_CTX_set1_sigalgs_list",
    "lib.SSL_CTX_set_verify",
    "lib.SSL_CTX_set_tlsext_servername_callback",
    "lib.SSL_CTX_set_msg_callback",
    "lib.SSL_OP_NO_RENEGOTIATION",
    # connections: the handshake step, host-name verification, suites, outcome
    "lib.SSL_do_handshake",
    "lib.SSL_get0_param",
    "lib.X509_VERIFY_PARAM_set1_host",
    "lib.X509_VERIFY_PARAM_set1_ip",
    "lib.X509_VERIFY_PARAM_set_hostflags",
    "lib.SSL_CIPHER_find",
    "lib.SSL_CIPHER_get_name",
    "lib.SSL_CIPHER_get_bits",
    "lib.SSL_session_reused",
    "lib.SSL_get_extms_support",
    "lib.SSL_version",
    "lib.SSL_get_current_cipher",
    "lib.SSL_get0_group_name",
    "lib.SSL_set_mtu",
    # the verification in progress
    "lib.SSL_get_ex_data_X509_STORE_CTX_idx",
    "lib.X509_STORE_CTX_get_ex_data",
    "lib.X509_STORE_CTX_get_error",
    "lib.X509_STORE_CTX_get_error_depth",
    "lib.X509_STORE_CTX_set_error",
    "lib.X509_STORE_CTX_get_current_cert",
    "lib.X509_STORE_CTX_get1_chain",
    "lib.X509_verify_cert_error_string",
    "lib.sk_X509_num",
    "lib.sk_X509_value",
    "lib.sk_X509_free",
    "lib.X509_free",
    "lib.BIO_new",
    "lib.BIO_s_mem",
    "lib.BIO_free",
    "lib.BIO_get_mem_data",
    "lib.i2d_X509_bio",
    # cffi
    "ffi.NULL",
    "ffi.buffer",
    "ffi.callback",
    "ffi.cast",
    "ffi.new",
    "ffi.string",
    # pointers and registries pyOpenSSL keeps
    "Context._context",
    "Connection._context",
    "Connection._raise_ssl_error",
    "Connection._ssl",
    "Connection._socket",
    "Connection._reverse_mapping",
    "X509._x509",
)


def _absent_in_binding(symbols: Sequence[str]) -> list[str]:
    owners = {"lib": _lib, "ffi": _ffi}
    found = []
    for symbol in symbols:
        owner, _, name = symbol.partition(".")
        if owner in owners and not hasattr(owners[owner], name):
            found.append(symbol)
    return found


def missing_symbols(symbols: Sequence[str] = PRIVATE_SYMBOLS) -> list[str]:
    """Those of ``symbols`` (by default :data:`PRIVATE_SYMBOLS`) the installed pyOpenSSL lacks; instance
    attributes are looked for on fresh objects. Empty when this module can work."""
    context = SSL.Context(SSL.TLS_METHOD)
    objects: dict[str, object] = {
        "Context": context,
        "Connection": SSL.Connection(context),
        "X509": crypto.X509(),
    }
    absent = _absent_in_binding(symbols)
    for symbol in symbols:
        owner, _, name = symbol.partition(".")
        if owner in objects and not hasattr(objects[owner], name):
            absent.append(symbol)
    return absent


_absent = _absent_in_binding(PRIVATE_SYMBOLS)
if _absent:
    raise AlgorithmUnavailable(
        f"the installed pyOpenSSL no longer exposes {', '.join(_absent)}, which fipscrypto.tls needs; "
        "install a pyOpenSSL release that fipscrypto supports"
    )

OP_NO_RENEGOTIATION: Final[int] = _lib.SSL_OP_NO_RENEGOTIATION

# ------------------------------------------------------------------------------------------ contexts


def set_groups(context: SSL.Context, groups: str) -> bool:
    """``SSL_CTX_set1_curves_list`` (the old name of ``SSL_CTX_set1_groups_list``, which takes every
    group name, hybrids included); False when OpenSSL refuses the list."""
    return bool(_lib.SSL_CTX_set1_curves_list(context._context, groups.encode()) == 1)


def set_sigalgs(context: SSL.Context, sigalgs: str) -> bool:
    """``SSL_CTX_set1_sigalgs_list``; False when OpenSSL refuses the list."""
    return bool(_lib.SSL_CTX_set1_sigalgs_list(context._context, sigalgs.encode()) == 1)


def verify_callback(function: Callable[[int, Pointer], int]) -> Any:
    """A C verify callback, ``int (*)(int ok, X509_STORE_CTX *)``; keep it alive while it is installed."""
    return _ffi.callback("int (*)(int, X509_STORE_CTX *)", function)


def message_callback(function: Callable[[int, int, int, Pointer, int, Pointer, Pointer], None]) -> Any:
    """A C message callback (SSL_CTX_set_msg_callback(3)); keep it alive while it is installed."""
    return _ffi.callback("void (*)(int, int, int, const void *, size_t, SSL *, void *)", function)


def servername_callback(function: Callable[[Pointer, Pointer, Pointer], int]) -> Any:
    """A C servername callback, ``int (*)(SSL *, int *alert, void *)``; keep it alive while installed."""
    return _ffi.callback("int (*)(SSL *, int *, void *)", function)


def install_verify_callback(context: SSL.Context, mode: int, callback: Any) -> None:
    _lib.SSL_CTX_set_verify(context._context, mode, callback)


def install_servername_callback(context: SSL.Context, callback: Any) -> None:
    _lib.SSL_CTX_set_tlsext_servername_callback(context._context, callback)


def install_message_callback(context: SSL.Context, callback: Any) -> None:
    _lib.SSL_CTX_set_msg_callback(context._context, callback)


def x509_address(certificate: crypto.X509) -> int:
    """The address of the OpenSSL X509 a pyOpenSSL certificate holds (the same in a store that
    references it, see :func:`store_chain`)."""
    return int(_ffi.cast("uintptr_t", certificate._x509))


# --------------------------------------------------------------------------------------- connections


def socket_of(conn: SSL.Connection) -> Any:
    """The socket a Connection was made with, or None for memory BIOs."""
    return conn._socket


connection_of: Final[Callable[[Pointer], SSL.Connection | None]] = SSL.Connection._reverse_mapping.get
"""The pyOpenSSL Connection of an ``SSL *`` (None when it has none)."""

handshake_step: Final[Callable[[Pointer], int]] = _lib.SSL_do_handshake
"""``SSL_do_handshake`` of an ``SSL *``: 1 when the handshake is complete, else see
:data:`raise_ssl_error` (pyOpenSSL's ``Connection.do_handshake`` is these two calls)."""

raise_ssl_error: Final[Callable[[SSL.Connection, Pointer, int], None]] = SSL.Connection._raise_ssl_error
"""pyOpenSSL's translation of an OpenSSL result into its exceptions (``WantReadError``, ``Error``...,
and what its own callback helpers caught), called as ``raise_ssl_error(conn, conn._ssl, result)``."""

ssl_of: Final[Callable[[SSL.Connection], Pointer]] = operator.attrgetter("_ssl")
"""A Connection's ``SSL *``."""

context_of: Final[Callable[[SSL.Connection], SSL.Context]] = operator.attrgetter("_context")
"""A Connection's Context (``get_context()`` without its Python frame)."""

ssl_version: Final[Callable[[Pointer], int]] = _lib.SSL_version
"""``SSL_version`` of an ``SSL *``: the wire version negotiated, or being negotiated."""


def set_dtls_mtu(conn: SSL.Connection, mtu: int) -> None:
    """Have OpenSSL fill DTLS datagrams up to ``mtu`` bytes (SSL_set_mtu), instead of the small
    fragments it falls back to when its BIO cannot tell the path's MTU (a memory BIO)."""
    conn.set_options(SSL.OP_NO_QUERY_MTU)
    _lib.SSL_set_mtu(conn._ssl, mtu)


def set_verify_host(conn: SSL.Connection, name: bytes, flags: int) -> bool:
    """Have OpenSSL verify that the peer's certificate names the DNS name (X509_VERIFY_PARAM_set1_host,
    with X509_CHECK_FLAG_* ``flags``); False when OpenSSL refuses the name."""
    param = _lib.SSL_get0_param(conn._ssl)
    _lib.X509_VERIFY_PARAM_set_hostflags(param, flags)
    return bool(_lib.X509_VERIFY_PARAM_set1_host(param, name, len(name)) == 1)


def set_verify_ip(conn: SSL.Connection, packed: bytes) -> bool:
    """Have OpenSSL verify that the peer's certificate names the IP address (4 or 16 bytes)."""
    return bool(_lib.X509_VERIFY_PARAM_set1_ip(_lib.SSL_get0_param(conn._ssl), packed, len(packed)) == 1)


def cipher_strength(conn: SSL.Connection, code_point: bytes) -> tuple[str, int] | None:
    """(OpenSSL's name, its strength in bits) of the suite with this 2-byte code point, or None when
    this OpenSSL does not know it."""
    cipher = _lib.SSL_CIPHER_find(conn._ssl, code_point)
    if cipher == _ffi.NULL:
        return None
    return _ffi.string(_lib.SSL_CIPHER_get_name(cipher)).decode(), int(
        _lib.SSL_CIPHER_get_bits(cipher, _ffi.NULL)
    )


def session_reused(conn: SSL.Connection) -> bool:
    return bool(_lib.SSL_session_reused(conn._ssl))


_TLS1_3: Final[int] = 0x0304


def outcome_key(conn: SSL.Connection) -> tuple[Pointer, int, bytes | None, int, int | None] | None:
    """What a completed handshake negotiated, as OpenSSL keeps it, for use as a key: (the suite's
    ``SSL_CIPHER``, the wire version, the group's name or None, SSL_session_reused,
    SSL_get_extms_support, None for TLS 1.3 whose key schedule always binds the transcript); None
    before a suite was negotiated. The ``SSL_CIPHER`` is an entry of libssl's static cipher tables (one
    per suite for the life of the process, compared by address). pyOpenSSL's getters for the same, in
    four or five binding calls and without decoding the suite's name."""
    ssl = conn._ssl
    # The session's suite: NULL while the connection has no session, on which SSL_get0_group_name
    # would crash (pyOpenSSL's get_group_name guards it with SSL_get_session).
    cipher = _lib.SSL_get_current_cipher(ssl)
    if cipher == _ffi.NULL:
        return None
    version = _lib.SSL_version(ssl)
    group = _lib.SSL_get0_group_name(ssl)
    return (
        cipher,
        version,
        None if group == _ffi.NULL else _ffi.string(group),
        _lib.SSL_session_reused(ssl),
        None if version == _TLS1_3 else _lib.SSL_get_extms_support(ssl),
    )


def extended_master_secret(conn: SSL.Connection) -> bool:
    """``SSL_get_extms_support`` after a handshake: True when the extended master secret was used
    (it answers -1 while a handshake runs)."""
    return bool(_lib.SSL_get_extms_support(conn._ssl) == 1)


# ----------------------------------------------------------------------------- verification (X509_STORE_CTX)

_SSL_INDEX: Final[int] = _lib.SSL_get_ex_data_X509_STORE_CTX_idx()


def ssl_of_store(store: Pointer) -> Pointer:
    """The ``SSL *`` whose peer a store context is verifying."""
    return _lib.X509_STORE_CTX_get_ex_data(store, _SSL_INDEX)


store_error_depth: Final[Callable[[Pointer], int]] = _lib.X509_STORE_CTX_get_error_depth
store_error: Final[Callable[[Pointer], int]] = _lib.X509_STORE_CTX_get_error
store_set_error: Final[Callable[[Pointer, int], None]] = _lib.X509_STORE_CTX_set_error


_MEMORY_BIO: Final[Pointer] = _lib.BIO_s_mem()  # a static method table


def _der(x509: Pointer) -> bytes | None:
    bio = _lib.BIO_new(_MEMORY_BIO)
    try:
        if _lib.i2d_X509_bio(bio, x509) != 1:
            return None
        data = _ffi.new("char **")
        size = _lib.BIO_get_mem_data(bio, data)
        return bytes(_ffi.buffer(data[0], size))
    finally:
        _lib.BIO_free(bio)


def store_current_certificate(store: Pointer) -> bytes | None:
    """The DER of the certificate being verified; None when OpenSSL cannot encode it."""
    return _der(_lib.X509_STORE_CTX_get_current_cert(store))


def store_chain(store: Pointer, known: Mapping[int, bytes]) -> tuple[bytes, ...] | None:
    """The chain OpenSSL built and verified, end entity first, as DER; a certificate whose address is
    in ``known`` (see :func:`x509_address`) is given that encoding. None when one cannot be encoded."""
    stack = _lib.X509_STORE_CTX_get1_chain(store)
    if stack == _ffi.NULL:
        return ()
    certificates = [_lib.sk_X509_value(stack, i) for i in range(_lib.sk_X509_num(stack))]
    try:
        ders = []
        for x509 in certificates:
            der = known.get(int(_ffi.cast("uintptr_t", x509))) if known else None
            if der is None:
                der = _der(x509)
                if der is None:
                    return None
            ders.append(der)
        return tuple(ders)
    finally:
        for x509 in certificates:  # get1_chain took a reference to each
            _lib.X509_free(x509)
        _lib.sk_X509_free(stack)


def verify_error_text(errno: int) -> str:
    """OpenSSL's text for an X509_V_ERR code."""
    return str(_ffi.string(_lib.X509_verify_cert_error_string(errno)).decode("utf-8", "replace"))


# ------------------------------------------------------------------------------------- message bytes


def first_byte(buffer: Pointer) -> int:
    """The first byte of a ``const void *`` a callback was given."""
    return int(_ffi.cast("unsigned char *", buffer)[0])


def buffer_bytes(buffer: Pointer, length: int) -> bytes:
    """A copy of ``length`` bytes at a ``const void *`` a callback was given."""
    return bytes(_ffi.buffer(buffer, length))
