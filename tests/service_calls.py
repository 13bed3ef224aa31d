"""Every public service entry point, called with valid arguments.

The meta-tests (tests/test_selftest_meta.py) run these in a fresh process whose module has entered
ERROR and require each to raise ModuleErrorState. ``test_every_entry_point_is_listed`` keeps the list
complete: a new public service that is not added here fails it.
"""

from __future__ import annotations

import functools
import io
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The post-quantum module is off by default: the processes that run the sweeps turn it on the way a
# deployment does (this environment), and the in-process sweeps for the duration of each test.
PQC_ON = {"FIPSCRYPTO_PQC": "1"}

KEY = bytes(range(32))
NONCE = bytes(12)
RTP = b"\x80\x00"  # an RTP header (RFC 3550 §5.1) up to the sequence number; SSRC 0 follows
RTCP = b"\x80\xc9\x00\x01" + bytes(4)  # an empty receiver report (RFC 3550 §6.4.2)
# Valid inputs for the entry points that parse before they compute (made once with this module).
ECDH_PEM = b"""-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAAAAAAAAAAAAAAAA
AAAAAAAAAAAAAAAAAAAAAAAAAAehRANCAASOUztvoL97RiW7MGZ8Aftgfvn4uKgP
71swBihwMYeyo3PrHb3gMxg2bQafg6b1kABTxzYzywQbIcVeGobB9AC0
-----END PRIVATE KEY-----
"""
ECDH_POINT = bytes.fromhex(  # 7G on P-256, uncompressed
    "048e533b6fa0bf7b4625bb30667c01fb607ef9f8b8a80fef5b300628703187b2"
    "a373eb1dbde03318366d069f83a6f5900053c73633cb041b21c55e1a86c1f400b4"
)
RSA_PEM = b"""-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCzZySBvGtuPyQw
pfa8je5eIDl5nw1c5Rbq9ErVJ0rl73REWpGquAhyePuiYl1v7Pqy1LwA60KE3DB5
JGOfUcipdS21m0Tg0/1o5ugtFMdSOGaPCKsu3KoLlMgyS4EM9mppROVURO+5cEqd
Xu0VL2hbzoInNxZUzRiMhjXUQNNYemP2cxZ8lXDfXLChGBOnRvOo/v2iJgAJn2GA
rxYIJgeKnKO0BZnSuNk9MN0Wn+XOY+P76UTFU8DMOYgWi7ZJ4B54cRtCFxBEmnJM
s6lCFSL0ZP7axUlydZKYlXg7KQ3dK60Af/t9JqXa7z7CVfCk+t3Lko0SqQRZOcPj
XZHbayAhAgMBAAECggEAAqeru8NH9DpZPOKR4ZW4obo4m4cJ7bZitdCudFPX6Qn3
hqTv+66sSlRlxfAOea/wQFoDW8CfjAONsJdEJakSTwaxydqdxPWCLi2foT4p2nrE
8sgyL1f66L+3jD3/j4tshPkM60e3Y/9ITWaom8wHL3ehh7bKHPBplPfN/2GDty8X
Jo5Ar4t/CHBfLXcGfTvkluMvOl+79s7fdnsHaUiDhsiaVqsSaZA55s+0OcMagRD2
WUAhZaJ0jr0aWGkPZn9E2W/afBabuNaUjEc5JGC9OK0c9HQuzSMWehBJteb24DzW
FL5QvwoTKLZplwQqzCkkoUrwoY+MPCCc9QrSyuda6QKBgQDhLqzdgaJO4DeWapke
m1ljHoSGFVOT99fcHKAR+6ZVcdOYL9KnynzH7wuNZCJGH80hLUiPpmFDIsKGf72T
maxb6fFbZOWqPa+x/5OO46YPV3+iHbayle9Bp4ppCO7U1TZmmaNXIbdpIPzG3/uA
X4M9OCn9nuvSIiS1D2ZKl5LraQKBgQDL9JKW3lQ2oo5a9QPvVhBBP5vcAE+LgGKW
Shg3eE9PkHx3f//Ze2FC0bsPocZfAIWPgumE6asCHUwXhsuLwkVrVRGrW2+s2JzZ
euHlv/Zbyv/J7kfVGkCrPTB31faT6LkK/d6XZVjQoNpV/Df53lgKkb2BwmpWGW2G
fS8MedEP+QKBgBO9VLgCMik57IWKCKwvMBHJThK28eGpu0l3VOzeo4Ef/k17+7pr
vK6GHPwjCAIfrYq3/oFhM2uAM484yXST5xETm+3IFX3r9GflIJlJCXiU0gJzGl3j
WNrnhfGZL96GZkNuOmxb70kO9Dm2zsQ9GzMVplCuSrvb9F3O4MevK9jpAoGABYiD
GZi6jCjo18rh6nJZSovhPJy9i7lV82HbOlYHQM9YsR1F4a6ZOujZvFjVOuqWtQgG
MdbtDsegstqzVv1USM8sBYwbgYL27meJDWSh2GevfNj8Fen6ayrjz7x8ThL4QjYU
/eKAAFj802xeUGcZ2F+P1p9hpyhVclqfFiWP6HECgYA1QsAPq3Bi0dOgHAfh0fh3
DaUtTmFqNxLRERE9rmrqZ1kpn4t+f831iLXgPmiby7udCyzkTxbr4Uu/L2p401rq
W9tXeQmffYrG5V53IF+eOjg7BNtiYMk4B7RJpbT6++YxSN9ovaLsYNQoK5u89fZp
KMO8ffvOVvUFWrtGlGMLiw==
-----END PRIVATE KEY-----
"""  # an RSA-2048 key (openssl genpkey), for the key-transport loaders
RSA_SPKI = bytes.fromhex(  # its public key, SubjectPublicKeyInfo DER
    "30820122300d06092a864886f70d01010105000382010f003082010a0282010100b3672481bc6b6e3f2430a5f6bc8dee"
    "5e2039799f0d5ce516eaf44ad5274ae5ef74445a91aab8087278fba2625d6fecfab2d4bc00eb4284dc307924639f51c8"
    "a9752db59b44e0d3fd68e6e82d14c75238668f08ab2edcaa0b94c8324b810cf66a6944e55444efb9704a9d5eed152f68"
    "5bce8227371654cd188c8635d440d3587a63f673167c9570df5cb0a11813a746f3a8fefda22600099f6180af16082607"
    "8a9ca3b40599d2b8d93d30dd169fe5ce63e3fbe944c553c0cc3988168bb649e01e78711b421710449a724cb3a9421522"
    "f464fedac5497275929895783b290ddd2bad007ffb7d26a5daef3ec255f0a4faddcb928d12a9045939c3e35d91db6b20"
    "210203010001"
)
PHC = (
    "$pbkdf2-sha512$i=600000$qpK/PXEiirCyYE7CQH2wsQ$"
    "X6ihJTLVNZXGd5SpL2GTRbN4QtIBs9CotDTZNBaGYQm/HLJevNGPNONJvQJfL/Nm8UpTL8zaKqh3qiBmj7ycXw"
)
ENVELOPE = bytes.fromhex(  # seal.seal(b"x", key_id="k1", kek=KEY)
    "46435345414c01026b31002825774665c81cfc30bfd7754ee525aeb4d3b1a9528659f1e263d509b2e3645e218c9ea3"
    "4cf9be423de10a523b114a0915f8db55cde595ff042f3e5b0c958deee869b8ef3163"
)
STREAM = bytes.fromhex(  # seal.seal_stream of b"x" under the same key
    "46435345414c02026b310028cca1e61833f536dc99fb39b5efadc80b58ff1235e3ddea95b923fb171eeeb23512fed1"
    "c65c88517f5365abbeb14e9100010000acdd2c0f99c7f556c3c50650c5216e4999"
)

# Public names of the service modules that are not service entry points (types, constants, or result
# records), with the reason; everything else in their __all__ must be called below.
NOT_ENTRY_POINTS = {
    "aead.NONCE_SIZE": "constant",
    "aead.GCM_NONCE_SIZES": "constant",
    "hashes.MAX_XOF_LENGTH": "constant",
    "rand.MAX_REQUEST": "constant",
    "rand.MAX_LENGTH": "constant",
    "passwords.MAX_ITERATIONS": "constant",
    "seal.CHUNK": "constant",
    "keys.GROUPS": "constant",
    "keys.Encoding": "type alias",
    "keys.SignatureFormat": "type alias",
    "keys.FFDHGroup": "domain parameters (data)",
    "keys.SigningKey": "made by generate_signing_key/load_signing_key (methods: object_calls)",
    "keys.VerifyingKey": "made by a SigningKey or load_verifying_key (methods: object_calls)",
    "keys.AgreementKey": "made by generate_agreement_key and the loaders (methods: object_calls)",
    "keys.AgreementPublicKey": "made by load_agreement_public_key (data)",
    "keys.TransportKey": "made by generate_transport_key/load_transport_key (methods: object_calls)",
    "keys.TransportPublicKey": "made by a TransportKey or load_transport_public_key (methods: object_calls)",
    "kdf.IkeSaKeys": "result record",
    "kdf.SrtpKeys": "result record",
    "kdf.SrtpLabel": "enumeration",
    "kdf.Tls13Secrets": "result record",
    "tls.CertificateSummary": "result record",
    "tls.TLSParameters": "result record",
    "tls.EndpointSettings": "result record",
    "tls.PolicyRef": "a reference to a policy (data)",
    "tls.ChainChecker": "used by the context builders (their entry points are listed)",
    "tls.Connection": "made by client_connection/server_connection (object_calls)",
    "tls.handshake": "operates on a connection (client_connection/server_connection refuse first)",
    "tls.negotiated": "operates on a connection (client_connection/server_connection refuse first)",
    "tls.load_chain": "parses certificates: no cryptographic service",
    "tls.load_private_key": "parses a key: no cryptographic service",
    "srtp.Profile": "enumeration (data)",
    "srtp.Transform": "profile record (data)",
    "srtp.SRTP_LIMIT": "constant",
    "srtp.SRTCP_LIMIT": "constant",
    "srtp.EXPORTER_LABEL": "constant",
    "srtp.Certificate": "made by generate_certificate (data: PEM and fingerprint)",
    "srtp.KeyingMaterial": "made by DtlsSrtp.keying_material (data; sessions() makes SRTPSessions)",
    "pqc.enabled": "reads the switch: no cryptographic service",
    "pqc.backends": "reports what is installed: no cryptographic service",
    "pqc.Backend": "result record",
    "pqc.HYBRIDS": "constant (the hybrids' layouts)",
    "ipsec.ALGORITHMS": "constant (data)",
    "ipsec.ikev2": "the IKEv2 module (SERVICE_MODULES lists its entry points)",
    "ipsec.ikev2.AUTH_METHOD": "constant",
    "ipsec.ikev2.PREFERENCE": "constant",
    "ipsec.ikev2.ChildSaKeys": "result record (security_associations: object_calls)",
    "ipsec.ikev2.ChildSuite": "transform record (data, checked when made)",
    "ipsec.ikev2.DirectionKeys": "result record",
    "ipsec.ikev2.IkeSuite": "transform record (data, checked when made)",
    "ipsec.ikev2.Role": "type alias",
    "ipsec.ikev2.Transform": "transform record (data)",
    "ipsec.ikev2.TransformType": "enumeration",
}
SERVICE_MODULES = (
    "hashes",
    "mac",
    "aead",
    "rand",
    "kdf",
    "keys",
    "passwords",
    "seal",
    "tls",
    "srtp",
    "ipsec",
    "pqc",
    "ipsec.ikev2",
)
# An IPv4 UDP datagram from 192.0.2.1 to 192.0.2.2 with 8 octets of data (RFC 768, RFC 791).
SPI = bytes(range(1, 9))  # an IKE SA SPI (RFC 7296 §3.1: not zero)
IPV4 = bytes.fromhex("45000024000100004011f6c4c0000201c000020200350035001000006461746164617461")


@functools.cache
def _pki() -> tuple[Any, Path]:
    """A server certificate (chain and key files) and its CA, made with cryptography directly."""
    import tlslib

    pki = tlslib.Pki(Path(tempfile.mkdtemp()))
    return pki.issue("localhost"), pki.cert


def _ike_sa() -> Any:
    """An IKE SA of the default suite under a made-up shared secret (no key exchange)."""
    from fipscrypto.ipsec import ikev2

    return ikev2.IkeSa(ikev2.IkeSuite(), KEY, ni=KEY, nr=KEY, spi_i=SPI, spi_r=SPI)


@functools.cache
def _auth() -> tuple[Any, bytes, bytes]:
    """(a node's signing key, its certificate, an AUTH payload it made over _ike_sa's octets)."""
    from fipscrypto import keys
    from fipscrypto.ipsec import ikev2

    node = _pki()[0]
    key = keys.load_signing_key(node.key.read_bytes(), "ecdsa-p256")
    auth = ikev2.sign_auth(_ike_sa(), key, signer="initiator", message=b"m", id_payload=b"i")
    return key, node.cert.read_bytes(), auth


def entry_points() -> dict[str, Callable[[], object]]:
    from fipscrypto import aead, hashes, ipsec, kdf, keys, mac, passwords, pqc, rand, seal, srtp, tls
    from fipscrypto.ipsec import ikev2

    wrapped = bytes.fromhex("1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5")  # RFC 3394 §4.1
    return {
        "hashes.digest": lambda: hashes.digest("sha256", b"x"),
        "hashes.Hasher": lambda: hashes.Hasher("sha256"),
        "hashes.hash_file": lambda: hashes.hash_file(sys.executable),
        "mac.hmac": lambda: mac.hmac(KEY, b"x"),
        "mac.verify_hmac": lambda: mac.verify_hmac(KEY, b"x", bytes(32)),
        "mac.cmac": lambda: mac.cmac(KEY[:16], b"x"),
        "mac.verify_cmac": lambda: mac.verify_cmac(KEY[:16], b"x", bytes(16)),
        "mac.gmac": lambda: mac.gmac(KEY, NONCE, b"x"),
        "mac.verify_gmac": lambda: mac.verify_gmac(KEY, NONCE, b"x", bytes(16)),
        "aead.AESGCM": lambda: aead.AESGCM(KEY),
        "aead.AESCCM": lambda: aead.AESCCM(KEY),
        "aead.wrap": lambda: aead.wrap(KEY[:16], KEY[:16]),
        "aead.unwrap": lambda: aead.unwrap(bytes(range(16)), wrapped),
        "aead.wrap_pad": lambda: aead.wrap_pad(KEY, b"x"),
        "aead.unwrap_pad": lambda: aead.unwrap_pad(KEY, bytes(16)),
        "rand.random_bytes": lambda: rand.random_bytes(16),
        "rand.HmacDrbg": lambda: rand.HmacDrbg(),
        "kdf.hkdf": lambda: kdf.hkdf(KEY, length=32),
        "kdf.hkdf_extract": lambda: kdf.hkdf_extract(KEY),
        "kdf.hkdf_expand": lambda: kdf.hkdf_expand(KEY, length=32),
        "kdf.hkdf_expand_label": lambda: kdf.hkdf_expand_label(KEY, b"key", b"", length=16),
        "kdf.derive_secret": lambda: kdf.derive_secret(KEY, b"c hs traffic", b""),
        "kdf.pbkdf2": lambda: kdf.pbkdf2(b"password", KEY[:16], iterations=1000, length=32),
        "kdf.kbkdf": lambda: kdf.kbkdf(KEY, length=32),
        "kdf.tls10_prf": lambda: kdf.tls10_prf(KEY, b"label", b"seed", length=16),
        "kdf.tls12_prf": lambda: kdf.tls12_prf(KEY, b"label", b"seed", length=16),
        "kdf.tls12_master_secret": lambda: kdf.tls12_master_secret(KEY, bytes(32)),
        "kdf.tls12_key_block": lambda: kdf.tls12_key_block(
            KEY + KEY[:16], server_random=bytes(32), client_random=bytes(32), length=40
        ),
        "kdf.tls13_key_schedule": lambda: kdf.tls13_key_schedule(
            client_hello=b"ch", server_hello=b"sh", server_flight=b"sf", client_flight=b"cf", dhe=KEY
        ),
        "kdf.srtp_kdf": lambda: kdf.srtp_kdf(KEY[:16], KEY[:14], label=kdf.SrtpLabel.RTP_SALT, index=0),
        "kdf.srtp_session_keys": lambda: kdf.srtp_session_keys(KEY[:16], KEY[:14], index=0),
        "kdf.srtcp_session_keys": lambda: kdf.srtcp_session_keys(KEY[:16], KEY[:14], index=0),
        "kdf.ikev2_prf": lambda: kdf.ikev2_prf(KEY, b"x"),
        "kdf.ikev2_prf_plus": lambda: kdf.ikev2_prf_plus(KEY, b"x", length=64),
        "kdf.ikev2_skeyseed": lambda: kdf.ikev2_skeyseed(KEY[:16], KEY[16:], KEY),
        "kdf.ikev2_derive_sk": lambda: kdf.ikev2_derive_sk(
            KEY, KEY[:16], KEY[16:], bytes(8), bytes(8), encryption_key_length=36, integrity_key_length=0
        ),
        "kdf.ikev2_child_keymat": lambda: kdf.ikev2_child_keymat(KEY, KEY[:16], KEY[16:], length=64),
        "kdf.ikev2_rekey_skeyseed": lambda: kdf.ikev2_rekey_skeyseed(KEY, KEY, KEY[:16], KEY[16:]),
        "keys.generate_signing_key": lambda: keys.generate_signing_key("ecdsa-p256"),
        "keys.signing_key_from_seed": lambda: keys.signing_key_from_seed("ml-dsa-44", KEY),
        "keys.load_signing_key": lambda: keys.load_signing_key(KEY, "ed25519", encoding="raw"),
        "keys.load_verifying_key": lambda: keys.load_verifying_key(KEY, "ed25519", encoding="raw"),
        "keys.rsa_verifying_key": lambda: keys.rsa_verifying_key((1 << 2047) + 1, 65537),
        "keys.generate_agreement_key": lambda: keys.generate_agreement_key("ecdh-p256"),
        "keys.agreement_key_from_private_value": lambda: keys.agreement_key_from_private_value(
            "ecdh-p256", 7
        ),
        "keys.load_agreement_key": lambda: keys.load_agreement_key(ECDH_PEM, "ecdh-p256"),
        "keys.load_agreement_public_key": lambda: keys.load_agreement_public_key(
            ECDH_POINT, "ecdh-p256", encoding="raw"
        ),
        "keys.generate_transport_key": lambda: keys.generate_transport_key("rsa-oaep", bits=2048),
        "keys.load_transport_key": lambda: keys.load_transport_key(RSA_PEM, "rsa-oaep"),
        "keys.load_transport_public_key": lambda: keys.load_transport_public_key(RSA_SPKI, "rsa-oaep"),
        "passwords.hash": lambda: passwords.hash("correct horse battery staple"),
        "passwords.verify": lambda: passwords.verify("pw", PHC),
        "passwords.needs_rehash": lambda: passwords.needs_rehash(PHC),
        "seal.seal": lambda: seal.seal(b"x", key_id="k1", kek=KEY),
        "seal.unseal": lambda: seal.unseal(ENVELOPE, {"k1": KEY}),
        "seal.rewrap": lambda: seal.rewrap(ENVELOPE, {"k1": KEY}, key_id="k2", kek=KEY),
        "seal.seal_stream": lambda: seal.seal_stream(io.BytesIO(b"x"), io.BytesIO(), key_id="k1", kek=KEY),
        "seal.unseal_stream": lambda: seal.unseal_stream(io.BytesIO(STREAM), io.BytesIO(), {"k1": KEY}),
        "tls.server_context": lambda: tls.server_context(_pki()[0].chain, _pki()[0].key),
        "tls.client_context": lambda: tls.client_context(ca=_pki()[1]),
        "tls.stdlib_server_context": lambda: tls.stdlib_server_context(_pki()[0].chain, _pki()[0].key),
        "tls.stdlib_client_context": lambda: tls.stdlib_client_context(ca=_pki()[1]),
        "tls.endpoint_settings": lambda: tls.endpoint_settings(
            tls.PolicyRef(None), service="tls.client_context"
        ),
        "srtp.SRTPSession": lambda: srtp.SRTPSession("AEAD_AES_128_GCM", KEY[:16], KEY[:12], mki=b"\x01"),
        "srtp.generate_certificate": lambda: srtp.generate_certificate(common_name="edge", days=1),
        "srtp.Fingerprint": lambda: srtp.Fingerprint.of(_dtls().certificate),
        "srtp.DtlsSrtp": lambda: srtp.DtlsSrtp(
            "client",
            certificate=_dtls().certificate,
            private_key=_dtls().private_key,
            remote_fingerprint=_dtls().fingerprint,
        ),
        # liboqs: its construction runs the liboqs backend's self-test (openssl's runs with TLS).
        "pqc.MLKEM": lambda: pqc.MLKEM("ML-KEM-768", backend="liboqs"),
        "pqc.HybridKEM": lambda: pqc.HybridKEM("SecP256r1MLKEM768").generate_keypair(),
        "ipsec.SecurityAssociation": lambda: ipsec.SecurityAssociation(0x1000, KEY + KEY[:4]),
        "ipsec.ikev2.KeyExchange": lambda: ikev2.KeyExchange(19),
        "ipsec.ikev2.IkeSa": lambda: ikev2.IkeSa(ikev2.IkeSuite(), KEY, ni=KEY, nr=KEY, spi_i=SPI, spi_r=SPI),
        "ipsec.ikev2.ike_offer": lambda: ikev2.ike_offer(additional=False),
        "ipsec.ikev2.ike_select": lambda: ikev2.ike_select(ikev2.ike_offer()),
        "ipsec.ikev2.child_offer": lambda: ikev2.child_offer(pfs=True),
        "ipsec.ikev2.child_select": lambda: ikev2.child_select(ikev2.child_offer()),
        "ipsec.ikev2.nonce": lambda: ikev2.nonce(32),
        "ipsec.ikev2.spi": lambda: ikev2.spi(),
        "ipsec.ikev2.signed_octets": lambda: ikev2.signed_octets(
            _ike_sa(), "initiator", message=b"m", id_payload=b"i", int_auth=b""
        ),
        "ipsec.ikev2.sign_auth": lambda: ikev2.sign_auth(
            _ike_sa(), _auth()[0], signer="initiator", message=b"m", id_payload=b"i", digest="sha256"
        ),
        "ipsec.ikev2.verify_auth": lambda: ikev2.verify_auth(
            _ike_sa(), _auth()[2], _auth()[1], signer="initiator", message=b"m", id_payload=b"i"
        ),
    }


@functools.cache
def _dtls() -> Any:
    """A DTLS-SRTP certificate, made once (the first call after activation)."""
    from fipscrypto import srtp

    return srtp.generate_certificate()


def prepare() -> dict[str, Any]:
    """Key objects made while the module serves (their methods must refuse after an ERROR)."""
    from fipscrypto import aead, hashes, ipsec, keys, pqc, rand, srtp, tls
    from fipscrypto.ipsec import ikev2

    ike_sa = _ike_sa()
    signing = keys.generate_signing_key("ed25519")
    mlkem = pqc.MLKEM("ML-KEM-768")
    mlkem_public, mlkem_private = mlkem.generate_keypair()
    agreement = keys.generate_agreement_key("ecdh-p256")
    transport = keys.load_transport_key(RSA_PEM, "rsa-oaep")
    gcm = aead.AESGCM(KEY, nonces="counter")
    nonce, sealed = gcm.encrypt(b"x")
    ccm = aead.AESCCM(KEY)
    sender = srtp.SRTPSession(srtp.Profile.AES_CM_128_HMAC_SHA1_80, KEY[:16], KEY[:14])
    rekeyed = srtp.SRTPSession(srtp.Profile.AEAD_AES_128_GCM, KEY[:16], KEY[:12], mki=b"\x01")
    rekeyed.add_master_key(KEY[16:], KEY[:12], b"\x02")
    rekeyed.use_master_key(b"\x02")
    outbound = ipsec.SecurityAssociation(0x1000, KEY + KEY[:4])
    return {
        "srtp_keys": rekeyed,
        "srtp_keys_sealed": rekeyed.protect(RTP + b"\x00\x01" + bytes(8)),
        "ike_sa": ike_sa,
        "ke": ikev2.KeyExchange(19),
        "child": ike_sa.child_sa(ikev2.ChildSuite()),
        "esp_tx": outbound,
        "esp_rx": ipsec.SecurityAssociation(0x1000, KEY + KEY[:4]),
        "esp_sealed": [outbound.encapsulate(IPV4) for _ in range(512)],  # one per valid call
        "srtp_tx": sender,
        "srtp_rx": srtp.SRTPSession(srtp.Profile.AES_CM_128_HMAC_SHA1_80, KEY[:16], KEY[:14]),
        "srtp_sealed": (sender.protect(RTP + b"\x00\x01" + bytes(8)), sender.protect_rtcp(RTCP)),
        "gcm": gcm,
        "sealed": (nonce, sealed),
        "explicit": aead.AESGCM(KEY, nonces="explicit"),
        "ccm": ccm,
        "ccm_sealed": ccm.encrypt(b"x"),
        "hasher": hashes.Hasher("sha256"),
        "drbg": rand.HmacDrbg(),
        "signing": signing,
        "signature": signing.sign(b"x"),
        "agreement": agreement,
        "peer": keys.generate_agreement_key("ecdh-p256").public_key(),
        "transport": transport,
        "transport_public": transport.public_key(),
        "transported": transport.public_key().encrypt(b"x"),
        "tls_client": tls.client_context(ca=_pki()[1]),
        "tls_server": tls.server_context(_pki()[0].chain, _pki()[0].key),
        "mlkem": mlkem,
        "mlkem_keys": (mlkem_public, mlkem_private),
        "mlkem_ciphertext": mlkem.encapsulate(mlkem_public)[0],
    }


def object_calls(made: dict[str, Any]) -> dict[str, Callable[[], object]]:
    from fipscrypto import tls
    from fipscrypto.ipsec import ikev2

    return {
        "AESGCM.encrypt": lambda: made["gcm"].encrypt(b"x"),
        "AESGCM.decrypt": lambda: made["gcm"].decrypt(*made["sealed"]),
        "AESGCM.encrypt_with_nonce": lambda: made["explicit"].encrypt_with_nonce(NONCE, b"x"),
        "AESCCM.encrypt": lambda: made["ccm"].encrypt(b"x"),
        "AESCCM.decrypt": lambda: made["ccm"].decrypt(*made["ccm_sealed"]),
        "Hasher.finalize": lambda: made["hasher"].finalize(),
        "HmacDrbg.generate": lambda: made["drbg"].generate(16),
        "SigningKey.sign": lambda: made["signing"].sign(b"x"),
        "SigningKey.private_bytes": lambda: made["signing"].private_bytes(),
        "SigningKey.verifying_key": lambda: made["signing"].verifying_key(),
        "VerifyingKey.verify": lambda: made["signing"].verifying_key().verify(made["signature"], b"x"),
        "AgreementKey.exchange": lambda: made["agreement"].exchange(made["peer"]),
        "AgreementKey.private_bytes": lambda: made["agreement"].private_bytes(),
        "AgreementKey.public_bytes": lambda: made["agreement"].public_bytes(),
        "AgreementPublicKey.public_bytes": lambda: made["peer"].public_bytes(),
        "SigningKey.public_bytes": lambda: made["signing"].public_bytes(),
        "VerifyingKey.public_bytes": lambda: made["signing"].verifying_key().public_bytes(),
        "TransportKey.decrypt": lambda: made["transport"].decrypt(made["transported"]),
        "TransportKey.public_key": lambda: made["transport"].public_key(),
        "TransportKey.private_bytes": lambda: made["transport"].private_bytes(),
        "TransportKey.public_bytes": lambda: made["transport"].public_bytes(),
        "TransportPublicKey.encrypt": lambda: made["transport_public"].encrypt(b"x"),
        "TransportPublicKey.public_bytes": lambda: made["transport_public"].public_bytes(),
        "SRTPSession.protect": lambda: made["srtp_tx"].protect(RTP + b"\x00\x02" + bytes(8)),
        "SRTPSession.unprotect": lambda: made["srtp_rx"].unprotect(made["srtp_sealed"][0]),
        "SRTPSession.protect_many": lambda: made["srtp_tx"].protect_many([RTP + b"\x00\x03" + bytes(8)]),
        "SRTPSession.unprotect_many": lambda: made["srtp_rx"].unprotect_many([made["srtp_sealed"][0]]),
        "SRTPSession.protect_rtcp": lambda: made["srtp_tx"].protect_rtcp(RTCP),
        "SRTPSession.unprotect_rtcp": lambda: made["srtp_rx"].unprotect_rtcp(made["srtp_sealed"][1]),
        "SRTPSession.add_master_key": lambda: made["srtp_keys"].add_master_key(KEY[:16], KEY[:12], b"\x03"),
        "SRTPSession.unprotect (a second key)": lambda: made["srtp_keys"].unprotect(made["srtp_keys_sealed"]),
        "SRTPSession.protect (a second key)": lambda: made["srtp_keys"].protect(RTP + b"\x00\x02" + bytes(8)),
        "IkeSa.add_key_exchange": lambda: made["ike_sa"].add_key_exchange(KEY),
        "IkeSa.ready": lambda: made["ike_sa"].ready(),
        "IkeSa.child_sa": lambda: made["ike_sa"].child_sa(
            ikev2.ChildSuite(), ni=None, nr=None, shared_secrets=()
        ),
        "IkeSa.rekey": lambda: made["ike_sa"].rekey(
            ikev2.IkeSuite(), [KEY], ni=KEY, nr=KEY[::-1], spi_i=SPI, spi_r=SPI[::-1]
        ),
        "KeyExchange.complete": lambda: made["ke"].complete(ECDH_POINT[1:]),
        "KeyExchange.respond": lambda: made["ke"].respond(19, ECDH_POINT[1:]),
        "ChildSaKeys.security_associations": lambda: made["child"].security_associations(
            "initiator", outbound_spi=0x1001, inbound_spi=0x1002
        ),
        "SecurityAssociation.encapsulate": lambda: made["esp_tx"].encapsulate(IPV4),
        "SecurityAssociation.decapsulate": lambda: made["esp_rx"].decapsulate(made["esp_sealed"].pop()),
        "tls.client_connection": lambda: tls.client_connection(made["tls_client"], "localhost"),
        "tls.server_connection": lambda: tls.server_connection(made["tls_server"]),
        "MLKEM.generate_keypair": lambda: made["mlkem"].generate_keypair(seed=KEY + KEY),
        "MLKEM.encapsulate": lambda: made["mlkem"].encapsulate(made["mlkem_keys"][0]),
        "MLKEM.decapsulate": lambda: made["mlkem"].decapsulate(
            made["mlkem_keys"][1], made["mlkem_ciphertext"]
        ),
    }


def outcomes(calls: dict[str, Callable[[], object]]) -> dict[str, str]:
    """ "refused" for each call that raised ModuleErrorState; otherwise what happened."""
    from fipscrypto.errors import ModuleErrorState

    seen = {}
    for name, call in calls.items():
        try:
            call()
            seen[name] = "served"
        except ModuleErrorState:
            seen[name] = "refused"
        except Exception as exc:  # anything else is a failure to refuse, reported by name
            seen[name] = f"{type(exc).__name__}: {exc}"
    return seen
