"""X.509 certificates and private keys through cryptography: parsing, and the facts policy checks need.

Only parsing lives here; the rules (the policy, validity, usage, constraints) are in
:mod:`fipscrypto.tls.certs`. :func:`facts` reads once what every check needs from a certificate into a
plain record, so the checks (and their caches) never touch cryptography objects again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, mldsa, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, SignatureAlgorithmOID

from .keys import PrivateKey

__all__ = [
    "EKU_CLIENT_AUTH",
    "EKU_SERVER_AUTH",
    "TLS_PRIVATE_KEYS",
    "Certificate",
    "CertificateFacts",
    "PrivateKey",
    "facts",
    "load_certificates",
    "load_der",
    "load_private_key",
    "public_key_der",
    "to_der",
    "utc",
]

Certificate = x509.Certificate
# The private keys pyOpenSSL can give a TLS context.
TLS_PRIVATE_KEYS = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
    dsa.DSAPrivateKey,
)
_T = TypeVar("_T", bound=x509.ExtensionType)

EKU_SERVER_AUTH = ExtendedKeyUsageOID.SERVER_AUTH.dotted_string  # id-kp-serverAuth, RFC 5280 §4.2.1.12
EKU_CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string  # id-kp-clientAuth

# Certificate signature algorithms by OID: (family, hash). The family is the scheme without the curve
# or size, which come from the issuer's key.
_SIGNATURES: dict[str, tuple[str, str | None]] = {
    SignatureAlgorithmOID.RSA_WITH_MD5.dotted_string: ("rsa-pkcs1v15", "md5"),
    SignatureAlgorithmOID.RSA_WITH_SHA1.dotted_string: ("rsa-pkcs1v15", "sha1"),
    SignatureAlgorithmOID._RSA_WITH_SHA1.dotted_string: ("rsa-pkcs1v15", "sha1"),
    SignatureAlgorithmOID.RSA_WITH_SHA224.dotted_string: ("rsa-pkcs1v15", "sha224"),
    SignatureAlgorithmOID.RSA_WITH_SHA256.dotted_string: ("rsa-pkcs1v15", "sha256"),
    SignatureAlgorithmOID.RSA_WITH_SHA384.dotted_string: ("rsa-pkcs1v15", "sha384"),
    SignatureAlgorithmOID.RSA_WITH_SHA512.dotted_string: ("rsa-pkcs1v15", "sha512"),
    SignatureAlgorithmOID.RSA_WITH_SHA3_224.dotted_string: ("rsa-pkcs1v15", "sha3-224"),
    SignatureAlgorithmOID.RSA_WITH_SHA3_256.dotted_string: ("rsa-pkcs1v15", "sha3-256"),
    SignatureAlgorithmOID.RSA_WITH_SHA3_384.dotted_string: ("rsa-pkcs1v15", "sha3-384"),
    SignatureAlgorithmOID.RSA_WITH_SHA3_512.dotted_string: ("rsa-pkcs1v15", "sha3-512"),
    SignatureAlgorithmOID.ECDSA_WITH_SHA1.dotted_string: ("ecdsa", "sha1"),
    SignatureAlgorithmOID.ECDSA_WITH_SHA224.dotted_string: ("ecdsa", "sha224"),
    SignatureAlgorithmOID.ECDSA_WITH_SHA256.dotted_string: ("ecdsa", "sha256"),
    SignatureAlgorithmOID.ECDSA_WITH_SHA384.dotted_string: ("ecdsa", "sha384"),
    SignatureAlgorithmOID.ECDSA_WITH_SHA512.dotted_string: ("ecdsa", "sha512"),
    SignatureAlgorithmOID.ECDSA_WITH_SHA3_224.dotted_string: ("ecdsa", "sha3-224"),
    SignatureAlgorithmOID.ECDSA_WITH_SHA3_256.dotted_string: ("ecdsa", "sha3-256"),
    SignatureAlgorithmOID.ECDSA_WITH_SHA3_384.dotted_string: ("ecdsa", "sha3-384"),
    SignatureAlgorithmOID.ECDSA_WITH_SHA3_512.dotted_string: ("ecdsa", "sha3-512"),
    SignatureAlgorithmOID.DSA_WITH_SHA1.dotted_string: ("dsa", "sha1"),
    SignatureAlgorithmOID.DSA_WITH_SHA224.dotted_string: ("dsa", "sha224"),
    SignatureAlgorithmOID.DSA_WITH_SHA256.dotted_string: ("dsa", "sha256"),
    SignatureAlgorithmOID.ED25519.dotted_string: ("ed25519", None),
    SignatureAlgorithmOID.ED448.dotted_string: ("ed448", None),
    "2.16.840.1.101.3.4.3.17": ("ml-dsa-44", None),  # id-ml-dsa-44, RFC 9881
    "2.16.840.1.101.3.4.3.18": ("ml-dsa-65", None),
    "2.16.840.1.101.3.4.3.19": ("ml-dsa-87", None),
}
_PSS = SignatureAlgorithmOID.RSASSA_PSS.dotted_string

_KEY_USAGES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """What the policy checks read from one certificate. Times are POSIX seconds (UTC)."""

    der: bytes
    fingerprint: str  # SHA-256 of the DER encoding, lower-case hex
    subject: str  # RFC 4514
    issuer: str
    serial: int
    not_before: float
    not_after: float
    key_type: str  # rsa, ec, ed25519, ed448, ml-dsa-44/65/87, dsa, or "unknown"
    key_bits: int  # RSA/DSA modulus, EC field size; 0 when not meaningful
    curve: str | None  # "secp256r1", ...
    signature_family: str  # rsa-pkcs1v15, rsa-pss, ecdsa, dsa, ed25519, ed448, ml-dsa-*, or "unknown"
    signature_hash: str | None  # "sha256", ...; None for EdDSA and ML-DSA (or unknown)
    signature_name: str  # the algorithm's name for people, e.g. "ecdsa-with-SHA256"
    ca: bool | None  # basicConstraints cA; None when the extension is absent
    path_length: int | None
    key_usage: frozenset[str] | None  # None when the extension is absent
    extended_key_usage: frozenset[str] | None  # dotted OIDs; None when the extension is absent
    self_issued: bool  # subject == issuer (RFC 5280 §3.3)


@contextlib.contextmanager
def _malformed_as_value_error() -> Iterator[None]:
    """cryptography raises InvalidVersion, not ValueError, for an unknown X.509 version: unify them."""
    try:
        yield
    except x509.InvalidVersion as exc:
        raise ValueError(str(exc)) from None


def load_certificates(data: bytes) -> list[Certificate]:
    """Every certificate of a PEM bundle (in order), or the one certificate of a DER encoding.

    ValueError for anything malformed.
    """
    with _malformed_as_value_error():
        if data.lstrip().startswith(b"-----"):
            return list(x509.load_pem_x509_certificates(data))
        return [x509.load_der_x509_certificate(data)]


def load_der(der: bytes) -> Certificate:
    with _malformed_as_value_error():
        return x509.load_der_x509_certificate(der)


def to_der(cert: Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def self_signed(
    private_key: PrivateKey, common_name: str, serial: int, valid: tuple[dt.datetime, dt.datetime]
) -> tuple[bytes, bytes]:
    """A self-signed certificate (PEM, DER) for an EC or RSA ``private_key``: subject and issuer the
    common name, signed with SHA-256, valid from ``valid[0]`` to ``valid[1]``."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    if not isinstance(private_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise TypeError(f"{type(private_key).__name__} keys do not sign these certificates")
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(serial)
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .sign(private_key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM), to_der(certificate)


def public_key_der(cert: Certificate) -> bytes:
    """The certificate's SubjectPublicKeyInfo, DER (ValueError for a key cryptography cannot read)."""
    try:
        key = cert.public_key()
    except UnsupportedAlgorithm as exc:
        raise ValueError(f"unsupported key: {exc}") from None
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def pkcs12_certificates(data: bytes, password: bytes | None) -> list[bytes]:
    """The certificates of a PKCS#12 file (DER), its own first, decrypted with ``password`` through
    the provider; ValueError when it cannot be read (a wrong password, or a PBE or MAC the provider
    refuses: cryptography raises several kinds)."""
    try:
        loaded = pkcs12.load_pkcs12(data, password)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError(str(exc)) from None
    certs = ([loaded.cert] if loaded.cert else []) + list(loaded.additional_certs)
    return [to_der(c.certificate) for c in certs]


def load_private_key(data: bytes, password: bytes | None = None) -> PrivateKey:
    """A PKCS#8 or traditional private key, PEM or DER, optionally encrypted (ValueError or TypeError
    for anything else, including a key on an unknown curve)."""
    try:
        key = (
            serialization.load_pem_private_key(data, password=password)
            if data.lstrip().startswith(b"-----")
            else serialization.load_der_private_key(data, password=password)
        )
    except UnsupportedAlgorithm as exc:
        raise ValueError(f"unsupported key: {exc}") from None
    if not isinstance(key, PrivateKey):
        raise TypeError(f"{type(key).__name__} keys are not supported")
    return key


def _key(cert: Certificate) -> tuple[str, int, str | None]:
    try:
        key = cert.public_key()
    except (UnsupportedAlgorithm, ValueError):
        return "unknown", 0, None
    if isinstance(key, rsa.RSAPublicKey):
        return "rsa", key.key_size, None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ec", key.curve.key_size, key.curve.name
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "ed25519", 256, None
    if isinstance(key, ed448.Ed448PublicKey):
        return "ed448", 456, None
    if isinstance(key, dsa.DSAPublicKey):
        return "dsa", key.key_size, None
    for name, cls in (
        ("ml-dsa-44", mldsa.MLDSA44PublicKey),
        ("ml-dsa-65", mldsa.MLDSA65PublicKey),
        ("ml-dsa-87", mldsa.MLDSA87PublicKey),
    ):
        if isinstance(key, cls):
            return name, 0, None
    return "unknown", 0, None


def _signature(cert: Certificate) -> tuple[str, str | None, str]:
    oid = cert.signature_algorithm_oid
    name = getattr(oid, "_name", None) or oid.dotted_string
    if oid.dotted_string == _PSS:
        try:
            algorithm = cert.signature_hash_algorithm
        except UnsupportedAlgorithm:
            return "rsa-pss", None, name
        return "rsa-pss", _hash_name(algorithm), name
    family, digest = _SIGNATURES.get(oid.dotted_string, ("unknown", None))
    return family, digest, name


def _hash_name(algorithm: hashes.HashAlgorithm | None) -> str | None:
    if algorithm is None:
        return None
    return algorithm.name.replace("_", "-").lower()


def _extension(cert: Certificate, kind: type[_T]) -> _T | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _usages(value: x509.KeyUsage) -> frozenset[str]:
    found = {name for name in _KEY_USAGES if getattr(value, name)}
    if value.key_agreement:  # encipher_only / decipher_only are defined only with keyAgreement
        found |= {name for name in ("encipher_only", "decipher_only") if getattr(value, name)}
    return frozenset(found)


def _oids(values: Iterable[x509.ObjectIdentifier]) -> frozenset[str]:
    return frozenset(oid.dotted_string for oid in values)


def facts(cert: Certificate) -> CertificateFacts:
    """Read the checked properties of a certificate. Malformed extensions raise ValueError."""
    key_type, key_bits, curve = _key(cert)
    family, digest, signature_name = _signature(cert)
    constraints = _extension(cert, x509.BasicConstraints)
    usage = _extension(cert, x509.KeyUsage)
    extended = _extension(cert, x509.ExtendedKeyUsage)
    der = to_der(cert)
    return CertificateFacts(
        der=der,
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=cert.serial_number,
        not_before=cert.not_valid_before_utc.timestamp(),
        not_after=cert.not_valid_after_utc.timestamp(),
        key_type=key_type,
        key_bits=key_bits,
        curve=curve,
        signature_family=family,
        signature_hash=digest,
        signature_name=signature_name,
        ca=None if constraints is None else constraints.ca,
        path_length=None if constraints is None else constraints.path_length,
        key_usage=None if usage is None else _usages(usage),
        extended_key_usage=None if extended is None else _oids(extended),
        self_issued=cert.subject == cert.issuer,
    )


def utc(timestamp: float) -> dt.datetime:
    """A POSIX time of :class:`CertificateFacts` as an aware UTC datetime."""
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)
