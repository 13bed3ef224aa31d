"""One IKEv2 key exchange: a KE payload's Key Exchange Data and the shared secret it yields.

MODP groups (RFC 3526) and ECP groups (RFC 5903) run on :mod:`fipscrypto.keys`, which generates the
key pair inside the FIPS provider and fully validates the peer's public value (SP 800-56A r3
§5.6.2.3: what RFC 6989 asks of a receiver). ML-KEM (FIPS 203; an RFC 9370 additional key exchange)
runs on :class:`fipscrypto.pqc.MLKEM`, which raises :class:`~fipscrypto.errors.FeatureDisabled` while
the post-quantum module is off.

Encodings (Key Exchange Data, RFC 7296 §3.4): MODP "MUST be equal to the length of the prime
modulus over which the exponentiation was performed, prepending zero bits to the value if
necessary"; ECP (RFC 5903 §7) "the concatenation of the x and y values", each as long as the field,
with no point-format octet; ML-KEM: the initiator sends the encapsulation key, the responder the
ciphertext. Shared secrets: MODP g^ir as long as the modulus (RFC 7296 §2.14), ECP the x coordinate
(RFC 5903 §7), ML-KEM the 32-byte shared key K.
"""

from __future__ import annotations

from typing import Any

from .. import keys, module
from .._params import byte_string, integer
from ..enforce import require
from ..errors import InvalidParameter
from ._suites import SERVICE, pqc
from .iana import KEY_EXCHANGE, KeyExchangeMethod

__all__ = ["KeyExchange"]


def _method(method: object) -> KeyExchangeMethod:
    """The method numbered ``method``, once the policy allows it (category ``ike-dh-group``)."""
    number = integer("method", method, 0, 0xFFFF)
    found = KEY_EXCHANGE.get(number)
    if found is None:
        raise InvalidParameter(f"key exchange method {number} is not offered (one of {sorted(KEY_EXCHANGE)})")
    require(SERVICE, "ike-dh-group", str(number))
    return found


def _kem(method: KeyExchangeMethod) -> Any:
    return pqc().MLKEM(method.parameter)  # FeatureDisabled while fipscrypto.pqc is off


def _generate(method: KeyExchangeMethod) -> keys.AgreementKey:
    if method.kind == "modp":
        return keys.generate_agreement_key("ffdh", group=method.parameter)
    return keys.generate_agreement_key(method.parameter)


def _data(method: KeyExchangeMethod, key: keys.AgreementKey) -> bytes:
    raw = key.public_bytes("raw")
    return raw[1:] if method.kind == "ecp" else raw  # ECP: x || y without the 0x04 octet


def _peer(method: KeyExchangeMethod, data: bytes) -> keys.AgreementPublicKey:
    """The peer's public value, its length checked as RFC 7296 §3.4 / RFC 5903 §7 fix it."""
    if method.kind == "modp":
        size = (keys.GROUPS[method.parameter].bits + 7) // 8
        if len(data) != size:
            raise InvalidParameter(f"{method.name} Key Exchange Data is {size} bytes (RFC 7296 §3.4)")
        return keys.load_agreement_public_key(data, "ffdh", group=method.parameter, encoding="raw")
    size = {"ecdh-p256": 64, "ecdh-p384": 96, "ecdh-p521": 132}[method.parameter]
    if len(data) != size:
        raise InvalidParameter(f"{method.name} Key Exchange Data is x | y, {size} bytes (RFC 5903 §7)")
    return keys.load_agreement_public_key(b"\x04" + data, method.parameter, encoding="raw")


class KeyExchange:
    """One side of one key exchange (RFC 7296 §1.2 KEi/KEr; RFC 9370 §2.2.1 KEi(n)/KEr(n)).

    The initiator makes one with ``KeyExchange(method)``, sends :attr:`payload`, and passes the
    responder's Key Exchange Data to :meth:`complete` for the shared secret. The responder calls
    :meth:`respond` with the initiator's data: it returns its own :attr:`payload` and the secret.
    The private half is dropped once used: a key exchange yields one secret (RFC 7296 §2.12 lets an
    implementation reuse exponentials; this one never does).
    """

    __slots__ = ("_private", "method", "payload")

    def __init__(self, method: int) -> None:
        found = _method(method)
        if found.kind == "ml-kem":
            public, private = _kem(found).generate_keypair()
            self._private: Any = private
            self.payload: bytes = public
        else:
            key = _generate(found)
            self._private, self.payload = key, _data(found, key)
        self.method = found.id

    @classmethod
    def _sent(cls, method: int, payload: bytes) -> KeyExchange:
        """The responder's record of what it sent: no private half is kept."""
        made = cls.__new__(cls)
        made.method, made._private, made.payload = method, None, payload
        return made

    def __repr__(self) -> str:
        return f"KeyExchange({KEY_EXCHANGE[self.method].name}, {len(self.payload)}-byte payload)"

    @classmethod
    def respond(cls, method: int, peer_payload: bytes) -> tuple[KeyExchange, bytes]:
        """The responder's side: (its KeyExchange, whose :attr:`payload` goes into KEr, the secret)."""
        found = _method(method)
        data = byte_string("peer_payload", peer_payload)
        if found.kind == "ml-kem":
            ciphertext, secret = _kem(found).encapsulate(data)
            return cls._sent(found.id, ciphertext), secret
        peer = _peer(found, data)  # validated before any key pair is made
        key = _generate(found)
        return cls._sent(found.id, _data(found, key)), key.exchange(peer)

    def complete(self, peer_payload: bytes) -> bytes:
        """The initiator's side: the shared secret from the responder's Key Exchange Data."""
        module.gate()  # the gate first: an ERROR state outranks a used key exchange or a bad argument
        data = byte_string("peer_payload", peer_payload)
        private = self._private
        if private is None:
            raise InvalidParameter(
                f"{SERVICE}: this key exchange was completed already (or is the responder's)"
            )
        found = KEY_EXCHANGE[self.method]
        if found.kind == "ml-kem":
            secret: bytes = _kem(found).decapsulate(private, data)
        else:
            secret = private.exchange(_peer(found, data))
        self._private = None
        return secret
