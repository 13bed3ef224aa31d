"""decapsulate on mutated, truncated and made-up packets: only typed errors, and a refused packet leaves
the SA as it was (the genuine packets still go through).

The corpus: genuine ESP packets of several SAs (AES-GCM, AES-GMAC and AES-CBC with HMAC; transport
and tunnel; IPv4, IPv6 with extension headers; ESN), each truncated at every length, and authentic
packets (the right keys and ICV) whose payload breaks RFC 4303: padding that is not 1, 2, 3, ..., a
pad length past the payload, a next header tunnel mode does not carry, a tunnelled packet shorter
than its header says. Then hypothesis mutates the corpus and makes up packets.
"""

from __future__ import annotations

import contextlib

import pytest
from esplib import SPI, TUNNELS, extension, ipv4, ipv6, key_of, udp
from hypothesis import given, settings
from hypothesis import strategies as st

from fipscrypto.errors import AuthenticationError, FipsError, ParseError, ReplayError
from fipscrypto.ipsec import SecurityAssociation
from fipscrypto.ipsec.packets import ESP, rewrite
from fipscrypto.ipsec.transforms import Gcm

REFUSED = (AuthenticationError, ParseError, ReplayError)
CONFIGS: dict[str, dict[str, object]] = {
    "gcm-transport-ipv4": {"algorithm": "aes-128-gcm-16"},
    "gmac-transport-ipv6": {"algorithm": "aes-256-gmac", "esn": True},
    "cbc-tunnel-ipv4": {"algorithm": "aes-256-cbc-hmac-sha2-512-256", "mode": "tunnel", "tunnel": TUNNELS[4]},
    "gcm-tunnel-ipv6": {"algorithm": "aes-256-gcm-16", "mode": "tunnel", "tunnel": TUNNELS[6], "esn": True},
}
PLAIN = {
    "gcm-transport-ipv4": ipv4(udp(b"fuzz")),
    "gmac-transport-ipv6": ipv6(
        udp(b"fuzz"), 0, extensions=extension(43) + extension(60, bytes(22)) + extension(17)
    ),
    "cbc-tunnel-ipv4": ipv6(udp(b"fuzz" * 9)),
    "gcm-tunnel-ipv6": ipv4(udp(b"fuzz")),
}


def sa(config: str) -> SecurityAssociation:
    options = CONFIGS[config]
    return SecurityAssociation(SPI, key_of(str(options["algorithm"])), replay_window=64, **options)  # type: ignore[arg-type]


SENDERS = {config: sa(config) for config in CONFIGS}
CORPUS = {config: [SENDERS[config].encapsulate(PLAIN[config]) for _ in range(3)] for config in CONFIGS}


def _authentic(seq: int, plain: bytes) -> bytes:
    """A packet with the gcm-tunnel-ipv4 keys and a valid ICV around any payload and trailer."""
    head = SPI.to_bytes(4, "big") + seq.to_bytes(4, "big")
    body = head + Gcm(key_of("aes-256-gcm-16")).seal(head, b"", seq.to_bytes(8, "big"), plain)
    outer = ipv4(b"", ESP)
    return rewrite(outer, (4, 20, 9, ESP), ESP, 20 + len(body)) + body


MALFORMED = [
    _authentic(1, b"ab" + bytes([1, 3, 2, 4])),  # padding 1, 3
    _authentic(2, b"abc" + bytes([9, 4])),  # a pad length past the payload
    _authentic(3, bytes([1, 2, 255, 4])),  # the same, with no payload
    _authentic(4, b"ab" + bytes([1, 2, 2, 6])),  # next header 6 (TCP) in tunnel mode
    _authentic(5, ipv4(b"x" * 10)[:24] + bytes([1, 2, 2, 4])),  # a tunnelled packet cut short
    _authentic(6, ipv6(b"x" * 8)[:40] + bytes([1, 2, 2, 41])),  # an IPv6 header announcing more
    _authentic(7, bytes([0x4F, 0, 0, 20]) + bytes(16) + bytes([1, 2, 2, 4])),  # IHL past the packet
]


@pytest.mark.parametrize("config", list(CONFIGS))
def test_every_truncation_is_refused(config: str) -> None:
    rx = sa(config)
    packet = CORPUS[config][1]
    before = (rx._window.top, rx._window.mask)
    for n in range(len(packet)):
        with pytest.raises(REFUSED):
            rx.decapsulate(packet[:n])
        with pytest.raises(REFUSED):
            rx.decapsulate(packet[:n] + packet[n + 1 :])  # one octet left out
    assert (rx._window.top, rx._window.mask) == before
    assert rx.decapsulate(packet) == PLAIN[config]


def test_authentic_packets_that_break_rfc_4303_are_parse_errors() -> None:
    rx = SecurityAssociation(SPI, key_of("aes-256-gcm-16"), mode="tunnel", tunnel=TUNNELS[4])
    outcome = []
    for packet in MALFORMED:
        try:
            rx.decapsulate(packet)
            outcome.append("accepted")
        except FipsError as exc:
            outcome.append(type(exc).__name__)
    assert outcome == ["ParseError"] * len(MALFORMED)
    assert rx._window.top == 0  # none was counted


def mutated() -> st.SearchStrategy[tuple[str, bytes]]:
    def mutate(
        config: str, seed: int, cut: int, edits: list[tuple[int, int]], extra: bytes
    ) -> tuple[str, bytes]:
        corpus = CORPUS[config] + MALFORMED
        packet = bytearray(corpus[seed % len(corpus)])
        for at, value in edits:
            packet[at % len(packet)] = value
        return config, bytes(packet[: cut % (len(packet) + 1)] + extra)

    return st.builds(
        mutate,
        st.sampled_from(list(CONFIGS)),
        st.integers(0, 20),
        st.integers(0, 4000),
        st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), max_size=4),
        st.binary(max_size=24),
    )


@settings(max_examples=400, deadline=None, derandomize=True)
@given(case=mutated(), junk=st.binary(max_size=120))
def test_decapsulate_raises_only_typed_errors(case: tuple[str, bytes], junk: bytes) -> None:
    config, packet = case
    rx = sa(config)
    for data in (packet, junk, ipv4(junk, ESP), ipv6(junk, ESP)):
        before = (rx._window.top, rx._window.mask)
        try:
            rx.decapsulate(data)
        except FipsError:
            assert (rx._window.top, rx._window.mask) == before
    # Whatever was refused, the genuine packets still go through.
    for genuine in CORPUS[config]:
        if genuine not in (packet, junk):
            with contextlib.suppress(ReplayError):  # the mutation may have been a genuine packet
                assert rx.decapsulate(genuine) == PLAIN[config]
