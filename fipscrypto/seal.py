"""Sealed data at rest: a versioned envelope of AES-256-GCM data under an AES-KWP-wrapped data key.

Each envelope has its own random 256-bit data key (DEK), wrapped with AES-KWP (SP 800-38F §6.3)
under a key-encryption key (KEK) named by a key id. Rotating the KEK re-wraps the DEK and leaves the
encrypted data as it is: the GCM additional data covers the format, the nonce and the caller's AAD,
not the key id or the wrapped key, whose integrity AES-KWP checks itself.

Blob format (version 1)::

    "FCSEAL" | 0x01 | len(key_id) u8 | key_id | len(wrapped) u16 | wrapped DEK | nonce (12) | ct || tag

Stream format (version 2), for large files in bounded memory::

    "FCSEAL" | 0x02 | len(key_id) u8 | key_id | len(wrapped) u16 | wrapped DEK | prefix (7) | chunk size u32
    then chunks of ciphertext || tag; chunk i uses nonce = prefix || i (u32) || last (0x00 or 0x01)

A chunk's nonce carries its index and whether it is the last one, so chunks cannot be reordered,
dropped or cut off without the GCM check failing (the STREAM construction of Hoang, Reyhanitabar,
Rogaway and Vizár). Malformed input and wrong types raise InvalidParameter, tampered input
AuthenticationError.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from typing import BinaryIO

from . import aead, rand
from ._params import BYTES, byte_string, integer
from .errors import AuthenticationError, InvalidParameter

__all__ = ["CHUNK", "rewrap", "seal", "seal_stream", "unseal", "unseal_stream"]

MAGIC = b"FCSEAL"
BLOB, STREAM = 1, 2
_BLOB_AAD = MAGIC + bytes([BLOB])  # what a blob's GCM additional data starts with
CHUNK = 1 << 16
_MAX_CHUNK = 1 << 24
_TAG = 16

KeyLookup = Mapping[str, bytes] | Callable[[str], bytes]


def _lookup(keys: object) -> None:
    if not isinstance(keys, Mapping) and not callable(keys):
        raise InvalidParameter("keys is a mapping or a function from key ids to key-encryption keys")


def _kek(keys: KeyLookup, key_id: str) -> bytes:
    try:
        return keys[key_id] if isinstance(keys, Mapping) else keys(key_id)
    except KeyError:
        raise InvalidParameter(f"no key-encryption key {key_id!r}") from None


def _key_id(key_id: object) -> bytes:
    """The key id as UTF-8, checked before any work."""
    if not isinstance(key_id, str):
        raise InvalidParameter(f"a key id is a str, not {type(key_id).__name__}")
    try:
        name = key_id.encode()
    except UnicodeEncodeError:
        raise InvalidParameter("a key id must encode as UTF-8 (no lone surrogates)") from None
    if not 1 <= len(name) <= 255:
        raise InvalidParameter("a key id is 1..255 bytes of UTF-8")
    return name


def _header(version: int, name: bytes, wrapped: bytes) -> bytes:
    return MAGIC + bytes([version, len(name)]) + name + struct.pack(">H", len(wrapped)) + wrapped


def _parse(data: bytes) -> tuple[int, str, bytes, int]:
    """(version, key id, wrapped DEK, offset of what follows); InvalidParameter if malformed."""
    data = byte_string("the envelope", data)
    if len(data) < 10 or not data.startswith(MAGIC):
        raise InvalidParameter("not a sealed envelope (bad magic or truncated header)")
    version, name_len = data[6], data[7]
    if version not in (BLOB, STREAM):
        raise InvalidParameter(f"unknown envelope version {version}")
    end = 8 + name_len
    if len(data) < end + 2:
        raise InvalidParameter("truncated header")
    (wrapped_len,) = struct.unpack(">H", data[end : end + 2])
    wrapped = data[end + 2 : end + 2 + wrapped_len]
    if len(wrapped) != wrapped_len:
        raise InvalidParameter("truncated header")
    try:
        key_id = data[8:end].decode()
    except UnicodeDecodeError:
        raise InvalidParameter("the key id is not UTF-8") from None
    return version, key_id, wrapped, end + 2 + wrapped_len


def seal(data: bytes, *, key_id: str, kek: bytes, aad: bytes = b"") -> bytearray:
    """Encrypt ``data`` under a fresh data key wrapped with ``kek`` (named ``key_id``).

    The envelope is a bytearray. From 32 KiB on, the ciphertext is written into it in place, so
    sealing ``n`` bytes allocates ``n`` bytes and a header, and copies nothing; a smaller message is
    copied once."""
    name, aad, kek = _key_id(key_id), byte_string("aad", aad), aead._kek(kek)
    if not isinstance(data, BYTES):
        raise InvalidParameter(f"data must be bytes, not {type(data).__name__}")
    dek = rand.random_bytes(32)
    header = _header(BLOB, name, aead._wrap_pad(kek, dek))
    return aead._encrypt_once(dek, header, data, aad=_BLOB_AAD + aad)


def unseal(envelope: bytes, keys: KeyLookup, *, aad: bytes = b"") -> bytes:
    """Decrypt a blob envelope; ``keys`` maps key ids to KEKs (a mapping or a function)."""
    _lookup(keys)
    aad = byte_string("aad", aad)
    version, key_id, wrapped, offset = _parse(envelope)
    if version != BLOB:
        raise InvalidParameter("a stream envelope: use unseal_stream")
    body = envelope[offset:]
    if len(body) < aead.NONCE_SIZE + _TAG:
        raise InvalidParameter("truncated envelope")
    dek = aead.unwrap_pad(_kek(keys, key_id), wrapped)
    nonce, sealed = body[: aead.NONCE_SIZE], body[aead.NONCE_SIZE :]
    return aead.AESGCM(dek).decrypt(nonce, sealed, aad=_BLOB_AAD + aad)


def rewrap(envelope: bytes, keys: KeyLookup, *, key_id: str, kek: bytes) -> bytes:
    """The same envelope with its data key re-wrapped under a new KEK; the data is not re-encrypted.

    Works for blob envelopes and for the header of a stream (pass the header or the whole file)."""
    _lookup(keys)
    name = _key_id(key_id)
    version, old_id, wrapped, offset = _parse(envelope)
    dek = aead.unwrap_pad(_kek(keys, old_id), wrapped)
    return _header(version, name, aead.wrap_pad(kek, dek)) + bytes(envelope[offset:])


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    if index >= 1 << 32:
        raise InvalidParameter("a stream holds at most 2**32 chunks")
    return prefix + struct.pack(">IB", index, last)


def seal_stream(
    source: BinaryIO, target: BinaryIO, *, key_id: str, kek: bytes, aad: bytes = b"", chunk: int = CHUNK
) -> None:
    """Encrypt ``source`` into ``target`` chunk by chunk; memory stays around two chunks."""
    integer("chunk (bytes, up to 16 MiB)", chunk, 1, _MAX_CHUNK)
    name, aad = _key_id(key_id), byte_string("aad", aad)
    _files(source, target)
    dek = rand.random_bytes(32)
    prefix = rand.random_bytes(7)
    head = _header(STREAM, name, aead.wrap_pad(kek, dek)) + prefix + struct.pack(">I", chunk)
    target.write(head)
    gcm = aead.AESGCM(dek, nonces="explicit")
    extra = MAGIC + bytes([STREAM]) + prefix + struct.pack(">I", chunk) + aad
    index, block = 0, source.read(chunk)
    while True:
        following = source.read(chunk)
        last = not following
        target.write(gcm.encrypt_with_nonce(_nonce(prefix, index, last), block, aad=extra))
        if last:
            return
        index, block = index + 1, following


def _files(source: object, target: object) -> None:
    if not callable(getattr(source, "read", None)) or not callable(getattr(target, "write", None)):
        raise InvalidParameter("source is a binary file open for reading, target one open for writing")


def _read(source: BinaryIO, length: int) -> bytes:
    data = _chunk(source, length)
    if len(data) != length:
        raise InvalidParameter("not a sealed envelope (truncated header)")
    return data


def _chunk(source: BinaryIO, length: int) -> bytes:
    data = source.read(length)
    if not isinstance(data, bytes):
        raise InvalidParameter("source must be a binary file (its read() returns bytes)")
    return data


def unseal_stream(source: BinaryIO, target: BinaryIO, keys: KeyLookup, *, aad: bytes = b"") -> None:
    """Decrypt a stream envelope. On any failure, what was written so far must be discarded."""
    _lookup(keys)
    _files(source, target)
    aad = byte_string("aad", aad)
    head = _read(source, 8)  # magic, version, key id length
    head += _read(source, head[7] + 2)  # key id, wrapped-key length
    (wrapped_len,) = struct.unpack(">H", head[-2:])
    header = head + _read(source, wrapped_len + 11)  # wrapped key, nonce prefix, chunk size
    version, key_id, wrapped, offset = _parse(header)
    if version != STREAM or len(header) < offset + 11:
        raise InvalidParameter("not a stream envelope, or a truncated header")
    prefix, (chunk,) = header[offset : offset + 7], struct.unpack(">I", header[offset + 7 : offset + 11])
    if not 1 <= chunk <= _MAX_CHUNK:
        raise InvalidParameter(f"the envelope names a chunk size of {chunk} bytes (1 .. 16 MiB)")
    dek = aead.unwrap_pad(_kek(keys, key_id), wrapped)
    gcm = aead.AESGCM(dek)
    extra = MAGIC + bytes([STREAM]) + prefix + struct.pack(">I", chunk) + aad
    index, block = 0, _chunk(source, chunk + _TAG)
    while True:
        if len(block) < _TAG:
            raise AuthenticationError("the stream ends before its last chunk")
        following = _chunk(source, chunk + _TAG)
        last = not following
        target.write(gcm.decrypt(_nonce(prefix, index, last), block, aad=extra))
        if last:
            return
        index, block = index + 1, following
