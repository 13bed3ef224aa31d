"""``fipscheck scan config``: the cryptography configuration files choose, as policy vocabulary uses.

Formats, recognised by file name, else by content: OpenSSL configuration (``openssl.cnf``: the
``SSL_CONF`` commands of :mod:`.tlsconf`, ``default_properties``, the providers it activates), nginx
(``ssl_protocols``, ``ssl_ciphers``, ``ssl_ecdh_curve``, ``ssl_conf_command``), OpenSSH
(:mod:`.sshconf`), strongSwan ``ipsec.conf``/``swanctl.conf`` (:mod:`.ipsecconf`, and the IKE
version) and SDP ``a=crypto`` lines (read by :meth:`fipscrypto.srtp.sdes.CryptoAttribute.parse`).
Each use carries the file, line and column, and the line as evidence.

What could not be read is a :class:`~.model.Skipped` whose reason starts with ``unreadable``,
``too-large``, ``unknown-format`` or ``malformed`` (a whole file: no line; one line: its line): the
run is then incomplete, never silently empty. Files are read up to :data:`MAX_BYTES`, lines up to
:data:`MAX_LINE` characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from fipscrypto.errors import AlgorithmUnavailable, FipsError, PolicyViolation
from fipscrypto.srtp.sdes import CryptoAttribute

from .ipsecconf import proposal_uses
from .model import Location, Misuse, Skipped, Use
from .sshconf import ssh_uses
from .tlsconf import tls_uses

__all__ = ["FORMATS", "MAX_BYTES", "MAX_LINE", "scan_config"]

MAX_BYTES = 8 << 20  # a configuration file larger than this is not read
MAX_LINE = 65536  # characters; a longer line is reported, not parsed
_EVIDENCE = 200  # characters of a line kept as evidence

Found = list[Use | Misuse | Skipped]


def _skipped(where: Location, reason: str, message: str) -> Skipped:
    return Skipped(where, f"{reason}: {message}")


class _Line:
    """One line of a file, without its comment."""

    def __init__(self, where: Location, text: str, comment: str) -> None:
        self.where, self.evidence = where, text.strip()[:_EVIDENCE]
        self.code = text.split(comment, 1)[0] if comment else text

    def setting(self, separator: str) -> tuple[str, str, int] | None:
        """``key SEP value``: the key, the value (unquoted) and the value's 1-based column."""
        match = re.match(rf"\s*([A-Za-z0-9_.$-]+)\s*{separator}\s*(.*?)\s*$", self.code)
        if match is None:
            return None
        value, column = match.group(2), match.start(2) + 1
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value, column = value[1:-1], column + 1
        return match.group(1), value, column


def _lines(path: str, text: str, scanner: str, comment: str = "#") -> Iterator[_Line | Skipped]:
    for number, line in enumerate(text.splitlines(), 1):
        where = Location(path, number)
        if len(line) > MAX_LINE:
            yield _skipped(where, "malformed", f"line longer than {MAX_LINE} characters")
        else:
            yield _Line(where, line, comment)


# ------------------------------------------------------------------------------------------- OpenSSL

_FIPS_PROPERTIES = (
    "OpenSSL fips_module(7): default_properties = fips=yes restricts fetches to the FIPS provider"
)
_LEGACY = (
    "OpenSSL OSSL_PROVIDER-legacy(7): the legacy provider's algorithms (MD4, RC4, DES, ...) are not approved"
)
_ON = ("1", "yes", "true", "on")


def _openssl(path: str, text: str) -> Found:
    scanner, section = "config:openssl", "default"
    found: Found = []
    sections: dict[str, dict[str, tuple[_Line, str]]] = {}
    for line in _lines(path, text, scanner):
        if isinstance(line, Skipped):
            found.append(line)
            continue
        code = line.code.strip()
        if not code or code.startswith("."):  # .include, .pragma
            continue
        if header := re.fullmatch(r"\[\s*([^\]]+?)\s*\]", code):
            section = header.group(1)
            continue
        setting = line.setting("=")
        if setting is None:
            found.append(_skipped(line.where, "malformed", "not [section] or name = value"))
            continue
        key, value, column = setting
        sections.setdefault(section, {})[key.lower()] = (line, value)
        found += tls_uses(key, value, line.where, column, scanner, line.evidence)
        if key.lower() == "default_properties" and not re.search(r"(^|,)\s*fips\s*=\s*yes\s*(,|$)", value):
            message = f"default_properties {value!r:.60} does not restrict fetches to the FIPS provider"
            found.append(
                Misuse(
                    line.where,
                    "config.openssl-not-fips",
                    message,
                    _FIPS_PROPERTIES,
                    scanner,
                    evidence=line.evidence,
                )
            )
    # providers = provider_sect; [provider_sect] legacy = legacy_sect; [legacy_sect] activate = 1
    for settings in sections.values():
        listed = sections.get(settings["providers"][1], {}) if "providers" in settings else {}
        activate = sections.get(listed["legacy"][1], {}).get("activate") if "legacy" in listed else None
        if activate is not None and activate[1].lower() in _ON:
            found.append(
                Misuse(
                    activate[0].where,
                    "config.openssl-legacy-provider",
                    "the legacy provider is activated",
                    _LEGACY,
                    scanner,
                    evidence=activate[0].evidence,
                )
            )
    return found


# --------------------------------------------------------------------------------------------- nginx

# nginx directive -> the SSL_CONF command its every argument is (ngx_http_ssl_module).
_NGINX = {"ssl_protocols": "Protocol", "ssl_ciphers": "CipherString", "ssl_ecdh_curve": "Groups"}
_NGINX_TOKEN = re.compile(r"#[^\n]*|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|[;{}]|[^\s;{}#\"']+|[\"']")


def _nginx_statements(text: str) -> Iterator[list[tuple[str, int, int]]]:
    """Directives as (word, line, column) lists; quotes removed; an unclosed quote is a word of its own."""
    words: list[tuple[str, int, int]] = []
    starts = [0, *(m.end() for m in re.finditer("\n", text))]
    for match in _NGINX_TOKEN.finditer(text):
        token = match.group()
        if token.startswith("#"):
            continue
        line = _bisect(starts, match.start())
        column = match.start() - starts[line - 1] + 1
        if token in (";", "{", "}"):
            if words:
                yield words
            words = []
        elif len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
            words.append((token[1:-1], line, column + 1))
        else:
            words.append((token, line, column))
    if words:
        yield words


def _bisect(starts: list[int], offset: int) -> int:
    low, high = 0, len(starts)
    while low < high:
        middle = (low + high) // 2
        low, high = (middle + 1, high) if starts[middle] <= offset else (low, middle)
    return low


def _nginx(path: str, text: str) -> Found:
    scanner, lines = "config:nginx", text.splitlines()
    found: Found = []
    for words in _nginx_statements(text):
        name, line, _ = words[0]
        where = Location(path, line)
        evidence = lines[line - 1].strip()[:_EVIDENCE] if line <= len(lines) else ""
        if any(word in ("'", '"') for word, _, _ in words):
            found.append(_skipped(where, "malformed", "unclosed quote"))
        elif name in _NGINX:
            for word, at_line, column in words[1:]:
                found += tls_uses(_NGINX[name], word, Location(path, at_line), column, scanner, evidence)
        elif name == "ssl_conf_command" and len(words) == 3:
            found += tls_uses(
                words[1][0], words[2][0], Location(path, words[2][1]), words[2][2], scanner, evidence
            )
    return found


# ------------------------------------------------------------------------------------------- OpenSSH


def _ssh(path: str, text: str) -> Found:
    found: Found = []
    for line in _lines(path, text, "config:ssh"):
        setting = line if isinstance(line, Skipped) else line.setting(r"(?:\s|=)")
        if isinstance(setting, Skipped):
            found.append(setting)
        elif setting is not None and isinstance(line, _Line):
            found += ssh_uses(setting[0], setting[1], line.where, setting[2], line.evidence)
    return found


# ----------------------------------------------------------------------------------------- strongSwan

# ipsec.conf(5) keyexchange, swanctl.conf(5) version: the IKE versions each value allows.
_IKE_VERSIONS = {
    ("keyexchange", "ikev1"): ("ikev1",),
    ("keyexchange", "ikev2"): ("ikev2",),
    ("keyexchange", "ike"): ("ikev1", "ikev2"),
    ("version", "1"): ("ikev1",),
    ("version", "2"): ("ikev2",),
    ("version", "0"): ("ikev1", "ikev2"),
}
_PROPOSALS = {
    "ike": "ike",
    "proposals": "ike",
    "esp": "esp",
    "esp_proposals": "esp",
    "ah": "esp",
    "ah_proposals": "esp",
}


def _strongswan(path: str, text: str) -> Found:
    scanner = "config:strongswan"
    found: Found = []
    for line in _lines(path, text, scanner):
        if isinstance(line, Skipped):
            found.append(line)
            continue
        setting = line.setting("=")
        if setting is None:
            continue
        key, value, column = setting[0].lower(), setting[1], setting[2]
        if key in _PROPOSALS:
            found += proposal_uses(_PROPOSALS[key], value, line.where, column, line.evidence)
        for version in _IKE_VERSIONS.get((key, value.lower()), ()):
            found.append(
                Use(
                    Location(path, line.where.line, column),
                    "ike-version",
                    version,
                    scanner,
                    evidence=line.evidence,
                )
            )
    return found


# ----------------------------------------------------------------------------------------------- SDP

_KEY_INFO = re.compile(r"inline:[^\s;|]*")  # RFC 4568 §6.1: the base64 master key and salt
_SDES = "RFC 4568 §6.3.2, §6.3.3: SRTP without encryption or authentication"


def _sdp(path: str, text: str) -> Found:
    scanner = "config:sdp"
    found: Found = []
    for line in _lines(path, text, scanner, comment=""):
        if isinstance(line, Skipped):
            found.append(line)
            continue
        attribute = line.code.strip()
        if not attribute.startswith("a=crypto:"):
            continue
        column = line.code.index("a=crypto:") + 1
        fields = attribute.split()
        line.evidence = _KEY_INFO.sub("inline:...", line.evidence)  # reports never carry key material
        suite_at = (
            Location(path, line.where.line, column + attribute.find(fields[1]))
            if len(fields) > 1
            else line.where
        )
        try:
            parsed = CryptoAttribute.parse(attribute)
        except PolicyViolation as refused:  # UNENCRYPTED_SRTP and the like: the suite is used all the same
            found += [
                Use(suite_at, "srtp-profile", fields[1], scanner, evidence=line.evidence),
                Misuse(
                    line.where, "config.sdp-unprotected", str(refused), _SDES, scanner, evidence=line.evidence
                ),
            ]
        except AlgorithmUnavailable:  # a well-formed suite fipscrypto does not implement (F8, NULL, ARIA)
            found.append(Use(suite_at, "srtp-profile", fields[1], scanner, evidence=line.evidence))
        except FipsError as bad:
            found.append(_skipped(line.where, "malformed", str(bad)))
        else:
            found.append(Use(suite_at, "srtp-profile", parsed.profile.name, scanner, evidence=line.evidence))
    return found


# --------------------------------------------------------------------------------------- dispatching

FORMATS: dict[str, Callable[[str, str], Found]] = {
    "openssl": _openssl,
    "nginx": _nginx,
    "ssh": _ssh,
    "strongswan": _strongswan,
    "sdp": _sdp,
}
_BY_NAME = (
    (re.compile(r"ssh_?d?_config|sshd?\.conf"), "ssh"),
    (re.compile(r"swanctl|ipsec\.conf|strongswan"), "strongswan"),
    (re.compile(r"\.sdp$"), "sdp"),
    (re.compile(r"nginx"), "nginx"),
    (re.compile(r"\.cnf$|openssl"), "openssl"),
)
_BY_CONTENT = (
    (re.compile(r"^(v=0|a=crypto:)", re.M), "sdp"),
    (re.compile(r"^\s*ssl_[a-z_]+\s", re.M), "nginx"),
    (re.compile(r"^\s*(ike|esp|proposals|esp_proposals|keyexchange)\s*=", re.M), "strongswan"),
    (re.compile(r"^\s*(Ciphers|MACs|KexAlgorithms|HostKeyAlgorithms)[\s=]", re.M | re.I), "ssh"),
    (re.compile(r"^\s*\[\s*[\w .-]+\]\s*$", re.M), "openssl"),
)


def _detect(path: str, text: str) -> str | None:
    """The format of a file: by its name, else by its content; None if neither tells."""
    name = Path(path).name.lower()
    by_name = (kind for pattern, kind in _BY_NAME if pattern.search(name))
    by_content = (kind for pattern, kind in _BY_CONTENT if pattern.search(text))
    return next(by_name, None) or next(by_content, None)


def _read(path: str) -> str | Skipped:
    where = Location(path)
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as error:
        return _skipped(where, "unreadable", f"cannot read: {error.strerror or error}")
    if len(data) > MAX_BYTES:
        return _skipped(where, "too-large", f"larger than {MAX_BYTES} bytes: not read")
    if b"\0" in data:
        return _skipped(where, "unknown-format", "a binary file, not a configuration file")
    return data.decode("utf-8", errors="replace")


def scan_config(paths: list[str], format: str | None = None) -> Found:
    """What each configuration file uses; ``format`` (a :data:`FORMATS` key) overrides detection."""
    found: Found = []
    for path in paths:
        text = _read(path)
        if isinstance(text, Skipped):
            found.append(text)
            continue
        kind = format or _detect(path, text)
        if kind is None:
            found.append(
                _skipped(Location(path), "unknown-format", "not a configuration format fipscheck reads")
            )
            continue
        found += FORMATS[kind](path, text)
    return found
