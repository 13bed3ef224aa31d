"""The active policy's compiled TLS section, cached so that activation need not parse the policy.

Activation needs only the ``ssl_conf`` section (``compile.openssl_section``) of the active policy on
today's date, compiled for what cryptography's OpenSSL can negotiate (measured by ``fipscheck provider
install`` and kept in the provider record). Parsing and validating a policy costs tens of
milliseconds of imports and TOML, so the compiled section is kept in
``<state>/runtime/policy-cache.json`` under a key made of the policy spec, the date, the fipscrypto
version, the vocabulary's SHA-256, the measurement's SHA-256 and the SHA-256 of every layer's source
(the file and each file it extends). A change to any of them misses the cache and the policy is
loaded and validated again: a stale policy is never applied.

The entry also keeps what ``fipscheck status`` reports of the policy (its name, title, draft flag and
layers, and the suites it accepts that the measured OpenSSL cannot negotiate), under the same key, so
that a status report does not parse the policy either.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._clock import iso_day
from .._version import __version__
from ..errors import PolicyError
from .source import read_text, source_digest

__all__ = ["DEFAULT", "POLICY_ENV", "active_spec", "summary", "tls_section"]

POLICY_ENV = "FIPSCRYPTO_POLICY"
DEFAULT = "fips-140-3-hardened"
_CACHE = "policy-cache.json"
# The package's own files, read from the package folder (importlib.resources costs ~6 ms of imports).
_HERE = Path(__file__).parent


def active_spec() -> str:
    """``$FIPSCRYPTO_POLICY`` (a built-in profile name or a file), else ``DEFAULT``."""
    return os.environ.get(POLICY_ENV) or DEFAULT


def _read(identity: str) -> str:
    if identity.startswith("<builtin>/"):
        return (_HERE / "profiles" / identity.removeprefix("<builtin>/")).read_text(encoding="utf-8")
    return read_text(identity)


def _key(spec: str, negotiable: Mapping[str, Any] | None) -> dict[str, str]:
    return {
        "spec": spec,
        "date": iso_day(),
        "version": __version__,
        "vocabulary": source_digest((_HERE / "vocabulary.toml").read_text(encoding="utf-8")),
        "negotiable": source_digest(json.dumps(negotiable, sort_keys=True)),
    }


def _fresh(entry: dict[str, object], key: dict[str, str]) -> bool:
    if any(entry.get(k) != v for k, v in key.items()):
        return False
    layers = entry.get("layers")
    if not isinstance(layers, list):
        return False
    try:
        return all(source_digest(_read(identity)) == digest for identity, digest in layers)
    except (OSError, ValueError, TypeError, PolicyError):
        return False


def _valid(entry: dict[str, Any]) -> bool:
    """Whether a fresh entry holds every field this version writes."""
    return (
        isinstance(entry.get("section"), str)
        and isinstance(entry.get("name"), str)
        and isinstance(entry.get("title"), str)
        and isinstance(entry.get("draft"), bool)
        and isinstance(entry.get("layer_names"), list)
        and isinstance(entry.get("not_offered"), list)
    )


def _entry(spec: str, cache_dir: Path, negotiable: Mapping[str, Any] | None) -> dict[str, Any]:
    """The cache entry of the policy ``spec`` for today, built (and stored) when absent or stale."""
    if spec.endswith(".toml") and Path(spec).exists():
        spec = str(Path(spec).resolve())
    key = _key(spec, negotiable)
    cache = cache_dir / _CACHE
    try:
        entries = json.loads(read_text(cache))
    except (PolicyError, ValueError, RecursionError):  # absent, unreadable or damaged: rebuilt below
        entries = {}
    entry = entries.get(spec) if isinstance(entries, dict) else None
    if isinstance(entry, dict) and _fresh(entry, key) and _valid(entry):
        return entry
    from .compile import Negotiable, openssl_section, tls_settings
    from .loader import select

    policy = select(spec)
    measured = Negotiable.from_dict(negotiable) if negotiable is not None else None
    entries = entries if isinstance(entries, dict) else {}
    entry = {
        **key,
        "layers": [[layer.path, layer.digest] for layer in policy.layers()],
        "section": openssl_section(policy, negotiable=measured),
        "name": policy.name,
        "title": policy.title,
        "draft": policy.draft,
        "layer_names": [layer.name for layer in policy.layers()],
        "not_offered": [list(item) for item in tls_settings(policy, negotiable=measured).not_offered],
    }
    entries[spec] = entry
    try:
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(entries, indent=1), encoding="utf-8")
        tmp.replace(cache)
    except OSError:
        pass  # a read-only state folder: the entry is still correct, just not cached
    return entry


def tls_section(spec: str, cache_dir: Path, negotiable: Mapping[str, Any] | None = None) -> str:
    """The compiled TLS section of the policy ``spec`` for today; raises PolicyError if it is invalid.
    ``negotiable``: what cryptography's OpenSSL can negotiate (``Negotiable.as_dict()``), or None
    when it was not measured (every suite the policy accepts is offered)."""
    return str(_entry(spec, cache_dir, negotiable)["section"])


def summary(spec: str, cache_dir: Path, negotiable: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What a status report says of the policy ``spec`` today: ``name``, ``title``, ``draft``,
    ``layers`` (names, the policy first) and ``not_offered`` ((suite, why) pairs for ``negotiable``);
    from the cache entry activation wrote when it is fresh. Raises PolicyError if the policy is invalid."""
    entry = _entry(spec, cache_dir, negotiable)
    return {
        "name": entry["name"],
        "title": entry["title"],
        "draft": entry["draft"],
        "layers": list(entry["layer_names"]),
        "not_offered": [tuple(item) for item in entry["not_offered"]],
    }
