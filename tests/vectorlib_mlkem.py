"""The NIST ACVP ML-KEM vector sets (tests/vectors/acvp, provenance in tests/vectors/SOURCES.md),
as typed cases: keyGen (d, z -> ek, dk) and encapDecap (encapsulation with m, decapsulation with the
expanded dk, and the encapsulation- and decapsulation-key checks of FIPS 203 §7.2 and §7.3)."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from fipscrypto.errors import InvalidKey
from fipscrypto.pqc import MLKEM

from vectorlib import VECTORS, acvp_groups

__all__ = ["VECTORS"]

KEYGEN = "ML-KEM-keyGen-FIPS203"
ENCAP_DECAP = "ML-KEM-encapDecap-FIPS203"


class KeyGen(NamedTuple):
    id: str
    parameter_set: str
    seed: bytes  # d || z
    ek: bytes
    dk: bytes


class Encapsulation(NamedTuple):
    id: str
    parameter_set: str
    ek: bytes
    dk: bytes
    m: bytes
    c: bytes
    k: bytes


class Decapsulation(NamedTuple):
    id: str
    parameter_set: str
    dk: bytes
    c: bytes
    k: bytes
    reason: str  # "valid decapsulation", "modified ciphertext", ...


class KeyCheck(NamedTuple):
    id: str
    parameter_set: str
    function: str  # "encapsulationKeyCheck" or "decapsulationKeyCheck"
    key: bytes  # ek or dk
    valid: bool
    reason: str


def _id(group: dict[str, object], test: dict[str, object]) -> str:
    return f"{group['parameterSet']}-tc{test['tcId']}"


def keygen() -> list[KeyGen]:
    return [
        KeyGen(
            _id(g, t),
            g["parameterSet"],
            bytes.fromhex(t["d"] + t["z"]),
            bytes.fromhex(t["ek"]),
            bytes.fromhex(t["dk"]),
        )
        for g in acvp_groups(KEYGEN)
        for t in g["tests"]
    ]


def _function(name: str) -> list[tuple[dict[str, str], dict[str, str]]]:
    return [(g, t) for g in acvp_groups(ENCAP_DECAP) if g["function"] == name for t in g["tests"]]


def encapsulation() -> list[Encapsulation]:
    return [
        Encapsulation(
            _id(g, t), g["parameterSet"], *(bytes.fromhex(t[f]) for f in ("ek", "dk", "m", "c", "k"))
        )
        for g, t in _function("encapsulation")
    ]


def decapsulation() -> list[Decapsulation]:
    return [
        Decapsulation(
            _id(g, t), g["parameterSet"], *(bytes.fromhex(t[f]) for f in ("dk", "c", "k")), t["reason"]
        )
        for g, t in _function("decapsulation")
    ]


def key_checks(function: str) -> list[KeyCheck]:
    field = "ek" if function == "encapsulationKeyCheck" else "dk"
    return [
        KeyCheck(
            _id(g, t), g["parameterSet"], function, bytes.fromhex(t[field]), t["testPassed"], t["reason"]
        )
        for g, t in _function(function)
    ]


def check_key(kem: MLKEM, case: KeyCheck) -> None:
    """FIPS 203 §7.2 (modulus) on an encapsulation key, §7.3 (hash of ek in dk) on a decapsulation key:
    ``kem`` uses a valid key and refuses an invalid one (InvalidKey) before use."""
    if case.function == "encapsulationKeyCheck":
        call = lambda: kem.encapsulate(case.key)  # noqa: E731
    else:
        call = lambda: kem.decapsulate(case.key, bytes(kem.sizes["ciphertext"]))  # noqa: E731
    if case.valid:
        assert len(call()) in (2, 32)
    else:
        with pytest.raises(InvalidKey, match=r"FIPS 203 §7\.[23]"):
            call()
