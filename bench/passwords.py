"""Password hashing: ``passwords.hash`` and ``passwords.verify`` against the same PBKDF2-HMAC-SHA-512
done with cryptography's ``PBKDF2HMAC`` on the same provider (same iteration count, 16-byte salt,
64-byte key), one call of each side per round, interleaved, median of ROUNDS rounds.

The iteration count is what ``passwords.hash`` uses by default: the active policy's floor. The work
is the provider's PBKDF2; what fipscrypto adds is the policy, the salt from the DRBG, the PHC string
and, for verify, parsing it and the constant-time comparison.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

import fipscrypto

ROUNDS = 5


def _seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> dict[str, dict[str, float]]:
    fipscrypto.activate()
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

    from fipscrypto import passwords

    secret = b"correct horse battery staple"
    stored = passwords.hash(secret)
    iterations = int(stored.split("$")[2].removeprefix("i="))
    salt = os.urandom(16)
    key = PBKDF2HMAC(hashes.SHA512(), 64, salt, iterations).derive(secret)

    def theirs_hash() -> bytes:
        return PBKDF2HMAC(hashes.SHA512(), 64, os.urandom(16), iterations).derive(secret)

    def theirs_verify() -> None:
        PBKDF2HMAC(hashes.SHA512(), 64, salt, iterations).verify(secret, key)

    cases = {
        "hash": (lambda: passwords.hash(secret), theirs_hash),
        "verify": (lambda: passwords.verify(secret, stored), theirs_verify),
    }
    results = {}
    print(f"password hashing, PBKDF2-HMAC-SHA-512 with {iterations:,} iterations, median of {ROUNDS} rounds")
    for name, (ours, theirs) in cases.items():
        times = [(_seconds(ours), _seconds(theirs)) for _ in range(ROUNDS)]
        a = statistics.median(t[0] for t in times)
        b = statistics.median(t[1] for t in times)
        results[name] = {"fipscrypto_ms": a * 1e3, "cryptography_ms": b * 1e3, "ratio": a / b}
        print(f"  {name:8} {a * 1e3:8.1f} ms  vs {b * 1e3:8.1f} ms   ratio {a / b:.3f}x")
    return results


if __name__ == "__main__":
    main()
