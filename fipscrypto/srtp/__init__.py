"""SRTP and SRTCP media protection (RFC 3711, RFC 6188, RFC 7714): sans-I/O, bytes in and bytes out."""

from __future__ import annotations

# The backend first: it boots the module (the FIPS provider configuration) before cryptography and
# pyOpenSSL, imported below, load their OpenSSL.
from .. import _backend  # noqa: F401  # isort: skip
from .dtls import EXPORTER_LABEL, DtlsSrtp, KeyingMaterial
from .fingerprint import Certificate, Fingerprint, generate_certificate
from .profiles import Profile, Transform
from .session import SRTCP_LIMIT, SRTP_LIMIT, SRTPSession

__all__ = [
    "EXPORTER_LABEL",
    "SRTCP_LIMIT",
    "SRTP_LIMIT",
    "Certificate",
    "DtlsSrtp",
    "Fingerprint",
    "KeyingMaterial",
    "Profile",
    "SRTPSession",
    "Transform",
    "generate_certificate",
]
