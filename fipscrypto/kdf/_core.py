"""The unchecked cores of the KDFs composed here, shared by the public services and the self-tests.

Nothing here checks its arguments, asks the policy or records the indicator: each public KDF does
that around the core it calls, and the power-on self-tests run the same cores on known answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .._backend import kdf as _kdf

__all__ = [
    "EMS_LABEL",
    "RTCP_LABELS",
    "CounterLocation",
    "KbkdfMode",
    "Tls13Secrets",
    "derive_secret",
    "expand_label",
    "kbkdf_composed",
    "key_block",
    "key_schedule",
    "master_secret",
    "p_hash",
    "prf_plus",
    "splice_bits",
    "srtp_default_length",
    "srtp_prf",
]

KbkdfMode = Literal["counter", "feedback", "double-pipeline"]
CounterLocation = Literal["before_fixed", "after_fixed", "middle_fixed", "before_iterator", "none"]

EMS_LABEL = b"extended master secret"  # RFC 7627 §4
RTCP_LABELS = (0x03, 0x04, 0x05)  # RFC 3711 §4.3.2: SRTCP encryption, authentication, salt
_AUTHENTICATION_LABELS = (0x01, 0x04)
_SALT_LABELS = (0x02, 0x05, 0x07)

# ----------------------------------------------------------------------------------- SP 800-108


def splice_bits(data: bytes, at_bit: int, insert: bytes) -> bytes:
    """``data`` with ``insert`` placed after its first ``at_bit`` bits (bit-granular, MSB first)."""
    total = len(data) * 8
    value = int.from_bytes(data, "big")
    head, tail = value >> (total - at_bit), value & ((1 << (total - at_bit)) - 1)
    spliced = ((head << (8 * len(insert))) | int.from_bytes(insert, "big")) << (total - at_bit) | tail
    return spliced.to_bytes(len(data) + len(insert), "big")


def kbkdf_composed(
    mac: Callable[[bytes], bytes],
    n: int,
    mode: KbkdfMode,
    fixed: bytes,
    counter_bits: int,
    location: CounterLocation,
    break_bit: int,
    iv: bytes,
) -> bytes:
    """The SP 800-108 r1 iterations built from the PRF, for the layouts cryptography does not offer."""
    blocks: list[bytes] = []
    chain = iv  # feedback: K(0) := IV (§4.2); double pipeline: A(0) := fixed data (§4.3)
    if mode == "double-pipeline":
        chain = fixed
    for i in range(1, n + 1):
        counter = i.to_bytes(counter_bits // 8, "big") if counter_bits else b""
        if mode == "double-pipeline":
            chain = mac(chain)  # A(i) := PRF(K_IN, A(i-1))
        if mode == "counter":  # §4.1: K(i) := PRF(K_IN, [i]_2 || fixed), counter inside the fixed data
            block = mac(splice_bits(fixed, break_bit, counter))
        elif location == "before_iterator":  # [i]_2 || K(i-1) or A(i) || fixed
            block = mac(counter + chain + fixed)
        elif location == "after_fixed":
            block = mac(chain + fixed + counter)
        else:  # "before_fixed" and "none" (empty counter): K(i-1) or A(i) {|| [i]_2} || fixed
            block = mac(chain + counter + fixed)
        if mode == "feedback":
            chain = block
        blocks.append(block)
    return b"".join(blocks)


# ---------------------------------------------------------------------------------- TLS 1.0-1.2


def p_hash(mac: Callable[[bytes], bytes], seed: bytes, length: int) -> bytes:
    # RFC 5246 §5: P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) + HMAC_hash(secret, A(2) + seed)
    # + ...;  A(0) = seed, A(i) = HMAC_hash(secret, A(i-1))
    out = bytearray()
    a = seed
    while len(out) < length:
        a = mac(a)
        out += mac(a + seed)
    return bytes(out[:length])


def master_secret(digest: str, pre_master_secret: bytes, label: bytes, seed: bytes) -> bytes:
    """PRF(pre_master_secret, label, seed)[0..47] (RFC 5246 §8.1, RFC 7627 §4)."""
    return p_hash(_kdf.hmac_keyed(digest, pre_master_secret), label + seed, 48)


def key_block(digest: str, master: bytes, server_random: bytes, client_random: bytes, length: int) -> bytes:
    # RFC 5246 §6.3: key_block = PRF(SecurityParameters.master_secret, "key expansion",
    #                                SecurityParameters.server_random + SecurityParameters.client_random)
    return p_hash(_kdf.hmac_keyed(digest, master), b"key expansion" + server_random + client_random, length)


# ---------------------------------------------------------------------------------------- TLS 1.3


def expand_label(digest: str, secret: bytes, label: bytes, context: bytes, length: int) -> bytes:
    # RFC 8446 §7.1: HKDF-Expand-Label(Secret, Label, Context, Length) =
    #   HKDF-Expand(Secret, HkdfLabel, Length)
    #   struct { uint16 length = Length; opaque label<7..255> = "tls13 " + Label;
    #            opaque context<0..255> = Context; } HkdfLabel;
    full = b"tls13 " + label
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + bytes([len(context)]) + context
    return _kdf.hkdf_expand(digest, secret, info, length)


def derive_secret(digest: str, secret: bytes, label: bytes, messages: bytes) -> bytes:
    # RFC 8446 §7.1: Derive-Secret(Secret, Label, Messages) =
    #   HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages), Hash.length)
    transcript = _kdf.hash_bytes(digest, messages)
    return expand_label(digest, secret, label, transcript, len(transcript))


@dataclass(frozen=True, slots=True, repr=False)
class Tls13Secrets:
    """The secrets of the TLS 1.3 key schedule (RFC 8446 §7.1). The repr shows no key material."""

    early_secret: bytes
    client_early_traffic_secret: bytes
    early_exporter_master_secret: bytes
    handshake_secret: bytes
    client_handshake_traffic_secret: bytes
    server_handshake_traffic_secret: bytes
    master_secret: bytes
    client_application_traffic_secret_0: bytes
    server_application_traffic_secret_0: bytes
    exporter_master_secret: bytes
    resumption_master_secret: bytes

    def __repr__(self) -> str:
        return f"Tls13Secrets(<{len(self.master_secret)}-byte secrets>)"


def key_schedule(
    digest: str, psk: bytes | None, dhe: bytes | None, flights: tuple[bytes, bytes, bytes, bytes]
) -> Tls13Secrets:
    """The key schedule from the PSK and/or (EC)DHE secret; ``flights`` is the transcript in four
    pieces: ClientHello, ServerHello, EncryptedExtensions .. server Finished, client Certificate ..
    client Finished."""
    zeros = bytes(_kdf.digest_size(digest))
    client_hello, server_hello, server_flight, client_flight = flights
    th_ch = client_hello
    th_sh = th_ch + server_hello
    th_sf = th_sh + server_flight
    th_cf = th_sf + client_flight
    # RFC 8446 §7.1: Early Secret = HKDF-Extract(0, PSK); Handshake Secret = HKDF-Extract(
    #   Derive-Secret(Early Secret, "derived", ""), (EC)DHE); Master Secret = HKDF-Extract(
    #   Derive-Secret(Handshake Secret, "derived", ""), 0)
    early = _kdf.hkdf_extract(digest, zeros, psk if psk is not None else zeros)
    handshake = _kdf.hkdf_extract(digest, derive_secret(digest, early, b"derived", b""), dhe or zeros)
    master = _kdf.hkdf_extract(digest, derive_secret(digest, handshake, b"derived", b""), zeros)
    return Tls13Secrets(
        early_secret=early,
        client_early_traffic_secret=derive_secret(digest, early, b"c e traffic", th_ch),
        early_exporter_master_secret=derive_secret(digest, early, b"e exp master", th_ch),
        handshake_secret=handshake,
        client_handshake_traffic_secret=derive_secret(digest, handshake, b"c hs traffic", th_sh),
        server_handshake_traffic_secret=derive_secret(digest, handshake, b"s hs traffic", th_sh),
        master_secret=master,
        client_application_traffic_secret_0=derive_secret(digest, master, b"c ap traffic", th_sf),
        server_application_traffic_secret_0=derive_secret(digest, master, b"s ap traffic", th_sf),
        exporter_master_secret=derive_secret(digest, master, b"exp master", th_sf),
        resumption_master_secret=derive_secret(digest, master, b"res master", th_cf),
    )


# ------------------------------------------------------------------------------------------- SRTP


def srtp_default_length(label: int, master_key: bytes) -> int:
    # RFC 3711 §4.3.2 / RFC 6188 §3: n_e = the master key length, n_a = 160 bits (HMAC-SHA1),
    # n_s = 112 bits
    if label in _AUTHENTICATION_LABELS:
        return 20
    if label in _SALT_LABELS:
        return 14
    return len(master_key)


def srtp_prf(master_key: bytes, master_salt: bytes, label: int, index: int, kdr: int, length: int) -> bytes:
    # RFC 3711 §4.3.1: r = index DIV key_derivation_rate (a DIV 0 = 0); key_id = <label> || r, with r
    # 48 bits; x = key_id XOR master_salt (right-aligned); the key is AES-CM keystream with IV = x * 2^16.
    r = index // kdr if kdr else 0
    x = ((label << 48) | r) ^ int.from_bytes(master_salt, "big")
    return _kdf.aes_ctr_keystream(master_key, (x << 16).to_bytes(16, "big"), length)


# ------------------------------------------------------------------------------------------ IKEv2


def prf_plus(digest: str, key: bytes, seed: bytes, length: int) -> bytes:
    # RFC 7296 §2.13: prf+ (K,S) = T1 | T2 | T3 | T4 | ...  where T1 = prf (K, S | 0x01),
    # T2 = prf (K, T1 | S | 0x02), ...; "not defined beyond 255 times the size of the prf output"
    mac = _kdf.hmac_keyed(digest, key)
    out = bytearray()
    t = b""
    for n in range(1, 256):
        if len(out) >= length:
            break
        t = mac(t + seed + bytes([n]))
        out += t
    return bytes(out[:length])
