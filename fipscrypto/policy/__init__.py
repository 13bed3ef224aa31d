"""The allowlist: policy as cited data, evaluated as of a date, enforced at the edge.

Services call :func:`require` before they run an algorithm: in strict mode a non-approved request
raises :class:`~fipscrypto.errors.PolicyViolation`; in audit mode it is allowed and logged. The
active policy is ``$FIPSCRYPTO_POLICY`` (a built-in profile name or a policy file), by default
``fips-140-3``. File format: docs/policy-format.md.

The names below are loaded on first use: activation reads only the compiled TLS section (see
``runtime``), so a process that never asks for a verdict never pays for parsing the policy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .runtime import DEFAULT, POLICY_ENV

if TYPE_CHECKING:
    from .api import check, current, require, select
    from .diff import Difference, differences
    from .loader import builtin, builtin_names, load, loads
    from .model import Citation, Direction, Policy, Rule, Source, Status, Verdict

__all__ = [
    "DEFAULT",
    "POLICY_ENV",
    "Citation",
    "Difference",
    "Direction",
    "Policy",
    "Rule",
    "Source",
    "Status",
    "Verdict",
    "builtin",
    "builtin_names",
    "check",
    "current",
    "differences",
    "load",
    "loads",
    "require",
    "select",
]

_HOME = {
    "check": "api", "current": "api", "require": "api", "select": "api",
    "Difference": "diff", "differences": "diff",
    "builtin": "loader", "builtin_names": "loader", "load": "loader", "loads": "loader",
    "Citation": "model", "Direction": "model", "Policy": "model", "Rule": "model", "Source": "model",
    "Status": "model", "Verdict": "model",
}  # fmt: skip


def __getattr__(name: str) -> object:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value
