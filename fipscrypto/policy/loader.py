"""Read policy files (format: docs/policy-format.md) into :class:`~fipscrypto.policy.model.Policy`.

Loading is strict: any problem raises :class:`~fipscrypto.errors.PolicyError` naming the file, the
line and the key, and nothing is returned. A policy never falls back to a weaker one.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import InvalidParameter, PolicyError
from .model import RANGES, Change, Citation, Policy, Rule, Source, Status, bounded
from .source import file_name, parse_toml, read_text, source_digest
from .vocabulary import categories

__all__ = ["builtin", "builtin_names", "load", "loads", "select"]

_POLICY_KEYS = {"name", "title", "status", "extends", "description", "version"}
_CITATION_KEYS = {"document", "url", "title", "published", "draft"}
_RULE_KEYS = {
    "category",
    "names",
    "apply",
    "process",
    "cite",
    "section",
    "note",
    "unverified",
    "min_bits",
    "max_bits",
    "constraints",
    "justification",
    "change",
}
_CHANGE_KEYS = {"from", "apply", "process", "cite", "section", "note", "unverified"}
_CONSTRAINTS = {"iterations", "salt_bits", "tag_bits"}
_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
_VERSIONED = re.compile(r"^([a-z0-9][a-z0-9.-]*)@([1-9][0-9]{0,5})$")  # a built-in profile's earlier version
_HEADER = re.compile(r"^\s*\[(\[)?\s*([^\]]+?)\s*\]")


class _Lines:
    """Line numbers of tables and keys in the source text (tomllib keeps none)."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")  # TOML ends lines at LF only (CRLF included)
        self.headers: dict[str, list[int]] = {}  # header -> its lines, in increasing order
        for number, line in enumerate(self.lines, 1):
            found = _HEADER.match(line)
            if found:
                self.headers.setdefault(found.group(2), []).append(number)

    def table(self, header: str, index: int = 0, after: int = 0) -> int:
        """The line of the ``index``-th ``[header]`` or ``[[header]]`` after line ``after`` (0: none)."""
        hits = self.headers.get(header, [])
        position = bisect.bisect_right(hits, after) + index
        return hits[position] if position < len(hits) else 0

    def key(self, start: int, key: str) -> int:
        """The line of ``key = `` in the table that starts at ``start`` (or the table line)."""
        pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        for number in range(start + 1, len(self.lines) + 1):
            line = self.lines[number - 1]
            if _HEADER.match(line):
                break
            if pattern.match(line):
                return number
        return start


@dataclass
class _Reader:
    path: str
    lines: _Lines

    def fail(self, line: int, key: str, message: str) -> PolicyError:
        return PolicyError(self.path, line, key, message)

    def keys(self, table: Mapping[str, Any], allowed: set[str], line: int, where: str) -> None:
        for key in table:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                raise self.fail(self.lines.key(line, key), key, f"unknown key in {where} (known: {known})")

    def text(self, table: Mapping[str, Any], key: str, line: int) -> str:
        value = self.optional_text(table, key, line)
        if value is None:
            raise self.fail(line, key, "missing")
        return value

    def optional_text(self, table: Mapping[str, Any], key: str, line: int) -> str | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(self.lines.key(line, key), key, "must be a non-empty string")
        return value

    def date(self, table: Mapping[str, Any], key: str, line: int) -> dt.date | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise self.fail(
                self.lines.key(line, key), key, f"malformed date {value!r}: write a TOML date, YYYY-MM-DD"
            )
        return value

    def flag(self, table: Mapping[str, Any], key: str, line: int) -> bool:
        value = table.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(self.lines.key(line, key), key, "must be true or false")
        return value

    def status(self, table: Mapping[str, Any], key: str, line: int) -> Status:
        value = self.optional_status(table, key, line)
        if value is None:
            raise self.fail(line, key, "missing")
        return value

    def optional_status(self, table: Mapping[str, Any], key: str, line: int) -> Status | None:
        value = table.get(key)
        if value is None:
            return None
        try:
            status = Status(value)
        except ValueError:
            choices = ", ".join(s.value for s in Status)
            raise self.fail(self.lines.key(line, key), key, f"unknown status {value!r} ({choices})") from None
        if key == "apply" and status is Status.LEGACY_USE:
            raise self.fail(
                self.lines.key(line, key), key, "legacy-use applies only to processing protected data"
            )
        return status

    def bits(self, table: Mapping[str, Any], key: str, line: int) -> int | None:
        value = table.get(key)
        if value is None:
            return None
        try:
            return bounded(value, "bits")
        except ValueError as exc:
            raise self.fail(self.lines.key(line, key), key, str(exc)) from None


def _citations(
    reader: _Reader, data: Mapping[str, Any], inherited: Mapping[str, Citation]
) -> dict[str, Citation]:
    found = dict(inherited)
    table = data.get("citations", {})
    if not isinstance(table, dict):
        raise reader.fail(reader.lines.key(0, "citations"), "citations", "must be a table of tables")
    for cid, entry in table.items():
        line = reader.lines.table(f"citations.{cid}")
        if not isinstance(entry, dict):
            raise reader.fail(line, f"citations.{cid}", "must be a table")
        reader.keys(entry, _CITATION_KEYS, line, f"citation {cid}")
        url = reader.text(entry, "url", line)
        if not url.startswith(("https://", "http://")):
            raise reader.fail(reader.lines.key(line, "url"), "url", f"not a URL: {url!r}")
        found[cid] = Citation(
            cid,
            reader.text(entry, "document", line),
            url,
            reader.optional_text(entry, "title", line),
            reader.date(entry, "published", line),
            reader.flag(entry, "draft", line),
        )
    return found


def _source(
    reader: _Reader, table: Mapping[str, Any], line: int, citations: Mapping[str, Citation]
) -> Source:
    cid = reader.text(table, "cite", line)
    if cid not in citations:
        raise reader.fail(
            reader.lines.key(line, "cite"), "cite", f"no citation {cid!r} in this policy or its base"
        )
    return Source(
        citations[cid],
        reader.text(table, "section", line),
        reader.optional_text(table, "note", line),
        reader.flag(table, "unverified", line),
        f"{reader.path}:{line}",
    )


def _change_source(
    reader: _Reader, table: Mapping[str, Any], line: int, citations: Mapping[str, Citation], rule: Source
) -> Source:
    """A change cites its own source, or inherits the rule's (citation, section, note, unverified)."""
    if "cite" in table:
        return _source(reader, table, line, citations)
    return Source(
        rule.citation,
        reader.optional_text(table, "section", line) or rule.section,
        reader.optional_text(table, "note", line) or rule.note,
        reader.flag(table, "unverified", line) or rule.unverified,
        f"{reader.path}:{line}",
    )


def _rule(reader: _Reader, table: Any, index: int, citations: Mapping[str, Citation]) -> Rule:
    line = reader.lines.table("rule", index)
    if not isinstance(table, dict):
        raise reader.fail(line, "rule", "must be a table ([[rule]])")
    reader.keys(table, _RULE_KEYS, line, "rule")
    category_name = reader.text(table, "category", line)
    category = categories().get(category_name)
    if category is None:
        known = ", ".join(sorted(categories()))
        raise reader.fail(
            reader.lines.key(line, "category"), "category", f"unknown category {category_name!r} ({known})"
        )
    names = table.get("names")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise reader.fail(reader.lines.key(line, "names"), "names", "must be a non-empty list of names")
    for name in names:
        if name not in category.names:
            raise reader.fail(
                reader.lines.key(line, "names"), "names", f"unknown {category.name} name {name!r}"
            )
    min_bits, max_bits = reader.bits(table, "min_bits", line), reader.bits(table, "max_bits", line)
    if (min_bits is not None or max_bits is not None) and not category.sized:
        bound = "min_bits" if min_bits is not None else "max_bits"
        raise reader.fail(
            reader.lines.key(line, bound),
            bound,
            f"category {category.name} has no key or group sizes",
        )
    if min_bits is not None and max_bits is not None and min_bits > max_bits:
        raise reader.fail(reader.lines.key(line, "max_bits"), "max_bits", "smaller than min_bits")
    constraints = table.get("constraints", {})
    if not isinstance(constraints, dict):
        raise reader.fail(reader.lines.key(line, "constraints"), "constraints", "must be an inline table")
    cline = reader.lines.key(line, "constraints")
    for key, value in constraints.items():
        if key not in _CONSTRAINTS:
            known = ", ".join(sorted(_CONSTRAINTS))
            raise reader.fail(cline, f"constraints.{key}", f"unknown constraint (known: {known})")
        try:
            bounded(value, key)
        except ValueError as exc:
            raise reader.fail(cline, f"constraints.{key}", str(exc)) from None
    source = _source(reader, table, line, citations)
    changes: list[Change] = []
    raw_changes = table.get("change", [])
    if not isinstance(raw_changes, list):
        raise reader.fail(line, "change", "must be an array of tables ([[rule.change]])")
    for number, entry in enumerate(raw_changes):
        cline = reader.lines.table("rule.change", number, after=line)
        if not isinstance(entry, dict):
            raise reader.fail(cline, "change", "must be a table")
        reader.keys(entry, _CHANGE_KEYS, cline, "rule change")
        start = reader.date(entry, "from", cline)
        if start is None:
            raise reader.fail(cline, "from", "missing")
        if changes and start <= changes[-1].start:
            raise reader.fail(
                reader.lines.key(cline, "from"), "from", "changes must be in increasing date order"
            )
        apply = reader.optional_status(entry, "apply", cline)
        process = reader.optional_status(entry, "process", cline)
        if apply is None and process is None:
            raise reader.fail(cline, "apply", "a change sets apply, process, or both")
        changes.append(Change(start, apply, process, _change_source(reader, entry, cline, citations, source)))
    return Rule(
        category.name,
        tuple(names),
        reader.status(table, "apply", line),
        reader.status(table, "process", line),
        source,
        min_bits,
        max_bits,
        dict(constraints),
        tuple(changes),
        reader.optional_text(table, "justification", line),
    )


def _high(rule: Rule) -> int:
    return rule.max_bits if rule.max_bits is not None else RANGES["bits"][1]


def _overlap(rules: Sequence[Rule]) -> tuple[Rule, Rule, str] | None:
    """Two rules that match one (category, name, bits), the later one second, and the name; or None.

    Per item, the rules sorted by their lower bound overlap exactly when one starts at or below the
    highest upper bound before it: O(n log n), where comparing every pair would be quadratic.
    """
    order = {id(rule): position for position, rule in enumerate(rules)}
    by_item: dict[tuple[str, str], list[Rule]] = {}
    for rule in rules:
        for name in dict.fromkeys(rule.names):
            by_item.setdefault((rule.category, name), []).append(rule)
    for (_, name), group in by_item.items():
        group.sort(key=lambda rule: rule.min_bits or 0)
        widest = group[0]
        for rule in group[1:]:
            if (rule.min_bits or 0) <= _high(widest):
                first, second = sorted((widest, rule), key=lambda r: order[id(r)])
                return first, second, name
            widest = max(widest, rule, key=_high)
    return None


def _builtin_id(name: str) -> str:
    return f"<builtin>/{name}.toml"


def _base(reader: _Reader, name: str, line: int, seen: tuple[str, ...]) -> Policy:
    """The policy ``name`` (a built-in profile, or a file relative to this one) that this one extends."""
    if name in builtin_names():
        target = _builtin_id(name)
    else:
        resolved = (Path(reader.path).parent / name).resolve()
        if not resolved.is_file():
            builtins = ", ".join(builtin_names())
            raise reader.fail(
                line, "extends", f"{name!r} is neither a built-in profile ({builtins}) nor a file"
            )
        target = str(resolved)
    if target in seen:
        raise reader.fail(line, "extends", f"extends itself: {' -> '.join((*seen, target))}")
    if name in builtin_names():
        return _load_builtin(name, seen)
    return _load_file(Path(target), seen)


def loads(text: str, path: str = "<string>", _seen: tuple[str, ...] = ()) -> Policy:
    # _seen: the files and profiles that extend this one, outermost first (cycle detection)
    """Parse a policy from text; ``path`` names it in errors and anchors a relative ``extends``."""
    data = parse_toml(text, path)
    reader = _Reader(path, _Lines(text))
    reader.keys(data, {"policy", "citations", "rule"}, 0, "the file")
    head = data.get("policy")
    pline = reader.lines.table("policy")
    if not isinstance(head, dict):
        raise reader.fail(pline, "policy", "missing [policy] table")
    reader.keys(head, _POLICY_KEYS, pline, "[policy]")
    name = reader.text(head, "name", pline)
    if not _NAME.match(name):
        raise reader.fail(
            reader.lines.key(pline, "name"), "name", f"{name!r}: use lower-case letters, digits, '.', '-'"
        )
    status = head.get("status")
    if status not in ("final", "draft"):
        raise reader.fail(
            reader.lines.key(pline, "status"), "status", f'{status!r}: must be "final" or "draft"'
        )
    version = head.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= 999_999:
        raise reader.fail(
            reader.lines.key(pline, "version"), "version", "must be an integer from 1 to 999999"
        )
    extends = reader.optional_text(head, "extends", pline)
    base = _base(reader, extends, reader.lines.key(pline, "extends"), (*_seen, path)) if extends else None
    citations = _citations(reader, data, base.citations if base else {})
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise reader.fail(reader.lines.key(0, "rule"), "rule", "must be an array of tables ([[rule]])")
    rules = tuple(_rule(reader, table, index, citations) for index, table in enumerate(raw_rules))
    overlap = _overlap(rules)
    if overlap is not None:
        a, b, name = overlap
        raise reader.fail(
            int(b.source.origin.rsplit(":", 1)[1]),
            "names",
            f"overlaps the rule at {a.source.origin} for {a.category} {name}",
        )
    policy = Policy(
        name,
        reader.text(head, "title", pline),
        status == "draft",
        rules,
        citations,
        base,
        path,
        reader.optional_text(head, "description", pline),
        source_digest(text),
        version,
    )
    if base is not None:
        _require_justified(policy)
    return policy


def _require_justified(policy: Policy) -> None:
    """Every loosening of the base must carry a justification (crypto-policies-style subpolicies)."""
    from .diff import differences  # diff needs the loader's policies; imported here to avoid a cycle

    base = policy.base
    if base is None:
        return
    own = {id(rule) for rule in policy.rules}  # a lookup per difference, not a comparison per rule
    for change in differences(base, policy):
        rule = change.rule
        if change.kind == "loosened" and rule is not None and id(rule) in own and not rule.justification:
            path, _, line = rule.source.origin.rpartition(":")
            raise PolicyError(
                path,
                int(line),
                "justification",
                f"loosens {base.name}: {change.describe()}; add a justification to this rule",
            )


def _load_file(path: Path, seen: tuple[str, ...]) -> Policy:
    return loads(read_text(path), str(path), seen)


def load(path: str | Path) -> Policy:
    """Load a policy file (and whatever it extends)."""
    return _load_file(file_name(path).resolve(), ())


@functools.cache
def builtin_names() -> tuple[str, ...]:
    folder = resources.files("fipscrypto.policy").joinpath("profiles")
    return tuple(sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")))


def _load_builtin(name: str, seen: tuple[str, ...]) -> Policy:
    text = (
        resources.files("fipscrypto.policy").joinpath("profiles", f"{name}.toml").read_text(encoding="utf-8")
    )
    return loads(text, _builtin_id(name), seen)


def builtin(name: str) -> Policy:
    """A built-in profile by name (see ``fipscheck policy list``)."""
    if not isinstance(name, str):
        raise InvalidParameter(f"a built-in profile is named by a str, not {type(name).__name__}")
    if name not in builtin_names():
        known = ", ".join(builtin_names())
        raise PolicyError(_builtin_id(name), 0, "", f"no built-in profile {name!r} ({known})")
    return _builtin(name)


@functools.cache
def _builtin(name: str) -> Policy:
    return _load_builtin(name, ())


def _earlier(name: str, version: str) -> Path | None:
    """The file of an earlier version of a built-in profile (``profiles/history/NAME@N.toml``), if kept."""
    history = resources.files("fipscrypto.policy").joinpath("profiles", "history")
    path = Path(str(history.joinpath(f"{name}@{version}.toml")))
    return path if path.is_file() else None


def select(spec: str) -> Policy:
    """A built-in profile by name, an earlier version of one (``NAME@N``), or a policy file by path."""
    if isinstance(spec, str) and spec in builtin_names():
        return builtin(spec)
    earlier = _VERSIONED.match(spec) if isinstance(spec, str) else None
    path = _earlier(*earlier.groups()) if earlier else None
    return load(path if path is not None else spec)
