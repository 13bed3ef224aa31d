"""``fipscheck run -- CMD ARGS``.

The program is started with a ``sitecustomize`` start-up hook on ``PYTHONPATH`` that activates
fipscrypto before the program's first line (``fipscrypto/_bootstrap``). Python skips that hook when
started with ``-I`` (isolated), ``-E`` (ignore ``PYTHON*`` variables) or ``-S`` (no ``site``), and
``env`` can clear or replace ``PYTHONPATH``: such a command would run without FIPS, so it is refused.
The command is followed the way the kernel and ``env`` start it: through ``env`` and through ``#!``
lines, to the interpreter that finally runs.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Sequence
from importlib import resources

import click

from fipscrypto.provider.state import StatePaths

from .exits import EXIT_NOT_FOUND, EXIT_UNAVAILABLE
from .options import mode_option, state_dir_option

__all__ = ["hook_bypass", "run"]

_PYTHON = re.compile(r"python(\d+(\.\d+)?)?")  # python, python3, python3.11
# Python's options that turn the hook off (python(1)); -I implies -E.
_SKIPS_HOOK = {"I": "-I (isolated mode)", "E": "-E (ignores PYTHONPATH)", "S": "-S (no site module)"}
_ENDS_OPTIONS = "cm"  # -c CMD and -m MOD: the rest is the program's
_TAKES_VALUE = "WX"  # -W ARG, -X OPT: the rest of the cluster, or the next argument
_LONG_WITH_VALUE = {"--check-hash-based-pycs"}
# env(1)'s options by letter and long name; "-" alone is -i, which empties the environment.
_ENV_OPTIONS = {
    "0": "--null",
    "a": "--argv0",
    "C": "--chdir",
    "i": "--ignore-environment",
    "S": "--split-string",
    "u": "--unset",
    "v": "--debug",
}
_ENV_VALUES = "aCSu"  # the options that take a value
_HOOK_VARIABLE = "PYTHONPATH"
_SHEBANG_BYTES = 256  # Linux reads this much of a script for its #! line (BINPRM_BUF_SIZE)
_MAX_HOPS = 8  # env and #! interpreters followed; Linux itself follows at most 4 interpreters


def _is_python(program: str) -> bool:
    real = os.path.realpath(program)
    names = (os.path.basename(program), os.path.basename(real))
    return any(_PYTHON.fullmatch(name) for name in names) or real == os.path.realpath(sys.executable)


def _python_bypass(args: Sequence[str]) -> str | None:
    """The option among ``args`` (a Python command line after the interpreter) that skips the hook."""
    rest = iter(args)
    for arg in rest:
        if arg in _LONG_WITH_VALUE:
            next(rest, None)
            continue
        if arg.startswith("--") and arg != "--":  # --help, --version: no program runs
            continue
        if not arg.startswith("-") or arg in ("-", "--"):
            return None  # the script (or stdin): the program starts here
        for position, flag in enumerate(arg[1:], 1):
            if flag in _SKIPS_HOOK:
                return _SKIPS_HOOK[flag]
            if flag in _ENDS_OPTIONS:
                return None
            if flag in _TAKES_VALUE:
                if position == len(arg) - 1:
                    next(rest, None)
                break
    return None


def _env_options(arg: str, rest: list[str]) -> list[tuple[str, str]]:
    """The env options in ``arg`` as (letter, value); a value not in ``arg`` is taken from ``rest``."""
    if arg == "-":
        return [("i", "")]
    if arg.startswith("--"):
        name, equals, value = arg.partition("=")
        letters = [letter for letter, long in _ENV_OPTIONS.items() if long.startswith(name)]
        if len(letters) != 1:
            return []  # a signal option, --help, --version, or one env refuses as ambiguous
        if letters[0] in _ENV_VALUES and not equals:
            value = rest.pop(0) if rest else ""
        return [(letters[0], value)]
    found = []
    for position, letter in enumerate(arg[1:], 1):
        if letter in _ENV_VALUES:
            found.append((letter, arg[position + 1 :] or (rest.pop(0) if rest else "")))
            break
        found.append((letter, ""))
    return found


def _env_command(args: Sequence[str]) -> list[str] | str:
    """The command ``env ARGS`` starts, or why it would start it without the hook."""
    rest = list(args)
    while rest and rest[0].startswith("-"):
        arg = rest.pop(0)
        if arg == "--":
            break
        for letter, value in _env_options(arg, rest):
            if letter == "i":
                return f"env {arg} empties the environment, {_HOOK_VARIABLE} included"
            if letter == "u" and value == _HOOK_VARIABLE:
                return f"env {arg} removes {_HOOK_VARIABLE}, which holds the hook"
            if letter == "S":
                rest[:0] = value.split()
    while rest and "=" in rest[0]:
        if rest.pop(0).partition("=")[0] == _HOOK_VARIABLE:
            return f"env replaces {_HOOK_VARIABLE}, which holds the hook"
    return rest


def _shebang(program: str) -> list[str] | None:
    """The interpreter and its argument from a script's ``#!`` line, split as Linux does; or None."""
    if not os.path.isfile(program):
        return None
    try:
        with open(program, "rb") as f:
            head = f.read(_SHEBANG_BYTES)
    except OSError:
        return None
    if not head.startswith(b"#!"):
        return None
    line = head[2:].split(b"\n", 1)[0].replace(b"\t", b" ").strip(b" ")
    interpreter, _, argument = line.partition(b" ")
    if not interpreter:
        return None
    argument = argument.strip(b" ")  # Linux passes the rest of the line as one argument
    return [os.fsdecode(interpreter)] + ([os.fsdecode(argument)] if argument else [])


def hook_bypass(command: Sequence[str], path: str | None) -> str | None:
    """Why ``command`` would start Python without the start-up hook, or None if it would not.

    ``path`` is the ``PATH`` the command is looked up in. A command that is not found, is not a Python
    interpreter, or is not a script for one, gives None: it runs as it is, and the Python programs it
    starts get the hook from the environment.
    """
    argv = list(command)
    for _ in range(_MAX_HOPS):
        if not argv:
            return None
        program = argv[0] if os.sep in argv[0] else shutil.which(argv[0], path=path)
        if program is None:
            return None
        if os.path.basename(program) == "env":
            found = _env_command(argv[1:])
            if isinstance(found, str):
                return found
            argv = found
            continue
        if _is_python(program):
            flag = _python_bypass(argv[1:])
            return f"{argv[0]} {flag} skips the start-up hook" if flag else None
        interpreter = _shebang(program)
        if interpreter is None:
            return None
        argv = [*interpreter, program, *argv[1:]]
    return f"more than {_MAX_HOPS} interpreters to follow from {command[0]}"


@click.command(context_settings={"ignore_unknown_options": True})
@mode_option
@state_dir_option
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run(mode: str | None, state_dir: str | None, command: tuple[str, ...]) -> None:
    """Run a Python program with fipscrypto activated before its first line.

    For programs that import cryptography or pyOpenSSL before they could call
    fipscrypto.activate(). The program (and Python programs it starts) gets a
    start-up hook that activates fipscrypto; if activation fails, the program
    does not run and the exit code is 3. Otherwise the exit code is the program's.

    A command that would start Python without the hook (python -I, -E or -S, also
    in a script's #! line, or env clearing the environment) is refused (exit 3).

    \b
    Example:  fipscheck run -- python -m myservice --port 5061
    """
    hook = str(resources.files("fipscrypto").joinpath("_bootstrap"))
    env = dict(os.environ)
    env[_HOOK_VARIABLE] = os.pathsep.join(p for p in (hook, env.get(_HOOK_VARIABLE)) if p)
    if mode:
        env["FIPSCRYPTO_MODE"] = mode
    # The child may be another interpreter with another default: name the folder explicitly.
    env["FIPSCRYPTO_STATE_DIR"] = str(StatePaths.resolve(state_dir).root)
    reason = hook_bypass(command, env.get("PATH", os.defpath))
    if reason:
        click.echo(f"fipscheck run: refused: {reason}; the program would run without FIPS", err=True)
        raise SystemExit(EXIT_UNAVAILABLE)  # as when activation fails
    try:
        os.execvpe(command[0], list(command), env)  # noqa: S606  # argv list, no shell
    except OSError as exc:
        click.echo(f"fipscheck run: cannot run {command[0]}: {exc.strerror}", err=True)
        raise SystemExit(EXIT_NOT_FOUND) from exc
