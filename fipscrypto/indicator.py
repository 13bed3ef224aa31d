"""The service indicator: was the last operation an approved service? (FIPS 140-3 IG 2.4.C)

Every service records one :class:`Operation` after it runs, in a context variable, so the answer is
per thread and per asyncio task. Counters add up approved and non-approved operations per service.
:func:`exempt` opens a scope in which strict mode lets a non-approved request through, records it as
non-approved, and writes an audit event with the reason.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from . import audit

__all__ = ["Operation", "counters", "exempt", "exemption", "last", "record", "reset"]


@dataclass(frozen=True, slots=True)
class Operation:
    service: str  # e.g. "hashes.digest"
    algorithm: str  # e.g. "sha256"
    approved: bool
    exemption: str | None = None  # the reason, when run under exempt()


_last: ContextVar[Operation | None] = ContextVar("fipscrypto_last_operation", default=None)
_exemption: ContextVar[str | None] = ContextVar("fipscrypto_exemption", default=None)
# Operations are interned: the per-call cost of the indicator is a dictionary lookup, a context-
# variable set and an uncontended lock around one addition.
_ops: dict[tuple[str, str, bool, str | None], list[Any]] = {}  # key -> [Operation, count]
_lock = threading.Lock()


def record(service: str, algorithm: str, approved: bool) -> Operation:
    key = (service, algorithm, approved, None if approved else _exemption.get())
    with _lock:
        entry = _ops.get(key)
        if entry is None:
            entry = _ops[key] = [Operation(*key), 0]
        entry[1] += 1
    op: Operation = entry[0]
    _last.set(op)
    return op


def last() -> Operation | None:
    """The last operation recorded in this thread or task, or None."""
    return _last.get()


def counters() -> dict[str, dict[str, int]]:
    """Per service: {"approved": n, "non_approved": m}."""
    with _lock:
        snapshot = [(key, (entry[0], entry[1])) for key, entry in _ops.items()]
    result: dict[str, dict[str, int]] = {}
    for (service, _algorithm, approved, _reason), (_op, calls) in snapshot:
        totals = result.setdefault(service, {"approved": 0, "non_approved": 0})
        totals["approved" if approved else "non_approved"] += calls
    return result


def reset() -> None:
    """Forget the counters and this context's last operation (tests, or a new reporting period)."""
    with _lock:
        _ops.clear()
    _last.set(None)


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
