"""Structured audit events: who did what, when, never with key material or payload.

Events go to the ``fipscrypto.audit`` logger as one JSON object per line, and to every subscriber
(a callable). The tamper-evident JSON-lines trail with a hash chain and RFC 5424 syslog output are
sinks that subscribe here (audit-trail issue); emitters do not change.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["Event", "emit", "subscribe", "unsubscribe"]

log = logging.getLogger("fipscrypto.audit")


@dataclass(frozen=True)
class Event:
    kind: str  # e.g. "activation", "selftest", "policy-violation", "exemption", "key-generated"
    stamp: float  # seconds since the epoch (time.time())
    fields: Mapping[str, object] = field(default_factory=dict)

    @property
    def time(self) -> str:
        """RFC 3339, UTC, with microseconds."""
        return dt.datetime.fromtimestamp(self.stamp, dt.UTC).isoformat(timespec="microseconds")

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "time": self.time, **self.fields}, sort_keys=True, default=str)

    def __str__(self) -> str:
        return self.to_json()


_subscribers: list[Callable[[Event], None]] = []
_lock = threading.Lock()


def subscribe(sink: Callable[[Event], None]) -> None:
    with _lock:
        _subscribers.append(sink)


def unsubscribe(sink: Callable[[Event], None]) -> None:
    with _lock:
        _subscribers.remove(sink)


def emit(kind: str, **fields: object) -> Event:
    """Record an event. Callers pass metadata only: never keys, secrets, plaintext or payload."""
    event = Event(kind, time.time(), fields)
    log.info("%s", event)  # formatted (to_json) only when a handler takes INFO records
    with _lock:
        sinks = list(_subscribers)
    for sink in sinks:
        sink(event)
    return event
