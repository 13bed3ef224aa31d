"""Key derivation: HKDF, PBKDF2, SP 800-108 KBKDF and the SP 800-135 protocol KDFs.

Every function is a service: it validates its input (:class:`~fipscrypto.errors.InvalidParameter`),
passes the gate and the policy for the KDF and its hash or cipher, computes through the FIPS
provider, and records the service indicator.

* HKDF (RFC 5869, an instance of the SP 800-56C r2 two-step method) and PBKDF2 (SP 800-132) run
  in the provider through cryptography; KBKDF counter mode too, where cryptography's KBKDF fits.
* KBKDF feedback and double-pipeline modes, counter mode with the counter inside the fixed data,
  and the protocol KDFs of SP 800-135 r1 (TLS 1.0/1.2 PRF, TLS 1.3 key schedule, SRTP, IKEv2) are
  composed here from approved provider primitives (HMAC, CMAC-AES, AES-CTR): cryptography exposes
  no binding for OpenSSL's TLS1-PRF / TLS13-KDF, and the SRTP and IKEv2 KDFs are not in the FIPS
  provider at all.
* The TLS 1.0/1.1 PRF needs HMAC-MD5, which the FIPS provider refuses:
  :func:`tls10_prf` raises :class:`~fipscrypto.errors.AlgorithmUnavailable` under it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import partial
from typing import Literal

from ._backend import kdf as _kdf
from ._service import authorize, record
from .errors import AlgorithmUnavailable, InvalidParameter

__all__ = [
    "IkeSaKeys",
    "SrtpKeys",
    "SrtpLabel",
    "Tls13Secrets",
    "derive_secret",
    "hkdf",
    "hkdf_expand",
    "hkdf_expand_label",
    "hkdf_extract",
    "ikev2_child_keymat",
    "ikev2_derive_sk",
    "ikev2_prf",
    "ikev2_prf_plus",
    "ikev2_rekey_skeyseed",
    "ikev2_skeyseed",
    "kbkdf",
    "pbkdf2",
    "srtcp_session_keys",
    "srtp_kdf",
    "srtp_session_keys",
    "tls10_prf",
    "tls12_key_block",
    "tls12_master_secret",
    "tls12_prf",
    "tls13_key_schedule",
]

KbkdfMode = Literal["counter", "feedback", "double-pipeline"]
CounterLocation = Literal["before_fixed", "after_fixed", "middle_fixed", "before_iterator", "none"]

# Hashes each protocol KDF is defined with (wider requests are refused as invalid parameters).
_TLS12_HASHES = ("sha256", "sha384", "sha512")  # SP 800-135 r1 §4.2.2
_TLS13_HASHES = ("sha256", "sha384")  # RFC 8446 Appendix B.4 cipher suites
_IKEV2_HASHES = ("sha1", "sha224", "sha256", "sha384", "sha512")  # SP 800-135 r1 §4.1


# --------------------------------------------------------------------------------------- helpers


def _hash_len(name: str, allowed: Collection[str] | None = None, rule: str = "") -> int:
    """Digest size of hash ``name`` in bytes, after checking the name."""
    if name not in _kdf.HASHES or (allowed is not None and name not in allowed):
        names = ", ".join(sorted(allowed if allowed is not None else _kdf.HASHES))
        raise InvalidParameter(f"hash {name!r} is not usable here{rule} (one of: {names})")
    return _kdf.digest_size(name)


def _positive(name: str, value: int, maximum: int, why: str) -> None:
    if not 1 <= value <= maximum:
        raise InvalidParameter(f"{name} must be 1..{maximum} ({why}), got {value}")


def _authorize(service: str, kdf_name: str, hash_name: str | None) -> bool:
    """The KDF and its hash, both asked (a non-approved hash taints the whole operation)."""
    approved = authorize(service, "kdf", kdf_name)
    if hash_name is not None:
        approved = authorize(service, "hash", hash_name) and approved
    return approved


def _splice_bits(data: bytes, at_bit: int, insert: bytes) -> bytes:
    """``data`` with ``insert`` placed after its first ``at_bit`` bits (bit-granular, MSB first)."""
    total = len(data) * 8
    value = int.from_bytes(data, "big")
    head, tail = value >> (total - at_bit), value & ((1 << (total - at_bit)) - 1)
    spliced = ((head << (8 * len(insert))) | int.from_bytes(insert, "big")) << (total - at_bit) | tail
    return spliced.to_bytes(len(data) + len(insert), "big")


# ------------------------------------------------------------------------------------------ HKDF


def hkdf(
    ikm: bytes, *, length: int, salt: bytes | None = None, info: bytes = b"", hash: str = "sha256"
) -> bytes:
    """HKDF-Extract then HKDF-Expand (RFC 5869 §2; SP 800-56C r2 §5 two-step KDF with HMAC)."""
    hash_len = _hash_len(hash)
    # RFC 5869 §2.3: "L  length of output keying material in octets (<= 255*HashLen)"
    _positive("length", length, 255 * hash_len, "RFC 5869 §2.3: L <= 255*HashLen")
    approved = _authorize("kdf.hkdf", "hkdf", hash)
    okm = _kdf.hkdf(hash, ikm, salt, info, length)
    record("kdf.hkdf", f"hkdf-{hash}", approved)
    return okm


def hkdf_extract(ikm: bytes, *, salt: bytes | None = None, hash: str = "sha256") -> bytes:
    """HKDF-Extract(salt, IKM) -> PRK (RFC 5869 §2.2); no salt means HashLen zero octets."""
    _hash_len(hash)
    approved = _authorize("kdf.hkdf_extract", "hkdf", hash)
    prk = _kdf.hkdf_extract(hash, salt, ikm)
    record("kdf.hkdf_extract", f"hkdf-{hash}", approved)
    return prk


def hkdf_expand(prk: bytes, *, length: int, info: bytes = b"", hash: str = "sha256") -> bytes:
    """HKDF-Expand(PRK, info, L) -> OKM (RFC 5869 §2.3)."""
    hash_len = _hash_len(hash)
    # RFC 5869 §2.3: "PRK  a pseudorandom key of at least HashLen octets"
    if len(prk) < hash_len:
        raise InvalidParameter(f"PRK must be at least HashLen = {hash_len} bytes (RFC 5869 §2.3)")
    _positive("length", length, 255 * hash_len, "RFC 5869 §2.3: L <= 255*HashLen")
    approved = _authorize("kdf.hkdf_expand", "hkdf", hash)
    okm = _kdf.hkdf_expand(hash, prk, info, length)
    record("kdf.hkdf_expand", f"hkdf-{hash}", approved)
    return okm


# ---------------------------------------------------------------------------------------- PBKDF2


def pbkdf2(password: bytes, salt: bytes, *, iterations: int, length: int, hash: str = "sha512") -> bytes:
    """PBKDF2 with HMAC-``hash`` (SP 800-132 §5.3). Storage-policy floors are checked elsewhere."""
    hash_len = _hash_len(hash)
    # SP 800-132 §5.1: "the length of the randomly-generated portion of the salt shall be at least
    # 128 bits."
    if len(salt) < 16:
        raise InvalidParameter(f"the salt must be at least 128 bits (SP 800-132 §5.1), got {len(salt) * 8}")
    # SP 800-132 §5.2: "A minimum iteration count of 1,000 is recommended."
    if iterations < 1000:
        raise InvalidParameter(f"at least 1000 iterations are required (SP 800-132 §5.2), got {iterations}")
    # SP 800-132 §5.3: kLen <= (2^32 - 1) * hLen; keys of at least 112 bits (the FIPS provider's
    # SP 800-132 lower-bound check refuses shorter ones as well)
    if not 14 <= length <= (2**32 - 1) * hash_len:
        raise InvalidParameter(
            f"length must be 14..(2^32-1)*hLen bytes (SP 800-132 §5.3, >= 112 bits), got {length}"
        )
    approved = _authorize("kdf.pbkdf2", "pbkdf2", hash)
    key = _kdf.pbkdf2(hash, password, salt, iterations, length)
    record("kdf.pbkdf2", f"pbkdf2-hmac-{hash}", approved)
    return key


# ---------------------------------------------------------------------------------- SP 800-108


def _kbkdf_prf(prf: str, key: bytes) -> tuple[str, int]:
    """Check the PRF name and key; return the backend's PRF name (hash or "cmac-aes") and its output size."""
    if prf in ("cmac-aes", "cmac-tdea"):
        if prf == "cmac-aes" and len(key) not in (16, 24, 32):
            raise InvalidParameter("CMAC-AES key derivation keys are 16, 24 or 32 bytes")
        return prf, 16 if prf == "cmac-aes" else 8
    if not prf.startswith("hmac-"):
        raise InvalidParameter(f"unknown KBKDF PRF {prf!r} (cmac-aes, or hmac-<hash>)")
    if not key:
        raise InvalidParameter("the key derivation key must not be empty")
    hash_name = prf.removeprefix("hmac-")
    return hash_name, _hash_len(hash_name)


def _kbkdf_authorize(mode: str, prf: str, primitive: str) -> bool:
    approved = authorize("kdf.kbkdf", "kdf", f"kbkdf-{mode}")
    if primitive.startswith("cmac-"):
        approved = authorize("kdf.kbkdf", "mac", primitive) and approved
        if primitive == "cmac-tdea":  # a policy may allow it as legacy; no TDEA CMAC is bound here
            raise AlgorithmUnavailable("CMAC-TDEA is not available (TDEA is withdrawn, SP 800-67r2)")
        return approved
    return authorize("kdf.kbkdf", "hash", primitive) and approved


def kbkdf(
    key: bytes,
    *,
    length: int,
    label: bytes = b"",
    context: bytes = b"",
    fixed: bytes | None = None,
    mode: KbkdfMode = "counter",
    prf: str = "hmac-sha256",
    counter_bits: int = 32,
    location: CounterLocation = "before_fixed",
    break_bit: int | None = None,
    iv: bytes = b"",
) -> bytes:
    """SP 800-108 r1 key-based KDF in counter (§4.1), feedback (§4.2) or double-pipeline (§4.3) mode.

    The fixed input data is ``Label || 0x00 || Context || [L]_32`` (SP 800-108 r1 §5, L in bits),
    or ``fixed`` verbatim when given (then ``label`` and ``context`` must be empty).
    ``prf`` is ``"hmac-<hash>"`` or ``"cmac-aes"``. ``location`` places the counter
    ``[i]_counter_bits``: before or after the fixed data, inside it after ``break_bit`` bits
    (``"middle_fixed"``, counter mode only), or before the chaining value (``"before_iterator"``,
    feedback and double-pipeline). Feedback and double-pipeline modes may omit the counter:
    ``counter_bits=0`` with ``location="none"``. ``iv`` is the feedback mode's K(0).
    """
    if mode not in ("counter", "feedback", "double-pipeline"):
        raise InvalidParameter(f"unknown KBKDF mode {mode!r} (counter, feedback, double-pipeline)")
    if counter_bits not in (0, 8, 16, 24, 32):
        raise InvalidParameter("counter_bits must be 8, 16, 24 or 32 (or 0: no counter)")
    if (counter_bits == 0) != (location == "none"):
        raise InvalidParameter('omit the counter with counter_bits=0 and location="none" together')
    locations = {
        "counter": ("before_fixed", "after_fixed", "middle_fixed"),
        "feedback": ("before_fixed", "after_fixed", "before_iterator", "none"),
        "double-pipeline": ("before_fixed", "after_fixed", "before_iterator", "none"),
    }[mode]
    if location not in locations:
        raise InvalidParameter(f"counter location {location!r} is not defined for {mode} mode")
    if (location == "middle_fixed") != (break_bit is not None):
        raise InvalidParameter('break_bit is required with location="middle_fixed", and only then')
    if iv and mode != "feedback":
        raise InvalidParameter("an IV is used only in feedback mode (SP 800-108 r1 §4.2)")
    if length < 1:
        raise InvalidParameter(f"length must be at least 1 byte, got {length}")
    if fixed is None:
        if length * 8 >= 2**32:
            raise InvalidParameter("L must fit the 32-bit [L]_2 field")
        # SP 800-108 r1 §5: fixed input data = Label || 0x00 || Context || [L]_2
        fixed = label + b"\x00" + context + (length * 8).to_bytes(4, "big")
    elif label or context:
        raise InvalidParameter("give either fixed, or label and context, not both")
    if break_bit is not None and not 0 <= break_bit <= len(fixed) * 8:
        raise InvalidParameter(f"break_bit must lie within the fixed data (0..{len(fixed) * 8})")

    primitive, h = _kbkdf_prf(prf, key)
    n = -(-length // h)  # n := ceil(L / h)
    # SP 800-108 r1 §4.1 step 2: "If n > 2^r - 1, then output an error indicator and stop."
    if counter_bits and n > 2**counter_bits - 1:
        raise InvalidParameter(
            f"{length} bytes need {n} PRF blocks; a {counter_bits}-bit counter allows fewer"
        )

    approved = _kbkdf_authorize(mode, prf, primitive)
    if mode == "counter" and location != "middle_fixed":  # cryptography's KBKDF fits
        out = _kdf.kbkdf_counter(primitive, key, length, counter_bits // 8, location == "before_fixed", fixed)
    else:
        mac = partial(_kdf.cmac_aes, key) if primitive == "cmac-aes" else _kdf.hmac_keyed(primitive, key)
        out = _kbkdf_composed(mac, n, mode, fixed, counter_bits, location, break_bit or 0, iv)[:length]
    record("kdf.kbkdf", f"kbkdf-{mode}-{prf}", approved)
    return out


def _kbkdf_composed(
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
            block = mac(_splice_bits(fixed, break_bit, counter))
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
    _hash_len(hash, _TLS12_HASHES, " for the TLS 1.2 PRF (SP 800-135 r1 §4.2.2)")
    if not label:
        raise InvalidParameter("the TLS PRF label must not be empty (RFC 5246 §5: an ASCII string)")
    _positive("length", length, 2**16, "a TLS key block or secret")
    approved = _authorize("kdf.tls12_prf", "tls12-prf", hash)
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
    _positive("length", length, 2**16, "a TLS key block or secret")
    approved = _authorize("kdf.tls10_prf", "tls10-prf", "sha1")
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
    hash_len = _hash_len(hash, _TLS12_HASHES, " for the TLS 1.2 PRF (SP 800-135 r1 §4.2.2)")
    if not pre_master_secret:
        raise InvalidParameter("the pre-master secret must not be empty")
    if ems:
        # RFC 7627 §3: session_hash = Hash(handshake_messages), with the hash of the PRF
        if len(session_hash) != hash_len or client_random or server_random:
            raise InvalidParameter(f"EMS takes a {hash_len}-byte session hash and no randoms (RFC 7627 §3)")
        # RFC 7627 §4: master_secret = PRF(pre_master_secret, "extended master secret", session_hash)[0..47]
        label, seed = b"extended master secret", session_hash
    else:
        if len(client_random) != 32 or len(server_random) != 32 or session_hash:
            raise InvalidParameter("the classic master secret takes two 32-byte randoms (RFC 5246 §7.4.1.2)")
        # RFC 5246 §8.1: master_secret = PRF(pre_master_secret, "master secret",
        #                                    ClientHello.random + ServerHello.random)[0..47]
        label, seed = b"master secret", client_random + server_random
    approved = _authorize("kdf.tls12_master_secret", "tls12-prf", hash)
    out = _p_hash(_kdf.hmac_keyed(hash, pre_master_secret), label + seed, 48)
    record("kdf.tls12_master_secret", f"tls12-prf-{hash}{'-ems' if ems else ''}", approved)
    return out


def tls12_key_block(
    master_secret: bytes, *, server_random: bytes, client_random: bytes, length: int, hash: str = "sha256"
) -> bytes:
    """The TLS 1.2 key block (RFC 5246 §6.3), to be split into MAC keys, write keys and IVs."""
    _hash_len(hash, _TLS12_HASHES, " for the TLS 1.2 PRF (SP 800-135 r1 §4.2.2)")
    if len(master_secret) != 48:
        raise InvalidParameter("the master secret is 48 bytes (RFC 5246 §8.1)")
    if len(client_random) != 32 or len(server_random) != 32:
        raise InvalidParameter("the hello randoms are 32 bytes (RFC 5246 §7.4.1.2)")
    _positive("length", length, 2**16, "a TLS key block")
    approved = _authorize("kdf.tls12_key_block", "tls12-prf", hash)
    # RFC 5246 §6.3: key_block = PRF(SecurityParameters.master_secret, "key expansion",
    #                                SecurityParameters.server_random + SecurityParameters.client_random)
    out = _p_hash(
        _kdf.hmac_keyed(hash, master_secret), b"key expansion" + server_random + client_random, length
    )
    record("kdf.tls12_key_block", f"tls12-prf-{hash}", approved)
    return out


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
    hash_len = _hash_len(hash, _TLS13_HASHES, " for TLS 1.3 (RFC 8446 Appendix B.4)")
    if len(secret) < hash_len:
        raise InvalidParameter(f"the secret must be at least Hash.length = {hash_len} bytes (RFC 5869 §2.3)")
    if not 1 <= len(label) <= 255 - 6:
        raise InvalidParameter('the label is 1..249 bytes (RFC 8446 §7.1: "tls13 " + Label is 7..255)')
    _positive("length", length, min(2**16 - 1, 255 * hash_len), "RFC 8446 §7.1 uint16, RFC 5869 §2.3")


def hkdf_expand_label(
    secret: bytes, label: bytes, context: bytes, length: int, *, hash: str = "sha256"
) -> bytes:
    """HKDF-Expand-Label (RFC 8446 §7.1); ``label`` without the ``"tls13 "`` prefix."""
    _tls13_check(hash, secret, label, length)
    if len(context) > 255:
        raise InvalidParameter("the context is at most 255 bytes (RFC 8446 §7.1)")
    approved = _authorize("kdf.hkdf_expand_label", "tls13-kdf", hash)
    out = _expand_label(hash, secret, label, context, length)
    record("kdf.hkdf_expand_label", f"tls13-kdf-{hash}", approved)
    return out


def derive_secret(secret: bytes, label: bytes, messages: bytes, *, hash: str = "sha256") -> bytes:
    """Derive-Secret(Secret, Label, Messages) (RFC 8446 §7.1); ``messages`` is the handshake transcript."""
    _tls13_check(hash, secret, label, 1)
    approved = _authorize("kdf.derive_secret", "tls13-kdf", hash)
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
    hash_len = _hash_len(hash, _TLS13_HASHES, " for TLS 1.3 (RFC 8446 Appendix B.4)")
    if psk is None and dhe is None:
        raise InvalidParameter("the key schedule needs a PSK, an (EC)DHE shared secret, or both")
    if psk == b"" or dhe == b"":
        raise InvalidParameter("an empty PSK or shared secret: pass None for one that is not in use")
    approved = _authorize("kdf.tls13_key_schedule", "tls13-kdf", hash)
    zeros = bytes(hash_len)
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
    secrets = Tls13Secrets(
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
    record("kdf.tls13_key_schedule", f"tls13-kdf-{hash}", approved)
    return secrets


# ------------------------------------------------------------------------------------------- SRTP


class SrtpLabel(enum.IntEnum):
    """SRTP KDF labels (RFC 3711 §4.3.1/§4.3.2; 6 and 7: RFC 6904 §4.3 header encryption)."""

    RTP_ENCRYPTION = 0x00
    RTP_AUTHENTICATION = 0x01
    RTP_SALT = 0x02
    RTCP_ENCRYPTION = 0x03
    RTCP_AUTHENTICATION = 0x04
    RTCP_SALT = 0x05
    RTP_HEADER_ENCRYPTION = 0x06
    RTP_HEADER_SALT = 0x07


_RTCP_LABELS = (SrtpLabel.RTCP_ENCRYPTION, SrtpLabel.RTCP_AUTHENTICATION, SrtpLabel.RTCP_SALT)


@dataclass(frozen=True, slots=True, repr=False)
class SrtpKeys:
    """Session keys for one direction of SRTP or SRTCP. The repr shows no key material."""

    encryption_key: bytes
    authentication_key: bytes
    salt: bytes

    def __repr__(self) -> str:
        return f"SrtpKeys(<{len(self.encryption_key) * 8}-bit cipher key, auth key, salt>)"


def _srtp_default_length(label: SrtpLabel, master_key: bytes) -> int:
    # RFC 3711 §4.3.2 / RFC 6188 §3: n_e = the master key length, n_a = 160 bits (HMAC-SHA1),
    # n_s = 112 bits
    if label in (SrtpLabel.RTP_AUTHENTICATION, SrtpLabel.RTCP_AUTHENTICATION):
        return 20
    if label in (SrtpLabel.RTP_SALT, SrtpLabel.RTCP_SALT, SrtpLabel.RTP_HEADER_SALT):
        return 14
    return len(master_key)


def _srtp_check(master_key: bytes, master_salt: bytes, kdr: int) -> None:
    if len(master_key) not in (16, 24, 32):
        raise InvalidParameter("SRTP master keys are AES-128/192/256 keys (RFC 3711, RFC 6188)")
    if len(master_salt) != 14:
        raise InvalidParameter("the SRTP master salt is 112 bits (RFC 3711 §8.2)")
    # RFC 3711 §4.3.1: key_derivation_rate "MUST be a zero or a power of 2 ... in the range [0..2^24]"
    if kdr < 0 or kdr > 2**24 or (kdr & (kdr - 1)) != 0:
        raise InvalidParameter(f"the key derivation rate must be 0 or 2^n with n <= 24, got {kdr}")


def _srtp_prf(master_key: bytes, master_salt: bytes, label: int, index: int, kdr: int, length: int) -> bytes:
    # RFC 3711 §4.3.1: r = index DIV key_derivation_rate (a DIV 0 = 0); key_id = <label> || r, with r
    # 48 bits; x = key_id XOR master_salt (right-aligned); the key is AES-CM keystream with IV = x * 2^16.
    r = index // kdr if kdr else 0
    x = ((label << 48) | r) ^ int.from_bytes(master_salt, "big")
    return _kdf.aes_ctr_keystream(master_key, (x << 16).to_bytes(16, "big"), length)


def srtp_kdf(
    master_key: bytes,
    master_salt: bytes,
    *,
    label: SrtpLabel | int,
    index: int,
    kdr: int = 0,
    length: int | None = None,
) -> bytes:
    """One SRTP/SRTCP session key (RFC 3711 §4.3.1 with AES-CM; RFC 6188 for AES-192/256 master keys).

    ``index`` is the 48-bit SRTP packet index, or for the SRTCP labels (3-5) the 31-bit SRTCP index,
    used as a 48-bit ``r`` like the SRTP one (ACVP ``supports48BitSrtcpIndex``, and what libsrtp does).
    ``length`` defaults to the RFC 3711 §4.3.2 size for the label.
    """
    _srtp_check(master_key, master_salt, kdr)
    try:
        label = SrtpLabel(label)
    except ValueError:
        raise InvalidParameter(f"unknown SRTP KDF label {label!r} (0..7)") from None
    bits = 31 if label in _RTCP_LABELS else 48  # RFC 3711 §3.4: SRTCP index is 31 bits; §3.3.1: 48
    if not 0 <= index < 2**bits:
        raise InvalidParameter(f"the {'SRTCP' if bits == 31 else 'SRTP'} index is {bits} bits, got {index}")
    length = _srtp_default_length(label, master_key) if length is None else length
    _positive("length", length, 2**16, "the AES-CM block counter is 16 bits (RFC 3711 §4.1.1)")
    approved = _authorize("kdf.srtp", "srtp-kdf", None)
    approved = authorize("kdf.srtp", "cipher", f"aes-{len(master_key) * 8}-ctr") and approved
    out = _srtp_prf(master_key, master_salt, label, index, kdr, length)
    record("kdf.srtp", f"srtp-kdf-aes-{len(master_key) * 8}", approved)
    return out


def srtp_session_keys(master_key: bytes, master_salt: bytes, *, index: int, kdr: int = 0) -> SrtpKeys:
    """SRTP cipher key, authentication key and salt for packet ``index`` (RFC 3711 §4.3.2, labels 0-2)."""
    return SrtpKeys(
        *(
            srtp_kdf(master_key, master_salt, label=label, index=index, kdr=kdr)
            for label in (SrtpLabel.RTP_ENCRYPTION, SrtpLabel.RTP_AUTHENTICATION, SrtpLabel.RTP_SALT)
        )
    )


def srtcp_session_keys(master_key: bytes, master_salt: bytes, *, index: int, kdr: int = 0) -> SrtpKeys:
    """SRTCP cipher key, authentication key and salt for SRTCP ``index`` (RFC 3711 §4.3.2, labels 3-5)."""
    return SrtpKeys(
        *(srtp_kdf(master_key, master_salt, label=label, index=index, kdr=kdr) for label in _RTCP_LABELS)
    )


# ------------------------------------------------------------------------------------------ IKEv2


def _ikev2_hash(hash: str) -> int:
    return _hash_len(hash, _IKEV2_HASHES, " for the IKEv2 PRF (SP 800-135 r1 §4.1)")


def _prf_plus(hash: str, key: bytes, seed: bytes, length: int) -> bytes:
    # RFC 7296 §2.13: prf+ (K,S) = T1 | T2 | T3 | T4 | ...  where T1 = prf (K, S | 0x01),
    # T2 = prf (K, T1 | S | 0x02), ...; "not defined beyond 255 times the size of the prf output"
    mac = _kdf.hmac_keyed(hash, key)
    out = bytearray()
    t = b""
    for n in range(1, 256):
        if len(out) >= length:
            break
        t = mac(t + seed + bytes([n]))
        out += t
    return bytes(out[:length])


def _ikev2_common(hash: str, key: bytes, length: int | None = None) -> None:
    hash_len = _ikev2_hash(hash)
    if not key:
        raise InvalidParameter("the IKEv2 prf key must not be empty")
    if length is not None:
        _positive("length", length, 255 * hash_len, "RFC 7296 §2.13: prf+ stops at 255 prf outputs")


def ikev2_prf(key: bytes, data: bytes, *, hash: str = "sha256") -> bytes:
    """The IKEv2 prf with HMAC-``hash`` (RFC 7296 §2.13; RFC 4868 for SHA-2)."""
    _ikev2_common(hash, key)
    approved = _authorize("kdf.ikev2", "ikev2-kdf", hash)
    out = _kdf.hmac(hash, key, data)
    record("kdf.ikev2", f"ikev2-kdf-{hash}", approved)
    return out


def ikev2_prf_plus(key: bytes, seed: bytes, length: int, *, hash: str = "sha256") -> bytes:
    """prf+(K, S) (RFC 7296 §2.13), at most 255 prf outputs."""
    _ikev2_common(hash, key, length)
    approved = _authorize("kdf.ikev2", "ikev2-kdf", hash)
    out = _prf_plus(hash, key, seed, length)
    record("kdf.ikev2", f"ikev2-kdf-{hash}", approved)
    return out


def _nonces(ni: bytes, nr: bytes) -> None:
    # RFC 7296 §2.10 asks for 16..256-octet nonces; checking received nonces is the IKE layer's job
    # (ACVP tests this KDF with 64-bit nonces), so only empty or oversized ones are refused here.
    if not 1 <= len(ni) <= 256 or not 1 <= len(nr) <= 256:
        raise InvalidParameter("the IKEv2 nonces Ni and Nr are 1..256 bytes (RFC 7296 §2.10: 16..256)")


def ikev2_skeyseed(ni: bytes, nr: bytes, shared_secret: bytes, *, hash: str = "sha256") -> bytes:
    """SKEYSEED = prf(Ni | Nr, g^ir) (RFC 7296 §2.14; SP 800-135 r1 §4.1.2)."""
    _nonces(ni, nr)
    _ikev2_common(hash, ni + nr)
    if not shared_secret:
        raise InvalidParameter("the shared secret g^ir must not be empty")
    approved = _authorize("kdf.ikev2", "ikev2-kdf", hash)
    out = _kdf.hmac(hash, ni + nr, shared_secret)
    record("kdf.ikev2", f"ikev2-kdf-{hash}", approved)
    return out


@dataclass(frozen=True, slots=True, repr=False)
class IkeSaKeys:
    """The IKE SA keys of RFC 7296 §2.14 (integrity keys are empty with AEAD). No key material in repr."""

    sk_d: bytes
    sk_ai: bytes
    sk_ar: bytes
    sk_ei: bytes
    sk_er: bytes
    sk_pi: bytes
    sk_pr: bytes

    def __repr__(self) -> str:
        return f"IkeSaKeys(<SK_e {len(self.sk_ei)} bytes, SK_a {len(self.sk_ai)} bytes>)"


def ikev2_derive_sk(
    skeyseed: bytes,
    ni: bytes,
    nr: bytes,
    spi_i: bytes,
    spi_r: bytes,
    *,
    encryption_key_length: int,
    integrity_key_length: int,
    hash: str = "sha256",
) -> IkeSaKeys:
    """{SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).

    RFC 7296 §2.14. SK_d, SK_pi and SK_pr have the prf's preferred key length (the HMAC output
    length, RFC 4868 §2.1.1); the encryption key length includes any salt (e.g. 4 bytes for GCM).
    """
    _nonces(ni, nr)
    prf_len = _ikev2_hash(hash)
    if len(spi_i) != 8 or len(spi_r) != 8:
        raise InvalidParameter("IKE SA SPIs are 8 bytes (RFC 7296 §3.1)")
    if not 1 <= encryption_key_length <= 64 or not 0 <= integrity_key_length <= 64:
        raise InvalidParameter("encryption keys are 1..64 bytes and integrity keys 0..64 bytes")
    i_len, e_len = integrity_key_length, encryption_key_length
    sizes = (prf_len, i_len, i_len, e_len, e_len, prf_len, prf_len)
    _ikev2_common(hash, skeyseed, sum(sizes))
    approved = _authorize("kdf.ikev2", "ikev2-kdf", hash)
    stream = _prf_plus(hash, skeyseed, ni + nr + spi_i + spi_r, sum(sizes))
    parts: list[bytes] = []
    offset = 0
    for size in sizes:
        parts.append(stream[offset : offset + size])
        offset += size
    record("kdf.ikev2", f"ikev2-kdf-{hash}", approved)
    return IkeSaKeys(*parts)


def ikev2_child_keymat(
    sk_d: bytes,
    ni: bytes,
    nr: bytes,
    length: int,
    *,
    shared_secret: bytes | None = None,
    hash: str = "sha256",
) -> bytes:
    """KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) for a Child SA (RFC 7296 §2.17)."""
    _nonces(ni, nr)
    _ikev2_common(hash, sk_d, length)
    if shared_secret == b"":
        raise InvalidParameter("an empty shared secret: pass None when the CREATE_CHILD_SA has no KE")
    approved = _authorize("kdf.ikev2", "ikev2-kdf", hash)
    out = _prf_plus(hash, sk_d, (shared_secret or b"") + ni + nr, length)
    record("kdf.ikev2", f"ikev2-kdf-{hash}", approved)
    return out


def ikev2_rekey_skeyseed(
    sk_d: bytes, shared_secret: bytes, ni: bytes, nr: bytes, *, hash: str = "sha256"
) -> bytes:
    """SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) when rekeying an IKE SA (RFC 7296 §2.18)."""
    _nonces(ni, nr)
    _ikev2_common(hash, sk_d)
    if not shared_secret:
        raise InvalidParameter("the new shared secret g^ir must not be empty")
    approved = _authorize("kdf.ikev2", "ikev2-kdf", hash)
    out = _kdf.hmac(hash, sk_d, shared_secret + ni + nr)
    record("kdf.ikev2", f"ikev2-kdf-{hash}", approved)
    return out
