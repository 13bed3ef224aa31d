"""The SRTP/SRTCP key derivation of RFC 3711 §4.3 (SP 800-135 r1 §5.3), with AES-CM as the PRF."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .._backend import kdf as _kdf
from .._service import authorize, record
from ..errors import InvalidParameter
from ._common import (
    authorize_kdf,
    positive,
)

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
    positive("length", length, 2**16, "the AES-CM block counter is 16 bits (RFC 3711 §4.1.1)")
    approved = authorize_kdf("kdf.srtp", "srtp-kdf", None)
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
