"""IPv4 and IPv6 headers around ESP (RFC 791, RFC 8200, RFC 4303 §3.1), with the standard library.

Only what ESP needs is read: where the header chain ends and ESP goes (transport mode), which octet
names the next protocol, the length fields, and, for an ESP packet, where its ESP header starts.
What the RFCs do not allow, a packet shorter than its headers announce, or a fragment (RFC 4303
§3.3.5: transport mode "is applied only to whole IP datagrams"; §3.4.1: a fragment offered to ESP
"MUST" be discarded) raises :class:`~fipscrypto.errors.ParseError`.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address
from struct import Struct
from typing import NamedTuple

from ..errors import InvalidParameter, ParseError

__all__ = [
    "ESP",
    "MAX_PACKET",
    "Header",
    "checksum",
    "esp_header",
    "inner_length",
    "outer_header",
    "rewrite",
    "transport_header",
    "tunnel_endpoints",
]

ESP = 50  # the IP protocol number of ESP (RFC 4303 §2)
IPV4, IPV6 = 4, 41  # the next header of a tunnelled IPv4 or IPv6 packet (RFC 4303 §2.6)
MAX_PACKET = 0xFFFF + 40  # an IPv4 datagram or an IPv6 packet without a jumbo payload (RFC 2675)
# RFC 8200 §4.1: Hop-by-Hop Options (0), Routing (43) and Destination Options (60) come before ESP;
# Fragment (44) marks a fragment.
_HOP, _ROUTING, _FRAGMENT, _DESTINATION = 0, 43, 44, 60
_CHECKSUM = Struct("!10H")  # a 20-octet IPv4 header as 16-bit words (RFC 791 §3.1 "Header Checksum")
_IPV4 = Struct("!BBHHHBBH4s4s")
_IPV6 = Struct("!IHBB16s16s")


class Header(NamedTuple):
    """Where an IP packet's header chain ends (``end``: ESP or the payload starts there), the octet that
    names the next protocol (``field``) and its value (``protocol``), and the IP version."""

    version: int
    end: int
    field: int
    protocol: int


def _ipv4(packet: bytes, n: int) -> int:
    """The IPv4 header's length, checked against the datagram (RFC 791 §3.1)."""
    if n < 20 or packet[0] >> 4 != 4:
        raise ParseError("an IPv4 header holds 20 octets or more, version 4 (RFC 791 §3.1)")
    ihl = (packet[0] & 0x0F) * 4
    if ihl < 20 or ihl > n:
        raise ParseError(f"IPv4 IHL of {ihl} octets in a {n}-octet packet (RFC 791 §3.1)")
    if packet[2] << 8 | packet[3] != n:
        raise ParseError(f"IPv4 total length {packet[2] << 8 | packet[3]} but {n} octets (RFC 791 §3.1)")
    return ihl


def _ipv6(packet: bytes, n: int) -> None:
    if n < 40 or packet[0] >> 4 != 6:
        raise ParseError("an IPv6 header holds 40 octets, version 6 (RFC 8200 §3)")
    if (packet[4] << 8 | packet[5]) + 40 != n:
        raise ParseError(
            f"IPv6 payload length {packet[4] << 8 | packet[5]} but {n - 40} octets (RFC 8200 §3)"
        )


def _fragment(packet: bytes) -> bool:
    """Whether an IPv4 header is a fragment's: MF set or a fragment offset (RFC 791 §3.1)."""
    return bool(packet[6] & 0x3F or packet[7])


def _extensions(packet: bytes, n: int, *, esp: bool) -> Header:
    """Walk an IPv6 extension header chain (RFC 8200 §4). To find ESP (``esp``): through every
    Hop-by-Hop, Routing and Destination Options header. To place it: RFC 4303 §3.1.1 puts ESP "after
    the IP header and any ... hop-by-hop, routing, and fragmentation extension headers"; Destination
    Options "could appear before, after, or both": here before it until a Routing header, after it
    from there (as Linux does), so that they reach the final destination encrypted."""
    field, protocol, end = 6, packet[6], 40
    routed = False
    while protocol in (_HOP, _ROUTING, _DESTINATION):
        if protocol == _ROUTING:
            routed = True
        elif protocol == _DESTINATION and routed and not esp:
            break
        if end + 8 > n or end + (packet[end + 1] + 1) * 8 > n:
            raise ParseError("an IPv6 extension header runs past the packet (RFC 8200 §4)")
        field, protocol, end = end, packet[end], end + (packet[end + 1] + 1) * 8
    if protocol == _FRAGMENT:
        raise ParseError("an IPv6 fragment: ESP takes whole packets (RFC 4303 §3.3.5, §3.4.1)")
    return Header(6, end, field, protocol)


def transport_header(packet: bytes) -> Header:
    """The header chain of an IP packet to protect in transport mode (RFC 4303 §3.1.1)."""
    n = len(packet)
    if n and packet[0] >> 4 == 4:
        end = _ipv4(packet, n)
        if _fragment(packet):
            raise ParseError("an IPv4 fragment: transport mode takes whole datagrams (RFC 4303 §3.3.5)")
        return Header(4, end, 9, packet[9])
    _ipv6(packet, n)
    return _extensions(packet, n, esp=False)


def esp_header(packet: bytes) -> Header:
    """The header chain of a received ESP packet: ``end`` is where the ESP header starts."""
    n = len(packet)
    if n and packet[0] >> 4 == 4:
        found = Header(4, _ipv4(packet, n), 9, packet[9])
        if _fragment(packet):
            raise ParseError("an IPv4 fragment: reassemble before ESP (RFC 4303 §3.4.1)")
    else:
        _ipv6(packet, n)
        found = _extensions(packet, n, esp=True)
    if found.protocol != ESP:
        raise ParseError(f"not an ESP packet: next protocol {found.protocol}, ESP is 50 (RFC 4303 §2)")
    return found


def inner_length(packet: bytes, protocol: int) -> int:
    """The length of the tunnelled packet at the start of ``packet`` (its own length field), which
    the next header ``protocol`` (4: IPv4, 41: IPv6) announces: octets after it are TFC padding
    (RFC 4303 §2.7: the receiver finds the end of the inner packet from its IP header)."""
    n = len(packet)
    if protocol == IPV4 and n >= 20 and packet[0] >> 4 == 4:
        length = packet[2] << 8 | packet[3]
        if 20 <= length <= n and (packet[0] & 0x0F) * 4 <= length:
            return length
    elif protocol == IPV6 and n >= 40 and packet[0] >> 4 == 6:
        length = (packet[4] << 8 | packet[5]) + 40
        if length <= n:
            return length
    raise ParseError(
        f"the tunnelled packet is not the IP packet next header {protocol} names (RFC 4303 §2.6)"
    )


def checksum(header: bytes | bytearray) -> int:
    """The IPv4 header checksum (RFC 791 §3.1): the ones' complement of the ones' complement sum of
    the header's 16-bit words, computed with the checksum field as zero."""
    if len(header) == 20:
        total: int = sum(_CHECKSUM.unpack(header))
    else:
        total = sum(int.from_bytes(header[i : i + 2], "big") for i in range(0, len(header), 2))
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def rewrite(header: bytes, found: Header, protocol: int, length: int) -> bytes:
    """``header`` (the chain up to ``found.end``) for a packet of ``length`` octets whose next protocol
    is ``protocol``: the protocol octet, IPv4 total length and header checksum or IPv6 payload length."""
    field = found.field
    out = bytearray(header)
    out[field] = protocol
    if found.version == 4:
        out[2:4] = length.to_bytes(2, "big")
        out[10:12] = b"\0\0"
        out[10:12] = checksum(out).to_bytes(2, "big")
    else:
        out[4:6] = (length - 40).to_bytes(2, "big")
    return bytes(out)


Endpoint = IPv4Address | IPv6Address


def tunnel_endpoints(tunnel: object) -> tuple[Endpoint, Endpoint]:
    """The (source, destination) of tunnel mode: two addresses of one IP version."""
    if not isinstance(tunnel, tuple) or len(tunnel) != 2:
        raise InvalidParameter("tunnel is a (source, destination) pair of IP addresses")
    try:
        src, dst = (ip_address(end) for end in tunnel)
    except (ValueError, TypeError):
        raise InvalidParameter(f"tunnel endpoints are IP addresses, got {tunnel!r:.80}") from None
    if src.version != dst.version:
        raise InvalidParameter("both tunnel endpoints are IPv4, or both IPv6")
    return src, dst


def outer_header(src: Endpoint, dst: Endpoint, inner: bytes, protocol: int, length: int, ident: int) -> bytes:
    """The outer header of a tunnel-mode packet of ``length`` octets (RFC 4301 §5.1.2.1, RFC 4303 §3.1.2).

    DSCP and ECN are copied from the inner header (RFC 4301 §5.1.2.1 "copied from inner header";
    RFC 6040 §4.1 normal mode copies ECN on encapsulation); the IPv4 DF bit is copied from an IPv4
    inner header; TTL and hop limit are 64; the IPv4 identification is ``ident``.
    """
    if protocol == IPV4:
        traffic, df = inner[1], inner[6] & 0x40
    else:
        traffic, df = (inner[0] & 0x0F) << 4 | inner[1] >> 4, 0
    if src.version == 4:
        head = _IPV4.pack(0x45, traffic, length, ident, df << 8, 64, ESP, 0, src.packed, dst.packed)
        return head[:10] + checksum(head).to_bytes(2, "big") + head[12:]
    return _IPV6.pack(0x60000000 | traffic << 20, length - 40, ESP, 64, src.packed, dst.packed)
