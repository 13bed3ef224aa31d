"""Key derivation services against every case of the NIST ACVP and RFC vector files they cover.

The suite runs in strict mode with the real FIPS provider (conftest.py). Each vector test compares
exact bytes. Where a vector cannot be computed under FIPS (MD5 in the TLS 1.0 PRF, CMAC-TDEA, PBKDF2
parameters below the SP 800-132 floors) the test asserts the typed refusal instead, and the count of
such cases is asserted like the others. Vector origins: tests/vectors/SOURCES.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac as std_hmac
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from vectorlib_kdf import acvp, acvp_cases, mask_bits, pyca_blocks, unhex

from fipscrypto import indicator, kdf
from fipscrypto._backend import kdf as backend
from fipscrypto.errors import AlgorithmUnavailable, InvalidParameter, PolicyViolation

from vectorlib import ACVP_HASHES

Case = tuple[dict[str, Any], dict[str, Any]]


def _ids(cases: list[Case]) -> list[str]:
    return [f"tc{test['tcId']}" for _, test in cases]


def _approved(service: str) -> None:
    op = indicator.last()
    assert op is not None
    assert op.service == service
    assert op.approved is True


# ---------------------------------------------------------------------------------- PBKDF-1.0

PBKDF = acvp_cases("PBKDF-1.0")


def test_pbkdf_file_count() -> None:
    assert len(PBKDF) == 50


@pytest.mark.parametrize(("group", "test"), PBKDF, ids=_ids(PBKDF))
def test_acvp_pbkdf(group: dict[str, Any], test: dict[str, Any]) -> None:
    hash_name = ACVP_HASHES[group["hmacAlg"]]
    password, salt = test["password"].encode(), unhex(test["salt"])
    iterations, length = test["iterationCount"], test["keyLen"] // 8
    expected = unhex(test["derivedKey"])
    if iterations >= 1000:
        assert backend.pbkdf2(hash_name, password, salt, iterations, length) == expected
        assert kdf.pbkdf2(password, salt, iterations=iterations, length=length, digest=hash_name) == expected
        _approved("kdf.pbkdf2")
    else:  # the service and the FIPS provider both hold the SP 800-132 floor of 1000 iterations
        with pytest.raises(InvalidParameter, match="SP 800-132"):
            kdf.pbkdf2(password, salt, iterations=iterations, length=length, digest=hash_name)
        with pytest.raises(AlgorithmUnavailable):
            backend.pbkdf2(hash_name, password, salt, iterations, length)


def test_acvp_pbkdf_split() -> None:
    """45 cases computed; 5 have fewer than 1000 iterations and are refused (asserted above)."""
    assert Counter(test["iterationCount"] >= 1000 for _, test in PBKDF) == {True: 45, False: 5}


# ------------------------------------------------------------------------------------ KDF-1.0

_KBKDF_MODES = {"counter": "counter", "feedback": "feedback", "double pipeline iteration": "double-pipeline"}
_KBKDF_LOCATIONS = {
    "before fixed data": "before_fixed",
    "after fixed data": "after_fixed",
    "middle fixed data": "middle_fixed",
    "before iterator": "before_iterator",
    "none": "none",
}
KBKDF = acvp_cases("KDF-1.0")
KBKDF_SLICES: dict[tuple[str, str], list[Case]] = {}
for _case in KBKDF:
    KBKDF_SLICES.setdefault((_case[0]["kdfMode"], _case[0]["macMode"]), []).append(_case)


def _kbkdf_prf(mac_mode: str) -> str:
    if mac_mode.startswith("CMAC-AES"):
        return "cmac-aes"
    if mac_mode == "CMAC-TDES":
        return "cmac-tdea"
    return "hmac-" + ACVP_HASHES[mac_mode.removeprefix("HMAC-")]


def _kbkdf(group: dict[str, Any], test: dict[str, Any]) -> bytes:
    location = _KBKDF_LOCATIONS[group["counterLocation"]]
    return kdf.kbkdf(
        unhex(test["keyIn"]),
        length=(group["keyOutLength"] + 7) // 8,
        fixed=unhex(test["fixedData"]),
        mode=_KBKDF_MODES[group["kdfMode"]],  # type: ignore[arg-type]
        prf=_kbkdf_prf(group["macMode"]),
        counter_bits=group["counterLength"],
        location=location,  # type: ignore[arg-type]
        break_bit=test["breakLocation"] if location == "middle_fixed" else None,
        iv=unhex(test["iv"]) if group["kdfMode"] == "feedback" else b"",
    )


def test_kbkdf_file_count() -> None:
    assert len(KBKDF) == 11756
    assert sum(len(cases) for cases in KBKDF_SLICES.values()) == len(KBKDF)
    per_mode = Counter(group["kdfMode"] for group, _ in KBKDF)
    assert per_mode == {"counter": 2770, "feedback": 5984, "double pipeline iteration": 3002}
    assert Counter(group["macMode"] == "CMAC-TDES" for group, _ in KBKDF) == {False: 10950, True: 806}


@pytest.mark.parametrize(
    "key", list(KBKDF_SLICES), ids=[f"{mode.split()[0]}-{mac}" for mode, mac in KBKDF_SLICES]
)
def test_acvp_kbkdf(key: tuple[str, str]) -> None:
    """Every case of one (mode, PRF) slice; L may be any number of bits (compared as ACVP pads it)."""
    cases = KBKDF_SLICES[key]
    done = 0
    for group, test in cases:
        if group["macMode"] == "CMAC-TDES":  # TDEA is withdrawn for applying protection since 2024
            with pytest.raises(PolicyViolation, match="cmac-tdea"):
                _kbkdf(group, test)
        else:
            out = _kbkdf(group, test)
            assert mask_bits(out, group["keyOutLength"]) == unhex(test["keyOut"]), test["tcId"]
        done += 1
    assert done == len(cases) > 0
    if key[1] != "CMAC-TDES":
        _approved("kdf.kbkdf")


# ---------------------------------------------------------------------- kdf-components-srtp-1.0

SRTP = acvp_cases("kdf-components-srtp-1.0")


def test_srtp_file_count() -> None:
    assert len(SRTP) == 780
    assert all(group["supports48BitSrtcpIndex"] for group, _ in SRTP)


@pytest.mark.parametrize(("group", "test"), SRTP, ids=_ids(SRTP))
def test_acvp_srtp(group: dict[str, Any], test: dict[str, Any]) -> None:
    key, salt = unhex(test["masterKey"]), unhex(test["masterSalt"])
    assert len(key) * 8 == group["aesKeyLength"]
    kdr = int(group["kdr"] or "0", 16)  # "" and "00": no rederivation
    rtp = kdf.srtp_session_keys(key, salt, index=int(test["index"], 16), kdr=kdr)
    assert rtp.encryption_key == unhex(test["srtpKe"])
    assert rtp.authentication_key == unhex(test["srtpKa"])
    assert rtp.salt == unhex(test["srtpKs"])
    # ACVP: a 31-bit SRTCP index (0 || 31 bits), written as 48 bits when supports48BitSrtcpIndex
    rtcp = kdf.srtcp_session_keys(key, salt, index=int(test["srtcpIndex"], 16), kdr=kdr)
    assert rtcp.encryption_key == unhex(test["srtcpKe"])
    assert rtcp.authentication_key == unhex(test["srtcpKa"])
    assert rtcp.salt == unhex(test["srtcpKs"])
    _approved("kdf.srtp")


# ---------------------------------------------------------------------- kdf-components-tls-1.0

TLS = acvp_cases("kdf-components-tls-1.0")
TLS10 = [case for case in TLS if case[0]["tlsVersion"] == "v1.0/1.1"]


def test_tls_file_count() -> None:
    assert len(TLS) == 160
    assert len(TLS10) == 40


@pytest.mark.parametrize(("group", "test"), TLS, ids=_ids(TLS))
def test_acvp_tls(group: dict[str, Any], test: dict[str, Any]) -> None:
    pms = unhex(test["preMasterSecret"])
    hello = unhex(test["clientHelloRandom"]) + unhex(test["serverHelloRandom"])
    if group["tlsVersion"] == "v1.0/1.1":  # the MD5 half of the PRF: refused by the FIPS provider
        with pytest.raises(AlgorithmUnavailable, match="md5"):
            kdf.tls10_prf(pms, b"master secret", hello, length=48)
        return
    hash_name = ACVP_HASHES[group["hashAlg"]]
    master = kdf.tls12_master_secret(
        pms,
        ems=False,
        client_random=unhex(test["clientHelloRandom"]),
        server_random=unhex(test["serverHelloRandom"]),
        digest=hash_name,
    )
    assert master == unhex(test["masterSecret"])
    assert kdf.tls12_prf(pms, b"master secret", hello, length=48, digest=hash_name) == master
    block = kdf.tls12_key_block(
        master,
        server_random=unhex(test["serverRandom"]),
        client_random=unhex(test["clientRandom"]),
        length=group["keyBlockLength"] // 8,
        digest=hash_name,
    )
    assert block == unhex(test["keyBlock"])
    _approved("kdf.tls12_key_block")


def test_acvp_tls10_composition(monkeypatch: pytest.MonkeyPatch) -> None:
    """The TLS 1.0/1.1 PRF composition is right: with HMAC-MD5 borrowed from the standard library
    (outside the FIPS boundary, for this check only) all 40 TLS 1.0/1.1 cases reproduce."""
    # The stdlib stays outside the FIPS boundary (test_fips_mode checks this), so its MD5 is there.
    original = backend.hmac_keyed

    def hmac_keyed(name: str, key: bytes) -> Callable[[bytes], bytes]:
        if name == "md5":
            return lambda data: std_hmac.new(key, data, "md5").digest()
        return original(name, key)

    monkeypatch.setattr(backend, "hmac_keyed", hmac_keyed)
    for _, test in TLS10:
        pms = unhex(test["preMasterSecret"])
        hello = unhex(test["clientHelloRandom"]) + unhex(test["serverHelloRandom"])
        master = kdf.tls10_prf(pms, b"master secret", hello, length=48)
        assert master == unhex(test["masterSecret"])
        seed = unhex(test["serverRandom"]) + unhex(test["clientRandom"])
        expected = unhex(test["keyBlock"])
        assert kdf.tls10_prf(master, b"key expansion", seed, length=len(expected)) == expected


# ------------------------------------------------------------------------- TLS-v1.2-KDF-RFC7627

EMS = acvp_cases("TLS-v1.2-KDF-RFC7627")


def test_ems_file_count() -> None:
    assert len(EMS) == 120


@pytest.mark.parametrize(("group", "test"), EMS, ids=_ids(EMS))
def test_acvp_tls12_ems(group: dict[str, Any], test: dict[str, Any]) -> None:
    hash_name = ACVP_HASHES[group["hashAlg"]]
    master = kdf.tls12_master_secret(
        unhex(test["preMasterSecret"]), unhex(test["sessionHash"]), digest=hash_name
    )
    assert master == unhex(test["masterSecret"])
    _approved("kdf.tls12_master_secret")
    block = kdf.tls12_key_block(
        master,
        server_random=unhex(test["serverRandom"]),
        client_random=unhex(test["clientRandom"]),
        length=group["keyBlockLength"] // 8,
        digest=hash_name,
    )
    assert block == unhex(test["keyBlock"])


# ------------------------------------------------------------------------- TLS-v1.3-KDF-RFC8446

TLS13 = acvp_cases("TLS-v1.3-KDF-RFC8446")
_TLS13_FIELDS = {
    "clientEarlyTrafficSecret": "client_early_traffic_secret",
    "earlyExporterMasterSecret": "early_exporter_master_secret",
    "clientHandshakeTrafficSecret": "client_handshake_traffic_secret",
    "serverHandshakeTrafficSecret": "server_handshake_traffic_secret",
    "clientApplicationTrafficSecret": "client_application_traffic_secret_0",
    "serverApplicationTrafficSecret": "server_application_traffic_secret_0",
    "exporterMasterSecret": "exporter_master_secret",
    "resumptionMasterSecret": "resumption_master_secret",
}


def test_tls13_file_count() -> None:
    assert len(TLS13) == 250


@pytest.mark.parametrize(("group", "test"), TLS13, ids=_ids(TLS13))
def test_acvp_tls13(group: dict[str, Any], test: dict[str, Any]) -> None:
    hash_name = ACVP_HASHES[group["hmacAlg"]]
    mode = group["runningMode"]
    psk, dhe = unhex(test["psk"]), unhex(test["dhe"])
    # ACVP writes the secret a mode does not use as Hash.length zeros; the service takes None for it
    if mode == "DHE":
        assert psk == bytes(len(psk))
    if mode == "PSK":
        assert dhe == bytes(len(dhe))
    secrets = kdf.tls13_key_schedule(
        psk=psk if "PSK" in mode else None,
        dhe=dhe if "DHE" in mode else None,
        client_hello=unhex(test["helloClientRandom"]),
        server_hello=unhex(test["helloServerRandom"]),
        server_flight=unhex(test["finishedServerRandom"]),
        client_flight=unhex(test["finishedClientRandom"]),
        digest=hash_name,
    )
    for field, attribute in _TLS13_FIELDS.items():
        assert getattr(secrets, attribute) == unhex(test[field]), field
    _approved("kdf.tls13_key_schedule")


# ---------------------------------------------------------------------- kdf-components-ikev2-1.0

IKEV2 = acvp_cases("kdf-components-ikev2-1.0", "internalProjection.subset-byte-aligned.json")


def test_ikev2_file_count() -> None:
    assert len(IKEV2) == 37


@pytest.mark.parametrize(("group", "test"), IKEV2, ids=_ids(IKEV2))
def test_acvp_ikev2(group: dict[str, Any], test: dict[str, Any]) -> None:
    h = ACVP_HASHES[group["hashAlg"]]
    ni, nr, gir, gir_new = (unhex(test[k]) for k in ("nInit", "nResp", "gir", "girNew"))
    spi_i, spi_r = unhex(test["spiInit"]), unhex(test["spiResp"])
    dkm_bits, child_bits = group["derivedKeyingMaterialLength"], group["derivedKeyingMaterialChildLength"]

    skeyseed = kdf.ikev2_skeyseed(ni, nr, gir, digest=h)
    assert skeyseed == unhex(test["sKeySeed"])
    dkm = kdf.ikev2_prf_plus(skeyseed, ni + nr + spi_i + spi_r, length=(dkm_bits + 7) // 8, digest=h)
    assert mask_bits(dkm, dkm_bits) == unhex(test["derivedKeyingMaterial"])
    sk_d = dkm[: backend.digest_size(h)]  # SK_d comes first, with the prf's key length
    child = kdf.ikev2_child_keymat(sk_d, ni, nr, length=(child_bits + 7) // 8, digest=h)
    assert mask_bits(child, child_bits) == unhex(test["derivedKeyingMaterialChild"])
    child_dh = kdf.ikev2_child_keymat(
        sk_d, ni, nr, length=(child_bits + 7) // 8, shared_secret=gir_new, digest=h
    )
    assert mask_bits(child_dh, child_bits) == unhex(test["derivedKeyingMaterialDh"])
    assert kdf.ikev2_rekey_skeyseed(sk_d, gir_new, ni, nr, digest=h) == unhex(test["sKeySeedReKey"])
    _approved("kdf.ikev2")


def test_ikev2_derive_sk_splits_prf_plus() -> None:
    ni, nr, spi_i, spi_r = b"\x01" * 32, b"\x02" * 32, b"\x03" * 8, b"\x04" * 8
    skeyseed = kdf.ikev2_skeyseed(ni, nr, b"\x05" * 256, digest="sha384")
    keys = kdf.ikev2_derive_sk(
        skeyseed, ni, nr, spi_i, spi_r, encryption_key_length=36, integrity_key_length=0, digest="sha384"
    )
    stream = kdf.ikev2_prf_plus(
        skeyseed, ni + nr + spi_i + spi_r, length=48 + 36 + 36 + 48 + 48, digest="sha384"
    )
    parts = (keys.sk_d, keys.sk_ai, keys.sk_ar, keys.sk_ei, keys.sk_er, keys.sk_pi, keys.sk_pr)
    assert [len(p) for p in parts] == [48, 0, 0, 36, 36, 48, 48]
    assert b"".join(parts) == stream
    assert keys.sk_d.hex() not in repr(keys)


# ---------------------------------------------------------------------------- pyca: RFC 5869 HKDF

HKDF_VECTORS = [
    (name, block)
    for name in ("rfc-5869-HKDF-SHA256.txt", "rfc-5869-HKDF-SHA1.txt")
    for block in pyca_blocks(name)
]


def test_hkdf_file_count() -> None:
    assert Counter(name for name, _ in HKDF_VECTORS) == {
        "rfc-5869-HKDF-SHA256.txt": 3,
        "rfc-5869-HKDF-SHA1.txt": 4,
    }


@pytest.mark.parametrize(
    ("name", "block"), HKDF_VECTORS, ids=[f"{name[9:-4]}-{block['COUNT']}" for name, block in HKDF_VECTORS]
)
def test_rfc5869_hkdf(name: str, block: dict[str, Any]) -> None:
    h = {"SHA-256": "sha256", "SHA-1": "sha1"}[block["HASH"]]
    ikm, salt, info, okm = block["IKM"], block["SALT"] or None, block["INFO"], block["OKM"]
    scope: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    if len(ikm) * 8 < 112:  # SHA-1 case 4: an 88-bit IKM, refused as a key-derivation key in strict mode
        with pytest.raises(PolicyViolation, match="key-derivation keys of at least 112 bits"):
            kdf.hkdf(ikm, length=block["L"], salt=salt, info=info, digest=h)
        scope = indicator.exempt(reason="RFC 5869 vector with an 88-bit IKM")
    with scope:
        assert kdf.hkdf(ikm, length=block["L"], salt=salt, info=info, digest=h) == okm
        op = indicator.last()
        assert op is not None
        assert (op.service, op.approved) == ("kdf.hkdf", len(ikm) * 8 >= 112)
        prk = kdf.hkdf_extract(ikm, salt=salt, digest=h)
    assert prk == block["PRK"]
    assert kdf.hkdf_expand(prk, length=block["L"], info=info, digest=h) == okm


# ------------------------------------------------------------------------- pyca: RFC 6070 PBKDF2

PBKDF2_SHA1 = pyca_blocks("rfc-6070-PBKDF2-SHA1.txt")


def test_pbkdf2_sha1_file_count() -> None:
    assert len(PBKDF2_SHA1) == 6


@pytest.mark.parametrize("block", PBKDF2_SHA1, ids=[f"count{b['COUNT']}" for b in PBKDF2_SHA1])
def test_rfc6070_pbkdf2(block: dict[str, Any]) -> None:
    """RFC 6070 uses 4- and 5-byte salts and 1..4096 iterations (one case: 2^24). SP 800-132 wants
    >= 128-bit salts and >= 1000 iterations: the service refuses those cases with InvalidParameter,
    and the raw backend primitive cannot run them either, because the FIPS provider enforces the same
    floors itself (AlgorithmUnavailable). The one conforming case (36-byte salt, 4096) is computed."""
    password, salt, iterations, length = (
        block["PASSWORD"],
        block["SALT"],
        block["ITERATIONS"],
        block["LENGTH"],
    )
    if len(salt) >= 16 and iterations >= 1000:
        assert backend.pbkdf2("sha1", password, salt, iterations, length) == block["DERIVED_KEY"]
        assert (
            kdf.pbkdf2(password, salt, iterations=iterations, length=length, digest="sha1")
            == block["DERIVED_KEY"]
        )
        return
    with pytest.raises(InvalidParameter, match="SP 800-132"):
        kdf.pbkdf2(password, salt, iterations=iterations, length=length, digest="sha1")
    with pytest.raises(AlgorithmUnavailable):
        backend.pbkdf2("sha1", password, salt, iterations, length)


def test_rfc6070_split() -> None:
    assert sum(len(b["SALT"]) >= 16 and b["ITERATIONS"] >= 1000 for b in PBKDF2_SHA1) == 1


# ------------------------------------------------------------------ indicator, policy, parameters


def test_indicator_records_approved_kdf() -> None:
    indicator.reset()
    kdf.hkdf(b"\x0b" * 32, length=32, salt=b"salt" * 4, info=b"ctx")
    op = indicator.last()
    assert op is not None
    assert (op.service, op.algorithm, op.approved) == ("kdf.hkdf", "hkdf-sha256", True)
    kdf.srtp_kdf(b"\x01" * 16, b"\x02" * 14, label=kdf.SrtpLabel.RTP_SALT, index=7)
    op = indicator.last()
    assert op is not None
    assert (op.service, op.algorithm, op.approved) == ("kdf.srtp", "srtp-kdf-aes-128", True)
    assert indicator.counters()["kdf.hkdf"]["approved"] == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda: kdf.hkdf(b"ikm", length=16, digest="md5"),
        lambda: kdf.hkdf_extract(b"ikm", digest="md5"),
        lambda: kdf.pbkdf2(b"pw", b"s" * 16, iterations=1000, length=16, digest="md5"),
        lambda: kdf.kbkdf(b"k" * 16, length=16, prf="hmac-md5"),
        lambda: kdf.kbkdf(b"k" * 24, length=16, prf="cmac-tdea"),
    ],
    ids=["hkdf", "hkdf_extract", "pbkdf2", "kbkdf-hmac-md5", "kbkdf-cmac-tdea"],
)
def test_non_approved_primitive_is_refused_in_strict_mode(call: Callable[[], object]) -> None:
    indicator.reset()
    with pytest.raises(PolicyViolation):
        call()
    op = indicator.last()  # no approved operation was recorded for the refused request
    assert op is None or op.approved is False


INVALID: dict[str, Callable[[], object]] = {
    "hkdf-length-0": lambda: kdf.hkdf(b"ikm", length=0),
    "hkdf-length-over-255-hashlen": lambda: kdf.hkdf(b"ikm", length=255 * 32 + 1),
    "hkdf-unknown-hash": lambda: kdf.hkdf(b"ikm", length=16, digest="sha999"),
    "hkdf-expand-short-prk": lambda: kdf.hkdf_expand(b"\x00" * 31, length=16),
    "pbkdf2-short-salt": lambda: kdf.pbkdf2(b"pw", b"s" * 15, iterations=1000, length=32),
    "pbkdf2-few-iterations": lambda: kdf.pbkdf2(b"pw", b"s" * 16, iterations=999, length=32),
    "pbkdf2-short-key": lambda: kdf.pbkdf2(b"pw", b"s" * 16, iterations=1000, length=13),
    "kbkdf-unknown-mode": lambda: kdf.kbkdf(b"k" * 16, length=16, mode="pipeline"),  # type: ignore[arg-type]
    "kbkdf-counter-bits": lambda: kdf.kbkdf(b"k" * 16, length=16, counter_bits=12),
    "kbkdf-no-counter-in-counter-mode": lambda: kdf.kbkdf(
        b"k" * 16, length=16, counter_bits=0, location="none"
    ),
    "kbkdf-counter-overflow": lambda: kdf.kbkdf(b"k" * 16, length=32 * 255 + 1, counter_bits=8),
    "kbkdf-middle-without-break": lambda: kdf.kbkdf(b"k" * 16, length=16, location="middle_fixed"),
    "kbkdf-break-outside-fixed": lambda: kdf.kbkdf(
        b"k" * 16, length=16, fixed=b"f" * 4, location="middle_fixed", break_bit=33
    ),
    "kbkdf-iv-in-counter-mode": lambda: kdf.kbkdf(b"k" * 16, length=16, iv=b"iv"),
    "kbkdf-fixed-and-label": lambda: kdf.kbkdf(b"k" * 16, length=16, fixed=b"f", label=b"l"),
    "kbkdf-cmac-key": lambda: kdf.kbkdf(b"k" * 15, length=16, prf="cmac-aes"),
    "kbkdf-unknown-prf": lambda: kdf.kbkdf(b"k" * 16, length=16, prf="kmac"),
    "tls12-hash": lambda: kdf.tls12_prf(b"s", b"label", b"seed", length=12, digest="sha1"),
    "tls12-empty-label": lambda: kdf.tls12_prf(b"s", b"", b"seed", length=12),
    "tls12-ems-session-hash": lambda: kdf.tls12_master_secret(b"pms", b"\x00" * 31),
    "tls12-randoms": lambda: kdf.tls12_master_secret(b"pms", ems=False, client_random=b"r" * 32),
    "tls12-key-block-master": lambda: kdf.tls12_key_block(
        b"m" * 47, server_random=b"s" * 32, client_random=b"c" * 32, length=40
    ),
    "tls13-hash": lambda: kdf.hkdf_expand_label(b"s" * 64, b"key", b"", length=16, digest="sha512"),
    "tls13-long-label": lambda: kdf.hkdf_expand_label(b"s" * 32, b"l" * 250, b"", length=16),
    "tls13-long-context": lambda: kdf.hkdf_expand_label(b"s" * 32, b"key", b"c" * 256, length=16),
    "tls13-no-secrets": lambda: kdf.tls13_key_schedule(
        client_hello=b"", server_hello=b"", server_flight=b"", client_flight=b""
    ),
    "srtp-key-length": lambda: kdf.srtp_session_keys(b"k" * 20, b"s" * 14, index=0),
    "srtp-salt-length": lambda: kdf.srtp_session_keys(b"k" * 16, b"s" * 16, index=0),
    "srtp-kdr-not-power-of-2": lambda: kdf.srtp_session_keys(b"k" * 16, b"s" * 14, index=0, kdr=3),
    "srtp-kdr-over-2^24": lambda: kdf.srtp_session_keys(b"k" * 16, b"s" * 14, index=0, kdr=2**25),
    "srtp-index-48-bits": lambda: kdf.srtp_session_keys(b"k" * 16, b"s" * 14, index=2**48),
    "srtcp-index-31-bits": lambda: kdf.srtcp_session_keys(b"k" * 16, b"s" * 14, index=2**31),
    "srtp-label": lambda: kdf.srtp_kdf(b"k" * 16, b"s" * 14, label=8, index=0),
    "ikev2-hash": lambda: kdf.ikev2_prf(b"k", b"d", digest="sha3-256"),
    "ikev2-prf-plus-255": lambda: kdf.ikev2_prf_plus(b"k", b"s", length=255 * 32 + 1),
    "ikev2-empty-nonce": lambda: kdf.ikev2_skeyseed(b"", b"n", b"g"),
    "ikev2-spi-length": lambda: kdf.ikev2_derive_sk(
        b"k" * 32, b"n", b"n", b"s" * 4, b"s" * 8, encryption_key_length=16, integrity_key_length=32
    ),
}


@pytest.mark.parametrize("call", list(INVALID.values()), ids=list(INVALID))
def test_invalid_parameters(call: Callable[[], object]) -> None:
    with pytest.raises(InvalidParameter):
        call()


def test_srtp_kdf_per_label_matches_session_keys() -> None:
    key, salt = bytes(range(32)), bytes(range(100, 114))
    keys = kdf.srtcp_session_keys(key, salt, index=0x7FFFFFFF, kdr=2**24)
    one = kdf.srtp_kdf(key, salt, label=kdf.SrtpLabel.RTCP_ENCRYPTION, index=0x7FFFFFFF, kdr=2**24)
    assert one == keys.encryption_key
    assert [len(one), len(keys.authentication_key), len(keys.salt)] == [32, 20, 14]
    assert keys.encryption_key.hex() not in repr(keys)


def test_tls13_derive_secret_is_expand_label_of_transcript_hash() -> None:
    secret = bytes(range(48))
    transcript = hashlib.sha384(b"ClientHello").digest()  # a public value; the KDF runs in the provider
    via_label = kdf.hkdf_expand_label(secret, b"c hs traffic", transcript, length=48, digest="sha384")
    assert kdf.derive_secret(secret, b"c hs traffic", b"ClientHello", digest="sha384") == via_label
    _approved("kdf.derive_secret")


def test_kbkdf_label_context_fixed_data() -> None:
    """label/context build SP 800-108 r1 fixed data: Label || 0x00 || Context || [L]_32."""
    key = bytes(range(32))
    built = kdf.kbkdf(key, length=40, label=b"L", context=b"C", mode="feedback", iv=b"\x00" * 32)
    fixed = b"L\x00C" + (40 * 8).to_bytes(4, "big")
    assert kdf.kbkdf(key, length=40, fixed=fixed, mode="feedback", iv=b"\x00" * 32) == built
    # counter mode through cryptography (before fixed) equals the bit-granular composition at bit 0
    via_cryptography = kdf.kbkdf(key, length=40, fixed=fixed, counter_bits=16)
    composed = kdf.kbkdf(key, length=40, fixed=fixed, counter_bits=16, location="middle_fixed", break_bit=0)
    assert via_cryptography == composed


def test_acvp_file_metadata() -> None:
    """The files are the algorithm sets the tests above claim to run."""
    assert acvp("KDF-1.0")["algorithm"] == "KDF"
    assert acvp("kdf-components-srtp-1.0")["mode"] == "srtp"
    assert acvp("TLS-v1.3-KDF-RFC8446")["revision"] == "RFC8446"
