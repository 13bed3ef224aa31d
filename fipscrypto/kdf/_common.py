"""Helpers shared by the KDF families: argument checks and authorization."""

from __future__ import annotations

from collections.abc import Collection

from .._backend import kdf as _kdf
from .._params import byte_string, integer
from ..enforce import require
from ..errors import InvalidParameter

__all__ = ["byte_string", "digest_length", "positive", "require_kdf", "secret"]


def digest_length(digest: object, allowed: Collection[str] | None = None, rule: str = "") -> int:
    """Digest size in bytes of ``digest``, a hash HMAC runs over (every KDF here is built on HMAC),
    after checking the name and, when given, the protocol's ``allowed`` hashes."""
    digest = _kdf.hmac_hash(digest)
    if allowed is not None and digest not in allowed:
        raise InvalidParameter(f"hash {digest!r} is not usable here{rule} (one of: {', '.join(allowed)})")
    return _kdf.digest_size(digest)


def positive(what: str, value: object, maximum: int, why: str) -> int:
    """``value`` when it is an int of 1..maximum."""
    return integer(f"{what} ({why})", value, 1, maximum)


def secret(what: str, value: object) -> bytes:
    """A key or secret: non-empty bytes."""
    data = byte_string(what, value)
    if not data:
        raise InvalidParameter(f"{what} must not be empty")
    return data


def require_kdf(service: str, kdf_name: str, digest: str | None, key: bytes | None = None) -> bool:
    """The KDF and its hash, both asked (a non-approved hash taints the whole operation).

    ``key`` is the key-derivation key: the policy sees its size (SP 800-131A Rev. 2: at least 112
    bits), as the provider's own KDFs check it."""
    approved = require(service, "kdf", kdf_name, bits=None if key is None else len(key) * 8)
    if digest is not None:
        approved = require(service, "hash", digest) and approved
    return approved
