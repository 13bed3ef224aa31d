"""The policy API: the active policy, verdicts, and enforcement (re-exported by ``fipscrypto.policy``)."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Mapping

from .. import module
from .._clock import today as _today
from ..errors import PolicyViolation
from .loader import builtin, builtin_names, load
from .model import Direction, Policy, Status, Verdict
from .runtime import active_spec

__all__ = ["check", "current", "require", "select"]

log = logging.getLogger("fipscrypto.policy")


def select(spec: str) -> Policy:
    """A built-in profile by name, or a policy file by path."""
    return builtin(spec) if spec in builtin_names() else load(spec)


@functools.cache
def _current(spec: str) -> Policy:
    return select(spec)


def current() -> Policy:
    """The active policy: ``$FIPSCRYPTO_POLICY`` (name or path), else ``fips-140-3``."""
    return _current(active_spec())


@functools.lru_cache(maxsize=4096)
def _verdict(
    spec: str,
    category: str,
    name: str,
    direction: Direction,
    bits: int | None,
    params: tuple[tuple[str, int], ...] | None,
    day: dt.date,
) -> Verdict:
    # A verdict depends only on these: memoized, so require() on a hot path costs a dict lookup.
    return _current(spec).check(
        category, name, direction=direction, bits=bits, params=dict(params) if params else None, as_of=day
    )


def check(
    category: str,
    name: str,
    *,
    direction: Direction = Direction.APPLY,
    bits: int | None = None,
    params: Mapping[str, int] | None = None,
    as_of: dt.date | None = None,
) -> Verdict:
    """The active policy's verdict on one use, with the deciding rule and its citation."""
    frozen = tuple(sorted(params.items())) if params else None
    return _verdict(active_spec(), category, name, direction, bits, frozen, as_of or _today())


def require(
    category: str,
    name: str,
    *,
    direction: Direction = Direction.APPLY,
    bits: int | None = None,
    params: Mapping[str, int] | None = None,
) -> Verdict:
    """Enforce the active policy on one use: raise in strict mode, record in audit mode."""
    verdict = check(category, name, direction=direction, bits=bits, params=params)
    if verdict.allowed:
        if verdict.status is Status.DEPRECATED:
            log.warning("deprecated: %s (%s)", verdict.subject(), verdict.citation())
        return verdict
    mode = module.info().mode
    message = f"{verdict.subject()}: {verdict.reason} ({verdict.citation()})"
    if mode is module.Mode.STRICT or mode is None:
        raise PolicyViolation(message, verdict)
    log.warning("non-approved use allowed in %s mode: %s", mode.value, message)
    return verdict
