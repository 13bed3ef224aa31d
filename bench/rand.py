"""``rand.random_bytes`` against ``os.urandom``, in one process, with one thread and with 8 threads.

One thread: the time per call of each, median of ROUNDS rounds, each round interleaved in alternating
slices (services._round). Eight threads: the calls per second that 8 threads sharing the default
generator complete in SECONDS, against 8 threads calling ``os.urandom``, alternating, median of
ROUNDS. The ratio is calls per second of fipscrypto over os.urandom (the target is >= 0.5x with one
thread and >= 0.3x with 8 for 32-byte requests).

The mechanisms: one generate request of 32 bytes and of 16 KiB (the block ``random_bytes`` serves in
slices) from the provider's CTR_DRBG and from fipscrypto's Python ``rand.HmacDrbg`` (SHA-512),
alternating, median of ROUNDS.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable

from services import ROUNDS, _round

import fipscrypto

THREADS = 8
SECONDS = 0.3


def _threaded_rate(fn: Callable[[], object]) -> float:
    """Calls per second of THREADS threads calling ``fn`` together for SECONDS."""
    counts = [0] * THREADS
    start = threading.Barrier(THREADS + 1)
    stop = threading.Event()

    def work(i: int) -> None:
        start.wait()
        n = 0
        while not stop.is_set():
            for _ in range(50):
                fn()
            n += 50
        counts[i] = n

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(SECONDS)
    stop.set()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - began)


def _timed(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def main() -> dict[str, dict[str, float]]:
    fipscrypto.activate()
    from fipscrypto import keys, rand

    results: dict[str, dict[str, float]] = {}
    for size in (32, 1024):

        def ours(n: int = size) -> bytes:
            return rand.random_bytes(n)

        def theirs(n: int = size) -> bytes:
            return os.urandom(n)

        ours()
        ratios, ours_t, theirs_t = [], [], []
        for _ in range(ROUNDS):
            a, b = _round(ours, theirs, SECONDS)
            ours_t.append(a)
            theirs_t.append(b)
            ratios.append(b / a)  # calls/s of ours over theirs
        results[f"{size} B, 1 thread"] = {
            "fipscrypto_us": statistics.median(ours_t) * 1e6,
            "urandom_us": statistics.median(theirs_t) * 1e6,
            "ratio": statistics.median(ratios),
        }
        rates, peer, ratios = [], [], []
        for _ in range(ROUNDS):
            a, b = _threaded_rate(ours), _threaded_rate(theirs)
            rates.append(a)
            peer.append(b)
            ratios.append(a / b)
        results[f"{size} B, {THREADS} threads"] = {
            "fipscrypto_per_s": statistics.median(rates),
            "urandom_per_s": statistics.median(peer),
            "ratio": statistics.median(ratios),
        }
    context = keys.inside.get()
    assert context is not None
    ctr, hmac = context.ctr_drbg(b"bench"), rand.HmacDrbg()
    for size, calls in ((32, 2000), (1 << 14, 50)):
        ctr_t, hmac_t = [], []
        for _ in range(ROUNDS):
            ctr_t.append(_timed(lambda n=size: ctr.generate(n), calls))
            hmac_t.append(_timed(lambda n=size: hmac.generate(n), calls))
        results[f"generate {size} B"] = {
            "ctr_drbg_us": statistics.median(ctr_t) * 1e6,
            "hmac_drbg_us": statistics.median(hmac_t) * 1e6,
        }
    print(f"rand.random_bytes vs os.urandom, median of {ROUNDS} rounds (ratio: calls/s, ours over theirs)")
    for name, r in results.items():
        if "ctr_drbg_us" in r:
            print(
                f"  {name:18} provider CTR_DRBG {r['ctr_drbg_us']:9.2f} us"
                f"   Python HMAC_DRBG {r['hmac_drbg_us']:9.2f} us"
            )
        elif "fipscrypto_us" in r:
            print(
                f"  {name:18} {r['fipscrypto_us']:9.3f} us  vs {r['urandom_us']:9.3f} us"
                f"   ratio {r['ratio']:.3f}x"
            )
        else:
            print(
                f"  {name:18} {r['fipscrypto_per_s']:12,.0f}/s vs {r['urandom_per_s']:12,.0f}/s"
                f"   ratio {r['ratio']:.3f}x"
            )
    return results


if __name__ == "__main__":
    main()
