"""``fipscheck scan code`` against bandit restricted to its cryptography plugins, on the virtualenv's
site-packages: wall time, and whether every issue bandit reports is among ours.

Both run as the installed console scripts in fresh processes, JSON to a file, rounds interleaved (ours,
then bandit) so drift in machine load hits both alike; the table gives each side's median. bandit is
the ``bench`` extra (``pip install -e '.[bench]'``), not a runtime dependency.

The comparison: a bandit issue is matched when one of our findings lies in the same statement (the
innermost statement around bandit's line: bandit reports ``hashes.SHA1()`` on its own line inside a
``PBKDF2HMAC(...)`` call that we report, as ``pbkdf2-hmac-sha1``, at the call's first line).
"""

from __future__ import annotations

import ast
import json
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from pathlib import Path

ROUNDS = 3
BIN = Path(sys.executable).parent
TREE = sysconfig.get_paths()["purelib"]
# bandit's cryptography plugins: weak hashes (B303, B324), ciphers (B304) and modes (B305), unverified
# TLS contexts (B323), requests without certificate checks (B501), weak SSL/TLS versions (B502, B503)
# and weak key sizes (B505). Left out: B311 (every use of random, secret or not), B413 (importing
# pycrypto), B504 (ssl.wrap_socket without a version: the default negotiates).
TESTS = "B303,B304,B305,B323,B324,B501,B502,B503,B505"


def _run(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def _statement_span(source: str, line: int) -> tuple[int, int]:
    """The first and last line of the innermost statement around ``line``."""
    spans = [
        (node.lineno, node.end_lineno or node.lineno)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or node.lineno)
    ]
    return min(spans, key=lambda span: span[1] - span[0], default=(line, line))


def compare(ours: dict[str, object], bandit: dict[str, object]) -> tuple[Counter[str], list[str]]:
    """bandit's issues per test id, and those none of our findings covers."""
    lines: dict[str, set[int]] = {}
    for finding in ours["findings"]:  # type: ignore[attr-defined]
        lines.setdefault(finding["target"], set()).add(finding["line"])
    per_test: Counter[str] = Counter()
    missed = []
    for issue in bandit["results"]:  # type: ignore[attr-defined]
        per_test[issue["test_id"]] += 1
        path, line = issue["filename"], issue["line_number"]
        first, last = _statement_span(Path(path).read_text(encoding="utf-8", errors="replace"), line)
        if not any(first <= seen <= last for seen in lines.get(path, ())):
            missed.append(f"{issue['test_id']} {path}:{line} {issue['issue_text']}")
    return per_test, missed


def main() -> dict[str, float]:
    if not (BIN / "bandit").exists():
        raise SystemExit("bandit is not installed: pip install -e '.[bench]'")
    with tempfile.TemporaryDirectory() as folder:
        ours_json, bandit_json = Path(folder, "ours.json"), Path(folder, "bandit.json")
        ours_argv = [str(BIN / "fipscheck"), "scan", "code", TREE, "--format", "json", "-o", str(ours_json)]
        bandit_argv = [
            str(BIN / "bandit"),
            "-q",
            "-r",
            TREE,
            "-t",
            TESTS,
            "-f",
            "json",
            "-o",
            str(bandit_json),
        ]
        samples: dict[str, list[float]] = {"fipscheck scan code": [], "bandit (crypto plugins)": []}
        for _ in range(ROUNDS):
            samples["fipscheck scan code"].append(_run(ours_argv))
            samples["bandit (crypto plugins)"].append(_run(bandit_argv))
        ours, bandit = json.loads(ours_json.read_text()), json.loads(bandit_json.read_text())
    per_test, missed = compare(ours, bandit)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    ratio = medians["bandit (crypto plugins)"] / medians["fipscheck scan code"]
    summary = ours["summary"]
    print(f"scan code vs bandit over {TREE}: median of {ROUNDS} interleaved fresh processes")
    for name, value in medians.items():
        print(f"  {name:26} {value:8.2f} s")
    print(f"  scan code is {ratio:.1f}x faster")
    print(f"  files: {summary['checked']} checked, {summary['skipped']} skipped")
    print(
        f"  our findings: {summary['findings']} ({summary['errors']} errors, {summary['warnings']} warnings,"
        f" {summary['notes']} notes)"
    )
    tests = ", ".join(f"{test} {count}" for test, count in sorted(per_test.items()))
    print(f"  bandit issues: {sum(per_test.values())} ({tests})")
    print(f"  bandit issues none of our findings covers: {len(missed)}")
    for line in missed:
        print(f"    {line}")
    return {**medians, "ratio": ratio, "missed": float(len(missed))}


if __name__ == "__main__":
    main()
