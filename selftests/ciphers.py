"""Known-answer tests of AES-CCM, AES-CTR and AES key wrap, in both directions.

Each test runs the provider primitive of :mod:`fipscrypto._backend` that the public service runs
(AES-GCM is proven by ``provider-aes-256-gcm``). AES-CTR has no public service of its own: its user
is the SRTP KDF, through ``_backend.kdf.aes_ctr_keystream``, which is what is tested here. Every
expected value is copied from a vector file under tests/vectors (named at each constant);
tests/test_selftest_kats.py checks each constant against its file.
"""

from __future__ import annotations

from collections.abc import Callable

from .registry import expect, register

# acvp/ACVP-AES-CCM-1.0/internalProjection.json, tgId 203 (encrypt, AES-128, 96-bit nonce, 256-bit
# payload and AAD, 128-bit tag), tcId 2021. The ciphertext ends with the tag.
_CCM_KEY = bytes.fromhex("b606ea27a38c9f56ca97e75dc857e309")
_CCM_NONCE = bytes.fromhex("9ed7f9461aeabd572efa5d3c")
_CCM_AAD = bytes.fromhex("63813df84c8718bdd50ac77df2614ebe8d9de2771243c96b0c132ceeb1c6357b")
_CCM_PT = bytes.fromhex("de46b732477e84dd88f14b2cf4ad0ffaa091c3f01d0a3568f97cf923b4823865")
_CCM_CT = bytes.fromhex(
    "10800dfbeda9b9bc8e9ed63da4e37281619dc676fa9fe88478c5aedd9d7970ee58dcdbf55a6fc1809b110c5d469670c0"
)
_CCM_TAG_LENGTH = 16

# acvp/ACVP-AES-CTR-1.0/internalProjection.json, tgId 1 (encrypt, AES-128), tcId 12: two blocks, so
# the counter block is incremented once.
_CTR_KEY = bytes.fromhex("2ebfb68de4059768ba95b84ebf8f4fbc")
_CTR_IV = bytes.fromhex("a810fc6a88754f432ef1416e00000001")
_CTR_PT = bytes.fromhex("169a951ea7ef3f2b94398cd8124be1e93e95a8a782ef06a2a9a34fe83b91a415")
_CTR_CT = bytes.fromhex("252048f9e734faba1b31dbd9b4128a37d60dfa20807efd419701f1cf1ecfe999")

# cavp/keywrap/KW_AE_256.txt, [PLAINTEXT LENGTH = 256], COUNT = 0: a 256-bit key under a 256-bit KEK.
_KW_KEK = bytes.fromhex("8b54e6bc3d20e823d96343dc776c0db10c51708ceecc9a38a14beb4ca5b8b221")
_KW_KEY = bytes.fromhex("d6192635c620dee3054e0963396b260af5c6f02695a5205f159541b4bc584bac")
_KW_WRAPPED = bytes.fromhex(
    "b13eeb7619fab818f1519266516ceb82abc0e699a7153cf26edcb8aeb879f4c011da906841fc5956"
)

# cavp/keywrap/KWP_AE_256.txt, [PLAINTEXT LENGTH = 248], COUNT = 0: 31 bytes, so one byte of padding.
_KWP_KEK = bytes.fromhex("e9bb7f44c7baafbf392ab912589a2f8db53268106eafb74689bb1833136e6113")
_KWP_KEY = bytes.fromhex("ffe952604834bff899e63658f34246815c91597eb40a21729e0a8a959b61f2")
_KWP_WRAPPED = bytes.fromhex(
    "15b9f06fbc765e5e3d55d6b824616f21921d2a6918ee7bf1406b524274e170b4a78333ca5ee92af5"
)


_Direction = Callable[[bytes], bytes]


def _both_ways(
    name: str, forward: _Direction, backward: _Direction, plain: bytes, sealed: bytes, what: tuple[str, str]
) -> None:
    """``forward(plain)`` must give ``sealed`` and ``backward(sealed)`` must give ``plain``."""
    expect(name, forward(plain), sealed, what[0])
    expect(name, backward(sealed), plain, what[1])


def _xor_keystream(data: bytes) -> bytes:
    from fipscrypto._backend import kdf as _kdf  # here, not at import: the family's tests run lazily

    stream = _kdf.aes_ctr_keystream(_CTR_KEY, _CTR_IV, len(data))
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))


@register("aes-ccm", "AES-CCM", services=("aead.AESCCM", "aead.AESCCM.encrypt", "aead.AESCCM.decrypt"))
def aes_ccm() -> None:
    from fipscrypto._backend import ciphers as _ciphers  # here, not at import: the family's tests run lazily

    _both_ways(
        "aes-ccm",
        lambda pt: _ciphers.aes_ccm_seal(_CCM_KEY, _CCM_NONCE, pt, _CCM_AAD, _CCM_TAG_LENGTH),
        lambda ct: _ciphers.aes_ccm_open(_CCM_KEY, _CCM_NONCE, ct, _CCM_AAD, _CCM_TAG_LENGTH),
        _CCM_PT,
        _CCM_CT,
        ("AES-CCM ciphertext and tag (encrypt)", "AES-CCM plaintext (decrypt)"),
    )


@register("aes-ctr", "AES-CTR", services=("kdf.srtp",))
def aes_ctr() -> None:
    what = ("AES-CTR ciphertext (encrypt)", "AES-CTR plaintext (decrypt)")
    _both_ways("aes-ctr", _xor_keystream, _xor_keystream, _CTR_PT, _CTR_CT, what)


@register("aes-kw", "AES-KW", services=("aead.wrap", "aead.unwrap"))
def aes_kw() -> None:
    from fipscrypto._backend import ciphers as _ciphers  # here, not at import: the family's tests run lazily

    _both_ways(
        "aes-kw",
        lambda key: _ciphers.aes_kw_wrap(_KW_KEK, key),
        lambda wrapped: _ciphers.aes_kw_unwrap(_KW_KEK, wrapped),
        _KW_KEY,
        _KW_WRAPPED,
        ("AES-KW wrapped key (wrap)", "AES-KW key (unwrap)"),
    )


@register("aes-kwp", "AES-KWP", services=("aead.wrap_pad", "aead.unwrap_pad"))
def aes_kwp() -> None:
    from fipscrypto._backend import ciphers as _ciphers  # here, not at import: the family's tests run lazily

    _both_ways(
        "aes-kwp",
        lambda key: _ciphers.aes_kwp_wrap(_KWP_KEK, key),
        lambda wrapped: _ciphers.aes_kwp_unwrap(_KWP_KEK, wrapped),
        _KWP_KEY,
        _KWP_WRAPPED,
        ("AES-KWP wrapped key (wrap)", "AES-KWP key (unwrap)"),
    )
