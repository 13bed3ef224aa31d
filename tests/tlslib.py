"""Shared helpers of the TLS tests: a test PKI, loopback servers and clients, and the system openssl.

Everything here makes real handshakes over 127.0.0.1: a server thread in this (FIPS) process, the
client in the test's thread or in an ``openssl s_client`` subprocess, or an ``openssl s_server``
subprocess as a peer this process cannot be (an RSA-1024 server key cannot sign in the FIPS provider).
The system ``openssl`` is 3.0, outside the FIPS boundary: an independent implementation.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import shutil
import socket
import ssl
import struct
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from OpenSSL import SSL

from fipscrypto import tls
from fipscrypto.tls import hooks

from support import clean_env

OPENSSL = shutil.which("openssl") or "openssl"  # the system binary; a missing one fails the tests
TIMEOUT = 20

_EKU = {"server": ExtendedKeyUsageOID.SERVER_AUTH, "client": ExtendedKeyUsageOID.CLIENT_AUTH}
_PEM = serialization.Encoding.PEM


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _new_key(kind: str) -> Any:
    if kind.startswith("rsa-"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[4:]))
    return ec.generate_private_key({"ec-p256": ec.SECP256R1(), "ec-p384": ec.SECP384R1()}[kind])


def _key_pem(key: Any) -> bytes:
    return bytes(key.private_bytes(_PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


@dataclasses.dataclass(frozen=True)
class Issued:
    """A certificate and its key as files: ``cert`` alone, ``chain`` with its issuers (no root)."""

    cert: Path
    key: Path
    chain: Path
    subject: str


class Pki:
    """A test CA (ECDSA P-256 unless told) that issues the certificates the tests need, as PEM files."""

    def __init__(
        self,
        folder: Path,
        name: str = "fipscrypto test CA",
        *,
        issuer: Pki | None = None,
        ca: bool = True,
        key: str = "ec-p256",
    ) -> None:
        """A root CA, or an intermediate of ``issuer``; ``ca=False`` makes a certificate that issues
        although it is not a CA (no cA bit, no keyCertSign). ``key``: "ec-p256" or "ec-p384" (which
        signs with SHA-384)."""
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.parent = issuer
        self._key = _new_key(key)
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(issuer.name) if issuer else _name(name))
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(not ca, False, False, False, False, ca, ca, False, False), critical=True
            )
        )
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), False
        )
        signer = issuer._key if issuer else self._key
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), False
        )
        self.certificate = builder.sign(signer, hashes.SHA384() if key == "ec-p384" else hashes.SHA256())
        slug = name.replace(" ", "-")
        self.cert = folder / f"{slug}.pem"
        self.key = folder / f"{slug}.key"
        self.cert.write_bytes(self.certificate.public_bytes(_PEM))
        self.key.write_bytes(_key_pem(self._key))

    def _chain_pem(self) -> bytes:
        """This CA's certificate and its parents', without the root (what a peer sends)."""
        if self.parent is None:
            return b""
        return self.certificate.public_bytes(_PEM) + self.parent._chain_pem()

    def issue(
        self,
        name: str,
        *,
        key: str = "ec-p256",
        eku: Sequence[str] = ("server", "client"),
        sans: Sequence[str] = ("localhost",),
        valid: tuple[dt.timedelta, dt.timedelta] = (dt.timedelta(hours=-1), dt.timedelta(days=1)),
        signature: str = "sha256",
        ca: bool = False,
        digital_signature: bool = True,
    ) -> Issued:
        """A certificate for ``name``. ``valid``: (notBefore, notAfter) relative to now. ``eku``: the
        purposes (empty: no extension). ``signature="sha1"`` is made by the system openssl (the FIPS
        provider refuses SHA-1 signatures)."""
        subject_key = _new_key(key)
        now = dt.datetime.now(dt.UTC)
        slug = name.replace(" ", "-")
        key_path = self.folder / f"{slug}.key"
        key_path.write_bytes(_key_pem(subject_key))
        cert_path = self.folder / f"{slug}.pem"
        if signature == "sha1":
            self._issue_with_openssl(name, key_path, cert_path, eku=eku, sans=sans, valid=valid)
        else:
            builder = (
                x509.CertificateBuilder()
                .subject_name(_name(name))
                .issuer_name(_name(self.name))
                .public_key(subject_key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now + valid[0])
                .not_valid_after(now + valid[1])
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                .add_extension(
                    x509.KeyUsage(
                        digital_signature, False, not digital_signature, False, False, ca, ca, False, False
                    ),
                    critical=True,
                )
            )
            builder = builder.add_extension(
                x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), critical=False
            ).add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False
            )  # RFC 5280 §4.2.1.1-2 (Python's ssl checks them: VERIFY_X509_STRICT)
            if sans:
                builder = builder.add_extension(
                    x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False
                )
            if eku:
                builder = builder.add_extension(x509.ExtendedKeyUsage([_EKU[e] for e in eku]), critical=False)
            digest = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384()}[signature]
            cert_path.write_bytes(builder.sign(self._key, digest).public_bytes(_PEM))
        chain_path = self.folder / f"{slug}.chain.pem"
        chain_path.write_bytes(cert_path.read_bytes() + self._chain_pem())
        return Issued(cert_path, key_path, chain_path, f"CN={name}")

    def _issue_with_openssl(
        self,
        name: str,
        key_path: Path,
        cert_path: Path,
        *,
        eku: Sequence[str],
        sans: Sequence[str],
        valid: tuple[dt.timedelta, dt.timedelta],
    ) -> None:
        slug = name.replace(" ", "-")
        ext = self.folder / f"{slug}.ext"
        lines = ["[v3]", "basicConstraints = critical,CA:FALSE", "keyUsage = critical,digitalSignature",
                 "subjectKeyIdentifier = hash", "authorityKeyIdentifier = keyid"]  # fmt: skip
        if sans:
            lines.append("subjectAltName = " + ",".join(f"DNS:{s}" for s in sans))
        if eku:
            lines.append(
                "extendedKeyUsage = "
                + ",".join({"server": "serverAuth", "client": "clientAuth"}[e] for e in eku)
            )
        ext.write_text("\n".join(lines) + "\n")
        csr = self.folder / f"{slug}.csr"
        run_openssl("req", "-new", "-key", str(key_path), "-subj", f"/CN={name}", "-out", str(csr))
        days = max(1, int(valid[1] / dt.timedelta(days=1)))
        run_openssl(
            "x509", "-req", "-in", str(csr), "-CA", str(self.cert), "-CAkey", str(self.key), "-sha1",
            "-days", str(days), "-set_serial", str(x509.random_serial_number()),
            "-extfile", str(ext), "-extensions", "v3", "-out", str(cert_path),
        )  # fmt: skip


def run_openssl(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [OPENSSL, *args], capture_output=True, text=True, env=clean_env(), timeout=60, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)} failed: {done.stderr}")
    return done


def _timeouts(sock: socket.socket) -> None:
    """Blocking (pyOpenSSL needs it), but never hanging a test: kernel-level receive/send timeouts."""
    sock.settimeout(None)
    timeval = struct.pack("ll", TIMEOUT, 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)


@dataclasses.dataclass
class Outcome:
    """One side's view of one handshake."""

    parameters: tls.TLSParameters | None = None
    error: BaseException | None = None
    version: str = ""
    cipher: str = ""
    group: str = ""
    data: bytes = b""

    @property
    def ok(self) -> bool:
        return self.error is None


def succeeded(*outcomes: Outcome) -> None:
    """Every outcome is a completed handshake (else the assertion shows the error)."""
    for outcome in outcomes:
        assert outcome.error is None, outcome.error


def parameters(outcome: Outcome) -> tls.TLSParameters:
    """The record of a successful fipscrypto handshake."""
    assert outcome.error is None, outcome.error
    assert outcome.parameters is not None
    return outcome.parameters


def _pyopenssl_outcome(conn: SSL.Connection, ours: bool) -> Outcome:
    outcome = Outcome()
    try:
        conn.do_handshake()
        outcome.parameters = tls.negotiated(conn) if ours else None
        outcome.version = conn.get_protocol_version_name()
        outcome.cipher = conn.get_cipher_name() or ""
        outcome.group = conn.get_group_name() or ""
    except Exception as exc:
        outcome.error = exc
    return outcome


class Server:
    """Serves ``count`` TLS connections on 127.0.0.1 in a thread and records each :class:`Outcome`.

    ``context``: a pyOpenSSL context (fipscrypto's or not) or a stdlib ``ssl.SSLContext``. After a
    successful handshake the server sends ``greeting`` (lets a TLS 1.3 client read its tickets).
    """

    def __init__(
        self,
        context: SSL.Context | ssl.SSLContext,
        *,
        count: int = 1,
        greeting: bytes = b"",
        echo: bool = False,
    ) -> None:
        self.context = context
        self.count = count
        self.greeting = greeting
        self.echo = echo
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(TIMEOUT)
        self.port: int = self.listener.getsockname()[1]
        self.outcomes: list[Outcome] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            for _ in range(self.count):
                try:
                    raw, _ = self.listener.accept()
                except OSError as exc:
                    self.outcomes.append(Outcome(error=exc))
                    return
                with raw:
                    _timeouts(raw)
                    self.outcomes.append(self._one(raw))
        finally:
            self.listener.close()

    def _one(self, raw: socket.socket) -> Outcome:
        if isinstance(self.context, ssl.SSLContext):
            outcome = Outcome()
            try:
                with self.context.wrap_socket(raw, server_side=True) as wrapped:
                    outcome.parameters = tls.negotiated(wrapped)
                    outcome.version = wrapped.version() or ""
                    outcome.cipher = (wrapped.cipher() or ("",))[0]
                    if self.greeting:
                        wrapped.sendall(self.greeting)
            except Exception as exc:
                outcome.error = exc
            return outcome
        ours = hooks.config_of(self.context) is not None
        conn = tls.server_connection(self.context, raw) if ours else SSL.Connection(self.context, raw)
        if not ours:
            conn.set_accept_state()
        outcome = _pyopenssl_outcome(conn, ours)
        if outcome.ok and self.greeting:
            with contextlib.suppress(SSL.Error, OSError):
                conn.sendall(self.greeting)
        if outcome.ok and self.echo:  # until the peer leaves; what it sent is kept
            try:
                while chunk := conn.recv(4096):
                    outcome.data += chunk
                    conn.sendall(chunk)
            except (SSL.ZeroReturnError, SSL.SysCallError):
                pass
            except SSL.Error as exc:
                outcome.error = exc
        if outcome.ok:
            with contextlib.suppress(SSL.Error, OSError):
                conn.shutdown()
        return outcome

    def wait(self) -> list[Outcome]:
        self.thread.join(timeout=2 * TIMEOUT)
        assert not self.thread.is_alive(), "the server thread did not finish"
        return self.outcomes

    def result(self) -> Outcome:
        """The outcome of the only connection."""
        outcomes = self.wait()
        assert len(outcomes) == 1, outcomes
        return outcomes[0]


def open_socket(port: int) -> socket.socket:
    """A blocking client socket connected to 127.0.0.1:port, with the kernel timeouts."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    _timeouts(sock)
    return sock


def connect(
    context: SSL.Context,
    port: int,
    hostname: str | None = "localhost",
    *,
    session: SSL.Session | None = None,
    read: int = 0,
    prepare: Callable[[SSL.Connection], None] | None = None,
) -> tuple[Outcome, SSL.Connection]:
    """A client handshake over loopback. fipscrypto contexts get :func:`tls.client_connection`,
    others a plain Connection (``prepare`` may configure it). ``read``: bytes to read afterwards."""
    sock = open_socket(port)
    ours = hooks.config_of(context) is not None
    if ours:
        conn: SSL.Connection = tls.client_connection(context, hostname, sock)
    else:
        conn = SSL.Connection(context, sock)
        conn.set_connect_state()
        if hostname:
            conn.set_tlsext_host_name(hostname.encode())
    if prepare is not None:
        prepare(conn)
    if session is not None:
        conn.set_session(session)
    outcome = _pyopenssl_outcome(conn, ours)
    if outcome.ok and read:
        with contextlib.suppress(SSL.Error, OSError):
            while len(outcome.data) < read:
                outcome.data += conn.recv(read - len(outcome.data))
    return outcome, conn


def closing(conn: SSL.Connection) -> None:
    with contextlib.suppress(Exception):
        conn.shutdown()
    with contextlib.suppress(Exception):
        conn.sock_shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        conn.close()


@dataclasses.dataclass
class Peer:
    """What the system openssl (s_client or s_server) printed, and how it ended."""

    exit: int
    stdout: str
    stderr: str

    @property
    def verified(self) -> bool:
        return "Verification: OK" in self.stderr or "Verify return code: 0 (ok)" in self.stdout


def s_client(
    port: int,
    *offer: str,
    cafile: Path,
    servername: str = "localhost",
    cert: Issued | None = None,
    config: Path | None = None,
    brief: bool = True,
) -> Peer:
    """The system ``openssl s_client`` connecting to 127.0.0.1:port with ``offer`` (its options)."""
    args = [OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}", "-servername", servername,
            "-CAfile", str(cafile), "-verify_return_error"]  # fmt: skip
    if brief:
        args.append("-brief")
    if cert is not None:
        args += ["-cert", str(cert.cert), "-key", str(cert.key)]
    env = clean_env(OPENSSL_CONF=str(config)) if config else clean_env()
    done = subprocess.run(
        [*args, *offer], input="", capture_output=True, text=True, env=env, timeout=60, check=False
    )
    return Peer(done.returncode, done.stdout, done.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def s_server(cert: Issued, *options: str, config: Path | None = None, once: bool = True) -> Iterator[int]:
    """The system ``openssl s_server`` serving one connection (``once=False``: any number, one at a
    time) with ``cert`` (``config``: its OPENSSL_CONF); yields its port."""
    port = free_port()
    env = clean_env(OPENSSL_CONF=str(config)) if config else clean_env()
    proc = subprocess.Popen(
        [OPENSSL, "s_server", "-accept", f"127.0.0.1:{port}", *(["-naccept", "1"] if once else []),
         "-cert", str(cert.cert), "-key", str(cert.key), "-cert_chain", str(cert.chain), *options],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip  # stdin stays open: s_server ends a connection at the end of its input
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # s_server prints ACCEPT once it listens
            if "ACCEPT" in line:
                break
        else:
            raise AssertionError(f"openssl s_server did not start (exit {proc.wait()})")
        # what it prints for each connection is drained, so that a full pipe never stalls it
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        yield port
    finally:
        proc.kill()
        proc.wait(timeout=TIMEOUT)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()


def write_policy(folder: Path, name: str, rules: str, *, extends: str = "fips-140-3-hardened") -> Path:
    """A policy file that extends a built-in profile with ``rules`` (TOML [[rule]] tables)."""
    path = folder / f"{name}.toml"
    path.write_text(
        f'[policy]\nname = "{name}"\ntitle = "test policy {name}"\nstatus = "final"\n'
        f'extends = "{extends}"\n\n' + rules
    )
    return path


def no_ems_config(folder: Path) -> Path:
    """An OPENSSL_CONF that makes the system openssl offer TLS without the extended master secret."""
    path = folder / "no-ems.cnf"
    path.write_text(
        "openssl_conf = init\n[init]\nssl_conf = ssl_module\n[ssl_module]\nsystem_default = tls\n"
        "[tls]\nOptions = -ExtendedMasterSecret\n"
    )
    return path
