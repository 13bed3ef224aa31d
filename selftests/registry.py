"""The self-test registry."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from fipscrypto import module
from fipscrypto.errors import SelfTestFailure

__all__ = ["SelfTest", "register", "registered", "run_power_on"]


@dataclass(frozen=True)
class SelfTest:
    name: str
    family: str
    run: Callable[[], None]
    needs_provider: bool


_registry: dict[str, SelfTest] = {}


def register(
    name: str, family: str, *, needs_provider: bool = True
) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Register a self-test under a unique name. The function raises on failure."""

    def add(run: Callable[[], None]) -> Callable[[], None]:
        if name in _registry:
            raise ValueError(f"self-test {name!r} is registered twice")
        _registry[name] = SelfTest(name, family, run, needs_provider)
        return run

    return add


def registered() -> tuple[SelfTest, ...]:
    return tuple(_registry.values())


def run_power_on() -> dict[str, float]:
    """Run every registered test; return each one's duration in milliseconds.

    Provider tests are skipped in ``off`` mode, where there is no provider to prove.
    """
    with_provider = module.info().mode is not module.Mode.OFF
    timings: dict[str, float] = {}
    for test in _registry.values():
        if test.needs_provider and not with_provider:
            continue
        start = time.perf_counter()
        try:
            test.run()
        except SelfTestFailure:
            raise
        except Exception as exc:  # whatever the provider raises, the test fails closed
            raise SelfTestFailure(test.name, f"{type(exc).__name__}: {exc}") from exc
        timings[test.name] = (time.perf_counter() - start) * 1000
    return timings
