"""Interoperability with libsrtp (pylibsrtp), both directions, for every profile it supports.

RTP from sequence number 65500 across the wrap (ROC 0 -> 1), reordered on the receiving side, and
compound RTCP; then each side replays what it received and must refuse it. With an MKI, through libsrtp's
``*_mki`` calls (``tests/libsrtp_mki.py``): libsrtp holds two master keys and names one per packet.
"""

from __future__ import annotations

import ctypes
import random

import libsrtp_mki
import pylibsrtp
import pytest

from fipscrypto import rand
from fipscrypto.errors import AuthenticationError, ReplayError
from fipscrypto.srtp import Profile, SRTPSession

PROFILES = {
    Profile.AES_CM_128_HMAC_SHA1_80: pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    Profile.AES_CM_128_HMAC_SHA1_32: pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_32,
    Profile.AEAD_AES_128_GCM: pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
    Profile.AEAD_AES_256_GCM: pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM,
}
SSRCS = (0x0BADCAFE, 0xDEADBEEF)
SEQS = [(65500 + i) & 0xFFFF for i in range(100)]  # 36 packets before the wrap, 64 after


def libsrtp(profile: Profile, key: bytes, salt: bytes, direction: int) -> pylibsrtp.Session:
    policy = pylibsrtp.Policy(key=key + salt, ssrc_type=direction, srtp_profile=PROFILES[profile])
    return pylibsrtp.Session(policy)


def keying(profile: Profile) -> tuple[bytes, bytes]:
    return rand.random_bytes(profile.key_length), rand.random_bytes(profile.salt_length)


def rtp(seq: int, ssrc: int, size: int) -> bytes:
    marker = seq.to_bytes(2, "big") * (size // 2)
    csrc = (0x01020304).to_bytes(4, "big")
    return (
        bytes([0x81, 0x60])
        + seq.to_bytes(2, "big")
        + (seq * 160).to_bytes(4, "big")
        + ssrc.to_bytes(4, "big")
        + csrc
        + marker
    )


def rtcp(ssrc: int, n: int) -> bytes:
    sr = bytes([0x80, 200, 0, 6]) + ssrc.to_bytes(4, "big") + n.to_bytes(8, "big") + bytes(12)
    sdes = bytes([0x81, 202, 0, 3]) + ssrc.to_bytes(4, "big") + b"\x01\x03abc\x00\x00\x00"
    return sr + sdes


def reordered(count: int, seed: int) -> list[int]:
    """0..count-1 with local reordering (each packet at most 6 places from where it was sent)."""
    rng = random.Random(seed)  # noqa: S311  # the order packets arrive in, not key material
    return sorted(range(count), key=lambda i: i + rng.uniform(0, 6))


@pytest.mark.parametrize("profile", list(PROFILES), ids=lambda p: p.name)
def test_we_protect_libsrtp_unprotects(profile: Profile) -> None:
    key, salt = keying(profile)
    ours = SRTPSession(profile, key, salt)
    theirs = libsrtp(profile, key, salt, pylibsrtp.Policy.SSRC_ANY_INBOUND)
    for ssrc in SSRCS:
        plain = [rtp(seq, ssrc, 20 + i) for i, seq in enumerate(SEQS)]
        sent = [ours.protect(p) for p in plain]
        for i in reordered(len(sent), ssrc):
            assert theirs.unprotect(sent[i]) == plain[i]
        controls = [rtcp(ssrc, n) for n in range(5)]
        protected = [ours.protect_rtcp(c) for c in controls]
        for i in (1, 0, 3, 2, 4):
            assert theirs.unprotect_rtcp(protected[i]) == controls[i]
        with pytest.raises(pylibsrtp.Error):
            theirs.unprotect(sent[-1])  # libsrtp's replay list refuses it too
        with pytest.raises(pylibsrtp.Error):
            theirs.unprotect_rtcp(protected[-1])


@pytest.mark.parametrize("profile", list(PROFILES), ids=lambda p: p.name)
def test_libsrtp_protects_we_unprotect(profile: Profile) -> None:
    key, salt = keying(profile)
    theirs = libsrtp(profile, key, salt, pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
    ours = SRTPSession(profile, key, salt)
    for ssrc in SSRCS:
        plain = [rtp(seq, ssrc, 1200 if i % 7 == 0 else 160) for i, seq in enumerate(SEQS)]
        sent = [theirs.protect(p) for p in plain]
        for i in reordered(len(sent), ssrc + 1):
            assert ours.unprotect(sent[i]) == plain[i]
        controls = [rtcp(ssrc, n) for n in range(5)]
        protected = [theirs.protect_rtcp(c) for c in controls]
        for i in (0, 2, 1, 4, 3):
            assert ours.unprotect_rtcp(protected[i]) == controls[i]
        for packet in (sent[0], sent[50], sent[-1]):
            with pytest.raises(ReplayError):
                ours.unprotect(packet)
        with pytest.raises(ReplayError):
            ours.unprotect_rtcp(protected[2])


@pytest.mark.parametrize("profile", list(PROFILES), ids=lambda p: p.name)
def test_both_protect_the_same_bytes(profile: Profile) -> None:
    # SRTP is deterministic: the same keys, SSRC and index give the same packet on both sides.
    key, salt = keying(profile)
    ours = SRTPSession(profile, key, salt)
    theirs = libsrtp(profile, key, salt, pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
    for seq in SEQS[:40]:
        packet = rtp(seq, SSRCS[0], 160)
        assert ours.protect(packet) == theirs.protect(packet)


def test_the_policy_layout_matches_pylibsrtp() -> None:
    ffi = libsrtp_mki._binding.ffi
    assert ctypes.sizeof(libsrtp_mki.Policy) == ffi.sizeof("srtp_policy_t")
    for field in ("ssrc", "rtp", "rtcp", "key", "window_size", "allow_repeat_tx"):
        assert getattr(libsrtp_mki.Policy, field).offset == ffi.offsetof("srtp_policy_t", field)


MKIS = (b"\x00\x00\x00\x01", b"\x00\x00\x00\x02")


@pytest.mark.parametrize("profile", list(PROFILES), ids=lambda p: p.name)
def test_mki_packets_match_libsrtp_both_ways(profile: Profile) -> None:
    keys = [keying(profile) for _ in MKIS]
    masters = [(key + salt, mki) for (key, salt), mki in zip(keys, MKIS, strict=True)]
    sender = libsrtp_mki.MkiSession(profile.name, masters, libsrtp_mki.SSRC_ANY_OUTBOUND)
    receiver = libsrtp_mki.MkiSession(profile.name, masters, libsrtp_mki.SSRC_ANY_INBOUND)
    ours = SRTPSession(profile, *keys[1], mki=MKIS[1])
    ours_rx = SRTPSession(profile, *keys[1], mki=MKIS[1])
    other_key = SRTPSession(profile, *keys[0], mki=MKIS[0])
    plain = [rtp(seq, SSRCS[0], 160) for seq in SEQS[:40]]
    sent = [sender.protect(p, 1) for p in plain]
    # RFC 3711 §3.1: the MKI travels in every packet, so each side must put it where the other looks.
    assert sent == [ours.protect(p) for p in plain]
    for i in reordered(len(sent), 7):
        assert ours_rx.unprotect(sent[i]) == plain[i]
        with pytest.raises(AuthenticationError, match="another MKI"):
            other_key.unprotect(sent[i])
    controls = [rtcp(SSRCS[0], n) for n in range(5)]
    protected = [sender.protect_rtcp(c, 1) for c in controls]
    # Not byte-equal: RFC 3711 §3.4 starts the SRTCP index at zero, libsrtp sends its first as 1.
    ours_rtcp = [ours.protect_rtcp(c) for c in controls]
    assert [len(p) for p in protected] == [len(p) for p in ours_rtcp]
    for i in (1, 0, 3, 2, 4):
        assert ours_rx.unprotect_rtcp(protected[i]) == controls[i]
    for packet, control in zip(ours_rtcp, controls, strict=True):
        assert receiver.unprotect_rtcp(packet) == control
    for packet, original in zip(sent, plain, strict=True):
        assert receiver.unprotect(packet) == original
    with pytest.raises(pylibsrtp.Error):
        receiver.unprotect(sent[-1])  # replayed
    # Packets under the other master key are libsrtp's index 0; our session holding that key reads them.
    later = rtp(5, SSRCS[1], 160)  # another stream: a receiver cannot learn the first one's ROC mid-way
    assert other_key.unprotect(sender.protect(later, 0)) == later
