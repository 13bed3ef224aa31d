"""AES-256-GCM as users call it, against cryptography's AESGCM on the same FIPS provider, in one process.

- random nonces (the default ``AESGCM(key)``) against cryptography with an ``os.urandom(12)`` nonce
  per message;
- counter nonces (``nonces="counter"``) against cryptography with a counter nonce per message;
- decryption of what each produced (the same nonce and ciphertext for both);

at 64 B, 1,200 B and 1 MiB. Medians of ROUNDS rounds, each round interleaved in alternating slices
(bench/services.py ``_round``).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from services import compare

import fipscrypto

ROUNDS = int(os.environ.get("GCM_ROUNDS", "9"))
SIZES = (("64 B", 64), ("1,200 B", 1200), ("1 MiB", 1 << 20))


def main() -> dict[str, dict[str, float]]:
    fipscrypto.activate()
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM as CAESGCM

    from fipscrypto import aead, rand

    key = rand.random_bytes(32)
    ours_random = aead.AESGCM(key)
    ours_counter = aead.AESGCM(key, nonces="counter")
    theirs = CAESGCM(key)
    counter = iter(range(1 << 62))

    def c_random(data: bytes) -> bytes:
        return theirs.encrypt(os.urandom(12), data, None)

    def c_counter(data: bytes) -> bytes:
        return theirs.encrypt(next(counter).to_bytes(12, "big"), data, None)

    cases: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {}
    for label, size in SIZES:
        data = os.urandom(size)
        nonce, sealed = ours_random.encrypt(data)
        cases[f"encrypt {label}, random nonces"] = (
            lambda d=data: ours_random.encrypt(d),
            lambda d=data: c_random(d),
        )
        cases[f"encrypt {label}, counter nonces"] = (
            lambda d=data: ours_counter.encrypt(d),
            lambda d=data: c_counter(d),
        )
        cases[f"decrypt {label}"] = (
            lambda n=nonce, s=sealed: ours_random.decrypt(n, s),
            lambda n=nonce, s=sealed: theirs.decrypt(n, s, None),
        )
    return compare("AES-256-GCM", cases, 34, ROUNDS)


if __name__ == "__main__":
    main()
