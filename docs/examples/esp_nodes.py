"""Two conferencing nodes protect their traffic with ESP: one Child SA, two SAs, packets both ways.

The Child SA's keying material comes from the IKE SA's SK_d and the nonces (RFC 7296 §2.17); here
SK_d and the nonces are stand-ins drawn from the DRBG, where the IKEv2 exchange (docs/ipsec-ikev2.md)
would give them. KEYMAT is cut as §2.17 says: the initiator-to-responder key first, then the
responder-to-initiator key, each AES-256 key || 4-octet salt for AES-256-GCM-16 (RFC 4106 §8.1).
Each node encapsulates with the SA of its sending direction and decapsulates with the other. Run it:

    python docs/examples/esp_nodes.py

It prints one JSON line.
"""

from __future__ import annotations

import json
import struct

import fipscrypto

fipscrypto.activate()  # before anything imports cryptography

from fipscrypto import kdf, rand  # noqa: E402
from fipscrypto.errors import ReplayError  # noqa: E402
from fipscrypto.ipsec import ALGORITHMS, SecurityAssociation  # noqa: E402
from fipscrypto.ipsec.packets import checksum  # noqa: E402

ALGORITHM = "aes-256-gcm-16"
NODE_A, NODE_B = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])


def udp_packet(src: bytes, dst: bytes, data: bytes) -> bytes:
    """An IPv4 UDP datagram (RFC 791, RFC 768), as a node's stack would hand it to ESP."""
    udp = struct.pack("!HHHH", 5004, 5004, 8 + len(data), 0) + data
    head = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0xB8, 20 + len(udp), 1, 0x4000, 64, 17, 0, src, dst))
    head[10:12] = checksum(head).to_bytes(2, "big")
    return bytes(head) + udp


def child_sa_keys() -> tuple[bytes, bytes]:
    """KEYMAT = prf+(SK_d, Ni | Nr), cut into the two directions' keys (RFC 7296 §2.17)."""
    sk_d, ni, nr = rand.random_bytes(32), rand.random_bytes(32), rand.random_bytes(32)
    size = ALGORITHMS[ALGORITHM].key_length  # 32-octet AES key + 4-octet salt
    keymat = kdf.ikev2_child_keymat(sk_d, ni, nr, length=2 * size)
    return keymat[:size], keymat[size:]


def main() -> dict[str, object]:
    a_to_b, b_to_a = child_sa_keys()
    # The SPIs each receiver chose in the CREATE_CHILD_SA exchange (RFC 7296 §1.3).
    spi_at_b, spi_at_a = 0x0000C001, 0x0000C002
    a_out = SecurityAssociation(spi_at_b, a_to_b, algorithm=ALGORITHM, replay_window=1024)
    b_in = SecurityAssociation(spi_at_b, a_to_b, algorithm=ALGORITHM, replay_window=1024)
    b_out = SecurityAssociation(spi_at_a, b_to_a, algorithm=ALGORITHM)
    a_in = SecurityAssociation(spi_at_a, b_to_a, algorithm=ALGORITHM)

    media = udp_packet(NODE_A, NODE_B, b"RTP media from A")
    on_the_wire = a_out.encapsulate(media)
    answer = udp_packet(NODE_B, NODE_A, b"RTP media from B")
    delivered = (
        b_in.decapsulate(on_the_wire) == media and a_in.decapsulate(b_out.encapsulate(answer)) == answer
    )
    try:
        b_in.decapsulate(on_the_wire)  # the same packet again
        replay = "accepted"
    except ReplayError:
        replay = "ReplayError"

    # Tunnel mode between two gateways, in another Child SA (its own keys: two SAs never share a key,
    # or their sequence-number IVs would repeat under it): the whole packet inside, a new header outside.
    gateways = ("192.0.2.1", "192.0.2.2")
    forward, _ = child_sa_keys()
    tunnel_out = SecurityAssociation(0x0000C003, forward, algorithm=ALGORITHM, mode="tunnel", tunnel=gateways)
    tunnel_in = SecurityAssociation(0x0000C003, forward, algorithm=ALGORITHM, mode="tunnel", tunnel=gateways)
    tunnelled = tunnel_out.encapsulate(media)
    return {
        "delivered": delivered and tunnel_in.decapsulate(tunnelled) == media,
        "transport": {"plain": len(media), "esp": len(on_the_wire), "protocol": on_the_wire[9]},
        "tunnel": {"esp": len(tunnelled), "outer_source": ".".join(map(str, tunnelled[12:16]))},
        "replay": replay,
        "approved": fipscrypto.indicator.last().approved if fipscrypto.indicator.last() else None,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
