"""The switch of the post-quantum module (``fipscrypto.pqc``): off by default.

It lives in the core so that the core (the TLS contexts) reads it without depending on the module.

On with any of: ``FIPSCRYPTO_PQC=1`` in the environment (read at each check), ``fipscrypto.activate(
pqc=True)`` (for the life of the process), or an active policy that allows ``feature`` ``pqc``
(a rule ``category = "feature"``, ``names = ["pqc"]``, ``apply = "acceptable"``; no built-in profile
has one). Off, every entry point of :mod:`fipscrypto.pqc` (making an ``MLKEM``) raises
:class:`~fipscrypto.errors.FeatureDisabled` with these three ways; an object made while it was on
keeps working.
"""

from __future__ import annotations

import os

from . import enforce, module
from .errors import FeatureDisabled

__all__ = ["ENV", "enabled", "require_enabled"]

ENV = "FIPSCRYPTO_PQC"
_ON = frozenset({"1", "true", "yes", "on"})
HOW = (
    f"turn it on with {ENV}=1 in the environment, fipscrypto.activate(pqc=True), or a policy rule "
    'that allows category "feature", name "pqc" (see docs/pqc.md)'
)


def enabled() -> bool:
    """True when the post-quantum module is on (environment, activation, or the active policy)."""
    if module.pqc_requested() or os.environ.get(ENV, "").strip().lower() in _ON:
        return True
    return enforce.verdict("feature", "pqc").allowed


def require_enabled(entry: str) -> None:
    """Raise FeatureDisabled for ``entry`` unless the module is on (a module in ERROR refuses first:
    nothing is served then, whatever the switch says)."""
    if enabled():
        return
    if module.info().state is module.State.ERROR:
        module.gate()  # raises ModuleErrorState
    raise FeatureDisabled(f"{entry}: the post-quantum module fipscrypto.pqc is off; {HOW}")
