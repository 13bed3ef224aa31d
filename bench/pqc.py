"""ML-KEM through fipscrypto.pqc against direct calls, in one process.

For each backend and parameter set: key generation, encapsulation and decapsulation per call
through ``fipscrypto.pqc.MLKEM`` (the switch, the gate, the policy for the parameter set, and for
liboqs its boundary rule, the indicator; key bytes in and out) against cryptography's ML-KEM on the
same FIPS provider (key objects held by the caller: generate + the raw public key and seed out;
encapsulate; decapsulate). ML-KEM-512, which cryptography does not offer: on the openssl backend
against the same provider calls made directly in fipscrypto's private context (the route it takes),
on liboqs against liboqs-python's own calls on the same liboqs. Median of ROUNDS interleaved rounds
(services.compare).
The liboqs backend runs in an exemption scope (strict mode refuses it otherwise).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import services

import fipscrypto

ROUNDS = 7


def main() -> dict[str, dict[str, float]]:
    os.environ["FIPSCRYPTO_PQC"] = "1"
    fipscrypto.activate()
    from fipscrypto import indicator

    with indicator.exempt(reason="benchmark: the liboqs backend"):
        return _measure()


def _measure() -> dict[str, dict[str, float]]:
    from cryptography.hazmat.primitives.asymmetric import mlkem

    from fipscrypto import pqc
    from fipscrypto._liboqs import _import_oqs

    def generate(key_type: type[mlkem.MLKEM768PrivateKey | mlkem.MLKEM1024PrivateKey]) -> tuple[bytes, bytes]:
        key = key_type.generate()
        return key.public_key().public_bytes_raw(), key.private_bytes_raw()

    raw = {"ML-KEM-768": mlkem.MLKEM768PrivateKey, "ML-KEM-1024": mlkem.MLKEM1024PrivateKey}
    cases: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {}
    for backend in ("openssl", "liboqs"):
        for name, key_type in raw.items():
            kem = pqc.MLKEM(name, backend=backend)
            public, private = kem.generate_keypair()
            theirs = key_type.from_seed_bytes(private)
            their_public = theirs.public_key()
            ciphertext = their_public.encapsulate()[1]  # the same key pair: both decapsulate it
            label = f"{name} {backend}"
            cases[f"{label} keygen"] = (kem.generate_keypair, lambda t=key_type: generate(t))
            cases[f"{label} encaps"] = (lambda k=kem, p=public: k.encapsulate(p), their_public.encapsulate)
            cases[f"{label} decaps"] = (
                lambda k=kem, s=private, c=ciphertext: k.decapsulate(s, c),
                lambda t=theirs, c=ciphertext: t.decapsulate(c),
            )
    results = services.compare("ML-KEM (fipscrypto.pqc)", cases, 28, ROUNDS)

    results |= _ml_kem_512_openssl()
    oqs = _import_oqs()
    kem = pqc.MLKEM("ML-KEM-512", backend="liboqs")
    public, private = kem.generate_keypair()
    ciphertext, _ = kem.encapsulate(public)
    peer = oqs.KeyEncapsulation("ML-KEM-512")
    peer_public = peer.generate_keypair_seed(private)
    cases = {
        "ML-KEM-512 liboqs keygen": (kem.generate_keypair, peer.generate_keypair),
        "ML-KEM-512 liboqs encaps": (lambda: kem.encapsulate(public), lambda: peer.encap_secret(peer_public)),
        "ML-KEM-512 liboqs decaps": (
            lambda: kem.decapsulate(private, ciphertext),
            lambda: peer.decap_secret(ciphertext),
        ),
    }
    return results | services.compare(
        "ML-KEM-512", cases, 28, ROUNDS, peer="liboqs-python on the same liboqs"
    )


def _ml_kem_512_openssl() -> dict[str, dict[str, float]]:
    from fipscrypto import pqc
    from fipscrypto.keys import inside
    from fipscrypto.rand import random_bytes

    name, context, kem = "ML-KEM-512", inside.get(), pqc.MLKEM("ML-KEM-512", backend="openssl")
    assert context is not None
    public, private = kem.generate_keypair()
    ciphertext, _ = kem.encapsulate(public)
    key, their_public = context.mlkem_key(name, seed=private), context.mlkem_key(name, ek=public)

    def generate() -> tuple[bytes, bytes]:
        seed = random_bytes(64)
        return context.mlkem_public(name, context.mlkem_key(name, seed=seed)), seed

    cases: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
        "ML-KEM-512 openssl keygen": (kem.generate_keypair, generate),
        "ML-KEM-512 openssl encaps": (
            lambda: kem.encapsulate(public),
            lambda: context.mlkem_encapsulate(name, their_public),
        ),
        "ML-KEM-512 openssl decaps": (
            lambda: kem.decapsulate(private, ciphertext),
            lambda: context.mlkem_decapsulate(name, key, ciphertext),
        ),
    }
    return services.compare("ML-KEM-512", cases, 28, ROUNDS, peer="the provider's private context directly")


if __name__ == "__main__":
    main()
