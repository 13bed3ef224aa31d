"""The fipscheck command.

Commands that need no fresh interpreter run in this process (click's runner). The others run as a user
runs them, the installed console script in a fresh process: those that activate with another state
folder or mode (this process activated once, in strict mode), and every ``run`` that starts a program,
because ``run`` replaces the process it runs in with the program (a ``run`` that failed to refuse
would replace the test process itself).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest

import fipscrypto
from fipscrypto.provider.state import StatePaths

from support import VENV_BIN, clean_env, cli, fipscheck, run_json


def test_version() -> None:
    done = cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"fipscheck, version {fipscrypto.__version__}"


def test_the_console_script_runs_the_command() -> None:
    done = fipscheck("--version")
    assert (done.returncode, done.stdout.strip()) == (0, f"fipscheck, version {fipscrypto.__version__}")


def test_demo(state_paths: StatePaths) -> None:
    done = cli("demo", FIPSCRYPTO_STATE_DIR=str(state_paths.root))
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


# The program's first line leaves a mark: it must never run when the hook does not activate.
FIRST_LINE = "import pathlib, sys; pathlib.Path(sys.argv[1]).touch(); "
CLEAN = (
    "from cryptography.exceptions import InternalError, UnsupportedAlgorithm\n"
    "from cryptography.hazmat.bindings._rust import openssl\n"
    "from cryptography.hazmat.primitives import hashes\n"
    "try:\n"
    "    hashes.Hash(hashes.MD5())\n"
    "    md5 = 'md5 served'\n"
    "except (InternalError, UnsupportedAlgorithm):\n"
    "    md5 = 'md5 refused'\n"
    "print('fips' if openssl.is_fips_enabled() else 'no fips', md5)\n"
)


def test_run_clean_start_prints_only_the_programs_output(state_paths: StatePaths) -> None:
    done = fipscheck("run", "--", sys.executable, "-c", CLEAN, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert (done.returncode, done.stderr, done.stdout) == (0, "", "fips md5 refused\n")


def _run_shadowing(
    tmp_path: Path, shadowed: str, *command: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """``fipscheck run -- COMMAND`` with a sitecustomize on PYTHONPATH that the hook shadows.

    fipscheck itself runs with -E, so that only the program (not fipscheck) imports that sitecustomize.
    """
    (tmp_path / "sitecustomize.py").write_text(shadowed)
    return subprocess.run(
        [sys.executable, "-E", str(VENV_BIN / "fipscheck"), "run", "--", *command],
        capture_output=True,
        text=True,
        env=clean_env(PYTHONPATH=str(tmp_path), **env),
        timeout=300,
        check=False,
    )


def test_run_hands_over_to_the_sitecustomize_it_shadows(state_paths: StatePaths, tmp_path: Path) -> None:
    program = "import os; print(os.environ.get('SHADOWED'))\n" + CLEAN
    shadowed = "import os\nos.environ['SHADOWED'] = __name__\n"
    done = _run_shadowing(
        tmp_path, shadowed, sys.executable, "-c", program, FIPSCRYPTO_STATE_DIR=str(state_paths.root)
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "fipscrypto_shadowed_sitecustomize\nfips md5 refused\n"


@pytest.mark.parametrize(
    "failure", ["raise RuntimeError('broken')", "raise SystemExit(0)", "raise KeyboardInterrupt"]
)
def test_run_stops_when_the_shadowed_sitecustomize_fails(
    state_paths: StatePaths, tmp_path: Path, failure: str
) -> None:
    mark = tmp_path / "started"
    done = _run_shadowing(
        tmp_path,
        failure,
        sys.executable,
        "-c",
        FIRST_LINE,
        str(mark),
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
    )
    assert (done.returncode, done.stdout, mark.exists()) == (3, "", False)
    assert "the sitecustomize that fipscrypto's hook shadows failed" in done.stderr


def _deep_policy(tmp_path: Path) -> dict[str, str]:
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    return {"FIPSCRYPTO_POLICY": str(deep)}


@pytest.mark.parametrize(
    ("setting", "reason"),
    [
        (_deep_policy, "PolicyError: {tmp}/deep.toml: arrays or tables nested too deeply"),
        (lambda tmp: {"FIPSCRYPTO_POLICY": "/dev/zero"}, "PolicyError: /dev/zero: larger than 4194304 bytes"),
        (lambda tmp: {"FIPSCRYPTO_STATE_DIR": str(tmp / "missing")}, "ProviderUnavailable"),
        (lambda tmp: {"FIPSCRYPTO_MODE": "lenient"}, "FipsError: unknown fipscrypto mode 'lenient'"),
    ],
    ids=["deep-policy", "endless-policy", "missing-state-dir", "unknown-mode"],
)
def test_run_never_starts_the_program_when_activation_fails(
    state_paths: StatePaths, tmp_path: Path, setting: Callable[[Path], dict[str, str]], reason: str
) -> None:
    mark = tmp_path / "started"
    env = {"FIPSCRYPTO_STATE_DIR": str(state_paths.root), **setting(tmp_path)}
    done = fipscheck("run", "--", sys.executable, "-c", FIRST_LINE, str(mark), **env)
    assert (done.returncode, done.stdout, mark.exists()) == (3, "", False)
    assert done.stderr.startswith(
        f"fipscheck run: fipscrypto did not activate: {reason.format(tmp=tmp_path)}"
    )
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "options",
    [["-I", "-c"], ["-E", "-c"], ["-S", "-c"], ["-IE", "-c"], ["-Ic"], ["-s", "-Sc"], ["-Wignore", "-bIc"]],
)
def test_run_refuses_python_options_that_skip_the_hook(state_paths: StatePaths, options: list[str]) -> None:
    done = fipscheck("run", "--", sys.executable, *options, CLEAN, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert (done.returncode, done.stdout) == (3, "")
    assert "skips the start-up hook; the program would run without FIPS" in done.stderr


def test_run_refuses_a_module_run_without_site(state_paths: StatePaths) -> None:
    done = fipscheck("run", "--", sys.executable, "-sSm", "this", FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert (done.returncode, done.stdout) == (3, "")
    assert "-S (no site module) skips the start-up hook" in done.stderr


@pytest.mark.parametrize(
    ("shebang", "reason"),
    [
        (f"#!{sys.executable} -I", "-I (isolated mode) skips the start-up hook"),
        (f"#!/usr/bin/env -S {sys.executable} -E", "-E (ignores PYTHONPATH) skips the start-up hook"),
        (f"#!/usr/bin/env -S -i {sys.executable}", "env -i empties the environment"),
    ],
)
def test_run_refuses_a_script_whose_interpreter_skips_the_hook(
    state_paths: StatePaths, tmp_path: Path, shebang: str, reason: str
) -> None:
    script = tmp_path / "app.py"
    script.write_text(f"{shebang}\n{CLEAN}")
    script.chmod(0o755)
    done = fipscheck("run", "--", str(script), FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert (done.returncode, done.stdout) == (3, "")
    assert reason in done.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["env", "-i", sys.executable, "-c", CLEAN],
        ["env", "--ignore-environment", sys.executable, "-c", CLEAN],
        ["env", "-u", "PYTHONPATH", sys.executable, "-c", CLEAN],
        ["env", "PYTHONPATH=/nowhere", sys.executable, "-c", CLEAN],
    ],
)
def test_run_refuses_env_that_removes_the_hook(state_paths: StatePaths, command: list[str]) -> None:
    done = fipscheck("run", "--", *command, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert (done.returncode, done.stdout) == (3, "")
    assert "PYTHONPATH" in done.stderr


def test_run_accepts_python_options_and_scripts_that_keep_the_hook(
    state_paths: StatePaths, tmp_path: Path
) -> None:
    script = tmp_path / "app.py"
    script.write_text(f"#!/usr/bin/env -S {sys.executable} -s -X utf8\n{CLEAN}")
    script.chmod(0o755)
    for command in (
        [sys.executable, "-s", "-W", "ignore", "-X", "utf8", "-bc", CLEAN],
        [str(script)],
        ["env", "LANG=C", sys.executable, "-c", CLEAN],
    ):
        done = fipscheck("run", "--", *command, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
        assert (done.returncode, done.stderr, done.stdout) == (0, "", "fips md5 refused\n"), command


def test_run_unknown_command() -> None:
    done = cli("run", "--", "/nonexistent/program")  # nothing to start: safe in this process
    assert done.returncode == 127
    assert "cannot run /nonexistent/program" in done.stderr


def test_every_command_has_help() -> None:
    for args in (
        ["--help"],
        ["status", "-h"],
        ["selftest", "-h"],
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
        done = cli(*args)
        assert done.returncode == 0
        assert "Usage: fipscheck" in done.stdout


def test_a_subcommand_imports_only_its_own_module(state_paths: StatePaths) -> None:
    report = run_json(
        """
        import contextlib, io, json, sys
        from fipscrypto.cli.main import main
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                main(["status", "--json", "--state-dir", sys.argv[1]])
            except SystemExit as exit:
                code = exit.code
        loaded = sorted(name for name in sys.modules if name.startswith("fipscrypto.cli."))
        print(json.dumps({"code": code, "state": json.loads(out.getvalue())["state"], "loaded": loaded}))
        """,
        str(state_paths.root),
    )
    assert (report["code"], report["state"]) == (0, "operational")
    assert report["loaded"] == [
        "fipscrypto.cli.exits",
        "fipscrypto.cli.main",
        "fipscrypto.cli.options",
        "fipscrypto.cli.status",
    ]


def test_every_subcommand_is_found_by_its_name() -> None:
    from fipscrypto.cli.main import main
    from fipscrypto.cli.policy import check

    ctx = click.Context(main)
    assert main.list_commands(ctx) == [
        "status",
        "provider",
        "run",
        "demo",
        "policy",
        "check",
        "selftest",
        "scan",
        "evidence",
        "report",
        "audit",
    ]
    assert all(main.get_command(ctx, name) is not None for name in main.list_commands(ctx))
    assert main.get_command(ctx, "check") is check
    assert main.get_command(ctx, "nonesuch") is None
    assert "No such command 'nonesuch'" in cli("nonesuch").stderr
