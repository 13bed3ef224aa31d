"""The fipscheck command, run as a user runs it (the installed console script, fresh processes)."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import fipscrypto
from fipscrypto import cmvp, policy, selftests
from fipscrypto.provider.state import StatePaths, read_record

from support import fipscheck


def test_version() -> None:
    done = fipscheck("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"fipscheck, version {fipscrypto.__version__}"


def test_status_json_fields_are_true(state_paths: StatePaths) -> None:
    done = fipscheck("status", "--json", FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    record = read_record(state_paths)
    assert record is not None
    module_bytes = Path(record.module_path).read_bytes()
    assert report["mode"] == "strict"
    assert report["state"] == "operational"
    assert report["fips_enabled"] is True
    assert report["provider_proven"] is True
    assert report["provider"]["name"] == "OpenSSL FIPS Provider"
    assert report["provider"]["version"] == record.version
    assert report["provider"]["module_sha256"] == hashlib.sha256(module_bytes).hexdigest()
    assert report["provider"]["module_unchanged"] is True
    assert report["provider"]["cmvp"] == cmvp.verdict(record.name, record.version).as_dict()
    assert report["openssl"]["cryptography"].startswith("OpenSSL ")
    import ssl

    assert report["openssl"]["stdlib"] == ssl.OPENSSL_VERSION
    assert "outside" in report["boundary"]
    assert report["policy"] == {
        "name": "fips-140-3",
        "title": policy.builtin("fips-140-3").title,
        "draft": False,
        "layers": ["fips-140-3"],
    }
    assert list(report["selftests_ms"]) == list(selftests.EAGER)
    # The suites the policy accepts that cryptography's OpenSSL cannot negotiate, with its reason.
    not_offered = {item["suite"]: item["reason"] for item in report["tls"]["not_offered"]}
    assert "TLS_AES_128_CCM_8_SHA256" in not_offered
    assert not_offered["TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"].endswith(
        "bits of security, below its security level"
    )
    assert report["tls"]["section_measured_alike"] is True


def test_status_text_names_both_verdicts_and_the_boundary(state_paths: StatePaths) -> None:
    done = fipscheck("status", FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert done.returncode == 0
    assert "validated     " in done.stdout  # the CMVP (validated module) verdict
    assert "approved      only fips=yes algorithms" in done.stdout  # the approved-algorithm verdict
    assert "OUTSIDE the FIPS boundary" in done.stdout
    assert (
        "tls           offers what the policy accepts and this OpenSSL negotiates; not offered:"
        in done.stdout
    )
    assert "  TLS_AES_128_CCM_8_SHA256: OpenSSL " in done.stdout


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


def test_demo(state_paths: StatePaths) -> None:
    done = fipscheck("demo", FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert done.returncode == 0, done.stderr
    assert "operational in strict mode" in done.stdout
    assert "decrypts back  = True" in done.stdout
    assert "refused by the allowlist: hash md5, apply: disallowed" in done.stdout


def test_demo_without_provider_exits_3(tmp_path: Path) -> None:
    done = fipscheck("demo", FIPSCRYPTO_STATE_DIR=str(tmp_path))
    assert done.returncode == 3
    assert "did not activate" in done.stderr


PROGRAM = (
    "from cryptography.hazmat.bindings._rust import openssl; import fipscrypto, sys; "
    "print(openssl.is_fips_enabled(), fipscrypto.info().state.value); sys.exit(7)"
)


def test_run_activates_before_the_program(state_paths: StatePaths) -> None:
    # The program imports cryptography first thing; under `fipscheck run` that is already FIPS.
    done = fipscheck("run", "--", sys.executable, "-c", PROGRAM, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert done.stdout.strip() == "True operational"
    assert done.returncode == 7  # the program's own exit code


def test_run_refuses_to_start_without_provider(tmp_path: Path) -> None:
    done = fipscheck("run", "--state-dir", str(tmp_path), "--", sys.executable, "-c", PROGRAM)
    assert done.returncode == 3
    assert done.stdout == ""
    assert "did not activate" in done.stderr


def test_run_unknown_command() -> None:
    done = fipscheck("run", "--", "/nonexistent/program")
    assert done.returncode == 127
    assert "cannot run /nonexistent/program" in done.stderr


def test_every_command_has_help() -> None:
    for args in (
        ["--help"],
        ["status", "-h"],
        ["provider", "install", "-h"],
        ["provider", "verify", "-h"],
        ["run", "-h"],
        ["demo", "-h"],
        ["check", "-h"],
        ["policy", "-h"],
        ["policy", "list", "-h"],
        ["policy", "show", "-h"],
        ["policy", "validate", "-h"],
        ["policy", "diff", "-h"],
        ["policy", "gate", "-h"],
        ["policy", "export", "-h"],
    ):
        done = fipscheck(*args)
        assert done.returncode == 0
        assert "Usage: fipscheck" in done.stdout
