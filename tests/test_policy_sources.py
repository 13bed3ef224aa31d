"""The built-in profiles' content against the primary sources: each correction evaluated on the dates
it concerns (and what version 1 said, so each test tells the two apart), the bound on unverified rules,
the changelog that `policy diff` between versions gives, and docs/policy-profiles.md against the profiles.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import policy_docs
import pytest

from fipscrypto import policy
from fipscrypto.errors import PolicyError
from fipscrypto.policy import Direction, Policy, Status, builtin, builtin_names, differences, select
from fipscrypto.policy.compile import openssl_section
from fipscrypto.policy.vocabulary import categories

from support import cli

APPLY, PROCESS = Direction.APPLY, Direction.PROCESS
D = dt.date.fromisoformat

TLS_RSA = (
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_RSA_WITH_AES_128_CCM",
    "TLS_RSA_WITH_AES_256_CCM",
    "TLS_RSA_WITH_AES_128_CCM_8",
    "TLS_RSA_WITH_AES_256_CCM_8",
    "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_256_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
)


def _status(
    profile: Policy, category: str, name: str, day: str, direction: Direction = APPLY, bits: int | None = None
) -> Status:
    return profile.check(category, name, direction=direction, as_of=D(day), bits=bits).status


def _both(
    profile: Policy, category: str, name: str, day: str, bits: int | None = None
) -> tuple[Status, Status]:
    return (
        _status(profile, category, name, day, APPLY, bits),
        _status(profile, category, name, day, PROCESS, bits),
    )


ACC, DEP, LEG, DIS = Status.ACCEPTABLE, Status.DEPRECATED, Status.LEGACY_USE, Status.DISALLOWED


# ------------------------------------------------------------------------ TLS_RSA_* (fips-140-3 #11, #12)


@pytest.mark.parametrize("suite", TLS_RSA)
def test_tls_rsa_suites_end_with_pkcs1v15_key_transport(suite: str) -> None:
    """SP 800-131A Rev. 2 §6: RSA key transport with PKCS#1 v1.5 padding, which TLS_RSA key exchange
    is, is disallowed after 2023; version 1 kept the suites deprecated (the CBC_SHA ones to 2031)."""
    fips = builtin("fips-140-3")
    for day in ("2023-12-31", "2024-01-01", "2026-06-01"):
        transport = _status(fips, "key-agreement", "rsa-pkcs1v15-transport", day)
        assert _status(fips, "tls12-suite", suite, day) is transport, day
    assert _both(fips, "tls12-suite", suite, "2023-12-31") == (DEP, DEP)
    assert _both(fips, "tls12-suite", suite, "2024-01-01") == (DIS, DIS)
    assert _both(select("fips-140-3@1"), "tls12-suite", suite, "2024-01-01") == (DEP, DEP)
    citation = fips.check("tls12-suite", suite, as_of=D("2024-01-01")).source
    assert citation is not None
    assert citation.citation.id == "sp800-131a-r2"
    assert not citation.unverified
    assert citation.section.startswith("Section 6")


def _cipher_string(section: str) -> set[str]:
    (line,) = [line for line in section.splitlines() if line.startswith("CipherString = ")]
    return set(line.removeprefix("CipherString = ").split(":"))


@pytest.mark.parametrize("name", builtin_names())
@pytest.mark.parametrize("day", ["2023-12-31", "2024-01-01", "2031-01-01"])
def test_check_and_the_compiled_openssl_config_agree_on_every_tls12_suite(name: str, day: str) -> None:
    """What `check` allows (acceptable or deprecated) is exactly what the compiled section offers with
    deprecated suites on, and the TLS_RSA_* suites are in neither from 2024."""
    profile, vocab = builtin(name), categories()["tls12-suite"]
    offered = _cipher_string(openssl_section(profile, as_of=D(day), deprecated=True))
    allowed = {
        vocab.openssl_name(s) for s in vocab.names if profile.check("tls12-suite", s, as_of=D(day)).allowed
    }
    assert offered == allowed
    rsa = {vocab.openssl_name(s) for s in TLS_RSA}
    assert offered & rsa == (set() if day >= "2024-01-01" or name == "cnsa-2.0" else rsa)


def test_check_and_export_refuse_tls_rsa_from_the_command_line(tmp_path: Path) -> None:
    manifest = tmp_path / "rsa.toml"
    manifest.write_text('[tls]\nversions = ["tls1.2"]\nsuites = ["TLS_RSA_WITH_AES_128_GCM_SHA256"]\n')
    before = cli("check", str(manifest), "--policy", "fips-140-3", "--as-of", "2023-12-31")
    after = cli("check", str(manifest), "--policy", "fips-140-3", "--as-of", "2024-01-01", "--format", "json")
    assert (before.returncode, after.returncode) == (0, 1), before.stdout + after.stdout
    (finding,) = [f for f in json.loads(after.stdout)["findings"] if f["failing"]]
    assert finding["name"] == "TLS_RSA_WITH_AES_128_GCM_SHA256"
    assert finding["citation"]["url"] == "https://doi.org/10.6028/NIST.SP.800-131Ar2"
    exported = cli("policy", "export", "--policy", "fips-140-3", "--deprecated", "--format", "json")
    suites = json.loads(exported.stdout)["tls"]["tls12_cipher_suites"]
    assert "AES128-GCM-SHA256" not in suites
    assert "ECDHE-RSA-AES128-SHA256" in suites


# ---------------------------------------------------------------------------- fips-140-3: other fixes


def test_ff3_1_was_never_approved() -> None:
    """SP 800-38G Rev. 1 second public draft (2025-02-03) removes FF3-1; no final text approved it."""
    fips = builtin("fips-140-3")
    for day in ("2020-01-01", "2026-06-01"):
        assert _both(fips, "cipher", "ff3-1", day) == (DIS, DIS)
    assert _both(select("fips-140-3@1"), "cipher", "ff3-1", "2026-06-01") == (DEP, DEP)
    source = fips.check("cipher", "ff3-1").source
    assert source is not None
    assert source.citation.id == "sp800-38g-r1-2pd"
    assert source.citation.draft


def test_short_kmac_keys_have_no_legacy_use() -> None:
    """KMAC was approved after the 112-bit floor: below it, no verification either (HMAC keeps it)."""
    fips, old = builtin("fips-140-3"), select("fips-140-3@1")
    assert _both(fips, "mac", "kmac128", "2026-06-01", bits=64) == (DIS, DIS)
    assert _both(fips, "mac", "kmac256", "2026-06-01", bits=111) == (DIS, DIS)
    assert _both(fips, "mac", "kmac256", "2026-06-01", bits=112) == (ACC, ACC)
    assert _both(fips, "mac", "hmac-sha256", "2026-06-01", bits=64) == (DIS, LEG)
    assert _both(old, "mac", "kmac128", "2026-06-01", bits=64) == (DIS, LEG)
    for name in ("cnsa-2.0", "nist-pqc-transition"):
        assert _both(builtin(name), "mac", "kmac256", "2026-06-01", bits=64) == (DIS, DIS), name


def test_rules_that_are_fipscryptos_choice_say_so_and_what_they_rest_on() -> None:
    fips = builtin("fips-140-3")
    sha1 = fips.check("password-hash", "pbkdf2-hmac-sha1")
    assert (sha1.status, _status(fips, "password-hash", "pbkdf2-hmac-sha1", "2026-06-01", PROCESS)) == (
        DIS,
        LEG,
    )
    assert sha1.source is not None
    assert sha1.source.note is not None
    assert sha1.source.note.startswith("Policy choice, stricter than NIST")
    assert "SP 800-132" in sha1.source.note
    assert "2022-12-15" in sha1.source.note
    assert sha1.source.section.startswith("Section 9.3")
    for category, name in (("signature", "ecdsa-secp256k1"), ("tls-group", "secp224r1")):
        note = fips.check(category, name).source
        assert note is not None
        assert note.note is not None
        assert note.note.startswith("Policy choice, stricter")
    hybrid = builtin("fips-140-3").citations["sp800-227"]
    assert hybrid.published == D("2025-09-01")
    assert "September 2025" in hybrid.document


def test_gcm_and_ccm_key_wrap_cite_sp800_38f() -> None:
    for name in ("aes-gcm-wrap", "aes-ccm-wrap"):
        verdict = builtin("fips-140-3").check("key-wrap", name)
        assert verdict.status is ACC
        assert verdict.source is not None
        assert verdict.source.citation.id == "sp800-38f"
        old = select("fips-140-3@1").check("key-wrap", name).source
        assert old is not None
        assert old.citation.id == "sp800-131a-r2"


# ------------------------------------------------------------------------------------------- cnsa-2.0


@pytest.mark.parametrize(("name", "bits"), [("rsa-pss", 3072), ("rsa-pkcs1v15", 4096), ("ecdsa-p384", None)])
def test_cnsa_signatures_end_in_2030(name: str, bits: int | None) -> None:
    """CSA timeline (PDF p. 5-6): software/firmware signing and networking equipment use CNSA 2.0
    exclusively by 2030; a signature item serves those uses too, so 2030, not 2033 (version 1)."""
    cnsa, old = builtin("cnsa-2.0"), select("cnsa-2.0@1")
    assert _both(cnsa, "signature", name, "2029-12-31", bits=bits) == (DEP, DEP)
    assert _both(cnsa, "signature", name, "2030-01-01", bits=bits) == (DIS, LEG)
    assert _both(old, "signature", name, "2030-01-01", bits=bits) == (DEP, DEP)
    # TLS signature schemes (web servers) and key agreement keep 2033; IKE groups (VPNs) 2030.
    assert _status(cnsa, "tls-sigalg", "ecdsa_secp384r1_sha384", "2032-12-31") is DEP
    assert _status(cnsa, "tls-sigalg", "ecdsa_secp384r1_sha384", "2033-01-01") is DIS
    assert _status(cnsa, "key-agreement", "ecdh-p384", "2032-12-31") is DEP
    assert _status(cnsa, "ike-dh-group", "20", "2029-12-31") is DEP
    assert _status(cnsa, "ike-dh-group", "20", "2030-01-01") is DIS


def _note(profile: Policy, category: str, name: str, day: str) -> str:
    source = profile.check(category, name, as_of=D(day)).source
    assert source is not None
    return source.note or ""


@pytest.mark.parametrize(
    ("category", "name"),
    [("key-agreement", "ecdh-p384"), ("tls-group", "secp384r1"), ("tls-sigalg", "rsa_pss_rsae_sha384")],
)
def test_cnsa_carries_the_cnssp_15_dates_as_notes(category: str, name: str) -> None:
    """FAQ v2.1 (PDF p. 11-12): new acquisitions compliant from 2027-01-01, CNSA 2.0 mandated from
    2031-12-31; the status stays (the vocabulary has no use category for acquisitions)."""
    cnsa = builtin("cnsa-2.0")
    days = ("2026-12-31", "2027-01-01", "2031-12-30", "2031-12-31")
    assert {_status(cnsa, category, name, day) for day in days} == {DEP}
    assert "CNSSP 15" not in _note(cnsa, category, name, "2026-12-31")
    assert "2027-01-01" in _note(cnsa, category, name, "2027-01-01")
    assert "mandated from 2031-12-31" in _note(cnsa, category, name, "2031-12-31")
    assert "CNSSP 15" not in _note(select("cnsa-2.0@1"), category, name, "2027-01-01")


def test_policy_show_prints_the_note_in_force() -> None:
    shown = cli("policy", "show", "cnsa-2.0", "--as-of", "2027-01-01").stdout
    assert "# cnsa-2.0 (version 2):" in shown
    assert "note: CNSSP 15: new NSS acquisitions must be CNSA 2.0 compliant from 2027-01-01" in shown
    assert "CNSSP 15" not in cli("policy", "show", "cnsa-2.0", "--as-of", "2026-12-31").stdout


def test_cnsa_cites_rfc_9151_by_its_sections() -> None:
    cnsa = builtin("cnsa-2.0")
    rsa = cnsa.check("signature", "rsa-pss", bits=2048).source
    curve = cnsa.check("key-agreement", "ecdh-p256").source
    assert rsa is not None
    assert rsa.section.startswith("Section 5.2")
    assert not rsa.unverified
    assert curve is not None
    assert curve.section.startswith("Section 5.1")
    assert not curve.unverified
    assert "3072- and 4096-bit" in (rsa.note or "")


# -------------------------------------------------------------------------------- nist-pqc-transition


@pytest.mark.parametrize(
    ("category", "name", "bits"),
    [("signature", "rsa-pss", 2048), ("signature", "ecdsa-p224", None), ("key-agreement", "rsa-oaep", 2048)],
)
def test_ir8547_deprecates_then_disallows_applying_protection_only(
    category: str, name: str, bits: int | None
) -> None:
    """IR 8547 ipd: "disallowed" means no longer for applying protection; 112-bit deprecated after 2030.
    Verifying old signatures and unwrapping old keys stay acceptable to 2035, legacy use after."""
    pqc, old = builtin("nist-pqc-transition"), select("nist-pqc-transition@1")
    assert _both(pqc, category, name, "2030-12-31", bits=bits) == (ACC, ACC)
    assert _both(pqc, category, name, "2031-01-01", bits=bits) == (DEP, ACC)
    assert _both(pqc, category, name, "2036-01-01", bits=bits) == (DIS, LEG)
    assert pqc.check(category, name, direction=PROCESS, as_of=D("2036-01-01"), bits=bits).allowed
    assert _both(old, category, name, "2036-01-01", bits=bits) == (DIS, DIS)
    source = pqc.check(category, name, bits=bits).source
    assert source is not None
    assert source.section.startswith("Section 4.1.")
    assert not source.unverified


def test_ir8547_128_bit_and_protocol_items() -> None:
    pqc = builtin("nist-pqc-transition")
    assert _both(pqc, "signature", "ed25519", "2035-12-31") == (ACC, ACC)
    assert _both(pqc, "signature", "ed25519", "2036-01-01") == (DIS, LEG)
    assert _both(pqc, "key-agreement", "ecdh-p384", "2036-01-01") == (DIS, LEG)
    # A live protocol parameter protects nothing from before: both directions.
    assert _both(pqc, "tls-group", "secp256r1", "2036-01-01") == (DIS, DIS)
    assert _both(pqc, "tls-group", "SecP384r1MLKEM1024", "2036-01-01") == (ACC, ACC)
    for suite in TLS_RSA:  # fips-140-3's rule, no longer restated as deprecated
        assert _both(pqc, "tls12-suite", suite, "2026-06-01") == (DIS, DIS)


def test_rev3_draft_ecb_on_publication_not_2031() -> None:
    """SP 800-131A Rev. 3 ipd §2.2: ECB encryption disallowed on publication (modelled as now), no
    2030 date; decryption legacy use. Version 1 used a 2031-01-01 placeholder."""
    pqc, old = builtin("nist-pqc-transition"), select("nist-pqc-transition@1")
    for name in ("aes-128-ecb", "aes-256-ecb"):
        for day in ("2026-06-01", "2040-01-01"):
            assert _both(pqc, "cipher", name, day) == (DIS, LEG)
        assert _both(old, "cipher", name, "2026-06-01") == (ACC, ACC)
    source = pqc.check("cipher", "aes-128-ecb").source
    assert source is not None
    assert source.section.startswith("Section 2.2")
    assert source.citation.draft


def test_rev3_draft_proposals_the_profile_lacked() -> None:
    pqc, old = builtin("nist-pqc-transition"), select("nist-pqc-transition@1")
    # SHA-1 and the 224-bit hashes: deprecated on publication, disallowed to apply after 2030.
    for name in ("sha1", "sha224", "sha3-224"):
        assert _both(pqc, "hash", name, "2026-06-01") == (DEP, ACC), name
        assert _both(pqc, "hash", name, "2031-01-01") == (DIS, LEG), name
    assert _both(old, "hash", "sha224", "2026-06-01") == (ACC, ACC)
    assert "DRBGs, KDFs and PBKDF2" in _note(pqc, "hash", "sha224", "2026-06-01")
    # HMAC/KMAC keys of 112-127 bits: MAC generation disallowed after 2030.
    for name in ("hmac-sha256", "kmac128"):
        assert _both(pqc, "mac", name, "2030-12-31", bits=120) == (ACC, ACC)
        assert _both(pqc, "mac", name, "2031-01-01", bits=127) == (DIS, LEG)
        assert _both(pqc, "mac", name, "2031-01-01", bits=128) == (ACC, ACC)
        assert _both(old, "mac", name, "2031-01-01", bits=120) == (ACC, ACC)


def test_the_rev3_draft_is_cited_by_section_not_table() -> None:
    """Its list of tables and its captions disagree (the list skips "Table 5")."""
    for name in builtin_names():
        for rule in builtin(name).rules:
            for source in (rule.source, *(change.source for change in rule.changes)):
                if source.citation.id == "sp800-131a-r3-ipd":
                    assert "Table" not in source.section, source.origin


# ----------------------------------------------------------------------------------------- unverified

# The unverified rules per profile: lower a bound when a rule is confirmed; never raise one.
UNVERIFIED_AT_MOST = {
    "cnsa-2.0": 2,
    "fips-140-3": 9,
    "fips-140-3-hardened": 2,
    "fips-140-3-public": 0,
    "nist-pqc-transition": 1,
}


def test_unverified_rules_can_only_become_fewer() -> None:
    assert set(UNVERIFIED_AT_MOST) == set(builtin_names())
    for name, bound in UNVERIFIED_AT_MOST.items():
        rules = [rule for rule in builtin(name).rules if rule.source.unverified]
        assert len(rules) <= bound, (name, [rule.source.origin for rule in rules])
    # Version 1, before the check against the primary sources.
    names = ("fips-140-3", "cnsa-2.0", "nist-pqc-transition")
    assert [sum(rule.source.unverified for rule in select(f"{n}@1").rules) for n in names] == [41, 12, 17]


@pytest.mark.parametrize("name", builtin_names())
def test_each_unverified_rule_says_why_and_no_confirmed_rule_says_unconfirmed(name: str) -> None:
    for rule in builtin(name).rules:
        text = f"{rule.source.note or ''} {rule.justification or ''}"
        if rule.source.unverified:
            assert "Unverified" in text, rule.source.origin
        else:
            for phrase in ("not confirmed", "inferred", "Unverified", "secondary"):
                assert phrase not in text, (rule.source.origin, phrase)


# --------------------------------------------------------------------------- versions and the changelog


def test_profiles_that_changed_have_a_new_version_and_keep_the_old_one() -> None:
    assert {name: builtin(name).version for name in builtin_names()} == {
        "cnsa-2.0": 2,
        "fips-140-3": 2,
        "fips-140-3-hardened": 1,
        "fips-140-3-public": 1,
        "nist-pqc-transition": 2,
    }
    old = select("cnsa-2.0@1")
    assert (old.name, old.version, old.base is not None and old.base.version) == ("cnsa-2.0", 1, 1)
    with pytest.raises(PolicyError, match="cannot read"):
        select("fips-140-3@9")


def test_version_must_be_a_positive_integer() -> None:
    text = '[policy]\nname = "p"\ntitle = "P"\nstatus = "final"\nversion = {}\n'
    assert policy.loads(text.format(3)).version == 3
    assert policy.loads(text.replace("version = {}\n", "")).version == 1
    for bad in ("0", '"2"', "true", "1.5"):
        with pytest.raises(PolicyError) as caught:
            policy.loads(text.format(bad))
        assert (caught.value.line, caught.value.key) == (5, "version")


Change = tuple[str, str, str, str, str | None, str, str]  # kind, category, name, direction, since, old, new


def _changes(old: str, new: str) -> set[Change]:
    return {
        (
            d.kind,
            d.category,
            d.name,
            d.direction.value,
            d.since.isoformat() if d.since else None,
            d.old,
            d.new,
        )
        for d in differences(select(old), select(new))
    }


def test_diff_from_version_1_is_the_fips_140_3_changelog() -> None:
    expected: set[Change] = {
        ("tightened", "cipher", "ff3-1", direction, None, "deprecated", "disallowed")
        for direction in ("apply", "process")
    }
    expected |= {
        ("tightened", "mac", name, "process", None, "legacy-use", "disallowed")
        for name in ("kmac128", "kmac256")
    }
    expected |= {
        ("tightened", "tls12-suite", suite, direction, "2024-01-01", "deprecated", "disallowed")
        for suite in TLS_RSA
        for direction in ("apply", "process")
    }
    assert _changes("fips-140-3@1", "fips-140-3") == expected
    shown = cli("policy", "diff", "fips-140-3@1", "fips-140-3").stdout
    assert "TLS_RSA_WITH_AES_128_CBC_SHA apply: deprecated -> disallowed from 2024-01-01" in shown
    # Each difference reads with its reason: the new citation and note in force from its date, once.
    assert (
        shown.count("note: PKCS#1 v1.5 key transport disallowed after 2023, as rsa-pkcs1v15-transport") == 1
    )
    assert "NIST SP 800-131A Rev. 2, Section 6, Table 5 (RSA key transport with PKCS#1 v1.5" in shown
    assert "note: Never approved: FF3-1 appeared only in the SP 800-38G Rev. 1 initial public draft" in shown
    assert shown.rstrip().endswith("24 differences: 0 loosened, 24 tightened")


def test_diff_from_version_1_is_the_cnsa_changelog() -> None:
    found = _changes("cnsa-2.0@1", "cnsa-2.0")
    signatures = {
        ("tightened", "signature", name, direction, "2030-01-01", "deprecated", new)
        for name in ("rsa-pss", "rsa-pkcs1v15", "ecdsa-p384")
        for direction, new in (("apply", "disallowed"), ("process", "legacy-use"))
    }
    assert {f[:2] + f[3:] for f in found if f[1] == "signature"} == {s[:2] + s[3:] for s in signatures}
    assert {f for f in found if f[1] != "signature"} == {
        ("tightened", "cipher", "ff3-1", "apply", None, "deprecated", "disallowed"),
        ("tightened", "cipher", "ff3-1", "process", None, "deprecated", "disallowed"),
        ("tightened", "mac", "kmac128", "process", None, "legacy-use", "disallowed"),
        ("tightened", "mac", "kmac256", "process", None, "legacy-use", "disallowed"),
    }


def test_diff_from_version_1_is_the_pqc_changelog() -> None:
    found = _changes("nist-pqc-transition@1", "nist-pqc-transition")
    loosened = {(f[1], f[2], f[3], f[4], f[5], f[6]) for f in found if f[0] == "loosened"}
    # Only the IR 8547 direction: processing acceptable to 2035 and legacy use after, never applying.
    assert loosened
    assert {f[2] for f in loosened} == {"process"}
    assert {f[0] for f in loosened} == {"signature", "key-agreement"}
    assert ("key-agreement", "rsa-oaep", "process", "2036-01-01", "disallowed", "legacy-use") in loosened
    assert ("signature", "rsa-pss", "process", "2031-01-01", "deprecated", "acceptable") in loosened
    tightened = {(f[1], f[2], f[3], f[4]) for f in found if f[0] == "tightened"}
    assert ("cipher", "aes-128-ecb", "apply", None) in tightened
    assert ("hash", "sha224", "apply", None) in tightened
    assert ("tls12-suite", "TLS_RSA_WITH_AES_128_GCM_SHA256", "apply", "2024-01-01") in tightened


# ------------------------------------------------------------------------------ docs/policy-profiles.md


def test_the_profiles_page_is_generated_from_the_profiles() -> None:
    """Regenerate with `python tests/policy_docs.py` after changing a profile."""
    text = policy_docs.PAGE.read_text(encoding="utf-8")
    assert policy_docs.render(text) == text
    keys = set(policy_docs.keys(text))
    for name in builtin_names():
        profile = builtin(name)
        if any(rule.source.unverified for rule in profile.rules):
            assert f"{name}:unverified" in keys
        if any(rule.changes for rule in profile.rules):
            assert f"{name}:transitions" in keys
    assert "overview" in keys


def test_the_profiles_page_has_a_changelog_per_version() -> None:
    text = policy_docs.PAGE.read_text(encoding="utf-8")
    sections = {part.split(" ", 1)[0]: part for part in text.split("\n## ")[1:]}
    for name in builtin_names():
        version = builtin(name).version
        for number in range(2, version + 1):
            assert f"### What changed in version {number} and why" in sections[name], name
            assert f"fipscheck policy diff {name}@{number - 1} {name}" in sections[name], name


def test_the_generated_page_fails_when_a_profile_drifts() -> None:
    text = policy_docs.PAGE.read_text(encoding="utf-8")
    stale = text.replace("| `fips-140-3` | 2 |", "| `fips-140-3` | 1 |")
    assert stale != text
    assert policy_docs.render(stale) == text
