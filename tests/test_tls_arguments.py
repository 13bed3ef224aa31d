"""fipscrypto.tls entry points: every wrong argument is an InvalidParameter (a refused certificate a
CertificateRejected), in bounded time, with the process's standard streams left alone.

The pyOpenSSL and the stdlib builders read certificate, key and CA sources the same way
(:func:`fipscrypto.tls.certs.read_source`); ALPN lists are bounded as RFC 7301 §3.1 bounds them.
"""

from __future__ import annotations

import inspect
import os
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from OpenSSL import SSL
from tlslib import Issued, Pki, Server

from fipscrypto import policy, tls
from fipscrypto.errors import CertificateKeyRejected, InvalidParameter, PolicyError

BUILDERS = ("server_context", "client_context", "stdlib_server_context", "stdlib_client_context")
STDLIB = ("stdlib_server_context", "stdlib_client_context")
SOURCES = [
    (builder, argument)
    for builder in BUILDERS
    for argument in ("cert_chain", "private_key", "client_ca", "ca")
    if argument in inspect.signature(getattr(tls, builder)).parameters
]
FLAGS = [
    (builder, flag)
    for builder in BUILDERS
    for flag in (
        "session_tickets",
        "require_client_cert",
        "check_hostname",
        "post_quantum",
        "inspect_handshake",
    )
    if flag in inspect.signature(getattr(tls, builder)).parameters
]


def _builder(name: str, server_cert: Issued, pki: Pki) -> Callable[..., Any]:
    """The builder ``name`` with valid required arguments; keyword arguments override them."""
    func = getattr(tls, name)
    if name.endswith("server_context"):
        return lambda **kw: func(
            kw.pop("cert_chain", server_cert.chain), kw.pop("private_key", server_cert.key), **kw
        )
    return lambda **kw: func(**({"ca": pki.cert} | kw))


@pytest.fixture
def standard_streams() -> Iterator[None]:
    """Fails the test when a call closed (or replaced) stdin, stdout or stderr."""
    before = [os.fstat(fd) for fd in (0, 1, 2)]
    yield
    after = [os.fstat(fd) for fd in (0, 1, 2)]
    assert [(s.st_dev, s.st_ino) for s in after] == [(s.st_dev, s.st_ino) for s in before]


# ------------------------------------------------------------------------------ certificate sources


@pytest.mark.parametrize(("builder", "argument"), SOURCES)
@pytest.mark.parametrize("value", [0, 1, 2, -1, 2**64, 1.5, [], object()])
def test_a_source_that_is_not_a_file_name_or_bytes_is_refused_and_no_descriptor_is_closed(
    builder: str,
    argument: str,
    value: Any,
    server_cert: Issued,
    client_cert: Issued,
    pki: Pki,
    standard_streams: None,
) -> None:
    """An int would be taken as a file descriptor by open() and closed with the file object:
    ``ca=1`` once closed the process's stdout."""
    call = _builder(builder, server_cert, pki)
    extra: dict[str, Any] = {}
    if builder.endswith("client_context") and argument != "ca":  # a client certificate needs both
        extra = {"cert_chain": client_cert.chain, "private_key": client_cert.key}
    with pytest.raises(InvalidParameter):
        call(**(extra | {argument: value}))


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize(
    "name",
    ["", "no-such-file.pem", "bad\x00name.pem", "a" * 4096, "é"],
    ids=["empty", "missing", "nul", "long", "e"],
)
def test_an_unreadable_file_name_is_refused(
    builder: str, name: str, server_cert: Issued, pki: Pki, standard_streams: None
) -> None:
    call = _builder(builder, server_cert, pki)
    argument = "cert_chain" if builder.endswith("server_context") else "ca"
    with pytest.raises(InvalidParameter):
        call(**{argument: name})
    if builder.endswith("server_context"):
        with pytest.raises(InvalidParameter):
            call(private_key=name)


@pytest.mark.parametrize("builder", ["client_context", "stdlib_client_context"])
@pytest.mark.parametrize("data", [b"", b"\x00" * 22, os.urandom(64), b"-----BEGIN CERTIFICATE-----\nxx\n"])
def test_empty_or_garbage_trust_anchors_are_refused(
    builder: str, data: bytes, server_cert: Issued, pki: Pki
) -> None:
    with pytest.raises(InvalidParameter):
        _builder(builder, server_cert, pki)(ca=data)


def test_stdlib_trust_anchors_as_pem_or_der_bytes_verify_the_server(server_cert: Issued, pki: Pki) -> None:
    """The stdlib client reads its anchors as the pyOpenSSL one does (file or bytes, PEM or DER) and
    verifies a real server with them."""
    der = ssl.PEM_cert_to_DER_cert(pki.cert.read_text())
    for ca in (pki.cert.read_bytes(), der, pki.cert):
        server = Server(tls.server_context(server_cert.chain, server_cert.key), greeting=b"hi")
        context = tls.stdlib_client_context(ca=ca)
        with (
            socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname="localhost") as sock,
        ):
            assert sock.recv(2) == b"hi"
        assert server.result().ok


def test_stdlib_server_key_that_does_not_match_the_certificate(server_cert: Issued, pki: Pki) -> None:
    other = pki.issue("other.localhost")
    with pytest.raises(InvalidParameter, match="cannot use"):
        tls.stdlib_server_context(server_cert.chain, other.key)


def test_stdlib_local_certificate_the_policy_refuses(pki: Pki) -> None:
    weak = pki.issue("weak.localhost", key="rsa-1024")
    with pytest.raises(CertificateKeyRejected):
        tls.stdlib_server_context(weak.chain, weak.key)
    with pytest.raises(CertificateKeyRejected):
        tls.server_context(weak.chain, weak.key)


# ------------------------------------------------------------------------ policy, password, flags


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("value", [1, 1.5, b"fips-140-3", [], {}, object(), "\x00"])
def test_a_policy_that_is_not_a_profile_file_or_policy_is_refused(
    builder: str, value: Any, server_cert: Issued, pki: Pki
) -> None:
    with pytest.raises(InvalidParameter):
        _builder(builder, server_cert, pki)(policy=value)


@pytest.mark.parametrize("builder", BUILDERS)
def test_a_policy_name_that_names_no_profile_or_file(builder: str, server_cert: Issued, pki: Pki) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        _builder(builder, server_cert, pki)(policy="no-such-profile")


@pytest.mark.parametrize("builder", BUILDERS)
def test_a_policy_object_or_name_is_accepted(builder: str, server_cert: Issued, pki: Pki) -> None:
    call = _builder(builder, server_cert, pki)
    call(policy=policy.builtin("fips-140-3-hardened"))
    call(policy="fips-140-3-hardened")
    call(policy=policy.current())


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("value", ["secret", 1, 1.5, [], object()])
def test_a_password_is_bytes_or_none(builder: str, value: Any, server_cert: Issued, pki: Pki) -> None:
    """Refused even when no key needs it: a str password never silently works."""
    with pytest.raises(InvalidParameter, match="password"):
        _builder(builder, server_cert, pki)(password=value)


@pytest.mark.parametrize(("builder", "flag"), FLAGS)
def test_flags_are_true_or_false(builder: str, flag: str, server_cert: Issued, pki: Pki) -> None:
    call = _builder(builder, server_cert, pki)
    call(**{flag: False})
    # post_quantum=None (the default) follows the post-quantum module's switch.
    for value in ([], {}, "yes", 1) if flag == "post_quantum" else ([], {}, "yes", None, 1):
        with pytest.raises(InvalidParameter, match=flag):
            call(**{flag: value})


# -------------------------------------------------------------------------------------------- ALPN


@pytest.mark.parametrize("builder", ["server_context", "client_context"])
@pytest.mark.parametrize(
    "alpn",
    [b"h2", bytes(2**20), "h2", ["h2"], [b""], [b"x" * 256], [1], 1, 1.5, object(), [b"x" * 254] * 258],
    ids=[
        "bytes",
        "1MiB",
        "str",
        "str-item",
        "empty-name",
        "256-name",
        "int-item",
        "int",
        "float",
        "object",
        "over-65535",
    ],
)
def test_alpn_is_a_bounded_list_of_bytes(builder: str, alpn: Any, server_cert: Issued, pki: Pki) -> None:
    """RFC 7301 §3.1: each name 1..255 bytes, the list at most 2^16-1 bytes; a 1 MiB bytes object is
    refused at once (iterating it once took over a second)."""
    start = time.monotonic()
    with pytest.raises(InvalidParameter):
        _builder(builder, server_cert, pki)(alpn=alpn)
    assert time.monotonic() - start < 1.0


@pytest.mark.parametrize("builder", ["server_context", "client_context"])
def test_alpn_at_the_rfc_limits_is_accepted(builder: str, server_cert: Issued, pki: Pki) -> None:
    # 257 names of 254 bytes, each with its length byte: exactly 2^16-1 bytes. A name of 255 bytes.
    _builder(builder, server_cert, pki)(alpn=[b"x" * 254] * 257)
    _builder(builder, server_cert, pki)(alpn=[b"x" * 255])
    _builder(builder, server_cert, pki)(alpn=[bytearray(b"sip"), memoryview(b"h2")])


@pytest.mark.parametrize("builder", STDLIB)
@pytest.mark.parametrize(
    "alpn",
    ["h2", b"h2", [b"h2"], ["é"], [""], ["x" * 256], [1], 1, ["x" * 254] * 258],
    ids=[
        "str",
        "bytes",
        "bytes-item",
        "non-ascii",
        "empty-name",
        "256-name",
        "int-item",
        "int",
        "over-65535",
    ],
)
def test_stdlib_alpn_is_a_bounded_list_of_ascii_names(
    builder: str, alpn: Any, server_cert: Issued, pki: Pki
) -> None:
    with pytest.raises(InvalidParameter):
        _builder(builder, server_cert, pki)(alpn=alpn)
    _builder(builder, server_cert, pki)(alpn=["sip", "h2"])


# --------------------------------------------------------------------------------- endpoint_settings


@pytest.mark.parametrize(
    "overrides",
    [
        {"ref": None},
        {"ref": "fips-140-3"},
        {"service": None},
        {"service": []},
        {"protocol": "quic"},
        {"protocol": []},
        {"post_quantum": []},
        {"session_tickets": "no"},
        {"negotiable": "all"},
    ],
    ids=lambda o: next(iter(o)),
)
def test_endpoint_settings_arguments(overrides: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {"ref": tls.PolicyRef(None), "service": "tls.client_context"} | overrides
    with pytest.raises(InvalidParameter):
        tls.endpoint_settings(arguments.pop("ref"), **arguments)


# ------------------------------------------------------------------------------------- connections


@pytest.fixture(scope="module")
def contexts(server_cert: Issued, pki: Pki) -> tuple[SSL.Context, SSL.Context]:
    return tls.client_context(ca=pki.cert), tls.server_context(server_cert.chain, server_cert.key)


@pytest.mark.parametrize("value", [None, 1, "ctx", ssl.create_default_context(), object()], ids=repr)
def test_a_connection_needs_a_pyopenssl_context(value: Any) -> None:
    with pytest.raises(InvalidParameter, match="context"):
        tls.client_connection(value, "localhost")
    with pytest.raises(InvalidParameter, match="context"):
        tls.server_connection(value)


@pytest.mark.parametrize("value", [0, 1, 2, -1, 2**31, 2**64, 1.5, "sock", [], object()], ids=repr)
def test_a_connection_socket_is_a_socket_or_none(
    value: Any, contexts: tuple[SSL.Context, SSL.Context], standard_streams: None
) -> None:
    """A bare int would be taken as a descriptor: refused, so OpenSSL never reads or writes stdin/out."""
    client, server = contexts
    with pytest.raises(InvalidParameter, match="sock"):
        tls.client_connection(client, "localhost", value)
    with pytest.raises(InvalidParameter, match="sock"):
        tls.server_connection(server, value)


@pytest.mark.parametrize(
    "value",
    [b"localhost", 1, 1.5, [], "", "local\x00host", "a." * 127],
    ids=["bytes", "int", "float", "list", "empty", "nul", "long"],
)
def test_a_server_host_name_is_a_bounded_str(value: Any, contexts: tuple[SSL.Context, SSL.Context]) -> None:
    with pytest.raises(InvalidParameter, match="host name"):
        tls.client_connection(contexts[0], value)


def test_host_names_at_the_limit_and_ip_literals_are_accepted(
    contexts: tuple[SSL.Context, SSL.Context],
) -> None:
    longest = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])  # 253 characters (RFC 1035 §2.3.4)
    for name in (longest, "127.0.0.1", "::1", "sip.example.org"):
        assert tls.client_connection(contexts[0], name) is not None
