"""Waivers and baselines: findings that are known and accepted, so that they do not fail a scan.

A waivers file (TOML) lists ``[[waiver]]`` tables, each with ``rule`` (a rule id such as
``policy.hash.sha1`` or ``code.constant-iv``), ``target`` (a glob over the finding's file or host),
``owner``, ``ticket`` and ``expires`` (a date). A waiver covers a finding until its expiry date
(exclusive, compared with the evaluation date); after it, the finding fails again and its remark says
which waiver expired. A baseline is an earlier ``--format json`` report: a finding fails only if
it is new, i.e. its (target, rule, evidence) occurs more often now than in the baseline.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import click

from .model import Finding

__all__ = ["Remark", "Waiver", "load_baseline", "load_waivers", "remarks"]

_FIELDS = ("rule", "target", "owner", "ticket")

Fingerprint = tuple[str, str, str]


@dataclass(frozen=True)
class Waiver:
    rule: str
    target: str  # glob
    owner: str
    ticket: str
    expires: dt.date

    def covers(self, finding: Finding) -> bool:
        return finding.rule == self.rule and fnmatch.fnmatchcase(finding.subject.location.target, self.target)


@dataclass(frozen=True)
class Remark:
    exempt: bool  # the finding does not fail
    text: str


def _fingerprint(target: str, rule: str, evidence: str) -> Fingerprint:
    return (target, rule, evidence)


def load_waivers(path: str) -> list[Waiver]:
    """The waivers of a TOML file; click.BadParameter (exit 2) naming the waiver and field at fault."""
    try:
        with open(path, "rb") as f:
            document = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="--waivers") from exc
    entries = document.get("waiver", [])
    if not isinstance(entries, list):
        raise click.BadParameter(f"{path}: 'waiver' must be an array of tables", param_hint="--waivers")
    waivers = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise click.BadParameter(f"{path}: waiver {number} is not a table", param_hint="--waivers")
        for name in _FIELDS:
            if not isinstance(entry.get(name), str) or not entry[name]:
                message = f"{path}: waiver {number}: {name} must be a non-empty string"
                raise click.BadParameter(message, param_hint="--waivers")
        expires = entry.get("expires")
        if not isinstance(expires, dt.date) or isinstance(expires, dt.datetime):
            message = f"{path}: waiver {number}: expires must be a date (YYYY-MM-DD)"
            raise click.BadParameter(message, param_hint="--waivers")
        waivers.append(Waiver(entry["rule"], entry["target"], entry["owner"], entry["ticket"], expires))
    return waivers


def load_baseline(path: str) -> Counter[Fingerprint]:
    """How often each (target, rule, evidence) occurs in an earlier JSON report of a scan."""
    try:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
        return Counter(_fingerprint(f["target"], f["rule"], f["evidence"]) for f in document["findings"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        message = f"{path}: not a JSON report of fipscheck scan ({type(exc).__name__}: {exc})"
        raise click.BadParameter(message, param_hint="--baseline") from exc


def remarks(
    findings: Sequence[Finding],
    waivers: Sequence[Waiver],
    baseline: Counter[Fingerprint] | None,
    day: dt.date,
) -> dict[int, Remark]:
    """id(finding) -> its remark: waived (until when, by whom), expired waiver, or in the baseline."""
    found: dict[int, Remark] = {}
    left = Counter(baseline) if baseline is not None else Counter()
    for finding in findings:
        index = id(finding)
        waiver = next((w for w in waivers if w.covers(finding)), None)
        if waiver is not None:
            who = f"{waiver.owner}, {waiver.ticket}"
            if day < waiver.expires:
                found[index] = Remark(True, f"waived until {waiver.expires.isoformat()} ({who})")
                continue
            found[index] = Remark(False, f"waiver expired on {waiver.expires.isoformat()} ({who})")
        key = _fingerprint(finding.subject.location.target, finding.rule, finding.subject.evidence)
        if left[key] > 0:
            left[key] -= 1
            if index not in found:
                found[index] = Remark(True, "in the baseline")
    return found
