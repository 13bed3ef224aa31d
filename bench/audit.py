"""The audit trail's cost per event, and that concurrent writers lose nothing.

- Time per event written by the file sink (``fipscrypto.audit.trail.AuditTrail``, called with an
  event as ``audit.emit`` calls it) against a plain ``logging.FileHandler`` writing the event's JSON
  line (``Event.to_json``), median of ROUNDS interleaved rounds (bench/services.py ``compare``): the
  SHA-256 chain, and the HMAC-SHA-256 chain with an ECDSA P-384 checkpoint every 1000 records.
- 8 threads emit 10,000 events each through ``audit.emit`` to one trail: the events in the file are
  counted and the chain is verified.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from services import ROUNDS, _per_call, compare

import fipscrypto

THREADS, PER_THREAD = 8, 10_000


def _handler(path: Path) -> logging.Logger:
    logger = logging.getLogger(f"bench.audit.{path.name}")
    logger.addHandler(logging.FileHandler(path))
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def _per_event(tmp: Path) -> dict[str, dict[str, float]]:
    from fipscrypto import audit, keys, rand
    from fipscrypto.audit.trail import AuditTrail

    event = audit.Event("key-generated", time.time(), {"scheme": "ecdsa-p384", "key_id": "3f2a9c0d51e8b7a4"})
    plain = AuditTrail(tmp / "plain.jsonl")
    keyed = AuditTrail(
        tmp / "keyed.jsonl",
        key=rand.random_bytes(32),
        signing_key=keys.generate_signing_key("ecdsa-p384"),
        checkpoint_every=1000,
    )
    logger = _handler(tmp / "logging.jsonl")

    def handler() -> None:
        logger.info("%s", event.to_json())

    cases: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
        "SHA-256 chain": (lambda: plain(event), handler),
        "HMAC chain, P-384 checkpoint / 1000": (lambda: keyed(event), handler),
    }
    try:
        return compare("audit trail: time per event", cases, 36, peer="logging.FileHandler, same JSON line")
    finally:
        plain.close()
        keyed.close()


def _no_loss(tmp: Path) -> dict[str, object]:
    from fipscrypto import audit
    from fipscrypto.audit.trail import AuditTrail, verify

    path = tmp / "threads.jsonl"
    trail = AuditTrail(path, key=bytes(range(32)))
    audit.subscribe(trail)

    def work(w: int) -> None:
        for i in range(PER_THREAD):
            audit.emit("bench", w=w, i=i)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(THREADS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    trail.close()
    with path.open("rb") as f:
        written = sum(1 for line in f if b'"record":"event"' in line)
    verdict = verify(path, key=bytes(range(32)))
    result: dict[str, object] = {
        "events": THREADS * PER_THREAD,
        "written": written,
        "failures": trail.failures,
        "verified": verdict.ok,
        "us_per_event": elapsed / (THREADS * PER_THREAD) * 1e6,
    }
    print(
        f"  {THREADS} threads x {PER_THREAD} events through audit.emit: {written} written, "
        f"{trail.failures} failures, chain {'verifies' if verdict.ok else 'DOES NOT VERIFY'}, "
        f"{elapsed / (THREADS * PER_THREAD) * 1e6:.1f} us per event (wall clock, all threads)"
    )
    return result


def _machine() -> float:
    """µs per SHA-256 of 64 B through fipscrypto in this run (3.51 µs on a quiet machine, bench/services.py):
    how loaded the machine was."""
    from fipscrypto import hashes

    data = b"a" * 64
    per_call = statistics.median(_per_call(lambda: hashes.digest("sha256", data), 0.1) for _ in range(ROUNDS))
    print(f"  machine: one SHA-256 of 64 B took {per_call * 1e6:.2f} us in this run (quiet machine: 3.51 us)")
    return per_call * 1e6


def main() -> dict[str, object]:
    fipscrypto.activate()
    with tempfile.TemporaryDirectory() as tmp:
        per_event = _per_event(Path(tmp))
        return {"per_event": per_event, "sha256_64B_us": _machine(), "no_loss": _no_loss(Path(tmp))}


if __name__ == "__main__":
    main()
