"""X.509 and PKCS algorithm identifiers (as asn1crypto decodes them) in the policy vocabulary.

A key is judged as what it signs with: an RSA key as an RSA signature key of its modulus size
(``rsa-pss`` for an id-RSASSA-PSS key, else ``rsa-pkcs1v15``; both have the same size rules), an EC key
as ECDSA on its curve. A signature algorithm is named as the TLS signature scheme with the same
algorithm and hash (``sha256WithRSAEncryption`` is ``rsa_pkcs1_sha256``), so that it is judged without
the signer's key size (that key is judged where its own certificate is); a SHA-1 signature is
``signature``/``sha1-signature`` and an MD5 or MD2 one ``hash``/``md5``/``md2``. RSASSA-PSS parameters
(RFC 4055 §3.1) are read: a PSS signature whose MGF1 hash differs from its hash, or whose salt is not the
hash's length, is reported by a descriptive name no policy allows. Password-based encryption
(PKCS#5 PBES1/PBES2, PKCS#12 PBE) gives the cipher, and the key derivation: PBKDF2 as a
``password-hash`` with its iterations and salt, the PKCS#12 KDF (RFC 7292 Appendix B) as ``kdf``
``pkcs12-kdf``, a name the vocabulary does not have (it is not an approved KDF).
"""

from __future__ import annotations

from typing import Any

__all__ = ["Spec", "cipher_specs", "key_spec", "signature_spec"]

Spec = tuple[str, str, int | None, dict[str, int]]  # category, name, bits, params

# ML-DSA (FIPS 204) and SLH-DSA public-key OIDs (NIST CSOR, 2.16.840.1.101.3.4.3.*), which asn1crypto
# leaves as dotted strings.
_PQC = {
    "2.16.840.1.101.3.4.3.17": "ml-dsa-44",
    "2.16.840.1.101.3.4.3.18": "ml-dsa-65",
    "2.16.840.1.101.3.4.3.19": "ml-dsa-87",
}
_CURVES = {
    "secp256r1": "p256",
    "secp384r1": "p384",
    "secp521r1": "p521",
    "secp224r1": "p224",
    "secp256k1": "secp256k1",
    "brainpoolp256r1": "brainpoolp256r1",
    "brainpoolp384r1": "brainpoolp384r1",
    "brainpoolp512r1": "brainpoolp512r1",
}
_ECDSA_SCHEMES = {
    "sha256": "ecdsa_secp256r1_sha256",
    "sha384": "ecdsa_secp384r1_sha384",
    "sha512": "ecdsa_secp521r1_sha512",
}
_DIGEST_BYTES = {"sha1": 20, "sha224": 28, "sha256": 32, "sha384": 48, "sha512": 64}
_CIPHERS = {"tripledes": "3des-cbc", "des": "des-cbc", "rc2": "rc2", "rc4": "rc4", "rc5": "rc5"}


def key_spec(info: Any) -> Spec:
    """A public or private key (asn1crypto ``PublicKeyInfo`` or ``PrivateKeyInfo``)."""
    algorithm = info.algorithm
    if algorithm in ("rsa", "rsassa_pss", "rsaes_oaep"):
        name = {"rsa": "rsa-pkcs1v15", "rsassa_pss": "rsa-pss", "rsaes_oaep": "rsa-oaep"}[algorithm]
        return ("key-agreement" if algorithm == "rsaes_oaep" else "signature"), name, info.bit_size, {}
    if algorithm == "dsa":
        return "signature", "dsa", info.bit_size, {}
    if algorithm == "ec":
        curve = info.curve[1] if info.curve[0] == "named" else "explicit-curve"
        return "signature", f"ecdsa-{_CURVES.get(curve, curve)}", None, {}
    if algorithm in ("ed25519", "ed448"):
        return "signature", algorithm, None, {}
    if algorithm in ("x25519", "x448"):
        return "key-agreement", algorithm, None, {}
    if algorithm == "dh":
        return "key-agreement", "ffdh", info.bit_size, {}
    return "signature", _PQC.get(algorithm, str(algorithm)), None, {}


def signature_spec(identifier: Any) -> Spec:
    """A signature algorithm (asn1crypto ``SignedDigestAlgorithm``)."""
    scheme = identifier.signature_algo
    if scheme in ("ed25519", "ed448"):
        return "tls-sigalg", scheme, None, {}
    digest = identifier.hash_algo
    if digest in ("md5", "md2"):
        return "hash", digest, None, {}
    if digest == "sha1":
        return "signature", "sha1-signature", None, {}
    if scheme == "rsassa_pss":
        params = identifier["parameters"]
        mgf = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
        salt = params["salt_length"].native
        if mgf != digest or salt != _DIGEST_BYTES.get(digest):
            return "tls-sigalg", f"rsa-pss({digest}, mgf1-{mgf}, salt {salt})", None, {}
        return "tls-sigalg", f"rsa_pss_rsae_{digest}", None, {}
    if scheme == "rsassa_pkcs1v15":
        return "tls-sigalg", f"rsa_pkcs1_{digest}", None, {}
    if scheme == "ecdsa" and digest in _ECDSA_SCHEMES:
        return "tls-sigalg", _ECDSA_SCHEMES[digest], None, {}
    return "tls-sigalg", f"{scheme}_{digest}", None, {}


def cipher_specs(identifier: Any) -> list[Spec]:
    """A content encryption algorithm (asn1crypto ``EncryptionAlgorithm``), with its password
    key derivation when it is password based."""
    name = identifier["algorithm"].native
    cipher = identifier.encryption_cipher
    found: list[Spec]
    if cipher == "aes":
        found = [("cipher", f"aes-{identifier.key_length * 8}-{identifier.encryption_mode}", None, {})]
    else:
        found = [("cipher", _CIPHERS.get(cipher, cipher), None, {})]
    if name == "pbes2" or name.startswith("pbes1"):
        kdf_hmac = identifier.kdf_hmac
        salt_bits = len(identifier.kdf_salt) * 8
        found.append(
            (
                "password-hash",
                f"pbkdf2-hmac-{kdf_hmac}" if name == "pbes2" else f"pbkdf1-{kdf_hmac}",
                None,
                {"iterations": identifier.kdf_iterations, "salt_bits": salt_bits},
            )
        )
    elif name.startswith("pkcs12_"):
        found.append(("kdf", "pkcs12-kdf", None, {}))
    return found
