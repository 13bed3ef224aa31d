"""Loaders for the key-derivation vector files (tests/vectors/SOURCES.md, section "Key derivation")."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from vectorlib import VECTORS


@cache
def acvp(folder: str, name: str = "internalProjection.json") -> dict[str, Any]:
    """An ACVP vector set (prompt and answers in one file), parsed once per test session."""
    data: dict[str, Any] = json.loads((VECTORS / "acvp" / folder / name).read_text())
    return data


def acvp_cases(
    folder: str, name: str = "internalProjection.json"
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (group, test) pair of an ACVP file, in file order."""
    return [(group, test) for group in acvp(folder, name)["testGroups"] for test in group["tests"]]


def unhex(value: str) -> bytes:
    return bytes.fromhex(value)


def mask_bits(data: bytes, bits: int) -> bytes:
    """The first ``bits`` bits of ``data`` as ACVP writes them: MSB first, zero padding in the last byte."""
    out = bytearray(data[: (bits + 7) // 8])
    if bits % 8:
        out[-1] &= (0xFF << (8 - bits % 8)) & 0xFF
    return bytes(out)


def _pyca_value(key: str, value: str, text: bool) -> str | bytes | int:
    if text and key in ("PASSWORD", "SALT"):  # RFC 6070 text; "\0" stands for a NUL byte
        return value.replace("\\0", "\0").encode()
    if key in ("ITERATIONS", "LENGTH", "L", "COUNT"):
        return int(value)
    if key == "HASH":
        return value
    return bytes.fromhex(value)


def pyca_blocks(name: str) -> list[dict[str, str | bytes | int]]:
    """The ``KEY = value`` blocks of a pyca/cryptography KDF vector file, one dict per COUNT.

    Keys are upper-cased; values are bytes (hex), ints (counts, lengths) or the hash name. In the
    PBKDF2 files PASSWORD and SALT are text, in the HKDF files ``salt`` is hex.
    """
    text = "PBKDF2" in name
    blocks: list[dict[str, str | bytes | int]] = []
    for raw in (VECTORS / "pyca" / "KDF" / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = (part.strip() for part in line.partition("="))
        key = key.upper()
        if key == "COUNT":
            blocks.append({})
        blocks[-1][key] = _pyca_value(key, value, text)
    return blocks
