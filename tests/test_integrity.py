"""The software integrity self-test ("integrity"): the package files against the manifest, the
provider module against its module-mac, and the manifest the wheel build writes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import fipscrypto
from fipscrypto import selftests
from fipscrypto.errors import SelfTestFailure
from fipscrypto.provider.state import StatePaths
from fipscrypto.selftests import integrity

from support import run_json

REPO = Path(__file__).resolve().parent.parent

# Activates in a fresh interpreter and reports what happened; the service call comes after.
ACTIVATE = """
import json, fipscrypto
result = {"file": fipscrypto.__file__}
try:
    fipscrypto.activate()
except fipscrypto.SelfTestFailure as exc:
    result.update(failed=exc.test, detail=exc.detail)
except fipscrypto.FipsError as exc:
    result.update(error=type(exc).__name__, detail=str(exc))
result["state"] = fipscrypto.info().state.value
from fipscrypto import hashes
try:
    hashes.digest("sha256", b"x")
    result["service"] = "served"
except fipscrypto.ModuleErrorState:
    result["service"] = "refused"
from fipscrypto import selftests
result["passed"] = [r.name for r in selftests.last_results() if r.passed]
print(json.dumps(result))
"""


def _activate(state: StatePaths, pythonpath: Path | None = None, **env: str) -> dict[str, Any]:
    if pythonpath is not None:
        # PYTHONSAFEPATH: -c would put the working folder (the checkout) ahead of PYTHONPATH.
        env.update(PYTHONPATH=str(pythonpath), PYTHONSAFEPATH="1")
    return run_json(ACTIVATE, FIPSCRYPTO_STATE_DIR=str(state.root), **env)


def _wheel_layout(dest: Path) -> Path:
    """The four package roots of this checkout, copied as a wheel installs them, and sealed."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "integrity.json")
    for package, folder in (
        ("fipscrypto", "fipscrypto"),
        *((f"fipscrypto.{p}", p) for p in ("selftests", "pqc", "cli")),
    ):
        shutil.copytree(REPO / folder, dest / package.replace(".", "/"), ignore=ignore, dirs_exist_ok=True)
    integrity.write_manifest(dest)
    return dest


def test_integrity_runs_right_after_the_hmac_kat_and_passed_at_power_on() -> None:
    names = [t.name for t in selftests.registered()]
    assert names.index("integrity") == (1 if "hmac-sha2-256" in names else 0)
    test = next(t for t in selftests.registered() if t.name == "integrity")
    assert (test.family, test.services, test.needs_provider) == ("integrity", ("*",), True)
    assert "integrity" in fipscrypto.info().selftests_ms  # the conftest's activation ran it
    integrity.integrity_test()  # and it still passes on the dev install


def test_files_are_named_by_their_installed_path() -> None:
    expected = set()
    for prefix, folder in (
        ("fipscrypto", "fipscrypto"),
        *((f"fipscrypto/{p}", p) for p in ("selftests", "pqc", "cli")),
    ):
        for top, dirs, files in os.walk(REPO / folder):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            rel = Path(prefix) / Path(top).relative_to(REPO / folder)
            expected.update((rel / f).as_posix() for f in files if not f.endswith(".pyc"))
    expected.discard("fipscrypto/integrity.json")
    assert set(integrity.installed_files()) == expected

    listed = json.loads(integrity.manifest_path().read_text())["files"]
    for name in ("fipscrypto/module.py", "fipscrypto/selftests/registry.py", "fipscrypto/cli/main.py"):
        assert re.fullmatch(r"[0-9a-f]{64}", listed[name])
    assert "fipscrypto/pqc/__init__.py" in listed
    assert "fipscrypto/integrity.json" not in listed
    assert not [name for name in listed if "__pycache__" in name or name.endswith(".pyc")]


def test_fault_injection_fails_activation_through_the_integrity_test(state_paths: StatePaths) -> None:
    result = _activate(state_paths, FIPSCRYPTO_SELFTEST_FAIL="integrity")
    assert result["failed"] == "integrity"
    assert "the tag of fipscrypto/integrity.json differs from the known answer" in result["detail"]
    assert (result["state"], result["service"]) == ("error", "refused")


def test_wheel_layout_copy_passes_when_unmodified(tmp_path: Path, state_paths: StatePaths) -> None:
    root = _wheel_layout(tmp_path / "site")
    assert (root / "fipscrypto" / "selftests" / "integrity.py").is_file()
    result = _activate(state_paths, root)
    assert result["file"] == str(root / "fipscrypto" / "__init__.py")  # the copy, not the checkout
    assert (result["state"], result["service"]) == ("operational", "served")
    assert "integrity" in result["passed"]


def _append(path: Path) -> None:
    with path.open("a") as f:
        f.write("\n# changed\n")


def _reseal_without_key(root: Path) -> None:
    """A file changed and its manifest entry updated to match, without re-computing the tag."""
    changed = root / "fipscrypto" / "hashes.py"
    _append(changed)
    manifest = root / integrity.MANIFEST
    data = json.loads(manifest.read_text())
    data["files"]["fipscrypto/hashes.py"] = integrity.stdlib_hmac(integrity.KEY, [changed.read_bytes()]).hex()
    manifest.write_text(json.dumps(data))


TAMPERING: dict[str, tuple[Callable[[Path], None], str]] = {
    "changed": (lambda r: _append(r / "fipscrypto/hashes.py"), "changed: fipscrypto/hashes.py"),
    "changed-in-subpackage": (
        lambda r: _append(r / "fipscrypto/selftests/registry.py"),
        "changed: fipscrypto/selftests/registry.py",
    ),
    "missing": (lambda r: (r / "fipscrypto/cli/demo.py").unlink(), "missing: fipscrypto/cli/demo.py"),
    "extra": (
        lambda r: (r / "fipscrypto/kdf/extra.py").write_text("x = 1\n"),
        "not in the manifest: fipscrypto/kdf/extra.py",
    ),
    "manifest-tampered": (_reseal_without_key, "the tag of fipscrypto/integrity.json differs"),
    "manifest-missing": (lambda r: (r / integrity.MANIFEST).unlink(), "fipscrypto/integrity.json is missing"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_wheel_layout_copy_fails_when_tampered(tmp_path: Path, state_paths: StatePaths, case: str) -> None:
    root = _wheel_layout(tmp_path / "site")
    tamper, named = TAMPERING[case]
    tamper(root)
    result = _activate(state_paths, root)
    assert result["file"] == str(root / "fipscrypto" / "__init__.py")
    assert result.get("failed") == "integrity", result
    assert named in result["detail"]
    assert (result["state"], result["service"]) == ("error", "refused")


@pytest.fixture
def wrong_mac_state(tmp_path: Path, state_paths: StatePaths) -> StatePaths:
    """A copy of the state folder whose fipsmodule.cnf has one hex digit of module-mac changed."""
    paths = StatePaths.resolve(tmp_path / "state")
    paths.root.mkdir()
    shutil.copyfile(state_paths.record, paths.record)
    text = state_paths.fipsmodule_cnf.read_text()
    line = re.search(r"^module-mac = .*$", text, re.MULTILINE)
    assert line is not None
    last = line.group(0)[-1]
    wrong = line.group(0)[:-1] + ("0" if last != "0" else "1")
    paths.fipsmodule_cnf.write_text(text.replace(line.group(0), wrong))
    return paths


def test_wrong_module_mac_fails_the_module_check(
    wrong_mac_state: StatePaths, state_paths: StatePaths
) -> None:
    integrity.check_provider_module(state_paths)  # the state folder this process runs on passes
    with pytest.raises(SelfTestFailure) as caught:
        integrity.check_provider_module(wrong_mac_state)
    assert caught.value.test == "integrity"
    assert "fips.so" in caught.value.detail
    assert str(wrong_mac_state.fipsmodule_cnf) in caught.value.detail


@pytest.mark.slow
def test_wrong_module_mac_fails_activation(wrong_mac_state: StatePaths) -> None:
    # The provider checks its module-mac when it loads, before any test of ours can run: activation
    # fails on the provider's own refusal (the integrity test's check is the one above, run directly).
    result = _activate(wrong_mac_state)
    assert result["error"] == "ModuleMacMismatch", result
    assert (result["state"], result["service"]) == ("error", "refused")


@pytest.mark.slow
def test_built_wheel_contains_a_manifest_that_verifies(tmp_path: Path, state_paths: StatePaths) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copyfile(REPO / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "integrity.json")
    for folder in ("fipscrypto", "selftests", "pqc", "cli"):
        shutil.copytree(REPO / folder, source / folder, ignore=ignore)
    # Build isolation: a release build's environment (setuptools from the configured index).
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("fipscrypto-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = {n for n in archive.namelist() if n.startswith("fipscrypto/") and not n.endswith("/")}
        archive.extractall(site)
    assert integrity.MANIFEST in names
    listed = json.loads((site / integrity.MANIFEST).read_text())["files"]
    assert set(listed) == names - {integrity.MANIFEST}
    assert {"fipscrypto/selftests/integrity.py", "fipscrypto/cli/main.py", "fipscrypto/py.typed"} <= set(
        listed
    )

    integrity.check_files(site)  # the verifier, on the provider
    result = _activate(state_paths, site)
    assert result["file"] == str(site / "fipscrypto" / "__init__.py")
    assert (result["state"], result["service"]) == ("operational", "served")
    assert "integrity" in result["passed"]


def test_writer_runs_without_the_package_or_a_provider(tmp_path: Path) -> None:
    """The build hook's way: this file loaded by path, with no fipscrypto importable."""
    root = _wheel_layout(tmp_path / "site")
    before = (root / integrity.MANIFEST).read_bytes()
    (root / integrity.MANIFEST).unlink()
    code = (
        "import importlib.util, sys; from pathlib import Path\n"
        "spec = importlib.util.spec_from_file_location('w', sys.argv[1])\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "m.write_manifest(Path(sys.argv[2]))\n"
        "assert 'fipscrypto' not in sys.modules\n"
    )
    writer = root / "fipscrypto" / "selftests" / "integrity.py"
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, str(writer), str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (root / integrity.MANIFEST).read_bytes() == before
