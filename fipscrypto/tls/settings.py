"""Policy -> endpoint settings: what one TLS or DTLS endpoint may offer, in OpenSSL's spelling.

Independent of pyOpenSSL and of the protocol's transport, so that the DTLS-SRTP phase builds its
contexts from the same settings. :func:`endpoint_settings` starts from the policy compiler
(:func:`fipscrypto.policy.compile.tls_settings`, only *acceptable* items, preferred first), applies
the signalling rules below, and passes every offered item through the gate and both policies
(:meth:`PolicyRef.require`), so building a context is an audited, indicator-recorded service.

Signalling rules on top of the policy (the "TLS for signalling" issue):

- **TLS 1.2 and DTLS 1.2 at least**, even where a policy allows older versions: signalling "must use
  TLS 1.2+" (SP 800-52 Rev. 2 §3.1 requires TLS 1.2 support of government servers and disallows
  TLS 1.0 there).
- **Finite-field groups from ffdhe3072 up.** ffdhe2048 gives 112-bit security (SP 800-57 Part 1
  Rev. 5, Table 2); fipscrypto's endpoints hold key establishment to 128 bits and more.
- **Post-quantum groups only on request** (``post_quantum=True``), and in strict mode only hybrids
  whose classical half is an approved curve (``SecP256r1MLKEM768``, ``SecP384r1MLKEM1024``) or
  ML-KEM alone: X25519 is not an SP 800-56A Rev. 3 scheme, so ``X25519MLKEM768`` is left to audit
  mode (ARCHITECTURE.md §7). They come first, so two fipscrypto endpoints negotiate a hybrid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .. import _clock, module
from ..errors import PolicyViolation
from ..policy.compile import Negotiable, tls_settings
from ..policy.vocabulary import categories
from .rules import PolicyRef

if TYPE_CHECKING:
    from ..policy import Policy

__all__ = ["MIN_FFDHE_BITS", "EndpointSettings", "Protocol", "endpoint_settings"]

Protocol = Literal["tls", "dtls"]

MIN_FFDHE_BITS = 3072
# Wire version numbers (RFC 8446 §4.2.1, RFC 6347 §4.1): what SSL_CTX_set_min/max_proto_version take.
_WIRE = {"tls1.2": 0x0303, "tls1.3": 0x0304, "dtls1.2": 0xFEFD}
_ORDER = {"tls": ("tls1.2", "tls1.3"), "dtls": ("dtls1.2",)}  # oldest first; OpenSSL has no DTLS 1.3
_X25519_HYBRIDS = frozenset({"X25519MLKEM768"})


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
        return _WIRE[self.versions[0]]

    @property
    def max_version(self) -> int:
        return _WIRE[self.versions[-1]]


def _ffdhe_bits(group: str) -> int | None:
    return int(group[len("ffdhe") :]) if group.startswith("ffdhe") else None


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
    ``negotiable``: what the OpenSSL that will run the endpoint can negotiate (suites outside it are
    not offered; see :func:`fipscrypto.tls.openssl.capability`)."""
    strict = module.info().mode is module.Mode.STRICT
    cache_key = (ref.key, protocol, post_quantum, session_tickets, strict, negotiable, _clock.utc_day())
    settings = _cache.get(cache_key)
    if settings is None:
        settings = _cache[cache_key] = _settings(
            ref.policy, protocol, post_quantum, session_tickets, strict, negotiable
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


# (policy key, protocol, post_quantum, session_tickets, strict, negotiable, UTC day) -> settings
_cache: dict[tuple[object, ...], EndpointSettings] = {}


def _settings(
    policy: Policy,
    protocol: Protocol,
    post_quantum: bool,
    session_tickets: bool,
    strict: bool,
    negotiable: Negotiable | None,
) -> EndpointSettings:
    raw = tls_settings(policy, post_quantum=post_quantum, negotiable=negotiable)
    versions = tuple(policy.allowed_names("tls-version", _ORDER[protocol]))  # acceptable ones, as compiled
    tls12 = raw.tls12_suites
    if protocol == "tls" and not tls12 and "tls1.3" in versions:
        versions = ("tls1.3",)  # no TLS 1.2 suite is allowed: TLS 1.2 cannot be offered
    groups = tuple(
        g
        for g in raw.groups
        if (_ffdhe_bits(g) or MIN_FFDHE_BITS) >= MIN_FFDHE_BITS and not (strict and g in _X25519_HYBRIDS)
    )
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
