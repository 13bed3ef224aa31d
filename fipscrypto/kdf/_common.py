"""Helpers shared by the KDF families (input checks, authorization, bit splicing)."""

from __future__ import annotations

from collections.abc import Collection

from .._backend import kdf as _kdf
from .._service import authorize
from ..errors import InvalidParameter

# --------------------------------------------------------------------------------------- helpers


def digest_length(name: str, allowed: Collection[str] | None = None, rule: str = "") -> int:
    """Digest size of hash ``name`` in bytes, after checking the name."""
    if name not in _kdf.HASHES or (allowed is not None and name not in allowed):
        names = ", ".join(sorted(allowed if allowed is not None else _kdf.HASHES))
        raise InvalidParameter(f"hash {name!r} is not usable here{rule} (one of: {names})")
    return _kdf.digest_size(name)


def positive(name: str, value: int, maximum: int, why: str) -> None:
    if not 1 <= value <= maximum:
        raise InvalidParameter(f"{name} must be 1..{maximum} ({why}), got {value}")


def authorize_kdf(service: str, kdf_name: str, hash_name: str | None) -> bool:
    """The KDF and its hash, both asked (a non-approved hash taints the whole operation)."""
    approved = authorize(service, "kdf", kdf_name)
    if hash_name is not None:
        approved = authorize(service, "hash", hash_name) and approved
    return approved


def splice_bits(data: bytes, at_bit: int, insert: bytes) -> bytes:
    """``data`` with ``insert`` placed after its first ``at_bit`` bits (bit-granular, MSB first)."""
    total = len(data) * 8
    value = int.from_bytes(data, "big")
    head, tail = value >> (total - at_bit), value & ((1 << (total - at_bit)) - 1)
    spliced = ((head << (8 * len(insert))) | int.from_bytes(insert, "big")) << (total - at_bit) | tail
    return spliced.to_bytes(len(data) + len(insert), "big")
