"""``fipscheck`` latency: each command against a bare activation, both in fresh processes.

A sample is the wall time of one process, from start to exit: the baseline is ``python -c "import
fipscrypto; fipscrypto.activate('strict')"``, the commands are the installed console script. Rounds are
interleaved (baseline, then each command), so drift in machine load hits every side alike; the table
gives each side's median and its ratio to the baseline's.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from fipscrypto.provider.state import StatePaths, read_record

ROUNDS = 15
ROOT = Path(__file__).resolve().parent.parent
FIPSCHECK = str(Path(sys.executable).parent / "fipscheck")

BASELINE = [sys.executable, "-c", "import fipscrypto; fipscrypto.activate('strict')"]
COMMANDS = {
    "fipscheck status --json": [FIPSCHECK, "status", "--json"],
    "fipscheck check <manifest>": [FIPSCHECK, "check", str(ROOT / "docs/examples/sip-gateway.toml")],
    "fipscheck policy validate <profile>": [
        FIPSCHECK,
        "policy",
        "validate",
        str(ROOT / "fipscrypto/policy/profiles/fips-140-3.toml"),
    ],
}


def _wall_ms(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return (time.perf_counter() - start) * 1000


def main() -> dict[str, dict[str, float]]:
    paths = StatePaths.resolve()
    if read_record(paths) is None:
        raise SystemExit("no provider provisioned: run 'make provider' first")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENSSL_", "FIPSCRYPTO_"))}
    env["FIPSCRYPTO_STATE_DIR"] = str(paths.root)
    _wall_ms(BASELINE, env)  # the policy cache and the runtime configuration exist before the first sample
    samples: dict[str, list[float]] = {"activate()": [], **{name: [] for name in COMMANDS}}
    for _ in range(ROUNDS):
        samples["activate()"].append(_wall_ms(BASELINE, env))
        for name, argv in COMMANDS.items():
            samples[name].append(_wall_ms(argv, env))
    base = statistics.median(samples["activate()"])
    results = {
        name: {"ms": statistics.median(values), "ratio": statistics.median(values) / base}
        for name, values in samples.items()
    }
    print(f"fipscheck latency, median of {ROUNDS} fresh processes (wall time, start to exit)")
    for name, r in results.items():
        print(f"  {name:38} {r['ms']:6.1f} ms | {r['ratio']:.2f}x a bare activation")
    return results


if __name__ == "__main__":
    main()
