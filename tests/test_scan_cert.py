"""``scan_cert``: keys, signature algorithms, validity, PKCS#12 MAC and PBE, exactly (every expected use
is found, nothing else is), judged by the built-in fips-140-3 policy; malformed input is reported as
incomplete, never a crash.

The fixtures are made here: with the system ``openssl`` command (its default and legacy providers, in a
clean environment, so RSA-1024, SHA-1 signatures and RC2-40 are possible) and with cryptography (an
expired certificate); nothing binary is committed.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import pytest
import scanlib
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fipscrypto.cli.scan.cert import MAX_BYTES, scan_cert
from fipscrypto.cli.scan.model import Misuse, Skipped, Use, judge
from fipscrypto.policy import builtin

from support import cli

POLICY = builtin("fips-140-3")
PASSWORD = "correct horse"


def _openssl(directory: Path, *args: str) -> None:
    env = {"PATH": os.environ["PATH"], "HOME": str(directory)}  # no OPENSSL_CONF: the system defaults
    subprocess.run(["openssl", *args], cwd=directory, env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("certs")
    new = ("req", "-x509", "-nodes", "-days", "30")
    _openssl(
        d, *new, "-newkey", "rsa:1024", "-sha1", "-subj", "/CN=old", "-keyout", "old.key", "-out", "old.pem"
    )
    _openssl(d, "x509", "-in", "old.pem", "-outform", "DER", "-out", "old.der")
    _openssl(d, "req", "-new", "-key", "old.key", "-sha256", "-subj", "/CN=request", "-out", "old.csr")
    pss = ("-sha256", "-sigopt", "rsa_padding_mode:pss")
    _openssl(d, *new, "-newkey", "rsa:3072", *pss, "-sigopt", "rsa_pss_saltlen:32", "-subj", "/CN=pss",
             "-keyout", "pss.key", "-out", "pss.pem")  # fmt: skip
    _openssl(d, *new, "-newkey", "rsa:2048", *pss, "-sigopt", "rsa_pss_saltlen:20", "-subj", "/CN=salt20",
             "-keyout", "salt20.key", "-out", "salt20.pem")  # fmt: skip
    _openssl(d, "crl2pkcs7", "-nocrl", "-certfile", "old.pem", "-certfile", "pss.pem", "-out", "bundle.p7b")
    export = ("pkcs12", "-export", "-passout", f"pass:{PASSWORD}")
    legacy = ("-legacy", "-certpbe", "PBE-SHA1-RC2-40", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1")
    _openssl(d, *export, *legacy, "-in", "old.pem", "-inkey", "old.key", "-out", "legacy.p12")
    _openssl(d, *export, "-in", "pss.pem", "-inkey", "pss.key", "-out", "modern.p12")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "expired")])
    expired = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0x1234)
        .not_valid_before(dt.datetime(2019, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (d / "expired.pem").write_bytes(b"# a comment line\n" + expired.public_bytes(serialization.Encoding.PEM))
    return d


def test_weak_certificate_pem_der_and_request(files: Path) -> None:
    found = scan_cert([str(files / n) for n in ("old.pem", "old.der", "old.csr")])
    assert scanlib.rows(found, files) == [
        ("old.pem:1", "signature", "rsa-pkcs1v15", 1024),
        ("old.pem:1", "signature", "sha1-signature", None),
        ("old.der", "signature", "rsa-pkcs1v15", 1024),
        ("old.der", "signature", "sha1-signature", None),
        ("old.csr:1", "signature", "rsa-pkcs1v15", 1024),
        ("old.csr:1", "tls-sigalg", "rsa_pkcs1_sha256", None),
    ]
    assert scanlib.failing(found, POLICY) == {("signature", "rsa-pkcs1v15"), ("signature", "sha1-signature")}
    assert found[0].evidence.startswith("certificate Common Name: old, serial ")


def test_rsassa_pss_parameters(files: Path) -> None:
    found = scan_cert([str(files / "pss.pem"), str(files / "salt20.pem")])
    assert scanlib.rows(found, files) == [
        ("pss.pem:1", "signature", "rsa-pkcs1v15", 3072),
        ("pss.pem:1", "tls-sigalg", "rsa_pss_rsae_sha256", None),
        ("salt20.pem:1", "signature", "rsa-pkcs1v15", 2048),
        ("salt20.pem:1", "tls-sigalg", "rsa-pss(sha256, mgf1-sha256, salt 20)", None),
    ]
    assert scanlib.failing(found, POLICY) == {("tls-sigalg", "rsa-pss(sha256, mgf1-sha256, salt 20)")}


def test_expired_certificate_and_validity_date(files: Path) -> None:
    found = scan_cert([str(files / "expired.pem")])
    assert scanlib.rows(found, files) == [
        ("expired.pem:2", "signature", "ecdsa-p256", None),
        ("expired.pem:2", "tls-sigalg", "ecdsa_secp256r1_sha256", None),
        ("expired.pem:2", "cert.expired", "", None),
    ]
    assert "EKU server_auth" in found[0].evidence
    assert scanlib.failing(found, POLICY) == {("cert.expired", "")}
    before = scan_cert([str(files / "expired.pem")], as_of=dt.date(2018, 12, 31))
    assert [m.rule for m in before if isinstance(m, Misuse)] == ["cert.not-yet-valid"]
    during = scan_cert([str(files / "expired.pem")], as_of=dt.date(2019, 6, 1))
    assert [m for m in during if isinstance(m, Misuse)] == []


def test_pkcs7_bundle(files: Path) -> None:
    assert scanlib.rows(scan_cert([str(files / "bundle.p7b")]), files) == [
        ("bundle.p7b:1", "signature", "rsa-pkcs1v15", 1024),
        ("bundle.p7b:1", "signature", "sha1-signature", None),
        ("bundle.p7b:1", "signature", "rsa-pkcs1v15", 3072),
        ("bundle.p7b:1", "tls-sigalg", "rsa_pss_rsae_sha256", None),
    ]


def test_pkcs12_rc2_40_and_sha1_mac(files: Path) -> None:
    found = scan_cert([str(files / "legacy.p12")], password=PASSWORD.encode())
    assert scanlib.rows(found, files) == [
        ("legacy.p12", "mac", "hmac-sha1", 160),
        ("legacy.p12", "kdf", "pkcs12-kdf", None),
        ("legacy.p12", "cipher", "rc2", None),
        ("legacy.p12", "kdf", "pkcs12-kdf", None),
        ("legacy.p12", "cipher", "3des-cbc", None),
        ("legacy.p12", "kdf", "pkcs12-kdf", None),
        # RC2 is not in the FIPS provider: the certificate behind it cannot be read, and the scan says so.
        ("legacy.p12", "skipped.encrypted", "", None),
    ]
    assert scanlib.failing(found, POLICY) == {
        ("kdf", "pkcs12-kdf"),
        ("cipher", "rc2"),
        ("cipher", "3des-cbc"),
    }


def test_pkcs12_pbes2(files: Path) -> None:
    found = scan_cert([str(files / "modern.p12")], password=PASSWORD.encode())
    assert scanlib.rows(found, files) == [
        ("modern.p12", "mac", "hmac-sha256", 256),
        ("modern.p12", "kdf", "pkcs12-kdf", None),
        ("modern.p12", "cipher", "aes-256-cbc", None),
        ("modern.p12", "password-hash", "pbkdf2-hmac-sha256", None),
        ("modern.p12", "cipher", "aes-256-cbc", None),
        ("modern.p12", "password-hash", "pbkdf2-hmac-sha256", None),
        # The PKCS#12 MAC's KDF is not in the FIPS provider: not even the right password opens it here.
        ("modern.p12", "skipped.encrypted", "", None),
    ]
    assert {dict(u.params)["salt_bits"] for u in found if isinstance(u, Use) and u.params} == {64}
    assert scanlib.failing(found, POLICY) == {
        ("kdf", "pkcs12-kdf"),
        ("password-hash", "pbkdf2-hmac-sha256"),  # 2048 iterations, a 64-bit salt: below the policy
    }
    wrong = scan_cert([str(files / "modern.p12")], password=b"wrong")
    assert scanlib.rows(wrong, files) == scanlib.rows(found, files)


def test_jwk_set(tmp_path: Path) -> None:
    n = base64.urlsafe_b64encode(b"\x80" + bytes(255)).rstrip(b"=").decode()  # a 2048-bit modulus
    keys = [
        {"kty": "RSA", "n": n, "e": "AQAB", "alg": "PS256", "kid": "a"},
        {"kty": "RSA", "n": n, "e": "AQAB", "alg": "RSA1_5"},
        {"kty": "EC", "crv": "P-384", "x": "", "y": ""},
        {"kty": "OKP", "crv": "X25519", "x": ""},
        {"kty": "oct", "k": "AAAA"},
    ]
    path = tmp_path / "keys.jwks"
    path.write_text(json.dumps({"keys": keys}))
    found = scan_cert([str(path)])
    assert scanlib.rows(found, tmp_path) == [
        ("keys.jwks", "signature", "rsa-pss", 2048),
        ("keys.jwks", "key-agreement", "rsa-pkcs1v15-transport", 2048),
        ("keys.jwks", "signature", "ecdsa-p384", None),
        ("keys.jwks", "key-agreement", "x25519", None),
        ("keys.jwks", "skipped.malformed", "", None),
    ]


def test_malformed_and_unreadable(files: Path, tmp_path: Path) -> None:
    pem = (files / "old.pem").read_bytes()
    samples = {
        "garbage.der": b"\x30\x82\xff\xff" + bytes(10),
        "truncated.pem": pem[: len(pem) // 2],
        "badbase64.pem": b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        "unsupported.pem": b"-----BEGIN DH PARAMETERS-----\nMAA=\n-----END DH PARAMETERS-----\n",
        "cut.der": (files / "old.der").read_bytes()[:200],
        "empty.der": b"",
        "bad.json": b"{not json",
    }
    for name, data in samples.items():
        (tmp_path / name).write_bytes(data)
    big = tmp_path / "big.der"
    with big.open("wb") as file:
        file.truncate(MAX_BYTES + 1)
    found = scan_cert([str(tmp_path / n) for n in (*samples, "big.der", "missing.pem")])
    assert scanlib.rows(found, tmp_path) == [
        ("garbage.der", "skipped.unknown-format", "", None),
        ("truncated.pem", "skipped.malformed", "", None),
        ("badbase64.pem:1", "skipped.malformed", "", None),
        ("unsupported.pem:1", "skipped.unsupported", "", None),
        ("cut.der", "skipped.unknown-format", "", None),
        ("empty.der", "skipped.unknown-format", "", None),
        ("bad.json", "skipped.malformed", "", None),
        ("big.der", "skipped.too-large", "", None),
        ("missing.pem", "skipped.unreadable", "", None),
    ]


def test_cli_exit_codes(files: Path, tmp_path: Path) -> None:
    def run(*args: str) -> int:
        return cli("scan", "cert", *args, "--policy", "fips-140-3", "--format", "json").returncode

    assert run(str(files / "pss.pem")) == 0
    assert run(str(files / "pss.pem"), str(files / "old.pem")) == 1
    assert run(str(files / "expired.pem")) == 1
    assert run(str(files / "expired.pem"), "--as-of", "2019-06-01") == 0
    (tmp_path / "junk.der").write_bytes(b"junk")
    assert run(str(tmp_path / "junk.der")) == 3
    assert run(str(files / "pss.pem"), str(tmp_path / "junk.der")) == 3  # one file not read: incomplete
    (tmp_path / "password").write_text(PASSWORD + "\n")
    # The MAC and PBE are judged (the 64-bit PBKDF2 salt fails) though the certificate cannot be read.
    assert run(str(files / "modern.p12"), "--password-file", str(tmp_path / "password")) == 1
    report = json.loads(cli("scan", "cert", str(files / "modern.p12"), "--format", "json").stdout)
    assert report["summary"]["skipped"] == 1


@given(
    cut=st.integers(0, 4000),
    flip=st.integers(0, 4000),
    value=st.integers(0, 255),
    name=st.sampled_from(
        ["old.pem", "old.der", "old.csr", "bundle.p7b", "legacy.p12", "modern.p12", "pss.pem"]
    ),
)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_mutated_files_never_crash(
    files: Path, tmp_path: Path, cut: int, flip: int, value: int, name: str
) -> None:
    data = bytearray((files / name).read_bytes()[: max(cut, 1)])
    data[flip % len(data)] = value
    path = tmp_path / name
    path.write_bytes(bytes(data))
    found = scan_cert([str(path)], password=PASSWORD.encode())
    assert found
    judge([i for i in found if not isinstance(i, Skipped)], POLICY)
