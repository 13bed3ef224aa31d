"""The audit events an operator proves things with: activation (with the provider's identity and the
self-tests), the policy loaded (with its hash), key generation (with a key id, never key material) and
scan runs. Policy violations and exemptions are checked in tests/test_enforce.py and
tests/test_core_services.py, TLS handshakes' negotiated parameters in tests/test_tls.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from pathlib import Path

import pytest

from fipscrypto import audit, keys
from fipscrypto.audit.syslog import RFC5424Formatter
from fipscrypto.provider.state import StatePaths, read_record
from fipscrypto.srtp import sdes

from support import cli, run_json

PROFILES = Path(__file__).resolve().parent.parent / "fipscrypto" / "policy" / "profiles"


def _profile_sha256(name: str) -> str:
    return hashlib.sha256((PROFILES / f"{name}.toml").read_bytes()).hexdigest()


def test_activation_and_the_policy_loaded_are_audited(state_paths: StatePaths) -> None:
    result = run_json(
        """
        import json
        import fipscrypto
        from fipscrypto import audit, hashes

        seen = []
        audit.subscribe(lambda event: seen.append(json.loads(event.to_json())))
        fipscrypto.activate()
        hashes.digest("sha256", b"the first service asks the policy")
        print(json.dumps({"events": seen}))
        """,
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
        FIPSCRYPTO_POLICY="fips-140-3",
    )
    events = result["events"]
    kinds = [e["kind"] for e in events]
    (activation,) = (e for e in events if e["kind"] == "activation")
    # The power-on self-tests' results come before the activation that counts them (the others run
    # before the first use of their family, e.g. the hash the script asks for).
    passed = [e for e in events[: kinds.index("activation")] if e["kind"] == "selftest-pass"]
    assert kinds[: kinds.index("activation")].count("selftest-start") == len(passed)
    assert activation["selftests"] == len(passed)
    assert activation["selftests_ms"] == pytest.approx(sum(e["ms"] for e in passed), abs=0.01)
    assert "integrity" in {e["test"] for e in passed}
    record = read_record(state_paths)
    assert record is not None
    assert (activation["mode"], activation["state"], activation["bindings"]) == (
        "strict",
        "operational",
        "fipscrypto",
    )
    assert (activation["provider"], activation["provider_version"]) == (record.name, record.version)
    assert activation["provider_buildinfo"] == record.buildinfo
    # The identity of the provider is the SHA-256 of the fips.so that was installed.
    assert activation["provider_sha256"] == hashlib.sha256(Path(record.module_path).read_bytes()).hexdigest()
    assert activation["policy"] == "fips-140-3"
    # The policy is loaded when the first service asks it, once, with the SHA-256 of its source.
    (loaded,) = (e for e in events if e["kind"] == "policy-loaded")
    assert (loaded["spec"], loaded["policy"], loaded["draft"]) == ("fips-140-3", "fips-140-3", False)
    assert loaded["digest"] == _profile_sha256("fips-140-3")
    assert loaded["layers"] == [["fips-140-3", _profile_sha256("fips-140-3")]]


def test_a_layered_policy_is_loaded_with_the_hash_of_each_layer(state_paths: StatePaths) -> None:
    result = run_json(
        """
        import json
        from fipscrypto import audit, hashes

        seen = []
        audit.subscribe(lambda event: seen.append(json.loads(event.to_json())))
        hashes.digest("sha384", b"activates, then asks the policy")
        hashes.digest("sha512", b"asks the policy loaded once")
        print(json.dumps({"events": seen}))
        """,
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
        FIPSCRYPTO_POLICY="fips-140-3-hardened",
    )
    (loaded,) = (e for e in result["events"] if e["kind"] == "policy-loaded")
    assert loaded["digest"] == _profile_sha256("fips-140-3-hardened")
    assert loaded["layers"] == [
        ["fips-140-3-hardened", _profile_sha256("fips-140-3-hardened")],
        ["fips-140-3", _profile_sha256("fips-140-3")],
    ]


def _assert_no_material(event: audit.Event, secret: bytes) -> None:
    """Neither the event's JSON nor its syslog message holds ``secret`` or any 12 bytes of it, in
    hex, base64 or as text."""
    record = logging.LogRecord("fipscrypto.audit", logging.INFO, "", 0, "%s", (event,), None)
    for text in (event.to_json(), RFC5424Formatter().format(record)):
        lowered = text.lower()
        for at in range(len(secret) - 11):
            assert secret[at : at + 12].hex() not in lowered
        for encoded in (base64.b64encode(secret), base64.urlsafe_b64encode(secret).rstrip(b"=")):
            assert encoded.decode()[:16] not in text
        assert secret.decode("latin-1") not in text


@pytest.mark.parametrize(
    ("make", "algorithm", "bits"),
    [
        (lambda: keys.generate_signing_key("ecdsa-p384"), "ecdsa-p384", 384),
        (lambda: keys.generate_signing_key("rsa-pss", bits=2048), "rsa-pss", 2048),
        (lambda: keys.generate_signing_key("ml-dsa-65"), "ml-dsa-65", None),
        (lambda: keys.generate_agreement_key("ecdh-p256"), "ecdh-p256", 256),
        (lambda: keys.generate_transport_key("rsa-oaep", bits=3072), "rsa-oaep", 3072),
    ],
    ids=["ecdsa-p384", "rsa-pss-2048", "ml-dsa-65", "ecdh-p256", "rsa-oaep-3072"],
)
def test_key_generation_names_the_key_by_its_public_key_and_holds_no_material(
    make: object, algorithm: str, bits: int | None, events: list[audit.Event]
) -> None:
    key = make()  # type: ignore[operator]
    (event,) = (e for e in events if e.kind == "key-generated")
    assert event.fields["algorithm"] == algorithm
    assert event.fields["bits"] == bits
    assert event.fields["approved"] is True
    # The key id: the SHA-256 of the SubjectPublicKeyInfo, computed here independently.
    assert event.fields["key_id"] == hashlib.sha256(key.public_bytes("der")).hexdigest()
    _assert_no_material(event, key.private_bytes("der"))


def test_two_keys_have_two_ids(events: list[audit.Event]) -> None:
    keys.generate_signing_key("ecdsa-p256")
    keys.generate_signing_key("ecdsa-p256")
    ids = [e.fields["key_id"] for e in events if e.kind == "key-generated"]
    assert len(ids) == len(set(ids)) == 2


def test_sdes_master_keys_are_audited_by_their_mki_without_key_or_salt(events: list[audit.Event]) -> None:
    attributes = sdes.offer(mki=(0x0A0B, 2))
    generated = [e for e in events if e.kind == "key-generated"]
    assert len(generated) == len(attributes)
    for attribute, event in zip(attributes, generated, strict=True):
        (inline,) = attribute.keys
        assert event.fields["algorithm"] == attribute.profile.name
        assert (event.fields["tag"], event.fields["key_id"]) == (attribute.tag, "0a0b")
        _assert_no_material(event, inline.key + inline.salt)
        _assert_no_material(event, inline.key)


def test_an_sdes_key_without_mki_has_no_key_id(events: list[audit.Event]) -> None:
    sdes.offer()
    assert {e.fields["key_id"] for e in events if e.kind == "key-generated"} == {None}


NGINX_WEAK = "server {\n    ssl_protocols TLSv1 TLSv1.2;\n}\n"
NGINX_GOOD = "server {\n    ssl_protocols TLSv1.2 TLSv1.3;\n}\n"
NOT_A_CONFIG = "hello\n"  # skipped (unknown format): nothing checked


@pytest.mark.parametrize(
    ("text", "verdict", "exit_code"),
    [(NGINX_WEAK, "fail", 1), (NGINX_GOOD, "pass", 0), (NOT_A_CONFIG, "incomplete", 3)],
    ids=["fail", "pass", "incomplete"],
)
def test_a_scan_run_is_one_event_with_its_counts_and_verdict(
    tmp_path: Path, text: str, verdict: str, exit_code: int, events: list[audit.Event]
) -> None:
    target = tmp_path / ("notes.txt" if text is NOT_A_CONFIG else "nginx.conf")
    target.write_text(text)
    done = cli(
        "scan", "config", str(target), "--policy", "fips-140-3", "--as-of", "2026-06-01", "--format", "json"
    )
    assert done.returncode == exit_code, done.stderr
    (run,) = (e for e in events if e.kind == "scan-run")
    assert run.fields["scanner"] == "config"
    assert (run.fields["policy"], run.fields["policy_digest"]) == (
        "fips-140-3",
        _profile_sha256("fips-140-3"),
    )
    assert (run.fields["as_of"], run.fields["fail_on"], run.fields["verdict"]) == (
        "2026-06-01",
        "disallowed",
        verdict,
    )
    report = json.loads(done.stdout)
    counts = {k: run.fields[k] for k in report["summary"]}
    assert counts == report["summary"]  # the same counts as the report the scan wrote


def test_a_sink_that_cannot_record_the_activation_keeps_the_module_from_serving(
    state_paths: StatePaths,
) -> None:
    result = run_json(
        """
        import json
        import fipscrypto
        from fipscrypto import audit, hashes
        from fipscrypto.errors import AuditError, ModuleErrorState

        def sink(event):
            if event.kind == "activation":
                raise OSError("disk full")

        audit.subscribe(sink)
        try:
            fipscrypto.activate()
        except AuditError as exc:
            caught = type(exc).__name__
        try:
            hashes.digest("sha256", b"x")
        except ModuleErrorState:
            refused = True
        print(json.dumps({"caught": caught, "refused": refused, "state": fipscrypto.info().state.value}))
        """,
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
    )
    assert result == {"caught": "AuditError", "refused": True, "state": "error"}


class _Hostile:
    """A caller's sink whose counters cannot be read."""

    @property
    def failures(self) -> int:
        raise RuntimeError("not today")

    lost = True  # not a count

    @property
    def last_failure(self) -> Exception:
        class Unprintable(Exception):
            def __str__(self) -> str:
                raise RuntimeError("no")

        return Unprintable()

    path = b"/not/text"

    def __call__(self, event: audit.Event) -> None:
        pass


def test_sinks_reports_each_sinks_counters_and_survives_a_hostile_one(tmp_path: Path) -> None:
    from fipscrypto.audit.trail import AuditTrail

    def plain(event: audit.Event) -> None:
        pass

    folder = tmp_path / "logs"
    folder.mkdir()
    trail, hostile = AuditTrail(folder / "trail.jsonl"), _Hostile()
    for sink in (plain, trail, hostile):
        audit.subscribe(sink)
    try:
        audit.emit("example", step=1)
        (folder / "trail.jsonl").unlink()
        folder.rmdir()
        audit.emit("example", step=2)  # counted by the trail, not raised
        found = audit.sinks()[-3:]
    finally:
        for sink in (plain, trail, hostile):
            audit.unsubscribe(sink)
        trail.close()
    assert found[0] == {"sink": "function"}
    assert found[1]["path"] == str(folder / "trail.jsonl")
    assert (found[1]["failures"], found[1]["lost"]) == (1, 1)
    assert str(found[1]["last_failure"]).endswith(f"FileNotFoundError: {folder / 'trail.jsonl'} was removed")
    assert found[2] == {"sink": "_Hostile"}


def test_status_in_the_service_process_reports_its_sinks(state_paths: StatePaths, tmp_path: Path) -> None:
    result = run_json(
        f"""
        import json
        from fipscrypto import audit, status
        from fipscrypto.audit.trail import AuditTrail

        trail = AuditTrail({str(tmp_path / "trail.jsonl")!r})
        audit.subscribe(trail)
        print(json.dumps(status.collect()["audit_sinks"]))
        """,
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
    )
    trail = {"sink": "AuditTrail", "path": str(tmp_path / "trail.jsonl")}
    assert result == [{**trail, "failures": 0, "lost": 0, "last_failure": None}]
    done = cli("status", "--json", "--state-dir", str(state_paths.root))
    assert json.loads(done.stdout)["audit_sinks"] == []  # a process of its own: no sink of the service's
