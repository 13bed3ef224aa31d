"""The FIPS provider's own implementation of the TLS hybrid groups (OpenSSL's EVP_PKEY-MLX-KEM(7)),
driven through the system libcrypto in fipscrypto's private context of the provider: the reference
that :class:`fipscrypto.pqc.HybridKEM` must agree with byte for byte.

TLS uses these keys through ``EVP_PKEY_get1_encoded_public_key`` (the key share), the ``pub`` import
parameter (a peer's share), ``EVP_PKEY_encapsulate`` (the server) and ``EVP_PKEY_decapsulate`` (the
client). Nothing of fipscrypto's hybrid code runs here.
"""

from __future__ import annotations

from typing import Any

import cffi

from fipscrypto.keys import inside
from fipscrypto.provider import context as provider_context

_CDEF = """
typedef struct ossl_param_st {
    const char *key; unsigned int data_type; void *data; size_t data_size; size_t return_size;
} OSSL_PARAM;
typedef struct ossl_lib_ctx_st OSSL_LIB_CTX;
typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_pkey_ctx_st EVP_PKEY_CTX;
EVP_PKEY_CTX *EVP_PKEY_CTX_new_from_name(OSSL_LIB_CTX *ctx, const char *name, const char *propq);
EVP_PKEY_CTX *EVP_PKEY_CTX_new_from_pkey(OSSL_LIB_CTX *ctx, EVP_PKEY *pkey, const char *propq);
void EVP_PKEY_CTX_free(EVP_PKEY_CTX *ctx);
int EVP_PKEY_fromdata_init(EVP_PKEY_CTX *ctx);
int EVP_PKEY_fromdata(EVP_PKEY_CTX *ctx, EVP_PKEY **ppkey, int selection, OSSL_PARAM params[]);
int EVP_PKEY_keygen_init(EVP_PKEY_CTX *ctx);
int EVP_PKEY_keygen(EVP_PKEY_CTX *ctx, EVP_PKEY **ppkey);
size_t EVP_PKEY_get1_encoded_public_key(EVP_PKEY *pkey, unsigned char **ppub);
void EVP_PKEY_free(EVP_PKEY *key);
int EVP_PKEY_encapsulate_init(EVP_PKEY_CTX *ctx, const OSSL_PARAM params[]);
int EVP_PKEY_encapsulate(EVP_PKEY_CTX *ctx, unsigned char *wrappedkey, size_t *wrappedkeylen,
                         unsigned char *genkey, size_t *genkeylen);
int EVP_PKEY_decapsulate_init(EVP_PKEY_CTX *ctx, const OSSL_PARAM params[]);
int EVP_PKEY_decapsulate(EVP_PKEY_CTX *ctx, unsigned char *unwrapped, size_t *unwrappedlen,
                         const unsigned char *wrapped, size_t wrappedlen);
void CRYPTO_free(void *ptr, const char *file, int line);
"""
_OCTET_STRING = 5  # OSSL_PARAM_OCTET_STRING
_PUBLIC_KEY = 0x86  # EVP_PKEY_PUBLIC_KEY (OSSL_KEYMGMT_SELECT_PUBLIC_KEY | ALL_PARAMETERS)
_FFI = cffi.FFI()
_FFI.cdef(_CDEF)
_LIB: Any = _FFI.dlopen("libcrypto.so.3")


class ProviderKem:
    """One hybrid group in the provider: a key pair it generates, or a peer's share it imports."""

    def __init__(self, group: str) -> None:
        context = inside.get()
        assert context is not None, "the FIPS provider's private context (strict or audit mode)"
        address = int(provider_context._ffi.cast("uintptr_t", context._ctx))
        self._ctx = _FFI.cast("OSSL_LIB_CTX *", address)
        self._context = context  # keeps the library context alive
        self.group = group.encode()
        self._key: Any = None

    def _pkey_ctx(self, key: Any) -> Any:
        pctx = _LIB.EVP_PKEY_CTX_new_from_pkey(self._ctx, key, b"fips=yes")
        assert pctx != _FFI.NULL
        return _FFI.gc(pctx, _LIB.EVP_PKEY_CTX_free)

    def _new(self) -> Any:
        pctx = _LIB.EVP_PKEY_CTX_new_from_name(self._ctx, self.group, b"fips=yes")
        assert pctx != _FFI.NULL, "the provider has no such group"
        return _FFI.gc(pctx, _LIB.EVP_PKEY_CTX_free)

    def generate(self) -> bytes:
        """A new key pair inside the provider; its key share (the encoded public key)."""
        pctx = self._new()
        out = _FFI.new("EVP_PKEY **")
        assert _LIB.EVP_PKEY_keygen_init(pctx) == 1
        assert _LIB.EVP_PKEY_keygen(pctx, out) == 1
        self._key = _FFI.gc(out[0], _LIB.EVP_PKEY_free)
        share = _FFI.new("unsigned char **")
        size = _LIB.EVP_PKEY_get1_encoded_public_key(self._key, share)
        assert size > 0
        try:
            return bytes(_FFI.buffer(share[0], size))
        finally:
            _LIB.CRYPTO_free(share[0], b"hybridlib", 0)

    def encapsulate(self, share: bytes) -> tuple[bytes, bytes]:
        """(ciphertext, secret) for a peer's key share, which the provider imports and checks."""
        pctx = self._new()
        data = _FFI.new("unsigned char[]", share)
        params = _FFI.new("OSSL_PARAM[2]")
        name = _FFI.new("char[]", b"pub")
        params[0].key, params[0].data_type, params[0].data, params[0].data_size = (
            name,
            _OCTET_STRING,
            data,
            len(share),
        )
        out = _FFI.new("EVP_PKEY **")
        assert _LIB.EVP_PKEY_fromdata_init(pctx) == 1
        assert _LIB.EVP_PKEY_fromdata(pctx, out, _PUBLIC_KEY, params) == 1, "the provider refused the share"
        peer = _FFI.gc(out[0], _LIB.EVP_PKEY_free)
        ectx = self._pkey_ctx(peer)
        assert _LIB.EVP_PKEY_encapsulate_init(ectx, _FFI.NULL) == 1
        sizes = _FFI.new("size_t[2]")
        assert _LIB.EVP_PKEY_encapsulate(ectx, _FFI.NULL, sizes, _FFI.NULL, sizes + 1) == 1
        wrapped, secret = _FFI.new("unsigned char[]", sizes[0]), _FFI.new("unsigned char[]", sizes[1])
        assert _LIB.EVP_PKEY_encapsulate(ectx, wrapped, sizes, secret, sizes + 1) == 1
        return bytes(_FFI.buffer(wrapped, sizes[0])), bytes(_FFI.buffer(secret, sizes[1]))

    def decapsulate(self, ciphertext: bytes) -> bytes:
        """The secret of ``ciphertext`` under the key pair :meth:`generate` made."""
        dctx = self._pkey_ctx(self._key)
        assert _LIB.EVP_PKEY_decapsulate_init(dctx, _FFI.NULL) == 1
        size = _FFI.new("size_t *", 128)
        secret = _FFI.new("unsigned char[128]")
        assert _LIB.EVP_PKEY_decapsulate(dctx, secret, size, ciphertext, len(ciphertext)) == 1
        return bytes(_FFI.buffer(secret, size[0]))
