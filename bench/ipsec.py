"""ESP security associations against scapy's ESP and against cryptography's AES-GCM alone, in one process.

AES-256-GCM-16 in transport mode over IPv4, 1,400-byte payloads (the IP packet's payload, which ESP
encrypts; against AES-GCM alone, tunnel mode too, IPv4 in IPv4, which encrypts the whole packet):
``encapsulate`` of the same IP packet (the next sequence number each time) and
``decapsulate`` of ESP packets (each once: a replay would be refused; the receiving SA is made
afresh when the packets run out). Both take and give bytes: scapy's ``SecurityAssociation.encrypt``
and ``decrypt`` get the packet parsed (``IP(bytes)``) and give it back serialised, as an ESP
endpoint on bytes would call them. Rows for AES-256-CBC with HMAC-SHA-256-128 too.

The framing budget: the same calls against one ``AESGCM.encrypt`` (a counter nonce) and one
``AESGCM.decrypt`` of the 1,400-byte payload with the 8-octet AAD, through cryptography on the same
provider: what no ESP on cryptography can beat. And the floor of ESP framing in Python: the same
packet encapsulated by hand with no checks and no state (one header unpack and pack, the trailer, the
AES-GCM call, the joins), against the AES-GCM call alone. Medians of ROUNDS rounds, each round
interleaved in alternating slices (bench/services.py ``_round``); packets per second = 1 / time per
call.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from typing import Any

from services import compare

import fipscrypto

ROUNDS = int(os.environ.get("IPSEC_ROUNDS", "9"))
PAYLOAD = 1400
PACKETS = 4096  # ESP packets per decapsulate cycle
SPI = 0x5EED5EED
ALGORITHMS = {
    "AES-256-GCM-16": ("aes-256-gcm-16", "AES-GCM", None),
    "AES-256-CBC/HMAC-SHA-256-128": ("aes-256-cbc-hmac-sha2-256-128", "AES-CBC", "SHA2-256-128"),
}


def _packet() -> bytes:
    """An IPv4 UDP datagram whose IP payload is PAYLOAD octets (RFC 791, RFC 768)."""
    from fipscrypto.ipsec.packets import checksum

    data = bytes(range(256)) * (PAYLOAD // 256) + bytes(PAYLOAD % 256 - 8)
    udp = struct.pack("!HHHH", 5004, 5004, 8 + len(data), 0) + data
    head = bytearray(
        struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, b"\xc0\0\2\1", b"\xc0\0\2\2")
    )
    head[10:12] = checksum(head).to_bytes(2, "big")
    return bytes(head) + udp


def _receiver(make: Callable[[], Any], packets: list[bytes]) -> Callable[[], object]:
    """decapsulate() of each packet once, with a new receiving SA when they run out."""
    state = [make(), 0]

    def call() -> object:
        i = state[1]
        if i == len(packets):
            state[0], i = make(), 0
        state[1] = i + 1
        return state[0].decapsulate(packets[i])

    return call


def main() -> dict[str, dict[str, float]]:
    fipscrypto.activate()
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from scapy.layers.inet import IP
    from scapy.layers.ipsec import ESP
    from scapy.layers.ipsec import SecurityAssociation as ScapySA

    from fipscrypto import rand
    from fipscrypto.ipsec import ALGORITHMS as OFFERED
    from fipscrypto.ipsec import SecurityAssociation

    packet = _packet()
    cases: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {}
    for label, (name, crypt, auth) in ALGORITHMS.items():
        key = rand.random_bytes(OFFERED[name].key_length)
        cut = OFFERED[name].bits // 8 if auth else len(key)
        extra = {"auth_algo": auth, "auth_key": key[cut:]} if auth else {}
        scapy = ScapySA(ESP, spi=SPI, crypt_algo=crypt, crypt_key=key[:cut], **extra)

        def ours(n: str = name, k: bytes = key) -> SecurityAssociation:
            return SecurityAssociation(SPI, k, algorithm=n)

        sender, outbound = ours(), ours()
        packets = [sender.encapsulate(packet) for _ in range(PACKETS)]
        cases[f"{label} encapsulate"] = (
            lambda e=outbound.encapsulate: e(packet),
            lambda s=scapy: bytes(s.encrypt(IP(packet))),
        )
        cases[f"{label} decapsulate"] = (
            _receiver(ours, packets),
            lambda s=scapy, p=packets[0]: bytes(s.decrypt(IP(p))),
        )
    results = compare("ESP, 1,400-byte payloads", cases, 40, ROUNDS, peer="scapy.layers.ipsec")

    # The framing budget: the AES-GCM call alone on the same payload.
    key = rand.random_bytes(36)
    gcm = AESGCM(key[:32])
    counter = iter(range(1 << 62))
    aad, payload = SPI.to_bytes(4, "big") + bytes(4), packet[20:] + bytes(2)  # payload and trailer
    sealed = gcm.encrypt(bytes(12), payload, aad)
    salt, words = key[32:], struct.Struct("!10H")
    by_hand = iter(range(1, 1 << 62))

    def framing() -> bytes:
        """ESP transport-mode encapsulation of ``packet`` with nothing but the packet operations."""
        fields, seq = words.unpack_from(packet), next(by_hand)
        head, iv, plain = (
            aad[:4] + seq.to_bytes(4, "big"),
            seq.to_bytes(8, "big"),
            packet[20:] + b"\1\2\2\x11",
        )
        ip = words.pack(
            fields[0], 52 + len(plain), fields[2], fields[3], fields[4] & 0xFF00 | 50, 0, *fields[6:]
        )
        return ip + head + iv + gcm.encrypt(salt + iv, plain, head)

    sender, outbound = SecurityAssociation(SPI, key), SecurityAssociation(SPI, key)
    packets = [sender.encapsulate(packet) for _ in range(PACKETS)]

    def tunnelling() -> SecurityAssociation:
        return SecurityAssociation(SPI, key, mode="tunnel", tunnel=("198.51.100.1", "198.51.100.2"))

    tunneller, tunnelled = tunnelling(), tunnelling()
    tunnel_packets = [tunneller.encapsulate(packet) for _ in range(PACKETS)]
    whole = packet + bytes(2)  # tunnel mode encrypts the whole inner packet and the trailer
    sealed_whole = gcm.encrypt(bytes(12), whole, aad)
    budget = {
        "AES-256-GCM-16 encapsulate": (
            lambda: outbound.encapsulate(packet),
            lambda: gcm.encrypt(key[32:] + next(counter).to_bytes(8, "big"), payload, aad),
        ),
        "AES-256-GCM-16 decapsulate": (
            _receiver(lambda: SecurityAssociation(SPI, key), packets),
            lambda: gcm.decrypt(bytes(12), sealed, aad),
        ),
        "AES-256-GCM-16 tunnel encapsulate": (
            lambda: tunnelled.encapsulate(packet),
            lambda: gcm.encrypt(key[32:] + next(counter).to_bytes(8, "big"), whole, aad),
        ),
        "AES-256-GCM-16 tunnel decapsulate": (
            _receiver(tunnelling, tunnel_packets),
            lambda: gcm.decrypt(bytes(12), sealed_whole, aad),
        ),
        "floor: ESP framing by hand, no state": (
            framing,
            lambda: gcm.encrypt(key[32:] + next(counter).to_bytes(8, "big"), payload, aad),
        ),
    }
    framed = compare("ESP, 1,400-byte payloads", budget, 40, ROUNDS, peer="AESGCM alone")
    print("  packets/s (fipscrypto, peer), and fipscrypto's packets/s over the peer's:")
    for title, table in (("scapy", results), ("AESGCM alone", framed)):
        for label, r in table.items():
            ours_pps, theirs_pps = 1e6 / r["fipscrypto_us"], 1e6 / r["cryptography_us"]
            ratio = ours_pps / theirs_pps
            print(f"  {label:40} vs {title:13} {ours_pps:10,.0f} {theirs_pps:10,.0f}   {ratio:.2f}x")
    return {**results, **{f"{k} (AESGCM alone)": v for k, v in framed.items()}}


if __name__ == "__main__":
    main()
