"""fipscrypto.keys against the real FIPS provider in strict mode (fips-140-3 policy).

ACVP files (tests/vectors/acvp, SOURCES.md): every test case is visited; the ones fipscrypto cannot
run are counted per documented reason and the totals must equal the file's test count.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter

import pytest
from vectorlib_keys import (
    ECDSA_HASHES,
    acvp_groups,
    der_ecdsa_signature,
    e_bits,
    openssl_dh_prime,
    openssl_field_prime,
    pi_bits,
    probable_prime,
    rfc_prime,
)

from fipscrypto import audit, indicator, keys
from fipscrypto._backend import keys as backend
from fipscrypto.errors import InvalidParameter, InvalidSignature, PolicyViolation
from fipscrypto.provider.state import StatePaths

from support import run_json

SIGNATURE_SCHEMES = [
    "ecdsa-p256",
    "ecdsa-p384",
    "ecdsa-p521",
    "ed25519",
    "ed448",
    "ml-dsa-44",
    "ml-dsa-65",
    "ml-dsa-87",
]
MESSAGE = b"conference bridge 7: participant list"

# pytest resets warning filters around each test, dropping the module-level filter with which
# fipscrypto._backend.keys silences cryptography's FFDH deprecation warning; restore it here.
# test_ffdh_deprecation_warning_stays_inside checks that filter in a fresh interpreter.
pytestmark = pytest.mark.filterwarnings("ignore:Diffie-Hellman over finite fields")


@pytest.fixture(scope="module")
def rsa_key() -> keys.SigningKey:
    return keys.generate_signing_key("rsa-pss", bits=2048)


def assert_approved(service: str) -> None:
    op = indicator.last()
    assert op is not None
    assert op.service == service
    assert op.approved


# ------------------------------------------------------------------------------- generation + PCT

INSIDE = "fips provider, private context"  # where RSA, EC and FFDH key pairs are generated


def key_id(key: keys.SigningKey | keys.AgreementKey) -> str:
    """The id a key-generated event names a key pair by: the SHA-256 of its SubjectPublicKeyInfo."""
    return hashlib.sha256(key.public_bytes("der")).hexdigest()


@pytest.mark.parametrize("scheme", SIGNATURE_SCHEMES)
def test_generate_sign_verify(scheme: str, events: list[audit.Event]) -> None:
    key = keys.generate_signing_key(scheme)
    assert_approved("keys.generate")
    generated = [e for e in events if e.kind == "key-generated"]
    assert len(generated) == 1
    # metadata only
    assert set(generated[0].fields) == {"algorithm", "bits", "key_id", "approved", "generated_in"}
    assert generated[0].fields["algorithm"] == scheme
    signature = key.sign(MESSAGE)
    assert_approved("keys.sign")
    public = key.verifying_key()
    public.verify(signature, MESSAGE)
    assert_approved("keys.verify")
    with pytest.raises(InvalidSignature):
        public.verify(signature, MESSAGE + b"!")
    tampered = bytearray(signature)
    tampered[len(tampered) // 2] ^= 0x40
    with pytest.raises(InvalidSignature):
        public.verify(bytes(tampered), MESSAGE)


@pytest.mark.parametrize(("bits", "padding"), [(3072, "rsa-pkcs1v15"), (4096, "rsa-pss")])
def test_generate_rsa_sizes(bits: int, padding: str, events: list[audit.Event]) -> None:
    key = keys.generate_signing_key(padding, bits=bits)  # one key per size, each generated once
    assert key.bits == bits
    assert events[-1].kind == "key-generated"
    assert events[-1].fields == {
        "algorithm": padding, "bits": bits, "key_id": key_id(key), "approved": True, "generated_in": INSIDE
    }  # fmt: skip
    assert indicator.last() == indicator.Operation("keys.generate", f"{padding}-{bits}", True)
    key.verifying_key().verify(key.sign(MESSAGE, digest="sha384"), MESSAGE, digest="sha384")


@pytest.mark.parametrize("hash_name", ["sha256", "sha384", "sha512"])
def test_rsa_pss_salt_is_hash_length(rsa_key: keys.SigningKey, hash_name: str) -> None:
    """Open the PSS encoding with the public key (RFC 8017 §9.1.2, by hand) and measure the salt."""
    signature = rsa_key.sign(MESSAGE, digest=hash_name)
    rsa_key.verifying_key().verify(signature, MESSAGE, digest=hash_name)
    n, e = backend.rsa_numbers(rsa_key.verifying_key()._key)
    em = pow(int.from_bytes(signature, "big"), e, n).to_bytes((n.bit_length() + 6) // 8, "big")
    h_len = hashlib.new(hash_name).digest_size
    masked, digest = em[: -h_len - 1], em[-h_len - 1 : -1]
    mask = b"".join(
        hashlib.new(hash_name, digest + i.to_bytes(4, "big")).digest()
        for i in range(len(masked) // h_len + 1)
    )
    db = bytes(a ^ b for a, b in zip(masked, mask, strict=False))
    db = bytes([db[0] & (0xFF >> (8 * len(em) - (n.bit_length() - 1)))]) + db[1:]
    salt = db[db.index(b"\x01") + 1 :]
    assert em[-1] == 0xBC
    assert len(salt) == h_len


def test_rsa_pkcs1v15_and_hashes(rsa_key: keys.SigningKey) -> None:
    der = rsa_key.private_bytes("der")
    pkcs1 = keys.load_signing_key(der, "rsa-pkcs1v15", encoding="der")
    for hash_name in ("sha256", "sha384", "sha512"):
        signature = pkcs1.sign(MESSAGE, digest=hash_name)
        assert signature == pkcs1.sign(MESSAGE, digest=hash_name)  # PKCS#1 v1.5 is deterministic
        pkcs1.verifying_key().verify(signature, MESSAGE, digest=hash_name)
        with pytest.raises(InvalidSignature):
            pkcs1.verifying_key().verify(
                signature, MESSAGE, digest="sha256" if hash_name != "sha256" else "sha512"
            )
        with pytest.raises(InvalidSignature):  # a PSS key does not accept a PKCS#1 v1.5 signature
            rsa_key.verifying_key().verify(signature, MESSAGE, digest=hash_name)


@pytest.mark.parametrize("curve", ["p256", "p384", "p521"])
def test_generate_ecdh(curve: str, events: list[audit.Event]) -> None:
    scheme = f"ecdh-{curve}"
    alice, bob = keys.generate_agreement_key(scheme), keys.generate_agreement_key(scheme)
    assert events[-1].fields == {
        "algorithm": scheme,
        "bits": int(curve[1:]),
        "key_id": key_id(bob),
        "approved": True,
        "generated_in": INSIDE,
    }
    peer = keys.load_agreement_public_key(bob.public_bytes(), scheme)  # SubjectPublicKeyInfo DER
    z = alice.exchange(peer)
    assert_approved("keys.agree")
    assert z == bob.exchange(
        keys.load_agreement_public_key(alice.public_bytes("pem"), scheme, encoding="pem")
    )
    assert z == bob.exchange(
        keys.load_agreement_public_key(alice.public_bytes("raw"), scheme, encoding="raw")
    )
    assert len(z) == (int(curve[1:]) + 7) // 8


@pytest.mark.parametrize("group", list(keys.GROUPS))
def test_generate_ffdh_every_group(group: str, events: list[audit.Event]) -> None:
    alice, bob = (
        keys.generate_agreement_key("ffdh", group=group),
        keys.generate_agreement_key("ffdh", group=group),
    )
    bits = keys.GROUPS[group].bits
    assert events[-1].fields == {
        "algorithm": "ffdh", "bits": bits, "key_id": key_id(bob), "approved": True, "generated_in": INSIDE
    }  # fmt: skip
    z = alice.exchange(keys.load_agreement_public_key(bob.public_bytes(), "ffdh", group=group))
    assert z == bob.exchange(alice.public_key())
    assert len(z) == bits // 8
    assert indicator.last() == indicator.Operation("keys.agree", f"ffdh-{group}", True)


def test_key_encodings_round_trip() -> None:
    for scheme in ("ecdsa-p384", "ed25519", "ed448", "ml-dsa-44"):
        key = keys.generate_signing_key(scheme)
        signature = key.sign(MESSAGE)
        for encoding in ("pem", "der", "raw"):
            if scheme.startswith("ecdsa") and encoding == "raw":
                continue
            if scheme.startswith("ml-dsa") and encoding == "raw":
                again = keys.signing_key_from_seed(scheme, key.private_bytes("raw"))
            else:
                again = keys.load_signing_key(key.private_bytes(encoding), scheme, encoding=encoding)
            assert again.verifying_key().public_bytes() == key.verifying_key().public_bytes()
            public = keys.load_verifying_key(
                key.verifying_key().public_bytes(encoding), scheme, encoding=encoding
            )
            public.verify(signature, MESSAGE)
    ffdh = keys.generate_agreement_key("ffdh", group="ffdhe2048")
    loaded = keys.load_agreement_key(ffdh.private_bytes("der"), "ffdh", group="ffdhe2048")
    assert loaded.public_bytes() == ffdh.public_bytes()
    assert b"PRIVATE" not in repr(ffdh).encode()


# ----------------------------------------------------------------------------------- policy refusals


def test_strict_mode_refuses_what_the_provider_allows() -> None:
    with pytest.raises(PolicyViolation):
        keys.generate_signing_key("rsa-pss", bits=1024)
    with pytest.raises(PolicyViolation):
        keys.generate_signing_key("ecdsa-secp256k1")
    with pytest.raises(PolicyViolation):
        keys.generate_agreement_key("ecdh-secp256k1")
    with pytest.raises(PolicyViolation):
        keys.generate_agreement_key("x25519")


# ------------------------------------------------------------------------------------ import checks


def test_bad_ec_peer_keys() -> None:
    point = keys.generate_agreement_key("ecdh-p256").public_bytes("raw")
    x, y = int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big")
    p = 2**256 - 2**224 + 2**192 + 2**96 - 1
    bad = {
        "off the curve": b"\x04" + x.to_bytes(32, "big") + ((y + 1) % p).to_bytes(32, "big"),
        "wrong length": point[:-1],
        "compressed, x = p": b"\x02" + p.to_bytes(32, "big"),
        "compressed, wrong length": bytes([2 + (y & 1)]) + x.to_bytes(32, "big")[1:],
        "compressed, no point with this x": b"\x02" + (3).to_bytes(32, "big"),
        "all zero": b"\x04" + bytes(64),
    }
    for data in bad.values():
        with pytest.raises(InvalidParameter):
            keys.load_agreement_public_key(data, "ecdh-p256", encoding="raw")  # reason: see the dict key
    with pytest.raises(InvalidParameter):  # x + p has the same residue: the provider would accept it
        keys._ec_public("p256", x + p, y)
    with pytest.raises(InvalidParameter):  # a P-384 point is not a P-256 key
        keys.load_agreement_public_key(keys.generate_agreement_key("ecdh-p384").public_bytes(), "ecdh-p256")


def test_bad_ffdh_peer_keys() -> None:
    group = keys.GROUPS["ffdhe2048"]
    y = int.from_bytes(keys.generate_agreement_key("ffdh", group="ffdhe2048").public_bytes("raw"), "big")
    for value in (0, 1, group.p - 1, group.p, group.p + 5, group.p - y):  # p - y: a non-residue, order 2q
        with pytest.raises(InvalidParameter):
            keys.load_agreement_public_key(value, "ffdh", group="ffdhe2048")
    with pytest.raises(InvalidParameter):
        keys.load_agreement_public_key(bytes(257), "ffdh", group="ffdhe2048", encoding="raw")
    other = keys.generate_agreement_key("ffdh", group="modp2048")
    with pytest.raises(InvalidParameter):
        keys.generate_agreement_key("ffdh", group="ffdhe2048").exchange(other.public_key())
    with pytest.raises(InvalidParameter):
        keys.load_agreement_public_key(other.public_bytes(), "ffdh", group="ffdhe2048")


def test_explicit_ffdh_domain_is_validated() -> None:
    named = keys.GROUPS["ffdhe2048"]
    for bad in (
        keys.FFDHGroup("g-not-in-subgroup", named.p, 7, named.q),  # 7 is a non-residue mod p: order 2q
        keys.FFDHGroup("q-not-dividing", named.p, 2, named.q + 2),
        keys.FFDHGroup("composite", named.p * 3 + 2, 2, 5),
    ):
        with pytest.raises(InvalidParameter):
            keys.generate_agreement_key("ffdh", group=bad)
    with pytest.raises(InvalidParameter):
        keys.generate_agreement_key("ffdh", group="ffdhe1024")
    for x in (0, named.q, named.q + 1):
        with pytest.raises(InvalidParameter):
            keys.agreement_key_from_private_value("ffdh", x, group=named)


def test_subgroup_check_by_legendre_symbol_equals_exponentiation() -> None:
    group = keys.GROUPS["ffdhe2048"]
    for value in (2, 3, 5, group.p - 2, group.p // 3, 0xC0FFEE**20):
        assert (keys._jacobi(value, group.p) == 1) == (pow(value, group.q, group.p) == 1)


def test_rsa_import_checks(rsa_key: keys.SigningKey) -> None:
    n, _ = backend.rsa_numbers(rsa_key.verifying_key()._key)
    keys.rsa_verifying_key(n, 65537)
    for e in (3, 17, 65536, 65538, 2**256 + 1):
        with pytest.raises(InvalidParameter):
            keys.rsa_verifying_key(n, e)
    with pytest.raises(PolicyViolation):  # fips-140-3: no status below 1024 bits (SP 800-131A r2 Table 2)
        keys.rsa_verifying_key(2**511 + 1, 65537)
    with pytest.raises(InvalidParameter):
        keys.rsa_verifying_key(n + 1, 65537)  # even modulus
    with pytest.raises(InvalidParameter):
        keys.load_verifying_key(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "rsa-pss")
    with pytest.raises(InvalidParameter):  # an Ed25519 key is not an RSA key
        keys.load_verifying_key(
            keys.generate_signing_key("ed25519").verifying_key().public_bytes(), "rsa-pss"
        )
    # RSA-1024 verification is legacy use (SP 800-131A r2 Table 2): accepted for verifying only.
    legacy = keys.rsa_verifying_key((2**1023 + 1) | 1, 65537)
    assert legacy.bits == 1024


# ------------------------------------------------------------------------------- PCT fault injection

FAULTS = {
    "rsa": "keys.generate_signing_key('rsa-pss', bits=2048)",
    "ecdsa": "keys.generate_signing_key('ecdsa-p256')",
    "eddsa": "keys.generate_signing_key('ed25519')",
    "ml-dsa": "keys.generate_signing_key('ml-dsa-65')",
    "ecdh": "keys.generate_agreement_key('ecdh-p384')",
    "ffdh": "keys.generate_agreement_key('ffdh', group='ffdhe2048')",
    "rsa/transport": "keys.generate_transport_key('rsa-oaep', bits=2048)",  # RSA-OAEP: the RSA fault
}


@pytest.mark.parametrize("case", list(FAULTS))
def test_pct_failure_latches_error(case: str, state_paths: StatePaths) -> None:
    family = case.split("/")[0]
    result = run_json(
        f"""
        import json
        import fipscrypto
        from fipscrypto import audit, keys, module
        from fipscrypto.errors import ModuleErrorState, SelfTestFailure
        fipscrypto.activate("strict", state_dir={str(state_paths.root)!r})
        seen = []
        audit.subscribe(seen.append)
        out = {{}}
        try:
            {FAULTS[case]}
        except SelfTestFailure as exc:
            out["failure"] = exc.test
        out["state"] = module.info().state.value
        out["error"] = module.info().error
        try:
            keys.generate_signing_key("ed25519")
        except ModuleErrorState:
            out["later"] = "ModuleErrorState"
        out["events"] = [(e.kind, e.fields.get("test")) for e in seen]
        print(json.dumps(out))
        """,
        FIPSCRYPTO_SELFTEST_FAIL=f"pct-{family}",
    )
    assert result["failure"] == f"pct-{family}"
    assert result["state"] == "error"
    assert result["error"].startswith(f"PCT failed: pct-{family}")
    assert result["later"] == "ModuleErrorState"
    assert ["selftest-failure", f"pct-{family}"] in result["events"]
    assert not any(kind == "key-generated" for kind, _ in result["events"])


def test_ffdh_deprecation_warning_stays_inside(state_paths: StatePaths) -> None:
    result = run_json(
        f"""
        import json, warnings
        warnings.simplefilter("error")
        import fipscrypto
        from fipscrypto import keys
        fipscrypto.activate("strict", state_dir={str(state_paths.root)!r})
        key = keys.generate_agreement_key("ffdh", group="ffdhe2048")
        keys.load_agreement_key(key.private_bytes("pem"), "ffdh", group="ffdhe2048")
        keys.load_agreement_public_key(key.public_bytes("der"), "ffdh", group="ffdhe2048", encoding="der")
        print(json.dumps({{"ok": True}}))
        """
    )
    assert result == {"ok": True}


def test_other_fault_names_do_not_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIPSCRYPTO_SELFTEST_FAIL", "pct-rsax, kat-aes pct")
    keys.generate_signing_key("ecdsa-p256")
    keys.generate_agreement_key("ecdh-p256")


# ------------------------------------------------------------------------------ group and curve data

MODP = {2048: 124476, 3072: 1690314, 4096: 240904, 6144: 929484, 8192: 4743158}  # RFC 3526 §3-§7
FFDHE = {2048: 560316, 3072: 2625351, 4096: 5736041, 6144: 15705020, 8192: 10965728}  # RFC 7919 App. A


@pytest.mark.parametrize("bits", sorted(MODP))
def test_ffdh_primes_match_rfcs_and_openssl(bits: int) -> None:
    modp, ffdhe = keys.GROUPS[f"modp{bits}"], keys.GROUPS[f"ffdhe{bits}"]
    assert modp.p == rfc_prime(bits, pi_bits, MODP[bits]) == openssl_dh_prime(f"modp_{bits}")
    assert ffdhe.p == rfc_prime(bits, e_bits, FFDHE[bits]) == openssl_dh_prime(f"ffdhe{bits}")
    for group in (modp, ffdhe):
        assert group.p.bit_length() == bits
        assert (group.g, group.q) == (2, (group.p - 1) // 2)
        if bits <= 3072:  # safe prime: p and q = (p-1)/2 both (probable) primes; larger ones are slow
            assert probable_prime(group.p, (2, 3, 5))
            assert probable_prime(group.q, (2, 3, 5))


def test_ffdhe2048_matches_the_acvp_file() -> None:
    group = next(
        g for g in acvp_groups("KAS-FFC-SSC-Sp800-56Ar3") if g["domainParameterGenerationMode"] == "ffdhe2048"
    )
    assert (int(group["p"], 16), int(group["g"], 16), int(group["q"], 16)) == (
        keys.GROUPS["ffdhe2048"].p,
        keys.GROUPS["ffdhe2048"].g,
        keys.GROUPS["ffdhe2048"].q,
    )


def test_field_primes_match_openssl() -> None:
    names = {
        "p224": "secp224r1",
        "p256": "prime256v1",
        "p384": "secp384r1",
        "p521": "secp521r1",
        "secp256k1": "secp256k1",
    }
    for ours, theirs in names.items():
        assert keys._FIELD_PRIMES[ours] == openssl_field_prime(theirs)


# ------------------------------------------------------------------------------------ ACVP vectors


def test_acvp_ecdsa_sigver_every_case() -> None:
    """ECDSA-SigVer-FIPS186-5: 28 groups (P-224/256/384/521 x 7 hashes), 196 cases, all run."""
    ran, outcomes = 0, Counter[str]()
    groups = acvp_groups("ECDSA-SigVer-FIPS186-5")
    for group in groups:
        curve = "p" + group["curve"].split("-")[1]
        hash_name = ECDSA_HASHES[group["hashAlg"]]
        for test in group["tests"]:
            point = b"\x04" + bytes.fromhex(test["qx"]) + bytes.fromhex(test["qy"])
            signature = der_ecdsa_signature(int(test["r"], 16), int(test["s"], 16))
            try:
                key = keys.load_verifying_key(point, f"ecdsa-{curve}", encoding="raw")
                key.verify(signature, bytes.fromhex(test["message"]), digest=hash_name)
                verdict = True
            except (InvalidSignature, InvalidParameter) as exc:
                verdict = False
                outcomes[f"{test['reason']}:{type(exc).__name__}"] += 1
            assert verdict == test["testPassed"], (group["tgId"], test["tcId"], test["reason"])
            ran += 1
    assert ran == sum(len(g["tests"]) for g in groups) == 196
    assert sum(outcomes.values()) == 196 - sum(t["testPassed"] for g in groups for t in g["tests"])


def test_acvp_ml_dsa_keygen_every_case() -> None:
    """ML-DSA-keyGen-FIPS204: 75 cases (25 per parameter set) from seed; pk compared in full.

    cryptography 50 exposes an ML-DSA private key only as its 32-byte seed (raw and PKCS#8), not as
    the expanded FIPS 204 sk, so sk is checked where it is a function of pk: rho = sk[0:32] = pk[0:32]
    and tr = sk[64:128] = SHAKE256(pk, 64) (FIPS 204 Algorithm 24 skEncode); K, s1, s2, t0 are not.
    """
    ran = 0
    for group in acvp_groups("ML-DSA-keyGen-FIPS204"):
        scheme = group["parameterSet"].lower()
        for test in group["tests"]:
            key = keys.signing_key_from_seed(scheme, bytes.fromhex(test["seed"]))
            pk, sk = bytes.fromhex(test["pk"]), bytes.fromhex(test["sk"])
            assert key.verifying_key().public_bytes("raw") == pk, test["tcId"]
            assert key.private_bytes("raw") == bytes.fromhex(test["seed"])
            assert sk[:32] == pk[:32]
            assert sk[64:128] == hashlib.shake_256(pk).digest(64)
            ran += 1
    assert ran == 75


def test_acvp_kas_ffc_ssc_every_case() -> None:
    """KAS-FFC-SSC-Sp800-56Ar3: 20 cases. dhEphem (10: ffdhe2048 AFT, FB 2048/224 VAL) run through
    fipscrypto with the file's (p, q, g); mqv1 (10) skipped: MQV is neither offered by fipscrypto nor
    implemented by OpenSSL."""
    ran, skipped = 0, Counter[str]()
    groups = acvp_groups("KAS-FFC-SSC-Sp800-56Ar3")
    for group in groups:
        if group["scheme"] != "dhEphem":
            skipped[f"scheme {group['scheme']} (MQV) not offered"] += len(group["tests"])
            continue
        p, q, g = (int(group[k], 16) for k in ("p", "q", "g"))
        mode = group["domainParameterGenerationMode"]
        domain = keys.GROUPS[mode] if mode in keys.GROUPS else keys.FFDHGroup(f"acvp-{mode}", p, g, q)
        assert (domain.p, domain.g, domain.q) == (p, g, q)
        for test in group["tests"]:
            iut = keys.agreement_key_from_private_value(
                "ffdh", int(test["ephemeralPrivateIut"], 16), group=domain
            )
            assert iut.public_bytes("raw") == bytes.fromhex(test["ephemeralPublicIut"]).rjust(
                len(iut.public_bytes("raw")), b"\0"
            )
            server = keys.load_agreement_public_key(
                bytes.fromhex(test["ephemeralPublicServer"]), "ffdh", group=domain, encoding="raw"
            )
            z = iut.exchange(server)
            assert (z == bytes.fromhex(test["z"])) == test["testPassed"], test["tcId"]
            ran += 1
    assert ran == 10
    assert dict(skipped) == {"scheme mqv1 (MQV) not offered": 10}
    assert ran + sum(skipped.values()) == sum(len(g["tests"]) for g in groups) == 20


def test_acvp_kas_ecc_ssc_every_case() -> None:
    """KAS-ECC-SSC-Sp800-56Ar3: 20 cases, none runnable: the staged sample uses only Koblitz binary
    curves (K-233, K-283, K-409), which cryptography 50 no longer offers (no SECT curves) and the
    policy does not name, and 10 of them use full MQV, which neither fipscrypto nor OpenSSL offers.
    ECDH on P-curves is checked below with NIST's ECDSA key pairs instead."""
    skipped = Counter[str]()
    groups = acvp_groups("KAS-ECC-SSC-Sp800-56Ar3")
    for group in groups:
        curve = group["domainParameterGenerationMode"]
        for _ in group["tests"]:
            if group["scheme"] == "fullMqv":
                skipped["fullMqv: MQV not offered"] += 1
            elif not curve.startswith("P-"):
                skipped[f"{group['scheme']} on binary curve: not offered"] += 1
            else:  # pragma: no cover - not in the staged file; would need a KAT runner here
                pytest.fail(f"prime-curve group {group['tgId']} is not run: add it")
    assert dict(skipped) == {"fullMqv: MQV not offered": 10, "staticUnified on binary curve: not offered": 10}
    assert sum(skipped.values()) == sum(len(g["tests"]) for g in groups) == 20


def test_ecdh_with_nist_key_pairs() -> None:
    """P-224..P-521 ECDH: import NIST's (d, Q) pairs from the ECDSA SigVer file (cases whose key was
    not modified), check the provider derives Q from d, and that Z agrees in both directions."""
    by_curve: dict[str, list[tuple[int, bytes]]] = {}
    for group in acvp_groups("ECDSA-SigVer-FIPS186-5"):
        curve = "p" + group["curve"].split("-")[1]
        for test in group["tests"]:
            if test["reason"] != "modify key":
                point = b"\x04" + bytes.fromhex(test["qx"]) + bytes.fromhex(test["qy"])
                by_curve.setdefault(curve, []).append((int(test["d"], 16), point))
    assert sorted(by_curve) == ["p224", "p256", "p384", "p521"]
    for curve, pairs in by_curve.items():
        scheme = f"ecdh-{curve}"
        imported = [keys.agreement_key_from_private_value(scheme, d) for d, _ in pairs]
        assert [key.public_bytes("raw") for key in imported] == [point for _, point in pairs]
        for a, b in itertools.pairwise(imported):
            z = a.exchange(keys.load_agreement_public_key(b.public_bytes(), scheme))
            assert z == b.exchange(a.public_key())
            assert_approved("keys.agree")


def test_vectors_are_the_staged_copies() -> None:
    """The copies in tests/vectors/acvp are byte-identical to the ones SOURCES.md records."""
    from vectorlib import VECTORS

    expected = {
        "KAS-ECC-SSC-Sp800-56Ar3": "5ddfc3e68d8bed28887edc0682c20e18c4b37176762be7903a8fc739c98b8669",
        "KAS-FFC-SSC-Sp800-56Ar3": "08d69d526dcabec046bc6df38304c0648ee1dca575ea5986b69636d94756c06d",
        "ECDSA-SigVer-FIPS186-5": "45f9e9425e68b099d9c029e0e75ec04e9cc5943b60fa24cdb4d5af778f350b63",
        "ML-DSA-keyGen-FIPS204": "e67ee6540d40e11506c3c4e3b1f79fc1cefcd49820db99fc61f87cc8ba463baf",
    }
    for folder, digest in expected.items():
        data = (VECTORS / "acvp" / folder / "internalProjection.json").read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, folder
        assert json.loads(data)["testGroups"]


# ------------------------------------------------------------------------- the policy is the rulebook


@pytest.mark.parametrize("profile", ["fips-140-3", "cnsa-2.0", "nist-pqc-transition"])
def test_every_use_the_key_api_accepts_has_a_policy_rule(profile: str) -> None:
    """Every scheme, size and hash the key API accepts is decided by a rule of the profile (with its
    citation), never by the code: no use falls through to "not on the allowlist"."""
    from fipscrypto.policy import builtin

    policy = builtin(profile)
    rsa_sizes = (1024, 1536, 2048, 3072, 4096, 8192, 16384)
    uses: list[tuple[str, str, int | None]] = [
        *(
            ("signature", scheme, bits)
            for scheme in ("rsa-pss", "rsa-pkcs1v15")
            for bits in (512, *rsa_sizes)
        ),
        *(("signature", f"ecdsa-{curve}", None) for curve in keys._FIELD_PRIMES),
        *(("signature", scheme, None) for scheme in ("ed25519", "ed448", *backend.MLDSA)),
        *(("key-agreement", f"ecdh-{curve}", None) for curve in keys._FIELD_PRIMES),
        *(("key-agreement", "ffdh", group.bits) for group in keys.GROUPS.values()),
        *(("key-agreement", "rsa-oaep", bits) for bits in rsa_sizes),
        *((*keys._hash_item(name), None) for name in backend.HASHES),  # signature hashes
        *(("hash", name, None) for name in backend.HASHES),  # OAEP and MGF1 hashes
    ]
    missing = [use for use in uses if policy.match(*use) is None]
    assert missing == []
    for use in uses:
        rule = policy.match(*use)
        assert rule is not None
        assert rule.source.citation, use
    assert keys._hash_item("sha1") == ("signature", "sha1-signature")
