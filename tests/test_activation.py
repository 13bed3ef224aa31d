"""Activation in fresh interpreters: the cases that can only happen once per process."""

from __future__ import annotations

from pathlib import Path

from fipscrypto.provider.state import StatePaths

from support import run_json, run_python

REPORT = """
import json, sys, fipscrypto
from fipscrypto import module
def report(**extra):
    info = module.info()
    print(json.dumps({"state": info.state.value, "mode": info.mode and info.mode.value,
                      "error": info.error, "bindings": info.bindings,
                      "crypto_imported": "cryptography.hazmat.bindings._rust" in sys.modules, **extra}))
"""


def test_environment_is_restored_and_user_values_kept(state_paths: StatePaths) -> None:
    result = run_json(
        REPORT
        + """
import os
fipscrypto.activate()
import hashlib, _hashlib
report(conf=os.environ.get("OPENSSL_CONF"), modules=os.environ.get("OPENSSL_MODULES"),
       nolegacy=os.environ.get("CRYPTOGRAPHY_OPENSSL_NO_LEGACY"),
       md5=hashlib.md5(b"").hexdigest(), system_fips=_hashlib.get_fips_mode())
""",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
        OPENSSL_CONF="/etc/ssl/openssl.cnf",
    )
    assert result["state"] == "operational"
    assert result["conf"] == "/etc/ssl/openssl.cnf"  # the user's own value, restored
    assert result["modules"] is None
    assert result["nolegacy"] is None
    assert result["md5"] == "d41d8cd98f00b204e9800998ecf8427e"
    assert result["system_fips"] == 0


def test_premature_cryptography_import_is_refused(state_paths: StatePaths) -> None:
    result = run_json(
        REPORT
        + """
from cryptography.hazmat.primitives import hashes  # before fipscrypto: no FIPS provider
try:
    fipscrypto.activate()
except fipscrypto.ProviderUnavailable as exc:
    caught = (type(exc).__name__, exc.remedy)
try:
    fipscrypto.gate()
except fipscrypto.ModuleErrorState as exc:
    gate = str(exc)
report(caught=caught, gate=gate)
""",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
    )
    assert result["caught"][0] == "ProviderUnavailable"
    assert "fipscheck run" in result["caught"][1]
    assert "fipscrypto.activate()" in result["caught"][1]
    assert result["state"] == "error"
    assert "imported before fipscrypto" in result["gate"]


def test_missing_provider_leaves_power_on_and_cryptography_unloaded(tmp_path: Path) -> None:
    result = run_json(
        REPORT
        + """
try:
    fipscrypto.activate()
except fipscrypto.ProviderUnavailable as exc:
    caught = [type(exc).__name__, exc.message, exc.remedy]
report(caught=caught)
""",
        FIPSCRYPTO_STATE_DIR=str(tmp_path / "empty"),
    )
    assert result["caught"][0] == "ProviderUnavailable"
    assert "no FIPS provider is provisioned" in result["caught"][1]
    assert "fipscheck provider install" in result["caught"][2]
    assert result["state"] == "power-on"  # nothing was loaded: provisioning then retrying works
    assert result["crypto_imported"] is False


def test_service_gate_activates_on_first_use(state_paths: StatePaths) -> None:
    result = run_json(
        REPORT + "fipscrypto.gate()\nreport()",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
        FIPSCRYPTO_MODE="audit",
    )
    assert (result["state"], result["mode"], result["bindings"]) == ("operational", "audit", "fipscrypto")


def test_importing_fipscrypto_has_no_side_effects() -> None:
    result = run_json(REPORT + "report()")
    assert (result["state"], result["crypto_imported"]) == ("power-on", False)


def test_off_mode_is_loud_and_has_no_provider() -> None:
    result = run_json(
        REPORT
        + """
import warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    fipscrypto.activate()
from fipscrypto import _backend, hashes, indicator
from fipscrypto._backend import hashes as backend_hashes
sha256 = hashes.digest("sha256", b"").hex()
report(warnings=[(w.category.__name__, str(w.message)) for w in caught],
       fips=_backend.fips_enabled(), md5=backend_hashes.digest("md5", b"").hex(),
       sha256_approved=indicator.last().approved)
""",
        FIPSCRYPTO_MODE="off",
    )
    # Services run, none is approved: there is no provider (an approved algorithm is not enough).
    assert result["state"] == "non-approved"
    assert result["sha256_approved"] is False
    assert result["bindings"] == "plain"
    assert result["fips"] is False
    assert result["md5"] == "d41d8cd98f00b204e9800998ecf8427e"
    assert result["warnings"][0][0] == "ModeOffWarning"
    assert "FIPS mode OFF" in result["warnings"][0][1]


def test_concurrent_first_use_runs_self_tests_once(state_paths: StatePaths) -> None:
    result = run_json(
        REPORT
        + """
import threading
from fipscrypto import selftests
runs = []
# Not in the eager set: it runs at the first use of the service it unlocks.
count = selftests.register("count-runs", "test", services=("hashes.digest",))
count(lambda: runs.append(threading.get_ident()))
barrier = threading.Barrier(16)
errors = []
def worker():
    barrier.wait()
    try:
        fipscrypto.gate()  # the first of these activates (eager tests)
        from fipscrypto import hashes
        hashes.digest("sha256", b"x")  # the first of these runs the lazy tests of the family
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=worker) for _ in range(16)]
for t in threads: t.start()
for t in threads: t.join()
report(runs=len(runs), errors=errors)
""",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
    )
    assert result["errors"] == []
    assert result["runs"] == 1
    assert result["state"] == "operational"


def test_unknown_mode_in_environment_refuses() -> None:
    done = run_python("import fipscrypto; fipscrypto.activate()", FIPSCRYPTO_MODE="permissive")
    assert done.returncode != 0
    assert "unknown fipscrypto mode 'permissive'" in done.stderr


def test_warm_activation_does_not_parse_the_policy(state_paths: StatePaths) -> None:
    listing = "[m for m in sys.modules if m.startswith('fipscrypto.policy.') or m == 'tomllib']"
    code = REPORT + f"fipscrypto.activate()\nreport(loaded={listing})"
    run_json(code, FIPSCRYPTO_STATE_DIR=str(state_paths.root))  # fills the cache if needed
    result = run_json(code, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert result["state"] == "operational"
    # The cache and the policy's sources are read (with the size limit); nothing is parsed.
    assert sorted(result["loaded"]) == ["fipscrypto.policy.runtime", "fipscrypto.policy.source"]


def test_importing_the_cli_does_not_boot_the_module() -> None:
    # fipscheck must be able to report "no provider" and run "provider install": nothing it imports
    # at start-up may load the backend (which boots the module and imports cryptography).
    result = run_json(REPORT + "import fipscrypto.cli.main\nreport()")
    assert (result["state"], result["crypto_imported"]) == ("power-on", False)


def test_activation_imports_no_provisioning_code(state_paths: StatePaths) -> None:
    names = ("subprocess", "shutil", "tempfile", "importlib.resources")
    code = REPORT + f"fipscrypto.activate()\nreport(loaded=[m for m in {names!r} if m in sys.modules])"
    result = run_json(code, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert (result["state"], result["loaded"]) == ("operational", [])


def test_activation_imports_none_of_the_costly_stdlib_modules(state_paths: StatePaths) -> None:
    # dataclasses (with inspect), logging, hashlib and hmac (_hashlib loads the system libcrypto) and
    # datetime cost activation about 25 ms together; nothing on its path needs them.
    names = ("dataclasses", "inspect", "logging", "hashlib", "_hashlib", "hmac", "datetime", "textwrap")
    code = REPORT + f"fipscrypto.activate()\nreport(loaded=[m for m in {names!r} if m in sys.modules])"
    result = run_json(code, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert (result["state"], result["loaded"]) == ("operational", [])


def test_activation_logs_to_a_configured_logger(state_paths: StatePaths) -> None:
    code = (
        REPORT
        + """
import io, logging
stream = io.StringIO()
logging.basicConfig(level=logging.INFO, stream=stream, format="%(name)s %(levelname)s %(message)s")
fipscrypto.activate()
report(log=stream.getvalue().splitlines())
"""
    )
    result = run_json(code, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert "fipscrypto INFO fipscrypto operational (mode=strict, bindings=fipscrypto)" in result["log"]
    audit = [line for line in result["log"] if line.startswith("fipscrypto.audit INFO {")]
    assert any('"kind": "selftest-pass"' in line and '"test": "integrity"' in line for line in audit)


def test_a_warning_reaches_stderr_when_logging_was_never_configured() -> None:
    done = run_python("import fipscrypto; fipscrypto.activate()", FIPSCRYPTO_MODE="off")
    assert done.returncode == 0, done.stderr
    # logging's last-resort handler (the ModeOffWarning says "development use only" differently)
    assert "FIPS mode OFF: no FIPS provider is loaded (development use only)" in done.stderr


def test_the_runtime_configuration_falls_back_to_the_temporary_directory(tmp_path: Path) -> None:
    import os
    import tempfile

    from fipscrypto.provider.config import write_runtime_config

    not_a_folder = tmp_path / "state"
    not_a_folder.write_text("")  # <state>/runtime cannot be made
    written = write_runtime_config(StatePaths.resolve(not_a_folder), "[fips_sect]\n", "")
    assert written.parent == Path(tempfile.gettempdir()) / f"fipscrypto-{os.getuid()}"
    assert "[fips_sect]\n" in written.read_text()
