"""What strict mode does not stop (docs/tls.md): plain pyOpenSSL contexts in this strict-mode process.

A plain ``SSL.Context`` starts from the compiled ``system_default`` section, and an application that
sets its own cipher string, groups, signature schemes or security level on it overrides the section:
the first handshakes below complete although the policy refuses what they negotiate. The others stay
refused, because the FIPS provider does not implement what they need or its configuration refuses it.
Both sides are plain pyOpenSSL contexts configured alike, over loopback; each case is a row of the
table in docs/tls.md, "What strict mode does not stop".
"""

from __future__ import annotations

import dataclasses

import pytest
from OpenSSL import SSL
from tlslib import Issued, Outcome, Pki, Server, closing, connect

from fipscrypto import module, tls
from fipscrypto._backend import pyopenssl
from fipscrypto.errors import HandshakeRejected

_NO_EXTENDED_MASTER_SECRET = 0x1  # SSL_OP_NO_EXTENDED_MASTER_SECRET (openssl/ssl.h, OpenSSL 3)
_LEVEL0 = b":@SECLEVEL=0"


@dataclasses.dataclass(frozen=True)
class Case:
    """What the application sets on both contexts (``client_options`` on the client only)."""

    certificate: str | None  # "ec" (P-256), "rsa" (2048), or None (no certificate at all)
    version: int
    ciphers: bytes | None = None
    suites: bytes | None = None
    groups: bytes | None = None
    sigalgs: bytes | None = None
    client_options: int = 0


@pytest.fixture(scope="module")
def certificates(pki: Pki, server_cert: Issued) -> dict[str, Issued]:
    rsa = pki.issue("rsa.localhost", key="rsa-2048", eku=("server",), sans=("localhost",))
    return {"ec": server_cert, "rsa": rsa}


def _configure(context: SSL.Context, case: Case) -> str | None:
    """Apply the case; OpenSSL's refusal of a setting, or None."""
    context.set_min_proto_version(case.version)
    context.set_max_proto_version(case.version)
    try:
        if case.ciphers is not None:
            context.set_cipher_list(case.ciphers)
        if case.suites is not None:
            context.set_tls13_ciphersuites(case.suites)
    except SSL.Error as exc:
        return str(exc)
    if case.groups is not None and not pyopenssl.set_groups(context, case.groups.decode()):
        return f"groups {case.groups.decode()} refused"
    if case.sigalgs is not None and not pyopenssl.set_sigalgs(context, case.sigalgs.decode()):
        return f"signature schemes {case.sigalgs.decode()} refused"
    return None


def _handshake(
    case: Case, certificates: dict[str, Issued]
) -> tuple[Outcome, str | None, SSL.Connection | None]:
    """(the client's outcome, OpenSSL's refusal of a setting, the client connection)."""
    server_ctx, client_ctx = SSL.Context(SSL.TLS_METHOD), SSL.Context(SSL.TLS_METHOD)
    refused = _configure(server_ctx, case) or _configure(client_ctx, case)
    if refused is not None:
        return Outcome(), refused, None
    if case.certificate is not None:
        server_ctx.use_certificate_chain_file(str(certificates[case.certificate].chain))
        server_ctx.use_privatekey_file(str(certificates[case.certificate].key))
    client_ctx.set_options(case.client_options)
    server = Server(server_ctx)
    outcome, conn = connect(client_ctx, server.port)
    closing(conn)
    server.wait()
    return outcome, None, conn


# (case, the suite or group it negotiates, what the policy or fipscrypto's contexts say about it)
COMPLETES = {
    "anonymous-dh": (
        Case(None, SSL.TLS1_2_VERSION, ciphers=b"ADH-AES128-GCM-SHA256" + _LEVEL0),
        "ADH-AES128-GCM-SHA256",
    ),
    "cbc-hmac-sha1": (
        Case("ec", SSL.TLS1_2_VERSION, ciphers=b"ECDHE-ECDSA-AES128-SHA"),
        "ECDHE-ECDSA-AES128-SHA",
    ),
    "ffdhe2048": (Case("ec", SSL.TLS1_3_VERSION, groups=b"ffdhe2048"), "ffdhe2048"),
    "x25519-hybrid": (Case("ec", SSL.TLS1_3_VERSION, groups=b"X25519MLKEM768"), "X25519MLKEM768"),
    "ccm8-at-security-level-0": (
        Case("ec", SSL.TLS1_3_VERSION, ciphers=b"ALL" + _LEVEL0, suites=b"TLS_AES_128_CCM_8_SHA256"),
        "TLS_AES_128_CCM_8_SHA256",
    ),
}

# (case, OpenSSL's words for the refusal)
REFUSED = {
    "chacha20-tls13": (
        Case("ec", SSL.TLS1_3_VERSION, suites=b"TLS_CHACHA20_POLY1305_SHA256"),
        "no ciphers available",
    ),
    "chacha20-tls12": (
        Case("ec", SSL.TLS1_2_VERSION, ciphers=b"ECDHE-ECDSA-CHACHA20-POLY1305"),
        "no cipher match",
    ),
    "3des": (Case("rsa", SSL.TLS1_2_VERSION, ciphers=b"DES-CBC3-SHA" + _LEVEL0), "no cipher match"),
    "camellia": (
        Case("rsa", SSL.TLS1_2_VERSION, ciphers=b"DHE-RSA-CAMELLIA128-SHA" + _LEVEL0),
        "no cipher match",
    ),
    "null-encryption": (
        Case("ec", SSL.TLS1_2_VERSION, ciphers=b"ECDHE-ECDSA-NULL-SHA" + _LEVEL0),
        "unsupported",
    ),
    "tls1.0": (
        Case("ec", SSL.TLS1_VERSION, ciphers=b"ECDHE-ECDSA-AES128-SHA" + _LEVEL0),
        "no suitable digest algorithm",
    ),
    "tls1.1": (
        Case("ec", SSL.TLS1_1_VERSION, ciphers=b"ECDHE-ECDSA-AES128-SHA" + _LEVEL0),
        "no suitable digest algorithm",
    ),
    "x25519-alone": (Case("ec", SSL.TLS1_3_VERSION, groups=b"X25519"), "groups X25519 refused"),
    "x448": (Case("ec", SSL.TLS1_3_VERSION, groups=b"X448"), "groups X448 refused"),
    "secp256k1": (Case("ec", SSL.TLS1_3_VERSION, groups=b"secp256k1"), "groups secp256k1 refused"),
    # Strict mode's provider switches: rsa-pkcs15-pad-disabled refuses the PKCS#1 v1.5 encryption of
    # RSA key transport; signature-digest-check refuses a ServerKeyExchange signed with SHA-1 (the
    # client accepts only SHA-1 signatures, so the server finds none it may make).
    "rsa-key-transport": (
        Case("rsa", SSL.TLS1_2_VERSION, ciphers=b"AES128-GCM-SHA256"),
        "invalid padding mode",
    ),
    "sha1-signature": (
        Case(
            "ec",
            SSL.TLS1_2_VERSION,
            ciphers=b"ECDHE-ECDSA-AES128-GCM-SHA256" + _LEVEL0,
            sigalgs=b"ECDSA+SHA1",
        ),
        "handshake failure",
    ),
    # fipsmodule.cnf: tls1-prf-ems-check = 1 (see "Extended master secret").
    "tls12-without-ems": (
        Case("ec", SSL.TLS1_2_VERSION, client_options=_NO_EXTENDED_MASTER_SECRET),
        "ems not enabled",
    ),
}


def test_this_process_is_in_strict_mode() -> None:
    assert module.info().mode is module.Mode.STRICT


@pytest.mark.parametrize("name", COMPLETES)
def test_a_plain_context_with_its_own_settings_completes(name: str, certificates: dict[str, Issued]) -> None:
    case, negotiated = COMPLETES[name]
    outcome, refused, _ = _handshake(case, certificates)
    assert refused is None
    assert outcome.ok, outcome.error
    assert negotiated in (outcome.cipher, outcome.group)


@pytest.mark.parametrize("name", REFUSED)
def test_what_the_provider_still_refuses(name: str, certificates: dict[str, Issued]) -> None:
    case, words = REFUSED[name]
    outcome, refused, _ = _handshake(case, certificates)
    assert not outcome.ok or refused is not None
    assert words in (refused or str(outcome.error))


def test_negotiated_checks_a_plain_connection_against_the_policy(certificates: dict[str, Issued]) -> None:
    """Afterwards, negotiated() refuses what the active policy refuses: the anonymous suite, and
    ffdhe2048, which the default fips-140-3-hardened profile disallows (fips-140-3 accepts it)."""
    _, _, conn = _handshake(COMPLETES["anonymous-dh"][0], certificates)
    assert conn is not None
    with pytest.raises(HandshakeRejected) as rejected:
        tls.negotiated(conn, role="client")
    assert rejected.value.reason == "suite-not-allowed"
    _, _, conn = _handshake(COMPLETES["ffdhe2048"][0], certificates)
    assert conn is not None
    with pytest.raises(HandshakeRejected) as rejected:
        tls.negotiated(conn, role="client")
    assert rejected.value.reason == "group-not-allowed"
    assert "fips-140-3-hardened" in str(rejected.value)
