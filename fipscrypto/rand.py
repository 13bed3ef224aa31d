"""Random bits for keys, nonces and salts: an SP 800-90A Rev. 1 HMAC_DRBG on the FIPS provider's SHA-512.

The mechanism is HMAC_DRBG (SP 800-90A Rev. 1 §10.1.2) with SHA-512, security strength 256 bits,
seeded from the operating system's entropy source (``os.urandom``: getrandom(2) on Linux). It runs
in fipscrypto code on HMAC-SHA-512, which cryptography builds (OpenSSL's HMAC_CTX) around the
provider's SHA-512; the construction is fipscrypto's, not the validated module's (see
docs/core-services.md and docs/boundary.md). All keys, nonces and salts fipscrypto makes come
from :func:`random_bytes`.

- Reseed after ``reseed_interval`` requests (default 2**20; SP 800-90A Table 2 allows up to 2**48),
  or before every request with ``prediction_resistance``.
- At most 2**16 bytes per request (SP 800-90A Table 2: 2**19 bits); :func:`random_bytes` splits
  larger requests, up to :data:`MAX_LENGTH` bytes per call (a memory bound).
- Continuous health test on the entropy input: a block equal to the previous one is a failure of
  the source (FIPS 140-3 IG 9.x, the stuck-source test); the module enters ERROR.
- Thread-safe: one lock per instance. ``os.fork`` in a child reseeds before the next request.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from . import _faults, _fork, audit, module
from ._backend import hashes as _hashes
from ._params import byte_string, integer
from ._service import REVOKED, grant, grants, hold
from .errors import InvalidParameter, SelfTestFailure
from .indicator import get_last as _get_last
from .indicator import set_last as _set_last

__all__ = ["MAX_LENGTH", "MAX_REQUEST", "HmacDrbg", "random_bytes"]

MAX_REQUEST = 1 << 16  # bytes per generate call (2**19 bits)
MAX_LENGTH = 1 << 26  # bytes per random_bytes call (64 MiB)
_STRENGTH = 32  # bytes of entropy input: security strength 256 bits


class HmacDrbg:
    """HMAC_DRBG (SP 800-90A Rev. 1 §10.1.2). ``digest`` is a parameter so tests can run CAVP vectors."""

    def __init__(
        self,
        *,
        digest: str = "sha512",
        personalization: bytes = b"",
        reseed_interval: int = 1 << 20,
        prediction_resistance: bool = False,
        entropy: Callable[[int], bytes] = os.urandom,
    ) -> None:
        module.gate_unless_self_test()
        if not module.self_testing():  # a caller's DRBG: the DRBG's known-answer test runs first
            module.first_use("rand.HmacDrbg")
        integer("reseed_interval (SP 800-90A Table 2)", reseed_interval, 1, 1 << 48)
        personalization = byte_string("personalization", personalization)
        if not callable(entropy):
            raise InvalidParameter("entropy is a function of a length returning bytes")
        # SP 800-90A Rev. 1 §10.1.2: HMAC_DRBG runs HMAC over an approved hash function (no XOF).
        self._hash = _hashes.hmac_hash(digest)
        self._outlen = len(_hashes.digest(self._hash, b""))
        self._entropy = entropy
        self._interval = reseed_interval
        self._prediction_resistance = prediction_resistance
        self._lock = _fork.lock()
        self._last_entropy = b""
        self._pid = os.getpid()
        self._mac: Callable[[bytes], bytes] = REVOKED  # keyed by _instantiate
        with self._lock:
            self._instantiate(self._draw(_STRENGTH), self._draw(_STRENGTH // 2), personalization)
        hold(self)  # entering ERROR revokes the instance: no random output from the error state

    def _revoke(self) -> None:
        with self._lock:
            self._mac, self._v = REVOKED, b""  # the state (Key, V) is gone; generate raises

    @property
    def revoked(self) -> bool:
        return self._mac is REVOKED

    # --- SP 800-90A §10.1.2 ----------------------------------------------------------------------

    def _instantiate(self, entropy_input: bytes, nonce: bytes, personalization: bytes) -> None:
        # §10.1.2.3: seed_material = entropy_input || nonce || personalization_string;
        # Key = 0x00 00...00; V = 0x01 01...01; (Key, V) = HMAC_DRBG_Update(seed_material, Key, V).
        self._rekey(bytes(self._outlen))
        self._v = b"\x01" * self._outlen
        self._update(entropy_input + nonce + personalization)
        self._counter = 1

    def _rekey(self, key: bytes) -> None:
        # HMAC(Key, .) from a context keyed once per Key (see _backend.hashes.hmac_keyed).
        self._mac = _hashes.hmac_keyed(self._hash, key)

    def _update(self, provided: bytes) -> None:
        # §10.1.2.2: K = HMAC(K, V || 0x00 || provided_data); V = HMAC(K, V);
        # if provided_data is not Null: K = HMAC(K, V || 0x01 || provided_data); V = HMAC(K, V).
        self._rekey(self._mac(self._v + b"\x00" + provided))
        self._v = self._mac(self._v)
        if provided:
            self._rekey(self._mac(self._v + b"\x01" + provided))
            self._v = self._mac(self._v)

    def _reseed(self, additional: bytes) -> None:
        # §10.1.2.4: seed_material = entropy_input || additional_input; Update; reseed_counter = 1.
        self._update(self._draw(_STRENGTH) + additional)
        self._counter = 1

    def _generate(self, length: int, additional: bytes) -> bytes:
        # §10.1.2.5 (and §9.3.1: reseed when the counter exceeds the interval, or when asked to).
        if self._counter > self._interval or self._prediction_resistance or self._pid != os.getpid():
            self._pid = os.getpid()
            self._reseed(additional)
            additional = b""
        if additional:
            self._update(additional)
        out = bytearray()
        while len(out) < length:
            self._v = self._mac(self._v)
            out += self._v
        self._update(additional)
        self._counter += 1
        return bytes(out[:length])

    # --- entropy source with its continuous test ------------------------------------------------

    def _draw(self, length: int) -> bytes:
        block = self._entropy(length)
        stuck = block == self._last_entropy[:length] or _faults.injected("drbg-entropy-continuous")
        if len(block) != length or stuck:
            failure = SelfTestFailure(
                "drbg-entropy-continuous", "entropy source health test failed (stuck or short output)"
            )
            module.enter_error(str(failure))  # latched before anything that can fail reports it
            raise audit.report(failure, "selftest-failure", test=failure.test, detail=failure.detail)
        self._last_entropy = block
        return block

    # --- public ---------------------------------------------------------------------------------

    def generate(self, length: int, additional: bytes = b"") -> bytes:
        if type(length) is not int or not 0 <= length <= MAX_REQUEST:
            raise InvalidParameter(f"request an int of 0..{MAX_REQUEST} bytes per call (SP 800-90A Table 2)")
        if additional.__class__ is not bytes:
            additional = byte_string("additional", additional)
        with self._lock:
            return self._generate(length, additional)

    def reseed(self, additional: bytes = b"") -> None:
        additional = byte_string("additional", additional)
        with self._lock:
            self._reseed(additional)


_default: HmacDrbg | None = None
_default_lock = _fork.lock()
_GRANTS = grants()


def random_bytes(length: int) -> bytes:
    """``length`` random bytes from the module's HMAC_DRBG (SHA-512); larger requests are chunked."""
    permit = _GRANTS.get(None)
    drbg = _default
    if permit is None or drbg is None or drbg._mac is REVOKED:
        return _first_random_bytes(length)
    out = _draw(drbg, length)
    if _get_last() is not permit.op:  # the indicator, inlined (Grant.use)
        _set_last(permit.op)
    next(permit.counter)
    return out


def _draw(drbg: HmacDrbg, length: int) -> bytes:
    """One request, or several for more than MAX_REQUEST bytes (generate checks the argument)."""
    if type(length) is not int or length <= MAX_REQUEST:
        return drbg.generate(length)
    integer(f"length (bytes, up to {MAX_LENGTH})", length, 0, MAX_LENGTH)
    return b"".join(drbg.generate(min(MAX_REQUEST, length - i)) for i in range(0, length, MAX_REQUEST))


def _first_random_bytes(length: int) -> bytes:
    """The full path: policy (and the DRBG's self-test), a new default DRBG when there is none or it
    was revoked (the module left ERROR since); leaves a standing grant when it may."""
    global _default
    permit = grant("rand.random_bytes", "hash", "sha512", "hmac-drbg-sha512")
    with _default_lock:
        if _default is None or _default.revoked:
            _default = HmacDrbg()
        drbg = _default
    out = _draw(drbg, length)
    permit.use()
    if permit.standing:
        _GRANTS[None] = permit
    return out
