"""The hash-chained audit trail (fipscrypto.audit.trail) and ``fipscheck audit``, on the real provider.

The tamper matrix edits real trails the way an attacker would (also recomputing the unkeyed chain,
which anyone can) and checks that verification names the first bad record; concurrent writers
(threads, forked and spawned processes) must give one chain that verifies with nothing lost; a full
disk, a file size limit and a removed directory must be counted, never raised, and followed by a
gap record once writing works again.
"""

from __future__ import annotations

import base64
import json
import logging
import shutil
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from fipscrypto import audit, hashes, indicator, keys, mac
from fipscrypto.audit.trail import MAX_FIELDS, AuditTrail, verify
from fipscrypto.errors import AuditError, AuditTrailError, FeatureDisabled, InvalidParameter

from support import cli, run_json, run_script_json

KEY = bytes(range(32))
EVERY = 4  # a checkpoint every 4 records: seq 4, 8, 12, ...


@pytest.fixture(scope="module")
def signer() -> keys.SigningKey:
    return keys.generate_signing_key("ecdsa-p384")


@pytest.fixture(scope="module")
def other_signer() -> keys.SigningKey:
    return keys.generate_signing_key("ecdsa-p384")


def write(
    path: Path, events: int, *, key: bytes | None = None, signer: keys.SigningKey | None = None
) -> list[bytes]:
    """A closed trail of ``events`` events; its lines, newlines included."""
    with AuditTrail(path, key=key, signing_key=signer, checkpoint_every=EVERY) as trail:
        for i in range(events):
            trail(audit.Event("test", 1_700_000_000.0 + i, {"i": i, "user": "alice"}))
    return path.read_bytes().splitlines(keepends=True)


def records(lines: list[bytes]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines]


def relink(lines: list[bytes], signer: keys.SigningKey | None = None) -> list[bytes]:
    """What anyone with write access can do to an unkeyed chain: recompute every ``prev`` (and every
    checkpoint's head, re-signed with ``signer`` if given, keeping the signer id the trail names)."""
    out: list[bytes] = []
    prev = b""
    for line in lines:
        record = json.loads(line)
        del record["prev"]
        if record["record"] == "checkpoint":
            record["head"] = hashes.digest("sha256", prev).hex()
            if signer is not None:
                message = "\n".join(
                    [
                        "fipscrypto audit checkpoint",
                        str(record["seq"]),
                        record["time"],
                        record["head"],
                        record["scheme"],
                        record["signer"],
                        "",
                    ]
                ).encode()
                record["signature"] = base64.b64encode(signer.sign(message)).decode()
        record["prev"] = hashes.digest("sha256", prev).hex()
        prev = (json.dumps(record, separators=(",", ":")) + "\n").encode()
        out.append(prev)
    return out


def check(path: Path, lines: list[bytes], **options: object) -> tuple[bool, int | None, int | None, str]:
    path.write_bytes(b"".join(lines))
    verdict = verify(path, **options)  # type: ignore[arg-type]
    return verdict.ok, verdict.line, verdict.seq, verdict.reason or ""


# ------------------------------------------------------------------------------------ the format


def test_a_trail_has_a_genesis_events_and_signed_checkpoints(tmp_path: Path, signer: keys.SigningKey) -> None:
    lines = write(tmp_path / "a.jsonl", 9, signer=signer)
    got = records(lines)
    assert [r["seq"] for r in got] == list(range(len(got)))
    assert [r["record"] for r in got] == [
        "genesis",
        "event",
        "event",
        "event",
        "checkpoint",
        "event",
        "event",
        "event",
        "checkpoint",
        "event",
        "event",
        "event",
        "checkpoint",
    ]
    genesis = got[0]
    signer_id = hashes.digest("sha256", signer.public_bytes())[:16].hex()
    assert genesis["chain"] == "sha256"
    assert genesis["key_id"] is None
    assert genesis["signer"] == {"scheme": "ecdsa-p384", "key_id": signer_id}
    # Each prev is the SHA-256 of the previous line's exact bytes (the first: of nothing).
    assert [r["prev"] for r in got] == [hashes.digest("sha256", b).hex() for b in [b"", *lines[:-1]]]
    assert got[1]["kind"] == "test"
    assert got[1]["fields"] == {"i": 0, "user": "alice"}
    assert got[1]["time"] == audit.Event("test", 1_700_000_000.0).time
    verdict = verify(tmp_path / "a.jsonl", public_key=signer.public_bytes("pem"))
    assert verdict.ok
    assert verdict.records == 13
    assert verdict.checkpoints == verdict.signatures_verified == 3


def test_a_keyed_chain_macs_each_line_with_the_one_before(tmp_path: Path) -> None:
    lines = write(tmp_path / "k.jsonl", 2, key=KEY)
    got = records(lines)
    assert got[0]["chain"] == "hmac-sha256"
    assert "prev" not in got[1]
    assert got[0]["key_id"] == mac.hmac(KEY, b"fipscrypto audit key id")[:16].hex()
    assert KEY.hex() not in b"".join(lines).decode()
    body = lines[1][: lines[1].index(b',"mac":')] + b"}"
    assert got[1]["mac"] == mac.hmac(KEY, lines[0] + body).hex()
    assert verify(tmp_path / "k.jsonl", key=KEY).ok


def test_the_trails_hashes_leave_the_callers_indicator_alone(tmp_path: Path) -> None:
    with AuditTrail(tmp_path / "i.jsonl", key=KEY) as trail:
        audit.subscribe(trail)
        hashes.digest("sha384", b"the caller's operation")
        audit.emit("test", n=1)
        last = indicator.last()
        assert last is not None
        assert last.algorithm == "sha384"


# ---------------------------------------------------------------------------------- tamper matrix


def test_an_edited_field_is_named_by_the_next_link_or_its_own_mac(
    tmp_path: Path, signer: keys.SigningKey
) -> None:
    lines = write(tmp_path / "a.jsonl", 6, signer=signer)
    lines[2] = lines[2].replace(b'"user":"alice"', b'"user":"mallory"')
    ok, line, seq, reason = check(tmp_path / "e.jsonl", lines)
    assert (ok, line, seq) == (False, 4, 3)
    assert "that line was edited" in reason
    keyed = write(tmp_path / "k.jsonl", 6, key=KEY)
    keyed[2] = keyed[2].replace(b'"user":"alice"', b'"user":"mallory"')
    ok, line, seq, reason = check(tmp_path / "ke.jsonl", keyed, key=KEY)
    assert (ok, line, seq) == (False, 3, 2)
    assert "MAC does not verify" in reason


def test_an_edit_that_keeps_the_json_equal_is_still_an_edit(tmp_path: Path) -> None:
    lines = write(tmp_path / "a.jsonl", 3, key=KEY)
    lines[1] = lines[1].replace(b'{"seq":1,', b'{"seq": 1,')
    ok, line, _, reason = check(tmp_path / "w.jsonl", lines, key=KEY)
    assert (ok, line) == (False, 2)
    assert "form" in reason


@pytest.mark.parametrize(
    ("change", "line", "seq"),
    [
        ("insert", 4, 2),  # a copy of line 3 (seq 2) after it: its prev is not the hash of line 3
        ("delete", 3, 3),  # line 3 removed: line 4 now follows line 2
        ("reorder", 3, 3),  # lines 3 and 4 swapped
    ],
)
def test_inserted_deleted_and_reordered_records_are_found(
    tmp_path: Path, signer: keys.SigningKey, change: str, line: int, seq: int
) -> None:
    lines = write(tmp_path / "a.jsonl", 6, signer=signer)
    if change == "insert":
        lines.insert(3, lines[2])
    elif change == "delete":
        del lines[2]
    else:
        lines[2], lines[3] = lines[3], lines[2]
    assert check(tmp_path / "t.jsonl", lines)[:3] == (False, line, seq)


def test_a_moved_record_with_a_recomputed_chain_is_found_by_its_sequence_number(tmp_path: Path) -> None:
    lines = write(tmp_path / "a.jsonl", 6)
    lines[2], lines[3] = lines[3], lines[2]
    ok, line, seq, reason = check(tmp_path / "t.jsonl", relink(lines))
    assert (ok, line, seq) == (False, 3, 3)
    assert "sequence number 3" in reason


def test_a_cut_last_line_is_a_torn_record(tmp_path: Path) -> None:
    lines = write(tmp_path / "a.jsonl", 5)
    lines[-1] = lines[-1][:40]
    ok, line, seq, reason = check(tmp_path / "t.jsonl", lines)
    assert (ok, line, seq) == (False, len(lines), None)
    assert "torn" in reason


def test_a_dropped_tail_needs_the_expected_sequence_number(tmp_path: Path, signer: keys.SigningKey) -> None:
    lines = write(tmp_path / "a.jsonl", 9, signer=signer)
    last = len(lines) - 1
    cut = lines[:-3]
    assert check(tmp_path / "t.jsonl", cut)[0]  # what a hash chain cannot see
    ok, line, seq, reason = check(tmp_path / "t.jsonl", cut, expect_seq=last)
    assert (ok, line, seq) == (False, len(cut) + 1, last)
    assert "removed from its end" in reason
    assert check(tmp_path / "t.jsonl", lines, expect_seq=last)[0]


def test_a_recomputed_chain_is_caught_by_the_signed_checkpoints(
    tmp_path: Path, signer: keys.SigningKey
) -> None:
    lines = write(tmp_path / "a.jsonl", 6, signer=signer)
    lines[2] = lines[2].replace(b'"user":"alice"', b'"user":"mallory"')
    forged = relink(lines)
    assert check(tmp_path / "f.jsonl", forged)[0]  # without the public key an unkeyed chain is rewritable
    ok, line, seq, reason = check(tmp_path / "f.jsonl", forged, public_key=signer.public_bytes())
    assert (ok, line, seq) == (False, 5, 4)
    assert "signature does not verify" in reason


def test_a_checkpoint_from_another_trail_is_found(tmp_path: Path, signer: keys.SigningKey) -> None:
    lines = write(tmp_path / "a.jsonl", 6, signer=signer)
    other = write(tmp_path / "b.jsonl", 6, signer=signer)
    lines[4] = other[4]  # the same signer's checkpoint at the same seq, of another log
    ok, line, seq, _ = check(tmp_path / "t.jsonl", lines, public_key=signer.public_bytes())
    assert (ok, line, seq) == (False, 5, 4)
    ok, line, seq, reason = check(tmp_path / "t.jsonl", relink(lines), public_key=signer.public_bytes())
    assert (ok, line, seq) == (False, 5, 4)
    assert "signature does not verify" in reason


def test_checkpoints_signed_by_another_key_are_found(
    tmp_path: Path, signer: keys.SigningKey, other_signer: keys.SigningKey
) -> None:
    lines = write(tmp_path / "a.jsonl", 6, signer=signer)
    resigned = relink(lines, signer=other_signer)
    ok, line, seq, reason = check(tmp_path / "t.jsonl", resigned, public_key=signer.public_bytes())
    assert (ok, line, seq) == (False, 5, 4)
    assert "signature does not verify" in reason
    assert check(tmp_path / "t.jsonl", relink(lines, signer=signer), public_key=signer.public_bytes())[0]
    ok, line, _, reason = check(tmp_path / "t.jsonl", lines, public_key=other_signer.public_bytes())
    assert (ok, line) == (False, 1)
    assert "not this chain's signer" in reason


def test_a_keyed_chain_does_not_verify_under_another_key_nor_unkeyed(tmp_path: Path) -> None:
    lines = write(tmp_path / "k.jsonl", 3, key=KEY)
    ok, line, _, reason = check(tmp_path / "t.jsonl", lines, key=bytes(32))
    assert (ok, line) == (False, 1)
    assert "not this chain's key" in reason
    with pytest.raises(InvalidParameter, match="keyed"):
        verify(tmp_path / "t.jsonl")
    # Stripped of its MACs and rechained with SHA-256: a verifier holding the key refuses it.
    stripped = [json.loads(line) for line in lines]
    for record in stripped:
        del record["mac"]
        record["prev"] = ""
    stripped[0]["chain"], stripped[0]["key_id"] = "sha256", None
    downgraded = relink([(json.dumps(r, separators=(",", ":")) + "\n").encode() for r in stripped])
    assert check(tmp_path / "t.jsonl", downgraded)[0]
    ok, line, _, reason = check(tmp_path / "t.jsonl", downgraded, key=KEY)
    assert (ok, line) == (False, 1)
    assert "not keyed" in reason


def test_a_log_without_its_start_or_empty_does_not_verify(tmp_path: Path) -> None:
    lines = write(tmp_path / "a.jsonl", 3)
    ok, line, _, reason = check(tmp_path / "t.jsonl", relink(lines[1:]))
    assert (ok, line) == (False, 1)
    assert "genesis" in reason
    assert check(tmp_path / "t.jsonl", [])[:2] == (False, 1)
    assert check(tmp_path / "t.jsonl", [b"not json\n"])[:2] == (False, 1)


# ---------------------------------------------------------------------------- concurrent writers


def events_of(path: Path) -> list[tuple[int, int]]:
    got = records(path.read_bytes().splitlines())
    return sorted((r["fields"]["w"], r["fields"]["i"]) for r in got if r["record"] == "event")


def test_eight_threads_on_one_trail_and_on_eight_trails_lose_nothing(tmp_path: Path) -> None:
    for shared in (True, False):
        path = tmp_path / f"threads-{shared}.jsonl"
        trails = [AuditTrail(path, key=KEY)] * 8 if shared else [AuditTrail(path, key=KEY) for _ in range(8)]

        def work(w: int, trail: AuditTrail) -> None:
            for i in range(400):
                trail(audit.Event("test", 0.0, {"w": w, "i": i}))

        threads = [threading.Thread(target=work, args=(w, t)) for w, t in enumerate(trails)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(t.failures for t in set(trails)) == 0
        assert events_of(path) == [(w, i) for w in range(8) for i in range(400)]
        assert verify(path, key=KEY).ok


PROCESSES = """
import json, multiprocessing, os, sys
from fipscrypto import audit
from fipscrypto.audit.trail import AuditTrail, verify

PATH, KEY, N = sys.argv[1], bytes(range(32)), 1500

def emit(trail, w):
    for i in range(N):
        trail(audit.Event("test", 0.0, {"w": w, "i": i}))

def spawned(w):
    trail = AuditTrail(PATH, key=KEY)
    emit(trail, w)
    return trail.failures

if __name__ == "__main__":
    trail = AuditTrail(PATH, key=KEY)
    emit(trail, 0)  # the parent has written: its children inherit a descriptor and a chain head
    children = []
    for w in (1, 2, 3):
        pid = os.fork()
        if pid == 0:
            emit(trail, w)
            os._exit(0 if trail.failures == 0 else 1)
        children.append(pid)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        spawn_failures = pool.map(spawned, [4, 5])
    emit(trail, 6)
    statuses = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]
    v = verify(PATH, key=KEY)
    failures = [*spawn_failures, trail.failures]
    print(json.dumps({"ok": v.ok, "reason": v.reason, "statuses": statuses, "failures": failures}))
"""


def test_forked_and_spawned_processes_append_to_one_chain(tmp_path: Path) -> None:
    script, path = tmp_path / "writers.py", tmp_path / "procs.jsonl"
    script.write_text(PROCESSES)
    result = run_script_json(script, str(path), timeout=300)
    assert result == {"ok": True, "reason": None, "statuses": [0, 0, 0], "failures": [0, 0, 0]}
    assert events_of(path) == [(w, i) for w in range(7) for i in range(1500)]


# -------------------------------------------------------------------------------------- failures


def test_a_full_disk_is_counted_and_warned_once_never_raised(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="fipscrypto.audit.trail"):
        trail = AuditTrail("/dev/full", key=KEY)
        audit.subscribe(trail)
        try:
            for i in range(5):
                audit.emit("test", i=i)  # no exception reaches the emitter
        finally:
            audit.unsubscribe(trail)
    assert trail.failures == 6
    assert trail.lost == 5
    assert trail.last_failure is not None
    assert "No space left on device" in trail.last_failure
    assert len([r for r in caplog.records if r.name == "fipscrypto.audit.trail"]) == 1


def test_a_removed_directory_is_counted_then_a_gap_record_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    path = folder / "trail.jsonl"
    trail = AuditTrail(path, key=KEY)
    trail(audit.Event("test", 0.0, {"i": 0}))
    shutil.rmtree(folder)
    trail(audit.Event("test", 0.0, {"i": 1}))  # the open file was removed: named as such
    assert trail.last_failure is not None
    assert "FileNotFoundError" in trail.last_failure
    assert "was removed" in trail.last_failure
    trail(audit.Event("test", 0.0, {"i": 2}))  # no folder to create it in
    assert (trail.failures, trail.lost) == (2, 2)
    folder.mkdir()
    trail(audit.Event("test", 0.0, {"i": 3}))
    assert (trail.failures, trail.lost) == (2, 0)
    assert trail.last_failure is not None
    assert "FileNotFoundError" in trail.last_failure
    got = records(path.read_bytes().splitlines())
    assert [r["record"] for r in got] == ["genesis", "audit-gap", "event"]
    assert got[1]["lost"] == 2
    assert "FileNotFoundError" in got[1]["error"]
    verdict = verify(path, key=KEY)
    assert verdict.ok
    assert (verdict.gaps, verdict.lost) == (1, 2)


FILE_SIZE_LIMIT = """
import json, os, resource, sys
from fipscrypto import audit
from fipscrypto.audit.trail import AuditTrail, verify

path = sys.argv[1]
trail = AuditTrail(path)
for i in range(3):
    trail(audit.Event("test", 0.0, {"i": i}))
size = os.path.getsize(path)
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 50, hard))  # the next record is cut after 50 bytes
for i in range(3, 7):
    trail(audit.Event("test", 0.0, {"i": i}))
after = os.path.getsize(path)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
trail(audit.Event("test", 0.0, {"i": 7}))
v = verify(path)
lines = [json.loads(line) for line in open(path, "rb")]
print(json.dumps({"unchanged": after == size, "failures": trail.failures, "ok": v.ok, "lost": v.lost,
                  "records": [r["record"] for r in lines]}))
"""


def test_a_write_cut_by_the_file_size_limit_is_undone_and_reported_as_a_gap(tmp_path: Path) -> None:
    result = run_json(FILE_SIZE_LIMIT, str(tmp_path / "limit.jsonl"))
    assert result == {
        "unchanged": True,
        "failures": 4,
        "ok": True,
        "lost": 4,
        "records": ["genesis", "event", "event", "event", "audit-gap", "event"],
    }


# ------------------------------------------------------------------------------- inputs, closing


def test_absurd_events_get_typed_errors_or_are_bounded(tmp_path: Path) -> None:
    path = tmp_path / "absurd.jsonl"
    trail = AuditTrail(path, key=KEY)
    loop: list[object] = []
    loop.append(loop)
    audit.subscribe(trail)
    try:
        bad_fields: list[Mapping[Any, object]] = [{"x": loop}, {"x": float("nan")}, {1: "a", "b": 2}]
        for bad in bad_fields:
            with pytest.raises(AuditError) as raised:
                audit.emit_fields("test", bad)
            assert isinstance(raised.value.__cause__, InvalidParameter)
        audit.emit("test", huge="x" * (4 * MAX_FIELDS), other=object())
    finally:
        audit.unsubscribe(trail)
    with pytest.raises(InvalidParameter):
        trail("not an event")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter):
        trail(audit.Event("k" * 1000, 0.0))
    got = records(path.read_bytes().splitlines())
    assert [r["record"] for r in got] == ["genesis", "event"]
    oversize = got[1]["fields"]
    assert isinstance(oversize, dict)
    assert list(oversize) == ["oversize"]
    assert oversize["oversize"] > 4 * MAX_FIELDS
    assert verify(path, key=KEY).ok


def test_bad_parameters_and_another_chains_file_are_refused(tmp_path: Path, signer: keys.SigningKey) -> None:
    path = tmp_path / "p.jsonl"
    with pytest.raises(InvalidParameter, match="128 bits"):
        AuditTrail(path, key=bytes(15))
    with pytest.raises(InvalidParameter, match="ecdsa-p384"):
        AuditTrail(path, signing_key=keys.generate_signing_key("ecdsa-p256"))
    with pytest.raises(FeatureDisabled):
        AuditTrail(path, signing_key=keys.signing_key_from_seed("ml-dsa-87", bytes(32)))
    with pytest.raises(InvalidParameter):
        AuditTrail(path, checkpoint_every=0)
    assert not path.exists()
    AuditTrail(path, key=KEY).close()
    for other in ({"key": bytes(32)}, {}, {"key": KEY, "signing_key": signer}):
        with pytest.raises(AuditTrailError, match="other chain parameters"):
            AuditTrail(path, **other)
    assert verify(path, key=KEY).records == 1


def test_close_signs_the_head_unsubscribes_and_counts_later_events(
    tmp_path: Path, signer: keys.SigningKey
) -> None:
    path = tmp_path / "c.jsonl"
    with AuditTrail(path, signing_key=signer, checkpoint_every=100) as trail:
        audit.subscribe(trail)
        audit.emit("test", i=1)
    audit.emit("test", i=2)  # not subscribed any more
    trail(audit.Event("test", 0.0))
    assert (trail.failures, trail.lost) == (1, 1)
    got = records(path.read_bytes().splitlines())
    assert [r["record"] for r in got] == ["genesis", "event", "checkpoint"]
    trail.close()
    verdict = verify(path, public_key=signer.public_bytes())
    assert verdict.ok
    assert (verdict.signatures_verified, verdict.last_checkpoint) == (1, 2)


# -------------------------------------------------------------------------------------------- CLI


def test_fipscheck_audit_verify_exit_codes(tmp_path: Path, signer: keys.SigningKey) -> None:
    path, keyfile, pub = tmp_path / "v.jsonl", tmp_path / "key.hex", tmp_path / "signer.pem"
    lines = write(path, 6, key=KEY, signer=signer)
    keyfile.write_text(KEY.hex() + "\n")
    pub.write_bytes(signer.public_bytes("pem"))
    good = cli("audit", "verify", str(path), "--key", str(keyfile), "--public-key", str(pub))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "OK, 9 records" in good.stdout
    assert "2 signatures verified" in good.stdout
    assert "cannot show records removed from the end" in good.stdout
    assert cli("audit", "verify", str(path), "--key", str(keyfile), "--expect-seq", "9").returncode == 1
    assert cli("audit", "verify", str(path)).returncode == 2  # keyed: --key is needed
    assert cli("audit", "verify", str(path), "--expect-seq", "-1").returncode == 2
    assert cli("audit", "verify", str(tmp_path / "missing.jsonl")).returncode == 3
    lines[3] = lines[3].replace(b'"i":2', b'"i":5')
    path.write_bytes(b"".join(lines))
    bad = cli("audit", "verify", str(path), "--key", str(keyfile), "--json")
    assert bad.returncode == 1
    verdict = json.loads(bad.stdout)
    assert (verdict["ok"], verdict["line"], verdict["seq"]) == (False, 4, 3)


def test_fipscheck_audit_show_filters(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with AuditTrail(path) as trail:
        trail(audit.Event("selftest", 1_700_000_000.0, {"passed": True}))
        trail(audit.Event("key-generated", 1_800_000_000.0, {"scheme": "ecdsa-p384"}))
    shown = cli("audit", "show", str(path), "--kind", "key-generated")
    assert shown.returncode == 0
    assert 'scheme="ecdsa-p384"' in shown.stdout
    assert "selftest" not in shown.stdout
    window = cli(
        "audit", "show", str(path), "--since", "2023-01-01", "--until", "2026-01-01", "--format", "json"
    )
    assert [json.loads(line)["kind"] for line in window.stdout.splitlines()] == ["selftest"]
    assert cli("audit", "show", str(path), "--kind", "genesis").stdout.count("\n") == 1
    assert cli("audit", "show", str(path), "--since", "yesterday").returncode == 2
    assert cli("audit", "show", str(tmp_path / "missing")).returncode == 3


MLDSA = """
import json, sys
from fipscrypto import audit, keys
from fipscrypto.audit.trail import AuditTrail, verify

path = sys.argv[1]
signer, other = (keys.generate_signing_key("ml-dsa-87") for _ in range(2))
with AuditTrail(path, signing_key=signer, checkpoint_every=2) as trail:
    for i in range(3):
        trail(audit.Event("test", 0.0, {"i": i}))
good, wrong = verify(path, public_key=signer.public_bytes()), verify(path, public_key=other.public_bytes())
print(json.dumps({"good": [good.ok, good.signatures_verified], "wrong": [wrong.ok, wrong.line],
                  "scheme": json.loads(open(path).readline())["signer"]["scheme"]}))
"""


def test_checkpoints_are_signed_with_ml_dsa_87_when_the_post_quantum_module_is_on(tmp_path: Path) -> None:
    result = run_json(MLDSA, str(tmp_path / "pq.jsonl"), FIPSCRYPTO_PQC="1")
    assert result == {"good": [True, 3], "wrong": [False, 1], "scheme": "ml-dsa-87"}


def test_the_example_of_docs_audit_md_runs(tmp_path: Path) -> None:
    page = (Path(__file__).parent.parent / "docs" / "audit.md").read_text()
    example = page.split("```python\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "example.py"
    script.write_text(f"{example}\nimport json\n\nprint(json.dumps({{'records': verdict.records}}))\n")
    assert run_script_json(script, timeout=120) == {"records": 3}  # genesis, event, checkpoint


HELD_IN_ERROR = """
import json, sys
from fipscrypto import _faults, audit, kdf, module, selftests
from fipscrypto.audit.trail import AuditTrail, verify
from fipscrypto.errors import SelfTestFailure

trail = AuditTrail(sys.argv[1])
audit.subscribe(trail)
_faults.inject("hkdf-sha256")
try:
    kdf.hkdf(bytes(32), length=32, salt=bytes(16), info=b"")  # its first use runs the failing self-test
except SelfTestFailure:
    pass
audit.emit("during-error", n=1)
during = [module.info().state.value, trail.failures, trail.lost]
_faults.clear()
selftests.run_all()  # recovers the module
audit.emit("after-recovery", n=2)
lines = [json.loads(line) for line in open(sys.argv[1], "rb")]
print(json.dumps({"during": during, "after": [trail.lost, verify(sys.argv[1]).ok],
                  "kinds": [r.get("kind", r["record"]) for r in lines]}))
"""


def test_events_of_the_error_state_are_held_and_written_after_the_recovery(tmp_path: Path) -> None:
    result = run_json(HELD_IN_ERROR, str(tmp_path / "held.jsonl"))
    assert result["during"] == ["error", 2, 0]  # two failed attempts, nothing lost
    assert result["after"] == [0, True]
    kinds = result["kinds"]
    assert kinds[:4] == ["genesis", "selftest-start", "selftest-fail", "during-error"]
    assert "audit-gap" not in kinds
    assert kinds[-1] == "after-recovery"
