"""SRTP/SRTCP sessions: the RFC vectors, ROC estimation, replay, limits, policy, rejected packets.

Vectors (tests/vectors/SOURCES.md): RFC 3711 App. B and RFC 6188 §7 (AES-CM keystream and key
derivation), RFC 7714 §16-17 (AES-GCM SRTP and SRTCP packets; session keys given directly, so they
are run through the transform the session holds).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from fipscrypto import indicator
from fipscrypto.errors import (
    AlgorithmUnavailable,
    AuthenticationError,
    FipsError,
    InvalidParameter,
    KeyLimitError,
    ParseError,
    ReplayError,
)
from fipscrypto.kdf import SrtpKeys, srtcp_session_keys, srtp_session_keys
from fipscrypto.provider.state import StatePaths
from fipscrypto.srtp import SRTCP_LIMIT, SRTP_LIMIT, Profile, SRTPSession
from fipscrypto.srtp.replay import Window, estimate
from fipscrypto.srtp.transforms import AesCm, AesGcm

from support import run_json
from vectorlib import VECTORS

SSRC = 0x12345678
KEY = SSRC.to_bytes(4, "big")  # how a session keeps its streams


def rfc(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / "rfc" / f"{name}.json").read_text())
    return data


def rtp(seq: int, payload: bytes = b"media" * 8, *, ssrc: int = SSRC, first: int = 0x80) -> bytes:
    return bytes([first, 96]) + seq.to_bytes(2, "big") + bytes(4) + ssrc.to_bytes(4, "big") + payload


def rtcp(ssrc: int = SSRC) -> bytes:
    # A receiver report with no report blocks (RFC 3550 §6.4.2), then an SDES CNAME chunk (§6.5).
    rr = bytes([0x80, 201, 0, 1]) + ssrc.to_bytes(4, "big")
    sdes = bytes([0x81, 202, 0, 3]) + ssrc.to_bytes(4, "big") + b"\x01\x02ab\x00\x00\x00\x00"
    return rr + sdes


def pair(profile: Profile, **options: Any) -> tuple[SRTPSession, SRTPSession]:
    key, salt = bytes(range(profile.key_length)), bytes(range(100, 100 + profile.salt_length))
    return SRTPSession(profile, key, salt, **options), SRTPSession(profile, key, salt, **options)


# ------------------------------------------------------------------------------------- vectors


def _keystream(key: bytes, blocks: int) -> bytes:
    # B.2 / RFC 6188 §7.1, §7.3: SSRC 0, ROC 0, SEQ 0, salt F0F1...FD: the payload XOR the keystream.
    salt = bytes.fromhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD")
    cm = AesCm(SrtpKeys(key, bytes(20), salt), 10, b"")
    packet = rtp(0, bytes(16 * blocks), ssrc=0)
    return cm.protect_rtp(packet, 12, 0, 0)[12 : 12 + 16 * blocks]


def test_rfc3711_b2_aes_cm_keystream() -> None:
    case = rfc("rfc3711-appendix-b")["aes_cm_keystream"][0]
    first = [b for b in case["blocks"] if b["counter"].endswith(("0000", "0001", "0002"))]
    assert _keystream(bytes.fromhex(case["session_key"]), 3).hex().upper() == "".join(
        b["keystream"] for b in first
    )


@pytest.mark.parametrize("case", rfc("rfc6188-section7")["aes_cm_keystream"], ids=lambda c: c["section"])
def test_rfc6188_aes_cm_keystream(case: dict[str, Any]) -> None:
    assert _keystream(bytes.fromhex(case["session_key"]), 3).hex() == case["first_3_blocks"]


def test_rfc3711_b3_and_rfc6188_key_derivation_reach_the_session() -> None:
    b3 = rfc("rfc3711-appendix-b")["key_derivation"][0]
    values = {o["name"]: o["value"] for o in b3["outputs"]}
    cases = [
        (
            b3["master_key"],
            b3["master_salt"],
            values["cipher_key"],
            values["cipher_salt"],
            values["auth_key_94_octets"],
        )
    ]
    for c in rfc("rfc6188-section7")["key_derivation"]:
        cases.append(
            (c["master_key"], c["master_salt"], c["cipher_key"], c["cipher_salt"], c["auth_key_first_20"])
        )
    profiles = {
        16: Profile.AES_CM_128_HMAC_SHA1_80,
        24: Profile.AES_192_CM_HMAC_SHA1_80,
        32: Profile.AES_256_CM_HMAC_SHA1_80,
    }
    for master_key, master_salt, cipher_key, cipher_salt, auth_key in cases:
        key, salt = bytes.fromhex(master_key), bytes.fromhex(master_salt)
        keys = srtp_session_keys(key, salt, index=0)
        assert (keys.encryption_key.hex(), keys.salt.hex()) == (cipher_key.lower(), cipher_salt.lower())
        assert auth_key.lower().startswith(keys.authentication_key.hex())
        # The session protects with exactly these keys.
        expected = AesCm(keys, 10, b"").protect_rtp(rtp(1), 12, SSRC << 48, 1)
        assert SRTPSession(profiles[len(key)], key, salt).protect(rtp(1)) == expected


@pytest.mark.parametrize("case", rfc("rfc7714-sections16-17")["vectors"], ids=lambda c: c["suite"])
def test_rfc7714_gcm_packets(case: dict[str, Any]) -> None:
    data = rfc("rfc7714-sections16-17")
    keys = SrtpKeys(bytes.fromhex(case["key"]), b"", bytes.fromhex(data["salt"]))
    gcm = AesGcm(keys, b"")
    plain, protected = bytes.fromhex(data["rtp_plain"]), bytes.fromhex(case["rtp_protected"])
    # §16: SSRC 0x5501a0b2, ROC 0, SEQ 0xf17b.
    assert gcm.protect_rtp(plain, 12, 0x5501A0B2 << 48, 0xF17B) == protected
    assert gcm.unprotect_rtp(protected, 12, 0x5501A0B2 << 48, 0xF17B) == plain
    # §17: SSRC 0x4d617273, SRTCP index 0x5d4; encrypted (E = 1) and authentication only (E = 0).
    plain, protected = bytes.fromhex(data["rtcp_plain"]), bytes.fromhex(case["rtcp_protected"])
    assert gcm.protect_rtcp(plain, 0x4D617273 << 48, 0x5D4) == protected
    assert gcm.unprotect_rtcp(protected, 0x4D617273 << 48, True, 0x5D4) == plain
    assert gcm.unprotect_rtcp(bytes.fromhex(case["rtcp_auth_only"]), 0x4D617273 << 48, False, 0x5D4) == plain
    with pytest.raises(AuthenticationError):
        gcm.unprotect_rtp(protected[:-1] + bytes([protected[-1] ^ 1]), 12, 0x5501A0B2 << 48, 0xF17B)


# ------------------------------------------------------------------------ round trips, streams


@pytest.mark.parametrize("profile", list(Profile), ids=lambda p: p.name)
def test_every_profile_round_trips_rtp_and_rtcp(profile: Profile) -> None:
    tx, rx = pair(profile, mki=b"\x01\x02")
    for seq in (0, 1, 2):
        packet = rtp(seq)
        protected = tx.protect(packet)
        assert len(protected) == len(packet) + 2 + profile.srtp_tag
        assert rx.unprotect(protected) == packet
    protected = tx.protect_rtcp(rtcp())
    assert len(protected) == len(rtcp()) + 4 + 2 + profile.srtcp_tag
    assert rx.unprotect_rtcp(protected) == rtcp()


def test_headers_with_csrcs_extension_and_padding_are_parsed() -> None:
    tx, rx = pair(Profile.AEAD_AES_128_GCM)
    csrcs = bytes(range(8))  # CC = 2
    extension = b"\xbe\xde\x00\x01" + b"\x10\xaa\x00\x00"  # RFC 8285 one-byte header, one word
    payload = b"voice" + b"\x00\x00\x03"  # three octets of padding, the last one counting them
    packet = (
        bytes([0x80 | 0x20 | 0x10 | 2, 96, 0, 7])
        + bytes(4)
        + SSRC.to_bytes(4, "big")
        + csrcs
        + extension
        + payload
    )
    protected = tx.protect(packet)
    assert protected[: 12 + 8 + 8] == packet[: 12 + 8 + 8]  # the header, CSRCs and extension stay clear
    assert rx.unprotect(protected) == packet
    for bad in (
        packet[:11],  # shorter than the fixed header
        bytes([0x40]) + packet[1:],  # version 1
        packet[:22],  # the extension's length word is cut
        bytes([0x80 | 0x0F]) + packet[1:30],  # 15 CSRCs announced
        packet[:-1] + b"\x00",  # padding count 0
        packet[:-1] + b"\x40",  # padding longer than the payload
    ):
        with pytest.raises(ParseError):
            tx.protect(bad)
    with pytest.raises(ParseError):
        tx.protect_rtcp(rtcp()[:-1])  # the length fields do not add up
    with pytest.raises(ParseError):
        tx.protect_rtcp(bytes([0x40]) + rtcp()[1:])


def test_streams_are_per_ssrc_and_can_be_added_and_removed() -> None:
    tx, rx = pair(Profile.AES_CM_128_HMAC_SHA1_80)
    a, b = tx.protect(rtp(5, ssrc=1)), tx.protect(rtp(5, ssrc=2))  # same SEQ, two streams
    assert rx.unprotect(a) == rtp(5, ssrc=1)
    assert rx.unprotect(b) == rtp(5, ssrc=2)
    with pytest.raises(ReplayError):
        rx.unprotect(a)
    rx.remove_stream(1)  # forgotten: the same packet is new again
    assert rx.unprotect(a) == rtp(5, ssrc=1)
    with pytest.raises(InvalidParameter):
        rx.remove_stream(99)
    rx.add_stream(2)  # a fresh replay list
    assert rx.unprotect(b) == rtp(5, ssrc=2)
    with pytest.raises(InvalidParameter):
        rx.add_stream(-1)


# ------------------------------------------------------------------------------- ROC and replay


def test_roc_estimation_follows_rfc3711_appendix_a() -> None:
    assert estimate(-1, 65535) == 65535  # first packet: ROC 0
    assert estimate(65535, 0) == 65536  # wrap: v = ROC + 1
    assert estimate(65536 + 2, 65534) == 65534  # late packet from before the wrap: v = ROC - 1
    assert estimate(5, 65000) < 0  # before the first packet of ROC 0: refused by the window
    assert estimate((7 << 16) | 40000, 100) == (8 << 16) | 100
    assert estimate((7 << 16) | 100, 40000) == (6 << 16) | 40000  # more than 2^15 ahead: behind
    assert estimate((7 << 16) | 100, 30000) == (7 << 16) | 30000
    window = Window(64)
    window.accept(100)
    with pytest.raises(ReplayError):
        window.check(100)
    with pytest.raises(ReplayError):
        window.check(36)  # 64 behind
    window.check(37)
    # Within reach of the window but from before the first packet (ROC - 1 below 0): refused.
    with pytest.raises(ReplayError):
        window.check(-1)


def test_a_packet_from_before_the_first_one_is_a_replay_on_both_sides() -> None:
    tx, rx = pair(Profile.AEAD_AES_128_GCM)
    rx.unprotect(tx.protect(rtp(2)))
    old = pair(Profile.AEAD_AES_128_GCM)[0].protect(rtp(65535))  # SEQ 65535 after 2: ROC - 1 = -1
    with pytest.raises(ReplayError):
        rx.unprotect(old)
    with pytest.raises(ReplayError):
        tx.protect(rtp(65535))


@pytest.mark.parametrize(
    "profile", [Profile.AES_CM_128_HMAC_SHA1_80, Profile.AEAD_AES_256_GCM], ids=lambda p: p.name
)
def test_sequence_wrap_and_reordering(profile: Profile) -> None:
    tx, rx = pair(profile)
    seqs = [65530 + i & 0xFFFF for i in range(12)]  # crosses 65535 -> 0: ROC 0 -> 1
    sent = [tx.protect(rtp(s)) for s in seqs]
    order = [0, 2, 1, 5, 3, 4, 8, 6, 7, 11, 9, 10]  # reordered across the wrap
    for i in order:
        assert rx.unprotect(sent[i]) == rtp(seqs[i])
    for i in order:
        with pytest.raises(ReplayError):
            rx.unprotect(sent[i])
    # A packet protected after the wrap uses ROC 1: a receiver that missed the wrap still finds it.
    late = SRTPSession(
        profile, bytes(range(profile.key_length)), bytes(range(100, 100 + profile.salt_length))
    )
    assert late.unprotect(sent[0]) == rtp(seqs[0])
    assert late.unprotect(sent[-1]) == rtp(seqs[-1])


def test_the_replay_window_has_the_configured_size() -> None:
    tx, rx = pair(Profile.AEAD_AES_128_GCM, replay_window=64)
    sent = [tx.protect(rtp(s)) for s in range(200)]
    rx.unprotect(sent[199])
    rx.unprotect(sent[199 - 63])  # inside the window
    with pytest.raises(ReplayError):
        rx.unprotect(sent[199 - 64])  # just outside
    for size in (63, 2**15 + 1, True, 128.0):
        with pytest.raises(InvalidParameter):
            SRTPSession(Profile.AEAD_AES_128_GCM, bytes(16), bytes(12), replay_window=size)  # type: ignore[arg-type]


def test_protect_refuses_a_repeated_index_unless_allowed() -> None:
    tx, _ = pair(Profile.AES_CM_128_HMAC_SHA1_80)
    first = tx.protect(rtp(10))
    with pytest.raises(ReplayError):
        tx.protect(rtp(10))
    repeat, _ = pair(Profile.AES_CM_128_HMAC_SHA1_80, allow_repeat_tx=True)
    assert repeat.protect(rtp(10)) == first == repeat.protect(rtp(10))  # a retransmission
    with pytest.raises(InvalidParameter):  # an AES-GCM IV is never used twice (SP 800-38D §8)
        pair(Profile.AEAD_AES_128_GCM, allow_repeat_tx=True)


def test_a_rejected_packet_leaves_the_stream_untouched() -> None:
    tx, rx = pair(Profile.AES_CM_128_HMAC_SHA1_80)
    sent = [tx.protect(rtp(s)) for s in range(3)]
    far = tx.protect(rtp(30000))  # a valid packet far ahead, taken as a template
    forged = far[:-1] + bytes([far[-1] ^ 1])
    rx.unprotect(sent[0])
    before = {ssrc: (s.rtp.top, s.rtp.mask) for ssrc, s in rx._rx.items()}
    with pytest.raises(AuthenticationError):
        rx.unprotect(forged)  # would move the ROC estimate and the window if it were accepted
    with pytest.raises(AuthenticationError):
        rx.unprotect(tx.protect(rtp(3, ssrc=77))[:-1] + b"\x00")  # a stream first seen in a forgery
    assert {ssrc: (s.rtp.top, s.rtp.mask) for ssrc, s in rx._rx.items()} == before
    assert rx.unprotect(sent[2]) == rtp(2)
    assert rx.unprotect(sent[1]) == rtp(1)
    assert rx.unprotect(far) == rtp(30000)


def test_srtcp_index_replay_and_e_flag() -> None:
    tx, rx = pair(Profile.AES_CM_128_HMAC_SHA1_80)
    sent = [tx.protect_rtcp(rtcp()) for _ in range(3)]
    # RFC 3711 §3.4: E set, the index counts from 0.
    assert [int.from_bytes(p[-14:-10], "big") for p in sent] == [0x80000000, 0x80000001, 0x80000002]
    assert rx.unprotect_rtcp(sent[2]) == rtcp()
    assert rx.unprotect_rtcp(sent[0]) == rtcp()
    with pytest.raises(ReplayError):
        rx.unprotect_rtcp(sent[0])
    cleared = bytearray(sent[1])
    cleared[-14] &= 0x7F  # E = 0: the trailer is authenticated, so this is a forgery
    with pytest.raises(AuthenticationError):
        rx.unprotect_rtcp(bytes(cleared))
    assert rx.unprotect_rtcp(sent[1]) == rtcp()


def test_a_wrong_mki_is_refused() -> None:
    tx, _ = pair(Profile.AEAD_AES_128_GCM, mki=b"\x01")
    _, rx = pair(Profile.AEAD_AES_128_GCM, mki=b"\x02")
    with pytest.raises(AuthenticationError, match="MKI"):
        rx.unprotect(tx.protect(rtp(1)))
    with pytest.raises(AuthenticationError, match="MKI"):
        rx.unprotect_rtcp(tx.protect_rtcp(rtcp()))


@pytest.mark.parametrize("profile", list(Profile), ids=lambda p: p.name)
def test_several_master_keys_are_chosen_by_mki(profile: Profile) -> None:
    """RFC 3711 §3.1: the MKI names the master key of each packet. The receiver holds both keys; the
    sender switches between packets; the streams (ROC, replay lists) carry on across the switch."""
    one = (b"\x01" * profile.key_length, b"\x01" * profile.salt_length)
    two = (b"\x02" * profile.key_length, b"\x02" * profile.salt_length)
    tx = SRTPSession(profile, *one, mki=b"\x00\x01")
    rx = SRTPSession(profile, *one, mki=b"\x00\x01")
    alone = SRTPSession(profile, *two, mki=b"\x00\x02")  # the second key only, sending the same packets
    for session in (tx, rx):
        session.add_master_key(*two, mki=b"\x00\x02")
    assert rx.master_keys == (b"\x00\x01", b"\x00\x02")
    assert tx.mki == b"\x00\x01"
    first = tx.protect(rtp(65535))
    tx.use_master_key(b"\x00\x02")
    assert tx.mki == b"\x00\x02"
    alone.add_stream(SSRC)
    alone._tx[KEY].rtp.top = 65535  # where tx's stream is: the next packet has ROC 1
    second = tx.protect(rtp(0))
    assert second == alone.protect(rtp(0))
    mki_end = len(second) - (0 if profile.cipher == "aes-gcm" else profile.srtp_tag)
    assert second[mki_end - 2 : mki_end] == b"\x00\x02"
    controls = [tx.protect_rtcp(rtcp())]
    tx.use_master_key(b"\x00\x01")
    controls.append(tx.protect_rtcp(rtcp()))
    assert rx.unprotect(first) == rtp(65535)
    assert rx.unprotect(second) == rtp(0)  # by the second key, with ROC 1: the stream carried on
    assert [rx.unprotect_rtcp(c) for c in reversed(controls)] == [rtcp(), rtcp()]
    with pytest.raises(ReplayError):
        rx.unprotect(second)  # one replay list for the stream, whichever key
    batch = [tx.protect(rtp(1)), tx.protect(rtp(2)), second, rtp(3) + bytes(30)]
    out = rx.unprotect_many(batch)
    assert out[:2] == [rtp(1), rtp(2)]
    assert isinstance(out[2], ReplayError)
    assert isinstance(out[3], AuthenticationError)  # no key of the session is named
    tx.use_master_key(b"\x00\x02")
    assert rx.unprotect_many(tx.protect_many([rtp(4), rtp(5)])) == [rtp(4), rtp(5)]
    rx.use_master_key(b"\x00\x02")  # the key in use cannot be removed
    rx.remove_master_key(b"\x00\x01")
    with pytest.raises(AuthenticationError, match="another MKI"):
        rx.unprotect(SRTPSession(profile, *one, mki=b"\x00\x01").protect(rtp(9)))
    assert rx.master_keys == (b"\x00\x02",)


def test_master_keys_are_added_switched_and_removed_with_checks() -> None:
    profile = Profile.AEAD_AES_128_GCM
    key, salt = bytes(16), bytes(12)
    plain = SRTPSession(profile, key, salt)
    assert (plain.master_keys, plain.mki) == ((), None)
    with pytest.raises(InvalidParameter, match="MKI of the session's length"):
        plain.add_master_key(key, salt, b"\x01")  # a session without MKI cannot tell keys apart
    session = SRTPSession(profile, key, salt, mki=b"\x01")
    session.use_master_key(b"\x01")  # its own key
    for bad in (b"\x01\x02", b""):
        with pytest.raises(InvalidParameter, match="MKI of the session's length"):
            session.add_master_key(key, salt, bad)
    with pytest.raises(InvalidParameter, match="already"):
        session.add_master_key(key, salt, b"\x01")
    with pytest.raises(InvalidParameter, match="master key"):
        session.add_master_key(key[:8], salt, b"\x02")
    with pytest.raises(InvalidParameter, match="master salt"):
        session.add_master_key(key, salt + b"x", b"\x02")
    for bad_mki in (b"\x09", "\x01", None):
        with pytest.raises(InvalidParameter, match="no master key"):
            session.use_master_key(bad_mki)  # type: ignore[arg-type]
    for n in range(2, 17):
        session.add_master_key(key, salt, bytes([n]))
    with pytest.raises(InvalidParameter, match="at most 16"):
        session.add_master_key(key, salt, b"\x11")
    with pytest.raises(InvalidParameter, match="protect does not use"):
        session.remove_master_key(b"\x01")  # in use
    with pytest.raises(InvalidParameter, match="protect does not use"):
        session.remove_master_key(b"\x20")
    session.remove_master_key(b"\x02")
    assert len(session.master_keys) == 15
    session.add_master_key(key, salt, b"\x11")


def test_each_master_key_has_its_own_usage_limit() -> None:
    profile = Profile.AES_CM_128_HMAC_SHA1_80
    tx = SRTPSession(profile, bytes(16), bytes(14), mki=b"\x01")
    tx.add_master_key(bytes(range(16)), bytes(14), b"\x02")
    tx._masters[b"\x01"]._srtp_left = iter(range(1))  # the last packet under the first key (§9.2)
    tx.protect(rtp(1))
    with pytest.raises(KeyLimitError):
        tx.protect(rtp(2))
    tx.use_master_key(b"\x02")  # rekeyed: the next key's count is its own
    tx.protect(rtp(2))


# -------------------------------------------------------------------------------- limits, keys


def test_key_limits_raise_before_they_are_crossed() -> None:
    tx, rx = pair(Profile.AEAD_AES_128_GCM)
    tx._srtp_left = iter(range(1))  # the last SRTP packet this master key may protect (§9.2: 2^48)
    tx._srtcp_left = iter(range(1))
    rx.unprotect(tx.protect(rtp(1)))
    rx.unprotect_rtcp(tx.protect_rtcp(rtcp()))
    with pytest.raises(KeyLimitError):
        tx.protect(rtp(2))
    with pytest.raises(KeyLimitError):
        tx.protect_rtcp(rtcp())
    assert (tx._tx[KEY].rtp.top, tx._tx[KEY].rtcp.top) == (1, 0)  # nothing moved
    # The 48-bit SRTP index and the 31-bit SRTCP index end too.
    tx, _ = pair(Profile.AES_CM_128_HMAC_SHA1_80)
    tx.add_stream(SSRC)
    tx._tx[KEY].rtp.top = SRTP_LIMIT - 1
    tx._tx[KEY].rtcp.top = SRTCP_LIMIT - 1
    with pytest.raises(KeyLimitError):
        tx.protect(rtp(0))  # ROC 2^32 - 1 wraps
    with pytest.raises(KeyLimitError):
        tx.protect_rtcp(rtcp())


def test_a_key_derivation_rate_rederives_at_each_boundary() -> None:
    profile = Profile.AES_CM_128_HMAC_SHA1_80
    key, salt = bytes(range(16)), bytes(range(100, 114))
    tx = SRTPSession(profile, key, salt, key_derivation_rate=4)
    rx = SRTPSession(profile, key, salt, key_derivation_rate=4)
    for seq in range(10):
        protected = tx.protect(rtp(seq))
        # RFC 3711 §4.3.1: r = index DIV 4; the keys for this packet come from r.
        keys = srtp_session_keys(key, salt, index=seq, kdr=4)
        assert protected == AesCm(keys, 10, b"").protect_rtp(rtp(seq), 12, SSRC << 48, seq)
        assert rx.unprotect(protected) == rtp(seq)
    for i in range(6):
        protected = tx.protect_rtcp(rtcp())
        keys = srtcp_session_keys(key, salt, index=i, kdr=4)
        assert protected == AesCm(keys, 10, b"").protect_rtcp(rtcp(), SSRC << 48, i)
        assert rx.unprotect_rtcp(protected) == rtcp()
    # Without a rate every packet uses the keys of r = 0, which differ from those of r = 9 DIV 4.
    rekeyed = AesCm(srtp_session_keys(key, salt, index=9, kdr=4), 10, b"").protect_rtp(
        rtp(9), 12, SSRC << 48, 9
    )
    plain = SRTPSession(profile, key, salt)
    assert plain.protect(rtp(9)) != rekeyed
    assert plain._keys == ()  # with rate 0 the master key is not kept after the derivation
    assert tx._keys[0] == key  # with a rate it is: the keys are derived again
    with pytest.raises(InvalidParameter):
        SRTPSession(profile, key, salt, key_derivation_rate=3)


def test_creation_checks_its_arguments() -> None:
    for bad in (
        lambda: SRTPSession(Profile.AEAD_AES_128_GCM, bytes(32), bytes(12)),
        lambda: SRTPSession(Profile.AEAD_AES_128_GCM, bytes(16), bytes(14)),
        lambda: SRTPSession(Profile.AES_CM_128_HMAC_SHA1_80, bytes(16), bytes(14), mki=b""),
        lambda: SRTPSession("AES_CM_128", bytes(16), bytes(14)),
        lambda: SRTPSession(7, bytes(16), bytes(14)),  # type: ignore[arg-type]
        lambda: SRTPSession(Profile.AES_CM_128_HMAC_SHA1_80, bytes(16), bytes(14), allow_repeat_tx=1),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidParameter):
            bad()
    with pytest.raises(AlgorithmUnavailable):  # in the vocabulary, not offered (and refused by policy)
        SRTPSession("F8_128_HMAC_SHA1_80", bytes(16), bytes(14))
    assert SRTPSession("AEAD_AES_256_GCM", bytes(32), bytes(12)).profile is Profile.AEAD_AES_256_GCM


def test_the_indicator_counts_each_service() -> None:
    tx, rx = pair(Profile.AEAD_AES_128_GCM)
    before = indicator.counters()
    rx.unprotect(tx.protect(rtp(1)))
    rx.unprotect(tx.protect(rtp(2)))
    rx.unprotect_rtcp(tx.protect_rtcp(rtcp()))
    after = indicator.counters()
    for service, calls in (("protect", 2), ("unprotect", 2), ("protect_rtcp", 1), ("unprotect_rtcp", 1)):
        key = f"srtp.SRTPSession.{service}"
        counts = after[key]
        old = before.get(key, {})
        assert sum(counts.values()) - sum(old.values()) == calls, (service, counts)
    assert indicator.last() is not None


def test_bad_input_types_are_typed_errors() -> None:
    tx, rx = pair(Profile.AES_CM_128_HMAC_SHA1_32)
    for call in (tx.protect, rx.unprotect, tx.protect_rtcp, rx.unprotect_rtcp):
        with pytest.raises(InvalidParameter):
            call("packet")  # type: ignore[arg-type]
        with pytest.raises(ParseError):
            call(bytes(70000))
        with pytest.raises(FipsError):
            call(b"")
    assert rx.unprotect(bytearray(tx.protect(rtp(1)))) == rtp(1)  # bytes-like input is taken


def test_a_profile_the_policy_refuses_is_refused_at_creation(state_paths: StatePaths) -> None:
    # fips-140-3: the HMAC-SHA1 profiles are disallowed for protection from 2031-01-01 (SHA-1 retired).
    result = run_json(
        """
import datetime as dt, json, time, fipscrypto
fipscrypto.activate()
from fipscrypto.srtp import Profile, SRTPSession
real = time.time
time.time = lambda: real() + (dt.date(2031, 1, 2) - dt.datetime.now(dt.UTC).date()).days * 86400
out = {}
for profile in (Profile.AES_CM_128_HMAC_SHA1_80, Profile.AEAD_AES_128_GCM):
    try:
        SRTPSession(profile, bytes(16), bytes(profile.salt_length))
        out[profile.name] = "created"
    except fipscrypto.PolicyViolation as exc:
        out[profile.name] = type(exc).__name__
print(json.dumps(out))
""",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
    )
    assert result == {"AES_CM_128_HMAC_SHA1_80": "PolicyViolation", "AEAD_AES_128_GCM": "created"}
