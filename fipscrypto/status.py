"""What ``fipscheck status`` reports: mode, state, provider identity and the two separate verdicts."""

from __future__ import annotations

import importlib
import json
import os
import ssl
from pathlib import Path
from typing import Any

from . import cmvp, module
from .errors import FipsError, PolicyError, ProviderUnavailable
from .policy import current
from .provider.config import file_sha256
from .provider.state import ProviderRecord, StatePaths, read_record

__all__ = ["EXIT_OK", "EXIT_UNAVAILABLE", "collect"]

EXIT_OK = 0
EXIT_UNAVAILABLE = 3  # provider missing, module in ERROR, or FIPS mode off

_BOUNDARY_NOTE = (
    "inside: cryptography (its bundled OpenSSL) with the FIPS provider; outside: the standard "
    "library's hashlib and ssl, which use the system libcrypto and do not load the FIPS provider"
)


def _file_sha256(path: Path) -> str | None:
    try:
        return file_sha256(path)
    except OSError:
        return None


def _policy() -> dict[str, Any]:
    """The active allowlist policy: its name, title, layers and whether it is a draft."""
    try:
        active = current()
    except PolicyError as exc:
        return {"error": str(exc)}
    return {
        "name": active.name,
        "title": active.title,
        "draft": active.draft,
        "layers": [layer.name for layer in active.layers()],
    }


def _tls(record: ProviderRecord | None) -> dict[str, Any] | None:
    """The suites the active policy accepts that this process's TLS endpoints do not offer, because
    cryptography's OpenSSL cannot negotiate them (with its reason); and whether the process-wide
    section was compiled from the same measurement (``fipscheck provider install`` records it)."""
    from .policy.compile import tls_settings
    from .tls.openssl import capability

    try:
        active = current()
    except PolicyError:
        return None
    measured = capability()
    return {
        "not_offered": [
            {"suite": name, "reason": why}
            for name, why in tls_settings(active, negotiable=measured).not_offered
        ],
        "section_measured_alike": record is not None and record.tls_negotiable == measured.as_dict(),
    }


def _last_selftest_run(paths: StatePaths) -> dict[str, Any] | None:
    """The summary of the last ``fipscheck selftest`` run recorded in the state folder."""
    try:
        data = json.loads(paths.selftest_record.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {key: data.get(key) for key in ("time", "family", "passed", "count", "failed", "total_ms")}


def collect(
    mode: str | None = None, state_dir: str | os.PathLike[str] | None = None
) -> tuple[dict[str, Any], int]:
    """Activate (if not yet active) and report; returns the report and the exit code."""
    error: dict[str, str] | None = None
    try:
        module.activate(mode, state_dir=state_dir)
    except FipsError as exc:
        error = {"type": type(exc).__name__, "message": str(exc).splitlines()[0]}
        if isinstance(exc, ProviderUnavailable):
            error["remedy"] = exc.remedy
    info = module.info()
    paths = StatePaths.resolve(info.state_dir)
    record = read_record(paths)
    fips_enabled = False
    cryptography_openssl = None
    if info.bindings is not None:  # booted: the backend can be imported without side effects
        backend = importlib.import_module("fipscrypto._backend")
        fips_enabled = backend.fips_enabled()
        cryptography_openssl = backend.openssl_version()
    provider: dict[str, Any] | None = None
    if record is not None:
        now = _file_sha256(Path(record.module_path))
        provider = {
            "name": record.name,
            "version": record.version,
            "buildinfo": record.buildinfo,
            "module_path": record.module_path,
            "module_sha256": now,
            "module_unchanged": now == record.module_sha256,
            "module_mac_source": record.mac_source,
            "source": record.source,
            "installed_at": record.installed_at,
            "cmvp": cmvp.verdict(record.name, record.version).as_dict(),
        }
    active = _policy()
    operational = info.state is module.State.OPERATIONAL
    # cryptography's flag alone proves nothing; the provider is proven once the power-on tests passed.
    proven = operational and info.mode is not module.Mode.OFF and fips_enabled
    report: dict[str, Any] = {
        "mode": info.mode.value if info.mode else (mode or os.environ.get(module.MODE_ENV, "strict")),
        "state": info.state.value,
        "operational": operational,
        "fips_enabled": fips_enabled,
        "provider_proven": proven,
        "provider_loaded_by": info.bindings,
        "error": error or ({"type": "ModuleErrorState", "message": info.error} if info.error else None),
        "state_dir": info.state_dir,
        "provider": provider,
        "policy": active,
        "selftests_ms": info.selftests_ms,
        "selftest_last_run": _last_selftest_run(paths),
        "openssl": {"cryptography": cryptography_openssl, "stdlib": ssl.OPENSSL_VERSION},
        "tls": _tls(record) if proven else None,
        "boundary": _BOUNDARY_NOTE,
    }
    return report, EXIT_OK if proven else EXIT_UNAVAILABLE
