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
from .._backend.ciphers import InvalidTag
from .._params import BYTES, byte_string, integer, not_offered
from .._replay import Window
from .._service import REVOKED, Refusal, hold
from ..enforce import require
from ..errors import (
    AuthenticationError,
    ForkError,
    InvalidParameter,
    ParseError,
    ReplayError,
    SequenceExhausted,
)
from ..indicator import entry, get_last, set_last
from ._frames import EXTENSIONS, V4_CHECKSUM, V4_KEEP, V4_LENGTH, V4_PROTOCOL, V6_KEEP, V6_LENGTH, V6_NEXT
from ._frames import outer as _outer
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
from .transforms import ALGORITHMS, Gcm, transform

__all__ = ["ALGORITHMS", "SecurityAssociation"]

_SERVICE = "ipsec.SecurityAssociation"
_RULE = "RFC 4303 §3.4.3"
_LOW = 0xFFFFFFFF
_DUMMY = 59  # RFC 4303 §2.6: "the protocol value 59 (which means "no next header") ... a "dummy" packet"
# RFC 4303 §2.4: "the Padding bytes are initialized with a series of (unsigned, 1-byte) integer values.
# The first padding byte appended to the plaintext is numbered 1"; Pad Length is at most 255.
_PADDING = [bytes(range(1, n + 1)) for n in range(256)]
_LONGEST = {4: 0xFFFF, 6: 0xFFFF + 40}  # RFC 791 §3.1 Total Length; RFC 8200 §3 Payload Length
# The fast path's padding and trailer (AES-GCM: 4-octet alignment), by pad length << 8 | next header.
_TRAILERS = [_PADDING[pad] + bytes((pad, protocol)) for pad in range(4) for protocol in range(256)]
_GCM_OVERHEAD = 8 + 8 + 16  # ESP header, IV and ICV of AES-GCM-16 (RFC 4106 §3)
_ESP4: Header = (4, 20, 9, ESP)  # the header chains the decapsulate fast path takes
_ESP6: Header = (6, 40, 6, ESP)

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
        if type(algorithm) is not str:
            raise InvalidParameter(f"algorithm is a name (str), not {type(algorithm).__name__}")
        if algorithm not in ALGORITHMS:
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
        # What the policy says of each transform, applying (encapsulate) and processing (decapsulate):
        # every one is asked (and, when not approved, audited), not only up to the first.
        asked = [(chosen.encryption, chosen.bits), (chosen.integrity, None)] + (
            [("ESN", None)] if esn else []
        )
        verdicts = [
            require(_SERVICE, "esp-transform", name, direction=way, bits=bits)
            for name, bits in asked
            for way in ("apply", "process")
        ]
        approved = all(verdicts)
        self._transform: Any = transform(chosen, bytes(key))
        # The fast paths (AES-GCM-16, the common packet shapes) use the held AES-GCM object directly:
        # _fast is the transform (REVOKED in ERROR), None for the other transforms.
        self._fast: Any = self._transform if type(self._transform) is Gcm else None
        self._spi = self.spi.to_bytes(4, "big")
        self._salt = self._fast.salt if self._fast else b""
        # What the fast paths read per packet, in one attribute: the tunnel's outer header (its fixed
        # fields, see _frames) and its length, the SPI's place in ESP header || IV as one integer, the
        # salt's in the nonce, and the SPI's in the AAD with the AAD's length.
        self._constants = (
            None if self._tunnel is None else _outer(*self._tunnel),
            20 if self._tunnel is None or self._tunnel[0].version == 4 else 40,
            self.spi << 96,
            int.from_bytes(self._fast.salt, "big") << 64 if self._fast else 0,
            *((self.spi << 64, 12) if esn else (self.spi << 32, 8)),
        )
        self._iv, self._icv, self._align = chosen.iv_size, chosen.icv_size, chosen.align
        self._overhead = 8 + chosen.iv_size + chosen.icv_size  # ESP header, IV and ICV around the payload
        self._chained = chosen.digest is not None  # AES-CBC: its encryptor's state goes from packet to packet
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
        self._transform = self._fast = self._sequence = REVOKED

    def _forked(self) -> None:
        if self._sequence is not REVOKED:
            self._sequence = _FORKED

    # --------------------------------------------------------------------------------- sending

    def _exhausted(self) -> SequenceExhausted:
        return SequenceExhausted(
            f"ESP SA {self.spi:#010x} sent sequence number {self._last}: the counter may not cycle "
            "(RFC 4303 §3.3.3); establish a new SA"
        )

    def encapsulate(self, ip_packet: bytes) -> bytes:
        """The ESP packet that carries ``ip_packet`` (RFC 4303 §3.1): in transport mode, its own header
        (ESP after the IPv4 header or the IPv6 headers before it); in tunnel mode, a new header from
        the tunnel's source to its destination, around the whole packet."""
        # The fast path: AES-GCM-16, and an IPv4 header without options or an IPv6 header without
        # extension headers (the packet to tunnel: any whole IPv4 or IPv6 packet). It gives the bytes
        # and state that _encapsulate gives, and leaves every other case, and every error, to it.
        packet = ip_packet
        if self._fast is None or packet.__class__ is not bytes:
            return self._encapsulate(packet)
        n = len(packet)
        template, end, spi96, salt64, aad_spi, aad_length = self._constants
        if template is None:
            if (
                n >= 20
                and packet[0] == 0x45
                and packet[2] << 8 | packet[3] == n
                and not (packet[6] & 0x3F or packet[7])
            ):
                # RFC 791 §3.1: a 20-octet header, a whole datagram (not a fragment).
                end, protocol, longest = 20, packet[9], 0xFFFF
            elif (
                n >= 40
                and packet[0] >> 4 == 6
                and packet[4] << 8 | packet[5] == n - 40
                and packet[6] not in EXTENSIONS
            ):
                # RFC 8200 §3: the upper-layer header follows at once.
                end, protocol, longest = 40, packet[6], 0xFFFF + 40
            else:
                return self._encapsulate(packet)
            pad = -(n - end + 2) & 3  # RFC 4303 §2.4, as in _encapsulate
            total = n + _GCM_OVERHEAD + pad + 2
            if total > longest:
                return self._encapsulate(packet)
            plain = packet[end:] + _TRAILERS[pad << 8 | protocol]
            # rewrite()'s fields: the protocol ESP, the IPv4 total length and checksum, or the IPv6
            # payload length.
            if end == 20:
                header = (
                    int.from_bytes(packet[:20], "big") & V4_KEEP | total << V4_LENGTH | ESP << V4_PROTOCOL
                )
                header |= (-header % 0xFFFF) << V4_CHECKSUM
            else:
                header = (
                    int.from_bytes(packet[:40], "big") & V6_KEEP | (total - 40) << V6_LENGTH | ESP << V6_NEXT
                )
        else:
            # RFC 4303 §2.6: next header 4 or 41; the whole inner packet, as long as its header says.
            if (
                n >= 20
                and packet[0] >> 4 == 4
                and packet[2] << 8 | packet[3] == n
                and (packet[0] & 0x0F) * 4 <= n
            ):
                protocol, traffic, df = IPV4, packet[1], packet[6] & 0x40
            elif n >= 40 and packet[0] >> 4 == 6 and packet[4] << 8 | packet[5] == n - 40:
                protocol, traffic, df = IPV6, (packet[0] & 0x0F) << 4 | packet[1] >> 4, 0
            else:
                return self._encapsulate(packet)
            pad = -(n + 2) & 3
            total = end + _GCM_OVERHEAD + n + pad + 2
            if total > _LONGEST[4 if end == 20 else 6]:
                return self._encapsulate(packet)
            plain = packet + _TRAILERS[pad << 8 | protocol]
        with self._lock:
            try:
                seq: int = next(self._sequence)
            except StopIteration:
                raise self._exhausted() from None
            encrypt = self._fast.encrypt
        if template is not None:  # outer_header()'s fields: DSCP/ECN (and DF) copied, the length, and
            # for IPv4 the identification (the low 16 bits of the sequence number) and the checksum.
            if end == 20:
                header = template | traffic << 144 | total << V4_LENGTH | (seq & 0xFFFF) << 112 | df << 104
                header |= (-header % 0xFFFF) << V4_CHECKSUM
            else:
                header = template | traffic << 308 | (total - 40) << V6_LENGTH
        # IP header || SPI || low 32 bits of the sequence number || IV (the 64-bit sequence number).
        out: bytes = (header << 128 | spi96 | (seq & _LOW) << 64 | seq).to_bytes(end + 16, "big") + encrypt(
            (salt64 | seq).to_bytes(12, "big"), plain, (aad_spi | seq).to_bytes(aad_length, "big")
        )
        if get_last() is not self._sealed:
            set_last(self._sealed)
        next(self._seals)
        return out

    def _encapsulate(self, ip_packet: bytes) -> bytes:
        """encapsulate(), every transform and packet shape."""
        packet = ip_packet if ip_packet.__class__ is bytes and len(ip_packet) <= MAX_PACKET else None
        if packet is None:
            packet = _checked("ip_packet", ip_packet)
        tunnel = self._tunnel
        if tunnel is None:
            found = transport_header(packet)
            version, end, _, protocol = found
            payload = packet[end:]
        else:
            # RFC 4303 §2.6: Next Header 4 for an IPv4 packet, 41 for IPv6.
            protocol = IPV4 if packet and packet[0] >> 4 == 4 else IPV6
            if inner_length(packet, protocol) != len(packet):
                raise ParseError("the packet to tunnel is longer than its IP header says")
            version = tunnel[0].version
            end, payload = 20 if version == 4 else 40, packet  # after the outer header
        # RFC 4303 §2.4: padding so that "the Pad Length and Next Header fields are right aligned within
        # a 4-byte word" and, for a block cipher, the encrypted part is a multiple of the block size.
        pad = -(len(payload) + 2) % self._align
        plain = payload + (_PADDING[pad] + bytes((pad, protocol)))
        total = end + self._overhead + len(plain)
        if total > _LONGEST[version]:
            raise InvalidParameter(f"the ESP packet would be {total} octets, longer than an IP packet")
        with self._lock:
            try:
                seq: int = next(self._sequence)
            except StopIteration:
                raise self._exhausted() from None
            transform = self._transform
        head = self._spi + (seq & _LOW).to_bytes(4, "big")
        if tunnel is None:
            outer = rewrite(packet, found, ESP, total)
        else:
            outer = outer_header(*tunnel, packet, protocol, total, seq & 0xFFFF)
        # RFC 4303 §2.2.1: with ESN only the low-order 32 bits are sent; the high-order ones enter the
        # ICV (and, RFC 4106 §5, the AAD). The IV is made from the 64-bit sequence number.
        high = (seq >> 32).to_bytes(4, "big") if self.esn else b""
        nonce = seq.to_bytes(self._iv, "big")
        if self._chained:  # AES-CBC's contexts carry state from packet to packet: one at a time
            with self._lock:
                out: bytes = transform.seal(head, high, transform.iv(nonce), plain, outer + head)
        else:
            out = transform.seal(head, high, transform.iv(nonce), plain, outer + head)
        if get_last() is not self._sealed:  # the indicator, inlined (indicator.mark)
            set_last(self._sealed)
        next(self._seals)
        return out

    # ------------------------------------------------------------------------------- receiving

    def _index(self, low: int) -> int:
        """The full (extended) sequence number of a received packet whose low-order 32 bits are ``low``."""
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
        # The fast path: AES-GCM-16 under an IPv4 header without options or an IPv6 header followed by
        # ESP. It gives the bytes and state that _decapsulate gives; any other shape, and every packet
        # it would refuse before the ICV, goes to _decapsulate (the same checks, the same errors).
        packet = esp_packet
        if self._fast is None or packet.__class__ is not bytes:
            return self._decapsulate(packet)
        n = len(packet)
        if (
            n >= 20
            and packet[0] == 0x45
            and packet[2] << 8 | packet[3] == n
            and packet[9] == ESP
            and not (packet[6] & 0x3F or packet[7])
        ):
            start = 20
        elif n >= 40 and packet[0] >> 4 == 6 and packet[6] == ESP and packet[4] << 8 | packet[5] == n - 40:
            start = 40
        else:
            return self._decapsulate(packet)
        body = start + 8
        head = packet[start:body]
        word = int.from_bytes(head, "big")
        if (n - body - 24) & 3 or n - body < 26 or word >> 32 != self.spi:
            return self._decapsulate(packet)  # the payload's size (RFC 4303 §2.4) or the SPI refused
        template, _, _, _, aad_spi, aad_length = self._constants
        with self._lock:
            decrypt = self._fast.decrypt  # first: in ERROR, ModuleErrorState whatever the packet
            window = self._window
            top = window.top
            index = word & _LOW
            if aad_length == 12:  # ESN: _index(), inlined for Appendix A2.2 case A, Seql >= Bl: Seqh = Th
                tl = top & _LOW
                size = window.size
                index = top - tl + index if tl >= size - 1 and index >= tl - size + 1 else self._index(index)
            if index <= top:
                window.check(index)  # RFC 4303 §3.4.3, before the ICV, as in _decapsulate
            if aad_length == 12:
                head = (aad_spi | index).to_bytes(12, "big")  # RFC 4106 §5: SPI || ESN
            try:
                plain: bytes = decrypt(self._salt + packet[body : body + 8], packet[body + 8 :], head)
            except InvalidTag:
                raise AuthenticationError("ESP AES-GCM ICV mismatch (RFC 4106 §3)") from None
            pad, protocol = plain[-2], plain[-1]
            end = len(plain) - 2 - pad
            if template is None and protocol != _DUMMY and end >= 0 and plain[end:-2] == _PADDING[pad]:
                # _payload() for transport mode: rewrite()'s fields (protocol, lengths, checksum).
                if start == 20:
                    header = int.from_bytes(packet[:20], "big") & V4_KEEP | (20 + end) << V4_LENGTH
                    header |= protocol << V4_PROTOCOL
                    header |= (-header % 0xFFFF) << V4_CHECKSUM
                else:
                    header = (
                        int.from_bytes(packet[:40], "big") & V6_KEEP | end << V6_LENGTH | protocol << V6_NEXT
                    )
                out = header.to_bytes(start, "big") + plain[:end]
            else:
                out = self._payload(packet, _ESP4 if start == 20 else _ESP6, plain)
            if index == top + 1:  # Window.accept, inlined for the next packet in sequence
                window.mask = (window.mask << 1 | 1) & window.full
                window.top = index
            else:
                window.accept(index)
        if get_last() is not self._opened:
            set_last(self._opened)
        next(self._opens)
        return out

    def _decapsulate(self, esp_packet: bytes) -> bytes:
        """decapsulate(), every transform and packet shape."""
        packet = esp_packet if esp_packet.__class__ is bytes and len(esp_packet) <= MAX_PACKET else None
        if packet is None:
            packet = _checked("esp_packet", esp_packet)
        found = _esp_header(packet)
        start = found[1]
        encrypted = len(packet) - start - self._overhead
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
            top = window.top
            index = int.from_bytes(head[4:], "big")
            if self.esn:
                index = self._index(index)
            # RFC 4303 §3.4.3: "Duplicates are rejected ... packets that fall to the left of the window
            # are rejected" before the ICV (a number past the top is neither); "The receive window is
            # updated only if the ICV verification succeeds".
            if index <= top:
                window.check(index)
            high = (index >> 32).to_bytes(4, "big") if self.esn else b""
            plain: bytes = open_(head, high, memoryview(packet)[start + 8 :])
            out = self._payload(packet, found, plain)
            if index == top + 1:  # Window.accept, inlined for the next packet in sequence
                window.mask = (window.mask << 1 | 1) & window.full
                window.top = index
            else:
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
            return plain[: inner_length(memoryview(plain)[:end], protocol)]
        return b"".join((rewrite(packet, found, protocol, found[1] + end), memoryview(plain)[:end]))
