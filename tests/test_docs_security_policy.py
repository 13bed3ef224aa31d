"""docs/security-policy.md against the code: the self-tests, services, modes, states, CMVP table,
errors, environment variables and links it names are the ones the code has, so the page cannot
drift silently."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import fipscrypto
from fipscrypto import _faults, _pqc_switch, errors, module, selftests
from fipscrypto.policy.runtime import DEFAULT, POLICY_ENV
from fipscrypto.provider.config import BASE_SWITCHES
from fipscrypto.provider.state import STATE_ENV
from fipscrypto.status import OUTSIDE_PROVIDER

DOCS = Path(__file__).parent.parent / "docs"
PAGE = DOCS / "security-policy.md"
# The page without its fenced blocks (a state diagram), so that backticks pair up as code spans.
TEXT = re.sub(r"^```.*?^```$", "", PAGE.read_text(encoding="utf-8"), flags=re.S | re.M)
CODE = re.compile(r"`([^`]+)`")


def section(number: str) -> str:
    """The text of the section whose heading starts with ``number`` (e.g. "2.3"), up to the next
    heading of the same or a higher level."""
    found = re.search(rf"^(#+) {re.escape(number)}\.? .*$", TEXT, re.M)
    assert found is not None, f"no section {number}"
    level = len(found.group(1))
    end = re.compile(rf"^#{{1,{level}}} ", re.M).search(TEXT, found.end())
    return TEXT[found.end() : end.start() if end else len(TEXT)]


def table(text: str) -> list[list[str]]:
    """The rows of the first Markdown table in ``text`` (header and rule left out), as cells."""
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len(rows) > 2, "no table"
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows[2:]]


def named(text: str) -> set[str]:
    """Every name in backticks in ``text``."""
    return set(CODE.findall(text))


def test_every_registered_self_test_is_listed_in_the_self_test_section() -> None:
    tests = named(section("10"))
    missing = [t.name for t in selftests.registered() if t.name not in tests]
    assert len(selftests.registered()) > 30
    assert missing == []


def test_the_power_on_table_is_the_eager_tests_in_their_order() -> None:
    rows = table(section("10.1"))
    assert [CODE.findall(row[1])[0] for row in rows] == list(selftests.EAGER)


def test_the_conditional_tests_are_listed() -> None:
    assert set(selftests.CONDITIONAL) <= named(section("10.3"))


def test_every_service_a_self_test_unlocks_is_in_a_services_table() -> None:
    services = {s for t in selftests.registered() for s in t.services if s != "*"}
    rows = table(section("4.2")) + table(section("4.3"))
    listed = {name for row in rows for name in CODE.findall(row[0])}
    assert services - listed == set()


def test_services_recorded_as_never_approved_are_in_the_non_approved_table() -> None:
    # record("<service>", ..., False): a service whose indicator is always False.
    never = re.compile(r'record\("([a-z_.]+)", [^,()]+, False\)')
    root = Path(fipscrypto.__file__).parent
    found = {name for path in root.rglob("*.py") for name in never.findall(path.read_text(encoding="utf-8"))}
    listed = {name for row in table(section("4.3")) for name in CODE.findall(row[0])}
    assert found
    assert found - listed == set()


def test_the_modes_table_lists_exactly_the_modes_the_code_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = table(section("2.3"))
    assert [CODE.findall(row[0])[0] for row in rows] == [m.value for m in module.Mode]
    monkeypatch.delenv(module.MODE_ENV, raising=False)
    default = module._resolve_mode(None).value
    assert f"else `{module.MODE_ENV}`, else `{default}`." in section("2.3")


def test_the_switches_every_configuration_sets_are_named_for_strict_and_audit() -> None:
    rows = {CODE.findall(row[0])[0]: row for row in table(section("2.3"))}
    for mode in ("strict", "audit"):
        assert set(BASE_SWITCHES) <= named(rows[mode][2]), mode


def test_the_state_table_lists_exactly_the_module_states() -> None:
    rows = table(section("10.5"))
    assert [CODE.findall(row[0])[0] for row in rows] == [s.value for s in module.State]


def test_the_cmvp_table_is_cmvp_toml() -> None:
    cmvp = Path(fipscrypto.__file__).parent / "cmvp.toml"
    entries = tomllib.loads(cmvp.read_text(encoding="utf-8"))["entry"]
    rows = table(section("2.4"))
    for entry in entries:
        row = next(r for r in rows if entry["versions"][0] in r[0])
        assert row[0].split(", ") == entry["versions"]
        assert row[1].startswith(entry["status"])
        assert row[2] == entry["standard"]
        assert all(cert in row[3] for cert in entry["certificates"])
        if "sunset" in entry:
            assert row[4].startswith(entry["sunset"].isoformat())
        if "submitted" in entry:
            assert entry["submitted"].isoformat() in row[1]
    assert len(rows) == len(entries) + 1  # and "any other version"
    assert rows[-1][1] == "not-validated"


def test_every_error_named_is_a_fipscrypto_error() -> None:
    exception = re.compile(
        r"[A-Z][A-Za-z]+(Error|Failure|State|Violation|Unavailable|Mismatch|NotFound|Warning|Reuse|Parameter)"
    )
    names = {n for n in named(TEXT) if exception.fullmatch(n)}
    assert {"PolicyViolation", "ModuleErrorState", "SelfTestFailure"} <= names
    assert [n for n in sorted(names) if not isinstance(getattr(errors, n, None), type)] == []


def test_the_environment_variables_are_the_ones_the_code_reads() -> None:
    read = {module.MODE_ENV, POLICY_ENV, STATE_ENV, _faults.ENV, _pqc_switch.ENV}
    assert set(re.findall(r"FIPSCRYPTO_[A-Z_]+", TEXT)) == read


def test_the_default_policy_is_the_one_activation_uses() -> None:
    assert f"default `{DEFAULT}`" in section("3")


def test_every_service_computed_outside_the_provider_is_in_the_boundary_section() -> None:
    dotted = {n for key in OUTSIDE_PROVIDER for n in re.findall(r"[a-z]+\.[a-z_A-Z]+", key)}
    assert dotted
    assert dotted - named(section("2.1")) == set()


def _slug(heading: str) -> str:
    """The anchor GitHub makes of a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@pytest.mark.parametrize("page", ["security-policy.md", "data-at-rest.md"])
def test_every_relative_link_reaches_a_file_and_its_heading(page: str) -> None:
    source = DOCS / page
    links = re.findall(r"\]\(([^)\s]+)\)", source.read_text(encoding="utf-8"))
    broken = []
    for link in links:
        if "://" in link:
            continue
        target, _, anchor = link.partition("#")
        path = (source.parent / target) if target else source
        if not path.is_file():
            broken.append(link)
            continue
        headings = re.findall(r"^#+ (.*)$", path.read_text(encoding="utf-8"), re.M)
        if anchor and anchor not in {_slug(h) for h in headings}:
            broken.append(link)
    assert links
    assert broken == []
