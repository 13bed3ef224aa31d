"""The IKEv2 key schedule (fipscrypto.ipsec.ikev2): two parties, the RFC formulas recomputed, the policy.

Every derivation is recomputed here with the standard library's HMAC (outside the FIPS boundary: an
independent implementation of RFC 7296's prf and prf+), so a key taken from the wrong place of the
keying material, a wrong order or a wrong length fails.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from pathlib import Path
from typing import Any

import pytest
from vectorlib_kdf import acvp_cases, mask_bits, unhex

from fipscrypto import enforce, kdf
from fipscrypto.errors import FeatureDisabled, InvalidParameter, PolicyViolation
from fipscrypto.ipsec import ikev2
from fipscrypto.ipsec._sa import _stirred
from fipscrypto.ipsec.ikev2 import ChildSuite, IkeSa, IkeSuite, KeyExchange, Transform, TransformType
from fipscrypto.provider.state import StatePaths

from support import run_json, run_script_json
from vectorlib import ACVP_HASHES

IPV4 = bytes.fromhex("45000024000100004011f6c4c0000201c000020200350035001000006461746164617461")
IPV4_BACK = bytes.fromhex("45000024000200004011f6c3c0000202c000020100350035001000006261636b6261636b")


@pytest.fixture
def pqc_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIPSCRYPTO_PQC", "1")


# ------------------------------------------------------------------- RFC 7296 §2.13, independently


def prf(digest: str, key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, getattr(hashlib, digest)).digest()


def prf_plus(digest: str, key: bytes, seed: bytes, length: int) -> bytes:
    """prf+ (K,S) = T1 | T2 | T3 | ..., T1 = prf (K, S | 0x01), Tn = prf (K, Tn-1 | S | n)."""
    out, block, n = b"", b"", 1
    while len(out) < length:
        block = prf(digest, key, block + seed + bytes((n,)))
        out, n = out + block, n + 1
    return out[:length]


def split(stream: bytes, *sizes: int) -> list[bytes]:
    parts, offset = [], 0
    for size in sizes:
        parts.append(stream[offset : offset + size])
        offset += size
    return parts


def sk_all(sa: IkeSa) -> tuple[bytes, ...]:
    k = sa.keys
    return (k.sk_d, k.sk_ai, k.sk_ar, k.sk_ei, k.sk_er, k.sk_pi, k.sk_pr)


def expected_sk(digest: str, skeyseed: bytes, sa: IkeSa, e_len: int, a_len: int) -> list[bytes]:
    """RFC 7296 §2.14: {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+ (SKEYSEED, Ni |
    Nr | SPIi | SPIr), SK_d, SK_pi and SK_pr as long as the prf's output."""
    h = hashlib.new(digest).digest_size
    sizes = (h, a_len, a_len, e_len, e_len, h, h)
    return split(prf_plus(digest, skeyseed, sa.ni + sa.nr + sa.spi_i + sa.spi_r, sum(sizes)), *sizes)


def handshake(suite: IkeSuite) -> tuple[IkeSa, IkeSa, bytes]:
    """IKE_SA_INIT between two parties in suite ``suite``, each on its own side's values."""
    kei = KeyExchange(suite.ke)
    ni, spi_i = ikev2.nonce(), ikev2.spi()
    ker, secret_r = KeyExchange.respond(suite.ke, kei.payload)
    nr, spi_r = ikev2.nonce(), ikev2.spi()
    secret_i = kei.complete(ker.payload)
    assert secret_i == secret_r
    initiator = IkeSa(suite, secret_i, ni=ni, nr=nr, spi_i=spi_i, spi_r=spi_r)
    responder = IkeSa(suite, secret_r, ni=ni, nr=nr, spi_i=spi_i, spi_r=spi_r)
    return initiator, responder, secret_i


def packets_both_ways(child_i: ikev2.ChildSaKeys, child_r: ikev2.ChildSaKeys) -> None:
    out_i, in_i = child_i.security_associations("initiator", outbound_spi=0x1001, inbound_spi=0x2002)
    out_r, in_r = child_r.security_associations("responder", outbound_spi=0x2002, inbound_spi=0x1001)
    assert in_r.decapsulate(out_i.encapsulate(IPV4)) == IPV4
    assert in_i.decapsulate(out_r.encapsulate(IPV4_BACK)) == IPV4_BACK


# ----------------------------------------------------------------------------------- two parties


def test_two_parties_agree_with_modp_4096() -> None:
    suite = ikev2.ike_select(ikev2.ike_offer(additional=False))
    assert suite == IkeSuite("ENCR_AES_GCM_16", 256, "PRF_HMAC_SHA2_384", None, 16, ())
    initiator, responder, g_ir = handshake(suite)
    assert len(g_ir) == 512  # RFC 7296 §2.14: g^ir as long as the modulus
    assert sk_all(initiator) == sk_all(responder)

    skeyseed = prf("sha384", initiator.ni + initiator.nr, g_ir)  # SKEYSEED = prf(Ni | Nr, g^ir)
    # AES-256-GCM: SK_e is the 32-byte key and a 4-byte salt (RFC 5282 §7.1), no SK_a.
    assert list(sk_all(initiator)) == expected_sk("sha384", skeyseed, initiator, 36, 0)

    suite_child = ikev2.child_select(ikev2.child_offer())
    child_i = initiator.child_sa(suite_child)
    child_r = responder.child_sa(suite_child)
    keymat = prf_plus("sha384", initiator.keys.sk_d, initiator.ni + initiator.nr, 72)
    assert child_i == child_r
    assert (child_i.initiator.encryption, child_i.responder.encryption) == (keymat[:36], keymat[36:])
    assert child_i.initiator.integrity == child_i.responder.integrity == b""
    packets_both_ways(child_i, child_r)


def test_two_parties_agree_with_p256_and_ml_kem_768(pqc_on: None) -> None:
    """RFC 9370: group 19 in IKE_SA_INIT, ML-KEM-768 in one IKE_INTERMEDIATE exchange."""
    offered = [t for t in ikev2.ike_offer() if t.type is not TransformType.KE or t.id == 19]
    suite = ikev2.ike_select(offered)
    assert (suite.ke, suite.additional) == (19, (36,))
    initiator, responder, _ = handshake(suite)
    assert initiator.pending == (36,)
    with pytest.raises(InvalidParameter, match="RFC 9370"):
        initiator.child_sa(ChildSuite())  # the IKE_AUTH exchange follows the last IKE_INTERMEDIATE one
    before = sk_all(initiator)

    kei = KeyExchange(36)
    ker, secret_r = KeyExchange.respond(36, kei.payload)
    assert (len(kei.payload), len(ker.payload)) == (1184, 1088)  # FIPS 203: ek and c of ML-KEM-768
    secret_i = kei.complete(ker.payload)
    initiator.add_key_exchange(secret_i)
    responder.add_key_exchange(secret_r)
    assert sk_all(initiator) == sk_all(responder)
    assert initiator.pending == ()

    # RFC 9370 §2.2.2: SKEYSEED(1) = prf(SK_d(0), SK(1) | Ni | Nr); every key is replaced.
    skeyseed = prf("sha384", before[0], secret_i + initiator.ni + initiator.nr)
    assert list(sk_all(initiator)) == expected_sk("sha384", skeyseed, initiator, 36, 0)
    assert all(new != old for new, old in zip(sk_all(initiator), before, strict=True) if old)
    packets_both_ways(initiator.child_sa(ChildSuite()), responder.child_sa(ChildSuite()))


def test_a_cbc_suite_derives_integrity_keys_of_the_transforms_length() -> None:
    suite = IkeSuite("ENCR_AES_CBC", 128, "PRF_HMAC_SHA2_256", "AUTH_HMAC_SHA2_512_256", 19)
    initiator, _, g_ir = handshake(suite)
    skeyseed = prf("sha256", initiator.ni + initiator.nr, g_ir)
    assert list(sk_all(initiator)) == expected_sk("sha256", skeyseed, initiator, 16, 64)
    child = initiator.child_sa(ChildSuite("ENCR_AES_CBC", 256, "AUTH_HMAC_SHA2_256_128"))
    keymat = prf_plus("sha256", initiator.keys.sk_d, initiator.ni + initiator.nr, 2 * (32 + 32))
    # RFC 7296 §2.17: initiator's encryption, its integrity, then the responder's.
    assert [child.initiator.encryption, child.initiator.integrity] == split(keymat, 32, 32)
    assert child.responder.key == keymat[64:]
    assert child.esp_algorithm == "aes-256-cbc-hmac-sha2-256-128"
    assert child.outbound("initiator") is child.initiator
    assert child.inbound("initiator") is child.responder


# ----------------------------------------------------------------------------------- rekeying


def test_rekeying_the_child_sa_with_pfs_gives_fresh_keys() -> None:
    initiator, responder, _ = handshake(IkeSuite(ke=20))
    first = initiator.child_sa(ChildSuite())
    suite = ikev2.child_select(ikev2.child_offer(pfs=True))
    assert suite.ke == 16
    kei = KeyExchange(20)
    ker, secret = KeyExchange.respond(20, kei.payload)
    ni, nr = ikev2.nonce(), ikev2.nonce()
    pfs = ChildSuite(ke=20)
    new_i = initiator.child_sa(pfs, ni=ni, nr=nr, shared_secrets=[kei.complete(ker.payload)])
    new_r = responder.child_sa(pfs, ni=ni, nr=nr, shared_secrets=[secret])
    assert new_i == new_r
    assert new_i != first
    # KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr): the ACVP-tested primitive gives the same.
    assert new_i.initiator.key + new_i.responder.key == kdf.ikev2_child_keymat(
        initiator.keys.sk_d, ni, nr, length=72, shared_secret=secret, digest="sha384"
    )
    without_pfs = initiator.child_sa(ChildSuite(), ni=ni, nr=nr)
    assert without_pfs not in (first, new_i)
    packets_both_ways(new_i, new_r)


def test_rekeying_the_ike_sa_gives_fresh_keys_under_the_old_prf() -> None:
    old_i, old_r, _ = handshake(IkeSuite(prf="PRF_HMAC_SHA2_256", ke=19))
    suite = IkeSuite(prf="PRF_HMAC_SHA2_512", ke=21)
    kei = KeyExchange(21)
    ker, secret = KeyExchange.respond(21, kei.payload)
    ni, nr, spi_i, spi_r = ikev2.nonce(), ikev2.nonce(), ikev2.spi(), ikev2.spi()
    new_i = old_i.rekey(suite, [kei.complete(ker.payload)], ni=ni, nr=nr, spi_i=spi_i, spi_r=spi_r)
    new_r = old_r.rekey(suite, [secret], ni=ni, nr=nr, spi_i=spi_i, spi_r=spi_r)
    assert sk_all(new_i) == sk_all(new_r)
    assert not (set(sk_all(new_i)) & set(sk_all(old_i))) - {b""}  # SK_ai/SK_ar: empty with AEAD
    # RFC 7296 §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old SA's PRF.
    skeyseed = kdf.ikev2_rekey_skeyseed(old_i.keys.sk_d, secret, ni, nr, digest="sha256")
    assert skeyseed == prf("sha256", old_i.keys.sk_d, secret + ni + nr)
    assert list(sk_all(new_i)) == expected_sk("sha512", skeyseed, new_i, 36, 0)


def test_rekeying_the_ike_sa_with_an_additional_key_exchange(pqc_on: None) -> None:
    """RFC 9370 §2.2.4: SKEYSEED = prf(SK_d, SK(0) | Ni | Nr | SK(1)), SK(1) from IKE_FOLLOWUP_KE."""
    old, _, _ = handshake(IkeSuite(ke=19))
    kem = KeyExchange(37)
    ker, sk1 = KeyExchange.respond(37, kem.payload)
    assert kem.complete(ker.payload) == sk1
    sk0, ni, nr, spis = b"\x07" * 32, ikev2.nonce(), ikev2.nonce(), (ikev2.spi(), ikev2.spi())
    suite = IkeSuite(ke=19, additional=(37,))
    new = old.rekey(suite, [sk0, sk1], ni=ni, nr=nr, spi_i=spis[0], spi_r=spis[1])
    skeyseed = prf("sha384", old.keys.sk_d, sk0 + ni + nr + sk1)
    assert list(sk_all(new)) == expected_sk("sha384", skeyseed, new, 36, 0)
    assert new.pending == ()
    with pytest.raises(InvalidParameter, match="SK\\(0\\) and one per ADDKE"):
        old.rekey(suite, [sk0], ni=ni, nr=nr, spi_i=spis[0], spi_r=spis[1])


# ------------------------------------------------------------------------------------------ ACVP

IKEV2 = acvp_cases("kdf-components-ikev2-1.0", "internalProjection.subset-byte-aligned.json")


@pytest.mark.parametrize(("group", "test"), IKEV2, ids=[f"tc{t['tcId']}" for _, t in IKEV2])
def test_acvp_through_the_key_schedule(group: dict[str, Any], test: dict[str, Any]) -> None:
    """The key schedule's seeds on ACVP's values: the rekey SKEYSEED (RFC 7296 §2.18, the form of
    RFC 9370's SKEYSEED(n)) and the Child SA KEYMAT with a new g^ir. ACVP's 64-bit nonces are below
    RFC 7296 §2.10's 128 bits, so an IkeSa refuses them while the KDF takes them."""
    h = ACVP_HASHES[group["hashAlg"]]
    ni, nr, gir, gir_new = (unhex(test[k]) for k in ("nInit", "nResp", "gir", "girNew"))
    spi_i, spi_r = unhex(test["spiInit"]), unhex(test["spiResp"])
    sk_d = unhex(test["derivedKeyingMaterial"])[: hashlib.new(h).digest_size]
    assert kdf.ikev2_prf(sk_d, _stirred((gir_new,), ni, nr), digest=h) == unhex(test["sKeySeedReKey"])
    bits = group["derivedKeyingMaterialChildLength"]
    child = kdf.ikev2_prf_plus(sk_d, _stirred((gir_new,), ni, nr), length=(bits + 7) // 8, digest=h)
    assert mask_bits(child, bits) == unhex(test["derivedKeyingMaterialDh"])
    child = kdf.ikev2_prf_plus(sk_d, _stirred((), ni, nr), length=(bits + 7) // 8, digest=h)
    assert mask_bits(child, bits) == unhex(test["derivedKeyingMaterialChild"])
    prf_name = {"sha256": "PRF_HMAC_SHA2_256", "sha384": "PRF_HMAC_SHA2_384"}.get(h, "PRF_HMAC_SHA2_512")
    if min(len(ni), len(nr)) < 16:
        with pytest.raises(InvalidParameter, match=r"RFC 7296 §2\.10"):
            IkeSa(IkeSuite(prf=prf_name), gir, ni=ni, nr=nr, spi_i=spi_i, spi_r=spi_r)


def test_prf_plus_stops_at_255_outputs_and_the_schedule_stays_below() -> None:
    """RFC 7296 §2.13: "this function is not defined beyond 255 times the size of the prf output"."""
    assert len(kdf.ikev2_prf_plus(b"k" * 32, b"s", length=255 * 32)) == 255 * 32
    with pytest.raises(InvalidParameter, match="255"):
        kdf.ikev2_prf_plus(b"k" * 32, b"s", length=255 * 32 + 1)
    # The most the key schedule asks for: SHA-512 PRF keys, AES-256-CBC and HMAC-SHA-512 keys twice.
    suite = IkeSuite("ENCR_AES_CBC", 256, "PRF_HMAC_SHA2_512", "AUTH_HMAC_SHA2_512_256", 19)
    sa, _, _ = handshake(suite)
    assert sum(map(len, sk_all(sa))) == 3 * 64 + 2 * 64 + 2 * 32 <= 255 * 64


# ------------------------------------------------------------------------------------ key exchange


@pytest.mark.parametrize(("method", "size"), [(14, 256), (15, 384), (19, 64), (20, 96), (21, 132)])
def test_key_exchange_data_has_the_rfc_length(method: int, size: int) -> None:
    """RFC 7296 §3.4: MODP data as long as the prime; RFC 5903 §7: ECP x | y, no point-format octet."""
    kei = KeyExchange(method)
    assert len(kei.payload) == size
    ker, secret = KeyExchange.respond(method, kei.payload)
    assert kei.complete(ker.payload) == secret
    assert len(secret) == (size if method < 19 else size // 2)  # RFC 5903 §7: the x coordinate
    with pytest.raises(InvalidParameter, match="RFC"):
        KeyExchange.respond(method, kei.payload[1:])


def test_invalid_public_values_and_a_reused_exchange_are_refused() -> None:
    with pytest.raises(InvalidParameter, match=r"subgroup|range"):
        KeyExchange.respond(14, (1).to_bytes(256, "big"))  # RFC 6989: y = 1
    with pytest.raises(InvalidParameter, match="not a point on the curve"):
        KeyExchange.respond(19, bytes(63) + b"\x01")
    kei = KeyExchange(19)
    ker, _ = KeyExchange.respond(19, kei.payload)
    kei.complete(ker.payload)
    with pytest.raises(InvalidParameter, match="completed already"):
        kei.complete(ker.payload)  # the private half is gone after one use
    with pytest.raises(InvalidParameter, match="completed already"):
        ker.complete(kei.payload)  # the responder keeps no private half
    with pytest.raises(InvalidParameter, match="not offered"):
        KeyExchange(25)


def test_the_ike_layer_checks_nonces_spis_and_the_order_of_exchanges() -> None:
    secret, spi = b"\x05" * 32, ikev2.spi()
    assert len(ikev2.nonce()) == 32
    assert ikev2.nonce() != ikev2.nonce()
    with pytest.raises(InvalidParameter, match=r"16\.\.256"):
        IkeSa(IkeSuite(prf="PRF_HMAC_SHA2_256"), secret, ni=bytes(15), nr=bytes(16), spi_i=spi, spi_r=spi)
    with pytest.raises(InvalidParameter, match=r"32\.\.256"):  # half of HMAC-SHA-512's 64-byte key
        IkeSa(IkeSuite(prf="PRF_HMAC_SHA2_512"), secret, ni=bytes(31), nr=bytes(32), spi_i=spi, spi_r=spi)
    with pytest.raises(InvalidParameter, match="not all zero"):
        IkeSa(IkeSuite(), secret, ni=bytes(32), nr=bytes(32), spi_i=bytes(8), spi_r=spi)
    sa = IkeSa(IkeSuite(), secret, ni=bytes(32), nr=bytes(32), spi_i=spi, spi_r=spi)
    with pytest.raises(InvalidParameter, match="no additional key exchange is pending"):
        sa.add_key_exchange(secret)
    with pytest.raises(InvalidParameter, match="1 expected"):
        sa.child_sa(ChildSuite(ke=19), ni=bytes(32), nr=bytes(32))
    with pytest.raises(InvalidParameter, match="CREATE_CHILD_SA"):
        sa.child_sa(ChildSuite(ke=19), shared_secrets=[secret])
    with pytest.raises(InvalidParameter, match="integrity transform"):
        IkeSuite("ENCR_AES_CBC")
    with pytest.raises(InvalidParameter, match="combined mode"):
        ChildSuite(integrity="AUTH_HMAC_SHA2_256_128")
    assert sa.keys.sk_d.hex() not in repr(sa) + repr(sa.keys) + repr(sa.child_sa(ChildSuite()))


# ---------------------------------------------------------------------------------------- the policy


def test_the_responder_takes_the_first_usable_transform_of_each_type() -> None:
    offered = [
        Transform(TransformType.ENCR, 99, 256),  # unknown: skipped
        Transform(TransformType.ENCR, 20),  # AES-GCM without its Key Length attribute: skipped
        Transform(TransformType.ENCR, 20, 512),  # a key size AES does not have: skipped
        Transform.of(TransformType.ENCR, "ENCR_AES_CBC", 128),
        Transform.of(TransformType.PRF, "PRF_HMAC_SHA2_512"),
        Transform.of(TransformType.INTEG, "AUTH_HMAC_SHA2_256_128"),
        Transform(TransformType.KE, 20),
        Transform(TransformType.KE, 16),
    ]
    assert ikev2.ike_select(offered) == IkeSuite(
        "ENCR_AES_CBC", 128, "PRF_HMAC_SHA2_512", "AUTH_HMAC_SHA2_256_128", 20
    )
    with pytest.raises(InvalidParameter, match="NO_PROPOSAL_CHOSEN"):
        ikev2.ike_select(offered[:3] + offered[4:])  # no usable ENCR


def test_a_transform_retired_by_the_policy_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    sha1 = IkeSuite(prf="PRF_HMAC_SHA1")
    sa, _, _ = handshake(IkeSuite(prf="PRF_HMAC_SHA2_256", ke=19))
    retired = (datetime.date(2031, 1, 2) - datetime.date(1970, 1, 1)).days  # fips-140-3: SHA-1 retires
    monkeypatch.setattr(enforce, "_utc_day", lambda: retired)
    with pytest.raises(PolicyViolation, match="PRF_HMAC_SHA1"):
        IkeSa(sha1, b"\x05" * 32, ni=bytes(32), nr=bytes(32), spi_i=sa.spi_i, spi_r=sa.spi_r)
    sha1_first = [Transform.of(TransformType.PRF, "PRF_HMAC_SHA1"), *ikev2.ike_offer()]
    assert ikev2.ike_select(sha1_first).prf == "PRF_HMAC_SHA2_384"  # the next one offered
    with pytest.raises(PolicyViolation, match="PRF_HMAC_SHA1"):
        ikev2.ike_select([t for t in sha1_first if t.type is not TransformType.PRF or t.id == 2])
    with pytest.raises(PolicyViolation, match="AUTH_HMAC_SHA1_96"):
        sa.child_sa(ChildSuite("ENCR_AES_CBC", 128, "AUTH_HMAC_SHA1_96"))


CNSA = """
import json, fipscrypto
fipscrypto.activate()
from fipscrypto import PolicyViolation
from fipscrypto.ipsec import ikev2
outcomes = {}
def outcome(name, call):
    try:
        call()
        outcomes[name] = "served"
    except PolicyViolation as exc:
        outcomes[name] = "refused"
gcm128 = [ikev2.Transform.of(ikev2.TransformType.ENCR, "ENCR_AES_GCM_16", 128)]
outcome("select-gcm-128", lambda: ikev2.ike_select(gcm128 + list(ikev2.ike_offer())[1:]))
chosen = ikev2.ike_select(gcm128 + list(ikev2.ike_offer())).key_bits
outcome("sa-gcm-128", lambda: ikev2.IkeSa(ikev2.IkeSuite(key_bits=128, ke=20), bytes(48),
                                          ni=bytes(32), nr=bytes(32), spi_i=b"1" * 8, spi_r=b"2" * 8))
outcome("ke-19", lambda: ikev2.KeyExchange(19))
print(json.dumps({"offered": [t.name for t in ikev2.ike_offer()], "outcomes": outcomes, "chosen": chosen}))
"""


def test_the_policy_decides_what_is_offered_and_accepted(state_paths: StatePaths) -> None:
    result = run_json(CNSA, FIPSCRYPTO_STATE_DIR=str(state_paths.root), FIPSCRYPTO_POLICY="cnsa-2.0")
    # cnsa-2.0: AES-256-GCM, HMAC-SHA-384/512, and (in the transition) groups 15-18 and 20.
    assert result["offered"] == [
        "ENCR_AES_GCM_16",
        "PRF_HMAC_SHA2_384",
        "PRF_HMAC_SHA2_512",
        "16",
        "20",
        "15",
        "17",
        "18",
    ]
    assert result["outcomes"] == {"select-gcm-128": "refused", "sa-gcm-128": "refused", "ke-19": "refused"}
    assert result["chosen"] == 256  # AES-128-GCM offered first: skipped for the AES-256-GCM after it


# ------------------------------------------------------------------------- the post-quantum switch


def test_ml_kem_without_the_post_quantum_module_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIPSCRYPTO_PQC", raising=False)
    assert not any(t.type is TransformType.ADDKE1 for t in ikev2.ike_offer())
    with pytest.raises(FeatureDisabled, match="FIPSCRYPTO_PQC=1"):
        KeyExchange(36)
    with pytest.raises(FeatureDisabled, match="FIPSCRYPTO_PQC=1"):
        KeyExchange.respond(37, bytes(1568))
    with pytest.raises(FeatureDisabled, match="ML-KEM-768"):
        IkeSa(
            IkeSuite(ke=19, additional=(36,)),
            b"\x05" * 32,
            ni=bytes(32),
            nr=bytes(32),
            spi_i=b"1" * 8,
            spi_r=b"2" * 8,
        )
    ml_kem = [*ikev2.ike_offer(), Transform(TransformType.ADDKE1, 36)]
    with pytest.raises(InvalidParameter, match="NO_PROPOSAL_CHOSEN"):
        ikev2.ike_select(ml_kem)  # RFC 9370 §2.2.1: the additional exchange was not optional
    optional = [*ml_kem, Transform(TransformType.ADDKE1, 0)]
    assert ikev2.ike_select(optional).additional == ()


REVOKED = """
import json, fipscrypto
fipscrypto.activate()
from fipscrypto import module
from fipscrypto.ipsec import ikev2
suite, secret, ni = ikev2.IkeSuite(), bytes(range(32)), bytes(32)
sa = ikev2.IkeSa(suite, secret, ni=ni, nr=ni, spi_i=b"1" * 8, spi_r=b"2" * 8)
module.enter_error("a forced failure")
outcomes = []
for call in (lambda: sa.keys, lambda: sa.child_sa(ikev2.ChildSuite())):
    try:
        call()
        outcomes.append("served")
    except fipscrypto.ModuleErrorState:
        outcomes.append("refused")
print(json.dumps({"outcomes": outcomes, "repr": repr(sa)}))
"""


def test_the_error_state_revokes_the_keys_of_an_ike_sa(state_paths: StatePaths) -> None:
    result = run_json(REVOKED, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert result["outcomes"] == ["refused", "refused"]


def test_the_documented_node_to_node_example_runs(state_paths: StatePaths) -> None:
    """docs/ipsec-ikev2.md's walk-through: MODP-4096, then P-384 + ML-KEM-768, ESP both ways."""
    example = Path(__file__).parent.parent / "docs" / "examples" / "ipsec_nodes.py"
    result = run_script_json(example, timeout=120, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert result["modp-4096"]["ke"] == [16]
    assert result["p384-ml-kem-768"]["ke"] == [20, 36]
    for run in result.values():
        assert (run["encryption"], run["esp"]) == ("ENCR_AES_GCM_16-256", "aes-256-gcm-16")
        assert (run["same_keys"], run["b_got"], run["a_got"]) == (True, True, True)
