"""What real peers send: fipscrypto.keys against third-party vectors and the system openssl binary.

Strict mode, fips-140-3 policy, the real FIPS provider. Vector files (tests/vectors, SOURCES.md):
Wycheproof RSA-PSS (salt length 0, MGF1 hash unlike the message hash, SHA-1, a misc file of 150
salt-length/hash combinations), ECDSA P-256 in IEEE P1363 encoding, ML-DSA-44 with context strings,
RSA-OAEP with SHA-256 (MGF1 SHA-256 and SHA-1), and NIST's CAVP SigVerPSS file. Every case of each
file is visited; the ones fipscrypto refuses are counted per documented reason.

Peers: the system ``openssl`` binary (default provider, outside fipscrypto) signs, encrypts and
exports keys that fipscrypto verifies, decrypts and imports, and the reverse.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from vectorlib_keys import WYCHEPROOF_HASHES, cavp_pss_cases, der_ecdsa_signature, openssl, wycheproof_cases

from fipscrypto import indicator, keys
from fipscrypto.errors import (
    AlgorithmUnavailable,
    AuthenticationError,
    InvalidParameter,
    InvalidSignature,
    PolicyViolation,
)

from vectorlib import VECTORS

MESSAGE = b"what a real peer sends"


def _verdict(call: Callable[..., object], *args: object, **kwargs: object) -> str:
    """'valid' when ``call(*args, **kwargs)`` returns, 'invalid' for InvalidSignature or
    AuthenticationError, the reason for an InvalidParameter (the API refused the input before any
    verification), 'unavailable' where the provider does not offer it."""
    try:
        call(*args, **kwargs)
    except (InvalidSignature, AuthenticationError):
        return "invalid"
    except InvalidParameter as exc:
        return f"refused: {str(exc).split(':')[0]}"
    except AlgorithmUnavailable:
        return "unavailable"
    return "valid"


# ------------------------------------------------------------------------------------------ RSA-PSS

PSS_FILES: dict[str, tuple[int, int]] = {
    # file: (cases, how many are valid)
    "rsa_pss_2048_sha256_mgf1_0_test.json": (103, 61),
    "rsa_pss_2048_sha256_mgf1sha1_20_test.json": (108, 63),
    "rsa_pss_2048_sha1_mgf1_20_test.json": (88, 42),
    "rsa_pss_misc_test.json": (150, 100),  # and 50 with a salt longer than the hash: see below
}


@pytest.mark.parametrize("name", list(PSS_FILES))
def test_wycheproof_rsa_pss_every_case(name: str) -> None:
    """The signer's salt length and MGF1 hash, as X.509 RSASSA-PSS-params carry them; "auto"
    recovers the salt length of every valid signature. SHA-1 verification is legacy use: allowed."""
    seen: Counter[str] = Counter()
    for group, test in wycheproof_cases(name):
        key = keys.load_verifying_key(bytes.fromhex(group["publicKeyDer"]), "rsa-pss")
        digest, mgf1 = WYCHEPROOF_HASHES[group["sha"]], WYCHEPROOF_HASHES[group["mgfSha"]]
        signature, message = bytes.fromhex(test["sig"]), bytes.fromhex(test["msg"])
        outcome = _verdict(
            key.verify, signature, message, digest=digest, mgf1_digest=mgf1, salt_length=group["sLen"]
        )
        if outcome == "unavailable":  # the FIPS provider verifies sLen <= hLen only (FIPS 186-5 §5.4)
            assert group["sLen"] > hashlib.new(digest.replace("-", "_")).digest_size, test["tcId"]
            seen["salt longer than the hash"] += 1
            continue
        assert outcome in ("valid", "invalid"), (name, test["tcId"], outcome)
        if test["result"] != "acceptable":
            assert outcome == test["result"], (name, test["tcId"], test["comment"])
        if outcome == "valid":
            key.verify(signature, message, digest=digest, mgf1_digest=mgf1, salt_length="auto")
            assert indicator.last().approved  # legacy use (SHA-1) is an approved process use
        seen[test["result"]] += 1
    assert seen["salt longer than the hash"] == (50 if name == "rsa_pss_misc_test.json" else 0)
    cases, valid = PSS_FILES[name]
    assert sum(seen.values()) == cases, seen
    assert seen["valid"] == valid, seen


def test_rsa_pss_salt_length_mismatch_is_invalid() -> None:
    group, test = next(
        (g, t) for g, t in wycheproof_cases("rsa_pss_2048_sha256_mgf1_0_test.json") if t["result"] == "valid"
    )
    key = keys.load_verifying_key(bytes.fromhex(group["publicKeyDer"]), "rsa-pss")
    with pytest.raises(InvalidSignature):  # salt length 0 signed, the hash length expected
        key.verify(bytes.fromhex(test["sig"]), bytes.fromhex(test["msg"]))


def test_cavp_sigverpss_every_case() -> None:
    """NIST CAVP SigVerPSS (FIPS 186-3), 1024..4096 bits, SHA-1..SHA-512, 10-byte salts: 450 cases.
    Keys with e = 3 or 17 are refused at import (FIPS 186-5 §A.1.1: 2^16 < e); the others verify
    as the file says, 1024 and 1536 bits as legacy use (SP 800-131A r2 Table 2)."""
    seen: Counter[str] = Counter()
    path = VECTORS / "pyca/RSA/FIPS_186-2/SigVerPSS_186-3.rsp"
    for case in cavp_pss_cases(path):
        n, e = int(case["n"], 16), int(case["e"], 16)
        expected = "valid" if case["Result"] == "P" else "invalid"
        if e < 65537:
            with pytest.raises(InvalidParameter):
                keys.rsa_verifying_key(n, e)
            seen[f"e = {e} refused"] += 1
            continue
        key = keys.rsa_verifying_key(n, e)
        digest = "sha" + case["SHAAlg"][3:] if case["SHAAlg"] != "SHA1" else "sha1"
        outcome = _verdict(
            key.verify,
            bytes.fromhex(case["S"]),
            bytes.fromhex(case["Msg"]),
            digest=digest,
            salt_length=len(case["SaltVal"]) // 2,
        )
        assert outcome == expected, (case["section"], case["SHAAlg"], case["Result"])
        seen[expected] += 1
    assert sum(seen.values()) == 450
    assert seen == {"valid": 25, "invalid": 115, "e = 3 refused": 153, "e = 17 refused": 157}, seen


def test_sha1_signing_is_refused_by_the_policy_and_verifying_is_not() -> None:
    key = keys.generate_signing_key("rsa-pss", bits=2048)
    with pytest.raises(PolicyViolation, match="sha1-signature"):
        key.sign(MESSAGE, digest="sha1")
    signature = openssl_sign(
        key, "-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:digest", "-digest", "sha1"
    )
    key.verifying_key().verify(signature, MESSAGE, digest="sha1", salt_length="auto")
    assert indicator.last() == indicator.Operation("keys.verify", "rsa-pss-2048/sha1", True)


def test_sha512_224_and_sha3_224_sign_and_verify() -> None:
    """No hash list in the key API: the policy allows these 112-bit hashes (SP 800-131A r2 Table 8)."""
    key = keys.generate_signing_key("rsa-pkcs1v15", bits=2048)
    for digest in ("sha512-224", "sha3-224", "sha224"):
        key.verifying_key().verify(key.sign(MESSAGE, digest=digest), MESSAGE, digest=digest)
        assert indicator.last().approved


# ------------------------------------------------------------------------------- openssl as a peer


def openssl_sign(key: keys.SigningKey, *options: str) -> bytes:
    """Sign MESSAGE with the system openssl and ``key`` (its PKCS#8 PEM); returns the signature."""
    return _with_key(key.private_bytes("pem"), "pkeyutl", "-sign", "-rawin", *options, stdin=MESSAGE)


def _with_key(pem: bytes, *args: str, stdin: bytes, pubin: bool = False) -> bytes:

    with tempfile.NamedTemporaryFile(suffix=".pem") as handle:
        handle.write(pem)
        handle.flush()
        return openssl(*args, "-inkey", handle.name, *(("-pubin",) if pubin else ()), stdin=stdin)


def _openssl_verify(public_pem: bytes, signature: bytes, *options: str) -> bool:

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "key.pem").write_bytes(public_pem)
        (Path(folder) / "sig").write_bytes(signature)
        (Path(folder) / "msg").write_bytes(MESSAGE)
        done = subprocess.run(
            [
                "openssl",
                "pkeyutl",
                "-verify",
                "-rawin",
                "-pubin",
                "-inkey",
                f"{folder}/key.pem",
                "-sigfile",
                f"{folder}/sig",
                "-in",
                f"{folder}/msg",
                *options,
            ],
            capture_output=True,
            check=False,
        )
    return done.returncode == 0 and b"Verified Successfully" in done.stdout


@pytest.fixture(scope="module")
def rsa_key() -> keys.SigningKey:
    return keys.generate_signing_key("rsa-pss", bits=2048)


@pytest.mark.parametrize(
    ("saltlen", "mgf1", "ours"), [("0", None, 0), ("32", None, 32), ("16", None, "auto"), ("32", "sha1", 32)]
)
def test_openssl_pss_signatures_verify(
    rsa_key: keys.SigningKey, saltlen: str, mgf1: str | None, ours: int | str
) -> None:
    options = [
        "-pkeyopt",
        "rsa_padding_mode:pss",
        "-pkeyopt",
        f"rsa_pss_saltlen:{saltlen}",
        "-digest",
        "sha256",
    ]
    if mgf1:
        options += ["-pkeyopt", f"rsa_mgf1_md:{mgf1}"]
    signature = openssl_sign(rsa_key, *options)
    public = rsa_key.verifying_key()
    public.verify(signature, MESSAGE, salt_length=ours, mgf1_digest=mgf1)  # type: ignore[arg-type]
    public.verify(signature, MESSAGE, salt_length="auto", mgf1_digest=mgf1)
    with pytest.raises(InvalidSignature):
        public.verify(signature, MESSAGE + b"!", salt_length="auto", mgf1_digest=mgf1)


@pytest.mark.parametrize("salt", [0, 20, 32])
def test_fipscrypto_pss_signatures_verify_in_openssl(rsa_key: keys.SigningKey, salt: int) -> None:
    signature = rsa_key.sign(MESSAGE, salt_length=salt, mgf1_digest="sha384")
    options = ["-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", f"rsa_pss_saltlen:{salt}", "-digest", "sha256"]
    assert _openssl_verify(rsa_key.public_bytes("pem"), signature, *options, "-pkeyopt", "rsa_mgf1_md:sha384")
    assert not _openssl_verify(rsa_key.public_bytes("pem"), signature, *options)  # MGF1 SHA-256: no


def test_pss_signing_salt_above_the_hash_length_is_refused(rsa_key: keys.SigningKey) -> None:
    with pytest.raises(InvalidParameter, match="FIPS 186-5"):
        rsa_key.sign(MESSAGE, salt_length=33)  # SHA-256: sLen <= hLen = 32


def test_ecdsa_p1363_with_openssl() -> None:
    key = keys.generate_signing_key("ecdsa-p384")
    raw = key.sign(MESSAGE, signature_format="p1363")
    assert len(raw) == 96
    der = der_ecdsa_signature(int.from_bytes(raw[:48], "big"), int.from_bytes(raw[48:], "big"))
    assert _openssl_verify(key.public_bytes("pem"), der, "-digest", "sha384")
    theirs = openssl_sign(key, "-digest", "sha384")  # DER from openssl
    public = key.verifying_key()
    public.verify(theirs, MESSAGE)
    public.verify(raw, MESSAGE, signature_format="p1363")
    with pytest.raises(InvalidSignature):  # a DER signature is not a P1363 one
        public.verify(theirs, MESSAGE, signature_format="p1363")


def test_wycheproof_ecdsa_p1363_every_case() -> None:
    seen: Counter[str] = Counter()
    for group, test in wycheproof_cases("ecdsa_secp256r1_sha256_p1363_test.json"):
        key = keys.load_verifying_key(bytes.fromhex(group["publicKeyDer"]), "ecdsa-p256")
        outcome = _verdict(
            key.verify, bytes.fromhex(test["sig"]), bytes.fromhex(test["msg"]), signature_format="p1363"
        )
        assert outcome == test["result"], (test["tcId"], test["comment"])
        seen[outcome] += 1
    assert seen == {"valid": 173, "invalid": 89}


# ------------------------------------------------------------------------------------------- ML-DSA


def _ml_dsa_44_verify(public: str, test: dict[str, str], context: bytes | None) -> None:
    key = keys.load_verifying_key(bytes.fromhex(public), "ml-dsa-44", encoding="raw")
    key.verify(bytes.fromhex(test["sig"]), bytes.fromhex(test["msg"]), context=context)


def test_wycheproof_ml_dsa_44_verify_with_context_every_case() -> None:
    """FIPS 204 ctx: empty, 7 bytes, 255 bytes verify; 256 bytes is refused before verifying."""
    seen: Counter[str] = Counter()
    for group, test in wycheproof_cases("mldsa_44_verify_test.json"):
        context = bytes.fromhex(test["ctx"]) if "ctx" in test else None
        outcome = _verdict(_ml_dsa_44_verify, group["publicKey"], test, context)
        if outcome.startswith("refused"):
            assert test["result"] == "invalid", test["tcId"]
            seen[outcome] += 1
            continue
        assert outcome == test["result"], (test["tcId"], test["comment"])
        seen[f"{outcome}{' with context' if context is not None else ''}"] += 1
    assert seen["valid with context"] == 3
    assert seen["refused: an ML-DSA context string is at most 255 bytes (FIPS 204 §5.2)"] == 5
    assert sum(seen.values()) == 180


def test_ml_dsa_context_round_trip() -> None:
    key = keys.generate_signing_key("ml-dsa-65")
    for context in (b"", b"x", bytes(range(255))):
        signature = key.sign(MESSAGE, context=context)
        key.verifying_key().verify(signature, MESSAGE, context=context)
        with pytest.raises(InvalidSignature):
            key.verifying_key().verify(signature, MESSAGE, context=b"?" + context[1:])
    key.verifying_key().verify(key.sign(MESSAGE), MESSAGE, context=b"")  # no context = empty ctx
    with pytest.raises(InvalidParameter):
        key.sign(MESSAGE, context=bytes(256))
    with pytest.raises(InvalidParameter):  # ctx belongs to ML-DSA only
        keys.generate_signing_key("ed25519").sign(MESSAGE, context=b"x")


# ---------------------------------------------------------------------------------- compressed points


def test_compressed_points_from_openssl() -> None:
    pem = openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
    compressed_spki = openssl("pkey", "-pubout", "-outform", "DER", "-ec_conv_form", "compressed", stdin=pem)
    uncompressed = openssl("pkey", "-pubout", "-outform", "DER", stdin=pem)
    assert len(compressed_spki) < len(uncompressed)
    point = compressed_spki[-33:]
    assert point[0] in (2, 3)
    for data, encoding in ((compressed_spki, "der"), (point, "raw")):
        peer = keys.load_agreement_public_key(data, "ecdh-p256", encoding=encoding)  # type: ignore[arg-type]
        assert peer.public_bytes() == uncompressed
        verifying = keys.load_verifying_key(data, "ecdsa-p256", encoding=encoding)  # type: ignore[arg-type]
        assert verifying.public_bytes() == uncompressed
    # and the agreement works with the peer's key
    ours = keys.generate_agreement_key("ecdh-p256")
    peer_key = keys.load_agreement_key(pem, "ecdh-p256")
    z = ours.exchange(keys.load_agreement_public_key(point, "ecdh-p256", encoding="raw"))
    assert z == peer_key.exchange(ours.public_key())


# ------------------------------------------------------------------------------------------ RSA-OAEP

OAEP_FILES = {
    "rsa_oaep_2048_sha256_mgf1sha256_test.json": 37,
    "rsa_oaep_2048_sha256_mgf1sha1_test.json": 31,
}


@pytest.mark.parametrize("name", list(OAEP_FILES))
def test_wycheproof_rsa_oaep_every_case(name: str) -> None:
    seen: Counter[str] = Counter()
    for group, test in wycheproof_cases(name):
        key = keys.load_transport_key(bytes.fromhex(group["privateKeyPkcs8"]), "rsa-oaep")
        digest, mgf1 = WYCHEPROOF_HASHES[group["sha"]], WYCHEPROOF_HASHES[group["mgfSha"]]
        label = bytes.fromhex(test["label"])
        try:
            plaintext = key.decrypt(bytes.fromhex(test["ct"]), digest=digest, mgf1_digest=mgf1, label=label)
            outcome = "valid" if plaintext == bytes.fromhex(test["msg"]) else "wrong plaintext"
        except AuthenticationError:
            outcome = "invalid"
        assert outcome == test["result"], (name, test["tcId"], test["comment"])
        if outcome == "valid":  # and our encryption decrypts to the same message
            sealed = key.public_key().encrypt(
                bytes.fromhex(test["msg"]), digest=digest, mgf1_digest=mgf1, label=label
            )
            assert key.decrypt(sealed, digest=digest, mgf1_digest=mgf1, label=label) == bytes.fromhex(
                test["msg"]
            )
        seen[outcome] += 1
    assert sum(seen.values()) == OAEP_FILES[name]
    assert seen["valid"]
    assert seen["invalid"]


def test_rsa_oaep_with_openssl() -> None:
    key = keys.generate_transport_key("rsa-oaep", bits=3072)
    assert indicator.last() == indicator.Operation("keys.generate", "rsa-oaep-3072", True)
    secret = hashlib.sha256(b"a key to transport").digest()
    options = ("-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256")
    sealed = _with_key(key.public_bytes("pem"), "pkeyutl", "-encrypt", *options, stdin=secret, pubin=True)
    assert key.decrypt(sealed) == secret
    assert indicator.last() == indicator.Operation("keys.decrypt", "rsa-oaep-3072/sha256", True)
    ours = key.public_key().encrypt(secret)
    assert indicator.last() == indicator.Operation("keys.encrypt", "rsa-oaep-3072/sha256", True)
    assert _with_key(key.private_bytes("pem"), "pkeyutl", "-decrypt", *options, stdin=ours) == secret
    # SHA-384 with MGF1 SHA-1 and a label, as a peer may choose
    options = (
        "-pkeyopt",
        "rsa_padding_mode:oaep",
        "-pkeyopt",
        "rsa_oaep_md:sha384",
        "-pkeyopt",
        "rsa_mgf1_md:sha1",
        "-pkeyopt",
        "rsa_oaep_label:6c6162656c",
    )
    sealed = _with_key(key.public_bytes("pem"), "pkeyutl", "-encrypt", *options, stdin=secret, pubin=True)
    assert key.decrypt(sealed, digest="sha384", mgf1_digest="sha1", label=b"label") == secret
    with pytest.raises(AuthenticationError):
        key.decrypt(sealed, digest="sha384", mgf1_digest="sha1", label=b"other")
    public = keys.load_transport_public_key(key.public_bytes(), "rsa-oaep")
    assert key.decrypt(public.encrypt(secret, digest="sha512"), digest="sha512") == secret


def test_rsa_oaep_policy_sizes() -> None:
    """SP 800-131A r2 Table 5: RSA key transport needs len(n) >= 2048 (key-agreement/rsa-oaep)."""
    small = keys.rsa_verifying_key((2**1023 + 1) | 1, 65537)  # any 1024-bit modulus (legacy verify only)
    with pytest.raises(PolicyViolation):
        keys.load_transport_public_key(small.public_bytes(), "rsa-oaep")
    with pytest.raises(PolicyViolation):
        keys.generate_transport_key("rsa-oaep", bits=1024)


def test_peer_vectors_are_the_recorded_copies() -> None:
    """Every vector file used here has the SHA-256 that tests/vectors/SOURCES.md records for it."""
    recorded = dict(
        reversed(line.split("  ", 1))
        for line in (VECTORS / "SOURCES.md").read_text().splitlines()
        if len(line) > 66 and line[64:66] == "  "
    )
    files = [f"wycheproof/{name}" for name in (*PSS_FILES, *OAEP_FILES)]
    files += [
        "wycheproof/ecdsa_secp256r1_sha256_p1363_test.json",
        "wycheproof/mldsa_44_verify_test.json",
        "pyca/RSA/FIPS_186-2/SigVerPSS_186-3.rsp",
    ]
    for name in files:
        assert hashlib.sha256((VECTORS / name).read_bytes()).hexdigest() == recorded[name], name
