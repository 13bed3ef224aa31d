"""fipscrypto.pqc.MLKEM on the openssl backend (the FIPS provider: ML-KEM-768/1024 through
cryptography, ML-KEM-512 and expanded decapsulation keys through its private library context): every
NIST ACVP ML-KEM case, round trips, implicit rejection, malformed keys, policy and indicator. The
liboqs backend and the cross-backend checks are in test_pqc_liboqs.py."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import vectorlib_mlkem as acvp

from fipscrypto import indicator, pqc
from fipscrypto.errors import InvalidKey, InvalidParameter
from fipscrypto.provider.state import StatePaths

from support import run_json

SETS = ("ML-KEM-512", "ML-KEM-768", "ML-KEM-1024")


@pytest.fixture(autouse=True)
def pqc_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIPSCRYPTO_PQC", "1")


def _kem(parameter_set: str) -> pqc.MLKEM:
    return pqc.MLKEM(parameter_set, backend="openssl")


KEYGEN = acvp.keygen()
ENCAPSULATION = acvp.encapsulation()
DECAPSULATION = acvp.decapsulation()
KEY_CHECKS = acvp.key_checks("encapsulationKeyCheck") + acvp.key_checks("decapsulationKeyCheck")


def test_the_vector_sets_are_complete() -> None:
    counts = [len(KEYGEN), len(ENCAPSULATION), len(DECAPSULATION), len(KEY_CHECKS)]
    assert counts == [75, 75, 30, 60]
    assert {c.valid for c in KEY_CHECKS} == {True, False}
    assert {c.parameter_set for c in KEYGEN + ENCAPSULATION + DECAPSULATION + KEY_CHECKS} == set(SETS)


@pytest.mark.parametrize("case", KEYGEN, ids=[c.id for c in KEYGEN])
def test_acvp_keygen(case: acvp.KeyGen) -> None:
    public, private = _kem(case.parameter_set).generate_keypair(seed=case.seed)
    assert public == case.ek
    assert private == case.seed
    assert indicator.last() == indicator.Operation("pqc.kem", case.parameter_set.lower(), True, None)


def _context() -> Any:
    from fipscrypto.keys import inside

    return inside.get()


@pytest.mark.parametrize("case", ENCAPSULATION, ids=[c.id for c in ENCAPSULATION])
def test_acvp_encapsulation(case: acvp.Encapsulation) -> None:
    """FIPS 203 Algorithm 17 with the case's m, in the provider (the backend layer: the public API
    draws m from the DRBG); then the public decapsulation with the case's expanded dk."""
    context = _context()
    key = context.mlkem_key(case.parameter_set, ek=case.ek)
    assert context.mlkem_encapsulate(case.parameter_set, key, case.m) == (case.c, case.k)
    assert _kem(case.parameter_set).decapsulate(case.dk, case.c) == case.k


@pytest.mark.parametrize("case", DECAPSULATION, ids=[c.id for c in DECAPSULATION])
def test_acvp_decapsulation(case: acvp.Decapsulation) -> None:
    """Valid ciphertexts give K, modified ones the implicit-rejection key: both as NIST computed."""
    assert _kem(case.parameter_set).decapsulate(case.dk, case.c) == case.k
    assert indicator.last() == indicator.Operation("pqc.kem", case.parameter_set.lower(), True, None)


@pytest.mark.parametrize("case", KEY_CHECKS, ids=[f"{c.id}-{c.function}" for c in KEY_CHECKS])
def test_acvp_key_checks(case: acvp.KeyCheck) -> None:
    """FIPS 203 §7.2 (modulus) on encapsulation keys, §7.3 (hash of ek in dk) on decapsulation keys:
    a key that fails is refused before use."""
    acvp.check_key(_kem(case.parameter_set), case)


@pytest.mark.parametrize("parameter_set", SETS)
def test_round_trip_with_a_new_key_pair(parameter_set: str) -> None:
    kem = _kem(parameter_set)
    public, private = kem.generate_keypair()
    assert (len(public), len(private)) == (kem.sizes["public_key"], 64)
    ciphertext, secret = kem.encapsulate(public)
    assert kem.decapsulate(private, ciphertext) == secret
    other_ciphertext, other_secret = kem.encapsulate(public)
    assert (other_ciphertext, other_secret) != (ciphertext, secret)  # m is fresh each time
    assert kem.generate_keypair()[1] != private


@pytest.mark.parametrize("parameter_set", SETS)
@pytest.mark.parametrize("where", [0, 1, 500, -1])
def test_a_tampered_ciphertext_gives_the_implicit_rejection_key(parameter_set: str, where: int) -> None:
    """FIPS 203 Algorithm 18 line 9: K' = J(z || c) = SHAKE256(z || c, 32) when c does not
    re-encrypt; no error, and the receiver's secret differs from the sender's."""
    kem = _kem(parameter_set)
    public, private = kem.generate_keypair()
    ciphertext, secret = kem.encapsulate(public)
    tampered = bytearray(ciphertext)
    tampered[where] ^= 0x01
    rejected = kem.decapsulate(private, bytes(tampered))
    assert rejected != secret
    assert rejected == hashlib.shake_256(private[32:] + bytes(tampered)).digest(32)
    assert kem.decapsulate(private, ciphertext) == secret


@pytest.mark.parametrize("parameter_set", SETS)
def test_malformed_public_keys_are_refused(parameter_set: str) -> None:
    kem = _kem(parameter_set)
    public, _ = kem.generate_keypair()
    for bad in (public[:-1], public + b"\x00", b"", bytes(1)):
        with pytest.raises(InvalidKey, match="type check"):
            kem.encapsulate(bad)
    # The first coefficient set to 4095 >= q = 3329 (ByteEncode12 of a value mod 2^12, FIPS 203 §4.2.1).
    over = b"\xff\x0f" + public[2:]
    with pytest.raises(InvalidKey, match="modulus"):
        kem.encapsulate(over)
    with pytest.raises(InvalidParameter):
        kem.encapsulate("00" * len(public))  # type: ignore[arg-type]


@pytest.mark.parametrize("parameter_set", SETS)
def test_wrong_ciphertexts_and_private_keys_are_refused(parameter_set: str) -> None:
    kem = _kem(parameter_set)
    public, private = kem.generate_keypair()
    ciphertext, _ = kem.encapsulate(public)
    with pytest.raises(InvalidParameter, match="ciphertext"):
        kem.decapsulate(private, ciphertext[:-1])
    with pytest.raises(InvalidKey, match="64-byte seed"):
        kem.decapsulate(private[:-1], ciphertext)
    with pytest.raises(InvalidParameter, match="seed"):
        kem.generate_keypair(seed=bytes(63))
    with pytest.raises(InvalidParameter):
        kem.decapsulate(None, ciphertext)  # type: ignore[arg-type]


def test_bytearray_and_memoryview_are_taken() -> None:
    kem = _kem("ML-KEM-768")
    public, private = kem.generate_keypair(seed=bytearray(range(64)))
    ciphertext, secret = kem.encapsulate(memoryview(public))
    assert kem.decapsulate(bytearray(private), memoryview(ciphertext)) == secret


def test_auto_picks_the_fips_provider() -> None:
    assert [pqc.MLKEM(s).backend for s in SETS] == ["openssl"] * 3
    openssl = next(b for b in pqc.backends() if b.name == "openssl")
    assert (openssl.available, openssl.fips_boundary, openssl.parameter_sets) == (True, True, SETS)


CNSA = """
import json, fipscrypto
from fipscrypto import pqc
fipscrypto.activate(pqc=True)
outcome = {}
for name in ("ML-KEM-768", "ML-KEM-1024"):
    try:
        pqc.MLKEM(name).generate_keypair()
        outcome[name] = "served"
    except fipscrypto.PolicyViolation as exc:
        outcome[name] = str(exc)
print(json.dumps(outcome))
"""


def test_the_policy_decides_the_parameter_set(state_paths: StatePaths) -> None:
    result = run_json(CNSA, FIPSCRYPTO_STATE_DIR=str(state_paths.root), FIPSCRYPTO_POLICY="cnsa-2.0")
    assert result["ML-KEM-1024"] == "served"
    assert "ml-kem-768" in result["ML-KEM-768"]
    assert "cnsa-2.0" in result["ML-KEM-768"]


def test_the_vector_files_are_the_recorded_copies() -> None:
    """Byte-identical to the NIST files whose SHA-256 tests/vectors/SOURCES.md records."""
    recorded = {
        acvp.KEYGEN: "d7a62a2c3476957f56dd8d24f9004ea6776ccfe995ffe71a65bb9506dc9c7b1b",
        acvp.ENCAP_DECAP: "a556952ce869bb89c3a3196a701dad89647c193a34c86eafb61a9d710d5b810f",
    }
    for folder, digest in recorded.items():
        data = (acvp.VECTORS / "acvp" / folder / "internalProjection.json").read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest


def test_cryptography_cannot_reach_the_providers_ml_kem_512() -> None:
    """The FIPS provider 3.5 has ML-KEM-512, but cryptography 50 knows no ML-KEM-512 key type: the
    PKCS#8 seed form (draft-ietf-lamps-kyber-certificates) it loads for ML-KEM-768 is refused for
    ML-KEM-512. When this fails, cryptography has learnt it and the openssl backend can offer it."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    def pkcs8(oid_last: int) -> bytes:
        algorithm = bytes.fromhex("300b0609608648016503040400")[:-1] + bytes([oid_last])
        private = b"\x04\x42\x80\x40" + bytes(range(64))  # OCTET STRING { [0] seed }
        body = b"\x02\x01\x00" + algorithm + private
        return b"\x30" + bytes([len(body)]) + body

    seed = load_der_private_key(pkcs8(2), None).private_bytes_raw()
    assert seed == bytes(range(64))  # id-alg-ml-kem-768 (2.16.840.1.101.3.4.4.2)
    with pytest.raises(UnsupportedAlgorithm, match=r"2\.16\.840\.1\.101\.3\.4\.4\.1"):
        load_der_private_key(pkcs8(1), None)  # id-alg-ml-kem-512


ERROR_STATE = """
import gc, json, fipscrypto
from fipscrypto import module, pqc, selftests
from fipscrypto.pqc import mlkem
fipscrypto.activate(pqc=True)
kem = pqc.MLKEM("ML-KEM-768")
public, private = kem.generate_keypair()
ciphertext, secret = kem.encapsulate(public)
kem.decapsulate(private, ciphertext)  # every operation now has a standing grant and a cached key
cached = sum(len(c._made) for c in mlkem._caches)
module.enter_error("a test")
refused = []
calls = (kem.generate_keypair, lambda: kem.encapsulate(public), lambda: kem.decapsulate(private, ciphertext))
for call in calls:
    try:
        call()
    except fipscrypto.ModuleErrorState:
        refused.append(True)
after_error = sum(len(c._made) for c in mlkem._caches)
recovered = all(r.passed for r in selftests.run_all())
same = kem.decapsulate(private, ciphertext) == secret
for _ in range(200):
    pqc.MLKEM("ML-KEM-1024").generate_keypair()
gc.collect()
print(json.dumps({"cached": cached, "refused": refused, "after_error": after_error,
                  "recovered": recovered, "same": same, "caches": len(mlkem._caches)}))
"""


def test_entering_error_refuses_with_standing_grants_and_drops_cached_keys(state_paths: StatePaths) -> None:
    result = run_json(ERROR_STATE, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert result["cached"] == 2  # the key pair's private key object and its public key object
    assert result["refused"] == [True, True, True]
    assert result["after_error"] == 0
    assert result["recovered"] is True
    assert result["same"] is True
    assert result["caches"] <= 6  # the caches of live objects only (kem's three, and a last one's)
