"""``fipscheck scan``: scanners that find the cryptography a code base, a configuration, a certificate,
a server or an environment uses, and judge it by the policy.

A scanner turns its input into :class:`~fipscrypto.cli.scan.model.Use` records (an algorithm the policy
is asked about, where it was found) and :class:`~fipscrypto.cli.scan.model.Misuse` records (a misuse no
allowlist can express, e.g. a constant IV, with its citation); :func:`~fipscrypto.cli.scan.model.judge`
asks the policy about each use. Each subcommand is a thin wrapper: it collects what it found and the
targets it could not check, and hands them to :func:`conclude` (options from :func:`verdict_options`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import click

from fipscrypto import audit
from fipscrypto._version import __version__
from fipscrypto.policy.report import FAIL_ON

from ..exits import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, EXIT_VIOLATION
from ..main import LazyGroup
from ..policy import _load, as_of_option, policy_option
from .exemptions import load_baseline, load_waivers, remarks
from .model import Misuse, Skipped, Use, judge
from .report import FORMATS, Report, render

__all__ = ["Options", "conclude", "scan", "verdict_options"]

# subcommand -> module of this package that defines it under the subcommand's name
_SUBCOMMANDS = {"code": "code", "config": "files", "cert": "files", "env": "env", "tls": "tls"}


@click.group(cls=LazyGroup, commands=_SUBCOMMANDS, package=__name__)
def scan() -> None:
    """Find the cryptography code, configuration files, certificates, servers and this environment use;
    judge it.

    See docs/scan.md.

    \b
    Exit codes: 0 every finding passes; 1 a finding at or above --fail-on;
    2 usage error, or the report cannot be written (-o); 3 incomplete: a
    target could not be checked (unreadable, not parseable) and nothing
    failed, or nothing was checked at all.
    """


@dataclass(frozen=True)
class Options:
    """The verdict and output options every scan takes."""

    policy: str
    as_of: dt.date | None
    fail_on: str
    fmt: str
    output: str | None
    waivers: str | None = None
    baseline: str | None = None


def verdict_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add --policy, --as-of, --fail-on, --format and --output to a scan; it receives them as ``options``."""

    @functools.wraps(command)
    def wrapper(
        *args: Any,
        policy_spec: str,
        as_of: dt.date | None,
        fail_on: str,
        fmt: str,
        output: str | None,
        waivers: str | None,
        baseline: str | None,
        **kwargs: Any,
    ) -> None:
        options = Options(policy_spec, as_of, fail_on, fmt, output, waivers, baseline)
        command(*args, options=options, **kwargs)

    decorators = (
        policy_option,
        as_of_option,
        click.option(
            "--fail-on",
            type=click.Choice(FAIL_ON),
            default="disallowed",
            show_default=True,
            help="deprecated: deprecated and legacy-use uses, and misuses rated warning, fail too.",
        ),
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True),
        click.option(
            "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report here."
        ),
        click.option(
            "--waivers",
            type=click.Path(dir_okay=False),
            help="TOML [[waiver]] tables (rule, target glob, owner, ticket, expires): waived findings pass "
            "until the expiry date.",
        ),
        click.option(
            "--baseline",
            type=click.Path(dir_okay=False),
            help="An earlier --format json report: only findings not in it fail.",
        ),
    )
    for decorate in reversed(decorators):
        wrapper = decorate(wrapper)
    return wrapper


def conclude(
    found: Iterable[Use | Misuse], options: Options, *, scanner: str, checked: int, skipped: Sequence[Skipped]
) -> NoReturn:
    """Judge what a scanner found, write the report and exit: 1 when a finding fails, else 3 when a
    target was skipped or nothing was checked, else 0."""
    waivers = load_waivers(options.waivers) if options.waivers else []
    baseline = load_baseline(options.baseline) if options.baseline else None
    chosen = _load(options.policy)
    day = options.as_of or dt.date.today()
    findings = judge(found, chosen, day)
    exempt = remarks(findings, waivers, baseline, day)
    report = Report(scanner, chosen, day, options.fail_on, findings, checked, tuple(skipped), exempt)
    counts = report.summary()
    verdict = "fail" if counts["failing"] else "incomplete" if skipped or not checked else "pass"
    audit.emit("scan-run", scanner=scanner, policy=chosen.name, policy_digest=chosen.digest,
               as_of=day.isoformat(), fail_on=options.fail_on, verdict=verdict, **counts)  # fmt: skip
    text = render(report, options.fmt, tool_version=__version__)
    if options.output:
        try:
            with open(options.output, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as exc:
            click.echo(f"error: cannot write the report to {options.output}: {exc.strerror or exc}", err=True)
            raise SystemExit(EXIT_USAGE) from exc
    else:
        click.echo(text, nl=not text.endswith("\n"))
    if verdict == "fail":
        raise SystemExit(EXIT_VIOLATION)
    if verdict == "incomplete":
        if not checked:
            click.echo(f"error: scan {scanner}: nothing was checked", err=True)
        raise SystemExit(EXIT_INCOMPLETE)
    raise SystemExit(EXIT_OK)
