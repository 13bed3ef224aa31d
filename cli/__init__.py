"""The ``fipscheck`` command (installed as ``fipscrypto.cli``)."""

from __future__ import annotations

from .main import main

__all__ = ["main"]
