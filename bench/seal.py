"""Sealed envelopes: ``seal.seal`` and ``seal.seal_stream`` against the same work done by hand.

- 1 KiB: ``seal.seal`` against the same envelope built by hand with cryptography (a data key from
  ``os.urandom``, AES-KWP wrap, AES-256-GCM with an ``os.urandom(12)`` nonce, the header prepended);
  median time per call of ROUNDS interleaved rounds (bench/services.py ``_round``);
- 100 MiB: ``seal.seal`` and ``seal.seal_stream`` (file to file) against one direct AES-GCM call on
  the same data: time (median of interleaved rounds) and peak memory, each measured in a fresh
  process as the growth of the peak resident set (``VmHWM``; ``ru_maxrss`` would carry the parent's
  peak over the fork) over the resident set just before the data is made (the 100 MiB of data
  count in every variant).
"""

from __future__ import annotations

import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from services import _round

import fipscrypto

ROUNDS = int(os.environ.get("SEAL_ROUNDS", "9"))
LARGE = 100 << 20
VARIANTS = ("direct", "seal", "seal_stream")


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _large(variant: str, tmp: str) -> Callable[[], object]:
    """One 100 MiB run of ``variant`` (data made by the caller's closure)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM as CAESGCM

    from fipscrypto import seal

    kek, data = os.urandom(32), os.urandom(LARGE)
    source, target = os.path.join(tmp, "plain"), os.path.join(tmp, "sealed")
    if variant == "seal_stream":
        with open(source, "wb") as out:
            out.write(data)
    if variant == "direct":
        return lambda: CAESGCM(os.urandom(32)).encrypt(os.urandom(12), data, b"FCSEAL\x01")
    if variant == "seal":
        return lambda: seal.seal(data, key_id="k1", kek=kek)

    def stream() -> None:
        with open(source, "rb") as src, open(target, "wb") as dst:
            seal.seal_stream(src, dst, key_id="k1", kek=kek)

    return stream


def _peak(variant: str) -> None:
    """In a fresh process: print the peak memory growth (MiB) of one run of ``variant``."""
    fipscrypto.activate()
    with tempfile.TemporaryDirectory() as tmp:
        before = _status_kib("VmRSS")
        _large(variant, tmp)()
        peak = _status_kib("VmHWM")
    print(json.dumps({"mib": (peak - before) / 1024}))


def _peaks() -> dict[str, float]:
    found = {}
    for variant in VARIANTS:
        done = subprocess.run(
            [sys.executable, __file__, "--peak", variant], capture_output=True, text=True, check=True
        )
        found[variant] = json.loads(done.stdout)["mib"]
    return found


def _small() -> dict[str, float]:
    from cryptography.hazmat.primitives import keywrap
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM as CAESGCM

    from fipscrypto import seal

    kek, data = os.urandom(32), os.urandom(1024)

    def by_hand() -> bytes:
        dek = os.urandom(32)
        wrapped = keywrap.aes_key_wrap_with_padding(kek, dek)
        header = b"FCSEAL\x01\x02k1" + struct.pack(">H", len(wrapped)) + wrapped
        nonce = os.urandom(12)
        return header + nonce + CAESGCM(dek).encrypt(nonce, data, b"FCSEAL\x01")

    ratios, ours_t, theirs_t = [], [], []
    for _ in range(ROUNDS):
        a, b = _round(lambda: seal.seal(data, key_id="k1", kek=kek), by_hand, 0.3)
        ours_t.append(a)
        theirs_t.append(b)
        ratios.append(a / b)
    return {
        "fipscrypto_us": statistics.median(ours_t) * 1e6,
        "cryptography_us": statistics.median(theirs_t) * 1e6,
        "ratio": statistics.median(ratios),
    }


def _times() -> dict[str, float]:
    """Median seconds per 100 MiB run, the variants interleaved round by round."""
    runs: dict[str, list[float]] = {v: [] for v in VARIANTS}
    with tempfile.TemporaryDirectory() as tmp:
        calls = {v: _large(v, tmp) for v in VARIANTS}
        for _ in range(max(3, ROUNDS // 2)):
            for variant, call in calls.items():
                start = time.perf_counter()
                call()
                runs[variant].append(time.perf_counter() - start)
    return {v: statistics.median(t) for v, t in runs.items()}


def main() -> dict[str, object]:
    fipscrypto.activate()
    small = _small()
    times = _times()
    peaks = _peaks()
    print(f"sealed envelopes (fipscrypto vs the same work with cryptography), median of {ROUNDS} rounds")
    print(
        f"  seal 1 KiB vs by hand          {small['fipscrypto_us']:9.2f} us  vs"
        f" {small['cryptography_us']:9.2f} us   ratio {small['ratio']:.3f}x"
    )
    for variant in VARIANTS:
        print(
            f"  100 MiB {variant:12} {times[variant] * 1e3:8.1f} ms ({times[variant] / times['direct']:.3f}x)"
            f"   peak memory +{peaks[variant]:6.1f} MiB ({peaks[variant] / peaks['direct']:.3f}x)"
        )
    return {"small": small, "times": times, "peaks": peaks}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--peak"]:
        _peak(sys.argv[2])
    else:
        main()
