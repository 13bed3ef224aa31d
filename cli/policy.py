"""``fipscheck policy ...`` and ``fipscheck check MANIFEST``."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click

from fipscrypto._version import __version__
from fipscrypto.errors import PolicyError
from fipscrypto.policy import (
    DEFAULT,
    POLICY_ENV,
    Difference,
    Direction,
    Policy,
    Rule,
    builtin,
    builtin_names,
    differences,
    select,
)
from fipscrypto.policy.compile import openssl_section, to_json
from fipscrypto.policy.diff import ALWAYS
from fipscrypto.policy.manifest import Evaluation, evaluate
from fipscrypto.policy.report import FORMATS, render

from . import cbom
from .certification import measured_cbom
from .exits import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, EXIT_VIOLATION


def _as_of(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


as_of_option = click.option(
    "--as-of", callback=_as_of, metavar="YYYY-MM-DD", help="Evaluate on this date [default: today]."
)
policy_option = click.option(
    "--policy",
    "policy_spec",
    envvar=POLICY_ENV,
    default=DEFAULT,
    show_default=True,
    help=f"A built-in profile name or a policy file [env: {POLICY_ENV}].",
)


def _load(spec: str) -> Policy:
    """Load a policy, or exit 3 naming the file, line and key of the problem."""
    try:
        return select(spec)
    except PolicyError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_INCOMPLETE) from exc


def _rule_view(rule: Rule, day: dt.date) -> dict[str, Any]:
    view: dict[str, Any] = {"category": rule.category, "names": list(rule.names)}
    if rule.sized:
        view["bits"] = [rule.min_bits, rule.max_bits]
    for direction in Direction:
        status = rule.status_on(direction, day)[0]
        view[direction.value] = status.value
        nxt = rule.next_change(direction, day)
        if nxt:
            view[f"{direction.value}_from_{nxt[0].isoformat()}"] = nxt[1].value
    if rule.constraints:
        view["constraints"] = dict(rule.constraints)
    source = rule.status_on(Direction.APPLY, day)[1]  # the source in force on the date
    view["citation"] = source.text()
    if source.note:
        view["note"] = source.note
    if rule.justification:
        view["justification"] = rule.justification
    view["rule"] = rule.source.origin
    return view


@click.group()
def policy() -> None:
    """Inspect, validate, compare and export allowlist policies (docs/policy-format.md)."""


@policy.command("list")
def list_() -> None:
    """List the built-in profiles."""
    for name in builtin_names():
        profile = builtin(name)
        extends = f" (extends {profile.base.name})" if profile.base else ""
        draft = " [DRAFT]" if profile.draft else ""
        click.echo(f"{name:22} v{profile.version} {profile.title}{draft}{extends}")


@policy.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@as_of_option
def show(name: str, as_json: bool, as_of: dt.date | None) -> None:
    """Show a policy's rules and their status on a date (NAME: built-in profile or file)."""
    chosen = _load(name)
    day = as_of or dt.date.today()
    layers: list[dict[str, Any]] = [
        {
            "name": layer.name,
            "version": layer.version,
            "title": layer.title,
            "draft": layer.draft,
            "rules": [_rule_view(rule, day) for rule in layer.rules],
        }
        for layer in chosen.layers()
    ]
    if as_json:
        click.echo(json.dumps({"policy": chosen.name, "as_of": day.isoformat(), "layers": layers}, indent=2))
        return
    for layer in layers:
        draft = "  [DRAFT]" if layer["draft"] else ""
        click.echo(f"# {layer['name']} (version {layer['version']}): {layer['title']}{draft}  (as of {day})")
        for rule in layer["rules"]:
            bits = rule.get("bits")
            size = f" bits {bits[0] or ''}..{bits[1] or ''}" if bits else ""
            later = "".join(
                f", {k.split('_from_')[0]} {v} from {k.split('_from_')[1]}"
                for k, v in rule.items()
                if "_from_" in k
            )
            click.echo(
                f"{rule['category']:14} {', '.join(rule['names'])}{size}: apply {rule['apply']}, "
                f"process {rule['process']}{later}"
            )
            click.echo(f"{'':14} {rule['citation']}")
            if "note" in rule:  # the note in force on the date (a dated change may carry its own)
                click.echo(f"{'':14} note: {rule['note']}")


@policy.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def validate(file: str) -> None:
    """Check a policy file; exit 0 if valid, 3 with file:line: key: problem otherwise."""
    loaded = _load(file)
    count = sum(len(layer.rules) for layer in loaded.layers())
    click.echo(f"{file}: valid ({loaded.name}, {len(loaded.rules)} rules, {count} with its bases)")


def _why(d: Difference) -> dict[str, Any]:
    """The new policy's reason for a difference: the source in force from its date (a change's own)."""
    if d.rule is None:
        return {"citation": "no rule: not on the allowlist", "note": None}
    source = d.rule.status_on(d.direction, d.since or ALWAYS)[1]
    return {"citation": source.text(), "note": source.note}


def _differences(old: str, new: str) -> tuple[Policy, Policy, list[dict[str, Any]]]:
    before, after = _load(old), _load(new)
    found = differences(before, after)
    return before, after, [d.as_dict() | {"text": d.describe()} | _why(d) for d in found]


@policy.command()
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def diff(old: str, new: str, as_json: bool) -> None:
    """List every loosening and tightening from OLD to NEW (profile names, NAME@VERSION for an
    earlier version of a built-in profile, or files), each with NEW's citation and note."""
    before, after, found = _differences(old, new)
    if as_json:
        click.echo(json.dumps({"old": before.name, "new": after.name, "differences": found}, indent=2))
        return
    reason = None
    for d in found:
        why = (
            f"  (justification: {d['justification']})"
            if d["kind"] == "loosened" and d["justification"]
            else ""
        )
        click.echo(f"{d['kind'].upper():10} {d['text']}{why}")
        if (d["citation"], d["note"]) != reason:  # each reason once, under the first difference it explains
            reason = (d["citation"], d["note"])
            click.echo(f"{'':10} {d['citation']}")
            if d["note"]:
                click.echo(f"{'':10} note: {d['note']}")
    loosened = sum(d["kind"] == "loosened" for d in found)
    click.echo(f"{len(found)} differences: {loosened} loosened, {len(found) - loosened} tightened")


@policy.command()
@click.option("--baseline", required=True, help="The policy NEW is compared with (name or file).")
@click.argument("new")
def gate(baseline: str, new: str) -> None:
    """CI gate: exit 1 if NEW loosens BASELINE anywhere without a justification, else 0.

    Justified loosenings are listed and pass; every difference is printed.
    """
    _, _, found = _differences(baseline, new)
    unjustified = [d for d in found if d["kind"] == "loosened" and not d["justification"]]
    for d in found:
        mark = "FAIL" if d in unjustified else "ok  "
        click.echo(f"{mark} {d['kind']:9} {d['text']}")
    if unjustified:
        click.echo(f"gate: {len(unjustified)} unjustified loosening(s) of {baseline}", err=True)
        raise SystemExit(EXIT_VIOLATION)
    click.echo(f"gate: passed ({len(found)} differences, none unjustified)")


@policy.command()
@policy_option
@click.option("--format", "fmt", type=click.Choice(["openssl", "json"]), default="openssl", show_default=True)
@as_of_option
@click.option(
    "--post-quantum", is_flag=True, help="Offer the ML-KEM groups (pure and hybrid) the policy allows."
)
@click.option("--deprecated", is_flag=True, help="Offer deprecated items too (default: acceptable only).")
def export(policy_spec: str, fmt: str, as_of: dt.date | None, post_quantum: bool, deprecated: bool) -> None:
    """Print the policy's TLS settings for other processes (an OpenSSL config section, or JSON).

    \b
    For nginx or any OpenSSL-based program: add 'ssl_conf = ssl_module' to its
    openssl_init section and append the printed sections.
    """
    chosen = _load(policy_spec)
    text = openssl_section if fmt == "openssl" else to_json
    click.echo(text(chosen, as_of=as_of, post_quantum=post_quantum, deprecated=deprecated), nl=fmt == "json")


@click.command()
@click.argument("manifest", type=click.Path(dir_okay=False))
@policy_option
@as_of_option
@click.option(
    "--fail-on",
    type=click.Choice(["disallowed", "deprecated"]),
    default="disallowed",
    show_default=True,
    help="deprecated: deprecated and legacy-use items fail too.",
)
@click.option("--format", "fmt", type=click.Choice((*FORMATS, "cbom")), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report here.")
def check(
    manifest: str, policy_spec: str, as_of: dt.date | None, fail_on: str, fmt: str, output: str | None
) -> None:
    """Evaluate a service's declared crypto inventory (docs/manifest-format.md) against the policy.

    Exits 0 when every item is allowed, 1 when any item fails (disallowed; with
    --fail-on deprecated also deprecated or legacy-use), 2 when the report cannot
    be written (-o), 3 when nothing could be evaluated (unreadable or invalid
    manifest or policy, or no items).
    """
    chosen = _load(policy_spec)
    try:
        result = evaluate(manifest, chosen, as_of)
    except PolicyError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_INCOMPLETE) from exc
    if not result.findings:
        click.echo(f"error: {manifest}: no items to evaluate", err=True)
        raise SystemExit(EXIT_INCOMPLETE)
    report = (
        _cbom(result) if fmt == "cbom" else render(result, fmt, fail_on=fail_on, tool_version=__version__)
    )
    if output:
        try:
            with open(output, "w", encoding="utf-8") as f:
                f.write(report)
        except OSError as exc:
            click.echo(f"error: cannot write the report to {output}: {exc.strerror or exc}", err=True)
            raise SystemExit(EXIT_USAGE) from exc
    else:
        click.echo(report, nl=not report.endswith("\n"))
    raise SystemExit(EXIT_VIOLATION if result.failing(fail_on) else EXIT_OK)


def _cbom(result: Evaluation) -> str:
    """The manifest's items as a CycloneDX 1.6 CBOM, each found at its line of the manifest."""
    assets = [
        cbom.Asset(
            f.verdict.category,
            f.verdict.name,
            f.verdict.bits,
            result.manifest,
            f.item.line if f.item.line > 0 else None,
            f.item.where,
            f.verdict.status.value,
        )
        for f in result.findings
    ]
    return measured_cbom(assets, policy=result.policy.name, as_of=result.as_of, tool_version=__version__)
