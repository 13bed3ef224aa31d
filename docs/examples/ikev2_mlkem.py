"""An IKEv2 additional key exchange with ML-KEM-768 (RFC 9370), the bytes each peer sends and keeps.

IKE_SA_INIT runs an approved (EC)DH group as always (ECDH P-256, group 19, here) and gives the first
set of keys. One IKE_INTERMEDIATE exchange then carries ML-KEM-768 (transform ID 36 of
draft-ietf-ipsecme-ikev2-mlkem): the initiator's KE payload holds its encapsulation key, the
responder's the ciphertext, and the ML-KEM shared secret SK(1) re-keys the IKE SA (RFC 9370 §2.2.2):

    SKEYSEED(1) = prf(SK_d(0), SK(1) | Ni | Nr)
    {SK_d(1) | SK_ai(1) | SK_ar(1) | SK_ei(1) | SK_er(1) | SK_pi(1) | SK_pr(1)}
        = prf+(SKEYSEED(1), Ni | Nr | SPIi | SPIr)

Only fipscrypto calls appear (``fipscrypto.pqc.MLKEM``, ``keys``, ``kdf``): there is no packet format
here. Run it with the post-quantum module on:

    FIPSCRYPTO_PQC=1 python docs/examples/ikev2_mlkem.py

It prints one JSON line.
"""

from __future__ import annotations

import json

import fipscrypto

fipscrypto.activate()  # before anything imports cryptography or pyOpenSSL

from fipscrypto import kdf, keys, pqc, rand  # noqa: E402

GCM_KEY = 36  # AES-256-GCM with its 4-byte salt (RFC 4106 §8.1)


def initial(ecdh_shared: bytes, ni: bytes, nr: bytes, spi_i: bytes, spi_r: bytes) -> kdf.IkeSaKeys:
    """IKE_SA_INIT's keys (RFC 7296 §2.14): SKEYSEED = prf(Ni | Nr, g^ir), then prf+."""
    skeyseed = kdf.ikev2_skeyseed(ni, nr, ecdh_shared)
    return kdf.ikev2_derive_sk(
        skeyseed, ni, nr, spi_i, spi_r, encryption_key_length=GCM_KEY, integrity_key_length=0
    )


def additional(
    previous: kdf.IkeSaKeys, sk_n: bytes, ni: bytes, nr: bytes, spi_i: bytes, spi_r: bytes
) -> kdf.IkeSaKeys:
    """RFC 9370 §2.2.2: the keys after one additional key exchange whose shared secret is SK(n)."""
    skeyseed = kdf.ikev2_rekey_skeyseed(previous.sk_d, sk_n, ni, nr)
    return kdf.ikev2_derive_sk(
        skeyseed, ni, nr, spi_i, spi_r, encryption_key_length=GCM_KEY, integrity_key_length=0
    )


def main() -> dict[str, object]:
    ni, nr = rand.random_bytes(32), rand.random_bytes(32)  # the nonces of IKE_SA_INIT
    spi_i, spi_r = rand.random_bytes(8), rand.random_bytes(8)

    # IKE_SA_INIT: KEi and KEr carry P-256 points (RFC 5903 §7: x | y, no 0x04 prefix).
    initiator_dh, responder_dh = (
        keys.generate_agreement_key("ecdh-p256"),
        keys.generate_agreement_key("ecdh-p256"),
    )
    kei, ker = initiator_dh.public_bytes("raw")[1:], responder_dh.public_bytes("raw")[1:]
    at_initiator = initiator_dh.exchange(
        keys.load_agreement_public_key(b"\x04" + ker, "ecdh-p256", encoding="raw")
    )
    at_responder = responder_dh.exchange(
        keys.load_agreement_public_key(b"\x04" + kei, "ecdh-p256", encoding="raw")
    )
    keys_i0 = initial(at_initiator, ni, nr, spi_i, spi_r)
    keys_r0 = initial(at_responder, ni, nr, spi_i, spi_r)

    # IKE_INTERMEDIATE: ML-KEM-768. The initiator keeps its private key (the 64-byte seed d || z).
    kem = pqc.MLKEM("ML-KEM-768")
    encapsulation_key, private_key = kem.generate_keypair()  # KEi(1): 1184 bytes
    ciphertext, sk_1_responder = kem.encapsulate(encapsulation_key)  # KEr(1): 1088 bytes
    sk_1_initiator = kem.decapsulate(private_key, ciphertext)
    keys_i1 = additional(keys_i0, sk_1_initiator, ni, nr, spi_i, spi_r)
    keys_r1 = additional(keys_r0, sk_1_responder, ni, nr, spi_i, spi_r)

    return {
        "KEi(0) bytes": len(kei),
        "KEi(1) bytes": len(encapsulation_key),
        "KEr(1) bytes": len(ciphertext),
        "SK(1) bytes": len(sk_1_initiator),
        "same keys after IKE_SA_INIT": keys_i0 == keys_r0,
        "same keys after the ML-KEM exchange": keys_i1 == keys_r1,
        "the ML-KEM exchange changed the keys": keys_i1.sk_d != keys_i0.sk_d,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
