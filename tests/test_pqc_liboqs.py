"""The liboqs backend of fipscrypto.pqc.MLKEM, for real: `make` builds liboqs 0.15.0 into the state
folder (Makefile, "liboqs"), and these tests fail, never skip, when it is not there.

Every NIST ACVP ML-KEM case (keyGen, encapsulation, decapsulation, both key checks) on liboqs;
cross-backend agreement with the FIPS provider (the same keys from one seed, encapsulation on one
backend and decapsulation on the other, the same implicit-rejection key); the policy's boundary
(strict mode refuses liboqs unless exempted); the backend's self-test; and a missing liboqs:
BackendUnavailable, with ``oqs`` never imported and nothing fetched.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import vectorlib_mlkem as acvp

from fipscrypto import indicator, pqc
from fipscrypto.errors import InvalidKey
from fipscrypto.provider.state import StatePaths
from fipscrypto.selftests import keys as kat_keys
from fipscrypto.selftests import pqc as kat

from support import run_json, run_python

SETS = ("ML-KEM-512", "ML-KEM-768", "ML-KEM-1024")


@pytest.fixture(autouse=True)
def pqc_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The module on, and liboqs used the way an operator allows it in strict mode: exempted."""
    monkeypatch.setenv("FIPSCRYPTO_PQC", "1")
    with indicator.exempt(reason="liboqs backend tests"):
        yield


def _liboqs(parameter_set: str) -> pqc.MLKEM:
    return pqc.MLKEM(parameter_set, backend="liboqs")


def _backend() -> Any:
    from fipscrypto._liboqs import load

    return load()


def test_liboqs_is_provisioned() -> None:
    liboqs = next(b for b in pqc.backends() if b.name == "liboqs")
    assert liboqs.available, f"{liboqs.reason}: run 'make liboqs' (make test does)"
    assert liboqs.fips_boundary is False
    assert liboqs.parameter_sets == SETS
    assert _backend().version == "0.15.0"
    assert pqc.MLKEM("ML-KEM-512").backend == "openssl"  # "auto" picks the FIPS provider


KEYGEN = acvp.keygen()
ENCAPSULATION = acvp.encapsulation()
DECAPSULATION = acvp.decapsulation()
EK_CHECKS = acvp.key_checks("encapsulationKeyCheck")
DK_CHECKS = acvp.key_checks("decapsulationKeyCheck")


def test_every_case_is_here() -> None:
    counts = [len(KEYGEN), len(ENCAPSULATION), len(DECAPSULATION), len(EK_CHECKS), len(DK_CHECKS)]
    assert counts == [75, 75, 30, 30, 30]
    assert {c.parameter_set for c in KEYGEN + ENCAPSULATION} == set(SETS)


@pytest.mark.parametrize("case", KEYGEN, ids=[c.id for c in KEYGEN])
def test_acvp_keygen(case: acvp.KeyGen) -> None:
    public, private = _liboqs(case.parameter_set).generate_keypair(seed=case.seed)
    assert (public, private) == (case.ek, case.seed)
    assert _backend().keypair(case.parameter_set, case.seed) == (case.ek, case.dk)
    assert indicator.last() == indicator.Operation(
        "pqc.kem.liboqs", f"{case.parameter_set.lower()} (liboqs)", False, "liboqs backend tests"
    )


@pytest.mark.parametrize("case", ENCAPSULATION, ids=[c.id for c in ENCAPSULATION])
def test_acvp_encapsulation(case: acvp.Encapsulation) -> None:
    """FIPS 203 Algorithm 17 with the case's m (the backend layer: the public API draws m from the
    DRBG), then the public decapsulation with the case's expanded dk."""
    assert _backend().encapsulate(case.parameter_set, case.ek, case.m) == (case.c, case.k)
    assert _liboqs(case.parameter_set).decapsulate(case.dk, case.c) == case.k


@pytest.mark.parametrize("case", DECAPSULATION, ids=[c.id for c in DECAPSULATION])
def test_acvp_decapsulation(case: acvp.Decapsulation) -> None:
    """Valid ciphertexts give K, modified ones the implicit-rejection key: both as NIST computed."""
    assert _liboqs(case.parameter_set).decapsulate(case.dk, case.c) == case.k


@pytest.mark.parametrize(
    "case", EK_CHECKS + DK_CHECKS, ids=[c.id + "-" + c.function for c in EK_CHECKS + DK_CHECKS]
)
def test_acvp_key_checks(case: acvp.KeyCheck) -> None:
    """FIPS 203 §7.2 (modulus) on encapsulation keys, §7.3 (hash of ek in dk) on decapsulation keys."""
    acvp.check_key(_liboqs(case.parameter_set), case)


@pytest.mark.parametrize("parameter_set", SETS)
def test_one_seed_gives_the_same_keys_on_both_backends(parameter_set: str) -> None:
    openssl = pqc.MLKEM(parameter_set, backend="openssl")
    for seed in (os.urandom(64), bytes(64), b"\xff" * 64):
        assert openssl.generate_keypair(seed=seed) == _liboqs(parameter_set).generate_keypair(seed=seed)


@pytest.mark.parametrize("parameter_set", SETS)
@pytest.mark.parametrize("direction", ["openssl->liboqs", "liboqs->openssl"])
def test_encapsulate_on_one_backend_decapsulate_on_the_other(parameter_set: str, direction: str) -> None:
    kems = {"openssl": pqc.MLKEM(parameter_set, backend="openssl"), "liboqs": _liboqs(parameter_set)}
    sender, receiver = (kems[name] for name in direction.split("->"))
    public, private = receiver.generate_keypair()
    ciphertext, secret = sender.encapsulate(public)
    assert receiver.decapsulate(private, ciphertext) == secret
    assert sender.decapsulate(private, ciphertext) == secret  # the seed is the key on either side
    tampered = bytes([ciphertext[0] ^ 0x80]) + ciphertext[1:]
    rejected = receiver.decapsulate(private, tampered)
    assert rejected != secret
    assert rejected == sender.decapsulate(private, tampered)
    assert rejected == hashlib.shake_256(private[32:] + tampered).digest(32)  # J(z || c)


@pytest.mark.parametrize("parameter_set", SETS)
def test_round_trip_and_tampering_on_liboqs(parameter_set: str) -> None:
    kem = _liboqs(parameter_set)
    public, private = kem.generate_keypair()
    ciphertext, secret = kem.encapsulate(public)
    assert kem.decapsulate(private, ciphertext) == secret
    for where in (0, len(ciphertext) // 2, -1):
        tampered = bytearray(ciphertext)
        tampered[where] ^= 0x01
        assert kem.decapsulate(private, bytes(tampered)) == hashlib.shake_256(private[32:] + tampered).digest(
            32
        )
    over = b"\xff\x0f" + public[2:]  # a coefficient of 4095 >= q
    with pytest.raises(InvalidKey, match="modulus"):
        kem.encapsulate(over)
    with pytest.raises(InvalidKey, match="type check"):
        kem.encapsulate(public[:-1])
    with pytest.raises(InvalidKey, match="length check"):
        kem.decapsulate(private[:-1], ciphertext)


STRICT = """
import json, fipscrypto
from fipscrypto import indicator, pqc
fipscrypto.activate("strict", pqc=True)
kem = pqc.MLKEM("ML-KEM-768", backend="liboqs")
try:
    kem.generate_keypair()
    refused = None
except fipscrypto.PolicyViolation as exc:
    refused = str(exc)
def op():
    found = indicator.last()
    return [found.service, found.algorithm, found.approved, found.exemption]
refused_op = op()
with indicator.exempt(reason="interop test with a liboqs peer"):
    public, private = kem.generate_keypair()
exempted_op = op()
print(json.dumps({"refused": refused, "refused_op": refused_op, "exempted_op": exempted_op}))
"""


def test_strict_mode_refuses_liboqs_unless_exempted(state_paths: StatePaths) -> None:
    result = run_json(STRICT, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert "implementation liboqs" in result["refused"]
    assert "the cryptographic module boundary" in result["refused"]
    assert result["refused_op"] == ["pqc.kem.liboqs", "liboqs", False, None]
    assert result["exempted_op"] == [
        "pqc.kem.liboqs",
        "ml-kem-768 (liboqs)",
        False,
        "interop test with a liboqs peer",
    ]


AUDIT = """
import json, fipscrypto
from fipscrypto import indicator, pqc
fipscrypto.activate("audit", pqc=True)
kem = pqc.MLKEM("ML-KEM-512", backend="liboqs")
public, private = kem.generate_keypair()
ciphertext, secret = kem.encapsulate(public)
same = kem.decapsulate(private, ciphertext) == secret
op = indicator.last()
print(json.dumps({"backend": kem.backend, "same": same,
                  "last": [op.service, op.algorithm, op.approved, op.exemption]}))
"""


def test_audit_mode_runs_liboqs_as_a_non_approved_service(state_paths: StatePaths) -> None:
    result = run_json(AUDIT, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert result == {
        "backend": "liboqs",
        "same": True,
        "last": ["pqc.kem.liboqs", "ml-kem-512 (liboqs)", False, None],
    }


# A process without liboqs: every audit event that would reach the network or run a build is kept.
MISSING = """
import json, sys
events = []
def hook(event, args):
    if event.startswith(("socket.", "urllib.")) or event == "subprocess.Popen":
        events.append([event, str(args)[:200]])
sys.addaudithook(hook)
import fipscrypto
from fipscrypto import pqc
from fipscrypto.errors import BackendUnavailable
fipscrypto.activate(pqc=True)
liboqs = [b.as_dict() for b in pqc.backends() if b.name == "liboqs"][0]
try:
    pqc.MLKEM("ML-KEM-512", backend="liboqs")
    error = None
except BackendUnavailable as exc:
    error = {"backend": exc.backend, "text": str(exc)}
print(json.dumps({"liboqs": liboqs, "error": error, "oqs": "oqs" in sys.modules,
                  "events": events}))
"""


def test_a_missing_liboqs_gives_backend_unavailable_without_importing_oqs(
    state_paths: StatePaths, tmp_path: Path
) -> None:
    result = run_json(
        MISSING,
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
        OQS_INSTALL_PATH=str(tmp_path),
        HOME=str(tmp_path),
    )
    assert result["oqs"] is False
    assert result["liboqs"]["available"] is False
    assert "no liboqs shared library" in result["liboqs"]["reason"]
    assert result["error"]["backend"] == "liboqs"
    assert "make liboqs" in result["error"]["text"]
    assert "pip install 'fipscrypto[pqc]'" in result["error"]["text"]
    # ctypes.util.find_library asks the loader's cache (ldconfig) and the toolchain; nothing else runs
    # (no git, no cmake) and no socket is opened.
    assert not [e for e in result["events"] if e[0] != "subprocess.Popen"]
    programs = {e[1].split("'")[1] for e in result["events"]}
    assert programs <= {"/sbin/ldconfig", "gcc", "cc", "ld", "/usr/bin/gcc", "/usr/bin/ld"}, programs


def test_using_liboqs_prints_nothing(state_paths: StatePaths) -> None:
    """liboqs-python logs to stdout when imported; fipscrypto silences it (a CLI's output is its own)."""
    done = run_python(
        """
import fipscrypto
from fipscrypto import indicator, pqc
fipscrypto.activate("audit", pqc=True)
pqc.MLKEM("ML-KEM-512", backend="liboqs").generate_keypair()
print("done")
""",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
    )
    assert done.stdout == "done\n", done.stderr
    assert "liboqs version" not in done.stderr


def test_the_self_test_values_are_the_vector_files() -> None:
    case = next(c for c in ENCAPSULATION if c.id == "ML-KEM-768-tc26")
    assert (case.ek, case.m, case.c, case.k) == (kat._EK, kat._M, kat._C, kat._K)
    keygen = next(c for c in KEYGEN if c.id == "ML-KEM-768-tc26")
    assert (keygen.seed, keygen.ek) == (kat_keys._MLKEM_D + kat_keys._MLKEM_Z, kat_keys._MLKEM_EK)


FORCED = """
import json, fipscrypto
from fipscrypto import pqc
fipscrypto.activate(pqc=True)
try:
    pqc.MLKEM("ML-KEM-512", backend="liboqs")
    failed = None
except fipscrypto.SelfTestFailure as exc:
    failed = exc.test
try:
    pqc.MLKEM("ML-KEM-768").generate_keypair()
    after = "served"
except fipscrypto.ModuleErrorState:
    after = "refused"
print(json.dumps({"failed": failed, "state": fipscrypto.info().state.value, "after": after}))
"""


def test_the_liboqs_self_test_runs_before_first_use_and_fails_closed(state_paths: StatePaths) -> None:
    result = run_json(
        FORCED, FIPSCRYPTO_STATE_DIR=str(state_paths.root), FIPSCRYPTO_SELFTEST_FAIL="ml-kem-liboqs"
    )
    assert result == {"failed": "ml-kem-liboqs", "state": "error", "after": "refused"}
