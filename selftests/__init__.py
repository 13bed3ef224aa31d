"""Power-on and on-demand self-tests (installed as ``fipscrypto.selftests``).

Each test is registered next to the family it covers (Go's CAST style), with a unique name, its
family, and the services it unlocks; see :mod:`.registry`. Activation runs every test
(:func:`run_power_on`, stopping at the first failure, which latches ERROR). :func:`run_all` re-runs
them on demand (``fipscheck selftest``): a failure latches ERROR, and a complete run that passes
returns a module in ERROR to OPERATIONAL.

Conditional tests run where their operation runs: the pairwise-consistency tests in
:mod:`fipscrypto.keys` (``pct-<family>``) and the DRBG's continuous entropy test in
:mod:`fipscrypto.rand` (``drbg-entropy-continuous``). Fault injection covers them too.
"""

from __future__ import annotations

import contextlib

from fipscrypto import _faults, module
from fipscrypto.errors import SelfTestFailure

from .registry import Event, Result, SelfTest, expect, register, registered, run, subscribe, unsubscribe

# Registering modules: importing them adds their tests to the registry (FIRST orders the start).
from . import provider  # noqa: F401  # isort: skip
from . import hashes, ciphers, kdf, rand  # noqa: F401  # isort: skip
from . import keys  # noqa: F401  # isort: skip
from . import integrity  # noqa: F401  # isort: skip

__all__ = [
    "CONDITIONAL",
    "Event",
    "Result",
    "SelfTest",
    "clear_faults",
    "expect",
    "inject_fault",
    "last_results",
    "register",
    "registered",
    "run_all",
    "run_power_on",
    "subscribe",
    "unsubscribe",
]

# Conditional tests (not in the registry: they run with the operation they guard).
CONDITIONAL = (
    "pct-rsa",
    "pct-ecdsa",
    "pct-eddsa",
    "pct-ml-dsa",
    "pct-ecdh",
    "pct-ffdh",
    "drbg-entropy-continuous",
)

inject_fault = _faults.inject
clear_faults = _faults.clear

_last: list[Result] = []


def last_results() -> list[Result]:
    """The results of the last run in this process (power-on or on demand)."""
    return list(_last)


def _remember(results: list[Result]) -> None:
    _last[:] = results


def run_power_on() -> dict[str, float]:
    """Run every test, stopping at the first failure (raised); each passing test's milliseconds."""
    results = run(stop_at_failure=True)
    _remember(results)
    for result in results:
        if not result.passed:
            raise SelfTestFailure(result.name, result.detail)
    return {r.name: r.ms for r in results}


def run_all(*, family: str | None = None) -> list[Result]:
    """Run every test (or one family) on demand and return every result.

    A failure latches ERROR. A complete run in which every test passes returns a module in ERROR to
    OPERATIONAL (a one-family run cannot: it does not prove the rest).
    """
    if module.info().state is module.State.POWER_ON:
        with contextlib.suppress(Exception):  # a power-on failure leaves ERROR; the full run reports it
            module.activate()
    results = run(family=family)
    _remember(results)
    failed = [r for r in results if not r.passed]
    if failed:
        module.enter_error(str(SelfTestFailure(failed[0].name, failed[0].detail)))
    elif family is None and results:
        module.recover()
    return results
