"""Fault injection by test name (Go's ``GODEBUG=failfipscast`` idea, per name).

``FIPSCRYPTO_SELFTEST_FAIL=<name>[,<name>...]`` (read at each check, so a subprocess can be told) or
:func:`inject` names the self-tests whose expected value is corrupted: the test then computes the
real value, compares it with a wrong one, and fails through its normal failure path. Power-on tests
(``fipscrypto.selftests``) and conditional tests (pairwise consistency ``pct-<family>``, the DRBG's
``drbg-entropy-continuous``) both read it here.
"""

from __future__ import annotations

import os
import re

from ._fork import lock

__all__ = ["ENV", "clear", "corrupt", "inject", "injected"]

ENV = "FIPSCRYPTO_SELFTEST_FAIL"

_injected: set[str] = set()
_lock = lock()


def inject(*names: str) -> None:
    """Make the named tests fail (in addition to those named in the environment)."""
    with _lock:
        _injected.update(names)


def clear() -> None:
    """Forget the names given to :func:`inject` (the environment still applies)."""
    with _lock:
        _injected.clear()


def injected(name: str) -> bool:
    return name in _injected or name in re.split(r"[\s,]+", os.environ.get(ENV, ""))


def corrupt(name: str, expected: bytes) -> bytes:
    """``expected``, with its last bit flipped when the test ``name`` is to fail."""
    if not injected(name):
        return expected
    if not expected:
        return b"\x01"
    return expected[:-1] + bytes([expected[-1] ^ 0x01])
