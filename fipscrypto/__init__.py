"""fipscrypto: every TLS, SRTP, IPsec and hashing operation through the OpenSSL 3 FIPS provider.

Import fipscrypto and call :func:`activate` before anything imports cryptography or pyOpenSSL::

    import fipscrypto
    fipscrypto.activate()          # mode from FIPSCRYPTO_MODE, default "strict"

Importing this package has no side effects; activation (or the first service call) loads the
provider, proves it with known-answer tests and runs the power-on self-tests.
"""

from __future__ import annotations

from ._version import __version__
from .errors import (
    AlgorithmUnavailable,
    FipsError,
    ModuleErrorState,
    PolicyViolation,
    ProviderUnavailable,
    SelfTestFailure,
)
from .module import Mode, State, activate, gate, info

__all__ = [
    "AlgorithmUnavailable",
    "FipsError",
    "Mode",
    "ModuleErrorState",
    "PolicyViolation",
    "ProviderUnavailable",
    "SelfTestFailure",
    "State",
    "__version__",
    "activate",
    "gate",
    "info",
]
