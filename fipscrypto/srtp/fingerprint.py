"""SDP certificate fingerprints (RFC 8122 §5) and the self-signed certificates WebRTC endpoints use.

    cert = generate_certificate()              # ECDSA P-256, self-signed, 30 days
    cert.fingerprint.attribute                 # 'a=fingerprint:sha-256 4A:AD:...'
    Fingerprint.parse("a=fingerprint:sha-256 4A:AD:...")

A WebRTC endpoint has no CA: it makes a self-signed certificate, sends the fingerprint of it in its SDP,
and checks the certificate its peer presents in the DTLS handshake against the peer's SDP fingerprint
(RFC 8827 §6.5; RFC 5763 §5). RFC 8122 §5 allows the hash functions of the IANA "Hash Function Textual
Names" registry; an endpoint here accepts only sha-256 (the one RFC 8827 requires), sha-384 and
sha-512: a fingerprint by SHA-1, MD5, MD2 or SHA-224 is refused with FingerprintRejected.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .. import hashes, keys, rand
from .._backend import x509 as _x509
from .._service import record
from ..enforce import require
from ..errors import FingerprintRejected, InvalidParameter

__all__ = ["Certificate", "Fingerprint", "fingerprints", "generate_certificate"]

# RFC 8122 §5 hash-func names (IANA "Hash Function Textual Names") -> (fipscrypto.hashes name, bytes).
_ACCEPTED = {"sha-256": ("sha256", 32), "sha-384": ("sha384", 48), "sha-512": ("sha512", 64)}
_REFUSED = frozenset({"sha-1", "sha-224", "md5", "md2"})
# RFC 8122 §5: fingerprint-attribute = "fingerprint" ":" hash-func SP fingerprint;
# fingerprint = 2UHEX *(":" 2UHEX); hash-func is a token (compared without regard to case).
_ATTRIBUTE = re.compile(
    r"(?:a=)?(?:fingerprint:)?(?P<hash>[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+)"
    r" (?P<hex>[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*)"
)
_MAX_ATTRIBUTE = 256  # sha-512: 5 + 1 + 64 * 3 - 1 bytes, with "a=fingerprint:"


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """A certificate fingerprint: ``algorithm`` as RFC 8122 names it ("sha-256"), ``value`` the digest
    of the certificate's DER encoding."""

    algorithm: str
    value: bytes

    @classmethod
    def parse(cls, text: str) -> Fingerprint:
        """An SDP fingerprint: ``a=fingerprint:sha-256 AB:CD:..``, or without ``a=`` and
        ``fingerprint:``. Malformed text raises InvalidParameter; a hash function other than sha-256,
        sha-384 and sha-512 raises FingerprintRejected."""
        if not isinstance(text, str):
            raise InvalidParameter(f"a fingerprint is a str, not {type(text).__name__}")
        found = _ATTRIBUTE.fullmatch(text.strip()) if len(text) <= _MAX_ATTRIBUTE else None
        if found is None:
            raise InvalidParameter(
                f"not an SDP fingerprint (RFC 8122 §5: 'sha-256 AB:CD:...'): {text[:80]!r}"
            )
        algorithm = found["hash"].lower()
        size = _digest(algorithm)[1]
        value = bytes.fromhex(found["hex"].replace(":", ""))
        if len(value) != size:
            raise InvalidParameter(f"a {algorithm} fingerprint has {size} bytes, not {len(value)}")
        return cls(algorithm, value)

    @classmethod
    def of(cls, certificate: bytes, algorithm: str = "sha-256") -> Fingerprint:
        """The fingerprint of a certificate (DER, or PEM) by ``algorithm``."""
        if not isinstance(algorithm, str):
            raise InvalidParameter(f"algorithm is a str, not {type(algorithm).__name__}")
        algorithm = algorithm.lower()
        return cls(algorithm, hashes.digest(_digest(algorithm)[0], _der(certificate)))

    def matches(self, certificate: bytes) -> bool:
        """Whether a certificate (DER) has this fingerprint."""
        computed = hashes.digest(_digest(self.algorithm)[0], certificate)
        return hmac.compare_digest(computed, self.value)

    def __str__(self) -> str:
        # RFC 8122 §5: UHEX, upper-case hexadecimal digits separated by colons.
        return f"{self.algorithm} {':'.join(f'{b:02X}' for b in self.value)}"

    @property
    def attribute(self) -> str:
        """The SDP line: ``a=fingerprint:sha-256 AB:CD:...``."""
        return f"a=fingerprint:{self}"


def fingerprints(value: Fingerprint | str | Iterable[Fingerprint | str]) -> tuple[Fingerprint, ...]:
    """One fingerprint, or several (RFC 8122 §5 lets an SDP carry one per hash function), as Fingerprints."""
    items = [value] if isinstance(value, Fingerprint | str) else list(value) if _iterable(value) else None
    if not items:
        raise InvalidParameter("remote_fingerprint is a Fingerprint or an SDP fingerprint, or a list of them")
    return tuple(item if isinstance(item, Fingerprint) else Fingerprint.parse(item) for item in items)


def _iterable(value: object) -> bool:
    return isinstance(value, list | tuple)


def _digest(algorithm: str) -> tuple[str, int]:
    found = _ACCEPTED.get(algorithm)
    if found is not None:
        return found
    if algorithm in _REFUSED:
        raise FingerprintRejected(
            f"a {algorithm} fingerprint is not accepted: DTLS-SRTP endpoints here pin certificates by "
            "sha-256, sha-384 or sha-512 (RFC 8827 §6.5 requires SHA-256)"
        )
    raise InvalidParameter(f"unknown fingerprint hash function {algorithm[:20]!r} (RFC 8122 §5)")


def _der(certificate: bytes) -> bytes:
    if not isinstance(certificate, bytes):
        raise InvalidParameter(f"a certificate is bytes (DER or PEM), not {type(certificate).__name__}")
    if certificate.lstrip().startswith(b"-----BEGIN"):
        try:
            return _x509.to_der(_x509.load_certificates(certificate)[0])
        except ValueError:
            raise InvalidParameter("not a PEM certificate") from None
    return certificate


@dataclass(frozen=True, slots=True)
class Certificate:
    """A self-signed certificate and its private key, PEM (what :class:`~fipscrypto.srtp.DtlsSrtp` takes),
    and its SHA-256 fingerprint."""

    certificate: bytes
    private_key: bytes
    fingerprint: Fingerprint

    def __repr__(self) -> str:
        return f"Certificate({self.fingerprint})"


_SERVICE = "srtp.certificate"
_SCHEME = "ecdsa-p256"


def generate_certificate(*, common_name: str = "WebRTC", days: int = 30) -> Certificate:
    """A new ECDSA P-256 key pair (fipscrypto.keys, generated in the FIPS provider) and a self-signed
    certificate for it, signed with SHA-256, valid from an hour ago for ``days`` days. The serial
    number comes from the DRBG (RFC 5280 §4.1.2.2: positive, at most 20 octets)."""
    if not isinstance(common_name, str) or not 0 < len(common_name) <= 64:
        raise InvalidParameter("common_name is a str of 1 to 64 characters (RFC 5280 ub-common-name)")
    if type(days) is not int or not 0 < days <= 3650:
        raise InvalidParameter("days is an int, 1 to 3650")
    signing = keys.generate_signing_key(_SCHEME)
    approved = require(_SERVICE, "signature", _SCHEME)
    approved &= require(_SERVICE, "hash", "sha256")
    # cryptography's OpenSSL runs with the FIPS provider (fipscrypto._backend boots it first): the
    # certificate's signature is made there, with the key generated above.
    key = _x509.load_private_key(signing.private_bytes("der"))
    now = dt.datetime.now(dt.UTC)
    serial = int.from_bytes(rand.random_bytes(16), "big") >> 1 or 1
    valid = (now - dt.timedelta(hours=1), now + dt.timedelta(days=days))
    pem, der = _x509.self_signed(key, common_name, serial, valid)
    record(_SERVICE, _SCHEME, approved)
    return Certificate(pem, signing.private_bytes("pem"), Fingerprint.of(der))
