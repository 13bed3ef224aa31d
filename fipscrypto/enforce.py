"""The one enforcement path: may this process run this use of an algorithm, now?

Every fipscrypto service, the TLS layer and user code ask :func:`require`::

    approved = enforce.require("myapp.export", "cipher", "aes-256-gcm")

It passes the module gate (activating the module on first use and running the self-tests of the
service's family once), asks the active policy for its verdict (and, for a TLS endpoint built for
another policy, that policy too: a narrower one narrows, a wider one cannot widen), and then:

- allowed: returns True (False in off mode, where nothing is approved);
- not allowed, strict mode: records the refused request on the indicator, then raises
  :class:`~fipscrypto.errors.PolicyViolation` with the verdict (the audit event follows the decision:
  a failing audit sink cannot turn a refusal into an acceptance);
- not allowed, audit or off mode, or inside an :func:`~fipscrypto.indicator.exempt` scope: writes a
  ``non-approved-use`` audit event and returns False (the caller records a non-approved operation).

Verdicts are kept per UTC day, so a repeated request costs a dictionary lookup. The policy itself
(``fipscrypto.policy``) is data and evaluation only; this module is where it meets the module's state.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import _clock, audit, indicator, module
from .errors import InvalidParameter, PolicyViolation
from .module import _proven, first_use
from .policy.api import current, on_load
from .policy.model import Direction, Policy, Verdict

__all__ = ["require", "verdict"]

_Key = tuple[object, ...]
# (policy identity, category, name, direction, bits, params) -> (UTC day, deciding verdict, standing).
# Standing: allowed, with no dated change ahead in either policy, so the answer holds while the
# process runs (the active policy is fixed at activation).
# Bounded: sizes come from callers (an HMAC key's length), so the cache starts again when full.
_verdicts: dict[_Key, tuple[int, Verdict, bool]] = {}
_MAX_VERDICTS = 4096
# Both spellings of a direction, to its value (the cache key holds the text: hashing an Enum member
# runs Python code).
_WAYS: dict[object, str] = {d.value: d.value for d in Direction} | {d: d.value for d in Direction}
_OFF, _STRICT = module.Mode.OFF, module.Mode.STRICT
_utc_day = _clock.utc_day


def _audit_load(spec: str, loaded: Policy) -> None:
    """The ``policy-loaded`` event: the policy every verdict comes from, identified by the SHA-256 of
    its source and of each layer it extends (``Policy.digest``)."""
    layers = [[layer.name, layer.digest] for layer in loaded.layers()]
    audit.emit("policy-loaded", spec=spec, policy=loaded.name, digest=loaded.digest, version=loaded.version,
               draft=loaded.draft, layers=layers)  # fmt: skip


on_load(_audit_load)


def _identity(policy: Policy) -> object:
    return (policy.name, policy.digest, policy.path)


def _evaluate(
    category: str,
    name: str,
    direction: Direction,
    bits: int | None,
    params: tuple[tuple[str, int], ...] | None,
    policy: Policy | None,
    day: int,
) -> tuple[int, Verdict, bool]:
    """The deciding verdict on ``day``: the active policy's, unless it allows the use and the
    endpoint ``policy`` does not."""
    # The policy's evaluation checks the question's types (InvalidParameter).
    asked = dict(params) if params else None
    as_of = _clock.date_of(day)

    def ask(source: Policy) -> Verdict:
        return source.check(category, name, direction=direction, bits=bits, params=asked, as_of=as_of)

    found = [ask(current())]
    if policy is not None and found[0].allowed:
        found.append(ask(policy))
    deciding = next((v for v in found if not v.allowed), found[0])
    standing = deciding.allowed and all(v.next_change is None for v in found)
    return day, deciding, standing


def _lookup(
    category: str,
    name: str,
    direction: Direction | str,
    bits: int | None,
    params: Mapping[str, int] | None,
    policy: Policy | None,
) -> tuple[Verdict, bool]:
    day = _utc_day()
    try:
        frozen = tuple(sorted(params.items())) if params else None
        way = _WAYS[direction]
        key = (None if policy is None else _identity(policy), category, name, way, bits, frozen)
        cached = _verdicts.get(key)
    except (KeyError, TypeError, AttributeError):
        raise InvalidParameter(
            f"not a policy question: direction={direction!r}, bits={bits!r}, params={params!r}"
        ) from None
    if cached is None or cached[0] != day:
        cached = _evaluate(category, name, Direction(way), bits, frozen, policy, day)
        if len(_verdicts) >= _MAX_VERDICTS:
            _verdicts.clear()
        _verdicts[key] = cached
    return cached[1], cached[2]


def verdict(
    category: str,
    name: str,
    *,
    direction: Direction | str = Direction.APPLY,
    bits: int | None = None,
    params: Mapping[str, int] | None = None,
    policy: Policy | None = None,
) -> Verdict:
    """The deciding verdict on one use today, without the gate and without side effects: the active
    policy's, or the endpoint ``policy``'s when only that one refuses."""
    return _lookup(category, name, direction, bits, params, policy)[0]


def decide(
    service: str,
    category: str,
    name: str,
    *,
    direction: Direction | str = Direction.APPLY,
    bits: int | None = None,
    params: Mapping[str, int] | None = None,
    policy: Policy | None = None,
) -> tuple[bool, bool]:
    """(approved, standing) for one use, or PolicyViolation (see :func:`require`). Standing means the
    verdict cannot change while the process runs (services may keep a grant for it)."""
    module.gate()
    try:
        proven = service in _proven
    except TypeError:  # unhashable
        proven = False
    if not proven:
        if type(service) is not str:
            raise InvalidParameter(f"a service is named by a str, not {type(service).__name__}")
        first_use(service)  # the family's self-tests, once
    found, standing = _lookup(category, name, direction, bits, params, policy)
    mode = module.mode()
    if found.allowed:
        # Off mode runs no provider: nothing is approved there, whatever the policy says of it.
        return (True, standing) if mode is not _OFF else (False, False)
    reason = indicator.exemption()
    fields = {"service": service, "algorithm": name, "status": found.status.value, "policy": found.policy}
    if mode is _STRICT and reason is None:
        indicator.record(service, name, False)  # the refused request leaves the indicator false
        refusal = PolicyViolation(f"{found.subject()}: {found.reason} ({found.citation()})", found)
        raise audit.report(refusal, "policy-violation", **fields)
    audit.emit("non-approved-use", **fields, mode=mode.value if mode else None, exemption=reason)
    return False, False


def require(
    service: str,
    category: str,
    name: str,
    *,
    direction: Direction | str = Direction.APPLY,
    bits: int | None = None,
    params: Mapping[str, int] | None = None,
    policy: Policy | None = None,
) -> bool:
    """Gate and policy for one use by ``service`` (a name for the indicator and the audit trail, e.g.
    ``"myapp.export"``); True when it is an approved service.

    ``policy``: a second policy that must also allow the use (a TLS endpoint's own); it can only
    narrow the active one. Strict mode raises :class:`~fipscrypto.errors.PolicyViolation` for a use
    either policy refuses, unless an ``indicator.exempt`` scope allows it. Deprecated algorithms are
    approved (SP 800-131A r2: usable, with the risk accepted). Wrong arguments raise
    :class:`~fipscrypto.errors.InvalidParameter`.
    """
    return decide(service, category, name, direction=direction, bits=bits, params=params, policy=policy)[0]
