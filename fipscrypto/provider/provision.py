"""``fipscheck provider install`` and ``verify``: find or fetch the module, configure it, prove it."""

from __future__ import annotations

import datetime as dt
import glob
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import (
    ModuleMacMismatch,
    ModuleNotFound,
    ProviderLoadFailed,
    ProviderUnavailable,
)
from . import apt
from .config import file_sha256, fipsinstall_mac, module_mac, write_configs
from .load import REINSTALL, diagnose
from .probe import run_probe
from .state import ProviderRecord, StatePaths, read_record, write_record

__all__ = ["SYSTEM_MODULES", "Candidate", "diagnose", "find_module", "install", "verify"]

# Where distributions install the provider: Debian/Ubuntu (multiarch), RHEL/Fedora/SUSE.
SYSTEM_MODULES = (
    "/usr/lib/*/ossl-modules/fips.so",
    "/usr/lib64/ossl-modules/fips.so",
    "/usr/lib/ossl-modules/fips.so",
)


@dataclass(frozen=True)
class Candidate:
    path: Path
    source: str


def find_module(module: str | os.PathLike[str] | None, paths: StatePaths) -> Candidate | None:
    """The module to use: the named one, ``$OPENSSL_MODULES/fips.so``, a system one, or one fetched
    earlier into the state folder. None when there is none (the caller then fetches with apt)."""
    if module is not None:
        named = Path(module).expanduser()
        if named.is_dir():
            named = named / "fips.so"
        if not named.is_file():
            raise ModuleNotFound(
                f"no FIPS provider module at {named}",
                "pass the path of an OpenSSL 3 fips.so, or omit --module to search and fetch one",
            )
        return Candidate(named.resolve(), f"named: {named}")
    env_dir = os.environ.get("OPENSSL_MODULES")
    if env_dir and (Path(env_dir) / "fips.so").is_file():
        return Candidate((Path(env_dir) / "fips.so").resolve(), f"OPENSSL_MODULES: {env_dir}")
    for pattern in SYSTEM_MODULES:
        for hit in sorted(glob.glob(pattern)):
            return Candidate(Path(hit).resolve(), f"system: {hit}")
    fetched = paths.module_dir / "fips.so"
    record = read_record(paths)
    if fetched.is_file() and record is not None and record.source.startswith("apt:"):
        return Candidate(fetched, record.source)
    return None


def _probe(kind: str, path: Path, failure: str, remedy: str) -> dict[str, object]:
    """Run one probe (see probe.py); raise ProviderLoadFailed with its error when it fails."""
    found = run_probe(kind, path)
    if not found.get("ok"):
        detail = ": ".join(str(found[key]) for key in ("error_type", "error") if key in found)
        raise ProviderLoadFailed(f"{failure}: {detail}", f"{remedy}; {REINSTALL}")
    return found


def _identity(paths: StatePaths) -> dict[str, object]:
    return _probe(
        "identity",
        paths.openssl_cnf,
        "the provider did not load or failed its self-test",
        "the module is damaged or does not match this machine",
    )


def _prove_load(paths: StatePaths) -> dict[str, Any]:
    """Activate in a fresh interpreter; what its OpenSSL can negotiate (``Negotiable.as_dict()``)."""
    found = _probe(
        "load",
        paths.root,
        "cryptography could not use the provider",
        "check that the cryptography wheel's OpenSSL accepts this provider version",
    )
    negotiable: dict[str, Any] = found["tls_negotiable"]  # type: ignore[assignment]
    return negotiable


def install(
    module: str | os.PathLike[str] | None = None,
    state_dir: str | os.PathLike[str] | None = None,
    *,
    force: bool = False,
) -> ProviderRecord:
    """Provision the provider into the state folder and verify it; idempotent unless ``force``."""
    paths = StatePaths.resolve(state_dir)
    if not force and module is None and read_record(paths) is not None:
        try:
            return verify(paths.root)
        except ProviderUnavailable:
            pass  # provision again below
    candidate = find_module(module, paths)
    if candidate is None:
        fetched, source = apt.fetch_module(paths)
        candidate = Candidate(fetched, source)
    mac = module_mac(candidate.path)
    mac_source = "HMAC-SHA-256 (Python, fipsinstall-equivalent)"
    by_openssl = fipsinstall_mac(candidate.path)
    if by_openssl is not None:
        openssl_mac, openssl_version = by_openssl
        if openssl_mac != mac:
            raise ModuleMacMismatch(
                f"openssl fipsinstall computed module-mac {openssl_mac}, fipscrypto {mac}",
                "the system openssl uses a non-default MAC key; report this with 'openssl version -a'",
            )
        mac_source = f"openssl fipsinstall ({openssl_version}), cross-checked"
    paths.root.mkdir(parents=True, exist_ok=True)
    _copy_for_context(candidate.path, paths)
    write_configs(paths, candidate.path, mac)
    identity = _identity(paths)
    switches = identity.get("switches")
    record = ProviderRecord(
        module_path=str(candidate.path),
        module_sha256=file_sha256(candidate.path),
        module_mac=mac,
        mac_source=mac_source,
        source=candidate.source,
        name=str(identity["name"]),
        version=str(identity["version"]),
        buildinfo=str(identity["buildinfo"]),
        probe_libcrypto=str(identity["libcrypto"]),
        installed_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        fipscrypto_version=__version__,
        switches=tuple(sorted(switches)) if isinstance(switches, dict) else (),
    )
    write_record(paths, record)  # the load probe activates from the record
    try:
        record = record.replace(tls_negotiable=_prove_load(paths))
    except ProviderUnavailable:
        paths.record.unlink(missing_ok=True)  # never leave a provider recorded that did not load
        raise
    write_record(paths, record)
    return record


def _copy_for_context(module: Path, paths: StatePaths) -> None:
    """Write the copy of ``module`` that fipscrypto's private library context loads."""
    paths.module_dir.mkdir(parents=True, exist_ok=True)
    tmp = paths.context_module.with_suffix(f".{os.getpid()}.tmp")
    shutil.copyfile(module, tmp)
    tmp.replace(paths.context_module)


def verify(state_dir: str | os.PathLike[str] | None = None) -> ProviderRecord:
    """Re-check a provisioned provider: files, module MAC, identity, and a real load; raise on failure.
    The load measures again what cryptography's OpenSSL can negotiate, and the record keeps the answer
    (it changes when cryptography's OpenSSL is replaced)."""
    paths = StatePaths.resolve(state_dir)
    cause = diagnose(paths)
    if cause is not None:
        raise cause
    record = read_record(paths)
    if record is None:  # diagnose() checked; keeps the type checker informed
        raise ProviderUnavailable(f"no FIPS provider is provisioned in {paths.root}", REINSTALL)
    copy = paths.context_module
    if not copy.is_file() or file_sha256(copy) != record.module_sha256 or not record.switches:
        raise ProviderLoadFailed(
            f"the module copy for fipscrypto's private context ({copy}) is missing, differs from the "
            "provisioned module, or the record lists no provider switches",
            REINSTALL,
        )
    identity = _identity(paths)
    if identity["version"] != record.version:
        raise ProviderLoadFailed(
            f"the provider reports version {identity['version']}, recorded {record.version}",
            REINSTALL,
        )
    negotiable = _prove_load(paths)
    if negotiable != record.tls_negotiable:
        record = record.replace(tls_negotiable=negotiable)
        write_record(paths, record)
    return record
