"""The service indicator: was the last operation an approved service? (FIPS 140-3 IG 2.4.C)

Every service records one :class:`Operation` after it runs, in a context variable, so the answer is
per thread and per asyncio task. :func:`last` is the last inner operation only (``seal.seal`` shows
its AES-GCM); :func:`scope` answers for a whole composite operation: was anything non-approved done
in this thread or task since the scope began? Counters add up approved and non-approved operations
per service. :func:`exempt` opens a scope in which strict mode lets a non-approved request through,
records it as non-approved, and writes an audit event with the reason.
"""

from __future__ import annotations

import collections
import contextlib
import sys
import weakref
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol, cast

from . import _fork, audit
from .errors import InvalidParameter

__all__ = [
    "Operation",
    "Scope",
    "counters",
    "entry",
    "exempt",
    "exemption",
    "last",
    "mark",
    "record",
    "reset",
    "scope",
    "tally",
]


@dataclass(frozen=True, slots=True)
class Operation:
    service: str  # e.g. "hashes.digest"
    algorithm: str  # e.g. "sha256"
    approved: bool
    exemption: str | None = None  # the reason, when run under exempt()


_last: ContextVar[Operation | None] = ContextVar("fipscrypto_last_operation", default=None)
_exemption: ContextVar[str | None] = ContextVar("fipscrypto_exemption", default=None)
# Operations are interned with a Count each: next() on its values is atomic in CPython, so the
# per-call cost of the indicator is a dictionary lookup, a context-variable set and a next().
_ops: dict[tuple[str, str, bool, str | None], tuple[Operation, Count]] = {}
_lock = _fork.lock()


def entry(service: str, algorithm: str, approved: bool) -> tuple[Operation, Iterator[int]]:
    """The interned operation and its counter (what :class:`fipscrypto._service.Grant` marks)."""
    key = (service, algorithm, approved, None if approved else _exemption.get())
    try:
        found = _ops.get(key)
    except TypeError:  # unhashable: not a service's name
        found = None
    if found is None:
        # A new operation (once per service and algorithm): what the indicator reports is text.
        if type(service) is not str or type(algorithm) is not str or type(approved) is not bool:
            raise InvalidParameter("an operation is a service and an algorithm (str) and approved (bool)")
        with _lock:
            found = _ops.setdefault(key, (Operation(*key), Count()))
    return found[0], found[1].values


@dataclass(slots=True, eq=False)
class Scope:
    """A sticky indicator (see :func:`scope`): ``approved`` stays False once a non-approved operation
    was recorded in this thread or task (or a task started within it) after the scope began."""

    approved: bool = True
    outer: Scope | None = None


_scope: ContextVar[Scope | None] = ContextVar("fipscrypto_indicator_scope", default=None)
_scope_get = _scope.get
_set = _last.set


def set_last(op: Operation) -> None:
    """Make ``op`` the last operation; a non-approved one marks every open :class:`Scope`."""
    _set(op)
    if not op.approved:
        found = _scope_get()
        while found is not None:
            found.approved = False
            found = found.outer


# For hot paths that mark inline (see _service.Grant.use): get is the bound method (no Python
# frame); set_last runs only when the operation changes, and every change passes through it.
get_last = _last.get


def mark(op: Operation, counter: Iterator[int]) -> None:
    if _last.get() is not op:  # a get is cheaper than a set, and a service repeats its operation
        set_last(op)
    next(counter)


def record(service: str, algorithm: str, approved: bool) -> Operation:
    op, counter = entry(service, algorithm, approved)
    mark(op, counter)
    return op


def last() -> Operation | None:
    """The last operation recorded in this thread or task, or None."""
    return _last.get()


@contextlib.contextmanager
def scope() -> Iterator[Scope]:
    """Watch a composite operation: is everything done in this thread or task from here on approved?

        with indicator.scope() as done:
            envelope = seal.seal(data, key_id="k1", kek=kek)
        assert done.approved

    Inside the scope :func:`last` starts from None (so a repeated operation from before the scope is
    seen again); after it, :func:`last` is the scope's last operation, or what it was before if the
    scope did nothing. Scopes nest: a non-approved operation marks every enclosing one. Asyncio tasks
    and ``asyncio.to_thread`` calls started inside the scope are seen (they run in a copy of its
    context); a ``threading.Thread`` is not (it starts from an empty context). Refused requests count
    as non-approved (they leave the indicator false).
    """
    before = _last.get()
    watched = Scope(True, _scope.get())
    token = _scope.set(watched)
    _set(None)
    try:
        yield watched
    finally:
        _scope.reset(token)
        if _last.get() is None:
            _set(before)


def _calls(counter: Iterator[int]) -> int:
    # An itertools.count's repr is "count(N)", N the next value: the number of next() calls so far.
    return int(repr(counter)[6:-1])


class _Range(Iterator[int], Protocol):
    """A range iterator: it knows how many values it has left."""

    def __length_hint__(self) -> int: ...


class Count:
    """A counter of operations from ``first`` up to ``end`` (exclusive): ``next(values)`` at C speed,
    and :meth:`taken` says how many values were drawn.

    The values come from range iterators, which know how many values they have left
    (``__length_hint__``, exact for ranges): that is how the count is read. ``values`` runs to
    ``sys.maxsize`` on CPython's machine-word range iterator, ``rest`` beyond it (a 64-bit nonce
    counter); an owner whose ``values`` raises StopIteration moves on to ``rest``. ``next()`` is
    atomic in CPython, and an exhausted iterator raises StopIteration without counting.
    """

    __slots__ = ("end", "first", "rest", "spoiled", "values")

    def __init__(self, first: int = 0, end: int = sys.maxsize) -> None:
        cut = min(max(first, sys.maxsize), end)
        self.first, self.end = first, end
        self.values = cast(_Range, iter(range(first, cut)))
        self.rest = cast(_Range, iter(range(cut, end)))
        #: values drawn by calls that were then refused (no operation): the owner adds them up
        self.spoiled = 0

    def taken(self) -> int:
        """Values drawn so far."""
        return self.end - self.first - self.values.__length_hint__() - self.rest.__length_hint__()

    def calls(self) -> int:
        """Operations counted: values drawn, less the spoiled ones."""
        return self.taken() - self.spoiled


_Key = tuple[str, str, bool, str | None]


_tallies: dict[_Key, list[Count]] = {}
_folded: dict[_Key, int] = {}  # operations of tallies whose owners are gone
_offsets: dict[_Key, int] = {}  # totals at the last reset()


def tally(owner: object, service: str, algorithm: str, approved: bool, count: Count) -> Operation:
    """Count ``owner``'s operations with its own counter instead of a per-call ``next()``: a hot path
    that already advances a counter per operation (a nonce counter) pays nothing more. When ``owner``
    is collected its count is kept. Returns the operation to set as :func:`last`."""
    op, _shared = entry(service, algorithm, approved)
    key = _key(op)
    with _lock:
        _reap()
        _tallies.setdefault(key, []).append(count)
    weakref.finalize(owner, _dead.append, (key, count))
    return op


# Tallies whose owners were collected. The finalizer only appends here (atomic): the collector may
# run it in any thread at any allocation, even one holding _lock, so the folding waits for _reap().
_dead: collections.deque[tuple[_Key, Count]] = collections.deque()


def _reap() -> None:
    """Fold the tallies of collected owners into _folded (with _lock held)."""
    while _dead:
        key, item = _dead.popleft()
        _tallies[key].remove(item)
        _folded[key] = _folded.get(key, 0) + item.calls()


def _key(op: Operation) -> _Key:
    return (op.service, op.algorithm, op.approved, op.exemption)


def _totals() -> dict[_Key, int]:
    with _lock:
        _reap()
        return {
            key: count.calls() + _folded.get(key, 0) + sum(t.calls() for t in _tallies.get(key, ()))
            for key, (_op, count) in _ops.items()
        }


def counters() -> dict[str, dict[str, int]]:
    """Per service: {"approved": n, "non_approved": m} since the last :func:`reset`."""
    result: dict[str, dict[str, int]] = {}
    for key, calls in _totals().items():
        service, _algorithm, approved, _reason = key
        totals = result.setdefault(service, {"approved": 0, "non_approved": 0})
        totals["approved" if approved else "non_approved"] += calls - _offsets.get(key, 0)
    return result


def reset() -> None:
    """Start the counters again from zero and forget this context's last operation (tests, or a new
    reporting period). Grants and key objects keep counting into the same counters."""
    _offsets.update(_totals())
    _last.set(None)


def exemption() -> str | None:
    """The reason of the exempt() scope this code runs in, or None."""
    return _exemption.get()


@contextlib.contextmanager
def exempt(*, reason: str) -> Iterator[None]:
    """Allow non-approved requests in strict mode within this scope; each is recorded and audited."""
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidParameter("an exemption needs a reason (non-empty text)")
    audit.emit("exemption-begin", reason=reason)
    token = _exemption.set(reason)
    try:
        yield
    finally:
        _exemption.reset(token)
        audit.emit("exemption-end", reason=reason)
