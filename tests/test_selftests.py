"""The power-on self-tests: registered by name, expected values from the vector files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import fipscrypto
from fipscrypto import selftests
from fipscrypto.errors import SelfTestFailure
from fipscrypto.selftests import provider as provider_tests

from vectorlib import rfc


def test_embedded_gcm_case_equals_the_vector_file() -> None:
    p8 = next(v for v in rfc("draft-mcgrew-gcm-test-01-esp.json")["vectors"] if v["name"] == "p8")
    assert provider_tests._GCM_KEY.hex() == p8["key"]
    assert provider_tests._GCM_NONCE.hex() == p8["salt"] + p8["iv"]
    assert provider_tests._GCM_AAD.hex() == p8["aad"]
    assert provider_tests._GCM_PT.hex() == p8["plaintext"]
    assert provider_tests._GCM_CT.hex() == p8["ciphertext"] + p8["icv"]


def test_names_are_unique_and_registration_refuses_duplicates() -> None:
    names = [t.name for t in selftests.registered()]
    assert len(names) == len(set(names))
    with pytest.raises(ValueError, match="registered twice"):
        selftests.register("provider-sha2-256", "SHA-2")(lambda: None)


def test_each_provider_test_passes_on_the_real_provider() -> None:
    for test in selftests.registered():
        test.run()


def test_a_failing_test_raises_self_test_failure_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(provider_tests, "_SHA256_ABC", bytes(32))
    with pytest.raises(SelfTestFailure) as caught:
        provider_tests.sha256_kat()
    assert caught.value.test == "provider-sha2-256"


def test_every_service_is_unlocked_by_a_self_test() -> None:
    # The service names the indicator records (string literals "<module>.<service>" in the core)
    # must each be unlocked by at least one known-answer test.
    pattern = re.compile(r'"((?:hashes|mac|aead|rand|kdf|keys|passwords|seal)\.[A-Za-z_.]+)"')
    root = Path(fipscrypto.__file__).parent
    services = {name for path in root.rglob("*.py") for name in pattern.findall(path.read_text())}
    unlocked = {service for test in selftests.registered() for service in test.services}
    assert len(services) > 30
    assert services - unlocked == set()
