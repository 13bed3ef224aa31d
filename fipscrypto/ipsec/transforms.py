"""The ESP transforms under one key, holding their cipher state (RFC 4106, RFC 4543, RFC 3602, RFC 4868).

Each is built once per SA and reused for every packet; nothing here checks arguments, asks the
policy or marks the indicator: :class:`~fipscrypto.ipsec.esp.SecurityAssociation` does, around these
calls, and the self-tests run the same code on known answers. ``head`` is the ESP header (SPI ||
low 32 bits of the sequence number), ``high`` the high 32 bits with extended sequence numbers (ESN)
or empty. ``iv(nonce)`` is the packet's IV, ``nonce`` being its 64-bit sequence number as
:attr:`iv_size` octets (unique per packet under the key); ``seal`` gives what follows the ESP
header: IV || encrypted payload || ICV (RFC 4303 §2), after ``prefix`` (the IP and ESP headers,
joined in the same copy); ``open`` takes the same and gives the payload with its trailer, or raises
AuthenticationError.
"""

from __future__ import annotations

from hmac import compare_digest
from typing import NamedTuple

from .._backend import ciphers as _ciphers
from .._backend import hashes as _hashes
from ..errors import AuthenticationError

__all__ = ["ALGORITHMS", "Algorithm", "CbcHmac", "Gcm", "Gmac", "KeyedTransform", "transform"]

Buffer = bytes | memoryview  # what ``open`` takes: the packet's bytes, or a view of them (no copy)


class Algorithm(NamedTuple):
    """An ESP transform set: the policy's names for its encryption and integrity transforms (IKEv2
    IANA names), the AES key size, the integrity hash, and the sizes of its fields."""

    encryption: str  # the esp-transform rule of the encryption transform
    integrity: str  # the esp-transform rule of the integrity transform
    bits: int  # the AES key
    digest: str | None  # HMAC's hash (RFC 4868), None for the combined modes
    key_length: int  # the keying material: AES key || salt (RFC 4106 §8.1) or AES key || HMAC key
    iv_size: int
    icv_size: int
    align: int  # the encrypted part ends on a multiple of this (RFC 4303 §2.4)


def _gcm(encryption: str, bits: int) -> Algorithm:
    # RFC 4106 §8.1 (and RFC 4543 §7): "KEYMAT requested for each AES-GCM key is N + 4 octets ... the
    # remaining four octets are used as the salt value"; §3.1: an 8-octet IV; a 16-octet ICV.
    return Algorithm(encryption, "AUTH_NONE", bits, None, bits // 8 + 4, 8, 16, 4)


def _cbc(bits: int, digest: str, mac_bits: int) -> Algorithm:
    # RFC 3602 §2: a 16-octet IV, the ciphertext a multiple of the block size; RFC 4868 §2.1.1: the
    # HMAC key is as long as the hash's output, the ICV its left half (§2.3).
    return Algorithm(
        "ENCR_AES_CBC", f"AUTH_HMAC_SHA2_{mac_bits}_{mac_bits // 2}", bits, digest,
        bits // 8 + mac_bits // 8, 16, mac_bits // 16, 16,
    )  # fmt: skip


ALGORITHMS = {
    "aes-128-gcm-16": _gcm("ENCR_AES_GCM_16", 128),
    "aes-256-gcm-16": _gcm("ENCR_AES_GCM_16", 256),
    "aes-128-gmac": _gcm("ENCR_NULL_AUTH_AES_GMAC", 128),
    "aes-256-gmac": _gcm("ENCR_NULL_AUTH_AES_GMAC", 256),
    **{
        f"aes-{bits}-cbc-hmac-sha2-{mac}-{mac // 2}": _cbc(bits, f"sha{mac}", mac)
        for mac in (256, 384, 512)
        for bits in (128, 256)
    },
}


def _aad(head: bytes, high: bytes) -> bytes:
    # RFC 4106 §5: AAD = SPI || 32-bit sequence number, or SPI || 64-bit ESN (high-order bits first).
    return head[:4] + high + head[4:] if high else head


class Gcm:
    """AES-GCM with a 16-octet ICV in ESP (RFC 4106)."""

    # The held AES-GCM calls and the salt, public for the SA's fast path (esp.SecurityAssociation).
    __slots__ = ("decrypt", "encrypt", "salt")
    iv_size, icv_size = 8, 16

    def __init__(self, key: bytes) -> None:
        gcm = _ciphers.aes_gcm(key[:-4])
        self.encrypt, self.decrypt = gcm.encrypt, gcm.decrypt
        self.salt = key[-4:]  # RFC 4106 §4: nonce = salt (4 octets) || IV (8 octets)

    @staticmethod
    def iv(nonce: bytes) -> bytes:
        # RFC 4106 §3.1: "The IV MUST be chosen by the encryptor in a manner that ensures that the same
        # IV value is used only once for a given key ... a counter", here the sequence number.
        return nonce

    def seal(self, head: bytes, high: bytes, iv: bytes, plain: bytes, prefix: bytes = b"") -> bytes:
        # RFC 4106 §3: the ICV is the GCM tag, appended to the ciphertext.
        return prefix + iv + self.encrypt(self.salt + iv, plain, head[:4] + high + head[4:] if high else head)

    def open(self, head: bytes, high: bytes, body: Buffer) -> bytes:
        try:
            plain: bytes = self.decrypt(self.salt + body[:8], body[8:], _aad(head, high))
        except _ciphers.InvalidTag:
            raise AuthenticationError("ESP AES-GCM ICV mismatch (RFC 4106 §3)") from None
        return plain


class Gmac(Gcm):
    """ENCR_NULL_AUTH_AES_GMAC: integrity only, the payload in the clear (RFC 4543 §3)."""

    __slots__ = ()

    def seal(self, head: bytes, high: bytes, iv: bytes, plain: bytes, prefix: bytes = b"") -> bytes:
        # RFC 4543 §3.3 (Figure 2): AAD = SPI || sequence number (or ESN) || IV || payload, padding,
        # pad length and next header; the GCM plaintext is empty and the ICV is the tag.
        tag = self.encrypt(self.salt + iv, b"", b"".join((_aad(head, high), iv, plain)))
        return b"".join((prefix, iv, plain, tag))

    def open(self, head: bytes, high: bytes, body: Buffer) -> bytes:
        end = len(body) - 16
        try:
            self.decrypt(self.salt + body[:8], body[end:], _aad(head, high) + body[:end])
        except _ciphers.InvalidTag:
            raise AuthenticationError("ESP AES-GMAC ICV mismatch (RFC 4543 §3)") from None
        return bytes(body[8:end])


class CbcHmac:
    """AES-CBC (RFC 3602) with HMAC-SHA-256-128, -384-192 or -512-256 (RFC 4868), encrypt-then-MAC.

    The IV is E_K(sequence number): RFC 3602 §3 wants it unpredictable, and SP 800-38A Appendix C
    makes one by applying "the forward cipher function, under the same key that is used for the
    encryption of the plaintext, to a nonce" unique to each message. The CBC contexts are held, never
    made per packet: CBC chains each block on the previous ciphertext block, so the running encryptor
    fed P1 XOR IV XOR (its last output block) first outputs E_K(P1 XOR IV), the first block under
    this IV, and chains on from there; the running decryptor fed IV || ciphertext gives a first block
    to drop and then the plaintext (CBC decryption chains on the ciphertext it is given).
    """

    __slots__ = ("_blocks", "_decrypt", "_encrypt", "_mac", "_previous", "icv_size")
    iv_size = 16

    def __init__(self, key: bytes, bits: int, digest: str, icv_size: int) -> None:
        cut = bits // 8  # RFC 7296 §2.17: the encryption key first, then the integrity key
        self._blocks = _ciphers.aes_ecb_encryptor(key[:cut]).update
        self._encrypt, self._decrypt = _ciphers.aes_cbc_contexts(key[:cut])
        self._previous = 0  # the last block the encryptor output (its own IV at first: zeros)
        self._mac = _hashes.hmac_object(digest, key[cut:])
        self.icv_size = icv_size

    def iv(self, nonce: bytes) -> bytes:
        return self._blocks(nonce)

    def icv(self, head: bytes, signed: Buffer, high: bytes) -> bytes:
        # RFC 4303 §3.3.2: the ICV covers the SPI, sequence number, IV and ciphertext; §2.2.1: with ESN
        # "the high-order 32 bits ... are appended after the Next Header field for purposes of this
        # computation" (after the ciphertext); RFC 4868 §2.3: the output truncated to its left half.
        mac = self._mac.copy()
        mac.update(head)
        mac.update(signed)
        mac.update(high)
        return mac.finalize()[: self.icv_size]

    def seal(self, head: bytes, high: bytes, iv: bytes, plain: bytes, prefix: bytes = b"") -> bytes:
        # RFC 3602 §2.4: the plaintext is a whole number of blocks (the padding sees to it).
        first = int.from_bytes(plain[:16], "big") ^ int.from_bytes(iv, "big") ^ self._previous
        encrypted = self._encrypt(first.to_bytes(16, "big") + plain[16:])
        self._previous = int.from_bytes(encrypted[-16:], "big")
        body = iv + encrypted
        return b"".join((prefix, body, self.icv(head, body, high)))

    def open(self, head: bytes, high: bytes, body: Buffer) -> bytes:
        end = len(body) - self.icv_size
        signed = body[:end]
        if not compare_digest(self.icv(head, signed, high), body[end:]):
            raise AuthenticationError("ESP HMAC ICV mismatch (RFC 4303 §3.4.4)")
        plain: bytes = self._decrypt(signed)[16:]
        return plain


KeyedTransform = Gcm | CbcHmac  # Gmac is a Gcm


def transform(algorithm: Algorithm, key: bytes) -> KeyedTransform:
    """The transform of ``algorithm`` under ``key`` (its keying material, of its length)."""
    if algorithm.digest is not None:
        return CbcHmac(key, algorithm.bits, algorithm.digest, algorithm.icv_size)
    return Gmac(key) if algorithm.encryption == "ENCR_NULL_AUTH_AES_GMAC" else Gcm(key)
