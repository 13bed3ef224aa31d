"""The policy engine: evaluation by date, direction, size and constraint; layering; strict loading."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from fipscrypto.errors import InvalidParameter, PolicyError
from fipscrypto.policy import Direction, Policy, Status, differences, load, loads
from fipscrypto.policy.compile import Negotiable, openssl_section, tls_settings

from support import cli

POLICIES = Path(__file__).parent / "policies"
BASE = POLICIES / "base.toml"


@pytest.fixture(scope="module")
def base() -> Policy:
    return load(BASE)


def test_as_of_around_the_2030_transition(base: Policy) -> None:
    before = base.check("hash", "sha1", as_of=dt.date(2030, 12, 31))
    after = base.check("hash", "sha1", as_of=dt.date(2031, 1, 1))
    assert (before.status, before.allowed) == (Status.ACCEPTABLE, True)
    assert before.next_change == (dt.date(2031, 1, 1), Status.DISALLOWED)
    assert (after.status, after.allowed) == (Status.DISALLOWED, False)
    assert after.next_change is None
    old_data = base.check("hash", "sha1", direction=Direction.PROCESS, as_of=dt.date(2031, 1, 1))
    assert (old_data.status, old_data.allowed) == (Status.LEGACY_USE, True)


def test_direction_split(base: Policy) -> None:
    encrypt = base.check("cipher", "3des-cbc", direction=Direction.APPLY)
    decrypt = base.check("cipher", "3des-cbc", direction=Direction.PROCESS)
    assert (encrypt.status, encrypt.allowed) == (Status.DISALLOWED, False)
    assert (decrypt.status, decrypt.allowed) == (Status.LEGACY_USE, True)
    assert encrypt.citation() == (
        "NIST SP 800-131A Rev. 2, Table 1 <https://doi.org/10.6028/NIST.SP.800-131Ar2>"
    )
    assert encrypt.source is not None
    assert encrypt.source.origin.endswith("base.toml:23")


def test_key_sizes(base: Policy) -> None:
    assert base.check("signature", "rsa-pss", bits=1024).status is Status.DISALLOWED
    assert (
        base.check("signature", "rsa-pss", bits=2047, direction=Direction.PROCESS).status is Status.LEGACY_USE
    )
    assert base.check("signature", "rsa-pkcs1v15", bits=2048).status is Status.ACCEPTABLE
    with pytest.raises(InvalidParameter, match="give bits="):
        base.check("signature", "rsa-pss")


def test_unknown_items_are_disallowed(base: Policy) -> None:
    verdict = base.check("cipher", "chacha20-poly1305")
    assert (verdict.status, verdict.allowed, verdict.rule) == (Status.DISALLOWED, False, None)
    assert verdict.reason == "not on the allowlist of policy test-base"


def test_constraints(base: Policy) -> None:
    weak = {"iterations": 1000, "salt_bits": 128}
    strong = {"iterations": 600000, "salt_bits": 128}
    assert base.check("password-hash", "pbkdf2-hmac-sha512", params=weak).status is Status.DISALLOWED
    old = base.check("password-hash", "pbkdf2-hmac-sha512", params=weak, direction=Direction.PROCESS)
    assert (old.status, old.allowed) == (Status.LEGACY_USE, True)
    assert "iterations 1000 < 600000" in old.reason
    assert base.check("password-hash", "pbkdf2-hmac-sha512", params=strong).status is Status.ACCEPTABLE
    assert base.check("password-hash", "pbkdf2-hmac-sha512").status is Status.DISALLOWED


HEAD = """[policy]
name = "child"
title = "Child"
status = "final"
extends = "base.toml"
"""

LOOSEN = """
[[rule]]
category = "cipher"
names = ["3des-cbc"]
apply = "deprecated"
process = "legacy-use"
cite = "sp800-131a-r2"
section = "Table 1"
"""

TIGHTEN = """
[[rule]]
category = "hash"
names = ["sha1"]
apply = "disallowed"
process = "legacy-use"
cite = "sp800-131a-r2"
section = "Table 8"
"""


def _child(tmp_path: Path, body: str) -> Path:
    (tmp_path / "base.toml").write_text(BASE.read_text())
    child = tmp_path / "child.toml"
    child.write_text(HEAD + body)
    return child


def test_layering_tightens_without_justification(tmp_path: Path) -> None:
    child = load(_child(tmp_path, TIGHTEN))
    assert [layer.name for layer in child.layers()] == ["child", "test-base"]
    assert child.check("hash", "sha1", as_of=dt.date(2026, 1, 1)).status is Status.DISALLOWED
    assert child.check("cipher", "aes-256-gcm").status is Status.ACCEPTABLE  # from the base
    kinds = {(d.kind, d.category, d.name, d.direction) for d in differences(child.base, child)}  # type: ignore[arg-type]
    assert ("tightened", "hash", "sha1", Direction.APPLY) in kinds
    assert ("tightened", "hash", "sha1", Direction.PROCESS) in kinds
    assert not [d for d in differences(child.base, child) if d.kind == "loosened"]  # type: ignore[arg-type]


def test_unjustified_loosening_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as caught:
        load(_child(tmp_path, LOOSEN))
    assert caught.value.key == "justification"
    assert caught.value.line == 7  # the [[rule]] line of the child
    assert "cipher 3des-cbc apply: disallowed -> deprecated" in caught.value.message


def test_justified_loosening_loads(tmp_path: Path) -> None:
    child = load(_child(tmp_path, LOOSEN + 'justification = "decrypt archives from 2019"\n'))
    assert child.check("cipher", "3des-cbc").status is Status.DEPRECATED
    (loosened,) = [d for d in differences(child.base, child) if d.kind == "loosened"]  # type: ignore[arg-type]
    assert loosened.describe() == "cipher 3des-cbc apply: disallowed -> deprecated"
    assert loosened.as_dict()["justification"] == "decrypt archives from 2019"


def test_constraint_loosening_needs_justification(tmp_path: Path) -> None:
    body = """
[[rule]]
category = "password-hash"
names = ["pbkdf2-hmac-sha512"]
apply = "acceptable"
process = "acceptable"
constraints = { iterations = 1000, salt_bits = 128 }
cite = "sp800-131a-r2"
section = "Table 7"
"""
    with pytest.raises(PolicyError, match="constraint iterations: 600000 -> 1000"):
        load(_child(tmp_path, body))


VALID_RULE = """
[[rule]]
category = "hash"
names = ["sha256"]
apply = "acceptable"
process = "acceptable"
cite = "c"
section = "1"
"""
CITATION = """
[citations.c]
document = "Doc"
url = "https://example.org/doc"
"""
MINIMAL = '[policy]\nname = "p"\ntitle = "P"\nstatus = "final"\n' + CITATION


@pytest.mark.parametrize(
    ("text", "line", "key", "message"),
    [
        (MINIMAL + VALID_RULE + "colour = 1\n", 17, "colour", "unknown key in rule"),
        (MINIMAL + "[extra]\n", 0, "extra", "unknown key in the file"),
        (MINIMAL + VALID_RULE.replace('"hash"', '"hashes"'), 11, "category", "unknown category 'hashes'"),
        (MINIMAL + VALID_RULE.replace('"sha256"', '"sha-256"'), 12, "names", "unknown hash name 'sha-256'"),
        (
            MINIMAL + VALID_RULE.replace('apply = "acceptable"', 'apply = "legacy-use"'),
            13,
            "apply",
            "legacy-use applies only to processing",
        ),
        (
            MINIMAL + VALID_RULE.replace('process = "acceptable"', 'process = "ok"'),
            14,
            "process",
            "unknown status 'ok'",
        ),
        (
            MINIMAL + VALID_RULE + '[[rule.change]]\nfrom = "2031-01-01"\napply = "disallowed"\n',
            18,
            "from",
            "malformed date",
        ),
        (
            MINIMAL + VALID_RULE + '[[rule.change]]\nfrom = 2031-01-01\napply = "deprecated"\n'
            '[[rule.change]]\nfrom = 2030-01-01\napply = "disallowed"\n',
            21,
            "from",
            "increasing date order",
        ),
        (MINIMAL + VALID_RULE.replace('cite = "c"\n', ""), 10, "cite", "missing"),
        (MINIMAL + VALID_RULE.replace('cite = "c"', 'cite = "d"'), 15, "cite", "no citation 'd'"),
        (
            MINIMAL.replace('url = "https://example.org/doc"', 'url = "example.org"') + VALID_RULE,
            8,
            "url",
            "not a URL",
        ),
        (
            MINIMAL + VALID_RULE.replace('section = "1"', 'section = "1"\nmin_bits = 128'),
            17,
            "min_bits",
            "has no key or group sizes",
        ),
        (
            MINIMAL + VALID_RULE + VALID_RULE.replace('"sha256"', '"sha384", "sha256"'),
            18,
            "names",
            "overlaps the rule at <test>:10",
        ),
        (MINIMAL.replace('status = "final"', 'status = "released"') + VALID_RULE, 4, "status", "must be"),
        (
            MINIMAL.replace('status = "final"', 'status = "final"\nextends = "nope.toml"'),
            5,
            "extends",
            "neither a built-in profile",
        ),
        (MINIMAL + "[[rule]\n", 9, "", "TOML syntax"),
    ],
)
def test_malformed_policies_name_file_line_and_key(text: str, line: int, key: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        loads(text, "<test>")
    error = caught.value
    assert (error.path, error.line, error.key) == ("<test>", line, key), str(error)
    assert message in error.message
    assert str(error).startswith(f"<test>:{line}: " if line else "<test>: ")


def test_extends_cycle_is_refused(tmp_path: Path) -> None:
    for name, other in (("a", "b"), ("b", "a")):
        (tmp_path / f"{name}.toml").write_text(
            f'[policy]\nname = "{name}"\ntitle = "T"\nstatus = "final"\nextends = "{other}.toml"\n'
        )
    with pytest.raises(PolicyError, match="extends itself"):
        load(tmp_path / "a.toml")


def test_compiled_tls_section(base: Policy) -> None:
    day = dt.date(2026, 1, 1)
    text = openssl_section(base, as_of=day)
    assert "TLS.MinProtocol = TLSv1.2\n" in text
    assert (
        "CipherString = ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA\n"
        in text
    )
    assert "Ciphersuites = TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384\n" in text
    assert "Groups = P-256:P-384\n" in text  # the post-quantum hybrid only when asked for
    assert "SignatureAlgorithms = ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256:RSA+SHA1\n" in text
    assert tls_settings(base, as_of=day, post_quantum=True).groups == ("SecP256r1MLKEM768", "P-256", "P-384")
    later = openssl_section(base, as_of=dt.date(2031, 1, 1))
    assert "ECDHE-RSA-AES128-SHA" not in later  # the SHA-1 suite leaves on its date


def test_compiled_for_what_an_openssl_can_negotiate(base: Policy) -> None:
    """The policy's acceptable suites intersected with a measurement; each one left out is named, with
    the measurement's reason. The policy itself is unchanged."""
    day = dt.date(2026, 1, 1)
    measured = Negotiable(
        "OpenSSL 9",
        frozenset({"ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-SHA"}),
        (("TLS_AES_256_GCM_SHA384", "OpenSSL 9 rates it at 1 bit"),),
    )
    settings = tls_settings(base, as_of=day, negotiable=measured)
    assert settings.tls12_suites == ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA")
    assert settings.tls13_suites == ("TLS_AES_128_GCM_SHA256",)
    assert settings.not_offered == (
        ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "not known to OpenSSL 9"),
        ("TLS_AES_256_GCM_SHA384", "OpenSSL 9 rates it at 1 bit"),
    )
    text = openssl_section(base, as_of=day, negotiable=measured)
    assert (
        "# Not offered although the policy accepts it: TLS_AES_256_GCM_SHA384 (OpenSSL 9 rates it at 1 bit)\n"
        in text
    )
    assert "Ciphersuites = TLS_AES_128_GCM_SHA256\n" in text
    assert tls_settings(base, as_of=day).not_offered == ()  # unmeasured: every acceptable suite
    assert Negotiable.from_dict(measured.as_dict()) == measured


def test_cli_validate_diff_gate_export(tmp_path: Path) -> None:
    good = cli("policy", "validate", str(BASE))
    assert good.returncode == 0
    assert "valid (test-base, 12 rules" in good.stdout

    bad = tmp_path / "bad.toml"
    bad.write_text(MINIMAL + VALID_RULE.replace('"sha256"', '"sha-256"'))
    refused = cli("policy", "validate", str(bad))
    assert refused.returncode == 3
    assert f"{bad}:12: names: unknown hash name 'sha-256'" in refused.stderr

    loose = _child(tmp_path, LOOSEN + 'justification = "archives"\n')
    unjustified = tmp_path / "unjustified.toml"
    unjustified.write_text(
        MINIMAL.replace('name = "p"', 'name = "u"')
        + LOOSEN.replace("sp800-131a-r2", "c")
        + TIGHTEN.replace("sp800-131a-r2", "c")
    )
    diff = cli("policy", "diff", "--json", str(BASE), str(loose))
    found = json.loads(diff.stdout)["differences"]
    assert [(d["kind"], d["name"], d["direction"]) for d in found] == [("loosened", "3des-cbc", "apply")]

    assert cli("policy", "gate", "--baseline", str(BASE), str(loose)).returncode == 0
    gate = cli("policy", "gate", "--baseline", str(BASE), str(unjustified))
    assert gate.returncode == 1
    assert "unjustified loosening" in gate.stderr
    assert re.search(r"^FAIL loosened  cipher 3des-cbc apply: disallowed -> deprecated$", gate.stdout, re.M)

    exported = json.loads(
        cli("policy", "export", "--policy", str(BASE), "--format", "json", "--as-of", "2026-01-01").stdout
    )
    assert exported["tls"]["min_protocol"] == "TLSv1.2"
    assert exported["tls"]["groups"] == ["P-256", "P-384"]
    openssl = cli("policy", "export", "--policy", str(BASE), "--as-of", "2026-01-01").stdout
    assert openssl == openssl_section(load(BASE), as_of=dt.date(2026, 1, 1))

    show = cli("policy", "show", str(BASE), "--json", "--as-of", "2030-06-01")
    rules = json.loads(show.stdout)["layers"][0]["rules"]
    sha1 = next(r for r in rules if r["names"] == ["sha1"])
    assert sha1["apply"] == "acceptable"
    assert sha1["apply_from_2031-01-01"] == "disallowed"


def test_runtime_cache_follows_every_layer(tmp_path: Path) -> None:
    from fipscrypto.policy.runtime import tls_section

    child = _child(tmp_path, TIGHTEN)
    cache = tmp_path / "cache"
    first = tls_section(str(child), cache)
    assert "ECDHE-RSA-AES128-SHA" in first
    assert (cache / "policy-cache.json").is_file()
    assert tls_section(str(child), cache) == first  # served from the cache
    # Change only the base: the child's cache entry must not be used any more.
    base = tmp_path / "base.toml"
    base.write_text(
        base.read_text().replace('"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"', '"TLS_RSA_WITH_AES_128_CBC_SHA"')
    )
    second = tls_section(str(child), cache)
    assert "ECDHE-RSA-AES128-SHA" not in second
    assert "AES128-SHA" in second


def test_runtime_cache_is_keyed_by_date(tmp_path: Path) -> None:
    from fipscrypto.policy.runtime import tls_section

    cache = tmp_path / "cache"
    real = tls_section(str(BASE), cache)
    entries = json.loads((cache / "policy-cache.json").read_text())
    (entry,) = entries.values()
    entry["section"] = "# planted\n"
    (cache / "policy-cache.json").write_text(json.dumps(entries))
    assert tls_section(str(BASE), cache) == "# planted\n"  # the cache is what is used ...
    entry["date"] = "2000-01-01"
    (cache / "policy-cache.json").write_text(json.dumps(entries))
    assert tls_section(str(BASE), cache) == real  # ... but only on the day it was compiled for
