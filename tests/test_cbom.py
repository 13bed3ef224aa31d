"""The CBOM's certification levels and certificate assets.

``certificationLevel``: what the FIPS provider proven in this process serves (read from the provider
itself), with the level of the CMVP verdict on it: the real verdict on the real provider through
``fipscheck``, and the verdicts the CMVP table gives other versions of the same provider (validated
FIPS 140-3 and 140-2, historical, in process) through the renderer, with the same measured provider.
A process that proved no provider (mode off) claims nothing.

Certificates: ``fipscheck scan cert`` of certificates made here (an RSA leaf issued by an ECDSA CA, a
subject with characters RFC 4514 escapes, a PKCS#7 bundle) gives one ``certificate`` asset per
certificate whose names, validity and references are cross-checked against cryptography's reading of
the same certificate; valid against the CycloneDX 1.6 schema, and the same bytes from run to run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from fipscrypto import cmvp, module
from fipscrypto.cli import cbom
from fipscrypto.cli.certification import measure
from fipscrypto.provider.state import StatePaths, read_record

from support import cli, fipscheck

DAY = dt.date(2026, 6, 1)
PROVIDER = "OpenSSL FIPS Provider"
MANIFEST = """\
[service]
name = "gateway"

[primitives]
ciphers = ["aes-256-gcm", "chacha20-poly1305"]
hashes = ["md5", "sha384"]

[[item]]
category = "signature"
name = "ecdsa-secp256k1"

[[item]]
category = "key-agreement"
name = "x25519"

[[item]]
category = "tls12-suite"
name = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
"""
# (category, name) -> whether the FIPS provider serves it with fips=yes (OpenSSL 3.x FIPS provider)
SERVED = {
    ("hash", "sha256"): True,
    ("hash", "sha3-256"): True,
    ("hash", "sha512-256"): True,
    ("hash", "md5"): False,
    ("cipher", "aes-256-gcm"): True,
    ("cipher", "3des-cbc"): True,  # decryption stays approved (SP 800-131A r2 §2)
    ("cipher", "chacha20-poly1305"): False,
    ("mac", "hmac-sha256"): True,
    ("mac", "hmac-md5"): False,
    ("mac", "cmac-aes"): True,
    ("password-hash", "pbkdf2-hmac-sha512"): True,
    ("kdf", "hkdf"): True,
    ("signature", "rsa-pss"): True,
    ("signature", "ecdsa-p256"): True,
    ("signature", "ecdsa-secp256k1"): False,  # the provider generates no key on it
    ("signature", "ecdsa-brainpoolp256r1"): False,
    ("signature", "ed25519"): True,
    ("signature", "ml-dsa-65"): True,
    ("key-agreement", "ffdh"): True,
    ("key-agreement", "x25519"): False,  # fips=no in the provider
    ("key-agreement", "ml-kem-768"): True,
    ("key-agreement", "rsa-oaep"): True,
    ("tls-group", "secp384r1"): True,
    ("tls-group", "ffdhe3072"): True,
    ("tls-group", "x25519"): False,
    ("tls-sigalg", "rsa_pss_rsae_sha256"): True,
    ("tls-sigalg", "ecdsa_secp384r1_sha384"): True,
}
NOT_ASKED = [("tls12-suite", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"), ("srtp-profile", "AEAD_AES_256_GCM")]


def _valid(text: str) -> dict[str, Any]:
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    document: dict[str, Any] = json.loads(text)
    return document


def _components(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["bom-ref"]: c for c in document["components"]}


def _levels(document: dict[str, Any]) -> dict[str, str]:
    return {
        ref: c["cryptoProperties"]["algorithmProperties"]["certificationLevel"][0]
        for ref, c in _components(document).items()
        if c["cryptoProperties"]["assetType"] == "algorithm"
    }


def _real_verdict(as_of: dt.date = DAY) -> cmvp.CmvpVerdict:
    record = read_record(StatePaths.resolve(module.info().state_dir))
    assert record is not None
    return cmvp.verdict(record.name, record.version, as_of=as_of)


@pytest.fixture(scope="module")
def measured() -> cbom.Certification:
    return measure([*SERVED, *NOT_ASKED], DAY)


def test_the_provider_is_asked_what_it_serves(measured: cbom.Certification) -> None:
    assert measured.verdict == _real_verdict()
    assert dict(measured.served) == SERVED  # every item asked, nothing else


def _render(certification: cbom.Certification) -> dict[str, Any]:
    assets = [
        cbom.Asset(c, n, None, "inventory.toml", i, "", "acceptable") for i, (c, n) in enumerate(SERVED, 1)
    ]
    assets += [cbom.Asset(c, n, None, "inventory.toml", None, "", "acceptable") for c, n in NOT_ASKED]
    text = cbom.render(assets, certification=certification, policy="fips-140-3", as_of=DAY, tool_version="0")
    return _valid(text)


def _expected(level: str) -> dict[str, str]:
    refs = {f"crypto/{c}/{n}": (level if served else "none") for (c, n), served in SERVED.items()}
    return refs | {f"crypto/{c}/{n}": "unknown" for c, n in NOT_ASKED}


@pytest.mark.parametrize(
    ("version", "as_of", "level"),
    [
        ("3.1.2", DAY, "fips140-3-l1"),  # #4985
        ("3.0.9", DAY, "fips140-2-l1"),  # #4282, #4811
        ("3.0.9", dt.date(2026, 9, 22), "none"),  # historical after the FIPS 140-2 sunset
        ("3.5.4", DAY, "none"),  # in process is not validated
        ("3.5.99", DAY, "none"),  # not in the table
    ],
)
def test_level_is_the_verdicts_for_what_the_provider_serves(
    measured: cbom.Certification, version: str, as_of: dt.date, level: str
) -> None:
    verdict = cmvp.verdict(PROVIDER, version, as_of=as_of)
    document = _render(cbom.Certification(verdict, measured.served))
    assert _levels(document) == _expected(level)
    [cmvp_property] = [p for p in document["metadata"]["properties"] if p["name"] == "fipscheck:cmvp"]
    assert cmvp_property["value"].startswith(f"{verdict.status}: ")


def test_nothing_proven_claims_nothing() -> None:
    document = _render(cbom.Certification(None))
    assert set(_levels(document).values()) == {"unknown"}
    assert {"name": "fipscheck:cmvp", "value": "not measured: no FIPS provider proven in this process"} in (
        document["metadata"]["properties"]
    )


def test_check_reports_the_real_providers_level(tmp_path: Path) -> None:
    manifest = tmp_path / "service.toml"
    manifest.write_text(MANIFEST)
    done = cli(
        "check", str(manifest), "--policy", "fips-140-3", "--as-of", DAY.isoformat(), "--format", "cbom"
    )
    assert done.returncode == 1, done.stderr  # md5 and chacha20 are disallowed
    level = _real_verdict().certification_level() or "none"
    assert _levels(_valid(done.stdout)) == {
        "crypto/cipher/aes-256-gcm": level,
        "crypto/hash/sha384": level,
        "crypto/cipher/chacha20-poly1305": "none",
        "crypto/hash/md5": "none",
        "crypto/signature/ecdsa-secp256k1": "none",
        "crypto/key-agreement/x25519": "none",
        "crypto/tls12-suite/TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "unknown",
    }


def test_a_process_without_the_provider_claims_nothing(tmp_path: Path) -> None:
    manifest = tmp_path / "service.toml"
    manifest.write_text(MANIFEST)
    done = fipscheck(
        "check", str(manifest), "--as-of", DAY.isoformat(), "--format", "cbom", FIPSCRYPTO_MODE="off"
    )
    assert done.returncode == 1, done.stderr
    document = _valid(done.stdout)
    assert set(_levels(document).values()) == {"unknown"}


def test_certification_level_names_the_certificate_standard_and_level() -> None:
    assert cmvp.verdict(PROVIDER, "3.1.2", as_of=DAY).certification_level() == "fips140-3-l1"
    assert cmvp.verdict(PROVIDER, "3.1.2", as_of=dt.date(2030, 3, 11)).certification_level() is None
    assert cmvp.verdict(PROVIDER, "3.5.4", as_of=DAY).certification_level() is None


# ------------------------------------------------------------------------------------ certificates


def _name(*attributes: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("cbom-certs")
    ca_key = ec.generate_private_key(ec.SECP384R1())
    ca_name = _name(
        (NameOID.COUNTRY_NAME, "DE"), (NameOID.ORGANIZATION_NAME, "Court IT"), (NameOID.COMMON_NAME, "Root")
    )
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
        .sign(ca_key, hashes.SHA384())
    )
    leaf_name = _name(
        (NameOID.ORGANIZATION_NAME, "#hospital"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, " video "),
        (NameOID.COMMON_NAME, 'sip.example, "east"+1;<a>'),
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(leaf_name)
        .issuer_name(ca_name)
        .public_key(rsa.generate_private_key(public_exponent=65537, key_size=3072).public_key())
        .serial_number(2)
        .not_valid_before(dt.datetime(2026, 2, 1, 8, 30, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2027, 2, 1, 8, 30, tzinfo=dt.UTC))
        .sign(ca_key, hashes.SHA384())
    )
    pem = serialization.Encoding.PEM
    (d / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    (d / "ca.der").write_bytes(ca.public_bytes(serialization.Encoding.DER))
    (d / "chain.pem").write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    subprocess.run(
        ["openssl", "crl2pkcs7", "-nocrl", "-certfile", "chain.pem", "-out", "chain.p7b"], cwd=d, check=True
    )
    return {"dir": d, "ca": ca, "leaf": leaf}


def _scan(*paths: Path) -> str:
    done = cli(
        "scan",
        "cert",
        *map(str, paths),
        "--policy",
        "fips-140-3",
        "--as-of",
        DAY.isoformat(),
        "--format",
        "cbom",
    )
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


def _certificate(components: dict[str, dict[str, Any]], cert: x509.Certificate) -> dict[str, Any]:
    component = components[f"crypto/certificate/{cert.fingerprint(hashes.SHA256()).hex()}"]
    assert component["cryptoProperties"]["assetType"] == "certificate"
    assert component["name"] == cert.subject.rfc4514_string()
    properties: dict[str, Any] = component["cryptoProperties"]["certificateProperties"]
    return properties


def test_certificates_are_assets_referring_to_their_algorithms(certs: dict[str, Any]) -> None:
    d = certs["dir"]
    text = _scan(d / "leaf.pem", d / "ca.der", d / "chain.p7b")
    assert _scan(d / "leaf.pem", d / "ca.der", d / "chain.p7b") == text  # the same bytes
    components = _components(_valid(text))
    kinds = [c["cryptoProperties"]["assetType"] for c in components.values()]
    assert kinds.count("certificate") == 2  # one asset per certificate, wherever it was found
    for cert, key in (
        (certs["leaf"], "crypto/signature/rsa-pkcs1v15@3072"),
        (certs["ca"], "crypto/signature/ecdsa-p384"),
    ):
        properties = _certificate(components, cert)
        assert properties == {
            "subjectName": cert.subject.rfc4514_string(),
            "issuerName": cert.issuer.rfc4514_string(),
            "notValidBefore": cert.not_valid_before_utc.isoformat(),
            "notValidAfter": cert.not_valid_after_utc.isoformat(),
            "signatureAlgorithmRef": "crypto/tls-sigalg/ecdsa_secp384r1_sha384",
            "subjectPublicKeyRef": key,
            "certificateFormat": "X.509",
        }
        for ref in (properties["signatureAlgorithmRef"], properties["subjectPublicKeyRef"]):
            assert components[ref]["cryptoProperties"]["assetType"] == "algorithm"
    leaf = components[f"crypto/certificate/{certs['leaf'].fingerprint(hashes.SHA256()).hex()}"]
    places = [(o["location"], o["line"]) for o in leaf["evidence"]["occurrences"]]
    assert places == [(str(d / "chain.p7b"), 1), (str(d / "leaf.pem"), 1)]
    assert "properties" not in leaf  # a certificate has no policy verdict of its own; its algorithms do
    assert r"O=\#hospital" in leaf["name"]
    assert r"OU=\ video\ " in leaf["name"]


def test_certificate_of_a_refused_key_still_refers_to_it(tmp_path: Path) -> None:
    # the system openssl command with its default provider: the FIPS provider signs with no RSA-1024 key
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    subprocess.run(
        ["openssl", "req", "-x509", "-nodes", "-days", "30", "-newkey", "rsa:1024", "-sha256",
         "-subj", "/CN=old", "-keyout", "old.key", "-out", "old.pem"],
        cwd=tmp_path, env=env, check=True, capture_output=True,
    )  # fmt: skip
    old = x509.load_pem_x509_certificate((tmp_path / "old.pem").read_bytes())
    components = _components(_valid(_scan(tmp_path / "old.pem")))
    properties = _certificate(components, old)
    assert properties["subjectPublicKeyRef"] == "crypto/signature/rsa-pkcs1v15@1024"
    key_component = components["crypto/signature/rsa-pkcs1v15@1024"]
    assert key_component["properties"] == [{"name": "fipscheck:status", "value": "disallowed"}]
