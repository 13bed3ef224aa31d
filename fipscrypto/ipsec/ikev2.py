"""The IKEv2 key schedule, sans-I/O: transform selection, key exchange, keys, AUTH (RFC 7296).

    offered = ikev2.ike_offer()                      # initiator: SA payload transforms
    suite = ikev2.ike_select(offered)                # responder: one per type the policy allows
    kei = ikev2.KeyExchange(suite.ke)                # initiator: KEi (MODP-4096 by default)
    ker, g_ir = ikev2.KeyExchange.respond(suite.ke, kei.payload)   # responder: KEr and g^ir
    sa = ikev2.IkeSa(suite, g_ir, ni=ni, nr=nr, spi_i=spi_i, spi_r=spi_r)   # RFC 7296 §2.14
    sa.add_key_exchange(secret)                      # each RFC 9370 additional key exchange
    auth = ikev2.sign_auth(sa, key, signer="initiator", message=init_request, id_payload=idi)
    child = sa.child_sa(ikev2.ChildSuite())          # RFC 7296 §2.17: ESP keys per direction

Messages are the caller's: this module derives keys from what they carry (nonces, SPIs, Key
Exchange Data, the IKE_SA_INIT messages for AUTH) and parses nothing but the AUTH payload's
Authentication Data. Every step asks the policy through :func:`fipscrypto.enforce.require`
(service ``ipsec.ikev2``), and every computation is a fipscrypto service: the SP 800-135 IKEv2 KDF
(:mod:`fipscrypto.kdf`), key agreement and signatures (:mod:`fipscrypto.keys`, key pairs generated
inside the FIPS provider), ML-KEM (:mod:`fipscrypto.pqc`, when on), nonces and SPIs from
:mod:`fipscrypto.rand`. See docs/ipsec-ikev2.md.
"""

from __future__ import annotations

from ._auth import AUTH_METHOD, sign_auth, signed_octets, verify_auth
from ._ke import KeyExchange
from ._sa import ChildSaKeys, DirectionKeys, IkeSa, Role, nonce, spi
from ._suites import (
    PREFERENCE,
    ChildSuite,
    IkeSuite,
    Transform,
    child_offer,
    child_select,
    ike_offer,
    ike_select,
)
from .iana import TransformType

__all__ = [
    "AUTH_METHOD",
    "PREFERENCE",
    "ChildSaKeys",
    "ChildSuite",
    "DirectionKeys",
    "IkeSa",
    "IkeSuite",
    "KeyExchange",
    "Role",
    "Transform",
    "TransformType",
    "child_offer",
    "child_select",
    "ike_offer",
    "ike_select",
    "nonce",
    "sign_auth",
    "signed_octets",
    "spi",
    "verify_auth",
]
