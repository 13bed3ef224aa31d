"""The compliance evidence bundle: what ``fipscheck evidence`` collects, signs and verifies.

A bundle is one JSON document (an *envelope*)::

    {"bundle": {...the facts...}, "signature": {...} | null}

``bundle`` holds the facts: the tool and provider versions, the CMVP verdict, the self-test results
(run by the command, in its own process), the active policy and the SHA-256 of each layer's source
text, the service indicator's counters, and the ``--format json`` reports of ``fipscheck scan`` and
``fipscheck check`` given to it. ``signature`` signs the *canonical bytes* of ``bundle``:
``json.dumps(bundle, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` in UTF-8, with no
floats (times are whole microseconds), so any JSON library can recompute them. ECDSA P-384 with
SHA-384 (FIPS 186-5 §6.4; a DER Ecdsa-Sig-Value, what ``openssl dgst -sha384 -verify`` checks) or,
with the post-quantum switch on, ML-DSA-87 (FIPS 204, empty context), through :mod:`fipscrypto.keys`.
The signature carries the public key (SubjectPublicKeyInfo PEM) and its fingerprint, the SHA-256 of
its DER; a verifier pins the signer with its own copy of the public key.

Importing this module boots fipscrypto (its services load the provider): the command activates first,
with the mode and state folder it was given.
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import json
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from fipscrypto import hashes, indicator, keys
from fipscrypto import status as status_report
from fipscrypto._pqc_switch import require_enabled
from fipscrypto._version import __version__
from fipscrypto.errors import EvidenceError, InvalidParameter, InvalidSignature
from fipscrypto.policy import select
from fipscrypto.policy.runtime import active_spec

__all__ = [
    "FORMAT",
    "SCHEMES",
    "Verified",
    "canonical",
    "collect",
    "fingerprint",
    "load_signing_key",
    "load_verifying_key",
    "read_envelope",
    "read_scan_report",
    "sign",
    "verify",
]

FORMAT = "fipscheck-evidence/1"
#: signature algorithm name -> (fipscrypto.keys scheme, digest for keys.sign/verify)
SCHEMES = {"ecdsa-p384-sha384": ("ecdsa-p384", "sha384"), "ml-dsa-87": ("ml-dsa-87", None)}
# A ceiling on every file read here (a bundle embeds its scan reports): bounded time and memory.
MAX_BYTES = 64 * 1024 * 1024


def _no_float(text: str) -> Any:
    raise ValueError(f"a float ({text}) has no canonical form here: use integers or strings")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        names = [key for key, _ in pairs]
        raise ValueError(f"duplicate key {next(k for k in names if names.count(k) > 1)!r}")
    return found


def canonical(document: Any) -> bytes:
    """The canonical bytes of a JSON value: sorted keys, no whitespace, UTF-8; EvidenceError for a
    float, NaN or a value JSON cannot hold (the same value must give the same bytes everywhere)."""
    try:
        _check_canonical(document)
        text = json.dumps(
            document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError, RecursionError) as exc:
        raise EvidenceError("<bundle>", f"no canonical JSON form: {exc}") from None
    return text.encode("utf-8")


def _check_canonical(value: Any) -> None:
    """ValueError for a float anywhere in ``value``, TypeError for an object key that is not a string (json
    would turn ``1`` and ``"1"`` into the same key)."""
    if isinstance(value, float):
        _no_float(repr(value))
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"an object key must be a string, not {key!r}")
            _check_canonical(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_canonical(item)


def _read_json(path: str) -> Any:
    """A JSON file without floats or duplicate keys; EvidenceError (``unreadable`` or not) otherwise."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise EvidenceError(path, f"cannot read: {exc.strerror or exc}", unreadable=True) from None
    if len(data) > MAX_BYTES:
        raise EvidenceError(path, f"larger than {MAX_BYTES} bytes", unreadable=True)
    try:
        return json.loads(data.decode("utf-8"), parse_float=_no_float, object_pairs_hook=_unique)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise EvidenceError(path, f"not JSON: {exc}", unreadable=True) from None


# The members every --format json report of fipscheck scan / check has, and their types.
_REPORT: dict[str, type] = {
    "tool": dict,
    "policy": dict,
    "as_of": str,
    "fail_on": str,
    "summary": dict,
    "findings": list,
}
_KINDS: dict[str, dict[str, type]] = {
    "scan": {"scanner": str, "skipped": list, "next_transitions": list},
    "check": {"manifest": str},
}


def read_scan_report(path: str) -> dict[str, Any]:
    """A ``--format json`` report of ``fipscheck scan ...`` or ``fipscheck check`` as the bundle holds
    it: its kind, file name, SHA-256 and content. EvidenceError for anything else."""
    document = _read_json(path)
    what = "not a --format json report of fipscheck scan or check"
    if not isinstance(document, dict) or not isinstance(document.get("tool"), dict):
        raise EvidenceError(path, f"{what} (no 'tool' object)")
    if document["tool"].get("name") != "fipscheck":
        raise EvidenceError(path, f"{what} (tool is {document['tool'].get('name')!r})")
    kind = next((k for k, members in _KINDS.items() if next(iter(members)) in document), None)
    if kind is None:
        raise EvidenceError(path, f"{what} (neither 'scanner' nor 'manifest')")
    for name, kind_of in {**_REPORT, **_KINDS[kind]}.items():
        if not isinstance(document.get(name), kind_of):
            raise EvidenceError(path, f"{what} ('{name}' missing or not a {kind_of.__name__})")
    sha256 = hashes.digest("sha256", canonical(document)).hex()
    return {"kind": kind, "file": Path(path).name, "sha256": sha256, "report": document}


def _micros(ms: float) -> int:
    return round(ms * 1000)


def _selftests() -> dict[str, Any]:
    """Every self-test, run now in this process (``fipscheck selftest`` runs the same)."""
    # Installed as fipscrypto.selftests (a package-dir mapping that mypy cannot follow): by name.
    results = importlib.import_module("fipscrypto.selftests").run_all()
    rows = [
        {"name": r.name, "family": r.family, "result": "pass" if r.passed else "fail", "us": _micros(r.ms)}
        | ({"detail": r.detail} if r.detail else {})
        for r in results
    ]
    return {
        "source": "run by fipscheck evidence in this process, every registered test",
        "passed": bool(results) and all(r.passed for r in results),
        "count": len(results),
        "failed": [r.name for r in results if not r.passed],
        "results": rows,
    }


def _policy() -> dict[str, Any]:
    """The active policy: name, version, title, and each layer's SHA-256 of its source text."""
    chosen = select(active_spec())
    layers = [
        {"name": layer.name, "version": layer.version, "draft": layer.draft, "sha256": layer.digest}
        for layer in chosen.layers()
    ]
    return {
        "spec": active_spec(),
        "name": chosen.name,
        "version": chosen.version,
        "title": chosen.title,
        "draft": chosen.draft,
        "sha256": chosen.digest,
        "layers": layers,
    }


def _module(report: dict[str, Any]) -> dict[str, Any]:
    """The module and provider facts of ``fipscheck status --json`` an auditor needs."""
    keep = (
        "mode",
        "state",
        "operational",
        "fips_enabled",
        "provider_proven",
        "error",
        "problems",
        "boundary",
    )
    facts = {key: report[key] for key in keep}
    facts["openssl"] = report["openssl"]
    provider = report["provider"]
    if provider is not None:
        facts["provider"] = {
            key: provider[key]
            for key in ("name", "version", "source", "installed_at", "recorded_sha256", "module")
            if key in provider
        }
    else:
        facts["provider"] = None
    return facts


def collect(
    scans: Sequence[dict[str, Any]], *, mode: str | None = None, state_dir: str | None = None
) -> dict[str, Any]:
    """The facts of this process (activating fipscrypto if it is not active) and ``scans`` (from
    :func:`read_scan_report`); the self-tests are run. Counters are this process's."""
    report = status_report.collect(mode, state_dir)
    selftests = _selftests()
    return {
        "format": FORMAT,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "tool": {
            "name": "fipscheck",
            "version": __version__,
            "python": platform.python_version(),
            "cryptography": metadata.version("cryptography"),
        },
        "module": _module(report),
        "cmvp": report["provider"]["cmvp"] if report["provider"] else None,
        "selftests": selftests,
        "policy": _policy(),
        "indicator": {
            "scope": "this fipscheck process since activation (a service reports its own in-process)",
            "counters": indicator.counters(),
        },
        "scans": list(scans),
    }


def fingerprint(public_der: bytes) -> str:
    """``sha256:<hex>`` of a SubjectPublicKeyInfo DER (``openssl pkey -pubin -outform DER | sha256sum``)."""
    return "sha256:" + hashes.digest("sha256", public_der).hex()


def load_signing_key(path: str) -> tuple[str, keys.SigningKey]:
    """A PKCS#8 (PEM or DER) P-384 or ML-DSA-87 private key and its signature algorithm name.
    ML-DSA-87 only with the post-quantum switch on (FeatureDisabled says how to turn it on)."""
    data = _read_key(path)
    for name, (scheme, _digest) in SCHEMES.items():
        try:
            key = keys.load_signing_key(data, scheme)
        except InvalidParameter:  # not a key of this scheme
            continue
        if scheme.startswith("ml-dsa"):
            require_enabled("fipscheck evidence --sign-key with an ML-DSA-87 key")
        return name, key
    raise EvidenceError(path, "not a PKCS#8 ECDSA P-384 or ML-DSA-87 private key")


def load_verifying_key(path: str, algorithm: str) -> keys.VerifyingKey:
    """A SubjectPublicKeyInfo (PEM or DER) public key of ``algorithm`` (a name in :data:`SCHEMES`);
    InvalidSignature when it is a key of another scheme (it did not sign), EvidenceError when none."""
    data = _read_key(path)
    for name, (scheme, _digest) in sorted(SCHEMES.items(), key=lambda item: item[0] != algorithm):
        try:
            found = keys.load_verifying_key(data, scheme)
        except InvalidParameter:
            continue
        if name != algorithm:
            raise InvalidSignature(f"the bundle is signed with {algorithm}; the public key given is {scheme}")
        return found
    raise EvidenceError(path, f"not a public key of {' or '.join(SCHEMES)} (SubjectPublicKeyInfo PEM or DER)")


def _read_key(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(1024 * 1024)
    except OSError as exc:
        raise EvidenceError(path, f"cannot read: {exc.strerror or exc}", unreadable=True) from None


def sign(bundle: dict[str, Any], algorithm: str, key: keys.SigningKey) -> dict[str, Any]:
    """The signed envelope of ``bundle``."""
    message = canonical(bundle)
    signature = key.sign(message, digest=SCHEMES[algorithm][1])
    public_der = key.public_bytes("der")
    return {
        "bundle": bundle,
        "signature": {
            "algorithm": algorithm,
            "value": base64.b64encode(signature).decode("ascii"),
            "public_key": key.public_bytes("pem").decode("ascii"),
            "key_fingerprint": fingerprint(public_der),
        },
    }


def read_envelope(path: str) -> dict[str, Any]:
    """An envelope as written by ``fipscheck evidence``; EvidenceError (unreadable) when it is not one."""
    envelope = _read_json(path)
    if not isinstance(envelope, dict) or not isinstance(envelope.get("bundle"), dict):
        raise EvidenceError(path, "not a fipscheck evidence bundle (no 'bundle' object)", unreadable=True)
    if envelope["bundle"].get("format") != FORMAT:
        raise EvidenceError(
            path, f"not a {FORMAT} bundle (format {envelope['bundle'].get('format')!r})", unreadable=True
        )
    return envelope


# The members of an envelope's signature (none of them is signed: each is checked).
_SIGNATURE = ("algorithm", "value", "public_key", "key_fingerprint")


@dataclass(frozen=True)
class Verified:
    algorithm: str
    key_fingerprint: str
    pinned: bool  # verified with the verifier's own copy of the public key


def verify(envelope: dict[str, Any], public_key: str | None = None) -> Verified:
    """Check the signature of an envelope over its bundle's canonical bytes; InvalidSignature when it is
    missing, malformed, made by another key than ``public_key`` (a file), or does not verify, and when
    the envelope or the signature carries a member the signature does not cover."""
    signature = envelope.get("signature")
    if not isinstance(signature, dict):
        raise InvalidSignature("the bundle is not signed")
    unsigned = sorted(set(envelope) - {"bundle", "signature"}) + sorted(set(signature) - set(_SIGNATURE))
    if unsigned:
        raise InvalidSignature(f"members outside the signed bundle: {', '.join(unsigned)}")
    algorithm, value = signature.get("algorithm"), signature.get("value")
    embedded, claimed = signature.get("public_key"), signature.get("key_fingerprint")
    if algorithm not in SCHEMES:
        raise InvalidSignature(f"unknown signature algorithm {algorithm!r} (known: {', '.join(SCHEMES)})")
    if not all(isinstance(item, str) for item in (value, embedded, claimed)):
        raise InvalidSignature("the signature needs value, public_key and key_fingerprint (strings)")
    scheme = SCHEMES[str(algorithm)][0]
    try:
        raw = base64.b64decode(str(value), validate=True)
        verifying = keys.load_verifying_key(str(embedded).encode("ascii"), scheme)
    except (ValueError, UnicodeEncodeError) as exc:
        raise InvalidSignature(f"malformed signature or public key: {exc}") from None
    if public_key is not None:  # the verifier's own copy pins the signer
        verifying = load_verifying_key(public_key, str(algorithm))
    found = fingerprint(verifying.public_bytes("der"))
    if found != claimed:
        whose = "the public key given" if public_key is not None else "the embedded public key"
        raise InvalidSignature(f"the bundle names signing key {claimed}, not {whose} ({found})")
    verifying.verify(raw, canonical(envelope["bundle"]), digest=SCHEMES[str(algorithm)][1])
    return Verified(str(algorithm), found, public_key is not None)
