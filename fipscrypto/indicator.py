"""The service indicator: was the last operation an approved service? (FIPS 140-3 IG 2.4.C)

Every service records one :class:`Operation` after it runs, in a context variable, so the answer is
per thread and per asyncio task. Counters add up approved and non-approved operations per service.
:func:`exempt` opens a scope in which strict mode lets a non-approved request through, records it as
non-approved, and writes an audit event with the reason.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from . import audit

__all__ = ["Operation", "counters", "entry", "exempt", "exemption", "last", "mark", "record", "reset"]


@dataclass(frozen=True, slots=True)
class Operation:
    service: str  # e.g. "hashes.digest"
    algorithm: str  # e.g. "sha256"
    approved: bool
    exemption: str | None = None  # the reason, when run under exempt()


_last: ContextVar[Operation | None] = ContextVar("fipscrypto_last_operation", default=None)
_exemption: ContextVar[str | None] = ContextVar("fipscrypto_exemption", default=None)
# Operations are interned with an itertools.count each: next() on it is atomic in CPython, so the
# per-call cost of the indicator is a dictionary lookup, a context-variable set and a next().
_ops: dict[tuple[str, str, bool, str | None], tuple[Operation, Iterator[int]]] = {}
_lock = threading.Lock()


def entry(service: str, algorithm: str, approved: bool) -> tuple[Operation, Iterator[int]]:
    """The interned operation and its counter (what :class:`fipscrypto._service.Grant` marks)."""
    key = (service, algorithm, approved, None if approved else _exemption.get())
    found = _ops.get(key)
    if found is None:
        with _lock:
            found = _ops.setdefault(key, (Operation(*key), itertools.count()))
    return found


def mark(op: Operation, counter: Iterator[int]) -> None:
    _last.set(op)
    next(counter)


set_last = _last.set  # for hot paths that mark inline (see _service.Grant.use)


def record(service: str, algorithm: str, approved: bool) -> Operation:
    op, counter = entry(service, algorithm, approved)
    mark(op, counter)
    return op


def last() -> Operation | None:
    """The last operation recorded in this thread or task, or None."""
    return _last.get()


def _calls(counter: Iterator[int]) -> int:
    # An itertools.count's repr is "count(N)", N the next value: the number of next() calls so far.
    return int(repr(counter)[6:-1])


def counters() -> dict[str, dict[str, int]]:
    """Per service: {"approved": n, "non_approved": m}."""
    with _lock:
        snapshot = list(_ops.items())
    result: dict[str, dict[str, int]] = {}
    for (service, _algorithm, approved, _reason), (_op, counter) in snapshot:
        totals = result.setdefault(service, {"approved": 0, "non_approved": 0})
        totals["approved" if approved else "non_approved"] += _calls(counter)
    return result


def reset() -> None:
    """Forget the counters and this context's last operation (tests, or a new reporting period)."""
    with _lock:
        _ops.clear()
    _last.set(None)
    from ._service import revoke  # grants hold counters: drop them too

    revoke()


def exemption() -> str | None:
    """The reason of the exempt() scope this code runs in, or None."""
    return _exemption.get()


@contextlib.contextmanager
def exempt(*, reason: str) -> Iterator[None]:
    """Allow non-approved requests in strict mode within this scope; each is recorded and audited."""
    if not reason.strip():
        raise ValueError("an exemption needs a reason")
    audit.emit("exemption-begin", reason=reason)
    token = _exemption.set(reason)
    try:
        yield
    finally:
        _exemption.reset(token)
        audit.emit("exemption-end", reason=reason)
