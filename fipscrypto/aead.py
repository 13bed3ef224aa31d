"""Authenticated encryption and key wrapping: AES-GCM with nonce discipline, AES-CCM, AES-KW/KWP.

AES-GCM nonces (SP 800-38D §8) come from one of three sources, chosen per key:

- ``"random"`` (default): 96-bit nonces from :mod:`fipscrypto.rand` (the RBG-based construction of
  §8.2.2); at most 2**32 invocations per key (§8.3), then :class:`~fipscrypto.errors.KeyLimitError`.
  The nonces are drawn :data:`BATCH` at a time, one DRBG request cut into disjoint 96-bit fields that
  are each handed out once, to any random-nonce key; a fork or the ERROR state drops the batch.
- ``"counter"``: the deterministic construction of §8.2.1, a 32-bit fixed field and a 64-bit
  invocation counter; ``fixed`` names the device or context (random if not given) and ``start``
  resumes a counter that was persisted. Exhaustion raises KeyLimitError.
- ``"explicit"``: the caller supplies each 96-bit nonce (protocols such as ESP and SRTP build them
  from sequence numbers). The nonces must strictly increase as 96-bit big-endian integers, so a
  nonce can never repeat; anything else raises :class:`~fipscrypto.errors.NonceReuse`.

A key object never encrypts in two processes: in the child of ``os.fork()`` its copy raises
:class:`~fipscrypto.errors.ForkError` on encryption (the parent keeps its nonce state), whatever the
nonce source, since the child's counter, invocation count and last explicit nonce are copies of
the parent's. Decryption goes on in both.

Decryption takes the nonce that came with the data: 8..128 bytes (:data:`GCM_NONCE_SIZES`), the
lengths the provider's GCM takes (SP 800-38D §5.2.1.1 allows any length of 1 bit or more; the
nonces made here are 96 bits). Failures raise :class:`~fipscrypto.errors.AuthenticationError` and
release no plaintext.

Additional authenticated data is always the keyword ``aad``, so that a call written for pyca's
``AESGCM.encrypt(nonce, data, associated_data)`` fails loudly instead of encrypting the nonce.
Wrong types, lengths and sizes raise :class:`~fipscrypto.errors.InvalidParameter` and leave the
key object as it was, except that a call refused after it drew its nonce (a counter-mode call with
data of a wrong type, a message over 2**31 - 1 bytes) uses that nonce up: it is never used again, the
indicator does not count the call, and a random-nonce key counts it against its limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal, cast

from . import _fork, rand
from ._backend import ciphers as _ciphers
from ._params import BYTES, byte_string, integer
from ._service import REVOKED, Refusal, grant, grants, hold, record
from .enforce import require
from .errors import AuthenticationError, ForkError, InvalidParameter, KeyLimitError, NonceReuse
from .indicator import Count, entry, get_last, mark, set_last, tally
from .module import gate

__all__ = [
    "AESCCM",
    "AESGCM",
    "GCM_NONCE_SIZES",
    "NONCE_SIZE",
    "unwrap",
    "unwrap_pad",
    "wrap",
    "wrap_pad",
]

NONCE_SIZE = 12
TAG_SIZE = 16
RANDOM_NONCE_LIMIT = 1 << 32  # SP 800-38D §8.3: invocations with RBG-constructed IVs
#: Nonce lengths (bytes) GCM decryption and GMAC take: what the provider's GCM accepts.
GCM_NONCE_SIZES = _ciphers.GCM_NONCE_SIZES
_COUNTER_END = 1 << 64  # SP 800-38D §8.2.1: the invocation field is 64 bits
# What cryptography raises for arguments it refuses (type, size, a message over 2**31 - 1 bytes).
_REFUSED = (TypeError, ValueError, OverflowError)


_ENCRYPT = "aead.AESGCM.encrypt"


# Stands in for a key object's encryptor and nonce counter in the child of a fork.
_FORKED = Refusal(
    lambda: ForkError(
        "this AES-GCM key object makes its own nonces and was created before os.fork(): the "
        "parent may use the same nonces, so it does not encrypt here; make a new one in this process"
    )
)
# Stands in for the nonce counter of a key that takes explicit nonces.
_EXPLICIT = Refusal(lambda: InvalidParameter("this key takes explicit nonces: use encrypt_with_nonce"))


def _aes(key: object) -> int:
    if not isinstance(key, BYTES) or len(key) not in (16, 24, 32):
        raise InvalidParameter("AES keys are 16, 24 or 32 bytes")
    return len(key) * 8


def _kek(kek: object) -> bytes:
    _aes(kek)
    return byte_string("kek", kek)


def _refused(exc: Exception) -> InvalidParameter:
    return InvalidParameter(f"data and aad must be bytes of at most 2**31 - 1 bytes ({exc})")


def _check_data(data: object, aad: object) -> None:
    """The types the encryptions take, checked before any nonce is drawn."""
    if not isinstance(data, BYTES) or not (aad is None or isinstance(aad, BYTES)):
        raise InvalidParameter("data and aad must be bytes (aad may be None)")


class _Nonces:
    """Random 96-bit nonces for every random-nonce key, drawn from the DRBG in batches.

    SP 800-38D §8.2.2 (RBG-based construction): the IV is a random field of at least 96 bits from an
    approved RBG. One DRBG request of BATCH * 12 bytes is cut into BATCH disjoint 12-byte fields, each
    handed out once (``next()`` on a list iterator is atomic in CPython): every nonce is a fresh
    output of the approved DRBG, exactly as if it had been drawn on its own, and the per-key
    invocation limit (§8.3) is counted per message, not per batch. The batch is dropped in the child
    of a fork (its copy would hand the parent's next nonces out again) and when the module enters
    ERROR; the next message then draws a new batch through :func:`fipscrypto.rand.random_bytes`,
    which reseeds in a new process and refuses in ERROR.
    """

    __slots__ = ("__weakref__", "_lock", "batch")

    def __init__(self) -> None:
        # Re-entrant: a DRBG failure during a refill enters ERROR, which drops the batch (_revoke)
        # in the same thread; a drop from another thread waits, so no batch drawn before it is kept.
        self._lock = _fork.rlock()
        self.batch: Iterator[bytes] = iter(())
        hold(self)
        _fork.watch(self)

    def take(self) -> bytes:
        """The next nonce (AESGCM.encrypt inlines this)."""
        batch = self.batch
        try:
            return next(batch)
        except StopIteration:
            return self.refill(batch)

    def refill(self, spent: Iterator[bytes]) -> bytes:
        """The next nonce once ``spent`` (the batch a caller found empty) ran out."""
        while True:
            with self._lock:
                if self.batch is spent:
                    block = rand.random_bytes(NONCE_SIZE * BATCH)
                    self.batch = iter([block[i : i + NONCE_SIZE] for i in range(0, len(block), NONCE_SIZE)])
                spent = self.batch
            try:
                return next(spent)
            except StopIteration:  # other threads took the whole batch meanwhile
                continue

    def _drop(self) -> None:
        with self._lock:
            self.batch = iter(())

    _forked = _revoke = _drop


BATCH = 256  # nonces per DRBG request (3,072 bytes; SP 800-90A Table 2 allows 2**16 per request)
_NONCES = _Nonces()


class AESGCM:
    """AES-GCM under one key, with the nonce discipline chosen at construction."""

    def __init__(
        self,
        key: bytes,
        *,
        nonces: Literal["random", "counter", "explicit"] = "random",
        fixed: bytes | None = None,
        start: int = 0,
        limit: int = RANDOM_NONCE_LIMIT,
    ) -> None:
        bits = _aes(key)
        if nonces not in ("random", "counter", "explicit"):
            raise InvalidParameter("nonces must be 'random', 'counter' or 'explicit'")
        if fixed is not None and (nonces != "counter" or len(byte_string("fixed", fixed)) != 4):
            raise InvalidParameter("fixed is the 4-byte field of a counter nonce (SP 800-38D §8.2.1)")
        integer("start (a 64-bit counter)", start, 0, _COUNTER_END - 1)
        integer("limit", limit, 1, RANDOM_NONCE_LIMIT)
        self.algorithm = f"aes-{bits}-gcm"
        self._approved = require("aead.AESGCM", "cipher", self.algorithm)
        self._gcm = _ciphers.aes_gcm(bytes(key))
        self._enc = self._gcm  # for encryption only: what a fork or the ERROR state takes away
        self._mode = nonces
        self._random = nonces == "random"
        fixed = bytes(fixed) if fixed is not None else rand.random_bytes(4) if nonces == "counter" else b""
        self._fixed = fixed
        # The invocations, counted by a range iterator: counter nonces are the fixed field, then the
        # 64-bit invocation field (§8.2.1), ending at 2**64; random nonces end at ``limit`` (§8.3).
        # Exhaustion is StopIteration. The same count is the indicator's (tally): no second next().
        self._issued = Count(start, _COUNTER_END) if nonces == "counter" else Count(0, limit)
        # What encrypt advances; REVOKED after ERROR, _FORKED in a child, refused in explicit mode.
        self._counter: Iterator[int] = self._issued.values if nonces != "explicit" else _EXPLICIT
        self._op, self._ops = entry(_ENCRYPT, self.algorithm, self._approved)
        if nonces != "explicit":
            tally(self, _ENCRYPT, self.algorithm, self._approved, self._issued)
        self._dop, self._dops = entry("aead.AESGCM.decrypt", self.algorithm, self._approved)
        self._last = -1  # explicit mode: the last nonce used, as an integer
        self._lock = _fork.lock()
        hold(self)  # no gate per call: entering ERROR revokes this object's context
        _fork.watch(self)

    def _revoke(self) -> None:
        # REVOKED stands in for the context (every attribute access raises ModuleErrorState) and for
        # the nonce counter (next() raises), so a revoked key neither counts nor encrypts.
        self._gcm, self._enc, self._counter = cast(Any, REVOKED), cast(Any, REVOKED), REVOKED

    def _forked(self) -> None:
        # In the child of a fork: no nonce of this key object may be made here (see the module text).
        if self._counter is not REVOKED:
            self._enc, self._counter = cast(Any, _FORKED), _FORKED

    def _exhausted(self) -> int:
        """The next counter value once the machine-word values are used up (at 2**63 - 1)."""
        if not self._random:
            with self._lock:
                if self._counter is self._issued.values:
                    self._counter = self._issued.rest
            try:
                return next(self._counter)
            except StopIteration:
                pass
        kind = "random nonces" if self._random else "the 64-bit invocation counter"
        raise KeyLimitError(f"{self._issued.taken()} invocations with {kind}: use a new key")

    @property
    def invocations(self) -> int:
        """Nonces used so far (random and counter modes): persist it to resume a counter."""
        if self._mode == "counter":  # the invocation field's next value
            return self._issued.first + self._issued.taken()
        return self._issued.calls()

    def encrypt(self, data: bytes, *, aad: bytes | None = None) -> tuple[bytes, bytes]:
        """Encrypt with the next nonce; returns (nonce, ciphertext || 16-byte tag)."""
        if self._random:
            if data.__class__ is not bytes or not (aad is None or aad.__class__ is bytes):
                _check_data(data, aad)  # before a nonce is drawn: a refused call counts nothing
            try:
                next(self._counter)  # the invocation limit (§8.3); also the indicator's count (tally)
            except StopIteration:
                self._exhausted()
            batch = _NONCES.batch  # the RBG-based nonce (§8.2.2): _NONCES.take, inlined
            try:
                nonce = next(batch)
            except StopIteration:
                nonce = _NONCES.refill(batch)
        else:  # fixed field || 64-bit counter (§8.2.1)
            try:
                value = next(self._counter)  # atomic in CPython; also the indicator's count (tally)
            except StopIteration:
                value = self._exhausted()
            nonce = self._fixed + value.to_bytes(8, "big")
        try:
            out = self._enc.encrypt(nonce, data, aad)
        except _REFUSED as exc:  # the nonce is used up; the call is not an operation
            self._issued.spoiled += 1
            raise _refused(exc) from None
        if get_last() is not self._op:  # the indicator, inlined (indicator.mark)
            set_last(self._op)
        return nonce, out

    def encrypt_with_nonce(self, nonce: bytes, data: bytes, *, aad: bytes | None = None) -> bytes:
        """Encrypt with a caller-built nonce (explicit mode); nonces must strictly increase."""
        if self._mode != "explicit":
            raise InvalidParameter("this key makes its own nonces: use encrypt")
        if not isinstance(nonce, BYTES) or len(nonce) != NONCE_SIZE:
            raise InvalidParameter("AES-GCM nonces here are 12 bytes")
        _check_data(data, aad)
        value = int.from_bytes(nonce, "big")
        with self._lock:
            if value <= self._last:
                raise NonceReuse("nonce not above the last one used with this key")
            self._last = value
        gate()
        try:
            out = self._enc.encrypt(bytes(nonce), data, aad)
        except _REFUSED as exc:  # a message over 2**31 - 1 bytes
            raise _refused(exc) from None
        mark(self._op, self._ops)
        return out

    def decrypt(self, nonce: bytes, data: bytes, *, aad: bytes | None = None) -> bytes:
        """Decrypt ciphertext || tag; AuthenticationError if anything was changed."""
        try:
            out = self._gcm.decrypt(nonce, data, aad)
        except _ciphers.InvalidTag:
            if len(data) < TAG_SIZE:
                raise InvalidParameter("the data must hold the 16-byte tag") from None
            raise AuthenticationError("AES-GCM tag verification failed") from None
        except _REFUSED:
            raise _decrypt_refused(nonce, data, aad) from None
        if get_last() is not self._dop:  # the indicator, inlined (indicator.mark)
            set_last(self._dop)
        next(self._dops)
        return out


_ONCE = grants()  # standing grants of one-message encryption, by key size


def _encrypt_once(key: bytes, head: bytes, data: bytes, *, aad: bytes) -> bytearray:
    """``head || nonce || ciphertext || tag`` in one buffer: AES-GCM under a key used for this one
    message only (a data key), with a random nonce (SP 800-38D §8.2.2).

    The caller checked the arguments: ``key`` an AES key, ``data`` and ``aad`` bytes. One invocation
    per key, so the key needs no invocation count and no fork watch. A large message is encrypted in
    place after ``head``, never copied; below :data:`_IN_PLACE` bytes one copy of the result costs less
    than the zeroed buffer and the view that writing in place needs."""
    bits = len(key) * 8
    permit = _ONCE.get(bits)
    if permit is None:
        permit = grant(_ENCRYPT, "cipher", f"aes-{bits}-gcm", f"aes-{bits}-gcm")
    nonce = _NONCES.take()
    try:
        if len(data) < _IN_PLACE:
            out = bytearray(head)
            out += nonce
            out += _ciphers.aes_gcm(key).encrypt(nonce, data, aad)
        else:
            start = len(head) + NONCE_SIZE
            out = bytearray(start + len(data) + TAG_SIZE)
            out[:start] = head + nonce
            _ciphers.aes_gcm(key).encrypt_into(nonce, data, aad, memoryview(out)[start:])
    except _REFUSED as exc:  # a message over 2**31 - 1 bytes
        raise _refused(exc) from None
    permit.use()
    if permit.standing:
        _ONCE[bits] = permit
    return out


_IN_PLACE = 1 << 15  # measured: below 32 KiB, encrypting into a new buffer costs more than a copy


def _decrypt_refused(nonce: object, data: object, aad: object) -> InvalidParameter:
    """Why cryptography refused a decryption's arguments."""
    low, high = GCM_NONCE_SIZES
    if not isinstance(nonce, BYTES) or not low <= len(nonce) <= high:
        return InvalidParameter(f"AES-GCM nonces are {low}..{high} bytes")
    try:
        _check_data(data, aad)
    except InvalidParameter as exc:
        return exc
    return InvalidParameter("data and aad must be bytes of at most 2**31 - 1 bytes")


class AESCCM:
    """AES-CCM (SP 800-38C) with random 13-byte nonces and a tag of 4..16 bytes (even).

    Entering the ERROR state revokes it (every method raises ModuleErrorState, also after recovery).
    """

    def __init__(self, key: bytes, *, tag_length: int = 16) -> None:
        bits = _aes(key)
        if type(tag_length) is not int or tag_length not in (4, 6, 8, 10, 12, 14, 16):
            raise InvalidParameter("CCM tags are 4, 6, ..., 16 bytes")
        self.algorithm = f"aes-{bits}-ccm"
        self._approved = require("aead.AESCCM", "cipher", self.algorithm)
        self._ccm = _ciphers.aes_ccm(bytes(key), tag_length)
        self._tag = tag_length
        hold(self)

    def _revoke(self) -> None:
        self._ccm = cast(Any, REVOKED)

    def encrypt(
        self, data: bytes, *, aad: bytes | None = None, nonce_length: int = 13
    ) -> tuple[bytes, bytes]:
        """Encrypt under a random nonce of ``nonce_length`` bytes; returns (nonce, ciphertext || tag)."""
        integer("nonce_length (CCM nonces)", nonce_length, 7, 13)
        _check_data(data, aad)
        _ccm_payload(len(data), nonce_length)
        gate()
        nonce = rand.random_bytes(nonce_length)
        try:
            out = self._ccm.encrypt(nonce, data, aad)
        except _REFUSED as exc:
            raise _refused(exc) from None
        record("aead.AESCCM.encrypt", self.algorithm, self._approved)
        return nonce, out

    def decrypt(self, nonce: bytes, data: bytes, *, aad: bytes | None = None) -> bytes:
        """Decrypt ciphertext || tag; AuthenticationError if anything was changed."""
        if not isinstance(nonce, BYTES) or not 7 <= len(nonce) <= 13:
            raise InvalidParameter("CCM nonces are 7..13 bytes")
        _check_data(data, aad)
        if len(data) < self._tag:
            raise InvalidParameter("the data must hold the tag")
        _ccm_payload(len(data) - self._tag, len(nonce))
        gate()
        try:
            out = _ciphers.aes_ccm_open_with(self._ccm, bytes(nonce), data, aad)
        except _REFUSED as exc:
            raise _refused(exc) from None
        record("aead.AESCCM.decrypt", self.algorithm, self._approved)
        return out


def _ccm_payload(size: int, nonce_length: int) -> None:
    # SP 800-38C §A.1: the payload length is encoded in q = 15 - n octets, so "0 <= Plen < 2^(8q)".
    q = 15 - nonce_length
    if size >= 1 << (8 * q):
        raise InvalidParameter(f"a {nonce_length}-byte CCM nonce allows payloads under 2**{8 * q} bytes")


def wrap(kek: bytes, key: bytes) -> bytes:
    """AES-KW (SP 800-38F §6.2): ``key`` of 16+ bytes, a multiple of 8."""
    kek, key = _kek(kek), byte_string("key", key)
    if len(key) < 16 or len(key) % 8:
        raise InvalidParameter("AES-KW wraps 16 or more bytes, a multiple of 8 (use wrap_pad otherwise)")
    approved = require("aead.wrap", "key-wrap", "aes-kw")
    out = _ciphers.aes_kw_wrap(kek, key)
    record("aead.wrap", "aes-kw", approved)
    return out


def unwrap(kek: bytes, wrapped: bytes) -> bytes:
    """AES-KW unwrap; AuthenticationError if the integrity check fails."""
    kek, wrapped = _kek(kek), byte_string("wrapped", wrapped)
    if len(wrapped) < 24 or len(wrapped) % 8:
        raise InvalidParameter("an AES-KW wrapped key is 24 or more bytes, a multiple of 8")
    approved = require("aead.unwrap", "key-wrap", "aes-kw", direction="process")
    out = _ciphers.aes_kw_unwrap(kek, wrapped)
    record("aead.unwrap", "aes-kw", approved)
    return out


def wrap_pad(kek: bytes, key: bytes) -> bytes:
    """AES-KWP (SP 800-38F §6.3): any key of 1 or more bytes."""
    kek, key = _kek(kek), byte_string("key", key)
    if not key:
        raise InvalidParameter("AES-KWP wraps 1 or more bytes")
    return _wrap_pad(kek, key)


def _wrap_pad(kek: bytes, key: bytes) -> bytes:
    """AES-KWP of arguments already checked (seal wraps each data key it made here)."""
    permit = _WRAP_PAD.get(None) or grant("aead.wrap_pad", "key-wrap", "aes-kwp", "aes-kwp")
    out = _ciphers.aes_kwp_wrap(kek, key)
    permit.use()
    if permit.standing:
        _WRAP_PAD[None] = permit
    return out


_WRAP_PAD = grants()  # the standing grant of AES-KWP wrapping (each data key of seal is wrapped)


def unwrap_pad(kek: bytes, wrapped: bytes) -> bytes:
    """AES-KWP unwrap; AuthenticationError if the integrity check or the padding fails."""
    kek, wrapped = _kek(kek), byte_string("wrapped", wrapped)
    if len(wrapped) < 16 or len(wrapped) % 8:
        raise InvalidParameter("an AES-KWP wrapped key is 16 or more bytes, a multiple of 8")
    approved = require("aead.unwrap_pad", "key-wrap", "aes-kwp", direction="process")
    out = _ciphers.aes_kwp_unwrap(kek, wrapped)
    record("aead.unwrap_pad", "aes-kwp", approved)
    return out
