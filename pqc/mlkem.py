"""ML-KEM (FIPS 203) key encapsulation on the openssl or the liboqs backend.

    kem = fipscrypto.pqc.MLKEM("ML-KEM-768")          # backend "auto": openssl, the FIPS provider
    public_key, private_key = kem.generate_keypair()  # ek (FIPS 203 encoding), the seed d || z
    ciphertext, secret = kem.encapsulate(public_key)
    assert kem.decapsulate(private_key, ciphertext) == secret

Byte formats are FIPS 203's: the encapsulation key ``ek`` (§7.1, 384k + 32 bytes), the ciphertext
``c``, the 32-byte shared key ``K``, and as private key the 64-byte seed ``d || z`` (§7.1, Algorithm
16 ML-KEM.KeyGen_internal(d, z)), which both backends turn into the same key pair. Both also
decapsulate with the expanded key ``dk`` of §7.1, after the decapsulation-key check of §7.3.

Checks: the encapsulation-key check of §7.2 (length, and the modulus check of every coefficient) on
every key given to :meth:`MLKEM.encapsulate` (:class:`~fipscrypto.errors.InvalidKey`); a ciphertext of
the right length that does not decrypt to itself yields the implicit-rejection key ``J(z || c)``
(Algorithm 18, line 9), not an error. Randomness (a new seed, the encapsulation's ``m``) comes from the
FIPS provider's DRBG on both backends.

Every operation passes the one enforcement path (``fipscrypto._service.grant``, which decides through
``fipscrypto.enforce``) for the parameter set (category ``key-agreement``, ``ml-kem-768``: apply for
key generation and encapsulation, process for decapsulation) and, on liboqs, for category
``implementation``, name ``liboqs`` (outside the FIPS boundary: disallowed by the built-in policies),
and records the service indicator. An approved operation keeps a standing grant, as the core
services do.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fipscrypto import _liboqs, _params, enforce, module
from fipscrypto._pqc_switch import require_enabled
from fipscrypto._service import Grant, grant, grants
from fipscrypto.errors import AlgorithmUnavailable, InvalidKey, InvalidParameter

from .backends import CRYPTOGRAPHY_SETS, PARAMETER_SETS

if TYPE_CHECKING:
    from fipscrypto.provider.context import FipsContext

__all__ = ["BACKENDS", "MLKEM", "PARAMETER_SETS", "SEED_BYTES", "SHARED_SECRET_BYTES"]

BACKENDS = ("auto", "openssl", "liboqs")
SEED_BYTES = 64  # d || z
SHARED_SECRET_BYTES = 32
# The services (indicator, audit, and the self-tests they unlock): the FIPS provider's ML-KEM tests
# (ml-kem-768, ml-kem-provider) unlock the first, the liboqs backend's (ml-kem-liboqs) the second.
SERVICE, LIBOQS_SERVICE = "pqc.kem", "pqc.kem.liboqs"
_CACHED = 16  # key objects kept per MLKEM object (the last ones used), dropped when the module errs

_APPLY, _PROCESS = "apply", "process"
# Standing grants per (service, parameter set, direction): the hot path's whole policy check. Entering
# ERROR empties it (fipscrypto._service.revoke), so the next call takes the gate and is refused.
_GRANTS: dict[tuple[str, str, str], Grant] = grants()


class _Keys:
    """A small bounded map from key bytes to what a backend made of them (a key object, an expanded
    key), so that repeated use of one key is not re-imported each call. Emptied on ERROR."""

    __slots__ = ("__weakref__", "_made", "_make")

    def __init__(self, make: Callable[[bytes], Any]) -> None:
        self._made: dict[bytes, Any] = {}
        self._make = make

    def get(self, key: bytes) -> Any:
        made = self._made.get(key)
        if made is None:
            made = self._make(key)
            if len(self._made) >= _CACHED:
                with contextlib.suppress(KeyError, RuntimeError, StopIteration):  # another thread's
                    self._made.pop(next(iter(self._made)))
            self._made[key] = made
        return made

    def clear(self) -> None:
        self._made.clear()


_caches: weakref.WeakSet[_Keys] = weakref.WeakSet()  # of the live MLKEM objects


def _drop_keys() -> None:
    for cache in list(_caches):
        cache.clear()


module.on_error(_drop_keys)


class _Provider:
    """ML-KEM of the FIPS provider (the openssl backend). cryptography 50 serves ML-KEM-768/1024 from
    the seed (``fipscrypto._backend.kem``); the provider's private library context
    (``fipscrypto.keys.inside``) serves what cryptography cannot reach: ML-KEM-512, and the expanded
    decapsulation key of FIPS 203 §7.1. Both are the same ``fips.so``."""

    def __init__(self, parameter_set: str) -> None:
        from fipscrypto import keys  # boots the module's OpenSSL configuration first
        from fipscrypto._backend import kem
        from fipscrypto.rand import random_bytes

        self._kem, self._inside, self._random = kem, keys.inside, random_bytes
        self._name, self._kind = parameter_set, parameter_set.lower()
        self._dk_bytes = PARAMETER_SETS[parameter_set][2]
        self._cryptography = parameter_set in CRYPTOGRAPHY_SETS
        if self._cryptography:
            self._private = _Keys(lambda seed: kem.from_seed(self._kind, seed))
            self._public = _Keys(self._load_public)
        else:
            self._private = _Keys(lambda seed: self._context_key(seed=seed))
            self._public = _Keys(lambda ek: self._context_key(ek=ek))
        self._expanded = _Keys(lambda dk: self._context_key(dk=dk))
        _caches.update((self._private, self._public, self._expanded))

    def _context(self) -> FipsContext:
        context = self._inside.get()
        if context is None:
            raise AlgorithmUnavailable(f"{self._name}: off mode runs no FIPS provider to serve it")
        return context

    def _context_key(self, **key: bytes) -> Any:
        made = self._context().mlkem_key(self._name, **key)
        if made is None:
            check = "§7.2 (modulus)" if "ek" in key else "§7.3 (hash)" if "dk" in key else "§7.1"
            raise InvalidKey(f"{self._name}: the key fails the check of FIPS 203 {check}")
        return made

    def _load_public(self, ek: bytes) -> Any:
        try:
            return self._kem.load_public(self._kind, ek)
        except ValueError:
            raise InvalidKey(
                f"{self._name}: the encapsulation key fails the check of FIPS 203 §7.2 (modulus)"
            ) from None

    def generate(self, seed: bytes | None) -> tuple[bytes, bytes]:
        kem = self._kem
        if self._cryptography:
            key = kem.generate(self._kind) if seed is None else self._private.get(seed)
            return kem.raw_public(kem.public_key(key)), kem.seed(key)
        seed = self._random(SEED_BYTES) if seed is None else seed  # d || z from the provider's DRBG
        return self._context().mlkem_public(self._name, self._private.get(seed)), seed

    def encapsulate(self, ek: bytes) -> tuple[bytes, bytes]:
        if self._cryptography:
            shared, ciphertext = self._kem.encapsulate(self._public.get(ek))
            return ciphertext, shared
        return self._context().mlkem_encapsulate(self._name, self._public.get(ek))

    def decapsulate(self, private_key: bytes, ciphertext: bytes) -> bytes:
        if len(private_key) == SEED_BYTES:
            key = self._private.get(private_key)
            if self._cryptography:
                return self._kem.decapsulate(key, ciphertext)
        elif len(private_key) == self._dk_bytes:
            key = self._expanded.get(private_key)
        else:
            raise InvalidKey(_length_error(self._name, self._dk_bytes, private_key))
        return self._context().mlkem_decapsulate(self._name, key, ciphertext)


def _length_error(name: str, dk_bytes: int, private_key: bytes) -> str:
    return (
        f"{name}: a private key is the 64-byte seed d || z or the {dk_bytes}-byte decapsulation key "
        f"(FIPS 203 §7.3 length check), not {len(private_key)} bytes"
    )


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
        _caches.add(self._expanded)

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
            raise InvalidKey(_length_error(self._name, self._dk_bytes, private_key))
        return self._lib.decapsulate(self._name, dk, ciphertext)


class MLKEM:
    """ML-KEM with one parameter set (``"ML-KEM-512"``, ``"ML-KEM-768"``, ``"ML-KEM-1024"``) on one
    backend (``"openssl"``, the FIPS provider, which ``"auto"`` picks; or ``"liboqs"``).

    Raises FeatureDisabled when the post-quantum module is off, BackendUnavailable when liboqs is
    asked for and missing. Construction passes the module gate and runs the ML-KEM self-tests once
    (``ml-kem-768``, ``ml-kem-provider``; ``ml-kem-liboqs`` for liboqs).
    """

    __slots__ = (
        "_apply",
        "_ciphertext_bytes",
        "_ek_bytes",
        "_impl",
        "_label",
        "_liboqs",
        "_policy_name",
        "_process",
        "_service",
        "backend",
        "parameter_set",
    )

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
            backend = "openssl"  # the FIPS provider offers every parameter set
        self.parameter_set = parameter_set
        self.backend = backend
        self._policy_name = parameter_set.lower()
        self._liboqs = backend == "liboqs"
        self._label = f"{self._policy_name} (liboqs)" if self._liboqs else self._policy_name
        self._service = LIBOQS_SERVICE if self._liboqs else SERVICE
        self._apply = (self._service, self._policy_name, _APPLY)
        self._process = (self._service, self._policy_name, _PROCESS)
        _, self._ek_bytes, _, self._ciphertext_bytes = PARAMETER_SETS[parameter_set]
        if self._liboqs:
            _liboqs.require()  # before anything imports liboqs-python
        # The gate, and the ML-KEM self-tests before the first use (the policy decides per operation):
        # the provider's on both of its routes (pqc.kem), and liboqs's when it is used.
        module.gate()
        for service in {SERVICE, self._service}:
            if service not in module._proven:
                module.first_use(service)
        self._impl: _Provider | _Liboqs = _Liboqs(parameter_set) if self._liboqs else _Provider(parameter_set)

    def __repr__(self) -> str:
        return f"MLKEM({self.parameter_set!r}, backend={self.backend!r})"

    @property
    def sizes(self) -> dict[str, int]:
        """Byte lengths: public_key (ek), private_key (the seed), ciphertext, shared_secret."""
        _, ek, _, c = PARAMETER_SETS[self.parameter_set]
        return {"public_key": ek, "private_key": SEED_BYTES, "ciphertext": c, "shared_secret": 32}

    def _grant(self, key: tuple[str, str, str]) -> Grant:
        """The full path of one operation: the gate and the policy (fipscrypto._service.grant). On
        liboqs, outside the FIPS boundary, the grant is the implementation's: never approved, never
        standing, refused in strict mode unless exempted."""
        service, name, direction = key
        if not self._liboqs:
            return grant(service, "key-agreement", name, self._label, direction=direction)
        enforce.require(service, "key-agreement", name, direction=direction)
        return grant(service, "implementation", "liboqs", self._label, direction=direction)

    def generate_keypair(self, *, seed: bytes | None = None) -> tuple[bytes, bytes]:
        """(encapsulation key ek, private key: the 64-byte seed d || z). With ``seed``, the key pair of
        that seed (FIPS 203 Algorithm 16); without, a new seed from the FIPS provider's DRBG."""
        if seed is not None:
            seed = _params.byte_string("seed", seed)
            if len(seed) != SEED_BYTES:
                raise InvalidParameter(f"an ML-KEM seed is d || z, {SEED_BYTES} bytes, not {len(seed)}")
        permit = _GRANTS.get(self._apply) or self._grant(self._apply)
        pair = self._impl.generate(seed)
        permit.use()
        if permit.standing:
            _GRANTS[self._apply] = permit
        return pair

    def encapsulate(self, public_key: bytes) -> tuple[bytes, bytes]:
        """(ciphertext c, shared secret K) for the encapsulation key ``public_key`` (FIPS 203 Algorithm
        20, after the encapsulation-key check of §7.2; InvalidKey when it fails)."""
        ek = _params.byte_string("public_key", public_key)
        if len(ek) != self._ek_bytes:
            raise InvalidKey(
                f"{self.parameter_set}: an encapsulation key is {self._ek_bytes} bytes, not {len(ek)} "
                "(FIPS 203 §7.2, type check)"
            )
        permit = _GRANTS.get(self._apply) or self._grant(self._apply)
        pair = self._impl.encapsulate(ek)
        permit.use()
        if permit.standing:
            _GRANTS[self._apply] = permit
        return pair

    def decapsulate(self, private_key: bytes, ciphertext: bytes) -> bytes:
        """The shared secret K of ``ciphertext`` (FIPS 203 Algorithm 21). A ciphertext that was
        tampered with yields the implicit-rejection key, which differs from the sender's K."""
        private = _params.byte_string("private_key", private_key)
        c = _params.byte_string("ciphertext", ciphertext)
        if len(c) != self._ciphertext_bytes:
            raise InvalidParameter(
                f"{self.parameter_set}: a ciphertext is {self._ciphertext_bytes} bytes, not {len(c)} "
                "(FIPS 203 §7.3)"
            )
        permit = _GRANTS.get(self._process) or self._grant(self._process)
        shared = self._impl.decapsulate(private, c)
        permit.use()
        if permit.standing:
            _GRANTS[self._process] = permit
        return shared
