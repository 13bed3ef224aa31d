"""What a live TLS server accepts, probed one ClientHello at a time, as uses the policy judges.

For one target (:func:`probe`):

- **versions**: SSL 3.0 to TLS 1.2 each as the hello's version, TLS 1.3 through supported_versions;
- **suites**, per accepted version: every suite of the IANA registry offered, the server's choice
  removed, and again, until the server refuses (one hello per accepted suite, plus one);
- **groups**: each alone, in TLS 1.3 (every registered group, ML-KEM and the hybrids included) and in
  TLS 1.2 (the elliptic curves, with only the ECDHE suites offered);
- **signature schemes**: each alone, in TLS 1.3 and in TLS 1.2 (with only suites that sign);
- **a client held to the policy**: one hello offering only what the policy allows on the date; a
  refusal means the server *requires* something outside the policy, and what it negotiates is the
  connection a compliant client gets;
- **EMS**: whether the server's TLS 1.2 answer carries extended_master_secret (RFC 7627);
- **the chain**: from the TLS 1.2-and-earlier first flight, where it is in the clear; a server without
  those versions is asked in a TLS 1.3 handshake (pyOpenSSL, no verification: the chain is judged, not
  trusted), which needs a group and suite this process can run.

Each accepted item is one :class:`~.model.Use` whose evidence says how it was seen (``accepted with
TLS 1.2``, ``negotiated by a client held to the policy``): an accepted item the policy disallows fails,
since some client can get it, and an accepted item the policy allows never does, however many others
the server accepts besides.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from fipscrypto.policy import Direction, Policy

from .cert import served_chain
from .hello import SHARED_GROUPS, FlightError, Offer, Reader, Reply, client_hello
from .model import Location, Misuse, Skipped, Use
from .tlsregistry import GROUPS, SIGALGS, SUITES, TLS13_SUITES, VERSIONS

__all__ = ["SCANNER", "Target", "parse_target", "probe"]

SCANNER = "tls"
_EMS_RULE = "FIPS 140-3 IG D.Q: the TLS 1.2 key derivation uses the extended master secret (RFC 7627)"
_REFUSED_RULE = (
    "NIST SP 800-52r2 §3: a server shall be configured to negotiate only approved versions, suites, "
    "groups and signature schemes with clients that offer them"
)
_LEGACY = ("ssl3", "tls1.0", "tls1.1", "tls1.2")
_TLS13 = "tls1.3"
_VERSION_NAMES = {code: name for name, code in VERSIONS.items()}
_PRETTY = {
    "ssl3": "SSL 3.0",
    "tls1.0": "TLS 1.0",
    "tls1.1": "TLS 1.1",
    "tls1.2": "TLS 1.2",
    "tls1.3": "TLS 1.3",
}
_ECDHE = tuple(code for code, name in SUITES.items() if "_ECDHE_" in name)
_SIGNED = tuple(
    code for code, name in SUITES.items() if re.match(r"TLS_(EC)?DHE_(RSA|ECDSA|DSS)_WITH_", name)
)
_EC_GROUPS = tuple(g for g in GROUPS if not g.startswith(("ffdhe", "MLKEM", "SecP", "X25519MLKEM")))
_ALERTS = {
    40: "handshake_failure",
    47: "illegal_parameter",
    70: "protocol_version",
    71: "insufficient_security",
}


@dataclass(frozen=True, order=True)
class Target:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_target(text: str) -> Target:
    """``HOST:PORT``, ``[IPV6]:PORT`` or ``HOST`` (port 443). ValueError when malformed."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d+))?|([^\s:\[\]/]+)(?::(\d+))?", text.strip())
    if not match:
        raise ValueError(f"not HOST:PORT: {text!r}")
    host = match[1] or match[3]
    port = int(match[2] or match[4] or 443)
    if not 0 < port < 65536:
        raise ValueError(f"port out of range: {text!r}")
    return Target(host, port)


class _NoAnswer(Exception):
    """The target could not be reached or did not answer in time (``unreachable: ...``), or did not
    answer in TLS (``not-tls: ...``)."""


def _described(reply: Reply) -> str:
    if reply.closed:
        return "the connection was closed"
    return f"alert {_ALERTS.get(reply.alert or 0, reply.alert)}"


@dataclass
class _Seen:
    """What was seen of one target: item -> how it was seen."""

    roles: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    dh_bits: dict[int, str] = field(default_factory=dict)

    def add(self, category: str, name: str, role: str) -> None:
        roles = self.roles.setdefault((category, name), [])
        if role not in roles:
            roles.append(role)


class _Prober:
    def __init__(self, target: Target, timeout: float, connections: int) -> None:
        self.target, self.timeout, self.connections = target, timeout, connections
        self.server_name = None if re.fullmatch(r"[\d.]+|.*:.*", target.host) else target.host

    def ask(self, offer: Offer, *, want_chain: bool = False) -> Reply:
        """Send one hello; the server's answer. _NoAnswer when there is none to judge."""
        hello = client_hello(offer)
        reader = Reader(want_chain=want_chain)
        try:
            with socket.create_connection((self.target.host, self.target.port), self.timeout) as sock:
                sock.sendall(hello)
                while True:
                    data = sock.recv(65536)
                    if not data:
                        return reader.close()
                    reply = reader.feed(data)
                    if reply is not None:
                        return reply
        except ConnectionResetError:
            return reader.close()
        except FlightError as exc:
            raise _NoAnswer(f"not-tls: {exc}") from exc
        except OSError as exc:
            raise _NoAnswer(f"unreachable: {type(exc).__name__}: {exc}".rstrip(": ")) from exc

    def offer(self, version: str, suites: Iterable[int], **kwargs: object) -> Offer:
        return Offer(version, tuple(suites), server_name=self.server_name, **kwargs)  # type: ignore[arg-type]

    def each(self, run: Callable[[str], Reply], names: Iterable[str]) -> dict[str, Reply]:
        """``run`` for each name, ``connections`` at a time."""
        names = list(names)
        with ThreadPoolExecutor(max_workers=self.connections) as pool:
            return dict(zip(names, pool.map(run, names), strict=True))

    def eliminate(self, version: str, suites: dict[int, str], seen: _Seen) -> None:
        """Offer every suite, drop the server's choice, repeat: every suite the server accepts."""
        left = list(suites)
        category = "tls13-suite" if version == _TLS13 else "tls12-suite"
        while left:
            reply = self.ask(self.offer(version, left), want_chain=True)
            if (
                not reply.accepted
                or reply.suite not in left
                or _VERSION_NAMES.get(reply.version or 0) != version
            ):
                return
            seen.add(category, suites[reply.suite], f"accepted with {_PRETTY[version]}")
            if reply.dh_bits:
                seen.dh_bits.setdefault(reply.dh_bits, suites[reply.suite])
            left.remove(reply.suite)


def _accepted_version(reply: Reply, version: str) -> bool:
    return reply.accepted and not (reply.retry and version != _TLS13) and reply.version == VERSIONS[version]


def probe(
    target: Target, policy: Policy, as_of: dt.date, *, timeout: float, connections: int
) -> list[Use | Misuse | Skipped]:
    """Every finding for ``target``; a :class:`~.model.Skipped` alone when it cannot be probed."""
    prober = _Prober(target, timeout, connections)
    where = Location(str(target))
    try:
        return _probe(prober, where, policy, as_of)
    except _NoAnswer as exc:
        return [Skipped(where, str(exc))]


def _probe(prober: _Prober, where: Location, policy: Policy, as_of: dt.date) -> list[Use | Misuse | Skipped]:
    seen = _Seen()
    found: list[Use | Misuse | Skipped] = []

    def version_reply(version: str) -> Reply:
        suites = TLS13_SUITES if version == _TLS13 else SUITES
        return prober.ask(prober.offer(version, suites), want_chain=True)

    replies = prober.each(version_reply, (*_LEGACY, _TLS13))
    accepted = [v for v, reply in replies.items() if _accepted_version(reply, v)]
    if not accepted:
        return [Skipped(where, f"refused: no TLS version accepted ({_described(replies['tls1.2'])})")]
    for version in accepted:
        seen.add("tls-version", version, "accepted")
        prober.eliminate(version, TLS13_SUITES if version == _TLS13 else SUITES, seen)
    if _TLS13 in accepted:
        groups = prober.each(lambda g: prober.ask(prober.offer(_TLS13, TLS13_SUITES, groups=(g,))), GROUPS)
        for group, reply in groups.items():
            if reply.accepted and reply.group == group:
                seen.add("tls-group", group, "accepted with TLS 1.3")
        # a server may pick its certificate after a HelloRetryRequest, so these hellos carry a key
        # share of the group the server chose, and only a ServerHello counts
        chosen = replies[_TLS13].group
        share = {"groups": (chosen,), "share": True} if chosen in SHARED_GROUPS else {}
        sigalgs = prober.each(
            lambda s: prober.ask(prober.offer(_TLS13, TLS13_SUITES, sigalgs=(s,), **share)), SIGALGS
        )
        for sigalg, reply in sigalgs.items():
            if reply.accepted and not (share and reply.retry):
                seen.add("tls-sigalg", sigalg, "accepted with TLS 1.3")
    legacy = [v for v in _LEGACY if v in accepted]
    if legacy:
        top = legacy[-1]
        curve = _leaf_curve(replies[top].certificates)

        def group_reply(group: str) -> Reply:
            reply = prober.ask(prober.offer(top, _ECDHE, groups=(group,)), want_chain=True)
            if reply.accepted or curve in (None, group):
                return reply
            # RFC 8422 §5.1: the client's groups bind an ECDSA certificate's curve too, so that curve
            # is offered after the one probed (which the ServerKeyExchange must then name)
            return prober.ask(prober.offer(top, _ECDHE, groups=(group, curve)), want_chain=True)

        groups = prober.each(group_reply, _EC_GROUPS)
        for group, reply in groups.items():
            if reply.accepted and reply.group == group:
                seen.add("tls-group", group, f"accepted with {_PRETTY[top]}")
        if top == "tls1.2":
            sigalgs = prober.each(
                lambda s: prober.ask(prober.offer(top, _SIGNED, sigalgs=(s,)), want_chain=True), SIGALGS
            )
            for sigalg, reply in sigalgs.items():
                if reply.accepted and reply.sigalg == sigalg:
                    seen.add("tls-sigalg", sigalg, "accepted with TLS 1.2")
        if "tls1.2" in accepted and not replies["tls1.2"].ems:
            found.append(
                Misuse(
                    where,
                    "tls.no-ems",
                    "TLS 1.2 without the extended master secret: the server did not answer the "
                    "extension (a FIPS provider refuses the TLS 1.2 key derivation without it)",
                    _EMS_RULE,
                    SCANNER,
                )
            )
        chain = replies[top].certificates
    else:
        chain = ()
    found += _policy_client(prober, where, policy, as_of, seen)
    for bits, suite in sorted(seen.dh_bits.items()):
        found.append(
            Use(
                where,
                "key-agreement",
                "ffdh",
                SCANNER,
                bits=bits,
                evidence=f"DHE prime of {bits} bits ({suite})",
            )
        )
    found += [
        Use(where, category, name, SCANNER, evidence="; ".join(roles))
        for (category, name), roles in sorted(seen.roles.items())
    ]
    found += _chain(prober, where, chain, as_of)
    return found


def _leaf_curve(chain: tuple[bytes, ...]) -> str | None:
    """The named curve of an ECDSA leaf certificate (asn1crypto's names are the TLS registry's)."""
    from asn1crypto import x509

    try:
        key = x509.Certificate.load(chain[0]).public_key
        return str(key.curve[1]) if key.algorithm == "ec" and key.curve[0] == "named" else None
    except (IndexError, ValueError, TypeError):
        return None


def _allowed(policy: Policy, category: str, names: Iterable[str], as_of: dt.date) -> list[str]:
    return [n for n in names if policy.check(category, n, direction=Direction.APPLY, as_of=as_of).allowed]


def _policy_client(
    prober: _Prober, where: Location, policy: Policy, as_of: dt.date, seen: _Seen
) -> list[Misuse]:
    """One hello with only what the policy allows: refused, the server requires something else."""
    versions = _allowed(policy, "tls-version", VERSIONS, as_of)
    suites = [c for c, n in TLS13_SUITES.items() if n in _allowed(policy, "tls13-suite", [n], as_of)]
    suites += [c for c, n in SUITES.items() if n in _allowed(policy, "tls12-suite", [n], as_of)]
    groups = tuple(_allowed(policy, "tls-group", GROUPS, as_of))
    sigalgs = tuple(_allowed(policy, "tls-sigalg", SIGALGS, as_of))
    if not versions or not suites:
        return []
    top = versions[-1]
    also_tls12 = "tls1.2" in versions
    reply = prober.ask(
        prober.offer(top, suites, groups=groups, sigalgs=sigalgs, also_tls12=also_tls12, share=True)
    )
    if reply.retry and reply.group in groups:  # RFC 8446 §4.1.4: the server asks for its preferred share
        first = (reply.group, *(g for g in groups if g != reply.group))
        reply = prober.ask(
            prober.offer(top, suites, groups=first, sigalgs=sigalgs, also_tls12=also_tls12, share=True)
        )
    if not reply.accepted:
        return [
            Misuse(
                where,
                "tls.policy-client-refused",
                f"a client held to policy {policy.name} cannot connect ({_described(reply)}): the server "
                "requires something the policy does not allow",
                _REFUSED_RULE,
                SCANNER,
            )
        ]
    version = _VERSION_NAMES.get(reply.version or 0)
    role = "negotiated by a client held to the policy"
    if version:
        seen.add("tls-version", version, role)
    suite = TLS13_SUITES.get(reply.suite or 0) or SUITES.get(reply.suite or 0)
    if suite:
        seen.add("tls13-suite" if version == _TLS13 else "tls12-suite", suite, role)
    if reply.group:
        seen.add("tls-group", reply.group, role)
    return []


def _chain(
    prober: _Prober, where: Location, chain: tuple[bytes, ...], as_of: dt.date
) -> list[Use | Misuse | Skipped]:
    if not chain:
        from .tlschain import fetch_chain  # pyOpenSSL only when TLS 1.2 and earlier are off

        try:
            chain = fetch_chain(prober.target.host, prober.target.port, prober.server_name, prober.timeout)
        except OSError as exc:
            return [Skipped(where, f"chain: no TLS 1.3 handshake this process can complete ({exc})")]
    return served_chain(chain, where.target, as_of, SCANNER)
