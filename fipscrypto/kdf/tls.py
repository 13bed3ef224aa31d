"""The TLS key derivations of SP 800-135 r1 §4.2.

The TLS 1.0-1.2 PRF (with the extended master secret, RFC 7627) and the TLS 1.3 key schedule
(RFC 8446 §7.1).
"""

from __future__ import annotations

from .._backend import kdf as _kdf
from .._params import optional_bytes
from .._service import record
from ..errors import InvalidParameter
from . import _core
from ._common import byte_string, digest_length, positive, require_kdf, secret
from ._core import Tls13Secrets

__all__ = [
    "TLS12_HASHES",
    "TLS13_HASHES",
    "Tls13Secrets",
    "derive_secret",
    "hkdf_expand_label",
    "tls10_prf",
    "tls12_key_block",
    "tls12_master_secret",
    "tls12_prf",
    "tls13_key_schedule",
]

# ---------------------------------------------------------------------------------- TLS 1.0-1.2

# Hashes each protocol KDF is defined with (wider requests are refused as invalid parameters).
TLS12_HASHES = ("sha256", "sha384", "sha512")  # SP 800-135 r1 §4.2.2
TLS13_HASHES = ("sha256", "sha384")  # RFC 8446 Appendix B.4 cipher suites
_TLS12_RULE = " for the TLS 1.2 PRF (SP 800-135 r1 §4.2.2)"


def _label(label: object, rfc: str) -> bytes:
    label = byte_string("label", label)
    if not label:
        raise InvalidParameter(f"the TLS PRF label must not be empty ({rfc} §5: an ASCII string)")
    return label


def tls12_prf(secret: bytes, label: bytes, seed: bytes, *, length: int, digest: str = "sha256") -> bytes:
    """TLS 1.2 PRF: PRF(secret, label, seed) = P_<digest>(secret, label + seed) (RFC 5246 §5)."""
    digest_length(digest, TLS12_HASHES, _TLS12_RULE)
    secret, label, seed = byte_string("secret", secret), _label(label, "RFC 5246"), byte_string("seed", seed)
    positive("length", length, 2**16, "a TLS key block or secret")
    approved = require_kdf("kdf.tls12_prf", "tls12-prf", digest, secret)
    out = _core.p_hash(_kdf.hmac_keyed(digest, secret), label + seed, length)
    record("kdf.tls12_prf", f"tls12-prf-{digest}", approved)
    return out


def tls10_prf(secret: bytes, label: bytes, seed: bytes, *, length: int) -> bytes:
    """TLS 1.0/1.1 PRF = P_MD5(S1, label + seed) XOR P_SHA-1(S2, label + seed) (RFC 2246 §5).

    SP 800-135 r1 approves it inside TLS 1.0/1.1, but the FIPS provider does not offer MD5, so under
    it this service raises :class:`~fipscrypto.errors.AlgorithmUnavailable` before computing.
    """
    secret, label, seed = byte_string("secret", secret), _label(label, "RFC 2246"), byte_string("seed", seed)
    positive("length", length, 2**16, "a TLS key block or secret")
    approved = require_kdf("kdf.tls10_prf", "tls10-prf", "sha1", secret)
    # RFC 2246 §5: "L_S = length in bytes of secret; L_S1 = L_S2 = ceil(L_S / 2);" S1 is the first
    # half and S2 the second half of the secret; they share a byte when L_S is odd.
    half = -(-len(secret) // 2)
    s1, s2 = secret[:half], secret[len(secret) - half :]
    md5_half = _core.p_hash(_kdf.hmac_keyed("md5", s1), label + seed, length)  # refused by the provider
    sha1_half = _core.p_hash(_kdf.hmac_keyed("sha1", s2), label + seed, length)
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
    digest: str = "sha256",
) -> bytes:
    """The 48-byte TLS 1.2 master secret, extended (RFC 7627 §4, the default) or classic (RFC 5246 §8.1).

    ``ems=True`` needs ``session_hash`` (the hash of the handshake messages); ``ems=False`` needs the
    two 32-byte hello randoms instead.
    """
    hash_len = digest_length(digest, TLS12_HASHES, _TLS12_RULE)
    pre_master_secret = secret("the pre-master secret", pre_master_secret)
    session_hash = byte_string("session_hash", session_hash)
    client_random = byte_string("client_random", client_random)
    server_random = byte_string("server_random", server_random)
    if ems is True:
        # RFC 7627 §3: session_hash = Hash(handshake_messages), with the hash of the PRF
        if len(session_hash) != hash_len or client_random or server_random:
            raise InvalidParameter(f"EMS takes a {hash_len}-byte session hash and no randoms (RFC 7627 §3)")
        # RFC 7627 §4: master_secret = PRF(pre_master_secret, "extended master secret", session_hash)[0..47]
        label, seed = _core.EMS_LABEL, session_hash
    elif ems is False:
        if len(client_random) != 32 or len(server_random) != 32 or session_hash:
            raise InvalidParameter("the classic master secret takes two 32-byte randoms (RFC 5246 §7.4.1.2)")
        # RFC 5246 §8.1: master_secret = PRF(pre_master_secret, "master secret",
        #                                    ClientHello.random + ServerHello.random)[0..47]
        label, seed = b"master secret", client_random + server_random
    else:
        raise InvalidParameter("ems is True or False")
    approved = require_kdf("kdf.tls12_master_secret", "tls12-prf", digest, pre_master_secret)
    out = _core.master_secret(digest, pre_master_secret, label, seed)
    record("kdf.tls12_master_secret", f"tls12-prf-{digest}{'-ems' if ems else ''}", approved)
    return out


def tls12_key_block(
    master_secret: bytes, *, server_random: bytes, client_random: bytes, length: int, digest: str = "sha256"
) -> bytes:
    """The TLS 1.2 key block (RFC 5246 §6.3), to be split into MAC keys, write keys and IVs."""
    digest_length(digest, TLS12_HASHES, _TLS12_RULE)
    master_secret = byte_string("master_secret", master_secret)
    client_random = byte_string("client_random", client_random)
    server_random = byte_string("server_random", server_random)
    if len(master_secret) != 48:
        raise InvalidParameter("the master secret is 48 bytes (RFC 5246 §8.1)")
    if len(client_random) != 32 or len(server_random) != 32:
        raise InvalidParameter("the hello randoms are 32 bytes (RFC 5246 §7.4.1.2)")
    positive("length", length, 2**16, "a TLS key block")
    approved = require_kdf("kdf.tls12_key_block", "tls12-prf", digest, master_secret)
    out = _core.key_block(digest, master_secret, server_random, client_random, length)
    record("kdf.tls12_key_block", f"tls12-prf-{digest}", approved)
    return out


# ---------------------------------------------------------------------------------------- TLS 1.3


def _tls13_check(digest: str, secret: object, label: object, length: object) -> tuple[bytes, bytes]:
    hash_len = digest_length(digest, TLS13_HASHES, " for TLS 1.3 (RFC 8446 Appendix B.4)")
    secret, label = byte_string("secret", secret), byte_string("label", label)
    if len(secret) < hash_len:
        raise InvalidParameter(f"the secret must be at least Hash.length = {hash_len} bytes (RFC 5869 §2.3)")
    if not 1 <= len(label) <= 255 - 6:
        raise InvalidParameter('the label is 1..249 bytes (RFC 8446 §7.1: "tls13 " + Label is 7..255)')
    positive("length", length, min(2**16 - 1, 255 * hash_len), "RFC 8446 §7.1 uint16, RFC 5869 §2.3")
    return secret, label


def hkdf_expand_label(
    secret: bytes, label: bytes, context: bytes, *, length: int, digest: str = "sha256"
) -> bytes:
    """HKDF-Expand-Label (RFC 8446 §7.1); ``label`` without the ``"tls13 "`` prefix."""
    secret, label = _tls13_check(digest, secret, label, length)
    context = byte_string("context", context)
    if len(context) > 255:
        raise InvalidParameter("the context is at most 255 bytes (RFC 8446 §7.1)")
    approved = require_kdf("kdf.hkdf_expand_label", "tls13-kdf", digest, secret)
    out = _core.expand_label(digest, secret, label, context, length)
    record("kdf.hkdf_expand_label", f"tls13-kdf-{digest}", approved)
    return out


def derive_secret(secret: bytes, label: bytes, messages: bytes, *, digest: str = "sha256") -> bytes:
    """Derive-Secret(Secret, Label, Messages) (RFC 8446 §7.1); ``messages`` is the handshake transcript."""
    secret, label = _tls13_check(digest, secret, label, 1)
    messages = byte_string("messages", messages)
    approved = require_kdf("kdf.derive_secret", "tls13-kdf", digest, secret)
    out = _core.derive_secret(digest, secret, label, messages)
    record("kdf.derive_secret", f"tls13-kdf-{digest}", approved)
    return out


def tls13_key_schedule(
    *,
    client_hello: bytes,
    server_hello: bytes,
    server_flight: bytes,
    client_flight: bytes,
    psk: bytes | None = None,
    dhe: bytes | None = None,
    digest: str = "sha256",
) -> Tls13Secrets:
    """The TLS 1.3 key schedule of RFC 8446 §7.1 from the PSK and/or (EC)DHE shared secret.

    The transcript is given in four pieces, each the handshake messages of one span:
    ``client_hello``; ``server_hello``; ``server_flight`` (EncryptedExtensions .. server Finished);
    ``client_flight`` (client Certificate .. client Finished). Without a PSK or without (EC)DHE,
    RFC 8446 §7.1 uses "a string of Hash.length bytes set to zeros" in its place. The policy sees
    the size of the shorter secret given (each is a key-derivation key of HKDF-Extract).
    """
    digest_length(digest, TLS13_HASHES, " for TLS 1.3 (RFC 8446 Appendix B.4)")
    psk, dhe = optional_bytes("psk", psk), optional_bytes("dhe", dhe)
    flights = (
        byte_string("client_hello", client_hello),
        byte_string("server_hello", server_hello),
        byte_string("server_flight", server_flight),
        byte_string("client_flight", client_flight),
    )
    if psk is None and dhe is None:
        raise InvalidParameter("the key schedule needs a PSK, an (EC)DHE shared secret, or both")
    if psk == b"" or dhe == b"":
        raise InvalidParameter("an empty PSK or shared secret: pass None for one that is not in use")
    shorter = min((s for s in (psk, dhe) if s is not None), key=len)
    approved = require_kdf("kdf.tls13_key_schedule", "tls13-kdf", digest, shorter)
    secrets = _core.key_schedule(digest, psk, dhe, flights)
    record("kdf.tls13_key_schedule", f"tls13-kdf-{digest}", approved)
    return secrets
