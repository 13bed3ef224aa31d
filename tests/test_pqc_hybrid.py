"""HybridKEM on the FIPS provider: the draft-ietf-tls-ecdhe-mlkem layouts checked against the
components computed by hand (cryptography's ECDH and ML-KEM, called directly), key import checks,
implicit rejection, the policy's refusals of the X25519 hybrids in strict mode, and the combiners'
self-tests (selftests/hybrid.py): constants equal to their files, failure under fault injection and
on a wrong answer.

The X25519 hybrids run only where X25519 does (off mode): tests/test_pqc_xwing.py.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, mlkem

from fipscrypto import _faults, indicator, selftests
from fipscrypto.errors import (
    AlgorithmUnavailable,
    FeatureDisabled,
    InvalidKey,
    InvalidParameter,
    PolicyViolation,
    SelfTestFailure,
)
from fipscrypto.pqc import HybridKEM
from fipscrypto.pqc.hybrid import HYBRIDS
from fipscrypto.provider.state import StatePaths
from fipscrypto.selftests import hybrid as cast

from support import run_json, run_script_json
from vectorlib import VECTORS, blocks

# name -> (curve, field bytes, ML-KEM private class, ek bytes, ct bytes)
SECP = {
    "SecP256r1MLKEM768": (ec.SECP256R1(), 32, mlkem.MLKEM768PrivateKey, 1184, 1088),
    "SecP384r1MLKEM1024": (ec.SECP384R1(), 48, mlkem.MLKEM1024PrivateKey, 1568, 1568),
}
PUBLIC = {"SecP256r1MLKEM768": mlkem.MLKEM768PublicKey, "SecP384r1MLKEM1024": mlkem.MLKEM1024PublicKey}
COPIES = {
    "xwing/test-vectors.json": "409efe197550b22985b4a0419418a0c5f2c2b193426c55bd998399ec8d3e614d",
    "hpke-pq/hpke-pq-test-vectors.json": "ba1f90672903e0df25610a1eef84b5f157e44d34849c0a72a2f9b164f3213888",
}


@pytest.fixture(autouse=True)
def pqc_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIPSCRYPTO_PQC", "1")


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def _by_hand(name: str, private_key: bytes, ciphertext: bytes) -> bytes:
    """draft-ietf-tls-ecdhe-mlkem for a SecP group, from the components: ECDH Z || ML-KEM K."""
    curve, size, kem_class, _, _ = SECP[name]
    d, seed = int.from_bytes(private_key[:size]), private_key[size:]
    peer = ec.EllipticCurvePublicKey.from_encoded_point(curve, ciphertext[: 1 + 2 * size])
    z = ec.derive_private_key(d, curve).exchange(ec.ECDH(), peer)
    return z + kem_class.from_seed_bytes(seed).decapsulate(ciphertext[1 + 2 * size :])


# ------------------------------------------------------------------------------- layouts by hand


@pytest.mark.parametrize("name", list(SECP))
def test_secp_hybrid_lays_out_ecdh_first_and_its_secret_is_z_then_k(name: str) -> None:
    curve, size, kem_class, ek_size, ct_size = SECP[name]
    kem = HybridKEM(name)
    public_key, private_key = kem.generate_keypair()
    assert len(public_key) == 1 + 2 * size + ek_size == kem.public_key_size
    assert len(private_key) == size + 64 == kem.private_key_size
    d, seed = int.from_bytes(private_key[:size]), private_key[size:]
    # The client's share: the uncompressed point of d, then ML-KEM's encapsulation key of the seed.
    assert public_key[: 1 + 2 * size] == _point(ec.derive_private_key(d, curve).public_key())
    assert public_key[1 + 2 * size :] == kem_class.from_seed_bytes(seed).public_key().public_bytes_raw()
    ciphertext, secret = kem.encapsulate(public_key)
    assert len(ciphertext) == 1 + 2 * size + ct_size == kem.ciphertext_size
    assert ciphertext[0] == 0x04  # uncompressed
    assert len(secret) == size + 32
    assert secret == _by_hand(name, private_key, ciphertext)
    assert kem.decapsulate(private_key, ciphertext) == secret


@pytest.mark.parametrize("name", list(SECP))
def test_a_server_share_made_by_hand_decapsulates_to_z_then_k(name: str) -> None:
    curve, _, _, ek_size, _ = SECP[name]
    kem = HybridKEM(name)
    public_key, private_key = kem.generate_keypair()
    ephemeral = ec.generate_private_key(curve)
    peer = ec.EllipticCurvePublicKey.from_encoded_point(curve, public_key[: len(public_key) - ek_size])
    k, c = PUBLIC[name].from_public_bytes(public_key[-ek_size:]).encapsulate()
    z = ephemeral.exchange(ec.ECDH(), peer)
    assert kem.decapsulate(private_key, _point(ephemeral.public_key()) + c) == z + k


def test_a_tampered_mlkem_ciphertext_gives_the_implicit_rejection_secret() -> None:
    """FIPS 203 Algorithm 18: K' = J(z || c) = SHAKE256(z || c, 32) for a c that does not re-encrypt;
    the ECDH half is unchanged, and the two parties' secrets differ."""
    kem = HybridKEM("SecP256r1MLKEM768")
    public_key, private_key = kem.generate_keypair()
    ciphertext, secret = kem.encapsulate(public_key)
    tampered = ciphertext[:-1] + bytes([ciphertext[-1] ^ 0x01])
    rejected = kem.decapsulate(private_key, tampered)
    z = private_key[32 + 32 :]
    assert rejected != secret
    assert rejected[:32] == secret[:32]
    assert rejected[32:] == hashlib.shake_256(z + tampered[65:]).digest(32)


# ------------------------------------------------------------------------------------ bad input


def _off_curve(point: bytes) -> bytes:
    return point[:-1] + bytes([point[-1] ^ 0x01])


def test_malformed_public_keys_are_refused_before_any_secret() -> None:
    kem = HybridKEM("SecP256r1MLKEM768")
    public_key, _ = kem.generate_keypair()
    point, ek = public_key[:65], public_key[65:]
    compressed = bytes([0x02 + (point[-1] & 1)]) + point[1:33]
    bad_ek = bytes([0xFF, 0xFF]) + ek[2:]  # the first coefficient is 4095 >= q = 3329 (FIPS 203 §7.2)
    cases = {
        "short": public_key[:-1],
        "long": public_key + b"\x00",
        "compressed point, padded": compressed + bytes(32) + ek,
        "point off the curve": _off_curve(point) + ek,
        "coordinate >= p": b"\x04" + b"\xff" * 64 + ek,
        "ML-KEM key failing the modulus check": point + bad_ek,
    }
    for what, bad in cases.items():
        expected = InvalidKey if what.startswith("ML-KEM") else InvalidParameter
        with pytest.raises(expected) as caught:
            kem.encapsulate(bad)
        assert what.startswith("ML-KEM") or not isinstance(caught.value, InvalidKey), what
    with pytest.raises(InvalidParameter):
        kem.encapsulate("not bytes")  # type: ignore[arg-type]


def test_malformed_ciphertexts_and_private_keys_are_refused() -> None:
    kem = HybridKEM("SecP384r1MLKEM1024")
    public_key, private_key = kem.generate_keypair()
    ciphertext, _ = kem.encapsulate(public_key)
    for bad in (ciphertext[:-1], _off_curve(ciphertext[:97]) + ciphertext[97:], b"\x02" + ciphertext[1:]):
        with pytest.raises(InvalidParameter):
            kem.decapsulate(private_key, bad)
    with pytest.raises(InvalidParameter):
        kem.decapsulate(private_key[:-1], ciphertext)
    with pytest.raises(InvalidParameter):  # d = 0 is no private key (SP 800-56A r3 §5.6.1.2)
        kem.decapsulate(bytes(48) + private_key[48:], ciphertext)
    with pytest.raises(InvalidParameter):  # d >= n neither (the provider's EVP_PKEY_private_check)
        kem.decapsulate(b"\xff" * 48 + private_key[48:], ciphertext)


def test_names_and_seeds() -> None:
    with pytest.raises(InvalidParameter, match="SecP256r1MLKEM768"):
        HybridKEM("secp256r1mlkem768")
    with pytest.raises(InvalidParameter):
        HybridKEM(7)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter, match="seed"):
        HybridKEM("SecP256r1MLKEM768").generate_keypair(seed=bytes(32))
    assert set(HYBRIDS) == {"SecP256r1MLKEM768", "SecP384r1MLKEM1024", "X25519MLKEM768", "X-Wing"}


def test_the_module_switch_off_refuses_every_hybrid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIPSCRYPTO_PQC")
    for name in HYBRIDS:
        with pytest.raises(FeatureDisabled, match="FIPSCRYPTO_PQC"):
            HybridKEM(name)


# ------------------------------------------------------------------------------ policy, indicator


def test_approved_hybrids_are_indicated_approved() -> None:
    kem = HybridKEM("SecP384r1MLKEM1024")
    with indicator.scope() as done:
        public_key, private_key = kem.generate_keypair()
        ciphertext, secret = kem.encapsulate(public_key)
        assert kem.decapsulate(private_key, ciphertext) == secret
    assert done.approved
    last = indicator.last()
    assert last is not None
    assert (last.service, last.algorithm, last.approved) == ("pqc.hybrid", "SecP384r1MLKEM1024", True)


@pytest.mark.parametrize("name", ["X25519MLKEM768", "X-Wing"])
def test_x25519_hybrids_are_refused_in_strict_mode(name: str) -> None:
    """The default policy (fips-140-3-hardened) disallows tls-group X25519MLKEM768; X-Wing, which no
    profile names, is asked as its X25519 half (key-agreement x25519, disallowed everywhere)."""
    kem = HybridKEM(name)
    for call in (
        kem.generate_keypair,
        lambda: kem.encapsulate(bytes(kem.public_key_size)),
        lambda: kem.decapsulate(bytes(kem.private_key_size), bytes(kem.ciphertext_size)),
    ):
        with pytest.raises(PolicyViolation, match="X25519MLKEM768" if name != "X-Wing" else "x25519"):
            call()
        last = indicator.last()
        assert last is not None
        assert not last.approved


@pytest.mark.parametrize("name", ["X25519MLKEM768", "X-Wing"])
def test_an_exempted_x25519_hybrid_says_the_provider_has_no_x25519(name: str) -> None:
    kem = HybridKEM(name)
    with indicator.exempt(reason="test: X25519 on the FIPS provider"), pytest.raises(AlgorithmUnavailable):
        kem.generate_keypair()


# ------------------------------------------------------------------------- self-tests of combiners

NAMES = ("hybrid-secp256r1mlkem768", "hybrid-secp384r1mlkem1024", "hybrid-x25519mlkem768", "hybrid-xwing")


def _registered() -> dict[str, selftests.SelfTest]:
    return {t.name: t for t in selftests.registered()}


def test_copied_files_are_the_recorded_ones() -> None:
    for name, digest in COPIES.items():
        assert hashlib.sha256((VECTORS / name).read_bytes()).hexdigest() == digest, name


def test_p384_constants_equal_the_cdh_file() -> None:
    path = VECTORS / "cavp/ecdh/KAS_ECC_CDH_PrimitiveTest.txt"
    (case,) = [r for r in blocks(path) if r["section"] == "P-384" and r["COUNT"] == "0"]
    assert cast._P384_QCAVSX.to_bytes(48).hex() == case["QCAVSx"]
    assert cast._P384_QCAVSY.to_bytes(48).hex() == case["QCAVSy"]
    assert cast._P384_DIUT.to_bytes(48).hex() == case["dIUT"]
    assert cast._P384_Z.hex() == case["ZIUT"]


def test_mlkem1024_constants_equal_the_hpke_file() -> None:
    cases = json.loads((VECTORS / "hpke-pq/hpke-pq-test-vectors.json").read_text())
    case = next(c for c in cases if c["kem_id"] == 0x0042)
    assert cast._MLKEM1024_SEED.hex() == case["skRm"]
    assert cast._MLKEM1024_C.hex() == case["enc"]
    assert cast._MLKEM1024_K.hex() == case["shared_secret"]


def test_xwing_constants_equal_the_draft_file() -> None:
    vector = json.loads((VECTORS / "xwing/test-vectors.json").read_text())[0]
    assert cast._XWING_SK.hex() == vector["sk"]
    assert cast._XWING_CT.hex() == vector["ct"]
    assert cast._XWING_PK_X.hex() == vector["pk"][-64:]
    assert cast._XWING_SS.hex() == vector["ss"]
    # ss_M, computed here by cryptography's ML-KEM-768 from the SHAKE256-expanded seed (hashlib).
    expanded = hashlib.shake_256(cast._XWING_SK).digest(96)
    ct_m = cast._XWING_CT[:1088]
    assert mlkem.MLKEM768PrivateKey.from_seed_bytes(expanded[:64]).decapsulate(ct_m) == cast._XWING_SS_M
    # ss_X needs X25519, which the FIPS provider lacks: tests/test_pqc_xwing.py checks it in off mode.


def test_each_combiner_test_is_registered_and_passes(no_faults: None) -> None:
    tests = _registered()
    for name in NAMES:
        assert (tests[name].family, tests[name].services) == ("Hybrid KEM", ("pqc.hybrid",))
        tests[name].run()


@pytest.fixture
def no_faults() -> Iterator[None]:
    _faults.clear()
    yield
    _faults.clear()


@pytest.mark.parametrize("name", NAMES)
def test_each_combiner_test_fails_under_fault_injection(name: str, no_faults: None) -> None:
    _faults.inject(name)
    with pytest.raises(SelfTestFailure) as caught:
        _registered()[name].run()
    assert caught.value.test == name


WRONG_ANSWERS: list[tuple[str, dict[str, object]]] = [
    ("hybrid-secp256r1mlkem768", {"_MLKEM_K": cast._ECDH_Z}),  # the order of Z and K swapped
    ("hybrid-secp256r1mlkem768", {"_ECDH_DIUT": cast._ECDH_DIUT + 1}),
    ("hybrid-secp384r1mlkem1024", {"_P384_Z": bytes(48)}),
    ("hybrid-secp384r1mlkem1024", {"_MLKEM1024_C": bytes(1568)}),
    ("hybrid-x25519mlkem768", {"_XWING_SS_M": cast._XWING_SS_X, "_XWING_SS_X": cast._XWING_SS_M}),
    ("hybrid-xwing", {"_XWING_PK_X": bytes(32)}),
    ("hybrid-xwing", {"_XWING_SK": bytes(32)}),
]


@pytest.mark.parametrize(("name", "wrong"), WRONG_ANSWERS)
def test_each_combiner_test_fails_on_a_wrong_answer(
    name: str, wrong: dict[str, object], monkeypatch: pytest.MonkeyPatch, no_faults: None
) -> None:
    for constant, value in wrong.items():
        assert hasattr(cast, constant)
        monkeypatch.setattr(cast, constant, value)
    with pytest.raises(SelfTestFailure) as caught:
        _registered()[name].run()
    assert caught.value.test == name


def test_the_ikev2_example_runs(state_paths: StatePaths) -> None:
    """docs/examples/ikev2_mlkem.py: RFC 9370's additional key exchange with ML-KEM-768."""
    example = Path(__file__).parent.parent / "docs" / "examples" / "ikev2_mlkem.py"
    result = run_script_json(
        example, timeout=120, FIPSCRYPTO_STATE_DIR=str(state_paths.root), FIPSCRYPTO_PQC="1"
    )
    assert result == {
        "KEi(0) bytes": 64,
        "KEi(1) bytes": 1184,
        "KEr(1) bytes": 1088,
        "SK(1) bytes": 32,
        "same keys after IKE_SA_INIT": True,
        "same keys after the ML-KEM exchange": True,
        "the ML-KEM exchange changed the keys": True,
    }


HELD_KEYS = """
import json, fipscrypto
fipscrypto.activate()
from fipscrypto import module, selftests
from fipscrypto.pqc import HybridKEM
from fipscrypto.pqc.hybrid import HYBRIDS
from fipscrypto.provider.context import ProviderKey
kem, half = HybridKEM("SecP256r1MLKEM768"), HYBRIDS["SecP256r1MLKEM768"].classical
public_key, private_key = kem.generate_keypair()
scalar = private_key[:32]
ciphertext, secret = kem.encapsulate(public_key)
made = half._held[scalar]  # the provider's key of the generated pair, not an import of the scalar
held = isinstance(made, ProviderKey) and kem.decapsulate(private_key, ciphertext) == secret
held = held and half._held[scalar] is made
module.enter_error("a forced failure")
dropped = half._held == {}
try:
    kem.decapsulate(private_key, ciphertext)
    in_error = "served"
except fipscrypto.ModuleErrorState:
    in_error = "refused"
recovered = all(r.passed for r in selftests.run_all())
again = kem.decapsulate(private_key, ciphertext) == secret  # the scalar imported into the provider
again = again and isinstance(half._held[scalar], ProviderKey) and half._held[scalar] is not made
print(json.dumps({"held": held, "dropped": dropped, "in_error": in_error, "recovered": recovered,
                  "again": again}))
"""


def test_a_generated_ecdh_key_is_held_for_decapsulation_and_dropped_on_error(state_paths: StatePaths) -> None:
    """Decapsulating with a key pair the hybrid generated uses the provider's key it holds (no import of
    the scalar); entering ERROR drops the held keys and refuses; after recovery the scalar is imported
    into the provider."""
    state = str(state_paths.root)
    result = run_json(HELD_KEYS, FIPSCRYPTO_STATE_DIR=state, FIPSCRYPTO_PQC="1")
    assert result == {"held": True, "dropped": True, "in_error": "refused", "recovered": True, "again": True}


PROVIDER_PCT = """
import json, fipscrypto
fipscrypto.activate()
from fipscrypto import _faults, keys
from fipscrypto.errors import SelfTestFailure
from fipscrypto.pqc import HybridKEM
kem = HybridKEM({name!r})
with keys.inside.get().self_tests() as events:
    public_key, _ = kem.generate_keypair()
    kem.encapsulate(public_key)
failing = []
try:
    if {injected!r}:
        _faults.inject("pct-ecdh")
        kem.generate_keypair()
    else:  # the provider's own test corrupted by the provider, watched
        with keys.inside.get().self_tests(corrupt="Conditional_PCT") as failing:
            kem.generate_keypair()
    failed = None
except SelfTestFailure as exc:
    failed = exc.test
info = fipscrypto.info()
print(json.dumps({{"events": events, "failing": failing, "failed": failed, "state": info.state.value}}))
"""


@pytest.mark.parametrize("injected", [False, True], ids=["provider-callback", "FIPSCRYPTO_SELFTEST_FAIL"])
@pytest.mark.parametrize("name", ["SecP256r1MLKEM768", "SecP384r1MLKEM1024"])
def test_ecdh_pairs_are_generated_by_the_provider_with_its_pairwise_test(
    name: str, injected: bool, state_paths: StatePaths
) -> None:
    """Key generation and encapsulation each generate their ECDH pair in the provider, which reports
    its pairwise-consistency test (the self-test callback of the private context). When that test
    fails inside the provider (its value corrupted through the callback, or by ``pct-ecdh``), key
    generation raises SelfTestFailure and the module latches ERROR."""
    state, script = str(state_paths.root), PROVIDER_PCT.format(name=name, injected=injected)
    result = run_json(script, FIPSCRYPTO_STATE_DIR=state, FIPSCRYPTO_PQC="1")
    passed = [["Start", "Conditional_PCT", "ECDSA"], ["Corrupt", "Conditional_PCT", "ECDSA"]]
    passed.append(["Pass", "Conditional_PCT", "ECDSA"])
    assert [e for e in result["events"] if e[1] == "Conditional_PCT"] == passed + passed
    if not injected:
        assert ["Fail", "Conditional_PCT", "ECDSA"] in result["failing"]
    assert result["failed"] == "pct-ecdh"
    assert result["state"] == "error"


OFF_MODE = """
import json, warnings, fipscrypto
warnings.simplefilter("ignore")
fipscrypto.activate(mode="off")
from fipscrypto import _faults
from fipscrypto.errors import SelfTestFailure
from fipscrypto.pqc import HybridKEM
from fipscrypto.pqc.hybrid import HYBRIDS
agree = {}
for name in ("SecP256r1MLKEM768", "SecP384r1MLKEM1024"):
    kem = HybridKEM(name)
    public_key, private_key = kem.generate_keypair()
    ciphertext, secret = kem.encapsulate(public_key)
    HYBRIDS[name].classical.drop()  # the scalar imported again
    agree[name] = kem.decapsulate(private_key, ciphertext) == secret
_faults.inject("pct-ecdh")
try:
    HybridKEM("SecP256r1MLKEM768").generate_keypair()
    failed = None
except SelfTestFailure as exc:
    failed = exc.test
print(json.dumps({"agree": agree, "failed": failed, "state": fipscrypto.info().state.value}))
"""


def test_with_no_provider_the_ecdh_half_runs_its_own_pairwise_test(state_paths: StatePaths) -> None:
    """Off mode (no provider): cryptography's EC keys serve the ECDH half, and fipscrypto's own
    pairwise-consistency test (Q = d * G recomputed) runs on each generated pair."""
    result = run_json(OFF_MODE, FIPSCRYPTO_STATE_DIR=str(state_paths.root), FIPSCRYPTO_PQC="1")
    assert result == {
        "agree": {"SecP256r1MLKEM768": True, "SecP384r1MLKEM1024": True},
        "failed": "pct-ecdh",
        "state": "error",
    }
