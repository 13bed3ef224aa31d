"""The IKEv2 key derivations of RFC 7296 §2.13-2.18 (SP 800-135 r1 §4.1.2)."""

from __future__ import annotations

from dataclasses import dataclass

from .._backend import kdf as _kdf
from .._params import integer, optional_bytes
from .._service import record
from ..errors import InvalidParameter
from ._common import byte_string, digest_length, positive, require_kdf, secret
from ._core import prf_plus

__all__ = [
    "IKEV2_HASHES",
    "IkeSaKeys",
    "ikev2_child_keymat",
    "ikev2_derive_sk",
    "ikev2_prf",
    "ikev2_prf_plus",
    "ikev2_rekey_skeyseed",
    "ikev2_skeyseed",
]

# ------------------------------------------------------------------------------------------ IKEv2

# Hashes IKEv2's PRF is defined with (wider requests are refused as invalid parameters).
IKEV2_HASHES = ("sha1", "sha224", "sha256", "sha384", "sha512")  # SP 800-135 r1 §4.1


def _ikev2_hash(digest: str) -> int:
    return digest_length(digest, IKEV2_HASHES, " for the IKEv2 PRF (SP 800-135 r1 §4.1)")


def _ikev2_common(digest: str, key: object) -> bytes:
    _ikev2_hash(digest)
    return secret("the IKEv2 prf key", key)


def _output(digest: str, length: object) -> int:
    """A prf+ output length."""
    return positive(
        "length", length, 255 * _ikev2_hash(digest), "RFC 7296 §2.13: prf+ stops at 255 prf outputs"
    )


def ikev2_prf(key: bytes, data: bytes, *, digest: str = "sha256") -> bytes:
    """The IKEv2 prf with HMAC-``digest`` (RFC 7296 §2.13; RFC 4868 for SHA-2)."""
    key, data = _ikev2_common(digest, key), byte_string("data", data)
    approved = require_kdf("kdf.ikev2", "ikev2-kdf", digest, key)
    out = _kdf.hmac(digest, key, data)
    record("kdf.ikev2", f"ikev2-kdf-{digest}", approved)
    return out


def ikev2_prf_plus(key: bytes, seed: bytes, *, length: int, digest: str = "sha256") -> bytes:
    """prf+(K, S) (RFC 7296 §2.13), at most 255 prf outputs."""
    key, seed, length = _ikev2_common(digest, key), byte_string("seed", seed), _output(digest, length)
    approved = require_kdf("kdf.ikev2", "ikev2-kdf", digest, key)
    out = prf_plus(digest, key, seed, length)
    record("kdf.ikev2", f"ikev2-kdf-{digest}", approved)
    return out


def _nonces(ni: object, nr: object) -> bytes:
    """Ni | Nr."""
    # RFC 7296 §2.10 asks for 16..256-octet nonces; checking received nonces is the IKE layer's job
    # (ACVP tests this KDF with 64-bit nonces), so only empty or oversized ones are refused here.
    ni, nr = byte_string("ni", ni), byte_string("nr", nr)
    if not 1 <= len(ni) <= 256 or not 1 <= len(nr) <= 256:
        raise InvalidParameter("the IKEv2 nonces Ni and Nr are 1..256 bytes (RFC 7296 §2.10: 16..256)")
    return ni + nr


def ikev2_skeyseed(ni: bytes, nr: bytes, shared_secret: bytes, *, digest: str = "sha256") -> bytes:
    """SKEYSEED = prf(Ni | Nr, g^ir) (RFC 7296 §2.14; SP 800-135 r1 §4.1.2).

    The policy sees the size of g^ir, the secret the SKEYSEED is derived from (the nonces are public)."""
    nonces = _ikev2_common(digest, _nonces(ni, nr))
    shared_secret = secret("the shared secret g^ir", shared_secret)
    approved = require_kdf("kdf.ikev2", "ikev2-kdf", digest, shared_secret)
    out = _kdf.hmac(digest, nonces, shared_secret)
    record("kdf.ikev2", f"ikev2-kdf-{digest}", approved)
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
    digest: str = "sha256",
) -> IkeSaKeys:
    """{SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).

    RFC 7296 §2.14. SK_d, SK_pi and SK_pr have the prf's preferred key length (the HMAC output
    length, RFC 4868 §2.1.1); the encryption key length includes any salt (e.g. 4 bytes for GCM).
    """
    nonces = _nonces(ni, nr)
    prf_len = _ikev2_hash(digest)
    spi_i, spi_r = byte_string("spi_i", spi_i), byte_string("spi_r", spi_r)
    if len(spi_i) != 8 or len(spi_r) != 8:
        raise InvalidParameter("IKE SA SPIs are 8 bytes (RFC 7296 §3.1)")
    e_len = integer("encryption_key_length", encryption_key_length, 1, 64)
    i_len = integer("integrity_key_length", integrity_key_length, 0, 64)
    sizes = (prf_len, i_len, i_len, e_len, e_len, prf_len, prf_len)
    skeyseed = _ikev2_common(digest, skeyseed)
    approved = require_kdf("kdf.ikev2", "ikev2-kdf", digest, skeyseed)
    stream = prf_plus(digest, skeyseed, nonces + spi_i + spi_r, sum(sizes))
    parts: list[bytes] = []
    offset = 0
    for size in sizes:
        parts.append(stream[offset : offset + size])
        offset += size
    record("kdf.ikev2", f"ikev2-kdf-{digest}", approved)
    return IkeSaKeys(*parts)


def ikev2_child_keymat(
    sk_d: bytes,
    ni: bytes,
    nr: bytes,
    *,
    length: int,
    shared_secret: bytes | None = None,
    digest: str = "sha256",
) -> bytes:
    """KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) for a Child SA (RFC 7296 §2.17)."""
    nonces = _nonces(ni, nr)
    sk_d, length = _ikev2_common(digest, sk_d), _output(digest, length)
    shared_secret = optional_bytes("shared_secret", shared_secret)
    if shared_secret == b"":
        raise InvalidParameter("an empty shared secret: pass None when the CREATE_CHILD_SA has no KE")
    approved = require_kdf("kdf.ikev2", "ikev2-kdf", digest, sk_d)
    out = prf_plus(digest, sk_d, (shared_secret or b"") + nonces, length)
    record("kdf.ikev2", f"ikev2-kdf-{digest}", approved)
    return out


def ikev2_rekey_skeyseed(
    sk_d: bytes, shared_secret: bytes, ni: bytes, nr: bytes, *, digest: str = "sha256"
) -> bytes:
    """SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) when rekeying an IKE SA (RFC 7296 §2.18)."""
    nonces = _nonces(ni, nr)
    sk_d = _ikev2_common(digest, sk_d)
    shared_secret = secret("the new shared secret g^ir", shared_secret)
    approved = require_kdf("kdf.ikev2", "ikev2-kdf", digest, sk_d)
    out = _kdf.hmac(digest, sk_d, shared_secret + nonces)
    record("kdf.ikev2", f"ikev2-kdf-{digest}", approved)
    return out
