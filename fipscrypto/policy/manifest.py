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
    kdfs = ["hkdf"]
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

import datetime as dt
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._clock import today as _today
from ..errors import PolicyError
from .model import Direction, Policy, Status, Verdict
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
_SECTIONS = {"service", "tls", "srtp", "ipsec", "primitives", "keys", "passwords", "item"}


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
        if fail_on not in ("disallowed", "deprecated"):
            raise ValueError(f"fail_on must be 'disallowed' or 'deprecated', not {fail_on!r}")
        if fail_on == "deprecated":
            return tuple(f for f in self.findings if f.level != "note")
        return tuple(f for f in self.findings if f.level == "error")


class _Locator:
    """Line numbers for manifest entries: the line of ``key = [`` of a list, or of an entry's value."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def find(self, text: str, start: int = 0) -> int:
        needle = re.compile(rf"[\"']{re.escape(text)}(:\d+)?[\"']")
        for number in range(start, len(self.lines)):
            if needle.search(self.lines[number].split("#", 1)[0]):
                return number + 1
        return 0

    def key(self, section: str, key: str) -> int:
        """The 0-based line index after which the list ``section.key`` starts (0 if not found)."""
        header = re.compile(rf"^\s*\[{re.escape(section)}\]\s*$")
        dotted = re.compile(rf"^\s*{re.escape(section)}\.{re.escape(key)}\s*=")
        plain = re.compile(rf"^\s*{re.escape(key)}\s*=")
        inside = False
        for number, line in enumerate(self.lines):
            if dotted.match(line) or (inside and plain.match(line)):
                return number
            if line.lstrip().startswith("["):
                inside = bool(header.match(line))
        return 0


def _split(value: str) -> tuple[str, int | None]:
    name, sep, bits = value.rpartition(":")
    if sep and bits.isdigit():
        return name, int(bits)
    return value, None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _items(path: str, data: dict[str, Any], where: _Locator) -> Iterator[ManifestItem]:
    def fail(key: str, message: str, line: int = 0) -> PolicyError:
        return PolicyError(path, line, key, message)

    for section, value in data.items():
        if section not in _SECTIONS:
            raise fail(section, f"unknown section (known: {', '.join(sorted(_SECTIONS))})")
        array = section in ("keys", "passwords", "item")
        if array and not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
            raise fail(section, f"must be an array of tables ([[{section}]])")
        if not array and not isinstance(value, dict):
            raise fail(section, f"must be a table ([{section}])")
    for section in ("tls", "srtp", "ipsec", "primitives"):
        extra = set(data.get(section, {})) - {k for s, k in _LISTS if s == section}
        if extra:
            raise fail(f"{section}.{sorted(extra)[0]}", "unknown key")
    for (section, key), cats in _LISTS.items():
        values = data.get(section, {}).get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise fail(f"{section}.{key}", "must be a list of strings")
        start = where.key(section, key)
        for index, raw in enumerate(values):
            name, bits = _split(raw)
            line = where.find(raw, start)
            category = next((c for c in cats if name in categories()[c].names), None)
            if category is None:
                raise fail(f"{section}.{key}[{index}]", f"unknown {' or '.join(cats)} name {name!r}", line)
            yield ManifestItem(f"{section}.{key}[{index}]", line, category, name, bits, Direction.APPLY, {})
    cursor = 0
    for index, key in enumerate(data.get("keys", [])):
        name, bits = key.get("algorithm"), _int(key.get("bits"))
        category = next((c for c in ("signature", "key-agreement") if name in categories()[c].names), None)
        cursor = where.find(str(name), cursor) or cursor
        if category is None or bits is None:
            raise fail(
                f"keys[{index}]", "needs algorithm (a signature or key-agreement name) and bits", cursor
            )
        yield ManifestItem(f"keys[{index}]", cursor, category, str(name), bits, Direction.APPLY, {})
    cursor = 0
    for index, entry in enumerate(data.get("passwords", [])):
        scheme = entry.get("scheme")
        cursor = where.find(str(scheme), cursor) or cursor
        if scheme not in categories()["password-hash"].names:
            raise fail(f"passwords[{index}]", f"unknown password-hash scheme {scheme!r}", cursor)
        params = {k: v for k in ("iterations", "salt_bits") if (v := _int(entry.get(k))) is not None}
        yield ManifestItem(
            f"passwords[{index}]", cursor, "password-hash", str(scheme), None, Direction.APPLY, params
        )
    cursor = 0
    for index, entry in enumerate(data.get("item", [])):
        category, name = entry.get("category"), entry.get("name")
        cursor = where.find(str(name), cursor) or cursor
        if category not in categories() or name not in categories()[str(category)].names:
            raise fail(f"item[{index}]", f"unknown category/name {category!r}/{name!r}", cursor)
        try:
            direction = Direction(entry.get("direction", "apply"))
        except ValueError:
            raise fail(f"item[{index}].direction", "must be apply or process", cursor) from None
        yield ManifestItem(
            f"item[{index}]", cursor, str(category), str(name), _int(entry.get("bits")), direction, {}
        )


def read_manifest(path: str | Path) -> tuple[str, list[ManifestItem]]:
    """The service name and the items of a manifest; PolicyError on any problem."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise PolicyError(str(target), 0, "", f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise PolicyError(str(target), 0, "", "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"line (\d+)", str(exc))
        raise PolicyError(
            str(target), int(where.group(1)) if where else 0, "", f"TOML syntax: {exc}"
        ) from None
    items = list(_items(str(target), data, _Locator(text)))
    service = data.get("service", {}).get("name", target.stem)
    return str(service), items


def evaluate(path: str | Path, policy: Policy, as_of: dt.date | None = None) -> Evaluation:
    """Evaluate every item of the manifest against the policy."""
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
