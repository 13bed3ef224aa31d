"""One enforcement path: services, TLS endpoints and user code all ask ``fipscrypto.enforce.require``.

The policy package is data and evaluation only (it reads no module state); the decision (the gate,
the mode, exemptions, the indicator and the audit trail) is made in one function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from fipscrypto import audit, enforce, indicator, policy, tls
from fipscrypto.errors import InvalidParameter, PolicyViolation
from fipscrypto.policy import Direction, Status
from fipscrypto.provider.state import StatePaths

from support import run_json

ROOT = Path(__file__).resolve().parents[1]
WIDE = """
[policy]
name = "wide"
title = "Wider than the active policy"
status = "final"
extends = "fips-140-3"

[[rule]]
category = "cipher"
names = ["chacha20-poly1305"]
apply = "acceptable"
process = "acceptable"
cite = "sp800-131a-r2"
section = "Table 1"
justification = "a test policy wider than the active one"
"""


def test_an_allowed_use_is_approved() -> None:
    assert enforce.require("test.enforce", "cipher", "aes-256-gcm") is True
    assert enforce.require("test.enforce", "cipher", "3des-cbc", direction="process") is True  # legacy-use


def test_strict_mode_refuses_with_the_verdict_and_an_audit_event(events: list[audit.Event]) -> None:
    with pytest.raises(PolicyViolation) as caught:
        enforce.require("test.enforce", "cipher", "chacha20-poly1305")
    verdict = caught.value.verdict
    assert isinstance(verdict, policy.Verdict)
    assert verdict.status is Status.DISALLOWED
    assert "chacha20-poly1305" in str(caught.value)
    last = indicator.last()
    assert last is not None
    assert (last.service, last.approved) == ("test.enforce", False)
    refused = [e for e in events if e.kind == "policy-violation"]
    assert refused
    assert refused[-1].fields["service"] == "test.enforce"
    assert refused[-1].fields["policy"] == verdict.policy


def test_an_exemption_lets_one_use_through_audited(events: list[audit.Event]) -> None:
    with indicator.exempt(reason="interop with a legacy peer"):
        assert enforce.require("test.enforce", "cipher", "chacha20-poly1305") is False
    used = [e for e in events if e.kind == "non-approved-use"]
    assert used[-1].fields["exemption"] == "interop with a legacy peer"


def test_an_endpoint_policy_narrows_and_cannot_widen() -> None:
    narrow = policy.select("cnsa-2.0")
    assert enforce.require("test.enforce", "cipher", "aes-128-gcm") is True
    with pytest.raises(PolicyViolation) as caught:
        enforce.require("test.enforce", "cipher", "aes-128-gcm", policy=narrow)
    assert caught.value.verdict.policy == "cnsa-2.0"
    # A policy that allows what the active one refuses changes nothing.
    wide = policy.loads(WIDE)
    with pytest.raises(PolicyViolation):
        enforce.require("test.enforce", "cipher", "chacha20-poly1305", policy=wide)
    assert enforce.verdict("cipher", "aes-128-gcm", policy=narrow).allowed is False
    assert tls.PolicyRef("cnsa-2.0").refusal("cipher", "aes-128-gcm") is not None


@pytest.mark.parametrize(
    "arguments",
    [
        {"direction": "sideways"},
        {"direction": None},
        {"bits": -1},
        {"bits": "128"},
        {"bits": True},
        {"params": {"iterations": []}},
        {"params": 3},
    ],
)
def test_a_malformed_question_is_an_invalid_parameter(arguments: dict[str, object]) -> None:
    with pytest.raises(InvalidParameter):
        enforce.require("test.enforce", "cipher", "aes-256-gcm", **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("category", "name"), [(["cipher"], "aes-256-gcm"), ("cipher", None), ("cipher", {})]
)
def test_a_question_in_the_wrong_types_is_an_invalid_parameter(category: object, name: object) -> None:
    with pytest.raises(InvalidParameter):
        enforce.require("test.enforce", category, name)  # type: ignore[arg-type]


def test_audit_mode_allows_records_and_audits(state_paths: StatePaths) -> None:
    result = run_json(
        """
import json, fipscrypto
from fipscrypto import audit, enforce, indicator
seen = []
audit.subscribe(seen.append)
fipscrypto.activate("audit")
allowed = enforce.require("app.export", "cipher", "chacha20-poly1305")
events = [e.kind for e in seen if e.kind in ("non-approved-use", "policy-violation")]
print(json.dumps({"approved": allowed, "events": events, "mode": seen[-1].fields.get("mode")}))
""",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
    )
    assert result == {"approved": False, "events": ["non-approved-use"], "mode": "audit"}


def test_policy_verdicts_read_no_module_state() -> None:
    """The policy package imports nothing of the module, the services or the indicator."""
    forbidden = {"module", "_service", "indicator", "audit", "enforce", "_backend", "provider"}
    for path in (ROOT / "fipscrypto" / "policy").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:
                named = {(node.module or "").split(".")[0]} | {a.name for a in node.names if not node.module}
                assert not named & forbidden, f"{path.name} imports {named & forbidden}"
    assert policy.check("cipher", "chacha20-poly1305", direction=Direction.APPLY).allowed is False


def test_only_the_enforcement_path_decides() -> None:
    """A verdict becomes a refusal in one place: no other module raises PolicyViolation from a verdict
    or reads a verdict's ``allowed`` to decide, and nothing calls the policy's evaluation directly
    except the enforcement module and the policy's own reports."""
    deciders = set()
    for folder in ("fipscrypto", "selftests", "pqc", "cli"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.parent.name == "policy" or path.name in {"enforce.py", "errors.py"}:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "PolicyViolation"
                    and len(node.args) > 1
                ):
                    deciders.add(str(path.relative_to(ROOT)))
                if (
                    isinstance(node, ast.ImportFrom)
                    and (node.module or "").endswith("policy")
                    and any(a.name == "check" for a in node.names)
                ):
                    deciders.add(str(path.relative_to(ROOT)))
    # The CLI's explain/verdict commands report verdicts; they decide nothing.
    assert {d for d in deciders if not d.startswith("cli/")} == set()


def test_the_verdict_cache_is_bounded() -> None:
    for bits in range(enforce._MAX_VERDICTS + 10):
        enforce.verdict("mac", "hmac-sha256", bits=bits)
    assert len(enforce._verdicts) <= enforce._MAX_VERDICTS
