"""Known-answer tests of the hash, XOF and MAC primitives the public services run.

Each test calls the provider primitive of :mod:`fipscrypto._backend` that the service calls (never
the gated service itself: these run while the module is in SELF_TEST) and hands the result to
:func:`.registry.expect`. ``hmac-sha2-256`` runs first of all (``registry.FIRST``): the integrity
test uses HMAC-SHA-256. Every expected value is copied from a vector file under tests/vectors (named
at each constant); tests/test_selftest_kats.py checks each constant against its file.
"""

from __future__ import annotations

from fipscrypto._backend import ciphers as _ciphers
from fipscrypto._backend import hashes as _hashes

from .registry import expect, register

_HASH_SERVICES = ("hashes.digest", "hashes.Hasher", "hashes.hash_file")

# acvp/SHA2-512-1.0/internalProjection.json, tgId 1 (AFT), tcId 114: the shortest byte-aligned message
# of the set (1720 bits, two SHA-512 blocks).
_SHA512_MSG = bytes.fromhex(
    "acce99bf41199a374153cb5a711977b32b78c03e21d7f09e1d1d61e33f2d06aad9de9695f1aad2506fac3b79d1ce82ba"
    "a11f37c5e2e7e842648b69146a0ae37ccc9d29f3d418d3633ea3260919552a8732cced23a9d24803d26aaec50e10f495"
    "b554cefc56b4868f43e1972aeabaad125177255ea098d19a997fa75ba81644d6ce11c3c6677bff572b8ebc7a6de18379"
    "c556db53e6c2a6781b3577550bb11dff5c050c6e3473692ccb0c214711ecd010d5b30cc515a1dbda7ff739d0a8ca634c"
    "d5cd673df2592dd21bf1f4c29d267055061f206ffdf2cc"
)
_SHA512_MD = bytes.fromhex(
    "f36a0fa801ce439a2cafde7734014d6e29e6672b5cc09f543149cef1301d04aa"
    "2ea7c0dd8457f9feec279b9c62a43a3e83e7641d9cc1a5060614d275850638b6"
)

# acvp/SHA3-256-2.0/internalProjection.json, tgId 1 (AFT), tcId 87 (an 8-bit message).
_SHA3_256_MSG = bytes.fromhex("08")
_SHA3_256_MD = bytes.fromhex("04058b18052fd86b2a3032bcc55c823c48bf5810a3726f538a1d01ebb42584c5")

# acvp/SHAKE-128-FIPS202/internalProjection.json, tgId 1 (AFT), tcId 64: 40-bit message, 264-bit output.
_SHAKE128_MSG = bytes.fromhex("d76d9f0845")
_SHAKE128_OUT = bytes.fromhex("d00e6076af4b23d72f336858f15fcacd42d80d59ce67b6cf3d8e0a62e55c68aa6c")

# pyca/HMAC/rfc-4231-sha256.txt, 5th record = RFC 4231 Test Case 6 ("Test Using Larger Than Block-Size
# Key - Hash Key First"): a 131-byte key, so the key is hashed first (FIPS 198-1 step 2).
_HMAC_KEY = b"\xaa" * 131
_HMAC_MSG = b"Test Using Larger Than Block-Size Key - Hash Key First"
_HMAC_MD = bytes.fromhex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")

# pyca/CMAC/nist-800-38b-aes128.txt, COUNT = 2 (SP 800-38B D.1 Example 3 / RFC 4493 Example 3): a
# 40-byte message, so the last block is padded (subkey K2).
_CMAC_KEY = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
_CMAC_MSG = bytes.fromhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411")
_CMAC_TAG = bytes.fromhex("dfa66747de9ae63030ca32611497c827")

# acvp/ACVP-AES-GMAC-1.0/internalProjection.json, tgId 1 (encrypt, 120-bit IV, 120-bit AAD, 128-bit
# tag), tcId 1. A non-96-bit IV: J0 is GHASH of the IV (SP 800-38D §7.1 step 2).
_GMAC_KEY = bytes.fromhex("8fa89ce32bafd241e64fed4ec3622043")
_GMAC_IV = bytes.fromhex("06a1d52255a40cbed2a86fff4b1435")
_GMAC_AAD = bytes.fromhex("04857d11758185bc30beffd1562144")
_GMAC_TAG = bytes.fromhex("b6fd5b21fe257afb531b0c35b0a45fa2")


@register("sha2-512", "SHA-2", services=_HASH_SERVICES)
def sha2_512() -> None:
    expect("sha2-512", _hashes.digest("sha512", _SHA512_MSG), _SHA512_MD, "SHA-512 digest")


@register("sha3-256", "SHA-3", services=_HASH_SERVICES)
def sha3_256() -> None:
    expect("sha3-256", _hashes.digest("sha3-256", _SHA3_256_MSG), _SHA3_256_MD, "SHA3-256 digest")


@register("shake-128", "SHAKE", services=_HASH_SERVICES)
def shake_128() -> None:
    out = _hashes.digest("shake128", _SHAKE128_MSG, len(_SHAKE128_OUT))
    expect("shake-128", out, _SHAKE128_OUT, "SHAKE128 output")


@register("hmac-sha2-256", "HMAC", services=("mac.hmac", "mac.verify_hmac"))
def hmac_sha2_256() -> None:
    expect("hmac-sha2-256", _hashes.hmac_digest("sha256", _HMAC_KEY, _HMAC_MSG), _HMAC_MD, "HMAC-SHA-256 tag")


@register("cmac-aes-128", "CMAC", services=("mac.cmac", "mac.verify_cmac"))
def cmac_aes_128() -> None:
    expect("cmac-aes-128", _hashes.cmac_aes(_CMAC_KEY, _CMAC_MSG), _CMAC_TAG, "CMAC-AES-128 tag")


@register("gmac-aes", "GMAC", services=("mac.gmac", "mac.verify_gmac"))
def gmac_aes() -> None:
    expect("gmac-aes", _ciphers.gmac(_GMAC_KEY, _GMAC_IV, _GMAC_AAD), _GMAC_TAG, "GMAC tag")
