"""What every public service does around its work: the gate, the policy, the indicator.

    approved = authorize("hashes.digest", "hash", name)
    result = _backend.hashes.digest(name, data)
    record("hashes.digest", name, approved)

Hot services keep a :class:`Grant` instead: the first approved call leaves one behind, valid until
UTC midnight, and later calls only check its expiry and mark the indicator. Entering the ERROR
state revokes every grant at once (:func:`revoke`), so the next call takes the full path and is
refused. Non-approved uses (audit mode, exemptions) never get a standing grant.

:func:`authorize` passes the module gate and asks the active policy. In strict mode a non-approved
request raises :class:`~fipscrypto.errors.PolicyViolation` unless an :func:`~fipscrypto.indicator.exempt`
scope allows it (audited); in audit mode it is allowed, logged and audited. Verdicts are cached per
UTC day, so a service pays a dictionary lookup, not a policy evaluation, per call.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import audit, indicator, module
from .errors import PolicyViolation

if TYPE_CHECKING:
    from .policy import Verdict

__all__ = ["Grant", "authorize", "grant", "grants", "record", "revoke"]

record = indicator.record

# (category, name, direction, bits, params) -> (UTC day, allowed, status): verdicts are kept for the
# day they were given on. The policy is the one the process activated with.
_verdicts: dict[tuple[object, ...], tuple[int, bool, str]] = {}


def _check(
    category: str, name: str, direction: str, bits: int | None, params: tuple[tuple[str, int], ...] | None
) -> Verdict:
    from .policy import Direction, check  # the policy is parsed at the first verdict, not at activation

    return check(category, name, direction=Direction(direction), bits=bits, params=dict(params or ()))


def authorize(
    service: str,
    category: str,
    name: str,
    *,
    direction: str = "apply",
    bits: int | None = None,
    params: Mapping[str, int] | None = None,
) -> bool:
    """Gate and policy for one operation; True when it is an approved service.

    Deprecated algorithms are still approved (SP 800-131A: usable, with the risk accepted).
    """
    module.gate()
    frozen = tuple(sorted(params.items())) if params else None
    day = int(time.time() // 86400)
    key = (category, name, direction, bits, frozen)
    cached = _verdicts.get(key)
    if cached is None or cached[0] != day:
        verdict = _check(category, name, direction, bits, frozen)
        cached = _verdicts[key] = (day, verdict.allowed, verdict.status.value)
    if cached[1]:
        return True
    reason = indicator.exemption()
    mode = module.info().mode
    if mode is module.Mode.STRICT and reason is None:
        indicator.record(service, name, False)  # the refused request leaves the indicator false
        audit.emit("policy-violation", service=service, algorithm=name, status=cached[2])
        verdict = _check(category, name, direction, bits, frozen)
        raise PolicyViolation(f"{verdict.subject()}: {verdict.reason} ({verdict.citation()})", verdict)
    audit.emit(
        "non-approved-use",
        service=service,
        algorithm=name,
        status=cached[2],
        mode=mode.value if mode else None,
        exemption=reason,
    )
    return False


@dataclass(slots=True, eq=False)
class Grant:
    """The right to run one (service, algorithm) until ``expires`` (0: this call only)."""

    expires: float
    op: indicator.Operation
    counter: Iterator[int]

    def use(self) -> None:
        """Record one operation on the service indicator (indicator.mark, inlined)."""
        _set_last(self.op)
        next(self.counter)


_set_last = indicator.set_last


_registries: list[dict[Any, Grant]] = []


def grants() -> dict[Any, Grant]:
    """A grant cache for one service; :func:`revoke` empties it."""
    cache: dict[Any, Grant] = {}
    _registries.append(cache)
    return cache


def revoke() -> None:
    """Drop every standing grant (the module entered ERROR, or the indicator was reset)."""
    for cache in _registries:
        cache.clear()


def grant(
    service: str, category: str, name: str, label: str, *, direction: str = "apply", bits: int | None = None
) -> Grant:
    """Authorize like :func:`authorize`; the Grant marks the indicator under ``label`` when used."""
    approved = authorize(service, category, name, direction=direction, bits=bits)
    op, counter = indicator.entry(service, label, approved)
    expires = (time.time() // 86400 + 1) * 86400 if approved else 0.0
    return Grant(expires, op, counter)
