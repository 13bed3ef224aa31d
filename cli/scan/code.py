"""``fipscheck scan code PATH...``: the cryptography Python source uses, judged by the policy.

Files are parsed with :mod:`ast`, never imported or run. A file that cannot be read, is larger than
``--max-bytes`` or does not parse is reported as skipped (the run is then incomplete) and the scan
goes on.
"""

from __future__ import annotations

import ast
import os
import warnings
from collections.abc import Iterator

import click

from . import Options, conclude, scan, verdict_options
from .model import Location, Misuse, Skipped, Use
from .python import SCANNER, analyse

__all__ = ["code", "scan_paths"]

MAX_BYTES = 4 << 20  # larger sources are generated data, not code: skipped (and reported) by default


def _files(path: str) -> Iterator[str]:
    """``path`` itself if it is a file, else the ``.py`` files under it in a stable order (links to
    folders are not followed, so a link loop cannot trap the walk)."""
    if not os.path.isdir(path):
        yield path
        return
    for folder, subfolders, names in os.walk(path):
        subfolders.sort()
        for name in sorted(names):
            if name.endswith(".py"):
                yield os.path.join(folder, name)


def scan_file(path: str, max_bytes: int = MAX_BYTES) -> list[Use | Misuse] | Skipped:
    """What one file uses, or why it was skipped."""
    where = Location(path)
    try:
        with open(path, "rb") as f:
            source = f.read(max_bytes + 1)
    except OSError as exc:
        return Skipped(where, f"cannot read: {exc.strerror or exc}")
    if len(source) > max_bytes:
        return Skipped(where, f"larger than {max_bytes} bytes (--max-bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like are the file's business
            tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        return Skipped(Location(path, exc.lineno, exc.offset), f"does not parse: {exc.msg}")
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, nesting too deep for the parser
        return Skipped(where, f"does not parse: {type(exc).__name__}: {exc}")
    return analyse(tree, path)


def scan_paths(
    paths: tuple[str, ...], max_bytes: int = MAX_BYTES
) -> tuple[list[Use | Misuse], int, list[Skipped]]:
    """Everything found under ``paths``, the number of files checked, and the files skipped."""
    found: list[Use | Misuse] = []
    skipped: list[Skipped] = []
    checked = 0
    for path in paths:
        for file in _files(path):
            result = scan_file(file, max_bytes)
            if isinstance(result, Skipped):
                skipped.append(result)
            else:
                checked += 1
                found.extend(result)
    return found, checked, skipped


@scan.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--max-bytes", type=click.IntRange(min=1), default=MAX_BYTES, show_default=True, help="Skip larger files."
)
@verdict_options
def code(paths: tuple[str, ...], max_bytes: int, options: Options) -> None:
    """Scan Python source (files, or folders for *.py) for the cryptography it uses.

    Every use found (hashes, MACs, ciphers and modes, key sizes, curves, PBKDF2
    parameters, TLS versions) is judged by the policy; misuses no allowlist can
    express (constant keys, IVs, nonces and salts, random for secrets, certificate
    or host-name checks turned off) are errors with their citation. The source is
    parsed, never imported or run.
    """
    found, checked, skipped = scan_paths(paths, max_bytes)
    conclude(found, options, scanner=SCANNER, checked=checked, skipped=skipped)
