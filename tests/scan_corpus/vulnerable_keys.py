"""Scanner corpus: key sizes, curves, key agreement, PKCS #1 v1.5 encryption, PBKDF2 (never run)."""

import hashlib
import os
import random

from Crypto.Cipher import DES3
from Crypto.Protocol.KDF import PBKDF2
from Crypto.PublicKey import ECC, RSA
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa, x448, x25519
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

SMALL = 1024


def keys(password: bytes) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=SMALL)  # expect: policy.signature.rsa-pss=error
    key.public_key().encrypt(b"secret", padding.PKCS1v15())  # expect: policy.key-agreement.rsa-pkcs1v15-transport=error
    rsa.generate_private_key(65537, 3072)  # expect: policy.signature.rsa-pss=note
    dsa.generate_private_key(key_size=1024)  # expect: policy.signature.dsa=error
    ec.generate_private_key(ec.SECP256K1())  # expect: policy.signature.ecdsa-secp256k1=error
    ec.generate_private_key(ec.SECP384R1())  # expect: policy.signature.ecdsa-p384=note
    x25519.X25519PrivateKey.generate()  # expect: policy.key-agreement.x25519=error
    RSA.generate(1024)  # expect: policy.signature.rsa-pss=error
    PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=b"saltsalt", iterations=1000).derive(password)  # expect: code.constant-salt=error, policy.password-hash.pbkdf2-hmac-sha256=error
    PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=os.urandom(16), iterations=600_000)  # expect: policy.password-hash.pbkdf2-hmac-sha256=note
    hashlib.pbkdf2_hmac("sha1", password, os.urandom(16), 100_000)  # expect: policy.password-hash.pbkdf2-hmac-sha1=error
    session_token = random.getrandbits(128)  # expect: code.random-secret=error
    api_key = "".join(random.choice("abcdef") for _ in range(32))  # expect: code.random-secret=error
    shuffle_order = random.random()
    x448.X448PrivateKey.generate()  # expect: policy.key-agreement.x448=error
    ECC.generate(curve="P-256")  # expect: policy.signature.ecdsa-p256=note
    PBKDF2(password, os.urandom(16))  # expect: policy.password-hash.pbkdf2-hmac-sha1=error
    DES3.new(os.urandom(24), DES3.MODE_CBC, iv=os.urandom(8)).encrypt(password)  # expect: policy.cipher.3des-cbc=error
    del session_token, api_key, shuffle_order
