"""SRTPSession: SRTP and SRTCP protection (RFC 3711, RFC 6188, RFC 7714).

One session per direction, as in libsrtp, under one master key or several named by their MKI
(:meth:`SRTPSession.add_master_key`): ``protect``/``protect_rtcp`` on the sending side,
``unprotect``/``unprotect_rtcp`` on the receiving side. Each SSRC has its own stream
state (highest index and replay list for SRTP, the same for SRTCP), created on first use or with
:meth:`SRTPSession.add_stream`. The session keys are derived once per key-derivation interval
(RFC 3711 §4.3.1: once in all when ``key_derivation_rate`` is 0) and the transform built on them is
reused for every packet of every stream. ``protect_many``/``unprotect_many`` do what the single
calls do for each packet of a burst, with the lock, streams and session keys taken once for it.

A rejected packet (``ParseError``, ``AuthenticationError``, ``ReplayError``, ``KeyLimitError``)
leaves every stream as it was; a stream first seen in a rejected packet is not created.

The session is a held key object: entering the ERROR state revokes it (every call then raises
``ModuleErrorState``). In the child of ``os.fork()`` it does not protect (``ForkError``): parent
and child would protect packets with the same indices, that is with the same keystream; it goes on
unprotecting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from copy import copy
from itertools import count, islice
from struct import Struct
from struct import error as StructError
from typing import Any, cast

from .. import _fork
from .._params import BYTES, byte_string, integer, not_offered
from .._service import REVOKED, Refusal, hold
from ..enforce import require
from ..errors import (
    AuthenticationError,
    FipsError,
    ForkError,
    InvalidParameter,
    KeyLimitError,
    ParseError,
    ReplayError,
)
from ..indicator import Operation, entry, get_last, set_last
from ..kdf import srtcp_session_keys, srtp_session_keys
from .packets import rtcp_compound, rtcp_ssrc, rtp_header, rtp_padding, srtcp_trailer
from .profiles import Profile
from .replay import Window, estimate
from .transforms import MAX_PACKET, KeyedTransform, transform

__all__ = ["SRTCP_LIMIT", "SRTP_LIMIT", "SRTPSession"]

# RFC 3711 §9.2: "the number of packets protected under one master key MUST NOT exceed 2^48 for
# SRTP, and 2^31 for SRTCP" (the SRTP index is 48 bits, the SRTCP index 31).
SRTP_LIMIT = 1 << 48
SRTCP_LIMIT = 1 << 31
_SRTP_SPENT = "2^48 SRTP packets under this master key (RFC 3711 §9.2): rekey"
# What a packet of unprotect_many may be refused with (returned, not raised); InvalidParameter holds
# ParseError and a packet that is not bytes.
_PACKET_ERRORS = (InvalidParameter, AuthenticationError, ReplayError, KeyLimitError)
_CONTEXTS = 4  # session key sets kept per kind with a non-zero key derivation rate
_MAX_KEYS = 16  # master keys per session (libsrtp's SRTP_MAX_NUM_MASTER_KEYS)
_SEQ_SSRC = Struct(">2xH4x4s").unpack_from  # an RTP packet's sequence number and SSRC (RFC 3550 §5.1)
_HEAD = Struct(">BxH4x4s").unpack_from  # its first octet (V, P, X, CC) too

_FORKED = Refusal(
    lambda: ForkError(
        "this SRTP session was created before os.fork(): the parent may protect packets with the same "
        "indices (the same keystream), so it does not protect here; make a new session in this process"
    )
)


class _Stream:
    """The state of one SSRC in one direction: SRTP and SRTCP replay lists (RFC 3711 §3.3.2). Streams
    are kept by the SSRC's four octets as they are in the packets; ``ssrc48`` is SSRC * 2^48, its
    place in the IVs of both transforms."""

    __slots__ = ("rtcp", "rtp", "ssrc48")

    def __init__(self, ssrc: int, size: int) -> None:
        self.ssrc48 = ssrc << 48
        self.rtp = Window(size)
        self.rtcp = Window(size)


def _profile(profile: object) -> Profile:
    if isinstance(profile, Profile):
        return profile
    if type(profile) is str:
        if profile in Profile.__members__:
            return Profile[profile]
        raise not_offered(
            "srtp-profile", profile, "SRTP profile", f"use one of {', '.join(Profile.__members__)}"
        )
    raise InvalidParameter(f"profile must be a Profile or its name, not {type(profile).__name__}")


def _size(what: str, packet: object) -> bytes:
    data = byte_string(what, packet)
    if len(data) > MAX_PACKET:
        raise ParseError(f"{what} packets are under 2^16 octets, got {len(data)}")
    return data


def _plain_rtp(rtp: bytes) -> tuple[bytes, int]:
    """An RTP packet to protect and the length of its header, checked (RFC 3550 §5.1)."""
    if rtp.__class__ is not bytes or len(rtp) > MAX_PACKET:
        rtp = _size("RTP", rtp)
    if len(rtp) >= 12 and rtp[0] == 0x80:  # V = 2, no padding, extension or CSRC: 12 octets
        return rtp, 12
    header = rtp_header(rtp, len(rtp))
    rtp_padding(rtp, header)
    return rtp, header


def _sealed_rtp(srtp: bytes, tail: int) -> tuple[bytes, int]:
    """An SRTP packet whose MKI and tag take ``tail`` octets, and the length of its RTP header."""
    if srtp.__class__ is not bytes or len(srtp) > MAX_PACKET:
        srtp = _size("SRTP", srtp)
    if len(srtp) - tail >= 12 and srtp[0] == 0x80:  # the 12-octet header alone
        return srtp, 12
    return srtp, rtp_header(srtp, len(srtp) - tail)


def _rx_index(window: Window, seq: int) -> int:
    """The index of a received packet with ``seq`` that is not the next in sequence, or whose index
    would pass 2^48 (RFC 3711 Appendix A): ReplayError when the replay list refuses it."""
    index = estimate(window.top, seq)
    if index <= window.top:
        window.check(index)
    if index >= SRTP_LIMIT:
        raise ReplayError("the SRTP index would pass 2^48 (RFC 3711 §3.3.1)")
    return index


def _batch(packets: object) -> Sequence[bytes]:
    """The packets of a batch call: a list or another sequence of packets."""
    if (
        packets.__class__ is list
        or packets.__class__ is tuple
        or (isinstance(packets, Sequence) and not isinstance(packets, (str, *BYTES)))
    ):
        return cast(Sequence[bytes], packets)
    raise InvalidParameter(f"packets is a sequence of packets (bytes), not {type(packets).__name__}")


def _draw(left: Any, count: int, spent: str) -> None:
    """Take ``count`` packets off a key-usage count (RFC 3711 §9.2), all or none: KeyLimitError when
    fewer are left (ForkError or ModuleErrorState from a refused count, even for none)."""
    if left.__length_hint__() < count:  # exact for range iterators
        raise KeyLimitError(spent)
    if count:
        next(islice(left, count - 1, None))


def _mark(op: Operation, ops: Iterator[int], count: int) -> None:
    """The indicator for ``count`` operations of ``op`` (one per packet, as the single calls)."""
    if count:
        if get_last() is not op:
            set_last(op)
        next(islice(ops, count - 1, None))


_Run = tuple[bytes, _Stream, int]  # SRTPSession._run: a stream's key, the stream, the first index


class SRTPSession:
    """SRTP/SRTCP under one master key and salt (or several, named by MKI), with per-SSRC streams."""

    # One master key's state (_take_key), of the session's key or of each key with several.
    _mki: bytes
    _keys: tuple[bytes, ...]
    _rtp: dict[int, KeyedTransform]
    _rtcp: dict[int, KeyedTransform]
    _srtp_left: Any  # the packets this master key may still protect (RFC 3711 §9.2)
    _srtcp_left: Any

    def __init__(
        self,
        profile: Profile | str,
        master_key: bytes,
        master_salt: bytes,
        *,
        mki: bytes | None = None,
        replay_window: int = 128,
        allow_repeat_tx: bool = False,
        key_derivation_rate: int = 0,
    ) -> None:
        self.profile = profile = _profile(profile)
        if not isinstance(master_key, BYTES) or len(master_key) != profile.key_length:
            raise InvalidParameter(f"{profile.name} takes a {profile.key_length}-octet master key")
        if not isinstance(master_salt, BYTES) or len(master_salt) != profile.salt_length:
            raise InvalidParameter(f"{profile.name} takes a {profile.salt_length}-octet master salt")
        if mki is not None and not 1 <= len(byte_string("mki", mki)) <= 128:
            raise InvalidParameter("an MKI is 1..128 octets (RFC 3711 §3.1: negotiated length)")
        self._size = integer("replay_window (RFC 3711 §3.3.2: at least 64)", replay_window, 64, 1 << 15)
        if type(allow_repeat_tx) is not bool:
            raise InvalidParameter("allow_repeat_tx is a bool")
        if allow_repeat_tx and profile.cipher == "aes-gcm":
            # SP 800-38D §8: an IV is never used twice under one key; RFC 7714 §8.1 makes the IV from
            # the packet index, so repeating an index with another payload would reuse the IV.
            raise InvalidParameter("allow_repeat_tx would repeat AES-GCM IVs (SP 800-38D §8): not allowed")
        self._repeat = allow_repeat_tx
        rate = integer("key_derivation_rate", key_derivation_rate, 0, 1 << 24)
        # RFC 3711 §4.3.1: r = index DIV key_derivation_rate, with a power of 2 as the rate: a shift;
        # with rate 0, r = 0: a shift by 48 maps every 48-bit index to 0.
        self._shift = rate.bit_length() - 1 if rate else 48
        self._rate = rate
        # What the policy says of the profile, applying (protect) and processing (unprotect).
        service = "srtp.SRTPSession"
        approved = require(service, "srtp-profile", profile.name) and require(
            service, "srtp-profile", profile.name, direction="process"
        )
        self._take_key(master_key, master_salt, b"" if mki is None else bytes(mki))
        self._rtp_tail = self._rtp[0].rtp_tail
        self._rtcp_back = self._rtcp[0].rtcp_back
        self._rtcp_min = 8 + len(self._mki) + profile.srtcp_tag + 4
        # Where a packet's MKI ends, counted from its end: before the tag with AES-CM (RFC 3711 §3.1,
        # §3.4), last with AES-GCM (RFC 7714 §8, §9).
        cm = profile.cipher == "aes-cm"
        self._tag_rtp, self._tag_rtcp = (profile.srtp_tag, profile.srtcp_tag) if cm else (0, 0)
        self._tx: dict[bytes, _Stream] = {}
        self._rx: dict[bytes, _Stream] = {}
        # With several master keys (add_master_key): one session per key sharing the streams, by MKI,
        # and the one protect uses; this session then only hands each call to one of them.
        self._multi = False
        self._masters: dict[bytes, SRTPSession] = {}
        self._active = self
        name = profile.name
        # The indicator's operations; those of SRTP held apart for the per-packet path.
        ops = [entry(f"{service}.{what}", name, approved) for what in _SERVICES]
        (self._protect_op, self._protect_ops), (self._unprotect_op, self._unprotect_ops) = ops[:2]
        self._ops = ops[2:]  # SRTCP
        self._lock = _fork.lock()
        hold(self)
        _fork.watch(self)

    # ------------------------------------------------------------------------------- held object

    def _revoke(self) -> None:
        # No lock: ERROR may be entered by this thread inside a packet call (which holds it); each
        # assignment is atomic, and every path reads one of these before it computes.
        self._rtp = self._rtcp = cast(Any, REVOKED)
        self._srtp_left = self._srtcp_left = REVOKED
        self._keys = cast(Any, REVOKED)

    def _forked(self) -> None:
        if self._srtp_left is not REVOKED:
            self._srtp_left = self._srtcp_left = _FORKED

    def _take_key(self, master_key: bytes, master_salt: bytes, mki: bytes) -> None:
        """Make ``master_key`` and ``master_salt`` (checked) the session's, with the ``mki`` its packets
        carry: session keys derived, key-usage counts started."""
        self._mki = mki
        # The KDF takes a 112-bit salt (RFC 3711 §4.3.1); the 96-bit AES-GCM master salt enters it with
        # two zero octets on the right, as in libsrtp (the interoperability tests check it).
        self._keys = (bytes(master_key), bytes(master_salt).ljust(14, b"\0"))
        self._rtp = {}
        self._rtcp = {}
        self._rtp_context(0)  # derive now: a refused KDF fails the session's creation
        self._rtcp_context(0)
        if not self._rate:  # the session keys of r = 0 serve every packet: the master key is not kept
            self._keys = ()
        # _FORKED in a child, REVOKED in ERROR.
        self._srtp_left = iter(range(SRTP_LIMIT))
        self._srtcp_left = iter(range(SRTCP_LIMIT))

    # ----------------------------------------------------------------------------- master keys

    @property
    def master_keys(self) -> tuple[bytes, ...]:
        """The MKIs of the session's master keys, in the order they were added (empty without MKI)."""
        with self._lock:
            return tuple(self._masters) if self._multi else (self._mki,) if self._mki else ()

    @property
    def mki(self) -> bytes | None:
        """The MKI of the master key that ``protect`` and ``protect_rtcp`` use, or None."""
        return self._active._mki or None

    def add_master_key(self, master_key: bytes, master_salt: bytes, mki: bytes) -> None:
        """Add a master key, named by ``mki`` (RFC 3711 §3.1: the MKI "identifies the master key from
        which the session key(s) were derived"). ``unprotect`` then takes the key each packet's MKI
        names; ``protect`` goes on with its key until :meth:`use_master_key`. The streams (ROC, replay
        lists) are the session's, shared by its keys; each key has its own usage limits (§9.2). Only
        for a session created with an MKI; every MKI has its length; up to 16 keys, as libsrtp."""
        profile = self.profile
        if not isinstance(master_key, BYTES) or len(master_key) != profile.key_length:
            raise InvalidParameter(f"{profile.name} takes a {profile.key_length}-octet master key")
        if not isinstance(master_salt, BYTES) or len(master_salt) != profile.salt_length:
            raise InvalidParameter(f"{profile.name} takes a {profile.salt_length}-octet master salt")
        mki = bytes(byte_string("mki", mki))
        if not self._mki or len(mki) != len(self._mki):
            raise InvalidParameter(
                "a key added to a session has an MKI of the session's length (RFC 3711 §3.1: the MKI "
                f"length is fixed for the session): {len(self._mki)} octets, got {len(mki)}"
            )
        with self._lock:
            masters = self._masters if self._multi else {self._mki: self}
            if mki in masters:
                raise InvalidParameter(f"the session has a master key with MKI {mki.hex()} already")
            if len(masters) >= _MAX_KEYS:
                raise InvalidParameter(f"a session holds at most {_MAX_KEYS} master keys")
            key = self._key_session()
            key._take_key(master_key, master_salt, mki)
            if self._srtp_left is _FORKED:  # made before a fork: no key of it protects in the child
                key._srtp_left = key._srtcp_left = _FORKED
            if not self._multi:  # this session's own key is handed over: it only dispatches from now on
                masters[self._mki] = self._active = self._key_session()
            masters[mki] = key
            self._masters, self._multi = masters, True

    def _key_session(self) -> SRTPSession:
        """A session of one master key (this one's until ``_take_key``) sharing this one's streams, lock,
        window size, rate and indicator entries; held (ERROR revokes it) and fork-watched."""
        key = copy(self)
        key._multi, key._masters, key._active = False, {}, key
        hold(key)
        _fork.watch(key)
        return key

    def use_master_key(self, mki: bytes) -> None:
        """Protect with the master key named by ``mki`` from the next packet on (RFC 3711 §3.1)."""
        with self._lock:
            if mki.__class__ is not bytes or mki not in (self._masters if self._multi else {self._mki}):
                raise InvalidParameter("the session has no master key with this MKI")
            if self._multi:
                self._active = self._masters[mki]

    def remove_master_key(self, mki: bytes) -> None:
        """Forget the master key named by ``mki``; not the one ``protect`` uses (InvalidParameter)."""
        with self._lock:
            key = self._masters.get(mki) if self._multi and mki.__class__ is bytes else None
            if key is None or key is self._active:
                raise InvalidParameter("not a master key of this session that protect does not use")
            del self._masters[mki]

    def _by_mki(self, packet: bytes, at: int) -> SRTPSession:
        """The key of a received ``packet`` whose MKI ends ``at`` octets before its end (RFC 3711 §3.1,
        RFC 7714 §8-9): the key it names; the key in use when it names none (which then refuses it)."""
        size = len(self._mki)
        if packet.__class__ is bytes and len(packet) >= at + size:
            found = self._masters.get(packet[len(packet) - at - size : len(packet) - at])
            if found is not None:
                return found
        return self._active

    # --------------------------------------------------------------------------------- streams

    def add_stream(self, ssrc: int) -> None:
        """Start the state of ``ssrc`` (both directions) afresh: ROC 0, an empty replay list."""
        key = integer("ssrc (32 bits)", ssrc, 0, 0xFFFFFFFF).to_bytes(4, "big")
        with self._lock:
            self._tx[key] = _Stream(ssrc, self._size)
            self._rx[key] = _Stream(ssrc, self._size)

    def remove_stream(self, ssrc: int) -> None:
        """Forget ``ssrc``; InvalidParameter when the session has no state for it."""
        key = integer("ssrc (32 bits)", ssrc, 0, 0xFFFFFFFF).to_bytes(4, "big")
        with self._lock:
            sent, received = self._tx.pop(key, None), self._rx.pop(key, None)
        if sent is None and received is None:
            raise InvalidParameter(f"no stream with SSRC {ssrc:#010x}")

    # -------------------------------------------------------------------------- session keys

    def _rtp_context(self, index: int) -> KeyedTransform:
        """The SRTP transform under the session keys of ``index`` (RFC 3711 §4.3.1: r = index DIV
        key_derivation_rate), derived now; the packet paths look it up first."""
        keys = srtp_session_keys(*self._keys, index=index, kdr=self._rate)
        context = self._rtp[index >> self._shift] = transform(self.profile, keys, rtcp=False, mki=self._mki)
        if len(self._rtp) > _CONTEXTS:
            del self._rtp[next(iter(self._rtp))]
        return context

    def _rtcp_context(self, index: int) -> KeyedTransform:
        """The SRTCP transform under the session keys of SRTCP ``index``, derived now."""
        keys = srtcp_session_keys(*self._keys, index=index, kdr=self._rate)
        context = self._rtcp[index >> self._shift] = transform(self.profile, keys, rtcp=True, mki=self._mki)
        if len(self._rtcp) > _CONTEXTS:
            del self._rtcp[next(iter(self._rtcp))]
        return context

    # ------------------------------------------------------------------------------------ SRTP

    def protect(self, rtp: bytes) -> bytes:
        """The SRTP packet for the RTP packet ``rtp`` (RFC 3711 §3.3)."""
        if self._multi:
            return self._active.protect(rtp)
        if rtp.__class__ is bytes and 12 <= len(rtp) <= MAX_PACKET and rtp[0] == 0x80:
            header = 12  # _plain_rtp, inlined for V = 2 with no padding, extension or CSRC
        else:
            rtp, header = _plain_rtp(rtp)
        key, seq = rtp[8:12], rtp[2] << 8 | rtp[3]
        with self._lock:
            stream = self._tx.get(key) or _Stream(int.from_bytes(key, "big"), self._size)
            window = stream.rtp
            top = window.top
            index = top + 1
            if index & 0xFFFF != seq or index >= SRTP_LIMIT:  # not the next packet (Appendix A: top + 1)
                index = self._tx_index(window, seq)
            try:
                next(self._srtp_left)
            except StopIteration:
                raise KeyLimitError(_SRTP_SPENT) from None
            context = self._rtp.get(index >> self._shift) or self._rtp_context(index)
            out = context.protect_rtp(rtp, header, stream.ssrc48, index)
            if index == top + 1:  # Window.accept, inlined for the next packet in sequence
                window.mask = (window.mask << 1 | 1) & window.full
                window.top = index
            else:
                window.accept(index)
            self._tx[key] = stream
        if get_last() is not self._protect_op:  # the indicator, inlined (indicator.mark)
            set_last(self._protect_op)
        next(self._protect_ops)
        return out

    def unprotect(self, srtp: bytes) -> bytes:
        """The RTP packet in the SRTP packet ``srtp``, once authenticated and not a replay."""
        if self._multi:
            return self._by_mki(srtp, self._tag_rtp).unprotect(srtp)
        if srtp.__class__ is bytes and 12 + self._rtp_tail <= len(srtp) <= MAX_PACKET and srtp[0] == 0x80:
            header = 12  # _sealed_rtp, inlined for the 12-octet header alone
        else:
            srtp, header = _sealed_rtp(srtp, self._rtp_tail)
        key, seq = srtp[8:12], srtp[2] << 8 | srtp[3]
        with self._lock:
            stream = self._rx.get(key) or _Stream(int.from_bytes(key, "big"), self._size)
            window = stream.rtp
            top = window.top
            index = top + 1
            if index & 0xFFFF != seq or index >= SRTP_LIMIT:
                index = _rx_index(window, seq)
            context = self._rtp.get(index >> self._shift) or self._rtp_context(index)
            out = context.unprotect_rtp(srtp, header, stream.ssrc48, index)
            if index == top + 1:  # Window.accept, inlined for the next packet in sequence
                window.mask = (window.mask << 1 | 1) & window.full
                window.top = index
            else:
                window.accept(index)
            self._rx[key] = stream
        if get_last() is not self._unprotect_op:  # the indicator, inlined (indicator.mark)
            set_last(self._unprotect_op)
        next(self._unprotect_ops)
        return out

    def _tx_index(self, window: Window, seq: int) -> int:
        """The index ``protect`` gives a packet with ``seq`` that is not the next in sequence, or whose
        index would pass 2^48: ReplayError for an index already protected (unless allow_repeat_tx)."""
        index = estimate(window.top, seq)
        if index <= window.top and not (self._repeat and window.seen(index)):
            window.check(index)
        if index >= SRTP_LIMIT:
            raise KeyLimitError("the SRTP index would pass 2^48 (RFC 3711 §3.3.1): rekey")
        return index

    # ------------------------------------------------------------------------------ SRTP batches

    def protect_many(self, packets: Sequence[bytes]) -> list[bytes]:
        """The SRTP packets for the RTP ``packets``, in order: what ``protect`` of each in turn gives,
        with the lock, streams and session keys taken once for the batch. All or nothing: every packet
        is checked (its header, its index against the replay list, the key's limits for the whole
        batch) before any is protected, and a refused one raises its error with no state changed."""
        rtps = _batch(packets)
        if self._multi:
            return self._active.protect_many(rtps)
        with self._lock:
            run = self._run(rtps, self._tx, 0)
            if run is not None:  # the next packets of one stream: no replay list to check
                key, stream, index = run
                _draw(self._srtp_left, len(rtps), _SRTP_SPENT)
                context = self._rtp.get(index >> self._shift) or self._rtp_context(index)
                out = context.protect_run(rtps, stream.ssrc48, index)
                window = stream.rtp
                window.mask = (window.mask << len(rtps) | (1 << len(rtps)) - 1) & window.full
                window.top = index + len(rtps) - 1
                self._tx[key] = stream
            else:
                out = self._protect_each(rtps)
        _mark(self._protect_op, self._protect_ops, len(out))
        return out

    def _run(self, packets: Sequence[bytes], streams: dict[bytes, _Stream], tail: int) -> _Run | None:
        """When ``packets`` are the next packets of one stream in sequence (after its highest index),
        bytes with 12-octet headers and ``tail`` octets of MKI and tag, under one set of session keys
        and within the 48-bit index: the stream's key, the stream and the first packet's index. None
        otherwise (and for no packet): the batch then goes packet by packet."""
        n = len(packets)
        if not n or set(map(type, packets)) != {bytes} or max(map(len, packets)) > MAX_PACKET:
            return None
        if tail and min(map(len, packets)) < 12 + tail:
            return None
        try:
            ssrc = _HEAD(packets[0])[2]
            stream = streams.get(ssrc) or _Stream(int.from_bytes(ssrc, "big"), self._size)
            index = stream.rtp.top + 1
            end, seq, shift = index + n - 1, index & 0xFFFF, self._shift
            # V = 2 with no P, X or CC (0x80), one SSRC, the sequence numbers in order with no wrap:
            # the last packet first (a batch out of order is told at once), then all.
            if (
                end >= SRTP_LIMIT
                or index >> shift != end >> shift  # new session keys inside the batch
                or _HEAD(packets[-1]) != (0x80, seq + n - 1, ssrc)
                or list(map(_HEAD, packets)) != [(0x80, i, ssrc) for i in range(seq, seq + n)]
            ):
                return None
        except StructError:  # shorter than the 12-octet header
            return None
        return ssrc, stream, index

    def _protect_each(self, rtps: Sequence[bytes]) -> list[bytes]:
        """protect_many packet by packet (with the lock held)."""
        planned = [  # _plain_rtp, its 12-octet header inlined
            (rtp, 12)
            if rtp.__class__ is bytes and 12 <= len(rtp) <= MAX_PACKET and rtp[0] == 0x80
            else _plain_rtp(rtp)
            for rtp in rtps
        ]
        # Each stream's replay list is moved on a copy, put in place once every packet passed.
        streams: dict[bytes, tuple[_Stream, Window]] = {}
        plan = []
        key, epoch = None, -1
        for rtp, header in planned:
            seq, ssrc = _SEQ_SSRC(rtp)
            if ssrc != key:  # another stream than the packet before's
                key, found = ssrc, streams.get(ssrc)
                if found is None:
                    stream = self._tx.get(ssrc) or _Stream(int.from_bytes(ssrc, "big"), self._size)
                    found = streams[ssrc] = (stream, stream.rtp.copy())
                stream, window = found
            index = window.top + 1
            if index & 0xFFFF != seq or index >= SRTP_LIMIT:
                index = self._tx_index(window, seq)
                window.accept(index)
            else:  # Window.accept, inlined for the next packet in sequence
                window.mask = (window.mask << 1 | 1) & window.full
                window.top = index
            if index >> self._shift != epoch:  # RFC 3711 §4.3.1: r = index DIV key_derivation_rate
                epoch = index >> self._shift
                context = self._rtp.get(epoch) or self._rtp_context(index)
            plan.append((context.protect_rtp, rtp, header, stream.ssrc48, index))
        _draw(self._srtp_left, len(plan), _SRTP_SPENT)
        out = [protect(rtp, header, ssrc48, index) for protect, rtp, header, ssrc48, index in plan]
        for key, (stream, window) in streams.items():
            stream.rtp = window
            self._tx[key] = stream
        return out

    def unprotect_many(self, packets: Sequence[bytes]) -> list[bytes | FipsError]:
        """For each SRTP packet of ``packets``, in order, what ``unprotect`` of each in turn gives: the
        RTP packet, or the error it would raise (ParseError, AuthenticationError, ReplayError, ...),
        returned, not raised. A refused packet changes nothing; the later packets see the streams as
        the accepted ones left them (a second copy of a packet is a ReplayError)."""
        batch = _batch(packets)
        if self._multi:
            self._active.unprotect_many(())  # ModuleErrorState (raised) in ERROR, even for no packet
            return [self._unprotect_one(srtp) for srtp in batch]
        with self._lock:
            # The session keys of this batch: ModuleErrorState (raised) in ERROR, even for no packet.
            contexts = self._rtp.get
            run = self._run(batch, self._rx, self._rtp_tail)
            if run is None:
                out, accepted = self._unprotect_each(batch, contexts)
            else:  # the next packets of one stream: past the highest index, so none is a replay
                key, stream, index = run
                context = contexts(index >> self._shift) or self._rtp_context(index)
                unprotect, ssrc48 = context.unprotect_rtp, stream.ssrc48
                out = []
                append = out.append
                for srtp, i in zip(batch, count(index)):
                    try:
                        append(unprotect(srtp, 12, ssrc48, i))
                    except AuthenticationError as error:
                        append(error)
                window = stream.rtp
                accepted = len(out) - sum(1 for item in out if item.__class__ is not bytes)
                if accepted == len(out):  # Window.accept of each, at once
                    window.mask = (window.mask << accepted | (1 << accepted) - 1) & window.full
                    window.top = index + accepted - 1
                else:
                    for i, item in enumerate(out):
                        if item.__class__ is bytes:
                            window.accept(index + i)
                if accepted:
                    self._rx[key] = stream
        _mark(self._unprotect_op, self._unprotect_ops, accepted)
        return out

    def _unprotect_one(self, srtp: bytes) -> bytes | FipsError:
        """unprotect_many's result for one packet, with several master keys."""
        try:
            return self._by_mki(srtp, self._tag_rtp).unprotect(srtp)
        except _PACKET_ERRORS as error:
            return error

    def _unprotect_each(
        self, batch: Sequence[bytes], contexts: Callable[[int], KeyedTransform | None]
    ) -> tuple[list[bytes | FipsError], int]:
        """unprotect_many packet by packet (with the lock held): the results and how many were accepted."""
        out: list[bytes | FipsError] = []
        accepted = 0
        tail, shift = self._rtp_tail, self._shift
        for srtp in batch:
            try:
                srtp, header = _sealed_rtp(srtp, tail)
                seq, key = _SEQ_SSRC(srtp)
                stream = self._rx.get(key) or _Stream(int.from_bytes(key, "big"), self._size)
                window = stream.rtp
                index = window.top + 1
                if index & 0xFFFF != seq or index >= SRTP_LIMIT:
                    index = _rx_index(window, seq)
                context = contexts(index >> shift) or self._rtp_context(index)
                out.append(context.unprotect_rtp(srtp, header, stream.ssrc48, index))
            except _PACKET_ERRORS as error:
                out.append(error)
                continue
            window.accept(index)
            self._rx[key] = stream
            accepted += 1
        return out, accepted

    # ----------------------------------------------------------------------------------- SRTCP

    def protect_rtcp(self, rtcp: bytes) -> bytes:
        """The SRTCP packet for the (compound) RTCP packet ``rtcp`` (RFC 3711 §3.4), encrypted (E = 1)."""
        if self._multi:
            return self._active.protect_rtcp(rtcp)
        if rtcp.__class__ is not bytes or len(rtcp) > MAX_PACKET:
            rtcp = _size("RTCP", rtcp)
        ssrc = rtcp_ssrc(rtcp, len(rtcp))
        rtcp_compound(rtcp)
        key = rtcp[4:8]
        with self._lock:
            stream = self._tx.get(key) or _Stream(ssrc, self._size)
            window = stream.rtcp
            index = window.top + 1  # §3.4: the SRTCP index counts the sender's SRTCP packets from 0
            if index >= SRTCP_LIMIT:
                raise KeyLimitError("the SRTCP index would pass 2^31 (RFC 3711 §3.4): rekey")
            try:
                next(self._srtcp_left)
            except StopIteration:
                raise KeyLimitError(
                    "2^31 SRTCP packets under this master key (RFC 3711 §9.2): rekey"
                ) from None
            context = self._rtcp.get(index >> self._shift) or self._rtcp_context(index)
            out = context.protect_rtcp(rtcp, stream.ssrc48, index)
            window.accept(index)
            self._tx[key] = stream
        op, ops = self._ops[0]
        if get_last() is not op:
            set_last(op)
        next(ops)
        return out

    def unprotect_rtcp(self, srtcp: bytes) -> bytes:
        """The RTCP packet in the SRTCP packet ``srtcp``, once authenticated and not a replay."""
        if self._multi:
            return self._by_mki(srtcp, self._tag_rtcp).unprotect_rtcp(srtcp)
        if srtcp.__class__ is not bytes or len(srtcp) > MAX_PACKET:
            srtcp = _size("SRTCP", srtcp)
        n = len(srtcp)
        if n < self._rtcp_min:
            raise ParseError(
                f"an SRTCP packet of this session holds at least {self._rtcp_min} octets, got {n}"
            )
        ssrc = rtcp_ssrc(srtcp, n)
        encrypted, index = srtcp_trailer(srtcp, n - self._rtcp_back)
        key = srtcp[4:8]
        with self._lock:
            stream = self._rx.get(key) or _Stream(ssrc, self._size)
            window = stream.rtcp
            window.check(index)
            context = self._rtcp.get(index >> self._shift) or self._rtcp_context(index)
            out = context.unprotect_rtcp(srtcp, stream.ssrc48, encrypted, index)
            window.accept(index)
            self._rx[key] = stream
        op, ops = self._ops[1]
        if get_last() is not op:
            set_last(op)
        next(ops)
        return out


_SERVICES = ("protect", "unprotect", "protect_rtcp", "unprotect_rtcp")
