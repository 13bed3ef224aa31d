"""Scanner corpus: weak ciphers, modes and constant keys, IVs and nonces (never run)."""

import os

from Crypto.Cipher import AES, ARC4, DES, Blowfish
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

KEY = b"k" * 16
IV = bytes(16)


def legacy(data: bytes, key: bytes) -> None:
    Cipher(algorithms.TripleDES(key), modes.CBC(os.urandom(8))).encryptor()  # expect: policy.cipher.3des-cbc=error
    box = Cipher(algorithms.TripleDES(key), modes.CBC(os.urandom(8)))  # expect: policy.cipher.3des-cbc=warning
    box.decryptor()
    Cipher(algorithms.AES(KEY), modes.ECB()).encryptor()  # expect: code.constant-key=error, policy.cipher.aes-128-ecb=note
    Cipher(algorithms.AES(os.urandom(32)), modes.CBC(IV)).encryptor()  # expect: code.constant-iv=error, policy.cipher.aes-256-cbc=note
    Cipher(algorithms.ARC4(key), mode=None)  # expect: policy.cipher.rc4=error
    Cipher(algorithms.ChaCha20(key, b"\x00" * 16), mode=None)  # expect: code.constant-nonce=error, policy.cipher.chacha20=error
    DES.new(key, DES.MODE_CBC, iv=b"12345678")  # expect: code.constant-iv=error, policy.cipher.des-cbc=error
    AES.new(key, AES.MODE_ECB)  # expect: policy.cipher.aes-128-ecb=note
    ARC4.new(key)  # expect: policy.cipher.rc4=error
    Blowfish.new(key, Blowfish.MODE_CBC)  # expect: policy.cipher.blowfish=error
    aead = AESGCM(key)  # expect: policy.cipher.aes-128-gcm=note
    aead.encrypt(b"constant-nonce", data, None)  # expect: code.constant-nonce=error
    ChaCha20Poly1305(key)  # expect: policy.cipher.chacha20-poly1305=error
