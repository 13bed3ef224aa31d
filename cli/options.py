"""Options shared by several commands."""

from __future__ import annotations

import click

state_dir_option = click.option(
    "--state-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Provider state folder [default: $FIPSCRYPTO_STATE_DIR, else <venv>/var/fipscrypto].",
)
mode_option = click.option(
    "--mode",
    type=click.Choice(["strict", "audit", "off"]),
    default=None,
    help="FIPS mode [default: $FIPSCRYPTO_MODE, else strict].",
)
