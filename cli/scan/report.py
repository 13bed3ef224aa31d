"""Render a scan's judged findings: ``text``, ``json``, ``sarif`` (2.1.0), ``junit`` and ``cbom`` (CycloneDX
1.6, :mod:`fipscrypto.cli.cbom`: the uses as cryptographic assets; misuses are not assets).

The manifest report (:mod:`fipscrypto.policy.report`) and this one share the tool name, the SARIF
schema, the level labels, the verdict wording and the SARIF rule of a policy verdict; a scan adds
misuses (rules of their own, with their citation), targets that were skipped, and the next
transitions: the uses whose status changes after the evaluation date, when and to what.
Output is deterministic: findings sorted by location and rule, rules in order of first use.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from fipscrypto.errors import InvalidParameter
from fipscrypto.policy import Policy
from fipscrypto.policy.report import _LABEL, SARIF_SCHEMA, TOOL, _detail, _sarif_rule

from .. import cbom
from .exemptions import Remark
from .model import Finding, Misuse, Skipped

__all__ = ["FORMATS", "Report", "render"]

FORMATS = ("text", "json", "sarif", "junit", "cbom")


@dataclass(frozen=True)
class Report:
    scanner: str
    policy: Policy
    as_of: dt.date
    fail_on: str  # "disallowed" or "deprecated"
    findings: list[Finding]
    checked: int  # targets checked
    skipped: tuple[Skipped, ...]
    remarks: dict[int, Remark] = field(default_factory=dict)  # id(finding) -> waived, expired, baseline

    def remark(self, finding: Finding) -> Remark | None:
        return self.remarks.get(id(finding))

    def is_failing(self, finding: Finding) -> bool:
        remark = self.remark(finding)
        if remark is not None and remark.exempt:
            return False
        return finding.severity == "error" or (self.fail_on == "deprecated" and finding.severity == "warning")

    def failing(self) -> list[Finding]:
        return [f for f in self.findings if self.is_failing(f)]

    def summary(self) -> dict[str, int]:
        levels = [f.severity for f in self.findings]
        return {
            "checked": self.checked,
            "skipped": len(self.skipped),
            "findings": len(levels),
            "errors": levels.count("error"),
            "warnings": levels.count("warning"),
            "notes": levels.count("note"),
            "failing": len(self.failing()),
            "exempt": sum(remark.exempt for remark in self.remarks.values()),
        }

    def transitions(self) -> list[dict[str, Any]]:
        """The next change of each judged use after the date: (date, category, name, direction) ->
        the new status and where the use is."""
        grouped: dict[tuple[str, str, str, str, str], list[str]] = {}
        for finding in self.findings:
            verdict = finding.verdict
            if verdict is None or verdict.next_change is None:
                continue
            day, status = verdict.next_change
            key = (day.isoformat(), verdict.category, verdict.name, verdict.direction.value, status.value)
            grouped.setdefault(key, []).append(str(finding.subject.location))
        return [
            {"date": d, "category": c, "name": n, "direction": r, "status": s, "locations": where}
            for (d, c, n, r, s), where in sorted(grouped.items())
        ]


def render(report: Report, fmt: str, *, tool_version: str) -> str:
    """The report in format ``fmt`` (one of :data:`FORMATS`); InvalidParameter for anything else."""
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise InvalidParameter(f"unknown report format {fmt!r} (known: {', '.join(FORMATS)})")
    return renderer(report, tool_version)


def _message(finding: Finding) -> str:
    verdict, subject = finding.verdict, finding.subject
    if verdict is None or isinstance(subject, Misuse):  # a use is always judged
        return subject.message if isinstance(subject, Misuse) else ""
    return f"{verdict.subject()}: {_detail(verdict)}"


def _citation(finding: Finding) -> str:
    if finding.verdict is None or isinstance(finding.subject, Misuse):
        return finding.subject.citation if isinstance(finding.subject, Misuse) else ""
    return finding.verdict.citation()


def _policy_label(report: Report) -> str:
    return f"{report.policy.name} (draft)" if report.policy.draft else report.policy.name


def _text(report: Report, tool_version: str) -> str:
    ordered = sorted(report.findings, key=lambda f: not report.is_failing(f))  # stable: location order
    lines = [
        f"{_LABEL[f.severity]:<5} {f.subject.location}  {f.rule}: {_message(f)}{_seen(f)} -- {_citation(f)}"
        + (f"  [{remark.text}]" if (remark := report.remark(f)) else "")
        + ("  [FAIL]" if report.is_failing(f) else "")
        for f in ordered
    ]
    lines += [f"SKIP  {s.location}  {s.reason}" for s in report.skipped]
    transitions = report.transitions()
    if transitions:
        lines.append(f"Next transitions (after {report.as_of.isoformat()}):")
        for t in transitions:
            where = ", ".join(t["locations"][:3]) + (", ..." if len(t["locations"]) > 3 else "")
            lines.append(
                f"  {t['date']}  {t['category']} {t['name']} ({t['direction']}) becomes {t['status']}:"
                f" {len(t['locations'])} use(s) ({where})"
            )
    s = report.summary()
    lines.append(
        f"scan {report.scanner}: {s['checked']} checked, {s['skipped']} skipped; {s['findings']} findings:"
        f" {s['errors']} errors, {s['warnings']} warnings, {s['notes']} notes; policy {_policy_label(report)}"
        f" as of {report.as_of.isoformat()}; fail on: {report.fail_on} ({s['failing']} failing)"
    )
    return "\n".join(lines) + "\n"


def _seen(finding: Finding) -> str:
    """How a finding without a line was seen (a server's answer, a certificate in a chain): its
    evidence, which a finding with a line has in the source it points at."""
    subject = finding.subject
    return f" ({subject.evidence})" if subject.location.line is None and subject.evidence else ""


def _finding_view(report: Report, finding: Finding) -> dict[str, Any]:
    subject, location = finding.subject, finding.subject.location
    view: dict[str, Any] = {
        "target": location.target,
        "line": location.line,
        "column": location.column,
        "rule": finding.rule,
        "level": finding.severity,
        "failing": report.is_failing(finding),
        "message": _message(finding),
        "evidence": subject.evidence,
    }
    remark = report.remark(finding)
    if remark is not None:
        view["remark"] = {"exempt": remark.exempt, "text": remark.text}
    if isinstance(subject, Misuse):
        view["citation"] = subject.citation
    elif finding.verdict is not None:  # a use is always judged
        view["params"] = dict(subject.params)
        view["verdict"] = finding.verdict.as_dict()
    return view


def _json(report: Report, tool_version: str) -> str:
    policy = report.policy
    document = {
        "tool": {"name": TOOL, "version": tool_version},
        "scanner": report.scanner,
        "policy": {"name": policy.name, "title": policy.title, "draft": policy.draft},
        "as_of": report.as_of.isoformat(),
        "fail_on": report.fail_on,
        "summary": report.summary(),
        "findings": [_finding_view(report, f) for f in report.findings],
        "skipped": [{"target": s.location.target, "reason": s.reason} for s in report.skipped],
        "next_transitions": report.transitions(),
    }
    return json.dumps(document, indent=2) + "\n"


def _uri(target: str) -> str:
    return PurePath(target).as_posix()


def _misuse_rule(misuse: Misuse) -> dict[str, object]:
    return {
        "id": misuse.rule,
        "name": misuse.rule,
        "shortDescription": {"text": misuse.rule},
        "help": {"text": misuse.citation},
        "defaultConfiguration": {"level": misuse.severity},
    }


def _sarif(report: Report, tool_version: str) -> str:
    index: dict[str, int] = {}
    rules: list[dict[str, object]] = []
    results: list[dict[str, object]] = []
    for finding in report.findings:
        subject, verdict = finding.subject, finding.verdict
        if isinstance(subject, Misuse) or verdict is None:  # a use is always judged
            rule_id = finding.rule
            if rule_id not in index and isinstance(subject, Misuse):
                index[rule_id] = len(rules)
                rules.append(_misuse_rule(subject))
        else:
            rule_id = f"{TOOL}/{verdict.policy}/{verdict.category}/{verdict.name}/{verdict.status.value}"
            if rule_id not in index:
                index[rule_id] = len(rules)
                rules.append(_sarif_rule(rule_id, verdict))
        region: dict[str, int] = {}
        if subject.location.line is not None:
            region["startLine"] = subject.location.line
            if subject.location.column is not None:
                region["startColumn"] = subject.location.column
        physical: dict[str, object] = {"artifactLocation": {"uri": _uri(subject.location.target)}}
        if region:
            physical["region"] = region
        result: dict[str, object] = {
            "ruleId": rule_id,
            "ruleIndex": index[rule_id],
            "level": finding.severity,
            "message": {"text": f"{_message(finding)} ({_citation(finding)})"},
            "locations": [{"physicalLocation": physical}],
            "properties": {"failing": report.is_failing(finding), "evidence": subject.evidence},
        }
        remark = report.remark(finding)
        if remark is not None and remark.exempt:
            result["suppressions"] = [{"kind": "external", "justification": remark.text}]
        results.append(result)
    notifications = [
        {
            "level": "error",
            "message": {"text": s.reason},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(s.location.target)}}}],
        }
        for s in report.skipped
    ]
    invocation: dict[str, object] = {"executionSuccessful": not report.skipped and report.checked > 0}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run = {
        "tool": {"driver": {"name": TOOL, "version": tool_version, "rules": rules}},
        "invocations": [invocation],
        "properties": {
            "scanner": report.scanner,
            "policy": report.policy.name,
            "asOf": report.as_of.isoformat(),
            "failOn": report.fail_on,
            "nextTransitions": report.transitions(),
        },
        "results": results,
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"


def _junit(report: Report, tool_version: str) -> str:
    failing = report.failing()
    tests = str(len(report.findings) + len(report.skipped))
    counts = {"tests": tests, "failures": str(len(failing)), "errors": str(len(report.skipped))}
    root = ET.Element("testsuites", {"name": TOOL, **counts})
    name = f"scan {report.scanner} against {_policy_label(report)}"
    suite = ET.SubElement(root, "testsuite", {"name": name, **counts, "skipped": "0"})
    properties = ET.SubElement(suite, "properties")
    for key, value in (
        ("tool_version", tool_version),
        ("policy", report.policy.name),
        ("as_of", report.as_of.isoformat()),
        ("fail_on", report.fail_on),
    ):
        ET.SubElement(properties, "property", name=key, value=value)
    for finding in report.findings:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{TOOL}.scan.{report.scanner}",
            name=f"{finding.subject.location}: {finding.rule}",
        )
        if report.is_failing(finding):
            failure = ET.SubElement(case, "failure", message=_message(finding), type=finding.severity)
            failure.text = _citation(finding)
        elif finding.severity != "note":
            out = ET.SubElement(case, "system-out")
            remark = report.remark(finding)
            note = f" [{remark.text}]" if remark else ""
            out.text = f"{finding.severity}: {_message(finding)} ({_citation(finding)}){note}"
    for skipped in report.skipped:
        case = ET.SubElement(
            suite, "testcase", classname=f"{TOOL}.scan.{report.scanner}", name=f"{skipped.location}: skipped"
        )
        ET.SubElement(case, "error", message=skipped.reason, type="skipped")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _cbom(report: Report, tool_version: str) -> str:
    """The uses as CBOM assets, with the certification levels measured in this process."""
    assets = [
        cbom.Asset(
            verdict.category,
            verdict.name,
            subject.bits,
            subject.location.target,
            subject.location.line,
            subject.evidence,
            verdict.status.value,
            subject.certificate,
        )
        for finding in report.findings
        if (verdict := finding.verdict) is not None and not isinstance(subject := finding.subject, Misuse)
    ]
    from ..certification import measured_cbom  # activates the module: only for this format

    return measured_cbom(assets, policy=report.policy.name, as_of=report.as_of, tool_version=tool_version)


_RENDERERS: dict[str, Callable[[Report, str], str]] = {
    "text": _text,
    "json": _json,
    "sarif": _sarif,
    "junit": _junit,
    "cbom": _cbom,
}
