"""The implementations behind :mod:`fipscrypto.pqc`, and whether each can run here.

- ``openssl``: ML-KEM-512/768/1024 of the OpenSSL FIPS provider: inside the FIPS boundary, approved
  under the policy. ML-KEM-768/1024 go through cryptography (``fipscrypto._backend.kem``);
  ML-KEM-512 and the expanded decapsulation key, which cryptography 50 cannot reach, through the
  provider's private library context (``fipscrypto.provider.context``).
- ``liboqs``: liboqs through liboqs-python (the ``pqc`` extra), ML-KEM-512/768/1024: outside the
  FIPS boundary; the built-in policies disallow category ``implementation``, name ``liboqs``, so
  strict mode refuses it unless an ``indicator.exempt`` scope allows it (audited).

Whether liboqs is there is found without importing liboqs-python (:mod:`fipscrypto._liboqs`):
imported without a liboqs, it would clone and build one.
"""

from __future__ import annotations

from fipscrypto import _liboqs
from fipscrypto._record import Record

__all__ = ["CRYPTOGRAPHY_SETS", "PARAMETER_SETS", "Backend", "backends"]

# FIPS 203 §8 Table 2 and 3: k, and the sizes in bytes of ek, dk (expanded) and c.
PARAMETER_SETS: dict[str, tuple[int, int, int, int]] = {
    "ML-KEM-512": (2, 800, 1632, 768),
    "ML-KEM-768": (3, 1184, 2400, 1088),
    "ML-KEM-1024": (4, 1568, 3168, 1568),
}
CRYPTOGRAPHY_SETS = ("ML-KEM-768", "ML-KEM-1024")  # what cryptography 50 offers over the FIPS provider


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


def backends() -> tuple[Backend, ...]:
    """Every backend, with its availability (no backend is loaded to find out)."""
    library, reason = _liboqs.library()
    return (
        Backend("openssl", True, None, True, tuple(PARAMETER_SETS)),
        Backend("liboqs", library is not None, reason, False, tuple(PARAMETER_SETS), library),
    )
