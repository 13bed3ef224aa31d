"""Names on the wire and in OpenSSL, mapped to the policy vocabulary (IANA registry names)."""

from __future__ import annotations

import functools

from ..policy.vocabulary import categories

__all__ = [
    "SIGNATURE_SCHEMES",
    "WIRE_VERSIONS",
    "group_name",
    "signature_scheme",
    "suite_name",
    "version_name",
]

# ProtocolVersion on the wire (what SSL_CTX_set_min/max_proto_version take): TLS 1.0 RFC 2246 §6.2.1,
# TLS 1.1 RFC 4346 §6.2.1, TLS 1.2 RFC 5246 §6.2.1, TLS 1.3 RFC 8446 §4.2.1; DTLS 1.0 RFC 4347 §4.1,
# DTLS 1.2 RFC 6347 §4.1, DTLS 1.3 RFC 9147 §5.3 (DTLS counts down from 0xFEFF, skipping 1.1). Every
# version of the vocabulary that has a number is here, so that what this OpenSSL cannot negotiate is
# measured (:func:`fipscrypto.tls.openssl.capability`), never assumed.
WIRE_VERSIONS: dict[str, int] = {
    "tls1.0": 0x0301,
    "tls1.1": 0x0302,
    "tls1.2": 0x0303,
    "tls1.3": 0x0304,
    "dtls1.0": 0xFEFF,
    "dtls1.2": 0xFEFD,
    "dtls1.3": 0xFEFC,
}

# IANA "TLS SignatureScheme" registry (RFC 8446 §4.2.3; ML-DSA: draft-ietf-tls-mldsa). The names are
# the policy vocabulary's (category tls-sigalg).
SIGNATURE_SCHEMES: dict[int, str] = {
    0x0201: "rsa_pkcs1_sha1",
    0x0203: "ecdsa_sha1",
    0x0401: "rsa_pkcs1_sha256",
    0x0501: "rsa_pkcs1_sha384",
    0x0601: "rsa_pkcs1_sha512",
    0x0403: "ecdsa_secp256r1_sha256",
    0x0503: "ecdsa_secp384r1_sha384",
    0x0603: "ecdsa_secp521r1_sha512",
    0x0804: "rsa_pss_rsae_sha256",
    0x0805: "rsa_pss_rsae_sha384",
    0x0806: "rsa_pss_rsae_sha512",
    0x0807: "ed25519",
    0x0808: "ed448",
    0x0809: "rsa_pss_pss_sha256",
    0x080A: "rsa_pss_pss_sha384",
    0x080B: "rsa_pss_pss_sha512",
    0x0904: "mldsa44",
    0x0905: "mldsa65",
    0x0906: "mldsa87",
}

_VERSIONS = {"TLSv1": "tls1.0", "TLSv1.1": "tls1.1", "TLSv1.2": "tls1.2", "TLSv1.3": "tls1.3"}
_VERSIONS |= {"DTLSv1": "dtls1.0", "DTLSv1.2": "dtls1.2"}


def signature_scheme(code: int) -> str:
    """The IANA name of a SignatureScheme code point, or its hex form when unknown."""
    return SIGNATURE_SCHEMES.get(code) or f"0x{code:04x}"


def version_name(openssl: str) -> str:
    """``TLSv1.3`` -> ``tls1.3`` (the policy's tls-version names)."""
    return _VERSIONS.get(openssl, openssl)


@functools.cache
def _suites() -> dict[str, str]:
    tls12 = categories()["tls12-suite"]
    return {tls12.openssl_name(name): name for name in tls12.names}


def suite_name(openssl: str) -> str:
    """An OpenSSL cipher name as its IANA name (TLS 1.3 suites are spelled alike)."""
    return _suites().get(openssl, openssl)


@functools.cache
def _groups() -> dict[str, str]:
    groups = categories()["tls-group"]
    found = {groups.openssl_name(name).lower(): name for name in groups.names}
    found.update({name.lower(): name for name in groups.names})
    found["prime256v1"] = "secp256r1"  # OpenSSL's ASN.1 short name for P-256
    return found


def group_name(openssl: str) -> str:
    """A group as OpenSSL reports it (``secp256r1``, ``P-256``, ``SecP256r1MLKEM768``) as its IANA name."""
    return _groups().get(openssl.lower(), openssl)
