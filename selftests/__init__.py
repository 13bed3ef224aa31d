"""Power-on self-tests (installed as ``fipscrypto.selftests``).

Each test is registered next to the code it covers, with a unique name and the family it belongs to
(Go's CAST style). :func:`run_power_on` runs them during activation, in registration order; the first
failure raises :class:`~fipscrypto.errors.SelfTestFailure` and the module latches ERROR.
"""

from __future__ import annotations

from .registry import SelfTest, register, registered, run_power_on

# Registering modules: importing them adds their tests to the registry.
from . import provider  # noqa: F401  # isort: skip

__all__ = ["SelfTest", "register", "registered", "run_power_on"]
