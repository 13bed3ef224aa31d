"""IPsec between nodes: ESP security associations (RFC 4303), sans-I/O, bytes in and bytes out."""

from __future__ import annotations

# The backend first: it boots the module (the FIPS provider configuration) before cryptography,
# imported below, loads its OpenSSL.
from .. import _backend  # noqa: F401  # isort: skip
from .esp import ALGORITHMS, SecurityAssociation

__all__ = ["ALGORITHMS", "SecurityAssociation"]
