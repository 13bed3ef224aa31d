"""The pyOpenSSL adapter: every private symbol it needs is in the installed pyOpenSSL, it lists every
one it uses, and nothing else in fipscrypto reaches into pyOpenSSL's private API."""

from __future__ import annotations

import re
from pathlib import Path

from fipscrypto._backend import pyopenssl

PACKAGE = Path(pyopenssl.__file__).parents[1]
ADAPTER = Path(pyopenssl.__file__)
# Private attributes of pyOpenSSL objects, as fipscrypto's code would spell them.
_ATTRIBUTES = re.compile(r"\.(_context|_ssl|_socket|_x509|_reverse_mapping|_raise_ssl_error)\b")


def test_every_private_symbol_the_adapter_needs_is_installed() -> None:
    missing = pyopenssl.missing_symbols()
    assert not missing, (
        f"the installed pyOpenSSL lacks {', '.join(missing)}: fipscrypto.tls cannot work with it "
        "(fipscrypto/_backend/pyopenssl.py lists what it needs)"
    )


def test_a_missing_symbol_is_named() -> None:
    probes = ["lib.SSL_CTX_no_such_function", "ffi.no_such_method", "Connection._no_such", "X509._no_such"]
    assert pyopenssl.missing_symbols([*probes, "lib.SSL_version", "Context._context"]) == probes


def test_the_list_names_every_private_symbol_the_adapter_uses() -> None:
    source = ADAPTER.read_text()
    used = {f"lib.{name}" for name in re.findall(r"\b_lib\.(\w+)", source)}
    used |= {f"ffi.{name}" for name in re.findall(r"\b_ffi\.(\w+)", source)}
    listed = set(pyopenssl.PRIVATE_SYMBOLS)
    assert used - listed == set()
    kept = {symbol.split(".")[1] for symbol in listed if not symbol.startswith(("lib.", "ffi."))}
    assert set(_ATTRIBUTES.findall(source)) == kept


def test_only_the_adapter_reaches_into_pyopenssl() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == ADAPTER:
            continue
        text = path.read_text()
        if "OpenSSL._util" in text or _ATTRIBUTES.search(text):
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []
