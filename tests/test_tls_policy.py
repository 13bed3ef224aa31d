"""The compiled policy in force: real TLS handshakes against a pyOpenSSL server in this FIPS process.

This process was activated with the default policy (fips-140-3-hardened), so its OpenSSL configuration carries
the compiled ``system_default`` section. The server below is a plain ``SSL.Context`` with a
certificate and nothing else configured; whatever it refuses, it refuses because of the policy. The
system ``openssl s_client`` is the independent client and makes the offers.

What is offered is what can be negotiated: every suite the section and fipscrypto's contexts offer
completes a real handshake, and every suite the policy accepts but that is not offered fails one (and
completes once OpenSSL's security level, the reason given, is lowered).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from OpenSSL import SSL
from tlslib import Issued, Outcome, Peer, Pki, Server, closing, connect, s_client

from fipscrypto import indicator, policy, tls
from fipscrypto.policy.compile import Negotiable, openssl_section, tls_settings
from fipscrypto.policy.runtime import DEFAULT, tls_section
from fipscrypto.policy.vocabulary import categories
from fipscrypto.provider.state import StatePaths, read_record
from fipscrypto.tls.openssl import capability


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def certificate(pki: Pki) -> Issued:
    return pki.issue("localhost", eku=())


@pytest.fixture
def server(certificate: Issued) -> Iterator[Server]:
    context = SSL.Context(SSL.TLS_METHOD)  # nothing set here: the policy decides
    context.use_certificate_chain_file(str(certificate.chain))
    context.use_privatekey_file(str(certificate.key))
    running = Server(context)
    yield running
    running.wait()


def offer(server: Server, pki: Pki, *options: str) -> tuple[Outcome, Peer]:
    """The system openssl s_client makes the offer; the server's outcome and the client's output."""
    peer = s_client(server.port, *options, cafile=pki.cert)
    return server.result(), peer


def _offer(context: SSL.Context) -> list[str]:
    """The suites a context offers, read back from OpenSSL (TLS 1.3 first)."""
    return SSL.Connection(context).get_cipher_list()


def _fipscrypto_offer() -> list[str]:
    """What fipscrypto's contexts offer under the active policy (the settings server_context applies)."""
    settings = tls.endpoint_settings(tls.PolicyRef(None), service="test", negotiable=capability())
    return [*settings.tls13_suites, *settings.tls12_suites]


def _not_offered() -> list[tuple[str, str]]:
    """(OpenSSL name, reason) of the suites the active policy accepts that this OpenSSL cannot negotiate."""
    vocab = categories()
    tls13 = vocab["tls13-suite"].names
    return [
        (vocab["tls13-suite" if name in tls13 else "tls12-suite"].openssl_name(name), why)
        for name, why in tls_settings(policy.current(), negotiable=capability()).not_offered
    ]


def test_the_process_runs_the_compiled_policy() -> None:
    assert policy.current().name == "fips-140-3-hardened"
    # What the server offers, read back from OpenSSL: no ChaCha20, no CBC-SHA1 (deprecated), TLS 1.2+.
    offered = _offer(SSL.Context(SSL.TLS_METHOD))
    assert offered[:2] == ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"]
    assert not [c for c in offered if "CHACHA" in c or c.endswith("-SHA") or c.startswith("AES")]


def test_the_section_and_our_contexts_offer_the_same_negotiable_suites(
    state_paths: StatePaths, certificate: Issued
) -> None:
    record = read_record(state_paths)
    assert record is not None
    assert record.tls_negotiable == capability().as_dict()  # the section was compiled from it
    ours = _offer(tls.server_context(certificate.chain, certificate.key))
    assert _offer(SSL.Context(SSL.TLS_METHOD)) == ours == _fipscrypto_offer()
    assert set(ours) <= capability().suites
    assert not [c for c in ours if "CCM8" in c or "CCM_8" in c]


def test_the_policy_accepts_the_ccm8_suites_and_this_openssl_cannot_negotiate_them() -> None:
    """The compiler leaves them out because of the measurement, not by a rule of its own."""
    unmeasured = tls_settings(policy.current())
    assert "TLS_AES_128_CCM_8_SHA256" in unmeasured.tls13_suites
    assert "ECDHE-ECDSA-AES128-CCM8" in unmeasured.tls12_suites
    names = [name for name, _ in _not_offered()]
    assert names == [
        "ECDHE-ECDSA-AES128-CCM8",
        "ECDHE-ECDSA-AES256-CCM8",
        "DHE-RSA-AES128-CCM8",
        "DHE-RSA-AES256-CCM8",
        "TLS_AES_128_CCM_8_SHA256",
    ]
    assert {why for _, why in _not_offered()} == {
        f"{capability().openssl} rates it at 64 bits of security, below its security level"
    }


@pytest.fixture(scope="module")
def rsa_certificate(pki: Pki) -> Issued:
    return pki.issue("rsa.localhost", key="rsa-2048", eku=(), sans=("localhost",))


def _single_suite_handshake(
    suite: str, certificate: Issued, rsa_certificate: Issued, *, level: bytes = b"", ours: bool = True
) -> Outcome:
    """A handshake where the client offers ``suite`` alone, with a certificate it can use; the server is
    a fipscrypto context (``ours``) or a plain one offering ``suite`` too. ``level``: a cipher-string
    suffix for both plain contexts (``:@SECLEVEL=0``)."""
    cert = rsa_certificate if "-RSA-" in suite else certificate
    tls13 = suite.startswith("TLS_")

    def restricted() -> SSL.Context:
        context = SSL.Context(SSL.TLS_METHOD)
        version = SSL.TLS1_3_VERSION if tls13 else SSL.TLS1_2_VERSION
        context.set_min_proto_version(version)
        context.set_max_proto_version(version)
        context.set_cipher_list(b"ALL" + level if tls13 else suite.encode() + level)
        if tls13:
            context.set_tls13_ciphersuites(suite.encode())
        return context

    if ours:
        server_ctx = tls.server_context(cert.chain, cert.key)
    else:
        server_ctx = restricted()
        server_ctx.use_certificate_chain_file(str(cert.chain))
        server_ctx.use_privatekey_file(str(cert.key))
    server = Server(server_ctx)
    outcome, conn = connect(restricted(), server.port)
    closing(conn)
    server.wait()
    return outcome


@pytest.mark.parametrize("suite", _fipscrypto_offer())
def test_every_offered_suite_is_negotiated(suite: str, certificate: Issued, rsa_certificate: Issued) -> None:
    outcome = _single_suite_handshake(suite, certificate, rsa_certificate)
    assert outcome.ok, outcome.error
    assert outcome.cipher == suite


@pytest.mark.parametrize(("suite", "why"), _not_offered())
def test_no_suite_left_out_can_be_negotiated(
    suite: str, why: str, certificate: Issued, rsa_certificate: Issued
) -> None:
    refused = _single_suite_handshake(suite, certificate, rsa_certificate, ours=False)
    assert isinstance(refused.error, SSL.Error)
    assert "no ciphers available" in str(refused.error)
    # The reason given: OpenSSL's security level. At level 0 the same peers complete the handshake.
    assert "below its security level" in why
    allowed = _single_suite_handshake(suite, certificate, rsa_certificate, level=b":@SECLEVEL=0", ours=False)
    assert allowed.ok, allowed.error
    assert allowed.cipher == suite


@pytest.mark.parametrize("group", ["P-256", "P-384"])
def test_tls13_with_approved_group_and_aes_gcm(server: Server, pki: Pki, group: str) -> None:
    result, peer = offer(server, pki, "-tls1_3", "-groups", group)
    assert result.ok, result.error
    assert result.version == "TLSv1.3"
    assert result.cipher in ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384")
    assert result.group == {"P-256": "secp256r1", "P-384": "secp384r1"}[group]
    assert peer.verified


def test_tls12_with_ecdhe_ecdsa_aes_gcm(server: Server, pki: Pki) -> None:
    result, _ = offer(server, pki, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384")
    assert result.ok, result.error
    assert (result.version, result.cipher) == ("TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384")


# Who refuses: "policy" cases are served by the FIPS provider and refused only because of the
# compiled policy (checked by running this module under a permissive policy: they then succeed);
# "provider" cases are also refused by the FIPS provider or OpenSSL itself, whatever the policy.
@pytest.mark.parametrize(
    ("options", "why"),
    [
        (
            ("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"),
            "policy: CBC with SHA-1 is deprecated, not offered",
        ),
        (
            ("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256"),
            "policy: CBC with SHA-256 is deprecated, not offered",
        ),
        (
            ("-tls1_2", "-groups", "P-224", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"),
            "provider and policy: P-224 is not an allowed TLS group",
        ),
        (("-tls1_3", "-groups", "X25519"), "provider and policy: X25519 alone is not approved"),
        (("-tls1_3", "-groups", "ffdhe2048"), "policy: fips-140-3-hardened disallows ffdhe2048"),
        (("-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"), "provider and policy: ChaCha20"),
        (("-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"), "provider and policy: ChaCha20"),
        (("-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"), "provider and policy: TLS 1.0 is disallowed"),
        (("-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"), "provider and policy: TLS 1.1 is disallowed"),
    ],
)
def test_non_approved_offers_are_refused(
    server: Server, pki: Pki, options: tuple[str, ...], why: str
) -> None:
    result, peer = offer(server, pki, *options)
    assert not result.ok, f"{why}: the handshake succeeded: {result}"
    assert not peer.verified


# ------------------------------------------------------------------------- versions and the default


def test_the_measurement_says_which_versions_this_openssl_negotiates() -> None:
    """Measured, never assumed: cryptography's OpenSSL with the FIPS provider makes no ClientHello for
    TLS 1.0, TLS 1.1 or DTLS 1.0 (its security level rules them out; below it, their MD5-SHA-1
    handshake digest is not in the provider), and the measurement gives OpenSSL's own words."""
    measured = capability()
    assert measured.versions == frozenset({"tls1.2", "tls1.3", "dtls1.2"})
    why = dict(measured.refused)
    for version in ("tls1.0", "tls1.1", "dtls1.0"):
        assert "no protocols available" in why[version]
        assert "at security level 0: no suitable digest algorithm" in why[version]


def test_deprecated_versions_are_the_profiles_decision() -> None:
    """fips-140-3-public allows TLS 1.0 and 1.1 (deprecated): they are offered wherever OpenSSL can
    negotiate them, and where it cannot, the compiled section says so; no floor of the TLS layer."""
    public = policy.select("fips-140-3-public")
    unmeasured = tls_settings(public)
    assert unmeasured.tls_versions == ("tls1.0", "tls1.1", "tls1.2", "tls1.3")
    assert "TLS.MinProtocol = TLSv1\n" in openssl_section(public)
    measured = tls_settings(public, negotiable=capability())
    assert measured.tls_versions == ("tls1.2", "tls1.3")
    assert [name for name, _ in measured.versions_not_offered] == ["tls1.0", "tls1.1"]
    text = openssl_section(public, negotiable=capability())
    assert "TLS.MinProtocol = TLSv1.2\n" in text
    assert "# Not offered although the policy allows it: tls1.0 (OpenSSL " in text
    # An endpoint for that profile: from TLS 1.0 when unmeasured, from what OpenSSL can do otherwise.
    # (fips-140-3-public accepts ffdhe2048, which the active policy refuses: an exemption lets it build.)
    ref = tls.PolicyRef(public)
    with indicator.exempt(reason="test: a fips-140-3-public endpoint"):
        assert tls.endpoint_settings(ref, service="test").versions[0] == "tls1.0"
        offered = tls.endpoint_settings(ref, service="test", negotiable=capability())
    assert offered.versions == ("tls1.2", "tls1.3")
    # Under fips-140-3 and the default, TLS 1.0 and 1.1 are disallowed by the profile itself.
    for name in ("fips-140-3", DEFAULT):
        assert tls_settings(policy.select(name)).tls_versions == ("tls1.2", "tls1.3")
        assert tls_settings(policy.select(name), negotiable=capability()).versions_not_offered == ()


def test_the_runtime_section_of_the_default_policy(tmp_path: Path) -> None:
    """The cache key names the policy and every layer, and the measurement: the default's section is
    kept apart from fips-140-3's, and a measurement that knows the versions is a different key."""
    assert DEFAULT == "fips-140-3-hardened"
    measured = capability().as_dict()
    hardened = tls_section(DEFAULT, tmp_path, measured)
    nist = tls_section("fips-140-3", tmp_path, measured)
    assert "ffdhe2048" not in hardened
    assert ":ffdhe2048:" in nist
    assert hardened.replace("ffdhe2048:", "").replace(DEFAULT, "fips-140-3") == nist.replace("ffdhe2048:", "")
    entries = json.loads((tmp_path / "policy-cache.json").read_text())
    entry = entries[DEFAULT]
    assert entry["spec"] == DEFAULT
    assert [identity for identity, _ in entry["layers"]] == [
        "<builtin>/fips-140-3-hardened.toml",
        "<builtin>/fips-140-3.toml",
    ]
    without_versions = {key: value for key, value in measured.items() if key != "versions"}
    assert Negotiable.from_dict(without_versions).versions is None  # a record measured before versions
    tls_section(DEFAULT, tmp_path, without_versions)
    again = json.loads((tmp_path / "policy-cache.json").read_text())[DEFAULT]
    assert again["negotiable"] != entry["negotiable"]  # another measurement: compiled again
