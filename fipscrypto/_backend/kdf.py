"""Thin key-derivation primitives over cryptography (and so over the loaded FIPS provider).

No policy and no protocol logic lives here: :mod:`fipscrypto.kdf` authorizes each request and
composes the SP 800-108 / SP 800-135 constructions from these primitives. Everything here either
returns bytes or raises :class:`~fipscrypto.errors.AlgorithmUnavailable` when the provider refuses
the algorithm (with the FIPS provider: MD5, so HMAC-MD5 and the TLS 1.0 PRF's MD5 half).
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography import exceptions as _exceptions
from cryptography.hazmat.primitives import cmac as _cmac
from cryptography.hazmat.primitives import hashes as _hashes
from cryptography.hazmat.primitives import hmac as _hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf import hkdf as _hkdf
from cryptography.hazmat.primitives.kdf import kbkdf as _kbkdf
from cryptography.hazmat.primitives.kdf import pbkdf2 as _pbkdf2

from ..errors import AlgorithmUnavailable

__all__ = [
    "HASHES",
    "aes_ctr_keystream",
    "cmac_aes",
    "digest_size",
    "hash_bytes",
    "hkdf",
    "hkdf_expand",
    "hkdf_extract",
    "hmac",
    "hmac_keyed",
    "kbkdf_counter",
    "pbkdf2",
]

# Hash names the KDFs accept; the allowlist decides which may be used, the provider which can be.
HASHES: dict[str, type[_hashes.HashAlgorithm]] = {
    "md5": _hashes.MD5,
    "sha1": _hashes.SHA1,
    "sha224": _hashes.SHA224,
    "sha256": _hashes.SHA256,
    "sha384": _hashes.SHA384,
    "sha512": _hashes.SHA512,
    "sha512-224": _hashes.SHA512_224,
    "sha512-256": _hashes.SHA512_256,
    "sha3-224": _hashes.SHA3_224,
    "sha3-256": _hashes.SHA3_256,
    "sha3-384": _hashes.SHA3_384,
    "sha3-512": _hashes.SHA3_512,
}

# What cryptography raises when the provider has no implementation for a fetch.
_REFUSED = (_exceptions.UnsupportedAlgorithm, _exceptions.InternalError)


def _algorithm(name: str) -> _hashes.HashAlgorithm:
    try:
        return HASHES[name]()
    except KeyError:
        raise AlgorithmUnavailable(f"unknown hash {name!r}") from None


def _refused(what: str, exc: Exception) -> AlgorithmUnavailable:
    error = AlgorithmUnavailable(
        f"{what} is not offered by the loaded providers (with the FIPS provider: not approved)"
    )
    error.__cause__ = exc
    return error


def digest_size(name: str) -> int:
    """Output length of hash ``name`` in bytes."""
    return _algorithm(name).digest_size


def hash_bytes(name: str, data: bytes) -> bytes:
    try:
        h = _hashes.Hash(_algorithm(name))
    except _REFUSED as exc:
        raise _refused(name, exc) from exc
    h.update(data)
    return h.finalize()


def hmac_keyed(name: str, key: bytes) -> Callable[[bytes], bytes]:
    """HMAC-``name`` keyed once; the returned function MACs one message per call (copies the state)."""
    try:
        base = _hmac.HMAC(key, _algorithm(name))
    except _REFUSED as exc:
        raise _refused(f"HMAC-{name}", exc) from exc

    def mac(data: bytes) -> bytes:
        h = base.copy()
        h.update(data)
        return h.finalize()

    return mac


def hmac(name: str, key: bytes, data: bytes) -> bytes:
    return hmac_keyed(name, key)(data)


def cmac_aes(key: bytes, data: bytes) -> bytes:
    try:
        c = _cmac.CMAC(algorithms.AES(key))
    except _REFUSED as exc:
        raise _refused("CMAC-AES", exc) from exc
    c.update(data)
    return c.finalize()


def hkdf(name: str, ikm: bytes, salt: bytes | None, info: bytes, length: int) -> bytes:
    return _hkdf.HKDF(_algorithm(name), length, salt, info).derive(ikm)


def hkdf_extract(name: str, salt: bytes | None, ikm: bytes) -> bytes:
    return _hkdf.HKDF.extract(_algorithm(name), salt, ikm)


def hkdf_expand(name: str, prk: bytes, info: bytes, length: int) -> bytes:
    return _hkdf.HKDFExpand(_algorithm(name), length, info).derive(prk)


def pbkdf2(name: str, password: bytes, salt: bytes, iterations: int, length: int) -> bytes:
    """PBKDF2-HMAC. The FIPS provider itself refuses salts under 128 bits, fewer than 1000 iterations
    and keys under 112 bits (its SP 800-132 lower-bound checks): that surfaces as AlgorithmUnavailable."""
    try:
        return _pbkdf2.PBKDF2HMAC(_algorithm(name), length, salt, iterations).derive(password)
    except _REFUSED as exc:
        raise _refused(f"PBKDF2-HMAC-{name} with these parameters", exc) from exc


def kbkdf_counter(
    prf: str,
    key: bytes,
    length: int,
    counter_bytes: int,
    counter_first: bool,
    fixed: bytes,
) -> bytes:
    """SP 800-108 counter mode through cryptography's KBKDFHMAC / KBKDFCMAC.

    ``prf`` is ``"cmac-aes"`` or a hash name (HMAC); ``fixed`` is the complete fixed input data; the
    counter goes before it (``counter_first``) or after it.
    """
    mode = _kbkdf.Mode.CounterMode
    where = _kbkdf.CounterLocation.BeforeFixed if counter_first else _kbkdf.CounterLocation.AfterFixed
    try:
        if prf == "cmac-aes":
            return _kbkdf.KBKDFCMAC(
                algorithms.AES, mode, length, counter_bytes, None, where, None, None, fixed
            ).derive(key)
        return _kbkdf.KBKDFHMAC(
            _algorithm(prf), mode, length, counter_bytes, None, where, None, None, fixed
        ).derive(key)
    except _REFUSED as exc:
        raise _refused(f"KBKDF with {prf}", exc) from exc


def aes_ctr_keystream(key: bytes, counter_block: bytes, length: int) -> bytes:
    """``length`` bytes of AES-CTR keystream from the 128-bit initial counter block (AES-CM, RFC 3711)."""
    encryptor = Cipher(algorithms.AES(key), modes.CTR(counter_block)).encryptor()
    return encryptor.update(bytes(length)) + encryptor.finalize()
