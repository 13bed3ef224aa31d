"""Provisioning and verification with the real provider module, a damaged copy, and real apt."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fipscrypto.errors import AptUnavailable, ModuleMacMismatch, ModuleNotFound, ProviderLoadFailed
from fipscrypto.provider import apt as apt_mod
from fipscrypto.provider import provision
from fipscrypto.provider.config import fipsinstall_mac, module_mac, read_module_mac
from fipscrypto.provider.provision import install, verify
from fipscrypto.provider.state import ProviderRecord, SelftestRun, StatePaths, read_record
from fipscrypto.tls.openssl import capability

from support import clean_env, cli, fipscheck, run_json


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_module_mac_matches_openssl_fipsinstall(module_path: Path) -> None:
    by_openssl = fipsinstall_mac(module_path)
    assert by_openssl is not None, "the system openssl binary is a required test peer"
    assert by_openssl[0] == module_mac(module_path)
    assert by_openssl[1].startswith("OpenSSL 3.")


def test_config_carries_the_mac_and_runs_kats_on_load(state_paths: StatePaths, module_path: Path) -> None:
    text = state_paths.fipsmodule_cnf.read_text()
    assert read_module_mac(state_paths.fipsmodule_cnf) == module_mac(module_path)
    assert not re.search(r"^install-(status|mac)", text, re.MULTILINE)  # 3.1+ form: KATs on every load
    cnf = state_paths.openssl_cnf.read_text()
    assert "default_properties = fips=yes" in cnf
    assert re.search(r"^fips = fips_sect$", cnf, re.MULTILINE)
    assert re.search(r"^base = base_sect$", cnf, re.MULTILINE)


def test_identity_agrees_with_the_system_openssl_binary(state_paths: StatePaths) -> None:
    # An independent reading of the provider's parameters: `openssl list -providers -verbose`.
    listing = subprocess.run(
        ["openssl", "list", "-providers", "-verbose"],
        capture_output=True,
        text=True,
        env=clean_env(OPENSSL_CONF=str(state_paths.openssl_cnf)),
        check=True,
    ).stdout
    fips = listing.split("  fips\n", 1)[1]
    version = re.search(r"version: (\S+)", fips)
    assert version is not None
    record = read_record(state_paths)
    assert record is not None
    assert record.name in fips
    assert record.version == version.group(1)
    assert "status: active" in fips


def test_identity_probe_runs_the_provider_self_test(state_paths: StatePaths) -> None:
    found = run_json(
        "import json; from pathlib import Path; from fipscrypto.provider.probe import probe_identity;"
        f"print(json.dumps(probe_identity(Path({str(state_paths.openssl_cnf)!r}))))"
    )
    assert found["ok"] is True
    assert found["name"] == "OpenSSL FIPS Provider"
    assert found["status"] == 1
    assert found["self_test"] is True


def test_the_records_are_frozen_values_that_round_trip_through_json(state_paths: StatePaths) -> None:
    record = read_record(state_paths)
    assert record is not None
    again = ProviderRecord(**json.loads(record.to_json()))
    assert again == record
    assert again.switches == record.switches
    assert isinstance(again.switches, tuple)
    assert repr(record).startswith(f"ProviderRecord(module_path={record.module_path!r}, ")
    with pytest.raises(AttributeError):
        record.name = "another"
    changed = record.replace(tls_negotiable=None)
    assert (changed.tls_negotiable, changed.name) == (None, record.name)
    assert changed != record
    with pytest.raises(TypeError):
        ProviderRecord(**{**record.as_dict(), "unknown": 1})  # read_record() then reports no record
    row = {"name": "integrity", "family": "integrity", "result": "pass", "ms": 1.0, "detail": ""}
    run = SelftestRun("2026-01-01T00:00:00+00:00", None, True, 1, (), 1.0, "operational", None, (row,))
    again_run = SelftestRun(**json.loads(json.dumps(run.as_dict())))  # lists in JSON, tuples again
    assert again_run == run
    assert (again_run.failed, again_run.results) == ((), (row,))
    assert hash(StatePaths.resolve(state_paths.root)) == hash(state_paths)


def test_install_is_idempotent(state_paths: StatePaths) -> None:
    before = read_record(state_paths)
    assert install(state_dir=state_paths.root) == before


def test_named_module_installs_and_verifies(own_state: StatePaths) -> None:
    record = verify(own_state.root)
    assert record.source.startswith("named: ")
    assert record.module_sha256 == hashlib.sha256(Path(record.module_path).read_bytes()).hexdigest()


PLAIN_OFFER = """
import json, fipscrypto
fipscrypto.activate()
from OpenSSL import SSL
print(json.dumps({"offered": SSL.Connection(SSL.Context(SSL.TLS_METHOD)).get_cipher_list()}))
"""


def test_the_record_keeps_what_cryptographys_openssl_can_negotiate(own_state: StatePaths) -> None:
    """Measured by the load probe; the process-wide section of later activations is compiled from it."""
    record = read_record(own_state)
    assert record is not None
    assert record.tls_negotiable == capability().as_dict()  # the probe's process and this one agree
    assert "TLS_AES_128_CCM_8_SHA256" in record.tls_negotiable["refused"]
    # A record from before the measurement: the section offers every suite the policy accepts ...
    data = json.loads(own_state.record.read_text())
    del data["tls_negotiable"]
    own_state.record.write_text(json.dumps(data))
    offered = run_json(PLAIN_OFFER, FIPSCRYPTO_STATE_DIR=str(own_state.root))["offered"]
    assert "TLS_AES_128_CCM_8_SHA256" in offered
    # ... until verification measures again and keeps the answer.
    assert verify(own_state.root).tls_negotiable == record.tls_negotiable
    offered = run_json(PLAIN_OFFER, FIPSCRYPTO_STATE_DIR=str(own_state.root))["offered"]
    assert "TLS_AES_128_CCM_8_SHA256" not in offered
    assert set(offered) <= capability().suites


def test_corrupted_module_is_rejected_by_verify_and_activation(own_state: StatePaths) -> None:
    record = read_record(own_state)
    assert record is not None
    module = Path(record.module_path)
    _flip_byte(module, module.stat().st_size // 2)
    with pytest.raises(ModuleMacMismatch, match="does not match its module-mac"):
        verify(own_state.root)

    done = cli("provider", "verify", "--state-dir", str(own_state.root))
    assert done.returncode == 3
    assert "ModuleMacMismatch" in done.stderr
    assert "what to do:" in done.stderr

    result = run_json(
        """
import json, fipscrypto
try:
    fipscrypto.activate()
except fipscrypto.FipsError as exc:
    caught = type(exc).__name__
from cryptography.hazmat.bindings._rust import openssl  # loaded by the activation attempt
print(json.dumps({"caught": caught, "state": fipscrypto.info().state.value,
                  "fips_enabled_flag": openssl.is_fips_enabled()}))
""",
        FIPSCRYPTO_STATE_DIR=str(own_state.root),
    )
    assert result["caught"] == "ModuleMacMismatch"
    assert result["state"] == "error"
    # The reason activation proves the provider: cryptography's flag still claims FIPS.
    assert result["fips_enabled_flag"] is True


def test_wrong_module_mac_in_config_is_caught(own_state: StatePaths) -> None:
    cnf = own_state.fipsmodule_cnf
    cnf.write_text(re.sub(r"module-mac = \w\w", "module-mac = 00", cnf.read_text()))
    with pytest.raises(ModuleMacMismatch):
        verify(own_state.root)
    status = fipscheck("status", "--json", "--state-dir", str(own_state.root))  # another folder: fresh
    assert status.returncode == 3
    report = json.loads(status.stdout)
    assert report["state"] == "error"
    assert report["error"]["type"] == "ModuleMacMismatch"
    assert report["fips_enabled"] is True  # cryptography's flag, which is why it is not trusted
    assert report["provider_proven"] is False
    text = fipscheck("status", "--state-dir", str(own_state.root))
    assert "NOT proven" in text.stdout


def test_missing_named_module(tmp_path: Path) -> None:
    with pytest.raises(ModuleNotFound, match="no FIPS provider module at"):
        install(module=tmp_path / "nope" / "fips.so", state_dir=tmp_path / "state")
    done = cli("provider", "install", "--module", str(tmp_path / "nope.so"), "--state-dir", str(tmp_path))
    assert done.returncode == 3
    assert "ModuleNotFound" in done.stderr


def _module_with_failing_kat(module_path: Path, tmp_path: Path) -> Path:
    """A copy of the module whose SHA-512 known answer ("abc", FIPS 180-4) is off by one bit.

    Its MAC is computed over the changed file, so the integrity check passes and the provider's own
    power-on known-answer test is what fails when it loads.
    """
    copy = tmp_path / "kat" / "fips.so"
    copy.parent.mkdir()
    data = module_path.read_bytes()
    offset = data.find(hashlib.sha512(b"abc").digest())
    assert offset > 0, "the provider keeps its SHA-512 KAT answer in rodata"
    copy.write_bytes(data)
    _flip_byte(copy, offset)
    return copy


def test_self_test_failure_at_load(module_path: Path, tmp_path: Path) -> None:
    broken = _module_with_failing_kat(module_path, tmp_path)
    with pytest.raises(ProviderLoadFailed, match="fipsinstall rejected") as caught:
        install(module=broken, state_dir=tmp_path / "state")
    assert "self test post failure" in caught.value.message
    # Without an openssl binary, the identity probe's load is what catches it.
    done = cli(
        "provider",
        "install",
        "--module",
        str(broken),
        "--state-dir",
        str(tmp_path / "s2"),
        PATH="/nonexistent",
    )
    assert done.returncode == 3
    assert "ProviderLoadFailed" in done.stderr
    assert "did not load or failed its self-test" in done.stderr


def test_install_without_openssl_binary_uses_the_python_mac(module_path: Path, tmp_path: Path) -> None:
    done = cli(
        "provider", "install", "--module", str(module_path), "--state-dir", str(tmp_path), PATH="/nonexistent"
    )
    assert done.returncode == 0, done.stderr
    record = read_record(StatePaths.resolve(tmp_path))
    assert record is not None
    assert record.mac_source.startswith("HMAC-SHA-256 (Python")
    assert record.module_mac == module_mac(module_path)


def test_failed_load_leaves_nothing_recorded(
    module_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The identity probe passes for real; the cryptography-side load is made to fail.
    real = provision.run_probe
    monkeypatch.setattr(
        provision,
        "run_probe",
        lambda kind, path: real(kind, path) if kind == "identity" else {"ok": False, "error": "refused"},
    )
    paths = StatePaths.resolve(tmp_path / "state")
    with pytest.raises(ProviderLoadFailed, match="cryptography could not use the provider: refused"):
        install(module=module_path, state_dir=paths.root)
    assert read_record(paths) is None
    assert not paths.record.exists()


def test_not_a_provider_fails_to_load(tmp_path: Path) -> None:
    bogus = tmp_path / "fips.so"
    shutil.copyfile("/bin/true", bogus)
    with pytest.raises(ProviderLoadFailed):
        install(module=bogus, state_dir=tmp_path / "state")


def test_provider_gone_after_install(own_state: StatePaths) -> None:
    record = read_record(own_state)
    assert record is not None
    Path(record.module_path).unlink()
    with pytest.raises(ModuleNotFound, match="is gone"):
        verify(own_state.root)


# --- apt sources -------------------------------------------------------------------------------

ONE_LINE = """
# comment
deb [arch=amd64 signed-by=/usr/share/keyrings/nodesource.gpg] https://example.invalid/node nodistro main
deb http://mirror.invalid/debian bookworm main contrib  # trailing
deb-src http://mirror.invalid/debian bookworm main
"""

DEB822 = """Types: deb
URIs: http://mirror.invalid/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: http://first.invalid/debian http://second.invalid/debian
Suites: trixie trixie-updates
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBGBbvQ==
 -----END PGP PUBLIC KEY BLOCK-----

Types: deb
Enabled: no
URIs: http://disabled.invalid/debian
Suites: bookworm
Components: main
"""


def _apt_etc(tmp_path: Path, one_line: str = "", deb822: str = "") -> Path:
    (tmp_path / "sources.list.d").mkdir(parents=True)
    (tmp_path / "sources.list").write_text(one_line)
    if deb822:
        (tmp_path / "sources.list.d" / "debian.sources").write_text(deb822)
    return tmp_path


def test_one_line_sources(tmp_path: Path) -> None:
    sources = apt_mod.system_sources(_apt_etc(tmp_path, ONE_LINE))
    assert [s.uri for s in sources] == ["https://example.invalid/node", "http://mirror.invalid/debian"]
    assert sources[0].signed_by == "/usr/share/keyrings/nodesource.gpg"
    assert apt_mod.debian_mirror(sources).uri == "http://mirror.invalid/debian"


def test_deb822_sources(tmp_path: Path) -> None:
    sources = apt_mod.system_sources(_apt_etc(tmp_path, deb822=DEB822))
    assert [s.uri for s in sources] == [
        "http://mirror.invalid/debian-security",
        "http://first.invalid/debian",
        "http://second.invalid/debian",
    ]
    mirror = apt_mod.debian_mirror(sources)
    assert mirror.uri == "http://first.invalid/debian"  # the -security suite is not a release
    assert mirror.signed_by is not None
    assert "BEGIN PGP PUBLIC KEY BLOCK" in mirror.signed_by


def test_no_debian_mirror_is_apt_unavailable(tmp_path: Path) -> None:
    etc = _apt_etc(tmp_path, "deb https://example.invalid/node nodistro main\n")
    with pytest.raises(AptUnavailable, match="no Debian archive mirror") as caught:
        apt_mod.fetch_module(StatePaths.resolve(tmp_path / "state"), apt_etc=etc)
    assert "--module" in caught.value.remedy


@settings(deadline=None)  # parsing is fast; a loaded CI machine must not turn scheduling into a failure
@given(st.text())
@example("0\n 0")  # a continuation after a line that is not a field (found by this test)
def test_source_parsers_never_crash(text: str) -> None:
    for source in apt_mod._parse_one_line(text) + apt_mod._parse_deb822(text):
        assert isinstance(source.uri, str)


@settings(deadline=None)  # writes a file per example
@given(st.text())
def test_mac_reader_raises_provider_load_failed_or_returns_hex(text: str) -> None:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".cnf", delete=False) as f:
        f.write(text)
    try:
        mac = read_module_mac(Path(f.name))
    except ProviderLoadFailed as exc:
        failure: str | None = exc.message
    else:
        failure = None
    finally:
        Path(f.name).unlink()
    if failure is not None:
        assert failure == f"{f.name}: no module-mac line"
    else:
        assert re.fullmatch(r"[0-9A-F]*", mac)


@pytest.mark.network
def test_fetch_from_the_configured_mirror(tmp_path: Path) -> None:
    paths = StatePaths.resolve(tmp_path)
    module, source = apt_mod.fetch_module(paths)
    assert source.startswith(f"apt: {apt_mod.PACKAGE} ")
    assert f" {apt_mod.SUITE})" in source
    # The download must be a real provider: configure it, load it, prove it.
    record = install(module=module, state_dir=tmp_path / "state")
    assert record.name == "OpenSSL FIPS Provider"


TLS12_WITHOUT_EMS = """
import datetime as dt, json, fipscrypto
fipscrypto.activate()
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from OpenSSL import SSL, crypto
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
now = dt.datetime.now(dt.UTC)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
def handshake(client_options):
    server_ctx = SSL.Context(SSL.TLS_METHOD)
    server_ctx.use_certificate(crypto.X509.from_cryptography(cert))
    server_ctx.use_privatekey(crypto.PKey.from_cryptography_key(key))
    client_ctx = SSL.Context(SSL.TLS_METHOD)
    client_ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
    client_ctx.set_options(client_options)
    server, client = SSL.Connection(server_ctx, None), SSL.Connection(client_ctx, None)
    server.set_accept_state(); client.set_connect_state()
    for _ in range(20):
        for side, other in ((client, server), (server, client)):
            try:
                side.do_handshake()
            except SSL.WantReadError:
                pass
            except SSL.Error as exc:
                return "refused: " + str(exc)
            try:
                other.bio_write(side.bio_read(65536))
            except SSL.WantReadError:
                pass  # nothing to send yet
    return "completed" if client.get_cipher_name() else "stalled"
print(json.dumps({"ems": handshake(0), "no_ems": handshake(0x1)}))  # 0x1: SSL_OP_NO_EXTENDED_MASTER_SECRET
"""


def test_provider_refuses_tls12_without_extended_master_secret(own_state: StatePaths) -> None:
    # Plain pyOpenSSL contexts (no fipscrypto TLS code): the provider's TLS1-PRF itself refuses.
    assert "tls1-prf-ems-check = 1" in own_state.fipsmodule_cnf.read_text()
    result = run_json(TLS12_WITHOUT_EMS, FIPSCRYPTO_STATE_DIR=str(own_state.root))
    assert result["ems"] == "completed"
    assert result["no_ems"].startswith("refused")
    # Without the setting in the provisioned file, audit mode (which runs with the provisioned
    # switches) completes the handshake: the negative control. Strict mode sets it whatever the file says.
    cnf = own_state.fipsmodule_cnf
    cnf.write_text(cnf.read_text().replace("tls1-prf-ems-check = 1\n", ""))
    state = str(own_state.root)
    result = run_json(TLS12_WITHOUT_EMS, FIPSCRYPTO_STATE_DIR=state, FIPSCRYPTO_MODE="audit")
    assert result == {"ems": "completed", "no_ems": "completed"}
    result = run_json(TLS12_WITHOUT_EMS, FIPSCRYPTO_STATE_DIR=state, FIPSCRYPTO_MODE="strict")
    assert result["no_ems"].startswith("refused")
