"""Scanner corpus: weak hashes and MACs (never run)."""

import hashlib
import hashlib as h
import hmac
from hashlib import sha1

from cryptography.hazmat.primitives import hashes

HMAC_KEY = b"0123456789abcdef"
ALGORITHM = "MD5"


def digests(data: bytes, key: bytes) -> list[object]:
    return [
        hashlib.md5(data),  # expect: policy.hash.md5=error
        h.sha1(data),  # expect: policy.hash.sha1=note
        sha1(data),  # expect: policy.hash.sha1=note
        hashlib.new(ALGORITHM, data),  # expect: policy.hash.md5=error
        hashlib.new("sha256", data),  # expect: policy.hash.sha256=note
        hashlib.md5(data, usedforsecurity=False),  # expect: code.hash-not-for-security=note
        hmac.new(HMAC_KEY, data, hashlib.md5),  # expect: code.constant-key=error, policy.mac.hmac-md5=error
        hmac.new(key, data, digestmod="sha1"),  # expect: scan.size-unknown=note
        hashes.Hash(hashes.MD5()),  # expect: policy.hash.md5=error
    ]
