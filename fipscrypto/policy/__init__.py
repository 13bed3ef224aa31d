"""The allowlist: policy as cited data, evaluated as of a date, enforced at the edge.

The policy is data and its evaluation: :func:`check` gives the verdict on one use, with the deciding
rule and its citation. Enforcement (the gate, the mode, exemptions, the indicator and the audit
trail) is :func:`fipscrypto.enforce.require`, which every service calls. The active policy is
``$FIPSCRYPTO_POLICY`` (a built-in profile name or a policy file), by default ``DEFAULT``. File
format: docs/policy-format.md.

The names below are loaded on first use: activation reads only the compiled TLS section (see
``runtime``), so a process that never asks for a verdict never pays for parsing the policy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .runtime import DEFAULT, POLICY_ENV

if TYPE_CHECKING:
    from .api import check, current, select
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
    "select",
]

_HOME = {
    "check": "api", "current": "api", "select": "api",
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
