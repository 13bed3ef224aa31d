"""Scanner corpus: approved cryptography used well (never run)."""

import hashlib
import hmac
import os
import secrets
import ssl

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC


def protect(data: bytes, password: bytes) -> bytes:
    key = AESGCM.generate_key(bit_length=256)
    digest = hashlib.sha256(data).digest()  # expect: policy.hash.sha256=note
    tag = hmac.new(secrets.token_bytes(32), digest, hashlib.sha384).digest()  # expect: policy.mac.hmac-sha384=note
    salt = os.urandom(16)
    PBKDF2HMAC(algorithm=hashes.SHA512(), length=32, salt=salt, iterations=600_000).derive(password)  # expect: policy.password-hash.pbkdf2-hmac-sha512=note
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # expect: policy.tls-version.tls1.2=note
    return AESGCM(key).encrypt(os.urandom(12), data + tag, None)  # expect: policy.cipher.aes-128-gcm=note
