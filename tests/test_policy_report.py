"""The report renderers: every format is parsed back and checked against the evaluation."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from fipscrypto.errors import InvalidParameter
from fipscrypto.policy.loader import loads
from fipscrypto.policy.manifest import Evaluation, evaluate
from fipscrypto.policy.report import FORMATS, render

from support import assert_valid_sarif

POLICY = """
[policy]
name = "report-test"
title = "Report test policy"
status = "final"

[citations.sp800-131a-r2]
document = "NIST SP 800-131A Rev. 2"
url = "https://doi.org/10.6028/NIST.SP.800-131Ar2"

[[rule]]
category = "cipher"
names = ["aes-256-gcm"]
apply = "acceptable"
process = "acceptable"
cite = "sp800-131a-r2"
section = "Section 2"

[[rule]]
category = "cipher"
names = ["3des-cbc"]
apply = "disallowed"
process = "legacy-use"
cite = "sp800-131a-r2"
section = "Table 1"

[[rule]]
category = "hash"
names = ["sha1", "sha224"]
apply = "deprecated"
process = "deprecated"
cite = "sp800-131a-r2"
section = "Table 8"

[[rule]]
category = "tls-version"
names = ["tls1.2"]
apply = "acceptable"
process = "acceptable"
cite = "sp800-131a-r2"
section = "Section 9"

[[rule]]
category = "tls-version"
names = ["tls1.0"]
apply = "disallowed"
process = "disallowed"
cite = "sp800-131a-r2"
section = "Section 3 <TLS & versions>"
"""

MANIFEST = """\
tls.versions = ["tls1.0", "tls1.2"]  # on line 1: a startLine of 1 must survive

[service]
name = "sip-gateway"

[primitives]
ciphers = ["aes-256-gcm", "chacha20-poly1305"]
hashes = ["sha1", "sha224"]

[[item]]
category = "cipher"
name = "3des-cbc"
direction = "process"
"""

URL = "https://doi.org/10.6028/NIST.SP.800-131Ar2"
TLS10_LINE = 1  # the line of `tls.versions = ["tls1.0", ...]` in MANIFEST
VERSION = "9.8.7"


@pytest.fixture
def evaluation(tmp_path: Path) -> Evaluation:
    assert MANIFEST.splitlines()[TLS10_LINE - 1].startswith('tls.versions = ["tls1.0"')
    path = tmp_path / "manifest.toml"
    path.write_text(MANIFEST, encoding="utf-8")
    return evaluate(path, loads(POLICY, path="<test>"), as_of=dt.date(2026, 1, 1))


def _json(evaluation: Evaluation, fmt: str, fail_on: str = "disallowed") -> Any:
    return json.loads(render(evaluation, fmt, fail_on=fail_on, tool_version=VERSION))


def test_evaluation_is_what_the_tests_assume(evaluation: Evaluation) -> None:
    got = [(f.item.where, f.item.name, f.level) for f in evaluation.findings]
    assert got == [
        ("tls.versions[0]", "tls1.0", "error"),
        ("tls.versions[1]", "tls1.2", "note"),
        ("primitives.hashes[0]", "sha1", "warning"),
        ("primitives.hashes[1]", "sha224", "warning"),
        ("primitives.ciphers[0]", "aes-256-gcm", "note"),
        ("primitives.ciphers[1]", "chacha20-poly1305", "error"),
        ("item[0]", "3des-cbc", "warning"),
    ]


def test_json_summary_and_findings(evaluation: Evaluation) -> None:
    report = _json(evaluation, "json")
    assert report["tool"] == {"name": "fipscheck", "version": VERSION}
    assert report["manifest"] == evaluation.manifest
    assert report["service"] == "sip-gateway"
    assert report["policy"] == {"name": "report-test", "title": "Report test policy", "draft": False}
    assert report["as_of"] == "2026-01-01"
    assert report["fail_on"] == "disallowed"
    assert report["summary"] == {
        "items": 7,
        "disallowed": 2,
        "deprecated": 2,
        "legacy_use": 1,
        "acceptable": 2,
        "failing": 2,
    }
    findings = {f["name"]: f for f in report["findings"]}
    assert len(report["findings"]) == 7
    assert {n for n, f in findings.items() if f["failing"]} == {"tls1.0", "chacha20-poly1305"}
    tls10 = findings["tls1.0"]
    assert (tls10["where"], tls10["line"], tls10["level"], tls10["status"]) == (
        "tls.versions[0]",
        TLS10_LINE,
        "error",
        "disallowed",
    )
    assert tls10["citation"]["url"] == URL
    assert tls10["citation"]["section"] == "Section 3 <TLS & versions>"
    assert findings["chacha20-poly1305"]["citation"] is None
    assert findings["3des-cbc"]["direction"] == "process"
    assert findings["3des-cbc"]["status"] == "legacy-use"


def test_json_fail_on_deprecated(evaluation: Evaluation) -> None:
    report = _json(evaluation, "json", fail_on="deprecated")
    assert report["fail_on"] == "deprecated"
    assert report["summary"]["failing"] == 5
    failing = {f["name"] for f in report["findings"] if f["failing"]}
    assert failing == {"tls1.0", "chacha20-poly1305", "sha1", "sha224", "3des-cbc"}


def test_sarif_rules_results_and_locations(evaluation: Evaluation) -> None:
    sarif = _json(evaluation, "sarif")
    assert_valid_sarif(sarif)
    assert sarif["version"] == "2.1.0"
    assert sarif["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    [run] = sarif["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("fipscheck", VERSION)
    rules = driver["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids)) == 7
    assert run["properties"]["policy"] == "report-test"
    assert run["properties"]["asOf"] == "2026-01-01"
    assert run["properties"]["failOn"] == "disallowed"
    assert run["invocations"] == [{"executionSuccessful": True}]

    results = run["results"]
    assert len(results) == len(evaluation.findings)
    for result, finding in zip(results, evaluation.findings, strict=True):
        assert result["ruleId"] in ids
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert rules[result["ruleIndex"]]["properties"]["name"] == finding.item.name
        assert result["level"] == finding.level
        assert result["properties"]["where"] == finding.item.where
        [location] = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == evaluation.manifest
        assert physical["region"]["startLine"] == finding.item.line
    assert [r["properties"]["failing"] for r in results] == [True, False, False, False, False, True, False]

    tls10 = next(r for r in results if r["properties"]["where"] == "tls.versions[0]")
    assert tls10["ruleId"] == "fipscheck/report-test/tls-version/tls1.0/disallowed"
    assert tls10["locations"][0]["physicalLocation"]["region"] == {"startLine": TLS10_LINE}
    assert "tls1.0" in tls10["message"]["text"]
    rule = rules[tls10["ruleIndex"]]
    assert rule["shortDescription"]["text"] == "tls-version tls1.0 is disallowed under report-test"
    assert rule["helpUri"] == URL
    assert URL in rule["help"]["text"]
    assert "Section 3 <TLS & versions>" in rule["help"]["text"]
    assert rule["help"]["markdown"] == f"[NIST SP 800-131A Rev. 2, Section 3 <TLS & versions>]({URL})"

    chacha = next(r for r in results if r["properties"]["where"] == "primitives.ciphers[1]")
    assert "helpUri" not in rules[chacha["ruleIndex"]]


def test_sarif_omits_region_without_line(evaluation: Evaluation) -> None:
    first = evaluation.findings[0]
    unplaced = Evaluation(
        evaluation.manifest,
        evaluation.service,
        evaluation.policy,
        evaluation.as_of,
        (replace(first, item=replace(first.item, line=0)),),
    )
    sarif = _json(unplaced, "sarif")
    assert_valid_sarif(sarif)
    [result] = sarif["runs"][0]["results"]
    assert result["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": evaluation.manifest}}}]


@pytest.mark.parametrize(("fail_on", "failures"), [("disallowed", 2), ("deprecated", 5)])
def test_junit(evaluation: Evaluation, fail_on: str, failures: int) -> None:
    text = render(evaluation, "junit", fail_on=fail_on, tool_version=VERSION)
    assert text.startswith("<?xml version=")
    root = ET.fromstring(text)  # noqa: S314 - our own output, parsed back
    assert root.tag == "testsuites"
    assert (root.get("name"), root.get("tests"), root.get("failures")) == ("fipscheck", "7", str(failures))
    [suite] = root.findall("testsuite")
    assert suite.get("name") == "sip-gateway against report-test"
    assert (suite.get("tests"), suite.get("failures")) == ("7", str(failures))
    assert (suite.get("errors"), suite.get("skipped")) == ("0", "0")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert (props["policy"], props["as_of"], props["fail_on"]) == ("report-test", "2026-01-01", fail_on)

    cases = suite.findall("testcase")
    assert len(cases) == len(evaluation.findings)
    assert len([c for c in cases if c.find("failure") is not None]) == failures
    assert len(evaluation.failing(fail_on)) == failures
    by_name = {c.get("name"): c for c in cases}
    tls10 = by_name["tls.versions[0]: tls1.0 (apply)"]
    assert tls10.get("classname") == "fipscheck.tls-version"
    failure = tls10.find("failure")
    assert failure is not None
    assert failure.get("type") == "disallowed"
    assert failure.get("message", "").startswith("disallowed")
    assert failure.text is not None
    assert URL in failure.text
    assert "Section 3 <TLS & versions>" in failure.text  # escaped on the way out, intact on the way in

    des = by_name["item[0]: 3des-cbc (process)"]
    if fail_on == "deprecated":
        des_failure = des.find("failure")
        assert des_failure is not None
        assert des_failure.get("type") == "legacy-use"
        assert des.find("system-out") is None
    else:
        assert des.find("failure") is None
        out = des.find("system-out")
        assert out is not None
        assert out.text is not None
        assert out.text.startswith("warning: ")
        assert "legacy-use" in out.text
    ok = by_name["tls.versions[1]: tls1.2 (apply)"]
    assert list(ok) == []


def test_text(evaluation: Evaluation) -> None:
    text = render(evaluation, "text", tool_version=VERSION)
    lines = text.splitlines()
    assert len(lines) == 8
    assert lines[-1] == (
        "7 items: 2 disallowed, 3 deprecated or legacy-use, 2 acceptable; policy report-test as of"
        " 2026-01-01; fail on: disallowed (2 failing)"
    )
    assert lines[0].startswith(f"ERROR tls.versions[0]:{TLS10_LINE}  tls-version tls1.0, apply: disallowed")
    assert lines[0].endswith("[FAIL]")
    assert URL in lines[0]
    assert lines[1].startswith("ERROR primitives.ciphers[1]:")
    assert sum(line.endswith("[FAIL]") for line in lines) == 2
    labels = [line.split()[0] for line in lines[:-1]]
    assert labels == ["ERROR", "ERROR", "ok", "WARN", "WARN", "ok", "WARN"]


def test_text_fail_on_deprecated_orders_failing_first(evaluation: Evaluation) -> None:
    lines = render(evaluation, "text", fail_on="deprecated", tool_version=VERSION).splitlines()
    assert [line.endswith("[FAIL]") for line in lines[:-1]] == [True, True, True, True, True, False, False]
    assert lines[-1].endswith("fail on: deprecated (5 failing)")


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_fail_on_raises(evaluation: Evaluation, fmt: str) -> None:
    with pytest.raises(InvalidParameter, match="fail_on"):
        render(evaluation, fmt, fail_on="deprecate", tool_version=VERSION)


def test_unknown_format_raises(evaluation: Evaluation) -> None:
    with pytest.raises(InvalidParameter, match="unknown report format 'html'"):
        render(evaluation, "html", tool_version=VERSION)


def test_draft_policy_is_labelled(tmp_path: Path) -> None:
    path = tmp_path / "manifest.toml"
    path.write_text(MANIFEST, encoding="utf-8")
    draft = loads(POLICY.replace('status = "final"', 'status = "draft"'), path="<test>")
    evaluation = evaluate(path, draft, as_of=dt.date(2026, 1, 1))
    assert _json(evaluation, "json")["policy"]["draft"] is True
    summary = render(evaluation, "text", tool_version=VERSION).splitlines()[-1]
    assert "; policy report-test (draft) as of 2026-01-01;" in summary
    suite = ET.fromstring(render(evaluation, "junit", tool_version=VERSION)).find("testsuite")  # noqa: S314
    assert suite is not None
    assert suite.get("name") == "sip-gateway against report-test (draft)"


def test_sarif_rule_per_citation(tmp_path: Path) -> None:
    """Same category, name and status under two citations: two rules, with distinct ids."""
    change = '\n[[rule.change]]\nfrom = 2025-01-01\nprocess = "deprecated"\nsection = "Section 5"\n'
    policy = loads(POLICY.replace('section = "Table 8"\n', f'section = "Table 8"\n{change}'), path="<test>")
    path = tmp_path / "manifest.toml"
    item = '[[item]]\ncategory = "hash"\nname = "sha1"\ndirection = "process"\n'
    path.write_text(f'[primitives]\nhashes = ["sha1"]\n\n{item}', encoding="utf-8")
    [run] = _json(evaluate(path, policy, as_of=dt.date(2026, 1, 1)), "sarif")["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [
        "fipscheck/report-test/hash/sha1/deprecated",
        "fipscheck/report-test/hash/sha1/deprecated/1",
    ]
    assert [r["ruleIndex"] for r in run["results"]] == [0, 1]
    assert "Table 8" in rules[0]["help"]["text"]
    assert "Section 5" in rules[1]["help"]["text"]
