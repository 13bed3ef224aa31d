"""Every public entry point of the symmetric services (hashes, mac, aead, kdf, seal, passwords, rand)
answers wrong types, wrong lengths, garbage and edge sizes with fipscrypto errors only, and a key
object that refused a call is as it was; the documented ranges hold at their edges; the policy has a
rule for every hash-based MAC the services compute, and sizes key-derivation keys."""

from __future__ import annotations

import base64
import contextlib
import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fipscrypto import aead, hashes, indicator, kdf, mac, passwords, policy, rand, seal
from fipscrypto.errors import AuthenticationError, FipsError, InvalidParameter, PolicyViolation

KEY = bytes(range(32))
NONCE = bytes(12)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


# A PBKDF2 string at 1000 iterations: verification is legacy use (below the floor) and quick.
_SALT = bytes(range(16))
_DERIVED = kdf.pbkdf2(b"pw", _SALT, iterations=1000, length=32, digest="sha512")
STORED = f"$pbkdf2-sha512$i=1000${_b64(_SALT)}${_b64(_DERIVED)}"

GARBAGE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.lists(st.integers(0, 255), max_size=3),
    st.binary(max_size=40),
    st.sampled_from(
        [
            b"",
            bytes(1),
            bytes(7),
            bytes(8),
            bytes(13),
            bytes(16),
            bytes(129),
            bytes(1000),
            bytearray(16),
            memoryview(bytes(32)),
            "sha256",
            "sha3-224",
            "shake128",
            "md5",
            "\udc80",
            object(),
        ]
    ),
)


def _objects() -> dict[str, Any]:
    gcm = aead.AESGCM(KEY)
    nonce, sealed = gcm.encrypt(b"m", aad=b"a")
    ccm = aead.AESCCM(KEY[:16])
    ccm_nonce, ccm_sealed = ccm.encrypt(b"m")
    return {
        "gcm": gcm,
        "counter": aead.AESGCM(KEY, nonces="counter"),
        "explicit": aead.AESGCM(KEY, nonces="explicit"),
        "sealed": (nonce, sealed),
        "ccm": ccm,
        "ccm_sealed": (ccm_nonce, ccm_sealed),
        "hasher": hashes.Hasher("sha256"),
        "drbg": rand.HmacDrbg(),
        "envelope": seal.seal(b"data", key_id="k", kek=KEY),
    }


OBJECTS = _objects()
GCM_TAG = mac.gmac(KEY, NONCE, b"a")


def _stream(envelope: bytes) -> bytes:
    out = io.BytesIO()
    seal.seal_stream(io.BytesIO(envelope), out, key_id="k", kek=KEY, chunk=4)
    return out.getvalue()


STREAM = _stream(b"stream data")


def _entries(file: Path) -> dict[str, tuple[Callable[..., object], dict[str, Any]]]:
    o = OBJECTS
    return {
        "hashes.digest": (hashes.digest, {"name": "sha256", "data": b"x", "length": None}),
        "hashes.Hasher": (hashes.Hasher, {"name": "shake128", "length": 16}),
        "Hasher.update": (o["hasher"].update, {"data": b"x"}),
        "hashes.hash_file": (hashes.hash_file, {"path": file, "name": "sha256", "chunk": 4}),
        "mac.hmac": (mac.hmac, {"key": KEY, "data": b"x", "digest": "sha256"}),
        "mac.verify_hmac": (
            mac.verify_hmac,
            {"key": KEY, "data": b"x", "tag": mac.hmac(KEY, b"x"), "digest": "sha256"},
        ),
        "mac.cmac": (mac.cmac, {"key": KEY, "data": b"x"}),
        "mac.verify_cmac": (mac.verify_cmac, {"key": KEY, "data": b"x", "tag": mac.cmac(KEY, b"x")}),
        "mac.gmac": (mac.gmac, {"key": KEY, "nonce": NONCE, "aad": b"a"}),
        "mac.verify_gmac": (mac.verify_gmac, {"key": KEY, "nonce": NONCE, "aad": b"a", "tag": GCM_TAG}),
        "aead.AESGCM": (
            aead.AESGCM,
            {"key": KEY, "nonces": "counter", "fixed": b"node", "start": 0, "limit": 10},
        ),
        "AESGCM.encrypt (random)": (o["gcm"].encrypt, {"data": b"m", "aad": None}),
        "AESGCM.encrypt (counter)": (o["counter"].encrypt, {"data": b"m", "aad": b"a"}),
        "AESGCM.encrypt_with_nonce": (
            o["explicit"].encrypt_with_nonce,
            {"nonce": b"\xff" * 12, "data": b"m", "aad": None},
        ),
        "AESGCM.decrypt": (
            o["gcm"].decrypt,
            {"nonce": o["sealed"][0], "data": o["sealed"][1], "aad": b"a"},
        ),
        "aead.AESCCM": (aead.AESCCM, {"key": KEY, "tag_length": 8}),
        "AESCCM.encrypt": (o["ccm"].encrypt, {"data": b"m", "aad": None, "nonce_length": 13}),
        "AESCCM.decrypt": (
            o["ccm"].decrypt,
            {"nonce": o["ccm_sealed"][0], "data": o["ccm_sealed"][1], "aad": None},
        ),
        "aead.wrap": (aead.wrap, {"kek": KEY, "key": KEY}),
        "aead.unwrap": (aead.unwrap, {"kek": KEY, "wrapped": aead.wrap(KEY, KEY)}),
        "aead.wrap_pad": (aead.wrap_pad, {"kek": KEY, "key": b"k"}),
        "aead.unwrap_pad": (aead.unwrap_pad, {"kek": KEY, "wrapped": aead.wrap_pad(KEY, b"k")}),
        "kdf.hkdf": (kdf.hkdf, {"ikm": KEY, "length": 16, "salt": None, "info": b"", "digest": "sha256"}),
        "kdf.hkdf_extract": (kdf.hkdf_extract, {"ikm": KEY, "salt": b"s", "digest": "sha256"}),
        "kdf.hkdf_expand": (kdf.hkdf_expand, {"prk": KEY, "length": 16, "info": b"", "digest": "sha256"}),
        "kdf.pbkdf2": (
            kdf.pbkdf2,
            {"password": b"pw", "salt": bytes(16), "iterations": 1000, "length": 16, "digest": "sha256"},
        ),
        "kdf.kbkdf": (
            kdf.kbkdf,
            {
                "key": KEY,
                "length": 16,
                "label": b"l",
                "context": b"c",
                "mode": "feedback",
                "prf": "hmac-sha256",
                "counter_bits": 8,
                "location": "after_fixed",
                "iv": b"",
            },
        ),
        "kdf.tls12_prf": (
            kdf.tls12_prf,
            {"secret": KEY, "label": b"l", "seed": b"s", "length": 16, "digest": "sha256"},
        ),
        "kdf.tls12_master_secret": (
            kdf.tls12_master_secret,
            {"pre_master_secret": KEY, "session_hash": bytes(32), "ems": True, "digest": "sha256"},
        ),
        "kdf.tls12_key_block": (
            kdf.tls12_key_block,
            {
                "master_secret": bytes(48),
                "server_random": bytes(32),
                "client_random": bytes(32),
                "length": 16,
                "digest": "sha256",
            },
        ),
        "kdf.hkdf_expand_label": (
            kdf.hkdf_expand_label,
            {"secret": KEY, "label": b"key", "context": b"", "length": 16, "digest": "sha256"},
        ),
        "kdf.derive_secret": (
            kdf.derive_secret,
            {"secret": KEY, "label": b"derived", "messages": b"", "digest": "sha256"},
        ),
        "kdf.tls13_key_schedule": (
            kdf.tls13_key_schedule,
            {
                "client_hello": b"ch",
                "server_hello": b"sh",
                "server_flight": b"sf",
                "client_flight": b"cf",
                "psk": None,
                "dhe": KEY,
                "digest": "sha256",
            },
        ),
        "kdf.srtp_kdf": (
            kdf.srtp_kdf,
            {
                "master_key": KEY[:16],
                "master_salt": bytes(14),
                "label": 0,
                "index": 1,
                "kdr": 0,
                "length": 16,
            },
        ),
        "kdf.srtp_session_keys": (
            kdf.srtp_session_keys,
            {"master_key": KEY[:16], "master_salt": bytes(14), "index": 1, "kdr": 0},
        ),
        "kdf.ikev2_prf": (kdf.ikev2_prf, {"key": KEY, "data": b"d", "digest": "sha256"}),
        "kdf.ikev2_prf_plus": (
            kdf.ikev2_prf_plus,
            {"key": KEY, "seed": b"s", "length": 16, "digest": "sha256"},
        ),
        "kdf.ikev2_skeyseed": (
            kdf.ikev2_skeyseed,
            {"ni": bytes(16), "nr": bytes(16), "shared_secret": KEY, "digest": "sha256"},
        ),
        "kdf.ikev2_derive_sk": (
            kdf.ikev2_derive_sk,
            {
                "skeyseed": KEY,
                "ni": bytes(16),
                "nr": bytes(16),
                "spi_i": bytes(8),
                "spi_r": bytes(8),
                "encryption_key_length": 16,
                "integrity_key_length": 32,
                "digest": "sha256",
            },
        ),
        "kdf.ikev2_child_keymat": (
            kdf.ikev2_child_keymat,
            {"sk_d": KEY, "ni": bytes(16), "nr": bytes(16), "length": 16, "shared_secret": None},
        ),
        "kdf.ikev2_rekey_skeyseed": (
            kdf.ikev2_rekey_skeyseed,
            {"sk_d": KEY, "shared_secret": KEY, "ni": bytes(16), "nr": bytes(16)},
        ),
        "seal.seal": (seal.seal, {"data": b"d", "key_id": "k", "kek": KEY, "aad": b""}),
        "seal.unseal": (seal.unseal, {"envelope": o["envelope"], "keys": {"k": KEY}, "aad": b""}),
        "seal.rewrap": (
            seal.rewrap,
            {"envelope": o["envelope"], "keys": {"k": KEY}, "key_id": "n", "kek": KEY},
        ),
        "seal.seal_stream": (
            seal.seal_stream,
            {"source": io.BytesIO(b"abc"), "target": io.BytesIO(), "key_id": "k", "kek": KEY, "chunk": 2},
        ),
        "seal.unseal_stream": (
            seal.unseal_stream,
            {"source": io.BytesIO(STREAM), "target": io.BytesIO(), "keys": {"k": KEY}, "aad": b""},
        ),
        "passwords.hash": (passwords.hash, {"password": "pw", "scheme": "pbkdf2-sha512", "iterations": 1000}),
        "passwords.verify": (passwords.verify, {"password": "pw", "stored": STORED}),
        "passwords.needs_rehash": (passwords.needs_rehash, {"stored": STORED}),
        "rand.random_bytes": (rand.random_bytes, {"length": 16}),
        "rand.HmacDrbg": (rand.HmacDrbg, {"digest": "sha256", "personalization": b"", "reseed_interval": 4}),
        "HmacDrbg.generate": (o["drbg"].generate, {"length": 16, "additional": b""}),
        "HmacDrbg.reseed": (o["drbg"].reseed, {"additional": b""}),
    }


@pytest.fixture(scope="module")
def entries(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Callable[..., object], dict[str, Any]]]:
    file = tmp_path_factory.mktemp("inputs") / "data"
    file.write_bytes(b"file contents")
    return _entries(file)


def test_the_valid_calls_work(entries: dict[str, tuple[Callable[..., object], dict[str, Any]]]) -> None:
    # Each entry's valid arguments are served (or refused by the policy only where it says so), so a
    # garbage argument below is what makes a call fail.
    refused_by_policy = {"passwords.hash"}  # 1000 iterations is below the fips-140-3 floor
    for name, (function, valid) in entries.items():
        if name in refused_by_policy:
            with pytest.raises(PolicyViolation):
                function(**valid)
        elif name.startswith("seal.") and "stream" in name:
            continue  # the streams are read once; they are exercised by the property test
        else:
            function(**valid)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_bad_arguments_raise_only_fipscrypto_errors(
    entries: dict[str, tuple[Callable[..., object], dict[str, Any]]], data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(entries)), label="entry point")
    function, valid = entries[name]
    arguments = dict(valid)
    for key in data.draw(st.sets(st.sampled_from(sorted(valid)), min_size=1), label="replaced"):
        arguments[key] = data.draw(GARBAGE, label=key)
    for stream in ("source", "target"):
        if stream in arguments and isinstance(arguments[stream], io.BytesIO):
            arguments[stream] = io.BytesIO(arguments[stream].getvalue())
    with contextlib.suppress(FipsError):  # any other exception fails the test
        function(**arguments)


# ------------------------------------------------------------------------- state after a refusal


@given(data=GARBAGE, aad=GARBAGE)
@settings(max_examples=200, deadline=None)
def test_refused_encryptions_leave_the_key_as_it_was(data: Any, aad: Any) -> None:
    explicit = aead.AESGCM(KEY, nonces="explicit")
    explicit.encrypt_with_nonce((5).to_bytes(12, "big"), b"m")
    random = aead.AESGCM(KEY, limit=3)
    counter = aead.AESGCM(KEY, nonces="counter", fixed=b"node")
    counted = indicator.counters().get("aead.AESGCM.encrypt", {}).get("approved", 0)
    for call in (
        lambda: explicit.encrypt_with_nonce((6).to_bytes(12, "big"), data, aad=aad),
        lambda: random.encrypt(data, aad=aad),
        lambda: counter.encrypt(data, aad=aad),
    ):
        try:
            call()
        except InvalidParameter:
            continue
        return  # a valid pair: nothing to check
    # The explicit key still takes nonce 6, the random key still has its 3 invocations, and the
    # counter key's refused call used up its nonce (never reused) but counted no operation.
    sealed = explicit.encrypt_with_nonce((6).to_bytes(12, "big"), b"m")
    assert explicit.decrypt((6).to_bytes(12, "big"), sealed) == b"m"
    assert random.invocations == 0
    assert counter.invocations == 1
    nonce, _ = counter.encrypt(b"m")
    assert nonce == b"node" + (1).to_bytes(8, "big")
    assert indicator.counters()["aead.AESGCM.encrypt"]["approved"] == counted + 2  # explicit and counter


def test_a_refused_update_leaves_the_hasher_as_it_was() -> None:
    hasher = hashes.Hasher("sha256")
    hasher.update(b"a")
    for bad in ("b", None, 3):
        with pytest.raises(InvalidParameter):
            hasher.update(bad)  # type: ignore[arg-type]
    hasher.update(b"b")
    assert hasher.finalize() == hashes.digest("sha256", b"ab")
    with pytest.raises(InvalidParameter, match="finalized"):
        hasher.finalize()
    with pytest.raises(InvalidParameter, match="finalized"):
        hasher.update(b"c")


# ------------------------------------------------------------------------------ documented ranges


def test_gcm_decryption_and_gmac_take_nonces_of_8_to_128_bytes() -> None:
    gcm = aead.AESGCM(KEY)
    assert aead.GCM_NONCE_SIZES == (8, 128)
    for size in (8, 12, 128):
        nonce = bytes(size)
        with pytest.raises(AuthenticationError):  # the length passed; the tag did not
            gcm.decrypt(nonce, bytes(16))
        tag = mac.gmac(KEY, nonce, b"a")
        mac.verify_gmac(KEY, nonce, b"a", tag)
    for size in (0, 1, 7, 129, 1000):
        with pytest.raises(InvalidParameter, match=r"8\.\.128 bytes"):
            gcm.decrypt(bytes(size), bytes(32))
        with pytest.raises(InvalidParameter, match=r"8\.\.128 bytes"):
            mac.verify_gmac(KEY, bytes(size), b"a", bytes(16))
        with pytest.raises(InvalidParameter, match=r"8\.\.128 bytes"):
            mac.gmac(KEY, bytes(size), b"a")


def test_ccm_payloads_fit_the_length_field_of_the_nonce() -> None:
    # SP 800-38C §A.1: a 13-byte nonce leaves a 2-byte length field, so payloads under 2**16 bytes.
    ccm = aead.AESCCM(KEY[:16])
    nonce, sealed = ccm.encrypt(bytes(65_535))
    assert ccm.decrypt(nonce, sealed) == bytes(65_535)
    with pytest.raises(InvalidParameter, match="2\\*\\*16"):
        ccm.encrypt(bytes(65_536))
    with pytest.raises(InvalidParameter, match="2\\*\\*16"):
        ccm.decrypt(bytes(13), bytes(65_536 + 16))
    nonce, sealed = ccm.encrypt(bytes(65_536), nonce_length=12)
    assert len(ccm.decrypt(nonce, sealed)) == 65_536


def test_aad_is_keyword_only() -> None:
    # pyca's AESGCM.encrypt(nonce, data, associated_data): the same call here must fail, not encrypt
    # the nonce with the message as additional data.
    gcm = aead.AESGCM(KEY)
    with pytest.raises(TypeError):
        gcm.encrypt(NONCE, b"hello")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        gcm.decrypt(NONCE, bytes(32), b"aad")  # type: ignore[misc]
    with pytest.raises(TypeError):
        aead.AESCCM(KEY).encrypt(b"m", b"aad")  # type: ignore[misc]
    nonce, sealed = gcm.encrypt(b"hello", aad=b"header")
    assert gcm.decrypt(nonce, sealed, aad=b"header") == b"hello"


def test_wrong_types_for_seal_and_passwords_are_invalid_parameters() -> None:
    envelope = seal.seal(b"data", key_id="k", kek=KEY)
    for call in (
        lambda: seal.seal("data", key_id="k", kek=KEY),
        lambda: seal.seal(None, key_id="k", kek=KEY),
        lambda: seal.seal(b"data", key_id=None, kek=KEY),
        lambda: seal.seal(b"data", key_id="k", kek="k" * 32),
        lambda: seal.seal(b"data", key_id="k", kek=KEY, aad="a"),
        lambda: seal.unseal(envelope.decode("latin-1"), {"k": KEY}),
        lambda: seal.unseal(envelope, None),
        lambda: seal.unseal(envelope, {"k": "k" * 32}),
        lambda: passwords.verify(None, STORED),
        lambda: passwords.verify(b"pw", None),
        lambda: passwords.verify("pw", STORED.encode()),
        lambda: passwords.hash(None),
    ):
        with pytest.raises(InvalidParameter):
            call()  # type: ignore[no-untyped-call]


def test_counter_nonces_run_on_across_the_machine_word() -> None:
    # The counter is read from range iterators split at sys.maxsize: the count is exact on both sides.
    start = sys.maxsize - 1
    gcm = aead.AESGCM(KEY, nonces="counter", fixed=b"word", start=start)
    nonces = [gcm.encrypt(b"m")[0] for _ in range(3)]
    assert [int.from_bytes(n[4:], "big") for n in nonces] == [start, start + 1, start + 2]
    assert gcm.invocations == start + 3


# --------------------------------------------------------------------------------------- the policy


@pytest.mark.parametrize("digest", ["sha3-224", "sha512-224", "sha224", "sha3-256", "sha512-256"])
def test_every_hmac_the_services_compute_has_a_rule(digest: str) -> None:
    # HKDF and the KDFs run HMAC with any hash the policy allows: HMAC itself has a rule for each.
    assert len(mac.hmac(KEY[:16], b"x", digest=digest)) > 0
    mac.verify_hmac(KEY[:16], b"x", mac.hmac(KEY[:16], b"x", digest=digest), digest=digest)
    assert len(kdf.hkdf(KEY, length=16, digest=digest)) == 16
    with pytest.raises(PolicyViolation, match="disallowed"):
        mac.hmac(KEY[:13], b"x", digest=digest)  # 104 bits
    verdict = policy.check("mac", f"hmac-{digest}", bits=128)
    assert verdict.allowed
    assert "not on the allowlist" not in verdict.reason


SHORT = b"k"  # an 8-bit key: the provider's own KDFs refuse it in strict mode (its key checks)

SHORT_KEY_CALLS: dict[str, Callable[[], object]] = {
    "hkdf": lambda: kdf.hkdf(SHORT, length=32),
    "hkdf_extract": lambda: kdf.hkdf_extract(SHORT),
    "kbkdf": lambda: kdf.kbkdf(SHORT, length=32, label=b"l", context=b"c"),
    "kbkdf-feedback": lambda: kdf.kbkdf(SHORT, length=32, label=b"l", mode="feedback"),
    "tls12_prf": lambda: kdf.tls12_prf(SHORT, b"master secret", bytes(64), length=48),
    "tls12_master_secret": lambda: kdf.tls12_master_secret(SHORT, bytes(32)),
    "tls13_key_schedule": lambda: kdf.tls13_key_schedule(
        client_hello=b"ch", server_hello=b"sh", server_flight=b"sf", client_flight=b"cf", psk=SHORT
    ),
    "ikev2_prf": lambda: kdf.ikev2_prf(SHORT, b"data"),
    "ikev2_prf_plus": lambda: kdf.ikev2_prf_plus(SHORT, b"seed", length=32),
    "ikev2_skeyseed": lambda: kdf.ikev2_skeyseed(bytes(16), bytes(16), SHORT),
    "ikev2_child_keymat": lambda: kdf.ikev2_child_keymat(SHORT, bytes(16), bytes(16), length=32),
    "ikev2_rekey_skeyseed": lambda: kdf.ikev2_rekey_skeyseed(SHORT, KEY, bytes(16), bytes(16)),
}


@pytest.mark.parametrize("name", sorted(SHORT_KEY_CALLS))
def test_short_key_derivation_keys_are_refused_by_the_policy(name: str) -> None:
    call = SHORT_KEY_CALLS[name]
    with pytest.raises(PolicyViolation, match="key-derivation keys of at least 112 bits"):
        call()
    with indicator.exempt(reason="a short key-derivation key, as a test"):
        call()
        op = indicator.last()
    assert op is not None
    assert op.approved is False
