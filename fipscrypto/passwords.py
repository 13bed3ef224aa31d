"""Password storage: PBKDF2-HMAC-SHA-512 (SP 800-132) in PHC strings, with the policy's floors.

``hash()`` returns a PHC-format string (github.com/P-H-C/phc-string-format)::

    $pbkdf2-sha512$i=600000$<salt, base64 without padding>$<64-byte key, base64 without padding>

The salt is 128 random bits from :mod:`fipscrypto.rand` (SP 800-132 §5.1). The iteration count is
the active policy's floor for ``pbkdf2-hmac-sha512`` (600,000 in ``fips-140-3``) unless a higher one
is asked for. ``verify()`` raises :class:`~fipscrypto.errors.AuthenticationError` when the password
does not match; hashes below today's floor still verify (legacy use: processing old data), and
``needs_rehash()`` says when to replace them at the next successful login. ``verify()`` also reads
PBKDF2 strings with HMAC-SHA-256 or HMAC-SHA-1 (``$pbkdf2-sha256$``, ``$pbkdf2-sha1$``, as other
software writes them), as the policy's ``pbkdf2-hmac-sha256`` / ``pbkdf2-hmac-sha1`` process
direction allows: such strings always need a rehash. New hashes are PBKDF2-HMAC-SHA-512 or Argon2id.

Argon2id (RFC 9106) is available only when the mode is not strict and the policy allows it, and
only where the loaded providers offer it (never the FIPS provider alone: off mode, or a process
whose cryptography has the default provider).

A stored string is untrusted input: its parameters set the work a verification does. Before any
computation, in every mode, they must lie within these ceilings (resource bounds, not policy):
PBKDF2 at most :data:`MAX_ITERATIONS` iterations and a key of 14 bytes up to one output block of its
hash (64 bytes for SHA-512, 32 for SHA-256, 20 for SHA-1: a longer key only multiplies the work);
Argon2id at most 1 GiB of memory, 10 passes, 16 lanes and a 64-byte tag; salts of 8..64 bytes.
The string itself must be exactly one PHC string: no trailing newline, no parameter twice, ASCII
digits only.
"""

from __future__ import annotations

import base64
import binascii
import re
from hmac import compare_digest

from . import rand
from ._backend import kdf as _kdf
from ._backend import passwords as _argon
from ._params import name, not_offered
from ._service import record
from .enforce import require
from .errors import AuthenticationError, FipsError, InvalidParameter
from .kdf import pbkdf2
from .module import gate

__all__ = ["MAX_ITERATIONS", "hash", "needs_rehash", "verify"]

_SALT = 16
_KEY = 64
_DEFAULT_ITERATIONS = 600_000  # when the policy names no floor
_ARGON = {"m": 19_456, "t": 2, "p": 1}  # OWASP's first Argon2id configuration (19 MiB, t=2, p=1)
#: PBKDF2 iterations a stored string may ask for: about 17 times the policy floor, some 10 s here.
MAX_ITERATIONS = 10_000_000
_ARGON_MAX = {"m": 1 << 20, "t": 10, "p": 16}  # 1 GiB in KiB, passes, lanes
_SALT_BYTES = (8, 64)
# PBKDF2 schemes a stored string may name: PHC identifier -> (policy name, HMAC hash, longest key).
# New hashes are only pbkdf2-sha512; the others are verified for strings other software wrote.
_PBKDF2 = {
    "pbkdf2-sha512": ("pbkdf2-hmac-sha512", "sha512", 64),
    "pbkdf2-sha256": ("pbkdf2-hmac-sha256", "sha256", 32),
    "pbkdf2-sha1": ("pbkdf2-hmac-sha1", "sha1", 20),
}
# Key bytes: PBKDF2 at least 112 bits (SP 800-132 §5.3), at most one block of its hash.
_KEY_BYTES = {"argon2id": (16, 64)} | {scheme: (14, high) for scheme, (_, _, high) in _PBKDF2.items()}
_OFFERED = (
    "new hashes use 'pbkdf2-sha512' (PBKDF2-HMAC-SHA-512) or 'argon2id'; verify() also reads"
    " $pbkdf2-sha256$ and $pbkdf2-sha1$ strings"
)
_MAX_STORED = 512  # characters: far above any string within the ceilings
_PHC = re.compile(
    r"\$(pbkdf2-sha512|pbkdf2-sha256|pbkdf2-sha1|argon2id)(?:\$v=19)?\$([a-z]=[0-9]{1,10}(?:,[a-z]=[0-9]{1,10})*)"
    r"\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)"
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _floor() -> int:
    from .policy import current

    rule = current().match("password-hash", "pbkdf2-hmac-sha512", None)
    return rule.constraints.get("iterations", _DEFAULT_ITERATIONS) if rule else _DEFAULT_ITERATIONS


def _bytes(password: str | bytes) -> bytes:
    if not isinstance(password, str | bytes):
        raise InvalidParameter("a password is str or bytes")
    try:
        data = password.encode() if isinstance(password, str) else password
    except UnicodeEncodeError:
        raise InvalidParameter("a password str must encode as UTF-8 (no lone surrogates)") from None
    if not data:
        raise InvalidParameter("an empty password cannot be hashed")
    return data


def _unknown_scheme(scheme: object) -> FipsError:
    """A scheme other than the two offered: AlgorithmUnavailable for a password-hash name of the
    policy vocabulary (scrypt, bcrypt, PBKDF2 with SHA-1 or SHA-256, ...), else InvalidParameter."""
    if scheme == "pbkdf2-hmac-sha512":
        return InvalidParameter("scheme is the PHC identifier: 'pbkdf2-sha512' (or 'argon2id')")
    return not_offered("password-hash", name("scheme", scheme), "password hashing scheme", _OFFERED)


def hash(password: str | bytes, *, scheme: str = "pbkdf2-sha512", iterations: int | None = None) -> str:
    """A PHC string for ``password``: PBKDF2-HMAC-SHA-512 by default, or "argon2id"."""
    secret, salt = _bytes(password), rand.random_bytes(_SALT)
    if scheme == "argon2id":
        approved = require("passwords.hash", "password-hash", "argon2id")
        m, t, p = _ARGON["m"], _ARGON["t"], _ARGON["p"]
        key = _argon.argon2id(secret, salt, memory_kib=m, iterations=t, lanes=p, length=32)
        record("passwords.hash", "argon2id", approved)
        return f"$argon2id$v=19$m={m},t={t},p={p}${_b64(salt)}${_b64(key)}"
    if scheme != "pbkdf2-sha512":
        raise _unknown_scheme(scheme)
    count = iterations if iterations is not None else _floor()
    if type(count) is not int or not 1 <= count <= MAX_ITERATIONS:
        raise InvalidParameter(f"iterations is an int of 1..{MAX_ITERATIONS}")
    params = {"iterations": count, "salt_bits": _SALT * 8}
    approved = require("passwords.hash", "password-hash", "pbkdf2-hmac-sha512", params=params)
    key = pbkdf2(secret, salt, iterations=count, length=_KEY, digest="sha512")
    record("passwords.hash", "pbkdf2-hmac-sha512", approved)
    return f"$pbkdf2-sha512$i={count}${_b64(salt)}${_b64(key)}"


def _parse(stored: str) -> tuple[str, dict[str, int], bytes, bytes]:
    """The scheme, parameters, salt and key of a stored string, all within the ceilings."""
    if not isinstance(stored, str) or len(stored) > _MAX_STORED:
        raise InvalidParameter(f"a stored password hash is a PHC string of at most {_MAX_STORED} characters")
    found = _PHC.fullmatch(stored)
    if found is None:
        raise InvalidParameter(
            "not a PHC string of a supported scheme ($pbkdf2-sha512$, $pbkdf2-sha256$, $pbkdf2-sha1$,"
            " $argon2id$)"
        )
    scheme, params, salt_text, key_text = found.groups()
    pairs = [pair.split("=") for pair in params.split(",")]
    values = {name: int(value) for name, value in pairs}
    if len(values) != len(pairs):
        raise InvalidParameter("a PHC parameter is given twice")
    try:
        salt, key = _unb64(salt_text), _unb64(key_text)
    except (ValueError, binascii.Error):
        raise InvalidParameter("malformed PHC base64") from None
    expected = set(_ARGON_MAX) if scheme == "argon2id" else {"i"}
    if set(values) != expected:
        raise InvalidParameter(f"{scheme} takes the parameters {', '.join(sorted(expected))}")
    ceilings = {"i": MAX_ITERATIONS, **_ARGON_MAX}
    low, high = _KEY_BYTES[scheme]
    if any(not 1 <= values[name] <= ceilings[name] for name in values):
        raise InvalidParameter(f"{scheme} parameters out of range (iterations 1..{MAX_ITERATIONS})")
    if not _SALT_BYTES[0] <= len(salt) <= _SALT_BYTES[1] or not low <= len(key) <= high:
        raise InvalidParameter(f"{scheme}: salt of 8..64 bytes and a key of {low}..{high} bytes")
    return scheme, values, salt, key


def verify(password: str | bytes, stored: str) -> None:
    """Check ``password`` against a stored PHC string; AuthenticationError if it does not match."""
    scheme, params, salt, key = _parse(stored)
    secret = _bytes(password)
    if scheme == "argon2id":
        approved = require("passwords.verify", "password-hash", "argon2id", direction="process")
        derived = _argon.argon2id(
            secret, salt, memory_kib=params["m"], iterations=params["t"], lanes=params["p"], length=len(key)
        )
    else:
        policy_name, digest, _ = _PBKDF2[scheme]
        checked = {"iterations": params["i"], "salt_bits": len(salt) * 8}
        approved = require(
            "passwords.verify", "password-hash", policy_name, direction="process", params=checked
        )
        # Processing stored data: the password-hash rule's process direction decides, not the rules
        # for making new keys with the hash (the FIPS provider still refuses PBKDF2 below the
        # SP 800-132 floors: 128-bit salts, 1,000 iterations; AlgorithmUnavailable).
        derived = _kdf.pbkdf2(digest, secret, salt, params["i"], len(key))
    if not compare_digest(derived, key):
        raise AuthenticationError("the password does not match")
    record("passwords.verify", scheme, approved)


def needs_rehash(stored: str) -> bool:
    """True when ``stored`` is not PBKDF2-HMAC-SHA-512 at today's policy floor with a 128-bit salt."""
    gate()  # a service like the others: nothing is answered from the ERROR state
    scheme, params, salt, key = _parse(stored)
    return scheme != "pbkdf2-sha512" or params.get("i", 0) < _floor() or len(salt) < _SALT or len(key) < _KEY
