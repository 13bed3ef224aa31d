"""Password storage under the policy: PHC strings, floors, legacy hashes, Argon2id only outside strict."""

from __future__ import annotations

import base64
import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fipscrypto import indicator, passwords
from fipscrypto.errors import AuthenticationError, InvalidParameter, PolicyViolation
from fipscrypto.kdf import pbkdf2
from fipscrypto.provider.state import StatePaths

from support import run_json


def test_hash_and_verify_at_the_policy_floor() -> None:
    stored = passwords.hash("correct horse battery staple")
    scheme, params, salt, key = stored.split("$")[1:]
    assert (scheme, params) == ("pbkdf2-sha512", "i=600000")
    assert len(base64.b64decode(salt + "==")) == 16
    # Independently recomputed: the string holds PBKDF2-HMAC-SHA-512(password, salt, 600000, 64).
    raw_salt = base64.b64decode(salt + "=" * (-len(salt) % 4))
    assert base64.b64decode(key + "=" * (-len(key) % 4)) == pbkdf2(
        b"correct horse battery staple", raw_salt, iterations=600_000, length=64, digest="sha512"
    )
    passwords.verify("correct horse battery staple", stored)
    assert indicator.last() is not None
    with pytest.raises(AuthenticationError):
        passwords.verify("Correct horse battery staple", stored)
    assert passwords.needs_rehash(stored) is False
    assert passwords.hash("x") != passwords.hash("x")  # fresh salts


def test_below_the_floor_is_refused_new_but_verifies_old() -> None:
    with pytest.raises(PolicyViolation, match="below the policy minimum"):
        passwords.hash("old", iterations=10_000)
    with indicator.exempt(reason="test: make a hash as a 2019 system did"):
        legacy = passwords.hash("old", iterations=10_000)
    passwords.verify("old", legacy)  # legacy use: processing data protected earlier
    assert passwords.needs_rehash(legacy) is True


def test_argon2id_is_refused_in_strict_mode() -> None:
    with pytest.raises(PolicyViolation, match="argon2id"):
        passwords.hash("x", scheme="argon2id")


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "$pbkdf2-sha512$i=600000$c2FsdA",
        "$md5$i=1$c2FsdA$a2V5",
        "$pbkdf2-sha512$i=abc$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5",
        "$pbkdf2-sha512$x=600000$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5",
        "$pbkdf2-sha512$i=600000$c2FsdHNhbHRzYWx0c2FsdA$a2V5",  # 3-byte key
        "$pbkdf2-sha512$i=600000$!!!$a2V5a2V5a2V5a2V5a2V5",
    ],
)
def test_malformed_strings_are_invalid_parameters(stored: str) -> None:
    with pytest.raises(InvalidParameter):
        passwords.verify("x", stored)


@settings(deadline=None, max_examples=150)
@given(st.text(max_size=120))
def test_arbitrary_strings_never_crash(stored: str) -> None:
    with contextlib.suppress(InvalidParameter, AuthenticationError, PolicyViolation):
        passwords.verify("x", stored)


def test_argon2id_outside_strict_mode(state_paths: StatePaths) -> None:
    code = """
import json, fipscrypto
from fipscrypto import passwords
from fipscrypto.errors import FipsError
fipscrypto.activate()
try:
    stored = passwords.hash("pw", scheme="argon2id")
    passwords.verify("pw", stored)
    ok = stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    result = {"ok": ok, "rehash": passwords.needs_rehash(stored)}
except FipsError as exc:
    result = {"error": type(exc).__name__}
print(json.dumps(result))
"""
    # Off mode: no FIPS provider, cryptography's default provider has Argon2id.
    assert run_json(code, FIPSCRYPTO_MODE="off") == {"ok": True, "rehash": True}
    # Audit mode: the policy lets it through (recorded), but the FIPS provider does not offer it.
    audit = run_json(code, FIPSCRYPTO_MODE="audit", FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert audit == {"error": "AlgorithmUnavailable"}


SALT = "c2FsdHNhbHRzYWx0c2FsdA"  # 16 bytes
KEY = base64.b64encode(bytes(64)).decode().rstrip("=")


@pytest.mark.parametrize(
    "stored",
    [
        f"$pbkdf2-sha512$i=2147483648${SALT}${KEY}",  # made cryptography panic (a BaseException)
        f"$pbkdf2-sha512$i={passwords.MAX_ITERATIONS + 1}${SALT}${KEY}",  # minutes of work per try
        f"$pbkdf2-sha512$i=0${SALT}${KEY}",
        f"$pbkdf2-sha512$i=600000${SALT}${base64.b64encode(bytes(65)).decode()}",  # a second block
        f"$pbkdf2-sha512$i=600000${SALT}${'A' * 400_000}",  # a 300 KB key from the stored string
        f"$pbkdf2-sha512$i=600000${base64.b64encode(bytes(65)).decode()}${KEY}",
        f"$pbkdf2-sha512$i=600000${SALT}${KEY}\n",  # a trailing newline
        f"$pbkdf2-sha512$i=1000,i=600000${SALT}${KEY}",  # a parameter twice
        f"$pbkdf2-sha512$i=\uff16\uff10\uff10\uff10\uff10\uff10${SALT}${KEY}",  # non-ASCII digits
        f"$argon2id$v=19$m={1 << 32},t=2,p=1${SALT}${KEY}",  # 4 TiB of memory
        f"$argon2id$v=19$m=19456,t=2,p=1,p=1${SALT}${KEY}",
    ],
)
def test_stored_parameters_outside_the_ceilings_are_refused_before_any_work(stored: str) -> None:
    for call in (lambda: passwords.verify("x", stored), lambda: passwords.needs_rehash(stored)):
        with pytest.raises(InvalidParameter):
            call()


@pytest.mark.parametrize(
    "arguments",
    [
        {"iterations": 2**31},  # made cryptography panic
        {"iterations": "600000"},
        {"iterations": 600_000.0},
        {"length": 64 * 1024 * 1024},  # 64 MiB of output: every iteration a million times over
        {"length": True},
    ],
)
def test_pbkdf2_bounds(arguments: dict[str, object]) -> None:
    call = {"iterations": 1000, "length": 32, **arguments}
    with pytest.raises(InvalidParameter):
        pbkdf2(b"password", bytes(16), **call)  # type: ignore[arg-type]


@pytest.mark.parametrize("iterations", [passwords.MAX_ITERATIONS + 1, 2**40, "600000", 0])
def test_hash_iteration_bounds(iterations: object) -> None:
    with pytest.raises(InvalidParameter):
        passwords.hash("x", iterations=iterations)  # type: ignore[arg-type]
