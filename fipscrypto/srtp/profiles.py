"""SRTP protection profiles: what each one uses, as data.

Names are the SDES crypto-suite names of the IANA "SDP Security Descriptions" registry (RFC 4568
§10.3.2.1, RFC 6188 §6, RFC 7714 §14.2); ``dtls_id`` is the profile's value in the IANA "DTLS-SRTP
Protection Profiles" registry (RFC 5764 §4.1.2, RFC 7714 §14.2), or None where DTLS-SRTP defines none.
Which profiles may be used, and until when, is the policy's decision (category ``srtp-profile``).
"""

from __future__ import annotations

import enum
from typing import NamedTuple

__all__ = ["Profile", "Transform"]


class Transform(NamedTuple):
    cipher: str  # "aes-cm" (RFC 3711 §4.1.1) or "aes-gcm" (RFC 7714)
    key_length: int  # master key and session encryption key, bytes
    salt_length: int  # master salt, bytes: 112 bits for AES-CM (RFC 3711 §8.2), 96 for AES-GCM (RFC 7714 §12)
    auth_key_length: int  # HMAC-SHA1 session key, bytes (RFC 3711 §8.2: 160 bits); 0 for AEAD
    srtp_tag: int  # SRTP authentication tag, bytes
    srtcp_tag: int  # SRTCP authentication tag, bytes: 80 bits for both SHA1 profiles (RFC 5764 §4.1.2)
    dtls_id: int | None


class Profile(Transform, enum.Enum):
    """An SRTP protection profile (an SDES crypto-suite)."""

    AES_CM_128_HMAC_SHA1_80 = Transform("aes-cm", 16, 14, 20, 10, 10, 0x0001)
    AES_CM_128_HMAC_SHA1_32 = Transform("aes-cm", 16, 14, 20, 4, 10, 0x0002)
    AES_192_CM_HMAC_SHA1_80 = Transform("aes-cm", 24, 14, 20, 10, 10, None)
    AES_192_CM_HMAC_SHA1_32 = Transform("aes-cm", 24, 14, 20, 4, 10, None)
    AES_256_CM_HMAC_SHA1_80 = Transform("aes-cm", 32, 14, 20, 10, 10, None)
    AES_256_CM_HMAC_SHA1_32 = Transform("aes-cm", 32, 14, 20, 4, 10, None)
    AEAD_AES_128_GCM = Transform("aes-gcm", 16, 12, 0, 16, 16, 0x0007)
    AEAD_AES_256_GCM = Transform("aes-gcm", 32, 12, 0, 16, 16, 0x0008)
