"""Power-on and on-demand self-tests (installed as ``fipscrypto.selftests``).

Each test is registered next to the family it covers (Go's CAST style), with a unique name, its
family, and the services it unlocks; see :mod:`.registry`. Activation runs the integrity test and the
provider proof (:data:`EAGER`, via :func:`run_power_on`); every other family runs once, before the
first use of a service it unlocks (:func:`prove`). Any failure latches ERROR. :func:`run_all` runs
them all on demand (``fipscheck selftest``): a complete run that passes returns a module in ERROR to
OPERATIONAL.

Conditional tests run where their operation runs: the pairwise-consistency tests in
:mod:`fipscrypto.keys` (``pct-<family>``) and the DRBG's continuous entropy test in
:mod:`fipscrypto.rand` (``drbg-entropy-continuous``). Fault injection covers them too.
"""

from __future__ import annotations

import contextlib

from fipscrypto import _faults, _fork, module
from fipscrypto.errors import SelfTestFailure

from .registry import (
    EAGER,
    Event,
    Result,
    SelfTest,
    expect,
    register,
    registered,
    run,
    subscribe,
    unsubscribe,
)

# Registering modules: importing them adds their tests to the registry (FIRST orders the start).
from . import provider  # noqa: F401  # isort: skip
from . import hashes, ciphers, kdf, rand  # noqa: F401  # isort: skip
from . import srtp  # noqa: F401  # isort: skip
from . import ipsec  # noqa: F401  # isort: skip
from . import keys  # noqa: F401  # isort: skip
from . import integrity  # noqa: F401  # isort: skip

__all__ = [
    "CONDITIONAL",
    "EAGER",
    "Event",
    "Result",
    "SelfTest",
    "clear_faults",
    "expect",
    "inject_fault",
    "last_results",
    "prove",
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

_results: dict[str, Result] = {}  # the latest result of each test in this process
_passed: set[str] = set()  # tests that passed and need not run again before a use
_lock = _fork.rlock()


def last_results() -> list[Result]:
    """The latest result of each test run in this process (power-on, first use, or on demand)."""
    with _lock:
        return [_results[t.name] for t in registered() if t.name in _results]


def _remember(results: list[Result]) -> SelfTestFailure | None:
    """Keep the results; the first failure, if any."""
    with _lock:
        for result in results:
            _results[result.name] = result
            if result.passed:
                _passed.add(result.name)
            else:
                _passed.discard(result.name)
    return next((SelfTestFailure(r.name, r.detail) for r in results if not r.passed), None)


def run_power_on() -> dict[str, float]:
    """Activation: the tests of :data:`~.registry.EAGER`, stopping at the first failure (raised); then
    install :func:`prove` so that every other family runs before its first use. Each passing test's ms."""
    results = run(names=EAGER, stop_at_failure=True)
    failure = _remember(results)
    if failure is not None:
        raise failure
    module.set_prover(prove)
    return {r.name: r.ms for r in results}


def prove(service: str) -> None:
    """Before the first use of ``service``: run, once, every test that unlocks it and has not passed.

    Thread-safe: concurrent first uses wait for one run. A failure latches ERROR and is raised.
    """
    with _lock:
        pending = [t.name for t in registered() if service in t.services and t.name not in _passed]
        if not pending:
            return
        failure = _remember(run(names=pending, stop_at_failure=True))
    if failure is not None:
        module.enter_error(str(failure))
        raise failure


def run_all(*, family: str | None = None) -> list[Result]:
    """Run every test (or one family) on demand and return every result.

    A failure latches ERROR. A complete run in which every test passes returns a module in ERROR to
    OPERATIONAL (a one-family run cannot: it does not prove the rest).
    """
    if module.info().state is module.State.POWER_ON:
        with contextlib.suppress(Exception):  # a power-on failure leaves ERROR; the full run reports it
            module.activate()
    with _lock:
        results = run(family=family)
        failure = _remember(results)
    if failure is not None:
        module.enter_error(str(failure))
    elif family is None and results:
        module.recover()
    return results
