"""The software integrity self-test ("integrity"): the package files against the manifest, the
bytecode Python runs against the sealed bytecode or the verified source, the provider module against
its module-mac, and the manifest the wheel build writes."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import marshal
import os
import py_compile
import re
import shutil
import struct
import subprocess
import sys
import types
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import fipscrypto
from fipscrypto import selftests
from fipscrypto.errors import SelfTestFailure
from fipscrypto.provider.state import StatePaths
from fipscrypto.selftests import integrity

from support import clean_env, fipscheck, run_json

if TYPE_CHECKING:
    from conftest import BuiltWheel

REPO = Path(__file__).resolve().parent.parent
TIMESTAMP = py_compile.PycInvalidationMode.TIMESTAMP

# The end of the programs below: the module's state, and whether a service still serves.
STATE_AND_SERVICE = """
from fipscrypto import hashes
result["state"] = fipscrypto.info().state.value
try:
    hashes.digest("sha256", b"x")
    result["service"] = "served"
except fipscrypto.ModuleErrorState:
    result["service"] = "refused"
"""

# Activates in a fresh interpreter and reports what happened; the service call comes after.
ACTIVATE = (
    """
import json, fipscrypto
result = {"file": fipscrypto.__file__}
try:
    fipscrypto.activate()
except fipscrypto.SelfTestFailure as exc:
    result.update(failed=exc.test, detail=exc.detail)
except fipscrypto.FipsError as exc:
    result.update(error=type(exc).__name__, detail=str(exc))
"""
    + STATE_AND_SERVICE
    + """
from fipscrypto import selftests
result["passed"] = [r.name for r in selftests.last_results() if r.passed]
print(json.dumps(result))
"""
)


def _run(code: str, state: StatePaths, *args: str, root: Path | None = None, **env: str) -> dict[str, Any]:
    """Run ``code`` with ``args`` in a fresh interpreter on ``state`` (and on the tree ``root``)."""
    if root is not None:
        # PYTHONSAFEPATH: -c would put the working folder (the checkout) ahead of PYTHONPATH.
        env.update(PYTHONPATH=str(root), PYTHONSAFEPATH="1")
    return run_json(code, *args, FIPSCRYPTO_STATE_DIR=str(state.root), **env)


def _wheel_layout(dest: Path) -> Path:
    """The four package roots of this checkout, copied as a wheel installs them, and sealed."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "integrity.json")
    for package, folder in (
        ("fipscrypto", "fipscrypto"),
        *((f"fipscrypto.{p}", p) for p in ("selftests", "pqc", "cli")),
    ):
        shutil.copytree(REPO / folder, dest / package.replace(".", "/"), ignore=ignore, dirs_exist_ok=True)
    _seal(dest)
    return dest


# The build hook's way: selftests/integrity.py loaded by path in a fresh interpreter, no fipscrypto
# importable. (Bytecode marshalled in a process with other modules loaded can differ byte for byte:
# marshal shares objects by reference count. The check at run time compares code, not bytes.)
_WRITER = (
    "import importlib.util, sys; from pathlib import Path\n"
    "spec = importlib.util.spec_from_file_location('w', sys.argv[1])\n"
    "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
    "m.write_manifest(Path(sys.argv[2]))\n"
    "assert 'fipscrypto' not in sys.modules\n"
)


def _seal(root: Path) -> subprocess.CompletedProcess[str]:
    writer = root / "fipscrypto" / "selftests" / "integrity.py"
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", _WRITER, str(writer), str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


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
            expected.update((rel / f).as_posix() for f in files)
    expected.discard("fipscrypto/integrity.json")
    assert set(integrity.installed_files()) == expected

    listed = json.loads(integrity.manifest_path().read_text())["files"]
    for name in ("fipscrypto/module.py", "fipscrypto/selftests/registry.py", "fipscrypto/cli/main.py"):
        assert re.fullmatch(r"[0-9a-f]{64}", listed[name])
    assert "fipscrypto/pqc/__init__.py" in listed
    assert "fipscrypto/integrity.json" not in listed
    assert not [name for name in listed if "__pycache__" in name]


def _sealed_cache(source: Path) -> Path:
    """Where the manifest's writer puts the sealed bytecode of ``source``."""
    return source.parent / "__pycache__" / f"{source.stem}.{sys.implementation.cache_tag}.pyc"


def test_the_manifest_seals_checked_hash_bytecode_of_every_source() -> None:
    sealed = json.loads(integrity.manifest_path().read_text())["bytecode"]
    sources = {name: path for name, path in integrity.installed_files().items() if name.endswith(".py")}
    tag = sys.implementation.cache_tag
    assert set(sealed) == {
        f"{os.path.dirname(name)}/__pycache__/{Path(name).stem}.{tag}.pyc" for name in sources
    }
    for name, path in sources.items():
        cache = _sealed_cache(path)
        data = cache.read_bytes()
        hmac = sealed[f"{os.path.dirname(name)}/__pycache__/{cache.name}"]
        assert integrity.stdlib_hmac(integrity.KEY, [data]).hex() == hmac
        # PEP 552 header: this interpreter's magic, flags 0b11 (hash-based, checked), the source's hash
        assert data[:4] == importlib.util.MAGIC_NUMBER
        assert data[4:16] == (3).to_bytes(4, "little") + importlib.util.source_hash(path.read_bytes())


def test_fault_injection_fails_activation_through_the_integrity_test(state_paths: StatePaths) -> None:
    result = _run(ACTIVATE, state_paths, FIPSCRYPTO_SELFTEST_FAIL="integrity")
    assert result["failed"] == "integrity"
    assert "the tag of fipscrypto/integrity.json differs from the known answer" in result["detail"]
    assert (result["state"], result["service"]) == ("error", "refused")


def test_wheel_layout_copy_passes_when_unmodified(tmp_path: Path, state_paths: StatePaths) -> None:
    root = _wheel_layout(tmp_path / "site")
    assert (root / "fipscrypto" / "selftests" / "integrity.py").is_file()
    result = _run(ACTIVATE, state_paths, root=root)
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
    "sourceless-bytecode": (
        lambda r: shutil.copyfile(_sealed_cache(r / "fipscrypto/hashes.py"), r / "fipscrypto/kdf/extra.pyc"),
        "not in the manifest: fipscrypto/kdf/extra.pyc",
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
    result = _run(ACTIVATE, state_paths, root=root)
    assert result["file"] == str(root / "fipscrypto" / "__init__.py")
    assert result.get("failed") == "integrity", result
    assert named in result["detail"]
    assert (result["state"], result["service"]) == ("error", "refused")


@pytest.fixture
def state_copy(tmp_path: Path, state_paths: StatePaths) -> StatePaths:
    """A private copy of the state folder (the provider record, its fipsmodule.cnf, the module copy)."""
    paths = StatePaths.resolve(tmp_path / "state")
    paths.root.mkdir()
    shutil.copyfile(state_paths.record, paths.record)
    shutil.copyfile(state_paths.fipsmodule_cnf, paths.fipsmodule_cnf)
    paths.module_dir.mkdir()
    shutil.copyfile(state_paths.context_module, paths.context_module)
    return paths


@pytest.fixture
def wrong_mac_state(state_copy: StatePaths) -> StatePaths:
    """A copy of the state folder whose fipsmodule.cnf has one hex digit of module-mac changed."""
    paths = state_copy
    text = paths.fipsmodule_cnf.read_text()
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
    result = _run(ACTIVATE, wrong_mac_state)
    assert result["error"] == "ModuleMacMismatch", result
    assert (result["state"], result["service"]) == ("error", "refused")


@pytest.mark.slow
def test_built_wheel_contains_a_manifest_that_verifies(
    tmp_path: Path, state_paths: StatePaths, built_wheel: BuiltWheel
) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(built_wheel.wheel) as archive:
        names = {n for n in archive.namelist() if n.startswith("fipscrypto/") and not n.endswith("/")}
        archive.extractall(site)
    assert integrity.MANIFEST in names
    manifest = json.loads((site / integrity.MANIFEST).read_text())
    listed, sealed = manifest["files"], manifest["bytecode"]
    assert set(listed) | set(sealed) == names - {integrity.MANIFEST}  # the sealed bytecode ships too
    assert {"fipscrypto/selftests/integrity.py", "fipscrypto/cli/main.py", "fipscrypto/py.typed"} <= set(
        listed
    )
    assert f"fipscrypto/cli/__pycache__/main.{sys.implementation.cache_tag}.pyc" in sealed

    integrity.check_files(site)  # the verifier, on the provider
    result = _run(ACTIVATE, state_paths, root=site)
    assert result["file"] == str(site / "fipscrypto" / "__init__.py")
    assert (result["state"], result["service"]) == ("operational", "served")
    assert "integrity" in result["passed"]


def test_writer_runs_without_the_package_or_a_provider(tmp_path: Path) -> None:
    """The build hook's way writes the same manifest again (a reproducible seal)."""
    root = _wheel_layout(tmp_path / "site")
    before = (root / integrity.MANIFEST).read_bytes()
    (root / integrity.MANIFEST).unlink()
    done = _seal(root)
    assert done.returncode == 0, done.stderr
    assert (root / integrity.MANIFEST).read_bytes() == before


# ------------------------------------------------------------------------------------------ bytecode

# aead.py with constant nonces: the change an attacker compiles into the bytecode cache.
RANDOM_NONCE = b"block = rand.random_bytes(NONCE_SIZE * BATCH)"
CONSTANT_NONCE = b"block = bytes(NONCE_SIZE * BATCH)"

# A program using AES-GCM, in a fresh interpreter: "import-first" imports the service before the first
# call activates the module (the bytecode of aead is then loaded before the integrity test runs),
# "activate-first" activates, then imports it. It reports whether the bytecode that ran had constant
# nonces, the failure, the nonces AES-GCM gave, and whether a service still serves.
PROGRAM = (
    """
import json, sys
import fipscrypto
result = {}
try:
    if sys.argv[1] == "import-first":
        from fipscrypto import aead
    fipscrypto.activate()
    from fipscrypto import aead
    result["nonces"] = len({aead.AESGCM(bytes(32)).encrypt(b"m")[0] for _ in range(3)})
except fipscrypto.SelfTestFailure as exc:
    result.update(failed=exc.test, detail=exc.detail)
if "fipscrypto.aead" in sys.modules:
    names = sys.modules["fipscrypto.aead"]._Nonces.refill.__code__.co_names
    result["constant_nonce_code_ran"] = "random_bytes" not in names
"""
    + STATE_AND_SERVICE
    + """
print(json.dumps(result))
"""
)


def _cache(source: Path, *, prefix: Path | None = None, optimization: str = "") -> Path:
    """Where an interpreter of this environment (or with PYTHONPYCACHEPREFIX=prefix, or -O) looks for the
    bytecode of ``source``."""
    if prefix is None:
        return Path(importlib.util.cache_from_source(str(source), optimization=optimization))
    opt = f".opt-{optimization}" if optimization else ""
    return (
        prefix
        / source.parent.relative_to(source.anchor)
        / f"{source.stem}.{sys.implementation.cache_tag}{opt}.pyc"
    )


def _forged_cache(source: Path, mode: str, optimize: int = 0) -> bytes:
    """The bytecode of ``source`` with constant nonces, under a header Python accepts for the unchanged
    source (PEP 552): an unchecked hash (as ``py_compile --invalidation-mode unchecked-hash`` writes it
    for the changed file), or the hash, or the time and size, of the unchanged source."""
    clean = source.read_bytes()
    changed = clean.replace(RANDOM_NONCE, CONSTANT_NONCE)
    assert changed != clean
    code = marshal.dumps(compile(changed, str(source), "exec", dont_inherit=True, optimize=optimize))
    if mode == "timestamp":
        stat = source.stat()
        fields = (0, int(stat.st_mtime) & 0xFFFFFFFF, stat.st_size & 0xFFFFFFFF)
        return importlib.util.MAGIC_NUMBER + struct.pack("<III", *fields) + code
    if mode == "checked-hash":
        return (
            importlib.util.MAGIC_NUMBER + struct.pack("<I", 0b11) + importlib.util.source_hash(clean) + code
        )
    assert mode == "unchecked-hash"
    return importlib.util.MAGIC_NUMBER + struct.pack("<I", 0b01) + importlib.util.source_hash(changed) + code


def _selftest(root: Path, state: StatePaths) -> tuple[int, dict[str, Any]]:
    """``fipscheck selftest --json`` on the tree ``root``: exit status and report."""
    env = {"PYTHONPATH": str(root), "PYTHONSAFEPATH": "1", "FIPSCRYPTO_STATE_DIR": str(state.root)}
    done = fipscheck("selftest", "--json", **env)
    report: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, report


MODES = ("unchecked-hash", "checked-hash", "timestamp")


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_forged_bytecode_under_a_verified_source_fails_the_integrity_test(
    tmp_path: Path, state_copy: StatePaths, mode: str
) -> None:
    root = _wheel_layout(tmp_path / "site")
    source = root / "fipscrypto" / "aead.py"
    before = source.read_bytes()
    _cache(source).parent.mkdir(parents=True, exist_ok=True)
    _cache(source).write_bytes(_forged_cache(source, mode))
    assert source.read_bytes() == before  # the source still verifies

    # Imported before activation, the forged bytecode runs (Python accepts its header); the power-on
    # integrity test then fails and nothing is served.
    result = _run(PROGRAM, state_copy, "import-first", root=root)
    assert result["constant_nonce_code_ran"] is True
    assert result.get("failed") == "integrity", result
    assert (
        "bytecode that is neither sealed in fipscrypto/integrity.json nor a compile of its source"
        in (result["detail"])
    )
    assert str(_cache(source)) in result["detail"]
    assert (result["state"], result["service"]) == ("error", "refused")
    assert "nonces" not in result

    # Imported after activation, the import itself fails: the forged bytecode never runs.
    result = _run(PROGRAM, state_copy, "activate-first", root=root)
    assert result.get("failed") == "integrity", result
    assert f"the bytecode {_cache(source)} is not a compile of fipscrypto/aead.py" in result["detail"]
    assert "constant_nonce_code_ran" not in result  # the module was not created
    assert (result["state"], result["service"]) == ("error", "refused")

    # On demand, the test checks the bytecode of every source, loaded or not.
    status, report = _selftest(root, state_copy)
    assert status == 3
    assert report["failed"] == ["integrity"]
    assert report["state"] == "error"
    (row,) = [r for r in report["results"] if r["name"] == "integrity"]
    assert str(_cache(source)) in row["detail"]


@pytest.mark.slow
def test_sealed_bytecode_and_bytecode_compiled_from_the_sources_pass(
    tmp_path: Path, state_copy: StatePaths
) -> None:
    root = _wheel_layout(tmp_path / "site")
    for order in ("import-first", "activate-first"):
        result = _run(PROGRAM, state_copy, order, root=root)
        assert (result["state"], result["service"], result["nonces"]) == ("operational", "served", 3), result
        assert result["constant_nonce_code_ran"] is False
    status, report = _selftest(root, state_copy)
    assert (status, report["failed"], report["state"]) == (0, [], "operational")

    # What an installer leaves when it compiles the sources itself (pip does): not the sealed bytecode,
    # but a compile of the same sources (timestamp-based), which the test proves by compiling them again.
    for source in root.rglob("*.py"):
        _cache(source).parent.mkdir(parents=True, exist_ok=True)
        py_compile.compile(str(source), str(_cache(source)), doraise=True, invalidation_mode=TIMESTAMP)
    assert _cache(root / "fipscrypto" / "aead.py").read_bytes()[4:8] == bytes(4)
    for order in ("import-first", "activate-first"):
        result = _run(PROGRAM, state_copy, order, root=root)
        assert (result["state"], result["service"], result["nonces"]) == ("operational", "served", 3), result
    status, report = _selftest(root, state_copy)
    assert (status, report["failed"], report["state"]) == (0, [], "operational")


@pytest.mark.slow
@pytest.mark.parametrize("where", ["PYTHONPYCACHEPREFIX", "PYTHONOPTIMIZE"])
def test_forged_bytecode_where_this_interpreter_looks_fails(
    tmp_path: Path, state_copy: StatePaths, where: str
) -> None:
    root = _wheel_layout(tmp_path / "site")
    source = root / "fipscrypto" / "aead.py"
    if where == "PYTHONPYCACHEPREFIX":
        env = {where: str(tmp_path / "pycache")}
        cache = _cache(source, prefix=tmp_path / "pycache")
        optimize = 0
    else:
        env = {where: "1"}
        cache = _cache(source, optimization="1")
        optimize = 1
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(_forged_cache(source, "unchecked-hash", optimize))
    result = _run(PROGRAM, state_copy, "import-first", root=root, **env)
    assert result["constant_nonce_code_ran"] is True
    assert result.get("failed") == "integrity", result
    assert str(cache) in result["detail"]
    assert (result["state"], result["service"]) == ("error", "refused")


def _replace_code(code: types.CodeType, name: str, **fields: Any) -> types.CodeType:
    """``code`` with the nested code object ``name`` (at any depth) changed."""
    if code.co_name == name:
        return code.replace(**fields)
    consts = tuple(
        _replace_code(c, name, **fields) if isinstance(c, types.CodeType) else c for c in code.co_consts
    )
    return code.replace(co_consts=consts)


def test_same_code_compares_what_code_equality_leaves_out() -> None:
    source = (REPO / "fipscrypto" / "aead.py").read_bytes()
    compiled = compile(source, "aead.py", "exec", dont_inherit=True)
    assert integrity.same_code(marshal.loads(marshal.dumps(compiled)), compiled)  # noqa: S302
    assert integrity.same_code(compile(source, "elsewhere/aead.py", "exec", dont_inherit=True), compiled)
    for fields in ({"co_stacksize": 1}, {"co_qualname": "AESGCM.decrypt"}):
        changed = _replace_code(compiled, "refill", **fields)
        assert changed == compiled  # == does not see it
        assert not integrity.same_code(changed, compiled)
    changed = compile(source.replace(RANDOM_NONCE, CONSTANT_NONCE), "aead.py", "exec", dont_inherit=True)
    assert not integrity.same_code(changed, compiled)
    assert not integrity.same_code(None, compiled)


def test_bytecode_changed_only_where_code_equality_does_not_look_fails(tmp_path: Path) -> None:
    root = _wheel_layout(tmp_path / "site")
    seal = integrity.check_files(root)
    integrity.check_bytecode(seal, every=True)  # the sealed bytecode passes
    source = root / "fipscrypto" / "aead.py"
    sealed = _sealed_cache(source).read_bytes()
    code = _replace_code(marshal.loads(sealed[16:]), "refill", co_stacksize=1)  # noqa: S302
    _cache(source).parent.mkdir(parents=True, exist_ok=True)
    _cache(source).write_bytes(sealed[:16] + marshal.dumps(code))
    with pytest.raises(SelfTestFailure) as caught:
        integrity.check_bytecode(seal, every=True)
    assert str(_cache(source)) in caught.value.detail


# Activates, then puts a file beside aead.py that Python's import system would prefer to it (an
# extension module), and imports aead.
SHADOWED = """
import importlib, json, sys
import fipscrypto
fipscrypto.activate()
with open(sys.argv[1], "wb") as f:
    f.write(b"an extension module found before aead.py")
importlib.invalidate_caches()
result = {}
try:
    from fipscrypto import aead
except fipscrypto.SelfTestFailure as exc:
    result.update(failed=exc.test, detail=exc.detail)
except ImportError as exc:
    result.update(import_error=str(exc))
result["state"] = fipscrypto.info().state.value
print(json.dumps(result))
"""


def test_a_module_file_added_after_activation_is_not_imported(tmp_path: Path, state_copy: StatePaths) -> None:
    root = _wheel_layout(tmp_path / "site")
    extension = root / "fipscrypto" / f"aead{importlib.machinery.EXTENSION_SUFFIXES[0]}"
    result = _run(SHADOWED, state_copy, str(extension), root=root)
    assert result.get("failed") == "integrity", result
    assert f"fipscrypto.aead would be loaded from {extension}" in result["detail"]
    assert result["state"] == "error"


# A program run with ``python -m``; given a file, it first loads it as a module of the package.
FOREIGN = """
import importlib.util, json, sys
import fipscrypto
if len(sys.argv) > 1:
    spec = importlib.util.spec_from_file_location("fipscrypto.extra", sys.argv[1])
    sys.modules["fipscrypto.extra"] = extra = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extra)
result = {}
try:
    fipscrypto.activate()
except fipscrypto.SelfTestFailure as exc:
    result.update(failed=exc.test, detail=exc.detail)
result["state"] = fipscrypto.info().state.value
print(json.dumps(result))
"""


def test_a_module_of_the_package_loaded_from_elsewhere_fails_activation(
    tmp_path: Path, state_copy: StatePaths
) -> None:
    root = _wheel_layout(tmp_path / "site")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "program.py").write_text(FOREIGN)
    (tmp_path / "extra.py").write_text("VALUE = 1\n")

    def program(*args: str) -> dict[str, Any]:
        env = {"PYTHONPATH": f"{root}{os.pathsep}{tmp_path / 'app'}", "PYTHONSAFEPATH": "1"}
        done = subprocess.run(
            [sys.executable, "-m", "program", *args],
            capture_output=True,
            text=True,
            env=clean_env(FIPSCRYPTO_STATE_DIR=str(state_copy.root), **env),
            timeout=120,
            check=False,
        )
        assert done.stdout, done.stderr
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    assert program() == {"state": "operational"}  # its own __main__ is not a module of the package
    result = program(str(tmp_path / "extra.py"))
    assert result.get("failed") == "integrity", result
    assert f"does not seal: fipscrypto.extra ({tmp_path / 'extra.py'})" in result["detail"]
    assert result["state"] == "error"
