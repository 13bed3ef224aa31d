"""The liboqs backend: ML-KEM of liboqs, called through liboqs-python's handle on the library.

Imported only after :func:`fipscrypto.pqc.backends.require_liboqs` found the library (importing
``oqs`` without one makes liboqs-python download and build liboqs). liboqs keeps the FIPS 203
formats: the encapsulation key ``ek``, the expanded decapsulation key ``dk`` (§7.1:
``dkPKE || ek || H(ek) || z``), the ciphertext ``c`` and the 32-byte shared key ``K``.
Every call is derandomized (``OQS_KEM_keypair_derand`` from the seed ``d || z``,
``OQS_KEM_encaps_derand`` from ``m``): the caller draws the randomness from fipscrypto's DRBG, so
liboqs's own random source is never used.
"""

from __future__ import annotations

import ctypes as ct
import importlib
import logging
import warnings
from typing import Any

from fipscrypto import _fork
from fipscrypto.errors import AlgorithmUnavailable, InvalidKey

__all__ = ["ALGORITHMS", "Liboqs"]

# fipscrypto's parameter-set names -> liboqs's algorithm names (the same spelling).
ALGORITHMS = ("ML-KEM-512", "ML-KEM-768", "ML-KEM-1024")
_SUCCESS = 0


def _import_oqs() -> Any:
    """liboqs-python, imported quietly: its import logs to stdout and warns when liboqs's minor
    version differs from its own (0.15 here: the API it calls is the same)."""
    logger = logging.getLogger("oqs.oqs")
    disabled, logger.disabled = logger.disabled, True
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="liboqs version", category=UserWarning)
            return importlib.import_module("oqs")
    finally:
        logger.disabled = disabled


class Liboqs:
    """liboqs's ML-KEM, one ``OQS_KEM`` object per parameter set (read-only: threads may share it)."""

    def __init__(self) -> None:
        oqs = _import_oqs()
        self.version: str = oqs.oqs_version()
        self.library: str = str(oqs.native()._name)
        self._native = oqs.native()
        self._kems: dict[str, Any] = {}
        self._sizes: dict[str, tuple[int, int, int, int]] = {}
        for name in ALGORITHMS:
            if name not in oqs.get_enabled_kem_mechanisms():
                continue
            handle = oqs.KeyEncapsulation(name)  # owns the OQS_KEM object; kept alive with this backend
            self._kems[name] = handle
            self._sizes[name] = (
                handle.length_public_key,
                handle.length_secret_key,
                handle.length_ciphertext,
                handle.length_shared_secret,
            )

    def offers(self, name: str) -> bool:
        return name in self._kems

    def sizes(self, name: str) -> tuple[int, int, int, int]:
        """(encapsulation key, expanded decapsulation key, ciphertext, shared key) lengths."""
        return self._sizes[name]

    def _kem(self, name: str) -> Any:
        try:
            return self._kems[name]._kem
        except KeyError:
            raise AlgorithmUnavailable(f"{name}: this liboqs ({self.version}) does not offer it") from None

    def keypair(self, name: str, seed: bytes) -> tuple[bytes, bytes]:
        """FIPS 203 Algorithm 16, ML-KEM.KeyGen_internal(d, z) with ``seed = d || z``: (ek, dk)."""
        kem = self._kem(name)
        ek_len, dk_len, _, _ = self._sizes[name]
        ek, dk = ct.create_string_buffer(ek_len), ct.create_string_buffer(dk_len)
        if self._native.OQS_KEM_keypair_derand(kem, ek, dk, seed) != _SUCCESS:
            raise AlgorithmUnavailable(f"{name}: liboqs key generation failed")
        return ek.raw, dk.raw

    def encapsulate(self, name: str, ek: bytes, m: bytes) -> tuple[bytes, bytes]:
        """FIPS 203 Algorithm 17, ML-KEM.Encaps_internal(ek, m): (c, K). liboqs runs the
        encapsulation-key check of §7.2 (modulus) and refuses a key that fails it."""
        kem = self._kem(name)
        _, _, c_len, k_len = self._sizes[name]
        c, k = ct.create_string_buffer(c_len), ct.create_string_buffer(k_len)
        if self._native.OQS_KEM_encaps_derand(kem, c, k, ek, m) != _SUCCESS:
            raise InvalidKey(f"{name}: the encapsulation key fails the check of FIPS 203 §7.2 (modulus)")
        return c.raw, k.raw

    def decapsulate(self, name: str, dk: bytes, c: bytes) -> bytes:
        """FIPS 203 Algorithm 18, ML-KEM.Decaps_internal(dk, c): K, or the implicit-rejection key
        ``J(z || c)`` for a ciphertext that does not re-encrypt to itself."""
        kem = self._kem(name)
        k = ct.create_string_buffer(self._sizes[name][3])
        if self._native.OQS_KEM_decaps(kem, k, c, dk) != _SUCCESS:
            raise InvalidKey(f"{name}: liboqs refused the decapsulation key")
        return k.raw


_loaded: list[Liboqs] = []
_lock = _fork.lock()


def load() -> Liboqs:
    """The backend, loaded once per process (the caller checked that liboqs is there)."""
    with _lock:
        if not _loaded:
            _loaded.append(Liboqs())
        return _loaded[0]
