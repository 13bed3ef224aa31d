"""The built-in profiles, `fipscheck check` end to end, and enforcement in strict and audit mode."""

from __future__ import annotations

import datetime as dt
import functools
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fipscrypto import policy
from fipscrypto.errors import PolicyError
from fipscrypto.policy import Direction, Status, builtin, builtin_names, differences
from fipscrypto.policy.manifest import evaluate, read_manifest

from support import clean_env, cli, fipscheck, run_json

EXAMPLES = Path(__file__).parent.parent / "docs" / "examples"
LEGACY = EXAMPLES / "sip-gateway-legacy.toml"
CLEAN = EXAMPLES / "sip-gateway.toml"


def test_the_built_in_profiles() -> None:
    assert builtin_names() == (
        "cnsa-2.0",
        "fips-140-3",
        "fips-140-3-hardened",
        "fips-140-3-public",
        "nist-pqc-transition",
    )
    assert [p.name for p in builtin("cnsa-2.0").layers()] == ["cnsa-2.0", "fips-140-3"]
    assert [p.name for p in builtin("fips-140-3-hardened").layers()] == ["fips-140-3-hardened", "fips-140-3"]
    assert builtin("fips-140-3-hardened").draft is False
    assert policy.DEFAULT == "fips-140-3-hardened"
    assert builtin("nist-pqc-transition").draft is True
    assert builtin("fips-140-3").draft is False


@pytest.mark.parametrize(
    "name", ["cnsa-2.0", "fips-140-3", "fips-140-3-hardened", "fips-140-3-public", "nist-pqc-transition"]
)
def test_every_rule_and_change_has_a_citation(name: str) -> None:
    for rule in builtin(name).rules:
        for source in (rule.source, *(change.source for change in rule.changes)):
            assert source.citation.url.startswith("https://"), source.origin
            assert source.section.strip(), source.origin
            assert source.citation.document.strip(), source.origin


def test_draft_profile_cites_drafts() -> None:
    pqc = builtin("nist-pqc-transition")
    drafts = {
        s.citation.id
        for r in pqc.rules
        for s in (r.source, *(c.source for c in r.changes))
        if s.citation.draft
    }
    assert drafts, "the IR 8547 / SP 800-131A r3 dates come from drafts and must be labelled so"


@pytest.mark.parametrize("name", ["cnsa-2.0", "fips-140-3-hardened", "nist-pqc-transition"])
def test_profiles_never_loosen_fips_140_3(name: str) -> None:
    loosened = [
        d.describe() for d in differences(builtin("fips-140-3"), builtin(name)) if d.kind == "loosened"
    ]
    assert loosened == []


def test_the_hardened_profile_holds_fipscryptos_own_tls_rules_and_says_why() -> None:
    """fipscrypto's choices beyond NIST are the default profile's, each with its reason; fips-140-3
    itself stays NIST as written (both accepted there)."""
    fips, hardened = builtin("fips-140-3"), builtin("fips-140-3-hardened")
    found = differences(fips, hardened)
    assert {(d.kind, d.category, d.name) for d in found} == {
        ("tightened", "tls-group", "ffdhe2048"),
        ("tightened", "tls-group", "X25519MLKEM768"),
    }
    assert all(d.rule is not None and d.rule.justification for d in found)
    for group in ("ffdhe2048", "X25519MLKEM768"):
        assert fips.check("tls-group", group).status is Status.ACCEPTABLE
        assert hardened.check("tls-group", group).status is Status.DISALLOWED
    for group in ("ffdhe3072", "SecP256r1MLKEM768", "SecP384r1MLKEM1024", "MLKEM768", "secp256r1"):
        assert hardened.check("tls-group", group).status is Status.ACCEPTABLE
    # The TLS floor is fips-140-3's own rule (SP 800-52r2 §3.1), not the TLS layer's.
    for version in ("tls1.0", "tls1.1"):
        assert hardened.check("tls-version", version).status is Status.DISALLOWED


def test_public_facing_profile_only_loosens_tls_10_11_with_justification() -> None:
    found = [
        d for d in differences(builtin("fips-140-3"), builtin("fips-140-3-public")) if d.kind == "loosened"
    ]
    assert {(d.category, d.name) for d in found} == {("tls-version", "tls1.0"), ("tls-version", "tls1.1")}
    assert all(d.rule is not None and d.rule.justification for d in found)
    gate = cli("policy", "gate", "--baseline", "fips-140-3", "fips-140-3-public")
    assert gate.returncode == 0, gate.stdout + gate.stderr


def test_fips_140_3_around_the_2030_transition() -> None:
    fips = builtin("fips-140-3")
    day_before, day_after = dt.date(2030, 12, 31), dt.date(2031, 1, 1)
    assert fips.check("hash", "sha1", as_of=day_before).allowed is True
    after = fips.check("hash", "sha1", as_of=day_after)
    assert (after.status, after.allowed) == (Status.DISALLOWED, False)
    old = fips.check("hash", "sha1", direction=Direction.PROCESS, as_of=day_after)
    assert (old.status, old.allowed) == (Status.LEGACY_USE, True)
    suite = "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"
    assert fips.check("tls12-suite", suite, as_of=day_before).allowed is True
    assert fips.check("tls12-suite", suite, as_of=day_after).allowed is False


def test_fips_140_3_direction_split_for_3des() -> None:
    fips = builtin("fips-140-3")
    assert fips.check("cipher", "3des-cbc").status is Status.DISALLOWED
    assert fips.check("cipher", "3des-cbc", direction=Direction.PROCESS).status is Status.LEGACY_USE


def test_cnsa_is_stricter_where_it_should_be() -> None:
    cnsa = builtin("cnsa-2.0")
    assert cnsa.check("cipher", "aes-128-gcm").allowed is False
    assert cnsa.check("cipher", "aes-256-gcm").allowed is True
    assert cnsa.check("key-agreement", "ml-kem-768").allowed is False
    assert cnsa.check("key-agreement", "ml-kem-1024").allowed is True
    assert cnsa.check("hash", "sha256").allowed is False
    assert cnsa.check("hash", "sha384").allowed is True


def test_check_done_when_legacy_manifest_fails_with_three_cited_items() -> None:
    done = cli("check", str(LEGACY), "--format", "json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    failing = [f for f in report["findings"] if f["failing"]]
    assert sorted((f["category"], f["name"], f["bits"]) for f in failing) == [
        ("signature", "rsa-pkcs1v15", 1024),
        ("tls-version", "tls1.0", None),
        ("tls13-suite", "TLS_CHACHA20_POLY1305_SHA256", None),
    ]
    for finding in failing:
        assert finding["status"] == "disallowed"
        assert finding["citation"]["url"].startswith("https://doi.org/10.6028/NIST.SP.800-")
        assert finding["citation"]["section"]


def test_check_done_when_clean_manifest_passes() -> None:
    done = cli("check", str(CLEAN))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 disallowed" in done.stdout


def test_check_sarif_and_junit_from_the_cli(tmp_path: Path) -> None:
    sarif_path = tmp_path / "out.sarif"
    assert cli("check", str(LEGACY), "--format", "sarif", "-o", str(sarif_path)).returncode == 1
    sarif = json.loads(sarif_path.read_text())
    results = sarif["runs"][0]["results"]
    errors = [r for r in results if r["level"] == "error"]
    assert sarif["version"] == "2.1.0"
    assert len(errors) == 3
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    for result in errors:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        assert rule["helpUri"].startswith("https://")
    junit = ET.fromstring(cli("check", str(LEGACY), "--format", "junit").stdout)  # noqa: S314
    suite = junit.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("9", "3")


def test_check_exit_3_when_nothing_can_be_evaluated(tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text('[service]\nname = "nothing"\n')
    assert cli("check", str(empty)).returncode == 3
    assert cli("check", str(tmp_path / "missing.toml")).returncode == 3
    bad_policy = cli("check", str(CLEAN), "--policy", str(tmp_path / "missing-policy.toml"))
    assert bad_policy.returncode == 3
    assert "cannot read" in bad_policy.stderr


DEEP = "x = " + "[" * 100_000 + "]" * 100_000 + "\n"


def _one_line_error(done: subprocess.CompletedProcess[str], code: int, message: str) -> None:
    """A typed refusal: the exit code, one line on stderr holding the message, no traceback."""
    assert done.returncode == code, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("error: ")
    assert message in done.stderr


def test_check_refuses_deep_nesting_with_a_typed_error(tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text(DEEP)
    _one_line_error(cli("check", str(deep)), 3, f"{deep}: arrays or tables nested too deeply")
    _one_line_error(cli("check", str(CLEAN), "--policy", str(deep)), 3, "nested too deeply")
    _one_line_error(cli("policy", "validate", str(deep)), 3, "nested too deeply")
    inline = tmp_path / "inline.toml"
    inline.write_text("[service]\nname = " + "{ a = " * 50_000 + "1" + " }" * 50_000 + "\n")
    _one_line_error(cli("check", str(inline)), 3, "nested too deeply")


def test_check_reads_at_most_the_size_limit(tmp_path: Path) -> None:
    _one_line_error(cli("check", "/dev/zero"), 3, "/dev/zero: larger than 4194304 bytes")
    _one_line_error(cli("check", str(CLEAN), "--policy", "/dev/zero"), 3, "larger than 4194304 bytes")
    _one_line_error(cli("policy", "validate", "/dev/zero"), 3, "larger than 4194304 bytes")
    # Valid TOML (one comment) one byte over the limit; at the limit it is read, and has no items.
    big = tmp_path / "big.toml"
    big.write_text("#" * (4 * 1024 * 1024) + "\n")
    _one_line_error(cli("check", str(big)), 3, f"{big}: larger than 4194304 bytes")
    big.write_text("#" * (4 * 1024 * 1024 - 1) + "\n")
    _one_line_error(cli("check", str(big)), 3, "no items to evaluate")


def test_check_report_into_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "missing" / "report.sarif"
    done = cli("check", str(LEGACY), "--format", "sarif", "-o", str(out))
    _one_line_error(done, 2, f"cannot write the report to {out}: No such file or directory")


PASSWORDS = '[[passwords]]\nscheme = "pbkdf2-hmac-sha512"\niterations = 600000\nsalt_bits = 128\n'
KEY = '[[keys]]\nalgorithm = "ecdsa-p256"\nbits = 256\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            PASSWORDS.replace("600000", '"600000"'),
            "passwords[0].iterations: must be an integer from 1 to 4294967295",
        ),
        (PASSWORDS.replace("600000", "true"), "passwords[0].iterations: must be an integer"),
        (PASSWORDS.replace("600000", "0"), "passwords[0].iterations: must be an integer from 1"),
        (PASSWORDS.replace("128", "-1"), "passwords[0].salt_bits: must be an integer from 0 to 65536"),
        (PASSWORDS.replace("iterations", "iteration"), "passwords[0].iteration: unknown key"),
        (
            KEY.replace("256\n", "100000000000000000000000000\n"),
            "keys[0].bits: must be an integer from 1 to 65536",
        ),
        (KEY.replace("256\n", "256.0\n"), "keys[0].bits: must be an integer"),
        (KEY.replace("256\n", "false\n"), "keys[0].bits: must be an integer"),
        (KEY.replace('"ecdsa-p256"', '["ecdsa-p256"]'), "keys[0].algorithm: must be a string"),
        (
            '[primitives]\nmacs = ["hmac-sha256:65537"]\n',
            "primitives.macs[0]: must be an integer from 1 to 65536",
        ),
        ('[primitives]\nmacs = ["hmac-sha256:\u00b2"]\n', "unknown mac name 'hmac-sha256:\u00b2'"),
        ('[primitives]\nmacs = ["hmac-sha256:' + "9" * 5000 + '"]\n', "unknown mac name"),
        ('[[item]]\ncategory = ["hash"]\nname = "sha256"\n', "item[0].category: must be a string"),
        (
            '[[item]]\ncategory = "hash"\nname = "sha256"\ndirection = 1\n',
            "item[0].direction: must be a string",
        ),
        ('[[item]]\ncategory = "hash"\nname = "sha256"\nbits = ' + "9" * 5000 + "\n", "TOML value"),
        ('[service]\nname = 7\n[primitives]\nhashes = ["sha256"]\n', "service.name: must be a string"),
        ('[service]\nowner = "x"\n', "service.owner: unknown key (known: name)"),
    ],
)
def test_check_refuses_wrong_types_and_absurd_numbers(tmp_path: Path, text: str, message: str) -> None:
    manifest = tmp_path / "m.toml"
    manifest.write_text(text, encoding="utf-8")
    _one_line_error(cli("check", str(manifest)), 3, message)


@pytest.mark.parametrize(
    ("rule", "key", "message"),
    [
        ("min_bits = 100000000000000000000000000", "min_bits", "must be an integer from 1 to 65536"),
        ("min_bits = true", "min_bits", "must be an integer from 1 to 65536"),
        ("max_bits = 0", "max_bits", "must be an integer from 1 to 65536"),
        ('constraints = { iterations = "600000" }', "constraints.iterations", "must be an integer from 1"),
        (
            "constraints = { salt_bits = 70000 }",
            "constraints.salt_bits",
            "must be an integer from 0 to 65536",
        ),
        ("constraints = { rounds = 1 }", "constraints.rounds", "unknown constraint"),
    ],
)
def test_policy_refuses_wrong_types_and_absurd_numbers(rule: str, key: str, message: str) -> None:
    text = (
        '[policy]\nname = "p"\ntitle = "P"\nstatus = "final"\n'
        '[citations.c]\ndocument = "D"\nurl = "https://example.org"\n'
        '[[rule]]\ncategory = "signature"\nnames = ["rsa-pss"]\napply = "acceptable"\n'
        f'process = "acceptable"\ncite = "c"\nsection = "1"\n{rule}\n'
    )
    with pytest.raises(PolicyError) as caught:
        policy.loads(text, "<p>")
    assert (caught.value.line, caught.value.key) == (15, key)
    assert message in caught.value.message


def _work(task: Callable[[], object]) -> int:
    """Python lines executed and C functions called by ``task``: a measure of work free of timing."""
    count = 0

    def trace(_frame: FrameType, event: str, _arg: Any) -> Any:
        nonlocal count
        count += event == "line"
        return trace

    def profile(_frame: FrameType, event: str, _arg: object) -> None:
        nonlocal count
        count += event == "c_call"

    sys.settrace(trace)
    sys.setprofile(profile)
    try:
        task()
    finally:
        sys.setprofile(None)
        sys.settrace(None)
    return count


def test_check_work_grows_linearly_with_the_manifest(tmp_path: Path) -> None:
    # Distinct entries (NAME:BITS), one per line, in one list and in tables: the worst case for
    # locating each entry's line. Four times the items must cost about four times the work.
    fips = builtin("fips-140-3")

    def manifest(items: int) -> Path:
        path = tmp_path / f"m{items}.toml"
        macs = "".join(f'  "hmac-sha256:{bits}",\n' for bits in range(128, 128 + items))
        keys = "".join(f'[[keys]]\nalgorithm = "rsa-pss"\nbits = {2048 + n}\n' for n in range(items))
        path.write_text(f"[primitives]\nmacs = [\n{macs}]\n{keys}")
        return path

    small, large = manifest(400), manifest(1600)
    read_manifest(small)  # warm: imports and caches are not part of the measure
    ratio = _work(lambda: evaluate(large, fips)) / _work(lambda: evaluate(small, fips))
    assert 3.5 < ratio < 4.5, ratio


@pytest.mark.parametrize("shape", ["sized rules", "dated changes"])
def test_policy_loading_work_grows_linearly(shape: str) -> None:
    # An extending policy is compared with its base on load (every size band, every date): many
    # rules or many changes must cost in proportion.
    head = (
        '[policy]\nname = "p"\ntitle = "P"\nstatus = "final"\nextends = "fips-140-3"\n'
        '[citations.c]\ndocument = "D"\nurl = "https://example.org"\n'
    )
    rule = (
        '[[rule]]\ncategory = "signature"\nnames = ["rsa-pss"]\napply = "disallowed"\n'
        'process = "disallowed"\ncite = "c"\nsection = "1"\n'
    )

    def text(count: int) -> str:
        if shape == "sized rules":
            return head + "".join(f"{rule}min_bits = {n}\nmax_bits = {n}\n" for n in range(1, count + 1))
        change = '[[rule.change]]\nfrom = {}\napply = "disallowed"\n'
        days = (dt.date(2000, 1, 1) + dt.timedelta(days=n) for n in range(count))
        return head + rule + "".join(change.format(day.isoformat()) for day in days)

    policy.loads(text(10), "<warm>")
    texts = [text(count) for count in (0, 300, 1200)]
    base, small, large = (_work(functools.partial(policy.loads, source)) for source in texts)
    ratio = (large - base) / (small - base)  # without the fixed cost of comparing with the base
    assert 3.5 < ratio < 4.5, ratio


def test_check_fail_on_deprecated(tmp_path: Path) -> None:
    manifest = tmp_path / "m.toml"
    manifest.write_text('[tls]\nversions = ["tls1.2"]\nsuites = ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"]\n')
    assert cli("check", str(manifest)).returncode == 0
    assert cli("check", str(manifest), "--fail-on", "deprecated").returncode == 1


def test_check_as_of_shows_what_breaks_after_2030(tmp_path: Path) -> None:
    manifest = tmp_path / "m.toml"
    manifest.write_text('[primitives]\nhashes = ["sha1"]\n')
    assert cli("check", str(manifest), "--as-of", "2030-12-31").returncode == 0
    assert cli("check", str(manifest), "--as-of", "2031-01-01").returncode == 1


def _read_or_policy_error(text: str) -> None:
    """Read a manifest from text: it must succeed or raise PolicyError, never anything else."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False, encoding="utf-8") as f:
        f.write(text)
    try:
        read_manifest(f.name)
    except PolicyError:
        pass
    finally:
        Path(f.name).unlink()


@settings(deadline=None, max_examples=60)
@given(st.text())
def test_manifest_reader_raises_only_policy_errors(text: str) -> None:
    _read_or_policy_error(text)


def _toml(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


@settings(deadline=None, max_examples=60)
@given(
    st.dictionaries(
        st.sampled_from(["service", "tls", "srtp", "ipsec", "primitives", "keys", "passwords", "item", "x"]),
        st.one_of(
            st.integers(), st.text(), st.lists(st.integers()), st.dictionaries(st.text(), st.integers())
        ),
    )
)
def test_manifest_structure_errors_are_typed(data: dict[str, object]) -> None:
    # Well-formed TOML with sections of the wrong shape (tls = 1, keys = {...}, ...).
    _read_or_policy_error("\n".join(f"{key} = {_toml(value)}" for key, value in data.items()))


def test_invalid_policy_stops_activation(state_paths: object, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[policy]\nname = "bad"\ntitle = "x"\nstatus = "final"\nextra = 1\n')
    result = run_json(
        """
import json, sys, fipscrypto
try:
    fipscrypto.activate()
except fipscrypto.FipsError as exc:
    caught = [type(exc).__name__, str(exc)]
print(json.dumps({"caught": caught, "state": fipscrypto.info().state.value,
                  "crypto": "cryptography.hazmat.bindings._rust" in sys.modules}))
""",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),  # type: ignore[attr-defined]
        FIPSCRYPTO_POLICY=str(bad),
    )
    assert result["caught"][0] == "PolicyError"
    assert f"{bad}:5: extra: unknown key in [policy]" in result["caught"][1]
    assert (result["state"], result["crypto"]) == ("power-on", False)  # never a weaker fallback
    status = fipscheck(  # a fresh process: this one activated with a valid policy
        "status",
        "--json",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),  # type: ignore[attr-defined]
        FIPSCRYPTO_POLICY=str(bad),
    )
    assert status.returncode == 3
    assert "unknown key" in json.loads(status.stdout)["policy"]["error"]


def test_exported_section_is_obeyed_by_another_openssl_process(tmp_path: Path) -> None:
    # The way nginx or any OpenSSL-based service takes the policy: its own config plus the export.
    # (Without the section, the same command lists ChaCha20 and CBC-SHA1 suites.)
    section = cli("policy", "export").stdout
    conf = tmp_path / "service.cnf"
    conf.write_text("openssl_conf = init\n\n[init]\nssl_conf = ssl_module\n\n" + section)
    env = clean_env(OPENSSL_CONF=str(conf))
    listed = subprocess.run(["openssl", "ciphers", "-s"], capture_output=True, text=True, env=env, check=True)
    suites = listed.stdout.strip().split(":")
    exported = json.loads(cli("policy", "export", "--format", "json").stdout)["tls"]
    policy_order = exported["tls13_cipher_suites"] + exported["tls12_cipher_suites"]
    # Nothing outside the policy, in the policy's order (the other OpenSSL may lack a few suites).
    assert suites == [c for c in policy_order if c in suites]
    assert {"TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"} <= set(
        suites
    )
    assert not [c for c in suites if "CHACHA" in c or c.endswith("-SHA")]
