"""The policy a TLS (or DTLS) endpoint runs under: the endpoint's own policy, and the process's.

A context may be built for a policy other than the active one (``policy=`` of the builders). That
policy decides what the endpoint offers and accepts; the active policy still gates every use, as for
every other service (``fipscrypto._service.authorize``): in strict mode a use either policy refuses
raises :class:`~fipscrypto.errors.PolicyViolation` (unless an ``indicator.exempt`` scope allows it), in
audit mode it is allowed, logged and audited as a non-approved use. A narrower endpoint policy (e.g.
``cnsa-2.0`` in a ``fips-140-3`` process) therefore narrows; a wider one cannot widen.
"""

from __future__ import annotations

import logging

from .. import _clock, audit, indicator, module
from .._service import authorize
from ..errors import PolicyViolation
from ..policy import Direction, Policy, Verdict, current, select

__all__ = ["PolicyRef"]

log = logging.getLogger("fipscrypto.tls")


class PolicyRef:
    """A resolved ``policy=`` argument: None (the active policy), a policy name or file, or a Policy."""

    __slots__ = ("_verdicts", "key", "name", "own", "policy")

    def __init__(self, policy: Policy | str | None = None) -> None:
        active = current()
        resolved = active if policy is None else select(policy) if isinstance(policy, str) else policy
        self.policy = resolved
        self.name = resolved.name
        # The endpoint's policy, when it is not the active one (which authorize() already applies).
        same = resolved is active or (resolved.name, resolved.digest) == (active.name, active.digest)
        self.own: Policy | None = None if same else resolved
        self.key = (resolved.name, resolved.digest, resolved.path)
        self._verdicts: dict[tuple[str, str, int | None, int], Verdict] = {}

    def _own(self, category: str, name: str, bits: int | None) -> Verdict | None:
        """The endpoint policy's verdict, cached per UTC day; None when it is the active policy."""
        if self.own is None:
            return None
        day = _clock.utc_day()
        key = (category, name, bits, day)
        verdict = self._verdicts.get(key)
        if verdict is None:
            as_of = _clock.date_of(day)
            verdict = self.own.check(category, name, direction=Direction.APPLY, bits=bits, as_of=as_of)
            self._verdicts[key] = verdict
        return verdict

    def refusal(self, category: str, name: str, *, bits: int | None = None) -> Verdict | None:
        """The verdict that refuses this use, from either policy, or None; no side effects."""
        verdict = self._own(category, name, bits)
        if verdict is not None and not verdict.allowed:
            return verdict
        from ..policy import check

        verdict = check(category, name, bits=bits)
        return None if verdict.allowed else verdict

    def require(self, service: str, category: str, name: str, *, bits: int | None = None) -> bool:
        """Gate and both policies for one use; True when approved. Strict mode raises PolicyViolation."""
        verdict = self._own(category, name, bits)
        approved = True
        if verdict is not None and not verdict.allowed:
            message = f"{verdict.subject()}: {verdict.reason} ({verdict.citation()})"
            mode = module.info().mode
            reason = indicator.exemption()
            if mode is module.Mode.STRICT and reason is None:
                indicator.record(service, name, False)
                audit.emit(
                    "policy-violation",
                    service=service,
                    algorithm=name,
                    status=verdict.status.value,
                    policy=self.name,
                )
                raise PolicyViolation(message, verdict)
            log.warning("non-approved use allowed: %s", message)
            audit.emit(
                "non-approved-use",
                service=service,
                algorithm=name,
                status=verdict.status.value,
                policy=self.name,
                mode=mode.value if mode else None,
                exemption=reason,
            )
            approved = False
        return authorize(service, category, name, bits=bits) and approved
