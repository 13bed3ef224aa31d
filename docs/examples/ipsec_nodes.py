"""IPsec between two conferencing nodes: the IKEv2 key schedule, then ESP packets both ways.

Node A (the initiator) and node B (the responder) run the key schedule twice: with MODP-4096
(group 16, the default) and with P-384 (group 20) plus ML-KEM-768 as an RFC 9370 additional key
exchange. Each time they choose the transforms from the policy, exchange KE payloads and nonces,
derive the IKE SA keys, authenticate each other with RFC 7427 signatures over their certificates,
derive a Child SA and send an IP packet each way through ESP (AES-256-GCM, transport mode).

The IKE messages themselves (framing, encryption of IKE_AUTH, retransmission) are the IKE daemon's;
here a stand-in byte string plays each IKE_SA_INIT message. Run it:

    python docs/examples/ipsec_nodes.py

It prints one JSON line.
"""

from __future__ import annotations

import json

import fipscrypto

fipscrypto.activate(pqc=True)  # before anything imports cryptography; ML-KEM needs fipscrypto.pqc

from fipscrypto import keys, srtp  # noqa: E402
from fipscrypto.ipsec import ikev2  # noqa: E402
from fipscrypto.ipsec.ikev2 import IkeSa, KeyExchange, TransformType  # noqa: E402

# Each node's certificate and key (self-signed ECDSA P-256 here; in production, the nodes' CA's).
NODE_A, NODE_B = (
    srtp.generate_certificate(common_name="node-a"),
    srtp.generate_certificate(common_name="node-b"),
)
ID_A, ID_B = b"\x02\x00\x00\x00node-a.example", b"\x02\x00\x00\x00node-b.example"  # ID_FQDN (RFC 7296 §3.5)
PACKET = bytes.fromhex("45000024000100004011f6c4c0000201c000020200350035001000006461746164617461")
REPLY = bytes.fromhex("45000024000200004011f6c3c0000202c000020100350035001000006261636b6261636b")


def key_exchange(method: int) -> tuple[bytes, bytes, bytes, bytes]:
    """One key exchange: (KEi data, KEr data, node A's secret, node B's secret)."""
    initiator = KeyExchange(method)  # node A: KEi
    responder, secret_b = KeyExchange.respond(method, initiator.payload)  # node B: KEr and its secret
    secret_a = initiator.complete(responder.payload)  # node A: its secret from KEr
    return initiator.payload, responder.payload, secret_a, secret_b


def run(offered: tuple[ikev2.Transform, ...]) -> dict[str, object]:
    # IKE_SA_INIT: A offers, B chooses one transform of each type the policy allows.
    suite = ikev2.ike_select(offered)
    ni, spi_i = ikev2.nonce(), ikev2.spi()
    kei, ker, g_ir_a, g_ir_b = key_exchange(suite.ke)
    nr, spi_r = ikev2.nonce(), ikev2.spi()
    request = spi_i + bytes(8) + b"IKE_SA_INIT SA KEi Ni" + kei + ni  # stand-ins for the messages
    response = spi_i + spi_r + b"IKE_SA_INIT SA KEr Nr" + ker + nr
    node_a = IkeSa(suite, g_ir_a, ni=ni, nr=nr, spi_i=spi_i, spi_r=spi_r)
    node_b = IkeSa(suite, g_ir_b, ni=ni, nr=nr, spi_i=spi_i, spi_r=spi_r)

    # IKE_INTERMEDIATE: one per additional key exchange (RFC 9370), each updating every SK_*.
    for method in suite.additional:
        _, _, secret_a, secret_b = key_exchange(method)
        node_a.add_key_exchange(secret_a)
        node_b.add_key_exchange(secret_b)

    # IKE_AUTH: each node signs its own IKE_SA_INIT message, the peer's nonce and prf(SK_p, ID).
    key_a = keys.load_signing_key(NODE_A.private_key, "ecdsa-p256")
    key_b = keys.load_signing_key(NODE_B.private_key, "ecdsa-p256")
    auth_a = ikev2.sign_auth(node_a, key_a, signer="initiator", message=request, id_payload=ID_A)
    auth_b = ikev2.sign_auth(node_b, key_b, signer="responder", message=response, id_payload=ID_B)
    ikev2.verify_auth(
        node_b, auth_a, NODE_A.certificate, signer="initiator", message=request, id_payload=ID_A
    )
    ikev2.verify_auth(
        node_a, auth_b, NODE_B.certificate, signer="responder", message=response, id_payload=ID_B
    )

    # The Child SA of IKE_AUTH: ESP keys per direction, then two SAs on each node.
    child_suite = ikev2.child_select(ikev2.child_offer())
    child_a, child_b = node_a.child_sa(child_suite), node_b.child_sa(child_suite)
    a_out, a_in = child_a.security_associations("initiator", outbound_spi=0x0A0B0001, inbound_spi=0x0B0A0001)
    b_out, b_in = child_b.security_associations("responder", outbound_spi=0x0B0A0001, inbound_spi=0x0A0B0001)
    return {
        "ke": [suite.ke, *suite.additional],
        "encryption": f"{suite.encryption}-{suite.key_bits}",
        "prf": suite.prf,
        "esp": child_a.esp_algorithm,
        "same_keys": node_a.keys == node_b.keys and child_a == child_b,
        "b_got": b_in.decapsulate(a_out.encapsulate(PACKET)) == PACKET,
        "a_got": a_in.decapsulate(b_out.encapsulate(REPLY)) == REPLY,
    }


def main() -> dict[str, object]:
    offered = ikev2.ike_offer()  # node A's proposal: what the policy allows, MODP-4096 first
    modp = tuple(t for t in offered if t.type is not TransformType.ADDKE1)
    hybrid = tuple(t for t in offered if t.type is not TransformType.KE or t.id == 20)  # P-384 + ML-KEM
    return {"modp-4096": run(modp), "p384-ml-kem-768": run(hybrid)}


if __name__ == "__main__":
    print(json.dumps(main()))
