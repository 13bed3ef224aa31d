"""Policy and manifest files: read with a size ceiling, parsed as TOML, every failure a PolicyError.

Activation reads policy files through :func:`read_text` (to check that the compiled TLS section is
fresh) and must not pay for a TOML parser it does not use: :func:`parse_toml` imports tomllib when it
is first called.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from .._fingerprint import sha256_hex
from ..errors import InvalidParameter, PolicyError

__all__ = ["MAX_BYTES", "file_name", "parse_toml", "read_text", "source_digest"]

# "Bounded time and memory": no policy or manifest file is read beyond this (docs/policy-format.md,
# docs/manifest-format.md). The largest built-in profile is about 40 KiB.
MAX_BYTES = 4 * 1024 * 1024


def file_name(path: object) -> Path:
    """``path`` (a ``str`` or ``os.PathLike`` naming a file) as a Path; InvalidParameter otherwise (an
    int would name a file descriptor)."""
    if isinstance(path, str | os.PathLike):
        name = os.fspath(path)
        if isinstance(name, str) and name and "\0" not in name:
            return Path(name)
    raise InvalidParameter(f"a policy or manifest file is named by a non-empty str or path, not {path!r:.40}")


def read_text(path: str | Path) -> str:
    """The file's text; PolicyError if it cannot be read, is larger than MAX_BYTES or is not UTF-8."""
    path = file_name(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise PolicyError(str(path), 0, "", f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise PolicyError(str(path), 0, "", f"larger than {MAX_BYTES} bytes, the limit for this file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(str(path), 0, "", f"not UTF-8 text (byte {exc.start})") from None


def parse_toml(text: str, path: str) -> dict[str, Any]:
    """The TOML document; PolicyError (with the line where tomllib gives one) for anything it refuses."""
    import tomllib  # see the module docstring

    if not isinstance(text, str) or not isinstance(path, str):
        raise InvalidParameter(
            f"a policy or manifest is parsed from str text with a str name, not {text!r:.40}"
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"line (\d+)", str(exc))
        raise PolicyError(path, int(where.group(1)) if where else 0, "", f"TOML syntax: {exc}") from None
    except RecursionError:
        raise PolicyError(path, 0, "", "arrays or tables nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits (sys.get_int_max_str_digits)
        raise PolicyError(path, 0, "", f"TOML value: {exc}") from None


def source_digest(text: str) -> str:
    """The SHA-256 of a policy's source text (its identity in verdicts, caches and reports)."""
    # surrogatepass: text given to loads() may hold lone surrogates, which TOML strings accept
    return sha256_hex(text.encode("utf-8", "surrogatepass"))
