"""The software integrity test (FIPS 140-3 IG 10.3.A / ISO 19790 7.10.2): power-on test "integrity".

Three checks, in order, each an HMAC-SHA-256 computed by the FIPS provider (whose HMAC-SHA-256
known-answer test runs just before this one):

1. the tag of the manifest ``fipscrypto/integrity.json``;
2. every installed file of ``fipscrypto``, ``fipscrypto.selftests``, ``fipscrypto.pqc`` and
   ``fipscrypto.cli`` against the manifest: a changed, missing or extra file fails the test. Files are
   named by their installed path (``fipscrypto/selftests/registry.py``), the same in a wheel and in
   the editable checkout (where those packages live in ``selftests/``, ``pqc/``, ``cli/``);
   ``__pycache__`` folders and ``*.pyc`` are not covered;
3. the provider module ``fips.so`` this process loaded (the ``module`` of the state folder's
   ``fipsmodule.cnf``) against that file's ``module-mac``, under OpenSSL's default FIPS key.

The manifest's key, :data:`KEY`, is a published constant, like OpenSSL's default FIPS module key: the
test detects modification and corruption, not an attacker who can write the files, since such an
attacker can also re-seal the manifest.

The manifest is written at build time: by the wheel's build hook (``setup.py``, into ``build_lib``) and
by ``make`` in a checkout. By hand: ``python -m fipscrypto.selftests.integrity write [--root DIR]``
(this imports the package, whose provider tests boot the provider: a provisioned state folder is
needed), or ``python -P selftests/integrity.py write`` in a checkout (no provider). The writer uses
the stdlib's ``hmac``; only the power-on check uses the provider. Module level is stdlib only, so
the build hook can load this file by path, without fipscrypto or cryptography.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fipscrypto.provider.state import StatePaths

__all__ = [
    "FORMAT",
    "KEY",
    "MANIFEST",
    "PACKAGES",
    "check_files",
    "check_provider_module",
    "installed_files",
    "integrity_test",
    "main",
    "manifest_path",
    "provider_hmac",
    "stdlib_hmac",
    "write_manifest",
]

NAME = "integrity"
FORMAT = 1
# Public by design (see the module docstring); changing it is a format change.
KEY = b"fipscrypto software integrity manifest, format 1"
MANIFEST = "fipscrypto/integrity.json"
PACKAGES = ("fipscrypto", "fipscrypto.selftests", "fipscrypto.pqc", "fipscrypto.cli")
_REMEDY = "reinstall fipscrypto; in a checkout: make manifest, or python -P selftests/integrity.py write"
_CHUNK = 1 << 20
_MODULE_LINE = re.compile(r"^\s*module\s*=\s*(.+?)\s*$", re.MULTILINE)

# HMAC-SHA-256 of a key and a sequence of chunks.
Mac = Callable[[bytes, Iterable[bytes]], bytes]


def stdlib_hmac(key: bytes, chunks: Iterable[bytes]) -> bytes:
    """The writer's HMAC (build time, outside the module)."""
    h = hmac.new(key, digestmod=hashlib.sha256)
    for chunk in chunks:
        h.update(chunk)
    return h.digest()


def provider_hmac(key: bytes, chunks: Iterable[bytes]) -> bytes:
    """The verifier's HMAC: the FIPS provider, through the backend."""
    from fipscrypto._backend.hashes import hmac_object  # importing _backend boots the module

    h = hmac_object("sha256", key)
    for chunk in chunks:
        h.update(chunk)
    return h.finalize()


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            yield chunk


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _unhex(text: object) -> bytes:
    try:
        return bytes.fromhex(text) if isinstance(text, str) else b""
    except ValueError:
        return b""


def _package_roots(base: Path | None) -> list[tuple[str, Path]]:
    """(installed path prefix, folder) of each package: under ``base`` (wheel layout) or as imported."""
    roots = []
    for package in PACKAGES:
        prefix = package.replace(".", "/")
        if base is not None:
            roots.append((prefix, base / prefix))
            continue
        spec = importlib.util.find_spec(package)
        locations = (spec.submodule_search_locations if spec else None) or []
        roots.extend((prefix, Path(location)) for location in locations)
    # Outer packages first: when a root lies inside another (a wheel), the inner one names the same
    # files again, and for a file found twice the package's own folder is what Python imports.
    return sorted(roots, key=lambda root: root[0].count("/"))


def _walk(folder: Path) -> Iterator[Path]:
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if entry.name != "__pycache__":
                yield from _walk(Path(entry.path))
        elif entry.is_file() and not entry.name.endswith(".pyc"):
            yield Path(entry.path)


def installed_files(base: Path | None = None) -> dict[str, Path]:
    """Installed path -> file, for every file the manifest covers (the manifest itself excluded)."""
    files: dict[str, Path] = {}
    for prefix, root in _package_roots(base):
        for path in _walk(root):
            name = f"{prefix}/{path.relative_to(root).as_posix()}"
            if name != MANIFEST:
                files[name] = path
    return dict(sorted(files.items()))


def manifest_path(base: Path | None = None) -> Path:
    if base is not None:
        return base / MANIFEST
    spec = importlib.util.find_spec("fipscrypto")
    locations = (spec.submodule_search_locations if spec else None) or []
    if not locations:
        raise ModuleNotFoundError("fipscrypto is not importable", name="fipscrypto")
    return Path(next(iter(locations))) / Path(MANIFEST).name


def write_manifest(base: Path | None = None) -> Path:
    """Write the manifest for the installed packages, or for the wheel-layout tree ``base``."""
    files = installed_files(base)
    body = {
        "format": FORMAT,
        "algorithm": "HMAC-SHA-256",
        "files": {name: stdlib_hmac(KEY, _chunks(path)).hex() for name, path in files.items()},
    }
    manifest = {**body, "tag": stdlib_hmac(KEY, [_canonical(body)]).hex()}
    target = manifest_path(base)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="ascii")
    tmp.replace(target)
    os.utime(target)  # newer than its folder, which the rename just changed: make sees it up to date
    return target


def _failure(detail: str) -> Exception:
    from fipscrypto.errors import SelfTestFailure

    return SelfTestFailure(NAME, detail)


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:5])
    return f"{shown} and {len(names) - 5} more" if len(names) > 5 else shown


def check_files(base: Path | None = None, mac: Mac = provider_hmac) -> None:
    """Check the manifest's tag, then every installed file against it; raise SelfTestFailure."""
    from fipscrypto.errors import SelfTestFailure

    from .registry import expect

    path = manifest_path(base)
    try:
        manifest = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise _failure(f"{MANIFEST} is missing ({_REMEDY})") from None
    except (OSError, ValueError) as exc:
        raise _failure(f"{MANIFEST} is unreadable: {exc}") from None
    if not (
        isinstance(manifest, dict)
        and manifest.get("format") == FORMAT
        and isinstance(manifest.get("files"), dict)
    ):
        raise _failure(f"{MANIFEST} is not a format-{FORMAT} manifest ({_REMEDY})")
    body = {key: value for key, value in manifest.items() if key != "tag"}
    expect(NAME, mac(KEY, [_canonical(body)]), _unhex(manifest.get("tag")), f"the tag of {MANIFEST}")

    found = installed_files(base)
    changed: list[str] = []
    missing: list[str] = []
    for name, listed in sorted(manifest["files"].items()):
        file = found.pop(name, None)
        if file is None:
            missing.append(name)
            continue
        try:
            expect(NAME, mac(KEY, _chunks(file)), _unhex(listed), f"HMAC-SHA-256 of {name}")
        except SelfTestFailure:
            changed.append(name)
    problems = [
        f"{what}: {_names(names)}"
        for what, names in (("changed", changed), ("missing", missing), ("not in the manifest", list(found)))
        if names
    ]
    if problems:
        raise _failure(f"the installed files differ from {MANIFEST}: {'; '.join(problems)} ({_REMEDY})")


def check_provider_module(paths: StatePaths | None = None, mac: Mac = provider_hmac) -> None:
    """Check the provider module against the ``module-mac`` of the state folder this process booted
    with (or of ``paths``); raise SelfTestFailure."""
    from fipscrypto import module
    from fipscrypto.provider.config import DEFAULT_FIPS_KEY, read_module_mac
    from fipscrypto.provider.state import StatePaths

    from .registry import expect

    cnf = (paths or StatePaths.resolve(module.info().state_dir)).fipsmodule_cnf
    try:
        named = _MODULE_LINE.search(cnf.read_text(encoding="utf-8"))
        configured = read_module_mac(cnf)
    except (OSError, ValueError) as exc:
        raise _failure(f"cannot read the provider's module-mac: {exc}") from None
    if named is None:
        raise _failure(f"{cnf} names no provider module")
    so = Path(named.group(1))
    try:
        computed = mac(DEFAULT_FIPS_KEY, _chunks(so))
    except OSError as exc:
        raise _failure(f"cannot read the provider module: {exc}") from None
    what = f"HMAC-SHA-256 of the provider module {so} (module-mac in {cnf})"
    expect(NAME, computed, _unhex(configured), what)


def integrity_test() -> None:
    """The power-on test: the manifest, the package files, then the provider module."""
    check_files()
    check_provider_module()


def main(argv: list[str] | None = None) -> int:
    import argparse  # the writer's command line only

    parser = argparse.ArgumentParser(
        prog="python -m fipscrypto.selftests.integrity", description="Seal the package files in " + MANIFEST
    )
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write", help=f"write {MANIFEST} (at build or install time)")
    write.add_argument(
        "--root", type=Path, help="a wheel-layout tree (ROOT/fipscrypto/...), not the installed packages"
    )
    args = parser.parse_args(argv)
    print(f"wrote {write_manifest(args.root)}")
    return 0


if __package__ and __name__ != "__main__":
    # Imported as fipscrypto.selftests.integrity: register. Not when run as a script or with -m (the
    # package has registered it already), nor when the build hook loads this file by path.
    from .registry import register

    register(NAME, "integrity", services=("*",))(integrity_test)

if __name__ == "__main__":
    sys.exit(main())
