"""Standard-library ``ssl.SSLContext`` builders, restricted to the policy as far as ``ssl`` allows.

**Outside the FIPS boundary.** Python's ``ssl`` module runs on the *system* OpenSSL, not on the FIPS
provider that fipscrypto loads into cryptography's OpenSSL (docs/activation.md, "The FIPS boundary").
Handshakes and record protection made through these contexts are not performed by a validated module.
Use them where a library insists on ``ssl.SSLContext`` (asyncio, http.client, ldap3, ...), and the
pyOpenSSL builders everywhere else. Audit events of these handshakes carry ``fips_boundary: false``.

What the policy controls through ``ssl``, and what it cannot:

- versions (``minimum_version``/``maximum_version``), TLS 1.2 suites (``set_ciphers``), options (no
  compression, no renegotiation, server preference, no tickets): as for pyOpenSSL;
- groups: ``ssl`` sets one group only (``set_ecdh_curve``): the policy's first elliptic curve;
- TLS 1.3 suites and signature schemes: ``ssl`` has no setter; the system OpenSSL's defaults are
  offered (ChaCha20 among them);
- extended master secret: the system OpenSSL offers and accepts it, but nothing can require it.

What cannot be set is checked after the handshake: every socket or object these contexts make runs
:func:`~fipscrypto.tls.negotiated` as soon as its handshake completes, which rejects a version, suite
or peer certificate the policy does not allow (the connection fails with HandshakeRejected or a
CertificateRejected subclass; the handshake itself had succeeded).
"""

from __future__ import annotations

import os
import ssl
import weakref
from collections.abc import Sequence
from typing import Any

from .._backend import x509 as _x509
from .._service import record
from ..errors import InvalidParameter
from ..policy import Policy
from .arguments import alpn_protocols, flag, key_password
from .certs import ChainChecker, Role, Source, facts_of, load_chain, read_source
from .outcome import Handshake, conclude
from .params import TLSParameters
from .rules import PolicyRef
from .settings import EndpointSettings, endpoint_settings

__all__ = ["negotiated_stdlib", "stdlib_client_context", "stdlib_server_context"]

_VERSIONS = {"tls1.2": ssl.TLSVersion.TLSv1_2, "tls1.3": ssl.TLSVersion.TLSv1_3}
_CURVES = {"P-256": "prime256v1", "P-384": "secp384r1", "P-521": "secp521r1"}
_OPTIONS = ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION | ssl.OP_CIPHER_SERVER_PREFERENCE

# context -> (role, policy, checker of the peer's chain)
_configs: weakref.WeakKeyDictionary[ssl.SSLContext, tuple[Role, PolicyRef, ChainChecker]] = (
    weakref.WeakKeyDictionary()
)
_results: weakref.WeakKeyDictionary[Any, TLSParameters] = weakref.WeakKeyDictionary()


class _CheckedSocket(ssl.SSLSocket):
    def do_handshake(self, block: bool = False) -> None:
        super().do_handshake(block)
        negotiated_stdlib(self)


class _CheckedObject(ssl.SSLObject):
    def do_handshake(self) -> None:
        super().do_handshake()
        negotiated_stdlib(self)


def _file(source: Source) -> tuple[str, bytes]:
    """The name and content of a certificate or key file (``ssl`` loads them from files), read through
    :func:`~fipscrypto.tls.certs.read_source`: a file name of the right type, readable, bounded."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        raise InvalidParameter("stdlib contexts load certificates and keys from files: give a file name")
    data = read_source(source)
    return os.fspath(source), data


def _load_local(
    context: ssl.SSLContext,
    cert_chain: Source,
    private_key: Source,
    password: bytes | None,
    role: Role,
    ref: PolicyRef,
) -> None:
    """Check the local chain against the policy and give the context its certificate and key."""
    (chain_file, chain), (key_file, _) = _file(cert_chain), _file(private_key)
    found = [facts_of(_x509.to_der(c)) for c in load_chain(chain)]
    service = f"tls.stdlib_{role}_context"
    ChainChecker(ref, role, service).check(found, anchored=len(found) > 1 and found[-1].self_issued)
    try:
        context.load_cert_chain(chain_file, key_file, password)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        raise InvalidParameter(
            f"the system OpenSSL cannot use {key_file!r} with the certificate of {chain_file!r}: {exc}"
        ) from None


def _configure(context: ssl.SSLContext, settings: EndpointSettings, role: Role, ref: PolicyRef) -> None:
    context.minimum_version = _VERSIONS[settings.versions[0]]
    context.maximum_version = _VERSIONS[settings.versions[-1]]
    if settings.tls12_suites:
        context.set_ciphers(":".join(settings.tls12_suites))
    curve = next((_CURVES[g] for g in settings.groups if g in _CURVES), None)
    if curve is None:
        raise InvalidParameter(f"policy {settings.policy} allows no elliptic curve group the stdlib can set")
    context.set_ecdh_curve(curve)
    context.options |= _OPTIONS | (0 if settings.session_tickets else ssl.OP_NO_TICKET)
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    context.sslsocket_class = _CheckedSocket
    context.sslobject_class = _CheckedObject
    peer: Role = "client" if role == "server" else "server"
    _configs[context] = (role, ref, ChainChecker(ref, peer, "tls.handshake"))


def _settings(
    role: Role, policy: Policy | str | None, session_tickets: bool
) -> tuple[EndpointSettings, PolicyRef]:
    ref = PolicyRef(policy)
    service = f"tls.stdlib_{role}_context"
    return endpoint_settings(ref, service=service, session_tickets=session_tickets), ref


def stdlib_server_context(
    cert_chain: Source,
    private_key: Source,
    *,
    password: bytes | None = None,
    client_ca: Source | None = None,
    require_client_cert: bool = False,
    policy: Policy | str | None = None,
    alpn: Sequence[str] | None = None,
    session_tickets: bool = False,
) -> ssl.SSLContext:
    """An ``ssl.SSLContext`` for a TLS server (outside the FIPS boundary: see the module docstring).
    Certificates and keys come from files; ``client_ca`` may be a file or PEM/DER bytes."""
    password = key_password(password)
    protocols = alpn_protocols(alpn, text=True)
    require_client_cert = flag("require_client_cert", require_client_cert)
    settings, ref = _settings("server", policy, session_tickets)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _configure(context, settings, "server", ref)
    _load_local(context, cert_chain, private_key, password, "server", ref)
    if client_ca is not None:
        _trust(context, client_ca)
        context.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL
    elif require_client_cert:
        raise InvalidParameter(
            "require_client_cert needs client_ca: the anchors client certificates chain to"
        )
    if protocols:
        context.set_alpn_protocols([p.decode("ascii") for p in protocols])
    record("tls.stdlib_server_context", ref.name, False)  # outside the validated boundary
    return context


def stdlib_client_context(
    *,
    ca: Source | None = None,
    cert_chain: Source | None = None,
    private_key: Source | None = None,
    password: bytes | None = None,
    check_hostname: bool = True,
    policy: Policy | str | None = None,
    alpn: Sequence[str] | None = None,
    session_tickets: bool = False,
) -> ssl.SSLContext:
    """An ``ssl.SSLContext`` for a TLS client (outside the FIPS boundary: see the module docstring).
    Verifies the server always, and its host name unless ``check_hostname=False``."""
    password = key_password(password)
    protocols = alpn_protocols(alpn, text=True)
    check_hostname = flag("check_hostname", check_hostname)
    settings, ref = _settings("client", policy, session_tickets)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _configure(context, settings, "client", ref)
    context.check_hostname = check_hostname
    context.verify_mode = ssl.CERT_REQUIRED
    if ca is None:
        context.load_default_certs()
    else:
        _trust(context, ca)
    if (cert_chain is None) != (private_key is None):
        raise InvalidParameter("a client certificate needs both cert_chain and private_key")
    if cert_chain is not None and private_key is not None:
        _load_local(context, cert_chain, private_key, password, "client", ref)
    if protocols:
        context.set_alpn_protocols([p.decode("ascii") for p in protocols])
    record("tls.stdlib_client_context", ref.name, False)
    return context


def _trust(context: ssl.SSLContext, source: Source) -> None:
    """Trust anchors from a file name or PEM/DER bytes, parsed as by the pyOpenSSL builders and given to
    ``ssl`` as DER."""
    ders = b"".join(_x509.to_der(anchor) for anchor in load_chain(source))
    try:
        context.load_verify_locations(cadata=ders)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        raise InvalidParameter(f"the system OpenSSL refused a trust anchor: {exc}") from None


def negotiated_stdlib(sock: ssl.SSLSocket | ssl.SSLObject) -> TLSParameters:
    """The checked, audited record of a stdlib handshake (see :func:`fipscrypto.tls.negotiated`)."""
    found = _results.get(sock)
    if found is not None:
        return found
    cipher = sock.cipher()
    version = sock.version()
    if cipher is None or version is None:
        raise InvalidParameter("negotiated(): the connection has not completed a handshake")
    config = _configs.get(sock.context)
    role: Role = "server" if sock.server_side else "client"
    if config is None:
        ref = PolicyRef(None)
        checker = ChainChecker(ref, "client" if role == "server" else "server", "tls.handshake")
    else:
        role, ref, checker = config
    chain_getter = getattr(sock, "get_verified_chain", None)  # Python 3.13+
    ders: list[bytes] = list(chain_getter()) if chain_getter is not None else []
    anchored = bool(ders)
    if not ders:
        leaf = sock.getpeercert(binary_form=True)
        ders = [leaf] if leaf else []
    alpn = sock.selected_alpn_protocol()
    shake = Handshake(
        role=role,
        version=version,
        suite=cipher[0],
        group=None,  # ssl does not report it
        peer_sigalg=None,
        local_sigalg=None,
        ems=None,
        alpn=alpn,
        resumed=sock.session_reused or False,
        peer_chain=[facts_of(bytes(d)) for d in ders],
        anchored=anchored,
        checked=False,
        chain_approved=True,
        fips_boundary=False,
    )
    params = conclude(shake, ref, checker)
    _results[sock] = params
    return params
