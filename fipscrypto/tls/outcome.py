"""After the handshake: what was negotiated, checked against the policy, recorded and audited.

:func:`negotiated` runs once per connection (later calls return the same record). It checks the
negotiated version, suite, group and the peer's signature scheme against the policy, requires the
extended master secret on TLS 1.2, and checks the peer's chain when the handshake did not already (a
stdlib context, a resumed session, a context not built by fipscrypto): a peer that broke the policy is
rejected here even though the handshake succeeded. Then it records the service indicator
(``tls.handshake``, the suite) and writes one ``tls-handshake`` audit event with the fields of
:meth:`TLSParameters.audit_fields` (identities and algorithm names only; no keys, no payload).

A fipscrypto context keeps the approved outcomes of its handshakes for the UTC day: a later handshake
of the same shape (see :func:`pyopenssl_negotiated`) gets the kept record, and still passes the gate,
records the indicator and writes its own audit event.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from OpenSSL import SSL, crypto

from .. import _clock, audit, indicator
from .._backend import pyopenssl as _ossl
from .._backend import x509 as _x509
from .._service import record
from ..errors import HandshakeRejected, InvalidParameter, PolicyViolation
from ..module import gate
from ..policy.vocabulary import categories
from .certs import CertificateSummary, ChainChecker, Role, facts_of
from .hooks import Outcome, state_of
from .names import group_name, signature_scheme, suite_name, version_name
from .params import TLSParameters
from .rules import PolicyRef

__all__ = ["Handshake", "conclude", "infer_scheme", "pyopenssl_negotiated"]

SERVICE = "tls.handshake"
# The versions with a master secret, which RFC 7627 binds to the handshake (TLS 1.0-1.2, DTLS 1.0-1.2).
_MASTER_SECRET = ("tls1.0", "tls1.1", "tls1.2", "dtls1.0", "dtls1.2")
_REASONS = {
    "tls-version": "version-not-allowed",
    "tls12-suite": "suite-not-allowed",
    "tls13-suite": "suite-not-allowed",
    "tls-group": "group-not-allowed",
    "tls-sigalg": "signature-scheme-not-allowed",
}
# (policy key, version, suite, group, sigalg) -> UTC day on which they were all approved
_approved: dict[tuple[object, ...], int] = {}
_summaries: dict[str, CertificateSummary] = {}


class Handshake:
    """What a stack reports about one completed handshake, before the checks."""

    __slots__ = (
        "alpn",
        "anchored",
        "chain_approved",
        "checked",
        "ems",
        "fips_boundary",
        "group",
        "local_sigalg",
        "peer_chain",
        "peer_sigalg",
        "resumed",
        "role",
        "suite",
        "summaries",
        "version",
    )

    def __init__(
        self,
        *,
        role: Role,
        version: str,
        suite: str,
        group: str | None,
        peer_sigalg: str | None,
        local_sigalg: str | None,
        ems: bool | None,
        alpn: str | None,
        resumed: bool,
        peer_chain: Sequence[_x509.CertificateFacts],
        anchored: bool,
        checked: bool,
        chain_approved: bool,
        fips_boundary: bool,
        summaries: tuple[CertificateSummary, ...] | None = None,
    ) -> None:
        self.role, self.version, self.suite, self.group = role, version, suite, group
        self.peer_sigalg, self.local_sigalg, self.ems, self.alpn = peer_sigalg, local_sigalg, ems, alpn
        self.resumed, self.peer_chain, self.anchored = resumed, tuple(peer_chain), anchored
        self.checked, self.chain_approved, self.fips_boundary = checked, chain_approved, fips_boundary
        self.summaries = summaries


def _summary(facts: _x509.CertificateFacts) -> CertificateSummary:
    found = _summaries.get(facts.fingerprint)
    if found is None:
        if len(_summaries) > 4096:
            _summaries.clear()
        found = _summaries[facts.fingerprint] = CertificateSummary.of(facts)
    return found


# DER chain -> (facts, summaries): a peer presents the same chain again and again.
_chains: dict[
    tuple[bytes, ...], tuple[tuple[_x509.CertificateFacts, ...], tuple[CertificateSummary, ...]]
] = {}


def _chain_info(
    ders: tuple[bytes, ...],
) -> tuple[tuple[_x509.CertificateFacts, ...], tuple[CertificateSummary, ...]]:
    found = _chains.get(ders)
    if found is None:
        if len(_chains) > 1024:
            _chains.clear()
        facts = tuple(map(facts_of, ders))
        found = _chains[ders] = (facts, tuple(map(_summary, facts)))
    return found


def _require(ref: PolicyRef, category: str, name: str) -> bool:
    try:
        return ref.require(SERVICE, category, name)
    except PolicyViolation as exc:
        raise HandshakeRejected(
            f"the peer negotiated {name}, which the policy does not allow: {exc}",
            _REASONS[category],
            exc.verdict,
        ) from None


def conclude(shake: Handshake, ref: PolicyRef, checker: ChainChecker) -> TLSParameters:
    """Check one handshake against the policy, record the indicator and audit it."""
    gate()  # a handshake that completes after the module entered ERROR carries nothing
    version = version_name(shake.version)
    suite = suite_name(shake.suite)
    if version in _MASTER_SECRET and shake.ems is False:
        raise HandshakeRejected(
            f"{shake.version} without the extended master secret (RFC 7627); the TLS 1.2 key derivation "
            "must use it (FIPS 140-3 IG D.Q)",
            "no-extended-master-secret",
        )
    key = (ref.key, version, suite, shake.group, shake.peer_sigalg)
    approved = _approved.get(key) == _clock.utc_day()
    if not approved:
        approved = _require(ref, "tls-version", version)
        approved &= _require(ref, "tls13-suite" if version == "tls1.3" else "tls12-suite", suite)
        if shake.group is not None:
            approved &= _require(ref, "tls-group", shake.group)
        if shake.peer_sigalg is not None:
            approved &= _require(ref, "tls-sigalg", shake.peer_sigalg)
        if approved:
            _approved[key] = _clock.utc_day()
    if shake.peer_chain and not shake.checked:
        approved &= checker.check(shake.peer_chain, anchored=shake.anchored)
    else:
        approved &= shake.chain_approved
    approved &= shake.fips_boundary  # the stdlib's TLS is not a service of the validated module
    chain = shake.summaries if shake.summaries is not None else tuple(map(_summary, shake.peer_chain))
    params = TLSParameters(
        role=shake.role,
        version=shake.version,
        suite=suite,
        group=shake.group,
        signature_algorithm=shake.peer_sigalg,
        local_signature_algorithm=shake.local_sigalg,
        extended_master_secret=shake.ems,
        alpn=shake.alpn,
        resumed=shake.resumed,
        peer_certificate=chain[0] if chain else None,
        peer_chain=chain,
        policy=ref.name,
        approved=approved,
        fips_boundary=shake.fips_boundary,
    )
    record(SERVICE, suite, approved)
    audit.emit("tls-handshake", **params.audit_fields())
    return params


def _der(cert: crypto.X509) -> bytes:
    return crypto.dump_certificate(crypto.FILETYPE_ASN1, cert)


def _peer_chain(conn: SSL.Connection) -> tuple[list[_x509.CertificateFacts], bool]:
    """The peer's chain after the handshake: the verified one (anchored) when OpenSSL kept it, else what
    the peer sent."""
    verified = conn.get_verified_chain()
    if verified:
        return [facts_of(_der(c)) for c in verified], True
    sent = [_der(c) for c in conn.get_peer_cert_chain() or ()]
    leaf = conn.get_peer_certificate()
    if leaf is not None and (not sent or sent[0] != _der(leaf)):
        sent.insert(0, _der(leaf))  # a server's view of the client's chain leaves the leaf out
    return [facts_of(d) for d in sent], False


_CURVE_SCHEMES = {
    "ecdsa_secp256r1_sha256": "secp256r1",
    "ecdsa_secp384r1_sha384": "secp384r1",
    "ecdsa_secp521r1_sha512": "secp521r1",
}
_KEYED = {
    "ed25519": "ed25519",
    "ed448": "ed448",
    "mldsa44": "ml-dsa-44",
    "mldsa65": "ml-dsa-65",
    "mldsa87": "ml-dsa-87",
}


def _fits(scheme: str, tls13: bool, key_type: str, curve: str | None) -> bool:
    """Could a key of this type sign the handshake with this scheme (RFC 8446 §4.2.3)?"""
    if scheme in _CURVE_SCHEMES:  # TLS 1.3 binds the curve to the hash; TLS 1.2 does not
        return key_type == "ec" and (not tls13 or curve == _CURVE_SCHEMES[scheme])
    if scheme == "ecdsa_sha1":
        return key_type == "ec" and not tls13
    if scheme.startswith("rsa_pss_"):
        return key_type == "rsa"
    if scheme.startswith("rsa_pkcs1_"):  # not in TLS 1.3 handshake signatures
        return key_type == "rsa" and not tls13
    return _KEYED.get(scheme) == key_type


@functools.lru_cache(maxsize=512)
def infer_scheme(offered: tuple[str, ...], version: str, key_type: str, curve: str | None) -> str | None:
    """The signature scheme a key must have used, when exactly one of the schemes offered to it fits
    (e.g. an ECDSA P-256 key in TLS 1.3: ecdsa_secp256r1_sha256); None when several could have.
    ``offered``: OpenSSL's or the policy's spelling."""
    tls13 = version == "TLSv1.3"
    found = [s for s in _vocabulary_sigalgs(offered) if _fits(s, tls13, key_type, curve)]
    return found[0] if len(found) == 1 else None


def _vocabulary_sigalgs(openssl: tuple[str, ...]) -> tuple[str, ...]:
    sigalgs = categories()["tls-sigalg"]
    reverse = {sigalgs.openssl_name(n): n for n in sigalgs.names}
    return tuple(reverse.get(s, s) for s in openssl)


_OUTCOMES_KEPT = 256  # per context: the shapes of handshake one endpoint sees are few
_last, _set_last = indicator.get_last, indicator.set_last
_utc_day = _clock.utc_day


def pyopenssl_negotiated(conn: SSL.Connection, role: Role | None) -> TLSParameters:
    """:func:`fipscrypto.tls.negotiated` for a pyOpenSSL connection.

    A fipscrypto context keeps the approved outcomes of its handshakes for the UTC day (policies date
    their changes by day), by their *shape*: everything the outcome follows from, that is what OpenSSL
    negotiated (suite, version, group, resumption, EMS), the peer's chain with its verdict and the
    signature schemes (as the handshake callbacks saw them), ALPN. A handshake of a kept shape passes
    the module gate, marks the indicator and writes its audit event with the kept record; anything
    else goes through every check of :func:`conclude`. A connection whose peer's chain was not checked
    in the handshake has no shape (its chain is checked afterwards, every time).
    """
    state = state_of(conn)
    shape = None
    if state is not None:
        if state.parameters is not None:
            return state.parameters
        endpoint = state.config
        negotiated = (
            _ossl.outcome_key(conn)
            if state.peer_chain is not None or not endpoint.peer_certificates
            else None
        )
        if negotiated is not None:
            alpn = conn.get_alpn_proto_negotiated() if endpoint.alpn else None
            shape = (
                negotiated,
                state.peer_chain,
                state.peer_approved,
                state.peer_sigalg,
                state.local_sigalg,
                alpn,
            )
            known = endpoint.outcomes.get(shape)
            if known is not None and known.day == _utc_day():
                gate()
                if _last() is not known.op:  # indicator.mark, inlined
                    _set_last(known.op)
                next(known.counter)
                audit.emit_fields("tls-handshake", known.audit_fields)
                state.parameters = known.parameters
                return known.parameters
    day = _clock.utc_day()
    suite = conn.get_cipher_name()
    if not suite:
        raise InvalidParameter("negotiated(): the connection has not completed a handshake")
    version = conn.get_protocol_version_name()
    config = state.config if state is not None else None
    if config is not None:
        role, ref, checker = config.role, config.ref, config.checker
    elif role is None:
        raise InvalidParameter("negotiated(): not a fipscrypto context; give role='client' or role='server'")
    else:
        ref = PolicyRef(None)
        checker = ChainChecker(ref, "client" if role == "server" else "server", SERVICE)
    summaries: tuple[CertificateSummary, ...] | None = None
    if state is not None and state.peer_chain is not None:
        chain, summaries = _chain_info(state.peer_chain)
        anchored, checked, chain_approved = True, True, state.peer_approved
    elif config is not None and not config.peer_certificates:
        chain, summaries, anchored, checked, chain_approved = (), (), True, True, True  # none was asked for
    else:
        found, anchored = _peer_chain(conn)
        chain, checked, chain_approved = tuple(found), False, True
    group = conn.get_group_name()
    resumed = _ossl.session_reused(conn)
    peer_sigalg = local_sigalg = None
    if state is not None and state.peer_sigalg is not None:
        peer_sigalg = signature_scheme(state.peer_sigalg)
    elif config is not None and chain and not resumed:
        # The peer signed with a scheme we offered that fits its key.
        peer_sigalg = infer_scheme(config.settings.sigalgs, version, chain[0].key_type, chain[0].curve)
    if state is not None and state.local_sigalg is not None:
        local_sigalg = signature_scheme(state.local_sigalg)
    elif config is not None and config.local and role == "server" and not resumed:
        # We signed with a scheme the client offered: at most what this policy allows.
        local = config.local[0]
        local_sigalg = infer_scheme(config.settings.sigalgs, version, local.key_type, local.curve)
    alpn = conn.get_alpn_proto_negotiated() if config is None or config.alpn else None
    if version == "TLSv1.3":
        ems: bool | None = True  # RFC 8446 Appendix D: report EMS whenever TLS 1.3 is used
    else:
        ems = _ossl.extended_master_secret(conn)
    params = conclude(
        Handshake(
            role=role,
            version=version,
            suite=suite,
            group=group_name(group) if group else None,
            peer_sigalg=peer_sigalg,
            local_sigalg=local_sigalg,
            ems=ems,
            alpn=alpn.decode("ascii", "replace") if alpn else None,
            resumed=resumed,
            peer_chain=chain,
            anchored=anchored,
            checked=checked,
            chain_approved=chain_approved,
            fips_boundary=True,
            summaries=summaries,
        ),
        ref,
        checker,
    )
    if state is not None:
        state.parameters = params
        if shape is not None and params.approved:
            outcomes = state.config.outcomes
            if len(outcomes) >= _OUTCOMES_KEPT:
                outcomes.clear()
            op, counter = indicator.entry(SERVICE, params.suite, True)
            outcomes[shape] = Outcome(day, params, params.audit_fields(), op, counter)
    return params
