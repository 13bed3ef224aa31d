"""ESP against scapy's (scapy.layers.ipsec.SecurityAssociation), both ways: transport and tunnel mode,
IPv4 and IPv6, ESN on and off, every algorithm fipscrypto offers that scapy has too.

Byte for byte: scapy encrypts the same packet with the same sequence number and the IV fipscrypto
chose (scapy takes an explicit IV), and the two ESP packets must be equal. Then each side
decapsulates the other's packets (scapy's with its own random IVs).
"""

from __future__ import annotations

from typing import Any

import pytest
from esplib import SPI, TUNNELS, key_of
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting
from scapy.layers.ipsec import ESP
from scapy.layers.ipsec import SecurityAssociation as ScapySA
from scapy.packet import Packet, Raw

from fipscrypto.ipsec import ALGORITHMS, SecurityAssociation
from fipscrypto.ipsec.packets import esp_header

# fipscrypto's algorithm -> scapy's encryption and integrity algorithm names.
SCAPY = {
    "aes-128-gcm-16": ("AES-GCM", None),
    "aes-256-gcm-16": ("AES-GCM", None),
    "aes-128-gmac": ("AES-NULL-GMAC", None),
    "aes-256-gmac": ("AES-NULL-GMAC", None),
    **{name: ("AES-CBC", f"SHA2-{name[-7:]}") for name in ALGORITHMS if "cbc" in name},
}
HIGH = 5  # the high 32 bits of the sequence numbers with ESN (seq_start = 5 * 2^32 + 1)


def test_every_algorithm_is_checked_against_scapy() -> None:
    assert set(SCAPY) == set(ALGORITHMS)


def _scapy_sa(algorithm: str, mode: str, version: int, esn: bool) -> ScapySA:
    key = key_of(algorithm)
    crypt, auth = SCAPY[algorithm]
    cut = ALGORITHMS[algorithm].bits // 8 if auth else len(key)
    options: dict[str, Any] = {"esn_en": esn, "esn": HIGH if esn else 0}
    if auth:
        options |= {"auth_algo": auth, "auth_key": key[cut:]}
    if mode == "tunnel":
        src, dst = TUNNELS[version]
        options["tunnel_header"] = IP(src=src, dst=dst) if version == 4 else IPv6(src=src, dst=dst)
    return ScapySA(ESP, spi=SPI, seq_num=1, crypt_algo=crypt, crypt_key=key[:cut], **options)


def _ours(algorithm: str, mode: str, version: int, esn: bool) -> SecurityAssociation:
    return SecurityAssociation(
        SPI,
        key_of(algorithm),
        algorithm=algorithm,
        mode=mode,
        tunnel=TUNNELS[version] if mode == "tunnel" else None,
        esn=esn,
        seq_start=(HIGH << 32) + 1 if esn else 1,
    )


def _packets(version: int) -> list[bytes]:
    """IP packets to carry: UDP datagrams of several lengths, with DSCP/ECN, and for IPv6 a chain of
    Hop-by-Hop, Routing and Destination Options headers."""
    out = []
    for n in (0, 1, 13, 100, 1400):
        data = Raw(bytes(i & 0xFF for i in range(n)))
        if version == 4:
            packet: Packet = IP(src="192.0.2.1", dst="192.0.2.2", tos=0xB8, id=n, flags="DF") / UDP() / data
        else:
            packet = IPv6(src="2001:db8::1", dst="2001:db8::2", tc=0xB8) / UDP() / data
        out.append(bytes(packet))
    if version == 6:
        chain = IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting(addresses=["2001:db8::9"]) / IPv6ExtHdrDestOpt()
        out.append(bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / chain / UDP() / Raw(b"extended")))
    return out


def _parse(packet: bytes) -> Packet:
    return IP(packet) if packet[0] >> 4 == 4 else IPv6(packet)


def _scapy_tunnel_header(scapy: ScapySA, version: int, inner: bytes, seq: int) -> None:
    """Scapy's outer header as fipscrypto builds it: DSCP/ECN and (IPv4 in IPv4) DF copied, TTL or
    hop limit 64, the IPv4 identification the low 16 bits of the sequence number."""
    src, dst = TUNNELS[version]
    traffic = inner[1] if inner[0] >> 4 == 4 else (inner[0] & 0x0F) << 4 | inner[1] >> 4
    if version == 4:
        df = "DF" if inner[0] >> 4 == 4 and inner[6] & 0x40 else 0
        scapy.tunnel_header = IP(src=src, dst=dst, tos=traffic, ttl=64, id=seq & 0xFFFF, flags=df)
    else:
        scapy.tunnel_header = IPv6(src=src, dst=dst, tc=traffic, hlim=64)


@pytest.mark.parametrize("esn", [False, True], ids=["esn-off", "esn-on"])
@pytest.mark.parametrize("version", [4, 6], ids=["ipv4", "ipv6"])
@pytest.mark.parametrize("mode", ["transport", "tunnel"])
@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_esp_packets_equal_scapys_and_go_through_both_ways(
    algorithm: str, mode: str, version: int, esn: bool
) -> None:
    ours_tx, ours_rx = _ours(algorithm, mode, version, esn), _ours(algorithm, mode, version, esn)
    scapy_tx, scapy_rx = (_scapy_sa(algorithm, mode, version, esn) for _ in range(2))
    chosen = ALGORITHMS[algorithm]
    inner_versions = (4, 6) if mode == "tunnel" else (version,)
    inners = [p for v in inner_versions for p in _packets(v)]
    for seq, inner in enumerate(inners, start=1):
        sealed = ours_tx.encapsulate(inner)
        start = esp_header(sealed)[1]
        assert int.from_bytes(sealed[start + 4 : start + 8], "big") == seq
        iv = sealed[start + 8 : start + 8 + chosen.iv_size]
        if mode == "tunnel":
            _scapy_tunnel_header(scapy_tx, version, inner, seq)
        theirs = bytes(scapy_tx.encrypt(_parse(inner), seq_num=seq, iv=iv))
        assert theirs == sealed, (seq, inner.hex())
        # fipscrypto -> scapy
        assert bytes(scapy_rx.decrypt(_parse(sealed))) == inner
        # scapy -> fipscrypto, with scapy's own random IV and a later sequence number
        random_iv = bytes(scapy_tx.encrypt(_parse(inner), seq_num=seq + 1000))
        assert ours_rx.decapsulate(random_iv) == inner
        assert ours_rx.decapsulate(sealed) == inner
