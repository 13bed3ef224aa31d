"""Frozen records: what ``@dataclass(frozen=True)`` makes (fields set once; equality, hash and repr by
the fields), for the classes that activation creates, which must not import :mod:`dataclasses` (with
:mod:`inspect`, about 12 ms of a process's start-up).

A record class lists its fields in ``_fields``, in order, and in ``__slots__``; its ``__init__`` checks
and converts the values, then hands them to :meth:`Record._init`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

__all__ = ["Record"]

_set = object.__setattr__


class Record:
    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()

    def _init(self, *values: object) -> None:
        for name, value in zip(self._fields, values, strict=True):
            _set(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: a {type(self).__name__} is frozen")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: a {type(self).__name__} is frozen")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Record) and other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={value!r}" for name, value in zip(self._fields, self._values(), strict=True)
        )
        return f"{type(self).__name__}({shown})"

    def __reduce__(self) -> tuple[type[Record], tuple[Any, ...]]:  # copy and pickle through __init__
        return type(self), self._values()

    def as_dict(self) -> dict[str, Any]:
        """Field -> value, in field order."""
        return dict(zip(self._fields, self._values(), strict=True))

    def replace(self, **changes: Any) -> Self:
        """A copy with ``changes`` (field -> value) made; TypeError for a name that is not a field."""
        return type(self)(**(self.as_dict() | changes))
