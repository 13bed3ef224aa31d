"""``fipscheck report``: the page a compliance officer opens and forwards, built from an evidence bundle.

One self-contained HTML file: inline CSS and SVG, no scripts, no reference to anything outside the
file (citation URLs are printed as text, never linked). Every value from the bundle is escaped.
The timeline shows the policy transitions after ``--as-of`` that touch the inventory the scans found:
each judged use's next change (the reports' ``next_change``), then the changes after it that the
policy the scan used still names (asked of :mod:`fipscrypto.policy` when that policy is a built-in).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html import escape
from typing import Any

import click

from fipscrypto.errors import EvidenceError, FipsError, InvalidSignature, PolicyError

from .evidence import activate_or_exit, fail, write_or_exit
from .exits import EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, EXIT_VIOLATION
from .policy import as_of_option

__all__ = ["Transition", "Waived", "render", "report", "transitions", "waivers"]

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#1a1a1a}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}.mono{font-family:ui-monospace,monospace;word-break:break-all}
.ok{color:#17612b}.bad{color:#a4161a;font-weight:bold}.warn{color:#8a5a00}
.banner{padding:.6em 1em;border-radius:4px;margin:1em 0}
.banner.ok{background:#e6f4ea}.banner.bad{background:#fde7e9}.banner.warn{background:#fff4d6}
"""
_LEVEL = {"error": "bad", "warning": "warn", "note": "ok"}
# The remark a scan report gives a waived finding (fipscrypto.cli.scan.exemptions.remarks).
_WAIVER = re.compile(r"^(waived until|waiver expired on) (\d{4}-\d{2}-\d{2}) \((.*), ([^,]*)\)$")


@dataclass(frozen=True)
class Transition:
    date: str
    category: str
    name: str
    direction: str
    status: str
    locations: tuple[str, ...]


def _judged(scan: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """(verdict, location) of each judged use of a scan or check report."""
    for finding in scan["report"]["findings"]:
        if scan["kind"] == "check":
            yield finding, f"{finding.get('where')}:{finding.get('line')}"
        elif isinstance(finding.get("verdict"), dict):
            yield finding["verdict"], f"{finding.get('target')}:{finding.get('line')}"


def _later_changes(verdict: dict[str, Any], first: dt.date) -> Iterator[tuple[dt.date, str]]:
    """The changes after ``first`` that the verdict's policy names, when it is a built-in profile."""
    from fipscrypto.policy import Direction, builtin, builtin_names

    if verdict.get("policy") not in builtin_names():
        return
    chosen, day = builtin(str(verdict["policy"])), first
    for _ in range(16):  # a rule has a handful of dated changes
        try:
            later = chosen.check(
                verdict["category"], verdict["name"], direction=Direction(verdict["direction"]),
                bits=verdict.get("bits"), as_of=day,
            ).next_change  # fmt: skip
        except (PolicyError, ValueError):
            return
        if later is None:
            return
        day = later[0]
        yield later[0], later[1].value


def transitions(scans: Iterable[dict[str, Any]], as_of: dt.date) -> list[Transition]:
    """The policy transitions after ``as_of`` that touch a use the scans found, by date."""
    found: dict[tuple[str, str, str, str, str], set[str]] = {}
    for scan in scans:
        for verdict, where in _judged(scan):
            change = verdict.get("next_change")
            if not isinstance(change, dict):
                continue
            first = dt.date.fromisoformat(change["date"])
            for day, status in [(first, change["status"]), *_later_changes(verdict, first)]:
                if day > as_of:
                    key = (
                        day.isoformat(),
                        verdict["category"],
                        verdict["name"],
                        verdict["direction"],
                        status,
                    )
                    found.setdefault(key, set()).add(where)
    return [Transition(*key, tuple(sorted(where))) for key, where in sorted(found.items())]


@dataclass(frozen=True)
class Waived:
    rule: str
    where: str
    owner: str
    ticket: str
    expires: str  # YYYY-MM-DD
    expired: bool  # on the scan's date


def waivers(scans: Iterable[dict[str, Any]]) -> list[Waived]:
    """The waived findings of the scans, from their remarks (waived until, or waiver expired on)."""
    rows = []
    for scan in scans:
        for finding in scan["report"]["findings"]:
            remark = finding.get("remark")
            matched = _WAIVER.match(remark["text"]) if isinstance(remark, dict) else None
            if matched:
                state, expires, owner, ticket = matched.groups()
                where = f"{finding.get('target')}:{finding.get('line')}"
                rows.append(
                    Waived(str(finding.get("rule")), where, owner, ticket, expires, state != "waived until")
                )
    return rows


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _mono(value: object) -> str:
    return f'<span class="mono">{_e(value)}</span>'


def _table(head: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """A table of already-escaped cells."""
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{header}</tr>{body}</table>"


def _svg(events: list[Transition], as_of: dt.date) -> str:
    """A horizontal timeline from ``as_of`` to the last transition, one labelled marker per transition."""
    if not events:
        return "<p>No policy transition ahead touches the scanned inventory.</p>"
    width, left, row = 960, 40, 34
    end = max(dt.date.fromisoformat(e.date) for e in events)
    span = max((end - as_of).days, 1)
    height = 70 + row * len(events)

    def x(day: dt.date) -> float:
        return left + (width - 2 * left - 260) * (day - as_of).days / span

    parts = [
        f'<svg width="{width}" height="{height}" role="img" '
        f'aria-label="policy transitions after {_e(as_of)}">',
        f'<line x1="{left}" y1="30" x2="{x(end):.1f}" y2="30" stroke="#555" stroke-width="2"/>',
        f'<text x="{left}" y="20" font-size="12">{_e(as_of)} (as of)</text>',
    ]
    for index, event in enumerate(events):
        day = dt.date.fromisoformat(event.date)
        cx, cy = x(day), 60 + row * index
        colour = "#a4161a" if event.status == "disallowed" else "#8a5a00"
        label = (
            f"{event.date}: {event.category} {event.name} ({event.direction}) becomes {event.status},"
            f" {len(event.locations)} use(s)"
        )
        parts += [
            f'<line x1="{cx:.1f}" y1="30" x2="{cx:.1f}" y2="{cy}" stroke="#bbb" stroke-dasharray="3,3"/>',
            f'<circle cx="{cx:.1f}" cy="{cy}" r="6" fill="{colour}"><title>{_e(label)}</title></circle>',
            f'<text x="{cx + 12:.1f}" y="{cy + 4}" font-size="12">{_e(label)}</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)


def _expiry(waiver: Waived, as_of: dt.date) -> str:
    """The expiry date, red when the waiver has expired by ``as_of`` (or by the scan's date)."""
    expired = waiver.expired or waiver.expires <= as_of.isoformat()
    if expired:
        return f'<span class="bad">{_e(waiver.expires)} (expired)</span>'
    return f'<span class="ok">{_e(waiver.expires)}</span>'


def _signature(state: str, fingerprint: str | None) -> str:
    if state == "unsigned":
        return '<p class="banner warn">This bundle is <b>not signed</b>: its facts are not protected.</p>'
    pinned = (
        " (checked with the public key given)" if state == "pinned" else " (checked with its embedded key)"
    )
    return (
        f'<p class="banner ok">Signature good, key <span class="mono">{_e(fingerprint)}</span>{pinned}.</p>'
    )


def _findings(scan: dict[str, Any]) -> str:
    rows = []
    for f in scan["report"]["findings"]:
        if scan["kind"] == "check":
            where, rule = f"{f.get('where')}:{f.get('line')}", f"{f.get('category')}/{f.get('name')}"
            message = f"{f.get('status')}: {f.get('reason')}"
            cited = f.get("citation")
        else:
            where, rule, message = f"{f.get('target')}:{f.get('line')}", f.get("rule"), f.get("message")
            verdict = f.get("verdict")
            cited = verdict.get("citation") if isinstance(verdict, dict) else f.get("citation")
        if isinstance(cited, dict):
            citation = f"{cited.get('document')}, {cited.get('section')} ({cited.get('url')})"
        else:
            citation = str(cited or "")
        remark = f.get("remark", {}).get("text", "") if isinstance(f.get("remark"), dict) else ""
        level = str(f.get("level"))
        failing = '<span class="bad">FAIL</span>' if f.get("failing") else ""
        marked = f'<span class="{_LEVEL.get(level, "")}">{_e(level)}</span> {failing}'
        rows.append([marked, _mono(where), _e(rule), _e(message), _e(citation), _e(remark)])
    report = scan["report"]
    what = report.get("scanner") or report.get("manifest")
    s = report["summary"]
    head = (
        f"<h3>{_e(scan['kind'])} {_e(what)} ({_e(scan['file'])})</h3>"
        f"<p>Policy {_e(report['policy'].get('name'))} as of {_e(report['as_of'])}, "
        f"fail on {_e(report['fail_on'])}: {_e(s.get('failing'))} failing of "
        f"{_e(len(report['findings']))} findings.</p>"
    )
    return head + _table(["level", "where", "rule", "finding", "citation", "remark"], rows)


def render(envelope: dict[str, Any], *, signature: str, as_of: dt.date) -> str:
    """The HTML page of a bundle whose signature is ``signature`` ("pinned", "embedded" or "unsigned")."""
    facts = envelope["bundle"]
    module, cmvp, tests, chosen = facts["module"], facts["cmvp"] or {}, facts["selftests"], facts["policy"]
    provider = module.get("provider") or {}
    mapped = provider.get("module") or {}
    fingerprint = (envelope.get("signature") or {}).get("key_fingerprint")
    verdict = "ok" if cmvp.get("status") == "validated" else "bad"
    scans = facts["scans"]
    events = transitions(scans, as_of)
    waived = waivers(scans)
    identity = _table(
        ["fact", "value"],
        [
            ["provider", _e(f"{provider.get('name')} {provider.get('version')}")],
            ["module file", f'<span class="mono">{_e(mapped.get("path"))}</span>'],
            ["module SHA-256", f'<span class="mono">{_e(mapped.get("sha256"))}</span>'],
            ["matches the installed record", _e(mapped.get("matches_record"))],
            ["mode, state", _e(f"{module['mode']}, {module['state']}")],
            ["FIPS provider proven in the process", _e(module["provider_proven"])],
            [
                "CMVP verdict",
                f'<span class="{verdict}">{_e(cmvp.get("status"))}</span>: {_e(cmvp.get("note"))}',
            ],
            [
                "OpenSSL",
                _e(f"{module['openssl'].get('cryptography')} (stdlib: {module['openssl'].get('stdlib')})"),
            ],
            ["problems", _e("; ".join(module["problems"]) or "none")],
            ["tool", _e(f"fipscheck {facts['tool']['version']}, Python {facts['tool']['python']}")],
            ["bundle created", _e(facts["created"])],
        ],
    )
    passed = "ok" if tests["passed"] else "bad"
    selftests = (
        f'<p class="{passed}">{_e(tests["count"] - len(tests["failed"]))} of {_e(tests["count"])} self-tests'
        f" passed ({_e(tests['source'])}).</p>"
        + _table(
            ["test", "family", "result", "µs"],
            ([_e(r["name"]), _e(r["family"]), _e(r["result"]), _e(r["us"])] for r in tests["results"]),
        )
    )
    policy = (
        f"<p>{_e(chosen['name'])} version {_e(chosen['version'])}: {_e(chosen['title'])}"
        + (" <b>[DRAFT]</b>" if chosen["draft"] else "")
        + "</p>"
        + _table(
            ["layer", "version", "SHA-256 of its source"],
            ([_e(x["name"]), _e(x["version"]), _mono(x["sha256"])] for x in chosen["layers"]),
        )
    )
    waiver_rows = ([_e(w.rule), _mono(w.where), _e(w.owner), _e(w.ticket), _expiry(w, as_of)] for w in waived)
    sections = [
        f"<h1>FIPS compliance report</h1><p>As of {_e(as_of)}.</p>",
        _signature(signature, fingerprint),
        f"<h2>Module identity and CMVP verdict</h2>{identity}",
        f"<h2>Self-tests</h2>{selftests}",
        f"<h2>Active policy</h2>{policy}",
        "<h2>Scans and checks</h2>"
        + ("".join(_findings(s) for s in scans) or "<p>No scan report in the bundle.</p>"),
        "<h2>Waivers</h2>"
        + (
            _table(["rule", "where", "owner", "ticket", "expires"], waiver_rows) if waived else "<p>None.</p>"
        ),
        f"<h2>Policy transitions ahead</h2>{_svg(events, as_of)}",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>FIPS compliance report {_e(as_of)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(sections)}</body></html>\n"
    )


@click.command()
@click.argument("bundle_file", metavar="BUNDLE", type=click.Path(dir_okay=False))
@click.option(
    "--html", "html_file", type=click.Path(dir_okay=False), help="Write the page here [default: stdout]."
)
@as_of_option
@click.option(
    "--public-key",
    type=click.Path(dir_okay=False),
    help="The signer's public key: the bundle must be signed by it.",
)
def report(bundle_file: str, html_file: str | None, as_of: dt.date | None, public_key: str | None) -> None:
    """Write one self-contained HTML page (inline CSS and SVG, no scripts, no network) from an evidence
    bundle: module identity and CMVP verdict, self-tests, the active policy, the scans' findings with
    their citations, waivers with owners and expiries, and a timeline of the policy transitions ahead
    that touch the scanned inventory. See docs/evidence.md.

    \b
    Exit codes: 0 written; 1 the bundle's signature does not verify;
    2 usage, or the page cannot be written; 3 BUNDLE cannot be read or is
    not a bundle, or the module did not activate.
    """
    activate_or_exit()
    from . import bundle

    try:
        envelope = bundle.read_envelope(bundle_file)
        state = "unsigned"
        if envelope.get("signature") is not None or public_key is not None:
            state = "pinned" if bundle.verify(envelope, public_key).pinned else "embedded"
        page = render(envelope, signature=state, as_of=as_of or dt.date.today())
    except EvidenceError as exc:
        raise fail(str(exc), EXIT_UNAVAILABLE if exc.unreadable else EXIT_USAGE) from exc
    except InvalidSignature as exc:
        raise fail(f"{bundle_file}: {exc}", EXIT_VIOLATION) from exc
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise fail(f"{bundle_file}: a member is missing or malformed ({exc!r})", EXIT_UNAVAILABLE) from exc
    except FipsError as exc:
        raise fail(str(exc).splitlines()[0], EXIT_UNAVAILABLE) from exc
    write_or_exit(html_file, page)
    raise SystemExit(EXIT_OK)
