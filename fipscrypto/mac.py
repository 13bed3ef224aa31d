"""Message authentication: HMAC (FIPS 198-1), CMAC-AES (SP 800-38B), GMAC (SP 800-38D).

Generating a tag is *apply*; verifying one is *process*, so the policy can let old tags verify
(legacy use, e.g. HMAC keys below 112 bits) while refusing new ones. Verification is constant-time
and raises :class:`~fipscrypto.errors.AuthenticationError`; it never returns False.
"""

from __future__ import annotations

from hmac import compare_digest  # constant time; compares public tags, no key material

from ._backend import ciphers as _ciphers
from ._backend import hashes as _hashes
from ._service import authorize, grant, grants, record
from .errors import AuthenticationError, InvalidParameter
from .indicator import get_last as _get_last
from .indicator import set_last as _set_last

__all__ = ["cmac", "gmac", "hmac", "verify_cmac", "verify_gmac", "verify_hmac"]


def _aes_key(key: bytes) -> None:
    if len(key) not in (16, 24, 32):
        raise InvalidParameter("AES keys are 16, 24 or 32 bytes")


_GRANTS = grants()
_HMAC = _hashes.HMAC


def hmac(key: bytes, data: bytes, *, hash: str = "sha256") -> bytes:
    """HMAC-``hash`` of ``data``; the policy checks the key length (SP 800-131A: >= 112 bits)."""
    standing = _GRANTS.get((hash, len(key)))
    if standing is None:
        return _first_hmac(key, data, hash)
    h = _HMAC(key, standing.subject)  # the hot path: no frame of ours between the caller and the provider
    h.update(data)
    tag = h.finalize()
    if _get_last() is not standing.op:  # the indicator, inlined (Grant.use)
        _set_last(standing.op)
    next(standing.counter)
    return tag


def _first_hmac(key: bytes, data: bytes, hash: str) -> bytes:
    """The full path: key check, policy, the provider; leaves a standing grant when it may."""
    if not key:
        raise InvalidParameter("HMAC needs a non-empty key")
    permit = grant("mac.hmac", "mac", f"hmac-{hash}", f"hmac-{hash}", bits=len(key) * 8)
    tag = _hashes.hmac_digest(hash, key, data)  # AlgorithmUnavailable if the provider refuses the hash
    permit.use()
    if permit.standing:
        permit.subject = _hashes.algorithm(hash)
        _GRANTS[hash, len(key)] = permit
    return tag


def verify_hmac(key: bytes, data: bytes, tag: bytes, *, hash: str = "sha256") -> None:
    """Verify an HMAC tag in constant time; AuthenticationError if it does not match.

    A truncated tag (its leftmost bytes) of at least 8 bytes is accepted (SP 800-107 Rev. 1 §5.3.3
    allows >= 32 bits; 64 is the floor here).
    """
    if not key:
        raise InvalidParameter("HMAC needs a non-empty key")
    if len(tag) < 8:
        raise InvalidParameter("HMAC tags are at least 8 bytes")
    approved = authorize("mac.verify_hmac", "mac", f"hmac-{hash}", direction="process", bits=len(key) * 8)
    full = _hashes.hmac_digest(hash, key, data)
    if len(tag) > len(full) or not compare_digest(full[: len(tag)], tag):
        raise AuthenticationError("MAC verification failed")
    record("mac.verify_hmac", f"hmac-{hash}", approved)


def cmac(key: bytes, data: bytes) -> bytes:
    """CMAC with AES (SP 800-38B)."""
    _aes_key(key)
    approved = authorize("mac.cmac", "mac", "cmac-aes")
    tag = _hashes.cmac_aes(key, data)
    record("mac.cmac", f"cmac-aes-{len(key) * 8}", approved)
    return tag


def verify_cmac(key: bytes, data: bytes, tag: bytes) -> None:
    _aes_key(key)
    if len(tag) < 8:  # SP 800-38B §7: Tlen >= 64 bits without a documented risk analysis
        raise InvalidParameter("CMAC tags are at least 8 bytes")
    approved = authorize("mac.verify_cmac", "mac", "cmac-aes", direction="process")
    if not compare_digest(_hashes.cmac_aes(key, data)[: len(tag)], tag):
        raise AuthenticationError("CMAC verification failed")
    record("mac.verify_cmac", f"cmac-aes-{len(key) * 8}", approved)


def gmac(key: bytes, nonce: bytes, aad: bytes) -> bytes:
    """GMAC (SP 800-38D): authenticate ``aad`` under a key and a unique nonce (12 bytes recommended)."""
    _aes_key(key)
    if not 1 <= len(nonce) <= 128:
        raise InvalidParameter("GMAC nonces are 1..128 bytes (12 recommended)")
    approved = authorize("mac.gmac", "mac", "gmac-aes")
    tag = _ciphers.gmac(key, nonce, aad)
    record("mac.gmac", f"gmac-aes-{len(key) * 8}", approved)
    return tag


def verify_gmac(key: bytes, nonce: bytes, aad: bytes, tag: bytes) -> None:
    _aes_key(key)
    if len(tag) < 12:  # SP 800-38D §5.2.1.2: 96..128-bit tags for general use
        raise InvalidParameter("GMAC tags are at least 12 bytes")
    approved = authorize("mac.verify_gmac", "mac", "gmac-aes", direction="process")
    if not compare_digest(_ciphers.gmac(key, nonce, aad)[: len(tag)], tag):
        raise AuthenticationError("GMAC verification failed")
    record("mac.verify_gmac", f"gmac-aes-{len(key) * 8}", approved)
