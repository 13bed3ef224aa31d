"""libsrtp's MKI calls, which pylibsrtp does not wrap, reached through ctypes in pylibsrtp's own library.

pylibsrtp 1.0 links libsrtp 2.7 statically and exports its symbols. Its cffi declarations omit the
``keys``/``num_master_keys`` fields of ``srtp_policy_t``, so the structures are declared here as libsrtp
2.x's ``srtp.h`` lays them out; ``test_the_policy_layout_matches_pylibsrtp`` checks the offsets against
what pylibsrtp's compiled binding reports.
"""

from __future__ import annotations

import ctypes

import pylibsrtp
from pylibsrtp import _binding

PROFILE_IDS = {
    "AES_CM_128_HMAC_SHA1_80": _binding.lib.srtp_profile_aes128_cm_sha1_80,
    "AES_CM_128_HMAC_SHA1_32": _binding.lib.srtp_profile_aes128_cm_sha1_32,
    "AEAD_AES_128_GCM": _binding.lib.srtp_profile_aead_aes_128_gcm,
    "AEAD_AES_256_GCM": _binding.lib.srtp_profile_aead_aes_256_gcm,
}
SSRC_ANY_OUTBOUND = _binding.lib.ssrc_any_outbound
SSRC_ANY_INBOUND = _binding.lib.ssrc_any_inbound


class _Ssrc(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("value", ctypes.c_uint)]


class _CryptoPolicy(ctypes.Structure):
    _fields_ = [
        ("cipher_type", ctypes.c_uint32),
        ("cipher_key_len", ctypes.c_int),
        ("auth_type", ctypes.c_uint32),
        ("auth_key_len", ctypes.c_int),
        ("auth_tag_len", ctypes.c_int),
        ("sec_serv", ctypes.c_int),
    ]


class _MasterKey(ctypes.Structure):
    _fields_ = [("key", ctypes.c_char_p), ("mki_id", ctypes.c_char_p), ("mki_size", ctypes.c_uint)]


class Policy(ctypes.Structure):
    _fields_ = [
        ("ssrc", _Ssrc),
        ("rtp", _CryptoPolicy),
        ("rtcp", _CryptoPolicy),
        ("key", ctypes.c_char_p),
        ("keys", ctypes.POINTER(ctypes.POINTER(_MasterKey))),
        ("num_master_keys", ctypes.c_ulong),
        ("deprecated_ekt", ctypes.c_void_p),
        ("window_size", ctypes.c_ulong),
        ("allow_repeat_tx", ctypes.c_int),
        ("enc_xtn_hdr", ctypes.POINTER(ctypes.c_int)),
        ("enc_xtn_hdr_count", ctypes.c_int),
        ("next", ctypes.c_void_p),
    ]


_lib = ctypes.CDLL(_binding.__file__)
_INT = ctypes.POINTER(ctypes.c_int)
for _name in ("srtp_protect_mki", "srtp_protect_rtcp_mki"):
    getattr(_lib, _name).argtypes = [ctypes.c_void_p, ctypes.c_char_p, _INT, ctypes.c_uint, ctypes.c_uint]
for _name in ("srtp_unprotect_mki", "srtp_unprotect_rtcp_mki"):
    getattr(_lib, _name).argtypes = [ctypes.c_void_p, ctypes.c_char_p, _INT, ctypes.c_uint]
_lib.srtp_create.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(Policy)]
_lib.srtp_dealloc.argtypes = [ctypes.c_void_p]
_lib.srtp_crypto_policy_set_from_profile_for_rtp.argtypes = [ctypes.POINTER(_CryptoPolicy), ctypes.c_int]
_lib.srtp_crypto_policy_set_from_profile_for_rtcp.argtypes = [ctypes.POINTER(_CryptoPolicy), ctypes.c_int]
_TRAILER = 16 + 4 + 128  # the longest tag, the SRTCP index word and the longest MKI libsrtp appends


class MkiSession:
    """A libsrtp session holding several master keys, each named by its MKI (RFC 3711 §3.1)."""

    def __init__(self, profile: str, keys: list[tuple[bytes, bytes]], direction: int) -> None:
        """``keys`` holds (key||salt, MKI) pairs; libsrtp protects with the one ``index`` names."""
        # c_char_p fields keep their bytes alive and point at them, NUL octets included.
        masters = [ctypes.pointer(_MasterKey(key, mki, len(mki))) for key, mki in keys]
        self._keys = (ctypes.POINTER(_MasterKey) * len(masters))(*masters)
        policy = Policy(ssrc=_Ssrc(direction, 0), keys=self._keys, num_master_keys=len(masters))
        policy.window_size = 128
        profile_id = PROFILE_IDS[profile]
        _lib.srtp_crypto_policy_set_from_profile_for_rtp(ctypes.byref(policy.rtp), profile_id)
        _lib.srtp_crypto_policy_set_from_profile_for_rtcp(ctypes.byref(policy.rtcp), profile_id)
        self._session = ctypes.c_void_p()
        if (status := _lib.srtp_create(ctypes.byref(self._session), ctypes.byref(policy))) != 0:
            raise pylibsrtp.Error(f"srtp_create failed ({status})")

    def __del__(self) -> None:
        _lib.srtp_dealloc(self._session)

    def _call(self, name: str, packet: bytes, *args: int) -> bytes:
        buffer = ctypes.create_string_buffer(packet, len(packet) + _TRAILER)
        length = ctypes.c_int(len(packet))
        if (status := getattr(_lib, name)(self._session, buffer, ctypes.byref(length), *args)) != 0:
            raise pylibsrtp.Error(f"{name} failed ({status})")
        return buffer.raw[: length.value]

    def protect(self, rtp: bytes, index: int) -> bytes:
        return self._call("srtp_protect_mki", rtp, 1, index)

    def protect_rtcp(self, rtcp: bytes, index: int) -> bytes:
        return self._call("srtp_protect_rtcp_mki", rtcp, 1, index)

    def unprotect(self, srtp: bytes) -> bytes:
        return self._call("srtp_unprotect_mki", srtp, 1)

    def unprotect_rtcp(self, srtcp: bytes) -> bytes:
        return self._call("srtp_unprotect_rtcp_mki", srtcp, 1)
