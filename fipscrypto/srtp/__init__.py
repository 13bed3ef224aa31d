"""SRTP and SRTCP media protection (RFC 3711, RFC 6188, RFC 7714): sans-I/O, bytes in and bytes out."""

from __future__ import annotations

from .profiles import Profile, Transform
from .session import SRTCP_LIMIT, SRTP_LIMIT, SRTPSession

__all__ = ["SRTCP_LIMIT", "SRTP_LIMIT", "Profile", "SRTPSession", "Transform"]
