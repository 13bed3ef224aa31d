"""Sealed data at rest: round trips, key rotation without re-encryption, and every kind of tampering."""

from __future__ import annotations

import io

import pytest
from cryptography.hazmat.primitives import keywrap
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from fipscrypto import aead, rand, seal
from fipscrypto.errors import AuthenticationError, FipsError, InvalidParameter

KEYS = {"kek-2026": rand.random_bytes(32), "kek-2027": rand.random_bytes(32)}


def test_blob_round_trip_with_aad() -> None:
    envelope = seal.seal(b"patient record", key_id="kek-2026", kek=KEYS["kek-2026"], aad=b"row 17")
    assert envelope.startswith(b"FCSEAL\x01")
    assert b"patient record" not in envelope
    assert seal.unseal(envelope, KEYS, aad=b"row 17") == b"patient record"
    assert seal.unseal(envelope, KEYS.__getitem__, aad=b"row 17") == b"patient record"
    with pytest.raises(AuthenticationError):
        seal.unseal(envelope, KEYS, aad=b"row 18")


def test_rotation_rewraps_without_reencrypting() -> None:
    envelope = seal.seal(b"config", key_id="kek-2026", kek=KEYS["kek-2026"])
    rotated = seal.rewrap(envelope, KEYS, key_id="kek-2027", kek=KEYS["kek-2027"])
    assert rotated.endswith(envelope[-(12 + 6 + 16) :])  # nonce and ciphertext unchanged
    assert b"kek-2027" in rotated
    assert seal.unseal(rotated, {"kek-2027": KEYS["kek-2027"]}) == b"config"
    with pytest.raises(InvalidParameter, match="no key-encryption key 'kek-2026'"):
        seal.unseal(envelope, {"kek-2027": KEYS["kek-2027"]})


@pytest.mark.parametrize("size", [0, 1, aead._IN_PLACE - 1, aead._IN_PLACE, aead._IN_PLACE + 17])
def test_blob_layout_is_the_same_below_and_above_in_place_encryption(size: int) -> None:
    """Small messages are copied once, large ones encrypted in place: both give the documented layout,
    which cryptography's own AES-GCM and AES-KWP open."""
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    envelope = seal.seal(data, key_id="k1", kek=KEYS["kek-2026"], aad=b"row")
    assert type(envelope) is bytearray
    wrapped_len = int.from_bytes(envelope[10:12], "big")
    assert envelope[:10] == b"FCSEAL\x01\x02k1"
    dek = keywrap.aes_key_unwrap_with_padding(KEYS["kek-2026"], bytes(envelope[12 : 12 + wrapped_len]))
    body = envelope[12 + wrapped_len :]
    assert len(body) == 12 + size + 16
    assert AESGCM(dek).decrypt(bytes(body[:12]), bytes(body[12:]), b"FCSEAL\x01row") == data


def test_every_bit_flip_and_truncation_is_rejected() -> None:
    envelope = seal.seal(b"secret", key_id="k", kek=KEYS["kek-2026"])
    keys = {"k": KEYS["kek-2026"]}
    for position in range(len(envelope)):
        tampered = bytearray(envelope)
        tampered[position] ^= 0x01
        with pytest.raises(FipsError):  # InvalidParameter (structure) or AuthenticationError (content)
            seal.unseal(bytes(tampered), keys)
    for cut in range(len(envelope)):
        with pytest.raises((InvalidParameter, AuthenticationError)):
            seal.unseal(envelope[:cut], keys)


def test_wrong_kek_is_an_authentication_error() -> None:
    envelope = seal.seal(b"x", key_id="k", kek=KEYS["kek-2026"])
    with pytest.raises(AuthenticationError):
        seal.unseal(envelope, {"k": KEYS["kek-2027"]})


def _stream(data: bytes, chunk: int) -> bytes:
    out = io.BytesIO()
    seal.seal_stream(io.BytesIO(data), out, key_id="kek-2026", kek=KEYS["kek-2026"], aad=b"f", chunk=chunk)
    return out.getvalue()


def _unstream(sealed: bytes, keys: dict[str, bytes] = KEYS) -> bytes:
    out = io.BytesIO()
    seal.unseal_stream(io.BytesIO(sealed), out, keys, aad=b"f")
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, 99, 100, 101, 1000, 250_000])
def test_stream_round_trip(size: int) -> None:
    data = rand.random_bytes(size) if size else b""
    assert _unstream(_stream(data, 100 if size < 5000 else seal.CHUNK)) == data


def test_stream_truncation_reordering_and_flips_are_rejected() -> None:
    data = bytes(range(256)) * 4  # 1024 bytes
    sealed = _stream(data, 100)
    header = len(sealed) - (10 * (100 + 16) + (24 + 16))  # 10 full chunks, then 24 bytes and a tag
    chunk = 100 + 16
    body = sealed[header:]
    chunks = [body[i : i + chunk] for i in range(0, len(body), chunk)]
    assert len(chunks) == 11
    # Cut at a chunk boundary: the new last chunk was sealed as "not last".
    with pytest.raises(AuthenticationError):
        _unstream(sealed[: header + 5 * chunk])
    # Swap two chunks.
    swapped = sealed[:header] + chunks[1] + chunks[0] + b"".join(chunks[2:])
    with pytest.raises(AuthenticationError):
        _unstream(swapped)
    # Drop the last chunk.
    with pytest.raises(AuthenticationError):
        _unstream(sealed[:header] + b"".join(chunks[:-1]))
    # Flip a byte in the middle.
    flipped = bytearray(sealed)
    flipped[header + 3 * chunk + 7] ^= 0x80
    with pytest.raises(AuthenticationError):
        _unstream(bytes(flipped))


def test_stream_header_can_be_rotated() -> None:
    sealed = _stream(b"large file" * 500, 64)
    rotated = seal.rewrap(sealed, KEYS, key_id="kek-2027", kek=KEYS["kek-2027"])
    assert _unstream(rotated, {"kek-2027": KEYS["kek-2027"]}) == b"large file" * 500


@settings(deadline=None, max_examples=200)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_rejected_with_typed_errors(blob: bytes) -> None:
    with pytest.raises(FipsError):
        seal.unseal(blob, KEYS)
    with pytest.raises(FipsError):
        _unstream(blob)
