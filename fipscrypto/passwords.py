"""Password storage: PBKDF2-HMAC-SHA-512 (SP 800-132) in PHC strings, with the policy's floors.

``hash()`` returns a PHC-format string (github.com/P-H-C/phc-string-format)::

    $pbkdf2-sha512$i=600000$<salt, base64 without padding>$<64-byte key, base64 without padding>

The salt is 128 random bits from :mod:`fipscrypto.rand` (SP 800-132 §5.1). The iteration count is
the active policy's floor for ``pbkdf2-hmac-sha512`` (600,000 in ``fips-140-3``) unless a higher one
is asked for. ``verify()`` raises :class:`~fipscrypto.errors.AuthenticationError` when the password
does not match; hashes below today's floor still verify (legacy use: processing old data), and
``needs_rehash()`` says when to replace them at the next successful login.

Argon2id (RFC 9106) is available only when the mode is not strict and the policy allows it, and
only where the loaded providers offer it (never the FIPS provider alone: off mode, or a process
whose cryptography has the default provider).
"""

from __future__ import annotations

import base64
import binascii
import re
from hmac import compare_digest

from . import rand
from ._backend import passwords as _argon
from ._service import authorize, record
from .errors import AuthenticationError, InvalidParameter
from .kdf import pbkdf2
from .module import gate

__all__ = ["hash", "needs_rehash", "verify"]

_SALT = 16
_KEY = 64
_DEFAULT_ITERATIONS = 600_000  # when the policy names no floor
_ARGON = {"m": 19_456, "t": 2, "p": 1}  # OWASP's first Argon2id configuration (19 MiB, t=2, p=1)
_PHC = re.compile(
    r"^\$(pbkdf2-sha512|argon2id)(?:\$v=19)?\$([a-z]=\d+(?:,[a-z]=\d+)*)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$"
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
    data = password.encode() if isinstance(password, str) else password
    if not data:
        raise InvalidParameter("an empty password cannot be hashed")
    return data


def hash(password: str | bytes, *, scheme: str = "pbkdf2-sha512", iterations: int | None = None) -> str:
    """A PHC string for ``password``: PBKDF2-HMAC-SHA-512 by default, or "argon2id"."""
    secret, salt = _bytes(password), rand.random_bytes(_SALT)
    if scheme == "argon2id":
        approved = authorize("passwords.hash", "password-hash", "argon2id")
        m, t, p = _ARGON["m"], _ARGON["t"], _ARGON["p"]
        key = _argon.argon2id(secret, salt, memory_kib=m, iterations=t, lanes=p, length=32)
        record("passwords.hash", "argon2id", approved)
        return f"$argon2id$v=19$m={m},t={t},p={p}${_b64(salt)}${_b64(key)}"
    if scheme != "pbkdf2-sha512":
        raise InvalidParameter("scheme is 'pbkdf2-sha512' or 'argon2id'")
    count = iterations if iterations is not None else _floor()
    params = {"iterations": count, "salt_bits": _SALT * 8}
    approved = authorize("passwords.hash", "password-hash", "pbkdf2-hmac-sha512", params=params)
    key = pbkdf2(secret, salt, iterations=count, length=_KEY, hash="sha512")
    record("passwords.hash", "pbkdf2-hmac-sha512", approved)
    return f"$pbkdf2-sha512$i={count}${_b64(salt)}${_b64(key)}"


def _parse(stored: str) -> tuple[str, dict[str, int], bytes, bytes]:
    found = _PHC.match(stored)
    if found is None:
        raise InvalidParameter("not a PHC string of a supported scheme ($pbkdf2-sha512$ or $argon2id$)")
    scheme, params, salt, key = found.groups()
    try:
        values = {k: int(v) for k, v in (pair.split("=") for pair in params.split(","))}
        return scheme, values, _unb64(salt), _unb64(key)
    except (ValueError, binascii.Error):
        raise InvalidParameter("malformed PHC parameters or base64") from None


def verify(password: str | bytes, stored: str) -> None:
    """Check ``password`` against a stored PHC string; AuthenticationError if it does not match."""
    scheme, params, salt, key = _parse(stored)
    secret = _bytes(password)
    if scheme == "argon2id":
        if set(params) != {"m", "t", "p"}:
            raise InvalidParameter("argon2id needs m, t and p")
        approved = authorize("passwords.verify", "password-hash", "argon2id", direction="process")
        derived = _argon.argon2id(
            secret, salt, memory_kib=params["m"], iterations=params["t"], lanes=params["p"], length=len(key)
        )
    else:
        if set(params) != {"i"} or len(key) < 14:
            raise InvalidParameter("pbkdf2-sha512 needs i and a key of at least 112 bits")
        checked = {"iterations": params["i"], "salt_bits": len(salt) * 8}
        approved = authorize(
            "passwords.verify", "password-hash", "pbkdf2-hmac-sha512", direction="process", params=checked
        )
        derived = pbkdf2(secret, salt, iterations=params["i"], length=len(key), hash="sha512")
    if not compare_digest(derived, key):
        raise AuthenticationError("the password does not match")
    record("passwords.verify", scheme, approved)


def needs_rehash(stored: str) -> bool:
    """True when ``stored`` is not PBKDF2-HMAC-SHA-512 at today's policy floor with a 128-bit salt."""
    gate()  # a service like the others: nothing is answered from the ERROR state
    scheme, params, salt, key = _parse(stored)
    return scheme != "pbkdf2-sha512" or params.get("i", 0) < _floor() or len(salt) < _SALT or len(key) < _KEY
