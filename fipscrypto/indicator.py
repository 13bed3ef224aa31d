"""The service indicator: was the last operation an approved service? (FIPS 140-3 IG 2.4.C)

Every service records one :class:`Operation` after it runs, in a context variable, so the answer is
per thread and per asyncio task. Counters add up approved and non-approved operations per service.
:func:`exempt` opens a scope in which strict mode lets a non-approved request through, records it as
non-approved, and writes an audit event with the reason.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

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
_counts: Counter[tuple[str, bool]] = Counter()
_lock = threading.Lock()


def record(service: str, algorithm: str, approved: bool) -> Operation:
    op = Operation(service, algorithm, approved, None if approved else _exemption.get())
    _last.set(op)
    with _lock:
        _counts[service, approved] += 1
    return op


def last() -> Operation | None:
    """The last operation recorded in this thread or task, or None."""
    return _last.get()


def counters() -> dict[str, dict[str, int]]:
    """Per service: {"approved": n, "non_approved": m}."""
    with _lock:
        snapshot = dict(_counts)
    result: dict[str, dict[str, int]] = {}
    for (service, approved), count in snapshot.items():
        result.setdefault(service, {"approved": 0, "non_approved": 0})
        result[service]["approved" if approved else "non_approved"] += count
    return result


def reset() -> None:
    """Forget the counters and this context's last operation (tests, or a new reporting period)."""
    with _lock:
        _counts.clear()
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
