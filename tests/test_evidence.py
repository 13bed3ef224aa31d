"""``fipscheck evidence``: the bundle's facts are those status, selftest and policy report; its signature
(ECDSA P-384, ML-DSA-87 with the post-quantum switch on) verifies here and with the system ``openssl``,
and any change to the bundle, the signature or the key fails verification.

Evidence in strict mode on the session's state folder runs in this process (click's runner); a run
that must fail to activate or fail a self-test needs a fresh process (the console script).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from service_calls import PQC_ON

import fipscrypto
from fipscrypto import cmvp
from fipscrypto.cli import bundle
from fipscrypto.errors import EvidenceError
from fipscrypto.provider.state import StatePaths

from support import VENV_BIN, clean_env, cli, fipscheck

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
CORPUS = Path(__file__).resolve().parent / "scan_corpus"
PROFILES = Path(fipscrypto.__file__).parent / "policy" / "profiles"


def _openssl(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=False, timeout=60)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory, state_paths: StatePaths) -> dict[str, Path]:
    """A P-384 key made as docs/evidence.md says (openssl), a scan and a check report, and a bundle
    signed with the key over both reports."""
    root = tmp_path_factory.mktemp("evidence")
    key, public = root / "key.pem", root / "pub.pem"
    made = _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", str(key))
    assert made.returncode == 0, made.stderr
    assert _openssl("pkey", "-in", str(key), "-pubout", "-out", str(public)).returncode == 0
    scan, check = root / "scan.json", root / "check.json"
    done = cli("scan", "code", "--format", "json", "-o", str(scan), str(CORPUS))
    assert done.returncode == 1, done.stderr  # the corpus has disallowed uses
    done = cli("check", str(EXAMPLES / "sip-gateway-legacy.toml"), "--format", "json")
    check.write_text(done.stdout)
    signed = root / "bundle.json"
    done = cli(
        "evidence", "--state-dir", str(state_paths.root), "--sign-key", str(key),
        "--scan", str(scan), "--scan", str(check), "-o", str(signed),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return {"root": root, "key": key, "public": public, "scan": scan, "check": check, "bundle": signed}


def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def _verify(path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return cli("evidence", "verify", str(path), *args, **env)


# ------------------------------------------------------------------------------------------ the facts


def test_bundle_holds_what_status_reports(work: dict[str, Path], state_paths: StatePaths) -> None:
    facts = _load(work["bundle"])["bundle"]
    status = json.loads(cli("status", "--json", "--state-dir", str(state_paths.root)).stdout)
    assert facts["format"] == "fipscheck-evidence/1"
    assert facts["tool"]["name"] == "fipscheck"
    assert facts["tool"]["version"] == fipscrypto.__version__
    module = facts["module"]
    for key in ("mode", "state", "operational", "fips_enabled", "provider_proven", "problems", "openssl"):
        assert module[key] == status[key], key
    assert (module["mode"], module["state"], module["provider_proven"]) == ("strict", "operational", True)
    provider = status["provider"]
    for key in ("name", "version", "recorded_sha256", "module"):
        assert module["provider"][key] == provider[key], key
    assert module["provider"]["module"]["sha256"] == provider["recorded_sha256"]
    # The CMVP verdict as status shows it and as the table gives it for this provider.
    assert facts["cmvp"] == provider["cmvp"]
    assert facts["cmvp"] == cmvp.verdict(provider["name"], provider["version"]).as_dict()


def test_bundle_selftests_are_those_selftest_runs(work: dict[str, Path], state_paths: StatePaths) -> None:
    tests = _load(work["bundle"])["bundle"]["selftests"]
    done = cli("selftest", "--json", "--state-dir", str(state_paths.root))
    run = json.loads(done.stdout)
    assert tests["passed"] is True
    assert tests["failed"] == []
    assert tests["count"] == run["count"] == len(tests["results"])
    assert [(r["name"], r["family"], r["result"]) for r in tests["results"]] == [
        (r["name"], r["family"], r["result"]) for r in run["results"]
    ]
    assert all(type(r["us"]) is int for r in tests["results"])  # whole microseconds: no floats
    assert "run by fipscheck evidence" in tests["source"]


def test_bundle_policy_and_its_hashes(work: dict[str, Path], state_paths: StatePaths) -> None:
    chosen = _load(work["bundle"])["bundle"]["policy"]
    status = json.loads(cli("status", "--json", "--state-dir", str(state_paths.root)).stdout)["policy"]
    shown = json.loads(cli("policy", "show", chosen["name"], "--json").stdout)
    assert (chosen["name"], chosen["title"], chosen["draft"]) == (
        status["name"],
        status["title"],
        status["draft"],
    )
    assert [layer["name"] for layer in chosen["layers"]] == status["layers"]
    assert [(layer["name"], layer["version"]) for layer in chosen["layers"]] == [
        (layer["name"], layer["version"]) for layer in shown["layers"]
    ]
    for layer in chosen["layers"]:  # the SHA-256 of each built-in profile's source text
        text = (PROFILES / f"{layer['name']}.toml").read_bytes()
        assert layer["sha256"] == hashlib.sha256(text).hexdigest()
    assert chosen["sha256"] == chosen["layers"][0]["sha256"]
    assert chosen["version"] == chosen["layers"][0]["version"]


def test_bundle_indicator_counters(work: dict[str, Path]) -> None:
    counters = _load(work["bundle"])["bundle"]["indicator"]["counters"]
    # The command itself imported the signing key and hashed the reports before the snapshot.
    assert counters["keys.import"]["approved"] >= 1
    assert counters["hashes.digest"]["approved"] >= 2
    assert all(set(c) == {"approved", "non_approved"} for c in counters.values())


def test_bundle_holds_the_scan_and_check_reports(work: dict[str, Path]) -> None:
    scans = _load(work["bundle"])["bundle"]["scans"]
    assert [(s["kind"], s["file"]) for s in scans] == [("scan", "scan.json"), ("check", "check.json")]
    for entry, path in zip(scans, (work["scan"], work["check"]), strict=True):
        assert entry["report"] == json.loads(path.read_text())
        assert entry["sha256"] == hashlib.sha256(bundle.canonical(entry["report"])).hexdigest()
    assert scans[0]["report"]["summary"]["failing"] > 0
    assert scans[1]["report"]["manifest"].endswith("sip-gateway-legacy.toml")


# ----------------------------------------------------------------------------------- the signature


def test_p384_signature_verifies_pinned_and_unpinned(work: dict[str, Path]) -> None:
    done = _verify(work["bundle"], "--public-key", str(work["public"]))
    assert done.returncode == 0, done.stderr
    assert "good ecdsa-p384-sha384 signature" in done.stdout
    assert "the public key given" in done.stdout
    done = _verify(work["bundle"])
    assert done.returncode == 0, done.stderr
    assert "not pinned" in done.stdout


def test_signature_verifies_with_the_system_openssl(work: dict[str, Path]) -> None:
    envelope = _load(work["bundle"])
    root = work["root"]
    # The canonical bytes, recomputed here with the standard json module as docs/evidence.md says.
    data = json.dumps(envelope["bundle"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    (root / "data.bin").write_bytes(data.encode("utf-8"))
    (root / "sig.der").write_bytes(base64.b64decode(envelope["signature"]["value"]))
    args = ("dgst", "-sha384", "-verify", str(work["public"]), "-signature", str(root / "sig.der"))
    done = _openssl(*args, str(root / "data.bin"))
    assert done.returncode == 0, done.stderr
    assert b"Verified OK" in done.stdout
    (root / "data.bin").write_bytes(data.replace('"strict"', '"audit"', 1).encode("utf-8"))
    assert _openssl(*args, str(root / "data.bin")).returncode == 1
    # The fingerprint is the SHA-256 of the SubjectPublicKeyInfo DER.
    der = _openssl("pkey", "-pubin", "-in", str(work["public"]), "-outform", "DER").stdout
    assert envelope["signature"]["key_fingerprint"] == "sha256:" + hashlib.sha256(der).hexdigest()


def _edit(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set the member at ``path`` (slash-separated; list indexes as numbers) of the envelope."""

    def change(envelope: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node: Any = envelope
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[int(last) if isinstance(node, list) else last] = value

    return change


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def change(envelope: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node: Any = envelope
        for part in parents:
            node = node[part]
        del node[last]

    return change


def _flip_signature(envelope: dict[str, Any]) -> None:
    raw = bytearray(base64.b64decode(envelope["signature"]["value"]))
    raw[-1] ^= 1
    envelope["signature"]["value"] = base64.b64encode(bytes(raw)).decode()


TAMPERING = {
    "cmvp status": _edit("bundle/cmvp/status", "validated"),
    "module state": _edit("bundle/module/state", "error"),
    "a self-test result": _edit("bundle/selftests/results/0/result", "fail"),
    "policy hash": _edit("bundle/policy/sha256", "0" * 64),
    "policy version": _edit("bundle/policy/version", 99),
    "indicator counter": _edit("bundle/indicator/counters/keys.import/non_approved", 1),
    "a scan finding": _edit("bundle/scans/0/report/findings/0/message", "nothing to see"),
    "a scan removed": _edit("bundle/scans", []),
    "creation time": _edit("bundle/created", "2020-01-01T00:00:00+00:00"),
    "a member added": _edit("bundle/waived", True),
    "a member removed": _delete("bundle/tool"),
    "the signature": _flip_signature,
    "signature removed": _edit("signature", None),
    "the algorithm": _edit("signature/algorithm", "ml-dsa-87"),
    "the fingerprint": _edit("signature/key_fingerprint", "sha256:" + "0" * 64),
    "an unsigned member beside the bundle": _edit("note", "approved by the auditor"),
    "an unsigned member in the signature": _edit("signature/note", "approved by the auditor"),
}


@pytest.mark.parametrize("change", TAMPERING.values(), ids=TAMPERING.keys())
def test_tampered_bundle_fails(
    work: dict[str, Path], tmp_path: Path, change: Callable[[dict[str, Any]], None]
) -> None:
    envelope = _load(work["bundle"])
    change(envelope)
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(envelope))
    for pinned in ((), ("--public-key", str(work["public"]))):
        done = _verify(tampered, *pinned)
        assert (done.returncode, done.stdout) == (1, ""), (pinned, done.stderr)
        assert "error:" in done.stderr


@pytest.fixture(scope="module")
def other_key(work: dict[str, Path]) -> tuple[Path, Path]:
    """Another P-384 key pair, made by ``fipscheck evidence keygen``."""
    key, public = work["root"] / "other.pem", work["root"] / "other.pub"
    done = cli("evidence", "keygen", "-o", str(key), "--public-out", str(public))
    assert done.returncode == 0, done.stderr
    return key, public


def test_swapped_key_fails(work: dict[str, Path], other_key: tuple[Path, Path], tmp_path: Path) -> None:
    key, public = other_key
    envelope = _load(work["bundle"])
    # The embedded key swapped (with or without its fingerprint): the signature is not by that key.
    envelope["signature"]["public_key"] = public.read_text()
    swapped = tmp_path / "swapped.json"
    swapped.write_text(json.dumps(envelope))
    assert _verify(swapped).returncode == 1
    envelope["signature"]["key_fingerprint"] = bundle.fingerprint(
        _openssl("pkey", "-pubin", "-in", str(public), "-outform", "DER").stdout
    )
    swapped.write_text(json.dumps(envelope))
    done = _verify(swapped)
    assert done.returncode == 1
    assert "did not verify" in done.stderr
    # Pinned to another key than the signer's.
    done = _verify(work["bundle"], "--public-key", str(public))
    assert done.returncode == 1
    assert "not the public key given" in done.stderr
    # Re-signed by another key over altered facts: good by its own key, refused when pinned.
    envelope = _load(work["bundle"])
    envelope["bundle"]["cmvp"]["status"] = "validated"
    algorithm, signer = bundle.load_signing_key(str(key))
    swapped.write_text(json.dumps(bundle.sign(envelope["bundle"], algorithm, signer)))
    assert _verify(swapped).returncode == 0
    assert _verify(swapped, "--public-key", str(work["public"])).returncode == 1


def test_signing_is_an_approved_service_the_indicator_records(work: dict[str, Path]) -> None:
    from fipscrypto import indicator

    algorithm, key = bundle.load_signing_key(str(work["key"]))
    before = indicator.counters().get("keys.sign", {"approved": 0, "non_approved": 0})
    with indicator.scope() as done:
        envelope = bundle.sign({"format": bundle.FORMAT}, algorithm, key)
    assert done.approved
    after = indicator.counters()["keys.sign"]
    assert (after["approved"] - before["approved"], after["non_approved"]) == (1, before["non_approved"])
    assert bundle.verify(envelope).algorithm == "ecdsa-p384-sha384"


def test_keygen_writes_a_private_key_for_its_owner_only(other_key: tuple[Path, Path]) -> None:
    key, public = other_key
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in key.read_bytes()
    assert b"PUBLIC KEY" in public.read_bytes()
    text = _openssl("pkey", "-in", str(key), "-text", "-noout").stdout
    assert b"NIST CURVE: P-384" in text
    done = cli("evidence", "keygen", "-o", str(key))  # never overwritten
    assert done.returncode == 2
    assert "File exists" in done.stderr


def test_ml_dsa_87_with_the_switch_on(work: dict[str, Path], state_paths: StatePaths, tmp_path: Path) -> None:
    key, public = tmp_path / "mldsa.pem", tmp_path / "mldsa.pub"
    off = cli("evidence", "keygen", "--ml-dsa-87", "-o", str(key))
    assert off.returncode == 2
    assert "FIPSCRYPTO_PQC=1" in off.stderr
    assert not key.exists()
    done = cli("evidence", "keygen", "--ml-dsa-87", "-o", str(key), "--public-out", str(public), **PQC_ON)
    assert done.returncode == 0, done.stderr
    signed = tmp_path / "bundle.json"
    args = ("evidence", "--state-dir", str(state_paths.root), "--sign-key", str(key), "-o", str(signed))
    refused = cli(*args)  # an ML-DSA key with the switch off: not signed, nothing written
    assert refused.returncode == 2
    assert "post-quantum module" in refused.stderr
    assert not signed.exists()
    assert cli(*args, **PQC_ON).returncode == 0
    envelope = _load(signed)
    assert envelope["signature"]["algorithm"] == "ml-dsa-87"
    assert len(base64.b64decode(envelope["signature"]["value"])) == 4627  # FIPS 204 Table 2
    done = _verify(signed, "--public-key", str(public))  # verification needs no switch
    assert done.returncode == 0, done.stderr
    assert _verify(signed, "--public-key", str(work["public"])).returncode == 1  # a P-384 key: not the signer
    envelope["bundle"]["policy"]["name"] = "cnsa-2.0"
    signed.write_text(json.dumps(envelope))
    assert _verify(signed, "--public-key", str(public)).returncode == 1


# ---------------------------------------------------------------------------------------- bad input


def test_scan_files_that_are_not_reports_are_refused(work: dict[str, Path], state_paths: StatePaths) -> None:
    root = work["root"]
    sarif = root / "scan.sarif"
    cli("scan", "code", "--format", "sarif", "-o", str(sarif), str(CORPUS))
    (root / "text.json").write_text("not json")
    (root / "float.json").write_text(json.dumps(_load(work["scan"]) | {"score": 0.5}))
    cases = {
        sarif: "no 'tool' object",
        root / "text.json": "not JSON",
        root / "float.json": "float",
        work["bundle"]: "no 'tool' object",
        root / "absent.json": "cannot read",
    }
    for path, reason in cases.items():
        done = cli("evidence", "--state-dir", str(state_paths.root), "--scan", str(path))
        assert done.returncode == 2, (path, done.stderr)
        assert f"{path}: " in done.stderr, done.stderr
        assert reason in done.stderr, done.stderr
        assert done.stdout == ""
    with pytest.raises(EvidenceError, match="not a --format json report") as caught:
        bundle.read_scan_report(str(sarif))
    assert (caught.value.path, caught.value.unreadable) == (str(sarif), False)


def test_unusable_keys_and_outputs(work: dict[str, Path], state_paths: StatePaths) -> None:
    base = ("evidence", "--state-dir", str(state_paths.root))
    done = cli(*base, "--sign-key", str(work["public"]))  # a public key
    assert done.returncode == 2
    assert "not a PKCS#8 ECDSA P-384 or ML-DSA-87 private key" in done.stderr
    p256 = work["root"] / "p256.pem"
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(p256))
    assert cli(*base, "--sign-key", str(p256)).returncode == 2
    done = cli(*base, "-o", str(work["root"] / "absent" / "bundle.json"))
    assert done.returncode == 2
    assert "cannot write" in done.stderr
    done = _verify(work["bundle"], "--public-key", str(work["scan"]))
    assert done.returncode == 2
    assert "not a public key" in done.stderr


def test_verify_exit_3_when_the_bundle_cannot_be_read(work: dict[str, Path]) -> None:
    root = work["root"]
    text = work["bundle"].read_text()
    (root / "dup.json").write_text('{"bundle": {}, ' + text.lstrip()[1:])  # a duplicate member
    (root / "float.json").write_text(text.replace('"count": ', '"count": 1.0, "x": ', 1))
    for path in (root / "absent.json", work["scan"], root / "dup.json", root / "float.json", work["key"]):
        done = _verify(path)
        assert done.returncode == 3, (path, done.stderr)
        assert done.stderr.startswith(f"error: {path}: ")


def test_unsigned_bundle_does_not_verify(state_paths: StatePaths, tmp_path: Path) -> None:
    unsigned = tmp_path / "bundle.json"
    assert cli("evidence", "--state-dir", str(state_paths.root), "-o", str(unsigned)).returncode == 0
    assert _load(unsigned)["signature"] is None
    done = _verify(unsigned)
    assert done.returncode == 1
    assert "not signed" in done.stderr


def test_usage_errors_exit_2(work: dict[str, Path]) -> None:
    assert cli("evidence", "verify").returncode == 2
    assert cli("evidence", "--no-such-option").returncode == 2
    assert _verify(work["bundle"], "--public-key").returncode == 2


def test_canonical_refuses_values_without_a_canonical_form() -> None:
    assert bundle.canonical({"b": [1, "é"], "a": None}) == '{"a":null,"b":[1,"é"]}'.encode()
    for value in ({"ms": 1.5}, [float("nan")], {"x": object()}, {1: "key not a string"}):
        with pytest.raises(EvidenceError, match="no canonical JSON form"):
            bundle.canonical(value)


# ------------------------------------------------------------------ no evidence from a failing module


def test_no_bundle_without_the_provider(tmp_path: Path, work: dict[str, Path]) -> None:
    out = tmp_path / "bundle.json"
    done = fipscheck("evidence", "--state-dir", str(tmp_path), "--sign-key", str(work["key"]), "-o", str(out))
    assert done.returncode == 3
    assert "did not activate" in done.stderr
    assert not out.exists()
    done = fipscheck("evidence", "--mode", "off", "-o", str(out), FIPSCRYPTO_STATE_DIR=str(tmp_path))
    assert done.returncode == 3
    assert not out.exists()
    for command in (("verify", str(work["bundle"])), ("keygen", "-o", str(out))):
        done = fipscheck("evidence", *command, FIPSCRYPTO_STATE_DIR=str(tmp_path))
        assert done.returncode == 3
        assert "did not activate" in done.stderr
    assert not out.exists()


def test_no_bundle_when_a_self_test_fails(
    state_paths: StatePaths, work: dict[str, Path], tmp_path: Path
) -> None:
    # A test that runs on demand, not at power-on: activation succeeds, the evidence run fails it.
    out = tmp_path / "bundle.json"
    done = fipscheck(
        "evidence", "--state-dir", str(state_paths.root), "--sign-key", str(work["key"]), "-o", str(out),
        FIPSCRYPTO_SELFTEST_FAIL="sha3-256",
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert "failed self-tests: sha3-256" in done.stderr
    assert not out.exists()


def test_help_lists_the_exit_codes() -> None:
    for args, codes in (
        (("evidence", "-h"), "Exit codes: 0 written; 2 usage"),
        (("evidence", "verify", "-h"), "Exit codes: 0 the signature verifies; 1 tampered"),
        (("evidence", "keygen", "-h"), "Exit codes: 0 written; 2 the file exists"),
    ):
        done = cli(*args)
        assert done.returncode == 0
        assert "Usage: fipscheck evidence" in done.stdout
        assert codes in " ".join(done.stdout.split())


def test_the_documented_commands_run(state_paths: StatePaths, tmp_path: Path) -> None:
    """docs/evidence.md's shell examples, in order, in a folder with a service's source and manifest."""
    page = (Path(__file__).resolve().parent.parent / "docs" / "evidence.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", page, flags=re.DOTALL)
    assert len(blocks) == 3  # make the bundle, verify it with openssl, make the report
    (tmp_path / "src").mkdir()
    shutil.copy(CORPUS / "vulnerable_hashes.py", tmp_path / "src")
    shutil.copy(EXAMPLES / "sip-gateway.toml", tmp_path / "service.toml")
    env = clean_env(FIPSCRYPTO_STATE_DIR=str(state_paths.root), PATH=f"{VENV_BIN}:{os.environ['PATH']}")
    outputs = []
    for block in blocks:
        done = subprocess.run(
            ["bash", "-euc", block],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[1].strip() == "Verified OK"
    assert "<svg" in (tmp_path / "compliance.html").read_text()
    facts = _load(tmp_path / "evidence.json")["bundle"]
    assert [s["kind"] for s in facts["scans"]] == ["scan", "check"]
