"""CI integration: ``.pre-commit-hooks.yaml`` follows pre-commit's manifest schema and each hook's entry
is a real ``fipscheck`` command that, run as pre-commit runs it, passes clean input and fails bad
input; the GitHub Actions and GitLab CI examples of docs/ci-gate.md parse and their commands produce
the reports they upload."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import VENV_BIN, clean_env, cli

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "scan_corpus"
HOOKS: list[dict[str, Any]] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
DOC = (ROOT / "docs" / "ci-gate.md").read_text()
# pre-commit's manifest keys (https://pre-commit.com/#creating-new-hooks)
REQUIRED = {"id", "name", "entry", "language"}
OPTIONAL = {
    "files", "exclude", "types", "types_or", "exclude_types", "always_run", "fail_fast", "verbose",
    "pass_filenames", "require_serial", "description", "language_version", "minimum_pre_commit_version",
    "args", "stages",
}  # fmt: skip


def _hook(hook_id: str) -> dict[str, Any]:
    (hook,) = [h for h in HOOKS if h["id"] == hook_id]
    return hook


def _commands(group: tuple[str, ...]) -> list[str]:
    """The subcommands ``fipscheck GROUP --help`` lists."""
    done = cli(*group, "--help")
    assert done.returncode == 0, done.stderr
    listed = done.stdout.split("\nCommands:\n", 1)[1]
    return re.findall(r"^  (\S+)", listed, re.MULTILINE)


def _run(entry: str, *args: str) -> Any:
    """The hook's entry with ``args``, as pre-commit runs it (entry, args, then the file names)."""
    words = shlex.split(entry)
    assert words[0] == "fipscheck"
    return cli(*words[1:], *args)


def test_manifest_schema() -> None:
    assert [h["id"] for h in HOOKS] == ["fipscheck-scan-code", "fipscheck-policy-gate"]
    for hook in HOOKS:
        assert REQUIRED <= hook.keys() <= REQUIRED | OPTIONAL, hook
        assert all(isinstance(hook[key], str) and hook[key] for key in REQUIRED)
        assert hook["language"] == "python"  # installs this repository's fipscheck
        assert isinstance(hook["pass_filenames"], bool)
        assert "types" in hook or "files" in hook
        if "files" in hook:
            re.compile(hook["files"])
    assert _hook("fipscheck-scan-code")["types"] == ["python"]
    assert _hook("fipscheck-scan-code")["pass_filenames"] is True
    assert re.search(_hook("fipscheck-policy-gate")["files"], "policy/service.toml")
    assert _hook("fipscheck-policy-gate")["pass_filenames"] is False


@pytest.mark.parametrize("hook", HOOKS, ids=lambda h: h["id"])
def test_entry_is_a_fipscheck_command(hook: dict[str, Any]) -> None:
    """Each word of the entry after ``fipscheck`` is listed in the --help of the group before it."""
    words = shlex.split(hook["entry"])
    assert words[0] == "fipscheck"
    for depth in range(1, len(words)):
        assert words[depth] in _commands(tuple(words[1:depth])), hook["entry"]


def test_scan_code_hook() -> None:
    entry = _hook("fipscheck-scan-code")["entry"]
    assert _run(entry, str(CORPUS / "clean.py")).returncode == 0
    bad = _run(entry, str(CORPUS / "clean.py"), str(CORPUS / "vulnerable_hashes.py"))
    assert bad.returncode == 1
    assert "vulnerable_hashes.py" in bad.stdout


def test_policy_gate_hook() -> None:
    entry = _hook("fipscheck-policy-gate")["entry"]
    assert _run(entry, "--baseline", "fips-140-3", "fips-140-3-hardened").returncode == 0
    loosened = _run(entry, "--baseline", "fips-140-3-hardened", "fips-140-3")
    assert loosened.returncode == 1
    assert "unjustified loosening" in loosened.stderr


def _yaml_blocks() -> dict[str, Any]:
    """The YAML examples of docs/ci-gate.md, by their first-line comment (the file name)."""
    blocks = re.findall(r"```yaml\n# ([^\n]+)\n(.*?)```", DOC, re.DOTALL)
    return {name: yaml.safe_load(body) for name, body in blocks}


def test_examples_parse_and_upload_the_report() -> None:
    examples = _yaml_blocks()
    assert set(examples) == {
        ".pre-commit-config.yaml",
        ".pre-commit-config.yaml (hosted copy)",
        ".github/workflows/fipscheck.yml",
        ".gitlab-ci.yml",
    }
    (hosted,) = examples[".pre-commit-config.yaml (hosted copy)"]["repos"]
    assert {h["id"] for h in hosted["hooks"]} == {h["id"] for h in HOOKS}  # the hooks this repository ships
    assert re.fullmatch(r"https://[^/\s]+/\S+", hosted["repo"])

    github = examples[".github/workflows/fipscheck.yml"]
    assert github["permissions"]["security-events"] == "write"
    steps = github["jobs"]["fipscheck"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert "fipscheck scan code . --format sarif -o fipscheck.sarif" in runs
    (upload,) = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload["with"]["sarif_file"] == "fipscheck.sarif"
    assert upload["if"] == "success() || failure()"  # also after a failing scan
    assert any("fipscheck policy gate --baseline" in run for run in runs)

    gitlab = examples[".gitlab-ci.yml"]
    script = gitlab["fipscheck"]["script"]
    assert "fipscheck scan code . --format sarif -o fipscheck.sarif" in script
    artifacts = gitlab["fipscheck"]["artifacts"]
    assert artifacts["paths"] == ["fipscheck.sarif"]
    assert artifacts["when"] == "always"
    junit = artifacts["reports"]["junit"]
    assert any(f"-o {junit}" in line for line in script)
    assert any(
        "fipscheck policy gate --baseline" in line for line in gitlab["fipscheck-policy-gate"]["script"]
    )


@pytest.mark.parametrize(("sample", "code"), [("clean.py", 0), ("vulnerable_ciphers.py", 1)])
def test_example_commands_write_the_reports(
    sample: str, code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan commands of the examples, run in a checkout: the SARIF 2.1.0 and JUnit reports are
    written whether the scan passes or fails, and the exit code decides the job."""
    shutil.copy(CORPUS / sample, tmp_path / sample)
    monkeypatch.chdir(tmp_path)
    gitlab = _yaml_blocks()[".gitlab-ci.yml"]["fipscheck"]["script"]
    for line in gitlab:
        words = shlex.split(line.removesuffix(" || true"))
        assert cli(*words[1:]).returncode == code, line
    sarif = json.loads((tmp_path / "fipscheck.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert any(r["level"] == "error" for r in results) == (code == 1)
    suite = ET.parse(tmp_path / "fipscheck-junit.xml").getroot()  # noqa: S314 - our own output, parsed back
    assert len(list(suite.iter("testcase"))) >= 1


# What pre-commit passes to a hook (https://pre-commit.com/#hooks-files, #hooks-types): the staged
# files its `files` regex matches and, for `types: [python]`, those named *.py.
SERVICE_POLICY = """\
[policy]
name = "service"
title = "The service's policy"
status = "final"
extends = "fips-140-3"

[[rule]]
category = "tls-group"
names = ["ffdhe2048"]
apply = "{status}"
process = "{status}"
cite = "sp800-131a-r2"
section = "Table 1"
"""
JUSTIFIED = 'justification = "The service establishes keys at 128 bits of security or more."\n'


def _selected(hook: dict[str, Any], staged: list[str]) -> list[str]:
    chosen = [f for f in staged if re.search(hook.get("files", ""), f)]
    if hook.get("types") == ["python"]:
        chosen = [f for f in chosen if f.endswith(".py")]
    return chosen


def _run_hook(hook: dict[str, Any], staged: list[str], root: Path) -> subprocess.CompletedProcess[str] | None:
    """Run ``hook`` as pre-commit runs a ``language: system`` hook: the entry, its args, then the
    selected files when it takes them, with the ``fipscheck`` on PATH, in the repository's root; None
    when pre-commit would skip it (no staged file matches)."""
    files = _selected(hook, staged)
    if not files:
        return None
    command = [*shlex.split(hook["entry"]), *hook.get("args", [])]
    command += files if hook.get("pass_filenames", True) else []
    env = clean_env(PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_local_hooks_run_as_documented(tmp_path: Path) -> None:
    """The documented ``repo: local`` configuration: pre-commit's keys only, the installed fipscheck
    (``language: system``), and entries that pass clean changes and fail bad ones."""
    (local,) = _yaml_blocks()[".pre-commit-config.yaml"]["repos"]
    assert local["repo"] == "local"
    hooks = {h["id"]: h for h in local["hooks"]}
    assert set(hooks) == {h["id"] for h in HOOKS}
    for hook in hooks.values():
        assert REQUIRED <= hook.keys() <= REQUIRED | OPTIONAL, hook
        assert hook["language"] == "system"
    (tmp_path / "lib").mkdir()
    (tmp_path / "policy").mkdir()
    shutil.copy(CORPUS / "clean.py", tmp_path / "app.py")
    shutil.copy(CORPUS / "vulnerable_hashes.py", tmp_path / "lib" / "hashing.py")
    (tmp_path / "README.txt").write_text("not code\n")
    policy = tmp_path / "policy" / "service.toml"
    policy.write_text(SERVICE_POLICY.format(status="disallowed") + JUSTIFIED)

    scan, gate = hooks["fipscheck-scan-code"], hooks["fipscheck-policy-gate"]
    assert _run_hook(scan, ["README.txt", "policy/service.toml"], tmp_path) is None  # no Python file
    clean = _run_hook(scan, ["app.py", "README.txt"], tmp_path)
    assert clean is not None
    assert clean.returncode == 0, clean.stdout + clean.stderr
    bad = _run_hook(scan, ["app.py", "lib/hashing.py"], tmp_path)
    assert bad is not None
    assert bad.returncode == 1, bad.stderr
    assert "lib/hashing.py" in bad.stdout

    assert _run_hook(gate, ["app.py"], tmp_path) is None  # the policy file did not change
    tightened = _run_hook(gate, ["policy/service.toml"], tmp_path)
    assert tightened is not None
    assert tightened.returncode == 0, tightened.stderr
    assert "gate: passed" in tightened.stdout
    policy.write_text(SERVICE_POLICY.format(status="acceptable").replace("ffdhe2048", "secp256k1"))
    loosened = _run_hook(gate, ["policy/service.toml"], tmp_path)
    assert loosened is not None
    assert loosened.returncode != 0  # pre-commit fails the commit
    assert "justification" in loosened.stderr
