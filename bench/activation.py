"""Activation cost: fipscrypto's import-to-operational against loading the same provider by hand.

Each sample is a fresh interpreter (activation happens once per process). Both sides load the same
FIPS provider from the same state folder into cryptography's OpenSSL:

- baseline: ``OPENSSL_CONF`` set for the whole process, ``import cryptography...`` bindings, one
  SHA-256 (the first fetch; the provider runs its own power-on self-tests at load);
- fipscrypto: ``import fipscrypto; fipscrypto.activate()`` (environment window, provider load,
  provider proof and power-on self-tests), then the same SHA-256.

Reports the median of the rounds for each side and their ratio, fipscrypto's own self-test time
(targets: power-on self-tests <= 100 ms, import to operational <= 300 ms) and the slowest tests.
Measured twice: from a cold interpreter, and with the standard-library modules fipscrypto uses
(logging, pathlib, dataclasses, json, ...) already imported on both sides, as they are in a service.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from typing import Any

from fipscrypto.provider.state import StatePaths, read_record

ROUNDS = 20

# Imported before the timer starts in the "warm" variant, on both sides.
STDLIB = "import logging, pathlib, dataclasses, json, enum, threading, warnings, ctypes\n"

BASELINE = """
import time, json
t = time.perf_counter()
from cryptography.hazmat.primitives import hashes
h = hashes.Hash(hashes.SHA256()); h.update(b"abc"); h.finalize()
print(json.dumps({"ms": (time.perf_counter() - t) * 1000}))
"""

FIPSCRYPTO = """
import time, json
t = time.perf_counter()
import fipscrypto
fipscrypto.activate("strict")
from cryptography.hazmat.primitives import hashes
h = hashes.Hash(hashes.SHA256()); h.update(b"abc"); h.finalize()
ms = (time.perf_counter() - t) * 1000
tests = fipscrypto.info().selftests_ms
print(json.dumps({"ms": ms, "selftests_ms": sum(tests.values()), "tests": tests}))
"""


def _sample(code: str, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _measure(baseline_env: dict[str, str], ours_env: dict[str, str], prefix: str) -> dict[str, Any]:
    baseline, ours, post = [], [], []
    per_test: dict[str, list[float]] = {}
    for _ in range(ROUNDS):  # interleaved, so drift in machine load hits both sides alike
        baseline.append(_sample(prefix + BASELINE, baseline_env)["ms"])
        sample = _sample(prefix + FIPSCRYPTO, ours_env)
        ours.append(sample["ms"])
        post.append(sample["selftests_ms"])
        for name, ms in sample["tests"].items():
            per_test.setdefault(name, []).append(ms)
    slowest = sorted(((statistics.median(v), k) for k, v in per_test.items()), reverse=True)[:5]
    return {
        "baseline_ms": statistics.median(baseline),
        "fipscrypto_ms": statistics.median(ours),
        "ratio": statistics.median(ours) / statistics.median(baseline),
        "selftests_ms": statistics.median(post),
        "tests": len(per_test),
        "slowest": [(name, round(ms, 2)) for ms, name in slowest],
    }


def main() -> dict[str, dict[str, Any]]:
    paths = StatePaths.resolve()
    record = read_record(paths)
    if record is None:
        raise SystemExit("no provider provisioned: run 'make provider' first")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENSSL_", "FIPSCRYPTO_"))}
    baseline_env = dict(
        base_env,
        OPENSSL_CONF=str(paths.openssl_cnf),
        OPENSSL_MODULES=os.path.dirname(record.module_path),
        CRYPTOGRAPHY_OPENSSL_NO_LEGACY="1",
    )
    ours_env = dict(base_env, FIPSCRYPTO_STATE_DIR=str(paths.root))
    results = {
        "cold": _measure(baseline_env, ours_env, ""),
        "warm": _measure(baseline_env, ours_env, STDLIB),
    }
    print(f"activation, median of {ROUNDS} fresh processes, provider {record.name} {record.version}")
    for name, r in results.items():
        print(
            f"  {name}: provider loaded by hand {r['baseline_ms']:6.1f} ms | fipscrypto.activate() "
            f"{r['fipscrypto_ms']:6.1f} ms | ratio {r['ratio']:.2f}x | POST {r['selftests_ms']:.1f} ms"
            f" ({r['tests']} tests)"
        )
    print(
        "  slowest power-on tests (cold, median ms):",
        ", ".join(f"{n} {ms}" for n, ms in results["cold"]["slowest"]),
    )
    return results


if __name__ == "__main__":
    main()
