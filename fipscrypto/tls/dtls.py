"""pyOpenSSL DTLS contexts whose peer is authenticated by a pinned certificate, not a CA chain.

    context = dtls_context("server", cert, key, service="srtp.dtls", ref=PolicyRef(None))
    conn = SSL.Connection(context, None)
    pin_peer(conn, check)                  # before the handshake: the peer check of this connection

The context offers what the policy allows for DTLS (:func:`~fipscrypto.tls.settings.endpoint_settings`
with ``protocol="dtls"``: the policy's DTLS versions, TLS 1.2 suites, groups and signature schemes),
checks the local chain against the policy, and requires a certificate from the peer. Protocols that
pin the peer's certificate out of band (DTLS-SRTP pins it by its SDP fingerprint, RFC 8122 §5) have no
CA: OpenSSL's chain verification is replaced by the connection's peer check (:func:`pin_peer`), called
with the DER of the certificate the peer presented, and the policy's checks of that certificate (key
and signature hash), both inside the handshake, so that a rejected peer gets an alert; a connection
without a peer check accepts no peer. One context serves any number of connections, each with its own
pinned peer. After the handshake,
:func:`fipscrypto.tls.negotiated` checks and audits the connection as for TLS.
"""

from __future__ import annotations

from collections.abc import Callable

from OpenSSL import SSL, crypto

from .._service import record
from ..errors import CertificateUntrusted, FipsError
from .certs import ChainChecker, Role, Source
from .contexts import _load_local
from .hooks import EndpointConfig, install, state_of
from .openssl import capability, new_context
from .rules import PolicyRef
from .settings import endpoint_settings

__all__ = ["dtls_context", "pin_peer"]

PeerCheck = Callable[[bytes], None]
_PEER_CHECK = "_fipscrypto_dtls_peer_check"  # in the Connection's __dict__, as hooks keeps its state

# RFC 5246 §7.4.6 (DTLS 1.2 reuses it, RFC 6347 §4.2): the peer must present a certificate.
_VERIFY_MODE = SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT


def dtls_context(
    role: Role,
    cert_chain: Source,
    private_key: Source,
    *,
    service: str,
    ref: PolicyRef,
    password: bytes | None = None,
) -> SSL.Context:
    """A DTLS context for the endpoints of one certificate and key. ``service`` names the endpoints' use
    for the indicator and the audit trail; ``ref`` their policy (:class:`~fipscrypto.tls.PolicyRef`)."""
    settings = endpoint_settings(ref, service=service, protocol="dtls", negotiable=capability())
    context = new_context(settings)
    local = _load_local(context, cert_chain, private_key, password, ChainChecker(ref, role, service))
    peer: Role = "client" if role == "server" else "server"
    checker = ChainChecker(ref, peer, "tls.handshake")
    config = EndpointConfig(
        role,
        settings,
        ref,
        checker,
        False,
        local,
        inspect=False,
        peer_certificates=True,
        alpn=False,
        anchors={},
    )
    install(context, config, _VERIFY_MODE)

    def verify(conn: SSL.Connection, cert: crypto.X509, errno: int, depth: int, ok: int) -> bool:
        # OpenSSL calls this for every certificate the peer sent, the end entity last (depth 0). The
        # chain leads to no anchor (a self-signed certificate, as WebRTC endpoints have): whatever
        # OpenSSL found above depth 0 is not relied upon; the pinned end entity is the trust anchor.
        if depth:
            return True
        state = state_of(conn)
        if state is None:  # pragma: no cover - install() registered the context above
            return False
        try:
            der = crypto.dump_certificate(crypto.FILETYPE_ASN1, cert)
            _peer_check(conn)(der)
            state.peer_approved = checker.check_ders((der,), anchored=True)
            state.peer_chain = (der,)
        except FipsError as exc:
            state.error = exc
            return False
        except Exception as exc:  # fail closed
            state.error = CertificateUntrusted(f"the peer certificate check failed: {exc!r}", "untrusted")
            return False
        return True

    context.set_verify(_VERIFY_MODE, verify)  # replaces the chain verification install() set
    record(service, ref.name, settings.approved)
    return context


def _peer_check(conn: SSL.Connection) -> PeerCheck:
    check: PeerCheck | None = conn.__dict__.get(_PEER_CHECK)
    if check is None:
        raise CertificateUntrusted("no peer certificate is pinned for this connection", "untrusted")
    return check


def pin_peer(conn: SSL.Connection, check: PeerCheck) -> None:
    """Give a connection on a :func:`dtls_context` its peer check: ``check(der)`` raises a typed error
    (a FipsError) when the peer's end-entity certificate is not the expected one; the handshake then
    ends with an alert and the connection's state keeps the error."""
    conn.__dict__[_PEER_CHECK] = check
