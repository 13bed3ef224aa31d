"""Is the loaded provider a CMVP-validated module? A table kept as data (``cmvp.toml``).

This is the "validated module" verdict. It is separate from the "approved algorithm" verdict the
policy gives per operation: an approved algorithm served by an unvalidated module is still not a
FIPS 140-validated service, and a validated module still offers non-approved algorithms.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import tomllib
from dataclasses import dataclass

from ._clock import today as _today

__all__ = ["CmvpVerdict", "verdict"]


@dataclass(frozen=True)
class _Entry:
    name: str
    versions: tuple[str, ...]
    status: str
    standard: str
    certificates: tuple[str, ...]
    level: int | None
    sunset: dt.date | None
    submitted: dt.date | None


@dataclass(frozen=True)
class CmvpVerdict:
    # "validated", "historical" (validated, past its sunset date), "in-process", "not-validated"
    status: str
    standard: str | None
    certificates: tuple[str, ...]
    sunset: dt.date | None
    note: str
    level: int | None = None  # the certificate's overall security level

    @property
    def validated(self) -> bool:
        return self.status == "validated"

    def certification_level(self) -> str | None:
        """The CycloneDX 1.6 ``certificationLevel`` of a validated module (``fips140-3-l1``); None when
        the module is not validated (in process, historical, not validated) or its level is not known."""
        if not self.validated or self.standard is None or self.level is None:
            return None
        return f"{self.standard.lower().replace(' ', '')}-l{self.level}"

    def as_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "validated": self.validated,
            "standard": self.standard,
            "certificates": list(self.certificates),
            "sunset": self.sunset.isoformat() if self.sunset else None,
            "level": self.level,
            "note": self.note,
        }


@functools.cache
def _table() -> tuple[_Entry, ...]:
    # The table is a file of the package (sealed by the integrity manifest), read from its folder.
    with open(os.path.join(os.path.dirname(__file__), "cmvp.toml"), encoding="utf-8") as table:
        text = table.read()
    return tuple(
        _Entry(
            name=e["name"],
            versions=tuple(e["versions"]),
            status=e["status"],
            standard=e["standard"],
            certificates=tuple(e["certificates"]),
            level=e.get("level"),
            sunset=e.get("sunset"),
            submitted=e.get("submitted"),
        )
        for e in tomllib.loads(text)["entry"]
    )


def verdict(name: str, version: str, *, as_of: dt.date | None = None) -> CmvpVerdict:
    """The CMVP verdict for a provider's name and version, evaluated as of a date (default today)."""
    today = as_of or _today()
    for e in _table():
        if e.name != name or version not in e.versions:
            continue
        certs = ", ".join(e.certificates)
        if e.status == "in-process":
            note = f"{name} {version} was submitted for {e.standard} on {e.submitted}; not validated"
            return CmvpVerdict("in-process", e.standard, e.certificates, None, note)
        if e.sunset is not None and e.sunset < today:
            note = (
                f"{e.standard} certificate {certs} moved to the historical list on {e.sunset}: "
                "not for new procurement"
            )
            return CmvpVerdict("historical", e.standard, e.certificates, e.sunset, note)
        note = (
            f"{e.standard} certificate {certs} covers {name} {version} when built as its Security "
            "Policy requires; fipscrypto does not verify how this file was built"
        )
        return CmvpVerdict("validated", e.standard, e.certificates, e.sunset, note, e.level)
    known = "; ".join(f"{'/'.join(e.versions)} {e.status} ({e.standard})" for e in _table() if e.name == name)
    note = f"{name} {version} is not a CMVP-validated version (known: {known or 'none'})"
    return CmvpVerdict("not-validated", None, (), None, note)
