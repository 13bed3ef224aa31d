"""DTLS-SRTP keying (RFC 5764), sans-I/O: the caller moves the datagrams, this endpoint runs the handshake.

    endpoint = DtlsSrtp("client", certificate=cert.certificate, private_key=cert.private_key,
                        remote_fingerprint="sha-256 4A:AD:...")
    for datagram in endpoint.datagrams_to_send(): sock.sendto(datagram, peer)
    endpoint.receive(datagram, address)            # each datagram from the peer
    endpoint.next_timeout()                        # seconds until handle_timeout() is due, or None
    endpoint.handle_timeout()                      # retransmits the last flight (RFC 6347 §4.2.4)
    endpoint.handshake_complete
    keys = endpoint.keying_material()              # profile, local and remote master keys and salts

The handshake is DTLS 1.2 over pyOpenSSL (cryptography's OpenSSL with the FIPS provider) in the
policy's DTLS limits (:func:`fipscrypto.tls.dtls.dtls_context`), with the use_srtp extension (RFC 5764
§4.1.1) offering only the SRTP profiles the policy allows (category ``srtp-profile``). The peer's
certificate is checked against its SDP fingerprint (RFC 8122 §5), as WebRTC does: no CA, a
self-signed certificate, the handshake ends with an alert when it does not match. A server makes the
client prove it receives at its address before it does any costly work (the cookie exchange, RFC 6347
§4.2.1): the cookie is an HMAC-SHA-256, under a key of the endpoint's, of the address the caller gives
with each datagram; until a cookie verifies, the server keeps no handshake state (DTLSv1_listen).
Endpoints of one certificate share an OpenSSL context; each connection carries its own pin and cookie
key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, NoReturn

from OpenSSL import SSL

from .. import _clock, mac, rand
from .._backend.pyopenssl import set_dtls_mtu
from .._service import record
from ..errors import (
    AlgorithmUnavailable,
    AuthenticationError,
    FingerprintMismatch,
    FipsError,
    HandshakeFailed,
    InvalidParameter,
    NoSrtpProfile,
    PolicyViolation,
)
from ..module import on_error
from ..policy import Policy
from ..tls.arguments import flag, key_password
from ..tls.certs import Source
from ..tls.contexts import _rejection
from ..tls.dtls import dtls_context, pin_peer
from ..tls.outcome import pyopenssl_negotiated
from ..tls.params import TLSParameters
from ..tls.rules import PolicyRef
from .fingerprint import Fingerprint, fingerprints
from .profiles import Profile
from .session import SRTPSession

__all__ = ["EXPORTER_LABEL", "DtlsSrtp", "KeyingMaterial"]

Role = Literal["client", "server"]
SERVICE = "srtp.dtls"
# RFC 5764 §4.2: "the EXPORTER label is 'EXTRACTOR-dtls_srtp'".
EXPORTER_LABEL = b"EXTRACTOR-dtls_srtp"
# OpenSSL's names of the DTLS-SRTP profiles (SSL_CTX_set_tlsext_use_srtp(3)), by IANA id.
_OPENSSL_NAMES = {
    0x0001: b"SRTP_AES128_CM_SHA1_80",
    0x0002: b"SRTP_AES128_CM_SHA1_32",
    0x0007: b"SRTP_AEAD_AES_128_GCM",
    0x0008: b"SRTP_AEAD_AES_256_GCM",
}
# What an endpoint offers when not told, most preferred first (a server picks by its own order).
_PREFERENCE = (
    Profile.AEAD_AES_256_GCM,
    Profile.AEAD_AES_128_GCM,
    Profile.AES_CM_128_HMAC_SHA1_80,
    Profile.AES_CM_128_HMAC_SHA1_32,
)
_HEADER = 13  # RFC 6347 §4.1: type, version, epoch, sequence_number, length
_MAX_DATAGRAM = 2**16
_COOKIE_KEY = 32
_COOKIE_LENGTH = 32  # HMAC-SHA-256
_COOKIES = "_fipscrypto_dtls_cookies"  # a server endpoint's _Cookies, in its Connection's __dict__
_BLANK = b""


@dataclass(frozen=True, slots=True, repr=False, eq=False)
class KeyingMaterial:
    """The SRTP master keys and salts of one DTLS-SRTP association (RFC 5764 §4.2), by direction: the
    local ones protect what this endpoint sends, the remote ones what it receives. Neither shown by
    ``repr`` nor compared by ``==`` (compare keys with ``hmac.compare_digest``)."""

    profile: Profile
    local_key: bytes
    local_salt: bytes
    remote_key: bytes
    remote_salt: bytes

    def __repr__(self) -> str:
        return f"KeyingMaterial({self.profile.name})"

    def sessions(self, *, replay_window: int = 128) -> tuple[SRTPSession, SRTPSession]:
        """The two SRTP sessions of the association (RFC 5764 §4.2): ``(outbound, inbound)``, the
        first protecting what this endpoint sends under its own write key and salt, the second
        unprotecting what the peer sends under the peer's. They take no MKI (the srtp_mki these
        endpoints send in use_srtp is empty, RFC 5764 §4.1.1) and a key derivation rate of 0 (DTLS-SRTP
        negotiates none)."""
        outbound = SRTPSession(self.profile, self.local_key, self.local_salt, replay_window=replay_window)
        inbound = SRTPSession(self.profile, self.remote_key, self.remote_salt, replay_window=replay_window)
        return outbound, inbound


def _split(material: bytes, profile: Profile, role: Role) -> KeyingMaterial:
    # RFC 5764 §4.2: client_write_SRTP_master_key[SRTPSecurityParams.master_key_len];
    # server_write_SRTP_master_key[...]; client_write_SRTP_master_salt[SRTPSecurityParams.master_salt_len];
    # server_write_SRTP_master_salt[...].
    k, s = profile.key_length, profile.salt_length
    client_key, server_key = material[:k], material[k : 2 * k]
    client_salt, server_salt = material[2 * k : 2 * k + s], material[2 * k + s :]
    if role == "client":
        return KeyingMaterial(profile, client_key, client_salt, server_key, server_salt)
    return KeyingMaterial(profile, server_key, server_salt, client_key, client_salt)


def _offered(profiles: object, ref: PolicyRef) -> tuple[Profile, ...]:
    """The profiles to offer, most preferred first: those asked for, or every DTLS-SRTP profile the
    policy allows. Each passes the gate and both policies (strict mode refuses a disallowed one)."""
    if profiles is None:
        chosen = tuple(p for p in _PREFERENCE if ref.refusal("srtp-profile", p.name) is None)
    else:
        if not isinstance(profiles, list | tuple):
            raise InvalidParameter("profiles is a list or tuple of fipscrypto.srtp.Profile, or None")
        chosen = tuple(dict.fromkeys(profiles))
        for profile in chosen:
            if not isinstance(profile, Profile):
                raise InvalidParameter(f"profiles holds Profile members, not {type(profile).__name__}")
            if profile.dtls_id not in _OPENSSL_NAMES:
                raise InvalidParameter(f"{profile.name} has no DTLS-SRTP profile (RFC 5764 §4.1.2)")
    if not chosen:
        raise PolicyViolation(f"policy {ref.name} allows no DTLS-SRTP profile")
    for profile in chosen:
        ref.require(SERVICE, "srtp-profile", profile.name)
    return chosen


@dataclass(slots=True, eq=False)
class _Pins:
    """The peer's SDP fingerprints; a certificate matching any of them is the peer's (RFC 8122 §5)."""

    fingerprints: tuple[Fingerprint, ...]

    def check(self, der: bytes) -> None:
        if not any(pin.matches(der) for pin in self.fingerprints):
            shown = Fingerprint.of(der, self.fingerprints[0].algorithm)
            raise FingerprintMismatch(
                f"the peer's certificate ({shown}) does not match the SDP fingerprint "
                f"{', '.join(map(str, self.fingerprints))}",
                "fingerprint-mismatch",
                depth=0,
            )


@dataclass(slots=True, eq=False)
class _Cookies:
    """RFC 6347 §4.2.1: "Cookie = HMAC(Secret, Client-IP, Client-Parameters)"; the client parameters are
    not bound here (OpenSSL's callback does not see them), the address is the caller's. One per server
    endpoint, kept in its Connection (the context's callbacks find it there)."""

    secret: bytes = field(default_factory=lambda: rand.random_bytes(_COOKIE_KEY))
    address: bytes = _BLANK

    @staticmethod
    def of(conn: SSL.Connection) -> _Cookies:
        cookies: _Cookies = conn.__dict__[_COOKIES]  # a KeyError fails the handshake: fail closed
        return cookies

    @staticmethod
    def generate(conn: SSL.Connection) -> bytes:
        cookies = _Cookies.of(conn)
        return mac.hmac(cookies.secret, cookies.address)

    @staticmethod
    def verify(conn: SSL.Connection, cookie: bytes) -> bool:
        if len(cookie) != _COOKIE_LENGTH:  # the whole HMAC: no truncated tag is a cookie of ours
            return False
        cookies = _Cookies.of(conn)
        try:
            mac.verify_hmac(cookies.secret, cookies.address, cookie)
        except AuthenticationError:
            return False
        return True


# (role, certificate, private key, password, policy key, profiles, cookies, UTC day) -> context: the
# endpoints of one certificate share a context (an SFU keys thousands with one). Keys given as file
# names are read again for each endpoint (the file may change); a new UTC day builds anew (policies
# date their changes by day); entering ERROR drops them all.
_contexts: dict[tuple[object, ...], SSL.Context] = {}
_CONTEXTS_KEPT = 64


def _forget_contexts() -> None:
    _contexts.clear()


on_error(_forget_contexts)


def _context(
    role: Role,
    certificate: Source,
    private_key: Source,
    password: bytes | None,
    ref: PolicyRef,
    offered: tuple[Profile, ...],
    cookies: bool,
) -> SSL.Context:
    key: tuple[object, ...] | None = None
    if isinstance(certificate, bytes) and isinstance(private_key, bytes):
        key = (role, certificate, private_key, password, ref.key, offered, cookies, _clock.utc_day())
        found = _contexts.get(key)
        if found is not None:
            return found
    context = dtls_context(role, certificate, private_key, service=SERVICE, ref=ref, password=password)
    # RFC 5764 §4.1.1: use_srtp lists the profiles "in order of preference".
    context.set_tlsext_use_srtp(b":".join(_OPENSSL_NAMES[p.dtls_id or 0] for p in offered))
    if cookies:
        option = SSL.OP_COOKIE_EXCHANGE
        if option is None:
            raise AlgorithmUnavailable("this OpenSSL binding has no DTLS cookie exchange")
        context.set_options(option)
        context.set_cookie_generate_callback(_Cookies.generate)
        context.set_cookie_verify_callback(_Cookies.verify)
    if key is not None:
        if len(_contexts) >= _CONTEXTS_KEPT:
            _contexts.clear()
        _contexts[key] = context
    return context


def _address(address: object) -> bytes:
    return _BLANK if address is None else repr(address).encode()


def _records(data: bytes) -> list[bytes]:
    """DTLS records (RFC 6347 §4.1) as OpenSSL wrote them into its memory BIO, one after the other."""
    found, p = [], 0
    while p < len(data):
        end = p + _HEADER + int.from_bytes(data[p + 11 : p + 13], "big")
        found.append(data[p:end])
        p = end
    return found


def _reason(exc: SSL.Error) -> str:
    parts = [str(part[2]) for part in exc.args[0] if len(part) > 2] if exc.args and exc.args[0] else []
    return "; ".join(parts) or str(exc) or type(exc).__name__


class DtlsSrtp:
    """One DTLS-SRTP endpoint (RFC 5764), client or server, sans-I/O.

    ``certificate`` and ``private_key``: this endpoint's (PEM or DER, bytes or a file name; see
    :func:`~fipscrypto.srtp.generate_certificate`), ``password`` if the key is encrypted.
    ``remote_fingerprint``: the peer's SDP ``a=fingerprint`` (a str with or without ``a=fingerprint:``,
    a :class:`~fipscrypto.srtp.Fingerprint`, or a list of them). ``profiles``: the SRTP profiles to offer,
    most preferred first (default: every one the policy allows, AES-GCM first). ``policy``: as for
    :func:`fipscrypto.tls.server_context`. ``mtu``: the largest datagram :meth:`datagrams_to_send`
    makes of several records (OpenSSL's records are at most 256 bytes here; a larger one would go
    alone). ``cookies``: a server's cookie exchange (RFC 6347 §4.2.1), on by default.

    Errors: the handshake raises FingerprintMismatch (the peer's certificate is not the pinned one),
    a CertificateRejected or HandshakeRejected subclass (the policy refused what the peer used),
    NoSrtpProfile, or HandshakeFailed (an alert from the peer, a protocol error, the retransmissions ran
    out); the endpoint keeps the error, raises it again from every later call, and
    :meth:`datagrams_to_send` gives the alert it sent.
    """

    __slots__ = (
        "_conn",
        "_cookies",
        "_error",
        "_keys",
        "_listening",
        "_mtu",
        "_offered",
        "_parameters",
        "_ref",
        "role",
    )

    def __init__(
        self,
        role: Role,
        *,
        certificate: Source,
        private_key: Source,
        remote_fingerprint: Fingerprint | str | Sequence[Fingerprint | str],
        profiles: Sequence[Profile] | None = None,
        policy: Policy | str | None = None,
        password: bytes | None = None,
        mtu: int = 1200,
        cookies: bool = True,
    ) -> None:
        if role not in ("client", "server"):
            raise InvalidParameter(f"role is 'client' or 'server', not {role!r:.40}")
        if type(mtu) is not int or not 256 <= mtu <= _MAX_DATAGRAM:
            raise InvalidParameter(f"mtu is an int, 256 to {_MAX_DATAGRAM}")
        cookies, password = flag("cookies", cookies), key_password(password)
        self.role: Role = role
        self._mtu = mtu
        pins = _Pins(fingerprints(remote_fingerprint))
        self._ref = PolicyRef(policy)
        self._offered = _offered(profiles, self._ref)
        self._listening = role == "server" and cookies
        context = _context(
            role, certificate, private_key, password, self._ref, self._offered, self._listening
        )
        self._conn = SSL.Connection(context, None)
        set_dtls_mtu(self._conn, mtu)  # RFC 6347 §4.1.1: records and handshake fragments fit the PMTU
        pin_peer(self._conn, pins.check)
        self._cookies: _Cookies | None = None
        if self._listening:
            self._cookies = self._conn.__dict__[_COOKIES] = _Cookies()
        self._error: Exception | None = None
        self._parameters: TLSParameters | None = None
        self._keys: KeyingMaterial | None = None
        if role == "client":
            self._conn.set_connect_state()
            self._advance()  # the ClientHello
        else:
            self._conn.set_accept_state()

    def __repr__(self) -> str:
        state = "failed" if self._error else "complete" if self._keys else "handshaking"
        return f"DtlsSrtp({self.role!r}, {state})"

    # ------------------------------------------------------------------------------------ datagrams

    def receive(self, datagram: bytes, address: object = None) -> None:
        """Give the endpoint one datagram from the peer. ``address``: the peer's transport address as
        the caller knows it (e.g. ``("192.0.2.1", 5000)``), which a server's cookies are bound to
        (None binds them to no address).
        Raises the handshake's error when it fails."""
        if not isinstance(datagram, bytes | bytearray | memoryview):
            raise InvalidParameter(f"a datagram is bytes, not {type(datagram).__name__}")
        if not 0 < len(datagram) <= _MAX_DATAGRAM:
            raise InvalidParameter(f"a datagram has 1 to {_MAX_DATAGRAM} bytes, not {len(datagram)}")
        self._raise_failure()
        if self._cookies is not None:
            self._cookies.address = _address(address)
        self._conn.bio_write(bytes(datagram))
        if self._keys is not None:
            self._after_handshake()
        elif self._listening:
            self._listen()
        else:
            self._advance()

    def datagrams_to_send(self) -> list[bytes]:
        """The datagrams the endpoint has to send, in order (whole records, several to a datagram up to
        the MTU); empty when there are none."""
        pending = bytearray()
        while True:
            try:
                pending += self._conn.bio_read(_MAX_DATAGRAM)
            except SSL.WantReadError:
                break
        datagrams: list[bytes] = []
        current = bytearray()
        for item in _records(bytes(pending)):
            if current and len(current) + len(item) > self._mtu:
                datagrams.append(bytes(current))
                current.clear()
            current += item
        if current:
            datagrams.append(bytes(current))
        return datagrams

    def next_timeout(self) -> float | None:
        """Seconds until :meth:`handle_timeout` is due (the retransmission timer, RFC 6347 §4.2.4), or
        None when no timer runs."""
        if self._error is not None:
            return None
        return self._conn.DTLSv1_get_timeout()

    def handle_timeout(self) -> None:
        """Call when :meth:`next_timeout` has passed: retransmits the last flight (then
        :meth:`datagrams_to_send`), doubling the timer; raises HandshakeFailed when the retransmissions
        ran out."""
        self._raise_failure()
        try:
            self._conn.DTLSv1_handle_timeout()
        except SSL.Error as exc:
            self._fail(HandshakeFailed(f"the DTLS handshake timed out: {_reason(exc)}", "timeout"))

    # ------------------------------------------------------------------------------------- outcome

    @property
    def handshake_complete(self) -> bool:
        """The handshake completed and passed every check; :meth:`keying_material` is ready."""
        return self._keys is not None

    @property
    def parameters(self) -> TLSParameters:
        """What the handshake negotiated (version, suite, group, the peer's certificate)."""
        if self._parameters is None:
            raise InvalidParameter("the DTLS handshake has not completed")
        return self._parameters

    def keying_material(self) -> KeyingMaterial:
        """The negotiated profile and the SRTP master keys and salts, local (sending) and remote."""
        self._raise_failure()
        if self._keys is None:
            raise InvalidParameter("the DTLS handshake has not completed")
        return self._keys

    # ------------------------------------------------------------------------------------ internals

    def _raise_failure(self) -> None:
        if self._error is not None:
            raise self._error

    def _fail(self, error: Exception) -> NoReturn:
        self._error = error
        raise error

    def _listen(self) -> None:
        """A server with cookies answers a ClientHello with a HelloVerifyRequest, keeping no state
        (DTLSv1_listen); RFC 6347 §4.2.1: a ClientHello with a wrong cookie is treated "the same as a
        ClientHello with no cookie". Once a cookie verifies, the handshake goes on."""
        try:
            self._conn.DTLSv1_listen()
        except SSL.WantReadError:
            return
        except SSL.Error as exc:
            self._fail(HandshakeFailed(f"the DTLS handshake failed: {_reason(exc)}", "protocol"))
        self._listening = False
        self._advance()

    def _advance(self) -> None:
        try:
            self._conn.do_handshake()
        except SSL.WantReadError:
            return
        except SSL.Error as exc:
            # What the handshake's checks found (the peer check sent the alert), or the FIPS provider's
            # refusal of the key derivation without the extended master secret (RFC 7627).
            typed = _rejection(self._conn, exc)
            if typed is not None:
                self._fail(typed)
            self._fail(HandshakeFailed(f"the DTLS handshake failed: {_reason(exc)}", "protocol"))
        try:
            self._conclude()
        except FipsError as exc:
            self._conn.shutdown()  # close_notify: this endpoint will not use the association
            self._fail(exc)

    def _conclude(self) -> None:
        """After OpenSSL completed the handshake: the policy's checks and the audit, the profile, and
        the keying material."""
        parameters = pyopenssl_negotiated(self._conn, None)
        name = self._conn.get_selected_srtp_profile()
        profile = next((p for p in self._offered if _OPENSSL_NAMES[p.dtls_id or 0] == name), None)
        if profile is None:
            raise NoSrtpProfile(
                "the DTLS handshake negotiated no SRTP profile (RFC 5764 §4.1.1); offered "
                f"{[p.name for p in self._offered]}",
                "no-srtp-profile",
            )
        approved = parameters.approved & self._ref.require(SERVICE, "srtp-profile", profile.name)
        length = 2 * (profile.key_length + profile.salt_length)
        material = self._conn.export_keying_material(EXPORTER_LABEL, length)
        self._parameters = parameters
        self._keys = _split(material, profile, self.role)
        record(SERVICE, profile.name, approved)

    def _after_handshake(self) -> None:
        """Records after the handshake: a retransmitted last flight of the peer (OpenSSL answers with
        its own, RFC 6347 §4.2.4), an alert, or close_notify. Application data is not part of DTLS-SRTP
        (SRTP goes beside DTLS, RFC 5764 §5.1.2) and is dropped."""
        try:
            while self._conn.recv(_MAX_DATAGRAM):
                pass
        except (SSL.WantReadError, SSL.ZeroReturnError):
            return
        except SSL.Error as exc:
            self._fail(HandshakeFailed(f"the DTLS association failed: {_reason(exc)}", "protocol"))
