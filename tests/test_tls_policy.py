"""The compiled policy in force: real TLS handshakes against a pyOpenSSL server in this FIPS process.

This process was activated with the default policy (fips-140-3), so its OpenSSL configuration carries
the compiled ``system_default`` section. The server below is a plain ``SSL.Context`` with a
certificate and nothing else configured; whatever it refuses, it refuses because of the policy. The
system ``openssl s_client`` is the independent client and makes the offers.
"""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from OpenSSL import SSL

from fipscrypto import policy

from support import clean_env


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class Server:
    """Accepts one TLS connection on loopback and records the outcome."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.context = SSL.Context(SSL.TLS_METHOD)  # nothing set here: the policy decides
        self.context.use_certificate_file(str(cert))
        self.context.use_privatekey_file(str(key))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(20)
        self.port = self.listener.getsockname()[1]
        self.outcome: dict[str, str] = {}
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            raw, _ = self.listener.accept()
        except OSError as exc:
            self.outcome = {"error": f"accept: {exc}"}
            return
        raw.settimeout(None)  # pyOpenSSL needs a blocking socket; the client subprocess has a timeout
        conn = SSL.Connection(self.context, raw)
        conn.set_accept_state()
        try:
            conn.do_handshake()
        except SSL.Error as exc:
            self.outcome = {"error": repr(exc)}
        else:
            self.outcome = {
                "version": conn.get_protocol_version_name(),
                "cipher": conn.get_cipher_name() or "",
                "group": conn.get_group_name() or "",
            }
        finally:
            raw.close()  # no close_notify: the client has already gone (s_client reads EOF)
            self.listener.close()


@pytest.fixture
def server(certificate: tuple[Path, Path]) -> Iterator[Server]:
    running = Server(*certificate)
    yield running
    running.thread.join(timeout=30)


def s_client(server: Server, cafile: Path, *offer: str) -> dict[str, str]:
    done = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}", "-servername", "localhost",
         "-CAfile", str(cafile), "-verify_return_error", "-brief", *offer],
        input="",
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=False,
    )  # fmt: skip
    server.thread.join(timeout=30)
    return server.outcome | {"client_exit": str(done.returncode), "client": done.stderr}


def test_the_process_runs_the_compiled_policy() -> None:
    assert policy.current().name == "fips-140-3"
    # What the server offers, read back from OpenSSL: no ChaCha20, no CBC-SHA1 (deprecated), TLS 1.2+.
    offered = SSL.Connection(SSL.Context(SSL.TLS_METHOD)).get_cipher_list()
    assert offered[:2] == ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"]
    assert not [c for c in offered if "CHACHA" in c or c.endswith("-SHA") or c.startswith("AES")]


@pytest.mark.parametrize("group", ["P-256", "P-384"])
def test_tls13_with_approved_group_and_aes_gcm(
    server: Server, certificate: tuple[Path, Path], group: str
) -> None:
    result = s_client(server, certificate[0], "-tls1_3", "-groups", group)
    assert result.get("error") is None, result
    assert result["version"] == "TLSv1.3"
    assert result["cipher"] in ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384")
    assert result["group"] == {"P-256": "secp256r1", "P-384": "secp384r1"}[group]
    assert "Verification: OK" in result["client"]


def test_tls12_with_ecdhe_ecdsa_aes_gcm(server: Server, certificate: tuple[Path, Path]) -> None:
    result = s_client(server, certificate[0], "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384")
    assert result.get("error") is None, result
    assert (result["version"], result["cipher"]) == ("TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384")


# Who refuses: "policy" cases are served by the FIPS provider and refused only because of the
# compiled policy (checked by running this module under a permissive policy: they then succeed);
# "provider" cases are also refused by the FIPS provider or OpenSSL itself, whatever the policy.
@pytest.mark.parametrize(
    ("offer", "why"),
    [
        (
            ("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"),
            "policy: CBC with SHA-1 is deprecated, not offered",
        ),
        (
            ("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256"),
            "policy: CBC with SHA-256 is deprecated, not offered",
        ),
        (
            ("-tls1_2", "-groups", "P-224", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"),
            "provider and policy: P-224 is not an allowed TLS group",
        ),
        (("-tls1_3", "-groups", "X25519"), "provider and policy: X25519 alone is not approved"),
        (("-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"), "provider and policy: ChaCha20"),
        (("-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"), "provider and policy: ChaCha20"),
        (("-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"), "provider and policy: TLS 1.0 is disallowed"),
        (("-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"), "provider and policy: TLS 1.1 is disallowed"),
    ],
)
def test_non_approved_offers_are_refused(
    server: Server, certificate: tuple[Path, Path], offer: tuple[str, ...], why: str
) -> None:
    result = s_client(server, certificate[0], *offer)
    assert "error" in result, f"{why}: the handshake succeeded: {result}"
    assert "Verification: OK" not in result["client"]
