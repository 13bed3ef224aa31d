"""Asymmetric keys: generation with a pairwise-consistency test, signatures, key agreement.

    key = keys.generate_signing_key("ecdsa-p256")
    signature = key.sign(message)                          # SHA-256, the curve's default
    key.verifying_key().verify(signature, message)         # raises InvalidSignature on failure

    mine = keys.generate_agreement_key("ffdh", group="ffdhe3072")
    peer = keys.load_agreement_public_key(their_bytes, "ffdh", group="ffdhe3072")   # validated
    z = mine.exchange(peer)                                # the shared secret Z, raw

Signature schemes (FIPS 186-5, FIPS 204): ``rsa-pss``, ``rsa-pkcs1v15``, ``ecdsa-p224/p256/p384/p521``,
``ed25519``, ``ed448``, ``ml-dsa-44/65/87``. Key agreement (SP 800-56A r3): ``ecdh-p224/p256/p384/p521``
and ``ffdh`` over the RFC 3526 / RFC 7919 safe-prime groups in :data:`GROUPS` (or an explicit
:class:`FFDHGroup`). Every call passes the service gate and the active policy (``fipscrypto._service``),
so strict mode refuses RSA-1024, secp256k1 and X25519 before any work.

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

import dataclasses
import functools
import math
import secrets
from pathlib import Path
from typing import Any, Literal, cast

from . import _faults, _fork, audit, module
from ._backend import keys as _keys
from ._service import REVOKED, authorize, hold, record
from .errors import AlgorithmUnavailable, InvalidParameter, InvalidSignature, SelfTestFailure
from .provider.context import FipsContext, open_context
from .provider.state import StatePaths

__all__ = [
    "GROUPS",
    "AgreementKey",
    "AgreementPublicKey",
    "Encoding",
    "FFDHGroup",
    "SigningKey",
    "VerifyingKey",
    "agreement_key_from_private_value",
    "generate_agreement_key",
    "generate_signing_key",
    "load_agreement_key",
    "load_agreement_public_key",
    "load_signing_key",
    "load_verifying_key",
    "rsa_verifying_key",
    "signing_key_from_seed",
]

Encoding = Literal["pem", "der", "raw"]
_PCT_MESSAGE = b"fipscrypto pairwise-consistency test (FIPS 140-3 IG 10.3.A)"
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
_DEFAULT_HASH = {
    "p224": "sha256",
    "p256": "sha256",
    "p384": "sha384",
    "p521": "sha512",
    "secp256k1": "sha256",
}
_SIZES = {"ed25519": 256, "ed448": 456}  # key sizes in bits (RFC 8032 §5.1, §5.2)
_RSA_HASHES = ("sha224", "sha256", "sha384", "sha512", "sha512-256", "sha3-256", "sha3-384", "sha3-512")
# FIPS 186-5 §A.1.1 and SP 800-56B r2 §6.2.1: 2^16 < e < 2^256, e odd.
_RSA_E_RANGE = (65537, 2**256)
_RSA_LEGACY_FLOOR = 1024  # no policy makes a smaller modulus usable, even for legacy verification
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
    if group is None or group not in GROUPS:
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


# ------------------------------------------------------------------------------------ EC checks


def _curve(scheme: str) -> str:
    return scheme.split("-", 1)[1]


def _ec_point(curve: str, data: bytes) -> tuple[int, int]:
    """Decode an uncompressed point (SEC 1 §2.3.4) with the coordinate range check."""
    p = _FIELD_PRIMES[curve]
    size = (p.bit_length() + 7) // 8
    if len(data) != 1 + 2 * size or data[0] != 0x04:
        raise InvalidParameter(f"{curve} public key: need an uncompressed point of {1 + 2 * size} bytes")
    return int.from_bytes(data[1 : 1 + size], "big"), int.from_bytes(data[1 + size :], "big")


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


def _check_rsa_public(scheme: str, n: int, e: int, direction: str) -> None:
    """RSA public-key checks: FIPS 186-5 §A.1.1 (e odd, 2^16 < e < 2^256) and the policy's size floor."""
    from .policy import Direction, check  # parsed at the first verdict, like _service does

    bits = n.bit_length()
    if n % 2 == 0 or not _RSA_LEGACY_FLOOR <= bits <= RSA_MAX_BITS:
        raise InvalidParameter(
            f"RSA modulus of {bits} bits refused (odd, {_RSA_LEGACY_FLOOR}..{RSA_MAX_BITS} bits)"
        )
    if not (_RSA_E_RANGE[0] <= e < _RSA_E_RANGE[1] and e % 2 == 1):
        raise InvalidParameter("RSA public exponent must be odd with 65537 <= e < 2^256 (FIPS 186-5 §A.1.1)")
    verdict = check("signature", scheme, direction=Direction(direction), bits=bits)
    if not verdict.allowed:
        raise InvalidParameter(f"RSA-{bits}: {verdict.reason} ({verdict.citation()})")


# ---------------------------------------------------------------------------------------- signatures


def _family(scheme: str) -> str:
    if scheme.startswith("rsa-"):
        return "rsa"
    if scheme.startswith(("ecdsa-", "ecdh-")):
        return scheme.split("-", 1)[0]
    if scheme.startswith("ml-dsa-"):
        return "ml-dsa"
    return {"ed25519": "eddsa", "ed448": "eddsa", "ffdh": "ffdh"}.get(scheme, scheme)


def _hash_for(scheme: str, hash_name: str | None) -> str | None:
    """The hash a scheme signs with: given for RSA/ECDSA (ECDSA defaults to the curve's), none otherwise."""
    family = _family(scheme)
    if family == "rsa":
        name = hash_name or "sha256"
        if name not in _RSA_HASHES:
            raise InvalidParameter(f"{scheme} hash must be one of {', '.join(_RSA_HASHES)}")
        return name
    if family == "ecdsa":
        name = hash_name or _DEFAULT_HASH[_curve(scheme)]
        if name not in _keys.HASHES:
            raise InvalidParameter(f"unknown hash {name!r}")
        return name
    if hash_name is not None:
        raise InvalidParameter(f"{scheme} hashes internally; give no hash")
    return None


def _label(scheme: str, size: int | None, hash_name: str | None) -> str:
    """The indicator's algorithm name: rsa-pss-3072/sha256, ecdsa-p256/sha256, ed25519."""
    name = f"{scheme}-{size}" if _family(scheme) == "rsa" else scheme
    return f"{name}/{hash_name}" if hash_name else name


class VerifyingKey:
    """A public signature key. Made by :meth:`SigningKey.verifying_key` or the ``load_*`` functions."""

    __slots__ = ("_key", "scheme", "size")

    def __init__(self, scheme: str, key: _keys.PublicKey, size: int | None, token: object) -> None:
        if token is not _INTERNAL:
            raise TypeError("use load_verifying_key() or SigningKey.verifying_key()")
        self.scheme, self._key, self.size = scheme, key, size

    def __repr__(self) -> str:
        return f"VerifyingKey({self.scheme!r}, size={self.size})"

    def verify(self, signature: bytes, message: bytes, *, hash: str | None = None) -> None:
        """Verify (FIPS 186-5 §5.4/§6.4.2/§7.7; FIPS 204 Algorithm 3); raise InvalidSignature if it fails."""
        hash_name = _hash_for(self.scheme, hash)
        approved = authorize("keys.verify", "signature", self.scheme, direction="process", bits=self._bits())
        if hash_name is not None:
            approved &= authorize("keys.verify", "hash", hash_name, direction="process")
        ok = _keys.verify(self._key, self.scheme, signature, message, hash_name)
        record("keys.verify", _label(self.scheme, self.size, hash_name), approved)
        if not ok:
            raise InvalidSignature("signature did not verify")

    def public_bytes(self, encoding: Encoding = "pem") -> bytes:
        """SubjectPublicKeyInfo (PEM/DER); raw: Ed/ML-DSA key bytes, EC uncompressed point."""
        module.gate()
        return _keys.raw_public(self._key) if encoding == "raw" else _keys.public_bytes(self._key, encoding)

    def _bits(self) -> int | None:
        return self.size if _family(self.scheme) == "rsa" else None


class SigningKey:
    """A private signature key; made by :func:`generate_signing_key` or the ``load_*`` functions.

    Entering the ERROR state revokes it: it drops its key object and every method raises
    ModuleErrorState from then on, also after a recovery (make a new key)."""

    __slots__ = ("__weakref__", "_key", "scheme", "size")

    def __init__(self, scheme: str, key: _keys.PrivateKey, size: int | None, token: object) -> None:
        if token is not _INTERNAL:
            raise TypeError("use generate_signing_key() or load_signing_key()")
        self.scheme, self._key, self.size = scheme, key, size
        hold(self)

    def _revoke(self) -> None:
        self._key = cast(Any, REVOKED)

    def __repr__(self) -> str:
        return f"SigningKey({self.scheme!r}, size={self.size})"

    def sign(self, message: bytes, *, hash: str | None = None) -> bytes:
        """Sign ``message`` (FIPS 186-5 §5.4, §6.4.1, §7.6; FIPS 204 Algorithm 2). ECDSA: DER (r, s)."""
        hash_name = _hash_for(self.scheme, hash)
        bits = self.size if _family(self.scheme) == "rsa" else None
        approved = authorize("keys.sign", "signature", self.scheme, bits=bits)
        if hash_name is not None:
            approved &= authorize("keys.sign", "hash", hash_name)
        signature = _keys.sign(_live(self._key), self.scheme, message, hash_name)
        record("keys.sign", _label(self.scheme, self.size, hash_name), approved)
        return signature

    def verifying_key(self) -> VerifyingKey:
        module.gate()
        return VerifyingKey(self.scheme, _keys.public_key(_live(self._key)), self.size, _INTERNAL)

    def private_bytes(self, encoding: Encoding = "pem") -> bytes:
        """PKCS#8 (PEM/DER, unencrypted: protect it with fipscrypto.seal); raw: Ed key, ML-DSA seed."""
        module.gate()
        key = _live(self._key)
        return _keys.raw_private(key) if encoding == "raw" else _keys.private_bytes(key, encoding)

    def _pairwise_consistency_test(self, *, imported: bool = False) -> None:
        """FIPS 140-3 IG 10.3.A: sign a fixed message with the new private key, verify with its public key.

        For an imported key pair the same test gives assurance of its consistency; a failure there
        rejects the key (InvalidParameter) instead of latching ERROR.
        """
        hash_name = _hash_for(self.scheme, None)
        family = _family(self.scheme)
        key = _live(self._key)
        signature = _keys.sign(key, self.scheme, _PCT_MESSAGE, hash_name)
        message = _pct_value(family, _PCT_MESSAGE)
        if not _keys.verify(_keys.public_key(key), self.scheme, signature, message, hash_name):
            if imported:
                raise InvalidParameter(f"{self.scheme} key pair is not consistent (pairwise test failed)")
            raise _pct_failed(family, self.scheme, "the signature of the test message did not verify")


def _signing_kind(scheme: str, bits: int | None) -> tuple[str, int | None]:
    """(backend kind, size) for a signature scheme, or InvalidParameter."""
    family = _family(scheme)
    if family == "rsa" and scheme in ("rsa-pss", "rsa-pkcs1v15"):
        if bits is None:
            return "rsa", 3072
        if type(bits) is not int or not 0 < bits <= RSA_MAX_BITS:
            raise InvalidParameter(f"bits is the RSA modulus size: an int, 1..{RSA_MAX_BITS}")
        return "rsa", bits
    if family == "ecdsa" and _curve(scheme) in _FIELD_PRIMES:
        return "ec", _FIELD_PRIMES[_curve(scheme)].bit_length()
    if scheme in ("ed25519", "ed448"):
        return scheme, _SIZES[scheme]
    if scheme in _keys.MLDSA:
        return scheme, None
    raise InvalidParameter(f"unknown signature scheme {scheme!r}")


def _authorize_generation(category: str, scheme: str, bits: int | None, *, sized: bool) -> bool:
    return authorize("keys.generate", category, scheme, bits=bits if sized else None)


def _generated(key: SigningKey | AgreementKey, approved: bool, bits: int | None) -> None:
    """Audit and indicate a generated key pair, saying where it was generated."""
    family = _family(key.scheme)
    label = f"{key.scheme}-{bits}" if family in ("rsa", "ffdh") else key.scheme
    if module.mode() is module.Mode.OFF:
        where = "cryptography, no provider"
    elif family in ("rsa", "ecdsa", "ecdh", "ffdh"):
        where = "fips provider, private context"
    else:
        where = "fips provider, through cryptography"
    audit.emit("key-generated", algorithm=key.scheme, bits=bits, approved=approved, generated_in=where)
    record("keys.generate", label, approved)


def generate_signing_key(scheme: str, *, bits: int | None = None) -> SigningKey:
    """A new signature key pair (FIPS 186-5 §A.1 RSA, §A.2 ECDSA, §7 EdDSA; FIPS 204 Algorithm 1).

    ``bits`` is the RSA modulus size (default 3072); the policy decides which sizes are allowed.
    The key pair passes a pairwise-consistency test before it is returned.
    """
    kind, size = _signing_kind(scheme, bits)
    approved = _authorize_generation("signature", scheme, size, sized=kind == "rsa")
    curve = _curve(scheme) if kind == "ec" else ""
    backend = _keys.generate(kind, bits=size or 0, curve=curve, inside=inside.get())
    key = SigningKey(scheme, backend, size, _INTERNAL)
    key._pairwise_consistency_test()
    _generated(key, approved, size)
    return key


def signing_key_from_seed(scheme: str, seed: bytes) -> SigningKey:
    """The ML-DSA key pair of a 32-byte seed (FIPS 204 Algorithm 6, ML-DSA.KeyGen_internal)."""
    module.gate()  # the gate first: an ERROR state outranks a bad argument
    if scheme not in _keys.MLDSA or len(seed) != 32:
        raise InvalidParameter("signing_key_from_seed needs ml-dsa-44/65/87 and a 32-byte seed")
    approved = authorize("keys.import", "signature", scheme)
    key = SigningKey(scheme, _keys.mldsa_from_seed(scheme, seed), None, _INTERNAL)
    key._pairwise_consistency_test(imported=True)
    record("keys.import", scheme, approved)
    return key


def load_signing_key(data: bytes, scheme: str, *, encoding: Encoding = "pem") -> SigningKey:
    """Import a private signature key: PKCS#8 PEM/DER, or raw Ed25519/Ed448 (ML-DSA: use the seed)."""
    module.gate()  # the gate first: an ERROR state outranks a bad argument
    kind, _ = _signing_kind(scheme, None)
    try:
        key = _keys.load_private(data, raw=scheme if encoding == "raw" else None)
        public = _keys.public_key(key)
        size = _check_signature_public(scheme, kind, public, "apply")
    except (ValueError, TypeError) as exc:
        raise InvalidParameter(f"{scheme} private key: {exc}") from None
    approved = authorize("keys.import", "signature", scheme, bits=size if kind == "rsa" else None)
    signing = SigningKey(scheme, key, size, _INTERNAL)
    signing._pairwise_consistency_test(imported=True)
    record("keys.import", scheme, approved)
    return signing


def _check_signature_public(scheme: str, kind: str, key: _keys.PublicKey, direction: str) -> int | None:
    """Check an imported public key against its scheme; the key size. Raises InvalidParameter."""
    if kind == "rsa":
        n, e = _keys.rsa_numbers(key)
        _check_rsa_public(scheme, n, e, direction)
        return n.bit_length()
    if kind == "ec":
        curve, x, y = _keys.ec_numbers(key)
        if curve != _curve(scheme):
            raise InvalidParameter(f"{scheme} key expected, got curve {curve}")
        _ec_public(curve, x, y)
        return _FIELD_PRIMES[curve].bit_length()
    raw = _keys.raw_public(key)
    _keys.load_public(raw, raw=scheme)  # raises TypeError/ValueError when the key is of another scheme
    return _SIZES.get(scheme)


def load_verifying_key(data: bytes, scheme: str, *, encoding: Encoding = "pem") -> VerifyingKey:
    """Import a public signature key: SubjectPublicKeyInfo PEM/DER, or raw (Ed/ML-DSA bytes, EC point).

    EC keys pass full public-key validation (SP 800-56A r3 §5.6.2.3.3); RSA keys the checks of
    :func:`rsa_verifying_key`. Invalid keys raise InvalidParameter.
    """
    module.gate()  # the gate first: an ERROR state outranks a bad argument
    kind, _ = _signing_kind(scheme, None)
    try:
        if encoding == "raw" and kind == "ec":
            key = _ec_public(_curve(scheme), *_ec_point(_curve(scheme), data))
        else:
            key = _keys.load_public(data, raw=scheme if encoding == "raw" else None)
        size = _check_signature_public(scheme, kind, key, "process")
    except (ValueError, TypeError) as exc:
        raise InvalidParameter(f"{scheme} public key: {exc}") from None
    approved = authorize(
        "keys.import", "signature", scheme, direction="process", bits=size if kind == "rsa" else None
    )
    record("keys.import", scheme, approved)
    return VerifyingKey(scheme, key, size, _INTERNAL)


def rsa_verifying_key(n: int, e: int, scheme: str = "rsa-pss") -> VerifyingKey:
    """An RSA public key from (n, e): e odd with 2^16 < e < 2^256, n at least the policy's minimum."""
    module.gate()  # the gate first: an ERROR state outranks a bad argument
    if scheme not in ("rsa-pss", "rsa-pkcs1v15"):
        raise InvalidParameter(f"{scheme} is not an RSA signature scheme")
    _check_rsa_public(scheme, n, e, "process")
    approved = authorize("keys.import", "signature", scheme, direction="process", bits=n.bit_length())
    record("keys.import", scheme, approved)
    return VerifyingKey(scheme, _keys.rsa_public(n, e), n.bit_length(), _INTERNAL)


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

    def public_bytes(self, encoding: Encoding = "raw") -> bytes:
        """raw: EC uncompressed point (SEC 1 §2.3.3) / FFDH y big-endian in len(p) bytes; or SPKI PEM/DER."""
        module.gate()
        if encoding != "raw":
            return _keys.public_bytes(self._key, encoding)
        if self.group is not None:
            _, y = _keys.dh_numbers(self._key)
            return y.to_bytes((self.group.bits + 7) // 8, "big")
        return _keys.raw_public(self._key)


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
        return self.group.bits if self.group else _FIELD_PRIMES[_curve(self.scheme)].bit_length()

    def public_key(self) -> AgreementPublicKey:
        module.gate()
        return AgreementPublicKey(self.scheme, _keys.public_key(_live(self._key)), self.group, _INTERNAL)

    def public_bytes(self, encoding: Encoding = "raw") -> bytes:
        return self.public_key().public_bytes(encoding)

    def private_bytes(self, encoding: Literal["pem", "der"] = "pem") -> bytes:
        """PKCS#8, unencrypted (protect it with fipscrypto.seal)."""
        module.gate()
        return _keys.private_bytes(_live(self._key), encoding)

    def exchange(self, peer: AgreementPublicKey) -> bytes:
        """The shared secret Z (SP 800-56A r3 §5.7.1.1 FFC DH, §5.7.1.2 ECC CDH), raw, len(p) bytes."""
        if peer.scheme != self.scheme or peer.group != self.group:
            raise InvalidParameter("the peer key belongs to another scheme or group")
        approved = _authorize_agreement("keys.agree", self.scheme, self.group)
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


def _agreement_scheme(scheme: str, group: str | FFDHGroup | None) -> FFDHGroup | None:
    if scheme == "ffdh":
        return _group(group)
    if scheme.startswith("ecdh-") and _curve(scheme) in _FIELD_PRIMES:
        return None
    if scheme.startswith("ecdh-") or scheme in ("x25519", "x448"):
        return None  # named by the vocabulary: the policy answers (strict mode refuses them)
    raise InvalidParameter(f"unknown key-agreement scheme {scheme!r}")


def _authorize_agreement(
    service: str, scheme: str, group: FFDHGroup | None, direction: str = "apply"
) -> bool:
    approved = authorize(
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
    approved = _authorize_agreement("keys.generate", scheme, ffdh)
    if ffdh is not None:
        name, domain = _domain(ffdh)
        backend = _keys.generate("dh", group=domain, group_name=name, inside=inside.get())
    else:
        backend = _keys.generate("ec", curve=_curve(scheme), inside=inside.get())
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
    approved = _authorize_agreement("keys.import", scheme, ffdh)
    try:
        if ffdh is not None:
            if not 1 <= value <= ffdh.q - 1:
                raise InvalidParameter("FFDH private key out of range: need 1 <= x <= q - 1")
            backend = _keys.dh_private((ffdh.p, ffdh.g, ffdh.q), value, pow(ffdh.g, value, ffdh.p))
        else:
            backend = _keys.ec_private(_curve(scheme), value)
    except ValueError as exc:
        raise InvalidParameter(f"{scheme} private key: {exc}") from None
    key = AgreementKey(scheme, backend, ffdh, _INTERNAL)
    key._pairwise_consistency_test(imported=True)
    record("keys.import", key._label(), approved)
    return key


def load_agreement_key(data: bytes, scheme: str, *, group: str | FFDHGroup | None = None) -> AgreementKey:
    """Import a PKCS#8 (PEM or DER) key-agreement private key; it must match ``scheme``/``group``."""
    module.gate()  # the gate first: an ERROR state outranks a bad argument
    ffdh = _agreement_scheme(scheme, group)
    try:
        backend = _keys.load_private(data)
        public = _validated_public(scheme, ffdh, _keys.public_key(backend))
    except (ValueError, TypeError) as exc:
        raise InvalidParameter(f"{scheme} private key: {exc}") from None
    approved = _authorize_agreement("keys.import", scheme, ffdh)
    del public
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
    data: bytes | int, scheme: str, *, group: str | FFDHGroup | None = None, encoding: Encoding = "raw"
) -> AgreementPublicKey:
    """Import and fully validate a peer's public key (SP 800-56A r3 §5.6.2.3.1 FFC, §5.6.2.3.3 ECC).

    raw: ECDH an uncompressed point, FFDH y as bytes (any length up to len(p)) or an int; else SPKI.
    Invalid keys raise InvalidParameter.
    """
    module.gate()  # the gate first: an ERROR state outranks a bad argument
    ffdh = _agreement_scheme(scheme, group)
    approved = _authorize_agreement("keys.import", scheme, ffdh)
    try:
        if isinstance(data, int) or encoding == "raw":
            if ffdh is not None:
                y = data if isinstance(data, int) else int.from_bytes(data, "big")
                if not isinstance(data, int) and len(data) > math.ceil(ffdh.bits / 8):
                    raise InvalidParameter("FFDH public key longer than p")
                _check_ffc_public(ffdh, y)
                key = _keys.dh_public((ffdh.p, ffdh.g, ffdh.q), y)
            elif isinstance(data, int):
                raise InvalidParameter("an ECDH public key is a point, not an integer")
            else:
                key = _ec_public(_curve(scheme), *_ec_point(_curve(scheme), data))
        else:
            key = _validated_public(scheme, ffdh, _keys.load_public(data))
    except (ValueError, TypeError) as exc:
        if isinstance(exc, InvalidParameter):
            raise
        raise InvalidParameter(f"{scheme} public key: {exc}") from None
    record("keys.import", f"ffdh-{ffdh.name}" if ffdh else scheme, approved)
    return AgreementPublicKey(scheme, key, ffdh, _INTERNAL)
