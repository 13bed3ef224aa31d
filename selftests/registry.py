"""The self-test registry, the runner, and the events each test emits.

A self-test is a function registered under a unique name, with the family of algorithms it covers
and the public services it unlocks. It computes a value with the code under test and hands it to
:func:`expect` with the expected value from a vector file; :func:`expect` is also where fault
injection (``FIPSCRYPTO_SELFTEST_FAIL``) corrupts the expected value, so a forced failure takes the
same path as a real one.

Order (FIPS 140-3 IG 10.3.A): the integrity test runs first, preceded only by the known-answer test
of the algorithm it uses (HMAC-SHA-256), then the provider proof, then every other family.
"""

# No "from __future__ import annotations" here: typing.NamedTuple compiles each field's annotation
# when it is a string (typing.ForwardRef), which costs activation about 3 ms for these three classes.

import time
from collections.abc import Callable, Collection, Iterator
from typing import NamedTuple

from fipscrypto import _faults, _fork, audit, module
from fipscrypto.errors import AuditError, SelfTestFailure

__all__ = [
    "EAGER",
    "FIRST",
    "Event",
    "Result",
    "SelfTest",
    "expect",
    "register",
    "registered",
    "run",
    "subscribe",
    "unsubscribe",
]

# Tests that must run before all others, in this order (the rest run in registration order).
FIRST = ("hmac-sha2-256", "integrity")
# Run at activation. The other families run once, before the first use of a service they unlock
# (their imports and KATs would otherwise cost activation about 140 ms; see docs/selftests.md).
EAGER = (*FIRST, "provider-sha2-256", "provider-aes-256-gcm", "provider-fips-properties")


class SelfTest(NamedTuple):
    name: str
    family: str  # e.g. "SHA-2", "KDF-TLS"
    services: tuple[str, ...]  # the public services this test unlocks, e.g. ("hashes.digest",)
    run: Callable[[], str | None]  # None, or a note for a pass (e.g. an absent optional backend)
    needs_provider: bool = True


class Result(NamedTuple):
    name: str
    family: str
    passed: bool
    ms: float
    detail: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "family": self.family,
            "result": "pass" if self.passed else "fail",
            "ms": round(self.ms, 3),
            "detail": self.detail,
        }


class Event(NamedTuple):
    """What a listener receives: ``kind`` is "start", "pass" or "fail"; ``ms`` is 0 at the start."""

    kind: str
    name: str
    family: str
    ms: float = 0.0
    detail: str = ""


_registry: dict[str, SelfTest] = {}
_listeners: list[Callable[[Event], None]] = []
_lock = _fork.lock()


_Test = Callable[[], None] | Callable[[], str | None]


def register(
    name: str, family: str, *, services: tuple[str, ...] = (), needs_provider: bool = True
) -> Callable[[_Test], _Test]:
    """Register a self-test under a unique name. The function raises SelfTestFailure on failure; it may
    return a note for its pass (shown as the result's detail)."""

    def add(run: _Test) -> _Test:
        with _lock:
            if name in _registry:
                raise ValueError(f"self-test {name!r} is registered twice")
            _registry[name] = SelfTest(name, family, services, run, needs_provider)
        return run

    return add


def registered() -> tuple[SelfTest, ...]:
    """Every registered test, in the order they run."""
    with _lock:
        tests = list(_registry.values())
    first = [t for name in FIRST for t in tests if t.name == name]
    return (*first, *(t for t in tests if t.name not in FIRST))


def expect(name: str, computed: bytes, expected: bytes, what: str = "output") -> None:
    """Fail the test ``name`` unless ``computed`` equals ``expected`` (corrupted under fault injection)."""
    if computed != _faults.corrupt(name, expected):
        raise SelfTestFailure(name, f"{what} differs from the known answer")


def subscribe(listener: Callable[[Event], None]) -> None:
    """Call ``listener`` with every start, pass and fail event (the audit log receives them too)."""
    with _lock:
        _listeners.append(listener)


def unsubscribe(listener: Callable[[Event], None]) -> None:
    with _lock:
        _listeners.remove(listener)


def _emit(event: Event) -> None:
    audit.emit(
        f"selftest-{event.kind}", test=event.name, family=event.family, ms=event.ms, detail=event.detail
    )
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(event)


def _selected(family: str | None, names: Collection[str] | None) -> Iterator[SelfTest]:
    with_provider = module.info().mode is not module.Mode.OFF
    for test in registered():
        if test.needs_provider and not with_provider:
            continue  # off mode: no provider to prove
        if names is not None and test.name not in names:
            continue
        if family is None or test.family.lower() == family.lower():
            yield test


def _run_one(test: SelfTest) -> Result:
    _emit(Event("start", test.name, test.family))
    start = time.perf_counter()
    try:
        with module.self_test_scope():
            note = test.run()
    except SelfTestFailure as exc:
        result = Result(test.name, test.family, False, (time.perf_counter() - start) * 1000, exc.detail)
    except Exception as exc:  # whatever the code under test raises, the test fails closed
        detail = f"{type(exc).__name__}: {exc}"
        result = Result(test.name, test.family, False, (time.perf_counter() - start) * 1000, detail)
    else:
        result = Result(test.name, test.family, True, (time.perf_counter() - start) * 1000, note or "")
    if not result.passed:  # FIPS 140-3: a failed self-test is an error state, latched before any report
        module.enter_error(str(SelfTestFailure(test.name, result.detail)))
    try:
        _emit(Event("pass" if result.passed else "fail", test.name, test.family, result.ms, result.detail))
    except AuditError:
        if result.passed:
            raise
        # The failure is latched and returned to the caller, who raises it: a failing audit sink
        # must not hide it.
    return result


def run(
    *, family: str | None = None, names: Collection[str] | None = None, stop_at_failure: bool = False
) -> list[Result]:
    """Run the registered tests (of one family, or the named ones, or all) and return one result each."""
    results = []
    for test in _selected(family, names):
        results.append(_run_one(test))
        if stop_at_failure and not results[-1].passed:
            break
    return results
