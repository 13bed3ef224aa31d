"""SRTP and SRTCP media protection (RFC 3711, RFC 6188, RFC 7714): sans-I/O, bytes in and bytes out."""

from __future__ import annotations

from .profiles import Profile, Transform

__all__ = ["Profile", "Transform"]
