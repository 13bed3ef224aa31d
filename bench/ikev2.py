"""The IKEv2 key schedule (``fipscrypto.ipsec.ikev2``) against the raw KDF calls it is built on.

- Each step of the schedule (its checks, the policy's verdicts on the suite, the indicator) against
  the ``fipscrypto.kdf`` calls that compute the same keys: the IKE SA (SKEYSEED, then SK_*), an RFC
  9370 additional key exchange (SKEYSEED(n), then SK_*(n)), a Child SA (KEYMAT). Median of ROUNDS
  interleaved rounds, in one process.
- A whole IKE_SA_INIT for both parties (two key pairs generated in the provider, two agreements,
  two IKE SAs) with MODP-4096 (group 16) and with P-256 (group 19): what one IKE SA costs.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import fipscrypto

ROUNDS = 9
SECRET, NI, NR, SPI_I, SPI_R = b"\x05" * 512, bytes(range(32)), bytes(range(32, 64)), b"\x01" * 8, b"\x02" * 8


def _time(fn: Callable[[], object], count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        fn()
    return (time.perf_counter() - start) / count * 1e6


def _steps() -> dict[str, dict[str, float]]:
    from fipscrypto import kdf
    from fipscrypto.ipsec import ikev2

    suite, child = ikev2.IkeSuite(), ikev2.ChildSuite()
    sa = ikev2.IkeSa(suite, SECRET, ni=NI, nr=NR, spi_i=SPI_I, spi_r=SPI_R)
    sk_d = sa.keys.sk_d

    def raw_sa() -> object:
        skeyseed = kdf.ikev2_skeyseed(NI, NR, SECRET, digest="sha384")
        return kdf.ikev2_derive_sk(
            skeyseed, NI, NR, SPI_I, SPI_R, encryption_key_length=36, integrity_key_length=0, digest="sha384"
        )

    def schedule_addke() -> object:
        waiting = ikev2.IkeSa.__new__(ikev2.IkeSa)  # an SA with one exchange pending (its SK_d: sa's)
        waiting._set(suite, NI, NR, SPI_I, SPI_R)
        waiting._keys, waiting._pending = sa.keys, (36,)
        return waiting.add_key_exchange(SECRET[:32])

    def raw_addke() -> object:
        skeyseed = kdf.ikev2_rekey_skeyseed(sk_d, SECRET[:32], NI, NR, digest="sha384")
        return kdf.ikev2_derive_sk(
            skeyseed, NI, NR, SPI_I, SPI_R, encryption_key_length=36, integrity_key_length=0, digest="sha384"
        )

    cases: dict[str, tuple[Callable[[], object], Callable[[], object], int]] = {
        "IKE SA (SKEYSEED, SK_*)": (
            lambda: ikev2.IkeSa(suite, SECRET, ni=NI, nr=NR, spi_i=SPI_I, spi_r=SPI_R),
            raw_sa,
            500,
        ),
        "additional key exchange": (schedule_addke, raw_addke, 500),
        "Child SA (KEYMAT)": (
            lambda: sa.child_sa(child),
            lambda: kdf.ikev2_child_keymat(sk_d, NI, NR, length=72, digest="sha384"),
            500,
        ),
    }
    results = {}
    for name, (ours, raw, count) in cases.items():
        ours(), raw()
        pairs = [(_time(ours, count), _time(raw, count)) for _ in range(ROUNDS)]
        a, b = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
        results[name] = {"schedule_us": a, "kdf_us": b, "ratio": a / b}
    return results


def _init(group: int) -> None:
    from fipscrypto.ipsec import ikev2

    suite = ikev2.IkeSuite(ke=group)
    kei = ikev2.KeyExchange(group)
    ker, secret_r = ikev2.KeyExchange.respond(group, kei.payload)
    secret_i = kei.complete(ker.payload)
    ikev2.IkeSa(suite, secret_i, ni=NI, nr=NR, spi_i=SPI_I, spi_r=SPI_R)
    ikev2.IkeSa(suite, secret_r, ni=NI, nr=NR, spi_i=SPI_I, spi_r=SPI_R)


def _handshakes() -> dict[str, float]:
    counts = {16: 2, 19: 20}
    for group in counts:
        _init(group)
    rounds: dict[int, list[float]] = {group: [] for group in counts}
    for _ in range(ROUNDS):
        for group, count in counts.items():
            rounds[group].append(_time(lambda group=group: _init(group), count) / 1000)
    return {f"group {group}": statistics.median(times) for group, times in rounds.items()}


def main() -> dict[str, object]:
    fipscrypto.activate()
    steps, handshakes = _steps(), _handshakes()
    print(
        f"IKEv2 key schedule vs the kdf calls it makes, median us per call over {ROUNDS} interleaved rounds"
    )
    for name, r in steps.items():
        print(f"  {name:<26} {r['schedule_us']:8.1f} us vs {r['kdf_us']:8.1f} us   ratio {r['ratio']:.2f}x")
    print("IKE_SA_INIT for both parties (two key pairs, two agreements, two IKE SAs), median ms")
    for name, ms in handshakes.items():
        print(f"  {name:<26} {ms:8.1f} ms")
    return {"steps": steps, "handshakes": handshakes}


if __name__ == "__main__":
    main()
