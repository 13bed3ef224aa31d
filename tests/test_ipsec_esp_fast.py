"""The ESP fast paths (AES-GCM-16; an IPv4 header without options or an IPv6 header without extension
headers; a tunnel) give the bytes and the state of the general path, packet by packet, for every
shape they take and for the shapes they leave to it; the IPv4 checksum as an integer residue equals
the word-by-word one."""

from __future__ import annotations

import random
import struct

import pytest
from esplib import TUNNELS, extension, ipv4, ipv6, pair, udp

from fipscrypto.errors import AuthenticationError, ParseError, ReplayError
from fipscrypto.ipsec import SecurityAssociation
from fipscrypto.ipsec._frames import V4_CHECKSUM
from fipscrypto.ipsec.packets import ESP, checksum, rewrite

Pair = tuple[SecurityAssociation, SecurityAssociation]


def _state(sa: SecurityAssociation) -> tuple[int, int, int]:
    """The receiving window and what the sender has left to number (a range iterator's hint)."""
    return sa._window.top, sa._window.mask, sa._sequence.__length_hint__()


def _twins(**options: object) -> tuple[Pair, Pair]:
    """Two sender/receiver pairs with the same keys and options: one driven through the public calls
    (the fast path where it applies), one through the general path only."""
    return pair(**options), pair(**options)  # type: ignore[arg-type]


def _header(rng: random.Random, version: int, payload: bytes) -> bytes:
    """An IPv4 or IPv6 packet with random DSCP/ECN, identification, DF and TTL (every checksum word)."""
    if version == 4:
        return ipv4(payload, tos=rng.randrange(256), df=rng.random() < 0.5, ident=rng.randrange(1 << 16))
    return ipv6(payload, tc=rng.randrange(256))


def _packets(rng: random.Random) -> list[bytes]:
    """IPv4 and IPv6 packets of every padding length (payload length mod 4), and the shapes the fast
    path leaves to the general one: IPv4 options, IPv6 extension headers, and a dummy-sized payload."""
    made = []
    for size in (0, 1, 2, 3, 4, 61, 1400, 1401, 1402, 1403):
        data = bytes(rng.randrange(256) for _ in range(size))
        made += [_header(rng, 4, udp(data)), _header(rng, 6, udp(data))]
    options = ipv4(udp(b"with options"))
    with_options = bytes([0x46]) + options[1:3] + options[3:20] + b"\x01\x01\x01\x00" + options[20:]
    length = len(with_options)
    with_options = with_options[:2] + length.to_bytes(2, "big") + with_options[4:]
    with_options = with_options[:10] + b"\0\0" + with_options[12:]
    with_options = with_options[:10] + checksum(with_options[:24]).to_bytes(2, "big") + with_options[12:]
    made.append(with_options)
    made.append(ipv6(udp(b"hop by hop"), 0, extensions=extension(17)))
    return made


@pytest.mark.parametrize("esn", [False, True])
@pytest.mark.parametrize("tunnel", [None, 4, 6])
def test_the_fast_and_the_general_path_give_the_same_bytes_and_state(esn: bool, tunnel: int | None) -> None:
    rng = random.Random(f"{esn}{tunnel}")  # noqa: S311 (test packets, reproducible)
    options: dict[str, object] = {"esn": esn, "seq_start": (1 << 32) - 3 if esn else 1}
    if tunnel is not None:
        options.update(mode="tunnel", tunnel=TUNNELS[tunnel])
    (fast_tx, fast_rx), (slow_tx, slow_rx) = _twins(**options)
    packets = _packets(rng)
    sealed = [fast_tx.encapsulate(p) for p in packets]
    assert sealed == [slow_tx._encapsulate(p) for p in packets]
    assert _state(fast_tx) == _state(slow_tx)
    order = list(range(len(sealed)))
    rng.shuffle(order)  # out of order within the window: new highest, older ones, and the ESN boundary
    for i in order:
        assert fast_rx.decapsulate(sealed[i]) == slow_rx._decapsulate(sealed[i]) == packets[i]
        assert _state(fast_rx) == _state(slow_rx)
    for i in order[:5]:  # replays: refused by both, state unchanged
        for call in (fast_rx.decapsulate, slow_rx._decapsulate):
            with pytest.raises(ReplayError):
                call(sealed[i])
        assert _state(fast_rx) == _state(slow_rx)


def _esp(version: int, body: bytes) -> bytes:
    """``body`` (ESP header onwards) under a consistent IPv4 or IPv6 header naming ESP."""
    if version == 4:
        return rewrite(ipv4(b""), (4, 20, 9, ESP), ESP, 20 + len(body)) + body
    return rewrite(ipv6(b""), (6, 40, 6, ESP), ESP, 40 + len(body)) + body


@pytest.mark.parametrize("version", [4, 6])
def test_the_fast_path_refuses_what_the_general_path_refuses_with_the_state_unchanged(version: int) -> None:
    (tx, rx), (_, slow_rx) = _twins()
    start = 20 if version == 4 else 40
    rng = random.Random(version)  # noqa: S311 (test packets, reproducible)
    sealed = tx.encapsulate(_header(rng, version, udp(bytes(100))))
    body = sealed[start:]
    bad = [
        (AuthenticationError, _esp(version, body[:-1] + bytes([body[-1] ^ 1]))),  # the ICV
        (AuthenticationError, _esp(version, body[:9] + bytes([body[9] ^ 1]) + body[10:])),  # the IV
        (ParseError, _esp(version, bytes(4) + body[4:])),  # another SPI
        (ParseError, _esp(version, body[:-3])),  # a payload not a multiple of 4 octets (RFC 4303 §2.4)
        (ParseError, _esp(version, body[:25])),  # shorter than the ESP header, IV, trailer and ICV
    ]
    for error, packet in bad:
        for call in (rx.decapsulate, slow_rx._decapsulate):
            with pytest.raises(error):
                call(packet)
        assert _state(rx) == _state(slow_rx) == (0, rx._window.full, _state(rx)[2])
    assert rx.decapsulate(sealed) == slow_rx._decapsulate(sealed)
    assert _state(rx) == _state(slow_rx)


@pytest.mark.parametrize("version", [4, 6])
def test_authentic_packets_the_fast_path_does_not_finish_take_the_general_checks(version: int) -> None:
    """Authentic packets whose trailer the fast path leaves to _payload: padding that is not 1, 2, 3
    (RFC 4303 §2.4: ParseError, window unchanged) and a dummy packet (next header 59: b"", received)."""
    (tx, rx), _ = _twins()
    transform = tx._transform
    for seq, trailer, expected in ((1, b"\x01\x03\x02\x11", None), (2, b"\x01\x02\x02\x3b", b"")):
        head = tx._spi + seq.to_bytes(4, "big")
        packet = _esp(
            version, head + transform.seal(head, b"", seq.to_bytes(8, "big"), udp(b"abcd") + trailer)
        )
        before = _state(rx)
        if expected is None:
            with pytest.raises(ParseError):
                rx.decapsulate(packet)
            assert _state(rx) == before
        else:
            assert rx.decapsulate(packet) == expected
            assert rx._window.top == seq


def test_the_checksum_residue_equals_the_word_sum() -> None:
    """-h % 0xFFFF (the header as an integer, checksum field zero) is RFC 791's checksum, including
    the headers whose word sum is a multiple of 0xFFFF (checksum 0, not 0xFFFF)."""
    rng = random.Random(791)  # noqa: S311 (test headers, reproducible)
    headers = [bytes(rng.randrange(256) for _ in range(20)) for _ in range(2000)]
    # A header whose words sum to 0xFFFF * k: the last word makes up the rest.
    base = bytes([0x45]) + bytes(rng.randrange(256) for _ in range(17))
    rest = -sum(struct.unpack("!9H", base)) % 0xFFFF
    headers.append(base + rest.to_bytes(2, "big"))
    headers.append(bytes([0x45]) + bytes(17) + b"\xba\xff")  # 0x4500 + 0xBAFF = 0xFFFF
    for header in headers:
        zeroed = header[:10] + b"\0\0" + header[12:]
        h = int.from_bytes(zeroed, "big")
        assert -h % 0xFFFF == checksum(zeroed)
        assert (h | (-h % 0xFFFF) << V4_CHECKSUM).to_bytes(20, "big")[10:12] == checksum(zeroed).to_bytes(
            2, "big"
        )


def test_esn_inference_at_the_bottom_of_the_window_matches_the_general_path() -> None:
    """RFC 4303 Appendix A2.2 case A at its edge: Seql = Bl is the window's oldest packet (Seqh = Th),
    Seql = Bl - 1 is taken as past the next 2^32 (Seqh = Th + 1), which does not authenticate."""
    (tx, rx), (_, slow_rx) = _twins(esn=True, replay_window=64, seq_start=1000)
    sealed = [tx.encapsulate(ipv4(udp(bytes([i & 0xFF])))) for i in range(200)]
    assert rx.decapsulate(sealed[199]) == slow_rx._decapsulate(sealed[199])
    for call in (rx.decapsulate, slow_rx._decapsulate):
        with pytest.raises(AuthenticationError):
            call(sealed[199 - 64])  # Bl - 1
        assert call(sealed[199 - 63]) == ipv4(udp(bytes([136])))  # Bl
    assert _state(rx) == _state(slow_rx)
