"""Key derivation: HKDF, PBKDF2, SP 800-108 KBKDF and the SP 800-135 protocol KDFs.

One module per family: ``basic`` (HKDF, PBKDF2, KBKDF), ``tls``, ``srtp``, ``ikev2``; every name is
re-exported here.

Every function is a service: it validates its input (:class:`~fipscrypto.errors.InvalidParameter`),
passes the gate and the policy for the KDF and its hash or cipher, computes on the FIPS provider's
primitives, and records the service indicator.

* PBKDF2 (SP 800-132) runs in the provider (its EVP_KDF, through cryptography). HKDF (RFC 5869,
  an instance of the SP 800-56C r2 two-step method) and KBKDF counter mode, where cryptography's
  KBKDF fits, are cryptography's own code over HMAC (OpenSSL's HMAC_CTX around the provider's
  hash): outside the provider, which never sees their keys (docs/boundary.md).
* KBKDF feedback and double-pipeline modes, counter mode with the counter inside the fixed data,
  and the protocol KDFs of SP 800-135 r1 (TLS 1.0/1.2 PRF, TLS 1.3 key schedule, SRTP, IKEv2) are
  composed here from HMAC, CMAC-AES and AES-CTR: cryptography exposes no binding for OpenSSL's
  TLS1-PRF / TLS13-KDF, and the SRTP and IKEv2 KDFs are not in the FIPS provider at all.
* The TLS 1.0/1.1 PRF needs HMAC-MD5, which the FIPS provider refuses:
  :func:`tls10_prf` raises :class:`~fipscrypto.errors.AlgorithmUnavailable` under it.
"""

from __future__ import annotations

from .basic import hkdf, hkdf_expand, hkdf_extract, kbkdf, pbkdf2
from .ikev2 import (
    IkeSaKeys,
    ikev2_child_keymat,
    ikev2_derive_sk,
    ikev2_prf,
    ikev2_prf_plus,
    ikev2_rekey_skeyseed,
    ikev2_skeyseed,
)
from .srtp import SrtpKeys, SrtpLabel, srtcp_session_keys, srtp_kdf, srtp_session_keys
from .tls import (
    Tls13Secrets,
    derive_secret,
    hkdf_expand_label,
    tls10_prf,
    tls12_key_block,
    tls12_master_secret,
    tls12_prf,
    tls13_key_schedule,
)

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
