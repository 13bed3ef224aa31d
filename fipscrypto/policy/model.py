"""The policy model: rules with statuses per direction, dated changes, citations, and verdicts.

Vocabulary of NIST SP 800-131A Rev. 2 (§1.2): *acceptable*, *deprecated* (usable, the data owner
accepts the risk), *legacy-use* (only to process data protected earlier), *disallowed*. Each rule
gives one status for applying protection and one for processing protected data.
"""

from __future__ import annotations

import bisect
import datetime as dt
import enum
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeGuard

from .._clock import today as _today
from ..errors import InvalidParameter

__all__ = [
    "RANGES",
    "Change",
    "Citation",
    "Direction",
    "Policy",
    "Rule",
    "Source",
    "Status",
    "Verdict",
    "bounded",
]

# The integers a policy or a manifest may give, inclusive (docs/policy-format.md, "Limits"): sizes in
# bits (min_bits, max_bits, a manifest's bits and NAME:BITS), and the parameters constraints name.
# Both are far beyond any real value (OpenSSL's RSA modulus limit is 16384 bits; PBKDF2 deployments use
# up to about a million iterations) and small enough that nothing absurd passes for a size.
RANGES: Mapping[str, tuple[int, int]] = {
    "bits": (1, 65536),
    "iterations": (1, 2**32 - 1),
    "salt_bits": (0, 65536),
    "tag_bits": (0, 65536),
}


def bounded(value: object, kind: str) -> int:
    """``value`` if it is an integer (a bool is not) within ``RANGES[kind]``, else InvalidParameter."""
    if not isinstance(kind, str) or kind not in RANGES:
        raise InvalidParameter(f"unknown kind of integer {kind!r} (known: {', '.join(RANGES)})")
    low, high = RANGES[kind]
    if not _is_int(value) or not low <= value <= high:
        raise InvalidParameter(f"must be an integer from {low} to {high}")
    return value


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


class Status(enum.Enum):
    ACCEPTABLE = "acceptable"
    DEPRECATED = "deprecated"
    LEGACY_USE = "legacy-use"
    DISALLOWED = "disallowed"

    @property
    def rank(self) -> int:
        """Strictness: a higher rank allows less."""
        return _RANK[self]


_RANK = {Status.ACCEPTABLE: 0, Status.DEPRECATED: 1, Status.LEGACY_USE: 2, Status.DISALLOWED: 3}


class Direction(enum.Enum):
    APPLY = "apply"  # encrypt, sign, wrap, MAC generation, key establishment, offering a parameter
    PROCESS = "process"  # decrypt, verify, unwrap, MAC verification of data protected earlier


_ALLOWED = {
    Direction.APPLY: {Status.ACCEPTABLE, Status.DEPRECATED},
    Direction.PROCESS: {Status.ACCEPTABLE, Status.DEPRECATED, Status.LEGACY_USE},
}


@dataclass(frozen=True)
class Citation:
    id: str
    document: str
    url: str
    title: str | None = None
    published: dt.date | None = None
    draft: bool = False


@dataclass(frozen=True)
class Source:
    """Where a status comes from: the citation, the section, and the file position of the rule."""

    citation: Citation
    section: str
    note: str | None
    unverified: bool
    origin: str  # "path:line"

    def text(self) -> str:
        draft = " (draft)" if self.citation.draft else ""
        unverified = " [unverified]" if self.unverified else ""
        return f"{self.citation.document}{draft}, {self.section}{unverified} <{self.citation.url}>"


@dataclass(frozen=True)
class Change:
    start: dt.date
    apply: Status | None
    process: Status | None
    source: Source


@dataclass(frozen=True)
class Rule:
    category: str
    names: tuple[str, ...]
    apply: Status
    process: Status
    source: Source
    min_bits: int | None = None
    max_bits: int | None = None
    constraints: Mapping[str, int] = field(default_factory=dict)
    changes: tuple[Change, ...] = ()
    justification: str | None = None

    def covers(self, name: str, bits: int | None) -> bool:
        if name not in self.names:
            return False
        if bits is None:
            return True
        return (self.min_bits is None or bits >= self.min_bits) and (
            self.max_bits is None or bits <= self.max_bits
        )

    @property
    def sized(self) -> bool:
        return self.min_bits is not None or self.max_bits is not None

    @functools.cached_property
    def _timelines(self) -> dict[Direction, _Timeline]:
        return {direction: _Timeline(self, direction) for direction in Direction}

    def status_on(self, direction: Direction, day: dt.date) -> tuple[Status, Source]:
        """The status on the date, and the source that set it (the rule's, or a change's)."""
        return self._timelines[direction].on(day)

    def next_change(self, direction: Direction, day: dt.date) -> tuple[dt.date, Status] | None:
        """The first later date on which the status differs from today's, and that status."""
        return self._timelines[direction].after(day)


class _Timeline:
    """A rule's status in one direction over time, searched by date (a rule may have many changes)."""

    def __init__(self, rule: Rule, direction: Direction) -> None:
        apply = direction is Direction.APPLY
        self.dates = [dt.date.min]
        self.states = [(rule.apply if apply else rule.process, rule.source)]
        for change in rule.changes:  # in increasing date order (the loader requires it)
            status = change.apply if apply else change.process
            if status is not None:
                self.dates.append(change.start)
                self.states.append((status, change.source))
        # differs[i]: the first later position whose status differs from position i's (or the end)
        self.differs = [len(self.dates)] * len(self.dates)
        for i in range(len(self.dates) - 2, -1, -1):
            same = self.states[i + 1][0] is self.states[i][0]
            self.differs[i] = self.differs[i + 1] if same else i + 1

    def on(self, day: dt.date) -> tuple[Status, Source]:
        return self.states[bisect.bisect_right(self.dates, day) - 1]

    def after(self, day: dt.date) -> tuple[dt.date, Status] | None:
        later = self.differs[bisect.bisect_right(self.dates, day) - 1]
        return (self.dates[later], self.states[later][0]) if later < len(self.dates) else None


@dataclass(frozen=True)
class Verdict:
    """The answer to one question: may this be used, in this direction, on this date?"""

    category: str
    name: str
    direction: Direction
    bits: int | None
    as_of: dt.date
    status: Status
    allowed: bool
    policy: str
    rule: Rule | None
    source: Source | None
    reason: str
    next_change: tuple[dt.date, Status] | None

    def citation(self) -> str:
        return self.source.text() if self.source else "no rule: not on the allowlist"

    def subject(self) -> str:
        size = f" ({self.bits} bits)" if self.bits is not None else ""
        return f"{self.category} {self.name}{size}, {self.direction.value}"

    def as_dict(self) -> dict[str, object]:
        src = self.source
        return {
            "category": self.category,
            "name": self.name,
            "direction": self.direction.value,
            "bits": self.bits,
            "as_of": self.as_of.isoformat(),
            "status": self.status.value,
            "allowed": self.allowed,
            "policy": self.policy,
            "reason": self.reason,
            "citation": None
            if src is None
            else {
                "document": src.citation.document,
                "section": src.section,
                "url": src.citation.url,
                "draft": src.citation.draft,
                "unverified": src.unverified,
                "note": src.note,
                "rule": src.origin,
            },
            "next_change": None
            if self.next_change is None
            else {"date": self.next_change[0].isoformat(), "status": self.next_change[1].value},
        }


class _Rules:
    """The rules of one layer that name one item: in file order, and by lower size bound.

    Within a layer no two rules match the same size (the loader refuses overlapping rules), so the
    rule for a size is the last one that starts at or below it: a binary search, not a scan.
    """

    def __init__(self, rules: list[Rule]) -> None:
        self.first = rules[0]
        self.sized = any(rule.sized for rule in rules)
        self.by_low = sorted(rules, key=_low)
        self.lows = [_low(rule) for rule in self.by_low]

    def match(self, name: str, bits: int | None) -> Rule | None:
        if bits is None:
            return self.first
        index = bisect.bisect_right(self.lows, bits) - 1
        return self.by_low[index] if index >= 0 and self.by_low[index].covers(name, bits) else None


def _low(rule: Rule) -> float:
    return rule.min_bits if rule.min_bits is not None else -math.inf


def _checked_use(
    category: object, name: object, bits: object, as_of: object, direction: object = Direction.APPLY
) -> None:
    """InvalidParameter unless the question about one use has the types :meth:`Policy.check` takes."""
    for label, value in (("category", category), ("name", name)):
        if not isinstance(value, str):
            raise InvalidParameter(f"{label} must be a str, not {type(value).__name__}")
    if bits is not None and not (_is_int(bits) and bits >= 0):
        raise InvalidParameter(f"bits must be a non-negative int or None, not {bits!r}")
    if as_of is not None and not isinstance(as_of, dt.date):
        raise InvalidParameter(f"as_of must be a date or None, not {type(as_of).__name__}")
    if not isinstance(direction, Direction):
        raise InvalidParameter(f"direction must be a Direction, not {type(direction).__name__}")


def _checked_params(params: object) -> None:
    if params is None:
        return
    if not isinstance(params, Mapping):
        raise InvalidParameter(f"params must be a mapping of str to int, not {type(params).__name__}")
    for key, value in params.items():
        if not isinstance(key, str):
            raise InvalidParameter(f"params keys must be str, not {type(key).__name__}")
        if not _is_int(value):
            raise InvalidParameter(f"params values must be int: {key} is {type(value).__name__}")


@dataclass(frozen=True)
class Policy:
    """A loaded policy; ``base`` is the policy it extends (evaluated after this one)."""

    name: str
    title: str
    draft: bool
    rules: tuple[Rule, ...]
    citations: Mapping[str, Citation]
    base: Policy | None = None
    path: str | None = None
    description: str | None = None
    digest: str | None = None  # SHA-256 of the source text (see runtime.tls_section)
    version: int = 1  # [policy] version: raised whenever a built-in profile's rules change

    def layers(self) -> tuple[Policy, ...]:
        chain: list[Policy] = []
        layer: Policy | None = self
        while layer is not None:
            chain.append(layer)
            layer = layer.base
        return tuple(chain)

    @functools.cached_property
    def _index(self) -> dict[tuple[str, str], tuple[_Rules, ...]]:
        """(category, name) -> per layer that names it, top layer first, its rules: what match() searches."""
        index: dict[tuple[str, str], dict[int, list[Rule]]] = {}
        for depth, layer in enumerate(self.layers()):
            for rule in layer.rules:
                for name in dict.fromkeys(rule.names):
                    index.setdefault((rule.category, name), {}).setdefault(depth, []).append(rule)
        return {key: tuple(_Rules(rules) for rules in layers.values()) for key, layers in index.items()}

    def match(self, category: str, name: str, bits: int | None) -> Rule | None:
        """The deciding rule: the first match from the top layer down."""
        _checked_use(category, name, bits, None)
        return self._match(category, name, bits)

    def _match(self, category: str, name: str, bits: int | None) -> Rule | None:
        for rules in self._index.get((category, name), ()):
            rule = rules.match(name, bits)
            if rule is not None:
                return rule
        return None

    def is_sized(self, category: str, name: str) -> bool:
        """Whether the policy limits the item's size (a question about it needs ``bits``)."""
        _checked_use(category, name, None, None)
        return self._sized(category, name)

    def _sized(self, category: str, name: str) -> bool:
        return any(rules.sized for rules in self._index.get((category, name), ()))

    def check(
        self,
        category: str,
        name: str,
        *,
        direction: Direction = Direction.APPLY,
        bits: int | None = None,
        params: Mapping[str, int] | None = None,
        as_of: dt.date | None = None,
    ) -> Verdict:
        """Evaluate one use. Unknown items are disallowed: the policy is an allowlist.

        InvalidParameter for arguments of the wrong type, and without ``bits`` for an item whose size
        the policy limits."""
        _checked_use(category, name, bits, as_of, direction)
        _checked_params(params)
        day = as_of or _today()
        if bits is None and self._sized(category, name):
            raise InvalidParameter(f"{category} {name}: the policy limits its size; give bits=")
        rule = self._match(category, name, bits)
        source: Source | None = None
        if rule is None:
            status, reason = Status.DISALLOWED, f"not on the allowlist of policy {self.name}"
        else:
            status, source = rule.status_on(direction, day)
            reason = f"{status.value} under policy {self.name}"
            failed = [
                f"{key} {params.get(key) if params else None} < {minimum}"
                for key, minimum in rule.constraints.items()
                if params is None or params.get(key) is None or params[key] < minimum
            ]
            if failed:
                floor = Status.DISALLOWED if direction is Direction.APPLY else Status.LEGACY_USE
                status = floor if floor.rank > status.rank else status
                reason = f"{status.value}: below the policy minimum ({', '.join(failed)})"
        return Verdict(
            category,
            name,
            direction,
            bits,
            day,
            status,
            status in _ALLOWED[direction],
            self.name,
            rule,
            source,
            reason,
            rule.next_change(direction, day) if rule else None,
        )

    def allowed_names(
        self,
        category: str,
        names: tuple[str, ...],
        as_of: dt.date | None = None,
        statuses: frozenset[Status] = frozenset({Status.ACCEPTABLE}),
    ) -> list[str]:
        """Of ``names`` (in that order), those whose apply status on the date is in ``statuses``."""
        if not isinstance(names, tuple) or not all(isinstance(name, str) for name in names):
            raise InvalidParameter(f"names must be a tuple of str, not {type(names).__name__}")
        _checked_use(category, "", None, as_of)
        if not isinstance(statuses, frozenset) or not all(isinstance(s, Status) for s in statuses):
            raise InvalidParameter("statuses must be a frozenset of Status")
        day = as_of or _today()
        allowed = []
        for name in names:
            rule = self._match(category, name, None)
            if rule is not None and rule.status_on(Direction.APPLY, day)[0] in statuses:
                allowed.append(name)
        return allowed
