"""The IKEv2 AUTH payload (RFC 7296 §2.15, RFC 7427 Digital Signature) with X.509 certificates.

AUTH payloads made here are checked against ones made by an independent implementation: the signed
octets computed by hand with the standard library's HMAC, signed by pyca/cryptography directly, and
the AlgorithmIdentifier cryptography writes into a certificate it signs with RSASSA-PSS.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from tlslib import Issued, Pki

from fipscrypto import keys
from fipscrypto.errors import AlgorithmUnavailable, InvalidParameter, InvalidSignature, ParseError
from fipscrypto.ipsec import ikev2
from fipscrypto.ipsec._auth import _read
from fipscrypto.ipsec.ikev2 import IkeSa, IkeSuite

# An IKE_SA_INIT request and response as sent (the signer's RealMessage), and ID payload data
# (ID Type | RESERVED | Identification Data, RFC 7296 §3.5): ID_FQDN (2) of each node.
INIT_REQUEST = bytes.fromhex("0102030405060708000000000000000021202208000000000000001c") + b"SA KE Ni"
INIT_RESPONSE = bytes.fromhex("01020304050607081112131415161718212022200000000000000020") + b"SA KE Nr"
ID_I = b"\x02\x00\x00\x00" + b"node-a.example"
ID_R = b"\x02\x00\x00\x00" + b"node-b.example"
SUITE = {"ecdsa-p384": IkeSuite(prf="PRF_HMAC_SHA2_384"), "rsa-pss": IkeSuite(prf="PRF_HMAC_SHA2_256")}
KIND = {"ecdsa-p384": "ec-p384", "rsa-pss": "rsa-3072"}


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Issued]:
    pki = Pki(tmp_path_factory.mktemp("ike-pki"))
    return {scheme: pki.issue(f"node-{scheme}", key=kind) for scheme, kind in KIND.items()}


def ike_sa(scheme: str) -> IkeSa:
    ni, nr = bytes(range(32)), bytes(range(32, 64))
    return IkeSa(SUITE[scheme], b"\x42" * 48, ni=ni, nr=nr, spi_i=INIT_REQUEST[:8], spi_r=INIT_RESPONSE[8:16])


def signing_key(node: Issued, scheme: str) -> keys.SigningKey:
    return keys.load_signing_key(node.key.read_bytes(), scheme)


@pytest.mark.parametrize("scheme", list(SUITE))
def test_auth_round_trip_and_tampering(nodes: dict[str, Issued], scheme: str) -> None:
    sa, node = ike_sa(scheme), nodes[scheme]
    cert = node.cert.read_bytes()
    auth = ikev2.sign_auth(
        sa, signing_key(node, scheme), signer="initiator", message=INIT_REQUEST, id_payload=ID_I
    )
    ikev2.verify_auth(sa, auth, cert, signer="initiator", message=INIT_REQUEST, id_payload=ID_I)
    tampered = {
        "message": dict(message=INIT_REQUEST[:-1] + b"X", id_payload=ID_I),
        "id": dict(message=INIT_REQUEST, id_payload=ID_I[:-1] + b"X"),
    }
    for fields in tampered.values():
        with pytest.raises(InvalidSignature):
            ikev2.verify_auth(sa, auth, cert, signer="initiator", **fields)  # type: ignore[arg-type]
    with pytest.raises(InvalidSignature):  # the responder signs other octets: Ni and prf(SK_pr, IDr')
        ikev2.verify_auth(sa, auth, cert, signer="responder", message=INIT_REQUEST, id_payload=ID_I)
    flipped = auth[:-3] + bytes((auth[-3] ^ 1,)) + auth[-2:]
    with pytest.raises(InvalidSignature):
        ikev2.verify_auth(sa, flipped, cert, signer="initiator", message=INIT_REQUEST, id_payload=ID_I)
    other = nodes["rsa-pss" if scheme != "rsa-pss" else "ecdsa-p384"].cert.read_bytes()
    with pytest.raises(InvalidSignature, match="certificate's key"):
        ikev2.verify_auth(sa, auth, other, signer="initiator", message=INIT_REQUEST, id_payload=ID_I)


def independent_octets(sa: IkeSa, signer: str, message: bytes, id_payload: bytes) -> bytes:
    """RFC 7296 §2.15 by hand: RealMessage | the peer's NonceData | prf(SK_p, RestOfIDPayload)."""
    key = sa.keys.sk_pi if signer == "initiator" else sa.keys.sk_pr
    peer_nonce = sa.nr if signer == "initiator" else sa.ni
    return message + peer_nonce + hmac.new(key, id_payload, getattr(hashlib, sa.suite.digest)).digest()


def private_key(node: Issued) -> object:
    return serialization.load_pem_private_key(node.key.read_bytes(), None)


def test_an_ecdsa_auth_from_an_independent_signer_verifies(nodes: dict[str, Issued]) -> None:
    sa, node = ike_sa("ecdsa-p384"), nodes["ecdsa-p384"]
    octets = independent_octets(sa, "responder", INIT_RESPONSE, ID_R)
    assert octets == ikev2.signed_octets(sa, "responder", message=INIT_RESPONSE, id_payload=ID_R)
    key = private_key(node)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    signature = key.sign(octets, ec.ECDSA(hashes.SHA384()))
    # RFC 7427 §3 with RFC 7427 §A.3.2's ecdsa-with-sha384: 30 0a 06 08 2a 86 48 ce 3d 04 03 03.
    identifier = bytes.fromhex("300a06082a8648ce3d040303")
    auth = bytes((len(identifier),)) + identifier + signature
    ikev2.verify_auth(
        sa, auth, node.cert.read_bytes(), signer="responder", message=INIT_RESPONSE, id_payload=ID_R
    )
    mine = ikev2.sign_auth(
        sa, signing_key(node, "ecdsa-p384"), signer="responder", message=INIT_RESPONSE, id_payload=ID_R
    )
    assert mine[: 1 + len(identifier)] == auth[: 1 + len(identifier)]
    key.public_key().verify(mine[1 + len(identifier) :], octets, ec.ECDSA(hashes.SHA384()))


def _signature_algorithm(certificate: x509.Certificate) -> bytes:
    """The signatureAlgorithm field of a certificate (RFC 5280 §4.1.1.2), DER, as its signer wrote it."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    _, content, _ = _read(der)
    _, _, after_tbs = _read(content)
    _, _, end = _read(content, after_tbs)
    return content[after_tbs:end]


def test_an_rsa_pss_auth_from_an_independent_signer_verifies(
    nodes: dict[str, Issued], tmp_path: Path
) -> None:
    sa, node = ike_sa("rsa-pss"), nodes["rsa-pss"]
    key = private_key(node)
    octets = independent_octets(sa, "initiator", INIT_REQUEST, ID_I)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    signature = key.sign(octets, pss, hashes.SHA256())  # type: ignore[attr-defined]
    # cryptography's own RSASSA-PSS AlgorithmIdentifier (SHA-256, MGF1-SHA-256, 32-byte salt), taken
    # from a certificate it signs: the form RFC 7427 §A.4.3 gives.
    made = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(x509.Name([]))
        .public_key(key.public_key())  # type: ignore[attr-defined]
        .serial_number(1)
        .not_valid_before(x509.load_pem_x509_certificate(node.cert.read_bytes()).not_valid_before_utc)
        .not_valid_after(x509.load_pem_x509_certificate(node.cert.read_bytes()).not_valid_after_utc)
        .sign(key, hashes.SHA256(), rsa_padding=pss)  # type: ignore[arg-type]
    )
    identifier = _signature_algorithm(made)
    auth = bytes((len(identifier),)) + identifier + signature
    ikev2.verify_auth(
        sa, auth, node.cert.read_bytes(), signer="initiator", message=INIT_REQUEST, id_payload=ID_I
    )
    mine = ikev2.sign_auth(
        sa, signing_key(node, "rsa-pss"), signer="initiator", message=INIT_REQUEST, id_payload=ID_I
    )
    assert mine[: 1 + len(identifier)] == auth[: 1 + len(identifier)]
    key.public_key().verify(mine[1 + len(identifier) :], octets, pss, hashes.SHA256())  # type: ignore[attr-defined]


def test_malformed_auth_data_is_a_parse_error(nodes: dict[str, Issued]) -> None:
    sa, cert = ike_sa("ecdsa-p384"), nodes["ecdsa-p384"].cert.read_bytes()
    for data in (b"", b"\x0c", bytes.fromhex("0c300a06082a8648ce3d040303"), bytes.fromhex("05300306012a00")):
        with pytest.raises(ParseError, match="RFC 7427"):
            ikev2.verify_auth(sa, data, cert, signer="initiator", message=INIT_REQUEST, id_payload=ID_I)
    sha1_pss = bytes.fromhex("0d300b06092a864886f70d01010a") + b"sig"  # PSS without parameters
    with pytest.raises(ParseError, match="RFC 7427"):
        ikev2.verify_auth(sa, sha1_pss, cert, signer="initiator", message=INIT_REQUEST, id_payload=ID_I)


def test_only_pss_and_ecdsa_keys_sign_and_only_after_every_key_exchange(
    nodes: dict[str, Issued], monkeypatch: pytest.MonkeyPatch
) -> None:
    sa, key = ike_sa("ecdsa-p384"), signing_key(nodes["ecdsa-p384"], "ecdsa-p384")
    with pytest.raises(InvalidParameter, match="rsa-pss or ecdsa"):
        ikev2.sign_auth(
            sa, keys.generate_signing_key("ed25519"), signer="initiator", message=b"m", id_payload=b"i"
        )
    with pytest.raises(AlgorithmUnavailable, match="IKEv2 AUTH digest sha1 is not offered"):
        ikev2.sign_auth(sa, key, signer="initiator", message=b"m", id_payload=b"i", digest="sha1")
    with pytest.raises(InvalidParameter, match="unknown IKEv2 AUTH digest"):
        ikev2.sign_auth(sa, key, signer="initiator", message=b"m", id_payload=b"i", digest="sha-1")
    monkeypatch.setenv("FIPSCRYPTO_PQC", "1")
    suite = IkeSuite(ke=19, additional=(36,))
    waiting = IkeSa(suite, b"\x42" * 48, ni=bytes(32), nr=bytes(32), spi_i=b"1" * 8, spi_r=b"2" * 8)
    with pytest.raises(InvalidParameter, match="RFC 9370"):  # IKE_AUTH follows the last IKE_INTERMEDIATE
        ikev2.sign_auth(waiting, key, signer="initiator", message=b"m", id_payload=b"i")
