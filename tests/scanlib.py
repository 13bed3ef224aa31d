"""What the scanner tests compare: the items a scanner found as rows, and what fails under a policy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fipscrypto.cli.scan.model import Misuse, Skipped, Use, judge
from fipscrypto.policy import Policy

Row = tuple[str, str, str, int | None]


def rows(found: list[Use | Misuse | Skipped], root: Path) -> list[Row]:
    """(file:line:column under ``root``, category or rule, name or "", bits) of each item, in order;
    a skipped target as ``skipped.`` and its reason's first word."""
    out = []
    for item in found:
        where = str(item.location).removeprefix(f"{root}/")
        if isinstance(item, Use):
            out.append((where, item.category, item.name, item.bits))
        elif isinstance(item, Misuse):
            out.append((where, item.rule, "", None))
        else:
            out.append((where, "skipped." + item.reason.split(":")[0], "", None))
    return out


def failing(
    found: list[Use | Misuse | Skipped], policy: Policy, as_of: dt.date | None = None
) -> set[tuple[str, str]]:
    """(category or rule, name) of what fails under ``policy`` on ``as_of``."""
    return {
        (f.subject.category, f.subject.name) if isinstance(f.subject, Use) else (f.subject.rule, "")
        for f in judge([i for i in found if not isinstance(i, Skipped)], policy, as_of)
        if f.severity == "error"
    }
