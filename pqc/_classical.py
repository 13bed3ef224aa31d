"""The classical halves of the hybrid KEMs: ECDH (P-256, P-384) and X25519, used as KEMs.

An ECDH "encapsulation" is the TLS key share exchange: generate an ephemeral key pair, send its public
key (the "ciphertext"), and take the shared secret Z with the peer's public key.

ECDH runs through :mod:`fipscrypto.keys`: key pairs are generated inside the FIPS provider with their
pairwise-consistency test, peer points get full public-key validation (SP 800-56A r3 §5.6.2.3.3),
and Z is the SP 800-56A r3 §5.7.1.2 ECC CDH primitive. Points are uncompressed (SEC 1 §2.3.3), the
encoding draft-ietf-tls-ecdhe-mlkem takes from RFC 8446 §4.2.8.2 (UncompressedPointRepresentation).
Private keys are the scalar d, big-endian in the curve's size (SEC 1 §2.3.7).

X25519 (RFC 7748) is not an SP 800-56A r3 scheme, and the FIPS provider does not offer it on its
own: it runs through cryptography where cryptography has it (off mode, with no provider), and is
:class:`~fipscrypto.errors.AlgorithmUnavailable` on the FIPS provider. Whether it may be used at all
is the policy's to say, before it runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import x25519

from fipscrypto import _fork, keys, module, rand
from fipscrypto.errors import AlgorithmUnavailable, InvalidParameter

__all__ = ["ECDH", "X25519", "Classical"]


_HELD = 16  # key pairs an ECDH half keeps for decapsulation (the last ones generated or imported)


@dataclass(frozen=True, slots=True)
class ECDH:
    """An ECDH half: ``scheme`` is fipscrypto.keys' (``ecdh-p256``), ``size`` the field's octets.

    It keeps the key objects of the last few private keys it generated or imported, so that
    decapsulating with a key it made (a TLS client's share, then the server's answer) does not import
    the scalar again (a scalar multiplication and the provider's pairwise test). The objects are
    fipscrypto.keys', revoked when the module enters ERROR, and dropped then."""

    scheme: str
    size: int
    _held: dict[bytes, keys.AgreementKey] = field(default_factory=dict, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=_fork.lock, compare=False, repr=False)

    def __post_init__(self) -> None:
        _halves.append(self)

    @property
    def share(self) -> int:
        return 1 + 2 * self.size  # 0x04 || x || y

    @property
    def private(self) -> int:
        return self.size

    def _keep(self, scalar: bytes, key: keys.AgreementKey) -> None:
        with self._lock:
            if len(self._held) >= _HELD:
                self._held.pop(next(iter(self._held)))
            self._held[scalar] = key

    def drop(self) -> None:
        with self._lock:
            self._held.clear()

    def generate(self) -> tuple[bytes, bytes]:
        """(uncompressed point, scalar) of a new key pair, generated inside the provider."""
        key = keys.generate_agreement_key(self.scheme)
        scalar = key.private_bytes("raw")
        self._keep(scalar, key)
        return key.public_bytes("raw"), scalar

    def peer(self, share: bytes) -> keys.AgreementPublicKey:
        """A peer's share: an uncompressed point, fully validated."""
        if len(share) != self.share or share[0] != 0x04:
            raise InvalidParameter(
                f"{self.scheme} share: need an uncompressed point of {self.share} bytes (0x04 || x || y)"
            )
        return keys.load_agreement_public_key(share, self.scheme, encoding="raw")

    def encapsulate(self, share: bytes) -> tuple[bytes, bytes]:
        """(our ephemeral point, Z) for the peer's point."""
        peer = self.peer(share)
        mine = keys.generate_agreement_key(self.scheme)
        return mine.public_bytes("raw"), mine.exchange(peer)

    def decapsulate(self, private: bytes, share: bytes) -> bytes:
        """Z of our scalar and the peer's ephemeral point."""
        peer = self.peer(share)
        key = self._held.get(private)
        if key is None:
            key = keys.agreement_key_from_private_value(self.scheme, int.from_bytes(private, "big"))
            self._keep(private, key)
        return key.exchange(peer)


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

    def _key(self, private: bytes) -> x25519.X25519PrivateKey:
        try:
            return x25519.X25519PrivateKey.from_private_bytes(private)
        except UnsupportedAlgorithm as exc:
            raise self._unavailable(exc) from None

    def public(self, private: bytes) -> bytes:
        """X25519(k, 9): the public key of scalar ``private``."""
        return self._key(private).public_key().public_bytes_raw()

    def exchange(self, private: bytes, share: bytes) -> bytes:
        """X25519(k, u). RFC 8446 §7.4.2: "implementations MUST check whether the computed
        Diffie-Hellman shared secret is the all-zero value and abort if so" (OpenSSL refuses it)."""
        if len(share) != self.share:
            raise InvalidParameter(f"X25519 share: need {self.share} bytes")
        key = self._key(private)
        try:
            return key.exchange(x25519.X25519PublicKey.from_public_bytes(share))
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
