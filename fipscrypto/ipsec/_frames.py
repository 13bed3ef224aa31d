"""The IP headers of the common packet shapes as integers: what the ESP fast paths rewrite per packet.

An IPv4 header without options (20 octets) or an IPv6 header without extension headers (40 octets),
read with ``int.from_bytes`` and written back with ``int.to_bytes``: clearing and setting a field is
one mask and one shift, with no ``struct`` call and no slices. The IPv4 header checksum (RFC 791
§3.1, "the 16 bit one's complement of the one's complement sum of all 16 bit words in the header")
of the header ``h`` with its checksum field zero is ``-h % 0xFFFF``, set at bit V4_CHECKSUM: 2^16 is
1 modulo 0xFFFF, so the header as an integer is congruent to the sum of its 16-bit words, and the
one's complement sum (folded with end-around carries, RFC 1071 §1) of a non-zero header is that
residue, or 0xFFFF when the residue is 0; its complement is then ``-h % 0xFFFF`` in both cases.
:func:`fipscrypto.ipsec.packets.checksum` gives the same values word by word.

Bit positions: octet ``i`` of an ``n``-octet header is bits ``8 * (n - 1 - i)`` and up.
"""

from __future__ import annotations

from .packets import ESP, Endpoint

__all__ = [
    "EXTENSIONS",
    "V4_CHECKSUM",
    "V4_KEEP",
    "V4_LENGTH",
    "V4_PROTOCOL",
    "V6_KEEP",
    "V6_LENGTH",
    "V6_NEXT",
    "outer",
]

# RFC 791 §3.1: Total Length is octets 2-3, Protocol octet 9, Header Checksum octets 10-11.
V4_LENGTH, V4_PROTOCOL, V4_CHECKSUM = 128, 80, 64
# Everything but the total length, protocol and checksum of a 20-octet IPv4 header.
V4_KEEP = ((1 << 160) - 1) ^ (0xFFFF << V4_LENGTH | 0xFF << V4_PROTOCOL | 0xFFFF << V4_CHECKSUM)
# RFC 8200 §3: Payload Length is octets 4-5, Next Header octet 6.
V6_LENGTH, V6_NEXT = 272, 264
V6_KEEP = ((1 << 320) - 1) ^ (0xFFFF << V6_LENGTH | 0xFF << V6_NEXT)
# RFC 8200 §4.1: the next headers that are extension headers (Hop-by-Hop 0, Routing 43, Fragment 44,
# Destination Options 60): a packet whose header names one of them takes the general path.
EXTENSIONS = frozenset((0, 43, 44, 60))


def outer(src: Endpoint, dst: Endpoint) -> int:
    """The fixed fields of a tunnel's outer header (RFC 4303 §3.1.2), as
    :func:`fipscrypto.ipsec.packets.outer_header` writes them: version, IHL, TTL or hop limit 64,
    protocol ESP and the addresses; traffic class, length, identification and DF are added per packet."""
    if src.version == 4:
        return int.from_bytes(
            bytes((0x45, 0, 0, 0, 0, 0, 0, 0, 64, ESP, 0, 0)) + src.packed + dst.packed, "big"
        )
    return int.from_bytes(bytes((0x60, 0, 0, 0, 0, 0, ESP, 64)) + src.packed + dst.packed, "big")
