"""The IKEv2 AUTH payload with X.509 certificates: RFC 7427 Digital Signature (Auth Method 14).

What is signed (RFC 7296 §2.15)::

    InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI
    MACedIDForI = prf(SK_pi, RestOfInitIDPayload)
    ResponderSignedOctets = RealMessage2 | NonceIData | MACedIDForR
    MACedIDForR = prf(SK_pr, RestOfRespIDPayload)

with RFC 9242 §3.3.2's ``| IntAuth`` appended when IKE_INTERMEDIATE exchanges ran (the caller
computes IntAuth over those messages). The Authentication Data (RFC 7427 §3) is "ASN.1 Length
(1 octet) | AlgorithmIdentifier ASN.1 object | Signature Value": RSASSA-PSS (RFC 4055 parameters,
MGF1 with the message hash, salt as long as the hash) or ECDSA (RFC 5758 ecdsa-with-SHA*, the
signature an Ecdsa-Sig-Value, DER). Signing and verification are :mod:`fipscrypto.keys` services:
the policy rules on the scheme, the key size and the hash. The certificate's path, validity and
usage are the caller's PKI's to check (e.g. with :class:`fipscrypto.tls.ChainChecker`).
"""

from __future__ import annotations

from typing import NamedTuple

from .. import kdf, keys
from .._backend import x509 as _x509
from .._params import byte_string, name, not_offered
from ..errors import InvalidParameter, InvalidSignature, ParseError
from ._sa import IkeSa, Role, _role

__all__ = ["AUTH_METHOD", "sign_auth", "signed_octets", "verify_auth"]

AUTH_METHOD = 14  # RFC 7427 §7: "Digital Signature"

# DER contents of the object identifiers (RFC 4055 §2.1, RFC 5758 §3.2, RFC 4055 §3.1).
_HASH_OIDS = {
    "sha1": bytes.fromhex("2b0e03021a"),
    "sha256": bytes.fromhex("608648016503040201"),
    "sha384": bytes.fromhex("608648016503040202"),
    "sha512": bytes.fromhex("608648016503040203"),
}
_ECDSA_OIDS = {
    "sha256": bytes.fromhex("2a8648ce3d040302"),
    "sha384": bytes.fromhex("2a8648ce3d040303"),
    "sha512": bytes.fromhex("2a8648ce3d040304"),
}
_PSS_OID = bytes.fromhex("2a864886f70d01010a")  # id-RSASSA-PSS
_MGF1_OID = bytes.fromhex("2a864886f70d010108")  # id-mgf1
_SEQUENCE, _OID, _NULL, _INTEGER = 0x30, 0x06, 0x05, 0x02
_CURVES = {"secp256r1": "p256", "secp384r1": "p384", "secp521r1": "p521"}
_HASH_BYTES = {"sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64}


class _Signature(NamedTuple):
    family: str  # "rsa-pss" or "ecdsa"
    digest: str
    mgf1_digest: str | None = None
    salt_length: int | None = None


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    encoded = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(encoded))) + encoded + content


def _hash_identifier(digest: str) -> bytes:
    # RFC 4055 §2.1: "the parameters field ... SHOULD be present and contain NULL" for interoperation.
    return _der(_SEQUENCE, _der(_OID, _HASH_OIDS[digest]) + _der(_NULL, b""))


def _algorithm_identifier(signature: _Signature) -> bytes:
    """The AlgorithmIdentifier DER of RFC 7427 Appendix A's forms."""
    if signature.family == "ecdsa":
        return _der(_SEQUENCE, _der(_OID, _ECDSA_OIDS[signature.digest]))  # RFC 5758: no parameters
    mgf = _der(_SEQUENCE, _der(_OID, _MGF1_OID) + _hash_identifier(signature.mgf1_digest or signature.digest))
    params = (
        _der(0xA0, _hash_identifier(signature.digest))
        + _der(0xA1, mgf)
        + _der(0xA2, _der(_INTEGER, bytes((signature.salt_length or 0,))))
    )
    return _der(_SEQUENCE, _der(_OID, _PSS_OID) + _der(_SEQUENCE, params))


def _bad(detail: str) -> ParseError:
    return ParseError(f"AUTH payload: {detail} (RFC 7427 §3)")


def _read(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """One DER TLV at ``offset``: (tag, content, the offset after it)."""
    if offset + 2 > len(data):
        raise _bad("truncated ASN.1")
    tag, first = data[offset], data[offset + 1]
    start = offset + 2
    if first & 0x80:
        count = first & 0x7F
        if not 1 <= count <= 2 or start + count > len(data):
            raise _bad("bad ASN.1 length")
        size, start = int.from_bytes(data[start : start + count], "big"), start + count
    else:
        size = first
    if start + size > len(data):
        raise _bad("truncated ASN.1")
    return tag, data[start : start + size], start + size


def _items(content: bytes) -> list[tuple[int, bytes]]:
    items, offset = [], 0
    while offset < len(content):
        tag, value, offset = _read(content, offset)
        items.append((tag, value))
    return items


def _hash_of(identifier: bytes) -> str:
    """The hash of an AlgorithmIdentifier { OID, NULL or absent parameters }."""
    tag, content, end = _read(identifier)
    items = _items(content) if tag == _SEQUENCE and end == len(identifier) else []
    if not items or items[0][0] != _OID or items[1:] not in ([], [(_NULL, b"")]):
        raise _bad("malformed hash AlgorithmIdentifier")
    found = next((name for name, oid in _HASH_OIDS.items() if oid == items[0][1]), None)
    if found is None:
        raise _bad("a hash this implementation does not verify with")
    return found


def _pss(params: list[tuple[int, bytes]]) -> _Signature:
    """RSASSA-PSS-params (RFC 4055 §3.1): hashAlgorithm [0] (default sha1), maskGenAlgorithm [1]
    (default mgf1SHA1), saltLength [2] (default 20), trailerField [3] (must be 1)."""
    digest, mgf1, salt = "sha1", "sha1", 20
    for tag, value in params:
        if tag == 0xA0:
            digest = _hash_of(value)
        elif tag == 0xA1:
            inner = _read(value)
            fields = _items(inner[1]) if inner[0] == _SEQUENCE else []
            if len(fields) != 2 or fields[0] != (_OID, _MGF1_OID):
                raise _bad("the mask generation function is not MGF1")
            mgf1 = _hash_of(_der(*fields[1]))
        elif tag == 0xA2:
            kind, number, _ = _read(value)
            if kind != _INTEGER or not 1 <= len(number) <= 2 or number[0] & 0x80:
                raise _bad("bad saltLength")
            salt = int.from_bytes(number, "big")
        elif tag != 0xA3 or _read(value)[:2] != (_INTEGER, b"\x01"):
            raise _bad("unknown RSASSA-PSS parameter")
    return _Signature("rsa-pss", digest, mgf1, salt)


def _parse(identifier: bytes) -> _Signature:
    tag, content, end = _read(identifier)
    items = _items(content) if tag == _SEQUENCE and end == len(identifier) else []
    if not items or items[0][0] != _OID:
        raise _bad("malformed AlgorithmIdentifier")
    oid, params = items[0][1], items[1:]
    ecdsa = next((name for name, value in _ECDSA_OIDS.items() if value == oid), None)
    if ecdsa is not None and not params:
        return _Signature("ecdsa", ecdsa)
    if oid == _PSS_OID and len(params) == 1 and params[0][0] == _SEQUENCE:
        return _pss(_items(params[0][1]))
    raise _bad("not an RSASSA-PSS or ECDSA AlgorithmIdentifier")


def signed_octets(
    sa: IkeSa, signer: Role, *, message: bytes, id_payload: bytes, int_auth: bytes = b""
) -> bytes:
    """The octets ``signer`` signs (RFC 7296 §2.15): its IKE_SA_INIT message (``message``: the whole
    message as sent, from the IKE header on), the peer's nonce, prf(SK_pi or SK_pr, ``id_payload``)
    where ``id_payload`` is the ID payload after its generic header (ID Type | RESERVED |
    Identification Data), then ``int_auth`` (RFC 9242 §3.3.2; empty without IKE_INTERMEDIATE)."""
    if type(sa) is not IkeSa:
        raise InvalidParameter(f"sa is an IkeSa, not {type(sa).__name__}")
    keys_ = sa.ready()
    role = _role(signer)
    message, id_payload = byte_string("message", message), byte_string("id_payload", id_payload)
    int_auth = byte_string("int_auth", int_auth)
    if not message or not id_payload:
        raise InvalidParameter("message and id_payload are the signer's IKE_SA_INIT message and ID data")
    peer_nonce, key = (sa.nr, keys_.sk_pi) if role == "initiator" else (sa.ni, keys_.sk_pr)
    return message + peer_nonce + kdf.ikev2_prf(key, id_payload, digest=sa.suite.digest) + int_auth


def _signature_of(key: keys.SigningKey, digest: object) -> _Signature:
    named = None if digest is None else name("digest", digest)
    if key.scheme == "rsa-pss":
        chosen = named or "sha256"
        if chosen not in _HASH_OIDS:
            raise not_offered("hash", chosen, "IKEv2 AUTH digest", f"use one of {', '.join(_HASH_OIDS)}")
        return _Signature("rsa-pss", chosen, chosen, _HASH_BYTES[chosen])
    if key.scheme in ("ecdsa-p256", "ecdsa-p384", "ecdsa-p521"):
        chosen = named or {"ecdsa-p256": "sha256", "ecdsa-p384": "sha384"}.get(key.scheme, "sha512")
        if chosen not in _ECDSA_OIDS:
            raise not_offered("hash", chosen, "IKEv2 AUTH digest", f"use one of {', '.join(_ECDSA_OIDS)}")
        return _Signature("ecdsa", chosen)
    raise InvalidParameter(f"AUTH signs with rsa-pss or ecdsa-p256/p384/p521 keys, not {key.scheme}")


def sign_auth(
    sa: IkeSa,
    key: keys.SigningKey,
    *,
    signer: Role,
    message: bytes,
    id_payload: bytes,
    int_auth: bytes = b"",
    digest: str | None = None,
) -> bytes:
    """The Authentication Data of ``signer``'s AUTH payload (Auth Method :data:`AUTH_METHOD`) over
    :func:`signed_octets`, signed with the private key of its certificate. ``digest``: RSA-PSS
    default sha256 (MGF1 the same, salt the hash's length, RFC 7427 §A.4.3's form); ECDSA default
    the curve's hash (RFC 5656 §6.2.1's pairing)."""
    if not isinstance(key, keys.SigningKey):
        raise InvalidParameter(f"key is a fipscrypto.keys.SigningKey, not {type(key).__name__}")
    signature = _signature_of(key, digest)
    octets = signed_octets(sa, signer, message=message, id_payload=id_payload, int_auth=int_auth)
    if signature.family == "rsa-pss":
        value = key.sign(
            octets,
            digest=signature.digest,
            salt_length=signature.salt_length,
            mgf1_digest=signature.mgf1_digest,
        )
    else:
        value = key.sign(octets, digest=signature.digest)
    identifier = _algorithm_identifier(signature)
    return bytes((len(identifier),)) + identifier + value


def _verifying_key(certificate: bytes, family: str) -> keys.VerifyingKey:
    """The certificate's public key for ``family``, or InvalidSignature when it is of another type."""
    try:
        cert = _x509.load_certificates(certificate)[0]
        facts, spki = _x509.facts(cert), _x509.public_key_der(cert)
    except (ValueError, TypeError, IndexError) as exc:
        raise InvalidParameter(f"certificate: {exc}") from None
    if family == "rsa-pss" and facts.key_type == "rsa":
        return keys.load_verifying_key(spki, "rsa-pss")
    if family == "ecdsa" and facts.key_type == "ec" and facts.curve in _CURVES:
        return keys.load_verifying_key(spki, f"ecdsa-{_CURVES[facts.curve]}")
    raise InvalidSignature("the AUTH payload's signature algorithm does not fit the certificate's key")


def verify_auth(
    sa: IkeSa,
    auth_data: bytes,
    certificate: bytes,
    *,
    signer: Role,
    message: bytes,
    id_payload: bytes,
    int_auth: bytes = b"",
) -> None:
    """Verify the peer's AUTH payload (Auth Method 14; ``auth_data`` is its Authentication Data) with
    the public key of its end-entity ``certificate`` (DER or PEM) over :func:`signed_octets` of the
    peer (``signer``) with its IKE_SA_INIT message and ID data. Raises InvalidSignature if it fails,
    ParseError for a malformed payload."""
    data = byte_string("auth_data", auth_data)
    certificate = byte_string("certificate", certificate)
    if not data or len(data) <= 1 + data[0]:
        raise _bad("shorter than its ASN.1 length, AlgorithmIdentifier and signature")
    signature = _parse(data[1 : 1 + data[0]])
    octets = signed_octets(sa, signer, message=message, id_payload=id_payload, int_auth=int_auth)
    verifying = _verifying_key(certificate, signature.family)
    if signature.family == "rsa-pss":
        verifying.verify(
            data[1 + data[0] :],
            octets,
            digest=signature.digest,
            salt_length=signature.salt_length,
            mgf1_digest=signature.mgf1_digest,
        )
    else:
        verifying.verify(data[1 + data[0] :], octets, digest=signature.digest)
