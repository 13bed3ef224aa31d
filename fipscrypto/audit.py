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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["Event", "emit", "subscribe", "unsubscribe"]

log = logging.getLogger("fipscrypto.audit")


@dataclass(frozen=True)
class Event:
    kind: str  # e.g. "activation", "selftest", "policy-violation", "exemption", "key-generated"
    time: str  # RFC 3339, UTC
    fields: Mapping[str, object] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "time": self.time, **self.fields}, sort_keys=True, default=str)


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
    event = Event(kind, dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"), fields)
    log.info("%s", event.to_json())
    with _lock:
        sinks = list(_subscribers)
    for sink in sinks:
        sink(event)
    return event
