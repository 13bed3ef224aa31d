"""The meta-tests: every forced self-test failure stops every service; recovery; events; the CLI.

Each forced failure runs in a fresh process (activation happens once per process), with the tests
folder on PYTHONPATH so that the process can import ``service_calls``.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import service_calls

from fipscrypto import selftests
from fipscrypto.provider.state import StatePaths

from support import cli, fipscheck, run_json

TESTS_DIR = str(Path(__file__).parent)

# A test of the eager set fails activation; any other fails at the first use of a service its family
# unlocks: the entry points are called in turn until one raises it. Then every entry point must refuse.
POWER_ON = """
import json, fipscrypto
from fipscrypto.errors import SelfTestFailure
try:
    fipscrypto.activate()
    failed, at = None, None
except SelfTestFailure as exc:
    failed, at = exc.test, "activation"
import pytest
import service_calls
calls = service_calls.entry_points()
for name, call in calls.items():
    if failed is not None:
        break
    try:
        call()
    except SelfTestFailure as exc:
        failed, at = exc.test, name
    except Exception:
        pass  # e.g. a tag that does not verify: the call ran
info = fipscrypto.info()
print(json.dumps({
    "failed": failed, "at": at, "state": info.state.value, "error": info.error,
    "outcomes": service_calls.outcomes(calls),
}))
"""

# The operation that runs each conditional test, and the objects it needs.
TRIGGERS = {
    "pct-rsa": 'keys.generate_signing_key("rsa-pss", bits=2048)',
    "pct-ecdsa": 'keys.generate_signing_key("ecdsa-p256")',
    "pct-eddsa": 'keys.generate_signing_key("ed25519")',
    "pct-ml-dsa": 'keys.generate_signing_key("ml-dsa-44")',
    "pct-ecdh": 'keys.generate_agreement_key("ecdh-p256")',
    "pct-ffdh": 'keys.generate_agreement_key("ffdh", group="ffdhe2048")',
    "drbg-entropy-continuous": "rand.HmacDrbg()",
}

CONDITIONAL = """
import json, fipscrypto
from fipscrypto import _faults, keys, rand
from fipscrypto.errors import SelfTestFailure
import pytest
import service_calls
fipscrypto.activate()
made = service_calls.prepare()  # key objects made while the module serves
_faults.inject({name!r})
try:
    {trigger}
    failed = None
except SelfTestFailure as exc:
    failed = exc.test
info = fipscrypto.info()
calls = {{**service_calls.entry_points(), **service_calls.object_calls(made)}}
print(json.dumps({{
    "failed": failed, "state": info.state.value, "error": info.error,
    "outcomes": service_calls.outcomes(calls),
}}))
"""


def _forced(name: str, state_dir: Path) -> tuple[str, dict[str, Any]]:
    code = CONDITIONAL.format(name=name, trigger=TRIGGERS[name]) if name in TRIGGERS else POWER_ON
    env = {"FIPSCRYPTO_STATE_DIR": str(state_dir), "PYTHONPATH": TESTS_DIR, **service_calls.PQC_ON}
    if name not in TRIGGERS:
        env["FIPSCRYPTO_SELFTEST_FAIL"] = name
    return name, run_json(code, **env)


def test_every_entry_point_is_listed() -> None:
    import importlib

    public = {
        f"{name}.{symbol}"
        for name in service_calls.SERVICE_MODULES
        for symbol in importlib.import_module(f"fipscrypto.{name}").__all__
    }
    # Entry points on objects made before the error are in object_calls (made while the module served).
    made = {"tls.client_connection", "tls.server_connection"}
    assert set(service_calls.entry_points()) | made == public - set(service_calls.NOT_ENTRY_POINTS)
    assert set(service_calls.NOT_ENTRY_POINTS) <= public


def test_conditional_tests_are_all_triggered() -> None:
    assert set(TRIGGERS) == set(selftests.CONDITIONAL)


@pytest.mark.slow  # one fresh interpreter per forced failure (every registered and conditional test)
def test_every_forced_failure_stops_every_service(state_paths: StatePaths) -> None:
    names = [t.name for t in selftests.registered()] + list(selftests.CONDITIONAL)
    assert len(names) >= 30  # every family has its test
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(pool.map(lambda name: _forced(name, state_paths.root), names))
    eager = set(selftests.EAGER)
    assert {name for name, r in results.items() if r.get("at") == "activation"} == eager
    problems = {}
    for name, result in results.items():
        served = {call: outcome for call, outcome in result["outcomes"].items() if outcome != "refused"}
        if result["failed"] != name or result["state"] != "error" or name not in (result["error"] or ""):
            problems[name] = {k: result[k] for k in ("failed", "state", "error")}
        elif served:
            problems[name] = {"not refused": served}
    assert problems == {}
    assert all(len(r["outcomes"]) >= 60 for r in results.values())


def test_power_on_stops_at_the_first_failure_and_names_it(state_paths: StatePaths) -> None:
    first, last = selftests.registered()[0].name, selftests.registered()[-1].name
    result = run_json(
        """
import json, fipscrypto
from fipscrypto import selftests
try:
    fipscrypto.activate()
except fipscrypto.SelfTestFailure as exc:
    print(json.dumps({"test": exc.test, "run": [r.name for r in selftests.last_results()]}))
""",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
        FIPSCRYPTO_SELFTEST_FAIL=f"{last},{first}",
    )
    assert result == {"test": first, "run": [first]}


RECOVERY = """
import json, fipscrypto
from fipscrypto import _faults, aead, hashes, keys, rand, selftests
fipscrypto.activate()
events = []
selftests.subscribe(lambda e: events.append((e.kind, e.name)))
old = aead.AESGCM(b"k" * 32, nonces="counter")
old_key = keys.generate_signing_key("ecdsa-p256")
old_ccm = aead.AESCCM(b"k" * 16)
drbg_before = rand.random_bytes(8)
_faults.inject("sha2-512")  # a transient fault
first = [(r.name, r.passed) for r in selftests.run_all() if not r.passed]
state_after_failure = fipscrypto.info().state.value
def outcome(call):
    try:
        call()
        return "served"
    except fipscrypto.ModuleErrorState:
        return "refused"
refused = [outcome(lambda: hashes.digest("sha256", b"x")), outcome(lambda: rand.random_bytes(8))]
_faults.clear()
family_only = all(r.passed for r in selftests.run_all(family="SHA-2"))
state_after_family = fipscrypto.info().state.value
complete = all(r.passed for r in selftests.run_all())
print(json.dumps({
    "first": first, "state_after_failure": state_after_failure, "refused": refused,
    "family_only": family_only, "state_after_family": state_after_family,
    "complete": complete, "state": fipscrypto.info().state.value,
    "served": [outcome(lambda: hashes.digest("sha256", b"x")), outcome(lambda: rand.random_bytes(8)),
               outcome(lambda: aead.AESGCM(b"k" * 32).encrypt(b"m"))],
    "old_key": outcome(lambda: old.encrypt(b"m")),
    "old_objects": [outcome(lambda: old_key.private_bytes()), outcome(lambda: old_key.sign(b"m")),
                    outcome(lambda: old_ccm.encrypt(b"m"))],
    "fail_events": [e for e in events if e[0] == "fail"],
    "events_per_test": len(events) / max(1, len({n for _, n in events})),
}))
"""


def test_recovery_after_a_transient_failure(state_paths: StatePaths) -> None:
    result = run_json(RECOVERY, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert result["first"] == [["sha2-512", False]]
    assert result["state_after_failure"] == "error"
    assert result["refused"] == ["refused", "refused"]
    # A one-family run proves only that family: the module stays in ERROR.
    assert result["family_only"] is True
    assert result["state_after_family"] == "error"
    assert result["complete"] is True
    assert result["state"] == "operational"
    assert result["served"] == ["served", "served", "served"]
    assert result["old_key"] == "refused"  # key objects from before the error stay revoked
    assert result["old_objects"] == ["refused", "refused", "refused"]
    assert result["fail_events"] == [["fail", "sha2-512"]]


def test_events_reach_listeners_and_the_audit_log(state_paths: StatePaths) -> None:
    result = run_json(
        """
import json, fipscrypto
from fipscrypto import audit, selftests
fipscrypto.activate()
listened, audited = [], []
selftests.subscribe(lambda e: listened.append([e.kind, e.name, e.ms]))
audit.subscribe(lambda e: audited.append([e.kind, e.fields.get("test")]))
results = selftests.run_all()
print(json.dumps({"listened": listened, "audited": audited, "names": [r.name for r in results]}))
""",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
    )
    names = result["names"]
    assert [e[:2] for e in result["listened"]] == [[k, n] for n in names for k in ("start", "pass")]
    assert all(e[2] == 0 for e in result["listened"][0::2])  # start: no duration yet
    assert all(e[2] > 0 for e in result["listened"][1::2])
    selftest_events = [e for e in result["audited"] if e[0].startswith("selftest-")]
    assert selftest_events == [[f"selftest-{k}", n] for n in names for k in ("start", "pass")]


def test_concurrent_first_use_runs_the_power_on_tests_once(state_paths: StatePaths) -> None:
    result = run_json(
        """
import json, threading, fipscrypto
from fipscrypto import audit
starts, errors = [], []
audit.subscribe(lambda e: starts.append(e.fields["test"]) if e.kind == "selftest-start" else None)
from fipscrypto import hashes
barrier = threading.Barrier(16)
def worker():
    barrier.wait()
    try:
        hashes.digest("sha256", b"x")
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=worker) for _ in range(16)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"starts": starts, "errors": errors, "state": fipscrypto.info().state.value}))
""",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
    )
    assert result["errors"] == []
    assert result["state"] == "operational"
    # The eager tests at activation, then the hash families before the first digest: each once.
    hash_family = {t.name for t in selftests.registered() if "hashes.digest" in t.services}
    assert len(result["starts"]) == len(set(result["starts"]))
    assert set(result["starts"]) == set(selftests.EAGER) | hash_family


def test_cli_selftest_reports_and_records(own_state: StatePaths) -> None:
    ok = fipscheck("selftest", "--json", "--state-dir", str(own_state.root))
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    assert report["passed"] is True
    assert [r["name"] for r in report["results"]] == [t.name for t in selftests.registered()]
    assert {r["result"] for r in report["results"]} == {"pass"}

    failing = fipscheck("selftest", "--state-dir", str(own_state.root), FIPSCRYPTO_SELFTEST_FAIL="sha3-256")
    assert failing.returncode == 3
    row = next(line for line in failing.stdout.splitlines() if line.startswith("sha3-256 "))
    assert row.split()[1:3] == ["SHA-3", "fail"]
    assert "differs from the known answer" in row

    family = fipscheck("selftest", "--json", "--family", "sha-2", "--state-dir", str(own_state.root))
    assert {r["family"] for r in json.loads(family.stdout)["results"]} == {"SHA-2"}

    failing = fipscheck("selftest", "--state-dir", str(own_state.root), FIPSCRYPTO_SELFTEST_FAIL="sha3-256")
    status = fipscheck("status", "--json", "--state-dir", str(own_state.root))
    last = json.loads(status.stdout)["selftest_last_run"]
    assert (last["passed"], last["failed"]) == (False, ["sha3-256"])
    text = fipscheck("status", "--state-dir", str(own_state.root)).stdout
    assert "FAILED: sha3-256" in text


def test_cli_selftest_exits_3_when_the_folder_asked_for_does_not_activate(tmp_path: Path) -> None:
    # The tests may still run (on the default folder, which the first service activates), but the
    # module asked for was not proven.
    done = fipscheck("selftest", "--family", "sha-2", "--state-dir", str(tmp_path))
    assert done.returncode == 3
    assert f"activation: no FIPS provider is provisioned in {tmp_path}" in done.stdout


def test_cli_selftest_family_and_list(state_paths: StatePaths) -> None:
    # In this process: listing and refusing a family run no test.
    listing = cli("selftest", "--list")
    assert listing.returncode == 0
    assert len(listing.stdout.splitlines()) == len(selftests.registered())
    unknown = cli("selftest", "--family", "ROT13")
    assert unknown.returncode == 2
    assert "unknown family" in unknown.stderr


BOUNDARY_PROOF = """
import json
from fipscrypto import _backend, module
from fipscrypto.errors import SelfTestFailure
from fipscrypto.selftests import provider
module.boot("off")  # cryptography's own OpenSSL: the default provider, no fips=yes
def outcome():
    try:
        provider.fips_properties()
        return "passed"
    except SelfTestFailure as exc:
        return exc.detail
plain = outcome()
_backend.fips_enabled = lambda: True  # cryptography's flag says FIPS although the provider is not there
lying_flag = outcome()
print(json.dumps({"plain": plain, "lying_flag": lying_flag}))
"""


def test_the_boundary_proof_fails_on_a_process_without_fips_properties() -> None:
    # The real failure paths of provider-fips-properties, on an OpenSSL that serves MD5: its flag
    # check, and (when the flag lies, as it does when the provider failed to load) the MD5 request.
    result = run_json(BOUNDARY_PROOF, FIPSCRYPTO_MODE="off")
    assert result["plain"] == "default_properties lack fips=yes"
    assert result["lying_flag"] == "an MD5 request (must be refused) differs from the known answer"
