"""The exceptions fipscrypto raises.

Every error derives from :class:`FipsError`. Errors about the provider carry a ``remedy``: the next
thing the operator should do, in words. Catch the narrow class when the caller can act on it (e.g.
:class:`ModuleMacMismatch` means "re-run ``fipscheck provider install``"), the wide one otherwise.
"""

from __future__ import annotations

__all__ = [
    "AlgorithmUnavailable",
    "AptUnavailable",
    "AuthenticationError",
    "FipsError",
    "InvalidParameter",
    "InvalidSignature",
    "KeyLimitError",
    "ModeOffWarning",
    "ModuleErrorState",
    "ModuleMacMismatch",
    "ModuleNotFound",
    "NonceReuse",
    "PolicyError",
    "PolicyViolation",
    "ProviderLoadFailed",
    "ProviderUnavailable",
    "SelfTestFailure",
]


class FipsError(Exception):
    """Base class of every fipscrypto error."""


class ProviderUnavailable(FipsError):
    """The OpenSSL FIPS provider is missing, unusable, or cannot be loaded into this process."""

    def __init__(self, message: str, remedy: str) -> None:
        super().__init__(message, remedy)
        self.message = message
        self.remedy = remedy

    def __str__(self) -> str:
        return f"{self.message}\n  what to do: {self.remedy}"


class ModuleNotFound(ProviderUnavailable):
    """No ``fips.so`` was found where it was named or in any known location."""


class ModuleMacMismatch(ProviderUnavailable):
    """The module's HMAC-SHA-256 does not match the ``module-mac`` recorded in ``fipsmodule.cnf``."""


class ProviderLoadFailed(ProviderUnavailable):
    """The provider was found but failed to load: its own power-on self-test or integrity check failed,
    or OpenSSL refused it."""


class AptUnavailable(ProviderUnavailable):
    """The provider package could not be fetched: no apt, no Debian source configured, or apt failed."""


class ModuleErrorState(FipsError):
    """The module is in the ERROR state; no service is available until a self-test run succeeds."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return f"fipscrypto is in the ERROR state ({self.reason}); no service is available"


class AlgorithmUnavailable(FipsError):
    """The loaded provider refused the algorithm (in FIPS mode: it is not an approved service)."""


class PolicyViolation(FipsError):
    """A request for a non-approved algorithm or parameter in strict mode.

    ``verdict`` is the :class:`fipscrypto.policy.Verdict` that refused it (rule, citation, date).
    """

    def __init__(self, message: str, verdict: object | None = None) -> None:
        super().__init__(message)
        self.verdict = verdict


class PolicyError(FipsError):
    """A policy file is invalid: names the file, the line and the key. Nothing was loaded."""

    def __init__(self, path: str, line: int, key: str, message: str) -> None:
        super().__init__(path, line, key, message)
        self.path, self.line, self.key, self.message = path, line, key, message

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class SelfTestFailure(FipsError):
    """A known-answer, integrity or conditional self-test failed."""

    def __init__(self, test: str, detail: str) -> None:
        super().__init__(test, detail)
        self.test = test
        self.detail = detail

    def __str__(self) -> str:
        return f"self-test {self.test} failed: {self.detail}"


class ModeOffWarning(UserWarning):
    """Issued when fipscrypto starts with FIPS mode off (development use only)."""


class InvalidParameter(FipsError, ValueError):
    """A service was given a value it cannot accept: a wrong length, size, range or encoding."""


class AuthenticationError(FipsError):
    """Authentication failed: an AEAD tag, a MAC or a key-unwrap check did not verify.

    Raised without detail on purpose: which byte or field was wrong is not revealed. No output is
    released for data that failed authentication.
    """


class InvalidSignature(AuthenticationError):
    """A signature did not verify."""


class KeyLimitError(FipsError):
    """A key reached its usage limit (e.g. AES-GCM invocations with random nonces, SP 800-38D §8.3)."""


class NonceReuse(FipsError):
    """A nonce was about to be used twice under one key; the operation was refused."""
