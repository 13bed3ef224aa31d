"""Hash functions: SHA-2, SHA-3 and SHAKE through the FIPS provider, checked by the policy.

Each call passes the module gate and the active policy and records the service indicator. A
:class:`Hasher` is authorized once, when it is created; its updates cost only the hash itself.
"""

from __future__ import annotations

import os
from pathlib import Path

from ._backend import hashes as _hashes
from ._service import authorize, grant, grants, record
from .errors import InvalidParameter
from .indicator import get_last as _get_last
from .indicator import set_last as _set_last
from .module import gate

__all__ = ["Hasher", "digest", "hash_file"]

_SERVICE = "hashes.digest"
_Hash = _hashes.Hash


def _check_length(name: str, length: int | None) -> None:
    if name in _hashes.XOFS:
        if length is None or length < 1:
            raise InvalidParameter(f"{name} is an XOF: give length >= 1 (bytes of output)")
    elif length is not None:
        raise InvalidParameter(f"{name} has a fixed output length; length applies to shake128/256 only")


_GRANTS = grants()


def digest(name: str, data: bytes, *, length: int | None = None) -> bytes:
    """The ``name`` digest of ``data`` (``length`` bytes for SHAKE)."""
    standing = _GRANTS.get(name)
    if standing is None or length is not None:
        return _first_digest(name, data, length)
    h = _Hash(standing.subject)  # the hot path: no frame of ours between the caller and the provider
    h.update(data)
    out = h.finalize()
    if _get_last() is not standing.op:  # the indicator, inlined (Grant.use)
        _set_last(standing.op)
    next(standing.counter)
    return out


def _first_digest(name: str, data: bytes, length: int | None) -> bytes:
    """The full path: length check, policy, the provider; leaves a standing grant when it may."""
    _check_length(name, length)
    permit = grant(_SERVICE, "hash", name, name)
    out = _hashes.digest(name, data, length)  # AlgorithmUnavailable if the provider refuses the name
    permit.use()
    if permit.standing and length is None:
        permit.subject = _hashes.algorithm(name)
        _GRANTS[name] = permit
    return out


class Hasher:
    """Streaming hash: ``update`` any number of times, then ``finalize`` once."""

    __slots__ = ("_approved", "_h", "name")

    def __init__(self, name: str, *, length: int | None = None) -> None:
        _check_length(name, length)
        self._approved = authorize("hashes.Hasher", "hash", name)
        self._h = _hashes.hash_object(name, length)
        self.name = name

    def update(self, data: bytes) -> None:
        self._h.update(data)

    def copy(self) -> Hasher:
        twin = object.__new__(Hasher)
        twin._approved, twin._h, twin.name = self._approved, self._h.copy(), self.name
        return twin

    def finalize(self) -> bytes:
        gate()  # the digest is released only while the module serves
        out = self._h.finalize()
        record("hashes.Hasher", self.name, self._approved)
        return out


def hash_file(path: str | os.PathLike[str], name: str = "sha256", *, chunk: int = 1 << 20) -> bytes:
    """The digest of a file, read in ``chunk``-byte pieces (bounded memory)."""
    hasher = Hasher(name)
    with Path(path).open("rb") as f:
        while block := f.read(chunk):
            hasher.update(block)
    return hasher.finalize()
