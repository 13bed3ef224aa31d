"""A tamper-evident audit trail: audit events as JSON lines, each record chained to the line before it.

    from fipscrypto import audit
    from fipscrypto.audit.trail import AuditTrail

    trail = AuditTrail("/var/log/svc/audit.jsonl", key=mac_key, signing_key=signer)
    audit.subscribe(trail)
    ...
    trail.close()  # writes a last signed checkpoint and unsubscribes the trail

Every line is one JSON object (docs/audit.md): ``seq`` (0, 1, 2, ... in file order), ``time`` (RFC
3339, UTC), ``record`` (``genesis``, ``event``, ``checkpoint`` or ``audit-gap``), the record's own
fields, and last the link to the line before it: ``prev``, the SHA-256 of that line's bytes (its
newline included; of the empty string for the first line), or, when the trail has an HMAC key,
``mac``, the HMAC-SHA-256 (FIPS 198-1) of that line's bytes followed by this line up to the link
(with its closing brace), so that without the key no record can be edited, not even the last. The
first record (genesis) names the chain (``sha256`` or ``hmac-sha256``), the key id (a fingerprint,
never the key) and the checkpoint signer. With a signing key (ECDSA P-384, FIPS 186-5; ML-DSA-87,
FIPS 204, when the post-quantum module is on) every ``checkpoint_every``-th record, and the last one
written by :meth:`AuditTrail.close`, is a checkpoint: a signature over its sequence number, time and
``head``, the SHA-256 of the line before it, which commits to every earlier record through the chain.
Hashes, MACs and signatures come from fipscrypto's services, i.e. the FIPS provider.

Writes are atomic per record and safe across threads and processes: the lines of one call go out in
one ``os.write`` on an ``O_APPEND`` descriptor, under a thread lock and ``flock``; under the flock the
writer re-reads the file's last line when the file's size is not what its own last write left. A
child of ``os.fork()`` opens the file anew (a shared open file description would share the flock).
An ``OSError`` (a full disk, a removed directory) or a refusal of the crypto services never reaches
the emitter: the trail counts it (``failures``, ``last_failure``, ``lost``), logs one warning per run
of failures, and once writing works again first writes an ``audit-gap`` record with the number of
events lost, chained like any other. A write cut short (``RLIMIT_FSIZE``, a disk filling mid-line) is
truncated away: the file never ends in a torn line. While the module is in the ERROR state (nothing
can be hashed) the events are held in memory, up to :data:`MAX_HELD`, and written once it recovers.

:func:`verify` checks a trail (``fipscheck audit verify``); see :data:`UNDETECTABLE` for what no
hash chain can show.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import fcntl
import json
import json.encoder
import math
import os
import stat
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from hmac import compare_digest  # constant time; compares MAC tags, no key material
from types import TracebackType
from typing import Any

from .. import _fork, _pqc_switch, hashes, keys, mac
from .._log import WARNING, log
from .._params import byte_string, integer
from ..errors import AuditTrailError, FipsError, InvalidParameter, InvalidSignature, ModuleErrorState
from . import Event, unsubscribe

__all__ = ["MAX_FIELDS", "MAX_HELD", "UNDETECTABLE", "AuditTrail", "Verdict", "verify"]

#: Bytes of an event's fields as JSON that one record holds; larger fields are replaced by their size.
MAX_FIELDS = 1 << 16
#: Events held in memory while the module is in the ERROR state, to be written once it recovers.
MAX_HELD = 10_000
_MAX_KIND = 256
_MAX_LINE = MAX_FIELDS + 4096  # a record's other fields are far below 4 KiB
_MIN_KEY = 16  # HMAC key: at least 128 bits
_MAX_FAILURE = 1024  # characters of a failure's description
_SCHEMES = ("ecdsa-p384", "ml-dsa-87")
_KEY_ID_LABEL = b"fipscrypto audit key id"
_CHECKPOINT_LABEL = "fipscrypto audit checkpoint"
_LOGGER = "fipscrypto.audit.trail"
_LINKS = ("prev", "mac")


def _fields_encoder() -> Callable[[object], str]:
    """Event fields as JSON: sorted keys, no spaces, ``str()`` of what JSON has no type for, no NaN.
    json's C encoder is made once here (``JSONEncoder.encode`` makes one per call, half its cost);
    without its cycle check, a reference cycle ends in RecursionError."""
    make: Callable[..., Any] | None = getattr(json.encoder, "c_make_encoder", None)  # not in typeshed
    if make is None:  # an interpreter without json's C accelerator
        return json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str, allow_nan=False).encode
    encode = make(None, str, json.encoder.encode_basestring_ascii, None, ":", ",", True, False, False)
    return lambda value: "".join(encode(value, 0))


_encode_fields = _fields_encoder()
#: What a hash chain cannot show; ``fipscheck audit verify`` prints it with every verdict.
UNDETECTABLE = (
    "A hash chain cannot show records removed from the end of the log: a log cut at a line boundary "
    "is a shorter valid log. Records after the last verified checkpoint are covered by no signature; "
    "give --expect-seq N (the last sequence number you know was written) to detect a cut. Without "
    "the HMAC key and without a verified checkpoint, whoever can write the file can also rewrite the "
    "whole chain."
)


_second: tuple[int, str] = (-1, "")  # the last whole second formatted, and its text


def _rfc3339(stamp: float) -> str:
    """``stamp`` (seconds since the epoch) as RFC 3339 UTC with microseconds, as Event.time gives it;
    the date and time of day are formatted once per second (datetime takes a third of a record)."""
    global _second
    frac, seconds = math.modf(stamp)  # datetime.fromtimestamp's rounding (round half even)
    whole, micro = int(seconds), round(frac * 1e6)
    if micro >= 1_000_000:
        whole, micro = whole + 1, micro - 1_000_000
    if _second[0] != whole:
        _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{_second[1]}.{micro:06d}+00:00"


def _now() -> str:
    return _rfc3339(time.time())


def _fingerprint(data: bytes) -> str:
    return hashes.digest("sha256", data)[:16].hex()


def _key_id(key: bytes) -> str:
    """A key's id: the first 128 bits of HMAC-SHA-256(key, label); shows which key, reveals nothing."""
    return mac.hmac(key, _KEY_ID_LABEL)[:16].hex()


def _checkpoint_message(seq: int, when: str, head: str, scheme: str, signer: str) -> bytes:
    return f"{_CHECKPOINT_LABEL}\n{seq}\n{when}\n{head}\n{scheme}\n{signer}\n".encode()


def _mac_key(key: object) -> bytes:
    key = byte_string("key", key)
    if len(key) < _MIN_KEY:
        raise InvalidParameter(f"the audit trail's HMAC key has at least {_MIN_KEY * 8} bits")
    return key


def _signer(signing_key: object) -> keys.SigningKey | None:
    if signing_key is None:
        return None
    if not isinstance(signing_key, keys.SigningKey) or signing_key.scheme not in _SCHEMES:
        raise InvalidParameter("checkpoints are signed with an ecdsa-p384 or ml-dsa-87 SigningKey")
    if signing_key.scheme == "ml-dsa-87":
        _pqc_switch.require_enabled("AuditTrail checkpoints signed with ml-dsa-87")
    return signing_key


def _body(seq: int, record: str, **fields: object) -> str:
    """A record without its link and closing brace."""
    return json.dumps({"seq": seq, "time": _now(), "record": record, **fields}, separators=(",", ":"))[:-1]


def _event_parts(event: object) -> tuple[str, str, str]:
    """The event's time, kind and fields as JSON text; InvalidParameter when they cannot be written."""
    if type(event) is not Event and not isinstance(event, Event):
        raise InvalidParameter(
            f"an audit trail records fipscrypto.audit.Event objects, not {type(event).__name__}"
        )
    kind = _KINDS.get(event.kind)
    if kind is None:
        kind = _kind(event.kind)
    try:
        when = _rfc3339(event.stamp)
        given = event.fields
        fields = _encode_fields(given if type(given) is dict else dict(given))
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        raise InvalidParameter(
            f"the fields of a {event.kind!r} audit event cannot be written as JSON: {exc}"
        ) from exc
    if len(fields) > MAX_FIELDS:
        fields = _encode_fields({"oversize": len(fields)})
    return when, kind, fields


_KINDS: dict[str, str] = {}  # event kinds as JSON text: a service emits a few kinds, many times


def _kind(kind: object) -> str:
    if not isinstance(kind, str) or not 0 < len(kind) <= _MAX_KIND:
        raise InvalidParameter(f"an audit event's kind is a str of 1..{_MAX_KIND} characters")
    if len(_KINDS) >= 1024:  # a bound on what callers can make it hold
        _KINDS.clear()
    _KINDS[kind] = text = json.dumps(kind)
    return text


class AuditTrail:
    """A subscriber of :mod:`fipscrypto.audit` that appends every event to a hash-chained JSON-lines file.

    ``key``: an HMAC key of at least 128 bits keys the chain. ``signing_key``: an ``ecdsa-p384`` (or,
    with the post-quantum module on, ``ml-dsa-87``) :class:`~fipscrypto.keys.SigningKey` signs a
    checkpoint every ``checkpoint_every`` records and on :meth:`close`. Every writer of one file uses
    the same key and signer: a file begun with others raises :class:`AuditTrailError`.

    ``failures`` counts failed writes, ``lost`` the events not written since the last success
    (the next ``audit-gap`` record reports them), ``last_failure`` describes the latest failure.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        key: bytes | None = None,
        signing_key: keys.SigningKey | None = None,
        checkpoint_every: int = 1000,
    ) -> None:
        if not isinstance(path, str | os.PathLike) or not isinstance(os.fspath(path), str):
            raise InvalidParameter(f"path is a str or a path object, not {type(path).__name__}")
        self.path = os.fspath(path)
        self._key = None if key is None else _mac_key(key)
        self._signing = _signer(signing_key)
        self.checkpoint_every = integer("checkpoint_every", checkpoint_every, 1, 1 << 32)
        signer = None
        if self._signing is not None:
            self._signer_id = _fingerprint(self._signing.public_bytes())
            signer = {"scheme": self._signing.scheme, "key_id": self._signer_id}
        self._params: dict[str, object] = {
            "chain": "sha256" if self._key is None else "hmac-sha256",
            "key_id": None if self._key is None else _key_id(self._key),
            "signer": signer,
        }
        hashes.digest("sha256", b"")  # the services' first use (and its self-tests) before any write
        self.failures = 0
        self.lost = 0
        self.last_failure: str | None = None
        self._lock = _fork.rlock()
        self._queue: list[tuple[str, str, str]] = []
        self._busy = self._closed = self._failing = False
        self._fd = -1
        self._reset()
        _fork.watch(self)
        with self._lock:
            failure = self._drain(checkpoint=False)  # opens the file, writes the genesis of a new one
        if isinstance(failure, AuditTrailError):  # not this writer's file: a configuration error
            self._close_fd()
            raise failure

    def _reset(self) -> None:
        """Forget the file: the next write opens it and reads its last line."""
        self._end = -1  # the file's size after this writer's last write
        self._seq = -1  # the last record's sequence number
        self._prev = b""  # the last line, newline included
        self._last_record = ""
        self._checked = False  # the genesis of the open file was compared with this writer's

    def _forked(self) -> None:
        """In the child of a fork: a new open file description (its own flock), no state of the parent."""
        self._close_fd()
        self._reset()
        self._queue.clear()
        self._busy = self._failing = False
        self.lost = 0

    def _close_fd(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):  # already gone; nothing of the trail depends on it
                os.close(self._fd)
        self._fd = -1

    # ------------------------------------------------------------------------------------ writing

    def __call__(self, event: Event) -> None:
        """Append ``event`` (the subscriber protocol of :func:`fipscrypto.audit.subscribe`)."""
        parts = _event_parts(event)
        with self._lock:
            if self._closed:
                self._failed(AuditTrailError("the audit trail is closed"), 1)
                return
            self._queue.append(parts)
            if not self._busy:  # else an event emitted while this thread writes: the loop below takes it
                while self._queue and self._drain(checkpoint=False) is None:
                    pass

    def _drain(self, *, checkpoint: bool) -> Exception | None:
        """Write the queued events, after a genesis or gap record when one is due and with the
        checkpoints that fall among them, in one write under the file lock; the failure, if any."""
        self._busy = True
        try:
            taken = contextvars.copy_context().run(self._locked_write, checkpoint)
        except (OSError, FipsError) as exc:
            # In the ERROR state nothing can be hashed: the events wait for the module's recovery
            # (the self-test failure that caused it among them), up to MAX_HELD of them.
            held = isinstance(exc, ModuleErrorState) and len(self._queue) <= MAX_HELD
            self._failed(exc, 0 if held else len(self._queue))
            if not held:
                self._queue.clear()
            return exc
        finally:
            self._busy = False
        del self._queue[:taken]
        self.lost, self._failing = 0, False
        return None

    def _locked_write(self, checkpoint: bool) -> int:
        """The number of queued events written. Runs in a copy of the caller's context: the trail's own
        hashes and signatures leave the caller's service indicator alone."""
        fd = self._open()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            size = self._sync(fd)
            seq, prev, record, out = self._seq, self._prev, self._last_record, []
            taken = 0

            def add(body: str, kind: str) -> None:
                nonlocal seq, prev, record
                prev = self._link(body, prev)
                out.append(prev)
                seq, record = seq + 1, kind

            if seq < 0:
                add(_body(0, "genesis", **self._params, checkpoint_every=self.checkpoint_every), "genesis")
            if self.lost:
                add(_body(seq + 1, "audit-gap", lost=self.lost, error=self.last_failure), "audit-gap")
            while taken < len(self._queue):  # events emitted while this runs (self-tests) join in
                when, kind, fields = self._queue[taken]
                taken += 1
                add(
                    f'{{"seq":{seq + 1},"time":"{when}","record":"event","kind":{kind},"fields":{fields}',
                    "event",
                )
                if self._signing is not None and (seq + 1) % self.checkpoint_every == 0:
                    add(self._checkpoint(self._signing, seq + 1, prev), "checkpoint")
            if checkpoint and self._signing is not None and record != "checkpoint":
                add(self._checkpoint(self._signing, seq + 1, prev), "checkpoint")
            if out:
                data = b"".join(out)
                try:
                    written = os.write(fd, data)
                except OSError:
                    self._end = -1
                    raise
                if written != len(data):  # cut short (a file size limit, a disk filling): undo it
                    self._end = -1
                    os.ftruncate(fd, size)
                    raise OSError(f"a write of {len(data)} bytes was cut after {written} and undone")
                self._seq, self._prev, self._last_record, self._end = seq, prev, record, size + len(data)
            return taken
        finally:
            if self._fd == fd:  # else _sync closed it (the file was removed), which released the flock
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _open(self) -> int:
        if self._fd < 0:
            self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
            self._reset()
        return self._fd

    def _sync(self, fd: int) -> int:
        """Under the flock: the file's size, after reading its last line if another writer wrote."""
        st = os.fstat(fd)
        if st.st_nlink == 0 and stat.S_ISREG(st.st_mode):  # removed: a new file at the path next time
            self._close_fd()
            raise FileNotFoundError(f"{self.path} was removed")
        if st.st_size == self._end:
            return st.st_size
        if not self._checked and st.st_size:
            self._check_genesis(_first_line(fd, self.path))
        self._checked = True
        if st.st_size == 0 or not stat.S_ISREG(st.st_mode):
            self._seq, self._prev, self._last_record = -1, b"", ""
        else:
            line = _last_line(fd, st.st_size, self.path)
            record = _loads(line, self.path)
            self._seq, self._prev, self._last_record = record["seq"], line, record["record"]
        return st.st_size

    def _check_genesis(self, line: bytes) -> None:
        genesis = _loads(line, self.path)
        ours = {name: genesis.get(name) for name in self._params}
        if genesis.get("record") != "genesis" or ours != self._params:
            raise AuditTrailError(
                f"{self.path} was begun with other chain parameters ({ours}) than this writer's "
                f"({self._params})"
            )

    def _link(self, body: str, prev: bytes) -> bytes:
        if self._key is None:
            return f'{body},"prev":"{hashes.digest("sha256", prev).hex()}"}}\n'.encode()
        tag = mac.hmac(self._key, prev + body.encode() + b"}")
        return f'{body},"mac":"{tag.hex()}"}}\n'.encode()

    def _checkpoint(self, signing: keys.SigningKey, seq: int, prev: bytes) -> str:
        when, head = _now(), hashes.digest("sha256", prev).hex()
        scheme, signer = signing.scheme, self._signer_id
        signature = signing.sign(_checkpoint_message(seq, when, head, scheme, signer))
        return json.dumps(
            {
                "seq": seq,
                "time": when,
                "record": "checkpoint",
                "head": head,
                "scheme": scheme,
                "signer": signer,
                "signature": base64.b64encode(signature).decode(),
            },
            separators=(",", ":"),
        )[:-1]

    def _failed(self, exc: Exception, lost: int) -> None:
        if not self._failing:
            log(_LOGGER, WARNING, "audit trail %s: events are not being written: %s", self.path, exc)
        self._failing = True
        self.failures += 1
        self.lost += lost
        self.last_failure = f"{_now()} {type(exc).__name__}: {exc}"[:_MAX_FAILURE]  # a gap record holds it

    # ------------------------------------------------------------------------------------ closing

    def close(self) -> None:
        """Write a last signed checkpoint (with a signing key), close the file and unsubscribe."""
        with self._lock:
            if self._closed:
                return
            if self._signing is not None:
                self._drain(checkpoint=True)
            while self._queue and self._drain(checkpoint=False) is None:  # emitted while it signed
                pass
            self.lost += len(self._queue)  # held for a recovery that did not come
            self._queue.clear()
            self._closed = True
            self._close_fd()
        with contextlib.suppress(ValueError):  # it was not subscribed
            unsubscribe(self)

    def __enter__(self) -> AuditTrail:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AuditTrail({self.path!r}, chain={self._params['chain']}, failures={self.failures})"


def _first_line(fd: int, path: str) -> bytes:
    head = os.pread(fd, _MAX_LINE, 0)
    cut = head.find(b"\n")
    if cut < 0:
        raise AuditTrailError(f"{path}: the first line is torn or longer than {_MAX_LINE} bytes")
    return head[: cut + 1]


def _last_line(fd: int, size: int, path: str) -> bytes:
    """The file's last line, newline included (read backwards, at most a record's size)."""
    n = min(size, 4096)
    while True:
        tail = os.pread(fd, n, size - n)
        if not tail.endswith(b"\n"):
            raise AuditTrailError(f"{path}: the last line is torn (no newline)")
        cut = tail.rfind(b"\n", 0, len(tail) - 1)
        if cut >= 0:
            return tail[cut + 1 :]
        if n == size:
            return tail
        if n >= _MAX_LINE:
            raise AuditTrailError(f"{path}: the last line is longer than {_MAX_LINE} bytes")
        n = min(size, n * 4)


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise ValueError("a key appears twice")
    return found


def _loads(line: bytes, path: str) -> dict[str, Any]:
    """A record line parsed: an object with an int ``seq`` and a str ``record``, no key twice."""
    try:
        record = json.loads(line, object_pairs_hook=_unique)
    except (ValueError, RecursionError) as exc:
        raise AuditTrailError(f"{path}: not a trail record: {exc}") from None
    if (
        not isinstance(record, dict)
        or type(record.get("seq")) is not int
        or not isinstance(record.get("record"), str)
    ):
        raise AuditTrailError(f"{path}: not a trail record (no int seq or str record)")
    return record


# ---------------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class Verdict:
    """What :func:`verify` found. ``line`` (1-based), ``seq`` and ``reason`` name the first bad record."""

    ok: bool
    records: int  # records that verified
    last_seq: int | None
    chain: str | None
    checkpoints: int
    signatures_verified: int
    last_checkpoint: int | None  # the sequence number of the last checkpoint
    gaps: int
    lost: int  # events that audit-gap records report lost
    line: int | None = None
    seq: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class _Bad(Exception):
    def __init__(self, reason: str, seq: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.seq = reason, seq


class _Checker:
    """The state of one verification, line by line."""

    def __init__(self, key: bytes | None, public_key: bytes | None) -> None:
        self.key, self.public_key = key, public_key
        self.verifying: keys.VerifyingKey | None = None
        self.genesis: dict[str, Any] = {}
        self.prev = b""
        self.last_seq: int | None = None
        self.checkpoints = self.signed = self.gaps = self.lost = 0
        self.last_checkpoint: int | None = None

    def line(self, number: int, raw: bytes) -> None:
        if not raw.endswith(b"\n"):
            raise _Bad(f"torn line: it ends without a newline after {len(raw)} bytes (a cut record)")
        try:
            record = _loads(raw, "")
        except AuditTrailError as exc:
            raise _Bad(str(exc).removeprefix(": ")) from None
        seq = record["seq"]
        if json.dumps(record, separators=(",", ":")).encode() + b"\n" != raw:
            raise _Bad("not in the form the writer gives (edited by hand or by a tool)", seq)
        link = list(record)[-1]
        if link not in _LINKS or not isinstance(record[link], str):
            raise _Bad("no link to the line before it (prev or mac) at its end", seq)
        if number == 1:
            self._genesis(record)
        self._check_link(record, link, raw)
        if seq != number - 1:
            raise _Bad(
                f"sequence number {seq} at line {number}, where {number - 1} follows the line before:"
                " a record was deleted, inserted or moved",
                seq,
            )
        kind = record["record"]
        if kind == "checkpoint":
            self._checkpoint(record)
        elif kind == "audit-gap":
            self.gaps += 1
            self.lost += record.get("lost", 0) if type(record.get("lost")) is int else 0
        elif kind == "genesis" and number != 1:
            raise _Bad("a second genesis record", seq)
        self.prev, self.last_seq = raw, seq

    def _genesis(self, record: dict[str, Any]) -> None:
        if record["record"] != "genesis":
            raise _Bad("the first line is not the genesis record: the log's start was removed", record["seq"])
        self.genesis = record
        chain = record.get("chain")
        if chain == "hmac-sha256":
            if self.key is None:
                raise InvalidParameter("this chain is keyed (hmac-sha256): give its HMAC key (--key)")
            if _key_id(self.key) != record.get("key_id"):
                raise _Bad(f"the key given is not this chain's key (key id {record.get('key_id')})", 0)
        elif chain != "sha256":
            raise _Bad(f"unknown chain {chain!r}", 0)
        elif self.key is not None:
            raise _Bad("a key was given but the chain is not keyed: it may have been rewritten without it", 0)
        signer = record.get("signer")
        if self.public_key is not None:
            if not isinstance(signer, dict) or signer.get("scheme") not in _SCHEMES:
                raise _Bad("the genesis record names no checkpoint signer, but a public key was given", 0)
            try:
                self.verifying = keys.load_verifying_key(self.public_key, signer["scheme"])
            except InvalidParameter as exc:
                raise InvalidParameter(f"the public key is not a {signer['scheme']} key: {exc}") from None
            if _fingerprint(self.verifying.public_bytes()) != signer.get("key_id"):
                raise _Bad(
                    f"the public key given is not this chain's signer (key id {signer.get('key_id')})", 0
                )

    def _check_link(self, record: dict[str, Any], link: str, raw: bytes) -> None:
        seq = record["seq"]
        if link != ("prev" if self.key is None else "mac"):  # the genesis matched the key with the chain
            raise _Bad(f"a {link} link in a {self.genesis.get('chain')} chain", seq)
        if self.key is not None:
            body = raw[: -len(f',"mac":"{record["mac"]}"}}\n')] + b"}"
            if not compare_digest(mac.hmac(self.key, self.prev + body).hex(), record["mac"]):
                raise _Bad(
                    "its MAC does not verify: it was edited, or the line before it is not its own", seq
                )
        elif record["prev"] != hashes.digest("sha256", self.prev).hex():
            raise _Bad(
                "its prev is not the SHA-256 of the line before it: that line was edited, or a record was"
                " inserted, deleted or moved here",
                seq,
            )

    def _checkpoint(self, record: dict[str, Any]) -> None:
        seq = record["seq"]
        self.checkpoints += 1
        signer = self.genesis.get("signer")
        if record.get("head") != hashes.digest("sha256", self.prev).hex():
            raise _Bad("a checkpoint whose head is not the SHA-256 of the line before it", seq)
        if not isinstance(signer, dict) or record.get("signer") != signer.get("key_id"):
            raise _Bad("a checkpoint by a signer the genesis record does not name", seq)
        if self.verifying is not None:
            try:
                signature = base64.b64decode(record.get("signature", ""), validate=True)
                message = _checkpoint_message(
                    seq, record["time"], record["head"], record["scheme"], record["signer"]
                )
                self.verifying.verify(signature, message)
            except (ValueError, TypeError, KeyError, InvalidSignature, InvalidParameter):
                raise _Bad(
                    "the checkpoint's signature does not verify: a forged or replaced checkpoint", seq
                ) from None
            self.signed += 1
        self.last_checkpoint = seq


def verify(
    path: str | os.PathLike[str],
    *,
    key: bytes | None = None,
    public_key: bytes | None = None,
    expect_seq: int | None = None,
) -> Verdict:
    """Verify the trail at ``path``: every link, every sequence number and, with ``public_key`` (the
    signer's SubjectPublicKeyInfo, DER or PEM), every checkpoint's signature. ``key`` is the HMAC key
    of a keyed chain (InvalidParameter without it). ``expect_seq``: the log must reach that sequence
    number (a cut end is otherwise undetectable: :data:`UNDETECTABLE`). An unreadable file raises OSError.
    """
    checker = _Checker(
        None if key is None else _mac_key(key),
        None if public_key is None else byte_string("public_key", public_key),
    )
    if expect_seq is not None:
        integer("expect_seq", expect_seq, 0, 1 << 63)
    number = 0
    bad: _Bad | None = None
    with open(path, "rb") as f:
        for number, raw in enumerate(f, 1):
            try:
                checker.line(number, raw)
            except _Bad as exc:
                bad = exc
                break
    if bad is None and number == 0:
        number, bad = 1, _Bad("empty: no genesis record")
    elif bad is None and expect_seq is not None and (checker.last_seq or 0) < expect_seq:
        number += 1
        bad = _Bad(
            f"the log ends at sequence number {checker.last_seq}, but {expect_seq} was expected:"
            " records were removed from its end",
            expect_seq,
        )
    return Verdict(
        ok=bad is None,
        records=number if bad is None else number - 1,
        last_seq=checker.last_seq,
        chain=checker.genesis.get("chain"),
        checkpoints=checker.checkpoints,
        signatures_verified=checker.signed,
        last_checkpoint=checker.last_checkpoint,
        gaps=checker.gaps,
        lost=checker.lost,
        line=None if bad is None else number,
        seq=None if bad is None else bad.seq,
        reason=None if bad is None else bad.reason,
    )
