"""Certificates: loading PEM/DER chains and keys, and checking a chain against the policy.

:class:`ChainChecker` checks the local chain when a context is built and the peer's chain during the
handshake (from the verify callback, so a bad peer gets an alert and the caller a typed error) or after
it (stdlib contexts, resumed sessions). OpenSSL has already verified signatures, the path to a trust
anchor and the host name; these checks add the policy and name the failing rule:

======================  ================================================================================
check                   rule
======================  ================================================================================
validity                RFC 5280 §4.1.2.5: now within notBefore..notAfter, every certificate
public key              the policy's ``signature`` rules (type; size for RSA/DSA, e.g. SP 800-131A r2
                        Table 2: RSA < 2048 bits disallowed), every certificate
signature algorithm     ``sha1-signature`` (SP 800-131A r2 Table 8) and the ``hash`` and ``signature``
                        rules with the issuer's key, every certificate but a self-signed trust anchor
CA                      RFC 5280 §4.2.1.9: an issuer has basicConstraints cA=TRUE and respects
                        pathLenConstraint; §4.2.1.3: keyCertSign when keyUsage is present
key usage               RFC 8446 §4.4.2.2: "the digitalSignature bit MUST be set if the Key Usage
                        extension is present" (end-entity certificate)
extended key usage      RFC 5280 §4.2.1.12: when present, id-kp-serverAuth (servers) or id-kp-clientAuth
                        (clients); anyExtendedKeyUsage alone is not enough (as OpenSSL's SSL purposes)
======================  ================================================================================

Policy items are checked in the *apply* direction: a live peer signs now, with the key and, for its
certificate, relies now on the issuer's signature; *legacy-use* (processing protection applied in the
past) does not cover authenticating a peer today.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .._backend import x509 as _x509
from ..errors import (
    CertificateExpired,
    CertificateKeyRejected,
    CertificateNotCA,
    CertificateSignatureRejected,
    CertificateUntrusted,
    CertificateUsageRejected,
    InvalidParameter,
    PolicyViolation,
)
from .rules import PolicyRef

__all__ = [
    "CertificateSummary",
    "ChainChecker",
    "Role",
    "Source",
    "facts_of",
    "load_chain",
    "load_private_key",
    "read_source",
]

Role = Literal["server", "client"]
Source = str | os.PathLike[str] | bytes  # a file name, or the PEM/DER content itself

_CACHE_LIMIT = 1024  # chains remembered per checker
_EKU = {"server": _x509.EKU_SERVER_AUTH, "client": _x509.EKU_CLIENT_AUTH}
_CURVES = {"secp224r1": "p224", "secp256r1": "p256", "secp384r1": "p384", "secp521r1": "p521"}


@dataclass(frozen=True, slots=True)
class CertificateSummary:
    """What is recorded about a certificate: its identity, never its key."""

    subject: str
    issuer: str
    serial: str  # hex, lower case
    fingerprint_sha256: str  # hex, lower case
    not_before: str  # RFC 3339, UTC
    not_after: str
    key: str  # e.g. "ec secp256r1", "rsa 3072"
    signature: str  # e.g. "ecdsa-with-SHA256"

    @classmethod
    def of(cls, facts: _x509.CertificateFacts) -> CertificateSummary:
        key = " ".join(str(p) for p in (facts.key_type, facts.curve or facts.key_bits or "") if p)
        return cls(
            subject=facts.subject,
            issuer=facts.issuer,
            serial=f"{facts.serial:x}",
            fingerprint_sha256=facts.fingerprint,
            not_before=_x509.utc(facts.not_before).isoformat(),
            not_after=_x509.utc(facts.not_after).isoformat(),
            key=key,
            signature=facts.signature_name,
        )


# A certificate, key or CA bundle file is read up to this size (a system CA bundle is about 200 KiB).
MAX_SOURCE_BYTES = 16 * 1024 * 1024


def read_source(source: Source) -> bytes:
    """The bytes of a file name, or the bytes given; InvalidParameter for anything else (an int would
    be taken as a file descriptor and closed), an unreadable file or one over MAX_SOURCE_BYTES."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if not isinstance(source, (str, os.PathLike)):
        raise InvalidParameter(
            f"a certificate or key source is a file name or bytes, not {type(source).__name__}"
        )
    try:
        with open(source, "rb") as f:
            data = f.read(MAX_SOURCE_BYTES + 1)
    except (OSError, ValueError, TypeError) as exc:  # ValueError: a NUL in the name
        raise InvalidParameter(f"cannot read {os.fspath(source)!r}: {exc}") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise InvalidParameter(f"{os.fspath(source)!r} is larger than {MAX_SOURCE_BYTES} bytes")
    return data


def load_chain(source: Source) -> list[_x509.Certificate]:
    """A certificate chain (end-entity first) or a CA bundle, PEM (several) or DER (one)."""
    try:
        chain = _x509.load_certificates(read_source(source))
    except ValueError as exc:
        raise InvalidParameter(f"not a PEM or DER certificate: {exc}") from None
    if not chain:
        raise InvalidParameter("no certificate found")
    return chain


def load_private_key(source: Source, password: bytes | None = None) -> _x509.PrivateKey:
    try:
        return _x509.load_private_key(read_source(source), password)
    except (ValueError, TypeError) as exc:
        raise InvalidParameter(f"not a usable PEM or DER private key: {exc}") from None


@functools.lru_cache(maxsize=2048)
def facts_of(der: bytes) -> _x509.CertificateFacts:
    """The facts of a DER certificate, cached: a peer presents the same few certificates again and again."""
    try:
        return _x509.facts(_x509.load_der(der))
    except ValueError as exc:
        raise CertificateUntrusted(f"malformed certificate: {exc}", "untrusted") from None


def _key_scheme(facts: _x509.CertificateFacts, ref: PolicyRef) -> tuple[str, int | None]:
    """The policy's signature-scheme name for a certificate's key, with the size for sized schemes."""
    if facts.key_type == "rsa":
        # Either RSA scheme will do (TLS 1.3 signs with PSS, TLS 1.2 and CAs often with PKCS#1 v1.5).
        pss = ref.refusal("signature", "rsa-pss", bits=facts.key_bits) is None
        return ("rsa-pss" if pss else "rsa-pkcs1v15"), facts.key_bits
    if facts.key_type == "ec":
        curve = facts.curve or "unknown"
        return f"ecdsa-{_CURVES.get(curve, curve.lower())}", None
    if facts.key_type == "dsa":
        return "dsa", facts.key_bits
    return facts.key_type, None  # ed25519, ed448, ml-dsa-*; "unknown" is on no allowlist


class ChainChecker:
    """Checks certificate chains of one role (the holder's: ``server`` or ``client``) under a policy.

    A chain that passed with every item approved is remembered (by its fingerprints, per UTC day), so a
    peer that presents it again costs a dictionary lookup and the validity check.
    """

    __slots__ = ("_passed", "_passed_ders", "ref", "role", "service")

    def __init__(self, ref: PolicyRef, role: Role, service: str) -> None:
        self.ref = ref
        self.role: Role = role
        self.service = service
        self._passed: dict[tuple[str, ...], tuple[int, float, float]] = {}
        self._passed_ders: dict[tuple[bytes, ...], tuple[int, float, float]] = {}

    def check_ders(
        self, chain: tuple[bytes, ...], *, anchored: bool = True, now: float | None = None
    ) -> bool:
        """:meth:`check` for a chain of DER certificates, remembered by their encodings: a chain seen
        before costs a dictionary lookup and the validity check."""
        now = time.time() if now is None else now
        passed = self._passed_ders.get(chain)
        if passed is not None and passed[0] == int(now // 86400) and passed[1] <= now <= passed[2]:
            return True
        facts = [facts_of(der) for der in chain]
        approved = self.check(facts, anchored=anchored, now=now)
        if approved:
            if len(self._passed_ders) >= _CACHE_LIMIT:
                self._passed_ders.clear()
            key = (*(f.fingerprint for f in facts), "anchored" if anchored else "")
            self._passed_ders[chain] = self._passed[key]
        return approved

    def check(
        self, chain: Sequence[_x509.CertificateFacts], *, anchored: bool, now: float | None = None
    ) -> bool:
        """Check a chain, end-entity first; True when every item is approved. ``anchored``: the last
        certificate is the trust anchor (a verified chain), whose own signature is not relied upon.
        Raises a CertificateRejected subclass."""
        if not chain:
            raise CertificateUntrusted("no certificate to check", "untrusted")
        now = time.time() if now is None else now
        key = (*(f.fingerprint for f in chain), "anchored" if anchored else "")
        day = int(now // 86400)
        passed = self._passed.get(key)
        if passed is not None and passed[0] == day and passed[1] <= now <= passed[2]:
            return True
        approved = True
        last = len(chain) - 1
        for depth, facts in enumerate(chain):
            issuer = chain[depth + 1] if depth < last else None
            approved &= self.check_one(
                facts, depth, issuer=issuer, anchor=anchored and depth == last, now=now
            )
        if approved:
            if len(self._passed) >= _CACHE_LIMIT:
                self._passed.clear()
            self._passed[key] = (day, max(f.not_before for f in chain), min(f.not_after for f in chain))
        return approved

    def check_one(
        self,
        facts: _x509.CertificateFacts,
        depth: int,
        *,
        issuer: _x509.CertificateFacts | None = None,
        anchor: bool = False,
        now: float | None = None,
    ) -> bool:
        """Check one certificate at ``depth`` (0: end entity); True when every item is approved."""
        now = time.time() if now is None else now
        subject = facts.subject
        # RFC 5280 §4.1.2.5: the validity period is the interval during which the CA warrants the binding.
        if now < facts.not_before:
            when = _x509.utc(facts.not_before).isoformat()
            raise CertificateExpired(
                f"{_name(depth, facts)} is not valid before {when}",
                "not-yet-valid",
                subject=subject,
                depth=depth,
            )
        if now > facts.not_after:
            when = _x509.utc(facts.not_after).isoformat()
            raise CertificateExpired(
                f"{_name(depth, facts)} expired at {when}", "expired", subject=subject, depth=depth
            )
        approved = self._key(facts, depth)
        if not (anchor and facts.self_issued):
            approved &= self._signature(facts, depth, issuer)
        if depth > 0:
            self._issuer(facts, depth)
        else:
            self._end_entity(facts)
        return approved

    def _key(self, facts: _x509.CertificateFacts, depth: int) -> bool:
        name, bits = _key_scheme(facts, self.ref)
        try:
            return self.ref.require(self.service, "signature", name, bits=bits)
        except PolicyViolation as exc:
            rule = getattr(exc.verdict, "rule", None)
            small = bits is not None and rule is not None and rule.max_bits is not None
            size = f" {bits}-bit" if bits else ""
            raise CertificateKeyRejected(
                f"{_name(depth, facts)} has a{size} {facts.key_type} key the policy does not allow: {exc}",
                "key-too-small" if small else "key-not-allowed",
                subject=facts.subject,
                depth=depth,
                verdict=exc.verdict,
            ) from None

    def _signature(
        self, facts: _x509.CertificateFacts, depth: int, issuer: _x509.CertificateFacts | None
    ) -> bool:
        uses: list[tuple[str, str, int | None]] = []
        digest = facts.signature_hash
        if digest == "sha1":
            uses.append(("signature", "sha1-signature", None))  # SP 800-131A r2 §9, Table 8
        elif digest is not None:
            uses.append(("hash", digest, None))
        family = facts.signature_family
        if family == "unknown":
            uses.append(("signature", facts.signature_name, None))  # on no allowlist
        elif issuer is not None:
            if family in ("rsa-pkcs1v15", "rsa-pss", "dsa"):
                uses.append(("signature", family, issuer.key_bits))
            elif family == "ecdsa":
                uses.append(("signature", _key_scheme(issuer, self.ref)[0], None))
            else:
                uses.append(("signature", family, None))
        elif family not in ("rsa-pkcs1v15", "rsa-pss", "dsa", "ecdsa"):
            uses.append(("signature", family, None))
        approved = True
        for category, name, bits in uses:
            try:
                approved &= self.ref.require(self.service, category, name, bits=bits)
            except PolicyViolation as exc:
                raise CertificateSignatureRejected(
                    f"{_name(depth, facts)} is signed with {facts.signature_name}, which the policy does "
                    f"not allow: {exc}",
                    "signature-not-allowed",
                    subject=facts.subject,
                    depth=depth,
                    verdict=exc.verdict,
                ) from None
        return approved

    def _issuer(self, facts: _x509.CertificateFacts, depth: int) -> None:
        subject = facts.subject
        # RFC 5280 §4.2.1.9: "If the basicConstraints extension is not present in a version 3
        # certificate, or the extension is present but the cA boolean is not asserted, then the
        # certified public key MUST NOT be used to verify certificate signatures."
        if facts.ca is not True:
            raise CertificateNotCA(
                f"{_name(depth, facts)} issues certificates but is not a CA",
                "not-ca",
                subject=subject,
                depth=depth,
            )
        # RFC 5280 §4.2.1.3: keyCertSign "MUST" be set when the subject public key verifies certificates.
        if facts.key_usage is not None and "key_cert_sign" not in facts.key_usage:
            raise CertificateNotCA(
                f"{_name(depth, facts)} lacks the keyCertSign key usage",
                "not-ca",
                subject=subject,
                depth=depth,
            )
        # pathLenConstraint: the maximum number of intermediate certificates that may follow this one.
        if facts.path_length is not None and depth - 1 > facts.path_length:
            raise CertificateNotCA(
                f"{_name(depth, facts)} allows {facts.path_length} intermediate certificates below it, "
                f"the chain has {depth - 1}",
                "path-length",
                subject=subject,
                depth=depth,
            )

    def _end_entity(self, facts: _x509.CertificateFacts) -> None:
        subject, depth = facts.subject, 0
        if facts.key_usage is not None and "digital_signature" not in facts.key_usage:
            raise CertificateUsageRejected(
                f"{_name(0, facts)} does not allow digitalSignature (RFC 8446 §4.4.2.2)",
                "key-usage",
                subject=subject,
                depth=depth,
            )
        wanted = _EKU[self.role]
        if facts.extended_key_usage is not None and wanted not in facts.extended_key_usage:
            purpose = "serverAuth" if self.role == "server" else "clientAuth"
            raise CertificateUsageRejected(
                f"{_name(0, facts)} is not for TLS {self.role}s: its extendedKeyUsage lacks id-kp-{purpose} "
                "(RFC 5280 §4.2.1.12)",
                "extended-key-usage",
                subject=subject,
                depth=depth,
            )


def _name(depth: int, facts: _x509.CertificateFacts) -> str:
    what = "the end-entity certificate" if depth == 0 else f"the certificate at depth {depth}"
    return f"{what} ({facts.subject})"
