"""Packets and security associations for the ESP tests (IPv4 and IPv6 built with struct)."""

from __future__ import annotations

import struct

from fipscrypto.ipsec import ALGORITHMS, SecurityAssociation
from fipscrypto.ipsec.packets import checksum

SPI = 0x0C0FFEE0
SRC4, DST4 = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])
SRC6, DST6 = bytes.fromhex("20010db8" + "00" * 11 + "01"), bytes.fromhex("20010db8" + "00" * 11 + "02")
TUNNELS = {4: ("198.51.100.1", "198.51.100.2"), 6: ("2001:db8:1::1", "2001:db8:1::2")}


def key_of(algorithm: str, seed: int = 1) -> bytes:
    """Keying material for ``algorithm`` (key || salt, or AES key || HMAC key)."""
    return bytes((seed + i) & 0xFF for i in range(ALGORITHMS[algorithm].key_length))


def pair(
    algorithm: str = "aes-256-gcm-16", **options: object
) -> tuple[SecurityAssociation, SecurityAssociation]:
    """An outbound and an inbound SA with the same keys and options."""
    key = key_of(algorithm)
    made = [SecurityAssociation(SPI, key, algorithm=algorithm, **options) for _ in range(2)]  # type: ignore[arg-type]
    return made[0], made[1]


def udp(data: bytes, port: int = 5004) -> bytes:
    return struct.pack("!HHHH", port, port, 8 + len(data), 0) + data


def ipv4(payload: bytes, protocol: int = 17, *, tos: int = 0, df: bool = True, ident: int = 7) -> bytes:
    head = bytearray(
        struct.pack(
            "!BBHHHBBH4s4s",
            0x45,
            tos,
            20 + len(payload),
            ident,
            0x4000 if df else 0,
            63,
            protocol,
            0,
            SRC4,
            DST4,
        )
    )
    head[10:12] = checksum(head).to_bytes(2, "big")
    return bytes(head) + payload


def ipv6(payload: bytes, protocol: int = 17, *, tc: int = 0, extensions: bytes = b"") -> bytes:
    """An IPv6 packet; ``extensions`` (already chained, ending with ``protocol``) follow the header, whose
    next header is then the first extension's (given as the first octet of ``protocol``'s chain)."""
    return (
        struct.pack(
            "!IHBB16s16s", 0x60000000 | tc << 20, len(extensions) + len(payload), protocol, 63, SRC6, DST6
        )
        + extensions
        + payload
    )


def extension(next_header: int, body: bytes = bytes(6)) -> bytes:
    """One IPv6 extension header (Hop-by-Hop, Routing, Destination Options): next header, length in
    8-octet units beyond the first, then ``body`` (6 + 8k octets)."""
    return bytes([next_header, (len(body) + 2) // 8 - 1]) + body
