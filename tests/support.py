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


def fipscheck(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "fipscheck"), *args],
        capture_output=True,
        text=True,
        env=clean_env(**env),
        timeout=300,
        check=False,
    )
