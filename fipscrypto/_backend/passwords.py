"""Argon2id (RFC 9106) through cryptography; only the default provider has it (never the FIPS one)."""

from __future__ import annotations

from cryptography.exceptions import InternalError, UnsupportedAlgorithm
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from ..errors import AlgorithmUnavailable

__all__ = ["argon2id"]


def argon2id(
    password: bytes, salt: bytes, *, memory_kib: int, iterations: int, lanes: int, length: int
) -> bytes:
    try:
        kdf = Argon2id(salt=salt, length=length, iterations=iterations, lanes=lanes, memory_cost=memory_kib)
        return kdf.derive(password)
    except (UnsupportedAlgorithm, InternalError) as exc:
        raise AlgorithmUnavailable("Argon2id is not offered by the loaded providers (FIPS provider)") from exc
