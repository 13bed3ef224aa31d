"""X-Wing (draft-connolly-cfrg-xwing-kem) and X25519MLKEM768: the draft's vectors and the layouts.

X25519 is not in the FIPS provider, so these hybrids run only in off mode (no provider, cryptography's
default one): a fresh interpreter activated with ``mode="off"`` runs them, as a user outside the FIPS
boundary would. The vectors (tests/vectors/xwing, provenance in SOURCES.md) fix the key generation
from a 32-byte seed (SHAKE256 expansion), the ciphertext layout ct_M || ct_X and the SHA3-256
combiner; encapsulation takes no caller randomness, so the vectors' ciphertexts are checked by
decapsulation. In the strict test process the same hybrids are refused (tests/test_pqc_hybrid.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from support import run_json
from vectorlib import VECTORS

OFF_MODE = """
import hashlib, json, sys
import fipscrypto
fipscrypto.activate("off")
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from fipscrypto.errors import InvalidParameter
from fipscrypto.pqc import HybridKEM
from fipscrypto.selftests import hybrid as cast

def x25519_of(scalar, u):
    key = x25519.X25519PrivateKey.from_private_bytes(scalar)
    return key.exchange(x25519.X25519PublicKey.from_public_bytes(u))

xwing = HybridKEM("X-Wing")
vectors = []
for v in json.load(open(sys.argv[1])):
    public_key, private_key = xwing.generate_keypair(seed=bytes.fromhex(v["sk"]))
    vectors.append([public_key.hex() == v["pk"], private_key.hex() == v["sk"],
                    xwing.decapsulate(private_key, bytes.fromhex(v["ct"])).hex() == v["ss"]])
public_key, private_key = xwing.generate_keypair()
ciphertext, secret = xwing.encapsulate(public_key)
round_trip = [len(public_key), len(private_key), len(ciphertext), len(secret),
              xwing.decapsulate(private_key, ciphertext) == secret]
try:
    xwing.decapsulate(private_key, ciphertext[:1088] + bytes(32))  # u = 0: low order
    low_order = "accepted"
except InvalidParameter:
    low_order = "refused"

hybrid = HybridKEM("X25519MLKEM768")
public_key, private_key = hybrid.generate_keypair()
ciphertext, secret = hybrid.encapsulate(public_key)
seed, scalar = private_key[:64], private_key[64:]
kem = mlkem.MLKEM768PrivateKey.from_seed_bytes(seed)
base = (9).to_bytes(32, "little")  # RFC 7748 §4.1: u = 9
layout = {
    "public key": public_key == kem.public_key().public_bytes_raw() + x25519_of(scalar, base),
    "secret": secret == kem.decapsulate(ciphertext[:1088]) + x25519_of(scalar, ciphertext[1088:]),
    "decapsulated": hybrid.decapsulate(private_key, ciphertext) == secret,
    "sizes": [len(public_key), len(private_key), len(ciphertext), len(secret)],
}
expanded = hashlib.shake_256(cast._XWING_SK).digest(96)
constant = x25519_of(expanded[64:], cast._XWING_CT[1088:]) == cast._XWING_SS_X
print(json.dumps({"vectors": vectors, "round_trip": round_trip, "low_order": low_order,
                  "layout": layout, "self_test_constant": constant}))
"""


@pytest.fixture(scope="module")
def off_mode() -> dict[str, Any]:
    path = VECTORS / "xwing/test-vectors.json"
    return run_json(OFF_MODE, str(path), FIPSCRYPTO_MODE="off", FIPSCRYPTO_PQC="1")


def test_the_draft_vectors_reproduce(off_mode: dict[str, Any]) -> None:
    count = len(json.loads((VECTORS / "xwing/test-vectors.json").read_text()))
    assert count == 3
    assert off_mode["vectors"] == [[True, True, True]] * count


def test_xwing_round_trip_and_sizes(off_mode: dict[str, Any]) -> None:
    assert off_mode["round_trip"] == [1216, 32, 1120, 32, True]


def test_a_low_order_x25519_ciphertext_is_refused(off_mode: dict[str, Any]) -> None:
    assert off_mode["low_order"] == "refused"


def test_x25519mlkem768_puts_mlkem_first(off_mode: dict[str, Any]) -> None:
    assert off_mode["layout"] == {
        "public key": True,
        "secret": True,
        "decapsulated": True,
        "sizes": [1216, 96, 1120, 64],
    }


def test_the_self_tests_x25519_constant_is_the_vectors(off_mode: dict[str, Any]) -> None:
    assert off_mode["self_test_constant"] is True
