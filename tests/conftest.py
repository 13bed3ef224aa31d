"""Activate fipscrypto in strict mode before anything else imports cryptography.

The whole suite runs against the real FIPS provider. If it cannot be provisioned or activated, the
suite fails here, at collection: it never skips and never falls back to a non-FIPS OpenSSL.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import fipscrypto
from fipscrypto.provider.provision import install
from fipscrypto.provider.state import StatePaths, read_record

_paths = StatePaths.resolve()
if read_record(_paths) is None:  # e.g. pytest run by hand before `make test` provisioned
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
