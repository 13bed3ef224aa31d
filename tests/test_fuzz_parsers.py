"""Fuzzing of the byte parsers: bad input gets a typed error.

- the integrity manifest: any change to its content fails the integrity test with SelfTestFailure,
  never another exception, and never a pass (a change of layout alone still passes);
- TLS certificate and key loading: arbitrary or corrupted bytes raise InvalidParameter;
- policy files and crypto inventory manifests: arbitrary bytes, wrong types, absurd numbers and deep
  nesting raise PolicyError, and nothing out of range is ever accepted;
- ``fipscheck run``'s reading of a command (Python's options, ``env``, ``#!`` lines): it agrees with
  the interpreter itself on whether the start-up hook runs, and never fails on a script's bytes.
"""

from __future__ import annotations

import contextlib
import json
import os
import ssl
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tlslib import Issued

from fipscrypto import policy, tls
from fipscrypto.cli.run import hook_bypass
from fipscrypto.errors import InvalidParameter, PolicyError, SelfTestFailure
from fipscrypto.policy.manifest import ManifestItem, read_manifest
from fipscrypto.policy.model import RANGES
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


def test_a_certificate_of_an_unknown_version_is_refused(server_cert: Issued) -> None:
    # Found by the fuzzer: cryptography raises InvalidVersion, not a ValueError, for version 10.
    der = ssl.PEM_cert_to_DER_cert(server_cert.cert.read_text())
    v3 = bytes.fromhex("a003020102")  # [0] EXPLICIT INTEGER 2 (v3)
    assert v3 in der
    changed = der.replace(v3, bytes.fromhex("a00302010a"), 1)
    for encoded in (changed, ssl.DER_cert_to_PEM_cert(changed).encode()):
        with pytest.raises(InvalidParameter, match="not a valid X509 version"):
            tls.load_chain(encoded)


# Policies and manifests. TOML values of every kind, valid names among them, nested a little.
_SCALARS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["0", "1", "65536", "65537", "4294967295", "4294967296", "9" * 5000, "0x10", "-0"]),
    st.sampled_from(["true", "false", "1.5", "inf", "nan", "1979-05-27", "1979-05-27T07:32:00Z"]),
    st.sampled_from(["sha256", "hmac-sha256:256", "hmac-sha256:0", "hmac-sha256:99999999999", "rsa-pss",
                     "pbkdf2-hmac-sha512", "process", "apply", "acceptable", "legacy-use", "c", "hash",
                     "signature", "hmac-sha256:\u00b2"]).map(json.dumps),
    st.text(max_size=12).map(json.dumps),
)  # fmt: skip
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.dictionaries(st.sampled_from(["a", "iterations", "salt_bits", "x"]), inner, max_size=2).map(
            lambda table: "{ " + ", ".join(f"{k} = {v}" for k, v in table.items()) + " }"
        ),
    ),
    max_leaves=6,
)

MANIFEST = """\
[service]
name = {0}
[primitives]
hashes = ["sha256", {1}]
macs = {2}
[[keys]]
algorithm = {3}
bits = {4}
[[passwords]]
scheme = "pbkdf2-hmac-sha512"
iterations = {5}
salt_bits = {6}
[[item]]
category = {7}
name = {8}
direction = {9}
bits = {10}
"""
VALID_MANIFEST = ['"s"', '"sha384"', '["hmac-sha256:256"]', '"rsa-pss"', "3072", "600000", "128", '"hash"',
                  '"sha256"', '"apply"', "256"]  # fmt: skip


def _in_range(item: ManifestItem) -> bool:
    sizes = [("bits", item.bits)] if item.bits is not None else []
    return all(RANGES[kind][0] <= value <= RANGES[kind][1] for kind, value in [*sizes, *item.params.items()])


def _read(path: Path, blob: bytes) -> list[ManifestItem] | None:
    path.write_bytes(blob)
    try:
        return read_manifest(path)[1]
    except PolicyError:
        return None


@FUZZ
@given(slot=st.integers(0, len(VALID_MANIFEST) - 1), value=_VALUES)
@example(slot=5, value='"600000"')
@example(slot=4, value=str(10**26))
@example(slot=4, value="true")
def test_manifest_values_are_typed_and_bounded(tmp_path: Path, slot: int, value: str) -> None:
    values = list(VALID_MANIFEST)
    values[slot] = value
    items = _read(tmp_path / "m.toml", MANIFEST.format(*values).encode())
    if items is None:
        return
    # Read only if valid: every number is taken as declared (an integer, not dropped or converted)
    # and lies within its documented range.
    assert all(_in_range(item) for item in items)
    found = {item.where: item for item in items}
    declared = [tomllib.loads(f"v = {values[slot]}")["v"] for slot in (4, 5, 6, 10)]
    taken = [found["keys[0]"].bits, *found["passwords[0]"].params.values(), found["item[0]"].bits]
    assert [(type(v), v) for v in taken] == [(type(v), v) for v in declared]


@FUZZ
@given(blob=st.binary(max_size=300) | _VALUES.map(lambda v: f"[primitives]\nhashes = {v}\n".encode()))
def test_arbitrary_bytes_are_a_manifest_or_a_policy_error(tmp_path: Path, blob: bytes) -> None:
    items = _read(tmp_path / "m.toml", blob)
    assert items is None or all(_in_range(item) for item in items)


POLICY = """\
[policy]
name = "p"
title = "P"
status = "final"
[citations.c]
document = "D"
url = "https://example.org/d"
[[rule]]
category = {0}
names = {1}
apply = {2}
process = "acceptable"
cite = "c"
section = "1"
min_bits = {3}
max_bits = {4}
constraints = {5}
"""
VALID_POLICY = ['"signature"', '["rsa-pss"]', '"acceptable"', "2048", "16384", "{}"]


@FUZZ
@given(slot=st.integers(0, len(VALID_POLICY) - 1), value=_VALUES)
@example(slot=5, value='{ iterations = "600000" }')
@example(slot=3, value=str(10**26))
def test_policy_values_are_typed_and_bounded(slot: int, value: str) -> None:
    values = list(VALID_POLICY)
    values[slot] = value
    try:
        loaded = policy.loads(POLICY.format(*values), "<fuzz>")
    except PolicyError:
        return
    (rule,) = loaded.rules
    low, high = RANGES["bits"]
    assert all(low <= bits <= high for bits in (rule.min_bits, rule.max_bits) if bits is not None)
    assert all(RANGES[key][0] <= value <= RANGES[key][1] for key, value in rule.constraints.items())


@FUZZ
@given(blob=st.binary(max_size=300))
@example(blob=b"\xff")
@example(blob=b"x = " + b"9" * 5000)
def test_arbitrary_bytes_are_a_policy_or_a_policy_error(tmp_path: Path, blob: bytes) -> None:
    path = tmp_path / "p.toml"
    path.write_bytes(blob)
    with contextlib.suppress(PolicyError):
        policy.load(path)


@FUZZ
@given(depth=st.integers(1, 3000), opener=st.sampled_from(["[", "{ a = ", "[{ a = "]))
def test_nesting_at_any_depth_is_a_policy_error(tmp_path: Path, depth: int, opener: str) -> None:
    closer = {"[": "]", "{ a = ": " }", "[{ a = ": " }]"}[opener]
    value = opener * depth + "1" + closer * depth
    with pytest.raises(PolicyError):
        policy.loads(f"[policy]\nname = {value}\n", "<fuzz>")
    assert _read(tmp_path / "m.toml", f"[service]\nname = {value}\n".encode()) is None


# fipscheck run: Python's own reading of its options is the oracle.
_FLAGS = "bBdEiIOPqsSuvx"  # every flag that neither takes a value nor ends the options
_CLUSTERS = st.lists(
    st.tuples(
        st.text(_FLAGS, min_size=1, max_size=4),  # -sI ...
        st.sampled_from(["", "W", "X"]),  # ... then perhaps an option with a value,
        st.sampled_from(["ignore", "I", "E", "S", "utf8", "IES"]),
        st.booleans(),  # attached (-Wignore) or separate (-W ignore)
    ),
    max_size=3,
)
_PROBE = "import sys; print(int(bool(sys.flags.ignore_environment or sys.flags.no_site)))"


@settings(max_examples=60, deadline=None)
@given(clusters=_CLUSTERS, attached=st.booleans())
@example(clusters=[("IE", "", "", False)], attached=True)
@example(clusters=[("s", "W", "I", False), ("b", "X", "E", True)], attached=False)
def test_hook_bypass_agrees_with_python(clusters: list[tuple[str, str, str, bool]], attached: bool) -> None:
    options: list[str] = []
    for flags, option, value, joined in clusters:
        options += [f"-{flags}{option}{value}"] if joined and option else [f"-{flags}{option}"]
        options += [value] if option and not joined else []
    if attached and clusters and not clusters[-1][1]:
        options[-1] += "c"  # -sIc CODE
    else:
        options.append("-c")
    command = [sys.executable, *options, _PROBE]
    done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 0, (command, done.stderr)
    skipped = done.stdout.split()[-1] == "1"
    assert (hook_bypass(command, os.defpath) is not None) == skipped, command


@FUZZ
@given(head=st.binary(max_size=300), args=st.lists(st.text(max_size=8), max_size=3))
@example(head=b"#!", args=[])
@example(head=b"#!/usr/bin/env -S -u", args=[])
@example(head=b"#! \t", args=[])
def test_any_script_is_read_without_error(tmp_path: Path, head: bytes, args: list[str]) -> None:
    script = tmp_path / "script"
    script.write_bytes(head)
    script.chmod(0o755)
    reason = hook_bypass([str(script), *args], os.defpath)
    assert reason is None or isinstance(reason, str)
