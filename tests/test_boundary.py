"""The FIPS boundary, seen from code that calls cryptography and pyOpenSSL directly (docs/boundary.md).

Every fact here is measured in fresh interpreters with the real provider: ``import fipscrypto;
fipscrypto.activate()``, then plain cryptography and pyOpenSSL calls (the probes of
:mod:`boundarylib`).

- **Strict run**: every probe once, in strict mode on the provisioned state folder.
- **Weakened runs**: for one switch, a private state folder whose provider section has every switch
  strict mode sets on, except that one; audit mode runs with that section as it is. A call strict
  mode refuses and the weakened run allows is refused by that switch and nothing else.

:data:`SWITCHES` classifies every switch of the provider record (plus ``conditional-errors``); a
switch a new provider reports fails :func:`test_switch` until it is classified here.
:data:`ALLOWED` lists what strict mode does not stop, :data:`SERVICES` where fipscrypto's services
are computed. docs/boundary.md carries the same tables; the tests at the end compare them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from boundarylib import PROBES

from fipscrypto.provider.config import read_fips_section, strict_switches
from fipscrypto.provider.provision import install
from fipscrypto.provider.state import ProviderRecord, StatePaths, read_record

from support import run_json

TESTS = Path(__file__).parent
DOC = TESTS.parent / "docs" / "boundary.md"

REFUSED = "refused"  # a direct call strict mode refuses; the switch alone makes the difference
OUTSIDE = "outside the provider"  # cryptography computes it without the provider's implementation
NO_CALL = "no call reaches it"  # no cryptography or pyOpenSSL call gets to the check
NOTHING = "refuses nothing here"  # the provider accepts every request it has with the switch on


@dataclass(frozen=True)
class Switch:
    verdict: str
    shows: str  # what a direct call shows, or why none reaches the check (the docs table's text)
    rule: str
    calls: tuple[str, ...] = ()  # direct cryptography / pyOpenSSL probes
    provider: str | None = None  # the same request asked of the provider directly
    absent: str | None = None  # a regex no public name of cryptography or pyOpenSSL may match


SP131 = "SP 800-131A Rev. 2"
KEY_RULE = f"{SP131} §8 (key-derivation keys of at least 112 bits)"

SWITCHES: dict[str, Switch] = {
    "conditional-errors": Switch(
        NO_CALL,
        "Puts the provider into its error state when a conditional self-test fails (the pairwise test "
        "of a key pair it generates, the health tests of its DRBG). No cryptography or pyOpenSSL call "
        "can make one fail; the provider section strict mode loads has `conditional-errors = 1`",
        "ISO/IEC 19790:2012 §7.10.3 (FIPS 140-3)",
        calls=("loaded_conditional_errors",),
    ),
    "drbg-no-trunc-md": Switch(
        NO_CALL,
        "cryptography has no DRBG API (the keys it generates draw on the provider's default CTR_DRBG); "
        "the provider refuses an HMAC_DRBG on SHA-512/224",
        "FIPS 140-3 IG D.R; SP 800-90A Rev. 1 §10.1",
        provider="provider_hmac_drbg_sha512_224",
        absent=r"DRBG|EVP_RAND",
    ),
    "dsa-sign-disabled": Switch(
        REFUSED,
        "DSA signing (2048-bit p, 256-bit q, SHA-256); DSA key generation and verification still work",
        "FIPS 186-5, Abstract and §1 (DSA: signature verification only)",
        calls=("dsa_sign",),
    ),
    "ecdh-cofactor-check": Switch(
        REFUSED,
        "TLS 1.2 ECDHE on NIST K-233 (cofactor 4) through pyOpenSSL: `Context.set_tmp_ecdh("
        'crypto.get_elliptic_curve("sect233k1"))`, a deprecated call that still accepts every curve of '
        "cryptography's OpenSSL; libssl asks for ECDH without the cofactor",
        "SP 800-56A Rev. 3 §5.7.1.2 (ECC CDH primitive)",
        calls=("tls12_ecdhe_k233",),
    ),
    "hkdf-digest-check": Switch(
        NOTHING,
        "The provider's HKDF accepts every digest it has with the switch on (SHA-1, SHA-224, SHA-256, "
        "SHA-512/224, SHA-512/256, SHA3-256, SHA3-512; XOFs are refused whatever the switch). "
        "cryptography's HKDF does not use it anyway (`hkdf-key-check`)",
        "SP 800-56C Rev. 2 §4 (any approved hash function)",
        provider="provider_hkdf_every_digest",
    ),
    "hkdf-key-check": Switch(
        OUTSIDE,
        '`HKDF(SHA256(), 32, None, info).derive(b"k")` (an 8-bit key) works: cryptography computes HKDF '
        "itself, over its HMAC, not with the provider's HKDF, which refuses the same key",
        KEY_RULE,
        calls=("hkdf_8bit_key",),
        provider="provider_hkdf_8bit_key",
    ),
    "hmac-key-check": Switch(
        OUTSIDE,
        "`hmac.HMAC(b\"k\", SHA256())` works: cryptography's HMAC is OpenSSL's `HMAC_CTX` (`HMAC_Init_ex`), "
        "which builds HMAC in cryptography's libcrypto around the provider's SHA-256; the provider's HMAC "
        "(`EVP_MAC`) refuses the same key",
        f"{SP131} §10, Table 9",
        calls=("hmac_8bit_key",),
        provider="provider_hmac_8bit_key",
    ),
    "kbkdf-key-check": Switch(
        OUTSIDE,
        '`KBKDFHMAC(SHA256(), Mode.CounterMode, ...).derive(b"k")` works: cryptography computes it over '
        "its HMAC; the provider's KBKDF refuses the same key",
        f"SP 800-108 Rev. 1; {KEY_RULE}",
        calls=("kbkdf_8bit_key",),
        provider="provider_kbkdf_8bit_key",
    ),
    "kmac-key-check": Switch(
        NO_CALL,
        "cryptography and pyOpenSSL have no KMAC; the provider refuses KMAC-128 with a 64-bit key",
        "SP 800-185 §8.4.1",
        provider="provider_kmac_64bit_key",
        absent=r"KMAC",
    ),
    "no-short-mac": Switch(
        NO_CALL,
        "cryptography has no KMAC; the provider refuses a 16-bit KMAC tag. The switch does not cover "
        "GCM: a 32-bit GCM tag verifies in strict mode (see below)",
        "SP 800-185 §8.4.2; FIPS 140-3 IG C.D",
        provider="provider_kmac_16bit_tag",
        absent=r"KMAC",
    ),
    "pbkdf2-lower-bound-check": Switch(
        REFUSED,
        "`PBKDF2HMAC(SHA256(), 8, salt, 1000).derive(...)`: a 64-bit derived key. Salts under 128 bits "
        "and fewer than 1000 iterations are refused in every mode, whatever the switch",
        f"SP 800-132 §5; {KEY_RULE}",
        calls=("pbkdf2_64bit_key",),
    ),
    "rsa-pkcs15-pad-disabled": Switch(
        REFUSED,
        "RSA encryption with `PKCS1v15()`, and a TLS 1.2 handshake with RSA key exchange "
        "(`AES128-GCM-SHA256`) through pyOpenSSL; PKCS#1 v1.5 decryption still works (see below)",
        f"{SP131} §6, Table 5",
        calls=("rsa_pkcs1v15_encrypt", "tls12_rsa_key_exchange"),
    ),
    "rsa-pss-saltlen-check": Switch(
        REFUSED,
        "RSA-PSS signing with `PSS.MAX_LENGTH` (a 222-byte salt with SHA-256 and RSA-2048)",
        "FIPS 186-5 §5.4 (salt no longer than the hash output)",
        calls=("rsa_pss_long_salt",),
    ),
    "rsa-sign-x931-pad-disabled": Switch(
        NO_CALL,
        "cryptography's RSA paddings are PKCS#1 v1.5, PSS and OAEP, without X9.31; the provider refuses "
        "X9.31 signing",
        "FIPS 186-5 §5 (X9.31 signature generation removed)",
        provider="provider_rsa_x931_sign",
        absent=r"X9_?31",
    ),
    "security-checks": Switch(
        REFUSED,
        "RSA-1024 signing; also P-192 ECDSA signing, RSA-1024 OAEP encryption and DH-512 key agreement",
        f"{SP131} §3, §5, §6 (less than 112 bits of security)",
        calls=("rsa1024_sign", "ecdsa_p192_sign", "rsa1024_oaep_encrypt", "dh512_exchange"),
    ),
    "signature-digest-check": Switch(
        REFUSED,
        "RSA signing with SHA-1 (PKCS#1 v1.5 and PSS). ECDSA with SHA-1 is not refused (see below)",
        f"{SP131} §9, Table 8",
        calls=("rsa_pkcs1v15_sha1_sign", "rsa_pss_sha1_sign"),
    ),
    "sshkdf-digest-check": Switch(
        NO_CALL,
        "cryptography has no SSH KDF (its SSH support is key serialization); the provider refuses "
        "SSHKDF with SHA3-256",
        "SP 800-135 Rev. 1 §5.2",
        provider="provider_sshkdf_sha3",
        absent=r"SSH_?KDF",
    ),
    "sshkdf-key-check": Switch(
        NO_CALL,
        "cryptography has no SSH KDF; the provider refuses SSHKDF with an 8-bit key",
        KEY_RULE,
        provider="provider_sshkdf_8bit_key",
        absent=r"SSH_?KDF",
    ),
    "sskdf-digest-check": Switch(
        NOTHING,
        "The provider's SSKDF accepts every digest it has with the switch on (as for HKDF). "
        "cryptography's ConcatKDF does not use it anyway (`sskdf-key-check`)",
        "SP 800-56C Rev. 2 §4 (any approved hash function)",
        provider="provider_sskdf_every_digest",
    ),
    "sskdf-key-check": Switch(
        OUTSIDE,
        '`ConcatKDFHash(SHA256(), 32, None).derive(b"k")` works: cryptography computes the one-step KDF '
        "itself; the provider's SSKDF refuses the same key",
        f"SP 800-56C Rev. 2 §4; {KEY_RULE}",
        calls=("concatkdf_8bit_key",),
        provider="provider_sskdf_8bit_key",
    ),
    "tdes-encrypt-disabled": Switch(
        REFUSED,
        "3DES encryption, `Cipher(TripleDES(key), CBC(iv)).encryptor()`; decryption still works",
        f"{SP131} §2, Table 1",
        calls=("tdes_encrypt",),
    ),
    "tls1-prf-digest-check": Switch(
        NO_CALL,
        "libssl derives TLS 1.2 keys with SHA-256 or SHA-384 only, as the cipher suite says; TLS 1.0 "
        "and 1.1 need MD5 and SHA-1, which the provider does not have, so a TLS 1.1 handshake fails "
        "with or without the switch. The provider refuses TLS1-PRF with SHA-1",
        "SP 800-135 Rev. 1 §4.2",
        calls=("tls11",),
        provider="provider_tls1_prf_sha1",
    ),
    "tls1-prf-ems-check": Switch(
        REFUSED,
        "A TLS 1.2 handshake through pyOpenSSL whose client turns the extended master secret off "
        "(`SSL_OP_NO_EXTENDED_MASTER_SECRET`)",
        "RFC 7627; FIPS 140-3 IG D.Q",
        calls=("tls12_without_ems",),
    ),
    "tls1-prf-key-check": Switch(
        REFUSED,
        "A TLS 1.2 PSK handshake (`PSK-AES128-GCM-SHA256`) with an 8-bit pre-shared key, through the PSK "
        "callbacks of the cffi bindings pyOpenSSL is built on: a 48-bit premaster secret",
        f"SP 800-135 Rev. 1 §4.2; {KEY_RULE}",
        calls=("tls12_psk_8bit",),
    ),
    "tls13-kdf-digest-check": Switch(
        NO_CALL,
        "TLS 1.3 cipher suites hash with SHA-256 or SHA-384 only; the provider refuses TLS13-KDF with "
        "SHA-512",
        "RFC 8446 Appendix B.4; SP 800-56C Rev. 2",
        provider="provider_tls13_kdf_sha512",
        absent=r"TLS1_?3_?KDF",
    ),
    "tls13-kdf-key-check": Switch(
        REFUSED,
        "A TLS 1.3 handshake with an 8-bit external pre-shared key (the same callbacks)",
        KEY_RULE,
        calls=("tls13_psk_8bit",),
    ),
    "x942kdf-key-check": Switch(
        NO_CALL,
        "cryptography has no X9.42 KDF (its DH exchange returns the raw shared secret); the provider "
        "refuses X942KDF with an 8-bit key",
        KEY_RULE,
        provider="provider_x942kdf_8bit_key",
        absent=r"X9_?42",
    ),
    "x963kdf-digest-check": Switch(
        OUTSIDE,
        "`X963KDF(SHA1(), 32, None).derive(...)` works: cryptography computes the X9.63 KDF itself; the "
        "provider's X963KDF refuses SHA-1",
        "SP 800-135 Rev. 1 (ANS X9.63 KDF)",
        calls=("x963kdf_sha1",),
        provider="provider_x963kdf_sha1",
    ),
    "x963kdf-key-check": Switch(
        OUTSIDE,
        '`X963KDF(SHA256(), 32, None).derive(b"k")` works; the provider\'s X963KDF refuses the same key',
        KEY_RULE,
        calls=("x963kdf_8bit_key",),
        provider="provider_x963kdf_8bit_key",
    ),
}


@dataclass(frozen=True)
class Allowed:
    """Something strict mode does not stop: ``calls`` succeed in strict mode; ``refused`` (the
    provider's own answer to the same request, or the next step) are refused there."""

    title: str
    calls: tuple[str, ...]
    refused: tuple[str, ...] = ()


ALLOWED = (
    Allowed("RSA-1024 key generation", ("rsa1024_keygen",), ("provider_rsa1024_keygen", "rsa1024_sign")),
    Allowed(
        "secp256k1 key generation", ("secp256k1_keygen",), ("provider_secp256k1_keygen", "secp256k1_sign")
    ),
    Allowed("RSA keys with e = 3", ("rsa_e3_sign",), ("provider_rsa_e3_keygen",)),
    Allowed(
        "ECDSA signatures with SHA-1",
        ("ecdsa_sha1_sign", "provider_ecdsa_bare_20_byte_digest"),
        ("provider_ecdsa_sha1",),
    ),
    Allowed("DH-512 parameters and key pairs", ("dh512_keygen",), ("dh512_exchange",)),
    Allowed("DSA key generation", ("dsa_keygen",), ("dsa_sign",)),
    Allowed("3DES decryption", ("tdes_decrypt",), ("tdes_encrypt",)),
    Allowed("PKCS#1 v1.5 decryption", ("rsa_pkcs1v15_decrypt",), ("rsa_pkcs1v15_encrypt",)),
    Allowed("AES-GCM with 32-bit tags", ("gcm_32bit_tag",)),
    Allowed(
        "Short keys and SHA-1 in cryptography's HMAC and KDFs",
        ("hmac_8bit_key", "hkdf_8bit_key", "kbkdf_8bit_key", "concatkdf_8bit_key", "x963kdf_8bit_key"),
        ("provider_hmac_8bit_key", "provider_hkdf_8bit_key", "provider_kbkdf_8bit_key"),
    ),
    Allowed("TLS cipher suites the policy leaves out", ("tls12_own_cipher_list", "tls12_psk_128bit")),
    Allowed("The standard library", ("stdlib_md5",)),
)

# Refused in strict mode and with every switch off: not the switches' doing.
ALWAYS_REFUSED = (
    "x25519_keygen",
    "x448_keygen",
    "chacha20_poly1305",
    "md5_hash",
    "blake2b_hash",
    "camellia_encrypt",
    "secp256k1_sign",
    "tls11",
    "pbkdf2_one_iteration",
    "pbkdf2_64bit_salt",
)

# Where fipscrypto's services are computed: service -> probes and their outcome in strict mode.
SERVICES: dict[str, tuple[tuple[str, str], ...]] = {
    "hashes": (),
    "mac.hmac": (
        ("service_hmac_8bit_key", "refused"),  # by fipscrypto's policy
        ("service_hmac_primitive_8bit_key", "ok"),  # the HMAC it computes with is not the provider's
        ("provider_hmac_8bit_key", "refused"),
    ),
    "mac.cmac": (),
    "mac.gmac": (),
    "aead.AESGCM, aead.AESCCM": (),
    "aead.wrap, aead.wrap_pad": (),
    "rand": (("service_hmac_primitive_8bit_key", "ok"),),
    "kdf.hkdf": (("service_hkdf_8bit_key", "refused"), ("provider_hkdf_8bit_key", "refused")),
    "kdf.pbkdf2, passwords": (("service_pbkdf2_primitive_64bit_key", "refused"),),
    "kdf.kbkdf": (("service_kbkdf_8bit_key", "refused"), ("provider_kbkdf_8bit_key", "refused")),
    "kdf TLS PRFs": (
        ("service_tls12_prf_8bit_secret", "refused"),
        ("provider_tls1_prf_8bit_secret", "refused"),
    ),
    "kdf.srtp": (),
    "kdf.ikev2": (("service_ikev2_prf_8bit_key", "refused"), ("provider_hmac_8bit_key", "refused")),
    "keys generation": (("service_rsa1024_keygen", "refused"), ("rsa1024_keygen", "ok")),
    "keys signatures": (("provider_ecdsa_sha1", "refused"), ("provider_ecdsa_bare_20_byte_digest", "ok")),
    "keys agreement": (),
    "seal": (),
    "tls": (("tls12_without_ems", "refused"), ("tls12_psk_8bit", "refused")),
}


def _provisioned_switches() -> list[str]:
    record = read_record(StatePaths.resolve())  # provisioned by conftest before this module loads
    assert record is not None
    assert record.switches
    return ["conditional-errors", *record.switches]


# -------------------------------------------------------------------------------------- the runs


def probes(state: StatePaths, mode: str, names: list[str]) -> dict[str, str]:
    """Run probes in a fresh interpreter: activate fipscrypto, then call cryptography directly."""
    code = f"""
import json, fipscrypto
fipscrypto.activate()
import boundarylib
print(json.dumps(boundarylib.run({json.dumps(names)})))
"""
    return run_json(code, FIPSCRYPTO_MODE=mode, FIPSCRYPTO_STATE_DIR=str(state.root), PYTHONPATH=str(TESTS))


def _record(state: StatePaths) -> ProviderRecord:
    record = read_record(state)
    assert record is not None
    return record


def weaken(state: StatePaths, off: set[str]) -> None:
    """Rewrite the provisioned provider section: every strict-mode switch on except those in ``off``."""
    entries = read_fips_section(state.fipsmodule_cnf)
    mac = entries.pop("module-mac")
    for name in strict_switches(_record(state)):
        entries[name] = "0" if name in off else "1"
    lines = "".join(f"{key} = {value}\n" for key, value in entries.items())
    state.fipsmodule_cnf.write_text(f"[fips_sect]\n{lines}module-mac = {mac}\n", encoding="utf-8")


def ok(result: str) -> bool:
    return result == "ok" or result.startswith("ok: ")


def refused(result: str) -> bool:
    return result.startswith("refused: ")


def _weak_probes(name: str) -> list[str]:
    row = SWITCHES[name]
    return [*row.calls, *([row.provider] if row.provider else [])]


ALL_OFF = "(every switch off)"


@pytest.fixture(scope="module")
def strict(state_paths: StatePaths) -> dict[str, str]:
    """Every probe, once, in strict mode on the provisioned state folder."""
    return probes(state_paths, "strict", list(PROBES))


@pytest.fixture(scope="module")
def weakened(tmp_path_factory: pytest.TempPathFactory, module_path: Path) -> dict[str, dict[str, str]]:
    """Per switch: its probes in audit mode with only that switch off. Also ALWAYS_REFUSED with
    every switch off. One provisioned private state folder, copied for each run; runs in parallel."""
    base = tmp_path_factory.mktemp("boundary")
    module = base / "ossl-modules" / "fips.so"
    module.parent.mkdir()
    shutil.copyfile(module_path, module)
    provisioned = StatePaths.resolve(base / "state")
    install(module=module, state_dir=provisioned.root)
    jobs = {name: _weak_probes(name) for name, row in SWITCHES.items() if row.verdict != NOTHING}
    jobs[ALL_OFF] = list(ALWAYS_REFUSED)
    every = set(strict_switches(_record(provisioned)))

    def one(job: tuple[int, str]) -> tuple[str, dict[str, str]]:
        number, label = job
        state = StatePaths.resolve(base / f"weakened-{number}")
        shutil.copytree(provisioned.root, state.root)
        weaken(state, every if label == ALL_OFF else {label})
        return label, probes(state, "audit", jobs[label])

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return dict(pool.map(one, enumerate(jobs)))


# ------------------------------------------------------------------------------------- the switches


@pytest.mark.slow
@pytest.mark.parametrize("name", _provisioned_switches())
def test_switch(name: str, strict: dict[str, str], weakened: dict[str, dict[str, str]]) -> None:
    assert name in SWITCHES, f"the provider reports {name!r}: classify it in SWITCHES and docs/boundary.md"
    row = SWITCHES[name]
    weak = weakened.get(name, {})
    if name == "conditional-errors":  # not a provider parameter: read from the loaded section
        assert strict["loaded_conditional_errors"] == "ok: conditional-errors = 1"
        assert weak["loaded_conditional_errors"] == "ok: conditional-errors = 0"
        return
    if row.verdict == REFUSED:
        assert row.calls
        assert row.provider is None
        for call in row.calls:
            assert refused(strict[call]), f"strict mode let {call} through: {strict[call]}"
            assert ok(weak[call]), f"with only {name} off, {call} is still refused: {weak[call]}"
    elif row.verdict == OUTSIDE:
        assert row.calls
        assert row.provider
        for call in row.calls:
            assert ok(strict[call]), f"{call}: {strict[call]}"
        assert refused(strict[row.provider]), f"the provider accepts {row.provider} in strict mode"
        assert ok(weak[row.provider]), f"with {name} off the provider still refuses: {weak[row.provider]}"
    elif row.verdict == NO_CALL:
        assert row.provider
        assert row.absent or row.calls
        assert refused(strict[row.provider]), f"the provider accepts {row.provider} in strict mode"
        assert ok(weak[row.provider]), f"with {name} off the provider still refuses: {weak[row.provider]}"
        for call in row.calls:  # the closest call fails the same way with and without the switch
            assert refused(strict[call]), strict[call]
            assert refused(weak[call]), weak[call]
    else:
        assert row.verdict == NOTHING
        assert row.provider
        assert ok(strict[row.provider]), strict[row.provider]


def test_classification_has_no_stale_switch() -> None:
    assert set(SWITCHES) == set(_provisioned_switches())


def _public_names() -> set[str]:
    """Every public name of cryptography's hazmat modules, its Rust bindings, the cffi bindings
    pyOpenSSL is built on, and pyOpenSSL."""
    import importlib
    import pkgutil
    import types
    import warnings

    import cryptography.hazmat
    from cryptography.hazmat.bindings._rust import openssl as rust_openssl
    from cryptography.hazmat.bindings.openssl.binding import Binding
    from OpenSSL import SSL, crypto

    modules: list[types.ModuleType] = [rust_openssl, SSL, crypto]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for info in pkgutil.walk_packages(cryptography.hazmat.__path__, "cryptography.hazmat."):
            modules.append(importlib.import_module(info.name))
    modules += [value for value in vars(rust_openssl).values() if isinstance(value, types.ModuleType)]
    names = {f"lib.{name}" for name in dir(Binding.lib)}
    for module in modules:
        names |= {f"{module.__name__}.{name}" for name in dir(module) if not name.startswith("_")}
    return names


@pytest.mark.parametrize("name", [name for name, row in SWITCHES.items() if row.absent])
def test_no_call_reaches_the_check(name: str) -> None:
    names = _public_names()
    assert len(names) > 1000  # the walk found the modules
    assert "cryptography.hazmat.primitives.hmac.HMAC" in names
    pattern = re.compile(str(SWITCHES[name].absent), re.IGNORECASE)
    assert not sorted(found for found in names if pattern.search(found.rsplit(".", 1)[-1]))


# ----------------------------------------------------------------------- what strict mode allows


@pytest.mark.parametrize("item", ALLOWED, ids=[item.title for item in ALLOWED])
def test_strict_mode_does_not_stop(item: Allowed, strict: dict[str, str]) -> None:
    for call in item.calls:
        assert ok(strict[call]), f"strict mode now refuses {call}: {strict[call]} (update docs/boundary.md)"
    for call in item.refused:
        assert refused(strict[call]), f"{call}: {strict[call]}"


@pytest.mark.slow
def test_refused_whatever_the_switches(strict: dict[str, str], weakened: dict[str, dict[str, str]]) -> None:
    for call in ALWAYS_REFUSED:
        assert refused(strict[call]), f"strict mode allows {call}"
        assert refused(weakened[ALL_OFF][call]), f"with every switch off {call} works: a switch refuses it"


# ------------------------------------------------------------------------------ fipscrypto services


@pytest.mark.parametrize("service", [name for name, evidence in SERVICES.items() if evidence])
def test_where_a_service_is_computed(service: str, strict: dict[str, str]) -> None:
    for call, expected in SERVICES[service]:
        assert (ok if expected == "ok" else refused)(strict[call]), f"{call}: {strict[call]}"


# ----------------------------------------------------------------------------------- the documents


def _section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def switch_row(name: str) -> str:
    row = SWITCHES[name]
    return f"| `{name}` | {row.verdict} | {row.shows} | {row.rule} |"


def test_docs_switch_table_matches_the_classification() -> None:
    rows = [line for line in _section("Strict mode's switches").splitlines() if line.startswith("| `")]
    assert rows == [switch_row(name) for name in sorted(SWITCHES)]


def test_docs_not_stopped_list_matches() -> None:
    titles = re.findall(r"^- \*\*(.+?)\.\*\*", _section("What strict mode does not stop"), re.MULTILINE)
    assert titles == [item.title for item in ALLOWED]


def test_docs_service_table_matches() -> None:
    rows = re.findall(r"^\| \*\*(.+?)\*\* \|", _section("Where fipscrypto's services run"), re.MULTILINE)
    assert rows == list(SERVICES)


def test_docs_index_links_the_page() -> None:
    assert "(boundary.md)" in (DOC.parent / "index.md").read_text(encoding="utf-8")
