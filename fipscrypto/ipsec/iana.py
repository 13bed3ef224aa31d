"""IKEv2 transforms as data: the IANA numbers and what the key schedule needs to know of each.

The numbers are IANA's "Internet Key Exchange Version 2 (IKEv2) Parameters" registry (RFC 7296
§3.3.2; RFC 9370 §3.2.1 for the ADDKE transform types). Which of them may be used is the policy's
question (categories ``ike-transform``, ``esp-transform`` and ``ike-dh-group``), never this table's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ENCRYPTION",
    "INTEGRITY",
    "KEY_EXCHANGE",
    "PRF",
    "Encryption",
    "Integrity",
    "KeyExchangeMethod",
    "Prf",
    "TransformType",
]


class TransformType(enum.IntEnum):
    """Transform Type values (RFC 7296 §3.3.2; RFC 9370 §3.2.1: Additional Key Exchange 1..7)."""

    ENCR = 1
    PRF = 2
    INTEG = 3
    KE = 4  # "Diffie-Hellman Group (D-H)", renamed "Key Exchange Method (KE)" by RFC 9370
    ESN = 5
    ADDKE1 = 6
    ADDKE2 = 7
    ADDKE3 = 8
    ADDKE4 = 9
    ADDKE5 = 10
    ADDKE6 = 11
    ADDKE7 = 12


@dataclass(frozen=True, slots=True)
class Encryption:
    """An encryption transform: its Transform ID, key sizes (the Key Length attribute), and the salt
    that follows the key in the keying material in IKE (SK_ei/SK_er) and in ESP (KEYMAT)."""

    id: int
    key_bits: tuple[int, ...]
    ike_salt: int | None  # None: not defined for the IKE SA
    esp_salt: int
    aead: bool


@dataclass(frozen=True, slots=True)
class Prf:
    """A PRF transform: HMAC with ``digest``; its preferred key length is the hash's output length
    (RFC 4868 §2.1.1), the length of SK_d, SK_pi and SK_pr (RFC 7296 §2.14)."""

    id: int
    digest: str


@dataclass(frozen=True, slots=True)
class Integrity:
    """An integrity transform: its key length in bytes (RFC 4868 §2.1.1: the hash's output length;
    RFC 2404 §3: 20 for HMAC-SHA-1-96; RFC 4494 §2.1: 16 for AES-CMAC-96)."""

    id: int
    key_length: int


@dataclass(frozen=True, slots=True)
class KeyExchangeMethod:
    """A key exchange method (Transform Type 4 and the ADDKE types): ``kind`` says how it runs,
    ``parameter`` names the group (fipscrypto.keys), the curve scheme, or the ML-KEM parameter set."""

    id: int
    name: str
    kind: Literal["modp", "ecp", "ml-kem"]
    parameter: str


# Transform Type 1. Salts: RFC 5282 §7.1 (IKEv2 SK_e: AES-GCM 4 octets, AES-CCM 3 octets), RFC 5930
# §2 (IKEv2 AES-CTR: a 4-octet nonce); ESP: RFC 4106 §8.1 (GCM, 4 octets), RFC 4309 §7.1 (CCM, 3),
# RFC 3686 §5.1 (CTR, 4), RFC 4543 §7 (GMAC, 4); AES-CBC has none (RFC 3602).
_AES = (128, 192, 256)
ENCRYPTION: dict[str, Encryption] = {
    "ENCR_AES_CBC": Encryption(12, _AES, 0, 0, aead=False),
    "ENCR_AES_CTR": Encryption(13, _AES, 4, 4, aead=False),
    "ENCR_AES_CCM_8": Encryption(14, _AES, 3, 3, aead=True),
    "ENCR_AES_CCM_12": Encryption(15, _AES, 3, 3, aead=True),
    "ENCR_AES_CCM_16": Encryption(16, _AES, 3, 3, aead=True),
    "ENCR_AES_GCM_8": Encryption(18, _AES, 4, 4, aead=True),
    "ENCR_AES_GCM_12": Encryption(19, _AES, 4, 4, aead=True),
    "ENCR_AES_GCM_16": Encryption(20, _AES, 4, 4, aead=True),
    # RFC 4543 §3: GMAC authenticates only; no integrity transform with it. Not for the IKE SA.
    "ENCR_NULL_AUTH_AES_GMAC": Encryption(21, _AES, None, 4, aead=True),
}

# Transform Type 2 (RFC 7296 §3.3.2; RFC 4868 §4 for SHA-2).
PRF: dict[str, Prf] = {
    "PRF_HMAC_SHA1": Prf(2, "sha1"),
    "PRF_HMAC_SHA2_256": Prf(5, "sha256"),
    "PRF_HMAC_SHA2_384": Prf(6, "sha384"),
    "PRF_HMAC_SHA2_512": Prf(7, "sha512"),
}

# Transform Type 3 (RFC 7296 §3.3.2; RFC 4868 §4; RFC 4494).
INTEGRITY: dict[str, Integrity] = {
    "AUTH_HMAC_SHA1_96": Integrity(2, 20),
    "AUTH_AES_CMAC_96": Integrity(8, 16),
    "AUTH_HMAC_SHA2_256_128": Integrity(12, 32),
    "AUTH_HMAC_SHA2_384_192": Integrity(13, 48),
    "AUTH_HMAC_SHA2_512_256": Integrity(14, 64),
}

# Transform Type 4 and ADDKE1..7: RFC 3526 MODP groups 14-18, RFC 5903 ECP groups 19-21, and the
# ML-KEM parameter sets 35-37 (IANA, from draft-ietf-ipsecme-ikev2-mlkem).
KEY_EXCHANGE: dict[int, KeyExchangeMethod] = {
    method.id: method
    for method in (
        KeyExchangeMethod(14, "MODP-2048", "modp", "modp2048"),
        KeyExchangeMethod(15, "MODP-3072", "modp", "modp3072"),
        KeyExchangeMethod(16, "MODP-4096", "modp", "modp4096"),
        KeyExchangeMethod(17, "MODP-6144", "modp", "modp6144"),
        KeyExchangeMethod(18, "MODP-8192", "modp", "modp8192"),
        KeyExchangeMethod(19, "ECP-256", "ecp", "ecdh-p256"),
        KeyExchangeMethod(20, "ECP-384", "ecp", "ecdh-p384"),
        KeyExchangeMethod(21, "ECP-521", "ecp", "ecdh-p521"),
        KeyExchangeMethod(35, "ML-KEM-512", "ml-kem", "ML-KEM-512"),
        KeyExchangeMethod(36, "ML-KEM-768", "ml-kem", "ML-KEM-768"),
        KeyExchangeMethod(37, "ML-KEM-1024", "ml-kem", "ML-KEM-1024"),
    )
}
