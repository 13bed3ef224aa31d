"""SHA-256 fingerprints that fipscrypto takes before cryptography's OpenSSL is loaded: the names of the
configuration files it writes and the keys of its policy cache, and the key ids of the key pairs it
audits (identification, outside the FIPS boundary, like every use of the standard library's hashing).

CPython's built-in SHA-256 computes them: ``hashlib.sha256`` goes through ``_hashlib``, whose import
loads and initialises the system libcrypto, a few milliseconds of every activation for a few hundred
bytes of text. Where the interpreter has no built-in SHA-256, hashlib's serves.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["sha256_hex"]


def _sha256() -> Callable[[bytes], Any]:
    name = "_sha2" if sys.version_info >= (3, 12) else "_sha256"  # CPython's module of it
    try:
        return importlib.import_module(name).sha256  # type: ignore[no-any-return]
    except ImportError:  # an interpreter built without it
        import hashlib

        return hashlib.sha256


_new = _sha256()


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of ``data``, as lowercase hex (what ``hashlib.sha256(data).hexdigest()`` gives)."""
    return str(_new(data).hexdigest())
