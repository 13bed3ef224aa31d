"""Small loaders for the vector files in tests/vectors (see tests/vectors/SOURCES.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).parent / "vectors"

# ACVP hash names -> fipscrypto hash names.
ACVP_HASHES = {
    "SHA-1": "sha1",
    "SHA2-224": "sha224",
    "SHA2-256": "sha256",
    "SHA2-384": "sha384",
    "SHA2-512": "sha512",
    "SHA2-512/224": "sha512-224",
    "SHA2-512/256": "sha512-256",
    "SHA3-224": "sha3-224",
    "SHA3-256": "sha3-256",
    "SHA3-384": "sha3-384",
    "SHA3-512": "sha3-512",
    "SHAKE-128": "shake128",
    "SHAKE-256": "shake256",
}


def acvp_groups(folder: str) -> list[dict[str, Any]]:
    """The test groups of an ACVP internalProjection.json (prompt and expected answers in one file)."""
    data = json.loads((VECTORS / "acvp" / folder / "internalProjection.json").read_text())
    groups: list[dict[str, Any]] = data["testGroups"]
    return groups


def acvp_cases(folder: str, test_type: str | None = None) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(group, test) pairs, optionally only those of one testType (AFT, MCT, LDT)."""
    for group in acvp_groups(folder):
        if test_type is None or group.get("testType") == test_type:
            for test in group["tests"]:
                yield group, test


def rfc(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / "rfc" / name).read_text())
    return data


def blocks(path: Path) -> Iterator[dict[str, str]]:
    """Records of a NIST CAVP .rsp/.txt file or a pyca text vector file: KEY = VALUE lines, blank-
    line separated; '#' comments dropped; a bare word (e.g. FAIL) becomes {WORD: ""}; [SECTION]
    lines are merged into the following records as {"section": ...}."""
    record: dict[str, str] = {}
    section = ""
    for raw in path.read_text().splitlines():
        if raw.lstrip().startswith("#"):
            continue  # a comment line does not end a record
        line = raw.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        if not line:
            if record:
                yield {"section": section, **record}
                record = {}
            continue
        key, sep, value = line.partition("=")
        record[key.strip()] = value.strip() if sep else ""
    if record:
        yield {"section": section, **record}
