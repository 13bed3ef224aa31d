"""Proof that the FIPS provider is loaded and serving, run before anything else.

cryptography's ``is_fips_enabled()`` only reflects ``default_properties = fips=yes``: it stays true
when the provider failed its integrity check and every fetch fails. These tests prove the provider by
real operations with known answers, and prove that the ``fips=yes`` property is in force by asking for
an algorithm the FIPS provider does not have.
"""

from __future__ import annotations

from fipscrypto import _backend
from fipscrypto._backend import ciphers as _ciphers
from fipscrypto._backend import hashes as _hashes
from fipscrypto.errors import AlgorithmUnavailable, SelfTestFailure

from .registry import expect, register

# FIPS 180-4 example "abc" (NIST CSRC "Examples with Intermediate Values", SHA-256, one block).
_SHA256_ABC = bytes.fromhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")

# draft-mcgrew-gcm-test-01 case "p8" (AES-256-GCM in ESP): nonce = salt || IV, AAD = SPI || SN.
# Copied with provenance in tests/vectors/rfc/draft-mcgrew-gcm-test-01-esp.json.
_GCM_KEY = bytes.fromhex("abbccddef00112233445566778899aababbccddef00112233445566778899aab")
_GCM_NONCE = bytes.fromhex("112233440102030405060708")
_GCM_AAD = bytes.fromhex("4a2cbfe300000002")
_GCM_PT = bytes.fromhex(
    "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee0000000007002400020bf0000020405b40101040201020201"
)
_GCM_CT = bytes.fromhex(
    "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763748a637985771d347f054565"
    "9f14e99def842d8e"
    "b335f4eecfdbf831824b4c4915956c96"
)


@register("provider-sha2-256", "SHA-2", services=("hashes.digest", "hashes.Hasher", "hashes.hash_file"))
def sha256_kat() -> None:
    expect("provider-sha2-256", _hashes.digest("sha256", b"abc"), _SHA256_ABC, "SHA-256 digest")


@register(
    "provider-aes-256-gcm",
    "AES-GCM",
    services=("aead.AESGCM", "aead.AESGCM.encrypt", "aead.AESGCM.decrypt", "seal"),
)
def aes_gcm_kat() -> None:
    sealed = _ciphers.aes_gcm_seal(_GCM_KEY, _GCM_NONCE, _GCM_PT, _GCM_AAD)
    expect("provider-aes-256-gcm", sealed, _GCM_CT, "AES-GCM ciphertext and tag (encrypt)")
    opened = _ciphers.aes_gcm_open(_GCM_KEY, _GCM_NONCE, _GCM_CT, _GCM_AAD)
    expect("provider-aes-256-gcm", opened, _GCM_PT, "AES-GCM plaintext (decrypt)")


@register("provider-fips-properties", "boundary", services=("*",))
def fips_properties() -> None:
    """MD5 is not in the FIPS provider: if it is served, fetches are not restricted to fips=yes."""
    if not _backend.fips_enabled():
        raise SelfTestFailure("provider-fips-properties", "default_properties lack fips=yes")
    try:
        _hashes.digest("md5", b"")
        outcome = b"served"
    except AlgorithmUnavailable:
        outcome = b"refused"
    expect("provider-fips-properties", outcome, b"refused", "an MD5 request (must be refused)")


@register("provider-context", "boundary", services=("keys.generate", "keys.import", "rand.random_bytes"))
def private_context() -> None:
    """The provider instance that generates RSA, EC and FFDH keys and runs the CTR_DRBG behind
    ``rand.random_bytes`` (fipscrypto's private library context): it loads (its own integrity check
    and known-answer tests), reports status 1 and the provisioned version, and in strict mode has
    every switch on."""
    from fipscrypto import keys, module  # here, not at import: the family runs at first use
    from fipscrypto.provider.config import strict_switches
    from fipscrypto.provider.state import StatePaths, read_record

    context = keys.inside.get()
    if context is None:
        raise SelfTestFailure("provider-context", "no private provider context outside off mode")
    params = context.provider_params()
    paths = StatePaths.resolve(module.info().state_dir)
    record = read_record(paths)
    expect("provider-context", str(params.get("status")).encode(), b"1", "the provider's status")
    version = record.version if record else "a provider record"
    expect("provider-context", str(params.get("version")).encode(), version.encode(), "its version")
    if module.mode() is module.Mode.STRICT:
        switches = strict_switches(record) if record else ()
        off = [name for name in switches if name in params and params[name] != 1]
        expect("provider-context", ",".join(off).encode(), b"", "switches off in strict mode")
