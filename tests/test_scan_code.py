"""``fipscheck scan code``: what it finds in Python source (a corpus with the expected findings on each
line), how it survives hostile input, its report formats and its exit codes."""

from __future__ import annotations

import ast
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from fipscrypto.cli.scan.model import SIZE_UNKNOWN, Location, Use, judge
from fipscrypto.cli.scan.python import CITATIONS, analyse
from fipscrypto.policy import select

from support import assert_valid_sarif, cli

CORPUS = Path(__file__).parent / "scan_corpus"
POLICY = "fips-140-3-hardened"
DAY = "2026-06-01"
_EXPECT = re.compile(r"#\s*expect:\s*(.+)$")


def _scan(*args: str) -> tuple[int, dict[str, object]]:
    result = cli("scan", "code", *args, "--policy", POLICY, "--as-of", DAY, "--format", "json")
    return result.returncode, json.loads(result.stdout)


def _expected() -> set[tuple[str, int, str, str]]:
    """(file, line, rule, level) from the ``# expect: rule=level, ...`` comments of the corpus."""
    expected = set()
    for path in sorted(CORPUS.glob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            found = _EXPECT.search(line)
            if found:
                for item in found.group(1).split(","):
                    rule, level = item.strip().split("=")
                    expected.add((path.name, number, rule, level))
    return expected


def _found(report: dict[str, object]) -> set[tuple[str, int, str, str]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return {(Path(f["target"]).name, f["line"], f["rule"], f["level"]) for f in findings}


def test_corpus_every_expected_finding_and_nothing_else() -> None:
    status, report = _scan(str(CORPUS))
    expected = _expected()
    assert len(expected) > 50  # the corpus covers the whole list of checks
    found = _found(report)
    assert found - expected == set(), "unexpected findings (precision)"
    assert expected - found == set(), "missed findings (recall)"
    assert status == 1
    summary = report["summary"]
    assert isinstance(summary, dict)
    assert (summary["checked"], summary["skipped"]) == (5, 0)


def test_clean_code_passes_with_its_uses_listed() -> None:
    status, report = _scan(str(CORPUS / "clean.py"))
    assert status == 0
    findings = report["findings"]
    assert isinstance(findings, list)
    assert {f["level"] for f in findings} == {"note"}
    names = {f["verdict"]["name"] for f in findings}
    assert names == {"sha256", "hmac-sha384", "pbkdf2-hmac-sha512", "tls1.2", "aes-128-gcm"}


def test_findings_carry_line_column_rule_and_citation() -> None:
    _, report = _scan(str(CORPUS / "vulnerable_ciphers.py"))
    findings = report["findings"]
    assert isinstance(findings, list)
    iv = next(f for f in findings if f["rule"] == "code.constant-iv" and f["line"] == 21)
    source = (CORPUS / "vulnerable_ciphers.py").read_text().splitlines()[20]
    assert iv["column"] == source.index('b"12345678"') + 1
    assert iv["citation"] == CITATIONS["code.constant-iv"]
    des = next(f for f in findings if f["rule"] == "policy.cipher.des-cbc")
    assert des["column"] == source.index("DES.new") + 1
    assert des["verdict"]["citation"]["url"].startswith("https://")
    assert des["evidence"] == "Crypto.Cipher.DES.new"


def _uses(source: str) -> list[tuple[str, str, int | None, str, dict[str, int]]]:
    found = analyse(ast.parse(source), "t.py")
    return [
        (u.category, u.name, u.bits, u.direction.value, dict(u.params)) for u in found if isinstance(u, Use)
    ]


def test_constants_aliases_and_objects_are_resolved() -> None:
    source = """
import hashlib as h
from Cryptodome.Cipher import AES as A
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives import hashes
NAME = "SHA" + "1"
ROUNDS = 2000
SALT = b"\\0" * 8
KEY = bytes.fromhex("00" * 24)
h.new(NAME)
A.new(KEY, A.MODE_GCM)
mode = modes.CTR(nonce)
c = Cipher(algorithms.AES(KEY), mode)
c.decryptor()
PBKDF2HMAC(hashes.SHA512(), 32, SALT, ROUNDS)
"""
    assert _uses(source) == [
        ("hash", "sha1", None, "apply", {}),
        ("cipher", "aes-192-gcm", None, "apply", {}),
        ("cipher", "aes-192-ctr", None, "process", {}),
        ("password-hash", "pbkdf2-hmac-sha512", None, "apply", {"iterations": 2000, "salt_bits": 64}),
    ]


def test_usedforsecurity_false_is_a_note_not_a_failure() -> None:
    found = analyse(ast.parse("import hashlib\nhashlib.md5(b'', usedforsecurity=False)\n"), "t.py")
    [finding] = judge(found, select(POLICY))
    assert (finding.rule, finding.severity) == ("code.hash-not-for-security", "note")


def test_sizes_not_known_statically_are_judged_only_when_every_size_agrees() -> None:
    policy = select(POLICY)
    where = Location("t.py", 1, 1)
    md5, sha256 = (Use(where, "mac", name, "code") for name in ("hmac-md5", "hmac-sha256"))
    refused, unknown = judge([md5, sha256], policy)
    assert refused.verdict is not None
    assert refused.severity == "error"
    assert (unknown.rule, unknown.severity) == (SIZE_UNKNOWN, "note")
    known = judge([Use(where, "mac", "hmac-sha256", "code", bits=256)], policy)
    assert known[0].verdict is not None
    assert known[0].verdict.allowed


def test_as_of_moves_the_verdict_and_the_next_transition_says_when() -> None:
    path = str(CORPUS / "vulnerable_hashes.py")
    _, before = _scan(path)
    transitions = before["next_transitions"]
    assert isinstance(transitions, list)
    sha1 = next(t for t in transitions if t["name"] == "sha1" and t["category"] == "hash")
    assert (sha1["date"], sha1["status"], len(sha1["locations"])) == ("2031-01-01", "disallowed", 2)
    text = cli("scan", "code", path, "--policy", POLICY, "--as-of", DAY).stdout
    assert "Next transitions (after 2026-06-01):" in text
    assert "2031-01-01  hash sha1 (apply) becomes disallowed: 2 use(s)" in text
    after = cli("scan", "code", path, "--policy", POLICY, "--as-of", "2031-06-01", "--format", "json")
    levels = {
        (f["line"], f["level"])
        for f in json.loads(after.stdout)["findings"]
        if f["rule"] == "policy.hash.sha1"
    }
    assert levels == {(17, "error"), (18, "error")}


# ---------------------------------------------------------------------------------- hostile input


def _write(folder: Path, name: str, data: bytes) -> str:
    path = folder / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(
    ("data", "reason", "max_bytes"),
    [
        (b"def broken(:\n    pass\n", "does not parse: invalid syntax", "4194304"),
        (b"x = " + b"(" * 5000 + b")" * 5000 + b"\n", "does not parse", "4194304"),
        (b"x = " + b"-" * 200_000 + b"1\n", "does not parse", "4194304"),
        (b"import hashlib\x00\n", "does not parse", "4194304"),
        (b"# " + b"x" * 2048 + b"\n", "larger than 1024 bytes (--max-bytes)", "1024"),
    ],
    ids=["syntax", "nesting", "unary-depth", "null-byte", "too-large"],
)
def test_a_file_that_cannot_be_checked_is_reported_and_the_run_is_incomplete(
    tmp_path: Path, data: bytes, reason: str, max_bytes: str
) -> None:
    bad = _write(tmp_path, "bad.py", data)
    status, report = _scan(bad, "--max-bytes", max_bytes)
    assert status == 3
    skipped = report["skipped"]
    assert isinstance(skipped, list)
    [entry] = skipped
    assert entry["target"] == bad
    assert entry["reason"].startswith(reason)


def test_deep_but_valid_code_is_scanned_without_recursion(tmp_path: Path) -> None:
    chain = "hashlib" + ".x" * 2_000  # parses; deeper than a recursive walk could go
    loops = "A = B\nB = A\n"
    source = f"import hashlib\n{loops}y = {chain}\nhashlib.new(A)\nhashlib.md5()\n"
    status, report = _scan(_write(tmp_path, "deep.py", source.encode()))
    assert status == 1
    assert [(f["line"], f["rule"]) for f in report["findings"]] == [(6, "policy.hash.md5")]  # type: ignore[union-attr]


def test_unreadable_file_is_skipped_and_the_rest_still_judged(tmp_path: Path) -> None:
    os.symlink(tmp_path / "missing.py", tmp_path / "dangling.py")
    _write(tmp_path, "weak.py", b"import hashlib\nhashlib.md5()\n")
    status, report = _scan(str(tmp_path))
    assert status == 1  # a failing finding outranks the incomplete run
    assert report["summary"] == {
        "checked": 1,
        "skipped": 1,
        "findings": 1,
        "errors": 1,
        "warnings": 0,
        "notes": 0,
        "failing": 1,
        "exempt": 0,
    }
    [entry] = report["skipped"]  # type: ignore[misc]
    assert entry["reason"].startswith("cannot read")


# ---------------------------------------------------------------------------------- exit codes

_WARNING_ONLY = (
    b"from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes\n"
    b"c = Cipher(algorithms.TripleDES(k), modes.CBC(iv))\nc.decryptor()\n"
)


@pytest.mark.parametrize(
    ("files", "extra", "status"),
    [
        ({"a.py": b"import hashlib\nhashlib.sha256()\n"}, (), 0),
        ({"a.py": b"import hashlib\nhashlib.md5(usedforsecurity=False)\n"}, (), 0),
        ({"a.py": b"import hashlib\nhashlib.md5()\n"}, (), 1),
        ({"a.py": _WARNING_ONLY}, (), 0),
        ({"a.py": _WARNING_ONLY}, ("--fail-on", "deprecated"), 1),
        ({}, (), 3),  # nothing to check
        ({"notes.txt": b"md5"}, (), 3),  # no Python file under the folder
        ({"a.py": b"def (:\n"}, (), 3),
        ({"a.py": b"import hashlib\nhashlib.sha256()\n", "b.py": b"def (:\n"}, (), 3),
        ({"a.py": b"import hashlib\nhashlib.md5()\n", "b.py": b"def (:\n"}, (), 1),
        ({"a.py": b"x = 1\n"}, ("--format", "yaml"), 2),
        ({"a.py": b"x = 1\n"}, ("--as-of", "someday"), 2),
        ({"a.py": b"x = 1\n"}, ("--policy", "/nonexistent/policy.toml"), 3),
    ],
)
def test_exit_codes(tmp_path: Path, files: dict[str, bytes], extra: tuple[str, ...], status: int) -> None:
    for name, data in files.items():
        _write(tmp_path, name, data)
    args = ["scan", "code", str(tmp_path), "--as-of", DAY, *extra]
    if "--policy" not in extra:
        args += ["--policy", POLICY]
    assert cli(*args).returncode == status


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert cli("scan", "code", str(tmp_path / "nonexistent.py")).returncode == 2
    assert cli("scan", "code").returncode == 2
    target = str(CORPUS / "clean.py")
    result = cli("scan", "code", target, "--policy", POLICY, "-o", str(tmp_path / "no" / "such" / "r.txt"))
    assert result.returncode == 2
    assert "cannot write the report" in result.stderr


def test_nothing_checked_says_so(tmp_path: Path) -> None:
    result = cli("scan", "code", str(tmp_path), "--policy", POLICY)
    assert result.returncode == 3
    assert "nothing was checked" in result.stderr
    assert "0 checked, 0 skipped" in result.stdout


# ---------------------------------------------------------------------------------- formats


def _report(fmt: str, *paths: str) -> str:
    return cli("scan", "code", *paths, "--policy", POLICY, "--as-of", DAY, "--format", fmt).stdout


def test_json_and_output_file_are_the_same_and_deterministic(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = cli(
        "scan", "code", str(CORPUS), "--policy", POLICY, "--as-of", DAY, "--format", "json", "-o", str(out)
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert out.read_text() == _report("json", str(CORPUS))
    document = json.loads(out.read_text())
    assert document["scanner"] == "code"
    assert document["policy"]["name"] == POLICY
    keys = [(f["target"], f["line"], f["column"], f["rule"]) for f in document["findings"]]
    assert keys == sorted(keys)


def test_sarif_is_valid_2_1_0_with_rules_and_citations(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.py", b"def (:\n")
    sarif = json.loads(_report("sarif", str(CORPUS), bad))
    assert_valid_sarif(sarif)
    assert sarif["version"] == "2.1.0"
    [run] = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids))
    results = run["results"]
    assert len(results) == len(_expected())
    for result in results:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        assert rule["help"]["text"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1
        assert region["startColumn"] >= 1
    misuse = next(rule for rule in rules if rule["id"] == "code.constant-iv")
    assert misuse["help"]["text"] == CITATIONS["code.constant-iv"]
    policy_rule = next(rule for rule in rules if rule["id"].endswith("/cipher/des-cbc/disallowed"))
    assert policy_rule["helpUri"].startswith("https://")
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False  # bad.py was skipped
    [notice] = invocation["toolExecutionNotifications"]
    assert notice["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == Path(bad).as_posix()


def test_junit_one_case_per_finding_and_skipped_file(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.py", b"def (:\n")
    root = ET.fromstring(_report("junit", str(CORPUS), bad))  # noqa: S314 - our own output, parsed back
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    failing = sum(level == "error" for *_, level in _expected())
    assert len(cases) == len(_expected()) + 1 == int(suite.get("tests", ""))
    assert (
        len([c for c in cases if c.find("failure") is not None]) == failing == int(suite.get("failures", ""))
    )
    [error] = [c for c in cases if c.find("error") is not None]
    assert error.get("name", "").startswith(bad)


def test_text_lists_failures_first_then_a_summary() -> None:
    lines = _report("text", str(CORPUS)).splitlines()
    marks = [line.endswith("[FAIL]") for line in lines if line.startswith(("ERROR", "WARN", "ok"))]
    assert marks == sorted(marks, reverse=True)
    assert any(marks)
    assert not all(marks)
    assert lines[-1].startswith("scan code: 5 checked, 0 skipped;")
    assert "fail on: disallowed" in lines[-1]


def test_a_cipher_built_from_named_parts_is_reported_once() -> None:
    source = """
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
algorithm = algorithms.TripleDES(b"k" * 24)
mode = modes.ECB()
Cipher(algorithm, mode).encryptor()
algorithms.Blowfish(key)
"""
    found = analyse(ast.parse(source), "t.py")
    assert sorted((f.location.line, type(f).__name__) for f in found) == [
        (3, "Misuse"),  # the constant key, once
        (3, "Use"),  # where the algorithm is named
        (6, "Use"),
    ]
    assert sorted(u.name for u in found if isinstance(u, Use)) == ["3des-ecb", "blowfish"]


# ---------------------------------------------------------------------------------- waivers, baseline

_WEAK = b"import hashlib\nhashlib.md5()\nhashlib.sha1()\n"


def _waivers(folder: Path, expires: str, target: str = "*weak.py") -> str:
    text = f"""
[[waiver]]
rule = "policy.hash.md5"
target = "{target}"
owner = "alice@example.org"
ticket = "SEC-42"
expires = {expires}
"""
    return _write(folder, "waivers.toml", text.encode())


def test_a_waiver_lets_a_finding_pass_until_it_expires_and_then_says_so(tmp_path: Path) -> None:
    weak = _write(tmp_path, "weak.py", _WEAK)
    waivers = _waivers(tmp_path, "2026-07-01")
    status, report = _scan(weak, "--waivers", waivers)
    assert status == 0
    [md5] = [f for f in report["findings"] if f["rule"] == "policy.hash.md5"]  # type: ignore[union-attr]
    assert md5["remark"] == {"exempt": True, "text": "waived until 2026-07-01 (alice@example.org, SEC-42)"}
    assert md5["failing"] is False
    result = cli("scan", "code", weak, "--policy", POLICY, "--as-of", "2026-07-01", "--waivers", waivers)
    assert result.returncode == 1
    assert "[waiver expired on 2026-07-01 (alice@example.org, SEC-42)]  [FAIL]" in result.stdout
    other = _waivers(tmp_path, "2030-01-01", target="*/other.py")
    assert _scan(weak, "--waivers", other)[0] == 1  # the glob does not cover weak.py


def test_waived_findings_are_sarif_suppressions(tmp_path: Path) -> None:
    weak = _write(tmp_path, "weak.py", _WEAK)
    sarif = json.loads(_report("sarif", weak, "--waivers", _waivers(tmp_path, "2030-01-01")))
    assert_valid_sarif(sarif)
    [result] = [r for r in sarif["runs"][0]["results"] if "md5" in r["ruleId"]]
    assert result["suppressions"] == [
        {"kind": "external", "justification": "waived until 2030-01-01 (alice@example.org, SEC-42)"}
    ]


@pytest.mark.parametrize(
    "text",
    [
        "[[waiver]]\nrule = 'x'\ntarget = '*'\nowner = 'a'\nexpires = 2030-01-01\n",  # no ticket
        "[[waiver]]\nrule = 'x'\ntarget = '*'\nowner = 'a'\nticket = 't'\nexpires = 'soon'\n",
        "waiver = 3\n",
        "[[waiver]\n",
    ],
    ids=["missing-ticket", "expires-not-a-date", "not-tables", "not-toml"],
)
def test_an_invalid_waivers_file_is_a_usage_error(tmp_path: Path, text: str) -> None:
    weak = _write(tmp_path, "weak.py", _WEAK)
    result = cli(
        "scan", "code", weak, "--policy", POLICY, "--waivers", _write(tmp_path, "w.toml", text.encode())
    )
    assert result.returncode == 2
    assert "--waivers" in result.stderr


def test_with_a_baseline_only_new_findings_fail(tmp_path: Path) -> None:
    weak = _write(tmp_path, "weak.py", _WEAK)
    baseline = tmp_path / "baseline.json"
    assert (
        cli("scan", "code", weak, "--policy", POLICY, "--format", "json", "-o", str(baseline)).returncode == 1
    )
    status, report = _scan(weak, "--baseline", str(baseline))
    assert status == 0
    assert report["summary"]["exempt"] == 2  # type: ignore[index]
    _write(tmp_path, "weak.py", _WEAK + b"hashlib.md5()\n")  # one more MD5: new
    status, report = _scan(weak, "--baseline", str(baseline))
    assert status == 1
    failing = [f["line"] for f in report["findings"] if f["failing"]]  # type: ignore[union-attr]
    assert len(failing) == 1
    garbage = _write(tmp_path, "garbage.json", b"[]")
    assert cli("scan", "code", weak, "--baseline", garbage).returncode == 2
