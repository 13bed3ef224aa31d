"""The policy a TLS (or DTLS) endpoint runs under: the endpoint's own policy, and the process's.

A context may be built for a policy other than the active one (``policy=`` of the builders). That
policy decides what the endpoint offers and accepts; the active policy still gates every use, as for
every other service. Both go through the one enforcement path, :func:`fipscrypto.enforce.require`,
with the endpoint's policy as its ``policy=``: in strict mode a use either policy refuses raises
:class:`~fipscrypto.errors.PolicyViolation` (unless an ``indicator.exempt`` scope allows it), in audit
mode it is allowed and audited as a non-approved use. A narrower endpoint policy (e.g. ``cnsa-2.0`` in
a ``fips-140-3`` process) therefore narrows; a wider one cannot widen.
"""

from __future__ import annotations

from ..enforce import require, verdict
from ..policy import Policy, Verdict, current, select

__all__ = ["PolicyRef"]


class PolicyRef:
    """A resolved ``policy=`` argument: None (the active policy), a policy name or file, or a Policy."""

    __slots__ = ("key", "name", "own", "policy")

    def __init__(self, policy: Policy | str | None = None) -> None:
        active = current()
        # select() answers a name or file of any other type with InvalidParameter.
        resolved = active if policy is None else policy if isinstance(policy, Policy) else select(policy)
        self.policy = resolved
        self.name = resolved.name
        # The endpoint's policy, when it is not the active one (which every use is checked against).
        same = resolved is active or (resolved.name, resolved.digest) == (active.name, active.digest)
        self.own: Policy | None = None if same else resolved
        self.key = (resolved.name, resolved.digest, resolved.path)

    def refusal(self, category: str, name: str, *, bits: int | None = None) -> Verdict | None:
        """The verdict that refuses this use, from either policy, or None; no side effects."""
        found = verdict(category, name, bits=bits, policy=self.own)
        return None if found.allowed else found

    def require(self, service: str, category: str, name: str, *, bits: int | None = None) -> bool:
        """Gate and both policies for one use; True when approved. Strict mode raises PolicyViolation."""
        return require(service, category, name, bits=bits, policy=self.own)
