"""What the allowlist policy costs:

- loading a built-in profile (``fips-140-3``): import the parser, parse and validate, in a fresh
  process, median of PROCESSES processes (activation pays it only on a policy-cache miss);
- compiling it into the OpenSSL ``ssl_conf`` section, the first time in the same fresh processes
  (what activation pays on a cache miss);
- a policy decision on a service's path: ``fipscrypto.enforce.require`` (the gate, the per-day verdict
  cache, the mode) against ``Policy.check`` (evaluating the rules), in one process, median of ROUNDS
  rounds taken in alternating slices (bench/services.py's method).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

from services import ROUNDS, _round

import fipscrypto

PROCESSES = 7

LOAD = """
import json, time
t = time.perf_counter()
from fipscrypto.policy import loader
policy = loader.builtin("fips-140-3")
ms = (time.perf_counter() - t) * 1000
from fipscrypto.policy import compile
t = time.perf_counter()
compile.openssl_section(policy)
compile_ms = (time.perf_counter() - t) * 1000
print(json.dumps({"ms": ms, "compile_ms": compile_ms, "rules": len(policy.rules)}))
"""


def _load() -> dict[str, float]:
    samples = [
        json.loads(subprocess.run([sys.executable, "-c", LOAD], capture_output=True, check=True).stdout)
        for _ in range(PROCESSES)
    ]
    return {
        "ms": statistics.median(s["ms"] for s in samples),
        "compile_ms": statistics.median(s["compile_ms"] for s in samples),
        "rules": samples[0]["rules"],
    }


def main() -> dict[str, float]:
    fipscrypto.activate()
    from fipscrypto import enforce, policy

    active = policy.current()

    def decide() -> object:
        return enforce.require("bench.policy", "cipher", "aes-256-gcm")

    def evaluate() -> object:
        return active.check("cipher", "aes-256-gcm")

    rounds = [_round(decide, evaluate, 0.3) for _ in range(ROUNDS)]
    ours = statistics.median(r[0] for r in rounds)
    theirs = statistics.median(r[1] for r in rounds)
    result = {"require_us": ours * 1e6, "check_us": theirs * 1e6, "ratio": ours / theirs}
    load = _load()
    result.update(load_ms=load["ms"], rules=load["rules"], compile_ms=load["compile_ms"])
    print(
        f"policy fips-140-3 ({load['rules']} rules), median of {PROCESSES} fresh processes: import, parse"
        f" and validate {load['ms']:.1f} ms; compile the ssl_conf section {load['compile_ms']:.2f} ms"
    )
    print(
        f"policy decision: enforce.require {result['require_us']:.2f} us, Policy.check "
        f"{result['check_us']:.2f} us (require/check {result['ratio']:.3f}x)"
    )
    return result


if __name__ == "__main__":
    main()
