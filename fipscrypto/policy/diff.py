"""What changes between two policies: every loosening and tightening, per item, direction, size and date.

Each item of the vocabulary that either policy names is evaluated at the sizes where a rule begins or
ends and on the dates where a rule changes, in both directions. A difference in strictness (the
order acceptable < deprecated < legacy-use < disallowed) is a *tightening* or a *loosening*; a lower
constraint minimum (e.g. fewer PBKDF2 iterations) is a loosening too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..errors import InvalidParameter
from .model import Direction, Policy, Rule, Status
from .vocabulary import categories

__all__ = ["ALWAYS", "Difference", "differences"]

ALWAYS = dt.date(1900, 1, 1)  # stands for "before any dated change"


@dataclass(frozen=True)
class Difference:
    kind: str  # "loosened" or "tightened"
    category: str
    name: str
    bits: int | None
    direction: Direction
    since: dt.date | None  # None: from the start
    old: str  # a status, or a constraint value
    new: str
    rule: Rule | None  # the new policy's deciding rule
    constraint: str | None = None

    def describe(self) -> str:
        size = f" ({self.bits} bits)" if self.bits is not None else ""
        when = f" from {self.since}" if self.since else ""
        what = f"constraint {self.constraint}" if self.constraint else self.direction.value
        return f"{self.category} {self.name}{size} {what}: {self.old} -> {self.new}{when}"

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "category": self.category,
            "name": self.name,
            "direction": self.direction.value,
            "bits": self.bits,
            "since": self.since.isoformat() if self.since else None,
            "old": self.old,
            "new": self.new,
            "constraint": self.constraint,
            "justification": self.rule.justification if self.rule else None,
            "rule": self.rule.source.origin if self.rule else None,
        }


def _rules(policy: Policy, category: str, name: str) -> list[Rule]:
    return [
        rule
        for layer in policy.layers()
        for rule in layer.rules
        if rule.category == category and name in rule.names
    ]


def _sizes(rules: list[Rule]) -> list[int | None]:
    bounds: set[int] = set()
    for rule in rules:
        if rule.min_bits is not None:
            bounds |= {rule.min_bits, max(rule.min_bits - 1, 0)}
        if rule.max_bits is not None:
            bounds |= {rule.max_bits, rule.max_bits + 1}
    sizes: list[int | None] = [*sorted(bounds)]
    return sizes or [None]


def _status(
    policy: Policy, item: tuple[str, str, int | None], direction: Direction, day: dt.date
) -> tuple[Status, Rule | None]:
    rule = policy.match(*item)
    if rule is None:
        return Status.DISALLOWED, None
    return rule.status_on(direction, day)[0], rule


def _status_changes(
    old: Policy, new: Policy, item: tuple[str, str, int | None], days: list[dt.date]
) -> list[Difference]:
    found = []
    for direction in Direction:
        last: tuple[Status, Status] | None = None
        for day in days:
            before, _ = _status(old, item, direction, day)
            after, rule = _status(new, item, direction, day)
            if before is not after and (before, after) != last:
                kind = "loosened" if after.rank < before.rank else "tightened"
                since = None if day == ALWAYS else day
                found.append(Difference(kind, *item, direction, since, before.value, after.value, rule))
            last = (before, after)
    return found


def _constraint_changes(old: Policy, new: Policy, item: tuple[str, str, int | None]) -> list[Difference]:
    before, after = old.match(*item), new.match(*item)
    if before is None or after is None:
        return []
    found = []
    for key in sorted(set(before.constraints) | set(after.constraints)):
        floor, value = before.constraints.get(key), after.constraints.get(key)
        if floor == value:
            continue
        kind = "loosened" if floor is not None and (value is None or value < floor) else "tightened"
        found.append(Difference(kind, *item, Direction.APPLY, None, str(floor), str(value), after, key))
    return found


def differences(old: Policy, new: Policy) -> list[Difference]:
    """Every difference from ``old`` to ``new``, loosenings first."""
    if not isinstance(old, Policy) or not isinstance(new, Policy):
        raise InvalidParameter("differences() compares two Policy objects")
    found: list[Difference] = []
    for category in categories().values():
        for name in category.names:
            rules = _rules(old, category.name, name) + _rules(new, category.name, name)
            if not rules:
                continue
            for bits in _sizes(rules):
                item = (category.name, name, bits)
                # Statuses change only on the dates of the two deciding rules (the size fixes them).
                deciding = [rule for rule in (old.match(*item), new.match(*item)) if rule is not None]
                days = sorted({ALWAYS} | {change.start for rule in deciding for change in rule.changes})
                found += _status_changes(old, new, item, days) + _constraint_changes(old, new, item)
    return sorted(found, key=lambda d: d.kind != "loosened")
