"""The post-quantum extension (installed as ``fipscrypto.pqc``, its dependencies by the ``pqc`` extra).

The package holds no services: it reserves the import name ``fipscrypto.pqc`` for hybrid key exchange
(ECDH + ML-KEM) over the FIPS provider or liboqs. ML-DSA signatures and the ML-KEM TLS groups are
served by ``fipscrypto.keys`` and ``fipscrypto.tls`` under the active policy.
"""
