"""ML-KEM (FIPS 203) key encapsulation on the openssl or the liboqs backend.

    kem = fipscrypto.pqc.MLKEM("ML-KEM-768")          # backend "auto": openssl when it offers the set
    public_key, private_key = kem.generate_keypair()  # ek (FIPS 203 encoding), the seed d || z
    ciphertext, secret = kem.encapsulate(public_key)
    assert kem.decapsulate(private_key, ciphertext) == secret

Byte formats are FIPS 203's: the encapsulation key ``ek`` (§7.1, 384k + 32 bytes), the ciphertext
``c``, the 32-byte shared key ``K``, and as private key the 64-byte seed ``d || z`` (§7.1, Algorithm
16 ML-KEM.KeyGen_internal(d, z)), which both backends turn into the same key pair. The liboqs backend
also decapsulates with the expanded key ``dk`` of §7.1 (after the decapsulation-key check of §7.3);
cryptography 50, under the openssl backend, imports a decapsulation key only from its seed.

Checks: the encapsulation-key check of §7.2 (length, and the modulus check of every coefficient) on
every key given to :meth:`MLKEM.encapsulate` (:class:`~fipscrypto.errors.InvalidKey`); a ciphertext of
the right length that does not decrypt to itself yields the implicit-rejection key ``J(z || c)``
(Algorithm 18, line 9), not an error. Randomness (a new seed, the encapsulation's ``m``) comes from the
FIPS provider's DRBG on both backends.

Every operation passes the one enforcement path (``fipscrypto.enforce.require``) for the parameter
set (category ``key-agreement``, ``ml-kem-768``: apply for key generation and encapsulation, process
for decapsulation) and, on liboqs, for category ``implementation``, name ``liboqs`` (outside the FIPS
boundary: disallowed by the built-in policies), then records the service indicator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fipscrypto import _liboqs, _params, enforce, module
from fipscrypto.errors import AlgorithmUnavailable, InvalidKey, InvalidParameter
from fipscrypto.indicator import record

from ._flag import require_enabled
from .backends import OPENSSL_SETS, PARAMETER_SETS

__all__ = ["BACKENDS", "MLKEM", "OPENSSL_SETS", "PARAMETER_SETS", "SEED_BYTES", "SHARED_SECRET_BYTES"]

BACKENDS = ("auto", "openssl", "liboqs")
SEED_BYTES = 64  # d || z
SHARED_SECRET_BYTES = 32
# The services (indicator, audit, and the self-tests they unlock): the FIPS provider's ML-KEM test
# (ml-kem-768) unlocks the first, the liboqs backend's (ml-kem-liboqs) the second.
SERVICE, LIBOQS_SERVICE = "pqc.kem", "pqc.kem.liboqs"
_CACHED = 16  # key objects kept per MLKEM object (the last ones used), dropped when the module errs

_APPLY, _PROCESS = "apply", "process"


class _Keys:
    """A small bounded map from key bytes to what a backend made of them (a key object, an expanded
    key), so that repeated use of one key is not re-imported each call. Emptied on ERROR."""

    __slots__ = ("_made", "_make")

    def __init__(self, make: Callable[[bytes], Any]) -> None:
        self._made: dict[bytes, Any] = {}
        self._make = make

    def get(self, key: bytes) -> Any:
        made = self._made.get(key)
        if made is None:
            made = self._make(key)
            if len(self._made) >= _CACHED:
                self._made.pop(next(iter(self._made)))
            self._made[key] = made
        return made

    def clear(self) -> None:
        self._made.clear()


_caches: list[_Keys] = []


def _drop_keys() -> None:
    for cache in list(_caches):
        cache.clear()


module.on_error(_drop_keys)


class _OpenSSL:
    """ML-KEM-768/1024 of the FIPS provider through cryptography (``fipscrypto._backend.kem``)."""

    def __init__(self, parameter_set: str) -> None:
        from fipscrypto._backend import kem  # boots the module's OpenSSL configuration first

        self._kem = kem
        self._kind = parameter_set.lower()
        self._ek_bytes = PARAMETER_SETS[parameter_set][1]
        self._private = _Keys(lambda seed: kem.from_seed(self._kind, seed))
        self._public = _Keys(self._load_public)
        _caches.extend((self._private, self._public))

    def _load_public(self, ek: bytes) -> Any:
        try:
            return self._kem.load_public(self._kind, ek)
        except ValueError:
            raise InvalidKey(
                f"{self._kind}: the encapsulation key fails the check of FIPS 203 §7.2 (modulus)"
            ) from None

    def generate(self, seed: bytes | None) -> tuple[bytes, bytes]:
        kem = self._kem
        key = kem.generate(self._kind) if seed is None else self._private.get(seed)
        return kem.raw_public(kem.public_key(key)), kem.seed(key)

    def encapsulate(self, ek: bytes) -> tuple[bytes, bytes]:
        shared, ciphertext = self._kem.encapsulate(self._public.get(ek))
        return ciphertext, shared

    def decapsulate(self, private_key: bytes, ciphertext: bytes) -> bytes:
        if len(private_key) != SEED_BYTES:
            raise InvalidParameter(
                f"{self._kind}: the openssl backend takes the private key as its 64-byte seed d || z "
                f"(cryptography imports no expanded key), not {len(private_key)} bytes"
            )
        return self._kem.decapsulate(self._private.get(private_key), ciphertext)


class _Liboqs:
    """ML-KEM-512/768/1024 of liboqs (``fipscrypto._liboqs``), outside the FIPS boundary."""

    def __init__(self, parameter_set: str) -> None:
        from fipscrypto.rand import random_bytes  # boots the module's OpenSSL: not at import

        self._random = random_bytes
        self._lib = _liboqs.load()
        self._name = parameter_set
        k, _, self._dk_bytes, _ = PARAMETER_SETS[parameter_set]
        self._k = k
        self._expanded = _Keys(lambda seed: self._lib.keypair(parameter_set, seed)[1])
        _caches.append(self._expanded)

    def generate(self, seed: bytes | None) -> tuple[bytes, bytes]:
        seed = self._random(SEED_BYTES) if seed is None else seed
        return self._lib.keypair(self._name, seed)[0], seed

    def encapsulate(self, ek: bytes) -> tuple[bytes, bytes]:
        return self._lib.encapsulate(self._name, ek, self._random(32))  # m (Algorithm 20, line 1)

    def _checked(self, dk: bytes) -> bytes:
        """FIPS 203 §7.3, decapsulation-key check (hash check): H(dk[384k : 768k+32]) equals
        dk[768k+32 : 768k+64]."""
        from fipscrypto._backend import hashes

        k = self._k
        if hashes.digest("sha3-256", dk[384 * k : 768 * k + 32]) != dk[768 * k + 32 : 768 * k + 64]:
            raise InvalidKey(f"{self._name}: the decapsulation key fails the hash check of FIPS 203 §7.3")
        return dk

    def decapsulate(self, private_key: bytes, ciphertext: bytes) -> bytes:
        if len(private_key) == SEED_BYTES:
            dk = self._expanded.get(private_key)
        elif len(private_key) == self._dk_bytes:
            dk = self._checked(private_key)
        else:
            raise InvalidKey(
                f"{self._name}: a private key is the 64-byte seed d || z or the {self._dk_bytes}-byte "
                f"decapsulation key (FIPS 203 §7.3 length check), not {len(private_key)} bytes"
            )
        return self._lib.decapsulate(self._name, dk, ciphertext)


class MLKEM:
    """ML-KEM with one parameter set (``"ML-KEM-512"``, ``"ML-KEM-768"``, ``"ML-KEM-1024"``) on one
    backend (``"openssl"``, ``"liboqs"``, or ``"auto"``: openssl when it offers the set, else liboqs).

    Raises FeatureDisabled when the post-quantum module is off, BackendUnavailable when liboqs is
    asked for and missing, AlgorithmUnavailable for ML-KEM-512 on openssl. Construction passes the
    module gate and runs the backend's self-tests once (``ml-kem-768``, ``ml-kem-liboqs``).
    """

    __slots__ = ("_impl", "_label", "_liboqs", "_policy_name", "_service", "backend", "parameter_set")

    def __init__(self, parameter_set: str, backend: str = "auto") -> None:
        require_enabled("fipscrypto.pqc.MLKEM")
        parameter_set = _params.name("parameter_set", parameter_set)
        backend = _params.name("backend", backend)
        if parameter_set not in PARAMETER_SETS:
            known = list(PARAMETER_SETS)
            raise InvalidParameter(f"unknown ML-KEM parameter set {parameter_set!r:.40}: {known}")
        if backend not in BACKENDS:
            raise InvalidParameter(f"unknown ML-KEM backend {backend!r:.40}: {list(BACKENDS)}")
        if backend == "auto":
            backend = "openssl" if parameter_set in OPENSSL_SETS else "liboqs"
        if backend == "openssl" and parameter_set not in OPENSSL_SETS:
            raise AlgorithmUnavailable(
                f"{parameter_set}: the openssl backend (cryptography 50 over the FIPS provider) offers "
                f"{' and '.join(OPENSSL_SETS)} only; backend='liboqs' offers it, outside the FIPS boundary"
            )
        self.parameter_set = parameter_set
        self.backend = backend
        self._policy_name = parameter_set.lower()
        self._liboqs = backend == "liboqs"
        self._label = f"{self._policy_name} (liboqs)" if self._liboqs else self._policy_name
        self._service = LIBOQS_SERVICE if self._liboqs else SERVICE
        if self._liboqs:
            _liboqs.require()  # before anything imports liboqs-python
        # The gate, and the backend's self-tests before its first use (the policy decides per operation).
        module.gate()
        if self._service not in module._proven:
            module.first_use(self._service)
        self._impl: _OpenSSL | _Liboqs = _Liboqs(parameter_set) if self._liboqs else _OpenSSL(parameter_set)

    def __repr__(self) -> str:
        return f"MLKEM({self.parameter_set!r}, backend={self.backend!r})"

    @property
    def sizes(self) -> dict[str, int]:
        """Byte lengths: public_key (ek), private_key (the seed), ciphertext, shared_secret."""
        _, ek, _, c = PARAMETER_SETS[self.parameter_set]
        return {"public_key": ek, "private_key": SEED_BYTES, "ciphertext": c, "shared_secret": 32}

    def _allow(self, direction: str) -> bool:
        """The switch, the gate and the policy for one operation; True when it is approved."""
        require_enabled("fipscrypto.pqc.MLKEM")
        approved = enforce.require(self._service, "key-agreement", self._policy_name, direction=direction)
        if self._liboqs:
            # Outside the FIPS boundary: never approved; strict mode refuses unless exempted.
            enforce.require(self._service, "implementation", "liboqs", direction=direction)
            return False
        return approved

    def generate_keypair(self, *, seed: bytes | None = None) -> tuple[bytes, bytes]:
        """(encapsulation key ek, private key: the 64-byte seed d || z). With ``seed``, the key pair of
        that seed (FIPS 203 Algorithm 16); without, a new seed from the FIPS provider's DRBG."""
        if seed is not None:
            seed = _params.byte_string("seed", seed)
            if len(seed) != SEED_BYTES:
                raise InvalidParameter(f"an ML-KEM seed is d || z, {SEED_BYTES} bytes, not {len(seed)}")
        approved = self._allow(_APPLY)
        pair = self._impl.generate(seed)
        record(self._service, self._label, approved)
        return pair

    def encapsulate(self, public_key: bytes) -> tuple[bytes, bytes]:
        """(ciphertext c, shared secret K) for the encapsulation key ``public_key`` (FIPS 203 Algorithm
        20, after the encapsulation-key check of §7.2; InvalidKey when it fails)."""
        ek = _params.byte_string("public_key", public_key)
        expected = PARAMETER_SETS[self.parameter_set][1]
        if len(ek) != expected:
            raise InvalidKey(
                f"{self.parameter_set}: an encapsulation key is {expected} bytes, not {len(ek)} "
                "(FIPS 203 §7.2, type check)"
            )
        approved = self._allow(_APPLY)
        pair = self._impl.encapsulate(ek)
        record(self._service, self._label, approved)
        return pair

    def decapsulate(self, private_key: bytes, ciphertext: bytes) -> bytes:
        """The shared secret K of ``ciphertext`` (FIPS 203 Algorithm 21). A ciphertext that was
        tampered with yields the implicit-rejection key, which differs from the sender's K."""
        private = _params.byte_string("private_key", private_key)
        c = _params.byte_string("ciphertext", ciphertext)
        expected = PARAMETER_SETS[self.parameter_set][3]
        if len(c) != expected:
            raise InvalidParameter(
                f"{self.parameter_set}: a ciphertext is {expected} bytes, not {len(c)} (FIPS 203 §7.3)"
            )
        approved = self._allow(_PROCESS)
        shared = self._impl.decapsulate(private, c)
        record(self._service, self._label, approved)
        return shared
