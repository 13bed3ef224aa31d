"""The backend layer: the only code that calls cryptography. Every primitive fipscrypto uses is here.

This package boots the module (``fipscrypto.module.boot``) in its ``__init__``, which Python runs
before any submodule, so cryptography is never imported before its OpenSSL is configured with the
FIPS provider, whatever order a submodule's imports are sorted in. Services import submodules
(``_backend.hashes``, ``_backend.kdf``, ...); nothing outside this package imports cryptography.
"""

from __future__ import annotations

from .. import module

module.boot()

# These imports must follow boot(): it decides the OpenSSL configuration cryptography starts with.
from cryptography.hazmat.bindings._rust import openssl as _openssl  # noqa: E402

__all__ = ["fips_enabled", "openssl_version"]


def fips_enabled() -> bool:
    """cryptography's own flag: true when ``default_properties`` has ``fips=yes``; proves nothing alone."""
    return bool(_openssl.is_fips_enabled())


def openssl_version() -> str:
    return str(_openssl.openssl_version_text())
