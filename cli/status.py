"""``fipscheck status``."""

from __future__ import annotations

import json
from typing import Any

import click

from fipscrypto import status as status_report

from .options import mode_option, state_dir_option


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
    p = report["provider"]
    if p is None:
        lines.append("provider      none provisioned (run 'fipscheck provider install')")
    else:
        lines += [
            f"provider      {p['name']} {p['version']} (build info: {p['buildinfo']})",
            f"module        {p['module_path']}",
            f"module sha256 {p['module_sha256']}"
            + ("" if p["module_unchanged"] else "  (CHANGED since install)"),
            f"source        {p['source']}",
        ]
        c = p["cmvp"]
        lines.append(f"validated     {c['status'].upper()}: {c['note']}")
    enabled = "yes" if report["fips_enabled"] else "no"
    if report["fips_enabled"] and not report["provider_proven"]:
        enabled += ", NOT proven: the provider did not pass the power-on self-tests"
    lines.append(f"fips enabled  {enabled} (cryptography's OpenSSL: {report['openssl']['cryptography']})")
    if report["operational"] and report["mode"] != "off":
        lines.append("approved      only fips=yes algorithms are reachable through the provider")
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
    return "\n".join(lines)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@mode_option
@state_dir_option
def status(as_json: bool, mode: str | None, state_dir: str | None) -> None:
    """Activate fipscrypto and report mode, state, provider identity and CMVP verdict.

    Exits 0 when the module is operational with the FIPS provider, 3 when the provider is missing or
    unusable, the module is in the ERROR state, or FIPS mode is off.
    """
    report, code = status_report.collect(mode, state_dir)
    click.echo(json.dumps(report, indent=2) if as_json else _render(report))
    raise SystemExit(code)
