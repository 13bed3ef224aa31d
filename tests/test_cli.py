"""The fipscheck command, run as a user runs it (the installed console script, fresh processes)."""

from __future__ import annotations

import sys
from pathlib import Path

import fipscrypto
from fipscrypto.provider.state import StatePaths

from support import fipscheck


def test_version() -> None:
    done = fipscheck("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"fipscheck, version {fipscrypto.__version__}"


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
