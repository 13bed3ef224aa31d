"""Key generation inside the FIPS provider, and ``fipscheck status``, against their peers.

- Key pairs: ``fipscrypto.keys`` (the provider's EVP_PKEY_keygen in fipscrypto's private context,
  the policy, the pairwise-consistency test, the audit event) against cryptography's own generation
  in the same process (outside the provider: RSA_generate_key_ex, EC_KEY_generate_key,
  DH_generate_key). Median time per key over ROUNDS rounds, interleaved.
- Opening the private context: in a fresh process, the first ``keys.inside.get()`` after activation.
- ``fipscheck status --json`` against a bare ``import fipscrypto; fipscrypto.activate()``: wall time
  of fresh processes, interleaved, median of PROCESSES each.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import fipscrypto

ROUNDS = 7
PROCESSES = 9
OPEN_CONTEXT = """
import json, time, fipscrypto
fipscrypto.activate()
from fipscrypto import keys
start = time.perf_counter()
keys.inside.get()
print(json.dumps({"ms": (time.perf_counter() - start) * 1000}))
"""


def _time(fn: Callable[[], object], count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        fn()
    return (time.perf_counter() - start) / count * 1000


def _generation() -> dict[str, dict[str, float]]:
    from cryptography.hazmat.primitives.asymmetric import dh, ec, rsa

    from fipscrypto import keys

    group = keys.GROUPS["ffdhe3072"]
    with warnings.catch_warnings():  # cryptography deprecates FFDH (see fipscrypto._backend.keys)
        warnings.simplefilter("ignore")
        ffdhe3072 = dh.DHParameterNumbers(group.p, group.g, group.q).parameters()
    cases: dict[str, tuple[Callable[[], object], Callable[[], object], int]] = {
        "ECDSA P-256": (
            lambda: keys.generate_signing_key("ecdsa-p256"),
            lambda: ec.generate_private_key(ec.SECP256R1()),
            100,
        ),
        "ECDH P-384": (
            lambda: keys.generate_agreement_key("ecdh-p384"),
            lambda: ec.generate_private_key(ec.SECP384R1()),
            50,
        ),
        "FFDH ffdhe3072": (
            lambda: keys.generate_agreement_key("ffdh", group="ffdhe3072"),
            ffdhe3072.generate_private_key,
            10,
        ),
        "RSA-3072": (
            lambda: keys.generate_signing_key("rsa-pss", bits=3072),
            lambda: rsa.generate_private_key(65537, 3072),
            2,
        ),
    }
    results = {}
    for name, (ours, theirs, count) in cases.items():
        ours()  # the private context, the family's self-tests and the grants are ready
        pairs = [(_time(ours, count), _time(theirs, count)) for _ in range(ROUNDS)]
        a, b = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
        results[name] = {"fipscrypto_ms": a, "cryptography_ms": b, "ratio": a / b}
    return results


def _wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False)
    return (time.perf_counter() - start) * 1000


def _processes() -> dict[str, float]:
    fipscheck = str(Path(sys.executable).parent / "fipscheck")
    activate = [sys.executable, "-c", "import fipscrypto; fipscrypto.activate()"]
    status, bare, opened = [], [], []
    for _ in range(PROCESSES):
        status.append(_wall([fipscheck, "status", "--json"]))
        bare.append(_wall(activate))
        done = subprocess.run(
            [sys.executable, "-c", OPEN_CONTEXT], capture_output=True, text=True, check=True
        )
        opened.append(json.loads(done.stdout.splitlines()[-1])["ms"])
    s, b = statistics.median(status), statistics.median(bare)
    return {"status_ms": s, "activation_ms": b, "ratio": s / b, "open_context_ms": statistics.median(opened)}


def main() -> dict[str, object]:
    fipscrypto.activate()
    generation = _generation()
    processes = _processes()
    print(f"key generation, median ms per key over {ROUNDS} rounds (fipscrypto in the provider vs")
    print("cryptography outside it, same process)")
    for name, r in generation.items():
        times = f"{r['fipscrypto_ms']:9.2f} ms vs {r['cryptography_ms']:9.2f} ms"
        print(f"  {name:<16} {times}   ratio {r['ratio']:.2f}x")
    print(f"  opening the private provider context (fresh process): {processes['open_context_ms']:.0f} ms")
    print(f"fipscheck status --json vs bare activation, median of {PROCESSES} fresh processes")
    print(
        f"  status {processes['status_ms']:.0f} ms | activation {processes['activation_ms']:.0f} ms"
        f" | ratio {processes['ratio']:.2f}x"
    )
    return {"generation": generation, "processes": processes}


if __name__ == "__main__":
    main()
