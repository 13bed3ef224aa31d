"""Tampered, replayed, mutated and truncated SRTP/SRTCP packets: every one is refused with a typed
error and leaves the session able to take the genuine packets. Fork and ERROR revocation."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fipscrypto.errors import AuthenticationError, FipsError, ParseError, ReplayError
from fipscrypto.provider.state import StatePaths
from fipscrypto.srtp import Profile, SRTPSession

from support import BOTH_SIDES_OF_A_FORK, run_json

SSRC = 0x0A0B0C0D
REFUSED = (AuthenticationError, ParseError, ReplayError)


def session(profile: Profile, **options: object) -> SRTPSession:
    key, salt = bytes(range(1, 1 + profile.key_length)), bytes(range(50, 50 + profile.salt_length))
    return SRTPSession(profile, key, salt, **options)  # type: ignore[arg-type]


def rtp(seq: int, ssrc: int = SSRC) -> bytes:
    extension = b"\xbe\xde\x00\x01\x10\x01\x00\x00"
    return (
        bytes([0x91, 0x60])
        + seq.to_bytes(2, "big")
        + bytes(4)
        + ssrc.to_bytes(4, "big")
        + b"CSRC"
        + extension
        + b"payload!"
    )


def rtcp() -> bytes:
    return (
        bytes([0x80, 201, 0, 1])
        + SSRC.to_bytes(4, "big")
        + bytes([0x81, 202, 0, 2])
        + SSRC.to_bytes(4, "big")
        + b"\x01\x00\x00\x00"
    )


@pytest.mark.parametrize("profile", list(Profile), ids=lambda p: p.name)
def test_every_single_bit_flip_is_rejected(profile: Profile) -> None:
    tx, rx = session(profile, mki=b"\x07"), session(profile, mki=b"\x07")
    rx.unprotect(tx.protect(rtp(1)))  # the stream exists: flips are judged against its state
    rx.unprotect_rtcp(tx.protect_rtcp(rtcp()))
    packet, control = tx.protect(rtp(2)), tx.protect_rtcp(rtcp())
    for original, unprotect in ((packet, rx.unprotect), (control, rx.unprotect_rtcp)):
        for bit in range(len(original) * 8):
            flipped = bytearray(original)
            flipped[bit >> 3] ^= 0x80 >> (bit & 7)
            with pytest.raises(REFUSED):
                unprotect(bytes(flipped))
    assert rx.unprotect(packet) == rtp(2)  # none of the refusals changed the stream
    assert rx.unprotect_rtcp(control) == rtcp()
    with pytest.raises(ReplayError):
        rx.unprotect(packet)
    with pytest.raises(ReplayError):
        rx.unprotect_rtcp(control)


GENUINE = {
    profile: session(profile) for profile in (Profile.AES_CM_128_HMAC_SHA1_80, Profile.AEAD_AES_128_GCM)
}
CORPUS = {
    profile: [sender.protect(rtp(s)) for s in (1, 2, 3000)] + [sender.protect_rtcp(rtcp()) for _ in range(2)]
    for profile, sender in GENUINE.items()
}


def mutated() -> st.SearchStrategy[tuple[Profile, bytes]]:
    def mutate(
        profile: Profile, seed: int, cut: int, edits: list[tuple[int, int]], extra: bytes
    ) -> tuple[Profile, bytes]:
        packet = bytearray(CORPUS[profile][seed % len(CORPUS[profile])])
        for at, value in edits:
            packet[at % len(packet)] = value
        return profile, bytes(packet[: cut % (len(packet) + 1)] + extra)

    return st.builds(
        mutate,
        st.sampled_from(list(CORPUS)),
        st.integers(0, 10),
        st.integers(0, 2000),
        st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), max_size=4),
        st.binary(max_size=24),
    )


@settings(max_examples=400, deadline=None, derandomize=True)
@given(case=mutated(), junk=st.binary(max_size=80))
def test_unprotect_raises_only_typed_errors(case: tuple[Profile, bytes], junk: bytes) -> None:
    profile, packet = case
    rx = session(profile)
    for data in (packet, junk):
        for unprotect in (rx.unprotect, rx.unprotect_rtcp):
            with contextlib.suppress(FipsError):
                unprotect(data)
    # Whatever was refused, the genuine packets still go through.
    for genuine in CORPUS[profile][:3]:
        if genuine != packet and genuine != junk:
            rx.unprotect(genuine)


def test_a_session_does_not_protect_in_the_child_of_a_fork(state_paths: StatePaths) -> None:
    result = run_json(
        """
import json, os
import fipscrypto
fipscrypto.activate()
from fipscrypto.srtp import Profile, SRTPSession
tx = SRTPSession(Profile.AEAD_AES_128_GCM, bytes(16), bytes(12))
rx = SRTPSession(Profile.AEAD_AES_128_GCM, bytes(16), bytes(12))
def packet(seq):
    return bytes([0x80, 0]) + seq.to_bytes(2, "big") + bytes(4) + b"ssrc" + b"media"
first = tx.protect(packet(1))
report = bytes([0x80, 201, 0, 1]) + b"ssrc"
keys = SRTPSession(Profile.AEAD_AES_128_GCM, bytes(16), bytes(12), mki=b"\x01")
keys.add_master_key(bytes(range(16)), bytes(12), b"\x02")
def switched(mki, seq):
    if mki not in keys.master_keys:
        keys.add_master_key(bytes(range(16, 32)), bytes(12), mki)
    keys.use_master_key(mki)
    return keys.protect(packet(seq)).hex()
def side():
    out = {}
    calls = (
        ("other key", lambda: switched(b"\x02", 5)),
        ("added key", lambda: switched(b"\x03", 6)),
        ("rtp", lambda: tx.protect(packet(2)).hex()),
        ("rtcp", lambda: tx.protect_rtcp(report).hex()),
        ("many", lambda: tx.protect_many([packet(3)])[0].hex()),
        ("none", lambda: tx.protect_many([])),
    )
    for name, call in calls:
        try:
            out[name] = call()
        except Exception as exc:
            out[name] = type(exc).__name__
    out["unprotect"] = rx.unprotect(first).hex()
    fresh = SRTPSession(Profile.AEAD_AES_128_GCM, bytes(16), bytes(12))
    out["unprotect_many"] = [p.hex() for p in fresh.unprotect_many([first])]
    return out
"""
        + BOTH_SIDES_OF_A_FORK
        + """print(json.dumps({"parent": parent, "child": child, "plain": packet(1).hex()}))
""",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
    )
    parent, child = result["parent"], result["child"]
    # The same index would reuse the keystream: no protection in the child, not even of no packet.
    assert child["rtp"] == child["rtcp"] == child["many"] == child["none"] == "ForkError"
    # With several master keys: neither a key made before the fork nor one added after it.
    assert child["other key"] == child["added key"] == "ForkError"
    assert len(parent["other key"]) > 20
    assert len(parent["added key"]) > 20
    assert len(parent["rtp"]) > 20
    assert len(parent["rtcp"]) > 20
    assert len(parent["many"]) > 20
    assert parent["none"] == []
    assert parent["unprotect"] == child["unprotect"] == result["plain"]  # receiving goes on in both
    assert parent["unprotect_many"] == child["unprotect_many"] == [result["plain"]]


def test_entering_error_revokes_every_session(state_paths: StatePaths) -> None:
    result = run_json(
        """
import json, fipscrypto
fipscrypto.activate()
from fipscrypto import rand
from fipscrypto.srtp import Profile, SRTPSession
def packet(seq):
    return bytes([0x80, 0, 0, seq]) + bytes(4) + b"ssrc" + b"media"
report = bytes([0x80, 201, 0, 1]) + b"ssrc"
def keyed(p):
    return SRTPSession(p, bytes(p.key_length), bytes(p.salt_length))
pairs = [(keyed(p), keyed(p)) for p in Profile]
sealed = [(tx.protect(packet(1)), tx.protect_rtcp(report)) for tx, _ in pairs]
try:
    rand.HmacDrbg(entropy=lambda n: bytes(n))  # a stuck entropy source: the module enters ERROR
except fipscrypto.SelfTestFailure:
    pass
refused = []
for (tx, rx), (rtp, rtcp) in zip(pairs, sealed):
    calls = (  # each would be served (valid, new packets) but for the ERROR state
        lambda: tx.protect(packet(2)),
        lambda: tx.protect_many([packet(2)]),
        lambda: tx.protect_many([]),
        lambda: rx.unprotect(rtp),
        lambda: rx.unprotect_many([rtp]),  # raised, not returned: not an error of the packet
        lambda: rx.unprotect_many([]),
        lambda: tx.protect_rtcp(report),
        lambda: rx.unprotect_rtcp(rtcp),
        lambda: keyed(tx.profile),
    )
    for call in calls:
        try:
            call()
            refused.append("served")
        except fipscrypto.ModuleErrorState:
            refused.append("refused")
        except Exception as exc:
            refused.append(type(exc).__name__)
print(json.dumps({"state": fipscrypto.info().state.value, "refused": refused}))
""",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
    )
    assert result["state"] == "error"
    assert set(result["refused"]) == {"refused"}
