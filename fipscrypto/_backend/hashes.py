"""Hash, XOF and MAC primitives (cryptography, on the FIPS provider)."""

from __future__ import annotations

from collections.abc import Callable

from cryptography.exceptions import AlreadyFinalized, InternalError, UnsupportedAlgorithm
from cryptography.hazmat.primitives import cmac, hashes, hmac
from cryptography.hazmat.primitives.ciphers import algorithms

from .._params import name as _name
from .._params import not_offered
from ..errors import AlgorithmUnavailable, InvalidParameter

__all__ = [
    "DIGESTS",
    "FINALIZED",
    "HMAC",
    "HMAC_HASHES",
    "XOFS",
    "Hash",
    "algorithm",
    "cmac_aes",
    "digest",
    "hash_object",
    "hmac_digest",
    "hmac_hash",
    "hmac_keyed",
    "hmac_object",
]

# Names accepted by the services; the allowlist decides which may be used, the provider which can be.
DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "md5": hashes.MD5,
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "sha512-224": hashes.SHA512_224,
    "sha512-256": hashes.SHA512_256,
    "sha3-224": hashes.SHA3_224,
    "sha3-256": hashes.SHA3_256,
    "sha3-384": hashes.SHA3_384,
    "sha3-512": hashes.SHA3_512,
}
XOFS: dict[str, type[hashes.SHAKE128] | type[hashes.SHAKE256]] = {
    "shake128": hashes.SHAKE128,
    "shake256": hashes.SHAKE256,
}
# The hashes HMAC runs over, for every service built on HMAC (mac, the HMAC-based KDFs and their
# PRFs, HMAC_DRBG). FIPS 198-1 §4 defines HMAC over an iterated hash function with a block size
# (§3: "B  Block size (in bytes) of the input to the Approved hash function"): every digest above,
# never an XOF (SHAKE has neither a block-structured HMAC nor a fixed output; SP 800-185 defines
# KMAC for keyed SHAKE). SP 800-90A Rev. 1 §10.1.2 HMAC_DRBG uses "an approved hash function" with
# HMAC: the same table. Which of them may be used is the policy's to say.
HMAC_HASHES: tuple[str, ...] = tuple(DIGESTS)

# What cryptography raises when the provider has no implementation for a fetch (MD5 surfaces as an
# InternalError carrying OpenSSL's "unsupported" reason, ChaCha20/X25519 as UnsupportedAlgorithm).
_REFUSED = (UnsupportedAlgorithm, InternalError)
#: What a context raises when used after finalize().
FINALIZED = AlreadyFinalized


_INSTANCES = {name: algorithm() for name, algorithm in DIGESTS.items()}  # stateless: shared


def algorithm(name: str, length: int | None = None) -> hashes.HashAlgorithm:
    instance = _INSTANCES.get(name)
    if instance is not None:
        return instance
    if name in XOFS:
        if length is None:
            raise InvalidParameter(f"{name} is an XOF: give length >= 1 (bytes of output)")
        return XOFS[name](digest_size=length)
    raise not_offered("hash", name, "hash", "use SHA-2, SHA-3 or SHAKE")


def hmac_hash(digest: object) -> str:
    """``digest`` when HMAC is defined over it here (in :data:`HMAC_HASHES`): a non-str, an XOF or an
    unknown string is InvalidParameter, a hash the vocabulary knows but fipscrypto does not offer
    (MD4) AlgorithmUnavailable."""
    name = _name("digest", digest)
    if name in HMAC_HASHES:
        return name
    if name in XOFS:
        raise InvalidParameter(
            f"{name} is an XOF: HMAC needs a hash function with a block size (FIPS 198-1 §4)"
        )
    raise not_offered("hash", name, "hash", "HMAC runs over a SHA-2 or SHA-3 hash")


def hash_object(name: str, length: int | None = None) -> hashes.Hash:
    try:
        return hashes.Hash(algorithm(name, length))
    except _REFUSED as exc:
        raise AlgorithmUnavailable(
            f"{name} is not offered by the loaded providers (with the FIPS provider: not approved)"
        ) from exc


def digest(name: str, data: bytes, length: int | None = None) -> bytes:
    h = hash_object(name, length)
    h.update(data)
    return h.finalize()


# The context classes themselves, for the services' hot paths: once a name has worked, the service
# builds ``Hash(algorithm(name))`` / ``HMAC(key, algorithm(name))`` inline, with no frame of ours.
Hash, HMAC = hashes.Hash, hmac.HMAC


def hmac_object(name: str, key: bytes) -> hmac.HMAC:
    try:
        return hmac.HMAC(key, algorithm(name))
    except _REFUSED as exc:
        raise AlgorithmUnavailable(f"HMAC-{name} is not offered by the loaded providers") from exc


def hmac_digest(name: str, key: bytes, data: bytes) -> bytes:
    h = hmac_object(name, key)
    h.update(data)
    return h.finalize()


def hmac_keyed(name: str, key: bytes) -> Callable[[bytes], bytes]:
    """HMAC-``name`` keyed once; the returned function MACs one message per call by copying the keyed
    context, so the key schedule (two compression-function calls) is paid once per key."""
    base = hmac_object(name, key)

    def mac(data: bytes) -> bytes:
        h = base.copy()
        h.update(data)
        return h.finalize()

    return mac


def cmac_aes(key: bytes, data: bytes) -> bytes:
    c = cmac.CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()
