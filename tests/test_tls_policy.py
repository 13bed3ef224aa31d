"""The compiled policy in force: real TLS handshakes against a pyOpenSSL server in this FIPS process.

This process was activated with the default policy (fips-140-3), so its OpenSSL configuration carries
the compiled ``system_default`` section. The server below is a plain ``SSL.Context`` with a
certificate and nothing else configured; whatever it refuses, it refuses because of the policy. The
system ``openssl s_client`` is the independent client and makes the offers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from OpenSSL import SSL
from tlslib import Issued, Outcome, Peer, Pki, Server, s_client

from fipscrypto import policy


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


def test_the_process_runs_the_compiled_policy() -> None:
    assert policy.current().name == "fips-140-3"
    # What the server offers, read back from OpenSSL: no ChaCha20, no CBC-SHA1 (deprecated), TLS 1.2+.
    offered = SSL.Connection(SSL.Context(SSL.TLS_METHOD)).get_cipher_list()
    assert offered[:2] == ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"]
    assert not [c for c in offered if "CHACHA" in c or c.endswith("-SHA") or c.startswith("AES")]


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
