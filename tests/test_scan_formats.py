"""Report formats checked against their published schemas: SARIF of ``scan config``, ``scan cert`` and
``check`` against the OASIS SARIF 2.1.0 schema (``scan code`` in tests/test_scan_code.py), and the
CycloneDX 1.6 CBOM of every scan and of ``check``: valid against the schema cyclonedx-python-lib ships,
parsed back by it, the same bytes from run to run, one component per asset with the properties of its
algorithm or protocol."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from cyclonedx.model.bom import Bom
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from fipscrypto import cmvp, module
from fipscrypto.provider.state import StatePaths, read_record

from support import assert_valid_sarif, cli

POLICY = "fips-140-3"
DAY = "2026-06-01"

NGINX = """\
server {
    ssl_protocols TLSv1 TLSv1.2;
    ssl_ciphers ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA;
}
"""

CODE = """\
import hashlib
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

digest = hashlib.md5(b"x").hexdigest()
other = hashlib.md5(b"y").hexdigest()
box = AESGCM(AESGCM.generate_key(bit_length=256))
"""

MANIFEST = """\
tls.versions = ["tls1.0", "tls1.2"]

[service]
name = "gateway"

[primitives]
ciphers = ["aes-256-gcm"]
hashes = ["md5"]

[[item]]
category = "key-agreement"
name = "ml-kem-768"

[[item]]
category = "signature"
name = "rsa-pss"
bits = 2048
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("formats")
    (root / "nginx.conf").write_text(NGINX)
    (root / "app.py").write_text(CODE)
    (root / "service.toml").write_text(MANIFEST)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "formats.test")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
        .sign(key, hashes.SHA256())
    )
    (root / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return {"code": root / "app.py", "config": root / "nginx.conf", "cert": root / "server.pem"} | {
        "check": root / "service.toml"
    }


@pytest.fixture(scope="module")
def level() -> str:
    """The certification level of an algorithm the provider proven in this process serves: the level
    of the CMVP verdict on it (tests/test_cbom.py checks what it serves and the other verdicts)."""
    record = read_record(StatePaths.resolve(module.info().state_dir))
    assert record is not None
    return (
        cmvp.verdict(record.name, record.version, as_of=dt.date.fromisoformat(DAY)).certification_level()
        or "none"
    )


def _command(kind: str, path: Path) -> list[str]:
    return ["check", str(path)] if kind == "check" else ["scan", kind, str(path)]


def _report(kind: str, path: Path, fmt: str) -> str:
    result = cli(*_command(kind, path), "--policy", POLICY, "--as-of", DAY, "--format", fmt)
    assert result.returncode in (0, 1), result.stderr  # a complete report, passing or not
    return result.stdout


KINDS = ["code", "config", "cert", "check"]


def test_the_sarif_validator_rejects_what_the_schema_forbids() -> None:
    document: dict[str, Any] = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "x"}}, "results": []}],
    }
    assert_valid_sarif(document)
    document["runs"][0]["results"] = [{"message": {"text": "m"}, "level": "fatal"}]
    with pytest.raises(AssertionError, match="fatal"):
        assert_valid_sarif(document)


@pytest.mark.parametrize("kind", ["config", "cert", "check"])
def test_sarif_is_valid_against_the_oasis_schema(inputs: dict[str, Path], kind: str) -> None:
    sarif = json.loads(_report(kind, inputs[kind], "sarif"))
    assert_valid_sarif(sarif)
    assert sarif["runs"][0]["results"]


def _components(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["bom-ref"]: c for c in document["components"]}


@pytest.mark.parametrize("kind", KINDS)
def test_cbom_is_valid_cyclonedx_1_6_parsed_back_and_deterministic(
    inputs: dict[str, Path], kind: str
) -> None:
    text = _report(kind, inputs[kind], "cbom")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    assert _report(kind, inputs[kind], "cbom") == text  # same input, same bytes
    document = json.loads(text)
    assert (document["specVersion"], document["metadata"]["timestamp"]) == ("1.6", f"{DAY}T00:00:00+00:00")
    bom = Bom.from_json(document)  # type: ignore[attr-defined]
    refs = {c.bom_ref.value for c in bom.components}
    assert refs == set(_components(document))
    assert all(ref.startswith("crypto/") for ref in refs)
    assert [c["cryptoProperties"]["assetType"] for c in document["components"]].count("certificate") == (
        kind == "cert"
    )
    for component in document["components"]:
        places = [(o["location"], o.get("line", 0)) for o in component["evidence"]["occurrences"]]
        assert places == sorted(places)


def test_cbom_is_one_component_per_asset_with_every_occurrence(inputs: dict[str, Path]) -> None:
    components = _components(json.loads(_report("code", inputs["code"], "cbom")))
    md5 = components["crypto/hash/md5"]
    assert [o["line"] for o in md5["evidence"]["occurrences"]] == [4, 5]
    assert md5["cryptoProperties"] == {
        "assetType": "algorithm",
        "algorithmProperties": {"primitive": "hash", "certificationLevel": ["none"]},  # not in the provider
    }
    assert md5["properties"] == [{"name": "fipscheck:status", "value": "disallowed"}]
    assert [c["name"] for c in components.values()].count("md5") == 1


def test_cbom_maps_algorithms_and_protocols(inputs: dict[str, Path], level: str) -> None:
    components = _components(json.loads(_report("check", inputs["check"], "cbom")))
    algorithm = {ref: c["cryptoProperties"].get("algorithmProperties") for ref, c in components.items()}
    assert algorithm["crypto/cipher/aes-256-gcm"] == {
        "primitive": "ae",
        "mode": "gcm",
        "parameterSetIdentifier": "256",
        "certificationLevel": [level],
    }
    assert algorithm["crypto/hash/md5"] == {"primitive": "hash", "certificationLevel": ["none"]}
    assert algorithm["crypto/signature/rsa-pss@2048"] == {
        "primitive": "signature",
        "parameterSetIdentifier": "2048",
        "certificationLevel": [level],
    }
    assert algorithm["crypto/key-agreement/ml-kem-768"] == {
        "primitive": "kem",
        "parameterSetIdentifier": "768",
        "certificationLevel": [level],
    }
    tls10 = components["crypto/protocol/tls/1.0"]
    assert tls10["cryptoProperties"] == {
        "assetType": "protocol",
        "protocolProperties": {"type": "tls", "version": "1.0"},
    }
    assert tls10["properties"] == [{"name": "fipscheck:status", "value": "disallowed"}]
    assert components["crypto/hash/md5"]["evidence"]["occurrences"][0]["line"] == 8


def test_cbom_protocols_reference_the_suites_found_with_them(inputs: dict[str, Path]) -> None:
    components = _components(json.loads(_report("config", inputs["config"], "cbom")))
    suites = sorted(ref for ref in components if ref.startswith("crypto/tls12-suite/"))
    assert suites
    for version in ("1.0", "1.2"):
        protocol = components[f"crypto/protocol/tls/{version}"]["cryptoProperties"]["protocolProperties"]
        assert protocol["cryptoRefArray"] == suites
        assert [s["name"] for s in protocol["cipherSuites"]] == [ref.rsplit("/", 1)[1] for ref in suites]


def test_cbom_of_a_certificate_names_its_signature_scheme_and_key_size(
    inputs: dict[str, Path], level: str
) -> None:
    components = _components(json.loads(_report("cert", inputs["cert"], "cbom")))
    signature = components["crypto/signature/rsa-pkcs1v15@2048"]["cryptoProperties"]["algorithmProperties"]
    assert signature == {
        "primitive": "signature",
        "padding": "pkcs1v15",
        "parameterSetIdentifier": "2048",
        "certificationLevel": [level],
    }
    [place] = components["crypto/signature/rsa-pkcs1v15@2048"]["evidence"]["occurrences"]
    assert place["location"] == str(inputs["cert"])
