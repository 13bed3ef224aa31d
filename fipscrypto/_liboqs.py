"""liboqs, the post-quantum module's backend outside the FIPS boundary: finding it, and its ML-KEM.

liboqs-python looks for liboqs when ``oqs`` is first imported and, when none is found, clones and
builds it from the network. So ``oqs`` is imported (by :func:`load`) only after :func:`library` has
found the library, in the places liboqs-python searches: ``$OQS_INSTALL_PATH`` (``lib``, ``lib64``),
else fipscrypto's state folder (``<state>/liboqs``, where ``make liboqs`` builds it; then
``OQS_INSTALL_PATH`` is set to it for liboqs-python), else ``~/_oqs``, then the dynamic loader's search
path (``ctypes.util.find_library``). Nothing is downloaded or built here. Importing this module does
not boot the module's OpenSSL (no cryptography here).

liboqs's ML-KEM is called through liboqs-python's handle on the library. liboqs keeps the FIPS 203
formats: the encapsulation key ``ek``, the expanded decapsulation key ``dk`` (§7.1:
``dkPKE || ek || H(ek) || z``), the ciphertext ``c`` and the 32-byte shared key ``K``.
Every call is derandomized (``OQS_KEM_keypair_derand`` from the seed ``d || z``,
``OQS_KEM_encaps_derand`` from ``m``): the caller draws the randomness from fipscrypto's DRBG, so
liboqs's own random source is never used.
"""

from __future__ import annotations

import ctypes as ct
import ctypes.util
import functools
import importlib
import importlib.util
import logging
import os
import warnings
from pathlib import Path
from typing import Any

from . import _fork
from .errors import AlgorithmUnavailable, BackendUnavailable, InvalidKey
from .provider.state import StatePaths

__all__ = ["ALGORITHMS", "INSTALL", "Liboqs", "library", "load", "require"]

OQS_ENV = "OQS_INSTALL_PATH"
INSTALL = (
    "install the pqc extra (pip install 'fipscrypto[pqc]': liboqs-python) and a liboqs shared library "
    f"(liboqs 0.15: 'make liboqs' builds one into the state folder; or set {OQS_ENV} to a liboqs "
    "install prefix with lib/liboqs.so)"
)
_LIBRARY = "liboqs.so"


def _candidates() -> list[tuple[Path, bool]]:
    """(install prefix, whether liboqs-python must be told it) in liboqs-python's order of prefixes."""
    named = os.environ.get(OQS_ENV)
    if named:
        return [(Path(named), False)]
    return [(StatePaths.resolve().root / "liboqs", True), (Path.home() / "_oqs", False)]


@functools.cache
def library() -> tuple[str | None, str | None]:
    """(the liboqs shared library liboqs-python will load, None) or (None, why not). Looks only at
    files and the loader's cache; the ``oqs`` module is not imported."""
    if importlib.util.find_spec("oqs") is None:
        return None, "liboqs-python (the 'oqs' module) is not installed"
    for prefix, tell in _candidates():
        for folder in ("lib", "lib64"):
            found = prefix / folder / _LIBRARY
            if found.is_file():
                try:
                    ctypes.CDLL(str(found))  # liboqs-python would try to build one if it did not load
                except OSError as exc:
                    return None, f"{found} does not load: {exc}"
                if tell:
                    os.environ[OQS_ENV] = str(prefix)  # where liboqs-python looks first (after the loader)
                return str(found), None
    system = ctypes.util.find_library("oqs")
    if system:
        return system, None
    where = os.environ.get(OQS_ENV) or f"{_candidates()[0][0]} or ~/_oqs"
    return None, f"no liboqs shared library in {where} or on the loader's search path"


def require() -> str:
    """The library path, or BackendUnavailable with install instructions."""
    found, reason = library()
    if found is None:
        raise BackendUnavailable("liboqs", f"the liboqs backend is unavailable: {reason}", INSTALL)
    return found


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
