"""The fault-injection check every self-test family's tests make."""

from __future__ import annotations

import pytest

from fipscrypto import _faults, selftests
from fipscrypto.errors import SelfTestFailure


def fails_under_its_fault(name: str) -> SelfTestFailure:
    """The registered self-test ``name`` passes, raises SelfTestFailure naming itself while its fault
    is injected (``FIPSCRYPTO_SELFTEST_FAIL``'s mechanism), and passes again once the fault is gone;
    returns the failure for further checks."""
    (test,) = [t for t in selftests.registered() if t.name == name]
    test.run()
    _faults.inject(name)
    try:
        with pytest.raises(SelfTestFailure) as caught:
            test.run()
    finally:
        _faults.clear()
    assert caught.value.test == name
    test.run()
    return caught.value
