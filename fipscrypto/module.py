"""The module's modes, its state machine and the service gate.

States follow FIPS 140-3: ``POWER_ON -> SELF_TEST -> OPERATIONAL | ERROR``. ERROR latches: every
service raises :class:`~fipscrypto.errors.ModuleErrorState` until a complete on-demand self-test run
succeeds. In off mode activation ends in NON_APPROVED instead of OPERATIONAL: services run, and
none of them is approved (there is no provider). Every public service calls :func:`gate` first; its
fast path is a single comparison, so protocol code (SRTP, ESP) can call it per packet.

Modes (``FIPSCRYPTO_MODE`` or ``activate(mode=...)``, fixed for the life of the process):

- ``strict``: the FIPS provider is required; non-approved requests raise ``PolicyViolation``.
- ``audit``: the FIPS provider is required; non-approved requests are allowed and recorded.
- ``off``: no provider; development only, and reported as such everywhere.
"""

from __future__ import annotations

import contextlib
import enum
import importlib
import os
import warnings
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path

from ._fork import rlock
from ._log import ERROR, INFO, WARNING, log
from ._record import Record
from .errors import FipsError, InvalidParameter, ModeOffWarning, ModuleErrorState, ProviderUnavailable
from .provider import load
from .provider.state import ProviderRecord, StatePaths, read_record

__all__ = [
    "MODE_ENV",
    "Mode",
    "ModuleInfo",
    "State",
    "activate",
    "boot",
    "enter_error",
    "first_use",
    "gate",
    "gate_unless_self_test",
    "info",
    "mode",
    "on_error",
    "pqc_requested",
    "recover",
    "self_test_scope",
    "self_testing",
    "set_prover",
]

MODE_ENV = "FIPSCRYPTO_MODE"
_LOGGER = "fipscrypto"


class Mode(enum.Enum):
    STRICT = "strict"
    AUDIT = "audit"
    OFF = "off"


class State(enum.Enum):
    POWER_ON = "power-on"
    SELF_TEST = "self-test"
    OPERATIONAL = "operational"
    NON_APPROVED = "non-approved"  # off mode: no provider, services run, none is approved
    ERROR = "error"


class ModuleInfo(Record):
    """A snapshot of the module for status reports."""

    __slots__ = _fields = ("mode", "state", "error", "state_dir", "bindings", "config", "selftests_ms")
    mode: Mode | None
    state: State
    error: str | None
    state_dir: str
    bindings: str | None  # "fipscrypto", "external", "plain" (off mode), or None before boot
    config: str | None  # the OpenSSL configuration cryptography loaded, when fipscrypto wrote it
    selftests_ms: dict[str, float]  # the last power-on run: test name -> milliseconds

    def __init__(
        self,
        mode: Mode | None,
        state: State,
        error: str | None,
        state_dir: str,
        bindings: str | None,
        config: str | None,
        selftests_ms: dict[str, float],
    ) -> None:
        self._init(mode, state, error, state_dir, bindings, config, selftests_ms)


_lock = rlock()
_state = State.POWER_ON
_mode: Mode | None = None
_error: str | None = None
_paths: StatePaths | None = None
_bindings: str | None = None
_config: Path | None = None
_record: ProviderRecord | None = None  # the provider record boot read (None in off mode)
_selftests_ms: dict[str, float] = {}
_pqc = False  # activate(pqc=True) was called


def _resolve_mode(mode: Mode | str | None) -> Mode:
    value = mode if mode is not None else os.environ.get(MODE_ENV, Mode.STRICT.value)
    if isinstance(value, Mode):
        return value
    try:
        return Mode(value.strip().lower())
    except ValueError:
        choices = ", ".join(m.value for m in Mode)
        raise FipsError(f"unknown fipscrypto mode {value!r} (expected one of: {choices})") from None


def boot(mode: Mode | str | None = None, state_dir: str | os.PathLike[str] | None = None) -> Mode:
    """Fix the mode and load cryptography's bindings accordingly; idempotent.

    Once the mode is fixed, a call without ``mode`` accepts it and a call naming another mode (or
    another state folder) raises.

    Does not run any test: :func:`activate` does that. Raises ``ProviderUnavailable`` (leaving the
    module in POWER_ON, so a later call can succeed) when no provider is provisioned, and latches
    ERROR when cryptography was already imported without the provider.
    """
    global _mode, _paths, _bindings, _config, _record
    with _lock:
        if _mode is not None:
            if mode is not None and _resolve_mode(mode) is not _mode:
                raise FipsError(
                    f"fipscrypto is already running in {_mode.value} mode; the mode is fixed for "
                    "the life of the process"
                )
            if state_dir is not None and _paths != StatePaths.resolve(state_dir):
                raise FipsError(
                    f"fipscrypto already runs on the provider in {_paths and _paths.root}; a process "
                    "loads one provider configuration, once"
                )
            return _mode
        if _state is State.ERROR:
            raise ModuleErrorState(_error or "unknown")
        wanted = _resolve_mode(mode)
        paths = StatePaths.resolve(state_dir)
        record: ProviderRecord | None = None
        if wanted is Mode.OFF:
            importlib.import_module(load.BINDINGS)
            bindings = "plain"
            warnings.warn(
                "fipscrypto runs with FIPS mode OFF: no FIPS provider, development use only",
                ModeOffWarning,
                stacklevel=2,
            )
            log(_LOGGER, WARNING, "FIPS mode OFF: no FIPS provider is loaded (development use only)")
        else:
            premature = load.bindings_imported()
            try:
                # Not provisioned: say so before compiling anything.
                record = read_record(paths) if premature else load.require_record(paths)
                if wanted is Mode.STRICT:
                    _refuse_writable(paths, record)
                if premature or record is None:  # (None only when premature: require_record raises)
                    # No configuration of ours can reach cryptography's OpenSSL any more.
                    bindings = load.external_bindings()
                else:
                    conf = _runtime_config(paths, wanted, record)
                    bindings = load.load_bindings(conf, record)
                    _config = conf if bindings == "fipscrypto" else None
            except ProviderUnavailable as exc:
                if premature:
                    enter_error(exc.message)
                raise
        _mode, _paths, _bindings, _record = wanted, paths, bindings, record
        return wanted


def _refuse_writable(paths: StatePaths, record: ProviderRecord | None) -> None:
    """Strict mode does not load a provider that any user could have replaced (see writable_by_others)."""
    from .provider.state import writable_by_others

    found = writable_by_others(paths, record)
    if found:
        raise ProviderUnavailable(
            f"the provider's files are writable by any user: {', '.join(found)}",
            "remove write permission for others (chmod o-w) and check that the files are the ones "
            "'fipscheck provider install' wrote; 'fipscheck provider verify' re-checks them",
        )


def _runtime_config(paths: StatePaths, mode: Mode, record: ProviderRecord) -> Path:
    """The configuration cryptography's OpenSSL reads: the provider section of ``mode`` and the active
    policy's TLS section, compiled for what that OpenSSL can negotiate (as ``fipscheck provider
    install`` measured it)."""
    from .policy.runtime import active_spec, tls_section
    from .provider.config import fips_section, write_runtime_config

    tls = tls_section(active_spec(), paths.root / "runtime", record.tls_negotiable)
    return write_runtime_config(paths, fips_section(paths, record, strict=mode is Mode.STRICT), tls)


def activate(
    mode: Mode | str | None = None,
    *,
    state_dir: str | os.PathLike[str] | None = None,
    pqc: bool | None = None,
) -> State:
    """Bring the module to OPERATIONAL: load the provider, prove it, run the power-on self-tests.

    Idempotent and thread-safe. The mode comes from ``mode``, else ``FIPSCRYPTO_MODE``, else strict.
    ``pqc=True`` turns the post-quantum module (``fipscrypto.pqc``) on for the life of the process;
    ``FIPSCRYPTO_PQC=1`` and the policy can turn it on too.
    """
    global _state, _selftests_ms, _pqc
    with _lock:
        if pqc is not None and type(pqc) is not bool:
            raise InvalidParameter(f"activate(pqc=...) takes True or False, not {pqc!r}")
        _pqc = _pqc or bool(pqc)
        if _state is State.OPERATIONAL or _state is State.NON_APPROVED:
            boot(mode, state_dir)  # only checks that the mode agrees
            return _state
        if _state is State.ERROR:
            raise ModuleErrorState(_error or "unknown")
        if _state is State.SELF_TEST:
            raise ModuleErrorState("a service was called by a self-test while self-tests run")
        boot(mode, state_dir)
        _state = State.SELF_TEST
        try:
            # The core reaches the self-tests only here (dependency direction: selftests -> core).
            selftests = importlib.import_module("fipscrypto.selftests")
            _selftests_ms = selftests.run_power_on()
            _audit_activation()  # a sink that cannot record it fails activation, as for the self-tests
        except Exception as exc:
            cause = _provider_cause() if _bindings == "fipscrypto" else None
            enter_error(str(cause or exc))
            if cause is not None:
                raise cause from exc
            raise
        _state = _serving()
        log(
            _LOGGER,
            INFO,
            "fipscrypto operational (mode=%s, bindings=%s)",
            _mode and _mode.value,
            _bindings,
        )
        return _state


def _audit_activation() -> None:
    """The ``activation`` event: the mode, the provider's identity as installed (name, version, build,
    the SHA-256 of its ``fips.so``), the policy named for the process and the power-on self-tests."""
    from .audit import emit  # (audit imports nothing of the core)
    from .policy.runtime import active_spec

    provider = _record
    emit(
        "activation",
        mode=_mode and _mode.value,
        state=_serving().value,
        bindings=_bindings,
        provider=provider and provider.name,
        provider_version=provider and provider.version,
        provider_buildinfo=provider and provider.buildinfo,
        provider_sha256=provider and provider.module_sha256,
        policy=active_spec(),
        pqc=_pqc,
        selftests=len(_selftests_ms),
        selftests_ms=round(sum(_selftests_ms.values()), 3),
    )


def _provider_cause() -> ProviderUnavailable | None:
    """After a failed proof: the provider's own fault (module changed, MAC wrong), if one is found."""
    return load.diagnose(_paths) if _paths is not None else None


# Called, in order, when the module enters ERROR (e.g. the services' revocation of standing grants
# and held key objects). The module imports nothing of the services: they register here.
_on_error: list[Callable[[], None]] = []


def on_error(callback: Callable[[], None]) -> None:
    """Have ``callback`` called each time the module enters ERROR (after the state has latched)."""
    with _lock:
        if callback not in _on_error:
            _on_error.append(callback)


def enter_error(reason: str) -> None:
    """Latch the ERROR state; every service refuses from now on."""
    global _state, _error
    with _lock:
        _state, _error = State.ERROR, reason
        callbacks = list(_on_error)
    for callback in callbacks:
        callback()
    log(_LOGGER, ERROR, "fipscrypto entered the ERROR state: %s", reason)


def recover() -> None:
    """Leave ERROR after a complete on-demand self-test run passed (``selftests.run_all`` only).

    Key objects revoked on entering ERROR stay revoked: make new ones.
    """
    global _state, _error
    with _lock:
        if _state is State.ERROR and _bindings is not None:
            _state, _error = _serving(), None
            log(_LOGGER, WARNING, "fipscrypto recovered from ERROR: every self-test passed on demand")
            from .audit import emit  # (audit imports nothing of the core)

            emit("module-recovered")


def _serving() -> State:
    """The state a module that passed its self-tests is in: NON_APPROVED in off mode."""
    return State.NON_APPROVED if _mode is Mode.OFF else State.OPERATIONAL


def pqc_requested() -> bool:
    """True once ``activate(pqc=True)`` was called (read by ``fipscrypto.pqc.enabled``)."""
    return _pqc


def mode() -> Mode | None:
    """The mode, once fixed (None before the first activation or boot)."""
    return _mode


# Enum members read through their class cost ~100 ns each in CPython 3.11; the gate runs per call.
_OPERATIONAL, _NON_APPROVED, _ERROR = State.OPERATIONAL, State.NON_APPROVED, State.ERROR


def gate() -> None:
    """Called first by every public service; raises when no service may run, activates on first use."""
    if _state is _OPERATIONAL or _state is _NON_APPROVED:
        return
    if _state is _ERROR:
        raise ModuleErrorState(_error or "unknown")
    activate()


# Services whose self-tests have passed. fipscrypto.selftests installs the prover at activation; it
# runs the tests of a family once, before the first use of a service the family unlocks.
_proven: set[str] = set()
_prover: list[Callable[[str], None]] = []


def first_use(service: str) -> None:
    """Run the self-tests that unlock ``service`` unless they ran (SelfTestFailure latches ERROR)."""
    for prove in _prover:
        prove(service)
    _proven.add(service)


def set_prover(prove: Callable[[str], None]) -> None:
    _prover[:] = [prove]


_self_testing: ContextVar[bool] = ContextVar("fipscrypto_self_testing", default=False)


@contextlib.contextmanager
def self_test_scope() -> Iterator[None]:
    """Run a self-test: within it, :func:`gate_unless_self_test` lets code under test run in any state."""
    token = _self_testing.set(True)
    try:
        yield
    finally:
        _self_testing.reset(token)


def self_testing() -> bool:
    """True inside :func:`self_test_scope` (code under test, run by a self-test)."""
    return _self_testing.get()


def gate_unless_self_test() -> None:
    """The gate, for code that a self-test also runs (e.g. constructing an HMAC_DRBG): a self-test must
    reach it while the module is in SELF_TEST or ERROR (an on-demand run that may recover)."""
    if _state is not _OPERATIONAL and not _self_testing.get():
        gate()


def info() -> ModuleInfo:
    with _lock:
        root = (_paths or StatePaths.resolve()).root
        config = str(_config) if _config is not None else None
        return ModuleInfo(_mode, _state, _error, str(root), _bindings, config, dict(_selftests_ms))
