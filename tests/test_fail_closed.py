"""Security decisions come before anything that can fail: an audit sink that raises (a full disk) never
leaves the module serving after a failed self-test, and never turns a refusal into something else.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fipscrypto.provider.state import StatePaths

from support import run_json

# A sink that fails exactly when a failure is reported (the worst moment), or on every event.
CASE = """
import json, fipscrypto
from fipscrypto import _faults, audit
from fipscrypto.errors import AuditError
def full_disk(event):
    if {every} or event.kind in ("selftest-fail", "selftest-failure", "policy-violation", "non-approved-use"):
        raise OSError(28, "No space left on device")
if {early}:
    audit.subscribe(full_disk)
try:
    fipscrypto.activate()
    activation = None
except Exception as exc:
    activation = type(exc).__name__
from fipscrypto import hashes, keys, rand
if not {early}:
    audit.subscribe(full_disk)
_faults.inject({fault!r})
try:
    {trigger}
    raised = None
except Exception as exc:
    raised = type(exc).__name__
    context = type(exc.__context__).__name__ if exc.__context__ else None
def served():
    try:
        hashes.digest("sha256", b"x")
        return "served"
    except fipscrypto.ModuleErrorState:
        return "refused"
print(json.dumps({{"activation": activation, "raised": raised, "state": fipscrypto.info().state.value,
                  "sha256": served()}}))
"""

PATHS = {
    # name: (fault, trigger, subscribed before activation)
    "power-on": ("", "pass", True),
    "first-use": ("sha3-256", 'hashes.digest("sha3-256", b"x")', False),
    "pct": ("pct-ecdsa", 'keys.generate_signing_key("ecdsa-p256")', False),
    "drbg": ("drbg-entropy-continuous", "rand.HmacDrbg()", False),
}


@pytest.mark.parametrize("path", list(PATHS))
def test_a_failing_audit_sink_cannot_keep_a_failed_module_serving(state_paths: StatePaths, path: str) -> None:
    fault, trigger, early = PATHS[path]
    env = {"FIPSCRYPTO_STATE_DIR": str(state_paths.root)}
    if path == "power-on":
        env["FIPSCRYPTO_SELFTEST_FAIL"] = "provider-sha2-256"
    code = CASE.format(every=False, early=early, fault=fault, trigger=trigger)
    result = run_json(code, **env)
    assert result["state"] == "error"
    assert result["sha256"] == "refused"
    if path == "power-on":
        assert result["activation"] == "SelfTestFailure"
    else:
        assert (result["activation"], result["raised"]) == (None, "SelfTestFailure")


def test_a_sink_that_always_fails_stops_activation(state_paths: StatePaths) -> None:
    # Nothing can be audited, so nothing runs: activation ends in ERROR with the sink's failure.
    code = CASE.format(every=True, early=True, fault="", trigger="pass")
    result = run_json(code, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert (result["activation"], result["state"], result["sha256"]) == ("AuditError", "error", "refused")


REFUSAL = """
import json, fipscrypto
from fipscrypto import audit
fipscrypto.activate()
from fipscrypto import hashes
hashes.digest("sha256", b"x")  # the family's self-tests ran (their events are audited before the sink)
def full_disk(event):
    raise OSError(28, "No space left on device")
audit.subscribe(full_disk)
try:
    hashes.digest("md5", b"x")
    print(json.dumps({"raised": None}))
except Exception as exc:
    cause = exc.__cause__ or exc.__context__
    print(json.dumps({"raised": type(exc).__name__, "context": type(cause).__name__}))
"""


def test_a_failing_sink_does_not_replace_a_refusal(state_paths: StatePaths) -> None:
    strict = run_json(REFUSAL, FIPSCRYPTO_STATE_DIR=str(state_paths.root), FIPSCRYPTO_MODE="strict")
    assert strict == {"raised": "PolicyViolation", "context": "AuditError"}
    # Audit mode allows a non-approved use only once it is recorded: an unrecorded use does not run.
    audit_mode = run_json(REFUSAL, FIPSCRYPTO_STATE_DIR=str(state_paths.root), FIPSCRYPTO_MODE="audit")
    assert audit_mode == {"raised": "AuditError", "context": "OSError"}


PREMATURE = """
import json
import cryptography.hazmat.bindings._rust  # loaded before fipscrypto, without the provider
import fipscrypto
try:
    fipscrypto.activate()
    raised = None
except Exception as exc:
    raised = type(exc).__name__
print(json.dumps({"raised": raised, "state": fipscrypto.info().state.value}))
"""


@pytest.mark.parametrize("mode", ["strict", "audit"])
def test_cryptography_imported_first_without_a_provisioned_folder(tmp_path: Path, mode: str) -> None:
    result = run_json(PREMATURE, FIPSCRYPTO_STATE_DIR=str(tmp_path), FIPSCRYPTO_MODE=mode)
    assert result == {"raised": "ProviderUnavailable", "state": "error"}
