"""RSA, EC and FFDH key pairs come from the FIPS provider itself (fipscrypto's private context), in
every mode with a provider: the provider, not only the policy, refuses what FIPS 186-5 does not allow."""

from __future__ import annotations

import pytest

from fipscrypto import keys
from fipscrypto.errors import InvalidParameter
from fipscrypto.provider.state import StatePaths

from support import run_json

GENERATE = """
import json, fipscrypto
fipscrypto.activate()
from fipscrypto import audit, keys, status
from fipscrypto.errors import FipsError
events = []
audit.subscribe(lambda e: events.append(e.fields.get("generated_in")) if e.kind == "key-generated" else None)
def attempt(call):
    try:
        call()
        return "generated"
    except FipsError as exc:
        return f"{type(exc).__name__}: {exc}"
out = {
    "rsa-1024": attempt(lambda: keys.generate_signing_key("rsa-pss", bits=1024)),
    "secp256k1": attempt(lambda: keys.generate_signing_key("ecdsa-secp256k1")),
    "rsa-2048": attempt(lambda: keys.generate_signing_key("rsa-pss", bits=2048)),
    "p384": attempt(lambda: keys.generate_agreement_key("ecdh-p384")),
    "modp4096": attempt(lambda: keys.generate_agreement_key("ffdh", group="modp4096")),
    "ed25519": attempt(lambda: keys.generate_signing_key("ed25519")),
}
mapped = [path for path in status.mapped_files() if path.endswith(".so") and "fips" in path]
print(json.dumps({"out": out, "events": events, "mapped": mapped}))
"""


@pytest.mark.parametrize("mode", ["strict", "audit"])
def test_the_provider_generates_and_refuses(state_paths: StatePaths, mode: str) -> None:
    result = run_json(GENERATE, FIPSCRYPTO_STATE_DIR=str(state_paths.root), FIPSCRYPTO_MODE=mode)
    out = result["out"]
    assert out["rsa-2048"] == out["p384"] == out["modp4096"] == out["ed25519"] == "generated"
    if mode == "strict":  # the policy refuses first
        assert out["rsa-1024"].startswith("PolicyViolation: ")
        assert out["secp256k1"].startswith("PolicyViolation: ")
    else:  # the policy lets audit mode through: the provider itself refuses
        assert out["rsa-1024"].startswith(
            "AlgorithmUnavailable: RSA-1024 key generation: the FIPS provider refused"
        )
        assert out["secp256k1"].startswith("AlgorithmUnavailable: EC key generation on secp256k1")
    inside, through = "fips provider, private context", "fips provider, through cryptography"
    assert result["events"] == [inside, inside, inside, through]
    # The private context's copy of the module is mapped next to the one cryptography loaded.
    assert {path.rsplit("/", 1)[1] for path in result["mapped"]} == {"fips.so", "fips-context.so"}


def test_off_mode_generates_without_a_provider_and_says_so() -> None:
    result = run_json(GENERATE, FIPSCRYPTO_MODE="off")
    assert result["out"]["rsa-2048"] == "generated"
    assert set(result["events"]) == {"cryptography, no provider"}
    assert result["mapped"] == []


@pytest.mark.parametrize("bits", [0, -2048, 16385, 2**64, True, 2048.0, "3072"])
def test_rsa_sizes_outside_the_bounds_are_invalid(bits: object) -> None:
    with pytest.raises(InvalidParameter):
        keys.generate_signing_key("rsa-pss", bits=bits)  # type: ignore[arg-type]


def test_imported_rsa_moduli_are_bounded() -> None:
    with pytest.raises(InvalidParameter):
        keys.rsa_verifying_key((1 << 16400) + 1, 65537)  # seconds of arithmetic per verification


def test_an_imported_ec_scalar_is_checked_by_the_provider() -> None:
    # The public key of an imported scalar is computed outside the provider (cryptography's
    # EC_POINT_mul), then the provider's pairwise check confirms it.
    key = keys.agreement_key_from_private_value("ecdh-p256", 7)
    assert key.public_bytes("raw") == bytes.fromhex(
        "048e533b6fa0bf7b4625bb30667c01fb607ef9f8b8a80fef5b300628703187b2"
        "a373eb1dbde03318366d069f83a6f5900053c73633cb041b21c55e1a86c1f400b4"
    )
    context = keys.inside.get()
    assert context is not None
    point = key.public_bytes("raw")
    assert context.ec_pairwise("p256", 7, point) is True
    p = 2**256 - 2**224 + 2**192 + 2**96 - 1
    negated = point[:33] + (p - int.from_bytes(point[33:], "big")).to_bytes(32, "big")  # -7G: on the curve
    assert context.ec_pairwise("p256", 7, negated) is False
    assert (
        context.dh_pairwise("ffdhe2048", (keys.GROUPS["ffdhe2048"].p, 2, keys.GROUPS["ffdhe2048"].q), 5, 32)
        is True
    )
    assert (
        context.dh_pairwise("ffdhe2048", (keys.GROUPS["ffdhe2048"].p, 2, keys.GROUPS["ffdhe2048"].q), 5, 33)
        is False
    )
