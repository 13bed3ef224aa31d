"""Compile a policy into OpenSSL's ``ssl_conf`` ``system_default`` section, as RHEL crypto-policies does.

pyOpenSSL has no setter for groups, and a context created anywhere in the process should obey the
allowlist without each caller configuring it. OpenSSL applies the ``system_default`` section to every
``SSL_CTX`` it creates (config(5), "SSL Configuration Module"), so fipscrypto writes the section into
the configuration that cryptography's OpenSSL reads at activation. Only what the policy allows for
*apply* on the given date is offered; suites, groups and signature algorithms keep the vocabulary's
order, which puts the preferred choices first.

Only *acceptable* items are offered by default: a deprecated suite or group is tolerated by
``fipscheck check`` (and reported), but fipscrypto's own endpoints do not offer it unless asked to
(``deprecated=True``). Post-quantum groups are offered only when ``post_quantum=True``.

The policy says what may be offered; the OpenSSL in use says what it can negotiate. Given a
:class:`Negotiable` (measured by asking that OpenSSL: :func:`fipscrypto.tls.openssl.capability`), the
suites are the intersection, and each suite the policy accepts but that OpenSSL cannot negotiate is
listed in ``TlsSettings.not_offered`` with OpenSSL's reason (the compiled section names them in a
comment). No suite is left out by a rule of this module: with OpenSSL 4 at its default security level
that is the AES-CCM_8 suites, which OpenSSL counts at 64 bits of security (their 8-byte tag).
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

_VERSION_ORDER = ("tls1.0", "tls1.1", "tls1.2", "tls1.3")
_DTLS_ORDER = ("dtls1.0", "dtls1.2")


@dataclass(frozen=True)
class Negotiable:
    """What one OpenSSL can negotiate of the suites it was asked about, in OpenSSL's spelling (TLS 1.2
    and TLS 1.3 suites together): measured, never assumed. ``refused``: (suite, OpenSSL's reason)."""

    openssl: str
    suites: frozenset[str]
    refused: tuple[tuple[str, str], ...]

    def as_dict(self) -> dict[str, Any]:
        return {"openssl": self.openssl, "suites": sorted(self.suites), "refused": dict(self.refused)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Negotiable:
        refused = data["refused"]
        return cls(str(data["openssl"]), frozenset(data["suites"]), tuple(sorted(refused.items())))


@dataclass(frozen=True)
class TlsSettings:
    """What the policy lets a TLS endpoint offer on one date, in OpenSSL's spelling. ``not_offered``:
    (the policy's name, why) of each suite the policy accepts that the OpenSSL in use cannot negotiate."""

    min_tls: str | None
    min_dtls: str | None
    tls12_suites: tuple[str, ...]
    tls13_suites: tuple[str, ...]
    groups: tuple[str, ...]
    sigalgs: tuple[str, ...]
    not_offered: tuple[tuple[str, str], ...] = ()


def tls_settings(
    policy: Policy,
    *,
    as_of: dt.date | None = None,
    post_quantum: bool = False,
    deprecated: bool = False,
    negotiable: Negotiable | None = None,
) -> TlsSettings:
    """The TLS parameters the policy lets an endpoint offer on the date; with ``negotiable``, only the
    suites that OpenSSL can negotiate."""
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
    versions = allowed("tls-version")
    return TlsSettings(
        min_tls=next((vocab["tls-version"].openssl_name(v) for v in _VERSION_ORDER if v in versions), None),
        min_dtls=next((vocab["tls-version"].openssl_name(v) for v in _DTLS_ORDER if v in versions), None),
        tls12_suites=tuple(ossl for name, ossl in suites["tls12-suite"] if name not in unusable),
        tls13_suites=tuple(ossl for name, ossl in suites["tls13-suite"] if name not in unusable),
        groups=tuple(vocab["tls-group"].openssl_name(g) for g in offered("tls-group")),
        sigalgs=tuple(vocab["tls-sigalg"].openssl_name(s) for s in offered("tls-sigalg")),
        not_offered=tuple(unusable.items()),
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
