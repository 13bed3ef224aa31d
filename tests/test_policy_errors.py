"""Only fipscrypto errors leave the policy model, the manifest evaluation, the report renderers and the
provider configuration: wrong types, unknown names and missing files are typed, never a bare
ValueError, TypeError, KeyError or OSError."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fipscrypto import policy
from fipscrypto.errors import FipsError, InvalidParameter, PolicyError, ProviderLoadFailed
from fipscrypto.policy import Direction, builtin
from fipscrypto.policy.manifest import evaluate, read_manifest
from fipscrypto.policy.model import bounded
from fipscrypto.policy.report import render
from fipscrypto.provider.config import file_sha256, module_mac, read_fips_section, read_module_mac

EXAMPLE = Path(__file__).parent.parent / "docs" / "examples" / "sip-gateway.toml"
FIPS = builtin("fips-140-3")


def test_a_sized_item_without_bits_is_an_invalid_parameter() -> None:
    # The policy limits RSA-PSS by key size: the question has no answer without one.
    with pytest.raises(InvalidParameter, match="signature rsa-pss: the policy limits its size; give bits="):
        policy.check("signature", "rsa-pss")
    with pytest.raises(InvalidParameter, match="give bits="):
        FIPS.check("signature", "rsa-pss", direction=Direction.PROCESS)
    assert FIPS.check("signature", "rsa-pss", bits=3072).allowed


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((None, "sha256"), {}, "category must be a str"),
        (("hash", b"sha256"), {}, "name must be a str"),
        (("hash", ["sha256"]), {}, "name must be a str"),
        (("signature", "rsa-pss"), {"bits": "3072"}, "bits must be a non-negative int"),
        (("signature", "rsa-pss"), {"bits": True}, "bits must be a non-negative int"),
        (("signature", "rsa-pss"), {"bits": 3072.0}, "bits must be a non-negative int"),
        (("hash", "sha256"), {"direction": "apply"}, "direction must be a Direction"),
        (("hash", "sha256"), {"as_of": "2026-01-01"}, "as_of must be a date"),
        (("hash", "sha256"), {"params": [("iterations", 1)]}, "params must be a mapping"),
        (("hash", "sha256"), {"params": {"iterations": "600000"}}, "params values must be int"),
        (("hash", "sha256"), {"params": {"iterations": None}}, "params values must be int"),
        (("hash", "sha256"), {"params": {1: 600000}}, "params keys must be str"),
    ],
)
def test_policy_check_refuses_wrong_types(
    args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidParameter, match=message):
        FIPS.check(*args, **kwargs)


def test_allowed_names_and_match_refuse_wrong_types() -> None:
    with pytest.raises(InvalidParameter, match="names must be a tuple of str"):
        FIPS.allowed_names("hash", "sha256")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter, match="as_of must be a date"):
        FIPS.allowed_names("hash", ("sha256",), as_of=20260101)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter, match="bits must be a non-negative int"):
        FIPS.match("signature", "rsa-pss", "big")  # type: ignore[arg-type]
    assert FIPS.allowed_names("hash", ("sha256", "md5")) == ["sha256"]


@pytest.mark.parametrize(
    ("value", "kind", "message"),
    [
        ("2048", "bits", "must be an integer from 1 to 65536"),
        (True, "bits", "must be an integer from 1 to 65536"),
        (0, "bits", "must be an integer from 1 to 65536"),
        (2048, "colour", "unknown kind of integer 'colour'"),
    ],
)
def test_bounded_raises_invalid_parameter(value: object, kind: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        bounded(value, kind)


def test_report_render_refuses_unknown_formats_and_fail_on() -> None:
    evaluation = evaluate(EXAMPLE, FIPS, dt.date(2026, 1, 1))
    with pytest.raises(InvalidParameter, match=r"unknown report format 'pdf' \(known: text, json"):
        render(evaluation, "pdf", tool_version="0")
    with pytest.raises(InvalidParameter, match="unknown fail_on 'sometimes'"):
        render(evaluation, "text", fail_on="sometimes", tool_version="0")
    with pytest.raises(InvalidParameter, match="unknown fail_on 'sometimes'"):
        evaluation.failing("sometimes")
    with pytest.raises(InvalidParameter, match="evaluation must be an Evaluation"):
        render(None, "text", tool_version="0")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter, match="fmt must be a str"):
        render(evaluation, ["text"], tool_version="0")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter, match="tool_version must be a str"):
        render(evaluation, "text", tool_version=None)  # type: ignore[arg-type]
    assert render(evaluation, "text", tool_version="0")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: read_manifest(None), InvalidParameter, "path must be a str or a path"),
        (lambda: read_manifest(b"/tmp/m.toml"), InvalidParameter, "path must be a str or a path"),
        (lambda: evaluate(7, FIPS), InvalidParameter, "path must be a str or a path"),
        (lambda: evaluate(EXAMPLE, "fips-140-3"), InvalidParameter, "policy must be a Policy"),
        (lambda: evaluate(EXAMPLE, FIPS, "2026-01-01"), InvalidParameter, "as_of must be a date"),
        (lambda: evaluate("/nonexistent/manifest.toml", FIPS), PolicyError, "cannot read"),
    ],
    ids=["none-path", "bytes-path", "int-path", "policy-name", "as-of-string", "missing-file"],
)
def test_manifest_functions_raise_only_fipscrypto_errors(
    call: Callable[[], object], error: type[FipsError], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()


def test_provider_configuration_readers_raise_provider_errors(tmp_path: Path) -> None:
    cnf = tmp_path / "fipsmodule.cnf"
    cnf.write_text("[fips_sect]\nactivate = 1\n")
    with pytest.raises(ProviderLoadFailed, match="no module-mac line") as caught:
        read_module_mac(cnf)
    assert "fipscheck provider install --force" in caught.value.remedy
    missing = tmp_path / "missing.cnf"
    for call in (
        lambda: read_module_mac(missing),
        lambda: read_fips_section(missing),
        lambda: module_mac(missing),
        lambda: file_sha256(missing),
    ):
        with pytest.raises(ProviderLoadFailed, match=f"cannot read {missing}: No such file or directory"):
            call()
