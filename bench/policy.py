"""The cost of a policy decision on a service's path: ``fipscrypto.enforce.require`` (the gate, the
per-day verdict cache, the mode) against ``Policy.check`` (evaluating the rules), in one process,
median of ROUNDS rounds taken in alternating slices (bench/services.py's method)."""

from __future__ import annotations

import statistics

from services import ROUNDS, _round

import fipscrypto


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
    print(
        f"policy decision: enforce.require {result['require_us']:.2f} us, Policy.check "
        f"{result['check_us']:.2f} us (require/check {result['ratio']:.3f}x)"
    )
    return result


if __name__ == "__main__":
    main()
