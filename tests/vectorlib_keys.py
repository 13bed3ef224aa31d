"""Small helpers for the asymmetric-key vectors (tests/vectors/acvp, see tests/vectors/SOURCES.md).

Independent of fipscrypto on purpose: the DER encoder, the RFC prime formulas and the OpenSSL
command-line parsing here are the tests' own references.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from vectorlib import ACVP_HASHES, VECTORS, acvp_groups, blocks

__all__ = [
    "ECDSA_HASHES",
    "WYCHEPROOF_HASHES",
    "acvp_groups",
    "cavp_pss_cases",
    "der_ecdsa_signature",
    "e_bits",
    "openssl",
    "openssl_dh_prime",
    "openssl_field_prime",
    "pi_bits",
    "probable_prime",
    "rfc_prime",
    "wycheproof_cases",
]

ECDSA_HASHES = ACVP_HASHES
# Wycheproof's hash names -> fipscrypto's.
WYCHEPROOF_HASHES = {
    "SHA-1": "sha1",
    "SHA-224": "sha224",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
    "SHA-512/224": "sha512-224",
    "SHA-512/256": "sha512-256",
    "SHA3-224": "sha3-224",
    "SHA3-256": "sha3-256",
    "SHA3-384": "sha3-384",
    "SHA3-512": "sha3-512",
}


def wycheproof_cases(name: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(group, test) of every case of ``tests/vectors/wycheproof/<name>`` (Wycheproof v1 JSON)."""
    data = json.loads((VECTORS / "wycheproof" / name).read_text())
    count = 0
    for group in data["testGroups"]:
        for test in group["tests"]:
            count += 1
            yield group, test
    assert count == data["numberOfTests"], name


def cavp_pss_cases(path: Path) -> Iterator[dict[str, str]]:
    """The records of a CAVP SigVerPSS .rsp file, each with its key's n (the key blocks precede them)."""
    n = ""
    for record in blocks(path):
        n = record.get("n", n)
        if "Result" in record:
            yield {"n": n, **record}


def _der_int(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")  # one spare byte keeps it positive
    while len(body) > 1 and body[0] == 0 and body[1] < 0x80:
        body = body[1:]
    return b"\x02" + _der_len(len(body)) + body


def _der_len(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def der_ecdsa_signature(r: int, s: int) -> bytes:
    """Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3), DER."""
    body = _der_int(r) + _der_int(s)
    return b"\x30" + _der_len(len(body)) + body


# ----------------------------------------------------------------- RFC 3526 / RFC 7919 prime formulas


def _arctan_inv(x: int, one: int) -> int:
    total = term = one // x
    n, sign = 1, -1
    while term:
        term //= x * x
        n += 2
        total += sign * (term // n)
        sign = -sign
    return total


def pi_bits(bits: int) -> int:
    """floor(2^bits * pi), by Machin's formula in fixed point (64 guard bits)."""
    one = 1 << (bits + 64)
    return (16 * _arctan_inv(5, one) - 4 * _arctan_inv(239, one)) >> 64


def e_bits(bits: int) -> int:
    """floor(2^bits * e), by the series sum 1/k! in fixed point (64 guard bits)."""
    one = 1 << (bits + 64)
    total = term = one
    k = 1
    while term:
        term //= k
        total += term
        k += 1
    return total >> 64


def rfc_prime(n: int, constant: Callable[[int], int], x: int) -> int:
    """p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) * c) + X): RFC 3526 (c = pi), RFC 7919 (c = e)."""
    return 2**n - 2 ** (n - 64) - 1 + 2**64 * (constant(n - 130) + x)


def probable_prime(n: int, bases: tuple[int, ...]) -> bool:
    """Miller-Rabin with the given bases (a reference independent of fipscrypto's)."""
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for a in bases:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


# ------------------------------------------------------------------------------ system openssl binary


def openssl(*args: str, stdin: bytes | None = None) -> bytes:
    """Run the system openssl binary (a peer outside fipscrypto, default provider); its stdout."""
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=True, timeout=60).stdout


def openssl_dh_prime(group: str) -> int:
    """p of OpenSSL's built-in group (modp_2048 ... ffdhe8192): DHParameter PEM, read with asn1parse."""
    pem = openssl("genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", f"group:{group}")
    parsed = openssl("asn1parse", stdin=pem).decode()
    first = next(line for line in parsed.splitlines() if "INTEGER" in line)
    return int(first.rsplit(":", 1)[1], 16)


def openssl_field_prime(curve: str) -> int:
    """The field prime of a named curve, from ``openssl ecparam -param_enc explicit -text``."""
    text = openssl("ecparam", "-name", curve, "-param_enc", "explicit", "-text", "-noout").decode()
    block = re.search(r"Prime:\s*\n((?:\s+[0-9a-f:]+\n)+)", text)
    assert block, text
    return int(re.sub(r"[\s:]", "", block.group(1)), 16)
