"""The known-answer self-tests of hashes, MACs, ciphers, KDFs and the DRBG (selftests/hashes.py,
ciphers.py, kdf.py, rand.py).

Every value a self-test embeds is compared here with the vector file it was copied from (origins in
tests/vectors/SOURCES.md); every test passes on the real provider, and fails, through its normal
path, when its fault is injected.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from selftestlib import fails_under_its_fault
from vectorlib_kdf import acvp_cases, pyca_blocks, unhex

from fipscrypto import _faults, selftests
from fipscrypto.errors import SelfTestFailure
from fipscrypto.kdf import SrtpLabel
from fipscrypto.selftests import ciphers as cipher_kats
from fipscrypto.selftests import hashes as hash_kats
from fipscrypto.selftests import kdf as kdf_kats
from fipscrypto.selftests import rand as drbg_kat

from vectorlib import VECTORS, blocks

# name -> (family, services): the known-answer tests this file covers.
KATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sha2-512": ("SHA-2", ("hashes.digest", "hashes.Hasher", "hashes.hash_file")),
    "sha3-256": ("SHA-3", ("hashes.digest", "hashes.Hasher", "hashes.hash_file")),
    "shake-128": ("SHAKE", ("hashes.digest", "hashes.Hasher", "hashes.hash_file")),
    "hmac-sha2-256": ("HMAC", ("mac.hmac", "mac.verify_hmac")),
    "cmac-aes-128": ("CMAC", ("mac.cmac", "mac.verify_cmac")),
    "gmac-aes": ("GMAC", ("mac.gmac", "mac.verify_gmac")),
    "aes-ccm": ("AES-CCM", ("aead.AESCCM", "aead.AESCCM.encrypt", "aead.AESCCM.decrypt")),
    "aes-ctr": ("AES-CTR", ("kdf.srtp",)),
    "aes-kw": ("AES-KW", ("aead.wrap", "aead.unwrap")),
    "aes-kwp": ("AES-KWP", ("aead.wrap_pad", "aead.unwrap_pad")),
    "hkdf-sha256": ("HKDF", ("kdf.hkdf", "kdf.hkdf_extract", "kdf.hkdf_expand")),
    "pbkdf2-sha256": ("PBKDF2", ("kdf.pbkdf2", "passwords.hash", "passwords.verify")),
    "kbkdf-counter-hmac-sha256": ("KBKDF", ("kdf.kbkdf",)),
    "tls12-prf-ems": ("KDF-TLS", ("kdf.tls12_prf", "kdf.tls12_master_secret", "kdf.tls12_key_block")),
    "tls13-kdf": ("KDF-TLS13", ("kdf.tls13_key_schedule", "kdf.hkdf_expand_label", "kdf.derive_secret")),
    "srtp-kdf": ("KDF-SRTP", ("kdf.srtp",)),
    "ikev2-prf-plus": ("KDF-IKEv2", ("kdf.ikev2", "ipsec.ikev2")),
    "ctr-drbg": ("DRBG", ("rand.random_bytes",)),
    "hmac-drbg": ("DRBG", ("rand.HmacDrbg",)),
}


# --- reading one case of a vector file -------------------------------------------------------------


def _acvp(
    folder: str, tc_id: int, name: str = "internalProjection.json"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(group, test) of ACVP test ``tc_id``."""
    found = [(group, test) for group, test in acvp_cases(folder, name) if test["tcId"] == tc_id]
    assert len(found) == 1, (folder, tc_id)
    return found[0]


def _acvp_hex(folder: str, tc_id: int, field: str, name: str = "internalProjection.json") -> bytes:
    return unhex(_acvp(folder, tc_id, name)[1][field])


def _group(folder: str, tc_id: int, *fields: str) -> tuple[Any, ...]:
    group = _acvp(folder, tc_id)[0]
    return tuple(group[field] for field in fields)


def _record(path: str, section: str, count: str) -> dict[str, str]:
    """The ``COUNT = count`` record of ``[section]`` in a CAVP/pyca text file."""
    found = [r for r in blocks(VECTORS / path) if r["section"] == section and r.get("COUNT") == count]
    assert len(found) == 1, (path, section, count)
    return found[0]


def _json(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / path).read_text())
    assert len(data["cases" if "cases" in data else "tests"]) == 1  # one case copied, with provenance
    return data


def _hmac_tc6() -> dict[str, str]:
    # The pyca file leaves out RFC 4231 Test Case 5 (truncation): its 5th record is Test Case 6.
    record = [r for r in blocks(VECTORS / "pyca" / "HMAC" / "rfc-4231-sha256.txt") if "MD" in r][4]
    assert record["Len"] == "432"
    return record


def _ctr_drbg() -> dict[str, Any]:
    data = _json("cavp/ctr-drbg-aes256-df-pr-false.json")
    assert "[AES-256 use df] [PredictionResistance = False]" in data["source"]
    case: dict[str, Any] = data["cases"][0]
    assert case["AdditionalInputReseed"] == ""
    assert case["AdditionalInput"] == ["", ""]
    return case


def _ctr_hex(field: str) -> bytes:
    return unhex(_ctr_drbg()[field])


def _drbg() -> dict[str, Any]:
    data = _json("cavp/hmac-drbg-sha512-pr-false.json")
    assert "[SHA-512] [PredictionResistance = False]" in data["source"]
    case: dict[str, Any] = data["cases"][0]
    return case


def _wycheproof_pbkdf2() -> dict[str, Any]:
    data = _json("wycheproof/pbkdf2-hmacsha256-tcid6.json")
    assert data["algorithm"] == "PBKDF2-HMACSHA256"
    test: dict[str, Any] = data["tests"][0]
    assert (test["tcId"], test["result"]) == (6, "valid")
    return test


_KW = ("cavp/keywrap/KW_AE_256.txt", "PLAINTEXT LENGTH = 256", "0")
_KWP = ("cavp/keywrap/KWP_AE_256.txt", "PLAINTEXT LENGTH = 248", "0")
_TLS13 = ("TLS-v1.3-KDF-RFC8446", 51)
_TLS13_ACVP_NAMES = {
    "client_early_traffic_secret": "clientEarlyTrafficSecret",
    "early_exporter_master_secret": "earlyExporterMasterSecret",
    "client_handshake_traffic_secret": "clientHandshakeTrafficSecret",
    "server_handshake_traffic_secret": "serverHandshakeTrafficSecret",
    "client_application_traffic_secret_0": "clientApplicationTrafficSecret",
    "server_application_traffic_secret_0": "serverApplicationTrafficSecret",
    "exporter_master_secret": "exporterMasterSecret",
    "resumption_master_secret": "resumptionMasterSecret",
}
_SRTP = ("kdf-components-srtp-1.0", 31)
_IKE = ("kdf-components-ikev2-1.0", 1001, "internalProjection.subset-byte-aligned.json")

# (what, the embedded value, how to read it from the file)
EMBEDDED: list[tuple[str, object, Callable[[], object]]] = [
    # selftests/hashes.py
    ("sha2-512 msg", hash_kats._SHA512_MSG, lambda: _acvp_hex("SHA2-512-1.0", 114, "msg")),
    ("sha2-512 md", hash_kats._SHA512_MD, lambda: _acvp_hex("SHA2-512-1.0", 114, "md")),
    ("sha3-256 msg", hash_kats._SHA3_256_MSG, lambda: _acvp_hex("SHA3-256-2.0", 87, "msg")),
    ("sha3-256 md", hash_kats._SHA3_256_MD, lambda: _acvp_hex("SHA3-256-2.0", 87, "md")),
    ("shake-128 msg", hash_kats._SHAKE128_MSG, lambda: _acvp_hex("SHAKE-128-FIPS202", 64, "msg")),
    ("shake-128 md", hash_kats._SHAKE128_OUT, lambda: _acvp_hex("SHAKE-128-FIPS202", 64, "md")),
    ("hmac key", hash_kats._HMAC_KEY, lambda: unhex(_hmac_tc6()["Key"])),
    ("hmac msg", hash_kats._HMAC_MSG, lambda: unhex(_hmac_tc6()["Msg"])),
    ("hmac md", hash_kats._HMAC_MD, lambda: unhex(_hmac_tc6()["MD"])),
    (
        "cmac key",
        hash_kats._CMAC_KEY,
        lambda: unhex(_record("pyca/CMAC/nist-800-38b-aes128.txt", "", "2")["KEY"]),
    ),
    (
        "cmac msg",
        hash_kats._CMAC_MSG,
        lambda: unhex(_record("pyca/CMAC/nist-800-38b-aes128.txt", "", "2")["MESSAGE"]),
    ),
    (
        "cmac tag",
        hash_kats._CMAC_TAG,
        lambda: unhex(_record("pyca/CMAC/nist-800-38b-aes128.txt", "", "2")["OUTPUT"]),
    ),
    ("gmac group", ("encrypt", 128), lambda: _group("ACVP-AES-GMAC-1.0", 1, "direction", "tagLen")),
    ("gmac key", hash_kats._GMAC_KEY, lambda: _acvp_hex("ACVP-AES-GMAC-1.0", 1, "key")),
    ("gmac iv", hash_kats._GMAC_IV, lambda: _acvp_hex("ACVP-AES-GMAC-1.0", 1, "iv")),
    ("gmac aad", hash_kats._GMAC_AAD, lambda: _acvp_hex("ACVP-AES-GMAC-1.0", 1, "aad")),
    ("gmac tag", hash_kats._GMAC_TAG, lambda: _acvp_hex("ACVP-AES-GMAC-1.0", 1, "tag")),
    # selftests/ciphers.py
    (
        "ccm tag length",
        cipher_kats._CCM_TAG_LENGTH * 8,
        lambda: _group("ACVP-AES-CCM-1.0", 2021, "tagLen")[0],
    ),
    ("ccm key", cipher_kats._CCM_KEY, lambda: _acvp_hex("ACVP-AES-CCM-1.0", 2021, "key")),
    ("ccm nonce", cipher_kats._CCM_NONCE, lambda: _acvp_hex("ACVP-AES-CCM-1.0", 2021, "iv")),
    ("ccm aad", cipher_kats._CCM_AAD, lambda: _acvp_hex("ACVP-AES-CCM-1.0", 2021, "aad")),
    ("ccm pt", cipher_kats._CCM_PT, lambda: _acvp_hex("ACVP-AES-CCM-1.0", 2021, "pt")),
    ("ccm ct", cipher_kats._CCM_CT, lambda: _acvp_hex("ACVP-AES-CCM-1.0", 2021, "ct")),
    ("ctr key", cipher_kats._CTR_KEY, lambda: _acvp_hex("ACVP-AES-CTR-1.0", 12, "key")),
    ("ctr iv", cipher_kats._CTR_IV, lambda: _acvp_hex("ACVP-AES-CTR-1.0", 12, "iv")),
    ("ctr pt", cipher_kats._CTR_PT, lambda: _acvp_hex("ACVP-AES-CTR-1.0", 12, "pt")),
    ("ctr ct", cipher_kats._CTR_CT, lambda: _acvp_hex("ACVP-AES-CTR-1.0", 12, "ct")),
    ("kw kek", cipher_kats._KW_KEK, lambda: unhex(_record(*_KW)["K"])),
    ("kw key", cipher_kats._KW_KEY, lambda: unhex(_record(*_KW)["P"])),
    ("kw wrapped", cipher_kats._KW_WRAPPED, lambda: unhex(_record(*_KW)["C"])),
    ("kwp kek", cipher_kats._KWP_KEK, lambda: unhex(_record(*_KWP)["K"])),
    ("kwp key", cipher_kats._KWP_KEY, lambda: unhex(_record(*_KWP)["P"])),
    ("kwp wrapped", cipher_kats._KWP_WRAPPED, lambda: unhex(_record(*_KWP)["C"])),
    # selftests/kdf.py
    ("hkdf ikm", kdf_kats._HKDF_IKM, lambda: pyca_blocks("rfc-5869-HKDF-SHA256.txt")[0]["IKM"]),
    ("hkdf salt", kdf_kats._HKDF_SALT, lambda: pyca_blocks("rfc-5869-HKDF-SHA256.txt")[0]["SALT"]),
    ("hkdf info", kdf_kats._HKDF_INFO, lambda: pyca_blocks("rfc-5869-HKDF-SHA256.txt")[0]["INFO"]),
    ("hkdf prk", kdf_kats._HKDF_PRK, lambda: pyca_blocks("rfc-5869-HKDF-SHA256.txt")[0]["PRK"]),
    ("hkdf okm", kdf_kats._HKDF_OKM, lambda: pyca_blocks("rfc-5869-HKDF-SHA256.txt")[0]["OKM"]),
    ("pbkdf2 password", kdf_kats._PBKDF2_PASSWORD, lambda: unhex(_wycheproof_pbkdf2()["password"])),
    ("pbkdf2 salt", kdf_kats._PBKDF2_SALT, lambda: unhex(_wycheproof_pbkdf2()["salt"])),
    ("pbkdf2 iterations", kdf_kats._PBKDF2_ITERATIONS, lambda: _wycheproof_pbkdf2()["iterationCount"]),
    ("pbkdf2 key", kdf_kats._PBKDF2_KEY, lambda: unhex(_wycheproof_pbkdf2()["dk"])),
    (
        "kbkdf group",
        ("counter", "HMAC-SHA2-256", 32, "before fixed data", len(kdf_kats._KBKDF_OUT) * 8),
        lambda: _group(
            "KDF-1.0", 1289, "kdfMode", "macMode", "counterLength", "counterLocation", "keyOutLength"
        ),
    ),
    ("kbkdf key", kdf_kats._KBKDF_KEY, lambda: _acvp_hex("KDF-1.0", 1289, "keyIn")),
    ("kbkdf fixed", kdf_kats._KBKDF_FIXED, lambda: _acvp_hex("KDF-1.0", 1289, "fixedData")),
    ("kbkdf out", kdf_kats._KBKDF_OUT, lambda: _acvp_hex("KDF-1.0", 1289, "keyOut")),
    ("ems hash", "SHA2-256", lambda: _group("TLS-v1.2-KDF-RFC7627", 1, "hashAlg")[0]),
    ("ems pms", kdf_kats._EMS_PMS, lambda: _acvp_hex("TLS-v1.2-KDF-RFC7627", 1, "preMasterSecret")),
    (
        "ems session hash",
        kdf_kats._EMS_SESSION_HASH,
        lambda: _acvp_hex("TLS-v1.2-KDF-RFC7627", 1, "sessionHash"),
    ),
    (
        "ems client random",
        kdf_kats._EMS_CLIENT_RANDOM,
        lambda: _acvp_hex("TLS-v1.2-KDF-RFC7627", 1, "clientRandom"),
    ),
    (
        "ems server random",
        kdf_kats._EMS_SERVER_RANDOM,
        lambda: _acvp_hex("TLS-v1.2-KDF-RFC7627", 1, "serverRandom"),
    ),
    ("ems master", kdf_kats._EMS_MASTER, lambda: _acvp_hex("TLS-v1.2-KDF-RFC7627", 1, "masterSecret")),
    ("ems key block", kdf_kats._EMS_KEY_BLOCK, lambda: _acvp_hex("TLS-v1.2-KDF-RFC7627", 1, "keyBlock")),
    ("tls13 group", ("SHA2-256", "PSK-DHE"), lambda: _group(*_TLS13, "hmacAlg", "runningMode")),
    ("tls13 psk", kdf_kats._TLS13_PSK, lambda: _acvp_hex(*_TLS13, "psk")),
    ("tls13 dhe", kdf_kats._TLS13_DHE, lambda: _acvp_hex(*_TLS13, "dhe")),
    (
        "tls13 transcript",
        kdf_kats._TLS13_FLIGHTS,
        lambda: tuple(
            _acvp_hex(*_TLS13, field)
            for field in (
                "helloClientRandom",
                "helloServerRandom",
                "finishedServerRandom",
                "finishedClientRandom",
            )
        ),
    ),
    (
        "tls13 secrets",
        kdf_kats._TLS13_SECRETS,
        lambda: {attribute: _acvp_hex(*_TLS13, field) for attribute, field in _TLS13_ACVP_NAMES.items()},
    ),
    ("srtp key", kdf_kats._SRTP_KEY, lambda: _acvp_hex(*_SRTP, "masterKey")),
    ("srtp salt", kdf_kats._SRTP_SALT, lambda: _acvp_hex(*_SRTP, "masterSalt")),
    ("srtp kdr", kdf_kats._SRTP_KDR, lambda: int(_group(*_SRTP, "kdr")[0], 16)),
    ("srtp index", kdf_kats._SRTP_INDEX, lambda: int(_acvp(*_SRTP)[1]["index"], 16)),
    ("srtcp index", kdf_kats._SRTCP_INDEX, lambda: int(_acvp(*_SRTP)[1]["srtcpIndex"], 16)),
    ("srtp labels", kdf_kats._SRTP_LABELS, lambda: tuple(int(label) for label in SrtpLabel)[:6]),
    (
        "srtp keys",
        kdf_kats._SRTP_KEYS,
        lambda: tuple(
            _acvp_hex(*_SRTP, field)
            for field in ("srtpKe", "srtpKa", "srtpKs", "srtcpKe", "srtcpKa", "srtcpKs")
        ),
    ),
    ("ikev2 hash", "SHA2-384", lambda: _acvp(*_IKE)[0]["hashAlg"]),
    ("ikev2 skeyseed", kdf_kats._IKE_SKEYSEED, lambda: _acvp_hex(*_IKE[:2], "sKeySeed", _IKE[2])),
    ("ikev2 ni", kdf_kats._IKE_NI, lambda: _acvp_hex(*_IKE[:2], "nInit", _IKE[2])),
    ("ikev2 nr", kdf_kats._IKE_NR, lambda: _acvp_hex(*_IKE[:2], "nResp", _IKE[2])),
    ("ikev2 spi i", kdf_kats._IKE_SPI_I, lambda: _acvp_hex(*_IKE[:2], "spiInit", _IKE[2])),
    ("ikev2 spi r", kdf_kats._IKE_SPI_R, lambda: _acvp_hex(*_IKE[:2], "spiResp", _IKE[2])),
    # prf+ output is T1 | T2 | ...: the test takes three SHA-384 prf outputs of each stream
    ("ikev2 dkm", kdf_kats._IKE_DKM, lambda: _acvp_hex(*_IKE[:2], "derivedKeyingMaterial", _IKE[2])[:144]),
    (
        "ikev2 child",
        kdf_kats._IKE_CHILD,
        lambda: _acvp_hex(*_IKE[:2], "derivedKeyingMaterialChild", _IKE[2])[:144],
    ),
    # selftests/rand.py
    ("ctr-drbg entropy", drbg_kat._CTR_ENTROPY, lambda: _ctr_hex("EntropyInput")),
    ("ctr-drbg nonce", drbg_kat._CTR_NONCE, lambda: _ctr_hex("Nonce")),
    ("ctr-drbg personalization", drbg_kat._CTR_PERSONALIZATION, lambda: _ctr_hex("PersonalizationString")),
    ("ctr-drbg entropy reseed", drbg_kat._CTR_ENTROPY_RESEED, lambda: _ctr_hex("EntropyInputReseed")),
    ("ctr-drbg returned", drbg_kat._CTR_RETURNED, lambda: _ctr_hex("ReturnedBits")),
    ("drbg entropy", drbg_kat._ENTROPY, lambda: unhex(_drbg()["EntropyInput"])),
    ("drbg nonce", drbg_kat._NONCE, lambda: unhex(_drbg()["Nonce"])),
    ("drbg personalization", drbg_kat._PERSONALIZATION, lambda: unhex(_drbg()["PersonalizationString"])),
    ("drbg entropy reseed", drbg_kat._ENTROPY_RESEED, lambda: unhex(_drbg()["EntropyInputReseed"])),
    ("drbg additional reseed", drbg_kat._ADDITIONAL_RESEED, lambda: unhex(_drbg()["AdditionalInputReseed"])),
    ("drbg additional", drbg_kat._ADDITIONAL, lambda: tuple(unhex(a) for a in _drbg()["AdditionalInput"])),
    ("drbg returned", drbg_kat._RETURNED, lambda: unhex(_drbg()["ReturnedBits"])),
]


@pytest.mark.parametrize(("embedded", "from_file"), [e[1:] for e in EMBEDDED], ids=[e[0] for e in EMBEDDED])
def test_embedded_value_equals_the_vector_file(embedded: object, from_file: Callable[[], object]) -> None:
    assert embedded == from_file()


def test_ikev2_child_key_is_sk_d_of_the_first_stream() -> None:
    # SK_d, the first key of prf+(SKEYSEED, ...), has the prf's preferred key length: 48 for SHA-384
    # (RFC 7296 §2.14, RFC 4868 §2.1.1); the self-test keys the Child SA prf+ with it.
    sk_d = _acvp_hex(*_IKE[:2], "derivedKeyingMaterial", _IKE[2])[:48]
    assert kdf_kats._IKE_DKM[:48] == sk_d


# --- registration, pass, fail ----------------------------------------------------------------------


def _registered(name: str) -> selftests.SelfTest:
    found = [test for test in selftests.registered() if test.name == name]
    assert len(found) == 1, name
    return found[0]


@pytest.mark.parametrize("name", list(KATS))
def test_registered_with_its_family_and_services(name: str) -> None:
    test = _registered(name)
    family, services = KATS[name]
    assert test.family == family
    assert set(services) <= set(test.services)  # (TLS contexts may also need the family)
    assert test.needs_provider


def test_the_hmac_kat_runs_first() -> None:
    """The integrity test uses HMAC-SHA-256: its known-answer test runs before it, and before all."""
    assert selftests.registered()[0].name == "hmac-sha2-256"


@pytest.mark.parametrize("name", list(KATS))
def test_passes_on_the_real_provider(name: str) -> None:
    _registered(name).run()


@pytest.mark.parametrize("name", list(KATS))
def test_fails_when_its_fault_is_injected(name: str) -> None:
    assert "differs from the known answer" in fails_under_its_fault(name).detail


def test_a_fault_injected_elsewhere_does_not_fail_these() -> None:
    _faults.inject("provider-sha2-256")
    try:
        for name in KATS:
            _registered(name).run()
    finally:
        _faults.clear()


def test_the_drbg_test_refuses_to_invent_entropy() -> None:
    """Asked for more (or other) entropy than the vector holds, the test fails instead of padding."""
    source = drbg_kat._VectorEntropy(b"\x01" * 32)
    assert source(32) == b"\x01" * 32
    with pytest.raises(SelfTestFailure, match="does not have") as caught:
        source(32)
    assert caught.value.test == "hmac-drbg"
