"""Primitives the asymmetric known-answer self-tests need beyond :mod:`._backend.keys`.

A vector file gives an ECDSA signature as integers (r, s) and an RSA key as its numbers; these
functions turn them into what cryptography takes. Everything else the self-tests use (EC, DH, EdDSA
and ML-DSA keys, sign, verify with the signer's PSS salt length, exchange) is :mod:`._backend.keys`,
reused as it is.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import rsa, utils

from .keys import PrivateKey

__all__ = ["ecdsa_signature", "rsa_private"]


def ecdsa_signature(r: int, s: int) -> bytes:
    """Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3), DER: what verify takes."""
    return utils.encode_dss_signature(r, s)


def rsa_private(n: int, e: int, d: int, p: int, q: int) -> PrivateKey:
    """The RSA key of known numbers; the CRT values (d mod p-1, d mod q-1, q^-1 mod p) are computed.

    The provider's full key check (primality of p and q, about 60 ms for 2048 bits) is skipped: the
    numbers come from a vector file, and the known-answer test that uses the key proves it.
    """
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=rsa.rsa_crt_dmp1(d, p),
        dmq1=rsa.rsa_crt_dmq1(d, q),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(e, n),
    )
    return numbers.private_key(unsafe_skip_rsa_key_validation=True)
