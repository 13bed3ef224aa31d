"""The SRTP/SRTCP transforms under one set of session keys, holding their cipher state.

:class:`AesCm`: AES Counter Mode (RFC 3711 §4.1.1) with HMAC-SHA1 (§4.2.1), for the
AES_CM_*_HMAC_SHA1_* profiles (RFC 3711, RFC 6188). :class:`AesGcm`: AEAD_AES_128/256_GCM (RFC 7714
§8-§10). Each is built once per session key set and reused for every packet: the AES block
context, the keyed HMAC and the AES-GCM object are made here, never per packet. Nothing here
checks arguments, asks the policy or marks the indicator (``ssrc48`` is the SSRC * 2^48, the place
of the SSRC in the IVs of both): :class:`~fipscrypto.srtp.SRTPSession`
does, around these calls; the self-tests run the same code on known answers.

Packet layouts (``||`` is concatenation; the MKI is present only when the session has one)::

    AES-CM SRTP   (RFC 3711 §3.1):  header || E(payload) || MKI || tag
    AES-CM SRTCP  (RFC 3711 §3.4):  header || E(rest) || E-flag|index || MKI || tag
    AES-GCM SRTP  (RFC 7714 §8):    header || E(payload) || tag || MKI
    AES-GCM SRTCP (RFC 7714 §9):    header || E(rest) || tag || E-flag|index || MKI
"""

from __future__ import annotations

from collections.abc import Sequence
from hmac import compare_digest
from itertools import count

from .._backend import ciphers as _ciphers
from .._backend import hashes as _hashes
from ..errors import AuthenticationError
from ..kdf import SrtpKeys
from .profiles import Profile

__all__ = ["MAX_PACKET", "AesCm", "AesGcm", "KeyedTransform", "transform"]

MAX_PACKET = 0xFFFF  # an RTP or RTCP packet in one UDP datagram: under 2^16 octets
_E_FLAG = 0x80000000
# The 16-bit block counter of AES-CM (RFC 3711 §4.1.1: "the keystream ... of at most 2^16 blocks"),
# as the last two octets of each counter block, for packets up to MAX_PACKET octets.
_COUNTER = [i.to_bytes(2, "big") for i in range((MAX_PACKET >> 4) + 1)]


class AesCm:
    """AES-CM with HMAC-SHA1 under one session key set (RFC 3711 §4.1.1, §4.2.1)."""

    __slots__ = ("_blocks", "_mac", "_mki", "_salt", "_tag", "rtcp_back", "rtp_tail")

    def __init__(self, keys: SrtpKeys, tag: int, mki: bytes) -> None:
        # §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16); the salt k_s is 112 bits. Kept
        # here without the * 2^16: the first 14 octets of each counter block.
        self._salt = int.from_bytes(keys.salt, "big")
        self._blocks = _ciphers.aes_ecb_encryptor(keys.encryption_key).update
        self._mac = _hashes.hmac_object("sha1", keys.authentication_key)
        self._tag, self._mki = tag, mki
        self.rtp_tail = len(mki) + tag  # octets after the payload
        self.rtcp_back = len(mki) + tag + 4  # the E-flag|index word is this far from the end

    def _xor(self, data: bytes, iv: int) -> bytes:
        """``data`` XOR the AES-CM keystream whose counter blocks are ``iv`` || 0, 1, ... (16 bits)."""
        n = len(data)
        if not n:
            return b""
        prefix = iv.to_bytes(14, "big")  # §4.1.1: the low 16 bits of the counter count the blocks
        stream = self._blocks(prefix + prefix.join(_COUNTER[: (n + 15) >> 4]))
        return (int.from_bytes(data, "big") ^ int.from_bytes(stream[:n], "big")).to_bytes(n, "big")

    def _tag_of(self, data: bytes | memoryview) -> bytes:
        # §4.2: the authentication tag is the leftmost bits of HMAC-SHA1(k_a, M), M the authenticated
        # portion, with the ROC appended for SRTP (§4.2: M = Authenticated Portion || ROC).
        h = self._mac.copy()
        h.update(data)
        return h.finalize()[: self._tag]

    def protect_rtp(self, packet: bytes, header: int, ssrc48: int, index: int) -> bytes:
        out = packet[:header] + self._xor(packet[header:], self._salt ^ ssrc48 ^ index)
        return out + self._mki + self._tag_of(out + (index >> 16).to_bytes(4, "big"))

    def unprotect_rtp(self, packet: bytes, header: int, ssrc48: int, index: int) -> bytes:
        end = len(packet) - self.rtp_tail
        if packet[end : end + len(self._mki)] != self._mki:
            raise AuthenticationError("the SRTP packet carries another MKI (RFC 3711 §3.1)")
        if not compare_digest(
            self._tag_of(packet[:end] + (index >> 16).to_bytes(4, "big")), packet[len(packet) - self._tag :]
        ):
            raise AuthenticationError("SRTP authentication tag mismatch (RFC 3711 §3.3)")
        return packet[:header] + self._xor(packet[header:end], self._salt ^ ssrc48 ^ index)

    def protect_run(self, packets: Sequence[bytes], ssrc48: int, index: int) -> list[bytes]:
        """protect_rtp of ``packets`` (12-octet headers) with the indices from ``index`` on."""
        protect = self.protect_rtp
        return [protect(packet, 12, ssrc48, i) for packet, i in zip(packets, count(index))]

    def protect_rtcp(self, packet: bytes, ssrc48: int, index: int) -> bytes:
        # §3.4: the encrypted portion is everything after the first 8 octets; E = 1 (encrypted).
        out = packet[:8] + self._xor(packet[8:], self._salt ^ ssrc48 ^ index)
        out += (_E_FLAG | index).to_bytes(4, "big")
        return out + self._mki + self._tag_of(out)

    def unprotect_rtcp(self, packet: bytes, ssrc48: int, encrypted: bool, index: int) -> bytes:
        end = len(packet) - self._tag - len(self._mki)  # the authenticated portion ends here
        if packet[end : end + len(self._mki)] != self._mki:
            raise AuthenticationError("the SRTCP packet carries another MKI (RFC 3711 §3.4)")
        if not compare_digest(self._tag_of(memoryview(packet)[:end]), packet[len(packet) - self._tag :]):
            raise AuthenticationError("SRTCP authentication tag mismatch (RFC 3711 §3.4)")
        if not encrypted:  # E = 0: the packet was only authenticated
            return packet[: end - 4]
        return packet[:8] + self._xor(packet[8 : end - 4], self._salt ^ ssrc48 ^ index)


class AesGcm:
    """AEAD_AES_128_GCM / AEAD_AES_256_GCM under one session key set (RFC 7714)."""

    __slots__ = ("_decrypt", "_encrypt", "_mki", "_salt", "rtcp_back", "rtp_tail")

    def __init__(self, keys: SrtpKeys, mki: bytes) -> None:
        # RFC 7714 §12: the session salt is 96 bits (the first 12 octets of the KDF's salt output).
        self._salt = int.from_bytes(keys.salt[:12], "big")
        gcm = _ciphers.aes_gcm(keys.encryption_key)
        self._encrypt, self._decrypt = gcm.encrypt, gcm.decrypt
        self._mki = mki
        self.rtp_tail = len(mki) + 16  # RFC 7714 §8: the 16-octet tag ends the ciphertext
        self.rtcp_back = len(mki) + 4

    # RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt; §9.1 for SRTCP:
    # IV = (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt. Both are salt XOR SSRC * 2^48 XOR index.

    def protect_rtp(self, packet: bytes, header: int, ssrc48: int, index: int) -> bytes:
        # RFC 7714 §8.2: the AAD is the RTP header (with CSRCs and extension); the plaintext the payload.
        head = packet[:header]
        iv = (self._salt ^ ssrc48 ^ index).to_bytes(12, "big")
        return head + self._encrypt(iv, packet[header:], head) + self._mki

    def unprotect_rtp(self, packet: bytes, header: int, ssrc48: int, index: int) -> bytes:
        end = len(packet) - len(self._mki)
        if packet[end:] != self._mki:
            raise AuthenticationError("the SRTP packet carries another MKI (RFC 7714 §8)")
        head = packet[:header]
        iv = (self._salt ^ ssrc48 ^ index).to_bytes(12, "big")
        try:
            return head + self._decrypt(iv, packet[header:end], head)
        except _ciphers.InvalidTag:
            raise AuthenticationError("SRTP AES-GCM tag mismatch (RFC 7714 §8.3)") from None

    def protect_run(self, packets: Sequence[bytes], ssrc48: int, index: int) -> list[bytes]:
        """protect_rtp of ``packets`` (12-octet headers) with the indices from ``index`` on, the
        per-packet call inlined: IV = salt XOR SSRC * 2^48 XOR index, AAD = the header (§8.1, §8.2)."""
        base, encrypt = self._salt ^ ssrc48, self._encrypt
        sealed = [
            (head := packet[:12]) + encrypt((base ^ i).to_bytes(12, "big"), packet[12:], head)
            for packet, i in zip(packets, count(index))
        ]
        return [packet + self._mki for packet in sealed] if self._mki else sealed

    def protect_rtcp(self, packet: bytes, ssrc48: int, index: int) -> bytes:
        # RFC 7714 §9.2: AAD = the first 8 octets || E-flag|SRTCP index; the plaintext the rest.
        word = (_E_FLAG | index).to_bytes(4, "big")
        iv = (self._salt ^ ssrc48 ^ index).to_bytes(12, "big")
        sealed = self._encrypt(iv, packet[8:], packet[:8] + word)
        return packet[:8] + sealed + word + self._mki

    def unprotect_rtcp(self, packet: bytes, ssrc48: int, encrypted: bool, index: int) -> bytes:
        end = len(packet) - self.rtcp_back  # the E-flag|index word starts here
        if packet[end + 4 :] != self._mki:
            raise AuthenticationError("the SRTCP packet carries another MKI (RFC 7714 §9)")
        word = packet[end : end + 4]
        iv = (self._salt ^ ssrc48 ^ index).to_bytes(12, "big")
        try:
            if encrypted:
                return packet[:8] + self._decrypt(iv, packet[8:end], packet[:8] + word)
            # RFC 7714 §9.3 (E = 0, authentication only): AAD = the whole RTCP packet || E|index,
            # the plaintext is empty, the tag follows the packet.
            self._decrypt(iv, packet[end - 16 : end], packet[: end - 16] + word)
        except _ciphers.InvalidTag:
            raise AuthenticationError("SRTCP AES-GCM tag mismatch (RFC 7714 §9.3)") from None
        return packet[: end - 16]


KeyedTransform = AesCm | AesGcm  # a transform under one set of session keys (profiles.Transform: its data)


def transform(profile: Profile, keys: SrtpKeys, *, rtcp: bool, mki: bytes) -> KeyedTransform:
    """The transform of ``profile`` under ``keys`` (its SRTP tag, or the SRTCP one when ``rtcp``)."""
    if profile.cipher == "aes-gcm":
        return AesGcm(keys, mki)
    return AesCm(keys, profile.srtcp_tag if rtcp else profile.srtp_tag, mki)
