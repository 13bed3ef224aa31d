"""The implementations behind :mod:`fipscrypto.pqc`, and whether each can run here.

- ``openssl``: ML-KEM-768 and ML-KEM-1024 of the OpenSSL FIPS provider, through cryptography
  (``fipscrypto._backend.kem``): inside the FIPS boundary, approved under the policy.
- ``liboqs``: liboqs through liboqs-python (the ``pqc`` extra), ML-KEM-512/768/1024: outside the
  FIPS boundary; the built-in policies disallow category ``implementation``, name ``liboqs``, so
  strict mode refuses it unless an ``indicator.exempt`` scope allows it (audited).

liboqs-python looks for liboqs when ``oqs`` is first imported and, when none is found, clones and
builds it from the network. So the ``oqs`` module is imported only after :func:`liboqs_library`
has found the library, in the places liboqs-python searches: ``$OQS_INSTALL_PATH`` (``lib``,
``lib64``), else fipscrypto's state folder (``<state>/liboqs``, where ``make`` builds it; then
``OQS_INSTALL_PATH`` is set to it for liboqs-python), else ``~/_oqs``, then the dynamic loader's
search path (``ctypes.util.find_library``). Nothing is downloaded or built here.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import importlib.util
import os
from pathlib import Path

from fipscrypto._record import Record
from fipscrypto.errors import BackendUnavailable
from fipscrypto.provider.state import StatePaths

__all__ = [
    "INSTALL",
    "OPENSSL_SETS",
    "PARAMETER_SETS",
    "Backend",
    "backends",
    "liboqs_library",
    "require_liboqs",
]

# FIPS 203 §8 Table 2 and 3: k, and the sizes in bytes of ek, dk (expanded) and c.
PARAMETER_SETS: dict[str, tuple[int, int, int, int]] = {
    "ML-KEM-512": (2, 800, 1632, 768),
    "ML-KEM-768": (3, 1184, 2400, 1088),
    "ML-KEM-1024": (4, 1568, 3168, 1568),
}
OPENSSL_SETS = ("ML-KEM-768", "ML-KEM-1024")  # what cryptography 50 offers over the FIPS provider

OQS_ENV = "OQS_INSTALL_PATH"
INSTALL = (
    "install the pqc extra (pip install 'fipscrypto[pqc]': liboqs-python) and a liboqs shared library "
    f"(liboqs 0.15: 'make liboqs' builds one into the state folder; or set {OQS_ENV} to a liboqs "
    "install prefix with lib/liboqs.so)"
)
_LIBRARY = "liboqs.so"


class Backend(Record):
    """One implementation: its ``name``, whether it is ``available`` here (``reason`` when not),
    whether it runs inside the FIPS boundary, and the parameter sets it offers."""

    __slots__ = _fields = ("name", "available", "reason", "fips_boundary", "parameter_sets", "library")
    name: str
    available: bool
    reason: str | None
    fips_boundary: bool
    parameter_sets: tuple[str, ...]
    library: str | None  # the shared library it found (liboqs), None for openssl

    def __init__(
        self,
        name: str,
        available: bool,
        reason: str | None,
        fips_boundary: bool,
        parameter_sets: tuple[str, ...],
        library: str | None = None,
    ) -> None:
        self._init(name, available, reason, fips_boundary, parameter_sets, library)

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self._fields}


def _candidates() -> list[tuple[Path, bool]]:
    """(install prefix, whether liboqs-python must be told it) in liboqs-python's order of prefixes."""
    named = os.environ.get(OQS_ENV)
    if named:
        return [(Path(named), False)]
    return [(StatePaths.resolve().root / "liboqs", True), (Path.home() / "_oqs", False)]


@functools.cache
def liboqs_library() -> tuple[str | None, str | None]:
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


def require_liboqs() -> str:
    """The library path, or BackendUnavailable with install instructions."""
    library, reason = liboqs_library()
    if library is None:
        raise BackendUnavailable("liboqs", f"the liboqs backend is unavailable: {reason}", INSTALL)
    return library


def backends() -> tuple[Backend, ...]:
    """Every backend, with its availability (no backend is loaded to find out)."""
    library, reason = liboqs_library()
    return (
        Backend("openssl", True, None, True, OPENSSL_SETS),
        Backend("liboqs", library is not None, reason, False, tuple(PARAMETER_SETS), library),
    )
