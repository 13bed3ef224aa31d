"""Policy -> endpoint settings: what one TLS or DTLS endpoint may offer, in OpenSSL's spelling.

Independent of pyOpenSSL and of the protocol's transport, so that DTLS-SRTP contexts are built from the
same settings. :func:`endpoint_settings` takes what the policy compiler gives
(:func:`fipscrypto.policy.compile.tls_settings`: acceptable suites, groups and signature schemes,
preferred first; the versions the policy allows; only what this OpenSSL can negotiate) and passes every
offered item through the gate and both policies (:meth:`PolicyRef.require`), so building a context is an
audited, indicator-recorded service.

The policy is the only rulebook: this module adds no rule of its own. What fipscrypto holds its
endpoints to beyond NIST (finite-field groups from ffdhe3072, no ``X25519MLKEM768``) is the default
``fips-140-3-hardened`` profile's. Post-quantum groups are offered only on request
(``post_quantum=True``), and then first, so that two fipscrypto endpoints negotiate a hybrid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

from .. import _clock
from ..errors import InvalidParameter, PolicyViolation
from ..policy.compile import Negotiable, tls_settings
from ..policy.vocabulary import categories
from .arguments import flag
from .names import WIRE_VERSIONS
from .rules import PolicyRef

if TYPE_CHECKING:
    from ..policy import Policy

__all__ = ["EndpointSettings", "Protocol", "endpoint_settings"]

Protocol = Literal["tls", "dtls"]
_PROTOCOLS: tuple[str, ...] = get_args(Protocol)


@dataclass(frozen=True, slots=True)
class EndpointSettings:
    """What an endpoint offers and accepts. Suites, groups and signature schemes in OpenSSL's spelling,
    most preferred first; ``versions`` in the policy's names."""

    policy: str
    protocol: Protocol
    versions: tuple[str, ...]
    tls12_suites: tuple[str, ...]
    tls13_suites: tuple[str, ...]
    groups: tuple[str, ...]
    sigalgs: tuple[str, ...]
    post_quantum: bool
    session_tickets: bool
    approved: bool

    @property
    def min_version(self) -> int:
        return WIRE_VERSIONS[self.versions[0]]

    @property
    def max_version(self) -> int:
        return WIRE_VERSIONS[self.versions[-1]]


def endpoint_settings(
    ref: PolicyRef,
    *,
    service: str,
    protocol: Protocol = "tls",
    post_quantum: bool = False,
    session_tickets: bool = False,
    negotiable: Negotiable | None = None,
) -> EndpointSettings:
    """The settings of one endpoint under ``ref``; raises PolicyViolation in strict mode when the active
    policy refuses something the endpoint's policy allows, or when nothing can be negotiated.
    ``negotiable``: what the OpenSSL that will run the endpoint can negotiate (suites and versions
    outside it are not offered; see :func:`fipscrypto.tls.openssl.capability`)."""
    if not isinstance(ref, PolicyRef):
        raise InvalidParameter(f"ref is a PolicyRef, not {type(ref).__name__}")
    if not isinstance(service, str):
        raise InvalidParameter(f"service is a str, not {type(service).__name__}")
    if protocol not in _PROTOCOLS:
        raise InvalidParameter(f"protocol is one of {_PROTOCOLS}, not {protocol!r:.40}")
    post_quantum = flag("post_quantum", post_quantum)
    session_tickets = flag("session_tickets", session_tickets)
    if negotiable is not None and not isinstance(negotiable, Negotiable):
        raise InvalidParameter(f"negotiable is a Negotiable or None, not {type(negotiable).__name__}")
    cache_key = (ref.key, protocol, post_quantum, session_tickets, negotiable, _clock.utc_day())
    settings = _cache.get(cache_key)
    if settings is None:
        settings = _cache[cache_key] = _settings(
            ref.policy, protocol, post_quantum, session_tickets, negotiable
        )
    approved = True
    for category, names in _offered(settings):
        for name in names:
            approved &= ref.require(service, category, name)
    if approved == settings.approved:
        return settings
    return _replace_approved(settings, approved)


def _replace_approved(settings: EndpointSettings, approved: bool) -> EndpointSettings:
    fields = {name: getattr(settings, name) for name in EndpointSettings.__slots__}
    return EndpointSettings(**(fields | {"approved": approved}))


def _offered(settings: EndpointSettings) -> list[tuple[str, tuple[str, ...]]]:
    """(category, vocabulary names) of everything the settings offer."""
    vocab = categories()
    reverse = {
        category: {vocab[category].openssl_name(n): n for n in vocab[category].names}
        for category in ("tls12-suite", "tls-group", "tls-sigalg")
    }
    return [
        ("tls-version", settings.versions),
        ("tls12-suite", tuple(reverse["tls12-suite"][s] for s in settings.tls12_suites)),
        ("tls13-suite", settings.tls13_suites if settings.protocol == "tls" else ()),
        ("tls-group", tuple(reverse["tls-group"][g] for g in settings.groups)),
        ("tls-sigalg", tuple(reverse["tls-sigalg"][s] for s in settings.sigalgs)),
    ]


# (policy key, protocol, post_quantum, session_tickets, negotiable, UTC day) -> settings
_cache: dict[tuple[object, ...], EndpointSettings] = {}


def _settings(
    policy: Policy,
    protocol: Protocol,
    post_quantum: bool,
    session_tickets: bool,
    negotiable: Negotiable | None,
) -> EndpointSettings:
    raw = tls_settings(policy, post_quantum=post_quantum, negotiable=negotiable)
    versions = raw.tls_versions if protocol == "tls" else raw.dtls_versions  # as compiled, oldest first
    tls12 = raw.tls12_suites
    if protocol == "tls" and not tls12 and "tls1.3" in versions:
        versions = ("tls1.3",)  # no TLS 1.2 (or earlier) suite is allowed: only TLS 1.3 can be offered
    groups = raw.groups
    problem = (
        "no protocol version"
        if not versions
        else "no key-exchange group"
        if not groups
        else "no signature scheme"
        if not raw.sigalgs
        else "no cipher suite"
        if not (tls12 or (raw.tls13_suites and protocol == "tls"))
        else None
    )
    if problem is not None:
        hint = "" if post_quantum else " (its post-quantum choices need post_quantum=True)"
        raise PolicyViolation(f"policy {policy.name} allows {problem} for a {protocol} endpoint{hint}")
    return EndpointSettings(
        policy=policy.name,
        protocol=protocol,
        versions=versions,
        tls12_suites=tls12,
        tls13_suites=raw.tls13_suites,
        groups=groups,
        sigalgs=raw.sigalgs,
        post_quantum=post_quantum,
        session_tickets=session_tickets,
        approved=True,
    )
