"""Compile a policy into OpenSSL's ``ssl_conf`` ``system_default`` section, as RHEL crypto-policies does.

pyOpenSSL has no setter for groups, and a context created anywhere in the process should obey the
allowlist without each caller configuring it. OpenSSL applies the ``system_default`` section to every
``SSL_CTX`` it creates (config(5), "SSL Configuration Module"), so fipscrypto writes the section into
the configuration that cryptography's OpenSSL reads at activation. Only what the policy allows for
*apply* on the given date is offered; suites, groups and signature algorithms keep the vocabulary's
order, which puts the preferred choices first.

Only *acceptable* suites, groups and signature schemes are offered by default: a deprecated one is
tolerated by ``fipscheck check`` (and reported), but fipscrypto's own endpoints do not offer it unless
asked to (``deprecated=True``). Post-quantum groups are offered only when ``post_quantum=True``.
Protocol versions are a range, not a preference list: every version the policy allows, deprecated
ones included (``fips-140-3-public``'s TLS 1.0 and 1.1), is offered, because a peer that speaks a newer
one still negotiates the newest version both share (RFC 8446 §4.1.3 protects TLS 1.3 from downgrade);
a deprecated version is then negotiated only with a peer that has nothing newer, and reported.

The policy says what may be offered; the OpenSSL in use says what it can negotiate. Given a
:class:`Negotiable` (measured by asking that OpenSSL: :func:`fipscrypto.tls.openssl.capability`), the
suites and versions are the intersection, and each one the policy allows but that OpenSSL cannot
negotiate is listed in ``TlsSettings.not_offered`` (suites) or ``TlsSettings.versions_not_offered``
with OpenSSL's reason (the compiled section names them in a comment). Nothing is left out by a rule of
this module: with OpenSSL 4 and the FIPS provider that is the AES-CCM_8 suites, which OpenSSL counts at
64 bits of security (their 8-byte tag) below its default security level, TLS 1.0 and 1.1, which that
security level rules out (and whose handshake digest, MD5‖SHA-1, no FIPS provider has).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._clock import today as _today
from .model import Policy, Status
from .vocabulary import categories

__all__ = ["Negotiable", "TlsSettings", "openssl_section", "tls_settings", "to_json"]

# The versions OpenSSL implements (it has no DTLS 1.3 and no SSL), oldest first: the first one allowed
# is the section's minimum.
_VERSION_ORDER = ("tls1.0", "tls1.1", "tls1.2", "tls1.3")
_DTLS_ORDER = ("dtls1.0", "dtls1.2")


@dataclass(frozen=True)
class Negotiable:
    """What one OpenSSL can negotiate of the suites and versions it was asked about: measured, never
    assumed. ``suites`` in OpenSSL's spelling (TLS 1.2 and TLS 1.3 suites together); ``versions`` in the
    policy's (None: not measured, every version allowed); ``refused``: (suite or version, OpenSSL's
    reason)."""

    openssl: str
    suites: frozenset[str]
    refused: tuple[tuple[str, str], ...]
    versions: frozenset[str] | None = None

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"openssl": self.openssl, "suites": sorted(self.suites)}
        if self.versions is not None:
            found["versions"] = sorted(self.versions)
        return found | {"refused": dict(self.refused)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Negotiable:
        refused = data["refused"]
        versions = data.get("versions")
        return cls(
            str(data["openssl"]),
            frozenset(data["suites"]),
            tuple(sorted(refused.items())),
            frozenset(versions) if versions is not None else None,
        )


@dataclass(frozen=True)
class TlsSettings:
    """What the policy lets a TLS endpoint offer on one date, in OpenSSL's spelling (versions in the
    policy's, oldest first). ``not_offered`` and ``versions_not_offered``: (the policy's name, why) of
    each suite or version the policy allows that the OpenSSL in use cannot negotiate."""

    min_tls: str | None
    min_dtls: str | None
    tls12_suites: tuple[str, ...]
    tls13_suites: tuple[str, ...]
    groups: tuple[str, ...]
    sigalgs: tuple[str, ...]
    not_offered: tuple[tuple[str, str], ...] = ()
    tls_versions: tuple[str, ...] = ()
    dtls_versions: tuple[str, ...] = ()
    versions_not_offered: tuple[tuple[str, str], ...] = ()


def tls_settings(
    policy: Policy,
    *,
    as_of: dt.date | None = None,
    post_quantum: bool = False,
    deprecated: bool = False,
    negotiable: Negotiable | None = None,
) -> TlsSettings:
    """The TLS parameters the policy lets an endpoint offer on the date; with ``negotiable``, only the
    suites and versions that OpenSSL can negotiate."""
    vocab = categories()
    statuses = frozenset({Status.ACCEPTABLE, Status.DEPRECATED} if deprecated else {Status.ACCEPTABLE})

    def allowed(category: str) -> list[str]:
        return policy.allowed_names(category, vocab[category].names, as_of, statuses)

    def offered(category: str) -> list[str]:
        """Allowed names, post-quantum ones only when enabled and then first (as crypto-policies does)."""
        pq = vocab[category].post_quantum
        names = [n for n in allowed(category) if post_quantum or n not in pq]
        return sorted(names, key=lambda n: n not in pq)

    # (policy name, OpenSSL name) of the acceptable suites, and those this OpenSSL cannot negotiate.
    suites = {c: [(n, vocab[c].openssl_name(n)) for n in allowed(c)] for c in ("tls12-suite", "tls13-suite")}
    why = dict(negotiable.refused) if negotiable is not None else {}
    unusable = {
        name: why.get(ossl, f"not known to {negotiable.openssl}")
        for pairs in suites.values()
        for name, ossl in pairs
        if negotiable is not None and ossl not in negotiable.suites
    }
    # Versions: a range, deprecated ones included (see the module's docstring).
    allowed_versions = policy.allowed_names(
        "tls-version",
        (*_VERSION_ORDER, *_DTLS_ORDER),
        as_of,
        frozenset({Status.ACCEPTABLE, Status.DEPRECATED}),
    )
    versions = tuple(
        v
        for v in allowed_versions
        if negotiable is None or negotiable.versions is None or v in negotiable.versions
    )
    tls_versions = tuple(v for v in versions if v in _VERSION_ORDER)
    dtls_versions = tuple(v for v in versions if v in _DTLS_ORDER)
    return TlsSettings(
        min_tls=vocab["tls-version"].openssl_name(tls_versions[0]) if tls_versions else None,
        min_dtls=vocab["tls-version"].openssl_name(dtls_versions[0]) if dtls_versions else None,
        tls12_suites=tuple(ossl for name, ossl in suites["tls12-suite"] if name not in unusable),
        tls13_suites=tuple(ossl for name, ossl in suites["tls13-suite"] if name not in unusable),
        groups=tuple(vocab["tls-group"].openssl_name(g) for g in offered("tls-group")),
        sigalgs=tuple(vocab["tls-sigalg"].openssl_name(s) for s in offered("tls-sigalg")),
        not_offered=tuple(unusable.items()),
        tls_versions=tls_versions,
        dtls_versions=dtls_versions,
        versions_not_offered=tuple(
            (v, why.get(v, f"not known to {negotiable.openssl}"))
            for v in allowed_versions
            if negotiable is not None and v not in versions
        ),
    )


def openssl_section(
    policy: Policy,
    *,
    as_of: dt.date | None = None,
    post_quantum: bool = False,
    deprecated: bool = False,
    negotiable: Negotiable | None = None,
) -> str:
    """The ``[ssl_module]`` and ``[fipscrypto_tls]`` sections; ``ssl_conf = ssl_module`` goes in init."""
    tls = tls_settings(
        policy, as_of=as_of, post_quantum=post_quantum, deprecated=deprecated, negotiable=negotiable
    )
    day = (as_of or _today()).isoformat()
    lines = [
        f"# Compiled from policy {policy.name!r} as of {day} by fipscrypto; do not edit.",
        *(
            f"# Not offered although the policy allows it: {name} ({why})"
            for name, why in tls.versions_not_offered
        ),
        *(f"# Not offered although the policy accepts it: {name} ({why})" for name, why in tls.not_offered),
        "[ssl_module]",
        "system_default = fipscrypto_tls",
        "",
        "[fipscrypto_tls]",
    ]
    min_tls = tls.min_tls
    if min_tls is not None and not tls.tls12_suites and tls.tls13_suites:
        min_tls = "TLSv1.3"  # no TLS 1.2 suite is allowed: TLS 1.2 cannot be offered
    if min_tls is None:
        # No version allowed: contexts can still be created, but no handshake can complete.
        lines += ["TLS.MinProtocol = TLSv1.3", "TLS.MaxProtocol = TLSv1.2"]
    else:
        lines.append(f"TLS.MinProtocol = {min_tls}")
    if tls.min_dtls is not None:
        lines.append(f"DTLS.MinProtocol = {tls.min_dtls}")
    # An empty CipherString makes OpenSSL refuse to create any context ("no cipher match").
    if tls.tls12_suites:
        lines.append(f"CipherString = {':'.join(tls.tls12_suites)}")
    lines.append(f"Ciphersuites = {':'.join(tls.tls13_suites)}")
    if tls.groups:
        lines.append(f"Groups = {':'.join(tls.groups)}")
    if tls.sigalgs:
        lines.append(f"SignatureAlgorithms = {':'.join(tls.sigalgs)}")
    lines.append("Options = ServerPreference,NoRenegotiation,-Compression")
    return "\n".join(lines) + "\n"


def to_json(
    policy: Policy, *, as_of: dt.date | None = None, post_quantum: bool = False, deprecated: bool = False
) -> str:
    """The same settings and the policy's identity as JSON, for other processes and tools."""
    tls = tls_settings(policy, as_of=as_of, post_quantum=post_quantum, deprecated=deprecated)
    return json.dumps(
        {
            "policy": {
                "name": policy.name,
                "title": policy.title,
                "draft": policy.draft,
                "layers": [layer.name for layer in policy.layers()],
            },
            "as_of": (as_of or _today()).isoformat(),
            "tls": {
                "min_protocol": tls.min_tls,
                "min_dtls_protocol": tls.min_dtls,
                "tls12_cipher_suites": list(tls.tls12_suites),
                "tls13_cipher_suites": list(tls.tls13_suites),
                "groups": list(tls.groups),
                "signature_algorithms": list(tls.sigalgs),
            },
        },
        indent=2,
    )
