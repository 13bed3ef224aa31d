"""Known-answer tests of the SRTP/SRTCP transforms (fipscrypto.srtp.transforms), run before the first
SRTP session is made.

AES-GCM: RFC 7714 §16 (SRTP) and §17 (SRTCP) with AEAD_AES_128_GCM, protect and unprotect. AES-CM
with HMAC-SHA1: the RFC 3711 App. B.2 keystream (the payload of a packet of zeros, SSRC 0, index 0)
and the unprotection of that packet (its HMAC-SHA1 tag verified). Every expected value is copied
from tests/vectors/rfc (named at each constant); tests/test_srtp_selftest.py checks each constant
against its file.
"""

from __future__ import annotations

from .registry import expect, register

_SERVICES = ("srtp.SRTPSession",)

# rfc/rfc7714-sections16-17.json: "salt", "rtp_plain", "rtcp_plain" and the AEAD_AES_128_GCM vector's
# "key", "rtp_protected", "rtcp_protected". SRTP: SSRC 0x5501a0b2, index 0xf17b; SRTCP: SSRC
# 0x4d617273, index 0x5d4.
_GCM_KEY = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
_GCM_SALT = bytes.fromhex("517569642070726f2071756f")
_GCM_RTP = bytes.fromhex(
    "8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573"
)
_GCM_SRTP = bytes.fromhex(
    "8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf"
    "8833899d7f27beb16a9152cf765ee4390cce"
)
_GCM_RTCP = bytes.fromhex(
    "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef"
)
_GCM_SRTCP = bytes.fromhex(
    "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b4686303ded"
    "0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4"
)

# rfc/rfc3711-appendix-b.json, "aes_cm_keystream": "session_key", "session_salt_shifted" (without its
# two zero octets) and the keystream of counters ...0000, ...0001, ...0002.
_CM_KEY = bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C")
_CM_SALT = bytes.fromhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD")
_CM_KEYSTREAM = bytes.fromhex(
    "E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB41E95B3BB0A2E8DD477901E4FCA894C0"
)


@register("srtp-aes-gcm", "SRTP", services=_SERVICES)
def srtp_aes_gcm() -> None:
    from fipscrypto.kdf import SrtpKeys  # here, not at import: the family's tests run lazily
    from fipscrypto.srtp.transforms import AesGcm

    gcm = AesGcm(SrtpKeys(_GCM_KEY, b"", _GCM_SALT), b"")
    expect("srtp-aes-gcm", gcm.protect_rtp(_GCM_RTP, 12, 0x5501A0B2 << 48, 0xF17B), _GCM_SRTP, "SRTP packet")
    expect("srtp-aes-gcm", gcm.unprotect_rtp(_GCM_SRTP, 12, 0x5501A0B2 << 48, 0xF17B), _GCM_RTP, "RTP packet")
    expect("srtp-aes-gcm", gcm.protect_rtcp(_GCM_RTCP, 0x4D617273 << 48, 0x5D4), _GCM_SRTCP, "SRTCP packet")
    expect(
        "srtp-aes-gcm",
        gcm.unprotect_rtcp(_GCM_SRTCP, 0x4D617273 << 48, True, 0x5D4),
        _GCM_RTCP,
        "RTCP packet",
    )


@register("srtp-aes-cm-hmac-sha1", "SRTP", services=_SERVICES)
def srtp_aes_cm_hmac_sha1() -> None:
    from fipscrypto.errors import AuthenticationError
    from fipscrypto.kdf import SrtpKeys
    from fipscrypto.srtp.transforms import AesCm

    cm = AesCm(SrtpKeys(_CM_KEY, bytes(range(20)), _CM_SALT), 10, b"")
    rtp = bytes([0x80, 0, 0, 0]) + bytes(8) + bytes(len(_CM_KEYSTREAM))  # SSRC 0, SEQ 0, ROC 0
    srtp = cm.protect_rtp(rtp, 12, 0, 0)
    expect("srtp-aes-cm-hmac-sha1", srtp[12:-10], _CM_KEYSTREAM, "AES-CM keystream")
    try:
        plain = cm.unprotect_rtp(srtp, 12, 0, 0)
    except AuthenticationError:
        plain = b""
    expect("srtp-aes-cm-hmac-sha1", plain, rtp, "RTP packet after the HMAC-SHA1 tag verified")
