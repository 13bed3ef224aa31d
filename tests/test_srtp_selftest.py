"""The SRTP transform self-tests (selftests/srtp.py): embedded values equal the vector files, they
pass on the real provider, fail through their normal path when their fault is injected, and run
before the first SRTP session is made."""

from __future__ import annotations

import json
from typing import Any

import pytest
from selftestlib import fails_under_its_fault

from fipscrypto import selftests
from fipscrypto.provider.state import StatePaths
from fipscrypto.selftests import srtp as kats

from support import run_json
from vectorlib import VECTORS

NAMES = ("srtp-aes-gcm", "srtp-aes-cm-hmac-sha1")


def _file(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / "rfc" / f"{name}.json").read_text())
    return data


def test_embedded_values_equal_the_vector_files() -> None:
    gcm = _file("rfc7714-sections16-17")
    case = next(v for v in gcm["vectors"] if v["suite"] == "AEAD_AES_128_GCM")
    assert kats._GCM_KEY.hex() == case["key"]
    assert kats._GCM_SALT.hex() == gcm["salt"]
    assert kats._GCM_RTP.hex() == gcm["rtp_plain"]
    assert kats._GCM_RTCP.hex() == gcm["rtcp_plain"]
    assert kats._GCM_SRTP.hex() == case["rtp_protected"]
    assert kats._GCM_SRTCP.hex() == case["rtcp_protected"]
    cm = _file("rfc3711-appendix-b")["aes_cm_keystream"][0]
    assert kats._CM_KEY.hex().upper() == cm["session_key"]
    assert (kats._CM_SALT + bytes(2)).hex().upper() == cm["session_salt_shifted"]
    assert kats._CM_KEYSTREAM.hex().upper() == "".join(b["keystream"] for b in cm["blocks"][:3])


@pytest.mark.parametrize("name", NAMES)
def test_registered_passes_and_fails_when_its_fault_is_injected(name: str) -> None:
    (test,) = [t for t in selftests.registered() if t.name == name]
    assert test.family == "SRTP"
    assert test.services == ("srtp.SRTPSession",)
    fails_under_its_fault(name)


def test_the_first_session_runs_them_and_a_failure_latches_error(state_paths: StatePaths) -> None:
    result = run_json(
        """
import json, fipscrypto
fipscrypto.activate()
from fipscrypto.srtp import Profile, SRTPSession
try:
    SRTPSession(Profile.AEAD_AES_128_GCM, bytes(16), bytes(12))
    failed = None
except fipscrypto.SelfTestFailure as exc:
    failed = exc.test
print(json.dumps({"failed": failed, "state": fipscrypto.info().state.value}))
""",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
        FIPSCRYPTO_SELFTEST_FAIL="srtp-aes-cm-hmac-sha1",
    )
    assert result == {"failed": "srtp-aes-cm-hmac-sha1", "state": "error"}
