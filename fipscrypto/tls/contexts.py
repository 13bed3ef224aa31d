"""pyOpenSSL contexts and connections for TLS endpoints, inside the FIPS boundary.

    server = tls.server_context("server.pem", "server.key", client_ca="ca.pem", require_client_cert=True)
    client = tls.client_context(ca="ca.pem", cert_chain="client.pem", private_key="client.key")
    conn = tls.client_connection(client, "sip.example.org", sock)
    conn.do_handshake()            # checks in the handshake; then post-handshake checks and audit
    conn.parameters                # TLSParameters

Each builder passes the module gate and the policy for everything the context will offer
(:func:`~fipscrypto.tls.settings.endpoint_settings`), checks the local chain against the policy,
configures the context, and records the service indicator.
"""

from __future__ import annotations

import functools
import ipaddress
import select
import socket
from collections.abc import Sequence
from typing import Any

from OpenSSL import SSL, crypto

from .._backend import pyopenssl as _ossl
from .._backend import x509 as _x509
from .._pqc_switch import enabled as pqc_enabled
from .._service import record
from ..errors import HandshakeRejected, InvalidParameter, NoApplicationProtocol
from ..module import gate
from ..policy import Policy
from .arguments import alpn_protocols, connection_socket, flag, host_name, key_password
from .certs import ChainChecker, Role, Source, facts_of, load_chain, load_private_key
from .hooks import EndpointConfig, install, state_of
from .openssl import capability, new_context
from .outcome import pyopenssl_negotiated
from .params import TLSParameters
from .rules import PolicyRef
from .settings import EndpointSettings, endpoint_settings

__all__ = [
    "Connection",
    "client_connection",
    "client_context",
    "handshake",
    "server_connection",
    "server_context",
]

_NO_PARTIAL_WILDCARDS = 0x4  # X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS: RFC 6125 §6.4.3, "*.example.org" only
_HANDSHAKE = 22  # RFC 5246 §6.2.1: ContentType handshake
_RECORD_HEADER = 5  # type, version, length
_RECORD_LIMIT = _RECORD_HEADER + 2**14  # "The length MUST NOT exceed 2^14"


def _rejection(conn: SSL.Connection, exc: SSL.Error) -> Exception | None:
    """The typed error behind a failed handshake: what a callback found, else the provider's EMS check."""
    state = state_of(conn)
    if state is not None and state.error is not None:
        return state.error
    if "ems not enabled" in str(exc):  # the FIPS provider's tls1-prf-ems-check refused the TLS 1.2 PRF
        return HandshakeRejected(
            "TLS 1.2 without the extended master secret: the FIPS provider refused the key derivation "
            f"({exc})",
            "no-extended-master-secret",
        )
    return None


def _peek(sock: Any) -> bytes | None:
    """The client's first TLS record as it waits in a server's socket, left there for OpenSSL
    (MSG_PEEK); None when nothing has arrived in a non-blocking socket. A blocking socket waits for all
    of a handshake record (its SO_RCVTIMEO applies), as OpenSSL's own read would; a non-blocking one
    gives what has arrived."""
    if not isinstance(sock, socket.socket):
        return b""
    try:
        if sock.gettimeout() is None:
            head = sock.recv(_RECORD_HEADER, socket.MSG_PEEK | socket.MSG_WAITALL)
            size = _RECORD_HEADER + int.from_bytes(head[3:5], "big")
            if len(head) < _RECORD_HEADER or head[0] != _HANDSHAKE or size > _RECORD_LIMIT:
                return head  # not TLS: OpenSSL refuses it after reading the header
            return sock.recv(size, socket.MSG_PEEK | socket.MSG_WAITALL)
        readable = select.poll()
        readable.register(sock, select.POLLIN)
        if not readable.poll(0):
            return None
        return sock.recv(_RECORD_LIMIT, socket.MSG_PEEK)  # b"": the peer closed the connection
    except OSError:
        return b""


_WANT = (SSL.WantReadError, SSL.WantWriteError)
_step, _raise, _ssl_of = _ossl.handshake_step, _ossl.raise_ssl_error, _ossl.ssl_of


class Connection(SSL.Connection):
    """A pyOpenSSL Connection whose handshake is checked and audited when it completes.

    When ``do_handshake()`` succeeds (``recv``/``send`` complete the handshake first), :func:`negotiated`
    runs: the post-handshake policy checks, the service indicator and the ``tls-handshake`` audit event.
    A rejection raises there, and on every later call. Once they passed, the connection's data methods
    are pyOpenSSL's own (its class becomes a subclass of this one without the overrides). A handshake
    the callbacks aborted raises their typed error (CertificateRejected, HandshakeRejected) instead of
    pyOpenSSL's ``SSL.Error``.

    A connection made by :func:`server_connection` keeps the bytes it receives until its handshake is
    done (written with ``bio_write``, or peeked at in its socket before OpenSSL reads them), so that the
    client-hello callback can read the ClientHello (see :mod:`fipscrypto.tls.hooks`).
    """

    _fc_done = False
    _fc_hello: bytearray | None = None  # a server's inbound bytes, until the handshake is done

    @property
    def parameters(self) -> TLSParameters:
        """What the handshake negotiated (raises before the handshake has completed)."""
        return pyopenssl_negotiated(self, None)

    def do_handshake(self) -> None:
        hello = self._fc_hello
        if hello is not None and not hello and (sock := _ossl.socket_of(self)) is not None:
            first = _peek(sock)
            if first is None:
                # What OpenSSL would answer; so OpenSSL never reads a byte before it has been seen here.
                raise SSL.WantReadError()
            hello += first
        ssl = _ssl_of(self)
        try:
            _raise(self, ssl, _step(ssl))  # SSL.Connection.do_handshake, without its frame
        except _WANT:
            raise
        except SSL.Error as exc:
            typed = _rejection(self, exc)
            if typed is None:
                raise
            raise typed from exc
        # The handshake is complete: check it, record it, audit it (raises when the peer broke the policy).
        if hello is not None:
            hello.clear()  # the ClientHello has been read: let the bytes go
            self._fc_hello = None
        pyopenssl_negotiated(self, None)
        self._fc_done = True
        cls = type(self)
        if cls is Connection or cls is _ServerConnection:
            # Checked: from now on the data path is pyOpenSSL's own (a subclass keeps its methods).
            self.__class__ = _Concluded

    def recv(self, bufsiz: int, flags: int | None = None) -> bytes:
        if not self._fc_done:
            self.do_handshake()
        data: bytes = super().recv(bufsiz, flags)
        return data

    read = recv

    def recv_into(self, buffer: Any, nbytes: int | None = None, flags: int | None = None) -> int:
        if not self._fc_done:
            self.do_handshake()
        count: int = super().recv_into(buffer, nbytes, flags)
        return count

    def send(self, buf: bytes | bytearray | memoryview, flags: int = 0) -> int:
        if not self._fc_done:
            self.do_handshake()
        sent: int = super().send(buf, flags)
        return sent

    write = send

    def sendall(self, buf: bytes | bytearray | memoryview, flags: int = 0) -> int:
        if not self._fc_done:
            self.do_handshake()
        sent: int = super().sendall(buf, flags)
        return sent


class _ServerConnection(Connection):
    """What :func:`server_connection` makes: a :class:`Connection` that keeps the bytes written into it
    until its handshake is done."""

    def bio_write(self, buf: bytes | bytearray | memoryview) -> int:
        written: int = super().bio_write(buf)
        if self._fc_hello is not None:
            self._fc_hello += buf[:written]
        return written


class _Concluded(Connection):
    """A :class:`Connection` whose handshake completed and passed the checks: the data path is
    pyOpenSSL's own, with no Python frame of fipscrypto's (``do_handshake`` and ``parameters`` stay)."""

    _fc_done = True
    recv = read = SSL.Connection.recv
    recv_into = SSL.Connection.recv_into
    send = write = SSL.Connection.send
    sendall = SSL.Connection.sendall


def _load_local(
    context: SSL.Context,
    cert_chain: Source,
    private_key: Source,
    password: bytes | None,
    checker: ChainChecker,
) -> tuple[_x509.CertificateFacts, ...]:
    """Check the local chain against the policy and give the context its certificate and key."""
    chain = load_chain(cert_chain)
    facts = tuple(facts_of(_x509.to_der(c)) for c in chain)
    root = len(chain) > 1 and facts[-1].self_issued  # a trust anchor at the end stays home
    checker.check(facts, anchored=root)
    context.use_certificate(chain[0])
    for extra in chain[1 : -1 if root else None]:
        context.add_extra_chain_cert(extra)
    key = load_private_key(private_key, password)
    if not isinstance(key, _x509.TLS_PRIVATE_KEYS):
        raise InvalidParameter(f"a {type(key).__name__} cannot sign TLS handshakes here (pyOpenSSL)")
    try:
        context.use_privatekey(key)
        context.check_privatekey()
    except SSL.Error:
        raise InvalidParameter(
            "the private key does not belong to the first certificate of the chain"
        ) from None
    return facts


def _trust(context: SSL.Context, source: Source, *, client_cas: bool = False) -> dict[int, bytes]:
    """Trust anchors for the peer's chain (a server also names them in its CertificateRequest); their
    addresses in the store, with their encodings (see EndpointConfig.anchors)."""
    store = context.get_cert_store()
    if store is None:
        raise InvalidParameter("the context has no certificate store")
    anchors = {}
    for anchor in load_chain(source):
        x509 = crypto.X509.from_cryptography(anchor)  # X509Store takes pyOpenSSL objects only
        store.add_cert(x509)  # the store keeps a reference to this very X509
        anchors[_ossl.x509_address(x509)] = _x509.to_der(anchor)
        if client_cas:
            context.add_client_ca(anchor)
    return anchors


def _build(
    role: Role, policy: Policy | str | None, post_quantum: bool | None, session_tickets: bool
) -> tuple[SSL.Context, EndpointSettings, PolicyRef, ChainChecker]:
    """The context with the policy's settings, and the checker of the local chain."""
    service = f"tls.{role}_context"
    ref = PolicyRef(policy)
    settings = endpoint_settings(
        ref,
        service=service,
        post_quantum=pqc_enabled() if post_quantum is None else post_quantum,
        session_tickets=session_tickets,
        negotiable=capability(),
    )
    return new_context(settings), settings, ref, ChainChecker(ref, role, service)


def _finish(
    context: SSL.Context,
    role: Role,
    settings: EndpointSettings,
    ref: PolicyRef,
    *,
    check_hostname: bool,
    local: tuple[_x509.CertificateFacts, ...],
    verify_mode: int,
    inspect: bool,
    alpn: bool,
    anchors: dict[int, bytes],
) -> SSL.Context:
    peer: Role = "client" if role == "server" else "server"
    checker = ChainChecker(ref, peer, "tls.handshake")
    config = EndpointConfig(
        role,
        settings,
        ref,
        checker,
        check_hostname,
        local,
        inspect=inspect,
        peer_certificates=bool(verify_mode & SSL.VERIFY_PEER),
        alpn=alpn,
        anchors=anchors,
    )
    install(context, config, verify_mode)
    record(f"tls.{role}_context", ref.name, settings.approved)
    return context


def server_context(
    cert_chain: Source,
    private_key: Source,
    *,
    password: bytes | None = None,
    client_ca: Source | None = None,
    require_client_cert: bool = False,
    policy: Policy | str | None = None,
    alpn: Sequence[bytes] | None = None,
    post_quantum: bool | None = None,
    session_tickets: bool = False,
    inspect_handshake: bool = False,
) -> SSL.Context:
    """A TLS server context offering only what the policy allows.

    ``cert_chain``: the server's certificate first, then its issuers (PEM, or one DER certificate), as
    a file name or bytes; ``private_key`` likewise (``password`` if encrypted). ``client_ca``: trust
    anchors for client certificates; with it, clients may present one, with ``require_client_cert``
    they must. ``alpn``: the protocols this server speaks, preferred first (a list of bytes: each name 1
    to 255 bytes, the list at most 2^16-1 bytes with their length bytes, RFC 7301 §3.1). ``policy``: None
    (the active policy), a profile name, a policy file or a :class:`~fipscrypto.policy.Policy`.
    ``post_quantum``: offer the policy's post-quantum groups (the hybrid ML-KEM groups, then ML-KEM
    alone), first; None (the default) when the post-quantum module is on
    (:func:`fipscrypto.pqc.enabled`), True or False whatever it says. ``session_tickets``: allow
    resumption. ``password``: bytes or None; flags: True or False.
    ``inspect_handshake``: read the handshake messages (exact signature schemes), at a Python call per
    TLS record. With or without it, a connection made with :func:`server_connection` refuses a
    ClientHello without the extended master secret with a handshake_failure alert when TLS 1.2 would be
    negotiated (RFC 7627 §5.2).
    """
    password = key_password(password)
    offered = alpn_protocols(alpn)
    require_client_cert = flag("require_client_cert", require_client_cert)
    inspect_handshake = flag("inspect_handshake", inspect_handshake)
    context, settings, ref, local = _build("server", policy, post_quantum, session_tickets)
    local_chain = _load_local(context, cert_chain, private_key, password, local)
    context.set_session_id(b"fipscrypto.tls")
    mode = SSL.VERIFY_NONE
    anchors: dict[int, bytes] = {}
    if client_ca is not None:
        anchors = _trust(context, client_ca, client_cas=True)
        mode = SSL.VERIFY_PEER | SSL.VERIFY_CLIENT_ONCE
        if require_client_cert:
            mode |= SSL.VERIFY_FAIL_IF_NO_PEER_CERT
    elif require_client_cert:
        raise InvalidParameter(
            "require_client_cert needs client_ca: the anchors client certificates chain to"
        )
    if offered:

        def select(conn: SSL.Connection, protocols: list[bytes]) -> bytes:
            for protocol in offered:
                if protocol in protocols:
                    return protocol
            # RFC 7301 §3.2: "the server SHALL respond with a fatal 'no_application_protocol' alert";
            # pyOpenSSL sends it when the callback raises, and raises this from do_handshake().
            raise NoApplicationProtocol(
                f"the client offered {[p.decode('ascii', 'replace') for p in protocols]}, this server speaks "
                f"{[p.decode('ascii', 'replace') for p in offered]}"
            )

        context.set_alpn_select_callback(select)
    return _finish(
        context,
        "server",
        settings,
        ref,
        check_hostname=False,
        local=local_chain,
        verify_mode=mode,
        inspect=inspect_handshake,
        alpn=bool(offered),
        anchors=anchors,
    )


def client_context(
    *,
    ca: Source | None = None,
    cert_chain: Source | None = None,
    private_key: Source | None = None,
    password: bytes | None = None,
    check_hostname: bool = True,
    policy: Policy | str | None = None,
    alpn: Sequence[bytes] | None = None,
    post_quantum: bool | None = None,
    session_tickets: bool = False,
    inspect_handshake: bool = False,
) -> SSL.Context:
    """A TLS client context offering only what the policy allows; it always verifies the server.

    ``ca``: trust anchors (PEM bundle or DER, file name or bytes); None uses the default verify paths of
    cryptography's OpenSSL. ``cert_chain``/``private_key``: a client certificate, for servers that ask.
    ``check_hostname`` (on by default): the server's certificate must name the host given to
    :func:`client_connection`; a connection made otherwise fails its handshake. The other arguments
    are those of :func:`server_context`.
    """
    password = key_password(password)
    offered = alpn_protocols(alpn)
    check_hostname = flag("check_hostname", check_hostname)
    inspect_handshake = flag("inspect_handshake", inspect_handshake)
    context, settings, ref, local = _build("client", policy, post_quantum, session_tickets)
    local_chain: tuple[_x509.CertificateFacts, ...] = ()
    if (cert_chain is None) != (private_key is None):
        raise InvalidParameter("a client certificate needs both cert_chain and private_key")
    if cert_chain is not None and private_key is not None:
        local_chain = _load_local(context, cert_chain, private_key, password, local)
    anchors: dict[int, bytes] = {}
    if ca is None:
        context.set_default_verify_paths()
    else:
        anchors = _trust(context, ca)
    if offered:
        context.set_alpn_protos(list(offered))
    return _finish(
        context,
        "client",
        settings,
        ref,
        check_hostname=check_hostname,
        local=local_chain,
        verify_mode=SSL.VERIFY_PEER,
        inspect=inspect_handshake,
        alpn=bool(offered),
        anchors=anchors,
    )


def _context(value: object, builder: str) -> SSL.Context:
    if not isinstance(value, SSL.Context):
        raise InvalidParameter(
            f"a context from fipscrypto.tls.{builder}() is needed, not {type(value).__name__}"
        )
    return value


@functools.lru_cache(maxsize=256)
def _host(name: str) -> tuple[bytes | None, bytes]:
    """(packed IP address or None, IDNA-encoded DNS name or b"") of a server host name."""
    if ":" in name or name.replace(".", "").isdigit():
        try:
            return ipaddress.ip_address(name).packed, b""
        except ValueError:
            pass
    return None, name.encode("idna")


def client_connection(context: SSL.Context, server_hostname: str | None, sock: Any = None) -> Connection:
    """A client connection to ``server_hostname`` (DNS name or IP address): sets SNI (RFC 6066 §3, DNS
    names only) and, when the context checks host names, has OpenSSL verify that the certificate names
    it (RFC 6125; no partial wildcards). ``sock``: a connected ``socket.socket``, or None for memory BIOs
    (a bare file descriptor is refused)."""
    gate()  # no new connection from the ERROR state, even on a context made before it
    context = _context(context, "client_context")
    server_hostname = host_name(server_hostname)
    conn = Connection(context, connection_socket(sock))
    conn.set_connect_state()
    state = state_of(conn)
    if state is None or state.config.role != "client":
        raise InvalidParameter("client_connection() needs a context from fipscrypto.tls.client_context()")
    if server_hostname is None:
        if state.config.check_hostname:
            raise InvalidParameter("host name verification is on: give the server's host name")
        return conn
    try:
        ip, name = _host(server_hostname)
    except UnicodeError:
        raise InvalidParameter(f"not a valid host name: {server_hostname!r}") from None
    if ip is None:
        conn.set_tlsext_host_name(name)
    if state.config.check_hostname:
        if ip is not None:
            ok = _ossl.set_verify_ip(conn, ip)
        else:
            ok = _ossl.set_verify_host(conn, name, _NO_PARTIAL_WILDCARDS)
        if not ok:
            raise InvalidParameter(f"OpenSSL refused the host name {server_hostname!r}")
    state.hostname = server_hostname
    return conn


def server_connection(context: SSL.Context, sock: Any = None) -> Connection:
    """A server connection (``sock``: an accepted ``socket.socket``, or None for memory BIOs)."""
    gate()
    context = _context(context, "server_context")
    conn = _ServerConnection(context, connection_socket(sock))
    conn.set_accept_state()
    state = state_of(conn)
    if state is not None and state.config.role == "server":
        conn._fc_hello = state.hello = bytearray()  # read by the client-hello callback
    return conn


def handshake(conn: SSL.Connection) -> TLSParameters:
    """Complete the handshake of a blocking connection and return what it negotiated."""
    conn.do_handshake()
    return pyopenssl_negotiated(conn, None)
