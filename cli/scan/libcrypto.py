"""The OpenSSL copies in the running Python environment, and which of them
can hold the FIPS boundary.

The boundary is the FIPS provider loaded into cryptography's own OpenSSL (docs/activation.md, "The
FIPS boundary in a Python process"); every other libcrypto the environment carries computes outside
it. A distribution carries its own copy when one of its shared objects holds OpenSSL's version text
(``OpenSSL 3.0.13 30 Jan 2024``, compiled into libcrypto by ``crypto/cversion.c``): a bundled
``*.libs/libcrypto*.so*`` or a static link into an extension. One that only needs a shared libcrypto
(``OPENSSL_3.0.0`` symbol versions, a ``libcrypto.so`` dependency) uses the system's. Files are
read through ``mmap``: memory stays bounded whatever their size.

Whether a copy can load the FIPS provider: providers exist from OpenSSL 3.0 on, and a FIPS provider
3.x loads into a libcrypto 3.x; for other distributions' copies that is inferred from the versions
(said as "not measured"); for cryptography's it is measured by activating fipscrypto against the
state folder in a fresh interpreter, as ``fipscheck provider verify`` does.
"""

from __future__ import annotations

import _hashlib
import mmap
import re
import ssl
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from fipscrypto.errors import ProviderUnavailable
from fipscrypto.provider.load import require_record
from fipscrypto.provider.probe import run_probe
from fipscrypto.provider.state import StatePaths

from .model import Location, Misuse, Skipped

__all__ = ["BOUNDARY", "MAX_BYTES", "SCANNER", "scan_env"]

SCANNER = "env"
MAX_BYTES = 1 << 30  # a larger shared object is reported as skipped
BOUNDARY = (
    "FIPS 140-3 (ISO/IEC 19790:2012 §7.2.4): approved services run inside the module boundary; here "
    "the FIPS provider in cryptography's OpenSSL (docs/activation.md)"
)
_BINARY = re.compile(r"\.(so(\.\d+)*|dylib|pyd|dll)$")
# OpenSSL_version(OPENSSL_VERSION) text: "OpenSSL 3.0.13 30 Jan 2024", "OpenSSL 1.1.1w  11 Sep 2023"
_VERSION = re.compile(rb"OpenSSL (\d+)\.(\d+)\.(\d+[a-z]?)(?:-[\w.]+)? {1,2}\d{1,2} [A-Z][a-z]{2} \d{4}")
_LINKED = re.compile(rb"OPENSSL_[13]\.\d+\.\d+|libcrypto\.so")


def scan_env(state_dir: str | None = None) -> tuple[list[Misuse | Skipped], int]:
    """What the environment carries, and how many things were checked (distributions and the stdlib)."""
    found: list[Misuse | Skipped] = [_stdlib()]
    checked = 1
    for name, dist in _distributions():
        files = dist.files
        if files is None:
            found.append(
                Skipped(Location(f"{name} (distribution)"), "unreadable: it lists no files (no RECORD)")
            )
            continue
        checked += 1
        binaries = sorted(Path(str(dist.locate_file(f))) for f in files if _BINARY.search(f.name))
        found.extend(_distribution(name, binaries, state_dir))
    return found, checked


def _distributions() -> Iterator[tuple[str, metadata.Distribution]]:
    """Each installed distribution once (the first on sys.path wins, as for imports), by name."""
    seen: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name and name not in seen:
            seen[name] = dist
    yield from sorted(seen.items())


def _distribution(name: str, binaries: list[Path], state_dir: str | None) -> list[Misuse | Skipped]:
    found: list[Misuse | Skipped] = []
    linked: list[Path] = []
    for path in binaries:
        try:
            version, links = _read(path)
        except OSError as exc:
            found.append(Skipped(Location(str(path)), f"unreadable: {exc.strerror or exc}"))
            continue
        if isinstance(version, Skipped):
            found.append(version)
        elif version is not None:
            own = (
                _cryptography(path, version, state_dir)
                if name == "cryptography"
                else _own(name, path, version)
            )
            found.append(own)
        elif links:
            linked.append(path)
    if linked and not any(isinstance(item, Misuse) for item in found):
        found.append(
            Misuse(
                Location(str(linked[0])),
                "env.links-libcrypto",
                f"{name} links a shared libcrypto (the system's, or one on the library path): outside the "
                "FIPS boundary",
                BOUNDARY,
                SCANNER,
                "note",
                ", ".join(p.name for p in linked),
            )
        )
    return found


def _read(path: Path) -> tuple[tuple[int, int, str] | Skipped | None, bool]:
    """The OpenSSL version compiled into ``path`` (major, minor, rest), and whether it links one."""
    with path.open("rb") as f:
        size = path.stat().st_size
        if size == 0:
            return None, False
        if size > MAX_BYTES:
            return Skipped(Location(str(path)), f"too large: {size} bytes (limit {MAX_BYTES})"), False
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            match = _VERSION.search(data)
            if match is not None:
                return (int(match[1]), int(match[2]), match[3].decode()), True
            return None, _LINKED.search(data) is not None


def _text(version: tuple[int, int, str]) -> str:
    return ".".join(str(part) for part in version)


def _own(name: str, path: Path, version: tuple[int, int, str]) -> Misuse:
    if version[0] >= 3:
        return Misuse(
            Location(str(path)),
            "env.own-libcrypto",
            f"{name} carries its own OpenSSL {_text(version)}, outside the FIPS boundary; as OpenSSL 3.0 or "
            "later it could load the FIPS provider 3.x (inferred from the version, not measured), but "
            "fipscrypto does not load it there",
            BOUNDARY,
            SCANNER,
            "warning",
            f"OpenSSL {_text(version)}",
        )
    return Misuse(
        Location(str(path)),
        "env.own-libcrypto-no-provider",
        f"{name} carries its own OpenSSL {_text(version)}, which cannot load any FIPS provider "
        "(providers need OpenSSL 3.0 or later): whatever it computes is outside any FIPS boundary",
        BOUNDARY,
        SCANNER,
        "error",
        f"OpenSSL {_text(version)}",
    )


def _cryptography(path: Path, version: tuple[int, int, str], state_dir: str | None) -> Misuse | Skipped:
    """cryptography's own OpenSSL, measured: fipscrypto activated against the state folder in a fresh
    interpreter (the provider must load and report FIPS mode enabled)."""
    paths = StatePaths.resolve(state_dir)
    try:
        record = require_record(paths)
    except ProviderUnavailable as exc:
        return Skipped(Location(str(path)), f"provider missing: {exc.message}")
    probe = run_probe("load", paths.root)
    provider = f"FIPS provider {record.name} {record.version}"
    if probe.get("ok") and probe.get("fips_enabled"):
        return Misuse(
            Location(str(path)),
            "env.boundary",
            f"cryptography's own OpenSSL {_text(version)} loads the {provider} (measured: fipscrypto "
            "activated in a fresh interpreter): the FIPS boundary",
            BOUNDARY,
            SCANNER,
            "note",
            f"{probe.get('openssl', '')}; {provider}",
        )
    return Misuse(
        Location(str(path)),
        "env.fips-provider-not-loaded",
        f"cryptography's own OpenSSL {_text(version)} did not load the {provider}: "
        f"{probe.get('error', 'FIPS mode is not enabled')}",
        BOUNDARY,
        SCANNER,
        "error",
        f"OpenSSL {_text(version)}; {provider}",
    )


def _stdlib() -> Misuse:
    fips = "on" if _hashlib.get_fips_mode() else "off"
    return Misuse(
        Location(str(Path(ssl.__file__).parent / "ssl.py")),
        "env.stdlib-openssl",
        f"the standard library's ssl and hashlib use {ssl.OPENSSL_VERSION} (the system libcrypto, its own "
        f"configuration, FIPS mode {fips}): outside the FIPS boundary",
        BOUNDARY,
        SCANNER,
        "note",
        ssl.OPENSSL_VERSION,
    )
