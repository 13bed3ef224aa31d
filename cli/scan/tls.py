"""``fipscheck scan tls HOST:PORT...``: a thin command over :func:`~.tlsprobe.probe`, many targets at
once, with a progress bar on a terminal."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TextIO

import click

from fipscrypto._clock import today

from ..policy import _load
from . import Options, conclude, scan, verdict_options
from .model import Misuse, Skipped, Use
from .tlsprobe import SCANNER, Target, parse_target, probe

__all__ = ["tls"]


def _targets(args: tuple[str, ...], listing: TextIO | None) -> list[Target]:
    lines = list(args)
    if listing is not None:
        lines += [line.split("#", 1)[0] for line in listing]
    try:
        targets = sorted({parse_target(line) for line in lines if line.strip()})
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if not targets:
        raise click.UsageError("no target: give HOST:PORT arguments or --targets FILE")
    return targets


@scan.command()
@click.argument("targets", nargs=-1)
@click.option(
    "--targets",
    "listing",
    type=click.File("r", encoding="utf-8"),
    help="A file of targets, one HOST:PORT per line (# starts a comment).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 300),
    default=5.0,
    show_default=True,
    help="Seconds per connection (connect and answer).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=8,
    show_default=True,
    help="Targets probed at once.",
)
@click.option(
    "--connections",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Connections open at once to one target.",
)
@verdict_options
def tls(
    targets: tuple[str, ...],
    listing: TextIO | None,
    timeout: float,
    concurrency: int,
    connections: int,
    options: Options,
) -> None:
    """Probe live TLS servers and judge what they accept.

    \b
    For each HOST:PORT (IPv6 as [ADDR]:PORT; port 443 when left out): the
    versions (SSL 3.0 to TLS 1.3), every suite per version, the groups (ML-KEM
    and the hybrids included) and signature schemes, extended master secret,
    and the certificate chain (keys, signatures, validity, serverAuth). An
    accepted item the policy disallows fails: some client can negotiate it.
    One hello offering only what the policy allows shows what a compliant
    client negotiates; when the server refuses it, the server requires
    something outside the policy, and that fails too. An unreachable target
    makes the run incomplete (exit 3).
    """
    chosen = _load(options.policy)
    day = options.as_of or today()
    hosts = _targets(targets, listing)
    found: list[Use | Misuse] = []
    skipped: list[Skipped] = []
    with (
        ThreadPoolExecutor(max_workers=concurrency) as pool,
        click.progressbar(
            length=len(hosts), label="probing", file=sys.stderr, hidden=not sys.stderr.isatty()
        ) as bar,
    ):
        jobs = [
            pool.submit(probe, target, chosen, day, timeout=timeout, connections=connections)
            for target in hosts
        ]
        for job in as_completed(jobs):
            for item in job.result():
                if isinstance(item, Skipped):
                    skipped.append(item)
                else:
                    found.append(item)
            bar.update(1)
    checked = len({item.location.target for item in found})
    conclude(found, options, scanner=SCANNER, checked=checked, skipped=skipped)
