"""SRTP and SRTCP sessions against libsrtp (pylibsrtp), in one process.

For AEAD_AES_128_GCM, AEAD_AES_256_GCM and AES_CM_128_HMAC_SHA1_80, at 160 B and 1,200 B payloads:
``protect`` of a new packet (the next sequence number) and ``unprotect`` of a protected packet (each
packet once: a replay would be refused; the receiving sessions are made afresh when the packets run
out, on both sides alike). Both sides get the same packets and pay the same per-call packet
building. Medians of ROUNDS rounds, each round interleaved in alternating slices
(bench/services.py ``_round``); packets per second = 1 / time per call.

Batches: ``protect_many`` and ``unprotect_many`` of BATCH packets per call (the same packets as the
rows above, built alike), against BATCH per-packet calls of pylibsrtp on the same packets in a list
comprehension: pylibsrtp (libsrtp's ``srtp_protect``/``srtp_unprotect``) has no batch call. The
times of these rows are per packet (the call's time / BATCH).

Floors: what the per-packet cryptography alone costs through cryptography, with no SRTP state (no
replay list, ROC, limits, indicator or lock), against libsrtp's whole ``protect``: one AESGCM.encrypt
of the payload with the header as AAD, and for AES-CM one AES-ECB encryption of the counter blocks,
the XOR and one HMAC-SHA1 (a copy of the keyed context), at 160 B. No Python SRTP on cryptography can
be faster than these.

Memory: the bytes ``tracemalloc`` sees allocated for 10,000 streams in one receiving session (one
packet unprotected on each).
"""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import Any

from services import compare

import fipscrypto

ROUNDS = int(os.environ.get("SRTP_ROUNDS", "9"))
SIZES = (("160 B", 160), ("1,200 B", 1200))
PACKETS = 8192  # protected packets per unprotect cycle
BATCH = 64  # packets per protect_many/unprotect_many call
SSRC = (0x5EED5EED).to_bytes(4, "big")


def _sender(protect: Callable[[bytes], bytes], size: int) -> Callable[[], bytes]:
    """protect() of a new RTP packet per call: version 2, PT 96, the next sequence number."""
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    head, tail = b"\x80\x60", bytes(4) + SSRC + payload
    sequence = iter(range(1 << 62))

    def call() -> bytes:
        return protect(head + (next(sequence) & 0xFFFF).to_bytes(2, "big") + tail)

    return call


def _batch_sender(protect: Callable[[list[bytes]], object], size: int) -> Callable[[], object]:
    """protect of BATCH new RTP packets per call, built as _sender builds them."""
    make = _sender(lambda rtp: rtp, size)

    def call() -> object:
        return protect([make() for _ in range(BATCH)])

    return call


def _batch_receiver(make: Callable[[], Any], packets: list[bytes]) -> Callable[[], object]:
    """unprotect_many() of the next BATCH packets, each once, with a new receiving session when they
    run out."""
    state = [make(), 0]

    def call() -> object:
        i = state[1]
        if i == len(packets):
            state[0], i = make(), 0
        state[1] = i + BATCH
        return state[0].unprotect_many(packets[i : i + BATCH])

    return call


def _receiver(make: Callable[[], Any], packets: list[bytes]) -> Callable[[], bytes]:
    """unprotect() of each packet once, with a new receiving session when they run out."""
    state = [make(), 0]

    def call() -> bytes:
        i = state[1]
        if i == len(packets):
            state[0], i = make(), 0
        state[1] = i + 1
        result: bytes = state[0].unprotect(packets[i])
        return result

    return call


def _each(make: Callable[[int], Any], direction: int) -> _Each:
    return _Each(make(direction))


class _Each:
    """A libsrtp session whose batch calls call it per packet (pylibsrtp has no batch call)."""

    def __init__(self, session: Any) -> None:
        self.protect, self.unprotect = session.protect, session.unprotect

    def protect_many(self, packets: list[bytes]) -> list[bytes]:
        protect = self.protect
        return [protect(packet) for packet in packets]

    def unprotect_many(self, packets: list[bytes]) -> list[bytes]:
        unprotect = self.unprotect
        return [unprotect(packet) for packet in packets]


def _streams(session: Any, profile: Any, count: int = 10_000) -> float:
    """MB allocated for ``count`` streams of one receiving session, each having received one packet."""
    key, salt = bytes(profile.key_length), bytes(profile.salt_length)
    sender = session(profile, key, salt)
    packets = [
        sender.protect(b"\x80\x60\x00\x01" + bytes(4) + ssrc.to_bytes(4, "big")) for ssrc in range(count)
    ]
    tracemalloc.start()
    receiver = session(profile, key, salt)
    before = tracemalloc.get_traced_memory()[0]
    for packet in packets:
        receiver.unprotect(packet)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return used / 1e6


def _floors(
    libsrtp: dict[Any, Callable[[], object]],
) -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    """The cryptography calls of one 160 B packet alone (see the module text), against libsrtp."""
    from cryptography.hazmat.primitives import hashes, hmac
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from fipscrypto.srtp import Profile

    encrypt = AESGCM(bytes(16)).encrypt
    blocks = Cipher(algorithms.AES(bytes(16)), modes.ECB()).encryptor().update  # noqa: S305
    keyed = hmac.HMAC(bytes(20), hashes.SHA1())  # noqa: S303  # the profile's HMAC (RFC 3711 §4.2.1)
    counters = [i.to_bytes(2, "big") for i in range(11)]
    gcm_call = _sender(lambda rtp: rtp[:12] + encrypt(bytes(12), rtp[12:], rtp[:12]), 160)

    def cm(rtp: bytes) -> bytes:
        prefix, payload = bytes(14), rtp[12:]
        stream = blocks(prefix + prefix.join(counters))
        body = (int.from_bytes(payload, "big") ^ int.from_bytes(stream[:160], "big")).to_bytes(160, "big")
        h = keyed.copy()
        h.update(rtp[:12] + body + bytes(4))
        return rtp[:12] + body + h.finalize()[:10]

    return {
        "floor: AES-GCM call alone, 160 B": (gcm_call, libsrtp[Profile.AEAD_AES_128_GCM]),
        "floor: AES-CM + HMAC-SHA1 calls alone, 160 B": (
            _sender(cm, 160),
            libsrtp[Profile.AES_CM_128_HMAC_SHA1_80],
        ),
    }


def main() -> dict[str, dict[str, float]]:
    fipscrypto.activate()
    import pylibsrtp

    from fipscrypto import rand
    from fipscrypto.srtp import Profile, SRTPSession

    theirs_profiles = {
        Profile.AEAD_AES_128_GCM: pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
        Profile.AEAD_AES_256_GCM: pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM,
        Profile.AES_CM_128_HMAC_SHA1_80: pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    }
    cases: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {}
    batches: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {}
    libsrtp_protect: dict[Profile, Callable[[], object]] = {}
    for profile, their_profile in theirs_profiles.items():
        key, salt = rand.random_bytes(profile.key_length), rand.random_bytes(profile.salt_length)

        def libsrtp(direction: int, p: int = their_profile, k: bytes = key + salt) -> Any:
            return pylibsrtp.Session(pylibsrtp.Policy(key=k, ssrc_type=direction, srtp_profile=p))

        def ours(p: Profile = profile, k: bytes = key, s: bytes = salt) -> SRTPSession:
            return SRTPSession(p, k, s)

        outbound, inbound = pylibsrtp.Policy.SSRC_ANY_OUTBOUND, pylibsrtp.Policy.SSRC_ANY_INBOUND
        for label, size in SIZES:
            cases[f"{profile.name} protect {label}"] = (
                _sender(ours().protect, size),
                _sender(libsrtp(outbound).protect, size),
            )
            if size == 160:
                libsrtp_protect[profile] = _sender(libsrtp(outbound).protect, size)
            make = _sender(ours().protect, size)
            packets = [make() for _ in range(PACKETS)]
            cases[f"{profile.name} unprotect {label}"] = (
                _receiver(ours, packets),
                _receiver(lambda f=libsrtp, d=inbound: f(d), packets),
            )
            batches[f"{profile.name} protect_many {label}"] = (
                _batch_sender(ours().protect_many, size),
                _batch_sender(_Each(libsrtp(outbound)).protect_many, size),
            )
            batches[f"{profile.name} unprotect_many {label}"] = (
                _batch_receiver(ours, packets),
                _batch_receiver(partial(_each, libsrtp, inbound), packets),
            )
    cases.update(_floors(libsrtp_protect))
    results = compare("SRTP", cases, 48, ROUNDS, peer="libsrtp through pylibsrtp")
    batched = compare(f"SRTP, {BATCH} packets per call", batches, 48, ROUNDS, peer="libsrtp per packet")
    for r in batched.values():  # per packet
        r["fipscrypto_us"] /= BATCH
        r["cryptography_us"] /= BATCH
    results.update(batched)
    results["10,000 streams"] = {"MB": _streams(SRTPSession, Profile.AEAD_AES_128_GCM)}
    print("  packets/s (fipscrypto, libsrtp), and fipscrypto's packets/s over libsrtp's:")
    for name, r in results.items():
        if "MB" in r:
            print(f"  {name}: {r['MB']:.1f} MB in one session")
            continue
        ours_pps, theirs_pps = 1e6 / r["fipscrypto_us"], 1e6 / r["cryptography_us"]
        print(
            f"  {name:48} {ours_pps:10,.0f} {theirs_pps:10,.0f}   {theirs_pps and ours_pps / theirs_pps:.2f}x"
        )
    return results


if __name__ == "__main__":
    main()
