"""The IKEv2 key derivations of RFC 7296 §2.13-2.18 (SP 800-135 r1 §4.1.2)."""

from __future__ import annotations

from dataclasses import dataclass

from .._backend import kdf as _kdf
from .._service import record
from ..errors import InvalidParameter
from ._common import (
    authorize_kdf,
    digest_length,
    positive,
)

# ------------------------------------------------------------------------------------------ IKEv2

# Hashes IKEv2's PRF is defined with (wider requests are refused as invalid parameters).
IKEV2_HASHES = ("sha1", "sha224", "sha256", "sha384", "sha512")  # SP 800-135 r1 §4.1


def _ikev2_hash(hash: str) -> int:
    return digest_length(hash, IKEV2_HASHES, " for the IKEv2 PRF (SP 800-135 r1 §4.1)")


def _prf_plus(hash: str, key: bytes, seed: bytes, length: int) -> bytes:
    # RFC 7296 §2.13: prf+ (K,S) = T1 | T2 | T3 | T4 | ...  where T1 = prf (K, S | 0x01),
    # T2 = prf (K, T1 | S | 0x02), ...; "not defined beyond 255 times the size of the prf output"
    mac = _kdf.hmac_keyed(hash, key)
    out = bytearray()
    t = b""
    for n in range(1, 256):
        if len(out) >= length:
            break
        t = mac(t + seed + bytes([n]))
        out += t
    return bytes(out[:length])


def _ikev2_common(hash: str, key: bytes, length: int | None = None) -> None:
    hash_len = _ikev2_hash(hash)
    if not key:
        raise InvalidParameter("the IKEv2 prf key must not be empty")
    if length is not None:
        positive("length", length, 255 * hash_len, "RFC 7296 §2.13: prf+ stops at 255 prf outputs")


def ikev2_prf(key: bytes, data: bytes, *, hash: str = "sha256") -> bytes:
    """The IKEv2 prf with HMAC-``hash`` (RFC 7296 §2.13; RFC 4868 for SHA-2)."""
    _ikev2_common(hash, key)
    approved = authorize_kdf("kdf.ikev2", "ikev2-kdf", hash)
    out = _kdf.hmac(hash, key, data)
    record("kdf.ikev2", f"ikev2-kdf-{hash}", approved)
    return out


def ikev2_prf_plus(key: bytes, seed: bytes, length: int, *, hash: str = "sha256") -> bytes:
    """prf+(K, S) (RFC 7296 §2.13), at most 255 prf outputs."""
    _ikev2_common(hash, key, length)
    approved = authorize_kdf("kdf.ikev2", "ikev2-kdf", hash)
    out = _prf_plus(hash, key, seed, length)
    record("kdf.ikev2", f"ikev2-kdf-{hash}", approved)
    return out


def _nonces(ni: bytes, nr: bytes) -> None:
    # RFC 7296 §2.10 asks for 16..256-octet nonces; checking received nonces is the IKE layer's job
    # (ACVP tests this KDF with 64-bit nonces), so only empty or oversized ones are refused here.
    if not 1 <= len(ni) <= 256 or not 1 <= len(nr) <= 256:
        raise InvalidParameter("the IKEv2 nonces Ni and Nr are 1..256 bytes (RFC 7296 §2.10: 16..256)")


def ikev2_skeyseed(ni: bytes, nr: bytes, shared_secret: bytes, *, hash: str = "sha256") -> bytes:
    """SKEYSEED = prf(Ni | Nr, g^ir) (RFC 7296 §2.14; SP 800-135 r1 §4.1.2)."""
    _nonces(ni, nr)
    _ikev2_common(hash, ni + nr)
    if not shared_secret:
        raise InvalidParameter("the shared secret g^ir must not be empty")
    approved = authorize_kdf("kdf.ikev2", "ikev2-kdf", hash)
    out = _kdf.hmac(hash, ni + nr, shared_secret)
    record("kdf.ikev2", f"ikev2-kdf-{hash}", approved)
    return out


@dataclass(frozen=True, slots=True, repr=False)
class IkeSaKeys:
    """The IKE SA keys of RFC 7296 §2.14 (integrity keys are empty with AEAD). No key material in repr."""

    sk_d: bytes
    sk_ai: bytes
    sk_ar: bytes
    sk_ei: bytes
    sk_er: bytes
    sk_pi: bytes
    sk_pr: bytes

    def __repr__(self) -> str:
        return f"IkeSaKeys(<SK_e {len(self.sk_ei)} bytes, SK_a {len(self.sk_ai)} bytes>)"


def ikev2_derive_sk(
    skeyseed: bytes,
    ni: bytes,
    nr: bytes,
    spi_i: bytes,
    spi_r: bytes,
    *,
    encryption_key_length: int,
    integrity_key_length: int,
    hash: str = "sha256",
) -> IkeSaKeys:
    """{SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).

    RFC 7296 §2.14. SK_d, SK_pi and SK_pr have the prf's preferred key length (the HMAC output
    length, RFC 4868 §2.1.1); the encryption key length includes any salt (e.g. 4 bytes for GCM).
    """
    _nonces(ni, nr)
    prf_len = _ikev2_hash(hash)
    if len(spi_i) != 8 or len(spi_r) != 8:
        raise InvalidParameter("IKE SA SPIs are 8 bytes (RFC 7296 §3.1)")
    if not 1 <= encryption_key_length <= 64 or not 0 <= integrity_key_length <= 64:
        raise InvalidParameter("encryption keys are 1..64 bytes and integrity keys 0..64 bytes")
    i_len, e_len = integrity_key_length, encryption_key_length
    sizes = (prf_len, i_len, i_len, e_len, e_len, prf_len, prf_len)
    _ikev2_common(hash, skeyseed, sum(sizes))
    approved = authorize_kdf("kdf.ikev2", "ikev2-kdf", hash)
    stream = _prf_plus(hash, skeyseed, ni + nr + spi_i + spi_r, sum(sizes))
    parts: list[bytes] = []
    offset = 0
    for size in sizes:
        parts.append(stream[offset : offset + size])
        offset += size
    record("kdf.ikev2", f"ikev2-kdf-{hash}", approved)
    return IkeSaKeys(*parts)


def ikev2_child_keymat(
    sk_d: bytes,
    ni: bytes,
    nr: bytes,
    length: int,
    *,
    shared_secret: bytes | None = None,
    hash: str = "sha256",
) -> bytes:
    """KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) for a Child SA (RFC 7296 §2.17)."""
    _nonces(ni, nr)
    _ikev2_common(hash, sk_d, length)
    if shared_secret == b"":
        raise InvalidParameter("an empty shared secret: pass None when the CREATE_CHILD_SA has no KE")
    approved = authorize_kdf("kdf.ikev2", "ikev2-kdf", hash)
    out = _prf_plus(hash, sk_d, (shared_secret or b"") + ni + nr, length)
    record("kdf.ikev2", f"ikev2-kdf-{hash}", approved)
    return out


def ikev2_rekey_skeyseed(
    sk_d: bytes, shared_secret: bytes, ni: bytes, nr: bytes, *, hash: str = "sha256"
) -> bytes:
    """SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) when rekeying an IKE SA (RFC 7296 §2.18)."""
    _nonces(ni, nr)
    _ikev2_common(hash, sk_d)
    if not shared_secret:
        raise InvalidParameter("the new shared secret g^ir must not be empty")
    approved = authorize_kdf("kdf.ikev2", "ikev2-kdf", hash)
    out = _kdf.hmac(hash, sk_d, shared_secret + ni + nr)
    record("kdf.ikev2", f"ikev2-kdf-{hash}", approved)
    return out
