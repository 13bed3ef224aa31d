"""The TLS key derivations of SP 800-135 r1 §4.2.

The TLS 1.0-1.2 PRF (with the extended master secret, RFC 7627) and the TLS 1.3 key schedule
(RFC 8446 §7).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .._backend import kdf as _kdf
from .._service import record
from ..errors import InvalidParameter
from ._common import (
    authorize_kdf,
    digest_length,
    positive,
)

# ---------------------------------------------------------------------------------- TLS 1.0-1.2

# Hashes each protocol KDF is defined with (wider requests are refused as invalid parameters).
TLS12_HASHES = ("sha256", "sha384", "sha512")  # SP 800-135 r1 §4.2.2
TLS13_HASHES = ("sha256", "sha384")  # RFC 8446 Appendix B.4 cipher suites
_EMS_LABEL = b"extended master secret"  # RFC 7627 §4


def _p_hash(mac: Callable[[bytes], bytes], seed: bytes, length: int) -> bytes:
    # RFC 5246 §5: P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) + HMAC_hash(secret, A(2) + seed)
    # + ...;  A(0) = seed, A(i) = HMAC_hash(secret, A(i-1))
    out = bytearray()
    a = seed
    while len(out) < length:
        a = mac(a)
        out += mac(a + seed)
    return bytes(out[:length])


def tls12_prf(secret: bytes, label: bytes, seed: bytes, length: int, hash: str = "sha256") -> bytes:
    """TLS 1.2 PRF: PRF(secret, label, seed) = P_<hash>(secret, label + seed) (RFC 5246 §5)."""
    digest_length(hash, TLS12_HASHES, " for the TLS 1.2 PRF (SP 800-135 r1 §4.2.2)")
    if not label:
        raise InvalidParameter("the TLS PRF label must not be empty (RFC 5246 §5: an ASCII string)")
    positive("length", length, 2**16, "a TLS key block or secret")
    approved = authorize_kdf("kdf.tls12_prf", "tls12-prf", hash)
    out = _p_hash(_kdf.hmac_keyed(hash, secret), label + seed, length)
    record("kdf.tls12_prf", f"tls12-prf-{hash}", approved)
    return out


def tls10_prf(secret: bytes, label: bytes, seed: bytes, length: int) -> bytes:
    """TLS 1.0/1.1 PRF = P_MD5(S1, label + seed) XOR P_SHA-1(S2, label + seed) (RFC 2246 §5).

    SP 800-135 r1 approves it inside TLS 1.0/1.1, but the FIPS provider does not offer MD5, so under
    it this service raises :class:`~fipscrypto.errors.AlgorithmUnavailable` before computing.
    """
    if not label:
        raise InvalidParameter("the TLS PRF label must not be empty (RFC 2246 §5: an ASCII string)")
    positive("length", length, 2**16, "a TLS key block or secret")
    approved = authorize_kdf("kdf.tls10_prf", "tls10-prf", "sha1")
    # RFC 2246 §5: "L_S = length in bytes of secret; L_S1 = L_S2 = ceil(L_S / 2);" S1 is the first
    # half and S2 the second half of the secret; they share a byte when L_S is odd.
    half = -(-len(secret) // 2)
    s1, s2 = secret[:half], secret[len(secret) - half :]
    md5_half = _p_hash(_kdf.hmac_keyed("md5", s1), label + seed, length)  # refused by the FIPS provider
    sha1_half = _p_hash(_kdf.hmac_keyed("sha1", s2), label + seed, length)
    out = bytes(x ^ y for x, y in zip(md5_half, sha1_half, strict=True))
    record("kdf.tls10_prf", "tls10-prf", approved)
    return out


def tls12_master_secret(
    pre_master_secret: bytes,
    session_hash: bytes = b"",
    *,
    ems: bool = True,
    client_random: bytes = b"",
    server_random: bytes = b"",
    hash: str = "sha256",
) -> bytes:
    """The 48-byte TLS 1.2 master secret, extended (RFC 7627 §4, the default) or classic (RFC 5246 §8.1).

    ``ems=True`` needs ``session_hash`` (the hash of the handshake messages); ``ems=False`` needs the
    two 32-byte hello randoms instead.
    """
    hash_len = digest_length(hash, TLS12_HASHES, " for the TLS 1.2 PRF (SP 800-135 r1 §4.2.2)")
    if not pre_master_secret:
        raise InvalidParameter("the pre-master secret must not be empty")
    if ems:
        # RFC 7627 §3: session_hash = Hash(handshake_messages), with the hash of the PRF
        if len(session_hash) != hash_len or client_random or server_random:
            raise InvalidParameter(f"EMS takes a {hash_len}-byte session hash and no randoms (RFC 7627 §3)")
        # RFC 7627 §4: master_secret = PRF(pre_master_secret, "extended master secret", session_hash)[0..47]
        label, seed = _EMS_LABEL, session_hash
    else:
        if len(client_random) != 32 or len(server_random) != 32 or session_hash:
            raise InvalidParameter("the classic master secret takes two 32-byte randoms (RFC 5246 §7.4.1.2)")
        # RFC 5246 §8.1: master_secret = PRF(pre_master_secret, "master secret",
        #                                    ClientHello.random + ServerHello.random)[0..47]
        label, seed = b"master secret", client_random + server_random
    approved = authorize_kdf("kdf.tls12_master_secret", "tls12-prf", hash)
    out = _master_secret(hash, pre_master_secret, label, seed)
    record("kdf.tls12_master_secret", f"tls12-prf-{hash}{'-ems' if ems else ''}", approved)
    return out


def _master_secret(hash: str, pre_master_secret: bytes, label: bytes, seed: bytes) -> bytes:
    """PRF(pre_master_secret, label, seed)[0..47], unchecked (the power-on self-test calls it too)."""
    return _p_hash(_kdf.hmac_keyed(hash, pre_master_secret), label + seed, 48)


def tls12_key_block(
    master_secret: bytes, *, server_random: bytes, client_random: bytes, length: int, hash: str = "sha256"
) -> bytes:
    """The TLS 1.2 key block (RFC 5246 §6.3), to be split into MAC keys, write keys and IVs."""
    digest_length(hash, TLS12_HASHES, " for the TLS 1.2 PRF (SP 800-135 r1 §4.2.2)")
    if len(master_secret) != 48:
        raise InvalidParameter("the master secret is 48 bytes (RFC 5246 §8.1)")
    if len(client_random) != 32 or len(server_random) != 32:
        raise InvalidParameter("the hello randoms are 32 bytes (RFC 5246 §7.4.1.2)")
    positive("length", length, 2**16, "a TLS key block")
    approved = authorize_kdf("kdf.tls12_key_block", "tls12-prf", hash)
    out = _key_block(hash, master_secret, server_random, client_random, length)
    record("kdf.tls12_key_block", f"tls12-prf-{hash}", approved)
    return out


def _key_block(
    hash: str, master_secret: bytes, server_random: bytes, client_random: bytes, length: int
) -> bytes:
    """The key block, unchecked (the power-on self-test calls it too)."""
    # RFC 5246 §6.3: key_block = PRF(SecurityParameters.master_secret, "key expansion",
    #                                SecurityParameters.server_random + SecurityParameters.client_random)
    return _p_hash(
        _kdf.hmac_keyed(hash, master_secret), b"key expansion" + server_random + client_random, length
    )


# ---------------------------------------------------------------------------------------- TLS 1.3


def _expand_label(hash: str, secret: bytes, label: bytes, context: bytes, length: int) -> bytes:
    # RFC 8446 §7.1: HKDF-Expand-Label(Secret, Label, Context, Length) =
    #   HKDF-Expand(Secret, HkdfLabel, Length)
    #   struct { uint16 length = Length; opaque label<7..255> = "tls13 " + Label;
    #            opaque context<0..255> = Context; } HkdfLabel;
    full = b"tls13 " + label
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + bytes([len(context)]) + context
    return _kdf.hkdf_expand(hash, secret, info, length)


def _derive_secret(hash: str, secret: bytes, label: bytes, messages: bytes) -> bytes:
    # RFC 8446 §7.1: Derive-Secret(Secret, Label, Messages) =
    #   HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages), Hash.length)
    transcript = _kdf.hash_bytes(hash, messages)
    return _expand_label(hash, secret, label, transcript, len(transcript))


def _tls13_check(hash: str, secret: bytes, label: bytes, length: int) -> None:
    hash_len = digest_length(hash, TLS13_HASHES, " for TLS 1.3 (RFC 8446 Appendix B.4)")
    if len(secret) < hash_len:
        raise InvalidParameter(f"the secret must be at least Hash.length = {hash_len} bytes (RFC 5869 §2.3)")
    if not 1 <= len(label) <= 255 - 6:
        raise InvalidParameter('the label is 1..249 bytes (RFC 8446 §7.1: "tls13 " + Label is 7..255)')
    positive("length", length, min(2**16 - 1, 255 * hash_len), "RFC 8446 §7.1 uint16, RFC 5869 §2.3")


def hkdf_expand_label(
    secret: bytes, label: bytes, context: bytes, length: int, *, hash: str = "sha256"
) -> bytes:
    """HKDF-Expand-Label (RFC 8446 §7.1); ``label`` without the ``"tls13 "`` prefix."""
    _tls13_check(hash, secret, label, length)
    if len(context) > 255:
        raise InvalidParameter("the context is at most 255 bytes (RFC 8446 §7.1)")
    approved = authorize_kdf("kdf.hkdf_expand_label", "tls13-kdf", hash)
    out = _expand_label(hash, secret, label, context, length)
    record("kdf.hkdf_expand_label", f"tls13-kdf-{hash}", approved)
    return out


def derive_secret(secret: bytes, label: bytes, messages: bytes, *, hash: str = "sha256") -> bytes:
    """Derive-Secret(Secret, Label, Messages) (RFC 8446 §7.1); ``messages`` is the handshake transcript."""
    _tls13_check(hash, secret, label, 1)
    approved = authorize_kdf("kdf.derive_secret", "tls13-kdf", hash)
    out = _derive_secret(hash, secret, label, messages)
    record("kdf.derive_secret", f"tls13-kdf-{hash}", approved)
    return out


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


def tls13_key_schedule(
    *,
    client_hello: bytes,
    server_hello: bytes,
    server_flight: bytes,
    client_flight: bytes,
    psk: bytes | None = None,
    dhe: bytes | None = None,
    hash: str = "sha256",
) -> Tls13Secrets:
    """The TLS 1.3 key schedule of RFC 8446 §7.1 from the PSK and/or (EC)DHE shared secret.

    The transcript is given in four pieces, each the handshake messages of one span:
    ``client_hello``; ``server_hello``; ``server_flight`` (EncryptedExtensions .. server Finished);
    ``client_flight`` (client Certificate .. client Finished). Without a PSK or without (EC)DHE,
    RFC 8446 §7.1 uses "a string of Hash.length bytes set to zeros" in its place.
    """
    digest_length(hash, TLS13_HASHES, " for TLS 1.3 (RFC 8446 Appendix B.4)")
    if psk is None and dhe is None:
        raise InvalidParameter("the key schedule needs a PSK, an (EC)DHE shared secret, or both")
    if psk == b"" or dhe == b"":
        raise InvalidParameter("an empty PSK or shared secret: pass None for one that is not in use")
    approved = authorize_kdf("kdf.tls13_key_schedule", "tls13-kdf", hash)
    secrets = _key_schedule(hash, psk, dhe, (client_hello, server_hello, server_flight, client_flight))
    record("kdf.tls13_key_schedule", f"tls13-kdf-{hash}", approved)
    return secrets


def _key_schedule(
    hash: str, psk: bytes | None, dhe: bytes | None, flights: tuple[bytes, bytes, bytes, bytes]
) -> Tls13Secrets:
    """The key schedule, unchecked (the power-on self-test calls it too); ``flights`` is the
    transcript in the four pieces :func:`tls13_key_schedule` takes, in its order."""
    zeros = bytes(_kdf.digest_size(hash))
    client_hello, server_hello, server_flight, client_flight = flights
    th_ch = client_hello
    th_sh = th_ch + server_hello
    th_sf = th_sh + server_flight
    th_cf = th_sf + client_flight
    # RFC 8446 §7.1: Early Secret = HKDF-Extract(0, PSK); Handshake Secret = HKDF-Extract(
    #   Derive-Secret(Early Secret, "derived", ""), (EC)DHE); Master Secret = HKDF-Extract(
    #   Derive-Secret(Handshake Secret, "derived", ""), 0)
    early = _kdf.hkdf_extract(hash, zeros, psk if psk is not None else zeros)
    handshake = _kdf.hkdf_extract(hash, _derive_secret(hash, early, b"derived", b""), dhe or zeros)
    master = _kdf.hkdf_extract(hash, _derive_secret(hash, handshake, b"derived", b""), zeros)
    return Tls13Secrets(
        early_secret=early,
        client_early_traffic_secret=_derive_secret(hash, early, b"c e traffic", th_ch),
        early_exporter_master_secret=_derive_secret(hash, early, b"e exp master", th_ch),
        handshake_secret=handshake,
        client_handshake_traffic_secret=_derive_secret(hash, handshake, b"c hs traffic", th_sh),
        server_handshake_traffic_secret=_derive_secret(hash, handshake, b"s hs traffic", th_sh),
        master_secret=master,
        client_application_traffic_secret_0=_derive_secret(hash, master, b"c ap traffic", th_sf),
        server_application_traffic_secret_0=_derive_secret(hash, master, b"s ap traffic", th_sf),
        exporter_master_secret=_derive_secret(hash, master, b"exp master", th_sf),
        resumption_master_secret=_derive_secret(hash, master, b"res master", th_cf),
    )
