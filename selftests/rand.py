"""Known-answer tests of the DRBGs: instantiate, reseed, generate (SP 800-90A Rev. 1 §11.3).

``ctr-drbg`` runs the FIPS provider's CTR-DRBG behind ``rand.random_bytes`` (AES-256, derivation
function, as :meth:`fipscrypto.provider.context.FipsContext.ctr_drbg` instantiates it) in the private
context, on the provider's ``TEST-RAND`` fed the vector's entropy input, nonce and reseed entropy,
and compares the bits of the second generate call. The expected value is copied from
tests/vectors/cavp/ctr-drbg-aes256-df-pr-false.json.

``hmac-drbg`` runs :class:`fipscrypto.rand.HmacDrbg` itself (the class behind ``rand.random_bytes``, with
its production hash SHA-512), feeding it the vector's entropy input, nonce and reseed entropy in the
order it asks for them, and compares the bits of the second generate call. The expected value is
copied from tests/vectors/cavp/hmac-drbg-sha512-pr-false.json. tests/test_selftest_kats.py checks
the constants of both against their files.
"""

from __future__ import annotations

from collections.abc import Iterator

from fipscrypto.errors import SelfTestFailure

from .registry import expect, register

# cavp/ctr-drbg-aes256-df-pr-false.json = NIST CAVP drbgvectors_pr_false CTR_DRBG.rsp, [AES-256 use df]
# [PredictionResistance = False] [EntropyInputLen = 256] [NonceLen = 128]
# [PersonalizationStringLen = 256] [AdditionalInputLen = 0] [ReturnedBitsLen = 512], COUNT = 0.
_CTR_ENTROPY = bytes.fromhex("4cfb218673346d9d50c922e49b0dfcd090adf04f5c3ba47327dfcd6fa63a785c")
_CTR_NONCE = bytes.fromhex("016962a7fd2787a24bf6be47ef3783f1")
_CTR_PERSONALIZATION = bytes.fromhex("88eeb8e0e83bf3294bdacd6099ebe4bf55ecd9113f71e5ebcb4575f3d6a68a6b")
_CTR_ENTROPY_RESEED = bytes.fromhex("b7ec46072363834a1b0133f2c23891db4f11a68651f23e3a8b1fdc03b192c7e7")
_CTR_RETURNED = bytes.fromhex(
    "a55180a190bef3adaf28f6b795e9f1f3d6dfa1b27dd0467b0c75f5fa931e9714"
    "75b27cae03a29654e2f40966ea33643040d1400fe677873af8097c1fe9f00298"
)

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


@register("ctr-drbg", "DRBG", services=("rand.random_bytes",))
def ctr_drbg() -> None:
    from fipscrypto.keys import inside  # here, not at import: the family's tests run lazily

    context = inside.get()
    if context is None:
        raise SelfTestFailure("ctr-drbg", "the FIPS provider's private context is not open")
    returned = context.ctr_drbg_known_answer(
        _CTR_ENTROPY, _CTR_NONCE, _CTR_PERSONALIZATION, _CTR_ENTROPY_RESEED, len(_CTR_RETURNED)
    )
    expect("ctr-drbg", returned, _CTR_RETURNED, "CTR_DRBG returned bits")


@register("hmac-drbg", "DRBG", services=("rand.HmacDrbg",))
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
