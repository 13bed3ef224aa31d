"""The SRTP/SRTCP key derivation of RFC 3711 §4.3 (SP 800-135 r1 §5.3), with AES-CM as the PRF."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .._params import BYTES, byte_string, integer
from .._service import record
from ..enforce import require
from ..errors import InvalidParameter
from ._common import positive, require_kdf
from ._core import RTCP_LABELS, srtp_default_length, srtp_prf

__all__ = ["SrtpKeys", "SrtpLabel", "srtcp_session_keys", "srtp_kdf", "srtp_session_keys"]

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


_RTCP_LABELS = tuple(SrtpLabel(label) for label in RTCP_LABELS)


@dataclass(frozen=True, slots=True, repr=False)
class SrtpKeys:
    """Session keys for one direction of SRTP or SRTCP. The repr shows no key material."""

    encryption_key: bytes
    authentication_key: bytes
    salt: bytes

    def __repr__(self) -> str:
        return f"SrtpKeys(<{len(self.encryption_key) * 8}-bit cipher key, auth key, salt>)"


def _srtp_check(master_key: object, master_salt: object, kdr: object) -> tuple[bytes, bytes]:
    if not isinstance(master_key, BYTES) or len(master_key) not in (16, 24, 32):
        raise InvalidParameter("SRTP master keys are AES-128/192/256 keys (RFC 3711, RFC 6188)")
    if not isinstance(master_salt, BYTES) or len(master_salt) != 14:
        raise InvalidParameter("the SRTP master salt is 112 bits (RFC 3711 §8.2)")
    # RFC 3711 §4.3.1: key_derivation_rate "MUST be a zero or a power of 2 ... in the range [0..2^24]"
    rate = integer("the key derivation rate", kdr, 0, 2**24)
    if rate & (rate - 1):
        raise InvalidParameter(f"the key derivation rate must be 0 or 2^n with n <= 24, got {rate}")
    return byte_string("master_key", master_key), byte_string("master_salt", master_salt)


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
    master_key, master_salt = _srtp_check(master_key, master_salt, kdr)
    if not isinstance(label, int) or isinstance(label, bool) or not 0 <= label <= max(SrtpLabel):
        raise InvalidParameter(f"unknown SRTP KDF label {label!r:.40} (0..7)")
    label = SrtpLabel(label)
    bits = 31 if label in _RTCP_LABELS else 48  # RFC 3711 §3.4: SRTCP index is 31 bits; §3.3.1: 48
    integer(f"the {'SRTCP' if bits == 31 else 'SRTP'} index", index, 0, 2**bits - 1)
    length = srtp_default_length(label, master_key) if length is None else length
    positive("length", length, 2**16, "the AES-CM block counter is 16 bits (RFC 3711 §4.1.1)")
    approved = require_kdf("kdf.srtp", "srtp-kdf", None)
    approved = require("kdf.srtp", "cipher", f"aes-{len(master_key) * 8}-ctr") and approved
    out = srtp_prf(master_key, master_salt, label, index, kdr, length)
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
