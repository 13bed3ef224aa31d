"""Find, install, verify and load the OpenSSL 3 FIPS provider."""

from __future__ import annotations

from .install import diagnose, find_module, install, verify
from .state import ProviderRecord, StatePaths, default_state_dir, read_record

__all__ = [
    "ProviderRecord",
    "StatePaths",
    "default_state_dir",
    "diagnose",
    "find_module",
    "install",
    "read_record",
    "verify",
]
