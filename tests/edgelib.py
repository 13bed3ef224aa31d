"""Bad input for every public entry point, derived from the valid calls in tests/service_calls.py.

Each valid call there is read as a call template (the called function and the expressions of its
arguments). ``inspect.signature`` binds the arguments to their parameters, defaults included, so a
sweep can replace one argument at a time, by name, whatever the parameters are called and whether
they are positional or keyword-only. Argument expressions are evaluated afresh for every call (a
stream argument is consumed by the call it is given to); a method's object is made once per sweep,
so that the sweep can check that a refused call left it working.

Used in-process by tests/test_public_edges.py (strict mode) and in a fresh interpreter in audit mode
(``python tests/edgelib.py audit NAME...`` prints the findings as JSON).
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import json
import math
import os
import random
import resource
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import edge_calls
import service_calls

# Byte-string lengths at and around the edges the services care about: empty, AES block and key
# sizes, GCM/CCM nonce sizes, hash output sizes, the 16-bit length fields and a large input.
EDGE_LENGTHS = (0, 1, 7, 8, 11, 12, 13, 15, 16, 17, 31, 32, 33, 64, 65535, 65536, 2**20)
EDGE_INTS = (-1, 0, 1, -(2**63), 2**31, 2**64, 2**1000)
# Integers a second argument takes in the name x number sweep: negative, zero, small, and a small
# RSA/FFDH size (the size that audit mode lets through to the backend).
PAIR_INTS = (-1, 0, 1, 1024, 2**64)
EDGE_STRINGS = ("", "x", "SHA256", "sha-256", "\x00", "é", "a" * 4096)
WRONG_TYPES: tuple[object, ...] = (None, 1.5, math.nan, [], [1], {}, object())
SLOW_CALL = 0.05  # seconds: a valid call slower than this gets the short catalogue
VERY_SLOW_CALL = 0.2  # seconds: and slower than this (password hashing), the minimal one
BOUND = 1.0  # seconds, or 10 valid calls if longer: a call that runs longer is interrupted (a finding)
# Entry points whose bad input can name another valid algorithm that costs more than the valid call:
# an RSA key generation (a random prime search: 0.25 s median for 3,072 bits here, with a tail of
# several seconds on a loaded machine) is legitimate work, not unbounded work.
SLOW_BOUNDS = {
    "keys.generate_signing_key": 20.0,
    "keys.generate_transport_key": 20.0,
    "keys.generate_agreement_key": 20.0,
}


def garbage(length: int) -> bytes:
    return random.Random(length).randbytes(length)  # noqa: S311 (test garbage, reproducible)


def describe(value: object) -> str:
    """A short, readable description of a test value."""
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        kind = type(value).__name__
        return f"{kind}[{len(data)}]" if len(data) > 16 else f"{kind}({data.hex() or 'empty'})"
    if isinstance(value, str):
        return f"str[{len(value)}]" if len(value) > 24 else repr(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**70:
        return f"int(2**{value.bit_length() - 1})" if value > 0 else f"int(-2**{value.bit_length() - 1})"
    if type(value) is object:
        return "object()"
    return repr(value)


# ----------------------------------------------------------------------------------- call templates


@dataclass
class Template:
    """One valid call: the callable's expression and its arguments' expressions, and the statements
    that precede it in its function (imports, local values)."""

    name: str
    setup: Any  # a code object: run into the namespace first
    func: Any  # a code object: evaluates to the callable
    args: list[tuple[bool, Any]]  # (starred, code)
    kwargs: dict[str, Any]
    source: str
    module: Any  # where the valid call is written (its globals are the namespace)

    def callable(self, namespace: dict[str, Any]) -> Callable[..., object]:
        exec(self.setup, namespace)  # noqa: S102 (the statements of our own test file)
        made: Callable[..., object] = eval(self.func, namespace)  # noqa: S307 (our own test file)
        return made

    def arguments(self, namespace: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        args: list[Any] = []
        for starred, code in self.args:
            value = eval(code, namespace)  # noqa: S307
            args += list(value) if starred else [value]
        return args, {key: eval(code, namespace) for key, code in self.kwargs.items()}  # noqa: S307


def _compile(node: ast.expr, source: Any) -> Any:
    return compile(ast.Expression(node), source.__file__, "eval")


def templates(source: Any = service_calls) -> dict[str, Template]:
    """The valid calls of ``source``.entry_points() and .object_calls(), by entry-point name."""
    tree = ast.parse(Path(source.__file__).read_text(encoding="utf-8"))
    found: dict[str, Template] = {}
    for function in tree.body:
        if not (isinstance(function, ast.FunctionDef) and function.name in ("entry_points", "object_calls")):
            continue
        table = next(node for node in ast.walk(function) if isinstance(node, ast.Dict))
        statements = [node for node in function.body if not isinstance(node, ast.Return | ast.Expr)]
        setup = compile(ast.Module(statements, type_ignores=[]), source.__file__, "exec")
        for key, value in zip(table.keys, table.values, strict=True):
            assert isinstance(key, ast.Constant), ast.dump(key)
            assert isinstance(value, ast.Lambda), ast.dump(value)
            call = value.body
            assert isinstance(call, ast.Call), f"{key.value}: not a single call"
            found[key.value] = Template(
                key.value,
                setup,
                _compile(call.func, source),
                [
                    (True, _compile(arg.value, source))
                    if isinstance(arg, ast.Starred)
                    else (False, _compile(arg, source))
                    for arg in call.args
                ],
                {kw.arg: _compile(kw.value, source) for kw in call.keywords if kw.arg is not None},
                ast.unparse(call),
                source,
            )
    return found


def namespace(module: Any, made: dict[str, Any] | None = None) -> dict[str, Any]:
    return dict(vars(module)) | {"made": made if made is not None else {}}


# ------------------------------------------------------------------------------------ value catalogue


def vocabulary_names(value: object) -> tuple[str, ...]:
    """The names of the policy vocabulary category that contains ``value`` (a valid algorithm name)."""
    from fipscrypto.policy.vocabulary import categories

    if not isinstance(value, str):
        return ()
    names: list[str] = []
    for category in categories().values():
        if value in category.names:
            names += category.names
    return tuple(dict.fromkeys(names))


def catalogue(valid: object, *, short: bool, minimal: bool = False) -> list[object]:
    """Values to put in place of ``valid``: wrong types, edge-length garbage, edge integers, odd
    strings, the bytes-like forms of a valid bytes value, and the names of its vocabulary category.
    ``minimal``: one value of each kind (for a valid call that costs most of a second)."""
    if minimal:
        return [None, 1.5, [], b"", garbage(65536), -1, 2**64, "", "\x00", *vocabulary_names(valid)]
    values: list[object] = list(WRONG_TYPES)
    lengths = (0, 1, 12, 16, 17, 65536) if short else EDGE_LENGTHS
    values += [garbage(n) for n in lengths]
    values += list(EDGE_INTS if not short else (-1, 0, 2**64))
    values += list(EDGE_STRINGS if not short else ("", "x", "\x00"))
    if isinstance(valid, bytes):
        values += [bytearray(valid), memoryview(valid)]
    values += [n for n in vocabulary_names(valid) if n != valid]
    return values


# What a parameter's annotation lets through: a wrong type that is *accepted* is a finding as well
# (str for bytes, float for int, ...). Annotations this does not understand are not judged.
_SIMPLE = {
    "bytes": (bytes, bytearray, memoryview),
    "str": (str,),
    "int": (int,),
    "None": (type(None),),
}


def accepted_types(annotation: object) -> tuple[type, ...] | None:
    if not isinstance(annotation, str) or not annotation:
        return None
    types: list[type] = []
    for part in (p.strip() for p in annotation.split("|")):
        if part not in _SIMPLE:
            return None
        types += _SIMPLE[part]
    return tuple(types)


# ------------------------------------------------------------------------------------------ the sweep


class Overtime(BaseException):
    """A call ran past BOUND (raised into it by a timer signal, so no service code catches it)."""


@contextlib.contextmanager
def bounded(seconds: float) -> Iterator[list[int]]:
    """Interrupt the call after ``seconds`` (a Python-level loop, e.g. an unbounded request served in
    chunks); cap its memory at 2 GiB above what the process holds, so a huge allocation fails
    (MemoryError, a finding) instead of taking the machine down; put back the standard streams if
    the call closed one (the yielded list then names them)."""

    def overtime(signum: int, frame: object) -> None:
        raise Overtime

    pages = int(Path("/proc/self/statm").read_text().split()[0])
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = pages * resource.getpagesize() + (2 << 30)
    previous = signal.signal(signal.SIGALRM, overtime)
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
    saved = [os.dup(fd) for fd in (0, 1, 2)]
    closed: list[int] = []
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield closed
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        for fd, copy in enumerate(saved):
            try:
                os.fstat(fd)
            except OSError:
                closed.append(fd)
            os.dup2(copy, fd)
            os.close(copy)


@dataclass
class Findings:
    """What went wrong for one entry point: one line per (arguments replaced, what happened), with
    the values that made it happen."""

    name: str
    cases: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    calls: int = 0

    def add(self, where: str, what: str, value: str) -> None:
        self.cases.setdefault((where, what), []).append(value)

    @property
    def lines(self) -> list[str]:
        found = []
        for (where, what), values in self.cases.items():
            shown = ", ".join(values[:8]) + (f", ... ({len(values)} values)" if len(values) > 8 else "")
            found.append(f"{where} = {shown}: {what}")
        return found

    def report(self) -> str:
        head = f"{self.name}: {len(self.cases)} case(s) in {self.calls} calls"
        return "\n".join([head, *(f"  - {line}" for line in self.lines)])


def _message(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 120 else text[:117] + "..."


class Sweep:
    """Calls of one entry point with one or two arguments replaced."""

    def __init__(self, template: Template, made: dict[str, Any] | None = None) -> None:
        from fipscrypto.errors import FipsError

        self.fips_error = FipsError
        self.template = template
        self.env = namespace(template.module, made)
        self.func = template.callable(self.env)
        self.signature = inspect.signature(self.func)
        self.findings = Findings(template.name)
        self.stateful = inspect.ismethod(self.func)
        self.bound = 30.0  # for the first valid call
        started = time.perf_counter()
        self.baseline = self._valid()
        cost = time.perf_counter() - started
        self.slow, self.very_slow = cost > SLOW_CALL, cost > VERY_SLOW_CALL
        self.bound = max(SLOW_BOUNDS.get(template.name, BOUND), 10 * cost)
        self.repeatable = True
        self.deterministic = False
        if self.stateful:  # a key object's method: the valid call must work again, and agree
            try:
                self.deterministic = self._same(self._valid(), self.baseline)
            except Exception as exc:
                what = f"a second valid call raised {type(exc).__name__}: {_message(exc)}"
                self.findings.add("(none)", what, template.source)
                self.repeatable = False

    def valid_arguments(self) -> dict[str, object]:
        """The valid call's arguments, by parameter name."""
        return dict(self._bound().arguments)

    def _bound(self) -> inspect.BoundArguments:
        args, kwargs = self.template.arguments(self.env)
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return bound

    def _valid(self) -> object:
        """The valid call's outcome: its result, or the type of the fipscrypto error it raised (the
        meta-test's calls need only pass the gate: a verify of a made-up tag fails to verify)."""
        bound = self._bound()
        try:
            with bounded(self.bound):
                return self.func(*bound.args, **bound.kwargs)
        except self.fips_error as exc:
            return type(exc)

    @staticmethod
    def _same(a: object, b: object) -> bool:
        try:
            return bool(a == b)
        except Exception:
            return False

    def parameters(self) -> list[inspect.Parameter]:
        kinds = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        return [p for p in self.signature.parameters.values() if p.kind not in kinds]

    def valid_value(self, name: str) -> object:
        return self._bound().arguments[name]

    def call(self, replace: dict[str, object]) -> None:
        """One call with ``replace`` put in; records anything but success or a FipsError."""
        self.findings.calls += 1
        bound = self._bound()
        bound.arguments.update(replace)
        where = ", ".join(replace)
        value = ", ".join(describe(v) for v in replace.values())
        value = f"({value})" if len(replace) > 1 else value
        refused = True
        closed: list[int] = []
        try:
            with bounded(self.bound) as closed:
                self.func(*bound.args, **bound.kwargs)
        except Overtime:
            self.findings.add(where, f"still running after {self.bound:.1f} s (interrupted)", value)
        except self.fips_error:
            pass
        except Exception as exc:
            kind = f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins.")
            self.findings.add(where, f"raised {kind}: {_message(exc)}", value)
        else:
            refused = False
            for key, given in replace.items():
                annotation = self.signature.parameters[key].annotation
                allowed = accepted_types(annotation)
                if allowed is not None and not isinstance(given, allowed):
                    self.findings.add(key, f"accepted, for `{key}: {annotation}`", describe(given))
        if closed:
            self.findings.add(where, f"closed the process's standard file descriptor(s) {closed}", value)
        if refused and self.stateful and self.repeatable:
            self._check_state(where, value)

    def _check_state(self, where: str, value: str) -> None:
        """A refused call on a key object leaves it working (and giving the same answer)."""
        try:
            again = self._valid()
        except (Exception, Overtime) as exc:
            what = (
                f"the object no longer works after this refused call: {type(exc).__name__}: {_message(exc)}"
            )
            self.findings.add(where, what, value)
            self.repeatable = False  # one report, not one per later call
            return
        if self.deterministic and not self._same(again, self.baseline):
            self.findings.add(where, "the object's answer changed after this refused call", value)

    def single(self) -> None:
        """Every parameter, one at a time, through the whole catalogue."""
        for parameter in self.parameters():
            valid = self.valid_value(parameter.name)
            for value in catalogue(valid, short=self.slow, minimal=self.very_slow):
                self.call({parameter.name: value})

    def pairs(self) -> None:
        """A name parameter through its vocabulary category, crossed with each integer parameter."""
        params = self.parameters()
        for named in params:
            names = vocabulary_names(self.valid_value(named.name))
            if not names:
                continue
            for numbered in params:
                if numbered is named or accepted_types(numbered.annotation) is None:
                    continue
                if int not in (accepted_types(numbered.annotation) or ()):
                    continue
                for name in names:
                    for number in PAIR_INTS:
                        self.call({named.name: name, numbered.name: number})


def sweep(name: str, template: Template, *, pairs: bool = True) -> Findings:
    made = template.module.prepare() if "made[" in template.source else None
    run = Sweep(template, made)
    run.single()
    if pairs:
        run.pairs()
    return run.findings


def sweep_names(names: Iterable[str]) -> dict[str, list[str]]:
    every = templates() | templates(edge_calls)
    return {name: list(sweep(name, every[name]).lines) for name in names}


if __name__ == "__main__":  # python tests/edgelib.py MODE NAME...: the findings in MODE, as JSON
    import fipscrypto

    fipscrypto.activate(sys.argv[1])
    print(json.dumps(sweep_names(sys.argv[2:])))
