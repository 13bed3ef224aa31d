"""ML-KEM (FIPS 203) through cryptography: key pairs, seeds, encapsulation, decapsulation, raw keys.

Only primitives live here, like :mod:`._backend.keys`: no policy, no gate. cryptography 50 offers
ML-KEM-768 and ML-KEM-1024 (no ML-KEM-512) and knows a decapsulation key only by its 64-byte seed
``d || z`` (FIPS 203 Algorithm 16, ML-KEM.KeyGen_internal(d, z)); the expanded 2400/3168-byte key of
FIPS 203 §7.1 can be neither imported nor exported. Encapsulation draws its randomness ``m`` from the
provider's DRBG: callers cannot supply it.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import mlkem

__all__ = [
    "MLKEM",
    "SEED_BYTES",
    "PrivateKey",
    "PublicKey",
    "decapsulate",
    "encapsulate",
    "from_seed",
    "generate",
    "load_public",
    "public_key",
    "raw_public",
    "seed",
]

PrivateKey = mlkem.MLKEM768PrivateKey | mlkem.MLKEM1024PrivateKey
PublicKey = mlkem.MLKEM768PublicKey | mlkem.MLKEM1024PublicKey

MLKEM: dict[str, tuple[type[PrivateKey], type[PublicKey]]] = {
    "ml-kem-768": (mlkem.MLKEM768PrivateKey, mlkem.MLKEM768PublicKey),
    "ml-kem-1024": (mlkem.MLKEM1024PrivateKey, mlkem.MLKEM1024PublicKey),
}
SEED_BYTES = 64  # d || z, 32 bytes each (FIPS 203 §7.1)


def generate(kind: str) -> PrivateKey:
    """A new key pair from the provider's DRBG (FIPS 203 Algorithm 19, ML-KEM.KeyGen)."""
    return MLKEM[kind][0].generate()


def from_seed(kind: str, seed_bytes: bytes) -> PrivateKey:
    """FIPS 203 Algorithm 16, ML-KEM.KeyGen_internal(d, z): the key pair of the seed ``d || z``."""
    if len(seed_bytes) != SEED_BYTES:
        raise ValueError(f"an ML-KEM seed is d || z, {SEED_BYTES} bytes")
    return MLKEM[kind][0].from_seed_bytes(seed_bytes)


def seed(key: PrivateKey) -> bytes:
    """The 64-byte seed ``d || z`` of a key pair."""
    return key.private_bytes_raw()


def public_key(key: PrivateKey) -> PublicKey:
    return key.public_key()


def load_public(kind: str, data: bytes) -> PublicKey:
    """An encapsulation key from its FIPS 203 encoding (1184 or 1568 bytes); ValueError if invalid."""
    return MLKEM[kind][1].from_public_bytes(data)


def raw_public(key: PublicKey) -> bytes:
    """The encapsulation key ``ek`` as FIPS 203 encodes it."""
    return key.public_bytes_raw()


def encapsulate(key: PublicKey) -> tuple[bytes, bytes]:
    """FIPS 203 Algorithm 20, ML-KEM.Encaps(ek): (shared secret K, ciphertext c)."""
    return key.encapsulate()


def decapsulate(key: PrivateKey, ciphertext: bytes) -> bytes:
    """FIPS 203 Algorithm 21, ML-KEM.Decaps(dk, c): K, or the implicit-rejection key for a bad ``c``."""
    return key.decapsulate(ciphertext)
