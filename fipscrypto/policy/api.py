"""The policy API: the active policy and its verdicts (re-exported by ``fipscrypto.policy``).

Data and evaluation only: enforcing a verdict (the module's mode, exemptions, the indicator, audit)
is :func:`fipscrypto.enforce.require`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping

from .loader import select
from .model import Direction, Policy, Verdict
from .runtime import active_spec

__all__ = ["check", "current", "on_load", "select"]

# Called with (spec, policy) each time an active policy is loaded: the enforcement path audits it (the
# policy package imports nothing of the module, the services or the audit log: they register here).
_on_load: list[Callable[[str, Policy], None]] = []


def on_load(callback: Callable[[str, Policy], None]) -> None:
    """Have ``callback`` called with the spec and the policy each time an active policy is loaded."""
    if callback not in _on_load:
        _on_load.append(callback)


@functools.cache
def _current(spec: str) -> Policy:
    policy = select(spec)
    for callback in _on_load:
        callback(spec, policy)  # a raising callback leaves nothing cached: the next call loads again
    return policy


def current() -> Policy:
    """The active policy: ``$FIPSCRYPTO_POLICY`` (name or path), else ``fips-140-3-hardened``."""
    return _current(active_spec())


def check(
    category: str,
    name: str,
    *,
    direction: Direction = Direction.APPLY,
    bits: int | None = None,
    params: Mapping[str, int] | None = None,
    as_of: dt.date | None = None,
) -> Verdict:
    """The active policy's verdict on one use, with the deciding rule and its citation (evaluated on
    each call; :func:`fipscrypto.enforce.verdict` keeps verdicts per day for hot paths)."""
    return current().check(category, name, direction=direction, bits=bits, params=params, as_of=as_of)
