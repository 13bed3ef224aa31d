"""``fipscheck scan env``: the OpenSSL copies of this environment (cryptography's measured as the
boundary, the stdlib outside it) and of distributions built here with their own libcrypto, bundled or
static, older and newer than OpenSSL 3.0; verdicts and exit codes."""

from __future__ import annotations

import json
import re
import shutil
import ssl
from pathlib import Path

import pytest

from fipscrypto import _backend
from fipscrypto.cli.scan.libcrypto import scan_env
from fipscrypto.cli.scan.model import Misuse, Skipped
from fipscrypto.provider.state import StatePaths

from support import fipscheck

# the bytes a linker leaves in a shared object: OpenSSL's version text, or only a libcrypto dependency
STATIC_3 = b"\x7fELF\0\0prefix\0OpenSSL 3.2.1 30 Jan 2024\0suffix"
BUNDLED_111 = b"\x7fELF\0\0OpenSSL 1.1.1w  11 Sep 2023\0"
LINKS_ONLY = b"\x7fELF\0\0libcrypto.so.3\0OPENSSL_3.0.0\0"


def _distribution(root: Path, name: str, files: dict[str, bytes]) -> None:
    """An installed distribution in ``root``: its dist-info (METADATA, RECORD) and its files."""
    info = root / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    record = [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    for relative, data in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
        record.append(f"{relative},,")
    (info / "RECORD").write_text("\n".join(record) + "\n")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    _distribution(root, "staticssl", {"staticssl/_ext.cpython-311-x86_64-linux-gnu.so": STATIC_3})
    _distribution(
        root,
        "oldssl",
        {"oldssl/_ext.so": LINKS_ONLY, "oldssl.libs/libcrypto-0a1b2c3d.so.1.1": BUNDLED_111},
    )
    _distribution(root, "linksonly", {"linksonly/_ext.abi3.so": LINKS_ONLY, "linksonly/data.txt": STATIC_3})
    return root


def _by_rule(report: dict[str, object]) -> dict[str, list[dict[str, object]]]:
    rules: dict[str, list[dict[str, object]]] = {}
    for finding in report["findings"]:  # type: ignore[attr-defined]
        rules.setdefault(finding["rule"], []).append(finding)
    return rules


def test_this_environment() -> None:
    """cryptography's own OpenSSL is measured as loading the provider; the stdlib is reported with
    ssl's OpenSSL; nothing fails under the default policy in this environment."""
    items, checked = scan_env()
    assert checked > 10
    assert not [i for i in items if isinstance(i, Skipped)]
    findings = {(i.rule, Path(i.location.target).name): i for i in items if isinstance(i, Misuse)}
    boundary = [i for (rule, _), i in findings.items() if rule == "env.boundary"]
    assert len(boundary) == 1
    assert "/cryptography/" in boundary[0].location.target
    assert boundary[0].evidence.startswith(_backend.openssl_version())
    assert boundary[0].severity == "note"
    stdlib = findings["env.stdlib-openssl", "ssl.py"]
    assert ssl.OPENSSL_VERSION in stdlib.message
    assert "outside the FIPS boundary" in stdlib.message


def test_distributions_with_their_own_libcrypto(site: Path) -> None:
    """Static and bundled copies are found with their versions; one older than 3.0 fails (exit 1)."""
    done = fipscheck("scan", "env", "--format", "json", PYTHONPATH=str(site))
    assert done.returncode == 1, done.stderr
    rules = _by_rule(json.loads(done.stdout))
    own = {Path(f["target"]).name: f for f in rules["env.own-libcrypto"]}
    assert "staticssl" in str(own["_ext.cpython-311-x86_64-linux-gnu.so"]["message"])
    assert "OpenSSL 3.2.1" in str(own["_ext.cpython-311-x86_64-linux-gnu.so"]["message"])
    assert "not measured" in str(own["_ext.cpython-311-x86_64-linux-gnu.so"]["message"])
    (old,) = rules["env.own-libcrypto-no-provider"]
    assert Path(str(old["target"])).name == "libcrypto-0a1b2c3d.so.1.1"
    assert "OpenSSL 1.1.1w" in str(old["message"])
    assert old["level"] == "error"
    assert old["failing"]
    # only links a libcrypto; the version text in a non-binary file is not read
    (links,) = [f for f in rules["env.links-libcrypto"] if "linksonly" in str(f["target"])]
    assert links["level"] == "note"
    assert not any("oldssl" in str(f["target"]) for f in rules["env.links-libcrypto"])
    assert len(rules["env.boundary"]) == 1


def test_fail_on_deprecated(site: Path) -> None:
    """A copy that could load the provider but is outside the boundary passes by default, fails under
    --fail-on deprecated; SARIF carries the rule and its citation."""
    only_static = site.parent / "static"
    only_static.mkdir()
    _distribution(only_static, "staticssl", {"staticssl/_ext.so": STATIC_3})
    passing = fipscheck("scan", "env", PYTHONPATH=str(only_static))
    failing = fipscheck(
        "scan", "env", "--fail-on", "deprecated", "--format", "sarif", PYTHONPATH=str(only_static)
    )
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert failing.returncode == 1, failing.stderr
    run = json.loads(failing.stdout)["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert "ISO/IEC 19790" in rules["env.own-libcrypto"]["help"]["text"]


def test_no_provider_is_incomplete(tmp_path: Path) -> None:
    """Without a provisioned provider cryptography's copy cannot be measured: exit 3, never 0."""
    done = fipscheck("scan", "env", "--state-dir", str(tmp_path), "--format", "json")
    assert done.returncode == 3, done.stdout + done.stderr
    report = json.loads(done.stdout)
    (skipped,) = report["skipped"]
    assert "/cryptography/" in skipped["target"]
    assert skipped["reason"].startswith("provider missing")


def test_provider_that_does_not_load_fails(tmp_path: Path) -> None:
    """A state folder whose module MAC does not match the module: cryptography's copy is measured as
    not loading the provider, an error (exit 1)."""
    source = StatePaths.resolve()
    for name in ("provider.json", "fipsmodule.cnf", "openssl.cnf"):
        shutil.copy2(source.root / name, tmp_path / name)
    cnf = tmp_path / "fipsmodule.cnf"
    text = cnf.read_text()
    mac = re.search(r"^module-mac = (..)", text, re.MULTILINE)
    assert mac is not None
    wrong = "00" if mac[1] != "00" else "11"
    cnf.write_text(text[: mac.start(1)] + wrong + text[mac.end(1) :])
    done = fipscheck("scan", "env", "--state-dir", str(tmp_path), "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    rules = _by_rule(json.loads(done.stdout))
    assert "env.boundary" not in rules
    (failed,) = rules["env.fips-provider-not-loaded"]
    assert "/cryptography/" in str(failed["target"])
    assert "module-mac" in str(failed["message"])
    assert failed["failing"]
