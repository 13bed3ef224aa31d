"""IPsec between nodes: ESP security associations (RFC 4303), sans-I/O, bytes in and bytes out, and
the IKEv2 key schedule that keys them (:mod:`.ikev2`, RFC 7296)."""

from __future__ import annotations

# The backend first: it boots the module (the FIPS provider configuration) before cryptography,
# imported below, loads its OpenSSL.
from .. import _backend  # noqa: F401  # isort: skip
from .esp import ALGORITHMS, SecurityAssociation

# IKEv2: the key schedule (fipscrypto.ipsec.ikev2)
from . import ikev2  # isort: skip

__all__ = ["ALGORITHMS", "SecurityAssociation", "ikev2"]
