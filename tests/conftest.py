"""Activate fipscrypto in strict mode before anything else imports cryptography.

The whole suite runs against the real FIPS provider. If it cannot be provisioned or activated, the
suite fails here, at collection: it never skips and never falls back to a non-FIPS OpenSSL.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import fipscrypto
from fipscrypto import audit
from fipscrypto.provider.provision import install
from fipscrypto.provider.state import StatePaths, read_record

if TYPE_CHECKING:
    from tlslib import Issued, Pki

_paths = StatePaths.resolve()
_record = read_record(_paths)
# Not provisioned (pytest run by hand before `make test`), or provisioned before the provider record
# kept what cryptography's OpenSSL can negotiate: install (again), which measures it.
if _record is None or _record.tls_negotiable is None:
    install(state_dir=_paths.root)
fipscrypto.activate("strict", state_dir=_paths.root)


@pytest.fixture(scope="session")
def state_paths() -> StatePaths:
    """The provisioned state folder this test process is running on."""
    return _paths


@pytest.fixture(scope="session")
def module_path(state_paths: StatePaths) -> Path:
    record = read_record(state_paths)
    assert record is not None
    return Path(record.module_path)


@pytest.fixture
def own_state(tmp_path: Path, module_path: Path) -> StatePaths:
    """A private state folder provisioned from a private copy of the module (safe to corrupt)."""
    copy = tmp_path / "ossl-modules" / "fips.so"
    copy.parent.mkdir()
    shutil.copyfile(module_path, copy)
    paths = StatePaths.resolve(tmp_path / "state")
    install(module=copy, state_dir=paths.root)
    return paths


REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class BuiltWheel:
    wheel: Path
    log: str  # pip's and the build backend's output (pip -v)


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> BuiltWheel:
    """The wheel built from a copy of the checkout's release files, as a release build makes it: with
    build isolation (setuptools from the configured index) and no files a checkout adds."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        shutil.copyfile(REPO / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "integrity.json")
    for folder in ("fipscrypto", "selftests", "pqc", "cli"):
        shutil.copytree(REPO / folder, source / folder, ignore=ignore)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(tmp / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (tmp / "dist").glob("fipscrypto-*.whl")
    return BuiltWheel(wheel, built.stdout + built.stderr)


# Shared by the TLS tests (module scope: one CA and its certificates per test file) and the key tests.
@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    from tlslib import Pki  # after activation: tlslib imports fipscrypto.tls

    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def server_cert(pki: Pki) -> Issued:
    return pki.issue("localhost", eku=("server",))


@pytest.fixture(scope="module")
def client_cert(pki: Pki) -> Issued:
    return pki.issue("sip client", eku=("client",), sans=())


@pytest.fixture
def events() -> Iterator[list[audit.Event]]:
    """The audit events emitted during one test."""
    seen: list[audit.Event] = []
    audit.subscribe(seen.append)
    yield seen
    audit.unsubscribe(seen.append)
