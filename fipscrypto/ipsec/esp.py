"""SecurityAssociation: ESP in transport and tunnel mode over IPv4 and IPv6 (RFC 4303), sans-I/O.

One SA per direction, as IKEv2 makes them (RFC 7296 §2.17 gives each direction its own keys):
``encapsulate`` on the sending side, ``decapsulate`` on the receiving side; bytes in, bytes out.
``key`` is the keying material as IKEv2 KEYMAT gives it: AES key || 4-octet salt for AES-GCM and
AES-GMAC (RFC 4106 §8.1, RFC 4543 §7), AES key || HMAC key for AES-CBC with HMAC-SHA-2 (RFC 7296
§2.17: "each encryption key is taken before the integrity key").

The sender numbers packets from ``seq_start`` (1: RFC 4303 §3.3.3, "the first packet sent using a
given SA will contain a sequence number of 1") and never cycles: after 2^32 - 1 (2^64 - 1 with
ESN) it raises :class:`~fipscrypto.errors.SequenceExhausted`. The receiver's window (RFC 4303
§3.4.3) starts with everything below ``seq_start`` taken; with ESN it infers the high-order 32
bits of each sequence number as Appendix A2.2 describes.

A rejected packet (``ParseError``, ``ReplayError``, ``AuthenticationError``) leaves the SA as it
was. The SA is a held key object: entering ERROR revokes it (every call then raises
``ModuleErrorState``); in the child of ``os.fork()`` it does not encapsulate (``ForkError``): parent
and child would send packets with the same sequence numbers, which are the AES-GCM IVs.
"""

from __future__ import annotations

from typing import Any

from .. import _fork
from .._params import BYTES, byte_string, integer, not_offered
from .._replay import Window
from .._service import REVOKED, Refusal, hold
from ..enforce import require
from ..errors import ForkError, InvalidParameter, ParseError, ReplayError, SequenceExhausted
from ..indicator import entry, get_last, set_last
from .packets import (
    ESP,
    IPV4,
    IPV6,
    MAX_PACKET,
    Header,
    inner_length,
    outer_header,
    rewrite,
    transport_header,
    tunnel_endpoints,
)
from .packets import esp_header as _esp_header
from .transforms import ALGORITHMS, transform

__all__ = ["ALGORITHMS", "SecurityAssociation"]

_SERVICE = "ipsec.SecurityAssociation"
_RULE = "RFC 4303 §3.4.3"
_LOW = 0xFFFFFFFF
_DUMMY = 59  # RFC 4303 §2.6: "the protocol value 59 (which means "no next header") ... a "dummy" packet"
# RFC 4303 §2.4: "the Padding bytes are initialized with a series of (unsigned, 1-byte) integer values.
# The first padding byte appended to the plaintext is numbered 1"; Pad Length is at most 255.
_PADDING = [bytes(range(1, n + 1)) for n in range(256)]

_FORKED = Refusal(
    lambda: ForkError(
        "this ESP SA was created before os.fork(): the parent may send packets with the same sequence "
        "numbers (the same IVs), so it does not encapsulate here; make a new SA in this process"
    )
)


def _checked(what: str, packet: object) -> bytes:
    data = byte_string(what, packet)
    if len(data) > MAX_PACKET:
        raise ParseError(f"{what} is longer than an IP packet ({len(data)} octets)")
    return data


class SecurityAssociation:
    """One ESP security association (RFC 4303): its keys, sequence counter and replay window."""

    def __init__(
        self,
        spi: int,
        key: bytes,
        *,
        algorithm: str = "aes-256-gcm-16",
        mode: str = "transport",
        tunnel: tuple[str, str] | None = None,
        replay_window: int = 1024,
        esn: bool = False,
        seq_start: int = 1,
    ) -> None:
        # RFC 4303 §2.1: "The SPI value of zero (0) is reserved for local, implementation-specific
        # use and MUST NOT be sent on the wire"; IANA reserves 1-255.
        self.spi = integer("spi (RFC 4303 §2.1: 256..2^32-1)", spi, 256, _LOW)
        if type(algorithm) is not str or algorithm not in ALGORITHMS:
            if type(algorithm) is not str:
                raise InvalidParameter(f"algorithm is a name (str), not {type(algorithm).__name__}")
            raise not_offered(
                "esp-transform", algorithm, "ESP algorithm", f"use one of {', '.join(ALGORITHMS)}"
            )
        self.algorithm = algorithm
        chosen = ALGORITHMS[algorithm]
        if not isinstance(key, BYTES) or len(key) != chosen.key_length:
            raise InvalidParameter(f"{algorithm} takes {chosen.key_length} octets of keying material")
        if mode not in ("transport", "tunnel"):
            raise InvalidParameter(f"mode is 'transport' or 'tunnel', not {mode!r:.40}")
        self.mode = mode
        if (mode == "tunnel") != (tunnel is not None):
            raise InvalidParameter("tunnel=(source, destination) is given in tunnel mode, and only there")
        self._tunnel = None if tunnel is None else tunnel_endpoints(tunnel)
        # RFC 4303 §3.4.3: "A MINIMUM window size of 32 packets MUST be supported ... a window size of
        # 64 is preferred and SHOULD be employed as the default"; here 64 to 4096.
        size = integer("replay_window (64..4096)", replay_window, 64, 4096)
        if type(esn) is not bool:
            raise InvalidParameter("esn is a bool")
        self.esn = esn
        # RFC 4303 §3.3.3: the counter "MUST NOT be allowed to cycle": 2^32 - 1, or 2^64 - 1 with ESN.
        last = (1 << 64) - 1 if esn else _LOW
        start = integer(f"seq_start (1..{last})", seq_start, 1, last)
        # What the policy says of each transform, applying (encapsulate) and processing (decapsulate).
        asked = [(chosen.encryption, chosen.bits), (chosen.integrity, None)] + (
            [("ESN", None)] if esn else []
        )
        approved = all(
            require(_SERVICE, "esp-transform", name, direction=way, bits=bits)
            for name, bits in asked
            for way in ("apply", "process")
        )
        self._transform: Any = transform(chosen, bytes(key))
        self._spi = self.spi.to_bytes(4, "big")
        self._iv, self._icv, self._align = chosen.iv_size, chosen.icv_size, chosen.align
        self._last = last
        self._sequence: Any = iter(range(start, last + 1))  # _FORKED in a child, REVOKED in ERROR
        # RFC 4303 §3.4.3: "When an SA is established, the receiver's counter is initialized to 0";
        # here every number below seq_start counts as received.
        self._window = Window(size, _RULE)
        self._window.top, self._window.mask = start - 1, self._window.full
        (self._sealed, self._seals), (self._opened, self._opens) = (
            entry(f"{_SERVICE}.{what}", algorithm, approved) for what in ("encapsulate", "decapsulate")
        )
        self._lock = _fork.lock()
        hold(self)
        _fork.watch(self)

    # ------------------------------------------------------------------------------- held object

    def _revoke(self) -> None:
        # No lock: ERROR may be entered by this thread inside a packet call (which holds it).
        self._transform = self._sequence = REVOKED

    def _forked(self) -> None:
        if self._sequence is not REVOKED:
            self._sequence = _FORKED

    # --------------------------------------------------------------------------------- sending

    def encapsulate(self, ip_packet: bytes) -> bytes:
        """The ESP packet that carries ``ip_packet`` (RFC 4303 §3.1): in transport mode, its own header
        (ESP after the IPv4 header or the IPv6 headers before it); in tunnel mode, a new header from
        the tunnel's source to its destination, around the whole packet."""
        packet = ip_packet if ip_packet.__class__ is bytes and len(ip_packet) <= MAX_PACKET else None
        if packet is None:
            packet = _checked("ip_packet", ip_packet)
        if self._tunnel is None:
            found = transport_header(packet)
            protocol, header, payload = found.protocol, packet[: found.end], packet[found.end :]
        else:
            # RFC 4303 §2.6: Next Header 4 for an IPv4 packet, 41 for IPv6.
            protocol = IPV4 if packet and packet[0] >> 4 == 4 else IPV6
            if inner_length(packet, protocol) != len(packet):
                raise ParseError("the packet to tunnel is longer than its IP header says")
            payload = packet
        # RFC 4303 §2.4: padding so that "the Pad Length and Next Header fields are right aligned within
        # a 4-byte word" and, for a block cipher, the encrypted part is a multiple of the block size.
        pad = -(len(payload) + 2) % self._align
        plain = payload + _PADDING[pad] + bytes((pad, protocol))
        size = 8 + self._iv + len(plain) + self._icv  # ESP header, IV, payload and trailer, ICV
        if self._tunnel is None:
            version, total = found.version, found.end + size
        else:
            version, total = self._tunnel[0].version, (20 if self._tunnel[0].version == 4 else 40) + size
        if total > (0xFFFF if version == 4 else 0xFFFF + 40):  # RFC 791 total length, RFC 8200 payload length
            raise InvalidParameter(f"the ESP packet would be {total} octets, longer than an IP packet")
        with self._lock:
            try:
                seq: int = next(self._sequence)
            except StopIteration:
                raise SequenceExhausted(
                    f"ESP SA {self.spi:#010x} sent sequence number {self._last}: the counter may not "
                    "cycle (RFC 4303 §3.3.3); establish a new SA"
                ) from None
            head = self._spi + (seq & _LOW).to_bytes(4, "big")
            # RFC 4303 §2.2.1: with ESN only the low-order 32 bits are sent; the high-order ones enter
            # the ICV (and, RFC 4106 §5, the AAD). The IV is made from the 64-bit sequence number.
            high = (seq >> 32).to_bytes(4, "big") if self.esn else b""
            transform = self._transform
            body: bytes = transform.seal(head, high, transform.iv(seq.to_bytes(self._iv, "big")), plain)
        if self._tunnel is None:
            out = rewrite(header, found, ESP, total) + head + body
        else:
            src, dst = self._tunnel
            out = outer_header(src, dst, packet, protocol, total, seq & 0xFFFF) + head + body
        if get_last() is not self._sealed:  # the indicator, inlined (indicator.mark)
            set_last(self._sealed)
        next(self._seals)
        return out

    # ------------------------------------------------------------------------------- receiving

    def _index(self, low: int) -> int:
        """The full sequence number of a received packet whose low-order 32 bits are ``low``."""
        if not self.esn:
            return low
        # RFC 4303 Appendix A2.2, with T = Th || Tl the highest authenticated sequence number, W the
        # window and Bl = Tl - W + 1 (mod 2^32). Case A (Tl >= W - 1): "If Seql >= Bl ... then
        # Seqh = Th; If Seql < Bl ... then Seqh = Th + 1". Case B (Tl < W - 1): "If Seql >= Bl ...
        # then Seqh = Th - 1; If Seql < Bl ... then Seqh = Th".
        window = self._window
        th, tl = window.top >> 32, window.top & _LOW
        bottom = (tl - window.size + 1) & _LOW
        high = (
            (th if low >= bottom else th + 1) if tl >= window.size - 1 else (th - 1 if low >= bottom else th)
        )
        if high > _LOW:
            raise ReplayError(f"the sequence number would pass 2^64 - 1 ({_RULE}, Appendix A2)")
        return high << 32 | low  # negative for Th - 1 below 0: the window refuses it as too old

    def decapsulate(self, esp_packet: bytes) -> bytes:
        """The IP packet that ``esp_packet`` carries, once its ICV verified and it is not a replay: in
        transport mode the packet's own header with the protocol, lengths and checksum restored; in
        tunnel mode the inner packet (without TFC padding). Empty for a dummy packet (next header 59,
        RFC 4303 §2.6: "a receiver MUST be prepared to discard such packets, without indicating an
        error")."""
        packet = esp_packet if esp_packet.__class__ is bytes and len(esp_packet) <= MAX_PACKET else None
        if packet is None:
            packet = _checked("esp_packet", esp_packet)
        found = _esp_header(packet)
        start = found.end
        encrypted = len(packet) - start - 8 - self._iv - self._icv
        if encrypted < 2 or encrypted % self._align:
            raise ParseError(
                f"an ESP payload of {encrypted} octets between IV and ICV: at least the 2-octet trailer, a "
                f"multiple of {self._align} (RFC 4303 §2.4)"
            )
        head = packet[start : start + 8]
        if head[:4] != self._spi:
            raise ParseError(f"SPI {head[:4].hex()} is not this SA's {self.spi:#010x} (RFC 4303 §3.4.2)")
        with self._lock:
            open_ = self._transform.open  # first: in ERROR, ModuleErrorState whatever the packet
            window = self._window
            index = self._index(int.from_bytes(head[4:], "big"))
            # RFC 4303 §3.4.3: "Duplicates are rejected ... packets that fall to the left of the window
            # are rejected" before the ICV; "The receive window is updated only if the ICV verification
            # succeeds".
            window.check(index)
            high = (index >> 32).to_bytes(4, "big") if self.esn else b""
            plain: bytes = open_(head, high, packet[start + 8 :])
            out = self._payload(packet, found, plain)
            window.accept(index)
        if get_last() is not self._opened:
            set_last(self._opened)
        next(self._opens)
        return out

    def _payload(self, packet: bytes, found: Header, plain: bytes) -> bytes:
        """The IP packet from a verified ESP payload ``plain`` (payload, padding, pad length, next header)."""
        pad, protocol = plain[-2], plain[-1]
        end = len(plain) - 2 - pad
        # RFC 4303 §2.4: "the receiver SHOULD inspect the Padding field" (the default 1, 2, 3, ...).
        if end < 0 or plain[end:-2] != _PADDING[pad]:
            raise ParseError(
                "ESP padding is not the sequence 1, 2, 3, ... its pad length says (RFC 4303 §2.4)"
            )
        if protocol == _DUMMY:
            return b""
        if self._tunnel is not None:
            if protocol not in (IPV4, IPV6):
                raise ParseError(
                    f"next header {protocol} in tunnel mode: 4 (IPv4) or 41 (IPv6) (RFC 4303 §2.6)"
                )
            return plain[: inner_length(plain[:end], protocol)]
        payload = plain[:end]
        return rewrite(packet[: found.end], found, protocol, found.end + len(payload)) + payload
