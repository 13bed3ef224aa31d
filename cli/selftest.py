"""``fipscheck selftest``: run the self-tests on demand."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from typing import Any

import click

from fipscrypto import module
from fipscrypto.errors import FipsError
from fipscrypto.provider.state import SelftestRun, StatePaths, write_selftest_run

from .exits import EXIT_OK, EXIT_UNAVAILABLE
from .options import mode_option, state_dir_option


def _table(rows: list[dict[str, Any]]) -> str:
    width = max([len(r["name"]) for r in rows] + [4])
    family = max([len(r["family"]) for r in rows] + [6])
    lines = [f"{'name':<{width}}  {'family':<{family}}  result  {'ms':>8}"]
    for r in rows:
        line = f"{r['name']:<{width}}  {r['family']:<{family}}  {r['result']:<6}  {r['ms']:>8.2f}"
        lines.append(line + (f"  {r['detail']}" if r["detail"] else ""))
    return "\n".join(lines)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--family", default=None, metavar="F", help="Run one family only (see --list).")
@click.option("--list", "list_only", is_flag=True, help="List the registered tests without running them.")
@mode_option
@state_dir_option
def selftest(
    as_json: bool, family: str | None, list_only: bool, mode: str | None, state_dir: str | None
) -> None:
    """Run fipscrypto's self-tests on demand and print name, family, result and time of each.

    The integrity test and the known-answer tests of every family run against the loaded FIPS
    provider. A failure latches the ERROR state; a complete run in which every test passes returns a
    module in ERROR to OPERATIONAL. The run is recorded in the state folder for 'fipscheck status'.

    Exits 0 when every test passed, 3 when any failed or the module could not be activated, 2 for an
    unknown family.
    """
    activation: str | None = None
    try:  # before the self-tests are imported: they load the backend, which boots the module
        module.activate(mode, state_dir=state_dir)
    except FipsError as exc:
        activation = str(exc).splitlines()[0]
    # Installed as fipscrypto.selftests (a package-dir mapping that mypy cannot follow): by name.
    selftests = importlib.import_module("fipscrypto.selftests")
    tests = selftests.registered()
    families = sorted({t.family for t in tests}, key=str.lower)
    if family is not None and family.lower() not in {f.lower() for f in families}:
        raise click.BadParameter(f"unknown family; one of: {', '.join(families)}", param_hint="--family")
    if list_only:
        for t in tests:
            click.echo(f"{t.name:<28} {t.family:<12} {', '.join(t.services)}")
        return
    results = selftests.run_all(family=family)
    info = module.info()
    rows = [r.as_dict() for r in results]
    run = SelftestRun(
        time=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        family=family,
        passed=bool(results) and all(r.passed for r in results),
        count=len(results),
        failed=tuple(r.name for r in results if not r.passed),
        total_ms=round(sum(r.ms for r in results), 3),
        state=info.state.value,
        activation_error=activation,
        results=tuple(rows),
    )
    write_selftest_run(StatePaths.resolve(info.state_dir), run)
    if as_json:
        click.echo(json.dumps(run.as_dict(), indent=2))
    else:
        if rows:
            click.echo(_table(rows))
        if activation:
            click.echo(f"activation: {activation}")
        summary = f"{run.count - len(run.failed)}/{run.count} passed in {run.total_ms:.1f} ms"
        click.echo(f"{summary}; module {info.state.value}")
    raise SystemExit(EXIT_OK if run.passed and activation is None else EXIT_UNAVAILABLE)
