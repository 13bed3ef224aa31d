"""SRTP and SRTCP media protection (RFC 3711, RFC 6188, RFC 7714): sans-I/O, bytes in and bytes out."""

from __future__ import annotations

# The backend first: it boots the module (the FIPS provider configuration) before cryptography and
# pyOpenSSL, imported below, load their OpenSSL.
from .. import _backend  # noqa: F401  # isort: skip
from .dtls import EXPORTER_LABEL, DtlsSrtp, KeyingMaterial
from .fingerprint import Certificate, Fingerprint, generate_certificate
from .profiles import Profile, Transform

__all__ = [
    "EXPORTER_LABEL",
    "Certificate",
    "DtlsSrtp",
    "Fingerprint",
    "KeyingMaterial",
    "Profile",
    "Transform",
    "generate_certificate",
]
