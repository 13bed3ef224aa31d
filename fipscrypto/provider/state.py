"""Where the provisioned provider lives, and what was recorded about it at install time.

The state folder holds ``openssl.cnf`` (what cryptography's OpenSSL reads), ``fipsmodule.cnf`` (the
module MAC), ``provider.json`` (the identity recorded when the provider was installed and verified),
``selftest-last.json`` (the last on-demand self-test run) and, when the module was fetched with apt,
``module/fips.so`` and the apt work folders. The two records are written and read here only.

Lookup order: an explicit argument, ``FIPSCRYPTO_STATE_DIR``, then ``<venv>/var/fipscrypto`` inside
a virtual environment, else ``$XDG_STATE_HOME/fipscrypto`` (``~/.local/state/fipscrypto``).
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

from .._record import Record

__all__ = [
    "ProviderRecord",
    "SelftestRun",
    "StatePaths",
    "default_state_dir",
    "read_record",
    "read_selftest_run",
    "writable_by_others",
    "write_record",
    "write_selftest_run",
]

STATE_ENV = "FIPSCRYPTO_STATE_DIR"


def default_state_dir() -> Path:
    """The state folder this process uses when none is named."""
    named = os.environ.get(STATE_ENV)
    if named:
        return Path(named).expanduser().resolve()
    if sys.prefix != sys.base_prefix:
        return Path(sys.prefix) / "var" / "fipscrypto"
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "fipscrypto"


class StatePaths(Record):
    """The files of one state folder."""

    __slots__ = _fields = ("root",)
    root: Path

    def __init__(self, root: Path) -> None:
        self._init(root)

    @classmethod
    def resolve(cls, state_dir: str | os.PathLike[str] | None = None) -> StatePaths:
        root = Path(state_dir).expanduser().resolve() if state_dir else default_state_dir()
        return cls(root)

    @property
    def openssl_cnf(self) -> Path:
        return self.root / "openssl.cnf"

    @property
    def fipsmodule_cnf(self) -> Path:
        return self.root / "fipsmodule.cnf"

    @property
    def record(self) -> Path:
        return self.root / "provider.json"

    @property
    def module_dir(self) -> Path:
        """Where a module fetched with apt is extracted to."""
        return self.root / "module"

    @property
    def context_module(self) -> Path:
        """The byte-identical copy of the module that fipscrypto's private library context loads
        (``fipscrypto.provider.context``): the original path is taken by cryptography's OpenSSL."""
        return self.module_dir / "fips-context.so"

    @property
    def apt_dir(self) -> Path:
        return self.root / "apt"

    @property
    def selftest_record(self) -> Path:
        """The last on-demand self-test run (``fipscheck selftest``), read by ``status``."""
        return self.root / "selftest-last.json"


class ProviderRecord(Record):
    """What ``fipscheck provider install`` established about the provider, read by ``status``."""

    __slots__ = _fields = (
        "module_path",
        "module_sha256",
        "module_mac",
        "mac_source",
        "source",
        "name",
        "version",
        "buildinfo",
        "probe_libcrypto",
        "installed_at",
        "fipscrypto_version",
        "switches",
        "tls_negotiable",
    )
    module_path: str
    module_sha256: str
    module_mac: str
    mac_source: str
    source: str
    name: str
    version: str
    buildinfo: str
    probe_libcrypto: str
    installed_at: str
    fipscrypto_version: str
    # The provider's switches (its integer parameters but "status"), as it reported them at install:
    # strict mode sets every one of them. Empty in a record written before they were recorded.
    switches: tuple[str, ...]
    # What cryptography's OpenSSL with this provider can negotiate (policy.compile.Negotiable.as_dict()),
    # measured by the load probe; None in a record written before fipscrypto measured it.
    tls_negotiable: dict[str, Any] | None

    def __init__(
        self,
        module_path: str,
        module_sha256: str,
        module_mac: str,
        mac_source: str,
        source: str,
        name: str,
        version: str,
        buildinfo: str,
        probe_libcrypto: str,
        installed_at: str,
        fipscrypto_version: str,
        switches: tuple[str, ...] = (),
        tls_negotiable: dict[str, Any] | None = None,
    ) -> None:
        self._init(
            module_path,
            module_sha256,
            module_mac,
            mac_source,
            source,
            name,
            version,
            buildinfo,
            probe_libcrypto,
            installed_at,
            fipscrypto_version,
            tuple(str(switch) for switch in switches),
            tls_negotiable,
        )

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, sort_keys=True) + "\n"


def write_record(paths: StatePaths, record: ProviderRecord) -> None:
    tmp = paths.record.with_suffix(".tmp")
    tmp.write_text(record.to_json(), encoding="utf-8")
    tmp.replace(paths.record)


def read_record(paths: StatePaths) -> ProviderRecord | None:
    """The recorded identity, or None when the folder was never provisioned or the record is unreadable."""
    try:
        data = json.loads(paths.record.read_text(encoding="utf-8"))
        return ProviderRecord(**data)
    except (OSError, ValueError, TypeError):
        return None


class SelftestRun(Record):
    """One on-demand self-test run (``fipscheck selftest``), kept for ``fipscheck status``."""

    __slots__ = _fields = (
        "time",
        "family",
        "passed",
        "count",
        "failed",
        "total_ms",
        "state",
        "activation_error",
        "results",
    )

    time: str  # UTC, ISO 8601 to the second
    family: str | None  # the one family run, or None for all
    passed: bool  # at least one test ran and every test passed
    count: int
    failed: tuple[str, ...]  # the names of the tests that failed
    total_ms: float
    state: str  # the module's state after the run
    activation_error: str | None  # why the module did not activate before the run, if it did not
    results: tuple[dict[str, Any], ...]  # one row per test: name, family, result, ms, detail

    def __init__(
        self,
        time: str,
        family: str | None,
        passed: bool,
        count: int,
        failed: tuple[str, ...],
        total_ms: float,
        state: str,
        activation_error: str | None,
        results: tuple[dict[str, Any], ...],
    ) -> None:
        self._init(
            time,
            family,
            passed,
            count,
            tuple(str(name) for name in failed),
            total_ms,
            state,
            activation_error,
            tuple(dict(row) for row in results),
        )

    def as_dict(self) -> dict[str, Any]:
        """The run as JSON data (``fipscheck selftest --json`` prints it)."""
        return super().as_dict() | {"failed": list(self.failed), "results": [dict(r) for r in self.results]}

    def summary(self) -> dict[str, Any]:
        """What ``status`` reports of the run: everything but the per-test rows and the state."""
        return {key: value for key, value in self.as_dict().items() if key in _SUMMARY}


_SUMMARY = ("time", "family", "passed", "count", "failed", "total_ms")


def write_selftest_run(paths: StatePaths, run: SelftestRun) -> None:
    """Keep the run in the state folder; a read-only folder only loses the record (OSError ignored)."""
    tmp = paths.selftest_record.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(run.as_dict(), indent=2) + "\n", encoding="utf-8")
        tmp.replace(paths.selftest_record)
    except OSError:
        return


def read_selftest_run(paths: StatePaths) -> SelftestRun | None:
    """The last run recorded, or None when there is none or the record is unreadable."""
    try:
        data = json.loads(paths.selftest_record.read_text(encoding="utf-8"))
        return SelftestRun(**data)
    except (OSError, ValueError, TypeError):
        return None


def writable_by_others(paths: StatePaths, record: ProviderRecord | None, *extra: Path) -> list[str]:
    """The files and folders the provider's integrity rests on that any user may write (o+w; a folder
    with the sticky bit, such as /tmp, lets others add files but not replace these, and passes).

    Whoever can write them can put another module in place together with a matching module-mac (the
    MAC key is public), so strict mode refuses to activate on them and ``status`` reports them."""
    module = [Path(record.module_path), Path(record.module_path).parent] if record else []
    candidates = [
        paths.root,
        paths.root / "runtime",
        paths.module_dir,
        paths.context_module,
        paths.fipsmodule_cnf,
        paths.openssl_cnf,
        paths.record,
        *module,
        *extra,
    ]
    found = []
    for path in dict.fromkeys(candidates):
        try:
            mode = path.stat().st_mode
        except OSError:
            continue
        if mode & stat.S_IWOTH and not (stat.S_ISDIR(mode) and mode & stat.S_ISVTX):
            found.append(str(path))
    return found
