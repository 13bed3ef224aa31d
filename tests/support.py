"""Helpers for tests that need a fresh interpreter: activation happens once per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

VENV_BIN = Path(sys.executable).parent
# The end of a script (for run_json) that defines side(): it is called in the parent and in a forked
# child, whose result comes back through a pipe; ``parent`` and ``child`` hold them after. The script
# imports json and os.
BOTH_SIDES_OF_A_FORK = """
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(write, json.dumps(side()).encode())
    os._exit(0)
os.close(write)
parent = side()
child = json.loads(b"".join(iter(lambda: os.read(read, 65536), b"")))
os.waitpid(pid, 0)
"""


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without fipscrypto and OpenSSL settings, plus ``extra``."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("FIPSCRYPTO_", "OPENSSL_", "CRYPTOGRAPHY_"))
    }
    env.update(extra)
    return env


def run_python(code: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        env=clean_env(**env),
        timeout=120,
        check=False,
    )


def run_json(code: str, *args: str, **env: str) -> dict[str, Any]:
    """Run code that prints one JSON object as its last line; fail with its stderr otherwise."""
    done = run_python(code, *args, **env)
    lines = done.stdout.strip().splitlines()
    assert lines, f"no output (exit {done.returncode}): {done.stderr}"
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def run_script_json(script: Path, *args: str, timeout: float, **env: str) -> Any:
    """Run a script (a test helper, a documented example) in a fresh interpreter, its own folder as
    the working directory and ``env`` added to the clean environment, that prints its result as JSON
    on its last line; fail with its exit status and stderr otherwise."""
    done = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=clean_env(**env),
        cwd=script.parent,
        timeout=timeout,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    failed = f"{script.name} failed (exit {done.returncode}): {done.stderr[-3000:]}"
    assert done.returncode == 0, failed
    assert lines, failed
    return json.loads(lines[-1])


def fipscheck(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "fipscheck"), *args],
        capture_output=True,
        text=True,
        env=clean_env(**env),
        timeout=300,
        check=False,
    )


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``fipscheck ARGS`` in this process (click's runner), for commands that need no fresh interpreter:
    those that activate nothing, or activate as this process did (strict mode, the session's folder).

    As with :func:`fipscheck`, no policy is named in the environment but in ``env``; the result has
    the fields of :func:`fipscheck`'s, so a test reads both alike. An exception a command lets escape
    fails the test (a console script would print a traceback).
    """
    from click.testing import CliRunner

    from fipscrypto.cli import main

    result = CliRunner().invoke(
        main,
        list(args),
        prog_name="fipscheck",
        env={"FIPSCRYPTO_POLICY": None, **env},
        catch_exceptions=False,
    )
    return subprocess.CompletedProcess(["fipscheck", *args], result.exit_code, result.stdout, result.stderr)


SARIF_SCHEMA = Path(__file__).parent / "vectors" / "sarif" / "sarif-schema-2.1.0.json"


def assert_valid_sarif(document: Any) -> None:
    """Fail unless ``document`` is valid against the OASIS SARIF 2.1.0 JSON schema (errata 01, shipped in
    tests/vectors/sarif; tests/vectors/SOURCES.md says where it came from)."""
    from jsonschema import Draft4Validator

    validator = Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]
    assert not errors, "\n".join(errors[:20])
