"""Structured audit events: who did what, when, never with key material or payload.

Events go to the ``fipscrypto.audit`` logger as one JSON object per line, and to every subscriber
(a callable). Any other sink (a tamper-evident JSON-lines trail with a hash chain, RFC 5424 syslog)
is a subscriber too: emitters do not change when a sink is added.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping

from .._fork import lock
from .._log import INFO, log
from .._record import Record
from ..errors import AuditError

__all__ = ["Event", "emit", "emit_fields", "report", "sinks", "subscribe", "unsubscribe"]

_LOGGER = "fipscrypto.audit"


class Event(Record):
    """One audit event (frozen; equal, hashed and shown by its fields)."""

    __slots__ = _fields = ("kind", "stamp", "fields")
    kind: str  # e.g. "activation", "selftest", "policy-violation", "exemption", "key-generated"
    stamp: float  # seconds since the epoch (time.time())
    fields: Mapping[str, object]

    def __init__(self, kind: str, stamp: float, fields: Mapping[str, object] | None = None) -> None:
        self._init(kind, stamp, {} if fields is None else fields)

    @property
    def time(self) -> str:
        """RFC 3339, UTC, with microseconds."""
        import datetime as dt  # only when an event is formatted

        return dt.datetime.fromtimestamp(self.stamp, dt.UTC).isoformat(timespec="microseconds")

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "time": self.time, **self.fields}, sort_keys=True, default=str)

    def __str__(self) -> str:
        return self.to_json()


_subscribers: list[Callable[[Event], None]] = []
_lock = lock()


def subscribe(sink: Callable[[Event], None]) -> None:
    with _lock:
        _subscribers.append(sink)


def unsubscribe(sink: Callable[[Event], None]) -> None:
    with _lock:
        _subscribers.remove(sink)


#: What :func:`sinks` reports of a sink that has it (AuditTrail, SyslogHandler): where it writes,
#: what it sent, and its failures.
_COUNTERS = ("path", "address", "transport", "sent", "failures", "lost", "last_failure")


def sinks() -> list[dict[str, object]]:
    """Each subscribed sink in this process, in order: ``sink`` (its class) and, for a sink that keeps
    them, its destination and counters (``failures``: writes or sends that failed; ``lost``: events
    not yet written; ``last_failure``). The trail and the syslog handler never raise their failures
    into the service: this is where they are read."""
    with _lock:
        subscribed = list(_subscribers)
    found: list[dict[str, object]] = []
    for sink in subscribed:
        facts: dict[str, object] = {"sink": type(sink).__qualname__}
        for name in _COUNTERS:
            facts.update(_fact(sink, name))
        found.append(facts)
    return found


def _fact(sink: object, name: str) -> dict[str, object]:
    """``{name: value}`` of the sink's attribute as JSON can hold it; nothing when it has none, when
    reading it raises (a caller's sink) or when it is of another kind."""
    try:
        value = getattr(sink, name)
        if isinstance(value, tuple) and len(value) == 2:  # a socket address, (host, port)
            value = f"{value[0]}:{value[1]}"
        elif isinstance(value, os.PathLike):  # a Unix socket's path
            value = os.fsdecode(value)
        elif isinstance(value, BaseException):  # SyslogHandler keeps the exception itself
            value = f"{type(value).__name__}: {value}"
    except Exception:  # a caller's sink: a property, __fspath__ or __str__ that raises
        return {}
    if isinstance(value, str):
        return {name: value[:1024]}
    return {name: value} if value is None or type(value) is int else {}


def emit(kind: str, **fields: object) -> Event:
    """Record an event. Callers pass metadata only: never keys, secrets, plaintext or payload.

    Every sink gets the event, even when one before it raised; then AuditError is raised if any did.
    """
    return _deliver(Event(kind, time.time(), fields))


def emit_fields(kind: str, fields: Mapping[str, object]) -> Event:
    """:func:`emit` for fields a caller prepared once (copied here): no keyword-argument round trip."""
    return _deliver(Event(kind, time.time(), dict(fields)))


def _deliver(event: Event) -> Event:
    log(_LOGGER, INFO, "%s", event)  # formatted (to_json) only when a handler takes INFO records
    with _lock:
        sinks = list(_subscribers)
    failed: list[Exception] = []
    for sink in sinks:
        try:
            sink(event)
        except Exception as exc:  # a sink's failure is reported below, after every sink had the event
            failed.append(exc)
    if failed:
        raise AuditError(
            f"{len(failed)} audit sink(s) failed on a {event.kind} event: {failed[0]!r}"
        ) from failed[0]
    return event


def report(decision: BaseException, kind: str, **fields: object) -> BaseException:
    """Emit an event about ``decision``, an error the caller raises next (a refusal, a failed self-test):
    a failing sink cannot replace it, and is kept as its ``__context__``. Returns ``decision``."""
    try:
        emit(kind, **fields)
    except AuditError as exc:
        decision.__context__ = exc
    return decision
