"""Random bits for keys, nonces and salts: the FIPS provider's SP 800-90A Rev. 1 CTR_DRBG.

:func:`random_bytes` draws from a CTR_DRBG (SP 800-90A Rev. 1 §10.2.1: AES-256, with the derivation
function, security strength 256 bits) that the FIPS provider runs in fipscrypto's private library
context (:mod:`fipscrypto.provider.context`): the mechanism, its state and its seeding are inside the
validated module. Its parent is the provider's ``CRNG-TEST``: the SP 800-90B §4.4 continuous health
tests (repetition count and adaptive proportion) on the operating system's entropy (getrandom(2)),
the chain the provider builds for its own DRBGs.

- One generate request serves several calls: a block of :data:`_BLOCK` bytes, the output of one
  generate request (SP 800-90A §9.3), is handed out in consecutive slices, each byte once, to
  requests of up to :data:`_SLICED` bytes. The DRBG's state moves past a block when the block is
  generated, so backtracking resistance (§8.8) covers every byte handed out; a compromise of the
  process memory reveals what is still unread in the block (at most 16 KiB), as it reveals the
  DRBG's state, which predicts the output until the next reseed. Larger
  requests and requests with ``prediction_resistance=True`` get requests of their own, at most 2**16
  bytes each (the provider's max_request; SP 800-90A Table 3 allows 2**19 bits).
- ``prediction_resistance=True``: the provider reseeds from its entropy source before generating
  (SP 800-90A §8.8, §9.3.1); such output never comes from a block generated earlier.
- The provider keeps the reseed counter (``reseed_requests``: a reseed every 256 requests) and
  reseeds in a new process; the unread blocks are dropped in the child of ``os.fork`` (a slice never
  serves two processes).
- A failed health test (the provider refuses to generate) enters ERROR; ERROR revokes the generator
  and drops the block. Thread-safe: the provider locks the instance; threads share the block.

:class:`HmacDrbg` is fipscrypto's own HMAC_DRBG (SP 800-90A §10.1.2) on the provider's HMAC, for
callers that need their own instance (their entropy input, personalization, reseed interval); off
mode, which has no provider, serves :func:`random_bytes` from one of those.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from typing import Any

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
_BLOCK = 1 << 14  # bytes per generate request that is served in slices
_SLICED = 1 << 10  # the largest request served from a block


def _source_failure(detail: str) -> BaseException:
    """The DRBG's entropy source failed its health test: latch ERROR, audit, and return the error."""
    failure = SelfTestFailure("drbg-entropy-continuous", detail)
    module.enter_error(str(failure))  # latched before anything that can fail reports it
    return audit.report(failure, "selftest-failure", test=failure.test, detail=failure.detail)


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
            raise _source_failure("entropy source health test failed (stuck or short output)")
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


class _OffMode:
    """Off mode has no provider: an :class:`HmacDrbg` serves (nothing is approved there)."""

    def __init__(self) -> None:
        self._drbg = HmacDrbg()

    def generate(self, length: int, *, prediction_resistance: bool = False) -> bytes:
        if prediction_resistance:
            self._drbg.reseed()
        return self._drbg.generate(length)


class _Generator:
    """The default generator: the provider's CTR_DRBG and the block of its output being handed out.

    The block is a ``BytesIO``: its ``read`` is one C call under the GIL, so each byte is handed out
    once, whichever threads read it."""

    def __init__(self) -> None:
        from .keys import inside  # the provider's private context, opened at the first use

        context = inside.get()
        # SP 800-90A §8.7.1: a personalization string that differs per instantiation.
        personalization = b"fipscrypto.rand %d %d" % (os.getpid(), time.time_ns())
        self._drbg: Any = context.ctr_drbg(personalization) if context is not None else _OffMode()
        self.block = io.BytesIO()  # empty: the first request generates a block
        self._lock = _fork.lock()
        _fork.watch(self)
        hold(self)  # entering ERROR revokes the generator: no random output from the error state

    def _forked(self) -> None:
        self.block = io.BytesIO()  # the parent's unread output is the parent's alone

    def _revoke(self) -> None:
        self._drbg, self.block = REVOKED, io.BytesIO()

    @property
    def revoked(self) -> bool:
        return self._drbg is REVOKED

    def _generate(self, length: int, prediction_resistance: bool) -> bytes:
        out = self._drbg.generate(length, prediction_resistance=prediction_resistance)
        if out is None or _faults.injected("drbg-entropy-continuous"):
            raise _source_failure("the FIPS provider's DRBG refused to generate (entropy source health test)")
        return out  # type: ignore[no-any-return]

    def slice(self, length: int) -> bytes:
        """The next ``length`` unread bytes of the block (of a new block when it has fewer)."""
        out = self.block.read(length)
        return out if len(out) == length else self.refill(length)

    def refill(self, length: int) -> bytes:
        """The first ``length`` bytes of a new block, unless another thread made one meanwhile; the
        unread rest of the old block is dropped."""
        with self._lock:
            out = self.block.read(length)
            if len(out) == length:
                return out
            block = io.BytesIO(self._generate(_BLOCK, False))
            out = block.read(length)
            self.block = block
            return out

    def draw(self, length: int, prediction_resistance: bool) -> bytes:
        """Any request: checked, then from the block or from generate requests of its own."""
        if type(prediction_resistance) is not bool:
            raise InvalidParameter("prediction_resistance is True or False")
        integer(f"length (bytes, up to {MAX_LENGTH})", length, 0, MAX_LENGTH)
        if length <= _SLICED and not prediction_resistance:
            return self.slice(length)
        return b"".join(
            self._generate(min(MAX_REQUEST, length - i), prediction_resistance)
            for i in range(0, length, MAX_REQUEST)
        )


_default: _Generator | None = None
_default_lock = _fork.lock()
_GRANTS = grants()


def random_bytes(length: int, *, prediction_resistance: bool = False) -> bytes:
    """``length`` random bytes from the FIPS provider's CTR_DRBG (AES-256); with
    ``prediction_resistance``, generated right after a reseed from the entropy source."""
    permit = _GRANTS.get(None)
    source = _default
    if permit is None or source is None:
        return _first_random_bytes(length, prediction_resistance)
    if length.__class__ is int and 0 <= length <= _SLICED and prediction_resistance is False:
        out = source.block.read(length)  # _Generator.slice, inlined
        if len(out) != length:
            out = source.refill(length)
    else:
        out = source.draw(length, prediction_resistance)
    if _get_last() is not permit.op:  # the indicator, inlined (Grant.use)
        _set_last(permit.op)
    next(permit.counter)
    return out


def _first_random_bytes(length: int, prediction_resistance: bool) -> bytes:
    """The full path: policy (and the DRBG's self-test), a new default generator when there is none
    or it was revoked (the module left ERROR since); leaves a standing grant when it may."""
    global _default
    permit = grant("rand.random_bytes", "cipher", "aes-256-ctr", "ctr-drbg-aes-256")
    with _default_lock:
        if _default is None or _default.revoked:
            _default = _Generator()
        source = _default
    out = source.draw(length, prediction_resistance)
    permit.use()
    if permit.standing:
        _GRANTS[None] = permit
    return out
