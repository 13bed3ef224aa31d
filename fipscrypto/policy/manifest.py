"""A service's declared crypto inventory (a TOML manifest), evaluated against a policy.

Format (docs/manifest-format.md)::

    [service]
    name = "sip-gateway"

    [tls]
    versions = ["tls1.2", "tls1.3"]
    suites = ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"]
    groups = ["secp256r1"]
    sigalgs = ["ecdsa_secp256r1_sha256"]

    [srtp]
    profiles = ["AEAD_AES_128_GCM"]

    [ipsec]
    versions = ["ikev2"]
    esp = ["ENCR_AES_GCM_16:256"]          # NAME or NAME:BITS
    ike = ["ENCR_AES_GCM_16:256", "PRF_HMAC_SHA2_256"]
    dh_groups = ["16", "19"]

    [primitives]
    hashes = ["sha256"]
    ciphers = ["aes-256-gcm"]
    macs = ["hmac-sha256:256"]
    kdfs = ["hkdf:256"]
    key_wraps = ["aes-kwp"]

    [[keys]]                               # signature or key-agreement keys
    use = "tls-server certificate"
    algorithm = "ecdsa-p256"               # a signature or key-agreement name
    bits = 256

    [[passwords]]
    scheme = "pbkdf2-hmac-sha512"
    iterations = 600000
    salt_bits = 128

    [[item]]                               # anything else, explicitly
    category = "cipher"
    name = "3des-cbc"
    direction = "process"                  # decrypt old data only
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._clock import today as _today
from ..errors import InvalidParameter, PolicyError
from .model import Direction, Policy, Status, Verdict, bounded
from .source import parse_toml, read_text
from .vocabulary import categories

__all__ = ["Evaluation", "Finding", "ManifestItem", "evaluate", "read_manifest"]

# (section, key) -> category; "suites" holds TLS 1.2 and TLS 1.3 suites alike.
_LISTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("tls", "versions"): ("tls-version",),
    ("tls", "suites"): ("tls13-suite", "tls12-suite"),
    ("tls", "groups"): ("tls-group",),
    ("tls", "sigalgs"): ("tls-sigalg",),
    ("srtp", "profiles"): ("srtp-profile",),
    ("ipsec", "versions"): ("ike-version",),
    ("ipsec", "esp"): ("esp-transform",),
    ("ipsec", "ike"): ("ike-transform",),
    ("ipsec", "dh_groups"): ("ike-dh-group",),
    ("primitives", "hashes"): ("hash",),
    ("primitives", "ciphers"): ("cipher",),
    ("primitives", "macs"): ("mac",),
    ("primitives", "kdfs"): ("kdf",),
    ("primitives", "key_wraps"): ("key-wrap",),
}
# [[keys]], [[passwords]], [[item]]: the keys each table may have; the first one's value locates it.
_TABLES: dict[str, tuple[str, ...]] = {
    "keys": ("algorithm", "use", "bits"),
    "passwords": ("scheme", "iterations", "salt_bits"),
    "item": ("name", "category", "direction", "bits"),
}
# [service] and the list sections: the keys each may have.
_KEYS: dict[str, set[str]] = {"service": {"name"}} | {
    section: {key for s, key in _LISTS if s == section} for section, _ in _LISTS
}
_SECTIONS = {*_KEYS, *_TABLES}
_KEY_CATEGORIES = ("signature", "key-agreement")
_DIRECTIONS = {direction.value: direction for direction in Direction}
_PARAMS = ("iterations", "salt_bits")  # the [[passwords]] parameters, named as in RANGES
_STRING = re.compile(r"\"([^\"\n]*)\"|'([^'\n]*)'")
_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_-]+)\s*\]")
_ASSIGN = re.compile(r"^\s*([A-Za-z0-9_-]+)(?:\s*\.\s*([A-Za-z0-9_-]+))?\s*=")
# NAME:BITS. At most ten significant digits: a longer number is no size (and int() of more than 4300
# digits raises), so such an entry is an unknown name.
_SIZED = re.compile(r"(.+):0*([0-9]{1,10})")
_TOP, _EOL = (0, 0), sys.maxsize  # positions: before everything; after every column of a line


@dataclass(frozen=True)
class ManifestItem:
    where: str  # e.g. "tls.suites[1]"
    line: int
    category: str
    name: str
    bits: int | None
    direction: Direction
    params: dict[str, int]


@dataclass(frozen=True)
class Finding:
    item: ManifestItem
    verdict: Verdict

    @property
    def level(self) -> str:
        """SARIF-style level: error (disallowed), warning (deprecated, legacy-use), note (acceptable)."""
        if not self.verdict.allowed:
            return "error"
        return "note" if self.verdict.status is Status.ACCEPTABLE else "warning"


@dataclass(frozen=True)
class Evaluation:
    manifest: str  # path
    service: str
    policy: Policy
    as_of: dt.date
    findings: tuple[Finding, ...]

    def failing(self, fail_on: str = "disallowed") -> tuple[Finding, ...]:
        """Findings that fail the check: not allowed, plus deprecated/legacy-use with fail_on="deprecated"."""
        if not isinstance(fail_on, str) or fail_on not in ("disallowed", "deprecated"):
            raise InvalidParameter(f"unknown fail_on {fail_on!r} (known: disallowed, deprecated)")
        if fail_on == "deprecated":
            return tuple(f for f in self.findings if f.level != "note")
        return tuple(f for f in self.findings if f.level == "error")


class _Locator:
    """Line numbers for manifest entries, from one pass over the text (tomllib keeps none).

    Every quoted string is indexed by its value with its (line, column), so finding the next
    occurrence of an entry after the previous one is a binary search: the whole manifest is located
    in O(n log n), however its entries repeat.
    """

    def __init__(self, text: str) -> None:
        self.strings: dict[str, list[tuple[int, int]]] = {}
        self.starts: dict[tuple[str, str], int] = {}  # (section, key) -> the line of `key =`
        section: str | None = None
        for number, line in enumerate(text.split("\n"), 1):  # TOML ends lines at LF only
            code = line.split("#", 1)[0]
            for found in _STRING.finditer(code):
                value = found.group(1) if found.group(1) is not None else found.group(2)
                self.strings.setdefault(value, []).append((number, found.start()))
            if code.lstrip().startswith("["):
                header = _TABLE.match(code)
                section = header.group(1) if header else None
                continue
            assignment = _ASSIGN.match(code)
            if assignment:
                first, second = assignment.groups()
                key = (first, second) if second else (section, first) if section else None
                if key is not None:
                    self.starts.setdefault(key, number)

    def start(self, section: str, key: str) -> tuple[int, int]:
        """The position just before the list ``section.key`` (before everything if not found)."""
        return self.starts.get((section, key), 1) - 1, _EOL

    def find(self, value: str, after: tuple[int, int]) -> tuple[int, int] | None:
        """The first position of the quoted string ``value`` after ``after``, or None."""
        places = self.strings.get(value, [])
        index = bisect.bisect_right(places, after)
        return places[index] if index < len(places) else None


def _split(value: str) -> tuple[str, int | None]:
    """``NAME:BITS`` -> (NAME, BITS); anything else (longer digit runs included) -> (value, None)."""
    sized = _SIZED.fullmatch(value)
    return (sized.group(1), int(sized.group(2))) if sized else (value, None)


class _Reader:
    """Typed reading of one manifest: every problem is a PolicyError naming the file, key and line."""

    def __init__(self, path: str, where: _Locator) -> None:
        self.path = path
        self.where = where

    def fail(self, key: str, message: str, line: int = 0) -> PolicyError:
        return PolicyError(self.path, line, key, message)

    def text(self, entry: dict[str, Any], key: str, at: str, line: int) -> str | None:
        value = entry.get(key)
        if value is not None and not isinstance(value, str):
            raise self.fail(f"{at}.{key}", "must be a string", line)
        return value

    def number(self, value: object, kind: str, key: str, line: int) -> int:
        try:
            return bounded(value, kind)
        except ValueError as exc:
            raise self.fail(key, str(exc), line) from None

    def sections(self, data: dict[str, Any]) -> None:
        for section, value in data.items():
            if section not in _SECTIONS:
                raise self.fail(section, f"unknown section (known: {', '.join(sorted(_SECTIONS))})")
            array = section in _TABLES
            if array and not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
                raise self.fail(section, f"must be an array of tables ([[{section}]])")
            if not array and not isinstance(value, dict):
                raise self.fail(section, f"must be a table ([{section}])")
        for section, known in _KEYS.items():
            extra = set(data.get(section, {})) - known
            if extra:
                raise self.fail(
                    f"{section}.{sorted(extra)[0]}", f"unknown key (known: {', '.join(sorted(known))})"
                )

    def lists(self, data: dict[str, Any]) -> Iterator[ManifestItem]:
        for (section, key), cats in _LISTS.items():
            values = data.get(section, {}).get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise self.fail(f"{section}.{key}", "must be a list of strings")
            cursor = self.where.start(section, key)
            for index, raw in enumerate(values):
                at = f"{section}.{key}[{index}]"
                found = self.where.find(raw, cursor)
                cursor = found or cursor
                line = found[0] if found else 0
                name, bits = _split(raw)
                category = next((c for c in cats if name in categories()[c].names), None)
                if category is None:
                    raise self.fail(at, f"unknown {' or '.join(cats)} name {name!r}", line)
                if bits is not None:
                    self.number(bits, "bits", at, line)
                yield ManifestItem(at, line, category, name, bits, Direction.APPLY, {})

    def tables(
        self, data: dict[str, Any], section: str, read: Callable[[dict[str, Any], str, int], ManifestItem]
    ) -> Iterator[ManifestItem]:
        """The items of ``[[section]]``, each located by the next occurrence of its first key's value."""
        cursor = _TOP
        for index, entry in enumerate(data.get(section, [])):
            at = f"{section}[{index}]"
            value = entry.get(_TABLES[section][0])
            found = self.where.find(value, cursor) if isinstance(value, str) else None
            line = (found or cursor)[0]
            cursor = (line, _EOL)
            for key in entry:
                if key not in _TABLES[section]:
                    known = ", ".join(sorted(_TABLES[section]))
                    raise self.fail(f"{at}.{key}", f"unknown key (known: {known})", line)
            yield read(entry, at, line)

    def key(self, entry: dict[str, Any], at: str, line: int) -> ManifestItem:
        self.text(entry, "use", at, line)
        algorithm = self.text(entry, "algorithm", at, line)
        category = next((c for c in _KEY_CATEGORIES if algorithm in categories()[c].names), None)
        if category is None or algorithm is None or "bits" not in entry:
            raise self.fail(at, "needs algorithm (a signature or key-agreement name) and bits", line)
        bits = self.number(entry["bits"], "bits", f"{at}.bits", line)
        return ManifestItem(at, line, category, algorithm, bits, Direction.APPLY, {})

    def password(self, entry: dict[str, Any], at: str, line: int) -> ManifestItem:
        scheme = self.text(entry, "scheme", at, line)
        if scheme is None or scheme not in categories()["password-hash"].names:
            raise self.fail(at, f"unknown password-hash scheme {scheme!r}", line)
        params = {k: self.number(entry[k], k, f"{at}.{k}", line) for k in _PARAMS if k in entry}
        return ManifestItem(at, line, "password-hash", scheme, None, Direction.APPLY, params)

    def item(self, entry: dict[str, Any], at: str, line: int) -> ManifestItem:
        category, name = self.text(entry, "category", at, line), self.text(entry, "name", at, line)
        kind = categories().get(category or "")
        if kind is None or name is None or name not in kind.names:
            raise self.fail(at, f"unknown category/name {category!r}/{name!r}", line)
        direction = self.text(entry, "direction", at, line) or Direction.APPLY.value
        if direction not in _DIRECTIONS:
            raise self.fail(f"{at}.direction", "must be apply or process", line)
        bits = self.number(entry["bits"], "bits", f"{at}.bits", line) if "bits" in entry else None
        return ManifestItem(at, line, kind.name, name, bits, _DIRECTIONS[direction], {})


def _items(path: str, data: dict[str, Any], where: _Locator) -> Iterator[ManifestItem]:
    reader = _Reader(path, where)
    reader.sections(data)
    yield from reader.lists(data)
    yield from reader.tables(data, "keys", reader.key)
    yield from reader.tables(data, "passwords", reader.password)
    yield from reader.tables(data, "item", reader.item)


def _path(path: object) -> Path:
    if not isinstance(path, str | os.PathLike) or isinstance(os.fspath(path), bytes):
        raise InvalidParameter(f"path must be a str or a path, not {type(path).__name__}")
    return Path(path)


def read_manifest(path: str | Path) -> tuple[str, list[ManifestItem]]:
    """The service name and the items of a manifest; PolicyError on any problem in the file,
    InvalidParameter when ``path`` is not a path."""
    target = _path(path)
    text = read_text(target)
    data = parse_toml(text, str(target))
    items = list(_items(str(target), data, _Locator(text)))
    service = data.get("service", {}).get("name", target.stem)
    if not isinstance(service, str):
        raise PolicyError(str(target), 0, "service.name", "must be a string")
    return service, items


def evaluate(path: str | Path, policy: Policy, as_of: dt.date | None = None) -> Evaluation:
    """Evaluate every item of the manifest against the policy (see :func:`read_manifest` for errors)."""
    _path(path)
    if not isinstance(policy, Policy):
        raise InvalidParameter(f"policy must be a Policy, not {type(policy).__name__}")
    if as_of is not None and not isinstance(as_of, dt.date):
        raise InvalidParameter(f"as_of must be a date or None, not {type(as_of).__name__}")
    day = as_of or _today()
    service, items = read_manifest(path)
    findings = []
    for item in items:
        bits = item.bits
        if bits is None and policy.is_sized(item.category, item.name):
            raise PolicyError(str(path), item.line, item.where, f"{item.name}: give its size as NAME:BITS")
        verdict = policy.check(
            item.category,
            item.name,
            direction=item.direction,
            bits=bits,
            params=item.params or None,
            as_of=day,
        )
        findings.append(Finding(item, verdict))
    return Evaluation(str(path), service, policy, day, tuple(findings))
