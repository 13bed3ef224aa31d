"""SRTPSession.protect_many and unprotect_many: the same packets and state as the single calls in
turn, all or nothing for protect_many, one result per packet for unprotect_many, the indicator."""

from __future__ import annotations

from typing import Any

import pytest
from test_srtp import SSRC, pair, rtp

from fipscrypto import indicator
from fipscrypto.errors import (
    AuthenticationError,
    FipsError,
    InvalidParameter,
    KeyLimitError,
    ParseError,
    ReplayError,
)
from fipscrypto.srtp import Profile, SRTPSession

OTHER = 0x0BADCAFE
PROFILES = (Profile.AEAD_AES_128_GCM, Profile.AEAD_AES_256_GCM, Profile.AES_CM_128_HMAC_SHA1_80)


def state(session: SRTPSession) -> dict[str, Any]:
    """Every stream's SRTP list, the key-usage count left and the session keys held."""
    lists = {
        side: {key: (s.rtp.top, s.rtp.mask) for key, s in streams.items()}
        for side, streams in (("tx", session._tx), ("rx", session._rx))
    }
    return {"streams": lists, "left": session._srtp_left.__length_hint__(), "epochs": sorted(session._rtp)}


def counts() -> dict[str, dict[str, int]]:
    found = indicator.counters()
    return {what: found.get(f"srtp.SRTPSession.{what}", {}) for what in ("protect", "unprotect")}


def one_by_one(receiver: SRTPSession, packets: list[Any]) -> list[bytes | FipsError]:
    """unprotect of each packet in turn: its RTP packet or the error it raised."""
    results: list[bytes | FipsError] = []
    for packet in packets:
        try:
            results.append(receiver.unprotect(packet))
        except FipsError as exc:
            results.append(exc)
    return results


def burst() -> list[bytes]:
    """Two streams across a sequence-number wrap, with CSRCs, a header extension and padding."""
    csrc = bytes([0x81, 96, 0xFF, 0xFC]) + bytes(4) + OTHER.to_bytes(4, "big") + b"csrc" + b"media"
    extension = bytes([0x90, 96, 0xFF, 0xFD]) + bytes(4) + OTHER.to_bytes(4, "big") + b"\xbe\xde\x00\x01abcd"
    padded = bytes([0xA0, 96, 0xFF, 0xFE]) + bytes(4) + OTHER.to_bytes(4, "big") + b"media\x00\x00\x03"
    packets = [rtp(seq & 0xFFFF) for seq in range(65530, 65540)]
    packets[2:2] = [csrc, extension]
    packets[7:7] = [padded]
    return packets


@pytest.mark.parametrize("rate", [0, 4], ids=["rate 0", "rate 4"])
@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_protect_many_gives_what_protect_gives_in_turn(profile: Profile, rate: int) -> None:
    batched, single = pair(profile, key_derivation_rate=rate)
    start = [rtp(65528), rtp(65529)]
    assert batched.protect_many(start) == [single.protect(p) for p in start]
    # Past the wrap (ROC 1) and, with rate 4, over the boundaries of r = index DIV 4 (RFC 3711 §4.3.1).
    packets = burst()
    assert batched.protect_many(packets) == [single.protect(p) for p in packets]
    assert state(batched) == state(single)
    assert batched._tx[SSRC.to_bytes(4, "big")].rtp.top == 1 << 16 | 3  # ROC 1, SEQ 3
    if rate:
        assert len(batched._rtp) > 1  # the batch derived the session keys again
    # And the receiving side takes them back, in one batch as one at a time.
    single, _ = pair(profile, key_derivation_rate=rate)
    rx_batched, rx_single = pair(profile, key_derivation_rate=rate)
    for packets in (start, burst()):
        sealed = [single.protect(p) for p in packets]  # a new sender: ROC 0 at the start
        plain = rx_batched.unprotect_many(sealed)
        assert plain == [rx_single.unprotect(p) for p in sealed] == packets
    assert state(rx_batched) == state(rx_single)


@pytest.mark.parametrize("mki", [None, b"\x07\x07"], ids=["no MKI", "MKI"])
@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_bursts_in_sequence_give_what_the_single_calls_give(profile: Profile, mki: bytes | None) -> None:
    """Bursts of one stream in sequence (as media stacks send them), over a key derivation rate
    boundary and a sequence-number wrap, with forgeries among them on the receiving side."""
    batched, single = pair(profile, mki=mki, key_derivation_rate=1 << 10)
    rx_batched, rx_single = pair(profile, mki=mki, key_derivation_rate=1 << 10)
    # 1000: over r = index DIV 2^10 = 0, 1 (RFC 3711 §4.3.1); 20000 ...: forward jumps under 2^15;
    # 65500: over the wrap (ROC 1).
    for first in (0, 64, 1000, 20000, 40000, 60000, 65500, 65564, 65628):
        packets = [rtp(seq & 0xFFFF) for seq in range(first, first + 64)]
        sealed = batched.protect_many(packets)
        assert sealed == [single.protect(p) for p in packets]
        assert state(batched) == state(single)
        sealed[5] = sealed[5][:-1] + bytes([sealed[5][-1] ^ 1])  # forged
        sealed[-1] = sealed[-1][:20] + bytes([sealed[-1][20] ^ 1]) + sealed[-1][21:]  # the last forged
        expected = one_by_one(rx_single, sealed)
        got = rx_batched.unprotect_many(sealed)
        assert [r if isinstance(r, bytes) else type(r) for r in got] == [
            r if isinstance(r, bytes) else type(r) for r in expected
        ]
        assert [type(r) for r in got].count(AuthenticationError) == 2
        assert state(rx_batched) == state(rx_single)
    assert batched._tx[SSRC.to_bytes(4, "big")].rtp.top == 65628 + 63


def test_protect_many_with_allow_repeat_tx_repeats_as_protect_does() -> None:
    batched, single = pair(Profile.AES_CM_128_HMAC_SHA1_80, allow_repeat_tx=True)
    packets = [rtp(1), rtp(2), rtp(1), rtp(3), rtp(2)]  # exact retransmissions
    assert batched.protect_many(packets) == [single.protect(p) for p in packets]
    assert state(batched) == state(single)
    strict, _ = pair(Profile.AES_CM_128_HMAC_SHA1_80)
    with pytest.raises(ReplayError):
        strict.protect_many(packets)


@pytest.mark.parametrize("profile", [Profile.AEAD_AES_128_GCM, Profile.AES_CM_128_HMAC_SHA1_80], ids=str)
def test_protect_many_is_all_or_nothing(profile: Profile) -> None:
    tx, reference = pair(profile)
    for session in (tx, reference):
        session.protect_many([rtp(1), rtp(2), rtp(1, ssrc=OTHER)])
    good = [rtp(3), rtp(2, ssrc=OTHER), rtp(4)]
    bad: list[tuple[Any, type[FipsError]]] = [
        (rtp(2), ReplayError),  # protected before
        (rtp(3), ReplayError),  # twice in this batch
        (rtp(5, ssrc=0x1234)[:11], ParseError),  # shorter than the header, a new stream
        (rtp(5, first=0x40), ParseError),  # version 1
        (bytes([0xA0]) + rtp(5)[1:] + b"\x00", ParseError),  # padding count 0
        ("not bytes", InvalidParameter),
    ]
    for packet, error in bad:
        before, indicated = state(tx), counts()
        with pytest.raises(error):
            tx.protect_many([*good, packet, rtp(6)])
        assert state(tx) == before  # no stream, list or count moved; no stream made
        assert counts() == indicated
    # The key's limit (RFC 3711 §9.2) for the whole batch: 3 left, 4 asked: none protected.
    tx._srtp_left = iter(range(3))
    reference._srtp_left = iter(range(3))
    before = state(tx)
    with pytest.raises(KeyLimitError):
        tx.protect_many([*good, rtp(5)])
    assert state(tx) == before
    assert tx.protect_many(good) == [reference.protect(p) for p in good]
    assert state(tx) == state(reference)
    with pytest.raises(KeyLimitError):
        tx.protect_many([rtp(5)])


def test_unprotect_many_gives_what_unprotect_gives_in_turn() -> None:
    profile = Profile.AEAD_AES_128_GCM
    tx, _ = pair(profile)
    sealed = [tx.protect(rtp(seq)) for seq in range(1, 9)]
    other = tx.protect(rtp(1, ssrc=OTHER))
    tampered = bytearray(sealed[4])
    tampered[-1] ^= 1
    forged_new_stream = bytearray(tx.protect(rtp(1, ssrc=0x1234)))
    forged_new_stream[20] ^= 1
    batch: list[Any] = [
        sealed[0],
        sealed[2],  # reordered: 3 before 2
        sealed[1],
        sealed[1],  # a second copy in the batch
        bytes(tampered),
        sealed[4],  # the genuine one after the forgery
        sealed[0],  # replayed from earlier in the batch
        sealed[3][:11],  # too short
        bytes([0x40]) + sealed[5][1:],  # version 1
        bytes(forged_new_stream),  # a forgery on an unknown SSRC: no stream is made for it
        "not bytes",
        other,
        sealed[7],
        sealed[6],
    ]
    batched, single = pair(profile)
    expected = one_by_one(single, batch)
    indicated = counts()
    got = batched.unprotect_many(batch)
    after = counts()
    assert [type(r) for r in got] == [type(r) for r in expected]
    assert [r if isinstance(r, bytes) else str(r) for r in got] == [
        r if isinstance(r, bytes) else str(r) for r in expected
    ]
    kinds = [type(r).__name__ for r in got]
    assert kinds == [
        "bytes",
        "bytes",
        "bytes",
        "ReplayError",
        "AuthenticationError",
        "bytes",
        "ReplayError",
        "ParseError",
        "ParseError",
        "AuthenticationError",
        "InvalidParameter",
        "bytes",
        "bytes",
        "bytes",
    ]
    assert state(batched) == state(single)
    assert (0x1234).to_bytes(4, "big") not in batched._rx
    # One unprotect counted per accepted packet, as the single calls count.
    assert after["unprotect"]["approved"] - indicated["unprotect"].get("approved", 0) == kinds.count("bytes")


def test_the_indicator_counts_each_packet_of_a_batch() -> None:
    tx, rx = pair(Profile.AEAD_AES_256_GCM)
    before = counts()
    sealed = tx.protect_many([rtp(seq) for seq in range(5)])
    middle = counts()
    assert middle["protect"]["approved"] == before["protect"].get("approved", 0) + 5
    assert indicator.last() == indicator.Operation("srtp.SRTPSession.protect", "AEAD_AES_256_GCM", True)
    assert rx.unprotect_many([*sealed, sealed[0]])[:5] == [rtp(seq) for seq in range(5)]
    assert counts()["unprotect"]["approved"] == middle["unprotect"].get("approved", 0) + 5
    assert indicator.last() == indicator.Operation("srtp.SRTPSession.unprotect", "AEAD_AES_256_GCM", True)
    assert tx.protect_many([]) == []
    assert rx.unprotect_many(()) == []
    assert counts()["protect"] == middle["protect"]


def test_the_batch_is_a_sequence_of_packets() -> None:
    tx, rx = pair(Profile.AEAD_AES_128_GCM)
    for bad in (rtp(1), bytearray(rtp(1)), "text", 7, None, iter([rtp(1)])):
        with pytest.raises(InvalidParameter):
            tx.protect_many(bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidParameter):
            rx.unprotect_many(bad)  # type: ignore[arg-type]
    packets = (rtp(1), bytearray(rtp(2)), memoryview(rtp(3)))  # a tuple, and packets of any byte type
    sealed = tx.protect_many(packets)  # type: ignore[arg-type]
    assert rx.unprotect_many([bytearray(p) for p in sealed]) == [rtp(1), rtp(2), rtp(3)]  # type: ignore[misc]
    with pytest.raises(AuthenticationError):
        rx.unprotect(tx.protect(rtp(4))[:-1] + b"\x00")
