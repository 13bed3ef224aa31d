"""Hash functions: SHA-2, SHA-3 and SHAKE through the FIPS provider, checked by the policy.

Each call passes the module gate and the active policy and records the service indicator. A
:class:`Hasher` is authorized once, when it is created; its updates cost only the hash itself.
"""

from __future__ import annotations

import os
from pathlib import Path

from ._backend import hashes as _hashes
from ._params import BYTES, byte_string, integer, name
from ._service import grant, grants, record
from .enforce import require
from .errors import InvalidParameter
from .indicator import get_last as _get_last
from .indicator import set_last as _set_last
from .module import gate

__all__ = ["MAX_XOF_LENGTH", "Hasher", "digest", "hash_file"]

_SERVICE = "hashes.digest"
_Hash = _hashes.Hash
#: Bytes of SHAKE output one call may ask for (a memory bound, not a limit of the XOF).
MAX_XOF_LENGTH = 1 << 24


def _check(hash_name: object, length: object) -> str:
    """The hash name, after checking it is a str and that ``length`` fits it."""
    hash_name = name("the hash", hash_name)
    if hash_name in _hashes.XOFS:
        if length is None:
            raise InvalidParameter(f"{hash_name} is an XOF: give length >= 1 (bytes of output)")
        integer("length", length, 1, MAX_XOF_LENGTH)
    elif length is not None:
        raise InvalidParameter(f"{hash_name} has a fixed output length; length applies to shake128/256 only")
    return hash_name


_GRANTS = grants()


def digest(name: str, data: bytes, *, length: int | None = None) -> bytes:
    """The ``name`` digest of ``data`` (``length`` bytes for SHAKE)."""
    try:
        standing = _GRANTS.get(name)
    except TypeError:  # an unhashable name: the full path says so
        standing = None
    if standing is None or length is not None:
        return _first_digest(name, data, length)
    h = _Hash(standing.subject)  # the hot path: no frame of ours between the caller and the provider
    try:
        h.update(data)
    except TypeError:
        return _first_digest(name, data, length)
    out = h.finalize()
    if _get_last() is not standing.op:  # the indicator, inlined (Grant.use)
        _set_last(standing.op)
    next(standing.counter)
    return out


def _first_digest(hash_name: object, data: object, length: int | None) -> bytes:
    """The full path: argument checks, policy, the provider; leaves a standing grant when it may."""
    hash_name, data = _check(hash_name, length), byte_string("data", data)
    permit = grant(_SERVICE, "hash", hash_name, hash_name)
    out = _hashes.digest(hash_name, data, length)  # AlgorithmUnavailable if the provider refuses it
    permit.use()
    if permit.standing and length is None:
        permit.subject = _hashes.algorithm(hash_name)
        _GRANTS[hash_name] = permit
    return out


class Hasher:
    """Streaming hash: ``update`` any number of times, then ``finalize`` once.

    After ``finalize``, ``update``, ``copy`` and ``finalize`` raise InvalidParameter.
    """

    __slots__ = ("_approved", "_h", "name")

    def __init__(self, name: str, *, length: int | None = None) -> None:
        name = _check(name, length)
        self._approved = require("hashes.Hasher", "hash", name)
        self._h = _hashes.hash_object(name, length)
        self.name = name

    def update(self, data: bytes) -> None:
        if not isinstance(data, BYTES):
            raise InvalidParameter(f"data must be bytes, not {type(data).__name__}")
        try:
            self._h.update(data)
        except _hashes.FINALIZED:
            raise InvalidParameter("this Hasher is finalized") from None

    def copy(self) -> Hasher:
        twin = object.__new__(Hasher)
        try:
            twin._approved, twin._h, twin.name = self._approved, self._h.copy(), self.name
        except _hashes.FINALIZED:
            raise InvalidParameter("this Hasher is finalized") from None
        return twin

    def finalize(self) -> bytes:
        gate()  # the digest is released only while the module serves
        try:
            out = self._h.finalize()
        except _hashes.FINALIZED:
            raise InvalidParameter("this Hasher is finalized") from None
        record("hashes.Hasher", self.name, self._approved)
        return out


def hash_file(
    path: str | os.PathLike[str], name: str = "sha256", *, length: int | None = None, chunk: int = 1 << 20
) -> bytes:
    """The digest of a file, read in ``chunk``-byte pieces (bounded memory); ``length`` bytes of
    output for SHAKE, as with :func:`digest`.

    A path that is not a str or path object, or a file that cannot be read, is InvalidParameter.
    """
    integer("chunk", chunk, 1, 1 << 30)
    if not isinstance(path, str | os.PathLike):
        raise InvalidParameter(f"path is a str or a path object, not {type(path).__name__}")
    hasher = Hasher(name, length=length)
    try:
        with Path(path).open("rb") as f:
            while block := f.read(chunk):
                hasher.update(block)
    except (OSError, ValueError) as exc:  # ValueError: a path with a NUL character
        raise InvalidParameter(f"cannot read {os.fsdecode(path)!r}: {exc}") from exc
    return hasher.finalize()
