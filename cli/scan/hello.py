"""Sans-I/O TLS hellos for probing a server: a ClientHello that offers exactly what a probe asks for,
and a reader of the server's first flight.

A probe never finishes a handshake: what a server accepts shows in its first answer. The ServerHello
(or HelloRetryRequest) names the version, the suite and, in TLS 1.3, the group; a fatal alert or a
closed connection is a refusal. In TLS 1.2 and earlier the rest of the first flight is in the clear, so
the reader also keeps the Certificate message (the chain) and the ServerKeyExchange (the ECDHE curve
or the DHE prime, and the signature scheme). Nothing here opens a socket.

TLS 1.3 key shares carry fixed, valid public values (a curve's generator, the X25519/X448 base point,
the finite-field generator 2, an all-zero ML-KEM encapsulation key, which passes FIPS 203's modulus
check): the server computes with them and answers, and the probe stops there, so no key is generated.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from .tlsregistry import GROUPS, SIGALGS, SUITES, VERSIONS

__all__ = ["MAX_FLIGHT", "SHARED_GROUPS", "FlightError", "Offer", "Reader", "Reply", "client_hello"]

MAX_FLIGHT = 1 << 20  # bytes of a server's first flight a reader takes (a long chain is ~20 KB)

_HANDSHAKE, _ALERT, _CCS = 22, 21, 20  # ContentType (RFC 8446 §5.1)
_CLIENT_HELLO, _SERVER_HELLO, _CERTIFICATE, _SERVER_KEY_EXCHANGE, _SERVER_HELLO_DONE = 1, 2, 11, 12, 14
# RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello whose random is SHA-256("HelloRetryRequest")
_HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
_SERVER_NAME, _GROUPS_EXT, _POINT_FORMATS, _SIGALGS_EXT = 0, 10, 11, 13
_EMS, _VERSIONS_EXT, _KEY_SHARE, _RENEGOTIATION = 23, 43, 51, 0xFF01

# Fixed public values for key shares (SEC 2 generators; RFC 7748 base points; RFC 7919 g = 2;
# FIPS 203 encapsulation keys of the right length; the hybrids' order of draft-ietf-tls-ecdhe-mlkem).
_P256 = bytes.fromhex(
    "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
)
_P384 = bytes.fromhex(
    "04aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7"
    "3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f"
)
_P521 = bytes.fromhex(
    "0400c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ff"
    "a8de3348b3c1856a429bf97e7e31c2e5bd66011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd1727"
    "3e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650"
)
_EK = {512: bytes(800), 768: bytes(1184), 1024: bytes(1568)}
_SHARES = {
    "secp256r1": _P256,
    "secp384r1": _P384,
    "secp521r1": _P521,
    "x25519": (9).to_bytes(32, "little"),
    "x448": (5).to_bytes(56, "little"),
    **{f"ffdhe{bits}": (2).to_bytes(bits // 8, "big") for bits in (2048, 3072, 4096, 6144, 8192)},
    **{f"MLKEM{size}": ek for size, ek in _EK.items()},
    "SecP256r1MLKEM768": _P256 + _EK[768],
    "X25519MLKEM768": _EK[768] + (9).to_bytes(32, "little"),
    "SecP384r1MLKEM1024": _P384 + _EK[1024],
}
SHARED_GROUPS = frozenset(_SHARES)  # the groups a hello can carry a key share of
_GROUP_NAMES = {code: name for name, code in GROUPS.items()}


class FlightError(ValueError):
    """The server's answer is not TLS, or is malformed, or is larger than :data:`MAX_FLIGHT`."""


@dataclass(frozen=True)
class Offer:
    """What one ClientHello offers. ``version`` is the one protocol version probed: TLS 1.3 is offered
    only through supported_versions (with ``also_tls12``, TLS 1.2 as well), earlier versions only as the
    hello's version. ``groups`` and ``sigalgs`` are registry names; ``suites`` code points."""

    version: str
    suites: tuple[int, ...]
    groups: tuple[str, ...] = tuple(GROUPS)
    sigalgs: tuple[str, ...] = tuple(SIGALGS)
    server_name: str | None = None
    also_tls12: bool = False
    share: bool = False  # TLS 1.3: a key share for the first group, else none (the server retries)


def _vector(data: bytes, width: int) -> bytes:
    return len(data).to_bytes(width, "big") + data


def _extension(kind: int, body: bytes) -> bytes:
    return struct.pack(">HH", kind, len(body)) + body


def _u16s(values: list[int]) -> bytes:
    return b"".join(v.to_bytes(2, "big") for v in values)


def client_hello(offer: Offer) -> bytes:
    """The ClientHello records for ``offer`` (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2)."""
    tls13 = offer.version == "tls1.3"
    legacy = VERSIONS["tls1.2"] if tls13 else VERSIONS[offer.version]
    extensions = []
    if offer.server_name:
        name = offer.server_name.encode("idna")
        extensions.append(_extension(_SERVER_NAME, _vector(b"\x00" + _vector(name, 2), 2)))
    if offer.groups:
        extensions.append(_extension(_GROUPS_EXT, _vector(_u16s([GROUPS[g] for g in offer.groups]), 2)))
        extensions.append(_extension(_POINT_FORMATS, b"\x01\x00"))
    if offer.sigalgs:
        extensions.append(_extension(_SIGALGS_EXT, _vector(_u16s([SIGALGS[s] for s in offer.sigalgs]), 2)))
    if legacy >= VERSIONS["tls1.0"]:
        extensions.append(_extension(_EMS, b""))  # RFC 7627 §5.1
        extensions.append(_extension(_RENEGOTIATION, b"\x00"))  # RFC 5746 §3.4
    if tls13:
        versions = [VERSIONS["tls1.3"]] + ([VERSIONS["tls1.2"]] if offer.also_tls12 else [])
        extensions.append(_extension(_VERSIONS_EXT, _vector(_u16s(versions), 1)))
        # RFC 8446 §4.2.8: "Clients MAY send an empty client_shares vector in order to request group
        # selection from the server", which answers with a HelloRetryRequest naming its group, before
        # any key exchange or signature of its own: the cheap answer a probe needs
        shares = [g for g in offer.groups if g in _SHARES][:1] if offer.share else []
        entries = b"".join(GROUPS[g].to_bytes(2, "big") + _vector(_SHARES[g], 2) for g in shares)
        extensions.append(_extension(_KEY_SHARE, _vector(entries, 2)))
    body = (
        legacy.to_bytes(2, "big")
        + os.urandom(32)
        + _vector(os.urandom(32) if tls13 else b"", 1)  # RFC 8446 §D.4 middlebox compatibility
        + _vector(_u16s(list(offer.suites)), 2)
        + b"\x01\x00"  # compression: null only
        + _vector(b"".join(extensions), 2)
    )
    message = bytes([_CLIENT_HELLO]) + _vector(body, 3)  # one share at most: well under 2^14 bytes
    record_version = min(legacy, VERSIONS["tls1.0"]).to_bytes(2, "big")  # RFC 8446 §5.1: 0x0301
    return bytes([_HANDSHAKE]) + record_version + _vector(message, 2)


@dataclass(frozen=True)
class Reply:
    """A server's answer to one hello: a fatal ``alert`` (its description), a ``closed`` connection,
    or the ServerHello's choices, with what TLS 1.2 and earlier show in the clear after it."""

    alert: int | None = None
    closed: bool = False
    version: int | None = None
    suite: int | None = None
    group: str | None = None  # TLS 1.3: key_share or HelloRetryRequest; TLS 1.2: the ECDHE curve
    retry: bool = False  # a HelloRetryRequest
    ems: bool = False
    certificates: tuple[bytes, ...] = ()  # DER, leaf first
    dh_bits: int | None = None  # TLS 1.2 DHE: the size of the server's prime
    sigalg: str | None = None  # TLS 1.2 ServerKeyExchange signature scheme

    @property
    def accepted(self) -> bool:
        return self.version is not None


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.data):
            raise FlightError("truncated message")
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk

    def number(self, n: int) -> int:
        return int.from_bytes(self.take(n), "big")

    def vector(self, width: int) -> bytes:
        return self.take(self.number(width))

    @property
    def done(self) -> bool:
        return self.at == len(self.data)


class Reader:
    """Reads a server's first flight: :meth:`feed` the bytes as they arrive; it returns the
    :class:`Reply` once the flight says enough, else None (call :meth:`close` at end of stream)."""

    def __init__(self, *, want_chain: bool = True) -> None:
        self._records = b""
        self._handshake = b""
        self._seen = 0
        self._want_chain = want_chain
        self._hello: dict[str, object] | None = None

    def feed(self, data: bytes) -> Reply | None:
        self._seen += len(data)
        if self._seen > MAX_FLIGHT:
            raise FlightError(f"first flight larger than {MAX_FLIGHT} bytes")
        self._records += data
        while len(self._records) >= 5:
            kind, length = self._records[0], int.from_bytes(self._records[3:5], "big")
            if kind not in (_HANDSHAKE, _ALERT, _CCS, 23) or self._records[1] not in (2, 3):
                raise FlightError("not a TLS record")
            if len(self._records) < 5 + length:
                return None
            fragment, self._records = self._records[5 : 5 + length], self._records[5 + length :]
            if kind == _ALERT:
                if self._hello is not None:
                    return self._reply()
                if len(fragment) < 2:
                    raise FlightError("malformed alert")
                return Reply(alert=fragment[1])
            if kind != _HANDSHAKE:  # TLS 1.3 after its ServerHello: encrypted
                return self._reply() if self._hello is not None else None
            self._handshake += fragment
            reply = self._messages()
            if reply is not None:
                return reply
        return None

    def close(self) -> Reply:
        """The answer at end of stream: what was read, else a closed connection."""
        return self._reply() if self._hello is not None else Reply(closed=True)

    def _messages(self) -> Reply | None:
        while len(self._handshake) >= 4:
            kind, length = self._handshake[0], int.from_bytes(self._handshake[1:4], "big")
            if len(self._handshake) < 4 + length:
                return None
            body, self._handshake = self._handshake[4 : 4 + length], self._handshake[4 + length :]
            if kind == _SERVER_HELLO:
                self._hello = _server_hello(body)
                if self._hello["retry"] or self._hello["version"] == VERSIONS["tls1.3"]:
                    return self._reply()
                if not self._want_chain:
                    return self._reply()
            elif self._hello is None:
                raise FlightError(f"handshake message {kind} before the ServerHello")
            elif kind == _CERTIFICATE:
                self._hello["certificates"] = _certificates(body)
            elif kind == _SERVER_KEY_EXCHANGE:
                self._hello.update(_key_exchange(body, self._hello))
            elif kind == _SERVER_HELLO_DONE:
                return self._reply()
        return None

    def _reply(self) -> Reply:
        return Reply(**self._hello or {})  # type: ignore[arg-type]


def _server_hello(body: bytes) -> dict[str, object]:
    """RFC 8446 §4.1.3 / RFC 5246 §7.4.1.3."""
    cursor = _Cursor(body)
    version = cursor.number(2)
    retry = cursor.take(32) == _HRR_RANDOM
    cursor.vector(1)  # session id
    suite = cursor.number(2)
    cursor.take(1)  # compression
    found: dict[str, object] = {"version": version, "suite": suite, "retry": retry, "ems": False}
    if cursor.done:
        return found
    extensions = _Cursor(cursor.vector(2))
    while not extensions.done:
        kind, data = extensions.number(2), extensions.vector(2)
        if kind == _VERSIONS_EXT and len(data) == 2:
            found["version"] = int.from_bytes(data, "big")
        elif kind == _KEY_SHARE and len(data) >= 2:
            code = int.from_bytes(data[:2], "big")
            found["group"] = _GROUP_NAMES.get(code, f"0x{code:04x}")
        elif kind == _EMS:
            found["ems"] = True
    return found


def _certificates(body: bytes) -> tuple[bytes, ...]:
    """RFC 5246 §7.4.2: certificate_list<0..2^24-1>, each ASN.1Cert<1..2^24-1>."""
    listing = _Cursor(_Cursor(body).vector(3))
    chain = []
    while not listing.done:
        chain.append(listing.vector(3))
    return tuple(chain)


def _key_exchange(body: bytes, hello: dict[str, object]) -> dict[str, object]:
    """The ServerKeyExchange of ECDHE (RFC 8422 §5.4) or DHE (RFC 5246 §7.4.3): the curve or the
    prime's size, and in TLS 1.2 the signature scheme of its signed_params (RFC 5246 §7.4.1.4.1)."""
    cursor = _Cursor(body)
    found: dict[str, object] = {}
    suite = SUITES.get(int(hello["suite"]), "")  # type: ignore[call-overload]
    if "_ECDHE_" in suite:
        if cursor.take(1) != b"\x03":  # ECCurveType named_curve, the only one RFC 8422 allows
            raise FlightError("ServerKeyExchange: not a named curve")
        code = cursor.number(2)
        found["group"] = _GROUP_NAMES.get(code, f"0x{code:04x}")
        cursor.vector(1)  # the public point
    elif "_DHE_" in suite:
        found["dh_bits"] = int.from_bytes(cursor.vector(2), "big").bit_length()
        cursor.vector(2)  # g
        cursor.vector(2)  # Ys
    else:
        return found
    if hello["version"] == VERSIONS["tls1.2"]:
        code = cursor.number(2)
        names = {c: n for n, c in SIGALGS.items()}
        found["sigalg"] = names.get(code, f"0x{code:04x}")
    return found
