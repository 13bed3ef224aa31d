"""AES-GCM, AES-CCM and AES key wrap primitives (cryptography, on the FIPS provider)."""

from __future__ import annotations

from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import keywrap
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM

from ..errors import AuthenticationError

__all__ = [
    "GCM_NONCE_SIZES",
    "InvalidTag",
    "aes_cbc_contexts",
    "aes_ccm",
    "aes_ccm_open",
    "aes_ccm_open_with",
    "aes_ccm_seal",
    "aes_ecb_encryptor",
    "aes_gcm",
    "aes_gcm_open",
    "aes_gcm_seal",
    "aes_kw_unwrap",
    "aes_kw_wrap",
    "aes_kwp_unwrap",
    "aes_kwp_wrap",
    "gmac",
]


# The nonce lengths (bytes) cryptography's GCM (AESGCM.decrypt, modes.GCM) accepts.
GCM_NONCE_SIZES = (8, 128)


def aes_gcm(key: bytes) -> AESGCM:
    """A reusable AES-GCM object for one key (per-stream state for protocol fast paths)."""
    return AESGCM(key)


def aes_gcm_seal(key: bytes, nonce: bytes, data: bytes, aad: bytes | None) -> bytes:
    return AESGCM(key).encrypt(nonce, data, aad)


def aes_gcm_open(key: bytes, nonce: bytes, data: bytes, aad: bytes | None) -> bytes:
    try:
        return AESGCM(key).decrypt(nonce, data, aad)
    except InvalidTag:
        raise AuthenticationError("AES-GCM tag verification failed") from None


def gmac(key: bytes, nonce: bytes, aad: bytes) -> bytes:
    """GMAC (SP 800-38D): GCM with empty plaintext; the tag authenticates ``aad``."""
    encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    encryptor.finalize()
    return encryptor.tag


def aes_ccm(key: bytes, tag_length: int) -> AESCCM:
    """A reusable AES-CCM object for one key and tag length."""
    return AESCCM(key, tag_length)


def aes_ccm_seal(key: bytes, nonce: bytes, data: bytes, aad: bytes | None, tag_length: int) -> bytes:
    return AESCCM(key, tag_length).encrypt(nonce, data, aad)


def aes_ccm_open(key: bytes, nonce: bytes, data: bytes, aad: bytes | None, tag_length: int) -> bytes:
    return aes_ccm_open_with(AESCCM(key, tag_length), nonce, data, aad)


def aes_ccm_open_with(ccm: AESCCM, nonce: bytes, data: bytes, aad: bytes | None) -> bytes:
    try:
        return ccm.decrypt(nonce, data, aad)
    except InvalidTag:
        raise AuthenticationError("AES-CCM tag verification failed") from None


def aes_kw_wrap(kek: bytes, key: bytes) -> bytes:
    return keywrap.aes_key_wrap(kek, key)


def aes_kw_unwrap(kek: bytes, wrapped: bytes) -> bytes:
    try:
        return keywrap.aes_key_unwrap(kek, wrapped)
    except keywrap.InvalidUnwrap:
        raise AuthenticationError("AES-KW integrity check failed") from None


def aes_kwp_wrap(kek: bytes, key: bytes) -> bytes:
    return keywrap.aes_key_wrap_with_padding(kek, key)


def aes_kwp_unwrap(kek: bytes, wrapped: bytes) -> bytes:
    try:
        return keywrap.aes_key_unwrap_with_padding(kek, wrapped)
    except keywrap.InvalidUnwrap:
        raise AuthenticationError("AES-KWP integrity check failed") from None


def aes_ecb_encryptor(key: bytes) -> CipherContext:
    """A held AES block-encryption context: counter-mode protocols (AES-CM, RFC 3711 §4.1.1) encrypt
    their counter blocks with it, one ``update`` per packet, instead of a new CTR context per packet."""
    return Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305  # the CTR block function


def aes_cbc_contexts(key: bytes) -> tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]:
    """The ``update`` of a held AES-CBC encryptor and decryptor (zero IV), fed whole blocks only: ESP
    (RFC 3602) chains each packet on the last block of the one before (see ipsec.transforms.CbcHmac)."""
    zero = bytes(16)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(zero)).encryptor()
    decryptor = Cipher(algorithms.AES(key), modes.CBC(zero)).decryptor()
    return encryptor.update, decryptor.update
