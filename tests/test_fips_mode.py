"""In this process fipscrypto is active in strict mode (conftest): cryptography runs on the FIPS provider."""

from __future__ import annotations

import _hashlib  # the stdlib's OpenSSL binding, to ask the *system* libcrypto for its FIPS state
import hashlib
import ssl
from pathlib import Path

import pytest
from cryptography.exceptions import InternalError, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.bindings._rust import openssl as rust_openssl
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

import fipscrypto
from fipscrypto import module, selftests

from vectorlib import acvp_cases


def test_module_is_operational_in_strict_mode() -> None:
    info = fipscrypto.info()
    assert info.state is fipscrypto.State.OPERATIONAL
    assert info.mode is fipscrypto.Mode.STRICT
    assert info.bindings == "fipscrypto"
    # The eager self-tests ran at activation, in order (HMAC KAT, integrity, provider proof).
    assert list(info.selftests_ms) == list(selftests.EAGER)
    assert rust_openssl.is_fips_enabled()


def test_legacy_provider_not_loaded() -> None:
    assert rust_openssl._legacy_provider_loaded is False


@pytest.mark.parametrize(("group", "test"), list(acvp_cases("SHA2-256-1.0", "AFT")))
def test_sha256_acvp_aft(group: dict[str, object], test: dict[str, str]) -> None:
    h = hashes.Hash(hashes.SHA256())
    h.update(bytes.fromhex(test["msg"]))
    assert h.finalize().hex().upper() == test["md"]


def _gcm_cases() -> list[tuple[dict[str, object], dict[str, object]]]:
    return list(acvp_cases("ACVP-AES-GCM-1.0"))


@pytest.mark.parametrize(("group", "test"), _gcm_cases())
def test_aes_gcm_acvp(group: dict[str, object], test: dict[str, object]) -> None:
    key, iv = bytes.fromhex(str(test["key"])), bytes.fromhex(str(test["iv"]))
    aad, ct, tag = (bytes.fromhex(str(test[k])) for k in ("aad", "ct", "tag"))
    tag_len = int(str(group["tagLen"])) // 8
    if group["direction"] == "encrypt":
        enc = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
        enc.authenticate_additional_data(aad)
        out = enc.update(bytes.fromhex(str(test["pt"]))) + enc.finalize()
        assert (out, enc.tag[:tag_len]) == (ct, tag)
        return
    dec = Cipher(algorithms.AES(key), modes.GCM(iv, tag, min_tag_length=tag_len)).decryptor()
    dec.authenticate_additional_data(aad)
    if test.get("testPassed") is False:
        with pytest.raises(InvalidTag):
            dec.update(ct) + dec.finalize()
    else:
        assert dec.update(ct) + dec.finalize() == bytes.fromhex(str(test["pt"]))


def test_aesgcm_aead_round_trip() -> None:
    key = bytes(range(32))
    sealed = AESGCM(key).encrypt(bytes(12), b"media key", b"aad")
    assert AESGCM(key).decrypt(bytes(12), sealed, b"aad") == b"media key"


def test_md5_refused() -> None:
    with pytest.raises((InternalError, UnsupportedAlgorithm)):
        hashes.Hash(hashes.MD5())


def test_chacha20_poly1305_refused() -> None:
    with pytest.raises(UnsupportedAlgorithm):
        ChaCha20Poly1305(bytes(32)).encrypt(bytes(12), b"x", None)


def test_x25519_refused() -> None:
    with pytest.raises(UnsupportedAlgorithm):
        x25519.X25519PrivateKey.generate()


def test_stdlib_stays_outside_the_boundary() -> None:
    # hashlib and ssl use the system libcrypto, which must not have loaded the FIPS provider.
    assert hashlib.md5(b"abc").hexdigest() == "900150983cd24fb0d6963f7d28e17f72"
    assert _hashlib.get_fips_mode() == 0
    # The system libcrypto still builds TLS contexts with its own configuration (its TLS floor
    # depends on how Python was built: Debian leaves it to OpenSSL, so it is not asserted here).
    ctx = ssl.create_default_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert ctx.get_ciphers()


def test_activate_is_idempotent() -> None:
    assert fipscrypto.activate() is fipscrypto.State.OPERATIONAL
    assert fipscrypto.activate("strict") is fipscrypto.State.OPERATIONAL


def test_mode_is_fixed_for_the_process() -> None:
    with pytest.raises(fipscrypto.FipsError, match="already running in strict mode"):
        fipscrypto.activate("off")
    assert fipscrypto.info().state is fipscrypto.State.OPERATIONAL


def test_state_folder_is_fixed_for_the_process(tmp_path: Path) -> None:
    with pytest.raises(fipscrypto.FipsError, match="already runs on the provider in"):
        fipscrypto.activate(state_dir=tmp_path)
    assert fipscrypto.activate(state_dir=fipscrypto.info().state_dir) is fipscrypto.State.OPERATIONAL


def test_unknown_mode_is_a_typed_error() -> None:
    with pytest.raises(fipscrypto.FipsError, match="unknown fipscrypto mode 'lenient'"):
        module.boot("lenient")


def test_gate_passes_when_operational() -> None:
    fipscrypto.gate()
