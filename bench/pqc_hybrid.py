"""Hybrid KEMs (``fipscrypto.pqc.HybridKEM``) against the same work done with cryptography's calls.

For SecP256r1MLKEM768 and SecP384r1MLKEM1024 on each ML-KEM backend that can run here: key generation,
encapsulation and decapsulation, bytes in and bytes out on both sides (the peer builds the same key
shares and secrets from cryptography's ML-KEM and ECDH: ``generate``, ``from_public_bytes`` +
``encapsulate`` + an ephemeral EC key + ``exchange``, ``from_seed_bytes`` + ``decapsulate`` +
``derive_private_key`` + ``exchange``). fipscrypto generates its EC keys inside the FIPS provider (with
the pairwise-consistency test), validates every peer point fully and asks the policy; cryptography
generates EC keys outside the provider. Decapsulation is timed twice: with a key pair the hybrid
generated (its ECDH key object is held: a TLS client's flow), and with the ECDH key dropped before each
call, so that the scalar is imported again as for a private key from elsewhere. Median of ROUNDS
interleaved rounds (bench/services.py). The liboqs backend runs in an exemption scope (strict mode
refuses it otherwise).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from services import compare

import fipscrypto

ROUNDS = 5


def _peer(
    name: str,
) -> tuple[Callable[[], tuple[bytes, bytes]], Callable[..., object], Callable[..., object]]:
    """cryptography's keygen, encapsulate(public_key) and decapsulate(private_key, ciphertext) for
    the SecP group ``name``, in its layout (ECDH first)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, mlkem

    curve, size, private, public = {
        "SecP256r1MLKEM768": (ec.SECP256R1(), 32, mlkem.MLKEM768PrivateKey, mlkem.MLKEM768PublicKey),
        "SecP384r1MLKEM1024": (ec.SECP384R1(), 48, mlkem.MLKEM1024PrivateKey, mlkem.MLKEM1024PublicKey),
    }[name]
    point_size = 1 + 2 * size
    x962, uncompressed = serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint

    def generate() -> tuple[bytes, bytes]:
        kem, key = private.generate(), ec.generate_private_key(curve)
        scalar = key.private_numbers().private_value.to_bytes(size, "big")
        share = key.public_key().public_bytes(x962, uncompressed)
        return share + kem.public_key().public_bytes_raw(), scalar + kem.private_bytes_raw()

    def encapsulate(public_key: bytes) -> tuple[bytes, bytes]:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(curve, public_key[:point_size])
        k, c = public.from_public_bytes(public_key[point_size:]).encapsulate()
        mine = ec.generate_private_key(curve)
        z = mine.exchange(ec.ECDH(), peer)
        return mine.public_key().public_bytes(x962, uncompressed) + c, z + k

    def decapsulate(private_key: bytes, ciphertext: bytes) -> bytes:
        key = ec.derive_private_key(int.from_bytes(private_key[:size], "big"), curve)
        peer = ec.EllipticCurvePublicKey.from_encoded_point(curve, ciphertext[:point_size])
        k = private.from_seed_bytes(private_key[size:]).decapsulate(ciphertext[point_size:])
        return key.exchange(ec.ECDH(), peer) + k

    return generate, encapsulate, decapsulate


def main() -> dict[str, dict[str, float]]:
    os.environ["FIPSCRYPTO_PQC"] = "1"
    fipscrypto.activate()
    from fipscrypto import indicator

    with indicator.exempt(reason="benchmark: the liboqs backend"):
        return _measure()


def _measure() -> dict[str, dict[str, float]]:
    from fipscrypto import pqc
    from fipscrypto.pqc._classical import ECDH
    from fipscrypto.pqc.hybrid import HYBRIDS

    results: dict[str, dict[str, float]] = {}
    usable = [b.name for b in pqc.backends() if b.available]
    for backend in ("openssl", "liboqs"):
        if backend not in usable:
            print(f"hybrid KEMs on {backend}: not measured (the backend cannot run here)")
            continue
        cases: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {}
        for name in ("SecP256r1MLKEM768", "SecP384r1MLKEM1024"):
            kem = pqc.HybridKEM(name, backend)
            generate, encapsulate, decapsulate = _peer(name)
            public_key, private_key = kem.generate_keypair()
            ciphertext, _ = kem.encapsulate(public_key)
            assert decapsulate(private_key, ciphertext) == kem.decapsulate(private_key, ciphertext)
            cases[f"{name} keygen"] = (kem.generate_keypair, generate)
            cases[f"{name} encaps"] = (
                lambda k=kem, p=public_key: k.encapsulate(p),
                lambda p=public_key, e=encapsulate: e(p),
            )
            cases[f"{name} decaps, its own key"] = (
                lambda k=kem, s=private_key, c=ciphertext: k.decapsulate(s, c),
                lambda s=private_key, c=ciphertext, d=decapsulate: d(s, c),
            )
            half = HYBRIDS[name].classical
            assert isinstance(half, ECDH)
            cases[f"{name} decaps, imported key"] = (
                lambda k=kem, s=private_key, c=ciphertext, h=half: (h.drop(), k.decapsulate(s, c)),
                lambda s=private_key, c=ciphertext, d=decapsulate: d(s, c),
            )
        peer = "cryptography's ML-KEM + ECDH calls"
        results |= {
            f"{backend} {n}": r
            for n, r in compare(f"hybrid KEMs on {backend}", cases, 40, ROUNDS, peer).items()
        }
    return results


if __name__ == "__main__":
    main()
