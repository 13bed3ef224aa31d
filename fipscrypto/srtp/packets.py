"""RTP and RTCP packet layouts (RFC 3550 §5.1, §6.4) and the SRTP/SRTCP framing (RFC 3711 §3.1, §3.4).

Only what protection needs is read: where the RTP header ends (the rest is the payload that SRTP
encrypts; the sequence number and SSRC are at the fixed octets 2-3 and 8-11), the RTCP sender SSRC,
and the SRTCP trailer. Anything the RFCs do not allow, or
a packet too short for what its header announces, raises :class:`~fipscrypto.errors.ParseError`.
"""

from __future__ import annotations

from ..errors import ParseError

__all__ = [
    "RTCP_HEADER",
    "rtcp_compound",
    "rtcp_ssrc",
    "rtp_header",
    "rtp_padding",
    "srtcp_trailer",
]

RTCP_HEADER = 8  # RFC 3711 §3.4: the first 8 octets of SRTCP (header and sender SSRC) stay in the clear
_E_FLAG = 0x80000000  # RFC 3711 §3.4: "E-flag: 1 bit ... the current SRTCP packet is encrypted or not"


def rtp_header(packet: bytes, end: int) -> int:
    """The length of the RTP header of ``packet[:end]`` (RFC 3550 §5.1): where the payload starts.

    ``end`` is where the RTP packet ends (before an SRTP MKI and tag). The fixed header is 12
    octets, then CC CSRC identifiers of 4 octets, then, when X is set, a header extension of
    4 octets (16-bit profile field, 16-bit length) and ``length`` 32-bit words (§5.3.1).
    """
    if end < 12:
        raise ParseError(f"an RTP packet holds at least the 12-octet header (RFC 3550 §5.1), got {end}")
    first = packet[0]
    if first >> 6 != 2:
        raise ParseError(f"RTP version {first >> 6}, RFC 3550 §5.1 defines 2")
    length = 12 + 4 * (first & 0x0F)  # CC: "the number of CSRC identifiers that follow the fixed header"
    if first & 0x10:  # X: "the fixed header MUST be followed by exactly one header extension"
        if length + 4 > end:
            raise ParseError("the RTP header extension is cut short (RFC 3550 §5.3.1)")
        length += 4 + 4 * int.from_bytes(packet[length + 2 : length + 4], "big")
    if length > end:
        raise ParseError(f"the RTP header announces {length} octets, the packet has {end}")
    return length


def rtp_padding(packet: bytes, header: int) -> None:
    """Check the padding of a plain RTP packet (RFC 3550 §5.1: P set, "the last octet of the padding
    contains a count of how many padding octets should be ignored, including itself")."""
    if packet[0] & 0x20 and not 1 <= packet[-1] <= len(packet) - header:
        raise ParseError("the RTP padding count is zero or longer than the payload (RFC 3550 §5.1)")


def rtcp_ssrc(packet: bytes, end: int) -> int:
    """The sender SSRC of an RTCP packet (RFC 3550 §6.4.1), checking the first header of ``packet[:end]``."""
    if end < RTCP_HEADER:
        raise ParseError(f"an RTCP packet holds at least 8 octets (RFC 3550 §6.4), got {end}")
    if packet[0] >> 6 != 2:
        raise ParseError(f"RTCP version {packet[0] >> 6}, RFC 3550 §6.4 defines 2")
    return int.from_bytes(packet[4:8], "big")


def rtcp_compound(packet: bytes) -> None:
    """Check a plain compound RTCP packet (RFC 3550 §6.1, App. A.2): each packet version 2, each length
    field ("the length of this RTCP packet in 32-bit words minus one") inside the compound, the
    lengths adding up to the whole."""
    at, end = 0, len(packet)
    while at < end:
        if end - at < 4 or packet[at] >> 6 != 2:
            raise ParseError(f"the RTCP packet at octet {at} has no valid header (RFC 3550 §6.4)")
        at += 4 * (int.from_bytes(packet[at + 2 : at + 4], "big") + 1)
    if at != end:
        raise ParseError("the RTCP length fields do not add up to the compound packet (RFC 3550 App. A.2)")


def srtcp_trailer(packet: bytes, at: int) -> tuple[bool, int]:
    """The E flag and the 31-bit SRTCP index at ``packet[at:at + 4]`` (RFC 3711 §3.4)."""
    word = int.from_bytes(packet[at : at + 4], "big")
    return bool(word & _E_FLAG), word & ~_E_FLAG
