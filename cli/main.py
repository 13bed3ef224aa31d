"""``fipscheck``: compliance checks and provider management for fipscrypto."""

from __future__ import annotations

import click

from fipscrypto._version import __version__

from .demo import demo
from .policy import check, policy
from .provider import provider
from .run import run
from .selftest import selftest
from .status import status


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fipscheck")
def main() -> None:
    """Check and manage FIPS-mode cryptography for services that use fipscrypto.

    Exit codes: 0 success; 1 a check found a violation; 2 usage error; 3 the FIPS provider is
    missing or unusable, or the module is in the ERROR state or running with FIPS mode off.
    """


main.add_command(status)
main.add_command(provider)
main.add_command(run)
main.add_command(demo)
main.add_command(policy)
main.add_command(check)
main.add_command(selftest)
