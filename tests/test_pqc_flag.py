"""The post-quantum module's switch: off by default, on by environment, activation or policy; off,
every entry point raises FeatureDisabled saying how to turn it on; importing never imports ``oqs``."""

from __future__ import annotations

from pathlib import Path

import pytest

from fipscrypto import pqc
from fipscrypto.errors import FeatureDisabled, InvalidParameter
from fipscrypto.provider.state import StatePaths

from support import run_json

ENTRY_POINTS = {
    "MLKEM": lambda: pqc.MLKEM("ML-KEM-768"),
    "MLKEM(liboqs)": lambda: pqc.MLKEM("ML-KEM-512", backend="liboqs"),
}


@pytest.fixture
def pqc_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIPSCRYPTO_PQC", raising=False)


@pytest.mark.usefixtures("pqc_off")
@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_off_by_default_every_entry_point_says_how_to_turn_it_on(entry: str) -> None:
    assert pqc.enabled() is False
    with pytest.raises(FeatureDisabled) as raised:
        ENTRY_POINTS[entry]()
    message = str(raised.value)
    assert "FIPSCRYPTO_PQC=1" in message
    assert "activate(pqc=True)" in message
    assert '"feature", name "pqc"' in message


@pytest.mark.usefixtures("pqc_off")
def test_the_switch_is_read_when_an_object_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    """Turning the environment switch off stops new objects; one made while it was on keeps its keys
    usable (a connection in progress is not cut)."""
    monkeypatch.setenv("FIPSCRYPTO_PQC", "1")
    kem = pqc.MLKEM("ML-KEM-768")
    public, private = kem.generate_keypair()
    monkeypatch.delenv("FIPSCRYPTO_PQC")
    ciphertext, secret = kem.encapsulate(public)
    assert kem.decapsulate(private, ciphertext) == secret
    with pytest.raises(FeatureDisabled):
        pqc.MLKEM("ML-KEM-768")


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_the_environment_turns_it_on(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("FIPSCRYPTO_PQC", value)
    assert pqc.enabled() is True


@pytest.mark.parametrize("value", ["0", "", "off", "2"])
def test_other_values_leave_it_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("FIPSCRYPTO_PQC", value)
    assert pqc.enabled() is False


ACTIVATED = """
import json, sys, fipscrypto
from fipscrypto import pqc
before = pqc.enabled()
fipscrypto.activate(pqc=True)
kem = pqc.MLKEM("ML-KEM-1024")
public, private = kem.generate_keypair()
try:
    fipscrypto.activate(pqc="yes")
    bad = None
except fipscrypto.errors.InvalidParameter as exc:
    bad = str(exc)
print(json.dumps({"before": before, "after": pqc.enabled(), "public": len(public), "bad": bad,
                  "oqs": "oqs" in sys.modules}))
"""


def test_activate_turns_it_on_for_the_process(state_paths: StatePaths) -> None:
    result = run_json(ACTIVATED, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert result["before"] is False
    assert result["after"] is True
    assert result["public"] == 1568
    assert "takes True or False" in result["bad"]
    assert result["oqs"] is False


POLICY = """
[policy]
name = "pqc-on"
extends = "fips-140-3-hardened"
title = "fips-140-3-hardened with the post-quantum module on"
status = "final"

[citations.local]
document = "Local decision"
url = "https://example.org/pqc"

[[rule]]
category = "feature"
names = ["pqc"]
apply = "acceptable"
process = "acceptable"
cite = "local"
section = "post-quantum rollout"
justification = "hybrid key exchange against harvest-now-decrypt-later"
"""

BY_POLICY = """
import json, fipscrypto
from fipscrypto import pqc
fipscrypto.activate()
kem = pqc.MLKEM("ML-KEM-768")
print(json.dumps({"enabled": pqc.enabled(), "public": len(kem.generate_keypair()[0])}))
"""


def test_a_policy_turns_it_on(state_paths: StatePaths, tmp_path: Path) -> None:
    policy = tmp_path / "pqc-on.toml"
    policy.write_text(POLICY)
    result = run_json(
        BY_POLICY,
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
        FIPSCRYPTO_POLICY=str(policy),
    )
    assert result == {"enabled": True, "public": 1184}


def test_the_built_in_profiles_leave_it_off() -> None:
    from fipscrypto.policy.loader import builtin, builtin_names

    for name in builtin_names():
        assert not builtin(name).check("feature", "pqc").allowed, name


IMPORTS = """
import json, sys
import fipscrypto, fipscrypto.pqc
from fipscrypto import pqc
fipscrypto.activate(pqc=True)
records = [b.as_dict() for b in pqc.backends()]
kem = pqc.MLKEM("ML-KEM-768")
kem.encapsulate(kem.generate_keypair()[0])
print(json.dumps({"oqs": sorted(m for m in sys.modules if m == "oqs" or m.startswith("oqs.")),
                  "backends": [r["name"] for r in records]}))
"""


def test_importing_and_using_the_openssl_backend_never_imports_oqs(state_paths: StatePaths) -> None:
    result = run_json(IMPORTS, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert result == {"oqs": [], "backends": ["openssl", "liboqs"]}


def test_wrong_arguments_are_typed_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIPSCRYPTO_PQC", "1")
    for args in (("ML-KEM-769",), ("ml-kem-768",), (768,), ("ML-KEM-768", "botan"), ("ML-KEM-768", None)):
        with pytest.raises(InvalidParameter):
            pqc.MLKEM(*args)  # type: ignore[arg-type]
