"""Asymmetric keys through cryptography: generation, signatures, key agreement, encodings.

Only primitives live here; the rules (policy, pairwise-consistency tests, public-key validation,
audit) are in :mod:`fipscrypto.keys`. Keys are cryptography objects here and never leave the
``fipscrypto.keys`` wrappers.

Finite-field Diffie-Hellman: cryptography 50 deprecates it ("support will be removed in a future
release") and warns when the ``dh`` module's names are read. IKEv2 group 16 and DHE suites need it,
so fipscrypto uses it anyway (ARCHITECTURE.md §3) and reads those names once, here, with the warning
silenced; a cryptography release without FFDH makes this module fail at import, visibly.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Literal

from cryptography import exceptions as _exceptions
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import (
    dh,
    ec,
    ed448,
    ed25519,
    mldsa,
    padding,
    rsa,
    utils,
    x25519,
)
from cryptography.utils import CryptographyDeprecationWarning

from ..provider.context import FipsContext, ProviderKey

__all__ = [
    "CURVES",
    "FFDH_PRIMES",
    "HASHES",
    "MLDSA",
    "PrivateKey",
    "PublicKey",
    "SignOptions",
    "Unsupported",
    "cdh",
    "cdh_keypair",
    "cdh_private",
    "cdh_public",
    "dh_exchange",
    "dh_numbers",
    "dh_private",
    "dh_public",
    "ec_exchange",
    "ec_from_encoded",
    "ec_numbers",
    "ec_private",
    "ec_public",
    "generate",
    "load_private",
    "load_public",
    "mldsa_from_seed",
    "oaep_decrypt",
    "oaep_encrypt",
    "p1363_from_der",
    "p1363_to_der",
    "pairwise",
    "private_bytes",
    "private_scalar",
    "public_bytes",
    "public_key",
    "raw_private",
    "raw_public",
    "rsa_numbers",
    "rsa_public",
    "sign",
    "verify",
    "x25519_exchange",
    "x25519_public",
]

# FFDH is deprecated in cryptography 50 (see the module docstring). The warning is silenced for calls
# made from this module only (loading a DH key warns too): a filter, not catch_warnings(), which is not
# thread-safe. The names are read once, here.
warnings.filterwarnings(
    "ignore",
    message=r"Diffie-Hellman over finite fields \(FFDH\) is deprecated",
    category=CryptographyDeprecationWarning,
    module=r"fipscrypto\._backend\.keys\Z",
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    _DHParameterNumbers = dh.DHParameterNumbers
    _DHPublicNumbers = dh.DHPublicNumbers
    _DHPrivateNumbers = dh.DHPrivateNumbers
_DHPrivateKey = dh._DHPrivateKey  # cryptography's alias that does not warn
_DHPublicKey = dh._DHPublicKey

PrivateKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
    | mldsa.MLDSA44PrivateKey
    | mldsa.MLDSA65PrivateKey
    | mldsa.MLDSA87PrivateKey
    | dh._DHPrivateKey
)
PublicKey = (
    rsa.RSAPublicKey
    | ec.EllipticCurvePublicKey
    | ed25519.Ed25519PublicKey
    | ed448.Ed448PublicKey
    | mldsa.MLDSA44PublicKey
    | mldsa.MLDSA65PublicKey
    | mldsa.MLDSA87PublicKey
    | dh._DHPublicKey
)

# Curve names as fipscrypto spells them (the suffix of "ecdsa-p256" / "ecdh-p256").
CURVES: dict[str, type[ec.EllipticCurve]] = {
    "p224": ec.SECP224R1,
    "p256": ec.SECP256R1,
    "p384": ec.SECP384R1,
    "p521": ec.SECP521R1,
    "secp256k1": ec.SECP256K1,
}
_CURVE_NAMES = {cls().name: name for name, cls in CURVES.items()}  # "secp256r1" -> "p256"

MLDSA: dict[str, type[mldsa.MLDSA44PrivateKey | mldsa.MLDSA65PrivateKey | mldsa.MLDSA87PrivateKey]] = {
    "ml-dsa-44": mldsa.MLDSA44PrivateKey,
    "ml-dsa-65": mldsa.MLDSA65PrivateKey,
    "ml-dsa-87": mldsa.MLDSA87PrivateKey,
}

# The hashes cryptography offers for RSA and ECDSA signatures and RSA-OAEP: what the backend can do,
# not what is allowed (the policy decides that). SHAKE output lengths for ECDSA: FIPS 186-5 §6.4 uses
# SHAKE128 with 256 output bits and SHAKE256 with 512 output bits.
HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha1": hashes.SHA1(),  # noqa: S303  # the policy rules on SHA-1 (signature/sha1-signature, hash/sha1)
    "sha224": hashes.SHA224(),
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
    "sha512-224": hashes.SHA512_224(),
    "sha512-256": hashes.SHA512_256(),
    "sha3-224": hashes.SHA3_224(),
    "sha3-256": hashes.SHA3_256(),
    "sha3-384": hashes.SHA3_384(),
    "sha3-512": hashes.SHA3_512(),
    "shake128": hashes.SHAKE128(32),
    "shake256": hashes.SHAKE256(64),
}
_XOF = ("shake128", "shake256")

#: What cryptography raises where the provider does not offer an algorithm, a parameter or a key
#: type (UnsupportedAlgorithm; InternalError when the provider's fetch fails, e.g. X25519 in FIPS mode).
Unsupported = (_exceptions.UnsupportedAlgorithm, _exceptions.InternalError)

_PEM = serialization.Encoding.PEM
_DER = serialization.Encoding.DER
_RAW = serialization.Encoding.Raw


def generate(
    kind: str,
    *,
    bits: int = 0,
    curve: str = "",
    group: tuple[int, int, int] = (0, 0, 0),
    group_name: str | None = None,
    inside: FipsContext | None = None,
) -> PrivateKey:
    """A new key pair. ``kind``: rsa, ec, ed25519, ed448, ml-dsa-*, dh.

    RSA, EC and DH pairs are generated by the FIPS provider in the private context ``inside``
    (``EVP_PKEY_keygen``); cryptography would generate them with its libcrypto's low-level functions,
    outside the provider, so it does so only when there is no provider (``inside`` is None: off mode).
    cryptography generates EdDSA and ML-DSA pairs with ``EVP_PKEY_keygen``, inside its provider.
    ``group_name`` names a safe-prime group the provider knows (``modp4096``, ``ffdhe3072``, ...).
    """
    if inside is not None and kind == "rsa":
        # The provider checked its own key (FIPS 186-5 §A.1.3); cryptography's RSA_check_key is skipped.
        der = inside.generate_rsa(bits, 65537)
        return _loaded(serialization.load_der_private_key(der, None, unsafe_skip_rsa_key_validation=True))
    if inside is not None and kind == "ec":
        return _loaded(serialization.load_der_private_key(inside.generate_ec(curve), None))
    if inside is not None and kind == "dh":
        x, y = inside.generate_dh(group_name, *group)
        return dh_private(group, x, y)
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    if kind == "ec":
        return ec.generate_private_key(CURVES[curve]())
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "ed448":
        return ed448.Ed448PrivateKey.generate()
    if kind in MLDSA:
        return MLDSA[kind].generate()
    if kind == "dh":
        p, g, q = group
        return _DHParameterNumbers(p, g, q).parameters().generate_private_key()
    raise ValueError(f"unknown key kind {kind!r}")


def _loaded(key: object) -> PrivateKey:
    if not isinstance(key, PrivateKey):
        raise TypeError(f"{type(key).__name__} keys are not supported")
    return key


def pairwise(
    inside: FipsContext, key: PrivateKey, public: bytes, group: tuple[str | None, tuple[int, int, int]]
) -> bool:
    """The provider's pairwise check (``EVP_PKEY_pairwise_check``) of ``key``'s private value against
    ``public`` (EC: uncompressed point; DH: y big-endian), in the private context ``inside``."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return inside.ec_pairwise(_CURVE_NAMES[key.curve.name], private_scalar(key), public)
    return inside.dh_pairwise(group[0], group[1], private_scalar(key), int.from_bytes(public, "big"))


def mldsa_from_seed(kind: str, seed: bytes) -> PrivateKey:
    """FIPS 204 ML-DSA.KeyGen_internal(xi): the key pair a 32-byte seed determines."""
    return MLDSA[kind].from_seed_bytes(seed)


def public_key(key: PrivateKey) -> PublicKey:
    return key.public_key()


def _digest(name: str, message: bytes) -> bytes:
    h = hashes.Hash(HASHES[name])
    h.update(message)
    return h.finalize()


@dataclasses.dataclass(frozen=True)
class SignOptions:
    """The parameters of one signature beyond the key and the hash.

    ``salt_length``: RSASSA-PSS sLen in bytes, None for the hash length, "auto" (verification only) to
    recover it from the encoded message (RFC 8017 §9.1.2 step 10 finds the 0x01 separator);
    ``mgf1_digest``: the hash of MGF1 (None: the message hash); ``context``: the FIPS 204 ctx string.
    """

    salt_length: int | Literal["auto"] | None = None
    mgf1_digest: str | None = None
    context: bytes | None = None


_NO_OPTIONS = SignOptions()


def _pss(name: str, options: SignOptions) -> padding.PSS:
    algorithm = HASHES[name]
    mgf = padding.MGF1(HASHES[options.mgf1_digest or name])
    salt = options.salt_length
    if salt is None:
        return padding.PSS(mgf=mgf, salt_length=algorithm.digest_size)
    return padding.PSS(mgf=mgf, salt_length=padding.PSS.AUTO if salt == "auto" else salt)


def _rsa_padding(scheme: str, name: str, options: SignOptions) -> padding.AsymmetricPadding:
    return _pss(name, options) if scheme == "rsa-pss" else padding.PKCS1v15()


_MLDSA_PRIVATE = mldsa.MLDSA44PrivateKey | mldsa.MLDSA65PrivateKey | mldsa.MLDSA87PrivateKey
_MLDSA_PUBLIC = mldsa.MLDSA44PublicKey | mldsa.MLDSA65PublicKey | mldsa.MLDSA87PublicKey


def sign(
    key: PrivateKey, scheme: str, message: bytes, hash_name: str | None, options: SignOptions = _NO_OPTIONS
) -> bytes:
    """Sign ``message``; ``scheme`` is rsa-pss, rsa-pkcs1v15, ecdsa (DER signature), eddsa or ml-dsa.

    Raises cryptography's UnsupportedAlgorithm where the provider refuses a hash or parameter.
    """
    if isinstance(key, rsa.RSAPrivateKey) and hash_name is not None:
        return key.sign(message, _rsa_padding(scheme, hash_name, options), HASHES[hash_name])
    if isinstance(key, ec.EllipticCurvePrivateKey) and hash_name is not None:
        if hash_name in _XOF:  # an XOF digest is signed as a prehash of its fixed length
            algorithm = HASHES[hash_name]
            return key.sign(_digest(hash_name, message), ec.ECDSA(utils.Prehashed(algorithm)))
        return key.sign(message, ec.ECDSA(HASHES[hash_name]))
    if isinstance(key, _MLDSA_PRIVATE):
        return key.sign(message, options.context)
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return key.sign(message)
    raise ValueError(f"{type(key).__name__} cannot sign with {scheme} / {hash_name}")


def verify(
    key: PublicKey,
    scheme: str,
    signature: bytes,
    message: bytes,
    hash_name: str | None,
    options: SignOptions = _NO_OPTIONS,
) -> bool:
    """True when the signature verifies; False for any signature that does not (never raises for it)."""
    try:
        if isinstance(key, rsa.RSAPublicKey) and hash_name is not None:
            key.verify(signature, message, _rsa_padding(scheme, hash_name, options), HASHES[hash_name])
        elif isinstance(key, ec.EllipticCurvePublicKey) and hash_name is not None:
            if hash_name in _XOF:
                prehashed = ec.ECDSA(utils.Prehashed(HASHES[hash_name]))
                key.verify(signature, _digest(hash_name, message), prehashed)
            else:
                key.verify(signature, message, ec.ECDSA(HASHES[hash_name]))
        elif isinstance(key, _MLDSA_PUBLIC):
            key.verify(signature, message, options.context)
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, message)
        else:
            raise ValueError(f"{type(key).__name__} cannot verify {scheme} / {hash_name}")
    except _exceptions.InvalidSignature:
        return False
    return True


def p1363_from_der(signature: bytes, size: int) -> bytes:
    """DER Ecdsa-Sig-Value (RFC 3279 §2.2.3) -> IEEE P1363 r || s, each ``size`` bytes big-endian."""
    r, s = utils.decode_dss_signature(signature)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def p1363_to_der(signature: bytes, size: int) -> bytes:
    """IEEE P1363 r || s (2 * ``size`` bytes, as JOSE RFC 7518 §3.4, COSE RFC 9053 §2.1 and WebAuthn
    send it) -> DER Ecdsa-Sig-Value; ValueError for another length."""
    if len(signature) != 2 * size:
        raise ValueError(f"a P1363 signature here is {2 * size} bytes (r || s)")
    return utils.encode_dss_signature(
        int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    )


# --------------------------------------------------------------------------- RSA-OAEP key transport


def _oaep(hash_name: str, mgf1_digest: str | None, label: bytes | None) -> padding.OAEP:
    algorithm = HASHES[hash_name]
    return padding.OAEP(mgf=padding.MGF1(HASHES[mgf1_digest or hash_name]), algorithm=algorithm, label=label)


def oaep_encrypt(
    key: PublicKey, plaintext: bytes, hash_name: str, mgf1_digest: str | None, label: bytes | None
) -> bytes:
    """RSA-OAEP-ENC (SP 800-56B r2 §7.2.2.3); ValueError when the plaintext is too long for the key."""
    if not isinstance(key, rsa.RSAPublicKey):
        raise TypeError("RSA-OAEP needs an RSA public key")
    return key.encrypt(plaintext, _oaep(hash_name, mgf1_digest, label))


def oaep_decrypt(
    key: PrivateKey, ciphertext: bytes, hash_name: str, mgf1_digest: str | None, label: bytes | None
) -> bytes | None:
    """RSA-OAEP-DEC (SP 800-56B r2 §7.2.2.4); None for any ciphertext that does not decrypt (one
    outcome for every failing check, so that no step can be told apart)."""
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("RSA-OAEP needs an RSA private key")
    try:
        return key.decrypt(ciphertext, _oaep(hash_name, mgf1_digest, label))
    except ValueError:
        return None


# ------------------------------------------------------------------------------------ key agreement


def ec_exchange(key: PrivateKey, peer: PublicKey) -> bytes:
    """ECC CDH primitive (SP 800-56A r3 §5.7.1.2): Z = x-coordinate of d * Q, |p| octets."""
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(peer, ec.EllipticCurvePublicKey):
        raise TypeError("ECDH needs an EC private key and an EC public key")
    return key.exchange(ec.ECDH(), peer)


def dh_exchange(key: PrivateKey, peer: PublicKey) -> bytes:
    """FFC DH primitive (SP 800-56A r3 §5.7.1.1): Z = y^x mod p, padded to the length of p."""
    if not isinstance(key, _DHPrivateKey) or not isinstance(peer, _DHPublicKey):
        raise TypeError("FFDH needs a DH private key and a DH public key")
    return key.exchange(peer)


def ec_private(curve: str, d: int) -> PrivateKey:
    """The EC key pair of private scalar ``d`` (Q = d * G computed by the provider)."""
    return ec.derive_private_key(d, CURVES[curve]())


def ec_from_encoded(curve: str, point: bytes) -> PublicKey:
    """An EC public key from a SEC 1 §2.3.4 point, compressed (0x02/0x03 || x) or uncompressed; the
    provider decompresses. ValueError when it is no point of the curve."""
    return ec.EllipticCurvePublicKey.from_encoded_point(CURVES[curve](), point)


def ec_public(curve: str, x: int, y: int) -> PublicKey:
    """An EC public key; raises ValueError when (x, y) is not on the curve."""
    return ec.EllipticCurvePublicNumbers(x, y, CURVES[curve]()).public_key()


def ec_numbers(key: PublicKey) -> tuple[str, int, int]:
    """(curve name, x, y) of an EC public key."""
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise TypeError("not an EC public key")
    numbers = key.public_numbers()
    name = _CURVE_NAMES.get(key.curve.name)
    if name is None:
        raise ValueError(f"curve {key.curve.name} is not supported")
    return name, numbers.x, numbers.y


def private_scalar(key: PrivateKey) -> int:
    """The private value of an EC (d) or DH (x) key: for the pairwise-consistency test only."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.private_numbers().private_value
    if isinstance(key, _DHPrivateKey):
        return key.private_numbers().x
    raise ValueError("not an EC or DH private key")


def dh_private(group: tuple[int, int, int], x: int, y: int) -> PrivateKey:
    p, g, q = group
    params = _DHParameterNumbers(p, g, q)
    return _DHPrivateNumbers(x, _DHPublicNumbers(y, params)).private_key()


def dh_public(group: tuple[int, int, int], y: int) -> PublicKey:
    p, g, q = group
    return _DHPublicNumbers(y, _DHParameterNumbers(p, g, q)).public_key()


def dh_numbers(key: PublicKey) -> tuple[tuple[int, int, int], int]:
    """((p, g, q), y) of a DH public key; q is 0 when the encoding carries none."""
    if not isinstance(key, _DHPublicKey):
        raise TypeError("not a DH public key")
    numbers = key.public_numbers()
    params = numbers.parameter_numbers
    return (params.p, params.g, params.q or 0), numbers.y


def rsa_public(n: int, e: int) -> PublicKey:
    return rsa.RSAPublicNumbers(e, n).public_key()


def rsa_numbers(key: PublicKey) -> tuple[int, int]:
    """(n, e) of an RSA public key."""
    if not isinstance(key, rsa.RSAPublicKey):
        raise TypeError("not an RSA public key")
    numbers = key.public_numbers()
    return numbers.n, numbers.e


# ------------------------------------------------------------------------------------------ encodings


def public_bytes(key: PublicKey, encoding: str) -> bytes:
    """SubjectPublicKeyInfo in PEM or DER."""
    return key.public_bytes(
        _PEM if encoding == "pem" else _DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def private_bytes(key: PrivateKey, encoding: str) -> bytes:
    """Unencrypted PKCS#8 in PEM or DER (callers wrap it with fipscrypto.seal to store it)."""
    return key.private_bytes(
        _PEM if encoding == "pem" else _DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def raw_public(key: PublicKey) -> bytes:
    """Ed25519/Ed448/ML-DSA raw public key; EC uncompressed point (SEC 1 §2.3.3)."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    if isinstance(
        key,
        ed25519.Ed25519PublicKey
        | ed448.Ed448PublicKey
        | mldsa.MLDSA44PublicKey
        | mldsa.MLDSA65PublicKey
        | mldsa.MLDSA87PublicKey,
    ):
        return key.public_bytes_raw()
    raise ValueError(f"{type(key).__name__} has no raw encoding")


def raw_private(key: PrivateKey) -> bytes:
    """Ed25519/Ed448 private key, ML-DSA seed (FIPS 204 xi)."""
    if isinstance(
        key,
        ed25519.Ed25519PrivateKey
        | ed448.Ed448PrivateKey
        | mldsa.MLDSA44PrivateKey
        | mldsa.MLDSA65PrivateKey
        | mldsa.MLDSA87PrivateKey,
    ):
        return key.private_bytes_raw()
    raise ValueError(f"{type(key).__name__} has no raw encoding")


def load_public(data: bytes, *, raw: str | None = None) -> PublicKey:
    """Parse SubjectPublicKeyInfo (PEM or DER), or a raw ed25519/ed448/ml-dsa-* public key."""
    if raw == "ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(data)
    if raw == "ed448":
        return ed448.Ed448PublicKey.from_public_bytes(data)
    if raw == "ml-dsa-44":
        return mldsa.MLDSA44PublicKey.from_public_bytes(data)
    if raw == "ml-dsa-65":
        return mldsa.MLDSA65PublicKey.from_public_bytes(data)
    if raw == "ml-dsa-87":
        return mldsa.MLDSA87PublicKey.from_public_bytes(data)
    if raw is not None:
        raise ValueError(f"no raw public-key encoding for {raw}")
    key = (
        serialization.load_pem_public_key(data)
        if data.lstrip().startswith(b"-----")
        else serialization.load_der_public_key(data)
    )
    if not isinstance(key, PublicKey):
        raise TypeError(f"{type(key).__name__} keys are not supported")
    return key


def load_private(data: bytes, *, raw: str | None = None) -> PrivateKey:
    """Parse unencrypted PKCS#8 (PEM or DER), or a raw ed25519/ed448 private key."""
    if raw == "ed25519":
        return ed25519.Ed25519PrivateKey.from_private_bytes(data)
    if raw == "ed448":
        return ed448.Ed448PrivateKey.from_private_bytes(data)
    if raw is not None:
        raise ValueError(f"no raw private-key encoding for {raw}")
    return _loaded(
        serialization.load_pem_private_key(data, password=None)
        if data.lstrip().startswith(b"-----")
        else serialization.load_der_private_key(data, password=None)
    )


# ------------------------------------------------------------ ECC CDH on raw values, no key objects
# The key is the provider's EVP_PKEY in the private context ``inside`` (``FipsContext.ec_*``), or,
# with no provider (off mode), a cryptography key.


def cdh_keypair(
    inside: FipsContext | None, curve: str, size: int, *, corrupt: bool = False
) -> tuple[object, bytes, bytes] | None:
    """(key, uncompressed point, scalar d in ``size`` bytes) of a new key pair; None when the
    provider's keygen failed its own pairwise-consistency test. ``corrupt``: make the provider's test
    fail (fault injection; the provider then enters its error state)."""
    if inside is None:
        key = ec.generate_private_key(CURVES[curve]())
        return key, raw_public(key.public_key()), private_scalar(key).to_bytes(size, "big")
    if not corrupt:
        return inside.ec_keypair(curve, size)
    with inside.self_tests(corrupt="Conditional_PCT"):
        return inside.ec_keypair(curve, size)


def cdh_private(inside: FipsContext | None, curve: str, scalar: bytes) -> object | None:
    """The key of scalar d (big-endian); None unless 1 <= d <= n - 1."""
    if inside is not None:
        return inside.ec_private(curve, scalar)
    try:
        return ec.derive_private_key(int.from_bytes(scalar, "big"), CURVES[curve]())
    except ValueError:
        return None


def cdh_public(inside: FipsContext | None, curve: str, point: bytes) -> object | None:
    """A peer's public key from its uncompressed point; None when it is not a point of the curve."""
    if inside is not None:
        return inside.ec_public(curve, point)
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(CURVES[curve](), point)
    except ValueError:
        return None


def cdh(key: object, peer: object, size: int) -> bytes | None:
    """ECC CDH primitive (SP 800-56A r3 §5.7.1.2): Z, ``size`` bytes; None when the peer's key fails
    the provider's public-key validation."""
    if isinstance(key, ProviderKey) and isinstance(peer, ProviderKey):
        return key.owner.ec_derive(key, peer, size)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(peer, ec.EllipticCurvePublicKey):
        raise TypeError("ECDH needs two EC keys of the provider or two of cryptography")
    try:
        return key.exchange(ec.ECDH(), peer)
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------- X25519


def x25519_public(private: bytes) -> bytes:
    """X25519(k, 9) (RFC 7748 §5); Unsupported where the provider does not offer X25519."""
    return x25519.X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def x25519_exchange(private: bytes, share: bytes) -> bytes:
    """X25519(k, u); ValueError for an all-zero result (a low-order u), Unsupported as above."""
    key = x25519.X25519PrivateKey.from_private_bytes(private)
    return key.exchange(x25519.X25519PublicKey.from_public_bytes(share))


# ---------------------------------------------------------------------------------------------- data

# Safe-prime groups, generator g = 2, q = (p - 1) / 2. Hex of p, most significant digit first.
# RFC 3526 "More Modular Exponential (MODP) Diffie-Hellman groups for IKE" §3-§7 (groups 14-18);
# RFC 7919 "Negotiated Finite Field Diffie-Hellman Ephemeral Parameters for TLS" Appendix A.1-A.5.
# Both are SP 800-56A r3 Appendix D safe-prime groups. tests/test_keys.py checks every prime against
# the system openssl's built-in groups and against the RFCs' defining formulas (digits of pi and e).
FFDH_PRIMES: dict[str, str] = {
    "modp2048": (
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
        "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
        "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
        "15728E5A8AACAA68FFFFFFFFFFFFFFFF"
    ),
    "modp3072": (
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
        "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
        "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
        "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
        "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
        "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
    ),
    "modp4096": (
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
        "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
        "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
        "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
        "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
        "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7"
        "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8DBBBC2DB04DE8EF92E8EFC141FBECAA6"
        "287C59474E6BC05D99B2964FA090C3A2233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9"
        "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF"
    ),
    "modp6144": (
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
        "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
        "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
        "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
        "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
        "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7"
        "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8DBBBC2DB04DE8EF92E8EFC141FBECAA6"
        "287C59474E6BC05D99B2964FA090C3A2233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9"
        "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C93402849236C3FAB4D27C7026C1D4DCB2602646DEC9751E763DBA37BD"
        "F8FF9406AD9E530EE5DB382F413001AEB06A53ED9027D831179727B0865A8918DA3EDBEBCF9B14ED44CE6CBACED4BB1B"
        "DB7F1447E6CC254B332051512BD7AF426FB8F401378CD2BF5983CA01C64B92ECF032EA15D1721D03F482D7CE6E74FEF6"
        "D55E702F46980C82B5A84031900B1C9E59E7C97FBEC7E8F323A97A7E36CC88BE0F1D45B7FF585AC54BD407B22B4154AA"
        "CC8F6D7EBF48E1D814CC5ED20F8037E0A79715EEF29BE32806A1D58BB7C5DA76F550AA3D8A1FBFF0EB19CCB1A313D55C"
        "DA56C9EC2EF29632387FE8D76E3C0468043E8F663F4860EE12BF2D5B0B7474D6E694F91E6DCC4024FFFFFFFFFFFFFFFF"
    ),
    "modp8192": (
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
        "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
        "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
        "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
        "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
        "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7"
        "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8DBBBC2DB04DE8EF92E8EFC141FBECAA6"
        "287C59474E6BC05D99B2964FA090C3A2233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9"
        "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C93402849236C3FAB4D27C7026C1D4DCB2602646DEC9751E763DBA37BD"
        "F8FF9406AD9E530EE5DB382F413001AEB06A53ED9027D831179727B0865A8918DA3EDBEBCF9B14ED44CE6CBACED4BB1B"
        "DB7F1447E6CC254B332051512BD7AF426FB8F401378CD2BF5983CA01C64B92ECF032EA15D1721D03F482D7CE6E74FEF6"
        "D55E702F46980C82B5A84031900B1C9E59E7C97FBEC7E8F323A97A7E36CC88BE0F1D45B7FF585AC54BD407B22B4154AA"
        "CC8F6D7EBF48E1D814CC5ED20F8037E0A79715EEF29BE32806A1D58BB7C5DA76F550AA3D8A1FBFF0EB19CCB1A313D55C"
        "DA56C9EC2EF29632387FE8D76E3C0468043E8F663F4860EE12BF2D5B0B7474D6E694F91E6DBE115974A3926F12FEE5E4"
        "38777CB6A932DF8CD8BEC4D073B931BA3BC832B68D9DD300741FA7BF8AFC47ED2576F6936BA424663AAB639C5AE4F568"
        "3423B4742BF1C978238F16CBE39D652DE3FDB8BEFC848AD922222E04A4037C0713EB57A81A23F0C73473FC646CEA306B"
        "4BCBC8862F8385DDFA9D4B7FA2C087E879683303ED5BDD3A062B3CF5B3A278A66D2A13F83F44F82DDF310EE074AB6A36"
        "4597E899A0255DC164F31CC50846851DF9AB48195DED7EA1B1D510BD7EE74D73FAF36BC31ECFA268359046F4EB879F92"
        "4009438B481C6CD7889A002ED5EE382BC9190DA6FC026E479558E4475677E9AA9E3050E2765694DFC81F56E880B96E71"
        "60C980DD98EDD3DFFFFFFFFFFFFFFFFF"
    ),
    "ffdhe2048": (
        "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695A9E13641146433FBCC939DCE249B3EF9"
        "7D2FE363630C75D8F681B202AEC4617AD3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
        "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FB"
        "B96ADAB760D7F4681D4F42A3DE394DF4AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
        "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005C58EF1837D1683B2C6F34A26C1B2EFFA"
        "886B423861285C97FFFFFFFFFFFFFFFF"
    ),
    "ffdhe3072": (
        "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695A9E13641146433FBCC939DCE249B3EF9"
        "7D2FE363630C75D8F681B202AEC4617AD3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
        "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FB"
        "B96ADAB760D7F4681D4F42A3DE394DF4AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
        "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005C58EF1837D1683B2C6F34A26C1B2EFFA"
        "886B4238611FCFDCDE355B3B6519035BBC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C"
        "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF5CAE82AB9C9DF69EE86D2BC522363A0D"
        "ABC521979B0DEADA1DBF9A42D5C4484E0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF"
    ),
    "ffdhe4096": (
        "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695A9E13641146433FBCC939DCE249B3EF9"
        "7D2FE363630C75D8F681B202AEC4617AD3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
        "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FB"
        "B96ADAB760D7F4681D4F42A3DE394DF4AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
        "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005C58EF1837D1683B2C6F34A26C1B2EFFA"
        "886B4238611FCFDCDE355B3B6519035BBC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C"
        "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF5CAE82AB9C9DF69EE86D2BC522363A0D"
        "ABC521979B0DEADA1DBF9A42D5C4484E0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B669E1EF16E6F52C3164DF4FB"
        "7930E9E4E58857B6AC7D5F42D69F6D187763CF1D5503400487F55BA57E31CC7A7135C886EFB4318AED6A1E012D9E6832"
        "A907600A918130C46DC778F971AD0038092999A333CB8B7A1A1DB93D7140003C2A4ECEA9F98D0ACC0A8291CDCEC97DCF"
        "8EC9B55A7F88A46B4DB5A851F44182E1C68A007E5E655F6AFFFFFFFFFFFFFFFF"
    ),
    "ffdhe6144": (
        "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695A9E13641146433FBCC939DCE249B3EF9"
        "7D2FE363630C75D8F681B202AEC4617AD3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
        "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FB"
        "B96ADAB760D7F4681D4F42A3DE394DF4AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
        "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005C58EF1837D1683B2C6F34A26C1B2EFFA"
        "886B4238611FCFDCDE355B3B6519035BBC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C"
        "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF5CAE82AB9C9DF69EE86D2BC522363A0D"
        "ABC521979B0DEADA1DBF9A42D5C4484E0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B669E1EF16E6F52C3164DF4FB"
        "7930E9E4E58857B6AC7D5F42D69F6D187763CF1D5503400487F55BA57E31CC7A7135C886EFB4318AED6A1E012D9E6832"
        "A907600A918130C46DC778F971AD0038092999A333CB8B7A1A1DB93D7140003C2A4ECEA9F98D0ACC0A8291CDCEC97DCF"
        "8EC9B55A7F88A46B4DB5A851F44182E1C68A007E5E0DD9020BFD64B645036C7A4E677D2C38532A3A23BA4442CAF53EA6"
        "3BB454329B7624C8917BDD64B1C0FD4CB38E8C334C701C3ACDAD0657FCCFEC719B1F5C3E4E46041F388147FB4CFDB477"
        "A52471F7A9A96910B855322EDB6340D8A00EF092350511E30ABEC1FFF9E3A26E7FB29F8C183023C3587E38DA0077D9B4"
        "763E4E4B94B2BBC194C6651E77CAF992EEAAC0232A281BF6B3A739C1226116820AE8DB5847A67CBEF9C9091B462D538C"
        "D72B03746AE77F5E62292C311562A846505DC82DB854338AE49F5235C95B91178CCF2DD5CACEF403EC9D1810C6272B04"
        "5B3B71F9DC6B80D63FDD4A8E9ADB1E6962A69526D43161C1A41D570D7938DAD4A40E329CD0E40E65FFFFFFFFFFFFFFFF"
    ),
    "ffdhe8192": (
        "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695A9E13641146433FBCC939DCE249B3EF9"
        "7D2FE363630C75D8F681B202AEC4617AD3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
        "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FB"
        "B96ADAB760D7F4681D4F42A3DE394DF4AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
        "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005C58EF1837D1683B2C6F34A26C1B2EFFA"
        "886B4238611FCFDCDE355B3B6519035BBC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C"
        "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF5CAE82AB9C9DF69EE86D2BC522363A0D"
        "ABC521979B0DEADA1DBF9A42D5C4484E0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B669E1EF16E6F52C3164DF4FB"
        "7930E9E4E58857B6AC7D5F42D69F6D187763CF1D5503400487F55BA57E31CC7A7135C886EFB4318AED6A1E012D9E6832"
        "A907600A918130C46DC778F971AD0038092999A333CB8B7A1A1DB93D7140003C2A4ECEA9F98D0ACC0A8291CDCEC97DCF"
        "8EC9B55A7F88A46B4DB5A851F44182E1C68A007E5E0DD9020BFD64B645036C7A4E677D2C38532A3A23BA4442CAF53EA6"
        "3BB454329B7624C8917BDD64B1C0FD4CB38E8C334C701C3ACDAD0657FCCFEC719B1F5C3E4E46041F388147FB4CFDB477"
        "A52471F7A9A96910B855322EDB6340D8A00EF092350511E30ABEC1FFF9E3A26E7FB29F8C183023C3587E38DA0077D9B4"
        "763E4E4B94B2BBC194C6651E77CAF992EEAAC0232A281BF6B3A739C1226116820AE8DB5847A67CBEF9C9091B462D538C"
        "D72B03746AE77F5E62292C311562A846505DC82DB854338AE49F5235C95B91178CCF2DD5CACEF403EC9D1810C6272B04"
        "5B3B71F9DC6B80D63FDD4A8E9ADB1E6962A69526D43161C1A41D570D7938DAD4A40E329CCFF46AAA36AD004CF600C838"
        "1E425A31D951AE64FDB23FCEC9509D43687FEB69EDD1CC5E0B8CC3BDF64B10EF86B63142A3AB8829555B2F747C932665"
        "CB2C0F1CC01BD70229388839D2AF05E454504AC78B7582822846C0BA35C35F5C59160CC046FD8251541FC68C9C86B022"
        "BB7099876A460E7451A8A93109703FEE1C217E6C3826E52C51AA691E0E423CFC99E9E31650C1217B624816CDAD9A95F9"
        "D5B8019488D9C0A0A1FE3075A577E23183F81D4A3F2FA4571EFC8CE0BA8A4FE8B6855DFE72B0A66EDED2FBABFBE58A30"
        "FAFABE1C5D71A87E2F741EF8C1FE86FEA6BBFDE530677F0D97D11D49F7A8443D0822E506A9F4614E011E2A94838FF88C"
        "D68C8BB7C5C6424CFFFFFFFFFFFFFFFF"
    ),
}
