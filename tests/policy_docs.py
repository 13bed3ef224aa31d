"""The parts of docs/policy-profiles.md that restate the built-in profiles, generated from them.

Each generated part sits between ``<!-- generated: KEY -->`` and ``<!-- end generated: KEY -->``;
the prose around it is written by hand. ``python tests/policy_docs.py`` rewrites the parts in place;
tests/test_policy_sources.py fails when the file differs from what this module renders (the profiles
changed and the page was not regenerated, or a part was edited by hand).

Parts: ``overview`` (the table of profiles), and per profile ``NAME:transitions`` (every dated
change, with the note it carries) and ``NAME:unverified`` (every rule whose section or date is not
confirmed, with the reason its note gives).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

from fipscrypto.policy import Direction, Policy, Rule, builtin, builtin_names

PAGE = Path(__file__).resolve().parent.parent / "docs" / "policy-profiles.md"
_PART = re.compile(r"(<!-- generated: (\S+) -->\n)(.*?)(<!-- end generated: \2 -->)", re.DOTALL)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _items(rule: Rule) -> str:
    size = ""
    if rule.sized:
        low, high = rule.min_bits, rule.max_bits
        size = f" ({low}-{high} bits)" if low and high else f" (≥ {low} bits)" if low else f" (≤ {high} bits)"
    return f"{rule.category}: {', '.join(rule.names)}{size}"


def _unverified(policy: Policy) -> list[Rule]:
    return [rule for rule in policy.rules if rule.source.unverified]


def overview() -> str:
    lines = [
        "| profile | version | status | extends | rules | unverified rules | title |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in builtin_names():
        policy = builtin(name)
        extends = f"`{policy.base.name}`" if policy.base else "none"
        status = "**draft**" if policy.draft else "final"
        lines.append(
            f"| `{name}` | {policy.version} | {status} | {extends} | {len(policy.rules)} | "
            f"{len(_unverified(policy))} | {_cell(policy.title)} |"
        )
    return "\n".join(lines) + "\n"


def transitions(policy: Policy) -> str:
    rows = []
    for rule in policy.rules:
        for change in rule.changes:
            day_before = change.start - dt.timedelta(days=1)
            before = {d: rule.status_on(d, day_before)[0] for d in Direction}
            moved = [
                f"{d.value} {before[d].value} → {status.value}"
                for d, status in ((Direction.APPLY, change.apply), (Direction.PROCESS, change.process))
                if status is not None and status is not before[d]
            ]
            what = "; ".join(moved) if moved else "status unchanged (note only)"
            source = change.source
            cite = f"{source.citation.document}, {source.section}"
            rows.append((change.start, _items(rule), what, cite, source.note or ""))
    if not rows:
        return "None of its own.\n"
    lines = ["| from | items | change | source | note |", "|---|---|---|---|---|"]
    for start, items, what, cite, note in sorted(rows, key=lambda row: row[0]):
        lines.append(f"| {start} | {_cell(items)} | {what} | {_cell(cite)} | {_cell(note)} |")
    return "\n".join(lines) + "\n"


def unverified(policy: Policy) -> str:
    rules = _unverified(policy)
    if not rules:
        return "None.\n"
    lines = [f"{len(rules)} rules. Each one's note says what was not confirmed.", ""]
    for rule in rules:
        source = rule.source
        lines.append(
            f"- **{_items(rule)}** ({source.citation.document}, {source.section}): {source.note or ''}"
        )
    return "\n".join(lines) + "\n"


def parts() -> dict[str, str]:
    found = {"overview": overview()}
    for name in builtin_names():
        policy = builtin(name)
        found[f"{name}:transitions"] = transitions(policy)
        found[f"{name}:unverified"] = unverified(policy)
    return found


def render(text: str) -> str:
    """``text`` with every generated part replaced by its current rendering (KeyError: unknown part)."""
    rendered = parts()
    return _PART.sub(lambda m: m.group(1) + rendered[m.group(2)] + m.group(4), text)


def keys(text: str) -> list[str]:
    return [m.group(2) for m in _PART.finditer(text)]


if __name__ == "__main__":
    PAGE.write_text(render(PAGE.read_text(encoding="utf-8")), encoding="utf-8")
    sys.exit(0)
