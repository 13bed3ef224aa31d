"""Known-answer tests of the ESP transforms (fipscrypto.ipsec.transforms), run before the first
security association is made.

AES-GCM (RFC 4106) and AES-GMAC (RFC 4543): cases p13 (AES-256-GCM with an extended sequence
number) and p18 (ENCR_NULL_AUTH_AES_GMAC) of draft-mcgrew-gcm-test-01, sealed and opened. AES-CBC
with HMAC-SHA-256-128: RFC 3602 Case #1 sealed under its IV and opened, and the ICV of RFC 4868
Test Case AUTH256-1. Every expected value is copied from tests/vectors/rfc (named at each
constant); tests/test_ipsec_esp_selftest.py checks each constant against its file.
"""

from __future__ import annotations

from .registry import expect, register

_SERVICES = ("ipsec.SecurityAssociation",)

# rfc/draft-mcgrew-gcm-test-01-esp.json, case "p13": key || salt, SPI || low sequence number, the high
# sequence number, IV, plaintext (payload and trailer) and ciphertext || ICV.
_GCM_KEY = bytes.fromhex("abbccddef00112233445566778899aababbccddef00112233445566778899aab73616c74")
_GCM_HEAD = bytes.fromhex("17405e67dd0db99b")
_GCM_HIGH = bytes.fromhex("156f3126")
_GCM_IV = bytes.fromhex("616e640169766563")
_GCM_PLAIN = bytes.fromhex("45080028732c00004006e9f90a0106120a01038f06b88023dd6bafbecb71260250101f646d540001")
_GCM_SEALED = bytes.fromhex(
    "f2d69ecdbd5a0d5b8d5ef38bad4da58d1f278fde98ef67549d524a3018d9a57ff4d3a31ce673119e"
    "451626c2415771e3b7eebca614c89b35"
)

# Case "p18_gmac": key || salt, the AAD's SPI || sequence number, IV and payload, and the ICV.
_GMAC_KEY = bytes.fromhex("4c80cdefbb5d10da906ac73c3613a63422433c64")
_GMAC_HEAD = bytes.fromhex("0000432100000007")
_GMAC_IV = bytes(8)
_GMAC_PLAIN = bytes.fromhex(
    "45000030da3a00008001df3bc0a80005c0a800010800c6cd020007006162636465666768696a6b6c6d6e6f707172737401020201"
)
_GMAC_ICV = bytes.fromhex("f2a9a836e155106aa8dcd618e4099aaa")

# rfc/rfc3602-rfc4868-esp.json: "aes_cbc" (key, iv, plaintext, ciphertext) and "hmac_sha256_128"
# (key, data, hmac_sha256_128).
_CBC_KEY = bytes.fromhex("06a9214036b8a15b512e03d534120006")
_CBC_IV = bytes.fromhex("3dafba429d9eb430b422da802c9fac41")
_CBC_PLAIN = b"Single block msg"
_CBC_CIPHER = bytes.fromhex("e353779c1079aeb82708942dbe77181a")
_HMAC_KEY = bytes([0x0B]) * 32
_HMAC_DATA = b"Hi There"
_HMAC_ICV = bytes.fromhex("198a607eb44bfbc69903a0f1cf2bbdc5")


@register("esp-aes-gcm", "ESP", services=_SERVICES)
def esp_aes_gcm() -> None:
    from fipscrypto.errors import AuthenticationError  # here, not at import: the family runs lazily
    from fipscrypto.ipsec.transforms import Gcm

    gcm = Gcm(_GCM_KEY)
    sealed = gcm.seal(_GCM_HEAD, _GCM_HIGH, _GCM_IV, _GCM_PLAIN)
    expect("esp-aes-gcm", sealed, _GCM_IV + _GCM_SEALED, "ESP payload")
    try:
        plain = gcm.open(_GCM_HEAD, _GCM_HIGH, _GCM_IV + _GCM_SEALED)
    except AuthenticationError:
        plain = b""
    expect("esp-aes-gcm", plain, _GCM_PLAIN, "plaintext after the ICV verified")


@register("esp-aes-gmac", "ESP", services=_SERVICES)
def esp_aes_gmac() -> None:
    from fipscrypto.errors import AuthenticationError
    from fipscrypto.ipsec.transforms import Gmac

    gmac = Gmac(_GMAC_KEY)
    sealed = gmac.seal(_GMAC_HEAD, b"", _GMAC_IV, _GMAC_PLAIN)
    expect("esp-aes-gmac", sealed, _GMAC_IV + _GMAC_PLAIN + _GMAC_ICV, "ESP payload")
    try:
        plain = gmac.open(_GMAC_HEAD, b"", _GMAC_IV + _GMAC_PLAIN + _GMAC_ICV)
    except AuthenticationError:
        plain = b""
    expect("esp-aes-gmac", plain, _GMAC_PLAIN, "payload after the ICV verified")


@register("esp-aes-cbc-hmac-sha2", "ESP", services=_SERVICES)
def esp_aes_cbc_hmac_sha2() -> None:
    from fipscrypto.errors import AuthenticationError
    from fipscrypto.ipsec.transforms import CbcHmac

    cbc = CbcHmac(_CBC_KEY + _HMAC_KEY, 128, "sha256", 16)
    expect("esp-aes-cbc-hmac-sha2", cbc.icv(_HMAC_DATA, b"", b""), _HMAC_ICV, "HMAC-SHA-256-128 ICV")
    sealed = cbc.seal(_GCM_HEAD, b"", _CBC_IV, _CBC_PLAIN)
    expect("esp-aes-cbc-hmac-sha2", sealed[:32], _CBC_IV + _CBC_CIPHER, "IV and AES-CBC ciphertext")
    try:
        plain = cbc.open(_GCM_HEAD, b"", sealed)
    except AuthenticationError:
        plain = b""
    expect("esp-aes-cbc-hmac-sha2", plain, _CBC_PLAIN, "plaintext after the ICV verified")
