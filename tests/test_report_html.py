"""``fipscheck report``: one self-contained HTML page from an evidence bundle, with the bundle's facts,
the scans' findings and citations, the waivers, and the SVG timeline of the policy transitions ahead;
nothing in it references anything outside the file; and the page as a real browser renders it
(headless Chromium, Debian's package, which ``make test`` installs): its DOM holds the facts, the
screenshot is drawn, and loading it asks for nothing outside the file.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from fipscrypto.cli.report_html import transitions
from fipscrypto.provider.state import StatePaths

from support import clean_env, cli

CORPUS = Path(__file__).resolve().parent / "scan_corpus"
WAIVERS = """
[[waiver]]
rule = "policy.hash.md5"
target = "*vulnerable_hashes.py"
owner = "Dana <Roe> & Co"
ticket = "SEC-101"
expires = 2027-03-31
"""
MANIFEST = """
[service]
name = "media-relay"

[[keys]]
use = "node certificate"
algorithm = "rsa-pss"
bits = 2048
"""


class Page(HTMLParser):
    """Every tag with its attributes, the text, and the text inside <svg>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.svg_text: list[str] = []
        self.style = ""
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "line", "circle"):
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if "svg" in self._open:
            self.svg_text.append(data)
        if self._open and self._open[-1] == "style":
            self.style += data


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory, state_paths: StatePaths) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("report")
    (root / "waivers.toml").write_text(WAIVERS)
    (root / "relay.toml").write_text(MANIFEST)
    scan, check = root / "scan.json", root / "check.json"
    cli(
        "scan", "code", str(CORPUS / "vulnerable_hashes.py"), "--waivers", str(root / "waivers.toml"),
        "--as-of", "2026-06-01", "--format", "json", "-o", str(scan),
    )  # fmt: skip
    cli(
        "check", str(root / "relay.toml"), "--policy", "nist-pqc-transition", "--as-of", "2026-06-01",
        "--format", "json", "-o", str(check),
    )  # fmt: skip
    key, public = root / "key.pem", root / "pub.pem"
    assert cli("evidence", "keygen", "-o", str(key), "--public-out", str(public)).returncode == 0
    signed = root / "bundle.json"
    done = cli(
        "evidence", "--state-dir", str(state_paths.root), "--sign-key", str(key),
        "--scan", str(scan), "--scan", str(check), "-o", str(signed),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    html = root / "report.html"
    done = cli(
        "report", "--html", str(html), "--as-of", "2026-12-01", "--public-key", str(public), str(signed)
    )
    assert done.returncode == 0, done.stderr
    page = Page()
    page.feed(html.read_text(encoding="utf-8"))
    return {
        "root": root,
        "bundle": json.loads(signed.read_text()),
        "html": html,
        "page": page,
        "public": public,
    }


def test_the_page_references_nothing_outside_itself(made: dict[str, Any]) -> None:
    page: Page = made["page"]
    tags = {tag for tag, _ in page.tags}
    assert "script" not in tags
    assert not tags & {"iframe", "object", "embed", "link", "img", "base", "form"}
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)  # no event handlers
            if name in ("src", "href", "xlink:href", "action", "srcset", "data"):
                raise AssertionError(f"<{tag} {name}={value!r}>")
    assert "url(" not in page.style
    assert "@import" not in page.style
    raw = made["html"].read_text(encoding="utf-8")
    # URLs appear only as the citations' text (escaped), never in markup.
    markup = re.sub(r">[^<]*<", "><", raw)
    assert "http" not in markup
    assert "javascript:" not in raw


def test_the_page_holds_the_bundle_facts(made: dict[str, Any]) -> None:
    facts, text = made["bundle"]["bundle"], " ".join(made["page"].text)
    provider = facts["module"]["provider"]
    assert f"{provider['name']} {provider['version']}" in text
    assert provider["module"]["sha256"] in text
    assert facts["cmvp"]["status"] in text
    assert facts["cmvp"]["note"] in text
    tests = facts["selftests"]
    assert f"{tests['count']} of {tests['count']} self-tests passed" in text
    assert all(r["name"] in text for r in tests["results"])
    chosen = facts["policy"]
    assert f"{chosen['name']} version {chosen['version']}" in text
    assert all(layer["sha256"] in text for layer in chosen["layers"])
    assert made["bundle"]["signature"]["key_fingerprint"] in text
    assert "checked with the public key given" in text


def test_the_page_holds_the_findings_with_their_citations(made: dict[str, Any]) -> None:
    text = " ".join(made["page"].text)
    scan, check = (s["report"] for s in made["bundle"]["bundle"]["scans"])
    assert {"verdict" in f for f in scan["findings"]} == {True, False}  # uses and misuses
    for finding in scan["findings"]:
        assert finding["message"] in text
        if "verdict" in finding:
            cited = finding["verdict"]["citation"]
            assert f"{cited['document']}, {cited['section']} ({cited['url']})" in text
        else:  # a misuse, with its own citation
            assert finding["citation"] in text
    (finding,) = check["findings"]
    assert finding["reason"] in text
    assert finding["citation"]["document"] in text


def test_the_page_lists_waivers_with_owner_and_expiry(made: dict[str, Any]) -> None:
    page: Page = made["page"]
    text = " ".join(page.text)
    assert "Dana <Roe> & Co" in text  # escaped in the file, read back as text
    assert "Dana <Roe>" not in made["html"].read_text()
    assert "SEC-101" in text
    assert "2027-03-31" in text
    assert "policy.hash.md5" in text
    assert "2027-03-31 (expired)" not in text
    signed = made["root"] / "bundle.json"
    later = cli("report", "--as-of", "2027-06-01", str(signed))  # past the waiver's expiry
    assert later.returncode == 0
    assert "2027-03-31 (expired)" in later.stdout


def test_the_timeline_shows_the_transitions_ahead(made: dict[str, Any]) -> None:
    svg = " ".join(made["page"].svg_text)
    assert "2026-12-01 (as of)" in svg
    # The scan's SHA-1 use, and the check's RSA-PSS 2048 key through both of its IR 8547 dates:
    # the report gives the next change, the policy the one after it.
    assert "2031-01-01: hash sha1 (apply) becomes disallowed, 2 use(s)" in svg
    assert "2031-01-01: signature rsa-pss (apply) becomes deprecated, 1 use(s)" in svg
    assert "2036-01-01: signature rsa-pss (apply) becomes disallowed, 1 use(s)" in svg
    circles = [attrs for tag, attrs in made["page"].tags if tag == "circle"]
    assert len(circles) == 3


def test_transitions_before_the_date_are_left_out(made: dict[str, Any]) -> None:
    scans = made["bundle"]["bundle"]["scans"]
    later = transitions(scans, dt.date(2031, 6, 1))
    assert [(t.date, t.name, t.status) for t in later] == [("2036-01-01", "rsa-pss", "disallowed")]
    assert transitions(scans, dt.date(2040, 1, 1)) == []


def test_a_tampered_bundle_gives_no_page(made: dict[str, Any]) -> None:
    envelope = made["bundle"]
    envelope = json.loads(json.dumps(envelope))
    envelope["bundle"]["cmvp"]["status"] = "validated"
    tampered = made["root"] / "tampered.json"
    tampered.write_text(json.dumps(envelope))
    out = made["root"] / "tampered.html"
    done = cli("report", "--html", str(out), str(tampered))
    assert done.returncode == 1
    assert not out.exists()
    done = cli("report", str(made["root"] / "absent.json"))
    assert done.returncode == 3
    done = cli("report", "--as-of", "someday", str(tampered))
    assert done.returncode == 2


def test_an_unsigned_bundle_says_so(made: dict[str, Any], state_paths: StatePaths) -> None:
    unsigned = made["root"] / "unsigned.json"
    assert cli("evidence", "--state-dir", str(state_paths.root), "-o", str(unsigned)).returncode == 0
    done = cli("report", str(unsigned))
    assert done.returncode == 0
    assert "<b>not signed</b>" in done.stdout
    assert "No scan report in the bundle." in done.stdout
    done = cli("report", "--public-key", str(made["public"]), str(unsigned))  # a key demands a signature
    assert done.returncode == 1


def test_help_states_the_exit_codes() -> None:
    done = cli("report", "-h")
    assert done.returncode == 0
    assert "Exit codes: 0 written; 1 the bundle's signature does not verify;" in done.stdout


CHROMIUM = shutil.which("chromium") or "chromium"  # make test installs it; a missing one fails


def _chromium(page: Path, *args: str, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on ``page`` with every network request refused (no resolver, no proxy)."""
    argv = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
            f"--user-data-dir={page.parent / 'chromium-profile'}", *args]  # fmt: skip
    if log is not None:
        argv += ["--enable-logging", f"--log-file={log}", "--v=1"]
    argv.append(page.as_uri())
    return subprocess.run(argv, capture_output=True, text=True, env=clean_env(), timeout=60, check=False)


def test_a_real_browser_renders_the_facts(made: dict[str, Any]) -> None:
    html: Path = made["html"]
    dom = _chromium(html, "--dump-dom", "--virtual-time-budget=2000")
    assert dom.returncode == 0, dom.stderr[-2000:]
    rendered = Page()
    rendered.feed(dom.stdout)
    text = " ".join(rendered.text)
    facts = made["bundle"]["bundle"]
    provider = facts["module"]["provider"]
    assert f"{provider['name']} {provider['version']}" in text
    assert facts["cmvp"]["status"] in text
    assert f"{facts['selftests']['count']} of {facts['selftests']['count']} self-tests passed" in text
    assert "SEC-101" in text
    assert "2031-01-01: hash sha1 (apply) becomes disallowed, 2 use(s)" in " ".join(rendered.svg_text)
    assert len([1 for tag, _ in rendered.tags if tag == "circle"]) == 3  # the timeline, drawn as SVG


# What Chromium asks its own services for, whatever the page (network time, updates, sign-in, models,
# field trials): Google's hosts, less the web fonts' (fonts.googleapis.com; fonts.gstatic.com is not
# matched), so a page that loads a web font is still caught.
_BROWSER_OWN = re.compile(r"^https?://(?!fonts\.)[a-z0-9-]+\.(google|googleapis|gvt1)\.com/")


def _fetched(page: Path, log: Path, *args: str) -> set[str]:
    """The URLs a headless Chromium session on ``page`` asked for, less the browser's own (``args``
    must hold a command, ``--dump-dom`` or ``--screenshot``: without one, headless Chromium stays up)."""
    done = _chromium(page, *args, log=log)
    assert done.returncode == 0, done.stderr[-2000:]
    urls = re.findall(r"NotifyBeforeURLRequest: (\S+)", log.read_text(errors="replace"))
    return {u for u in urls if not u.startswith(("file:", "data:", "chrome")) and not _BROWSER_OWN.match(u)}


def test_a_real_browser_draws_it_and_fetches_nothing(made: dict[str, Any], tmp_path: Path) -> None:
    leaky = tmp_path / "leaky.html"
    font = "https://fonts.googleapis.com/css2?family=Roboto"
    leaky.write_text(
        f'<html><head><link rel="stylesheet" href="{font}"></head>'
        '<body><img src="http://leak.invalid/pixel.png"></body></html>'
    )
    # The check sees a page's requests, a web font's included.
    assert {"http://leak.invalid/pixel.png", font} <= _fetched(leaky, tmp_path / "leaky.log", "--dump-dom")
    shot = tmp_path / "report.png"
    fetched = _fetched(
        made["html"], tmp_path / "report.log", f"--screenshot={shot}", "--window-size=1280,2400"
    )
    assert not fetched
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1280, 2400)
    assert len(png) > 20_000  # text, tables and the timeline, not a blank page
