"""The allowlist: policy as cited data, evaluated as of a date, enforced at the edge.

Services call :func:`require` before they run an algorithm: in strict mode a non-approved request
raises :class:`~fipscrypto.errors.PolicyViolation`; in audit mode it is allowed and logged. The
active policy is ``$FIPSCRYPTO_POLICY`` (a built-in profile name or a policy file), by default
``fips-140-3``. File format: docs/policy-format.md.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
from collections.abc import Mapping

from .. import module
from ..errors import PolicyViolation
from .diff import Difference, differences
from .loader import builtin, builtin_names, load, loads
from .model import Citation, Direction, Policy, Rule, Source, Status, Verdict

__all__ = [
    "DEFAULT",
    "POLICY_ENV",
    "Citation",
    "Difference",
    "Direction",
    "Policy",
    "Rule",
    "Source",
    "Status",
    "Verdict",
    "builtin",
    "builtin_names",
    "check",
    "current",
    "differences",
    "load",
    "loads",
    "require",
    "select",
]

POLICY_ENV = "FIPSCRYPTO_POLICY"
DEFAULT = "fips-140-3"
log = logging.getLogger("fipscrypto.policy")


def select(spec: str) -> Policy:
    """A built-in profile by name, or a policy file by path."""
    return builtin(spec) if spec in builtin_names() else load(spec)


@functools.cache
def _current(spec: str) -> Policy:
    return select(spec)


def current() -> Policy:
    """The active policy: ``$FIPSCRYPTO_POLICY`` (name or path), else ``fips-140-3``."""
    return _current(os.environ.get(POLICY_ENV) or DEFAULT)


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
    return current().check(category, name, direction=direction, bits=bits, params=params, as_of=as_of)


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
