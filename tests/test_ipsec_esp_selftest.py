"""The ESP transform self-tests (selftests/ipsec.py): embedded values equal the vector files, they pass
on the real provider, fail through their normal path when their fault is injected, and run before
the first SA is made."""

from __future__ import annotations

import json
from typing import Any

import pytest
from selftestlib import fails_under_its_fault

from fipscrypto import selftests
from fipscrypto.provider.state import StatePaths
from fipscrypto.selftests import ipsec as kats

from support import run_json
from vectorlib import VECTORS

NAMES = ("esp-aes-gcm", "esp-aes-gmac", "esp-aes-cbc-hmac-sha2")


def _file(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / "rfc" / f"{name}.json").read_text())
    return data


def test_embedded_values_equal_the_vector_files() -> None:
    cases = {v["name"]: v for v in _file("draft-mcgrew-gcm-test-01-esp")["vectors"]}
    gcm, gmac = cases["p13"], cases["p18_gmac"]
    assert kats._GCM_KEY.hex() == gcm["key"] + gcm["salt"]
    assert kats._GCM_HEAD.hex() == gcm["spi"] + gcm["seq_lo"]
    assert kats._GCM_HIGH.hex() == gcm["seq_hi"]
    assert kats._GCM_IV.hex() == gcm["iv"]
    assert kats._GCM_PLAIN.hex() == gcm["plaintext"]
    assert kats._GCM_SEALED.hex() == gcm["ciphertext"] + gcm["icv"]
    assert kats._GMAC_KEY.hex() == gmac["key"] + gmac["salt"]
    assert (kats._GMAC_HEAD + kats._GMAC_IV + kats._GMAC_PLAIN).hex() == gmac["aad"]
    assert kats._GMAC_HEAD.hex() == gmac["spi"] + gmac["seq"]
    assert kats._GMAC_ICV.hex() == gmac["icv"]
    rfc = _file("rfc3602-rfc4868-esp")
    cbc, mac = rfc["aes_cbc"], rfc["hmac_sha256_128"]
    assert (kats._CBC_KEY.hex(), kats._CBC_IV.hex()) == (cbc["key"], cbc["iv"])
    assert (kats._CBC_PLAIN.hex(), kats._CBC_CIPHER.hex()) == (cbc["plaintext"], cbc["ciphertext"])
    assert (kats._HMAC_KEY.hex(), kats._HMAC_DATA.hex()) == (mac["key"], mac["data"])
    assert kats._HMAC_ICV.hex() == mac["hmac_sha256_128"] == mac["prf_hmac_sha256"][:32]


@pytest.mark.parametrize("name", NAMES)
def test_registered_passes_and_fails_when_its_fault_is_injected(name: str) -> None:
    (test,) = [t for t in selftests.registered() if t.name == name]
    assert test.family == "ESP"
    assert test.services == ("ipsec.SecurityAssociation",)
    fails_under_its_fault(name)


@pytest.mark.parametrize("name", NAMES)
def test_the_first_sa_runs_them_and_a_failure_latches_error(state_paths: StatePaths, name: str) -> None:
    result = run_json(
        """
import json, fipscrypto
fipscrypto.activate()
from fipscrypto.ipsec import SecurityAssociation
try:
    SecurityAssociation(0x1000, bytes(36))
    failed = None
except fipscrypto.SelfTestFailure as exc:
    failed = exc.test
print(json.dumps({"failed": failed, "state": fipscrypto.info().state.value}))
""",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
        FIPSCRYPTO_SELFTEST_FAIL=name,
    )
    assert result == {"failed": name, "state": "error"}
