"""``fipscheck``: compliance checks and provider management for fipscrypto."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, cast

import click

from fipscrypto._version import __version__

# Each subcommand's module is imported only when that subcommand runs (or ``--help`` lists them all):
# ``fipscheck status`` does not pay for the policy tools, nor ``fipscheck check`` for the demo.
_COMMANDS = {
    "status": "status",
    "provider": "provider",
    "run": "run",
    "demo": "demo",
    "policy": "policy",
    "check": "policy",
    "selftest": "selftest",
    "scan": "scan",
    "evidence": "evidence",
    "report": "report_html",
    "audit": "audit",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported from ``PACKAGE.<module>`` when first looked up:
    ``commands`` maps each subcommand to its module, which defines it under the subcommand's name."""

    def __init__(self, *args: Any, commands: Mapping[str, str], package: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = commands
        self.package = package

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.lazy_commands)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy_commands:
            return None
        module = importlib.import_module(f"{self.package}.{self.lazy_commands[cmd_name]}")
        return cast(click.Command, getattr(module, cmd_name))


@click.group(
    cls=LazyGroup,
    commands=_COMMANDS,
    package=__package__,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="fipscheck")
def main() -> None:
    """Check and manage FIPS-mode cryptography for services that use fipscrypto.

    Exit codes: 0 success; 1 a check or scan found a violation; 2 usage error; 3 the FIPS provider
    is missing or unusable, or the module is in the ERROR state or running with FIPS mode off, or a
    check or scan was incomplete (nothing evaluated, a target not checked).
    """
