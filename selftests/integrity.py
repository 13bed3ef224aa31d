"""The software integrity test (FIPS 140-3 IG 10.3.A / ISO 19790 7.10.2): power-on test "integrity".

Its checks, in order, each an HMAC-SHA-256 computed by the FIPS provider (whose HMAC-SHA-256
known-answer test runs just before this one):

1. the tag of the manifest ``fipscrypto/integrity.json``;
2. every installed file of ``fipscrypto``, ``fipscrypto.selftests``, ``fipscrypto.pqc`` and
   ``fipscrypto.cli`` against the manifest: a changed, missing or extra file fails the test. Files are
   named by their installed path (``fipscrypto/selftests/registry.py``), the same in a wheel and in
   the editable checkout (where those packages live in ``selftests/``, ``pqc/``, ``cli/``). Only the
   bytecode caches (``__pycache__`` folders) are left out: they are checked next;
3. the bytecode Python runs instead of a source: the cached bytecode (``__cached__``, wherever
   ``PYTHONPYCACHEPREFIX`` and the optimisation level put it) of every loaded module that came from a
   sealed file, and on demand (outside activation) the cache of every sealed source. Python checks only
   a cache's header against the source (its time and size, or its hash, or nothing for an
   unchecked-hash cache), never the code in it, so each cache must be the one the manifest seals or
   hold the same code as a compile of the verified source (:func:`same_code`). From then on, an
   import of a sealed module runs its sealed bytecode or a compile of its source, verified as it is
   imported (:class:`SealedImports`);
4. the provider module ``fips.so`` this process loaded (the ``module`` of the state folder's
   ``fipsmodule.cnf``) against that file's ``module-mac``, under OpenSSL's default FIPS key.

The writer seals, next to each source, a checked-hash bytecode cache for the interpreter that writes
the manifest (optimisation level 0). Where an installer recompiles the sources (pip does, unless
``--no-compile``), or another interpreter, ``-O`` or ``PYTHONPYCACHEPREFIX`` leaves other caches,
those are proven by compiling their source, which costs more.

The manifest's key, :data:`KEY`, is a published constant, like OpenSSL's default FIPS module key: the
test detects modification and corruption, not an attacker who can write the files, since such an
attacker can also re-seal the manifest. Code that ran before the test (the modules imported before
activation) is checked after it ran.

The manifest is written at build time: by the wheel's build hook (``setup.py``, into ``build_lib``) and
by ``make`` in a checkout. By hand: ``python -m fipscrypto.selftests.integrity write [--root DIR]``
(this imports the package, whose provider tests boot the provider: a provisioned state folder is
needed), or ``python -P selftests/integrity.py write`` in a checkout (no provider). The writer uses
the stdlib's ``hmac``; only the power-on check uses the provider. Module level is stdlib only, so
the build hook can load this file by path, without fipscrypto or cryptography.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import json
import marshal
import os
import posixpath
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import CodeType, ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.hmac import HMAC

    from fipscrypto.errors import SelfTestFailure
    from fipscrypto.provider.state import StatePaths

__all__ = [
    "FORMAT",
    "KEY",
    "MANIFEST",
    "PACKAGES",
    "Seal",
    "SealedImports",
    "check_bytecode",
    "check_files",
    "check_provider_module",
    "installed_files",
    "integrity_test",
    "main",
    "manifest_path",
    "provider_hmac",
    "same_code",
    "stdlib_hmac",
    "write_manifest",
]

NAME = "integrity"
FORMAT = 2  # format 1 had no bytecode section
# Public by design (see the module docstring); kept from format 1.
KEY = b"fipscrypto software integrity manifest, format 1"
MANIFEST = "fipscrypto/integrity.json"
PACKAGES = ("fipscrypto", "fipscrypto.selftests", "fipscrypto.pqc", "fipscrypto.cli")
_REMEDY = "reinstall fipscrypto; in a checkout: make manifest, or python -P selftests/integrity.py write"
_BYTECODE_REMEDY = "delete it (Python compiles the source again), or " + _REMEDY
_CHUNK = 1 << 20
_MODULE_LINE = re.compile(r"^\s*module\s*=\s*(.+?)\s*$", re.MULTILINE)
_PYC_HEADER = 16  # magic, flags, then the source's time and size or its hash (PEP 552)
# Every field of a code object but its file name (which the import system sets on load) and its
# constants (which == compares, nested code objects by same_code). == alone leaves some of these out
# (CPython 3.11: the stack size, the qualified name and the kinds of the local variables).
_CODE_FIELDS = (
    "co_argcount",
    "co_posonlyargcount",
    "co_kwonlyargcount",
    "co_nlocals",
    "co_stacksize",
    "co_flags",
    "co_code",
    "co_names",
    "co_varnames",
    "co_cellvars",
    "co_freevars",
    "co_name",
    "co_qualname",
    "co_firstlineno",
    "co_linetable",
    "co_exceptiontable",
)

# HMAC-SHA-256 of a key and a sequence of chunks.
Mac = Callable[[bytes, Iterable[bytes]], bytes]


def stdlib_hmac(key: bytes, chunks: Iterable[bytes]) -> bytes:
    """The writer's HMAC (build time, outside the module)."""
    import hashlib  # the writer only: activation does not load the system libcrypto
    import hmac

    h = hmac.new(key, digestmod=hashlib.sha256)
    for chunk in chunks:
        h.update(chunk)
    return h.digest()


def provider_hmac(key: bytes, chunks: Iterable[bytes]) -> bytes:
    """The verifier's HMAC: the FIPS provider, through the backend (a copy of the context keyed once)."""
    h = _keyed(key).copy()
    for chunk in chunks:
        h.update(chunk)
    return h.finalize()


@functools.lru_cache(maxsize=4)
def _keyed(key: bytes) -> HMAC:
    """An HMAC-SHA-256 context of the provider keyed with ``key`` (the manifest's or the provider
    module's key, both public), copied for each file rather than keyed again."""
    from fipscrypto._backend.hashes import hmac_object  # importing _backend boots the module

    return hmac_object("sha256", key)


def _chunks(path: Path) -> Iterator[bytes]:
    """The file's bytes, read with plain system calls (one read for most files)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        while chunk := os.read(fd, _CHUNK):
            yield chunk
    finally:
        os.close(fd)


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


def _walk(folder: str, prefix: str) -> Iterator[tuple[str, Path]]:
    """(installed path, file) of every file under ``folder``, whose installed path is ``prefix``."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        name = f"{prefix}/{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            if entry.name != "__pycache__":
                yield from _walk(entry.path, name)
        elif entry.is_file():
            yield name, Path(entry.path)


def installed_files(base: Path | None = None) -> dict[str, Path]:
    """Installed path -> file, for every file the manifest covers (the manifest itself excluded)."""
    files: dict[str, Path] = {}
    for prefix, root in _package_roots(base):
        for name, path in _walk(str(root), prefix):
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


def _sealed_name(source: str, cache: str) -> str:
    """The manifest's name of the bytecode cache file ``cache`` of the source named ``source``."""
    return f"{posixpath.dirname(source)}/__pycache__/{cache}"


def _seal_bytecode(files: dict[str, Path]) -> dict[str, str]:
    """Compile every source into a checked-hash cache next to it (this interpreter, optimisation level
    0, the installed path as file name); the manifest's bytecode section."""
    import py_compile  # the writer only

    tag = sys.implementation.cache_tag
    sealed = {}
    for name, path in files.items():
        if path.suffix != ".py":
            continue
        cache = path.parent / "__pycache__" / f"{path.stem}.{tag}.pyc"
        py_compile.compile(
            str(path),
            cfile=str(cache),
            dfile=name,
            doraise=True,
            optimize=0,
            invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
        )
        sealed[_sealed_name(name, cache.name)] = stdlib_hmac(KEY, _chunks(cache)).hex()
    return sealed


def write_manifest(base: Path | None = None) -> Path:
    """Write the manifest, and the bytecode it seals, for the installed packages, or for the
    wheel-layout tree ``base``."""
    files = installed_files(base)
    body = {
        "format": FORMAT,
        "algorithm": "HMAC-SHA-256",
        "files": {name: stdlib_hmac(KEY, _chunks(path)).hex() for name, path in files.items()},
        "bytecode": _seal_bytecode(files),
    }
    manifest = {**body, "tag": stdlib_hmac(KEY, [_canonical(body)]).hex()}
    target = manifest_path(base)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="ascii")
    tmp.replace(target)
    os.utime(target)  # newer than its folder, which the rename just changed: make sees it up to date
    return target


def _failure(detail: str) -> SelfTestFailure:
    from fipscrypto.errors import SelfTestFailure

    return SelfTestFailure(NAME, detail)


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:5])
    return f"{shown} and {len(names) - 5} more" if len(names) > 5 else shown


def same_code(cached: object, compiled: CodeType) -> bool:
    """Whether ``cached`` (unmarshalled bytecode) is ``compiled``: every field, at every level."""
    if not isinstance(cached, CodeType) or cached != compiled:
        return False
    if any(getattr(cached, field) != getattr(compiled, field) for field in _CODE_FIELDS):
        return False
    # == compared the constants: where ``compiled`` has a code object, so has ``cached``.
    pairs = zip(cached.co_consts, compiled.co_consts, strict=True)
    return all(same_code(inner, code) for inner, code in pairs if isinstance(code, CodeType))


def _compile(source: bytes, path: Path) -> CodeType:
    """What the import system compiles from a source (at this interpreter's optimisation level)."""
    return compile(source, str(path), "exec", dont_inherit=True, optimize=sys.flags.optimize)


def _unmarshal(cache: bytes) -> object:
    """The code in a bytecode cache (None if there is none): what the import system would load from it,
    with the same ``marshal.loads``."""
    try:
        return marshal.loads(memoryview(cache)[_PYC_HEADER:])  # noqa: S302  # as the import system does
    except (EOFError, ValueError, TypeError):
        return None


class Seal:
    """A manifest whose tag verified, with the files found that it covers. (A plain class: a NamedTuple
    would compile each field's annotation, about 2 ms of activation.)"""

    __slots__ = ("bytecode", "files", "imported", "mac", "sources")

    def __init__(
        self,
        sources: dict[Path, str],  # every covered file found -> its installed name
        files: dict[str, str],  # installed name -> HMAC (hex)
        bytecode: dict[str, str],  # the sealed bytecode caches: installed name -> HMAC (hex)
        mac: Mac,
        imported: bool,  # the packages this process imports (not a wheel-layout tree elsewhere)
    ) -> None:
        self.sources, self.files, self.bytecode, self.mac, self.imported = (
            sources,
            files,
            bytecode,
            mac,
            imported,
        )

    def sealed(self, name: str, cache: Path, data: bytes) -> bool:
        """Whether ``data``, read from ``cache``, is the bytecode the manifest seals for source ``name``."""
        listed = self.bytecode.get(_sealed_name(name, cache.name))
        # == as expect() compares: the key is public (see the module docstring), no timing secret.
        return listed is not None and self.mac(KEY, [data]) == _unhex(listed)

    def proven(self, source: Path, cache: Path) -> bool:
        """Whether the bytecode cached at ``cache`` for the covered ``source`` is sealed or the same as
        a compile of the source (True when nothing is cached there: Python then compiles the source)."""
        try:
            data = cache.read_bytes()
        except OSError:
            return True
        name = self.sources[source]
        return self.sealed(name, cache, data) or same_code(
            _unmarshal(data), _compile(source.read_bytes(), source)
        )

    def code(self, source: Path) -> CodeType:
        """The code to run for the covered ``source``, verified now: its sealed bytecode, or else a
        compile of the source, which any cached bytecode must equal. Raises SelfTestFailure."""
        name = self.sources[source]
        text = source.read_bytes()
        if self.mac(KEY, [text]) != _unhex(self.files.get(name)):
            raise _failure(f"{name} changed after the power-on test ({_REMEDY})")
        cache = Path(importlib.util.cache_from_source(str(source)))
        try:
            data: bytes | None = cache.read_bytes()
        except OSError:
            data = None
        if data is not None and self.sealed(name, cache, data):
            code = _unmarshal(data)
            if isinstance(code, CodeType):
                return code
        compiled = _compile(text, source)
        if data is not None and not same_code(_unmarshal(data), compiled):
            raise _failure(f"the bytecode {cache} is not a compile of {name} ({_BYTECODE_REMEDY})")
        return compiled


def check_files(base: Path | None = None, mac: Mac = provider_hmac) -> Seal:
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
        and isinstance(manifest.get("bytecode"), dict)
    ):
        raise _failure(f"{MANIFEST} is not a format-{FORMAT} manifest ({_REMEDY})")
    body = {key: value for key, value in manifest.items() if key != "tag"}
    expect(NAME, mac(KEY, [_canonical(body)]), _unhex(manifest.get("tag")), f"the tag of {MANIFEST}")

    found = installed_files(base)
    sources = {file: name for name, file in found.items()}
    seal = Seal(sources, manifest["files"], manifest["bytecode"], mac, imported=base is None)
    changed: list[str] = []
    missing: list[str] = []
    for name, listed in sorted(seal.files.items()):
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
    return seal


def _loaded_caches(seal: Seal) -> dict[Path, Path]:
    """Bytecode cache (``__cached__``) -> source, for every loaded module that came from a file of
    ``seal`` (the imported packages). Raise SelfTestFailure when a module of the four packages came
    from another file."""
    caches: dict[Path, Path] = {}
    foreign: list[str] = []
    for name, loaded in list(sys.modules.items()):
        ours = name.partition(".")[0] == "fipscrypto"
        if not ours and name != "__main__":  # __main__: ``python -m fipscrypto.cli.main``
            continue
        spec = getattr(loaded, "__spec__", None)
        origin, cached = getattr(spec, "origin", None), getattr(spec, "cached", None)
        if not isinstance(origin, str) or not getattr(spec, "has_location", False):
            continue  # a namespace package (fipscrypto._bootstrap), or __main__ run from a script
        source = Path(origin)
        if source in seal.sources:
            if isinstance(cached, str):
                caches[Path(cached)] = source
        elif ours:
            foreign.append(f"{name} ({origin})")
    if foreign:
        raise _failure(f"modules loaded from files that {MANIFEST} does not seal: {_names(foreign)}")
    return caches


def check_bytecode(seal: Seal, *, every: bool) -> None:
    """Check the bytecode cache of every loaded module that came from a file of ``seal`` (when it seals
    the imported packages), and with ``every`` the cache of every source of ``seal`` (where this
    interpreter looks for it): each must be sealed, or the same code as a compile of its source. Raise
    SelfTestFailure naming the others."""
    caches = _loaded_caches(seal) if seal.imported else {}
    if every:
        for source in seal.sources:
            if source.suffix == ".py":
                caches[Path(importlib.util.cache_from_source(str(source)))] = source
    unproven = [str(cache) for cache, source in caches.items() if not seal.proven(source, cache)]
    if unproven:
        raise _failure(
            f"bytecode that is neither sealed in {MANIFEST} nor a compile of its source: "
            f"{_names(unproven)} ({_BYTECODE_REMEDY})"
        )


def _latch(failure: SelfTestFailure) -> SelfTestFailure:
    """A failure found at an import, after the power-on test: report it and latch ERROR."""
    from fipscrypto import audit, module

    audit.emit("selftest-failure", test=NAME, detail=failure.detail)
    module.enter_error(str(failure))
    return failure


class _SealedLoader(importlib.machinery.SourceFileLoader):
    """Loads a covered source through :meth:`Seal.code`; a failure latches ERROR."""

    def __init__(self, fullname: str, path: str, seal: Seal) -> None:
        super().__init__(fullname, path)
        self.seal = seal

    def get_code(self, fullname: str) -> CodeType:
        from fipscrypto.errors import SelfTestFailure

        try:
            return self.seal.code(Path(self.path))
        except SelfTestFailure as failure:
            raise _latch(failure) from None


class SealedImports:
    """The import hook the integrity test puts first on ``sys.meta_path``. A module of the four packages
    imported from then on must come from a covered source (else the import fails and ERROR latches), and
    is loaded by :meth:`Seal.code`: what runs is its sealed bytecode or a compile of the verified source."""

    def __init__(self, seal: Seal) -> None:
        self.seal = seal

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None, /
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] != "fipscrypto":
            return None
        for finder in list(sys.meta_path):
            if isinstance(finder, SealedImports):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.origin is None or not spec.has_location:
            return spec  # a namespace package (fipscrypto._bootstrap): no code
        if not (
            isinstance(spec.loader, importlib.machinery.SourceFileLoader)
            and Path(spec.origin) in self.seal.sources
        ):
            raise _latch(
                _failure(f"{fullname} would be loaded from {spec.origin}, which {MANIFEST} does not seal")
            )
        spec.loader = _SealedLoader(fullname, spec.origin, self.seal)
        return spec

    def install(self) -> None:
        """Put this hook first on ``sys.meta_path``, in place of one installed before."""
        sys.meta_path[:] = [self, *(f for f in sys.meta_path if not isinstance(f, SealedImports))]


def check_provider_module(paths: StatePaths | None = None, mac: Mac = provider_hmac) -> None:
    """Check the provider module against the ``module-mac`` of the state folder this process booted
    with (or of ``paths``); raise SelfTestFailure."""
    from fipscrypto import module
    from fipscrypto.errors import ProviderUnavailable
    from fipscrypto.provider.config import DEFAULT_FIPS_KEY, read_module_mac
    from fipscrypto.provider.state import StatePaths

    from .registry import expect

    cnf = (paths or StatePaths.resolve(module.info().state_dir)).fipsmodule_cnf
    try:
        named = _MODULE_LINE.search(cnf.read_text(encoding="utf-8"))
        configured = read_module_mac(cnf)
    except (OSError, ValueError) as exc:
        raise _failure(f"cannot read the provider's module-mac: {exc}") from None
    except ProviderUnavailable as exc:
        raise _failure(f"cannot read the provider's module-mac: {exc.message}") from None
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
    """The test: the manifest, the package files, the bytecode, then the provider module.

    At activation, the bytecode of the modules loaded so far; on demand, of every source. Either way,
    imports from then on go through :class:`SealedImports`.
    """
    from fipscrypto import module

    seal = check_files()
    SealedImports(seal).install()
    check_bytecode(seal, every=module.info().state is not module.State.SELF_TEST)
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
