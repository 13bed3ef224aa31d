"""``fipscheck status``: every line is a fact measured in this process, and what is wrong gives exit 3.

Status in strict mode on the session's state folder runs in this process (click's runner); another mode
or folder needs a fresh process (the console script), since a process activates once.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import ssl
from pathlib import Path
from typing import Any

import pytest

from fipscrypto import cmvp, policy, selftests
from fipscrypto.provider.config import module_mac, read_module_mac
from fipscrypto.provider.state import StatePaths, read_record

from support import cli, fipscheck, run_json


def status(state: StatePaths, *args: str, **env: str) -> tuple[int, dict[str, Any]]:
    """``fipscheck status --json`` in a fresh process."""
    done = fipscheck("status", "--json", "--state-dir", str(state.root), *args, **env)
    return done.returncode, json.loads(done.stdout)


def test_status_json_fields_are_measured(state_paths: StatePaths) -> None:
    done = cli("status", "--json", "--deep", "--state-dir", str(state_paths.root))
    code, report = done.returncode, json.loads(done.stdout)
    assert code == 0, report
    record = read_record(state_paths)
    assert record is not None
    module_bytes = Path(record.module_path).read_bytes()
    assert (report["mode"], report["state"], report["problems"]) == ("strict", "operational", [])
    assert report["fips_enabled"] is True
    assert report["provider_proven"] is True
    assert report["deep"] is True
    provider = report["provider"]
    # The provider's own parameters, not the record.
    assert provider["reported"]["name"] == "OpenSSL FIPS Provider"
    assert (provider["reported"]["version"], provider["reported"]["status"]) == (record.version, 1)
    # The module mapped into the status process itself.
    assert provider["module"] == {
        "path": record.module_path,
        "mapped": True,
        "file_is_the_mapping": True,
        "sha256": hashlib.sha256(module_bytes).hexdigest(),
        "matches_record": True,
    }
    assert provider["context_module"]["mapped"] is True
    assert provider["context_module"]["matches_record"] is True
    # Strict mode: every switch the provider has is on, conditional errors included.
    assert set(provider["switches"]) == set(record.switches)
    assert set(provider["switches"].values()) == {1}
    assert (provider["switches_off"], provider["conditional_errors"]) == ([], True)
    assert provider["cmvp"] == cmvp.verdict(record.name, record.version).as_dict()
    assert report["openssl"]["cryptography"].startswith("OpenSSL ")
    assert report["openssl"]["stdlib"] == ssl.OPENSSL_VERSION
    assert "outside" in report["boundary"]
    assert report["policy"] == {
        "name": "fips-140-3-hardened",  # the default policy
        "title": policy.builtin("fips-140-3-hardened").title,
        "draft": False,
        "layers": ["fips-140-3-hardened", "fips-140-3"],
    }
    assert list(report["selftests_ms"]) == list(selftests.EAGER)
    # The suites the policy accepts that cryptography's OpenSSL cannot negotiate, with its reason.
    not_offered = {item["suite"]: item["reason"] for item in report["tls"]["not_offered"]}
    assert "TLS_AES_128_CCM_8_SHA256" in not_offered
    assert not_offered["TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"].endswith(
        "bits of security, below its security level"
    )
    assert report["tls"]["section_measured_alike"] is True


def test_status_without_deep_reads_the_loaded_section_and_says_what_it_did_not_measure(
    state_paths: StatePaths,
) -> None:
    deep = json.loads(cli("status", "--json", "--deep", "--state-dir", str(state_paths.root)).stdout)
    done = cli("status", "--json", "--state-dir", str(state_paths.root))
    code, report = done.returncode, json.loads(done.stdout)
    assert (code, report["problems"], report["deep"], report["tls"]) == (0, [], False, None)
    provider = report["provider"]
    assert "reported" not in provider
    assert "context_module" not in provider
    assert provider["module"] == deep["provider"]["module"]
    # The section sets exactly the switches the provider reports, all on in strict mode.
    assert provider["switches"] == deep["provider"]["switches"]
    assert provider["switches_of"].startswith("cryptography's provider section, as written")
    assert (provider["switches_off"], provider["conditional_errors"]) == ([], True)
    text = cli("status", "--state-dir", str(state_paths.root)).stdout
    assert "not measured  the provider's own report" in text
    assert "'fipscheck status --deep'" in text
    assert "tls           offers" not in text
    assert "not measured" not in cli("status", "--deep", "--state-dir", str(state_paths.root)).stdout


def test_status_text_names_both_verdicts_and_the_boundary(state_paths: StatePaths) -> None:
    done = cli("status", "--deep", FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert done.returncode == 0
    assert "validated     " in done.stdout  # the CMVP (validated module) verdict
    assert "approved      non-approved requests to fipscrypto raise PolicyViolation" in done.stdout
    assert "MD5 refused" in done.stdout  # measured by this process's power-on self-test
    assert "OUTSIDE the FIPS boundary" in done.stdout
    assert "only fips=yes algorithms are reachable" not in done.stdout  # not a measured fact
    assert "outside       mac.hmac, mac.cmac: cryptography's OpenSSL" in done.stdout
    tls = "tls           offers what the policy accepts and this OpenSSL negotiates; not offered:"
    assert tls in done.stdout
    assert "  TLS_AES_128_CCM_8_SHA256: OpenSSL " in done.stdout
    audit = fipscheck("status", "--mode", "audit", FIPSCRYPTO_STATE_DIR=str(state_paths.root))  # fresh
    assert "non-approved requests to fipscrypto are allowed and recorded" in audit.stdout


@pytest.mark.parametrize("depth", [(), ("--deep",)], ids=["section", "provider"])
def test_audit_mode_reports_the_switches_it_runs_with(
    state_paths: StatePaths, depth: tuple[str, ...]
) -> None:
    code, report = status(state_paths, "--mode", "audit", *depth)
    assert code == 0, report["problems"]
    switches = report["provider"]["switches"]
    # The provisioned section: the base switches on, the provider's defaults for the rest (which the
    # section does not name: only the provider's own report has their value).
    assert switches["security-checks"] == switches["tls1-prf-ems-check"] == 1
    assert switches["tdes-encrypt-disabled"] == (0 if depth else None)
    assert "tdes-encrypt-disabled" in report["provider"]["switches_off"]


@pytest.mark.parametrize("depth", [(), ("--deep",)], ids=["section", "provider"])
@pytest.mark.parametrize("line", ["security-checks = 1", "tls1-prf-ems-check = 1", "conditional-errors = 1"])
def test_a_weakened_switch_is_reported_and_strict_mode_sets_it_again(
    own_state: StatePaths, line: str, depth: tuple[str, ...]
) -> None:
    # Audit mode runs with the provisioned section: a switch turned off there is off in the provider,
    # and status says so. Strict mode writes every switch itself: the provider has it on again.
    cnf = own_state.fipsmodule_cnf
    cnf.write_text(cnf.read_text().replace(line, line.replace("= 1", "= 0")))
    name = line.split(" = ")[0]
    code, report = status(own_state, "--mode", "audit", *depth)
    assert (code, name in report["provider"]["switches_off"]) == (0, True)
    if name != "conditional-errors":  # not a provider parameter: read from the loaded section
        assert report["provider"]["switches"][name] == 0
    code, report = status(own_state, "--mode", "strict", *depth)
    assert (code, report["provider"]["switches_off"]) == (0, [])


EXTERNAL = """
import json
import cryptography.hazmat.bindings._rust  # loaded first, with the operator's OPENSSL_CONF
from fipscrypto import status
from fipscrypto.cli.status import exit_status
report = status.collect()
code = exit_status(report)
print(json.dumps({"code": code, "loaded_by": report["provider_loaded_by"], "problems": report["problems"]}))
"""


def test_strict_mode_on_an_operators_own_configuration_gives_exit_3(own_state: StatePaths) -> None:
    # cryptography loaded the provider through a configuration fipscrypto did not write: the switches
    # of that provider instance cannot be read, so strict mode cannot vouch for them.
    result = run_json(
        EXTERNAL,
        OPENSSL_CONF=str(own_state.openssl_cnf),
        OPENSSL_MODULES=str(own_state.module_dir),
        FIPSCRYPTO_STATE_DIR=str(own_state.root),
    )
    assert result["loaded_by"] == "external"
    assert result["code"] == 3
    assert any("switches unknown" in problem for problem in result["problems"])


def test_a_replaced_and_remaced_module_gives_exit_3(own_state: StatePaths, tmp_path: Path) -> None:
    # Another module in place, with a matching module-mac (the MAC key is public): the provider loads
    # it, and status must say it is not the recorded one.
    record = read_record(own_state)
    assert record is not None
    module = Path(record.module_path)
    other = tmp_path / "other.so"
    shutil.copyfile(module, other)
    with other.open("ab") as f:
        f.write(b"\0" * 16)  # trailing bytes: the ELF still loads, the file's hash changes
    shutil.copyfile(other, module)
    cnf = own_state.fipsmodule_cnf
    cnf.write_text(cnf.read_text().replace(_colon(read_module_mac(cnf)), _colon(module_mac(module))))
    code, report = status(own_state)
    assert code == 3
    assert report["provider"]["module"]["matches_record"] is False
    assert any("differs from the one recorded" in problem for problem in report["problems"])


def _colon(mac: str) -> str:
    return ":".join(mac[i : i + 2] for i in range(0, len(mac), 2))


def test_a_world_writable_state_folder_is_refused(own_state: StatePaths) -> None:
    os.chmod(own_state.root, 0o777)  # noqa: S103  # the condition under test
    code, report = status(own_state)
    assert code == 3
    assert report["error"]["type"] == "ProviderUnavailable"  # strict mode does not even activate
    assert f"writable by any user: {own_state.root}" in report["problems"]
    code, report = status(own_state, "--mode", "audit")
    assert (code, report["state"]) == (3, "operational")
    assert f"writable by any user: {own_state.root}" in report["problems"]
    os.chmod(own_state.root, 0o700)
    assert status(own_state)[0] == 0


def test_status_without_provider_exits_3(tmp_path: Path) -> None:
    done = fipscheck("status", "--json", "--state-dir", str(tmp_path))
    assert done.returncode == 3
    report = json.loads(done.stdout)
    assert report["fips_enabled"] is False
    assert report["error"]["type"] == "ProviderUnavailable"
    assert "fipscheck provider install" in report["error"]["remedy"]


def test_status_in_off_mode_exits_3_and_says_so() -> None:
    done = fipscheck("status", "--mode", "off")
    assert done.returncode == 3
    assert "FIPS MODE OFF" in done.stdout
    assert "non-approved" in done.stdout  # the state: nothing is approved without a provider


def _retitled(tmp_path: Path, title: str) -> Path:
    """The default profile as a policy file with another title (it extends the built-in fips-140-3)."""
    source = Path(policy.__file__).parent / "profiles" / "fips-140-3-hardened.toml"
    text = source.read_text().replace(policy.builtin("fips-140-3-hardened").title, title, 1)
    path = tmp_path / "retitled.toml"
    path.write_text(text)
    return path


def test_status_policy_is_the_cached_entry_only_while_every_layer_is_unchanged(tmp_path: Path) -> None:
    from fipscrypto.policy.runtime import summary

    spec, cache = str(_retitled(tmp_path, "first title")), tmp_path / "cache"
    first = summary(spec, cache)
    assert (first["title"], first["layers"]) == ("first title", ["fips-140-3-hardened", "fips-140-3"])
    entries = json.loads((cache / "policy-cache.json").read_text())
    entries[spec]["title"] = "planted"
    (cache / "policy-cache.json").write_text(json.dumps(entries))
    assert summary(spec, cache)["title"] == "planted"  # a fresh entry is served without parsing ...
    _retitled(tmp_path, "second title")
    assert summary(spec, cache)["title"] == "second title"  # ... a changed layer is parsed again
    entries = json.loads((cache / "policy-cache.json").read_text())
    del entries[spec]["layer_names"]  # an entry without the status fields is rebuilt, not trusted
    entries[spec]["title"] = "planted"
    (cache / "policy-cache.json").write_text(json.dumps(entries))
    assert summary(spec, cache)["title"] == "second title"


def test_status_reports_the_active_policy_file(state_paths: StatePaths, tmp_path: Path) -> None:
    spec = _retitled(tmp_path, "a retitled policy")
    code, report = status(state_paths, "--deep", FIPSCRYPTO_POLICY=str(spec))
    assert code == 0, report
    assert report["policy"] == {
        "name": "fips-140-3-hardened",
        "title": "a retitled policy",
        "draft": False,
        "layers": ["fips-140-3-hardened", "fips-140-3"],
    }
    assert report["tls"]["not_offered"]  # the CCM_8 suites, as for the built-in profile
