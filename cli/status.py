"""``fipscheck status``."""

from __future__ import annotations

import json
from typing import Any

import click

from fipscrypto import status as status_report

from .exits import EXIT_OK, EXIT_UNAVAILABLE
from .options import mode_option, state_dir_option

__all__ = ["exit_status", "status"]


def exit_status(report: dict[str, Any]) -> int:
    """0 when the provider is proven in this process and no problem was found, else 3."""
    return EXIT_OK if report["provider_proven"] and not report["problems"] else EXIT_UNAVAILABLE


def _render(report: dict[str, Any]) -> str:
    lines = [
        f"mode          {report['mode']}"
        + ("  (FIPS MODE OFF: development only)" if report["mode"] == "off" else "")
    ]
    lines.append(f"state         {report['state']}")
    if report["error"]:
        lines.append(f"error         {report['error']['type']}: {report['error']['message']}")
        if "remedy" in report["error"]:
            lines.append(f"what to do    {report['error']['remedy']}")
    lines += _provider_lines(report["provider"])
    enabled = "yes" if report["fips_enabled"] else "no"
    if report["fips_enabled"] and not report["provider_proven"]:
        enabled += ", NOT proven: the provider did not pass the power-on self-tests in this process"
    lines.append(f"fips enabled  {enabled} (cryptography's OpenSSL: {report['openssl']['cryptography']})")
    if report["provider_proven"]:
        lines.append(
            "boundary      measured at activation: known answers from the provider, MD5 refused "
            "(fips=yes in force)"
        )
        if report["mode"] == "strict":
            lines.append("approved      non-approved requests to fipscrypto raise PolicyViolation")
        else:
            lines.append("approved      non-approved requests to fipscrypto are allowed and recorded")
        lines.append("not stopped   direct cryptography/pyOpenSSL calls: see docs/boundary.md")
    if report["key_generation"]:
        for kinds, where in report["key_generation"].items():
            lines.append(f"key pairs     {kinds}: {where}")
    for services, where in report["outside_provider"].items():
        lines.append(f"outside       {services}: {where}")
    active = report["policy"]
    if "error" in active:
        lines.append(f"policy        INVALID: {active['error']}")
    else:
        draft = " [DRAFT]" if active["draft"] else ""
        lines.append(f"policy        {' > '.join(active['layers'])}: {active['title']}{draft}")
    tests = report["selftests_ms"]
    if tests:
        total = sum(tests.values())
        lines.append(
            f"self-tests    {len(tests)} passed in {total:.1f} ms at power-on; the other families run"
            " before their first use ('fipscheck selftest' runs all)"
        )
    last = report["selftest_last_run"]
    if last:
        scope = f"family {last['family']}" if last["family"] else "all"
        outcome = "all passed" if last["passed"] else f"FAILED: {', '.join(last['failed'] or ['none run'])}"
        lines.append(f"last run      {last['time']} ({scope}, {last['count']} tests): {outcome}")
    if not report["deep"]:
        lines.append(
            "not measured  the provider's own report of its identity and switches (a second provider"
            " instance) and what cryptography's OpenSSL negotiates for TLS: 'fipscheck status --deep'"
        )
    tls = report["tls"]
    if tls is not None:
        lines.append(
            "tls           offers what the policy accepts and this OpenSSL negotiates"
            + ("; not offered:" if tls["not_offered"] else "")
        )
        lines += [f"  {item['suite']}: {item['reason']}" for item in tls["not_offered"]]
        if not tls["section_measured_alike"]:
            lines.append(
                "  (contexts not built by fipscrypto get a section compiled from another measurement: "
                "run 'fipscheck provider install')"
            )
    lines.append(f"stdlib        hashlib/ssl on {report['openssl']['stdlib']}: OUTSIDE the FIPS boundary")
    lines.append(f"state dir     {report['state_dir']}")
    lines += [f"PROBLEM       {problem}" for problem in report["problems"]]
    return "\n".join(lines)


def _provider_lines(p: dict[str, Any] | None) -> list[str]:
    if p is None:
        return ["provider      none provisioned (run 'fipscheck provider install')"]
    c = p["cmvp"]
    lines = [f"provider      {p['name']} {p['version']} (recorded at install, {p['source']})"]
    if "reported" in p:
        r = p["reported"]
        lines.append(
            f"reports       {r['name']} {r['version']} (build {r['buildinfo']}), status {r['status']}"
        )
    if "module" in p:
        m = p["module"]
        where = "mapped" if m["mapped"] else "NOT mapped"
        same = "same file" if m["file_is_the_mapping"] else "the file on disk is NOT the mapped one"
        lines.append(f"module        {m['path']} ({where} in this process, {same})")
        verdict = "matches the record" if m["matches_record"] else "DIFFERS from the record"
        lines.append(f"module sha256 {m['sha256']} ({verdict})")
    if "switches" in p:
        off = p["switches_off"]
        on = sum(1 for value in p["switches"].values() if value == 1)
        lines.append(
            f"switches      {on} of {len(p['switches'])} on, from {p['switches_of']}"
            + (f"; off: {', '.join(off)}" if off else "")
        )
    if "error" in p:
        lines.append(f"measured      NOT: {p['error']}")
    lines.append(f"validated     {c['status'].upper()}: {c['note']}")
    return lines


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--deep",
    is_flag=True,
    help="Also read the provider's own identity and switches from a second provider instance, and "
    "measure which TLS versions and suites cryptography's OpenSSL negotiates (about a second activation).",
)
@mode_option
@state_dir_option
def status(as_json: bool, deep: bool, mode: str | None, state_dir: str | None) -> None:
    """Activate fipscrypto and report what this process measured: mode, state, the module mapped
    into it and its SHA-256, the provider's switches as its loaded section sets them, the boundary
    proof (the power-on self-tests), the policy, the CMVP verdict. '--deep' adds the provider's own
    report and the TLS measurement; without it the report says they were not measured.

    Exits 0 when the module is operational with the FIPS provider proven in this process and no
    problem was found; 3 when the provider is missing or unusable, the module is in the ERROR state,
    FIPS mode is off, the mapped module differs from the recorded one, the provider's files are
    writable by any user, (strict mode) a switch of the provider is off, or ('--deep') the provider
    reports another version or a failed status.
    """
    report = status_report.collect(mode, state_dir, deep=deep)
    click.echo(json.dumps(report, indent=2) if as_json else _render(report))
    raise SystemExit(exit_status(report))
