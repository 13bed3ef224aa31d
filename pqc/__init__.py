"""Feature-flagged post-quantum module (installed as ``fipscrypto.pqc``).

Hybrid key exchange (ECDH + ML-KEM) with an OpenSSL backend and a liboqs backend arrives with the
post-quantum issue; this package reserves the import name ``fipscrypto.pqc``.
"""
