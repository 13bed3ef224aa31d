"""The asymmetric and post-quantum power-on self-tests (selftests/keys.py).

Every constant the self-tests embed is checked here against the vector file it names (tests/vectors,
SOURCES.md); each self-test passes on the real provider, fails under fault injection, and fails when
the answer it is given is wrong.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from selftestlib import fails_under_its_fault

from fipscrypto import _faults, selftests
from fipscrypto._backend import keys as backend
from fipscrypto.errors import SelfTestFailure
from fipscrypto.selftests import keys as cast

from vectorlib import VECTORS, acvp_groups, blocks

# pytest resets warning filters around each test, dropping the module-level filter with which
# fipscrypto._backend.keys silences cryptography's FFDH deprecation warning (see tests/test_keys.py).
pytestmark = pytest.mark.filterwarnings("ignore:Diffie-Hellman over finite fields")

# name -> (family, services), as the issue fixes them.
SIGNATURES = ("keys.generate", "keys.sign", "keys.verify")
EXPECTED = {
    "ecdsa-p256-sha256": ("ECDSA", SIGNATURES),
    "rsa-pss-sha256": ("RSA", SIGNATURES),
    "ed25519": ("EdDSA", SIGNATURES),
    "ed448": ("EdDSA", SIGNATURES),
    "ecdh-p256": ("ECDH", ("keys.agree",)),
    "ffdh-2048": ("FFDH", ("keys.agree",)),
    "ml-dsa-65": ("ML-DSA", (*SIGNATURES, "keys.import")),
    "ml-kem-768": ("ML-KEM", ("pqc.kem",)),
}

# SHA-256 of the files this module's self-tests draw on, as tests/vectors/SOURCES.md records them.
COPIES = {
    "cavp/ecdh/KAS_ECC_CDH_PrimitiveTest.txt": (
        "34da6a8d2b3a34c529f6bd74a03f01673af3b79da54727d1c00a7eb021afe5be"
    ),
    "pyca/RSA/FIPS_186-2/SigVerPSS_186-3.rsp": (
        "b5e040ac5de9489902cacd6395a804182cc28d46de6fe9e2795e4d20e1959aa7"
    ),
    "pyca/Ed25519/sign.input": "8db1fea94f4e78958aac6e839b483cdd79096d1fe478285f15164f9e58361baf",
    "pyca/Ed448/rfc8032.txt": "9ef972f811101a4a5a7d7b48533433bfa2628b821b1985a675bce70967f7eee2",
    "acvp/ML-KEM-keyGen-FIPS203/internalProjection.json": (
        "d7a62a2c3476957f56dd8d24f9004ea6776ccfe995ffe71a65bb9506dc9c7b1b"
    ),
    "wycheproof/mlkem_768_test.json": "c59c067ae794c343df575dd90f6f7458f51881b11a22d6e9d8677c8d9ee21e90",
}


@pytest.fixture
def no_faults() -> Iterator[None]:
    _faults.clear()
    yield
    _faults.clear()


def _h(value: int, size: int) -> str:
    return value.to_bytes(size, "big").hex()


def _acvp_case(folder: str, tc_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    (found,) = [(g, t) for g in acvp_groups(folder) for t in g["tests"] if t["tcId"] == tc_id]
    return found


# --------------------------------------------------------------------- embedded constants = the files


def test_copied_files_are_the_recorded_ones() -> None:
    for name, digest in COPIES.items():
        assert hashlib.sha256((VECTORS / name).read_bytes()).hexdigest() == digest, name


def test_ecdsa_constants_equal_the_sigver_file() -> None:
    group, good = _acvp_case("ECDSA-SigVer-FIPS186-5", 54)
    assert (group["tgId"], group["curve"], group["hashAlg"]) == (8, "P-256", "SHA2-256")
    assert good["testPassed"] is True
    assert cast._ECDSA_MSG.hex() == good["message"].lower()
    assert (_h(cast._ECDSA_QX, 32), _h(cast._ECDSA_QY, 32)) == (good["qx"].lower(), good["qy"].lower())
    assert (_h(cast._ECDSA_R, 32), _h(cast._ECDSA_S, 32)) == (good["r"].lower(), good["s"].lower())
    assert _h(cast._ECDSA_D, 32) == good["d"].lower()
    group, bad = _acvp_case("ECDSA-SigVer-FIPS186-5", 51)
    assert group["tgId"] == 8
    assert (bad["testPassed"], bad["reason"]) == (False, "modify message")
    assert cast._ECDSA_BAD_MSG.hex() == bad["message"].lower()
    assert (_h(cast._ECDSA_BAD_QX, 32), _h(cast._ECDSA_BAD_QY, 32)) == (bad["qx"].lower(), bad["qy"].lower())
    assert (_h(cast._ECDSA_BAD_R, 32), _h(cast._ECDSA_BAD_S, 32)) == (bad["r"].lower(), bad["s"].lower())


def _pss_2048_sha256() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The first 2048-bit key of SigVerPSS_186-3.rsp, its SHA256/e=65537 cases Result P and F (1 ...)."""
    key: dict[str, str] = {}
    keys_seen: list[dict[str, str]] = []
    passed: list[tuple[dict[str, str], dict[str, str]]] = []
    failed: list[tuple[dict[str, str], dict[str, str]]] = []
    for record in blocks(VECTORS / "pyca/RSA/FIPS_186-2/SigVerPSS_186-3.rsp"):
        if record["section"] != "mod = 2048":
            continue
        if "n" in record:
            key = {"n": record["n"]}
            keys_seen.append(key)
        key.update({k: record[k] for k in ("p", "q") if k in record})
        if record.get("SHAAlg") == "SHA256" and int(record["e"], 16) == 65537:
            if record["Result"] == "P":
                passed.append((key, record))
            elif record["Result"].startswith("F (1 - Message changed"):
                failed.append((key, record))
    assert len(keys_seen) == 3  # the 2048-bit section has three key blocks; the first has e = 65537
    (key_p, good), *_ = passed
    (key_f, bad), *_ = failed
    assert key_p is keys_seen[0]
    assert key_f is keys_seen[0]
    return key_p, good, bad


def test_rsa_constants_equal_the_sigverpss_file() -> None:
    key, good, bad = _pss_2048_sha256()
    assert (_h(cast._RSA_N, 256), _h(cast._RSA_P, 128), _h(cast._RSA_Q, 128)) == (
        key["n"],
        key["p"],
        key["q"],
    )
    assert cast._RSA_P * cast._RSA_Q == cast._RSA_N
    assert int(good["e"], 16) == cast._RSA_E == int(bad["e"], 16)
    assert _h(cast._RSA_D, 256) == good["d"] == bad["d"]
    assert (cast._RSA_MSG.hex(), cast._RSA_SIG.hex()) == (good["Msg"], good["S"])
    assert (cast._RSA_BAD_MSG.hex(), cast._RSA_BAD_SIG.hex()) == (bad["Msg"], bad["S"])
    assert len(bytes.fromhex(good["SaltVal"])) == cast._RSA_SALT_BYTES == len(bytes.fromhex(bad["SaltVal"]))


def test_ed25519_constants_equal_sign_input_line_2() -> None:
    """sign.input fields: sk||pk : pk : message : signature||message (line 2 = RFC 8032 TEST 2)."""
    line = (VECTORS / "pyca/Ed25519/sign.input").read_text().split("\n")[1]
    secret_public, public, message, signed, _ = line.split(":")
    assert secret_public == (cast._ED25519_SK + cast._ED25519_PK).hex()
    assert public == cast._ED25519_PK.hex()
    assert message == cast._ED25519_MSG.hex() == "72"
    assert signed == (cast._ED25519_SIG + cast._ED25519_MSG).hex()


def test_ed448_constants_equal_the_rfc8032_file() -> None:
    (case,) = [r for r in blocks(VECTORS / "pyca/Ed448/rfc8032.txt") if r["COUNT"] == "1"]
    assert "CONTEXT" not in case
    assert (case["SECRET"], case["PUBLIC"]) == (cast._ED448_SK.hex(), cast._ED448_PK.hex())
    assert (case["MESSAGE"], case["SIGNATURE"]) == (cast._ED448_MSG.hex(), cast._ED448_SIG.hex())


def test_ecdh_constants_equal_the_cdh_file() -> None:
    path = VECTORS / "cavp/ecdh/KAS_ECC_CDH_PrimitiveTest.txt"
    (case,) = [r for r in blocks(path) if r["section"] == "P-256" and r["COUNT"] == "0"]
    assert (_h(cast._ECDH_QCAVSX, 32), _h(cast._ECDH_QCAVSY, 32)) == (case["QCAVSx"], case["QCAVSy"])
    assert _h(cast._ECDH_DIUT, 32) == case["dIUT"]
    assert (_h(cast._ECDH_QIUTX, 32), _h(cast._ECDH_QIUTY, 32)) == (case["QIUTx"], case["QIUTy"])
    assert cast._ECDH_Z.hex() == case["ZIUT"]


def test_ffdh_constants_and_group_equal_the_kas_ffc_file() -> None:
    group, case = _acvp_case("KAS-FFC-SSC-Sp800-56Ar3", 1)
    assert (group["tgId"], group["scheme"], group["domainParameterGenerationMode"]) == (
        1,
        "dhEphem",
        "ffdhe2048",
    )
    p = int(backend.FFDH_PRIMES["ffdhe2048"], 16)  # the group the self-test uses
    assert (int(group["p"], 16), int(group["q"], 16), int(group["g"], 16)) == (p, (p - 1) // 2, 2)
    assert case["testPassed"] is True
    assert _h(cast._FFDH_X, 256) == case["ephemeralPrivateIut"].lower()
    assert _h(cast._FFDH_Y, 256) == case["ephemeralPublicIut"].lower()
    assert _h(cast._FFDH_PEER, 256) == case["ephemeralPublicServer"].lower()
    assert cast._FFDH_Z.hex() == case["z"].lower()


def test_ml_dsa_constants_equal_the_keygen_file() -> None:
    group, case = _acvp_case("ML-DSA-keyGen-FIPS204", 26)
    assert group["parameterSet"] == "ML-DSA-65"
    assert (cast._MLDSA_SEED.hex(), cast._MLDSA_PK.hex()) == (case["seed"].lower(), case["pk"].lower())


def test_ml_kem_keygen_constants_equal_the_acvp_file() -> None:
    group, case = _acvp_case("ML-KEM-keyGen-FIPS203", 26)
    assert group["parameterSet"] == "ML-KEM-768"
    assert (cast._MLKEM_D.hex(), cast._MLKEM_Z.hex()) == (case["d"].lower(), case["z"].lower())
    assert cast._MLKEM_EK.hex() == case["ek"].lower()


def test_ml_kem_decapsulation_constants_equal_the_wycheproof_file() -> None:
    data = json.loads((VECTORS / "wycheproof/mlkem_768_test.json").read_text())
    cases = {t["tcId"]: (g, t) for g in data["testGroups"] for t in g["tests"]}
    (group, valid), (bad_group, modified) = cases[2], cases[194]
    assert group["parameterSet"] == bad_group["parameterSet"] == "ML-KEM-768"
    assert group["source"]["name"] == "FIPS 203"
    assert valid["result"] == modified["result"] == "valid"  # both decapsulate; 194 to the rejection key
    assert modified["comment"].startswith("Ciphertext modified at byte 0")
    assert cast._MLKEM_DECAPS_SEED.hex() == valid["seed"] == modified["seed"]
    assert (cast._MLKEM_C.hex(), cast._MLKEM_K.hex()) == (valid["c"], valid["K"])
    assert (cast._MLKEM_BAD_C.hex(), cast._MLKEM_BAD_K.hex()) == (modified["c"], modified["K"])


def test_the_modified_ciphertext_decapsulates_to_the_implicit_rejection_key() -> None:
    """FIPS 203 Algorithm 18 line 8: K_bar = J(z || c) = SHAKE256(z || c, 32), z the seed's second half.

    Computed with hashlib, independently of the provider: the expected K of tcId 194 is the rejection
    key, and the valid case's K is not.
    """
    z = cast._MLKEM_DECAPS_SEED[32:]
    assert hashlib.shake_256(z + cast._MLKEM_BAD_C).digest(32) == cast._MLKEM_BAD_K
    assert hashlib.shake_256(z + cast._MLKEM_C).digest(32) != cast._MLKEM_K
    assert cast._MLKEM_BAD_C[1:] == cast._MLKEM_C[1:]
    assert cast._MLKEM_BAD_C[0] != cast._MLKEM_C[0]


# ------------------------------------------------------------------------ registration and behaviour


def _registered() -> dict[str, selftests.SelfTest]:
    return {t.name: t for t in selftests.registered() if t.name in EXPECTED}


def test_every_test_is_registered_with_its_family_and_services() -> None:
    tests = _registered()
    assert {name: t.family for name, t in tests.items()} == {name: f for name, (f, _) in EXPECTED.items()}
    assert all(set(EXPECTED[name][1]) <= set(t.services) for name, t in tests.items())
    assert all(t.needs_provider for t in tests.values())


def test_every_test_has_run_before_its_services_are_used() -> None:
    """The families run lazily: proving each test's first service leaves a passing result for it."""
    for name in EXPECTED:
        selftests.prove(_registered()[name].services[0])
    results = {r.name: r for r in selftests.last_results()}
    assert all(results[name].passed for name in EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_test_passes_on_the_real_provider(name: str, no_faults: None) -> None:
    _registered()[name].run()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_test_fails_under_fault_injection(name: str, no_faults: None) -> None:
    fails_under_its_fault(name)


# A wrong answer in the constants (what a faulty provider's result looks like from the test's side):
# verdicts that must flip, a ciphertext that must not decapsulate to the rejection key, a wrong Z.
WRONG_ANSWERS: list[tuple[str, dict[str, object]]] = [
    ("ecdsa-p256-sha256", {"_ECDSA_MSG": cast._ECDSA_BAD_MSG}),
    (  # the invalid case replaced by the valid one: "invalid" is no longer the answer
        "ecdsa-p256-sha256",
        {f"_ECDSA_BAD_{part}": getattr(cast, f"_ECDSA_{part}") for part in ("MSG", "QX", "QY", "R", "S")},
    ),
    ("ecdsa-p256-sha256", {"_ECDSA_D": cast._ECDSA_D + 1}),
    ("rsa-pss-sha256", {"_RSA_SALT_BYTES": 32}),
    ("rsa-pss-sha256", {"_RSA_BAD_MSG": cast._RSA_MSG, "_RSA_BAD_SIG": cast._RSA_SIG}),
    ("rsa-pss-sha256", {"_RSA_D": cast._RSA_D + 2}),
    ("ed25519", {"_ED25519_MSG": b"\x73"}),
    ("ed25519", {"_ED25519_PK": cast._ED25519_SK}),
    ("ed448", {"_ED448_SIG": bytes(114)}),
    ("ecdh-p256", {"_ECDH_QIUTY": cast._ECDH_QCAVSY}),
    ("ecdh-p256", {"_ECDH_Z": bytes(32)}),
    ("ffdh-2048", {"_FFDH_PEER": cast._FFDH_Y}),
    ("ml-dsa-65", {"_MLDSA_SEED": bytes(32)}),
    ("ml-kem-768", {"_MLKEM_D": bytes(32)}),
    ("ml-kem-768", {"_MLKEM_BAD_C": cast._MLKEM_C}),
    ("ml-kem-768", {"_MLKEM_K": cast._MLKEM_BAD_K}),
]


@pytest.mark.parametrize(("name", "wrong"), WRONG_ANSWERS)
def test_each_test_fails_on_a_wrong_answer(
    name: str, wrong: dict[str, object], monkeypatch: pytest.MonkeyPatch, no_faults: None
) -> None:
    for constant, value in wrong.items():
        assert hasattr(cast, constant)
        monkeypatch.setattr(cast, constant, value)
    with pytest.raises(SelfTestFailure) as caught:
        _registered()[name].run()
    assert caught.value.test == name
