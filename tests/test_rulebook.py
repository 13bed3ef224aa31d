"""The policy is the only rulebook: code and profiles agree on every algorithm, mode and size.

tests/rulebook.py walks every algorithm, mode and size each service accepts (read from the services'
own tables, the policy vocabulary and the services' signatures) in a fresh strict-mode interpreter
and records every question the services ask the policy. Here:

- every question has a deciding rule (not "no rule: not on the allowlist") in every built-in profile,
  for the algorithm and for the size asked about;
- a service refuses by its own code (before or instead of asking the policy) nothing that its own
  table lists, and no hash that a profile allows for that use (the refusal belongs in the profile);
- every name the vocabulary declares for a category a service takes is accepted by some service,
  refused by one as not offered (AlgorithmUnavailable), or allowed by no profile in any direction;
- a TLS endpoint offers everything its profile allows (rules kept in the TLS code show up here),
  and every name the TLS layer reports from a peer has a rule in every profile.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import service_calls

from fipscrypto import policy
from fipscrypto.policy import Direction, Status

from support import run_script_json

TESTS = Path(__file__).parent
PROFILES = policy.builtin_names()
TODAY = dt.date.today()
# Categories whose names a service takes as an argument (the others name protocol transforms that
# only the TLS endpoint or no service offers; TLS has its own checks below).
SERVICE_CATEGORIES = ("hash", "signature", "key-agreement", "password-hash", "mac")


@pytest.fixture(scope="module")
def walk() -> dict[str, Any]:
    result: dict[str, Any] = run_script_json(TESTS / "rulebook.py", timeout=600, **service_calls.PQC_ON)
    return result


@cache
def _profile(name: str) -> policy.Policy:
    return policy.builtin(name)


def _statuses(profile: str, category: str, name: str) -> set[Status]:
    rule = _profile(profile).match(category, name, None)
    return set() if rule is None else {rule.status_on(d, TODAY)[0] for d in Direction}


def _usable_somewhere(category: str, name: str) -> list[str]:
    """'profile: status' for each profile that lets the name be used in some direction."""
    found = []
    for profile in PROFILES:
        usable = sorted(s.value for s in _statuses(profile, category, name) if s is not Status.DISALLOWED)
        if usable:
            found.append(f"{profile}: {'/'.join(usable)}")
    return found


def _fail(title: str, lines: list[str]) -> None:
    if lines:
        pytest.fail(
            "\n".join([f"{title}: {len(lines)} case(s)", *(f"  - {line}" for line in sorted(set(lines)))]),
            pytrace=False,
        )


def _where(bits: int | None) -> str:
    return f" ({bits} bits)" if bits is not None else ""


@pytest.mark.parametrize("profile", PROFILES)
def test_every_algorithm_a_service_asks_about_has_a_rule(walk: dict[str, Any], profile: str) -> None:
    missing = []
    for category, name, direction, _bits, service in walk["queries"]:
        if _profile(profile).match(category, name, None) is None:
            missing.append(f"{category} {name}, {direction} (asked by {service}): no rule")
    _fail(f"profile {profile}: algorithms with no rule", missing)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_size_a_service_asks_about_has_a_rule(walk: dict[str, Any], profile: str) -> None:
    missing = []
    for category, name, direction, bits, service in walk["queries"]:
        rules = _profile(profile)
        if (
            bits is not None
            and rules.match(category, name, None) is not None
            and rules.match(category, name, bits) is None
        ):
            missing.append(
                f"{category} {name}{_where(bits)}, {direction} (asked by {service}): no rule for the size"
            )
    _fail(f"profile {profile}: sizes with no rule", missing)


def test_services_refuse_by_code_nothing_their_tables_or_the_profiles_allow(walk: dict[str, Any]) -> None:
    found = []
    for probe in walk["probes"]:
        if probe["outcome"] == "raw":
            found.append(
                f"{probe['service']} {probe['param']}={probe['candidate']!r}: raw exception {probe['detail']}"
            )
            continue
        if probe["outcome"] != "invalid":
            continue
        what = (
            f"{probe['service']} {probe['param']}={probe['candidate']!r} refused by code ({probe['detail']})"
        )
        if probe["in_table"]:
            found.append(f"{what}, though the service's own table lists it")
        elif probe["category"] == "hash" and probe["service"].startswith(("SigningKey.", "VerifyingKey.")):
            # A signature's hash: SHA-1 has its own signature rule (sha1-signature), others the hash's.
            direction = Direction.PROCESS if probe["service"].startswith("VerifyingKey.") else Direction.APPLY
            category, name = (
                ("signature", "sha1-signature")
                if probe["candidate"] == "sha1"
                else ("hash", probe["candidate"])
            )
            allowing = []
            for profile in PROFILES:
                rule = _profile(profile).match(category, name, None)
                status = rule.status_on(direction, TODAY)[0] if rule is not None else Status.DISALLOWED
                if status is not Status.DISALLOWED and (
                    direction is Direction.PROCESS or status is not Status.LEGACY_USE
                ):
                    allowing.append(f"{profile} ({status.value})")
            if allowing:
                found.append(
                    f"{what}, though {category} {name} is allowed for {direction.value}"
                    f" by {', '.join(allowing)}"
                )
    _fail("refusals kept in code", found)


def test_every_vocabulary_name_is_offered_or_declared_not_offered(walk: dict[str, Any]) -> None:
    from fipscrypto.policy.vocabulary import categories

    outcomes: dict[tuple[str, str], set[str]] = {}
    for probe in walk["probes"]:
        if probe["category"] is not None:
            outcomes.setdefault((probe["category"], str(probe["candidate"])), set()).add(probe["outcome"])
    for category, name, _direction, _bits, _service in walk["queries"]:
        outcomes.setdefault((category, name), set()).add("asked")
    found = []
    for category in SERVICE_CATEGORIES:
        for name in categories()[category].names:
            seen = outcomes.get((category, name), set())
            if seen & {"ok", "policy", "unavailable", "asked"}:
                continue
            usable = _usable_somewhere(category, name)
            if usable:
                refused = "no service takes it" if not seen else "refused by code everywhere it was tried"
                found.append(f"{category} {name}: {refused}, though {'; '.join(usable)}")
    _fail("vocabulary names neither offered nor declared not offered", found)


def test_tls_endpoints_offer_what_their_profile_allows(walk: dict[str, Any]) -> None:
    """Everything a profile allows is offered, unless this OpenSSL cannot negotiate it, as measured
    (``tls.openssl.capability()``: e.g. DTLS 1.3, which it has no number for, or a CCM_8 suite below its
    security level). An item left out by any other cause is a rule kept in the TLS code."""
    found = []
    unusable = walk["tls_not_negotiable"]
    for entry in walk["tls"]:
        kind = f"{entry['profile']} {entry['protocol']}{' post-quantum' if entry['post_quantum'] else ''}"
        if "error" in entry:
            continue  # nothing negotiable without the other setting: the other entry covers it
        allowed, offered = entry["allowed"], entry["offered"]
        for category, names in allowed.items():
            for name in names:
                if name in offered[category] or name in unusable.get(category, {}):
                    continue
                if category == "tls-version" and name == "tls1.2" and not offered["tls12-suite"]:
                    continue  # no TLS 1.2 suite is offered: TLS 1.2 cannot be negotiated
                found.append(f"{kind}: {category} {name} is allowed by the profile but not offered")
    _fail("TLS rules kept in code", found)


def test_what_tls_endpoints_cannot_negotiate_is_measured(walk: dict[str, Any]) -> None:
    """The measurement that excuses an item above names OpenSSL's reason for each (so an item is never
    excused by a rule of the code's own), and leaves the versions every profile needs."""
    unusable = walk["tls_not_negotiable"]
    assert unusable["tls-version"]["dtls1.3"].startswith("OpenSSL ")  # no DTLS 1.3 in OpenSSL
    assert all(reason.startswith("OpenSSL ") for names in unusable.values() for reason in names.values())
    assert not {"tls1.2", "tls1.3", "dtls1.2"} & set(unusable["tls-version"])


def test_every_name_the_tls_layer_reports_has_a_rule(walk: dict[str, Any]) -> None:
    found = [
        f"{category} {name}: no rule in {profile}"
        for category, names in walk["peer_names"].items()
        for name in names
        for profile in PROFILES
        if _profile(profile).match(category, name, None) is None
    ]
    _fail("names reported from a peer without a rule", found)
