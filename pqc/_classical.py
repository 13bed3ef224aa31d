"""The classical halves of the hybrid KEMs: ECDH (P-256, P-384) and X25519, used as KEMs.

An ECDH "encapsulation" is the TLS key share exchange: generate an ephemeral key pair, send its public
key (the "ciphertext"), and take the shared secret Z with the peer's public key.

ECDH runs on :mod:`fipscrypto.keys`' raw-value functions (``ecdh_keypair``, ``ecdh_private``,
``ecdh_z``): key pairs are generated inside the FIPS provider, which runs its pairwise-consistency
test on each, and stay there, in fipscrypto's private context of it, for Z (the SP 800-56A r3
§5.7.1.2 ECC CDH primitive); peer points get full public-key validation (§5.6.2.3.3). Points are
uncompressed (SEC 1 §2.3.3), the encoding draft-ietf-tls-ecdhe-mlkem takes from RFC 8446 §4.2.8.2
(UncompressedPointRepresentation). Private keys are the scalar d, big-endian in the curve's size
(SEC 1 §2.3.7).

X25519 (RFC 7748) is not an SP 800-56A r3 scheme, and the FIPS provider does not offer it on its
own: it runs through cryptography (fipscrypto's backend) where cryptography has it (off mode, with no
provider), and is :class:`~fipscrypto.errors.AlgorithmUnavailable` on the FIPS provider. Whether it
may be used at all is the policy's to say, before it runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from fipscrypto import _fork, keys, module, rand
from fipscrypto._backend import keys as _backend
from fipscrypto.errors import AlgorithmUnavailable, InvalidParameter

__all__ = ["ECDH", "X25519", "Classical"]


_HELD = 16  # key pairs an ECDH half keeps for decapsulation (the last ones generated or imported)


@dataclass(frozen=True, slots=True)
class ECDH:
    """An ECDH half: ``scheme`` is fipscrypto.keys' (``ecdh-p256``), ``size`` the field's octets.

    It keeps the provider's keys of the last few private keys it generated or imported, so that
    decapsulating with a key it made (a TLS client's share, then the server's answer) does not import
    the scalar again. They are dropped when the module enters ERROR."""

    scheme: str
    size: int
    _held: dict[bytes, object] = field(default_factory=dict, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=_fork.lock, compare=False, repr=False)

    def __post_init__(self) -> None:
        _halves.append(self)

    @property
    def share(self) -> int:
        return 1 + 2 * self.size  # 0x04 || x || y

    @property
    def private(self) -> int:
        return self.size

    def _keep(self, scalar: bytes, key: object) -> None:
        with self._lock:
            if len(self._held) >= _HELD:
                self._held.pop(next(iter(self._held)))
            self._held[scalar] = key

    def drop(self) -> None:
        with self._lock:
            self._held.clear()

    def generate(self) -> tuple[bytes, bytes]:
        """(uncompressed point, scalar) of a new key pair, generated inside the provider."""
        key, point, scalar = keys.ecdh_keypair(self.scheme)
        self._keep(scalar, key)
        return point, scalar

    def encapsulate(self, share: bytes) -> tuple[bytes, bytes]:
        """(our ephemeral point, Z) for the peer's point."""
        key, point, _ = keys.ecdh_keypair(self.scheme)
        return point, keys.ecdh_z(self.scheme, key, share)

    def decapsulate(self, private: bytes, share: bytes) -> bytes:
        """Z of our scalar and the peer's ephemeral point."""
        key = self._held.get(private)
        if key is None:
            key = keys.ecdh_private(self.scheme, private)
            self._keep(private, key)
        return keys.ecdh_z(self.scheme, key, share)


_halves: list[ECDH] = []


def _drop_keys() -> None:
    for half in _halves:
        half.drop()


module.on_error(_drop_keys)


@dataclass(frozen=True, slots=True)
class X25519:
    """The X25519 half (RFC 7748 §5): 32-byte scalars, u-coordinates and shared secrets."""

    share: int = 32
    private: int = 32

    @staticmethod
    def _unavailable(exc: Exception) -> AlgorithmUnavailable:
        return AlgorithmUnavailable(
            "X25519 is not offered by the FIPS provider on its own (not an SP 800-56A r3 scheme): the "
            f"X25519 hybrids run only where cryptography has X25519 (off mode) ({exc})"
        )

    def public(self, private: bytes) -> bytes:
        """X25519(k, 9): the public key of scalar ``private``."""
        try:
            return _backend.x25519_public(private)
        except _backend.Unsupported as exc:
            raise self._unavailable(exc) from None

    def exchange(self, private: bytes, share: bytes) -> bytes:
        """X25519(k, u). RFC 8446 §7.4.2: "implementations MUST check whether the computed
        Diffie-Hellman shared secret is the all-zero value and abort if so" (OpenSSL refuses it)."""
        if len(share) != self.share:
            raise InvalidParameter(f"X25519 share: need {self.share} bytes")
        try:
            return _backend.x25519_exchange(private, share)
        except _backend.Unsupported as exc:
            raise self._unavailable(exc) from None
        except ValueError:
            raise InvalidParameter("X25519 share is a low-order point (all-zero shared secret)") from None

    def generate(self) -> tuple[bytes, bytes]:
        """(public, scalar) of a random 32-byte scalar from the DRBG (RFC 7748 §6.1)."""
        scalar = rand.random_bytes(self.private)
        return self.public(scalar), scalar

    def encapsulate(self, share: bytes) -> tuple[bytes, bytes]:
        """(X25519(e, 9), X25519(e, peer)) for a random ephemeral scalar e."""
        scalar = rand.random_bytes(self.private)
        return self.public(scalar), self.exchange(scalar, share)

    def decapsulate(self, private: bytes, share: bytes) -> bytes:
        return self.exchange(private, share)


Classical = ECDH | X25519
