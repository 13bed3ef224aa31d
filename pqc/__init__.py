"""The post-quantum module (installed as ``fipscrypto.pqc``; liboqs-python by the ``pqc`` extra).

Off by default: turn it on with ``FIPSCRYPTO_PQC=1``, ``fipscrypto.activate(pqc=True)`` or a policy
that allows category ``feature``, name ``pqc``; off, every entry point raises
:class:`~fipscrypto.errors.FeatureDisabled`. :func:`enabled` tells, :func:`backends` lists the
implementations (``openssl``: the FIPS provider; ``liboqs``: outside the FIPS boundary) and whether
each can run here. :class:`MLKEM` is ML-KEM-512/768/1024 (FIPS 203); :class:`HybridKEM` joins it
with ECDH or X25519 (the TLS hybrid groups and X-Wing, :data:`HYBRIDS`). Importing this package never
imports liboqs-python's ``oqs`` (see :mod:`.backends`). See docs/pqc.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fipscrypto._pqc_switch import enabled

from .backends import Backend, backends
from .mlkem import MLKEM

if TYPE_CHECKING:
    from .hybrid import HYBRIDS, HybridKEM

__all__ = ["HYBRIDS", "MLKEM", "Backend", "HybridKEM", "backends", "enabled"]


def __getattr__(name: str) -> Any:
    """:class:`HybridKEM` and :data:`HYBRIDS`, imported on first use: their ECDH halves use the
    provider, and importing this package does not fix the module's mode (``activate`` may follow)."""
    if name in ("HYBRIDS", "HybridKEM"):
        return getattr(importlib.import_module(".hybrid", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
