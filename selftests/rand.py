"""Known-answer test of the module's HMAC_DRBG: instantiate, reseed, generate (SP 800-90A Rev. 1 §11.3).

The test runs :class:`fipscrypto.rand.HmacDrbg` itself (the class behind ``rand.random_bytes``, with
its production hash SHA-512), feeding it the vector's entropy input, nonce and reseed entropy in the
order it asks for them, and compares the bits of the second generate call. The expected value is
copied from tests/vectors/cavp/hmac-drbg-sha512-pr-false.json; tests/test_selftest_kats.py checks
the constants against that file.
"""

from __future__ import annotations

from collections.abc import Iterator

from fipscrypto.errors import SelfTestFailure

from .registry import expect, register

# cavp/hmac-drbg-sha512-pr-false.json = NIST CAVP drbgvectors_pr_false HMAC_DRBG.rsp, [SHA-512]
# [PredictionResistance = False] [EntropyInputLen = 256] [NonceLen = 128]
# [PersonalizationStringLen = 256] [AdditionalInputLen = 256] [ReturnedBitsLen = 2048], COUNT = 0.
_ENTROPY = bytes.fromhex("da740cbc36057a8e282ae717fe7dfbb245e9e5d49908a0119c5dbcf0a1f2d5ab")
_NONCE = bytes.fromhex("46561ff612217ba3ff91baa06d4b5440")
_PERSONALIZATION = bytes.fromhex("fc227293523ecb5b1e28c87863626627d958acc558a672b148ce19e2abd2dde4")
_ENTROPY_RESEED = bytes.fromhex("1d61d4d8a41c3254b92104fd555adae0569d1835bb52657ec7fbba0fe03579c5")
_ADDITIONAL_RESEED = bytes.fromhex("b9ed8e35ad018a375b61189c8d365b00507cb1b4510d21cac212356b5bbaa8b2")
_ADDITIONAL = (
    bytes.fromhex("b7998998eaf9e5d34e64ff7f03de765b31f407899d20535573e670c1b402c26a"),
    bytes.fromhex("2089d49d63e0c4df58879d0cb1ba998e5b3d1a7786b785e7cf13ca5ea5e33cfd"),
)
_RETURNED = bytes.fromhex(
    "5b70f3e4da95264233efbab155b828d4e231b67cc92757feca407cc9615a660871cb07ad1a2e9a99412feda8ee34dc9c"
    "57fa08d3f8225b30d29887d20907d12330fffd14d1697ba0756d37491b0a8814106e46c8677d49d9157109c402ad0c24"
    "7a2f50cd5d99e538c850b906937a05dbb8888d984bc77f6ca00b0e3bc97b16d6d25814a54aa12143afddd8b226369056"
    "5d545f4137e593bb3ca88a37b0aadf79726b95c61906257e6dc47acd5b6b7e4b534243b13c16ad5a0a1163c0099fce43"
    "f428cd27c3e6463cf5e9a9621f4b3d0b3d4654316f4707675df39278d5783823049477dcce8c57fdbd576711c91301e9"
    "bd6bb0d3e72dc46d480ed8f61fd63811"
)


class _VectorEntropy:
    """The entropy source of the test: the vector's blocks, in order, each exactly once."""

    def __init__(self, *blocks: bytes) -> None:
        self._blocks: Iterator[bytes] = iter(blocks)

    def __call__(self, length: int) -> bytes:
        block = next(self._blocks, None)
        if block is None or len(block) != length:
            raise SelfTestFailure("hmac-drbg", f"the DRBG asked for {length} bytes the vector does not have")
        return block


@register("hmac-drbg", "DRBG", services=("rand.random_bytes", "rand.HmacDrbg"))
def hmac_drbg() -> None:
    from fipscrypto import rand  # here, not at import: the family's tests run lazily

    drbg = rand.HmacDrbg(
        digest="sha512",
        personalization=_PERSONALIZATION,
        entropy=_VectorEntropy(_ENTROPY, _NONCE, _ENTROPY_RESEED),
    )
    drbg.reseed(_ADDITIONAL_RESEED)
    drbg.generate(len(_RETURNED), _ADDITIONAL[0])
    expect("hmac-drbg", drbg.generate(len(_RETURNED), _ADDITIONAL[1]), _RETURNED, "HMAC_DRBG returned bits")
