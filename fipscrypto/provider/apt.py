"""Fetch Debian trixie's ``openssl-provider-fips`` with apt, without installing it.

The mirror is the one this machine's apt is already configured with: read from the system's sources
(one-line ``*.list`` and deb822 ``*.sources``), never written into the code. apt verifies the release
signature with the keyring the system source names, then downloads the package into a private
index kept inside the state folder; ``dpkg-deb -x`` unpacks it there. Nothing on the system changes.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import AptUnavailable
from .state import StatePaths

__all__ = ["PACKAGE", "SUITE", "AptSource", "debian_mirror", "fetch_module", "system_sources"]

PACKAGE = "openssl-provider-fips"
# Debian 13: its openssl source package builds the FIPS provider as a separate binary package.
SUITE = "trixie"

_DEBIAN_SUITES = frozenset(
    {"buster", "bullseye", "bookworm", "trixie", "forky", "duke", "sid"}
    | {"oldoldstable", "oldstable", "stable", "testing", "unstable"}
)
_FALLBACK = "install openssl-provider-fips (or another OpenSSL 3 FIPS provider) and pass --module PATH"


@dataclass(frozen=True)
class AptSource:
    """One ``deb`` entry of the system's apt configuration."""

    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]
    signed_by: str | None


def _parse_one_line(text: str) -> list[AptSource]:
    found = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        words = line.split()[1:]
        options: dict[str, str] = {}
        if words and words[0].startswith("["):
            opts = []
            while words:
                opts.append(words.pop(0))
                if opts[-1].endswith("]"):
                    break
            for opt in " ".join(opts).strip("[]").split():
                key, _, value = opt.partition("=")
                options[key] = value
        if len(words) >= 2:
            found.append(AptSource(words[0], (words[1],), tuple(words[2:]), options.get("signed-by")))
    return found


def _parse_deb822(text: str) -> list[AptSource]:
    found = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        for raw in stanza.splitlines():
            if raw.startswith("#"):
                continue
            if raw[:1] in (" ", "\t") and key:
                # continuation line (e.g. an inline Signed-By key block); "." stands for a blank line
                fields[key] += "\n" + ("" if raw.strip() == "." else raw.strip())
                continue
            name, sep, value = raw.partition(":")
            key = name.strip().lower() if sep else ""  # a line that is not a field ends the field
            if key:
                fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes") == "no":
            continue
        for uri in fields.get("uris", "").split():
            found.append(
                AptSource(
                    uri,
                    tuple(fields.get("suites", "").split()),
                    tuple(fields.get("components", "").split()),
                    fields.get("signed-by") or None,
                )
            )
    return found


def system_sources(apt_etc: Path = Path("/etc/apt")) -> list[AptSource]:
    """Every ``deb`` source configured on this machine, in apt's reading order."""
    found: list[AptSource] = []
    main = apt_etc / "sources.list"
    if main.is_file():
        found += _parse_one_line(main.read_text(encoding="utf-8", errors="replace"))
    parts = apt_etc / "sources.list.d"
    if parts.is_dir():
        for part in sorted(parts.iterdir()):
            if part.suffix == ".list":
                found += _parse_one_line(part.read_text(encoding="utf-8", errors="replace"))
            elif part.suffix == ".sources":
                found += _parse_deb822(part.read_text(encoding="utf-8", errors="replace"))
    return found


def debian_mirror(sources: list[AptSource]) -> AptSource:
    """The first configured Debian archive mirror (a release suite with ``main``)."""
    for source in sources:
        if any(s in _DEBIAN_SUITES for s in source.suites) and "main" in source.components:
            return source
    raise AptUnavailable("no Debian archive mirror is configured in this machine's apt sources", _FALLBACK)


def _run(cmd: list[str], what: str, cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AptUnavailable(f"{what} failed: {exc}", _FALLBACK) from exc
    if done.returncode != 0:
        tail = " / ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise AptUnavailable(f"{what} failed (exit {done.returncode}): {tail}", _FALLBACK)
    return done.stdout


def fetch_module(paths: StatePaths, apt_etc: Path = Path("/etc/apt")) -> tuple[Path, str]:
    """Download and unpack the provider package; return the path of its fips.so and a description."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise AptUnavailable("apt-get and dpkg-deb are needed to fetch the provider", _FALLBACK)
    mirror = debian_mirror(system_sources(apt_etc))
    work = paths.apt_dir
    for sub in ("lists/partial", "archives/partial", "sources.d", "preferences.d", "deb"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    signed_by = mirror.signed_by
    if signed_by and "\n" in signed_by:  # inline key block in a deb822 source
        (work / "keyring.asc").write_text(signed_by + "\n", encoding="utf-8")
        signed_by = str(work / "keyring.asc")
    option = f"[signed-by={signed_by}] " if signed_by else ""
    (work / "sources.list").write_text(f"deb {option}{mirror.uri} {SUITE} main\n", encoding="utf-8")
    apt_options = [
        f"-oDir::Etc::SourceList={work / 'sources.list'}",
        f"-oDir::Etc::SourceParts={work / 'sources.d'}",
        f"-oDir::Etc::PreferencesParts={work / 'preferences.d'}",
        "-oDir::Etc::Preferences=/dev/null",
        f"-oDir::State::Lists={work / 'lists'}",
        f"-oDir::Cache::Archives={work / 'archives'}",
        f"-oDir::Cache={work}",
        "-oDir::State::status=/dev/null",
        "-oDebug::NoLocking=1",
        "-oAcquire::Languages=none",
        "-oAPT::Sandbox::User=root",
        "-qq",
    ]
    _run(["apt-get", *apt_options, "update"], f"apt-get update ({mirror.uri} {SUITE})")
    deb_dir = work / "deb"
    for old in deb_dir.glob("*.deb"):
        old.unlink()
    _run(["apt-get", *apt_options, "download", PACKAGE], f"apt-get download {PACKAGE}", deb_dir)
    debs = sorted(deb_dir.glob(f"{PACKAGE}_*.deb"))
    if not debs:
        raise AptUnavailable(f"apt-get download {PACKAGE} produced no package", _FALLBACK)
    deb = debs[-1]
    version = _run(["dpkg-deb", "-f", str(deb), "Version"], "dpkg-deb -f").strip()
    unpacked = work / "unpacked"
    shutil.rmtree(unpacked, ignore_errors=True)
    _run(["dpkg-deb", "-x", str(deb), str(unpacked)], f"dpkg-deb -x {deb.name}")
    modules = sorted(unpacked.glob("usr/lib/*/ossl-modules/fips.so"))
    if not modules:
        raise AptUnavailable(f"{deb.name} holds no ossl-modules/fips.so", _FALLBACK)
    paths.module_dir.mkdir(parents=True, exist_ok=True)
    target = paths.module_dir / "fips.so"
    shutil.copyfile(modules[0], target)
    shutil.rmtree(unpacked, ignore_errors=True)
    return target, f"apt: {PACKAGE} {version} ({mirror.uri} {SUITE})"
