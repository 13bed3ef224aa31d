"""What the scanners report: uses of cryptography and misuses, where they were found, and verdicts.

The policy is the only rulebook: a :class:`Use` names a policy vocabulary category and name (``hash``
``md5``, ``cipher`` ``3des-cbc``, ``signature`` ``rsa-pss`` with its bits, ``tls-version``
``TLSv1.0``) and :func:`judge` asks the policy about it; the scanner decides only what was used. A
:class:`Misuse` is what no allowlist can express (a constant key, IV or nonce, a certificate check
turned off, ``random`` used for secrets), with the standard it breaks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from fipscrypto.policy import Direction, Policy, Status, Verdict

__all__ = ["SIZE_UNKNOWN", "Certificate", "Finding", "Location", "Misuse", "Skipped", "Use", "judge"]

Severity = Literal["error", "warning", "note"]  # as SARIF levels: fails, may fail, passes


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """Where something was found: a file (with a 1-based line and column when known) or a network
    target (``host:port``)."""

    target: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        return ":".join(str(part) for part in (self.target, self.line, self.column) if part is not None)


Item = tuple[str, str, int | None]  # a policy vocabulary category, name and size


@dataclass(frozen=True, slots=True)
class Certificate:
    """An X.509 certificate a scan read: who it names, its validity, and the vocabulary items of its
    subject's key and of its issuer's signature."""

    sha256: str  # of the DER encoding, hex
    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    key: Item
    signature: Item


@dataclass(frozen=True, slots=True)
class Use:
    """One use of an algorithm or protocol parameter, found by ``scanner`` at ``location``."""

    location: Location
    category: str  # a policy vocabulary category
    name: str  # a name of that category
    scanner: str  # "code", "config:nginx", "cert", "tls", "env", ...
    bits: int | None = None  # key, modulus or group size where the category is sized
    direction: Direction = Direction.APPLY  # PROCESS for verifying, decrypting, unwrapping
    params: Mapping[str, int] = field(default_factory=dict)  # e.g. PBKDF2 "iterations", "salt_bits"
    evidence: str = ""  # the source text, configuration line or negotiated value that shows it
    certificate: Certificate | None = None  # the certificate whose key or signature this is


@dataclass(frozen=True, slots=True)
class Misuse:
    """A misuse outside the allowlist's reach, with a stable rule id and the standard it breaks."""

    location: Location
    rule: str  # stable id, e.g. "code.constant-iv"
    message: str
    citation: str  # e.g. "NIST SP 800-38D §8.2: IVs never repeat under one key"
    scanner: str
    severity: Severity = "error"
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A target that was not checked (unreadable, too large, not parseable, unreachable): the run is
    incomplete."""

    location: Location
    reason: str


@dataclass(frozen=True, slots=True)
class Finding:
    """A use with the policy's verdict on it, or a misuse (``verdict`` None)."""

    subject: Use | Misuse
    verdict: Verdict | None = None

    @property
    def severity(self) -> Severity:
        if isinstance(self.subject, Misuse):
            return self.subject.severity
        if self.verdict is None or not self.verdict.allowed:
            return "error"
        return "note" if self.verdict.status is Status.ACCEPTABLE else "warning"

    @property
    def rule(self) -> str:
        """A stable rule id: the misuse's, or ``policy.CATEGORY.NAME`` for a use."""
        if isinstance(self.subject, Misuse):
            return self.subject.rule
        return f"policy.{self.subject.category}.{self.subject.name}"


SIZE_UNKNOWN = "scan.size-unknown"


def judge(found: Iterable[Use | Misuse], policy: Policy, as_of: dt.date | None = None) -> list[Finding]:
    """Each use with the policy's verdict on ``as_of`` (today by default), each misuse as it is; sorted
    by location, then rule, so that the output is the same from run to run.

    A use whose size the scanner could not learn (``bits`` None) of an item the policy sizes gets the
    verdict the policy gives at both ends of the size range when they agree (``hmac-md5`` is refused
    at any key size); otherwise it is a note that it was not judged (rule ``scan.size-unknown``)."""
    findings = [Finding(item) if isinstance(item, Misuse) else _judged(item, policy, as_of) for item in found]
    return sorted(findings, key=lambda f: (*_position(f.subject.location), f.rule))


def _position(where: Location) -> tuple[str, int, int]:
    """A sort key for locations with and without a line or column (a whole file sorts first)."""
    return where.target, where.line or 0, where.column or 0


def _judged(use: Use, policy: Policy, as_of: dt.date | None) -> Finding:
    params = dict(use.params) or None
    if use.bits is not None or not policy.is_sized(use.category, use.name):
        return Finding(
            use,
            policy.check(
                use.category, use.name, direction=use.direction, bits=use.bits, params=params, as_of=as_of
            ),
        )
    ends = [
        policy.check(use.category, use.name, direction=use.direction, bits=bits, params=params, as_of=as_of)
        for bits in (1, 1 << 20)
    ]
    if ends[0].status is ends[1].status and ends[0].source == ends[1].source:
        return Finding(use, replace(ends[0], bits=None))
    message = (
        f"{use.category} {use.name}: the policy limits its size and the size is not a constant here, "
        "so it was not judged"
    )
    return Finding(
        Misuse(use.location, SIZE_UNKNOWN, message, ends[0].citation(), use.scanner, "note", use.evidence)
    )
