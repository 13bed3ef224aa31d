"""Names a service does not offer: known algorithms are AlgorithmUnavailable, garbage is InvalidParameter.

The policy vocabulary names algorithms fipscrypto does not offer (MD4, KMAC, DSA, SLH-DSA, LMS, XMSS,
ML-KEM key agreement, PKCS #1 v1.5 key transport, scrypt, ...). A service refuses them as "not
offered" (docs/core-services.md), without asking the policy about a name that has no rule, and
refuses any other string as a bad parameter. HMAC (FIPS 198-1) and so every service built on it
(mac, the HMAC-based KDFs, HMAC_DRBG) runs over a hash function with a block size: an XOF is a bad
parameter there. Strict mode, the real FIPS provider (conftest.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac as std_hmac
from collections.abc import Callable
from pathlib import Path

import pytest

from fipscrypto import hashes, indicator, kdf, keys, mac, passwords, rand
from fipscrypto._backend import hashes as backend_hashes
from fipscrypto.errors import AlgorithmUnavailable, AuthenticationError, InvalidParameter
from fipscrypto.policy.vocabulary import categories

KEY = bytes(range(32))
SALT = bytes(16)

HMAC_USERS: dict[str, Callable[[str], object]] = {
    "mac.hmac": lambda h: mac.hmac(KEY, b"x", digest=h),
    "mac.verify_hmac": lambda h: mac.verify_hmac(KEY, b"x", bytes(32), digest=h),
    "kdf.hkdf": lambda h: kdf.hkdf(KEY, length=32, digest=h),
    "kdf.hkdf_extract": lambda h: kdf.hkdf_extract(KEY, digest=h),
    "kdf.hkdf_expand": lambda h: kdf.hkdf_expand(KEY * 2, length=32, digest=h),
    "kdf.pbkdf2": lambda h: kdf.pbkdf2(b"pw", SALT, iterations=1000, length=32, digest=h),
    "kdf.kbkdf": lambda h: kdf.kbkdf(KEY, length=32, prf=f"hmac-{h}"),
    "kdf.kbkdf feedback": lambda h: kdf.kbkdf(KEY, length=32, prf=f"hmac-{h}", mode="feedback"),
    "rand.HmacDrbg": lambda h: rand.HmacDrbg(digest=h),
}


def test_the_hmac_table_holds_every_digest_and_no_xof() -> None:
    assert set(backend_hashes.HMAC_HASHES) == set(backend_hashes.DIGESTS)
    assert not set(backend_hashes.HMAC_HASHES) & set(backend_hashes.XOFS)
    # Every HMAC the table allows has a name in the policy vocabulary, so the policy can rule on it.
    assert {f"hmac-{h}" for h in backend_hashes.HMAC_HASHES} <= set(categories()["mac"].names)


@pytest.mark.parametrize("service", HMAC_USERS)
def test_hmac_services_refuse_an_unoffered_hash_as_not_offered(service: str) -> None:
    with pytest.raises(AlgorithmUnavailable, match="md4 is not offered by fipscrypto"):
        HMAC_USERS[service]("md4")


@pytest.mark.parametrize("xof", ["shake128", "shake256"])
@pytest.mark.parametrize("service", HMAC_USERS)
def test_hmac_services_refuse_an_xof_as_a_bad_parameter(service: str, xof: str) -> None:
    with pytest.raises(InvalidParameter, match="XOF: HMAC needs a hash function with a block size"):
        HMAC_USERS[service](xof)


@pytest.mark.parametrize("garbage", ["sha-256", "SHA256", "", "hmac-sha256"])
@pytest.mark.parametrize("service", HMAC_USERS)
def test_hmac_services_refuse_garbage_as_a_bad_parameter(service: str, garbage: str) -> None:
    with pytest.raises(InvalidParameter, match="unknown hash"):
        HMAC_USERS[service](garbage)


@pytest.mark.parametrize("digest", ["sha256", "sha3-256", "sha512-256"])
def test_the_hmac_services_run_every_hash_of_the_table(digest: str) -> None:
    expected = std_hmac.new(KEY, b"x", digest.replace("-", "_")).digest()
    assert mac.hmac(KEY, b"x", digest=digest) == expected
    mac.verify_hmac(KEY, b"x", expected, digest=digest)
    assert len(rand.HmacDrbg(digest=digest).generate(16)) == 16


@pytest.mark.parametrize("prf", ["kmac128", "kmac256", "poly1305", "aes-xcbc"])
def test_kbkdf_refuses_a_known_mac_as_not_offered(prf: str) -> None:
    with pytest.raises(AlgorithmUnavailable, match=f"KBKDF PRF {prf} is not offered"):
        kdf.kbkdf(KEY, length=32, prf=prf)


def test_kbkdf_refuses_an_unknown_prf_as_a_bad_parameter() -> None:
    with pytest.raises(InvalidParameter, match="unknown KBKDF PRF"):
        kdf.kbkdf(KEY, length=32, prf="kmac")


@pytest.mark.parametrize(("xof", "length"), [("shake128", 16), ("shake256", 64), ("shake256", 1)])
def test_hash_file_takes_an_xof_length(tmp_path: Path, xof: str, length: int) -> None:
    data = bytes(range(256)) * 300
    path = tmp_path / "data"
    path.write_bytes(data)
    expected = hashlib.new(xof.replace("shake", "shake_"), data).digest(length)  # type: ignore[call-arg]
    assert hashes.hash_file(path, xof, length=length, chunk=1000) == expected
    assert hashes.digest(xof, data, length=length) == expected


def test_hash_file_refuses_a_length_for_a_fixed_hash_and_none_for_an_xof(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.write_bytes(b"abc")
    with pytest.raises(InvalidParameter, match="fixed output length"):
        hashes.hash_file(path, "sha256", length=32)
    with pytest.raises(InvalidParameter, match="XOF: give length"):
        hashes.hash_file(path, "shake256")


@pytest.mark.parametrize(
    "scheme",
    [
        "dsa",
        "lms",
        "xmss",
        "slh-dsa-sha2-128s",
        "slh-dsa-shake-256f",
        "ecdsa-brainpoolp256r1",
    ],
)
def test_signature_schemes_the_vocabulary_names_are_not_offered(scheme: str) -> None:
    with pytest.raises(AlgorithmUnavailable, match=f"signature scheme {scheme} is not offered.*rsa-pss"):
        keys.generate_signing_key(scheme)


def test_rsa_x931_is_not_offered_whatever_its_size() -> None:
    with pytest.raises(AlgorithmUnavailable, match="rsa-x931 is not offered"):
        keys.generate_signing_key("rsa-x931", bits=2048)


@pytest.mark.parametrize(
    "scheme", ["ml-kem-512", "ml-kem-768", "ml-kem-1024", "rsa-pkcs1v15-transport", "ecdh-brainpoolp256r1"]
)
def test_key_establishment_schemes_the_vocabulary_names_are_not_offered(scheme: str) -> None:
    with pytest.raises(AlgorithmUnavailable, match=f"{scheme} is not offered.*fipscrypto.tls"):
        keys.generate_agreement_key(scheme)


def test_pkcs1v15_key_transport_is_not_offered() -> None:
    with pytest.raises(AlgorithmUnavailable, match=r"rsa-pkcs1v15-transport is not offered.*rsa-oaep"):
        keys.generate_transport_key("rsa-pkcs1v15-transport")


@pytest.mark.parametrize(
    "call",
    [
        lambda: keys.generate_signing_key("rsa-pss-sha256"),
        lambda: keys.generate_agreement_key("ecdh-p256k"),
        lambda: keys.generate_transport_key("oaep"),
    ],
)
def test_unknown_key_schemes_are_bad_parameters(call: Callable[[], object]) -> None:
    with pytest.raises(InvalidParameter, match="unknown"):
        call()


@pytest.mark.parametrize(
    "scheme", ["pbkdf2-hmac-sha1", "pbkdf2-hmac-sha256", "scrypt", "bcrypt", "md5-crypt", "sha512-crypt"]
)
def test_password_schemes_the_vocabulary_names_are_not_offered(scheme: str) -> None:
    with pytest.raises(AlgorithmUnavailable, match=f"{scheme} is not offered.*pbkdf2-sha512"):
        passwords.hash("pw", scheme=scheme)


@pytest.mark.parametrize("scheme", ["pbkdf2-hmac-sha512", "pbkdf2", "PBKDF2-SHA512", ""])
def test_other_password_schemes_are_bad_parameters(scheme: str) -> None:
    with pytest.raises(InvalidParameter, match="pbkdf2-sha512"):
        passwords.hash("pw", scheme=scheme)


# ------------------------------------------------------- PBKDF2 strings other software wrote


def _phc(scheme: str, digest: str, password: bytes, iterations: int, salt: bytes, length: int) -> str:
    """A PHC string computed by an independent implementation (hashlib)."""
    key = hashlib.pbkdf2_hmac(digest, password, salt, iterations, length)
    b64 = lambda data: base64.b64encode(data).decode().rstrip("=")  # noqa: E731
    return f"${scheme}$i={iterations}${b64(salt)}${b64(key)}"


@pytest.mark.parametrize(
    ("scheme", "digest", "length"), [("pbkdf2-sha256", "sha256", 32), ("pbkdf2-sha1", "sha1", 20)]
)
def test_verify_reads_legacy_pbkdf2_strings(scheme: str, digest: str, length: int) -> None:
    stored = _phc(scheme, digest, b"hunter2", 10_000, bytes(range(16)), length)
    passwords.verify("hunter2", stored)
    op = indicator.last()
    assert op is not None
    assert op.service == "passwords.verify"
    with pytest.raises(AuthenticationError):
        passwords.verify("hunter3", stored)
    assert passwords.needs_rehash(stored) is True


@pytest.mark.parametrize(
    ("scheme", "digest", "block"), [("pbkdf2-sha256", "sha256", 32), ("pbkdf2-sha1", "sha1", 20)]
)
def test_a_legacy_key_is_at_most_one_block_of_its_hash(scheme: str, digest: str, block: int) -> None:
    with pytest.raises(InvalidParameter, match=f"key of 14..{block} bytes"):
        passwords.verify("hunter2", _phc(scheme, digest, b"hunter2", 1000, bytes(16), block + 1))


def test_legacy_schemes_are_read_but_never_written() -> None:
    with pytest.raises(InvalidParameter, match="unknown password hashing scheme"):
        passwords.hash("pw", scheme="pbkdf2-sha256")
