"""The backend layer: the only code that calls cryptography. Every primitive fipscrypto uses is here.

This package boots the module (``fipscrypto.module.boot``) in its ``__init__``, which Python runs
before any submodule, so cryptography is never imported before its OpenSSL is configured with the
FIPS provider, whatever order a submodule's imports are sorted in. Services import submodules
(``_backend.hashes``, ``_backend.kdf``, ...); nothing outside this package imports cryptography.
"""

from __future__ import annotations

from .. import module

module.boot()

# These imports must follow boot(): it decides the OpenSSL configuration cryptography starts with.
from cryptography import exceptions as _exceptions  # noqa: E402
from cryptography.hazmat.bindings._rust import openssl as _openssl  # noqa: E402
from cryptography.hazmat.primitives import hashes as _hashes  # noqa: E402
from cryptography.hazmat.primitives.ciphers import aead as _aead  # noqa: E402

from ..errors import AlgorithmUnavailable  # noqa: E402

__all__ = ["DIGESTS", "aes_gcm_open", "aes_gcm_seal", "digest", "fips_enabled", "openssl_version"]

# Names accepted by digest(); the allowlist decides which may be used, the provider which can be.
DIGESTS: dict[str, type[_hashes.HashAlgorithm]] = {
    "md5": _hashes.MD5,
    "sha1": _hashes.SHA1,
    "sha224": _hashes.SHA224,
    "sha256": _hashes.SHA256,
    "sha384": _hashes.SHA384,
    "sha512": _hashes.SHA512,
    "sha3-224": _hashes.SHA3_224,
    "sha3-256": _hashes.SHA3_256,
    "sha3-384": _hashes.SHA3_384,
    "sha3-512": _hashes.SHA3_512,
}

# What cryptography raises when the provider has no implementation for a fetch (MD5 surfaces as an
# InternalError carrying OpenSSL's "unsupported" reason, ChaCha20/X25519 as UnsupportedAlgorithm).
_REFUSED = (_exceptions.UnsupportedAlgorithm, _exceptions.InternalError)


def fips_enabled() -> bool:
    """cryptography's own flag: true when ``default_properties`` has ``fips=yes``; proves nothing alone."""
    return bool(_openssl.is_fips_enabled())


def openssl_version() -> str:
    return str(_openssl.openssl_version_text())


def digest(name: str, data: bytes) -> bytes:
    try:
        algorithm = DIGESTS[name]()
    except KeyError:
        raise AlgorithmUnavailable(f"unknown digest {name!r}") from None
    try:
        h = _hashes.Hash(algorithm)
    except _REFUSED as exc:
        raise AlgorithmUnavailable(
            f"{name} is not offered by the loaded providers (with the FIPS provider: not approved)"
        ) from exc
    h.update(data)
    return h.finalize()


def aes_gcm_seal(key: bytes, nonce: bytes, data: bytes, aad: bytes | None) -> bytes:
    return _aead.AESGCM(key).encrypt(nonce, data, aad)


def aes_gcm_open(key: bytes, nonce: bytes, data: bytes, aad: bytes | None) -> bytes:
    return _aead.AESGCM(key).decrypt(nonce, data, aad)
