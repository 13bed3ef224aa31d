"""Hybrid KEMs: ML-KEM with ECDH or X25519, laid out byte for byte as TLS and X-Wing carry them.

    kem = pqc.HybridKEM("SecP256r1MLKEM768")
    public_key, private_key = kem.generate_keypair()          # the TLS client's key share
    ciphertext, secret = kem.encapsulate(public_key)          # the server's share, its secret
    assert kem.decapsulate(private_key, ciphertext) == secret

The TLS groups follow draft-ietf-tls-ecdhe-mlkem-05 ("Construction"; no official vectors exist): the
client's key share concatenates the two components' public keys, the server's share the ECDH
ephemeral public key and the ML-KEM ciphertext, and the shared secret the two secrets, each in the
group's order: ML-KEM first for X25519MLKEM768, the ECDH component first for SecP256r1MLKEM768 and
SecP384r1MLKEM1024 (so OpenSSL's EVP_PKEY-MLX-KEM(7) also describes them). ECDH points are
uncompressed (RFC 8446 §4.2.8.2, UncompressedPointRepresentation).

    name                order          public key   ciphertext   shared secret   private key
    SecP256r1MLKEM768   ECDH, ML-KEM    65 + 1184    65 + 1088    32 + 32         32 + 64
    SecP384r1MLKEM1024  ECDH, ML-KEM    97 + 1568    97 + 1568    48 + 32         48 + 64
    X25519MLKEM768      ML-KEM, X25519  1184 + 32    1088 + 32    32 + 32         64 + 32
    X-Wing              ML-KEM, X25519  1184 + 32    1088 + 32    32 (SHA3-256)   32 (seed)

Private keys are the components' in the same order: the ECDH scalar (SEC 1 §2.3.7), the ML-KEM seed
``d || z`` (FIPS 203 §7.1), the X25519 scalar. X-Wing (draft-connolly-cfrg-xwing-kem, "X-Wing
Construction") is a KEM of its own: its private key is a 32-byte seed that SHAKE256 expands to the
ML-KEM seed and the X25519 scalar, and its shared secret is
``SHA3-256(ss_M || ss_X || ct_X || pk_X || XWingLabel)``.

The ML-KEM half runs on :class:`~fipscrypto.pqc.MLKEM` (with its encapsulation-key check), the ECDH
half on :mod:`fipscrypto.keys` (keys generated inside the FIPS provider, peer points fully
validated); see :mod:`._classical`. Every call asks the policy first, under the names the built-in
profiles use: the TLS group names (category ``tls-group``) and, for X-Wing, which no profile names,
its X25519 half (``key-agreement``/``x25519``). Strict mode therefore refuses X25519MLKEM768 under
the default fips-140-3-hardened profile, and X-Wing under every FIPS profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fipscrypto import indicator, rand
from fipscrypto._backend import hashes as _hashes
from fipscrypto._params import byte_string
from fipscrypto._params import name as _name
from fipscrypto._service import record
from fipscrypto.enforce import require
from fipscrypto.errors import InvalidParameter

from ._classical import ECDH, X25519, Classical
from .mlkem import MLKEM, PARAMETER_SETS, SEED_BYTES

__all__ = ["HYBRIDS", "XWING_LABEL", "HybridKEM", "Layout", "xwing_expand"]

# draft-connolly-cfrg-xwing-kem, "Combiner": XWingLabel = concat("\\./", "/^\\"), 5c2e2f2f5e5c.
XWING_LABEL = b"\\./" + b"/^\\"
XWING_SEED = 32
SERVICE = "pqc.hybrid"  # the indicator's service name; its algorithm is the hybrid's name

Combiner = Literal["concatenation", "xwing"]


@dataclass(frozen=True, slots=True)
class Layout:
    """How one hybrid lays out its components (see the module's table)."""

    name: str
    mlkem: str  # "ML-KEM-768"
    classical: Classical
    mlkem_first: bool
    combiner: Combiner
    policy: tuple[str, str]  # (category, name) the policy is asked

    @property
    def mlkem_public_key_size(self) -> int:
        return PARAMETER_SETS[self.mlkem][1]  # FIPS 203 §8: ek

    @property
    def mlkem_ciphertext_size(self) -> int:
        return PARAMETER_SETS[self.mlkem][3]  # FIPS 203 §8: c

    @property
    def public_key_size(self) -> int:
        return self.mlkem_public_key_size + self.classical.share

    @property
    def ciphertext_size(self) -> int:
        return self.mlkem_ciphertext_size + self.classical.share

    @property
    def private_key_size(self) -> int:
        return XWING_SEED if self.combiner == "xwing" else SEED_BYTES + self.classical.private

    def join(self, mlkem: bytes, classical: bytes) -> bytes:
        """The two components in the hybrid's order."""
        return mlkem + classical if self.mlkem_first else classical + mlkem

    def split(self, data: bytes, mlkem_size: int) -> tuple[bytes, bytes]:
        """(ML-KEM component, classical component) of a concatenation in the hybrid's order."""
        if self.mlkem_first:
            return data[:mlkem_size], data[mlkem_size:]
        cut = len(data) - mlkem_size
        return data[cut:], data[:cut]

    def combine(
        self, ss_mlkem: bytes, ss_classical: bytes, ct_classical: bytes, pk_classical: bytes
    ) -> bytes:
        """The shared secret: the draft-ietf-tls-ecdhe-mlkem concatenation in the group's order, or
        X-Wing's ``Combiner(ss_M, ss_X, ct_X, pk_X)`` (SHA3-256 in the FIPS provider)."""
        if self.combiner == "concatenation":
            return self.join(ss_mlkem, ss_classical)
        return _hashes.digest("sha3-256", ss_mlkem + ss_classical + ct_classical + pk_classical + XWING_LABEL)


_X25519 = X25519()  # X-Wing's half also derives its public key from the expanded seed
HYBRIDS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout(
            "SecP256r1MLKEM768",
            "ML-KEM-768",
            ECDH("ecdh-p256", 32),
            False,
            "concatenation",
            ("tls-group", "SecP256r1MLKEM768"),
        ),
        Layout(
            "SecP384r1MLKEM1024",
            "ML-KEM-1024",
            ECDH("ecdh-p384", 48),
            False,
            "concatenation",
            ("tls-group", "SecP384r1MLKEM1024"),
        ),
        Layout(
            "X25519MLKEM768", "ML-KEM-768", _X25519, True, "concatenation", ("tls-group", "X25519MLKEM768")
        ),
        Layout("X-Wing", "ML-KEM-768", _X25519, True, "xwing", ("key-agreement", "x25519")),
    )
}


def xwing_expand(seed: bytes) -> tuple[bytes, bytes]:
    """draft-connolly-cfrg-xwing-kem ``expandDecapsulationKey``: ``expanded = SHAKE256(sk, 96*8)``;
    (the ML-KEM-768 seed ``d || z`` = expanded[0:64], the X25519 scalar sk_X = expanded[64:96])."""
    expanded = _hashes.digest("shake256", seed, 96)
    return expanded[:SEED_BYTES], expanded[SEED_BYTES:]


class HybridKEM:
    """One hybrid KEM by name (:data:`HYBRIDS`); ``backend`` is the ML-KEM half's (see MLKEM)."""

    __slots__ = ("_kem", "_layout")

    def __init__(self, name: str, backend: str = "auto") -> None:
        chosen = HYBRIDS.get(_name("name", name))
        if chosen is None:
            raise InvalidParameter(f"unknown hybrid KEM {name!r:.40}: one of {', '.join(HYBRIDS)}")
        self._layout = chosen
        self._kem = MLKEM(chosen.mlkem, backend)

    def __repr__(self) -> str:
        return f"HybridKEM({self.name!r}, backend={self.backend!r})"

    @property
    def name(self) -> str:
        return self._layout.name

    @property
    def backend(self) -> str:
        """The ML-KEM half's backend."""
        return str(self._kem.backend)

    @property
    def public_key_size(self) -> int:
        return self._layout.public_key_size

    @property
    def ciphertext_size(self) -> int:
        return self._layout.ciphertext_size

    @property
    def private_key_size(self) -> int:
        return self._layout.private_key_size

    def _require(self, direction: str) -> bool:
        category, item = self._layout.policy
        return require(SERVICE, category, item, direction=direction)

    def _sized(self, what: str, value: object, size: int) -> bytes:
        data = byte_string(what, value)
        if len(data) != size:
            raise InvalidParameter(f"{self.name} {what}: need {size} bytes, got {len(data)}")
        return data

    def generate_keypair(self, *, seed: bytes | None = None) -> tuple[bytes, bytes]:
        """(public key, private key). ``seed``: X-Wing only, its 32-byte private key
        (``GenerateKeyPairDerand``); the other hybrids' ECDH pairs come from the provider."""
        layout = self._layout
        approved = self._require("apply")
        if layout.combiner == "xwing":
            sk = rand.random_bytes(XWING_SEED) if seed is None else self._sized("seed", seed, XWING_SEED)
        elif seed is not None:
            raise InvalidParameter(
                f"{self.name} takes no seed: its ECDH key pair is generated in the provider"
            )
        with indicator.scope() as done:
            if layout.combiner == "xwing":
                mlkem_seed, sk_x = xwing_expand(sk)
                ek, _ = self._kem.generate_keypair(seed=mlkem_seed)
                public, private = ek + _X25519.public(sk_x), sk
            else:
                ek, dk = self._kem.generate_keypair()
                pk_c, sk_c = layout.classical.generate()
                public, private = layout.join(ek, pk_c), layout.join(dk, sk_c)
        record(SERVICE, self.name, approved and done.approved)
        return public, private

    def encapsulate(self, public_key: bytes) -> tuple[bytes, bytes]:
        """(ciphertext, shared secret) for ``public_key``. A malformed key raises, and nothing is
        returned: InvalidKey for an ML-KEM encapsulation key that fails the FIPS 203 §7.2 check,
        InvalidParameter for a wrong length or a point that is compressed, off the curve or out of
        range (both are InvalidParameter)."""
        layout = self._layout
        approved = self._require("apply")
        public_key = self._sized("public key", public_key, layout.public_key_size)
        ek, pk_c = layout.split(public_key, layout.mlkem_public_key_size)
        with indicator.scope() as done:
            ct_m, ss_m = self._kem.encapsulate(ek)
            ct_c, ss_c = layout.classical.encapsulate(pk_c)
            secret = layout.combine(ss_m, ss_c, ct_c, pk_c)
        record(SERVICE, self.name, approved and done.approved)
        return layout.join(ct_m, ct_c), secret

    def decapsulate(self, private_key: bytes, ciphertext: bytes) -> bytes:
        """The shared secret. A tampered ML-KEM ciphertext gives ML-KEM's implicit-rejection secret
        (FIPS 203 Algorithm 18), not an error; a malformed ECDH or X25519 component raises
        InvalidParameter."""
        layout = self._layout
        approved = self._require("process")
        private_key = self._sized("private key", private_key, layout.private_key_size)
        ciphertext = self._sized("ciphertext", ciphertext, layout.ciphertext_size)
        ct_m, ct_c = layout.split(ciphertext, layout.mlkem_ciphertext_size)
        with indicator.scope() as done:
            if layout.combiner == "xwing":
                dk, sk_c = xwing_expand(private_key)
                pk_c = _X25519.public(sk_c)
            else:
                dk, sk_c = layout.split(private_key, SEED_BYTES)
                pk_c = b""  # the concatenation does not use it
            ss_m = self._kem.decapsulate(dk, ct_m)
            ss_c = layout.classical.decapsulate(sk_c, ct_c)
            secret = layout.combine(ss_m, ss_c, ct_c, pk_c)
        record(SERVICE, self.name, approved and done.approved)
        return secret
