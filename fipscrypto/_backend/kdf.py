"""Thin key-derivation primitives over cryptography (and so over the loaded FIPS provider).

Hashes, HMAC (one-shot and keyed templates) and CMAC-AES come from :mod:`._backend.hashes` and are
re-exported here under the names the KDF code uses.

No policy and no protocol logic lives here: :mod:`fipscrypto.kdf` authorizes each request and
composes the SP 800-108 / SP 800-135 constructions from these primitives. Everything here either
returns bytes or raises :class:`~fipscrypto.errors.AlgorithmUnavailable` when the provider refuses
the algorithm (with the FIPS provider: MD5, so HMAC-MD5 and the TLS 1.0 PRF's MD5 half).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from cryptography import exceptions as _exceptions
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf import hkdf as _hkdf
from cryptography.hazmat.primitives.kdf import kbkdf as _kbkdf
from cryptography.hazmat.primitives.kdf import pbkdf2 as _pbkdf2

from ..errors import AlgorithmUnavailable
from .hashes import algorithm as _algorithm
from .hashes import cmac_aes, hmac_hash, hmac_keyed
from .hashes import digest as hash_bytes
from .hashes import hmac_digest as hmac

__all__ = [
    "aes_ctr_keystream",
    "cmac_aes",
    "digest_size",
    "hash_bytes",
    "hkdf",
    "hkdf_expand",
    "hkdf_extract",
    "hmac",
    "hmac_hash",
    "hmac_keyed",
    "kbkdf_counter",
    "pbkdf2",
]

# What cryptography raises when the provider has no implementation for a fetch.
_REFUSED = (_exceptions.UnsupportedAlgorithm, _exceptions.InternalError)


@contextlib.contextmanager
def _provider(what: str) -> Iterator[None]:
    """What the provider refuses (with the FIPS provider: MD5) becomes AlgorithmUnavailable."""
    try:
        yield
    except _REFUSED as exc:
        raise AlgorithmUnavailable(
            f"{what} is not offered by the loaded providers (with the FIPS provider: not approved)"
        ) from exc


def digest_size(name: str) -> int:
    """Output length of hash ``name`` in bytes."""
    return _algorithm(name).digest_size


def hkdf(name: str, ikm: bytes, salt: bytes | None, info: bytes, length: int) -> bytes:
    with _provider(f"HKDF-{name}"):
        return _hkdf.HKDF(_algorithm(name), length, salt, info).derive(ikm)


def hkdf_extract(name: str, salt: bytes | None, ikm: bytes) -> bytes:
    with _provider(f"HKDF-{name}"):
        return _hkdf.HKDF.extract(_algorithm(name), salt, ikm)


def hkdf_expand(name: str, prk: bytes, info: bytes, length: int) -> bytes:
    with _provider(f"HKDF-{name}"):
        return _hkdf.HKDFExpand(_algorithm(name), length, info).derive(prk)


def pbkdf2(name: str, password: bytes, salt: bytes, iterations: int, length: int) -> bytes:
    """PBKDF2-HMAC. The FIPS provider itself refuses salts under 128 bits, fewer than 1000 iterations
    and keys under 112 bits (its SP 800-132 lower-bound checks): that surfaces as AlgorithmUnavailable."""
    with _provider(f"PBKDF2-HMAC-{name} with these parameters"):
        return _pbkdf2.PBKDF2HMAC(_algorithm(name), length, salt, iterations).derive(password)


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
    with _provider(f"KBKDF with {prf}"):
        if prf == "cmac-aes":
            return _kbkdf.KBKDFCMAC(
                algorithms.AES, mode, length, counter_bytes, None, where, None, None, fixed
            ).derive(key)
        return _kbkdf.KBKDFHMAC(
            _algorithm(prf), mode, length, counter_bytes, None, where, None, None, fixed
        ).derive(key)


def aes_ctr_keystream(key: bytes, counter_block: bytes, length: int) -> bytes:
    """``length`` bytes of AES-CTR keystream from the 128-bit initial counter block (AES-CM, RFC 3711)."""
    encryptor = Cipher(algorithms.AES(key), modes.CTR(counter_block)).encryptor()
    return encryptor.update(bytes(length)) + encryptor.finalize()
