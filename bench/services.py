"""Wrapper overhead of the core services against calling cryptography directly, in one process.

For each operation: the time per call through fipscrypto (gate, policy verdict, indicator) and
through cryptography's own API on the same FIPS provider, median of ROUNDS rounds, each round
interleaved in alternating slices.
For AES-GCM, the direct call builds a counter nonce per message, as any correct caller must.
The DRBG is measured against os.urandom by bench/rand.py.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import fipscrypto

ROUNDS = 9
SLICES = 10


def _per_call(fn: Callable[[], object], seconds: float = 0.15) -> float:
    calls = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            fn()
        calls += 50
        now = time.perf_counter()
        if now >= deadline:
            return (now - start) / calls


def _round(ours: Callable[[], object], theirs: Callable[[], object], seconds: float) -> tuple[float, float]:
    """Per-call times of both over one round, taken in SLICES alternating slices, so that drift in the
    machine's speed (frequency, neighbours) falls on both alike."""
    a = b = 0.0
    for _ in range(SLICES):
        a += _per_call(ours, seconds / SLICES)
        b += _per_call(theirs, seconds / SLICES)
    return a / SLICES, b / SLICES


def main() -> dict[str, dict[str, float]]:
    fipscrypto.activate()
    from cryptography.hazmat.primitives import hashes as c_hashes
    from cryptography.hazmat.primitives import hmac as c_hmac
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM as CAESGCM

    from fipscrypto import aead, hashes, mac, rand

    key = rand.random_bytes(32)
    small, large = b"\x61" * 64, b"\x62" * (1 << 20)
    ours_gcm = aead.AESGCM(key, nonces="counter")
    theirs_gcm = CAESGCM(key)
    counter = iter(range(1 << 62))

    def c_gcm(data: bytes) -> bytes:
        # The least a correct caller does: a fresh (counter) nonce per message.
        return theirs_gcm.encrypt(next(counter).to_bytes(12, "big"), data, None)

    def c_sha(data: bytes) -> bytes:
        h = c_hashes.Hash(c_hashes.SHA256())
        h.update(data)
        return h.finalize()

    def c_mac(data: bytes) -> bytes:
        h = c_hmac.HMAC(key, c_hashes.SHA256())
        h.update(data)
        return h.finalize()

    cases: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {}
    for label, data in (("64 B", small), ("1 MiB", large)):
        cases[f"SHA-256 {label}"] = (lambda d=data: hashes.digest("sha256", d), lambda d=data: c_sha(d))
        cases[f"HMAC-SHA-256 {label}"] = (lambda d=data: mac.hmac(key, d), lambda d=data: c_mac(d))
        cases[f"AES-256-GCM encrypt {label}"] = (
            lambda d=data: ours_gcm.encrypt(d),
            lambda d=data: c_gcm(d),
        )
    return compare("core services", cases, 28)


def compare(
    title: str,
    cases: dict[str, tuple[Callable[[], object], Callable[[], object]]],
    width: int,
    rounds: int = ROUNDS,
    peer: str = "cryptography on the same provider",
) -> dict[str, dict[str, float]]:
    """Per-call times of each (ours, theirs) pair, median of ``rounds`` interleaved rounds, printed;
    ``peer`` names what ``theirs`` calls."""
    results: dict[str, dict[str, float]] = {}
    for name, (ours, theirs) in cases.items():
        seconds = 0.1 if "MiB" in name else 0.3
        ratios, ours_t, theirs_t = [], [], []
        for _ in range(rounds):
            a, b = _round(ours, theirs, seconds)
            ours_t.append(a)
            theirs_t.append(b)
            ratios.append(a / b)
        results[name] = {
            "fipscrypto_us": statistics.median(ours_t) * 1e6,
            "cryptography_us": statistics.median(theirs_t) * 1e6,
            "ratio": statistics.median(ratios),
        }
    print(f"{title}, median of {rounds} rounds (fipscrypto vs {peer})")
    for name, r in results.items():
        print(
            f"  {name:{width}} {r['fipscrypto_us']:9.2f} us  vs {r['cryptography_us']:9.2f} us"
            f"   ratio {r['ratio']:.3f}x"
        )
    return results


if __name__ == "__main__":
    main()
