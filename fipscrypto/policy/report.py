"""Render a manifest :class:`~fipscrypto.policy.manifest.Evaluation` for people and for tools.

- ``text``: for a terminal or a build log. One line per finding, failing ones first, then a summary.
- ``json``: for scripts. The evaluation with every verdict's full ``as_dict()``, and a summary.
- ``sarif``: for code-scanning UIs (GitHub, GitLab, IDEs). SARIF 2.1.0: one rule per distinct
  (category, name, status, citation) with the citation as help, one result per finding at its line.
- ``junit``: for CI test reports. JUnit XML: one test case per finding; failing findings are
  failures, other deprecated or legacy-use findings carry a warning in ``system-out``.

``fail_on`` is ``"disallowed"`` (only refused items fail) or ``"deprecated"`` (deprecated and
legacy-use items fail too), as in :meth:`Evaluation.failing`.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable

from ..errors import InvalidParameter
from .manifest import Evaluation, Finding
from .model import Status, Verdict

__all__ = ["FAIL_ON", "FORMATS", "render"]

FORMATS = ("text", "json", "sarif", "junit")
FAIL_ON = ("disallowed", "deprecated")

TOOL = "fipscheck"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LABEL = {"error": "ERROR", "warning": "WARN", "note": "ok"}


def render(evaluation: Evaluation, fmt: str, *, fail_on: str = "disallowed", tool_version: str) -> str:
    """The evaluation in format ``fmt`` (one of :data:`FORMATS`); InvalidParameter for anything else."""
    if not isinstance(evaluation, Evaluation):
        raise InvalidParameter(f"evaluation must be an Evaluation, not {type(evaluation).__name__}")
    for label, value in (("fmt", fmt), ("fail_on", fail_on), ("tool_version", tool_version)):
        if not isinstance(value, str):
            raise InvalidParameter(f"{label} must be a str, not {type(value).__name__}")
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise InvalidParameter(f"unknown report format {fmt!r} (known: {', '.join(FORMATS)})")
    if fail_on not in FAIL_ON:
        raise InvalidParameter(f"unknown fail_on {fail_on!r} (known: {', '.join(FAIL_ON)})")
    return renderer(evaluation, fail_on, tool_version)


def _summary(evaluation: Evaluation, fail_on: str) -> dict[str, int]:
    verdicts = [f.verdict for f in evaluation.findings]
    allowed = [v for v in verdicts if v.allowed]
    return {
        "items": len(verdicts),
        "disallowed": len(verdicts) - len(allowed),
        "deprecated": sum(v.status is Status.DEPRECATED for v in allowed),
        "legacy_use": sum(v.status is Status.LEGACY_USE for v in allowed),
        "acceptable": sum(v.status is Status.ACCEPTABLE for v in allowed),
        "failing": len(evaluation.failing(fail_on)),
    }


def _failing(evaluation: Evaluation, fail_on: str) -> set[int]:
    """The ids of the failing findings (findings hold dicts, so they cannot go in a set)."""
    return {id(f) for f in evaluation.failing(fail_on)}


def _detail(verdict: Verdict) -> str:
    """The reason, led by the status ("disallowed: not on the allowlist of policy x")."""
    status = verdict.status.value
    return verdict.reason if verdict.reason.startswith(status) else f"{status}: {verdict.reason}"


def _policy_label(evaluation: Evaluation) -> str:
    policy = evaluation.policy
    return f"{policy.name} (draft)" if policy.draft else policy.name


def _text(evaluation: Evaluation, fail_on: str, tool_version: str) -> str:
    failing = _failing(evaluation, fail_on)
    ordered = sorted(evaluation.findings, key=lambda f: id(f) not in failing)  # stable: manifest order
    lines = []
    for finding in ordered:
        item, verdict = finding.item, finding.verdict
        where = f"{item.where}:{item.line}" if item.line > 0 else item.where
        mark = "  [FAIL]" if id(finding) in failing else ""
        lines.append(
            f"{_LABEL[finding.level]:<5} {where}  {verdict.subject()}: {_detail(verdict)}"
            f" -- {verdict.citation()}{mark}"
        )
    s = _summary(evaluation, fail_on)
    lines.append(
        f"{s['items']} items: {s['disallowed']} disallowed, {s['deprecated'] + s['legacy_use']} deprecated"
        f" or legacy-use, {s['acceptable']} acceptable; policy {_policy_label(evaluation)} as of"
        f" {evaluation.as_of.isoformat()}; fail on: {fail_on} ({s['failing']} failing)"
    )
    return "\n".join(lines) + "\n"


def _json(evaluation: Evaluation, fail_on: str, tool_version: str) -> str:
    failing = _failing(evaluation, fail_on)
    policy = evaluation.policy
    document = {
        "tool": {"name": TOOL, "version": tool_version},
        "manifest": evaluation.manifest,
        "service": evaluation.service,
        "policy": {"name": policy.name, "title": policy.title, "draft": policy.draft},
        "as_of": evaluation.as_of.isoformat(),
        "fail_on": fail_on,
        "summary": _summary(evaluation, fail_on),
        "findings": [
            {
                "where": f.item.where,
                "line": f.item.line,
                "level": f.level,
                "failing": id(f) in failing,
                **f.verdict.as_dict(),
            }
            for f in evaluation.findings
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def _sarif_rule(rule_id: str, verdict: Verdict) -> dict[str, object]:
    status = verdict.status.value
    rule: dict[str, object] = {
        "id": rule_id,
        "name": f"{verdict.category}/{verdict.name}/{status}",
        "shortDescription": {"text": f"{verdict.category} {verdict.name} is {status} under {verdict.policy}"},
        "fullDescription": {"text": verdict.reason},
        "help": {"text": verdict.citation()},
        "properties": {
            "category": verdict.category,
            "name": verdict.name,
            "status": status,
            "policy": verdict.policy,
        },
    }
    source = verdict.source
    if source is not None:
        link = f"[{source.citation.document}, {source.section}]({source.citation.url})"
        rule["help"] = {"text": verdict.citation(), "markdown": link}
        rule["helpUri"] = source.citation.url
    return rule


def _sarif(evaluation: Evaluation, fail_on: str, tool_version: str) -> str:
    failing = _failing(evaluation, fail_on)
    policy = evaluation.policy.name
    index: dict[tuple[str, str, str, str], int] = {}
    rules: list[dict[str, object]] = []
    results: list[dict[str, object]] = []
    for finding in evaluation.findings:
        item, verdict = finding.item, finding.verdict
        key = (verdict.category, verdict.name, verdict.status.value, verdict.citation())
        if key not in index:
            rule_id = f"{TOOL}/{policy}/{verdict.category}/{verdict.name}/{verdict.status.value}"
            if any(r["id"] == rule_id for r in rules):  # same status, another citation
                rule_id = f"{rule_id}/{len(rules)}"
            index[key] = len(rules)
            rules.append(_sarif_rule(rule_id, verdict))
        physical: dict[str, object] = {"artifactLocation": {"uri": evaluation.manifest}}
        if item.line > 0:
            physical["region"] = {"startLine": item.line}
        results.append(
            {
                "ruleId": rules[index[key]]["id"],
                "ruleIndex": index[key],
                "level": finding.level,
                "message": {"text": f"{verdict.subject()}: {_detail(verdict)} ({verdict.citation()})"},
                "locations": [{"physicalLocation": physical}],
                "properties": {
                    "where": item.where,
                    "direction": verdict.direction.value,
                    "bits": verdict.bits,
                    "as_of": verdict.as_of.isoformat(),
                    "failing": id(finding) in failing,
                },
            }
        )
    run = {
        "tool": {"driver": {"name": TOOL, "version": tool_version, "rules": rules}},
        "invocations": [{"executionSuccessful": True}],
        "properties": {
            "policy": policy,
            "service": evaluation.service,
            "asOf": evaluation.as_of.isoformat(),
            "failOn": fail_on,
        },
        "results": results,
    }
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2) + "\n"


def _junit(evaluation: Evaluation, fail_on: str, tool_version: str) -> str:
    failing = _failing(evaluation, fail_on)
    tests, failures = str(len(evaluation.findings)), str(len(failing))
    root = ET.Element("testsuites", {"name": TOOL, "tests": tests, "failures": failures})
    name = f"{evaluation.service} against {_policy_label(evaluation)}"
    attributes = {"name": name, "tests": tests, "failures": failures, "errors": "0", "skipped": "0"}
    suite = ET.SubElement(root, "testsuite", attributes)
    properties = ET.SubElement(suite, "properties")
    for key, value in (
        ("tool_version", tool_version),
        ("policy", evaluation.policy.name),
        ("as_of", evaluation.as_of.isoformat()),
        ("fail_on", fail_on),
    ):
        ET.SubElement(properties, "property", name=key, value=value)
    for finding in evaluation.findings:
        _testcase(suite, finding, id(finding) in failing)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(suite: ET.Element, finding: Finding, failing: bool) -> None:
    item, verdict = finding.item, finding.verdict
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"{TOOL}.{verdict.category}",
        name=f"{item.where}: {verdict.name} ({verdict.direction.value})",
    )
    status = verdict.status.value
    if failing:
        failure = ET.SubElement(case, "failure", message=_detail(verdict), type=status)
        failure.text = verdict.citation()
    elif verdict.status is not Status.ACCEPTABLE:
        out = ET.SubElement(case, "system-out")
        out.text = f"warning: {verdict.subject()}: {_detail(verdict)} ({verdict.citation()})"


_RENDERERS: dict[str, Callable[[Evaluation, str, str], str]] = {
    "text": _text,
    "json": _json,
    "sarif": _sarif,
    "junit": _junit,
}
