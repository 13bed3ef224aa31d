"""``fipscheck scan tls``: live servers on loopback (the system ``openssl s_server``, configured well and
badly, and with the FIPS provider for the ML-KEM hybrids), probed hello by hello; the hellos checked by
an independent parser (scapy's); the reader of server flights fed hostile bytes; verdicts, roles and
exit codes."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.tls.handshake import TLSClientHello
from scapy.layers.tls.record import TLS
from tlslib import Issued, Pki, free_port, no_ems_config, s_server

from fipscrypto.cli.scan.hello import MAX_FLIGHT, FlightError, Offer, Reader, client_hello
from fipscrypto.cli.scan.model import Misuse, Skipped, Use
from fipscrypto.cli.scan.tlsprobe import Target, parse_target, probe
from fipscrypto.cli.scan.tlsregistry import GROUPS, SIGALGS, SUITES, TLS13_SUITES
from fipscrypto.policy import builtin
from fipscrypto.policy.vocabulary import categories

from support import assert_valid_sarif, fipscheck

POLICY = builtin("fips-140-3")
TODAY = dt.date.today()
GOOD = (
    "-no_tls1", "-no_tls1_1",
    "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256",
    "-ciphersuites", "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
    "-groups", "P-256:P-384",
    "-sigalgs", "ecdsa_secp256r1_sha256:ecdsa_secp384r1_sha384",
)  # fmt: skip
LOOSE = ("-cipher", "DEFAULT:@SECLEVEL=0")  # what OpenSSL 3.0 needs for TLS 1.0 and RSA-1024


def _scan(port: int) -> list[Use | Misuse | Skipped]:
    return probe(Target("127.0.0.1", port), POLICY, TODAY, timeout=10, connections=4)


def _uses(found: list[Use | Misuse | Skipped], category: str) -> dict[str, str]:
    """name -> evidence of the uses of ``category`` the server's answers showed (not its chain)."""
    return {
        u.name: u.evidence
        for u in found
        if isinstance(u, Use) and u.category == category and not u.evidence.startswith("chain[")
    }


def _rules(found: list[Use | Misuse | Skipped]) -> set[str]:
    return {m.rule for m in found if isinstance(m, Misuse)}


def _json(done: object) -> dict[str, object]:
    return json.loads(done.stdout)  # type: ignore[attr-defined,no-any-return]


def _failing(report: dict[str, object]) -> set[str]:
    return {f["rule"] for f in report["findings"] if f["failing"]}  # type: ignore[attr-defined,index]


# ------------------------------------------------------------------------------------ live servers


def test_a_good_server_passes_and_each_item_says_how_it_was_seen(server_cert: Issued) -> None:
    with s_server(server_cert, *GOOD, once=False) as port:
        found = _scan(port)
        done = fipscheck("scan", "tls", f"127.0.0.1:{port}", "--policy", "fips-140-3", "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    versions = _uses(found, "tls-version")
    assert set(versions) == {"tls1.2", "tls1.3"}
    assert "negotiated by a client held to the policy" in versions["tls1.3"]
    assert set(_uses(found, "tls13-suite")) == {"TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"}
    assert set(_uses(found, "tls12-suite")) == {
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    }
    groups = _uses(found, "tls-group")
    assert set(groups) == {"secp256r1", "secp384r1"}
    assert "accepted with TLS 1.3" in groups["secp384r1"]
    assert "accepted with TLS 1.2" in groups["secp384r1"]
    sigalgs = _uses(found, "tls-sigalg")
    assert "accepted with TLS 1.3" in sigalgs["ecdsa_secp256r1_sha256"]
    assert "rsa_pss_rsae_sha256" not in sigalgs  # an EC key cannot sign it
    assert not _rules(found)  # EMS answered, the policy client connects, serverAuth present
    chain = [u for u in found if isinstance(u, Use) and u.evidence.startswith("chain[0]")]
    assert {(u.category, u.name, u.bits) for u in chain} >= {("signature", "ecdsa-p256", None)}
    assert not [f for f in _json(done)["findings"] if f["failing"]]  # type: ignore[union-attr,index]


@pytest.fixture(scope="module")
def provider_env() -> Path:
    """The OPENSSL_CONF ``fipscheck provider env`` gives a program outside Python, for fips-140-3."""
    done = fipscheck("provider", "env", "--shell", "json", FIPSCRYPTO_POLICY="fips-140-3")
    assert done.returncode == 0, done.stderr
    return Path(json.loads(done.stdout)["OPENSSL_CONF"])


def test_a_server_configured_by_fipscheck_passes_its_scan(server_cert: Issued, provider_env: Path) -> None:
    """openssl s_server with nothing but the environment of ``fipscheck provider env``."""
    with s_server(server_cert, config=provider_env, once=False) as port:
        done = fipscheck("scan", "tls", f"127.0.0.1:{port}", "--policy", "fips-140-3", "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = _json(done)
    assert report["summary"]["failing"] == 0  # type: ignore[index]
    seen = {f["verdict"]["name"] for f in report["findings"] if f.get("verdict")}  # type: ignore[attr-defined,index]
    assert {"tls1.2", "tls1.3", "secp256r1", "TLS_AES_256_GCM_SHA384"} <= seen
    assert not seen & {"tls1.0", "tls1.1", "x25519", "TLS_CHACHA20_POLY1305_SHA256"}


def test_an_extra_strong_option_never_fails(server_cert: Issued, provider_env: Path) -> None:
    """The ML-KEM hybrids (through the FIPS provider) offered beside P-256: accepted, reported, passed."""
    groups = ("-groups", "SecP384r1MLKEM1024:SecP256r1MLKEM768:P-256")
    with s_server(server_cert, *GOOD[:-4], *groups, config=provider_env, once=False) as port:
        found = _scan(port)
        done = fipscheck("scan", "tls", f"127.0.0.1:{port}", "--policy", "fips-140-3", "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    groups_seen = _uses(found, "tls-group")
    assert {"SecP384r1MLKEM1024", "SecP256r1MLKEM768", "secp256r1"} <= set(groups_seen)
    assert "accepted with TLS 1.3" in groups_seen["SecP384r1MLKEM1024"]
    assert "negotiated by a client held to the policy" in groups_seen["secp256r1"]  # its first share
    assert "x25519" not in groups_seen


BAD = {
    "tls1.0": (LOOSE, "rsa", {"policy.tls-version.tls1.0", "policy.tls-version.tls1.1"}),
    "chacha20": (
        ("-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256", "-no_tls1_2"),
        "ec",
        {"policy.tls13-suite.TLS_CHACHA20_POLY1305_SHA256"},
    ),
    "rsa-1024": (("-tls1_3", *LOOSE), "rsa1024", {"policy.signature.rsa-pkcs1v15"}),
    "x25519-only": (("-groups", "X25519"), "ec", {"policy.tls-group.x25519", "tls.policy-client-refused"}),
}


@pytest.fixture(scope="module")
def certs(pki: Pki, server_cert: Issued) -> dict[str, Issued]:
    return {
        "ec": server_cert,
        "rsa": pki.issue("rsa.localhost", key="rsa-2048", eku=("server",)),
        "rsa1024": pki.issue("rsa1024.localhost", key="rsa-1024", eku=("server",)),
    }


@pytest.mark.parametrize("case", BAD)
def test_a_badly_configured_server_fails(case: str, certs: dict[str, Issued]) -> None:
    options, cert, expected = BAD[case]
    with s_server(certs[cert], *options, once=False) as port:
        done = fipscheck("scan", "tls", f"127.0.0.1:{port}", "--policy", "fips-140-3", "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    failing = {f["rule"]: f for f in _json(done)["findings"] if f["failing"]}  # type: ignore[attr-defined,index]
    assert expected <= set(failing), set(failing)
    if case == "rsa-1024":  # the server's key, seen in its chain
        key = failing["policy.signature.rsa-pkcs1v15"]
        assert (key["verdict"]["bits"], key["evidence"][:6]) == (1024, "chain[")


def test_no_extended_master_secret_fails(server_cert: Issued, tmp_path: Path) -> None:
    with s_server(server_cert, "-no_tls1_3", config=no_ems_config(tmp_path), once=False) as port:
        found = _scan(port)
    assert "tls.no-ems" in _rules(found)


def test_a_tls13_only_server_gives_its_chain_through_a_handshake(certs: dict[str, Issued]) -> None:
    with s_server(certs["rsa"], "-tls1_3", once=False) as port:
        found = _scan(port)
    assert set(_uses(found, "tls-version")) == {"tls1.3"}
    chain = [u for u in found if isinstance(u, Use) and u.evidence.startswith("chain[0]")]
    assert ("signature", 2048) in {(u.category, u.bits) for u in chain}


def test_every_output_format_of_a_live_scan_parses_back(certs: dict[str, Issued]) -> None:
    with s_server(certs["rsa"], *LOOSE, once=False) as port:
        target = f"127.0.0.1:{port}"
        reports = {
            fmt: fipscheck("scan", "tls", target, "--policy", "fips-140-3", "--format", fmt)
            for fmt in ("sarif", "cbom", "junit", "json")
        }
        deprecated = fipscheck("scan", "tls", target, "--policy", "fips-140-3", "--fail-on", "deprecated")
    assert {fmt: done.returncode for fmt, done in reports.items()} == dict.fromkeys(reports, 1)
    sarif = json.loads(reports["sarif"].stdout)
    assert_valid_sarif(sarif)
    assert "fipscheck/fips-140-3/tls-version/tls1.0/disallowed" in {
        r["ruleId"] for r in sarif["runs"][0]["results"]
    }
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(reports["cbom"].stdout) is None
    refs = {c["bom-ref"] for c in json.loads(reports["cbom"].stdout)["components"]}
    assert "crypto/protocol/tls/1.0" in refs  # a protocol asset
    components = json.loads(reports["cbom"].stdout)["components"]
    served = [c for c in components if c["cryptoProperties"]["assetType"] == "certificate"]
    assert [c["name"] for c in served] == ["CN=rsa.localhost"]  # the chain the server sent
    assert reports["junit"].stdout.count("<testcase") == len(_json(reports["json"])["findings"])  # type: ignore[arg-type]
    assert deprecated.returncode == 1
    assert "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" in deprecated.stdout  # deprecated: fails now


# ------------------------------------------------------------------------- targets and exit codes


@pytest.fixture
def not_tls() -> Iterator[int]:
    """A loopback server that answers every connection in HTTP."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    listener.close()


def test_unreachable_and_not_tls_targets_make_the_run_incomplete(not_tls: int) -> None:
    closed = free_port()
    done = fipscheck("scan", "tls", f"127.0.0.1:{closed}", f"127.0.0.1:{not_tls}", "--format", "json")
    assert done.returncode == 3, done.stdout + done.stderr
    reasons = {s["target"]: s["reason"] for s in _json(done)["skipped"]}  # type: ignore[attr-defined,union-attr]
    assert reasons[f"127.0.0.1:{closed}"].startswith("unreachable: ConnectionRefusedError")
    assert reasons[f"127.0.0.1:{not_tls}"].startswith("not-tls: ")
    assert "nothing was checked" in done.stderr


def test_a_silent_server_times_out_within_the_bound() -> None:
    """A server that accepts and never answers: each connection ends at --timeout, in parallel."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as silent:
        port = silent.getsockname()[1]
        start = time.monotonic()
        done = fipscheck("scan", "tls", f"127.0.0.1:{port}", "--timeout", "0.5", "--format", "json")
        elapsed = time.monotonic() - start
    assert done.returncode == 3, done.stdout + done.stderr
    (skipped,) = _json(done)["skipped"]  # type: ignore[misc]
    assert skipped["reason"].startswith("unreachable: TimeoutError")  # type: ignore[index]
    assert elapsed < 30  # five version probes of 0.5 s each, four at a time, plus start-up


def test_targets_from_a_file_scanned_together(server_cert: Issued, tmp_path: Path) -> None:
    with (
        s_server(server_cert, *GOOD, once=False) as good,
        s_server(server_cert, "-groups", "X25519", once=False) as bad,
    ):
        listing = tmp_path / "targets.txt"
        listing.write_text(
            f"# servers\n127.0.0.1:{good}\n\n127.0.0.1:{bad}  # x25519 only\n127.0.0.1:{good}\n"
        )
        done = fipscheck("scan", "tls", "--targets", str(listing), "--format", "json", "--concurrency", "2")
    assert done.returncode == 1, done.stdout + done.stderr
    report = _json(done)
    assert report["summary"]["checked"] == 2  # type: ignore[index]
    assert {f["target"] for f in report["findings"] if f["failing"]} == {f"127.0.0.1:{bad}"}  # type: ignore[attr-defined,index]
    assert "probing" not in done.stderr  # no progress bar off a terminal


@pytest.mark.parametrize(
    ("args", "message"),
    [((), "no target"), (("host:99999",), "port out of range"), (("a b",), "not HOST:PORT")],
)
def test_bad_targets_are_usage_errors(args: tuple[str, ...], message: str) -> None:
    done = fipscheck("scan", "tls", *args)
    assert done.returncode == 2
    assert message in done.stderr


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("example.org", Target("example.org", 443)),
        ("example.org:8443", Target("example.org", 8443)),
        ("[::1]:4433", Target("::1", 4433)),
        ("192.0.2.1", Target("192.0.2.1", 443)),
    ],
)
def test_target_syntax(text: str, target: Target) -> None:
    assert parse_target(text) == target
    assert parse_target(str(target)) == target


# ------------------------------------------------------------------------------------- the hellos


@pytest.mark.parametrize("version", ["tls1.0", "tls1.2", "tls1.3"])
def test_the_hello_is_what_an_independent_parser_reads(version: str) -> None:
    suites = tuple(TLS13_SUITES) if version == "tls1.3" else tuple(SUITES)
    groups = ("secp384r1", "SecP256r1MLKEM768", "ffdhe3072")
    offer = Offer(
        version, suites, groups=groups, sigalgs=("rsa_pss_rsae_sha256",), server_name="h.example", share=True
    )
    hello = TLS(client_hello(offer)).msg[0]
    assert isinstance(hello, TLSClientHello)
    assert list(hello.ciphers) == list(suites)
    extensions = {type(e).__name__: e for e in hello.ext}
    assert [GROUPS[g] for g in groups] == list(extensions["TLS_Ext_SupportedGroups"].groups)
    assert list(extensions["TLS_Ext_SignatureAlgorithms"].sig_algs) == [SIGALGS["rsa_pss_rsae_sha256"]]
    assert extensions["TLS_Ext_ServerName"].servernames[0].servername == b"h.example"
    assert "TLS_Ext_ExtendedMasterSecret" in extensions
    if version == "tls1.3":
        assert hello.version == 0x0303
        assert list(extensions["TLS_Ext_SupportedVersion_CH"].versions) == [0x0304]
        (share,) = extensions["TLS_Ext_KeyShare_CH"].client_shares
        assert share.group == GROUPS["secp384r1"]
        assert len(share.key_exchange) == 97
        (empty,) = [e for e in TLS(client_hello(replace(offer, share=False))).msg[0].ext if e.type == 51]
        assert not empty.client_shares  # RFC 8446 §4.2.8: the server picks, with a HelloRetryRequest
    else:
        assert hello.version == {"tls1.0": 0x0301, "tls1.2": 0x0303}[version]
        assert "TLS_Ext_SupportedVersion_CH" not in extensions


def _flight(*messages: bytes, version: bytes = b"\x03\x03") -> bytes:
    payload = b"".join(messages)
    return b"\x16" + version + len(payload).to_bytes(2, "big") + payload


def _server_hello(suite: int, extensions: bytes = b"", random: bytes = bytes(32)) -> bytes:
    body = b"\x03\x03" + random + b"\x00" + suite.to_bytes(2, "big") + b"\x00"
    body += len(extensions).to_bytes(2, "big") + extensions
    return b"\x02" + len(body).to_bytes(3, "big") + body


def test_the_reader_takes_a_tls12_flight_byte_by_byte() -> None:
    suite = next(c for c, n in SUITES.items() if n == "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256")
    prime = (1 << 2047) | 1
    dhe = b"".join(len(v).to_bytes(2, "big") + v for v in (prime.to_bytes(256, "big"), b"\x02", b"\x05"))
    dhe += SIGALGS["rsa_pss_rsae_sha256"].to_bytes(2, "big") + b"\x00\x01\x00"
    cert = b"\x30\x03\x02\x01\x01"
    certificate = (len(cert) + 3).to_bytes(3, "big") + len(cert).to_bytes(3, "big") + cert
    flight = _flight(
        _server_hello(suite, b"\x00\x17\x00\x00"),
        b"\x0b" + len(certificate).to_bytes(3, "big") + certificate,
        b"\x0c" + len(dhe).to_bytes(3, "big") + dhe,
        b"\x0e\x00\x00\x00",
    )
    reader = Reader()
    replies = [reader.feed(flight[i : i + 1]) for i in range(len(flight))]
    assert replies[:-1] == [None] * (len(flight) - 1)
    reply = replies[-1]
    assert reply is not None
    assert (reply.version, reply.suite, reply.ems, reply.dh_bits, reply.sigalg) == (
        0x0303, suite, True, 2048, "rsa_pss_rsae_sha256",
    )  # fmt: skip
    assert reply.certificates == (cert,)


def test_the_reader_tells_a_retry_and_an_alert() -> None:
    hrr_random = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
    extensions = b"\x00\x2b\x00\x02\x03\x04" + b"\x00\x33\x00\x02" + GROUPS["secp384r1"].to_bytes(2, "big")
    reply = Reader().feed(_flight(_server_hello(0x1302, extensions, hrr_random)))
    assert reply is not None
    assert (reply.retry, reply.version, reply.group, reply.accepted) == (True, 0x0304, "secp384r1", True)
    alert = Reader().feed(b"\x15\x03\x03\x00\x02\x02\x28")
    assert alert is not None
    assert (alert.alert, alert.accepted) == (40, False)
    assert Reader().close().closed


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.0 400 Bad Request\r\n\r\n",
        _flight(b"\x0b\x00\x00\x00"),  # a Certificate before any ServerHello
        _flight(b"\x02\x00\x00\x05\x03\x03\x00\x00\x00"),  # a truncated ServerHello
        b"\x15\x03\x03\x00\x01\x02",  # an alert of one byte
    ],
)
def test_malformed_flights_are_typed_errors(data: bytes) -> None:
    with pytest.raises(FlightError):
        Reader().feed(data)


def test_a_flight_is_bounded() -> None:
    reader = Reader()
    start = _flight(_server_hello(0xC02F))[:-0] + b"\x16\x03\x03\x40\x00\x0b\xff\xff\xff"
    assert reader.feed(start) is None  # a Certificate message of 16 MB announced
    with pytest.raises(FlightError, match="larger than"):
        reader.feed(bytes(MAX_FLIGHT))


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600), st.integers(1, 64))
def test_hostile_flights_give_a_reply_none_or_a_typed_error(data: bytes, chunk: int) -> None:
    reader = Reader()
    try:
        for i in range(0, len(data), chunk):
            reader.feed(data[i : i + chunk])
        reader.close()
    except FlightError:
        pass


def test_the_registry_covers_the_vocabulary() -> None:
    vocabulary = categories()
    assert set(TLS13_SUITES) == set(range(0x1301, 0x1306))
    assert set(TLS13_SUITES.values()) == set(vocabulary["tls13-suite"].names)
    assert set(vocabulary["tls12-suite"].names) <= set(SUITES.values())
    assert set(vocabulary["tls-group"].names) == set(GROUPS)
    assert set(vocabulary["tls-sigalg"].names) == set(SIGALGS)
    assert not set(SUITES) & set(TLS13_SUITES)
