"""``fipscheck run -- CMD ARGS``."""

from __future__ import annotations

import os
from importlib import resources

import click

from fipscrypto.provider.state import StatePaths

from .options import mode_option, state_dir_option


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

    \b
    Example:  fipscheck run -- python -m myservice --port 5061
    """
    hook = str(resources.files("fipscrypto").joinpath("_bootstrap"))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (hook, env.get("PYTHONPATH")) if p)
    if mode:
        env["FIPSCRYPTO_MODE"] = mode
    # The child may be another interpreter with another default: name the folder explicitly.
    env["FIPSCRYPTO_STATE_DIR"] = str(StatePaths.resolve(state_dir).root)
    try:
        os.execvpe(command[0], list(command), env)  # noqa: S606  # argv list, no shell
    except OSError as exc:
        click.echo(f"fipscheck run: cannot run {command[0]}: {exc.strerror}", err=True)
        raise SystemExit(127) from exc
