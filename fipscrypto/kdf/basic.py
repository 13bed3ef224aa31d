"""HKDF (RFC 5869 / SP 800-56C r2), PBKDF2 (SP 800-132) and KBKDF (SP 800-108 r1)."""

from __future__ import annotations

from functools import partial

from .._backend import kdf as _kdf
from .._params import name, not_offered, optional_bytes
from .._service import record
from ..enforce import require
from ..errors import AlgorithmUnavailable, InvalidParameter
from ._common import byte_string, digest_length, positive, require_kdf
from ._core import CounterLocation, KbkdfMode, kbkdf_composed

__all__ = [
    "PBKDF2_MAX_ITERATIONS",
    "PBKDF2_MAX_LENGTH",
    "hkdf",
    "hkdf_expand",
    "hkdf_extract",
    "kbkdf",
    "pbkdf2",
]

# ------------------------------------------------------------------------------------------ HKDF


def hkdf(
    ikm: bytes, *, length: int, salt: bytes | None = None, info: bytes = b"", digest: str = "sha256"
) -> bytes:
    """HKDF-Extract then HKDF-Expand (RFC 5869 §2; SP 800-56C r2 §5 two-step KDF with HMAC)."""
    hash_len = digest_length(digest)
    ikm, salt, info = byte_string("ikm", ikm), optional_bytes("salt", salt), byte_string("info", info)
    # RFC 5869 §2.3: "L  length of output keying material in octets (<= 255*HashLen)"
    positive("length", length, 255 * hash_len, "RFC 5869 §2.3: L <= 255*HashLen")
    approved = require_kdf("kdf.hkdf", "hkdf", digest, ikm)
    okm = _kdf.hkdf(digest, ikm, salt, info, length)
    record("kdf.hkdf", f"hkdf-{digest}", approved)
    return okm


def hkdf_extract(ikm: bytes, *, salt: bytes | None = None, digest: str = "sha256") -> bytes:
    """HKDF-Extract(salt, IKM) -> PRK (RFC 5869 §2.2); no salt means HashLen zero octets."""
    digest_length(digest)
    ikm, salt = byte_string("ikm", ikm), optional_bytes("salt", salt)
    approved = require_kdf("kdf.hkdf_extract", "hkdf", digest, ikm)
    prk = _kdf.hkdf_extract(digest, salt, ikm)
    record("kdf.hkdf_extract", f"hkdf-{digest}", approved)
    return prk


def hkdf_expand(prk: bytes, *, length: int, info: bytes = b"", digest: str = "sha256") -> bytes:
    """HKDF-Expand(PRK, info, L) -> OKM (RFC 5869 §2.3)."""
    hash_len = digest_length(digest)
    prk, info = byte_string("prk", prk), byte_string("info", info)
    # RFC 5869 §2.3: "PRK  a pseudorandom key of at least HashLen octets"
    if len(prk) < hash_len:
        raise InvalidParameter(f"PRK must be at least HashLen = {hash_len} bytes (RFC 5869 §2.3)")
    positive("length", length, 255 * hash_len, "RFC 5869 §2.3: L <= 255*HashLen")
    approved = require_kdf("kdf.hkdf_expand", "hkdf", digest, prk)
    okm = _kdf.hkdf_expand(digest, prk, info, length)
    record("kdf.hkdf_expand", f"hkdf-{digest}", approved)
    return okm


# ---------------------------------------------------------------------------------------- PBKDF2

PBKDF2_MAX_ITERATIONS = 2**31 - 1
PBKDF2_MAX_LENGTH = 1024


def pbkdf2(password: bytes, salt: bytes, *, iterations: int, length: int, digest: str = "sha512") -> bytes:
    """PBKDF2 with HMAC-``digest`` (SP 800-132 §5.3). Storage-policy floors are checked elsewhere."""
    digest_length(digest)
    password, salt = byte_string("password", password), byte_string("salt", salt)
    # SP 800-132 §5.1: "the length of the randomly-generated portion of the salt shall be at least
    # 128 bits."
    if len(salt) < 16:
        raise InvalidParameter(f"the salt must be at least 128 bits (SP 800-132 §5.1), got {len(salt) * 8}")
    # SP 800-132 §5.2: "A minimum iteration count of 1,000 is recommended." At most 2^31 - 1: the
    # count OpenSSL's PBKDF2 takes (a C int); a larger one made cryptography panic.
    if type(iterations) is not int or not 1000 <= iterations <= PBKDF2_MAX_ITERATIONS:
        bounds = f"1000..{PBKDF2_MAX_ITERATIONS}"
        raise InvalidParameter(f"iterations must be an int of {bounds} (SP 800-132 §5.2), got {iterations!r}")
    # SP 800-132 §5.3: kLen <= (2^32 - 1) * hLen; keys of at least 112 bits (the FIPS provider's
    # SP 800-132 lower-bound check refuses shorter ones as well). At most PBKDF2_MAX_LENGTH: each
    # hLen bytes of output cost every iteration again (a resource bound, far above any key).
    if type(length) is not int or not 14 <= length <= PBKDF2_MAX_LENGTH:
        raise InvalidParameter(
            f"length must be an int of 14..{PBKDF2_MAX_LENGTH} bytes (SP 800-132 §5.3, >= 112 bits), "
            f"got {length!r}"
        )
    approved = require_kdf("kdf.pbkdf2", "pbkdf2", digest)
    key = _kdf.pbkdf2(digest, password, salt, iterations, length)
    record("kdf.pbkdf2", f"pbkdf2-hmac-{digest}", approved)
    return key


# ---------------------------------------------------------------------------------- SP 800-108


def _kbkdf_prf(prf: object, key: bytes) -> tuple[str, int]:
    """Check the PRF name and key; return the backend's PRF name (hash or "cmac-aes") and its output size."""
    prf = name("prf", prf)
    if prf in ("cmac-aes", "cmac-tdea"):
        if prf == "cmac-aes" and len(key) not in (16, 24, 32):
            raise InvalidParameter("CMAC-AES key derivation keys are 16, 24 or 32 bytes")
        return prf, 16 if prf == "cmac-aes" else 8
    if not prf.startswith("hmac-"):
        # SP 800-108 r1 §4 also allows KMAC (§4.4): not offered here, like the other MACs.
        raise not_offered("mac", prf, "KBKDF PRF", "use hmac-<hash> or cmac-aes")
    if not key:
        raise InvalidParameter("the key derivation key must not be empty")
    hash_name = prf.removeprefix("hmac-")
    return hash_name, digest_length(hash_name)


def _kbkdf_require(mode: str, prf: str, primitive: str, key: bytes) -> bool:
    approved = require("kdf.kbkdf", "kdf", f"kbkdf-{mode}", bits=len(key) * 8)
    if primitive.startswith("cmac-"):
        approved = require("kdf.kbkdf", "mac", primitive, bits=len(key) * 8) and approved
        if primitive == "cmac-tdea":  # a policy may allow it as legacy; no TDEA CMAC is bound here
            raise AlgorithmUnavailable("CMAC-TDEA is not available (TDEA is withdrawn, SP 800-67r2)")
        return approved
    return require("kdf.kbkdf", "hash", primitive) and approved


def kbkdf(
    key: bytes,
    *,
    length: int,
    label: bytes = b"",
    context: bytes = b"",
    fixed: bytes | None = None,
    mode: KbkdfMode = "counter",
    prf: str = "hmac-sha256",
    counter_bits: int = 32,
    location: CounterLocation = "before_fixed",
    break_bit: int | None = None,
    iv: bytes = b"",
) -> bytes:
    """SP 800-108 r1 key-based KDF in counter (§4.1), feedback (§4.2) or double-pipeline (§4.3) mode.

    The fixed input data is ``Label || 0x00 || Context || [L]_32`` (SP 800-108 r1 §5, L in bits),
    or ``fixed`` verbatim when given (then ``label`` and ``context`` must be empty).
    ``prf`` is ``"hmac-<hash>"`` or ``"cmac-aes"``. ``location`` places the counter
    ``[i]_counter_bits``: before or after the fixed data, inside it after ``break_bit`` bits
    (``"middle_fixed"``, counter mode only), or before the chaining value (``"before_iterator"``,
    feedback and double-pipeline). Feedback and double-pipeline modes may omit the counter:
    ``counter_bits=0`` with ``location="none"``. ``iv`` is the feedback mode's K(0).
    """
    if mode not in ("counter", "feedback", "double-pipeline"):
        raise InvalidParameter(f"unknown KBKDF mode {mode!r} (counter, feedback, double-pipeline)")
    if type(counter_bits) is not int or counter_bits not in (0, 8, 16, 24, 32):
        raise InvalidParameter("counter_bits must be 8, 16, 24 or 32 (or 0: no counter)")
    if (counter_bits == 0) != (location == "none"):
        raise InvalidParameter('omit the counter with counter_bits=0 and location="none" together')
    locations = {
        "counter": ("before_fixed", "after_fixed", "middle_fixed"),
        "feedback": ("before_fixed", "after_fixed", "before_iterator", "none"),
        "double-pipeline": ("before_fixed", "after_fixed", "before_iterator", "none"),
    }[mode]
    if location not in locations:
        raise InvalidParameter(f"counter location {location!r} is not defined for {mode} mode")
    if (location == "middle_fixed") != (break_bit is not None):
        raise InvalidParameter('break_bit is required with location="middle_fixed", and only then')
    key, iv = byte_string("key", key), byte_string("iv", iv)
    label, context, fixed = (
        byte_string("label", label),
        byte_string("context", context),
        optional_bytes("fixed", fixed),
    )
    if iv and mode != "feedback":
        raise InvalidParameter("an IV is used only in feedback mode (SP 800-108 r1 §4.2)")
    positive("length", length, 2**29 - 1, "L must fit the 32-bit [L]_2 field (SP 800-108 r1 §5)")
    if fixed is None:
        # SP 800-108 r1 §5: fixed input data = Label || 0x00 || Context || [L]_2
        fixed = label + b"\x00" + context + (length * 8).to_bytes(4, "big")
    elif label or context:
        raise InvalidParameter("give either fixed, or label and context, not both")
    if break_bit is not None and (type(break_bit) is not int or not 0 <= break_bit <= len(fixed) * 8):
        raise InvalidParameter(f"break_bit must lie within the fixed data (0..{len(fixed) * 8})")

    primitive, h = _kbkdf_prf(prf, key)
    n = -(-length // h)  # n := ceil(L / h)
    # SP 800-108 r1 §4.1 step 2: "If n > 2^r - 1, then output an error indicator and stop."
    if counter_bits and n > 2**counter_bits - 1:
        raise InvalidParameter(
            f"{length} bytes need {n} PRF blocks; a {counter_bits}-bit counter allows fewer"
        )

    approved = _kbkdf_require(mode, prf, primitive, key)
    if mode == "counter" and location != "middle_fixed":  # cryptography's KBKDF fits
        out = _kdf.kbkdf_counter(primitive, key, length, counter_bits // 8, location == "before_fixed", fixed)
    else:
        mac = partial(_kdf.cmac_aes, key) if primitive == "cmac-aes" else _kdf.hmac_keyed(primitive, key)
        out = kbkdf_composed(mac, n, mode, fixed, counter_bits, location, break_bit or 0, iv)[:length]
    record("kdf.kbkdf", f"kbkdf-{mode}-{prf}", approved)
    return out
