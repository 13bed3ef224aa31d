"""ESP security associations (RFC 4303): the draft-mcgrew-gcm-test-01 vectors, framing over IPv4 and
IPv6, anti-replay and ESN, sequence exhaustion, the policy, fork and ERROR."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from esplib import SPI, TUNNELS, extension, ipv4, ipv6, key_of, pair, udp

from fipscrypto import indicator
from fipscrypto.errors import (
    AlgorithmUnavailable,
    AuthenticationError,
    InvalidParameter,
    ParseError,
    ReplayError,
    SequenceExhausted,
)
from fipscrypto.ipsec import ALGORITHMS, SecurityAssociation
from fipscrypto.ipsec.packets import ESP, esp_header, rewrite
from fipscrypto.ipsec.transforms import Gcm, Gmac
from fipscrypto.provider.state import StatePaths

from support import BOTH_SIDES_OF_A_FORK, run_json, run_script_json
from vectorlib import VECTORS

DRAFT = json.loads((VECTORS / "rfc" / "draft-mcgrew-gcm-test-01-esp.json").read_text())["vectors"]
GCM_CASES = [v for v in DRAFT if "mode" not in v]
GMAC_CASE = next(v for v in DRAFT if v["name"] == "p18_gmac")


def _fields(case: dict[str, Any]) -> tuple[bytes, bytes, int]:
    """SPI || low sequence number, the high sequence number (ESN) or b"", and the full number."""
    low = bytes.fromhex(case.get("seq_lo") or case["seq"])
    high = bytes.fromhex(case["seq_hi"]) if case.get("esn") else b""
    return bytes.fromhex(case["spi"]) + low, high, int.from_bytes(high + low, "big")


def _state(sa: SecurityAssociation) -> tuple[int, int]:
    return sa._window.top, sa._window.mask


def _crafted(outer: bytes, seq: int, plain: bytes) -> bytes:
    """An authentic ESP packet (the SA's keys, SPI and IV rule) around any ``plain``: payload, padding,
    pad length and next header as the test wants them."""
    head = SPI.to_bytes(4, "big") + seq.to_bytes(4, "big")
    body = head + Gcm(key_of("aes-256-gcm-16")).seal(head, b"", seq.to_bytes(8, "big"), plain)
    return rewrite(outer, (4, 20, 9, ESP), ESP, 20 + len(body)) + body


# ------------------------------------------------------------------------------------ vectors


@pytest.mark.parametrize("case", GCM_CASES, ids=lambda c: c["name"])
def test_the_gcm_transform_gives_the_draft_packets(case: dict[str, Any]) -> None:
    head, high, _ = _fields(case)
    gcm = Gcm(bytes.fromhex(case["key"] + case["salt"]))
    iv, plain = bytes.fromhex(case["iv"]), bytes.fromhex(case["plaintext"])
    assert (head[:4] + high + head[4:] if high else head).hex() == case["aad"]
    sealed = iv + bytes.fromhex(case["ciphertext"] + case["icv"])
    assert gcm.seal(head, high, iv, plain) == sealed
    assert gcm.open(head, high, sealed) == plain


def test_the_gmac_transform_gives_the_draft_packet() -> None:
    head, _, _ = _fields(GMAC_CASE)
    iv, aad = bytes.fromhex(GMAC_CASE["iv"]), bytes.fromhex(GMAC_CASE["aad"])
    assert aad[:16] == head + iv
    gmac = Gmac(bytes.fromhex(GMAC_CASE["key"] + GMAC_CASE["salt"]))
    sealed = iv + aad[16:] + bytes.fromhex(GMAC_CASE["icv"])
    assert gmac.seal(head, b"", iv, aad[16:]) == sealed
    assert gmac.open(head, b"", sealed) == aad[16:]


def _sa_cases() -> list[tuple[dict[str, Any], str]]:
    """The draft's packets an SA can hold: AES-128/256 and an SPI of 256 or more (p9 has SPI 0, which
    RFC 4303 §2.1 reserves; p11b is AES-192, which fipscrypto does not offer)."""
    out = []
    for case in [*GCM_CASES, GMAC_CASE]:
        bits = len(case["key"]) * 4
        if bits in (128, 256) and int(case["spi"], 16) >= 256:
            out.append((case, f"aes-{bits}-gmac" if case is GMAC_CASE else f"aes-{bits}-gcm-16"))
    return out


@pytest.mark.parametrize(
    ("case", "algorithm"), _sa_cases(), ids=lambda c: c["name"] if isinstance(c, dict) else c
)
def test_an_sa_decapsulates_the_draft_packets(case: dict[str, Any], algorithm: str) -> None:
    head, high, seq = _fields(case)
    key = bytes.fromhex(case["key"] + case["salt"])
    sa = SecurityAssociation(int(case["spi"], 16), key, algorithm=algorithm, esn=bool(high), seq_start=seq)
    if case is GMAC_CASE:
        aad = bytes.fromhex(case["aad"])
        body, plain = aad[8:] + bytes.fromhex(case["icv"]), aad[16:]
    else:
        body = bytes.fromhex(case["iv"] + case["ciphertext"] + case["icv"])
        plain = bytes.fromhex(case["plaintext"])
    packet = ipv4(head + body, ESP)
    pad, protocol = plain[-2], plain[-1]
    found = (4, 20, 9, ESP)
    expected = rewrite(packet[:20], found, protocol, 20 + len(plain) - 2 - pad) + plain[: -2 - pad]
    assert sa.decapsulate(packet) == expected
    with pytest.raises(ReplayError):
        sa.decapsulate(packet)


@pytest.mark.parametrize(
    ("case", "algorithm"), _sa_cases(), ids=lambda c: c["name"] if isinstance(c, dict) else c
)
def test_an_sa_pads_and_trails_as_the_draft_packets(case: dict[str, Any], algorithm: str) -> None:
    """Encapsulating the draft's payload gives its plaintext (payload, padding 1, 2, ..., pad length and
    next header) byte for byte; the IV differs (the sequence number here, RFC 4106 §3.1)."""
    head, high, seq = _fields(case)
    key = bytes.fromhex(case["key"] + case["salt"])
    sa = SecurityAssociation(int(case["spi"], 16), key, algorithm=algorithm, esn=bool(high), seq_start=seq)
    plain = bytes.fromhex(case["aad"])[16:] if case is GMAC_CASE else bytes.fromhex(case["plaintext"])
    pad, protocol = plain[-2], plain[-1]
    sealed = sa.encapsulate(ipv4(plain[: -2 - pad], protocol))
    assert sealed[20:28] == head
    assert sealed[28:36] == seq.to_bytes(8, "big")  # the IV: the 64-bit sequence number
    opener = Gmac(key) if case is GMAC_CASE else Gcm(key)
    assert opener.open(head, high, sealed[28:]) == plain


# ------------------------------------------------------------------------------------ framing


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
@pytest.mark.parametrize("version", [4, 6])
@pytest.mark.parametrize("mode", ["transport", "tunnel"])
def test_packets_go_through_and_headers_are_rewritten(algorithm: str, version: int, mode: str) -> None:
    options: dict[str, Any] = {"mode": mode, "tunnel": TUNNELS[version] if mode == "tunnel" else None}
    tx, rx = pair(algorithm, **options)
    for n in (0, 1, 2, 3, 15, 16, 17, 1400):
        data = bytes(i & 0xFF for i in range(n))
        plain = ipv4(udp(data)) if version == 4 else ipv6(udp(data))
        sealed = tx.encapsulate(plain)
        found = esp_header(sealed)
        assert found[0] == (sealed[0] >> 4) == version
        if mode == "transport":  # the packet's own addresses
            assert sealed[12:20] == plain[12:20] if version == 4 else sealed[8:40] == plain[8:40]
        if version == 4:
            assert int.from_bytes(sealed[2:4], "big") == len(sealed)
            assert sealed[9] == ESP
        else:
            assert int.from_bytes(sealed[4:6], "big") == len(sealed) - 40
        # RFC 4303 §2.4: the encrypted part ends on a 4-octet boundary (a block for CBC).
        chosen = ALGORITHMS[algorithm]
        assert (len(sealed) - found[1] - 8 - chosen.iv_size - chosen.icv_size) % chosen.align == 0
        assert rx.decapsulate(sealed) == plain


def test_the_ipv4_checksum_is_rewritten() -> None:
    tx, _ = pair()
    sealed = tx.encapsulate(ipv4(udp(b"x" * 33)))
    header = bytearray(sealed[:20])
    header[10:12] = b"\0\0"
    from fipscrypto.ipsec.packets import checksum

    assert checksum(header) == int.from_bytes(sealed[10:12], "big")
    assert checksum(sealed[:20]) == 0  # a header with its checksum sums to all ones (RFC 791 §3.1)


def test_transport_mode_places_esp_after_the_ipv6_headers_that_routers_read() -> None:
    """RFC 4303 §3.1.1: after Hop-by-Hop and Routing headers; a Destination Options header after the
    Routing header stays inside, encrypted, for the final destination."""
    tx, rx = pair()
    chain = extension(43) + extension(60, bytes(22)) + extension(17)  # Hop-by-Hop, Routing, Dest. Options
    plain = ipv6(udp(b"media"), 0, extensions=chain)
    sealed = tx.encapsulate(plain)
    found = esp_header(sealed)
    # Hop-by-Hop (8 octets) then Routing (24): ESP after them; the Destination Options go inside.
    assert found[1:3] == (40 + 8 + 24, 40 + 8)
    assert sealed[40 + 8] == ESP
    assert rx.decapsulate(sealed) == plain


def test_tunnel_mode_copies_dscp_ecn_and_df_and_numbers_the_outer_header() -> None:
    tx, rx = pair(mode="tunnel", tunnel=TUNNELS[4])
    inner = ipv4(udp(b"voice"), tos=0xB9, df=True)  # EF with ECT(1)
    first, second = tx.encapsulate(inner), tx.encapsulate(inner)
    assert (first[1], first[6] & 0x40, first[8]) == (0xB9, 0x40, 64)  # DSCP/ECN, DF, TTL
    assert first[12:20] == bytes([198, 51, 100, 1, 198, 51, 100, 2])
    assert (first[4:6], second[4:6]) == (b"\0\x01", b"\0\x02")  # identification: the sequence number
    assert rx.decapsulate(first) == inner
    six, rx6 = pair(mode="tunnel", tunnel=TUNNELS[6])
    outer = six.encapsulate(inner)
    assert (int.from_bytes(outer[:4], "big") >> 20) & 0xFF == 0xB9
    assert rx6.decapsulate(outer) == inner


def test_tfc_padding_after_a_tunnelled_packet_is_dropped_and_dummy_packets_are_discarded() -> None:
    """RFC 4303 §2.7: the inner header gives the packet's end; §2.6: next header 59 is a dummy packet,
    discarded "without indicating an error" (and counted as received)."""
    tx, rx = pair(mode="tunnel", tunnel=TUNNELS[4])
    inner = ipv4(udp(b"data"))
    sealed = tx.encapsulate(inner)

    def craft(seq: int, plain: bytes) -> bytes:
        return _crafted(sealed[:20], seq, plain)

    padded = inner + b"TFC padding!" + bytes([1, 2, 2, 4])
    assert rx.decapsulate(craft(5, padded)) == inner
    assert rx.decapsulate(craft(6, b"dumm" + bytes([1, 2, 2, 59]))) == b""
    with pytest.raises(ReplayError):
        rx.decapsulate(craft(6, b"dumm" + bytes([1, 2, 2, 59])))


@pytest.mark.parametrize(
    ("plain", "why"),
    [
        (b"ab" + bytes([1, 3, 2, 4]), "padding not 1, 2"),
        (b"abc" + bytes([9, 4]), "pad length past the payload"),
        (b"ab" + bytes([1, 2, 2, 17]), "tunnel next header not 4 or 41"),
        (b"ab" + bytes([1, 2, 2, 41]), "not an IPv6 packet"),
    ],
)
def test_authentic_but_malformed_payloads_are_refused_and_change_nothing(plain: bytes, why: str) -> None:
    tx, rx = pair(mode="tunnel", tunnel=TUNNELS[4])
    sealed = tx.encapsulate(ipv4(b""))
    before = _state(rx)
    with pytest.raises(ParseError):
        rx.decapsulate(_crafted(sealed[:20], 9, plain))
    assert _state(rx) == before, why
    assert rx.decapsulate(sealed) == ipv4(b"")


def test_fragments_and_other_protocols_are_refused() -> None:
    tx, rx = pair()
    fragment = bytearray(ipv4(udp(b"x")))
    fragment[6] |= 0x20  # MF
    with pytest.raises(ParseError, match="fragment"):
        tx.encapsulate(bytes(fragment))
    with pytest.raises(ParseError, match="fragment"):
        tx.encapsulate(ipv6(bytes(8) + udp(b"x"), 44))
    sealed = bytearray(tx.encapsulate(ipv4(udp(b"x"))))
    sealed[6] |= 0x20
    with pytest.raises(ParseError, match="fragment"):
        rx.decapsulate(bytes(sealed))
    with pytest.raises(ParseError, match="not an ESP packet"):
        rx.decapsulate(ipv4(udp(b"x" * 40)))
    other = SecurityAssociation(SPI + 1, key_of("aes-256-gcm-16"))
    with pytest.raises(ParseError, match="SPI"):
        other.decapsulate(tx.encapsulate(ipv4(udp(b"x"))))
    with pytest.raises(InvalidParameter, match="longer than an IP packet"):
        tx.encapsulate(ipv4(bytes(0xFFFF - 20)))


# --------------------------------------------------------------------------------- anti-replay


def test_replay_reorder_and_too_old() -> None:
    tx, rx = pair(replay_window=64)
    sealed = [tx.encapsulate(ipv4(udp(bytes([i])))) for i in range(1, 201)]  # sequence numbers 1..200
    rx.decapsulate(sealed[99])  # 100
    for seq in (37, 99, 50, 98):  # within the window (100 - 64 < seq), out of order
        rx.decapsulate(sealed[seq - 1])
    for seq in (100, 37, 50):
        with pytest.raises(ReplayError, match="already received"):
            rx.decapsulate(sealed[seq - 1])
    with pytest.raises(ReplayError, match="older than the replay window"):
        rx.decapsulate(sealed[36 - 1])  # 100 - 64: just left of the window
    rx.decapsulate(sealed[199])  # 200: a jump past the window
    with pytest.raises(ReplayError, match="older"):
        rx.decapsulate(sealed[136 - 1])
    rx.decapsulate(sealed[137 - 1])


def test_the_window_moves_only_for_authentic_packets() -> None:
    """RFC 4303 §3.4.3: "The receive window is updated only if the ICV verification succeeds"."""
    tx, rx = pair(replay_window=64)
    sealed = [tx.encapsulate(ipv4(udp(i.to_bytes(2, "big")))) for i in range(300)]
    rx.decapsulate(sealed[0])
    forged = bytearray(sealed[299])
    forged[-1] ^= 1
    before = _state(rx)
    with pytest.raises(AuthenticationError):
        rx.decapsulate(bytes(forged))
    assert _state(rx) == before
    rx.decapsulate(sealed[1])  # 2 is still inside the window: the forgery did not move it
    rx.decapsulate(sealed[299])


def test_sequence_zero_and_numbers_below_seq_start_count_as_received() -> None:
    tx, rx = pair(seq_start=1000)
    sealed = tx.encapsulate(ipv4(udp(b"x")))
    assert int.from_bytes(sealed[24:28], "big") == 1000
    for seq in (0, 999):
        with pytest.raises(ReplayError):
            rx.decapsulate(sealed[:24] + seq.to_bytes(4, "big") + sealed[28:])
    with pytest.raises(ReplayError):  # the receiver's counter starts at 0 (RFC 4303 §3.4.3)
        pair()[1].decapsulate(sealed[:24] + bytes(4) + sealed[28:])
    assert rx.decapsulate(sealed) == ipv4(udp(b"x"))


@pytest.mark.parametrize("algorithm", ["aes-128-gcm-16", "aes-256-gmac", "aes-256-cbc-hmac-sha2-256-128"])
def test_esn_infers_the_high_bits_across_the_boundary(algorithm: str) -> None:
    """RFC 4303 Appendix A2.2, both cases: packets around 2^32, delivered out of order."""
    start = (1 << 32) - 20
    tx, rx = pair(algorithm, esn=True, seq_start=start, replay_window=64)
    sealed = [tx.encapsulate(ipv4(udp(bytes([i])))) for i in range(40)]  # 2^32 - 20 .. 2^32 + 19
    assert int.from_bytes(sealed[25][24:28], "big") == 5  # only the low 32 bits are sent
    order = [0, 3, 25, 1, 19, 30, 20, 2, 39, 10]  # Case A, across the boundary, then Case B (Tl < W - 1)
    for i in order:
        assert rx.decapsulate(sealed[i]) == ipv4(udp(bytes([i])))
    assert rx._window.top == start + 39
    for i in order:
        with pytest.raises(ReplayError):
            rx.decapsulate(sealed[i])


def test_esn_without_the_high_bits_does_not_authenticate() -> None:
    """The high 32 bits are not sent but authenticated: an SA that infers other ones refuses the packet
    (RFC 4303 §2.2.1, Appendix A3: a loss of 2^32 packets needs resynchronisation)."""
    tx, _ = pair(esn=True, seq_start=(5 << 32) + 1)
    _, rx = pair(esn=True, seq_start=(4 << 32) + 1)
    with pytest.raises(AuthenticationError):
        rx.decapsulate(tx.encapsulate(ipv4(udp(b"x"))))


@pytest.mark.parametrize("algorithm", ["aes-256-gcm-16", "aes-256-cbc-hmac-sha2-256-128"])
def test_threads_sharing_an_sa_never_share_a_sequence_number(algorithm: str) -> None:
    """AES-GCM seals outside the SA's lock (the sequence number is taken inside it); AES-CBC, whose
    contexts chain from packet to packet, inside it. Either way every packet has its own number and
    goes through."""
    tx, rx = pair(algorithm, replay_window=4096)
    plain = ipv4(udp(b"threaded"))
    with ThreadPoolExecutor(max_workers=4) as pool:
        sealed = list(pool.map(lambda _: tx.encapsulate(plain), range(2000)))
    assert sorted(int.from_bytes(s[24:28], "big") for s in sealed) == list(range(1, 2001))
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert set(pool.map(rx.decapsulate, sealed)) == {plain}


# ----------------------------------------------------------------------------------- exhaustion


@pytest.mark.parametrize(("esn", "last"), [(False, (1 << 32) - 1), (True, (1 << 64) - 1)])
def test_the_sequence_number_never_cycles(esn: bool, last: int) -> None:
    """RFC 4303 §3.3.3: the counter "MUST NOT be allowed to cycle"."""
    tx, rx = pair(esn=esn, seq_start=last - 1)
    sealed = [tx.encapsulate(ipv4(udp(b"x"))) for _ in range(2)]
    assert [int.from_bytes(s[24:28], "big") for s in sealed] == [(last - 1) & 0xFFFFFFFF, last & 0xFFFFFFFF]
    for _ in range(2):
        with pytest.raises(SequenceExhausted, match="establish a new SA"):
            tx.encapsulate(ipv4(udp(b"x")))
    assert [rx.decapsulate(s) for s in sealed] == [ipv4(udp(b"x"))] * 2  # the last number is received
    with pytest.raises(InvalidParameter):
        SecurityAssociation(SPI, key_of("aes-256-gcm-16"), esn=esn, seq_start=last + 1)


# ----------------------------------------------------------------------------------- tampering


@pytest.mark.parametrize("algorithm", ["aes-128-gcm-16", "aes-256-gmac", "aes-128-cbc-hmac-sha2-384-192"])
@pytest.mark.parametrize("esn", [False, True])
def test_every_single_bit_flip_of_the_esp_packet_is_refused(algorithm: str, esn: bool) -> None:
    """Every bit from the SPI to the ICV; the outer IP header is not ESP's to protect (RFC 4303 §3.1.1).
    Each flipped packet is refused and leaves the SA as it was."""
    tx, rx = pair(algorithm, esn=esn, replay_window=64)
    sealed = [tx.encapsulate(ipv4(udp(b"flip me"))) for _ in range(3)]
    rx.decapsulate(sealed[1])
    packet = sealed[2]
    before = _state(rx)
    for bit in range(20 * 8, len(packet) * 8):
        flipped = bytearray(packet)
        flipped[bit >> 3] ^= 0x80 >> (bit & 7)
        with pytest.raises((AuthenticationError, ReplayError, ParseError)):
            rx.decapsulate(bytes(flipped))
        assert _state(rx) == before, bit
    assert rx.decapsulate(packet) == ipv4(udp(b"flip me"))
    assert rx.decapsulate(sealed[0]) == ipv4(udp(b"flip me"))


# ------------------------------------------------------------------------- parameters, policy


def test_parameters_are_checked() -> None:
    key = key_of("aes-256-gcm-16")
    for bad in (
        {"spi": 0},
        {"spi": 255},
        {"spi": 1 << 32},
        {"key": key[:-1]},
        {"key": "k" * 36},
        {"algorithm": "aes-192-gcm-16"},
        {"mode": "tunnel"},
        {"tunnel": TUNNELS[4]},
        {"mode": "tunnel", "tunnel": ("192.0.2.1", "2001:db8::1")},
        {"mode": "tunnel", "tunnel": ("192.0.2.1", "nowhere")},
        {"replay_window": 32},
        {"replay_window": 4097},
        {"esn": 1},
        {"seq_start": 0},
    ):
        arguments: dict[str, Any] = {"spi": SPI, "key": key} | bad
        with pytest.raises(InvalidParameter):
            SecurityAssociation(**arguments)
    with pytest.raises(AlgorithmUnavailable):
        SecurityAssociation(SPI, key, algorithm="ENCR_CHACHA20_POLY1305")
    tx, rx = pair()
    assert rx.decapsulate(bytearray(tx.encapsulate(memoryview(ipv4(udp(b"x")))))) == ipv4(udp(b"x"))
    with pytest.raises(ParseError):
        tx.encapsulate(bytes(70000))


def test_the_indicator_marks_each_packet_approved() -> None:
    tx, rx = pair()
    with indicator.scope() as done:
        rx.decapsulate(tx.encapsulate(ipv4(udp(b"x"))))
    assert done.approved
    last = indicator.last()
    assert last is not None
    assert last.service == "ipsec.SecurityAssociation.decapsulate"


def test_the_policy_decides_the_transforms(state_paths: StatePaths) -> None:
    """cnsa-2.0 (RFC 9206) allows AES-256-GCM with a 16-octet ICV only; fips-140-3 all of them."""
    code = """
import json, fipscrypto
fipscrypto.activate()
from fipscrypto.ipsec import ALGORITHMS, SecurityAssociation
out = {}
for name, chosen in ALGORITHMS.items():
    try:
        SecurityAssociation(0x1000, bytes(chosen.key_length), algorithm=name, esn=True)
        out[name] = "created"
    except fipscrypto.PolicyViolation as exc:
        out[name] = type(exc).__name__
print(json.dumps(out))
"""
    cnsa = run_json(code, FIPSCRYPTO_STATE_DIR=str(state_paths.root), FIPSCRYPTO_POLICY="cnsa-2.0")
    assert {n for n, r in cnsa.items() if r == "created"} == {"aes-256-gcm-16"}
    assert set(cnsa.values()) == {"created", "PolicyViolation"}
    fips = run_json(code, FIPSCRYPTO_STATE_DIR=str(state_paths.root), FIPSCRYPTO_POLICY="fips-140-3")
    assert set(fips.values()) == {"created"}


def test_audit_mode_records_every_transform_the_policy_refuses(state_paths: StatePaths) -> None:
    """In audit mode the SA is made, non-approved, and each refused transform (both directions) is
    audited, not only the first."""
    result = run_json(
        """
import json, fipscrypto
from fipscrypto import audit, indicator
seen = []
audit.subscribe(lambda event: seen.append(event) if event.kind == "non-approved-use" else None)
fipscrypto.activate()
from fipscrypto.ipsec import ALGORITHMS, SecurityAssociation
name = "aes-128-cbc-hmac-sha2-256-128"
tx = SecurityAssociation(0x1000, bytes(ALGORITHMS[name].key_length), algorithm=name)
plain = bytes.fromhex("45000024000100004011f6c4c0000201c000020200350035001000006461746164617461")
with indicator.scope() as done:
    tx.encapsulate(plain)
print(json.dumps({"refused": sorted(e.fields["algorithm"] for e in seen), "approved": done.approved}))
""",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
        FIPSCRYPTO_POLICY="cnsa-2.0",
        FIPSCRYPTO_MODE="audit",
    )
    assert result["refused"] == ["AUTH_HMAC_SHA2_256_128"] * 2 + ["ENCR_AES_CBC"] * 2
    assert result["approved"] is False


# ------------------------------------------------------------------------------- fork, ERROR


def test_an_sa_does_not_encapsulate_in_the_child_of_a_fork(state_paths: StatePaths) -> None:
    result = run_json(
        """
import json, os, fipscrypto
fipscrypto.activate()
from fipscrypto.ipsec import SecurityAssociation
tx = SecurityAssociation(0x1000, bytes(36))
rx = SecurityAssociation(0x1000, bytes(36))
plain = bytes.fromhex("45000024000100004011f6c4c0000201c000020200350035001000006461746164617461")
first = tx.encapsulate(plain)
def side():
    out = {}
    try:
        out["encapsulate"] = tx.encapsulate(plain).hex()
    except Exception as exc:
        out["encapsulate"] = type(exc).__name__
    out["decapsulate"] = rx.decapsulate(first).hex()
    return out
"""
        + BOTH_SIDES_OF_A_FORK
        + """print(json.dumps({"parent": parent, "child": child, "plain": plain.hex()}))
""",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
    )
    # Sequence number 2 (the IV) would go out from both processes under one key.
    assert result["child"]["encapsulate"] == "ForkError"
    assert len(result["parent"]["encapsulate"]) > 100
    assert result["parent"]["decapsulate"] == result["child"]["decapsulate"] == result["plain"]


def test_entering_error_revokes_every_sa(state_paths: StatePaths) -> None:
    result = run_json(
        """
import json, fipscrypto
fipscrypto.activate()
from fipscrypto import rand
from fipscrypto.ipsec import ALGORITHMS, SecurityAssociation
plain = bytes.fromhex("45000024000100004011f6c4c0000201c000020200350035001000006461746164617461")
def pair(name, chosen):
    return [SecurityAssociation(0x1000, bytes(chosen.key_length), algorithm=name) for _ in "tr"]
pairs = [pair(name, chosen) for name, chosen in ALGORITHMS.items()]
sealed = [tx.encapsulate(plain) for tx, _ in pairs]
try:
    rand.HmacDrbg(entropy=lambda n: bytes(n))  # a stuck entropy source: the module enters ERROR
except fipscrypto.SelfTestFailure:
    pass
refused = []
for (tx, rx), packet in zip(pairs, sealed):
    for call in (lambda: tx.encapsulate(plain), lambda: rx.decapsulate(packet)):
        try:
            call()
            refused.append("served")
        except fipscrypto.ModuleErrorState:
            refused.append("refused")
print(json.dumps(refused))
""",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
    )
    assert result == ["refused"] * 2 * len(ALGORITHMS)


def test_the_documented_example_runs(state_paths: StatePaths) -> None:
    """docs/ipsec.md's walk-through: Child SA keys, two SAs, packets both ways, a replay, tunnel mode."""
    example = Path(__file__).parent.parent / "docs" / "examples" / "esp_nodes.py"
    result = run_script_json(example, timeout=120, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert result["delivered"] is True
    assert result["transport"] == {"plain": 44, "esp": 80, "protocol": 50}  # 20 + 8 + 8 + 28 + 16
    assert result["tunnel"] == {"esp": 100, "outer_source": "192.0.2.1"}
    assert result["replay"] == "ReplayError"
    assert result["approved"] is True
