"""Fuzzing of the byte parsers added with the self-tests and TLS: bad input gets a typed error.

- the integrity manifest: any change to its content fails the integrity test with SelfTestFailure,
  never another exception, and never a pass (a change of layout alone still passes);
- TLS certificate and key loading: arbitrary or corrupted bytes raise InvalidParameter.
"""

from __future__ import annotations

import contextlib
import json
import ssl
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tlslib import Issued

from fipscrypto import tls
from fipscrypto.errors import InvalidParameter, SelfTestFailure
from fipscrypto.selftests import integrity

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def sealed_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """A wheel-layout tree with two package files and its manifest: (tree, manifest bytes)."""
    base = tmp_path_factory.mktemp("tree")
    (base / "fipscrypto" / "selftests").mkdir(parents=True)
    (base / "fipscrypto" / "__init__.py").write_text("# package\n")
    (base / "fipscrypto" / "selftests" / "__init__.py").write_text("# tests\n")
    manifest = integrity.write_manifest(base)
    integrity.check_files(base, mac=integrity.stdlib_hmac)  # the unmodified tree passes
    return base, manifest.read_bytes()


def _content(manifest: bytes) -> object:
    try:
        return json.loads(manifest)
    except ValueError:
        return None


@FUZZ
@given(data=st.data())
@example(data=None)
def test_any_change_to_the_manifest_fails_the_integrity_test(
    sealed_tree: tuple[Path, bytes], data: st.DataObject | None
) -> None:
    base, original = sealed_tree
    if data is None:  # a well-formed manifest whose tag is valid hex but wrong
        changed = original.replace(b'"tag": "', b'"tag": "00', 1)
        assert changed != original
    else:
        position = data.draw(st.integers(0, len(original) - 1))
        insert = data.draw(st.binary(min_size=0, max_size=8))
        cut = data.draw(st.integers(0, 8))
        changed = original[:position] + insert + original[position + cut :]
    path = integrity.manifest_path(base)
    path.write_bytes(changed)
    try:
        if _content(changed) == _content(original):  # only the layout changed: the tag is over content
            integrity.check_files(base, mac=integrity.stdlib_hmac)
            return
        with pytest.raises(SelfTestFailure) as caught:
            integrity.check_files(base, mac=integrity.stdlib_hmac)
        assert caught.value.test == "integrity"
    finally:
        path.write_bytes(original)


@FUZZ
@given(blob=st.binary(max_size=512))
@example(blob=b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
@example(blob=b"")
def test_arbitrary_bytes_are_not_a_certificate_or_a_key(blob: bytes) -> None:
    with pytest.raises(InvalidParameter):
        tls.load_chain(blob)
    with pytest.raises(InvalidParameter):
        tls.load_private_key(blob)


@FUZZ
@given(data=st.data())
def test_corrupted_certificates_and_keys_raise_typed_errors(server_cert: Issued, data: st.DataObject) -> None:
    for path, load in ((server_cert.chain, tls.load_chain), (server_cert.key, tls.load_private_key)):
        good = path.read_bytes()
        position = data.draw(st.integers(0, len(good) - 1))
        changed = (
            good[:position] + bytes([good[position] ^ data.draw(st.integers(1, 255))]) + good[position + 1 :]
        )
        # Refused with the typed error, or loaded (a flip in PEM whitespace or in a value the parser
        # does not check); any other exception fails the test.
        with contextlib.suppress(InvalidParameter):
            load(changed)


def test_an_unknown_certificate_version_is_a_typed_error(server_cert: Issued) -> None:
    # Found by the fuzzer above: cryptography raises its own InvalidVersion (not a ValueError) for a
    # version field of 10. DER: [0] EXPLICIT { INTEGER 2 } -> INTEGER 10.
    first = server_cert.chain.read_text().split("-----END CERTIFICATE-----")[0]
    der = ssl.PEM_cert_to_DER_cert(first + "-----END CERTIFICATE-----\n")
    assert b"\xa0\x03\x02\x01\x02" in der
    changed = der.replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x0a", 1)
    with pytest.raises(InvalidParameter, match="unknown certificate version"):
        tls.load_chain(changed)
