"""Asymmetric keys: generation with a pairwise-consistency test, signatures, key agreement.

    key = keys.generate_signing_key("ecdsa-p256")
    signature = key.sign(message)                          # SHA-256, the curve's default
    key.verifying_key().verify(signature, message)         # raises InvalidSignature on failure

    mine = keys.generate_agreement_key("ffdh", group="ffdhe3072")
    peer = keys.load_agreement_public_key(their_y, "ffdh", group="ffdhe3072", encoding="raw")
    z = mine.exchange(peer)                                # the shared secret Z, raw

    kek = keys.generate_transport_key("rsa-oaep", bits=3072)
    secret = kek.decrypt(kek.public_key().encrypt(b"key material"))   # RSA-OAEP, SHA-256

Signature schemes (FIPS 186-5, FIPS 204): ``rsa-pss``, ``rsa-pkcs1v15``, ``ecdsa-p224/p256/p384/p521``,
``ed25519``, ``ed448``, ``ml-dsa-44/65/87``. Key agreement (SP 800-56A r3): ``ecdh-p224/p256/p384/p521``
and ``ffdh`` over the RFC 3526 / RFC 7919 safe-prime groups in :data:`GROUPS` (or an explicit
:class:`FFDHGroup`). Key transport (SP 800-56B r2): ``rsa-oaep``. Every call passes the service gate
and the active policy (``fipscrypto._service``) for the scheme, its size and every hash it uses, in
the operation's direction (sign/encrypt: apply; verify/decrypt: process): the policy, not this
module, decides which hashes and sizes are allowed. Strict mode refuses RSA-1024 signing, SHA-1
signing, secp256k1 and X25519 before any work. Only fipscrypto errors leave this module.

RSA, EC and FFDH key pairs are generated inside the FIPS provider, in fipscrypto's private library
context of it (:mod:`fipscrypto.provider.context`; cryptography would generate them outside the
provider); Ed25519, Ed448 and ML-DSA pairs by cryptography through the provider. There the provider
itself refuses RSA-1024 and secp256k1, in audit mode too.

Every generated key pair passes a pairwise-consistency test before it is returned (FIPS 140-3 IG 10.3.A;
SP 800-56A r3 §5.6.2.1.4 for key-agreement keys, run by the provider). A failure latches the module's
ERROR state. For tests,
``FIPSCRYPTO_SELFTEST_FAIL=pct-<family>`` (family: rsa, ecdsa, eddsa, ml-dsa, ecdh, ffdh; several
names separated by commas or spaces) corrupts the value the test compares, so the failure path runs
against the real provider, with nothing mocked.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, cast

from . import _faults, _fork, audit, module
from ._backend import keys as _keys
from ._fingerprint import sha256_hex
from ._params import byte_string, not_offered
from ._service import REVOKED, hold, record
from .enforce import require
from .errors import (
    AlgorithmUnavailable,
    AuthenticationError,
    FipsError,
    InvalidParameter,
    InvalidSignature,
    SelfTestFailure,
)
from .provider.context import FipsContext, open_context
from .provider.state import StatePaths

__all__ = [
    "GROUPS",
    "AgreementKey",
    "AgreementPublicKey",
    "Encoding",
    "FFDHGroup",
    "SignatureFormat",
    "SigningKey",
    "TransportKey",
    "TransportPublicKey",
    "VerifyingKey",
    "agreement_key_from_private_value",
    "generate_agreement_key",
    "generate_signing_key",
    "generate_transport_key",
    "load_agreement_key",
    "load_agreement_public_key",
    "load_signing_key",
    "load_transport_key",
    "load_transport_public_key",
    "load_verifying_key",
    "rsa_verifying_key",
    "signing_key_from_seed",
]

#: Key encodings. Every key class's ``public_bytes()`` and ``private_bytes()`` default to "der"
#: (SubjectPublicKeyInfo, PKCS#8); "pem" is the same in PEM; "raw" is the scheme's own encoding
#: (an EC point, FFDH y, Ed25519/Ed448/ML-DSA key bytes, the ML-DSA seed) where it has one.
Encoding = Literal["der", "pem", "raw"]
#: ECDSA signature encodings: "der" (Ecdsa-Sig-Value, RFC 3279 §2.2.3: X.509, TLS, CMS) or "p1363"
#: (IEEE P1363 r || s, each as long as the group order: JOSE RFC 7518 §3.4, COSE, WebAuthn).
SignatureFormat = Literal["der", "p1363"]
_PCT_MESSAGE = b"fipscrypto pairwise-consistency test (FIPS 140-3 IG 10.3.A)"
_PCT_SECRET = b"fipscrypto key-transport PCT key"  # 32 bytes: fits OAEP-SHA-256 from 1024 bits
_MAX_CONTEXT = 255  # FIPS 204 §5.2: ctx is at most 255 bytes
_INTERNAL = object()  # wrappers are made here, after validation, never by callers

# Field primes of the curves (SP 800-186 §3.2.1; secp256k1: SEC 2 §2.4.1), for the range check of
# SP 800-56A r3 §5.6.2.3.3 step 2, which the provider skips (it reduces x + p silently).
_FIELD_PRIMES = {
    "p224": 2**224 - 2**96 + 1,
    "p256": 2**256 - 2**224 + 2**192 + 2**96 - 1,
    "p384": 2**384 - 2**128 - 2**96 + 2**32 - 1,
    "p521": 2**521 - 1,
    "secp256k1": 2**256 - 2**32 - 977,
}
_DEFAULT_DIGEST = {
    "p224": "sha256",
    "p256": "sha256",
    "p384": "sha384",
    "p521": "sha512",
    "secp256k1": "sha256",
}
_SIZES = {"ed25519": 256, "ed448": 456}  # key sizes in bits (RFC 8032 §5.1, §5.2)
# Hashes whose use in a signature has a policy item of its own (see _hash_item).
_SIGNATURE_USE_OF = {"sha1": "sha1-signature"}
# FIPS 186-5 §A.1.1 and SP 800-56B r2 §6.2.1: 2^16 < e < 2^256, e odd.
_RSA_E_RANGE = (65537, 2**256)
# A resource bound, not a policy rule: OpenSSL's OPENSSL_RSA_MAX_MODULUS_BITS. A larger modulus from
# a stored key or a caller would only buy seconds of arithmetic per operation.
RSA_MAX_BITS = 16384


# -------------------------------------------------------------------------------- fault injection


def _pct_value(family: str, value: bytes) -> bytes:
    """The value a pairwise-consistency test compares or verifies; corrupted under fault injection."""
    return _faults.corrupt(f"pct-{family}", value)


def _pct_failed(family: str, scheme: str, detail: str) -> SelfTestFailure:
    """Latch ERROR (FIPS 140-3 IG 10.3.A: a failed conditional test is an error state), then report
    it: the state is decided before anything that can fail (an audit sink) runs."""
    test = f"pct-{family}"
    module.enter_error(f"PCT failed: {test} ({scheme}): {detail}")
    failure = SelfTestFailure(test, detail)
    audit.report(failure, "selftest-failure", test=test, algorithm=scheme, detail=detail)
    return failure


# ------------------------------------------------------------------- the provider's private context


class _Inside:
    """The private provider context (``provider.context``) this process generates keys in; dropped
    when the module enters ERROR and opened again (the provider's self-tests with it) after recovery."""

    __slots__ = ("__weakref__", "context", "lock")

    def __init__(self) -> None:
        self.context: FipsContext | None = None
        self.lock = _fork.lock()
        hold(self)

    def _revoke(self) -> None:
        self.context = None

    def get(self) -> FipsContext | None:
        """The context, opened at the first call; None in off mode (there is no provider)."""
        context = self.context
        if context is not None:
            return context
        info = module.info()
        if info.mode is module.Mode.OFF:
            return None
        with self.lock:
            if self.context is None:
                paths, loaded = StatePaths.resolve(info.state_dir), info.config
                strict = info.mode is module.Mode.STRICT
                self.context = open_context(paths, strict=strict, loaded=Path(loaded) if loaded else None)
            return self.context


inside = _Inside()


def _live(key: Any) -> Any:
    """``key``, or ModuleErrorState when its holder was revoked (the module entered ERROR)."""
    if key is REVOKED:
        REVOKED._refuse()
    return key


# ------------------------------------------------------------------------------------- FFDH groups


@dataclasses.dataclass(frozen=True)
class FFDHGroup:
    """Finite-field domain parameters (p, g, q). Named safe-prime groups are in :data:`GROUPS`."""

    name: str
    p: int
    g: int
    q: int

    @property
    def bits(self) -> int:
        return self.p.bit_length()

    @property
    def safe_prime(self) -> bool:
        return self.q == (self.p - 1) // 2


def _named_group(name: str, hex_p: str) -> FFDHGroup:
    p = int(hex_p, 16)
    return FFDHGroup(name, p, 2, (p - 1) // 2)


#: RFC 3526 MODP groups 14-18 (``modp2048`` ... ``modp8192``) and RFC 7919 ``ffdhe2048`` ... ``ffdhe8192``.
GROUPS: dict[str, FFDHGroup] = {name: _named_group(name, p) for name, p in _keys.FFDH_PRIMES.items()}
_KNOWN_PRIMES = frozenset(group.p for group in GROUPS.values())
_KNOWN_GROUPS = frozenset((group.p, group.g, group.q) for group in GROUPS.values())


def _group(group: str | FFDHGroup | None) -> FFDHGroup:
    if isinstance(group, FFDHGroup):
        if (group.p, group.g, group.q) not in _KNOWN_GROUPS:
            _check_domain(group.p, group.g, group.q)
        return group
    if not isinstance(group, str) or group not in GROUPS:
        raise InvalidParameter(f"ffdh needs a group: one of {', '.join(GROUPS)} or an FFDHGroup")
    return GROUPS[group]


def _probable_prime(n: int, rounds: int = 16) -> bool:
    """Miller-Rabin with random bases (FIPS 186-5 §B.3 style); used for explicit domain parameters."""
    if n < 4:
        return n in (2, 3)
    if n % 2 == 0:
        return False
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(rounds):
        x = pow(2 + secrets.randbelow(n - 3), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


@functools.lru_cache(maxsize=32)
def _check_domain(p: int, g: int, q: int) -> None:
    """Assurance of domain-parameter validity for explicit (p, g, q) (SP 800-56A r3 §5.5.2).

    Rule (FIPS 186-4 §A.1.1.3 / §A.2.2 as referenced there): p and q prime, q divides p - 1,
    1 < g < p - 1 and g^q = 1 (mod p). Primality is checked probabilistically (16 rounds).
    """
    if not (p % 2 == 1 and q > 1 and (p - 1) % q == 0 and 1 < g < p - 1 and pow(g, q, p) == 1):
        raise InvalidParameter("FFDH domain parameters: need q | p-1, 1 < g < p-1 and g^q = 1 mod p")
    if not (_probable_prime(q) and _probable_prime(p)):
        raise InvalidParameter("FFDH domain parameters: p or q is not prime")


def _jacobi(a: int, n: int) -> int:
    """The Jacobi symbol (a/n) for odd n > 0 (equal to the Legendre symbol when n is prime)."""
    a %= n
    result = 1
    while a:
        twos = (a & -a).bit_length() - 1
        a >>= twos
        if twos % 2 and n % 8 in (3, 5):
            result = -result
        if a % 4 == 3 and n % 4 == 3:
            result = -result
        a, n = n % a, a
    return result if n == 1 else 0


def _check_ffc_public(group: FFDHGroup, y: int) -> None:
    """FFC full public-key validation (SP 800-56A r3 §5.6.2.3.1).

    "1. Verify that 2 <= y <= p - 2. 2. Verify that 1 = y^q mod p." For the named safe-prime groups
    (p prime, q = (p-1)/2) step 2 is Euler's criterion, so the Legendre symbol (y/p) = 1 is the same
    test, computed in a few milliseconds instead of a full-size modular exponentiation.
    """
    if not 2 <= y <= group.p - 2:
        raise InvalidParameter("FFDH public key out of range: need 2 <= y <= p - 2 (SP 800-56A §5.6.2.3.1)")
    if group.p in _KNOWN_PRIMES and group.safe_prime:
        in_subgroup = _jacobi(y, group.p) == 1
    else:
        in_subgroup = pow(y, group.q, group.p) == 1
    if not in_subgroup:
        raise InvalidParameter(
            "FFDH public key not in the order-q subgroup: y^q mod p != 1 (SP 800-56A §5.6.2.3.1)"
        )


# ------------------------------------------------------------------------------- argument checks


def _choice(value: object, what: str, choices: tuple[str, ...]) -> str:
    if isinstance(value, str) and value in choices:
        return value
    raise InvalidParameter(f"{what} must be one of {', '.join(choices)}, not {value!r}")


@functools.cache
def _hash_names() -> frozenset[str]:
    """The hash names of the policy vocabulary: what a ``digest=`` may name (the policy rules on it)."""
    from .policy.vocabulary import categories

    return frozenset(categories()["hash"].names)


def _hash_name(value: object, what: str = "digest") -> str:
    if isinstance(value, str) and value in _hash_names():
        return value
    raise InvalidParameter(f"{what} {value!r} is not a hash name ({', '.join(sorted(_hash_names()))})")


@contextlib.contextmanager
def _provider_call(what: str) -> Iterator[None]:
    """Run one backend operation: what the provider refuses becomes AlgorithmUnavailable, a value it
    rejects InvalidParameter; fipscrypto's own errors pass through."""
    try:
        yield
    except FipsError:
        raise
    except _keys.Unsupported as exc:
        raise AlgorithmUnavailable(f"{what}: the provider refused it ({exc})") from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidParameter(f"{what}: {exc}") from None


@contextlib.contextmanager
def _parsing(what: str) -> Iterator[None]:
    """Parse a key: anything cryptography cannot read or does not support (an unknown key OID, explicit
    curve parameters, an unsupported curve) is an invalid key for this scheme: InvalidParameter."""
    try:
        yield
    except FipsError:
        raise
    except (*_keys.Unsupported, ValueError, TypeError, OverflowError) as exc:
        raise InvalidParameter(f"{what}: {exc}") from None


# ------------------------------------------------------------------------------------ EC checks


def _curve(scheme: str) -> str:
    return scheme.split("-", 1)[1]


def _ec_size(curve: str) -> int:
    return (_FIELD_PRIMES[curve].bit_length() + 7) // 8


def _ec_point(curve: str, data: bytes) -> _keys.PublicKey:
    """Decode a point (SEC 1 §2.3.4), uncompressed (04 || x || y) or compressed (02/03 || x), with full
    public-key validation (:func:`_ec_public`)."""
    size = _ec_size(curve)
    if len(data) == 1 + 2 * size and data[0] == 0x04:
        x, y = int.from_bytes(data[1 : 1 + size], "big"), int.from_bytes(data[1 + size :], "big")
        return _ec_public(curve, x, y)
    if len(data) == 1 + size and data[0] in (0x02, 0x03):
        # SEC 1 §2.3.4 step 2.2: "convert X to a field element x" fails unless x < p; the provider
        # then finds y (step 2.4.1) or reports that no point has this x.
        if int.from_bytes(data[1:], "big") >= _FIELD_PRIMES[curve]:
            raise InvalidParameter(f"{curve} public key coordinates out of range [0, p-1]")
        try:
            decoded = _keys.ec_from_encoded(curve, data)
        except ValueError:
            raise InvalidParameter(f"{curve} public key is not a point on the curve") from None
        _, x, y = _keys.ec_numbers(decoded)
        return _ec_public(curve, x, y)
    raise InvalidParameter(
        f"{curve} public key: need a point of {1 + 2 * size} (uncompressed) or {1 + size} bytes (compressed)"
    )


def _ec_public(curve: str, x: int, y: int) -> _keys.PublicKey:
    """ECC full public-key validation (SP 800-56A r3 §5.6.2.3.3).

    "1. Verify that Q is not the identity element. 2. Verify that xQ and yQ are integers in the interval
    [0, p-1]. 3. Verify that Q is on the curve. 4. Verify that nQ = O." Step 1 holds for any affine
    (x, y); step 3 is the provider's; step 4 follows from step 3 for cofactor-1 curves (all curves here).
    """
    p = _FIELD_PRIMES[curve]
    if not (0 <= x < p and 0 <= y < p):
        raise InvalidParameter(f"{curve} public key coordinates out of range [0, p-1]")
    try:
        return _keys.ec_public(curve, x, y)
    except ValueError:
        raise InvalidParameter(f"{curve} public key is not a point on the curve") from None


def _check_rsa_public(n: int, e: int) -> int:
    """RSA public-key checks of FIPS 186-5 §A.1.1 (e odd, 2^16 < e < 2^256) and an odd modulus; the
    modulus size in bits. Which sizes may be used is the policy's (asked with the size)."""
    bits = n.bit_length()
    if n % 2 == 0 or not 0 < bits <= RSA_MAX_BITS:
        raise InvalidParameter(f"RSA modulus of {bits} bits refused (odd, at most {RSA_MAX_BITS} bits)")
    if not (_RSA_E_RANGE[0] <= e < _RSA_E_RANGE[1] and e % 2 == 1):
        raise InvalidParameter("RSA public exponent must be odd with 65537 <= e < 2^256 (FIPS 186-5 §A.1.1)")
    return bits


# ---------------------------------------------------------------------------------------- signatures


def _family(scheme: str) -> str:
    if scheme.startswith("rsa-"):
        return "rsa"
    if scheme.startswith(("ecdsa-", "ecdh-")):
        return scheme.split("-", 1)[0]
    if scheme.startswith("ml-dsa-"):
        return "ml-dsa"
    return {"ed25519": "eddsa", "ed448": "eddsa", "ffdh": "ffdh"}.get(scheme, scheme)


@dataclasses.dataclass(frozen=True)
class _Params:
    """The checked parameters of one signature: its hash and :class:`_keys.SignOptions`."""

    digest: str | None
    options: _keys.SignOptions
    p1363: bool

    def hashes(self) -> tuple[str, ...]:
        """Every hash the signature computes with (the message hash, MGF1's)."""
        names = (self.digest, self.options.mgf1_digest)
        return tuple(dict.fromkeys(name for name in names if name is not None))


def _params(
    scheme: str,
    *,
    digest: object = None,
    salt_length: object = None,
    mgf1_digest: object = None,
    context: object = None,
    signature_format: object = "der",
    verifying: bool = False,
) -> _Params:
    """Check the parameters a scheme takes; InvalidParameter for any it does not take."""
    family = _family(scheme)
    if family == "rsa":
        name = "sha256" if digest is None else _hash_name(digest)
    elif family == "ecdsa":
        name = _DEFAULT_DIGEST[_curve(scheme)] if digest is None else _hash_name(digest)
    elif digest is not None:
        raise InvalidParameter(f"{scheme} hashes internally; give no digest")
    else:
        name = None
    if scheme != "rsa-pss" and (salt_length is not None or mgf1_digest is not None):
        raise InvalidParameter("salt_length and mgf1_digest are RSA-PSS parameters")
    mgf1 = None if mgf1_digest is None else _hash_name(mgf1_digest, "mgf1_digest")
    salt = _salt_length(salt_length, name, verifying=verifying) if scheme == "rsa-pss" else None
    if context is not None and family != "ml-dsa":
        raise InvalidParameter("context is an ML-DSA parameter (FIPS 204 ctx)")
    ctx = None if context is None else byte_string("context", context)
    if ctx is not None and len(ctx) > _MAX_CONTEXT:
        # FIPS 204 Algorithm 2 step 1 / Algorithm 3 step 1: "if |ctx| > 255 then return error".
        raise InvalidParameter(f"an ML-DSA context string is at most {_MAX_CONTEXT} bytes (FIPS 204 §5.2)")
    fmt = _choice(signature_format, "signature_format", ("der", "p1363"))
    if fmt == "p1363" and family != "ecdsa":
        raise InvalidParameter("signature_format='p1363' is for ECDSA signatures")
    return _Params(name, _keys.SignOptions(salt, mgf1, ctx), fmt == "p1363")


def _salt_length(value: object, digest: str | None, *, verifying: bool) -> int | Literal["auto"] | None:
    """RSASSA-PSS sLen. Signing: 0 <= sLen <= hLen (FIPS 186-5 §5.4 (g)); verifying: what the signer
    used, any sLen >= 0, or "auto" to recover it from the signature (RFC 8017 §9.1.2)."""
    if value is None:
        return None
    if verifying and value == "auto":
        return "auto"
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidParameter("salt_length is a byte count >= 0" + (' or "auto"' if verifying else ""))
    if not verifying and digest in _keys.HASHES and value > _keys.HASHES[digest].digest_size:
        raise InvalidParameter(
            "RSASSA-PSS signing needs 0 <= salt_length <= the hash length (FIPS 186-5 §5.4)"
        )
    return value


def _check_provider_salt(params: _Params) -> None:
    """The FIPS provider verifies RSASSA-PSS only with sLen <= hLen (FIPS 186-5 §5.4 (g); OpenSSL's
    ``rsa-pss-saltlen-check``) and reports a longer salt as a failed verification: say so instead."""
    salt, digest = params.options.salt_length, params.digest
    longer = isinstance(salt, int) and digest in _keys.HASHES and salt > _keys.HASHES[digest].digest_size
    if longer and module.mode() is not module.Mode.OFF:
        raise AlgorithmUnavailable(
            f"RSASSA-PSS with a {salt}-byte salt and {digest}: the FIPS provider verifies only salts "
            "up to the hash length (FIPS 186-5 §5.4)"
        )


def _hash_item(name: str) -> tuple[str, str]:
    """The policy item for a hash used in a signature: SP 800-131A r2 Table 8 gives SHA-1 in digital
    signatures a status of its own, which the vocabulary names ``signature/sha1-signature``."""
    item = _SIGNATURE_USE_OF.get(name)
    return ("signature", item) if item else ("hash", name)


def _authorize_signature(
    service: str, scheme: str, bits: int | None, params: _Params, direction: str
) -> bool:
    """The policy's verdict on the scheme (with its size) and on every hash it computes with."""
    approved = require(service, "signature", scheme, direction=direction, bits=bits)
    for name in params.hashes():
        category, item = _hash_item(name)
        approved &= require(service, category, item, direction=direction)
        if name not in _keys.HASHES:  # in the vocabulary, the policy let it through: the backend has none
            raise AlgorithmUnavailable(f"{scheme} with {name}: not offered by the provider")
    return approved


def _label(scheme: str, bits: int | None, hash_name: str | None) -> str:
    """The indicator's algorithm name: rsa-pss-3072/sha256, ecdsa-p256/sha256, ed25519."""
    name = f"{scheme}-{bits}" if _family(scheme) == "rsa" else scheme
    return f"{name}/{hash_name}" if hash_name else name


def _public_bytes(key: _keys.PublicKey, encoding: object) -> bytes:
    """SubjectPublicKeyInfo DER (the default of every key class) or PEM; raw: the scheme's raw key."""
    fmt = _choice(encoding, "encoding", ("der", "pem", "raw"))
    with _provider_call("public key encoding"):
        return _keys.raw_public(key) if fmt == "raw" else _keys.public_bytes(key, fmt)


def _private_bytes(key: _keys.PrivateKey, encoding: object, *, raw: bool) -> bytes:
    fmt = _choice(encoding, "encoding", ("der", "pem", "raw") if raw else ("der", "pem"))
    with _provider_call("private key encoding"):
        return _keys.raw_private(key) if fmt == "raw" else _keys.private_bytes(key, fmt)


class VerifyingKey:
    """A public signature key. Made by :meth:`SigningKey.verifying_key` or the ``load_*`` functions."""

    __slots__ = ("_key", "bits", "scheme")

    def __init__(self, scheme: str, key: _keys.PublicKey, bits: int | None, token: object) -> None:
        if token is not _INTERNAL:
            raise TypeError("use load_verifying_key() or SigningKey.verifying_key()")
        self.scheme, self._key, self.bits = scheme, key, bits

    def __repr__(self) -> str:
        return f"VerifyingKey({self.scheme!r}, bits={self.bits})"

    def verify(
        self,
        signature: bytes,
        message: bytes,
        *,
        digest: str | None = None,
        salt_length: int | Literal["auto"] | None = None,
        mgf1_digest: str | None = None,
        context: bytes | None = None,
        signature_format: SignatureFormat = "der",
    ) -> None:
        """Verify (FIPS 186-5 §5.4/§6.4.2/§7.7; FIPS 204 Algorithm 3); raise InvalidSignature if it fails.

        ``digest``: RSA and ECDSA (default SHA-256, ECDSA the curve's). RSA-PSS: ``salt_length`` (bytes;
        default the hash length; "auto" recovers it) and ``mgf1_digest`` (default ``digest``) as the
        signer chose them, e.g. from X.509 RSASSA-PSS-params. ML-DSA: ``context``, 0..255 bytes.
        ECDSA: ``signature_format`` "der" (Ecdsa-Sig-Value) or "p1363" (r || s: JOSE, COSE, WebAuthn).
        """
        signature, message = byte_string("signature", signature), byte_string("message", message)
        params = _params(
            self.scheme,
            digest=digest,
            salt_length=salt_length,
            mgf1_digest=mgf1_digest,
            context=context,
            signature_format=signature_format,
            verifying=True,
        )
        approved = _authorize_signature("keys.verify", self.scheme, self._sized(), params, "process")
        _check_provider_salt(params)
        if params.p1363:
            try:
                signature = _keys.p1363_to_der(signature, _ec_size(_curve(self.scheme)))
            except ValueError:
                signature = b""  # a P1363 signature of the wrong length verifies nothing
        with _provider_call(f"{self.scheme} verification"):
            ok = bool(signature) and _keys.verify(
                self._key, self.scheme, signature, message, params.digest, params.options
            )
        record("keys.verify", _label(self.scheme, self.bits, params.digest), approved)
        if not ok:
            raise InvalidSignature("signature did not verify")

    def public_bytes(self, encoding: Encoding = "der") -> bytes:
        """SubjectPublicKeyInfo DER (default) or PEM; raw: Ed/ML-DSA key bytes, EC uncompressed point."""
        module.gate()
        return _public_bytes(self._key, encoding)

    def _sized(self) -> int | None:
        return self.bits if _family(self.scheme) == "rsa" else None


class SigningKey:
    """A private signature key; made by :func:`generate_signing_key` or the ``load_*`` functions.

    Entering the ERROR state revokes it: it drops its key object and every method raises
    ModuleErrorState from then on, also after a recovery (make a new key)."""

    __slots__ = ("__weakref__", "_key", "bits", "scheme")

    def __init__(self, scheme: str, key: _keys.PrivateKey, bits: int | None, token: object) -> None:
        if token is not _INTERNAL:
            raise TypeError("use generate_signing_key() or load_signing_key()")
        self.scheme, self._key, self.bits = scheme, key, bits
        hold(self)

    def _revoke(self) -> None:
        self._key = cast(Any, REVOKED)

    def __repr__(self) -> str:
        return f"SigningKey({self.scheme!r}, bits={self.bits})"

    def sign(
        self,
        message: bytes,
        *,
        digest: str | None = None,
        salt_length: int | None = None,
        mgf1_digest: str | None = None,
        context: bytes | None = None,
        signature_format: SignatureFormat = "der",
    ) -> bytes:
        """Sign ``message`` (FIPS 186-5 §5.4, §6.4.1, §7.6; FIPS 204 Algorithm 2).

        The parameters are those of :meth:`VerifyingKey.verify`; RSA-PSS ``salt_length`` is 0..hLen
        (default hLen). ECDSA signatures are DER unless ``signature_format="p1363"``.
        """
        message = byte_string("message", message)
        params = _params(
            self.scheme,
            digest=digest,
            salt_length=salt_length,
            mgf1_digest=mgf1_digest,
            context=context,
            signature_format=signature_format,
            verifying=False,
        )
        bits = self.bits if _family(self.scheme) == "rsa" else None
        approved = _authorize_signature("keys.sign", self.scheme, bits, params, "apply")
        with _provider_call(f"{self.scheme} signature"):
            signature = _keys.sign(_live(self._key), self.scheme, message, params.digest, params.options)
            if params.p1363:
                signature = _keys.p1363_from_der(signature, _ec_size(_curve(self.scheme)))
        record("keys.sign", _label(self.scheme, self.bits, params.digest), approved)
        return signature

    def verifying_key(self) -> VerifyingKey:
        module.gate()
        return VerifyingKey(self.scheme, _keys.public_key(_live(self._key)), self.bits, _INTERNAL)

    def public_bytes(self, encoding: Encoding = "der") -> bytes:
        """The verifying key's encoding (:meth:`VerifyingKey.public_bytes`)."""
        return self.verifying_key().public_bytes(encoding)

    def private_bytes(self, encoding: Encoding = "der") -> bytes:
        """PKCS#8 DER (default) or PEM, unencrypted: protect it with fipscrypto.seal; raw: the Ed25519/
        Ed448 private key, the ML-DSA seed."""
        module.gate()
        return _private_bytes(_live(self._key), encoding, raw=True)

    def _pairwise_consistency_test(self, *, imported: bool = False) -> None:
        """FIPS 140-3 IG 10.3.A: sign a fixed message with the new private key, verify with its public key.

        For an imported key pair the same test gives assurance of its consistency; a failure there
        rejects the key (InvalidParameter) instead of latching ERROR.
        """
        family = _family(self.scheme)
        digest = _params(self.scheme).digest  # the scheme's default hash
        key = _live(self._key)
        with _provider_call(f"{self.scheme} pairwise-consistency test"):
            signature = _keys.sign(key, self.scheme, _PCT_MESSAGE, digest)
            message = _pct_value(family, _PCT_MESSAGE)
            consistent = _keys.verify(_keys.public_key(key), self.scheme, signature, message, digest)
        if not consistent:
            if imported:
                raise InvalidParameter(f"{self.scheme} key pair is not consistent (pairwise test failed)")
            raise _pct_failed(family, self.scheme, "the signature of the test message did not verify")


# What to use instead of a scheme the vocabulary names but fipscrypto.keys does not offer (DSA,
# RSA X9.31, SLH-DSA, LMS, XMSS, the brainpool curves, X25519/X448, ML-KEM, PKCS #1 v1.5 transport).
_SIGNATURES_OFFERED = (
    "fipscrypto.keys signs with rsa-pss, rsa-pkcs1v15, ecdsa-p224/p256/p384/p521, ed25519, ed448"
    " and ml-dsa-44/65/87"
)
_AGREEMENT_OFFERED = (
    "fipscrypto.keys agrees keys with ecdh-p224/p256/p384/p521 and ffdh, and transports them with"
    " generate_transport_key('rsa-oaep'); ML-KEM is negotiated by fipscrypto.tls (post-quantum groups)"
)


def _scheme(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidParameter(f"{what} must be a scheme name (str), not {type(value).__name__}")
    return value


def _rsa_bits(bits: object) -> int:
    if bits is None:
        return 3072
    if type(bits) is not int or not 0 < bits <= RSA_MAX_BITS:
        raise InvalidParameter(f"bits is the RSA modulus size: an int, 1..{RSA_MAX_BITS}")
    return bits


def _signing_kind(scheme: object, bits: object) -> tuple[str, int | None]:
    """(backend kind, bits) for a signature scheme, or InvalidParameter."""
    scheme = _scheme(scheme, "scheme")
    family = _family(scheme)
    if family == "rsa" and scheme in ("rsa-pss", "rsa-pkcs1v15"):
        return "rsa", _rsa_bits(bits)
    found: tuple[str, int | None]
    if family == "ecdsa" and _curve(scheme) in _FIELD_PRIMES:
        found = "ec", _FIELD_PRIMES[_curve(scheme)].bit_length()
    elif scheme in ("ed25519", "ed448"):
        found = scheme, _SIZES[scheme]
    elif scheme in _keys.MLDSA:
        found = scheme, None
    else:
        raise not_offered("signature", scheme, "signature scheme", _SIGNATURES_OFFERED)
    if bits is not None:
        raise InvalidParameter(f"bits is for RSA keys; {scheme} has a fixed size")
    return found


def _generated(key: SigningKey | AgreementKey | TransportKey, approved: bool, bits: int | None) -> None:
    """Audit and indicate a generated key pair, saying where it was generated."""
    family = _family(key.scheme)
    label = f"{key.scheme}-{bits}" if family in ("rsa", "ffdh") else key.scheme
    if module.mode() is module.Mode.OFF:
        where = "cryptography, no provider"
    elif family in ("rsa", "ecdsa", "ecdh", "ffdh"):
        where = "fips provider, private context"
    else:
        where = "fips provider, through cryptography"
    # The key id is the SHA-256 of the public key's SubjectPublicKeyInfo DER (what `openssl pkey
    # -pubout -outform DER | sha256sum` prints): it names the key pair and reveals nothing of it
    # (an identification, taken outside the FIPS boundary like the other fingerprints).
    key_id = sha256_hex(key.public_bytes("der"))
    audit.emit(
        "key-generated", algorithm=key.scheme, bits=bits, key_id=key_id, approved=approved, generated_in=where
    )
    record("keys.generate", label, approved)


def _generate(kind: str, what: str, **params: Any) -> _keys.PrivateKey:
    with _provider_call(f"{what} key generation"):
        return _keys.generate(kind, inside=inside.get(), **params)


def generate_signing_key(scheme: str, *, bits: int | None = None) -> SigningKey:
    """A new signature key pair (FIPS 186-5 §A.1 RSA, §A.2 ECDSA, §7 EdDSA; FIPS 204 Algorithm 1).

    ``bits`` is the RSA modulus size (default 3072); the policy decides which sizes are allowed.
    The key pair passes a pairwise-consistency test before it is returned.
    """
    kind, size = _signing_kind(scheme, bits)
    approved = require("keys.generate", "signature", scheme, bits=size if kind == "rsa" else None)
    curve = _curve(scheme) if kind == "ec" else ""
    backend = _generate(kind, scheme, bits=size or 0, curve=curve)
    key = SigningKey(scheme, backend, size, _INTERNAL)
    key._pairwise_consistency_test()
    _generated(key, approved, size)
    return key


def signing_key_from_seed(scheme: str, seed: bytes) -> SigningKey:
    """The ML-DSA key pair of a 32-byte seed (FIPS 204 Algorithm 6, ML-DSA.KeyGen_internal)."""
    module.gate()  # the gate first: an ERROR state outranks a bad argument
    seed = byte_string("seed", seed)
    if _scheme(scheme, "scheme") not in _keys.MLDSA or len(seed) != 32:
        raise InvalidParameter("signing_key_from_seed needs ml-dsa-44/65/87 and a 32-byte seed")
    approved = require("keys.import", "signature", scheme)
    key = SigningKey(scheme, _keys.mldsa_from_seed(scheme, seed), None, _INTERNAL)
    key._pairwise_consistency_test(imported=True)
    record("keys.import", scheme, approved)
    return key


def load_signing_key(data: bytes, scheme: str, *, encoding: Encoding = "der") -> SigningKey:
    """Import a private signature key: PKCS#8 DER or PEM (either is recognised), or raw Ed25519/Ed448
    (ML-DSA: use the seed)."""
    module.gate()  # the gate first: an ERROR state outranks a bad argument
    data = byte_string("data", data)
    kind, _ = _signing_kind(scheme, None)
    fmt = _choice(encoding, "encoding", ("der", "pem", "raw"))
    with _parsing(f"{scheme} private key"):
        key = _keys.load_private(data, raw=scheme if fmt == "raw" else None)
        bits = _check_signature_public(scheme, kind, _keys.public_key(key))
    approved = require("keys.import", "signature", scheme, bits=bits if kind == "rsa" else None)
    signing = SigningKey(scheme, key, bits, _INTERNAL)
    signing._pairwise_consistency_test(imported=True)
    record("keys.import", scheme, approved)
    return signing


def _check_signature_public(scheme: str, kind: str, key: _keys.PublicKey) -> int | None:
    """Check an imported public key against its scheme; the key size. Raises InvalidParameter."""
    if kind == "rsa":
        return _check_rsa_public(*_keys.rsa_numbers(key))
    if kind == "ec":
        curve, x, y = _keys.ec_numbers(key)
        if curve != _curve(scheme):
            raise InvalidParameter(f"{scheme} key expected, got curve {curve}")
        _ec_public(curve, x, y)
        return _FIELD_PRIMES[curve].bit_length()
    raw = _keys.raw_public(key)
    _keys.load_public(raw, raw=scheme)  # raises TypeError/ValueError when the key is of another scheme
    return _SIZES.get(scheme)


def load_verifying_key(data: bytes, scheme: str, *, encoding: Encoding = "der") -> VerifyingKey:
    """Import a public signature key: SubjectPublicKeyInfo DER or PEM (either is recognised), or raw
    (Ed/ML-DSA bytes, an EC point compressed or uncompressed).

    EC keys pass full public-key validation (SP 800-56A r3 §5.6.2.3.3); RSA keys the checks of
    :func:`rsa_verifying_key`. Invalid keys raise InvalidParameter.
    """
    module.gate()  # the gate first: an ERROR state outranks a bad argument
    data = byte_string("data", data)
    kind, _ = _signing_kind(scheme, None)
    fmt = _choice(encoding, "encoding", ("der", "pem", "raw"))
    with _parsing(f"{scheme} public key"):
        if fmt == "raw" and kind == "ec":
            key = _ec_point(_curve(scheme), data)
        else:
            key = _keys.load_public(data, raw=scheme if fmt == "raw" else None)
        bits = _check_signature_public(scheme, kind, key)
    approved = require(
        "keys.import", "signature", scheme, direction="process", bits=bits if kind == "rsa" else None
    )
    record("keys.import", scheme, approved)
    return VerifyingKey(scheme, key, bits, _INTERNAL)


def rsa_verifying_key(n: int, e: int, scheme: str = "rsa-pss") -> VerifyingKey:
    """An RSA public key from (n, e): e odd with 2^16 < e < 2^256; the policy rules on the size."""
    module.gate()  # the gate first: an ERROR state outranks a bad argument
    if scheme not in ("rsa-pss", "rsa-pkcs1v15"):
        raise InvalidParameter(f"{scheme!r} is not an RSA signature scheme")
    if isinstance(n, bool) or isinstance(e, bool) or not (isinstance(n, int) and isinstance(e, int)):
        raise InvalidParameter("n and e are integers")
    bits = _check_rsa_public(n, e)
    approved = require("keys.import", "signature", scheme, direction="process", bits=bits)
    with _parsing(f"RSA-{bits} public key"):
        key = _keys.rsa_public(n, e)
    record("keys.import", scheme, approved)
    return VerifyingKey(scheme, key, bits, _INTERNAL)


# ------------------------------------------------------------------------- RSA-OAEP key transport


class TransportPublicKey:
    """An RSA public key for key transport (RSA-OAEP, SP 800-56B r2 §9 KTS-OAEP): encrypts keying
    material to the holder of the private key. Made by :func:`load_transport_public_key` or
    :meth:`TransportKey.public_key`."""

    __slots__ = ("_key", "bits", "scheme")

    def __init__(self, key: _keys.PublicKey, bits: int, token: object) -> None:
        if token is not _INTERNAL:
            raise TypeError("use load_transport_public_key() or TransportKey.public_key()")
        self.scheme, self._key, self.bits = "rsa-oaep", key, bits

    def __repr__(self) -> str:
        return f"TransportPublicKey({self.scheme!r}, bits={self.bits})"

    def encrypt(
        self,
        plaintext: bytes,
        *,
        digest: str = "sha256",
        mgf1_digest: str | None = None,
        label: bytes | None = None,
    ) -> bytes:
        """RSA-OAEP-ENC (SP 800-56B r2 §7.2.2.3) of ``plaintext`` (at most len(n)/8 - 2*hLen - 2 bytes).

        ``digest`` is the OAEP hash, ``mgf1_digest`` MGF1's (default ``digest``), ``label`` L (default
        empty). The policy rules on the key size (``key-agreement/rsa-oaep``) and on each hash.
        """
        plaintext = byte_string("plaintext", plaintext)
        names, label = _oaep_params(digest, mgf1_digest, label)
        approved = _authorize_transport("keys.encrypt", self.bits, names, "apply")
        with _provider_call("RSA-OAEP encryption"):
            ciphertext = _keys.oaep_encrypt(self._key, plaintext, names[0], names[-1], label)
        record("keys.encrypt", f"rsa-oaep-{self.bits}/{names[0]}", approved)
        return ciphertext

    def public_bytes(self, encoding: Encoding = "der") -> bytes:
        """SubjectPublicKeyInfo DER (default) or PEM."""
        module.gate()
        return _public_bytes(self._key, _choice(encoding, "encoding", ("der", "pem")))


def _oaep_params(digest: object, mgf1_digest: object, label: object) -> tuple[tuple[str, str], bytes | None]:
    name = _hash_name(digest)
    mgf1 = name if mgf1_digest is None else _hash_name(mgf1_digest, "mgf1_digest")
    return (name, mgf1), None if label is None else byte_string("label", label) or None


def _authorize_transport(service: str, bits: int, names: tuple[str, str], direction: str) -> bool:
    approved = require(service, "key-agreement", "rsa-oaep", direction=direction, bits=bits)
    for name in dict.fromkeys(names):
        approved &= require(service, "hash", name, direction=direction)
        if name not in _keys.HASHES:
            raise AlgorithmUnavailable(f"RSA-OAEP with {name}: not offered by the provider")
    return approved


class TransportKey:
    """An RSA private key for key transport (RSA-OAEP); made by :func:`generate_transport_key` or
    :func:`load_transport_key`. Revoked when the module enters ERROR, like :class:`SigningKey`."""

    __slots__ = ("__weakref__", "_key", "bits", "scheme")

    def __init__(self, key: _keys.PrivateKey, bits: int, token: object) -> None:
        if token is not _INTERNAL:
            raise TypeError("use generate_transport_key() or load_transport_key()")
        self.scheme, self._key, self.bits = "rsa-oaep", key, bits
        hold(self)

    def _revoke(self) -> None:
        self._key = cast(Any, REVOKED)

    def __repr__(self) -> str:
        return f"TransportKey({self.scheme!r}, bits={self.bits})"

    def decrypt(
        self,
        ciphertext: bytes,
        *,
        digest: str = "sha256",
        mgf1_digest: str | None = None,
        label: bytes | None = None,
    ) -> bytes:
        """RSA-OAEP-DEC (SP 800-56B r2 §7.2.2.4) with the sender's ``digest``, ``mgf1_digest`` and
        ``label``. Any ciphertext that does not decrypt raises AuthenticationError (one error for every
        failed check, SP 800-56B r2 §7.2.2.4 "output an indication of decryption error")."""
        ciphertext = byte_string("ciphertext", ciphertext)
        names, label = _oaep_params(digest, mgf1_digest, label)
        approved = _authorize_transport("keys.decrypt", self.bits, names, "process")
        with _provider_call("RSA-OAEP decryption"):
            plaintext = _keys.oaep_decrypt(_live(self._key), ciphertext, names[0], names[-1], label)
        record("keys.decrypt", f"rsa-oaep-{self.bits}/{names[0]}", approved)
        if plaintext is None:
            raise AuthenticationError("RSA-OAEP decryption error")
        return plaintext

    def public_key(self) -> TransportPublicKey:
        module.gate()
        return TransportPublicKey(_keys.public_key(_live(self._key)), self.bits, _INTERNAL)

    def public_bytes(self, encoding: Encoding = "der") -> bytes:
        return self.public_key().public_bytes(encoding)

    def private_bytes(self, encoding: Encoding = "der") -> bytes:
        """PKCS#8 DER (default) or PEM, unencrypted (protect it with fipscrypto.seal)."""
        module.gate()
        return _private_bytes(_live(self._key), encoding, raw=False)

    def _pairwise_consistency_test(self, *, imported: bool = False) -> None:
        """FIPS 140-3 IG 10.3.A for a key-transport key pair: encrypt a fixed value with the public key,
        decrypt it with the private key, compare (SP 800-56B r2 §6.4.1.1 assurance of consistency)."""
        key = _live(self._key)
        with _provider_call("RSA-OAEP pairwise-consistency test"):
            ciphertext = _keys.oaep_encrypt(_keys.public_key(key), _PCT_SECRET, "sha256", None, None)
            recovered = _keys.oaep_decrypt(key, ciphertext, "sha256", None, None)
        if recovered != _pct_value("rsa", _PCT_SECRET):
            if imported:
                raise InvalidParameter("rsa-oaep key pair is not consistent (pairwise test failed)")
            raise _pct_failed("rsa", self.scheme, "the test value did not decrypt to itself")


def _transport_scheme(scheme: object) -> None:
    if scheme != "rsa-oaep":
        # SP 800-131A r2 §6: RSA key transport with PKCS #1 v1.5 padding is disallowed after 2023.
        raise not_offered("key-agreement", _scheme(scheme, "scheme"), "key-transport scheme", "use rsa-oaep")


def generate_transport_key(scheme: str = "rsa-oaep", *, bits: int | None = None) -> TransportKey:
    """A new RSA key pair for key transport (SP 800-56B r2 §6.3, generated by the provider; ``bits``
    default 3072) with its pairwise-consistency test."""
    _transport_scheme(scheme)
    size = _rsa_bits(bits)
    approved = require("keys.generate", "key-agreement", "rsa-oaep", bits=size)
    key = TransportKey(_generate("rsa", "RSA-OAEP", bits=size), size, _INTERNAL)
    key._pairwise_consistency_test()
    _generated(key, approved, size)
    return key


def load_transport_key(data: bytes, scheme: str = "rsa-oaep", *, encoding: Encoding = "der") -> TransportKey:
    """Import an RSA private key (PKCS#8 DER or PEM) for key transport."""
    module.gate()  # the gate first: an ERROR state outranks a bad argument
    data = byte_string("data", data)
    _transport_scheme(scheme)
    _choice(encoding, "encoding", ("der", "pem"))
    with _parsing("RSA-OAEP private key"):
        key = _keys.load_private(data)
        bits = _check_rsa_public(*_keys.rsa_numbers(_keys.public_key(key)))
    approved = require("keys.import", "key-agreement", "rsa-oaep", bits=bits)
    transport = TransportKey(key, bits, _INTERNAL)
    transport._pairwise_consistency_test(imported=True)
    record("keys.import", f"rsa-oaep-{bits}", approved)
    return transport


def load_transport_public_key(
    data: bytes, scheme: str = "rsa-oaep", *, encoding: Encoding = "der"
) -> TransportPublicKey:
    """Import a recipient's RSA public key (SubjectPublicKeyInfo DER or PEM) for key transport; the
    checks of :func:`rsa_verifying_key` apply."""
    module.gate()  # the gate first: an ERROR state outranks a bad argument
    data = byte_string("data", data)
    _transport_scheme(scheme)
    _choice(encoding, "encoding", ("der", "pem"))
    with _parsing("RSA-OAEP public key"):
        key = _keys.load_public(data)
        bits = _check_rsa_public(*_keys.rsa_numbers(key))
    approved = require("keys.import", "key-agreement", "rsa-oaep", bits=bits)
    record("keys.import", f"rsa-oaep-{bits}", approved)
    return TransportPublicKey(key, bits, _INTERNAL)


# ------------------------------------------------------------------------------------- key agreement


class AgreementPublicKey:
    """A validated key-agreement public key (a peer's, or :meth:`AgreementKey.public_key`)."""

    __slots__ = ("_key", "group", "scheme")

    def __init__(self, scheme: str, key: _keys.PublicKey, group: FFDHGroup | None, token: object) -> None:
        if token is not _INTERNAL:
            raise TypeError("use load_agreement_public_key() or AgreementKey.public_key()")
        self.scheme, self._key, self.group = scheme, key, group

    def __repr__(self) -> str:
        return f"AgreementPublicKey({self.scheme!r}, group={self.group and self.group.name!r})"

    @property
    def bits(self) -> int:
        return _agreement_bits(self.scheme, self.group)

    def public_bytes(self, encoding: Encoding = "der") -> bytes:
        """SubjectPublicKeyInfo DER (default) or PEM; raw: the EC uncompressed point (SEC 1 §2.3.3),
        FFDH y big-endian in len(p) bytes."""
        module.gate()
        if _choice(encoding, "encoding", ("der", "pem", "raw")) == "raw" and self.group is not None:
            _, y = _keys.dh_numbers(self._key)
            return y.to_bytes((self.group.bits + 7) // 8, "big")
        return _public_bytes(self._key, encoding)


def _agreement_bits(scheme: str, group: FFDHGroup | None) -> int:
    return group.bits if group else _FIELD_PRIMES[_curve(scheme)].bit_length()


class AgreementKey:
    """A private key-agreement key; made by :func:`generate_agreement_key` or the ``load_*`` functions.

    Revoked when the module enters ERROR, like :class:`SigningKey`."""

    __slots__ = ("__weakref__", "_key", "group", "scheme")

    def __init__(self, scheme: str, key: _keys.PrivateKey, group: FFDHGroup | None, token: object) -> None:
        if token is not _INTERNAL:
            raise TypeError("use generate_agreement_key() or load_agreement_key()")
        self.scheme, self._key, self.group = scheme, key, group
        hold(self)

    def _revoke(self) -> None:
        self._key = cast(Any, REVOKED)

    def __repr__(self) -> str:
        return f"AgreementKey({self.scheme!r}, group={self.group and self.group.name!r})"

    @property
    def bits(self) -> int:
        return _agreement_bits(self.scheme, self.group)

    def public_key(self) -> AgreementPublicKey:
        module.gate()
        return AgreementPublicKey(self.scheme, _keys.public_key(_live(self._key)), self.group, _INTERNAL)

    def public_bytes(self, encoding: Encoding = "der") -> bytes:
        """The public key's encoding (:meth:`AgreementPublicKey.public_bytes`)."""
        return self.public_key().public_bytes(encoding)

    def private_bytes(self, encoding: Encoding = "der") -> bytes:
        """PKCS#8 DER (default) or PEM, unencrypted (protect it with fipscrypto.seal); raw (ECDH only):
        the scalar d in the field's size (SEC 1 §2.3.7), as :func:`agreement_key_from_private_value`
        takes it back."""
        module.gate()
        key = _live(self._key)
        if self.group is None and _choice(encoding, "encoding", ("der", "pem", "raw")) == "raw":
            return _keys.private_scalar(key).to_bytes(_ec_size(_curve(self.scheme)), "big")
        return _private_bytes(key, encoding, raw=False)

    def exchange(self, peer: AgreementPublicKey) -> bytes:
        """The shared secret Z (SP 800-56A r3 §5.7.1.1 FFC DH, §5.7.1.2 ECC CDH), raw, len(p) bytes."""
        if not isinstance(peer, AgreementPublicKey):
            raise InvalidParameter(f"exchange needs an AgreementPublicKey, not {type(peer).__name__}")
        if peer.scheme != self.scheme or peer.group != self.group:
            raise InvalidParameter("the peer key belongs to another scheme or group")
        approved = _require_agreement("keys.agree", self.scheme, self.group)
        with _provider_call(f"{self.scheme} key agreement"):
            z = (_keys.dh_exchange if self.group else _keys.ec_exchange)(_live(self._key), peer._key)
        record("keys.agree", self._label(), approved)
        return z

    def _label(self) -> str:
        return f"ffdh-{self.group.name}" if self.group else self.scheme

    def _pairwise_consistency_test(self, *, imported: bool = False) -> None:
        """SP 800-56A r3 §5.6.2.1.4: recompute the public key from the private key and compare.

        "(b) Use the private key ... to compute a public key, and compare it with the public key of the
        key pair" (FFC: y = g^x mod p; ECC: Q = d * G). The FIPS provider does both, in fipscrypto's
        private context (``EVP_PKEY_pairwise_check``); in off mode, with no provider, fipscrypto does.
        """
        family = _family(self.scheme)
        key = _live(self._key)
        mine = _pct_value(family, self.public_bytes("raw"))  # what the test compares (fault injection)
        context = inside.get()
        if context is not None:
            consistent = _keys.pairwise(context, key, mine, _domain(self.group))
        elif self.group is not None:
            consistent = pow(self.group.g, _keys.private_scalar(key), self.group.p) == int.from_bytes(mine)
        else:
            scalar = _keys.private_scalar(key)
            consistent = (
                _keys.raw_public(_keys.public_key(_keys.ec_private(_curve(self.scheme), scalar))) == mine
            )
        if not consistent:
            if imported:
                raise InvalidParameter(f"{self.scheme} key pair is not consistent (pairwise test failed)")
            raise _pct_failed(family, self.scheme, "the recomputed public key differs from the key pair's")


def _domain(group: FFDHGroup | None) -> tuple[str | None, tuple[int, int, int]]:
    """(the name of a group the provider knows by name, or None; (p, g, q)) of an FFDH group."""
    if group is None:
        return None, (0, 0, 0)
    return (group.name if GROUPS.get(group.name) == group else None), (group.p, group.g, group.q)


def _agreement_scheme(scheme: object, group: str | FFDHGroup | None) -> FFDHGroup | None:
    scheme = _scheme(scheme, "scheme")
    if scheme == "ffdh":
        return _group(group)
    if group is not None:
        raise InvalidParameter(f"group is for ffdh; {scheme} has none")
    if (_curve(scheme) in _FIELD_PRIMES) if scheme.startswith("ecdh-") else scheme in ("x25519", "x448"):
        return None  # the policy answers (strict mode refuses X25519/X448, which are not offered)
    raise not_offered("key-agreement", scheme, "key-agreement scheme", _AGREEMENT_OFFERED)


def _require_agreement(service: str, scheme: str, group: FFDHGroup | None, direction: str = "apply") -> bool:
    approved = require(
        service, "key-agreement", scheme, direction=direction, bits=group.bits if group else None
    )
    if scheme != "ffdh" and not (scheme.startswith("ecdh-") and _curve(scheme) in _FIELD_PRIMES):
        raise AlgorithmUnavailable(f"{scheme} is not offered by fipscrypto.keys")
    return approved


def generate_agreement_key(scheme: str, *, group: str | FFDHGroup | None = None) -> AgreementKey:
    """A new key-agreement key pair (SP 800-56A r3 §5.6.1.1.4 FFC, §5.6.1.2 ECC) with its PCT.

    ``scheme``: ecdh-p256/p384/p521 (p224), or ffdh with ``group`` (a name in :data:`GROUPS`).
    """
    ffdh = _agreement_scheme(scheme, group)
    approved = _require_agreement("keys.generate", scheme, ffdh)
    if ffdh is not None:
        name, domain = _domain(ffdh)
        backend = _generate("dh", scheme, group=domain, group_name=name)
    else:
        backend = _generate("ec", scheme, curve=_curve(scheme))
    key = AgreementKey(scheme, backend, ffdh, _INTERNAL)
    key._pairwise_consistency_test()
    _generated(key, approved, key.bits)
    return key


def agreement_key_from_private_value(
    scheme: str, value: int, *, group: str | FFDHGroup | None = None
) -> AgreementKey:
    """Import a static private key from its integer (ECC d, FFC x); the public key is computed.

    SP 800-56A r3 §5.6.2.1.2/§5.6.2.1.3: ECC 1 <= d <= n-1 (the provider checks), FFC 1 <= x <= q-1.
    """
    module.gate()  # the gate first: an ERROR state outranks a bad argument
    ffdh = _agreement_scheme(scheme, group)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameter(f"the private value is an int, not {type(value).__name__}")
    approved = _require_agreement("keys.import", scheme, ffdh)
    with _parsing(f"{scheme} private key"):
        if ffdh is not None:
            if not 1 <= value <= ffdh.q - 1:
                raise InvalidParameter("FFDH private key out of range: need 1 <= x <= q - 1")
            backend = _keys.dh_private((ffdh.p, ffdh.g, ffdh.q), value, pow(ffdh.g, value, ffdh.p))
        else:
            backend = _keys.ec_private(_curve(scheme), value)
    key = AgreementKey(scheme, backend, ffdh, _INTERNAL)
    key._pairwise_consistency_test(imported=True)
    record("keys.import", key._label(), approved)
    return key


def load_agreement_key(
    data: bytes, scheme: str, *, group: str | FFDHGroup | None = None, encoding: Encoding = "der"
) -> AgreementKey:
    """Import a PKCS#8 (DER or PEM) key-agreement private key; it must match ``scheme``/``group``."""
    module.gate()  # the gate first: an ERROR state outranks a bad argument
    data = byte_string("data", data)
    ffdh = _agreement_scheme(scheme, group)
    _choice(encoding, "encoding", ("der", "pem"))
    approved = _require_agreement("keys.import", scheme, ffdh)
    with _parsing(f"{scheme} private key"):
        backend = _keys.load_private(data)
        _validated_public(scheme, ffdh, _keys.public_key(backend))
    key = AgreementKey(scheme, backend, ffdh, _INTERNAL)
    key._pairwise_consistency_test(imported=True)
    record("keys.import", key._label(), approved)
    return key


def _validated_public(scheme: str, group: FFDHGroup | None, key: _keys.PublicKey) -> _keys.PublicKey:
    if group is not None:
        (p, g, _), y = _keys.dh_numbers(key)
        if (p, g) != (group.p, group.g):
            raise InvalidParameter(f"the key is not in group {group.name}")
        _check_ffc_public(group, y)
        return key
    curve, x, y = _keys.ec_numbers(key)
    if curve != _curve(scheme):
        raise InvalidParameter(f"{scheme} key expected, got curve {curve}")
    return _ec_public(curve, x, y)


def load_agreement_public_key(
    data: bytes | int, scheme: str, *, group: str | FFDHGroup | None = None, encoding: Encoding = "der"
) -> AgreementPublicKey:
    """Import and fully validate a peer's public key (SP 800-56A r3 §5.6.2.3.1 FFC, §5.6.2.3.3 ECC).

    der/pem: SubjectPublicKeyInfo (either is recognised). raw: ECDH a point, uncompressed or compressed
    (SEC 1 §2.3.3), as TLS and IKEv2 carry it; FFDH y as bytes (up to len(p)) or an int.
    Invalid keys raise InvalidParameter.
    """
    module.gate()  # the gate first: an ERROR state outranks a bad argument
    ffdh = _agreement_scheme(scheme, group)
    fmt = _choice(encoding, "encoding", ("der", "pem", "raw"))
    if isinstance(data, bool) or not isinstance(data, int):
        data = byte_string("data", data)
    approved = _require_agreement("keys.import", scheme, ffdh)
    with _parsing(f"{scheme} public key"):
        if isinstance(data, int) or fmt == "raw":
            if ffdh is not None:
                y = data if isinstance(data, int) else int.from_bytes(data, "big")
                if not isinstance(data, int) and len(data) > math.ceil(ffdh.bits / 8):
                    raise InvalidParameter("FFDH public key longer than p")
                _check_ffc_public(ffdh, y)
                key = _keys.dh_public((ffdh.p, ffdh.g, ffdh.q), y)
            elif isinstance(data, int):
                raise InvalidParameter("an ECDH public key is a point, not an integer")
            else:
                key = _ec_point(_curve(scheme), data)
        else:
            key = _validated_public(scheme, ffdh, _keys.load_public(data))
    record("keys.import", f"ffdh-{ffdh.name}" if ffdh else scheme, approved)
    return AgreementPublicKey(scheme, key, ffdh, _INTERNAL)


# --------------------------------------------------------- ECC CDH on raw values (for fipscrypto.pqc)
# The hybrid KEMs' ECDH half, not in __all__ (the public API is the key objects above). A key pair is
# generated by the provider and used where it was made, in the private context: no key object, no
# PKCS#8 round trip, no pairwise-consistency test of fipscrypto's own, because the provider's keygen
# runs one on every EC key pair before it returns it (``Conditional_PCT``: a signature made with d
# verifies with Q, FIPS 140-3 IG 10.3.A) and enters its error state when it fails.
# ``FIPSCRYPTO_SELFTEST_FAIL=pct-ecdh`` makes the provider corrupt that test's value here, so that
# the provider's own test fails. The caller asks the policy (the hybrid group's). In off mode, with no
# provider, cryptography's keys and fipscrypto's pairwise-consistency test serve.


def ecdh_keypair(scheme: str) -> tuple[object, bytes, bytes]:
    """(key, uncompressed point, scalar d in the field's size) of a new ``ecdh-*`` key pair."""
    curve = _curve(scheme)
    size, context = _ec_size(curve), inside.get()
    with _provider_call(f"{scheme} key generation"):
        made = _keys.cdh_keypair(context, curve, size, corrupt=_faults.injected("pct-ecdh"))
    if made is None:
        raise _pct_failed("ecdh", scheme, "the provider's pairwise-consistency test failed (Conditional_PCT)")
    key, point, scalar = made
    if context is None:  # SP 800-56A r3 §5.6.2.1.4 (b): Q = d * G, recomputed
        recomputed = _keys.raw_public(_keys.public_key(_keys.ec_private(curve, int.from_bytes(scalar))))
        if recomputed != _pct_value("ecdh", point):
            raise _pct_failed("ecdh", scheme, "the recomputed public key differs from the key pair's")
    return key, point, scalar


def ecdh_private(scheme: str, scalar: bytes) -> object:
    """The key of scalar d (SEC 1 §2.3.7: big-endian in the field's size). ECC CDH needs d alone;
    InvalidParameter unless 1 <= d <= n - 1 (SP 800-56A r3 §5.6.2.1.2, the provider checks)."""
    curve = _curve(scheme)
    with _provider_call(f"{scheme} private key"):
        key = _keys.cdh_private(inside.get(), curve, scalar)
    if key is None:
        raise InvalidParameter(f"{scheme} private key out of range: need 1 <= d <= n - 1")
    return key


def ecdh_z(scheme: str, key: object, point: bytes) -> bytes:
    """Z (SP 800-56A r3 §5.7.1.2 ECC CDH) of ``key`` and a peer's uncompressed point Q, after full
    public-key validation of Q (§5.6.2.3.3): step 2, the coordinates in [0, p-1], here; steps 3 and
    4 (on the curve, nQ = O) by the provider (``EVP_PKEY_public_check`` when the peer is set)."""
    curve = _curve(scheme)
    size, p = _ec_size(curve), _FIELD_PRIMES[curve]
    if len(point) != 1 + 2 * size or point[0] != 0x04:
        raise InvalidParameter(
            f"{scheme} share: need an uncompressed point of {1 + 2 * size} bytes (0x04 || x || y)"
        )
    if int.from_bytes(point[1 : 1 + size]) >= p or int.from_bytes(point[1 + size :]) >= p:
        raise InvalidParameter(f"{curve} public key coordinates out of range [0, p-1]")
    context = inside.get()
    with _provider_call(f"{scheme} key agreement"):
        peer = _keys.cdh_public(context, curve, point)
        z = None if peer is None else _keys.cdh(key, peer, size)
    if z is None:
        raise InvalidParameter(f"{curve} public key is not a point on the curve")
    return z
