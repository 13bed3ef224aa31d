"""What every public service does around its work: the gate and the policy (through the one
enforcement path, :func:`fipscrypto.enforce.require`), then the indicator.

    approved = require("hashes.digest", "hash", name)
    result = _backend.hashes.digest(name, data)
    record("hashes.digest", name, approved)

Hot services keep a :class:`Grant` instead: the first approved call leaves a *standing* one behind
when the policy names no dated change ahead for that use (its verdict can then not change while
the process runs: the policy is fixed at activation), and later calls only look it up and mark the
indicator, with no clock read. A use with a dated change ahead (e.g. SHA-1 signing under a
transition profile) keeps the per-call path, whose verdicts are cached per UTC day. Entering the
ERROR state revokes every grant at once (:func:`revoke`), so the next call takes the full path and
is refused. Non-approved uses (audit mode, exemptions) never get a standing grant.

:func:`~fipscrypto.enforce.require` passes the module gate and asks the active policy. In strict
mode a non-approved request raises :class:`~fipscrypto.errors.PolicyViolation` unless an
:func:`~fipscrypto.indicator.exempt` scope allows it (audited); in audit mode it is allowed and
audited. Verdicts are cached per UTC day, so a service pays a dictionary lookup, not a policy
evaluation, per call.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

from . import _fork, indicator, module
from .enforce import decide
from .errors import ModuleErrorState

__all__ = [
    "REVOKED",
    "Grant",
    "Refusal",
    "Revocable",
    "grant",
    "grants",
    "hold",
    "record",
    "revoke",
]

record = indicator.record


@dataclass(slots=True, eq=False)
class Grant:
    """The right to run one (service, algorithm). A *standing* grant may be cached until :func:`revoke`,
    with what the service prepared for its hot path in ``subject`` (e.g. a shared algorithm object)."""

    op: indicator.Operation
    counter: Iterator[int]
    standing: bool
    subject: Any = None

    def use(self) -> None:
        """Record one operation on the service indicator (indicator.mark; hot paths inline it)."""
        if _last() is not self.op:
            _set_last(self.op)
        next(self.counter)


_last, _set_last = indicator.get_last, indicator.set_last


_registries: list[dict[Any, Grant]] = []


def grants() -> dict[Any, Grant]:
    """A grant cache for one service; :func:`revoke` empties it. Only standing grants go in it."""
    cache: dict[Any, Grant] = {}
    _registries.append(cache)
    return cache


class Revocable(Protocol):
    def _revoke(self) -> None:
        """Drop the cipher context (and with it the key): every later use raises ModuleErrorState."""


_held: weakref.WeakSet[Revocable] = weakref.WeakSet()
_held_lock = _fork.lock()


def hold(obj: Revocable) -> None:
    """Register a long-lived key object (AES-GCM keys, later SRTP and ESP contexts): its hot path needs
    no gate check, because entering ERROR revokes it."""
    with _held_lock:
        _held.add(obj)


class Refusal:
    """Stands in for what a key object may no longer use (its cipher context, key, nonce counter):
    any attribute access, call, and ``next()`` raise the error that ``error`` makes."""

    __slots__ = ("_error",)

    def __init__(self, error: Callable[[], Exception]) -> None:
        self._error = error

    def _refuse(self) -> NoReturn:
        raise self._error()

    def __getattr__(self, name: str) -> Callable[..., NoReturn]:
        self._refuse()

    def __call__(self, *args: object) -> NoReturn:
        self._refuse()

    def __iter__(self) -> Refusal:
        return self

    def __next__(self) -> NoReturn:
        self._refuse()


#: Held by key objects once the module has entered ERROR.
REVOKED = Refusal(
    lambda: ModuleErrorState(f"key object revoked: {module.info().error or 'the module entered ERROR'}")
)


def revoke() -> None:
    """The module entered ERROR: drop every standing grant and revoke every held key object, so the
    next call of any service takes the full path (and is refused) or finds no cipher context."""
    for cache in _registries:
        cache.clear()
    with _held_lock:
        objects = list(_held)
    for obj in objects:
        obj._revoke()


module.on_error(revoke)  # the module notifies; it imports nothing of the services


def grant(
    service: str, category: str, name: str, label: str, *, direction: str = "apply", bits: int | None = None
) -> Grant:
    """Decide like :func:`fipscrypto.enforce.require`; the Grant marks the indicator under ``label``
    when used.

    The caller caches it (when ``standing``) only after the work it guards has succeeded once, so an
    algorithm the provider refuses never gets a standing grant.
    """
    approved, standing = decide(service, category, name, direction=direction, bits=bits)
    op, counter = indicator.entry(service, label, approved)
    return Grant(op, counter, standing)
