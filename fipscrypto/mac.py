"""Message authentication: HMAC (FIPS 198-1), CMAC-AES (SP 800-38B), GMAC (SP 800-38D).

Generating a tag is *apply*; verifying one is *process*, so the policy can let old tags verify
(legacy use, e.g. HMAC keys below 112 bits) while refusing new ones. The policy sees every MAC's
key size (``mac`` rules are sized by the key length in bits). Verification is constant-time
and raises :class:`~fipscrypto.errors.AuthenticationError`; it never returns False.
"""

from __future__ import annotations

from hmac import compare_digest  # constant time; compares public tags, no key material

from ._backend import ciphers as _ciphers
from ._backend import hashes as _hashes
from ._params import BYTES, byte_string
from ._service import grant, grants, record
from .enforce import require
from .errors import AuthenticationError, InvalidParameter
from .indicator import get_last as _get_last
from .indicator import set_last as _set_last

__all__ = ["cmac", "gmac", "hmac", "verify_cmac", "verify_gmac", "verify_hmac"]


def _aes_key(key: object) -> bytes:
    if not isinstance(key, BYTES) or len(key) not in (16, 24, 32):
        raise InvalidParameter("AES keys are 16, 24 or 32 bytes")
    return bytes(key)


def _hmac_key(key: object) -> bytes:
    key = byte_string("key", key)
    if not key:
        raise InvalidParameter("HMAC needs a non-empty key")
    return key


def _gcm_nonce(nonce: object) -> bytes:
    low, high = _ciphers.GCM_NONCE_SIZES
    if not isinstance(nonce, BYTES) or not low <= len(nonce) <= high:
        raise InvalidParameter(f"GMAC nonces are {low}..{high} bytes (12 recommended)")
    return bytes(nonce)


_GRANTS = grants()
_HMAC = _hashes.HMAC


def hmac(key: bytes, data: bytes, *, digest: str = "sha256") -> bytes:
    """HMAC-``digest`` of ``data``; the policy checks the key length (SP 800-131A: >= 112 bits)."""
    try:
        standing = _GRANTS.get((digest, len(key)))
    except TypeError:  # a wrong type (no length, unhashable): the full path says which argument
        standing = None
    if standing is None:
        return _first_hmac(key, data, digest)
    try:
        h = _HMAC(key, standing.subject)  # the hot path: no frame of ours between caller and provider
        h.update(data)
    except TypeError:
        return _first_hmac(key, data, digest)
    tag = h.finalize()
    if _get_last() is not standing.op:  # the indicator, inlined (Grant.use)
        _set_last(standing.op)
    next(standing.counter)
    return tag


def _first_hmac(key: object, data: object, digest: object) -> bytes:
    """The full path: argument checks, policy, the provider; leaves a standing grant when it may."""
    key, data, digest = _hmac_key(key), byte_string("data", data), _hashes.hmac_hash(digest)
    permit = grant("mac.hmac", "mac", f"hmac-{digest}", f"hmac-{digest}", bits=len(key) * 8)
    tag = _hashes.hmac_digest(digest, key, data)  # AlgorithmUnavailable if the provider refuses it
    permit.use()
    if permit.standing:
        permit.subject = _hashes.algorithm(digest)
        _GRANTS[digest, len(key)] = permit
    return tag


def verify_hmac(key: bytes, data: bytes, tag: bytes, *, digest: str = "sha256") -> None:
    """Verify an HMAC tag in constant time; AuthenticationError if it does not match.

    A truncated tag (its leftmost bytes) of at least 8 bytes is accepted (SP 800-107 Rev. 1 §5.3.3
    allows >= 32 bits; 64 is the floor here).
    """
    key, data, tag, digest = (
        _hmac_key(key),
        byte_string("data", data),
        byte_string("tag", tag),
        _hashes.hmac_hash(digest),  # FIPS 198-1: a hash function with a block size, no XOF
    )
    if len(tag) < 8:
        raise InvalidParameter("HMAC tags are at least 8 bytes")
    approved = require("mac.verify_hmac", "mac", f"hmac-{digest}", direction="process", bits=len(key) * 8)
    full = _hashes.hmac_digest(digest, key, data)
    if len(tag) > len(full) or not compare_digest(full[: len(tag)], tag):
        raise AuthenticationError("MAC verification failed")
    record("mac.verify_hmac", f"hmac-{digest}", approved)


def cmac(key: bytes, data: bytes) -> bytes:
    """CMAC with AES (SP 800-38B)."""
    key, data = _aes_key(key), byte_string("data", data)
    approved = require("mac.cmac", "mac", "cmac-aes", bits=len(key) * 8)
    tag = _hashes.cmac_aes(key, data)
    record("mac.cmac", f"cmac-aes-{len(key) * 8}", approved)
    return tag


def verify_cmac(key: bytes, data: bytes, tag: bytes) -> None:
    """Verify a CMAC-AES tag (its leftmost 8..16 bytes) in constant time; AuthenticationError if not."""
    key, data, tag = _aes_key(key), byte_string("data", data), byte_string("tag", tag)
    if len(tag) < 8:  # SP 800-38B §7: Tlen >= 64 bits without a documented risk analysis
        raise InvalidParameter("CMAC tags are at least 8 bytes")
    approved = require("mac.verify_cmac", "mac", "cmac-aes", direction="process", bits=len(key) * 8)
    if not compare_digest(_hashes.cmac_aes(key, data)[: len(tag)], tag):
        raise AuthenticationError("CMAC verification failed")
    record("mac.verify_cmac", f"cmac-aes-{len(key) * 8}", approved)


def gmac(key: bytes, nonce: bytes, aad: bytes) -> bytes:
    """GMAC (SP 800-38D): authenticate ``aad`` under a key and a unique nonce of 8..128 bytes
    (12 recommended; :data:`fipscrypto.aead.GCM_NONCE_SIZES`)."""
    key, nonce, aad = _aes_key(key), _gcm_nonce(nonce), byte_string("aad", aad)
    approved = require("mac.gmac", "mac", "gmac-aes", bits=len(key) * 8)
    tag = _ciphers.gmac(key, nonce, aad)
    record("mac.gmac", f"gmac-aes-{len(key) * 8}", approved)
    return tag


def verify_gmac(key: bytes, nonce: bytes, aad: bytes, tag: bytes) -> None:
    """Verify a GMAC tag (its leftmost 12..16 bytes) in constant time; AuthenticationError if not."""
    key, nonce, aad, tag = _aes_key(key), _gcm_nonce(nonce), byte_string("aad", aad), byte_string("tag", tag)
    if len(tag) < 12:  # SP 800-38D §5.2.1.2: 96..128-bit tags for general use
        raise InvalidParameter("GMAC tags are at least 12 bytes")
    approved = require("mac.verify_gmac", "mac", "gmac-aes", direction="process", bits=len(key) * 8)
    if not compare_digest(_ciphers.gmac(key, nonce, aad)[: len(tag)], tag):
        raise AuthenticationError("GMAC verification failed")
    record("mac.verify_gmac", f"gmac-aes-{len(key) * 8}", approved)
