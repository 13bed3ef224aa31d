"""The CMVP table: a validated module is a separate verdict from an approved algorithm."""

from __future__ import annotations

import datetime as dt

import pytest

from fipscrypto.cmvp import verdict

NAME = "OpenSSL FIPS Provider"


@pytest.mark.parametrize(
    ("version", "as_of", "status", "certs"),
    [
        ("3.1.2", dt.date(2026, 11, 28), "validated", ("#4985",)),
        ("3.1.2", dt.date(2030, 3, 11), "historical", ("#4985",)),
        ("3.0.9", dt.date(2026, 9, 21), "validated", ("#4282", "#4811")),
        ("3.0.9", dt.date(2026, 9, 22), "historical", ("#4282", "#4811")),
        ("3.5.4", dt.date(2026, 11, 28), "in-process", ()),
        ("3.5.9", dt.date(2026, 11, 28), "not-validated", ()),
    ],
)
def test_verdicts(version: str, as_of: dt.date, status: str, certs: tuple[str, ...]) -> None:
    v = verdict(NAME, version, as_of=as_of)
    assert (v.status, v.certificates) == (status, certs)
    assert v.validated is (status == "validated")
    assert v.note


def test_other_vendor_is_not_validated_by_this_table() -> None:
    v = verdict("Red Hat Enterprise Linux OpenSSL FIPS Provider", "3.1.2")
    assert v.status == "not-validated"
    assert "known: none" in v.note
