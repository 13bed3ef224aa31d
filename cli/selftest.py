"""``fipscheck selftest``: run the self-tests on demand."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import os
from typing import Any

import click

from fipscrypto import module
from fipscrypto.errors import FipsError
from fipscrypto.provider.state import StatePaths
from fipscrypto.status import EXIT_OK, EXIT_UNAVAILABLE

from .options import mode_option, state_dir_option


def _table(rows: list[dict[str, Any]]) -> str:
    width = max([len(r["name"]) for r in rows] + [4])
    family = max([len(r["family"]) for r in rows] + [6])
    lines = [f"{'name':<{width}}  {'family':<{family}}  result  {'ms':>8}"]
    for r in rows:
        line = f"{r['name']:<{width}}  {r['family']:<{family}}  {r['result']:<6}  {r['ms']:>8.2f}"
        lines.append(line + (f"  {r['detail']}" if r["detail"] else ""))
    return "\n".join(lines)


def _save(paths: StatePaths, report: dict[str, Any]) -> None:
    """Keep the run for ``fipscheck status``; a read-only state folder only loses that record."""
    with contextlib.suppress(OSError):
        tmp = paths.selftest_record.with_suffix(".tmp")
        tmp.write_text(json.dumps(report, indent=2) + "\n")
        os.replace(tmp, paths.selftest_record)


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
    passed = bool(results) and all(r.passed for r in results)
    report = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "family": family,
        "passed": passed,
        "count": len(results),
        "failed": [r.name for r in results if not r.passed],
        "total_ms": round(sum(r.ms for r in results), 3),
        "state": info.state.value,
        "activation_error": activation,
        "results": rows,
    }
    _save(StatePaths.resolve(info.state_dir), report)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        if rows:
            click.echo(_table(rows))
        if activation:
            click.echo(f"activation: {activation}")
        summary = (
            f"{len(results) - len(report['failed'])}/{len(results)} passed in {report['total_ms']:.1f} ms"
        )
        click.echo(f"{summary}; module {info.state.value}")
    raise SystemExit(EXIT_OK if passed else EXIT_UNAVAILABLE)
