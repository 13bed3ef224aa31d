"""The FIPS provider in a private library context of the system libcrypto.

cryptography generates RSA, EC and finite-field DH keys with OpenSSL's low-level functions in its
bundled libcrypto (``RSA_generate_key_ex``, ``EC_KEY_generate_key``, ``DH_generate_key``): outside
the provider, which only supplies the random bits. fipscrypto generates those keys here instead,
with ``EVP_PKEY_keygen`` inside the FIPS provider, and runs the provider's own pairwise check
(``EVP_PKEY_pairwise_check``) on key-agreement key pairs.

The context is ``OSSL_LIB_CTX_new`` + ``OSSL_LIB_CTX_load_config`` in the system ``libcrypto.so.3``
(OpenSSL 3), with a configuration that loads only the ``fips`` and ``base`` providers and sets
``default_properties = fips=yes``: nothing but the FIPS provider can serve a request here, in any
mode. The module it loads is a byte-identical copy of the provisioned ``fips.so`` under another file
name (``fipscheck provider install`` writes it): cryptography's OpenSSL has already mapped the
original path, and a second ``dlopen`` of that path returns the same mapping, which is then not
available to this context. The provider checks the copy against its ``module-mac`` and runs its
own known-answer tests when the context loads it (about 100 ms), so the context is opened at the
first use, not at activation.

It also serves the ML-KEM that cryptography 50 cannot reach (ML-KEM-512, expanded decapsulation
keys, encapsulation with a given m) to ``fipscrypto.pqc``.

Only primitives live here; policy, pairwise-consistency tests and audit are :mod:`fipscrypto.keys`'s.
Private values leave the context as PKCS#8 or integers, copied into Python objects that cannot be
wiped; the OpenSSL copies are freed with ``EVP_PKEY_free``/``BN_clear_free``/``OPENSSL_clear_free``,
which cleanse them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cffi

from .._fork import lock
from ..errors import AlgorithmUnavailable, ProviderLoadFailed
from .config import file_sha256, fips_section, loaded_section, with_module, write_context_config
from .state import StatePaths, read_record

__all__ = [
    "CURVES",
    "FFDH_GROUPS",
    "CtrDrbg",
    "FipsContext",
    "ProviderKey",
    "libcrypto_version",
    "open_context",
]

# fipscrypto's curve names (the suffix of "ecdsa-p256") -> OpenSSL group names.
CURVES = {"p224": "P-224", "p256": "P-256", "p384": "P-384", "p521": "P-521", "secp256k1": "secp256k1"}
# fipscrypto's FFDH group names -> OpenSSL's named safe-prime groups (RFC 3526, RFC 7919).
FFDH_GROUPS = {
    **{f"modp{bits}": f"modp_{bits}" for bits in (2048, 3072, 4096, 6144, 8192)},
    **{f"ffdhe{bits}": f"ffdhe{bits}" for bits in (2048, 3072, 4096, 6144, 8192)},
}

_CDEF = """
typedef struct ossl_param_st {
    const char *key; unsigned int data_type; void *data; size_t data_size; size_t return_size;
} OSSL_PARAM;
typedef struct ossl_lib_ctx_st OSSL_LIB_CTX;
typedef struct ossl_provider_st OSSL_PROVIDER;
typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_pkey_ctx_st EVP_PKEY_CTX;
typedef struct bignum_st BIGNUM;
typedef struct ossl_encoder_ctx_st OSSL_ENCODER_CTX;
typedef struct evp_rand_st EVP_RAND;
typedef struct evp_rand_ctx_st EVP_RAND_CTX;
typedef struct ossl_dispatch_st OSSL_DISPATCH;
typedef struct ossl_algorithm_st {
    const char *algorithm_names; const char *property_definition; const OSSL_DISPATCH *implementation;
    const char *algorithm_description;
} OSSL_ALGORITHM;

unsigned long OpenSSL_version_num(void);
const char *OpenSSL_version(int type);
OSSL_LIB_CTX *OSSL_LIB_CTX_new(void);
int OSSL_LIB_CTX_load_config(OSSL_LIB_CTX *ctx, const char *config_file);
void OSSL_LIB_CTX_free(OSSL_LIB_CTX *ctx);
OSSL_PROVIDER *OSSL_PROVIDER_load(OSSL_LIB_CTX *ctx, const char *name);
int OSSL_PROVIDER_unload(OSSL_PROVIDER *prov);
const OSSL_PARAM *OSSL_PROVIDER_gettable_params(const OSSL_PROVIDER *prov);
int OSSL_PROVIDER_get_params(const OSSL_PROVIDER *prov, OSSL_PARAM params[]);
int OSSL_PROVIDER_self_test(const OSSL_PROVIDER *prov);
const OSSL_ALGORITHM *OSSL_PROVIDER_query_operation(const OSSL_PROVIDER *prov, int operation_id,
    int *no_store);

EVP_PKEY_CTX *EVP_PKEY_CTX_new_from_name(OSSL_LIB_CTX *ctx, const char *name, const char *propq);
EVP_PKEY_CTX *EVP_PKEY_CTX_new_from_pkey(OSSL_LIB_CTX *ctx, EVP_PKEY *pkey, const char *propq);
void EVP_PKEY_CTX_free(EVP_PKEY_CTX *ctx);
int EVP_PKEY_CTX_set_params(EVP_PKEY_CTX *ctx, const OSSL_PARAM *params);
int EVP_PKEY_keygen_init(EVP_PKEY_CTX *ctx);
int EVP_PKEY_keygen(EVP_PKEY_CTX *ctx, EVP_PKEY **ppkey);
int EVP_PKEY_fromdata_init(EVP_PKEY_CTX *ctx);
int EVP_PKEY_fromdata(EVP_PKEY_CTX *ctx, EVP_PKEY **ppkey, int selection, OSSL_PARAM params[]);
int EVP_PKEY_pairwise_check(EVP_PKEY_CTX *ctx);
int EVP_PKEY_private_check(EVP_PKEY_CTX *ctx);
int EVP_PKEY_derive_init(EVP_PKEY_CTX *ctx);
int EVP_PKEY_derive_set_peer(EVP_PKEY_CTX *ctx, EVP_PKEY *peer);
int EVP_PKEY_derive(EVP_PKEY_CTX *ctx, unsigned char *key, size_t *keylen);
typedef int (OSSL_CALLBACK)(const OSSL_PARAM params[], void *arg);
void OSSL_SELF_TEST_set_callback(OSSL_LIB_CTX *libctx, OSSL_CALLBACK *cb, void *cbarg);
int EVP_PKEY_get_bn_param(const EVP_PKEY *pkey, const char *key_name, BIGNUM **bn);
int EVP_PKEY_get_octet_string_param(const EVP_PKEY *pkey, const char *key_name, unsigned char *buf,
    size_t max_buf_sz, size_t *out_sz);
void EVP_PKEY_free(EVP_PKEY *key);
int EVP_PKEY_encapsulate_init(EVP_PKEY_CTX *ctx, const OSSL_PARAM params[]);
int EVP_PKEY_encapsulate(EVP_PKEY_CTX *ctx, unsigned char *wrappedkey, size_t *wrappedkeylen,
    unsigned char *genkey, size_t *genkeylen);
int EVP_PKEY_decapsulate_init(EVP_PKEY_CTX *ctx, const OSSL_PARAM params[]);
int EVP_PKEY_decapsulate(EVP_PKEY_CTX *ctx, unsigned char *unwrapped, size_t *unwrappedlen,
    const unsigned char *wrapped, size_t wrappedlen);

int BN_num_bits(const BIGNUM *a);
int BN_bn2bin(const BIGNUM *a, unsigned char *to);
int BN_bn2binpad(const BIGNUM *a, unsigned char *to, int tolen);
void BN_clear_free(BIGNUM *a);

OSSL_ENCODER_CTX *OSSL_ENCODER_CTX_new_for_pkey(const EVP_PKEY *pkey, int selection,
    const char *output_type, const char *output_struct, const char *propquery);
int OSSL_ENCODER_to_data(OSSL_ENCODER_CTX *ctx, unsigned char **pdata, size_t *pdata_len);
void OSSL_ENCODER_CTX_free(OSSL_ENCODER_CTX *ctx);
void CRYPTO_clear_free(void *ptr, size_t num, const char *file, int line);

EVP_RAND *EVP_RAND_fetch(OSSL_LIB_CTX *libctx, const char *algorithm, const char *properties);
void EVP_RAND_free(EVP_RAND *rand);
EVP_RAND_CTX *EVP_RAND_CTX_new(EVP_RAND *rand, EVP_RAND_CTX *parent);
void EVP_RAND_CTX_free(EVP_RAND_CTX *ctx);
int EVP_RAND_CTX_set_params(EVP_RAND_CTX *ctx, const OSSL_PARAM params[]);
int EVP_RAND_CTX_get_params(EVP_RAND_CTX *ctx, OSSL_PARAM params[]);
int EVP_RAND_enable_locking(EVP_RAND_CTX *ctx);
int EVP_RAND_instantiate(EVP_RAND_CTX *ctx, unsigned int strength, int prediction_resistance,
    const unsigned char *pstr, size_t pstr_len, const OSSL_PARAM params[]);
int EVP_RAND_reseed(EVP_RAND_CTX *ctx, int prediction_resistance, const unsigned char *ent, size_t ent_len,
    const unsigned char *addin, size_t addin_len);
int EVP_RAND_generate(EVP_RAND_CTX *ctx, unsigned char *out, size_t outlen, unsigned int strength,
    int prediction_resistance, const unsigned char *addin, size_t addin_len);

unsigned long ERR_get_error(void);
void ERR_error_string_n(unsigned long e, char *buf, size_t len);
void ERR_clear_error(void);
"""

# include/openssl/core.h and include/openssl/evp.h
_INTEGER, _UNSIGNED_INTEGER, _UTF8_STRING, _OCTET_STRING, _UTF8_PTR = 1, 2, 4, 5, 6
_KEYPAIR = 0x87  # EVP_PKEY_KEYPAIR: private key, public key and domain parameters
_PUBLIC_KEY = 0x86  # EVP_PKEY_PUBLIC_KEY: public key and domain parameters
_MLKEM_SIZES = {"ML-KEM-512": (800, 768), "ML-KEM-768": (1184, 1088), "ML-KEM-1024": (1568, 1568)}
_LIBCRYPTO = "libcrypto.so.3"  # OpenSSL 3's soname on every distribution
# include/openssl/core_dispatch.h: OSSL_OP_* operation identifiers
OPERATIONS = {
    "digest": 1,
    "cipher": 2,
    "mac": 3,
    "kdf": 4,
    "keymgmt": 10,
    "keyexch": 11,
    "signature": 12,
    "asym-cipher": 13,
    "kem": 14,
}

# Declared at the first use: parsing the declarations costs tens of milliseconds (pycparser).
_ffi: Any = None
_lib: Any = None
_lib_lock = lock()


def _libcrypto() -> Any:
    global _ffi, _lib
    with _lib_lock:
        if _lib is None:
            ffi = cffi.FFI()
            ffi.cdef(_CDEF)
            try:
                lib: Any = ffi.dlopen(_LIBCRYPTO)
            except OSError as exc:
                raise ProviderLoadFailed(
                    f"the system OpenSSL 3 library ({_LIBCRYPTO}) cannot be loaded: {exc}",
                    "install the distribution's OpenSSL 3 library (Debian: libssl3)",
                ) from exc
            if lib.OpenSSL_version_num() < 0x30000000:
                raise ProviderLoadFailed(f"{_LIBCRYPTO} is not OpenSSL 3", "install OpenSSL 3")
            _ffi, _lib = ffi, lib
        return _lib


def _text(pointer: Any) -> str:
    """A C string as text."""
    value = _ffi.string(pointer)
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def libcrypto_version() -> str:
    """The system libcrypto's version text, e.g. "OpenSSL 3.0.19 27 Jan 2026"."""
    lib = _libcrypto()
    return _text(lib.OpenSSL_version(0))


def _errors(lib: Any) -> str:
    """OpenSSL's error queue of this thread, emptied, as one line."""
    messages = []
    buf = _ffi.new("char[256]")
    while code := lib.ERR_get_error():
        lib.ERR_error_string_n(code, buf, 256)
        messages.append(_text(buf))
    return "; ".join(messages) or "no OpenSSL error recorded"


class _Params:
    """An OSSL_PARAM array and the buffers it points into (kept alive with it)."""

    def __init__(self) -> None:
        self._items: list[tuple[bytes, int, Any, int]] = []
        self._keep: list[Any] = []

    def utf8(self, key: str, value: str) -> _Params:
        data = _ffi.new("char[]", value.encode())
        self._keep.append(data)
        self._items.append((key.encode(), _UTF8_STRING, data, len(value)))
        return self

    def octets(self, key: str, value: bytes) -> _Params:
        data = _ffi.new("unsigned char[]", value)
        self._keep.append(data)
        self._items.append((key.encode(), _OCTET_STRING, data, len(value)))
        return self

    def unsigned(self, key: str, value: int) -> _Params:
        # OSSL_PARAM_UNSIGNED_INTEGER: native byte order (include/openssl/core.h).
        size = max(1, (value.bit_length() + 7) // 8)
        data = _ffi.new("unsigned char[]", value.to_bytes(size, sys.byteorder))
        self._keep.append(data)
        self._items.append((key.encode(), _UNSIGNED_INTEGER, data, size))
        return self

    def array(self) -> Any:
        params = _ffi.new("OSSL_PARAM[]", len(self._items) + 1)  # zeroed: the last one ends the list
        for i, (key, kind, data, size) in enumerate(self._items):
            name = _ffi.new("char[]", key)
            self._keep.append(name)
            params[i].key, params[i].data_type, params[i].data, params[i].data_size = name, kind, data, size
        self._keep.append(params)
        return params


class CtrDrbg:
    """An SP 800-90A Rev. 1 CTR_DRBG (§10.2.1, AES-256, derivation function) of the FIPS provider,
    instantiated at 256-bit security strength on ``parent``: the provider's ``CRNG-TEST`` in use (the
    SP 800-90B §4.4 continuous health tests on the operating system's entropy, which the provider
    draws through libcrypto), ``TEST-RAND`` in the known-answer test. The provider keeps the reseed
    counter (``reseed_requests``), reseeds a DRBG used in a new process (its fork check), and locks
    the instance: several threads may call :meth:`generate` at once (the GIL is released meanwhile)."""

    def __init__(self, context: FipsContext, parent: Any, personalization: bytes) -> None:
        lib = self._lib = context._lib
        drbg = context._rand("CTR-DRBG", None, parent)
        params = _Params().utf8("cipher", "AES-256-CTR")
        if lib.EVP_RAND_instantiate(drbg, 256, 0, personalization, len(personalization), params.array()) != 1:
            raise AlgorithmUnavailable(f"CTR_DRBG: the FIPS provider refused to instantiate: {_errors(lib)}")
        lib.EVP_RAND_enable_locking(drbg)
        # The parent and the library context (its provider) live as long as the DRBG.
        self._drbg, self._parent, self._owner = drbg, parent, context

    def generate(self, length: int, *, prediction_resistance: bool = False) -> bytes | None:
        """One generate request of ``length`` bytes (at most 2**16: the provider's max_request), with
        prediction resistance on request (a reseed from the parent first); None when the provider
        refused (its health test failed, or it is in its error state)."""
        out = _ffi.new("unsigned char[]", length)
        made = self._lib.EVP_RAND_generate(self._drbg, out, length, 256, prediction_resistance, _ffi.NULL, 0)
        if made != 1:
            return None
        generated: bytes = _ffi.buffer(out, length)[:]
        return generated

    def reseed(self) -> bool:
        """Reseed from the parent now (SP 800-90A §9.2)."""
        reseeded: bool = self._lib.EVP_RAND_reseed(self._drbg, 0, _ffi.NULL, 0, _ffi.NULL, 0) == 1
        return reseeded

    def settings(self) -> dict[str, int]:
        """The provider's view: reseed_requests (the interval), reseed_counter, max_request, strength,
        use_derivation_function."""
        names = ("reseed_requests", "reseed_counter", "max_request", "strength", "use_derivation_function")
        params = _ffi.new("OSSL_PARAM[]", len(names) + 1)
        keep = []
        for i, name in enumerate(names):
            key, data = _ffi.new("char[]", name.encode()), _ffi.new("unsigned long long *")
            keep += [key, data]
            params[i].key, params[i].data, params[i].data_size = key, data, _ffi.sizeof("unsigned long long")
            params[i].data_type = _INTEGER if name == "use_derivation_function" else _UNSIGNED_INTEGER
        if self._lib.EVP_RAND_CTX_get_params(self._drbg, params) != 1:
            raise AlgorithmUnavailable(f"CTR_DRBG parameters: {_errors(self._lib)}")
        return {name: int(keep[2 * i + 1][0]) for i, name in enumerate(names)}


class FipsContext:
    """One private library context with the FIPS provider loaded from ``config``."""

    def __init__(self, config: Path) -> None:
        lib = _libcrypto()
        self._lib = lib
        lib.ERR_clear_error()
        ctx = lib.OSSL_LIB_CTX_new()
        if ctx == _ffi.NULL:
            raise ProviderLoadFailed("OSSL_LIB_CTX_new failed", "the process is out of memory")
        self._ctx = _ffi.gc(ctx, lib.OSSL_LIB_CTX_free)
        if lib.OSSL_LIB_CTX_load_config(self._ctx, str(config).encode()) != 1:
            raise ProviderLoadFailed(
                f"the FIPS provider did not load into a private context from {config}: {_errors(lib)}",
                "the module copy failed its integrity check or self-tests; run 'fipscheck provider install'",
            )
        self._provider = lib.OSSL_PROVIDER_load(self._ctx, b"fips")  # already active: a reference
        if self._provider == _ffi.NULL:
            raise ProviderLoadFailed(
                f"the FIPS provider is not available in the private context: {_errors(lib)}",
                "run 'fipscheck provider install' again",
            )

    # --------------------------------------------------------------------------- provider facts

    def provider_params(self) -> dict[str, int | str]:
        """Every parameter the provider offers (name, version, buildinfo, status, its switches)."""
        lib = self._lib
        gettable = lib.OSSL_PROVIDER_gettable_params(self._provider)
        names: list[tuple[str, int]] = []
        i = 0
        while gettable != _ffi.NULL and gettable[i].key != _ffi.NULL:
            names.append((_text(gettable[i].key), gettable[i].data_type))
            i += 1
        params = _ffi.new("OSSL_PARAM[]", len(names) + 1)
        keep: list[Any] = []
        for j, (key, kind) in enumerate(names):
            name = _ffi.new("char[]", key.encode())
            data = _ffi.new("int *") if kind == _INTEGER else _ffi.new("char **")
            keep += [name, data]
            params[j].key, params[j].data = name, data
            params[j].data_type = _INTEGER if kind == _INTEGER else _UTF8_PTR
            params[j].data_size = _ffi.sizeof("int") if kind == _INTEGER else 0
        if lib.OSSL_PROVIDER_get_params(self._provider, params) != 1:
            raise ProviderLoadFailed(f"the provider's parameters: {_errors(lib)}", "run 'fipscheck status'")
        found: dict[str, int | str] = {}
        for j, (key, kind) in enumerate(names):
            data = keep[2 * j + 1]
            if kind == _INTEGER:
                found[key] = int(data[0])
            elif data[0] != _ffi.NULL:
                found[key] = _text(data[0])
        return found

    def algorithms(self) -> dict[str, frozenset[str]]:
        """What the provider serves with ``fips=yes``: for each operation of :data:`OPERATIONS`, every
        name (and alias) of its algorithms, upper case (OSSL_PROVIDER_query_operation). Algorithms the
        provider marks ``fips=no`` (X25519, X448) are left out: ``default_properties = fips=yes``
        never fetches them."""
        lib = self._lib
        found: dict[str, frozenset[str]] = {}
        for operation, number in OPERATIONS.items():
            table = lib.OSSL_PROVIDER_query_operation(self._provider, number, _ffi.new("int *"))
            names: set[str] = set()
            i = 0
            while table != _ffi.NULL and table[i].algorithm_names != _ffi.NULL:
                if "fips=yes" in _text(table[i].property_definition).split(","):
                    names.update(_text(table[i].algorithm_names).upper().split(":"))
                i += 1
            found[operation] = frozenset(names)
        return found

    def self_test(self) -> None:
        """Run the provider's own known-answer tests again (OSSL_PROVIDER_self_test)."""
        if self._lib.OSSL_PROVIDER_self_test(self._provider) != 1:
            raise ProviderLoadFailed(
                f"the FIPS provider failed its self-test: {_errors(self._lib)}",
                "run 'fipscheck provider install' again",
            )

    # ---------------------------------------------------------------------------------- DRBGs

    def _rand(self, name: str, properties: str | None, parent: Any) -> Any:
        lib = self._lib
        lib.ERR_clear_error()
        found = lib.EVP_RAND_fetch(self._ctx, name.encode(), properties.encode() if properties else _ffi.NULL)
        if found == _ffi.NULL:
            raise AlgorithmUnavailable(f"{name}: the FIPS provider does not offer it: {_errors(lib)}")
        made = lib.EVP_RAND_CTX_new(found, parent)
        lib.EVP_RAND_free(found)  # the context holds its own reference
        if made == _ffi.NULL:
            raise AlgorithmUnavailable(f"{name}: {_errors(lib)}")
        return _ffi.gc(made, lib.EVP_RAND_CTX_free)

    def ctr_drbg(self, personalization: bytes) -> CtrDrbg:
        """A new CTR_DRBG seeded from the operating system through the provider's continuous health
        test (``CRNG-TEST``, which the provider itself puts in front of its own DRBGs)."""
        crng = self._rand("CRNG-TEST", "-fips", _ffi.NULL)  # a health test, not a DRBG: no fips=yes
        if self._lib.EVP_RAND_instantiate(crng, 256, 0, _ffi.NULL, 0, _ffi.NULL) != 1:
            raise AlgorithmUnavailable(f"CRNG-TEST: the FIPS provider refused: {_errors(self._lib)}")
        self._lib.EVP_RAND_enable_locking(crng)
        return CtrDrbg(self, crng, personalization)

    def ctr_drbg_known_answer(
        self, entropy: bytes, nonce: bytes, personalization: bytes, reseed_entropy: bytes, length: int
    ) -> bytes:
        """The CAVP CTR_DRBG test sequence (no prediction resistance): instantiate with (entropy, nonce,
        personalization), reseed with ``reseed_entropy``, generate ``length`` bytes twice; returns the
        second output. The entropy comes from the provider's ``TEST-RAND`` (not approved: test only)."""
        lib = self._lib
        source = self._rand("TEST-RAND", "-fips", _ffi.NULL)
        fed = _Params().unsigned("strength", 256).octets("test_entropy", entropy).octets("test_nonce", nonce)
        if lib.EVP_RAND_instantiate(source, 256, 0, _ffi.NULL, 0, fed.array()) != 1:
            raise AlgorithmUnavailable(f"TEST-RAND: {_errors(lib)}")
        drbg = CtrDrbg(self, source, personalization)
        if lib.EVP_RAND_CTX_set_params(source, _Params().octets("test_entropy", reseed_entropy).array()) != 1:
            raise AlgorithmUnavailable(f"TEST-RAND: {_errors(lib)}")
        if not drbg.reseed() or drbg.generate(length) is None or (out := drbg.generate(length)) is None:
            raise AlgorithmUnavailable(f"CTR_DRBG known-answer test: {_errors(lib)}")
        return out

    # ------------------------------------------------------------------------------ key pairs

    @contextmanager
    def _pkey_ctx(self, name: str, what: str) -> Iterator[Any]:
        pctx = self._lib.EVP_PKEY_CTX_new_from_name(self._ctx, name.encode(), _ffi.NULL)
        if pctx == _ffi.NULL:
            raise AlgorithmUnavailable(f"{what}: the FIPS provider refused: {_errors(self._lib)}")
        try:
            yield pctx
        finally:
            self._lib.EVP_PKEY_CTX_free(pctx)

    def _check(self, ok: int, what: str) -> None:
        if ok != 1:
            raise AlgorithmUnavailable(f"{what}: the FIPS provider refused: {_errors(self._lib)}")

    @contextmanager
    def _generated(self, name: str, params: _Params, what: str) -> Iterator[Any]:
        """A new key pair of type ``name`` (EVP_PKEY_keygen with ``params``), freed on exit."""
        lib = self._lib
        lib.ERR_clear_error()
        with self._pkey_ctx(name, what) as pctx:
            self._check(lib.EVP_PKEY_keygen_init(pctx), what)
            self._check(lib.EVP_PKEY_CTX_set_params(pctx, params.array()), what)
            out = _ffi.new("EVP_PKEY **")
            self._check(lib.EVP_PKEY_keygen(pctx, out), what)
        try:
            yield out[0]
        finally:
            lib.EVP_PKEY_free(out[0])

    def _pkcs8(self, pkey: Any, what: str) -> bytes:
        lib = self._lib
        encoder = lib.OSSL_ENCODER_CTX_new_for_pkey(pkey, _KEYPAIR, b"DER", b"PrivateKeyInfo", _ffi.NULL)
        if encoder == _ffi.NULL:
            raise AlgorithmUnavailable(f"{what}: no PKCS#8 encoder: {_errors(lib)}")
        data, size = _ffi.new("unsigned char **"), _ffi.new("size_t *")
        try:
            self._check(lib.OSSL_ENCODER_to_data(encoder, data, size), what)
        finally:
            lib.OSSL_ENCODER_CTX_free(encoder)
        try:
            return bytes(_ffi.buffer(data[0], size[0]))
        finally:
            lib.CRYPTO_clear_free(data[0], size[0], _ffi.NULL, 0)

    def _integer(self, pkey: Any, name: str, what: str) -> int:
        lib = self._lib
        bn = _ffi.new("BIGNUM **")
        self._check(lib.EVP_PKEY_get_bn_param(pkey, name.encode(), bn), what)
        try:
            out = _ffi.new("unsigned char[]", max(1, (lib.BN_num_bits(bn[0]) + 7) // 8))
            size = lib.BN_bn2bin(bn[0], out)
            return int.from_bytes(_ffi.buffer(out, size), "big")
        finally:
            lib.BN_clear_free(bn[0])

    def generate_rsa(self, bits: int, e: int) -> bytes:
        """An RSA key pair (FIPS 186-5 §A.1.3, the provider's method) as PKCS#8 DER."""
        what = f"RSA-{bits} key generation"
        with self._generated("RSA", _Params().unsigned("bits", bits).unsigned("e", e), what) as pkey:
            return self._pkcs8(pkey, what)

    def generate_ec(self, curve: str) -> bytes:
        """An EC key pair (FIPS 186-5 §A.2.1/§A.2.2, the provider's method) as PKCS#8 DER."""
        what = f"EC key generation on {curve}"
        with self._generated("EC", _Params().utf8("group", CURVES.get(curve, curve)), what) as pkey:
            return self._pkcs8(pkey, what)

    def generate_dh(self, group: str | None, p: int, g: int, q: int) -> tuple[int, int]:
        """A finite-field key pair (SP 800-56A r3 §5.6.1.1.4) in a named group, or in the domain
        parameters (p, g, q) when ``group`` is None; returns (x, y)."""
        what = f"FFDH key generation in {group or f'a {p.bit_length()}-bit group'}"
        params = _Params()
        if group is not None:
            params.utf8("group", FFDH_GROUPS[group])
        else:
            params.unsigned("p", p).unsigned("g", g).unsigned("q", q)
        with self._generated("DH", params, what) as pkey:
            return self._integer(pkey, "priv", what), self._integer(pkey, "pub", what)

    def _imported(self, name: str, params: _Params, selection: int, what: str) -> Any | None:
        """EVP_PKEY_fromdata: a key of type ``name`` from ``params``, freed when the handle is
        collected; None when the provider refuses the values."""
        lib = self._lib
        lib.ERR_clear_error()
        with self._pkey_ctx(name, what) as pctx:
            self._check(lib.EVP_PKEY_fromdata_init(pctx), what)
            out = _ffi.new("EVP_PKEY **")
            made = lib.EVP_PKEY_fromdata(pctx, out, selection, params.array())
        if made != 1:
            lib.ERR_clear_error()
            return None
        return _ffi.gc(out[0], lib.EVP_PKEY_free)

    @contextmanager
    def _key_ctx(self, key: Any, what: str) -> Iterator[Any]:
        pctx = self._lib.EVP_PKEY_CTX_new_from_pkey(self._ctx, key, _ffi.NULL)
        if pctx == _ffi.NULL:
            raise AlgorithmUnavailable(f"{what}: {_errors(self._lib)}")
        try:
            yield pctx
        finally:
            self._lib.EVP_PKEY_CTX_free(pctx)

    def _pairwise(self, name: str, params: _Params, what: str) -> bool:
        """EVP_PKEY_fromdata then EVP_PKEY_pairwise_check: the provider recomputes the public key
        from the private one and compares. False when they differ (or the provider rejects the pair)."""
        key = self._imported(name, params, _KEYPAIR, what)
        if key is None:
            return False
        with self._key_ctx(key, what) as check:
            ok: bool = self._lib.EVP_PKEY_pairwise_check(check) == 1
        self._lib.ERR_clear_error()
        return ok

    def ec_pairwise(self, curve: str, d: int, point: bytes) -> bool:
        """Whether ``point`` (SEC 1 uncompressed) is d * G on ``curve``, decided by the provider."""
        params = _Params().utf8("group", CURVES.get(curve, curve)).unsigned("priv", d).octets("pub", point)
        return self._pairwise("EC", params, f"EC pairwise check on {curve}")

    def dh_pairwise(self, group: str | None, domain: tuple[int, int, int], x: int, y: int) -> bool:
        """Whether y = g^x mod p, decided by the provider."""
        p, g, q = domain
        params = _Params()
        if group is not None:
            params.utf8("group", FFDH_GROUPS[group])
        else:
            params.unsigned("p", p).unsigned("g", g).unsigned("q", q)
        params.unsigned("priv", x).unsigned("pub", y)
        return self._pairwise("DH", params, "FFDH pairwise check")

    # ---------------------------------------------------------------------------- ECC CDH, inside
    # SP 800-56A r3 ECC CDH with the key pair kept as an EVP_PKEY of this context: generated, used
    # and freed by the provider; only the public point and the scalar are copied out.

    def ec_keypair(self, curve: str, size: int) -> tuple[ProviderKey, bytes, bytes] | None:
        """A new EC key pair (EVP_PKEY_keygen, FIPS 186-5 §A.2.2 / SP 800-56A r3 §5.6.1.2.2): (handle,
        uncompressed point, scalar d in ``size`` bytes). The provider runs its own conditional tests
        on the pair before it returns it (a sign/verify pairwise-consistency test, ``Conditional_PCT``,
        and the recomputation d * G = Q, ``Conditional_KAT``); None when keygen failed, which in the
        provider means one of those tests failed (the provider has then entered its error state)."""
        lib, what = self._lib, f"EC key generation on {curve}"
        params = _Params().utf8("group", CURVES[curve])  # alive until the call returns: it owns the buffers
        lib.ERR_clear_error()
        with self._pkey_ctx("EC", what) as pctx:
            self._check(lib.EVP_PKEY_keygen_init(pctx), what)
            self._check(lib.EVP_PKEY_CTX_set_params(pctx, params.array()), what)
            out = _ffi.new("EVP_PKEY **")
            if lib.EVP_PKEY_keygen(pctx, out) != 1:
                return None
        key = _ffi.gc(out[0], lib.EVP_PKEY_free)
        point, written = _ffi.new("unsigned char[]", 1 + 2 * size), _ffi.new("size_t *")
        encoded = lib.EVP_PKEY_get_octet_string_param(key, b"encoded-pub-key", point, len(point), written)
        self._check(encoded, what)
        bn = _ffi.new("BIGNUM **")
        self._check(lib.EVP_PKEY_get_bn_param(key, b"priv", bn), what)
        scalar = _ffi.new("unsigned char[]", size)
        try:
            self._check(int(lib.BN_bn2binpad(bn[0], scalar, size) == size), what)
        finally:
            lib.BN_clear_free(bn[0])
        return ProviderKey(key, self), bytes(_ffi.buffer(point, written[0])), bytes(_ffi.buffer(scalar, size))

    def ec_private(self, curve: str, scalar: bytes) -> ProviderKey | None:
        """The EC private key of scalar d (big-endian); None unless the provider accepts it with
        1 <= d <= n - 1 (``EVP_PKEY_private_check``; SP 800-56A r3 §5.6.2.1.2). ECC CDH uses d alone,
        so no public key is computed."""
        what = f"EC private key on {curve}"
        params = _Params().utf8("group", CURVES[curve]).unsigned("priv", int.from_bytes(scalar, "big"))
        key = self._imported("EC", params, _KEYPAIR, what)
        if key is None:
            return None
        with self._key_ctx(key, what) as check:
            valid = self._lib.EVP_PKEY_private_check(check) == 1
        self._lib.ERR_clear_error()
        return ProviderKey(key, self) if valid else None

    def ec_public(self, curve: str, point: bytes) -> ProviderKey | None:
        """A peer's EC public key from its SEC 1 point; None when the provider refuses the encoding or
        the point (not on the curve)."""
        params = _Params().utf8("group", CURVES[curve]).octets("pub", point)
        key = self._imported("EC", params, _PUBLIC_KEY, f"EC public key on {curve}")
        return None if key is None else ProviderKey(key, self)

    def ec_derive(self, key: ProviderKey, peer: ProviderKey, size: int) -> bytes | None:
        """ECC CDH (SP 800-56A r3 §5.7.1.2): Z, the x-coordinate of d * Q in ``size`` bytes. Setting the
        peer runs the provider's full public-key validation of Q first (``EVP_PKEY_derive_set_peer``
        calls ``EVP_PKEY_public_check``: SP 800-56A r3 §5.6.2.3.3); None when Q fails it."""
        lib, what = self._lib, "ECC CDH"
        lib.ERR_clear_error()
        with self._key_ctx(key.pkey, what) as pctx:
            self._check(lib.EVP_PKEY_derive_init(pctx), what)
            if lib.EVP_PKEY_derive_set_peer(pctx, peer.pkey) != 1:
                lib.ERR_clear_error()
                return None
            z, z_size = _ffi.new("unsigned char[]", size), _ffi.new("size_t *", size)
            self._check(lib.EVP_PKEY_derive(pctx, z, z_size), what)
            try:
                return bytes(_ffi.buffer(z, z_size[0]))
            finally:
                _ffi.memmove(z, bytes(size), size)

    @contextmanager
    def self_tests(self, *, corrupt: str | None = None) -> Iterator[list[tuple[str, str, str]]]:
        """While open, the (phase, type, description) of every self-test event the provider reports in
        this context (``OSSL_SELF_TEST_set_callback``), e.g. ("Start", "Conditional_PCT", "ECDSA").
        ``corrupt``: a test type whose value the provider then corrupts (the callback answers 0 in the
        "Corrupt" phase): fault injection, the provider's own test fails and the provider enters its
        error state. One watcher per context at a time."""
        events: list[tuple[str, str, str]] = []

        def report(params: Any, _arg: Any) -> int:
            found: dict[str, str] = {}
            i = 0
            while params[i].key != _ffi.NULL:
                if params[i].data_type == _UTF8_STRING and params[i].data != _ffi.NULL:
                    found[_text(params[i].key)] = _text(_ffi.cast("char *", params[i].data))
                i += 1
            event = (found.get("st-phase", ""), found.get("st-type", ""), found.get("st-desc", ""))
            events.append(event)
            return 0 if event[0] == "Corrupt" and event[1] == corrupt else 1

        callback = _ffi.callback("int(const OSSL_PARAM *, void *)", report)
        self._lib.OSSL_SELF_TEST_set_callback(self._ctx, callback, _ffi.NULL)
        try:
            yield events
        finally:
            self._lib.OSSL_SELF_TEST_set_callback(self._ctx, _ffi.NULL, _ffi.NULL)

    # ------------------------------------------------------------------------------------ ML-KEM
    # What cryptography cannot reach (FIPS 203 in the provider): ML-KEM-512, the expanded
    # decapsulation key of §7.1, and encapsulation with a given m (known-answer tests).

    def mlkem_key(self, name: str, *, seed: bytes = b"", dk: bytes = b"", ek: bytes = b"") -> Any | None:
        """An ML-KEM key of the provider (``name``: "ML-KEM-512", "-768", "-1024") from its seed
        ``d || z`` (the provider runs Algorithm 16), its expanded decapsulation key ``dk`` (the provider
        runs the §7.3 hash check) or its encapsulation key ``ek`` (the §7.2 modulus check); None when
        the provider refuses the key. Freed when the returned handle is collected."""
        field, value = ("seed", seed) if seed else ("priv", dk) if dk else ("pub", ek)
        params = _Params().octets(field, value)  # alive until the call returns: it owns the buffers
        return self._imported(name, params, _PUBLIC_KEY if ek else _KEYPAIR, f"{name} key import")

    def mlkem_public(self, name: str, key: Any) -> bytes:
        """The encapsulation key ``ek`` of ``key`` (FIPS 203 encoding)."""
        out, size = _ffi.new("unsigned char[]", _MLKEM_SIZES[name][0]), _ffi.new("size_t *")
        self._check(self._lib.EVP_PKEY_get_octet_string_param(key, b"pub", out, len(out), size), name)
        return bytes(_ffi.buffer(out, size[0]))

    def mlkem_encapsulate(self, name: str, key: Any, m: bytes | None = None) -> tuple[bytes, bytes]:
        """FIPS 203 Algorithm 20 (m from the provider's DRBG), or Algorithm 17 with the given ``m``
        (the provider's ``ikme`` parameter, for known-answer tests): (c, K)."""
        lib, what = self._lib, f"{name} encapsulation"
        pctx = lib.EVP_PKEY_CTX_new_from_pkey(self._ctx, key, _ffi.NULL)
        if pctx == _ffi.NULL:
            raise AlgorithmUnavailable(f"{what}: {_errors(lib)}")
        try:
            given = _Params().octets("ikme", m) if m is not None else None  # owns the buffer
            self._check(lib.EVP_PKEY_encapsulate_init(pctx, given.array() if given else _ffi.NULL), what)
            c_size, k_size = _ffi.new("size_t *", _MLKEM_SIZES[name][1]), _ffi.new("size_t *", 32)
            c, k = _ffi.new("unsigned char[]", c_size[0]), _ffi.new("unsigned char[]", 32)
            self._check(lib.EVP_PKEY_encapsulate(pctx, c, c_size, k, k_size), what)
            return bytes(_ffi.buffer(c, c_size[0])), bytes(_ffi.buffer(k, k_size[0]))
        finally:
            lib.EVP_PKEY_CTX_free(pctx)

    def mlkem_decapsulate(self, name: str, key: Any, ciphertext: bytes) -> bytes:
        """FIPS 203 Algorithm 21: K, or the implicit-rejection key for a ciphertext that does not
        re-encrypt to itself."""
        lib, what = self._lib, f"{name} decapsulation"
        pctx = lib.EVP_PKEY_CTX_new_from_pkey(self._ctx, key, _ffi.NULL)
        if pctx == _ffi.NULL:
            raise AlgorithmUnavailable(f"{what}: {_errors(lib)}")
        try:
            self._check(lib.EVP_PKEY_decapsulate_init(pctx, _ffi.NULL), what)
            k, k_size = _ffi.new("unsigned char[]", 32), _ffi.new("size_t *", 32)
            self._check(lib.EVP_PKEY_decapsulate(pctx, k, k_size, ciphertext, len(ciphertext)), what)
            return bytes(_ffi.buffer(k, k_size[0]))
        finally:
            lib.EVP_PKEY_CTX_free(pctx)


@dataclass(frozen=True, slots=True)
class ProviderKey:
    """An EVP_PKEY of a private context (``pkey``, freed when collected), with the context it belongs
    to, which it keeps alive as long as it lives."""

    pkey: Any
    owner: FipsContext


def open_context(paths: StatePaths, *, strict: bool, loaded: Path | None = None) -> FipsContext:
    """The private context of the state folder ``paths``, on its copy of the module, which must be the
    provisioned module byte for byte.

    ``loaded``: the configuration cryptography's OpenSSL loaded (when fipscrypto wrote it). The context
    then loads the same provider section, switches included; otherwise the section of the mode."""
    record = read_record(paths)
    copy = paths.context_module
    if record is None or not copy.is_file() or file_sha256(copy) != record.module_sha256:
        raise ProviderLoadFailed(
            f"{copy} is missing or differs from the provisioned module",
            "run 'fipscheck provider install' again to write the copy",
        )
    section = loaded_section(loaded) if loaded is not None else fips_section(paths, record, strict=strict)
    return FipsContext(write_context_config(paths, with_module(section, copy)))
