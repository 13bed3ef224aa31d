"""The certification level of the algorithms a CBOM lists, measured in this process.

Two facts, both measured here and handed to :func:`fipscrypto.cli.cbom.render` as a
:class:`~fipscrypto.cli.cbom.Certification`:

- the module: the FIPS provider this process proved (``fipscheck status``: activation passed the
  power-on self-tests through it and nothing is wrong with it), and the CMVP verdict on its name and
  version (:mod:`fipscrypto.cmvp`) as of the report's date;
- each algorithm: whether that provider serves it with ``fips=yes``, read from the provider itself
  (``OSSL_PROVIDER_query_operation``, :meth:`~fipscrypto.provider.context.FipsContext.algorithms`);
  a curve, which no operation table names, by generating a key on it inside the provider.

A vocabulary item is asked about as the operations it needs (``hmac-sha256``: the HMAC MAC and the
SHA-256 digest); items with no single provider operation (cipher suites, ESP, IKE and SRTP
transforms, protocol versions) are not asked about.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from fipscrypto import cmvp
from fipscrypto import status as status_report
from fipscrypto.errors import FipsError

from . import cbom
from .cbom import Certification

__all__ = ["measure", "measured_cbom"]

Need = tuple[str, str]  # (operation of FipsContext.algorithms, or "curve"; OpenSSL name)

_CURVES = {"p224": "P-224", "p256": "P-256", "p384": "P-384", "p521": "P-521"}
_TLS_CURVES = {"secp224r1": "P-224", "secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
_KEY_WRAP = {"aes-kw": "AES-256-WRAP", "aes-kwp": "AES-256-WRAP-PAD"}
# TLS 1.3 signature schemes (RFC 8446 §4.2.3) -> the provider's signature algorithm, digest and curve
_SIGALG = re.compile(r"(rsa)_(?:pkcs1|pss_rsae|pss_pss)_(sha\d+)|(ecdsa)_(secp\d+r1)_(sha\d+)")


def _norm(name: str) -> str:
    """OpenSSL names compared without case, dashes, underscores and slashes (SHA2-512/256 = sha512-256)."""
    return re.sub(r"[-_/]", "", name.upper())


def _needs(category: str, name: str) -> list[Need] | None:
    """The provider operations ``name`` of ``category`` needs; None when it is not asked about."""
    low = name.lower()
    if category == "hash":
        return [("digest", low)]
    if category == "cipher":
        return [("cipher", low.replace("3des", "des-ede3").replace("2des", "des-ede"))]
    if category == "key-wrap":
        return [("cipher", _KEY_WRAP[low])] if low in _KEY_WRAP else None
    if category == "mac":
        if low.startswith("hmac-"):
            return [("mac", "hmac"), ("digest", low.removeprefix("hmac-"))]
        kind = {"cmac-aes": "cmac", "gmac-aes": "gmac", "kmac128": "kmac-128", "kmac256": "kmac-256"}
        return [("mac", kind[low])] if low in kind else None
    if category == "password-hash" and low.startswith("pbkdf2-hmac-"):
        return [("kdf", "pbkdf2"), ("digest", low.removeprefix("pbkdf2-hmac-"))]
    if category == "kdf":
        kdf = {"hkdf": "hkdf", "pbkdf2": "pbkdf2", "tls13-kdf": "tls13-kdf", "tls12-prf": "tls1-prf"}
        kdf |= {"kbkdf-counter": "kbkdf", "ssh-kdf": "sshkdf", "x963kdf": "x963kdf"}
        return [("kdf", kdf[low])] if low in kdf else None
    if category in ("signature", "key-agreement"):
        return _asymmetric(category, low)
    if category == "tls-group":
        if low in _TLS_CURVES:
            return [("keyexch", "ecdh"), ("curve", _TLS_CURVES[low])]
        if low.startswith("ffdhe"):
            return [("keyexch", "dh")]
        return [("kem", low)] if "mlkem" in low else [("keyexch", low)]
    if category == "tls-sigalg":
        match = _SIGALG.fullmatch(low)
        if match and match.group(1):
            return [("signature", "rsa"), ("digest", match.group(2))]
        if match:
            return [("signature", "ecdsa"), ("curve", match.group(4)), ("digest", match.group(5))]
        return [("signature", low)] if low in ("ed25519", "ed448") else None
    return None


def _asymmetric(category: str, low: str) -> list[Need] | None:
    kind, _, curve = low.partition("-")
    if kind in ("ecdsa", "ecdh"):
        operation = "signature" if kind == "ecdsa" else "keyexch"
        return [(operation, kind), ("curve", _CURVES.get(curve, curve))]
    if low in ("rsa-pss", "rsa-pkcs1v15", "dsa", "ed25519", "ed448") or low.startswith(("ml-dsa", "slh-dsa")):
        return [("signature", "rsa" if low.startswith("rsa") else low)]
    if low.startswith("ml-kem"):
        return [("kem", low)]
    if low == "rsa-oaep":
        return [("asym-cipher", "rsa")]
    if low in ("ffdh", "x25519", "x448"):
        return [("keyexch", "dh" if low == "ffdh" else low)]
    return None


def measure(items: Iterable[tuple[str, str]], as_of: dt.date) -> Certification:
    """Activate (if not yet active), and measure the module and which of ``items`` ((category, name))
    its provider serves. Nothing proven (no provider, activation failed, a problem ``fipscheck status``
    lists): a certification that claims nothing."""
    report = status_report.collect()
    provider = report["provider"]
    if not report["provider_proven"] or report["problems"] or provider is None:
        return Certification(None)
    from fipscrypto import keys  # the private context: opened here if no key was generated yet

    verdict = cmvp.verdict(provider["name"], provider["version"], as_of=as_of)
    try:
        context = keys.inside.get()
    except FipsError:
        return Certification(verdict)
    if context is None:
        return Certification(verdict)
    offered = {operation: {_norm(n) for n in names} for operation, names in context.algorithms().items()}
    curves: dict[str, bool] = {}

    def serves(need: Need) -> bool:
        operation, name = need
        if operation != "curve":
            return _norm(name) in offered[operation]
        if name not in curves:
            try:
                context.generate_ec(name)
                curves[name] = True
            except FipsError:
                curves[name] = False
        return curves[name]

    served: dict[tuple[str, str], bool] = {}
    for category, name in sorted(set(items)):
        needs = _needs(category, name)
        if needs is not None:
            served[(category, name)] = all(serves(need) for need in needs)
    return Certification(verdict, served)


def measured_cbom(assets: Sequence[cbom.Asset], *, policy: str, as_of: dt.date, tool_version: str) -> str:
    """The CBOM of ``assets``, with the certification levels :func:`measure` finds for them."""
    certification = measure([(a.category, a.name) for a in assets], as_of)
    return cbom.render(
        assets, certification=certification, policy=policy, as_of=as_of, tool_version=tool_version
    )
