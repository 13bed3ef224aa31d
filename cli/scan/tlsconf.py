"""TLS settings in OpenSSL's spelling (``SSL_CONF_cmd`` commands, as openssl.cnf and nginx write them),
turned into policy vocabulary uses.

The commands read: ``CipherString`` (TLS 1.2 and earlier suites), ``Ciphersuites`` (TLS 1.3),
``MinProtocol``/``MaxProtocol``/``Protocol``, ``Groups``/``Curves`` and
``SignatureAlgorithms``/``ClientSignatureAlgorithms`` (OpenSSL SSL_CONF_cmd(3)). A cipher string's
keywords (``HIGH``, ``ALL``, ``kEECDH+AESGCM``) are expanded by the local OpenSSL's own cipher-list
parser (the ``ssl`` module: name resolution only, nothing is encrypted); suites named one by one are
reported whether or not that library still carries them (``RC4-SHA`` is what the file asks for, even
where the library was built without it). Suites are reported by their IANA name where the vocabulary's
``[tls12-suite.openssl]`` table knows OpenSSL's spelling, else by OpenSSL's name, which no policy
allows.
"""

from __future__ import annotations

import functools
import re
import ssl
from collections.abc import Callable

from fipscrypto.policy.vocabulary import categories

from .model import Location, Misuse, Skipped, Use

__all__ = ["COMMANDS", "tls_uses"]

# OpenSSL's protocol names, oldest first (SSL_CONF_cmd(3), MinProtocol), and the vocabulary's.
_VERSIONS = {
    "SSLv2": "ssl2",
    "SSLv3": "ssl3",
    "TLSv1": "tls1.0",
    "TLSv1.1": "tls1.1",
    "TLSv1.2": "tls1.2",
    "TLSv1.3": "tls1.3",
}
_DTLS = {"DTLSv1": "dtls1.0", "DTLSv1.2": "dtls1.2"}
# OpenSSL's group aliases (ssl/t1_lib.c: "prime256v1", the NIST "P-" names) and case-insensitive IANA.
_GROUP_ALIASES = {
    "prime256v1": "secp256r1",
    "p-256": "secp256r1",
    "p-384": "secp384r1",
    "p-521": "secp521r1",
    "p-224": "secp224r1",
}
# The "SIG+HASH" form of SignatureAlgorithms (SSL_CONF_cmd(3)), as TLS 1.2/1.3 signature schemes.
_SIGALG_PAIRS = {
    "RSA+SHA1": "rsa_pkcs1_sha1",
    "RSA+SHA256": "rsa_pkcs1_sha256",
    "RSA+SHA384": "rsa_pkcs1_sha384",
    "RSA+SHA512": "rsa_pkcs1_sha512",
    "ECDSA+SHA1": "ecdsa_sha1",
    "ECDSA+SHA256": "ecdsa_secp256r1_sha256",
    "ECDSA+SHA384": "ecdsa_secp384r1_sha384",
    "ECDSA+SHA512": "ecdsa_secp521r1_sha512",
    "RSA-PSS+SHA256": "rsa_pss_rsae_sha256",
    "RSA-PSS+SHA384": "rsa_pss_rsae_sha384",
    "RSA-PSS+SHA512": "rsa_pss_rsae_sha512",
    "DSA+SHA1": "dsa_sha1",
    "DSA+SHA256": "dsa_sha256",
}
_LIST = re.compile(r"[^:,\s]+")

Found = list[Use | Misuse | Skipped]


@functools.cache
def _iana_suites() -> dict[str, str]:
    """OpenSSL's TLS 1.2 suite names -> IANA names, from the vocabulary."""
    return {openssl: iana for iana, openssl in categories()["tls12-suite"].openssl.items()}


@functools.cache
def _groups() -> dict[str, str]:
    names = {name.lower(): name for name in categories()["tls-group"].names}
    names.update({openssl.lower(): name for name, openssl in categories()["tls-group"].openssl.items()})
    return names | _GROUP_ALIASES


def _tokens(value: str, column: int) -> list[tuple[str, int]]:
    return [(m.group(), column + m.start()) for m in _LIST.finditer(value)]


class _Emit:
    """Uses of one setting at one place in a file."""

    def __init__(self, where: Location, scanner: str, evidence: str) -> None:
        self.where, self.scanner, self.evidence = where, scanner, evidence

    def use(self, category: str, name: str, column: int | None = None) -> Use:
        at = self.where if column is None else Location(self.where.target, self.where.line, column)
        return Use(at, category, name, self.scanner, evidence=self.evidence)

    def malformed(self, message: str) -> Skipped:
        return Skipped(self.where, f"malformed: {message} (OpenSSL SSL_CONF_cmd(3))")


def _expanded(value: str) -> list[str] | None:
    """The TLS 1.2 suites OpenSSL's cipher-list parser makes of ``value``, None if it selects none."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.set_ciphers(value)
    except ssl.SSLError:
        return None
    return [c["name"] for c in context.get_ciphers() if c["protocol"] != "TLSv1.3"]


def _cipher_string(value: str, column: int, emit: _Emit) -> Found:
    tokens = _tokens(value, column)
    # A token with "-" and no operator is one suite; keywords (HIGH, kEECDH+AESGCM, @SECLEVEL=1) have none.
    named = [(t, c) for t, c in tokens if "-" in t and t[0] not in "!-+@" and "+" not in t]
    removed = {t[1:] for t, _ in tokens if t[0] in "!-"}
    expanded = _expanded(value)
    if expanded is None and not named:
        return [emit.malformed(f"cipher string {value!r:.80} selects no cipher suite")]
    first = tokens[0][1] if tokens else column
    where = {t: c for t, c in named} | {t: first for t in expanded or () if t not in dict(named)}
    suites = dict.fromkeys([*(t for t, _ in named), *(expanded or ())])
    return [emit.use("tls12-suite", _iana_suites().get(s, s), where[s]) for s in suites if s not in removed]


def _ciphersuites(value: str, column: int, emit: _Emit) -> Found:
    return [emit.use("tls13-suite", name, at) for name, at in _tokens(value, column)]


def _versions(names: list[tuple[str, int]], emit: _Emit) -> Found:
    found: Found = []
    for name, at in names:
        version = _VERSIONS.get(name) or _DTLS.get(name)
        found.append(
            emit.use("tls-version", version, at)
            if version
            else emit.malformed(f"unknown protocol {name!r:.40}")
        )
    return found


def _min_protocol(value: str, column: int, emit: _Emit) -> Found:
    """MinProtocol enables its version and every later one (up to TLS 1.3 or DTLS 1.2)."""
    name = value.strip()
    for table in (_VERSIONS, _DTLS):
        if name in table:
            later = list(table)[list(table).index(name) :]
            return _versions([(v, column) for v in later], emit)
    return [] if name.lower() == "none" else [emit.malformed(f"unknown protocol {name!r:.40}")]


def _protocol(value: str, column: int, emit: _Emit) -> Found:
    """``Protocol = -ALL, TLSv1.2``: the versions switched on (SSL_CONF_cmd(3), Protocol)."""
    enabled: dict[str, int] = {}
    for token, at in _tokens(value, column):
        off, name = token.startswith("-"), token.lstrip("+-")
        names = list(_VERSIONS)[1:] if name.upper() == "ALL" else [name]
        for each in names:
            if off:
                enabled.pop(each, None)
            else:
                enabled[each] = at
    return _versions(list(enabled.items()), emit)


def _group_list(value: str, column: int, emit: _Emit) -> Found:
    """``Groups``: names separated by ":" (and "/" between OpenSSL 3.5 key-share tuples); "?" marks a
    name the library may not know, "*" a key share, "-" removes one from DEFAULT."""
    found: Found = []
    for token, at in (t for part in _tokens(value, column) for t in _split_groups(*part)):
        name = token.lstrip("?*")
        if token.startswith("-") or name.upper() == "DEFAULT" or name.lower() == "auto" or not name:
            continue
        found.append(emit.use("tls-group", _groups().get(name.lower(), name), at))
    return found


def _split_groups(token: str, column: int) -> list[tuple[str, int]]:
    return [(m.group(), column + m.start()) for m in re.finditer(r"[^/]+", token)]


def _sigalgs(value: str, column: int, emit: _Emit) -> Found:
    return [emit.use("tls-sigalg", _SIGALG_PAIRS.get(name, name), at) for name, at in _tokens(value, column)]


# SSL_CONF_cmd(3) file-mode commands (names compared case-insensitively) -> their reader.
COMMANDS: dict[str, Callable[[str, int, _Emit], Found]] = {
    "cipherstring": _cipher_string,
    "ciphersuites": _ciphersuites,
    "minprotocol": _min_protocol,
    "protocol": _protocol,
    "groups": _group_list,
    "curves": _group_list,
    "signaturealgorithms": _sigalgs,
    "clientsignaturealgorithms": _sigalgs,
}


def tls_uses(command: str, value: str, where: Location, column: int, scanner: str, evidence: str) -> Found:
    """The uses one TLS setting makes: ``command`` as SSL_CONF_cmd spells it, ``value`` starting at
    1-based ``column`` of the line at ``where``. Commands that choose no algorithm give nothing."""
    reader = COMMANDS.get(command.lower())
    return [] if reader is None else reader(value, column, _Emit(where, scanner, evidence))
