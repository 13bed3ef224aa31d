"""The hybrid ML-KEM TLS groups and the post-quantum module's switch.

On (``FIPSCRYPTO_PQC=1`` here), fipscrypto's TLS contexts offer the post-quantum groups the policy
allows, first: two fipscrypto endpoints negotiate SecP256r1MLKEM768 under the default policy and
SecP384r1MLKEM1024 under cnsa-2.0. Off, the contexts offer no post-quantum group unless asked
(``post_quantum=True``), as before the module existed. The system ``openssl`` (3.0) knows the hybrid
groups only through the FIPS provider 3.5 it loads with fipscrypto's configuration (provider-defined
TLS groups); with its own default provider it has no ML-KEM at all. The FIPS provider's own
implementation of the groups (OpenSSL's EVP_PKEY-MLX-KEM, the one TLS runs) and
:class:`fipscrypto.pqc.HybridKEM` interoperate byte for byte, both ways.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hybridlib import ProviderKem
from OpenSSL import SSL
from tlslib import OPENSSL, Pki, Server, closing, connect, parameters, s_client, s_server, write_policy

from fipscrypto import tls
from fipscrypto._backend import pyopenssl
from fipscrypto.errors import InvalidParameter
from fipscrypto.pqc import HybridKEM
from fipscrypto.provider.state import StatePaths
from fipscrypto.tls.rules import PolicyRef

from support import clean_env

if TYPE_CHECKING:
    from tlslib import Issued

HYBRIDS = ("SecP256r1MLKEM768", "SecP384r1MLKEM1024")


@pytest.fixture
def pqc_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIPSCRYPTO_PQC", "1")


@pytest.fixture
def pqc_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIPSCRYPTO_PQC", raising=False)


def _handshake(
    server_ctx: SSL.Context, client_ctx: SSL.Context
) -> tuple[tls.TLSParameters, tls.TLSParameters]:
    server = Server(server_ctx)
    client, conn = connect(client_ctx, server.port)
    closing(conn)
    return parameters(client), parameters(server.result())


# ------------------------------------------------------------------------------ the module's switch


def test_switched_on_two_endpoints_negotiate_secp256r1mlkem768(
    pqc_on: None, server_cert: Issued, pki: Pki
) -> None:
    client, server = _handshake(
        tls.server_context(server_cert.chain, server_cert.key), tls.client_context(ca=pki.cert)
    )
    assert client.group == server.group == "SecP256r1MLKEM768"
    assert client.approved
    assert server.approved


def test_switched_on_the_policys_post_quantum_groups_come_first(pqc_on: None) -> None:
    """What a default context offers: the hybrids the active policy allows (fips-140-3-hardened: not
    X25519MLKEM768), then ML-KEM alone, then the classical groups."""
    offered = tls.endpoint_settings(PolicyRef(None), service="tls.client_context", post_quantum=True).groups
    assert offered[:2] == HYBRIDS
    assert "X25519MLKEM768" not in offered
    first_classical = offered.index("P-256")
    assert set(offered[:first_classical]) <= {*HYBRIDS, "MLKEM512", "MLKEM768", "MLKEM1024"}


def test_switched_on_the_client_sends_its_hybrid_share_first(
    pqc_on: None, server_cert: Issued, pki: Pki
) -> None:
    """A plain server that takes the client's first acceptable share (no server preference) and
    accepts P-256 too: the fipscrypto client's first share is the hybrid."""
    plain = SSL.Context(SSL.TLS_METHOD)
    plain.set_min_proto_version(SSL.TLS1_3_VERSION)
    plain.use_certificate_chain_file(str(server_cert.chain))
    plain.use_privatekey_file(str(server_cert.key))
    assert pyopenssl.set_groups(plain, "P-256:SecP256r1MLKEM768")
    server = Server(plain)
    outcome, conn = connect(tls.client_context(ca=pki.cert), server.port)
    closing(conn)
    server.result()
    assert parameters(outcome).group == "SecP256r1MLKEM768"


def test_switched_off_no_post_quantum_group_is_offered(pqc_off: None, server_cert: Issued, pki: Pki) -> None:
    server_ctx = tls.server_context(server_cert.chain, server_cert.key)
    client, server = _handshake(server_ctx, tls.client_context(ca=pki.cert))
    assert client.group == server.group == "secp256r1"
    # A client that offers only the hybrid finds no group in common with a default server.
    plain = SSL.Context(SSL.TLS_METHOD)
    plain.set_verify(SSL.VERIFY_NONE)
    assert pyopenssl.set_groups(plain, "SecP256r1MLKEM768")
    running = Server(tls.server_context(server_cert.chain, server_cert.key))
    outcome, conn = connect(plain, running.port)
    closing(conn)
    assert not outcome.ok
    assert not running.result().ok


def test_an_explicit_choice_outranks_the_switch(pqc_on: None, server_cert: Issued, pki: Pki) -> None:
    server_ctx = tls.server_context(server_cert.chain, server_cert.key, post_quantum=False)
    client, _ = _handshake(server_ctx, tls.client_context(ca=pki.cert))
    assert client.group == "secp256r1"


def test_post_quantum_is_true_false_or_none(pqc_on: None, server_cert: Issued) -> None:
    with pytest.raises(InvalidParameter, match="post_quantum"):
        tls.server_context(server_cert.chain, server_cert.key, post_quantum=1)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------- CNSA 2.0

# cnsa-2.0 offers ML-DSA-87 signatures only (its CNSA 1.0 signatures are deprecated, and endpoints
# offer acceptable items only), and a pyOpenSSL context cannot hold an ML-DSA key: the endpoints here
# run cnsa-2.0 with its transitional ecdsa_secp384r1_sha384 made acceptable, its groups unchanged.
CNSA_ECDSA = """
[[rule]]
category = "tls-sigalg"
names = ["ecdsa_secp384r1_sha384"]
apply = "acceptable"
process = "acceptable"
cite = "rfc9151"
section = "Authentication (ECDSA P-384 with SHA-384)"
note = "Test layer: the CNSA 1.0 signature, so that a P-384 certificate can authenticate the endpoints."
justification = "pyOpenSSL contexts cannot sign with ML-DSA-87, the only signature cnsa-2.0 offers."
"""


@pytest.fixture(scope="module")
def cnsa(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pki, Issued, Path]:
    folder = tmp_path_factory.mktemp("cnsa")
    ca = Pki(folder, "cnsa test CA", key="ec-p384")
    cert = ca.issue("localhost", key="ec-p384", eku=("server",), signature="sha384")
    return ca, cert, write_policy(folder, "cnsa-ecdsa", CNSA_ECDSA, extends="cnsa-2.0")


def test_under_cnsa_2_0_two_endpoints_negotiate_secp384r1mlkem1024(
    pqc_on: None, cnsa: tuple[Pki, Issued, Path]
) -> None:
    ca, cert, policy = cnsa
    offered = tls.endpoint_settings(PolicyRef(str(policy)), service="tls.client_context", post_quantum=True)
    assert offered.groups == ("SecP384r1MLKEM1024", "MLKEM1024")  # cnsa-2.0's, ML-KEM-1024 only
    server_ctx = tls.server_context(cert.chain, cert.key, policy=str(policy))
    client, server = _handshake(server_ctx, tls.client_context(ca=ca.cert, policy=str(policy)))
    assert client.group == server.group == "SecP384r1MLKEM1024"
    assert client.approved


# ----------------------------------------------------------------------------------- system openssl


def _provider_config(state_paths: StatePaths) -> Path:
    """fipscrypto's OpenSSL configuration: the FIPS provider (3.5) and base, fips=yes."""
    return state_paths.openssl_cnf


def test_the_system_openssl_knows_the_hybrids_only_through_the_fips_provider(state_paths: StatePaths) -> None:
    def kems(env: dict[str, str]) -> str:
        done = subprocess.run(
            [OPENSSL, "list", "-kem-algorithms"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=True,
        )
        return done.stdout

    own = kems(clean_env())
    with_provider = kems(clean_env(OPENSSL_CONF=str(_provider_config(state_paths))))
    version = subprocess.run([OPENSSL, "version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("OpenSSL 3.0.")
    assert "MLKEM" not in own  # OpenSSL 3.0's default provider has no ML-KEM
    for group in (*HYBRIDS, "X25519MLKEM768"):
        assert f"{group} @ fips" in with_provider


@pytest.mark.parametrize("group", HYBRIDS)
def test_a_system_openssl_client_negotiates_the_hybrid_with_us(
    group: str, pqc_on: None, server_cert: Issued, pki: Pki, state_paths: StatePaths
) -> None:
    server = Server(tls.server_context(server_cert.chain, server_cert.key))
    peer = s_client(
        server.port, "-tls1_3", "-groups", group, cafile=pki.cert, config=_provider_config(state_paths)
    )
    result = parameters(server.result())
    assert peer.exit == 0, peer.stderr
    assert result.group == group


@pytest.mark.parametrize("group", HYBRIDS)
def test_we_negotiate_the_hybrid_with_a_system_openssl_server(
    group: str, pqc_on: None, server_cert: Issued, pki: Pki, state_paths: StatePaths
) -> None:
    with s_server(server_cert, "-tls1_3", "-groups", group, config=_provider_config(state_paths)) as port:
        outcome, conn = connect(tls.client_context(ca=pki.cert), port)
        closing(conn)
    assert parameters(outcome).group == group


# ------------------------------------------------------------- HybridKEM and the provider's groups


@pytest.mark.parametrize("group", HYBRIDS)
def test_hybridkem_and_the_providers_implementation_agree_both_ways(pqc_on: None, group: str) -> None:
    ours = HybridKEM(group)
    theirs = ProviderKem(group)
    # Our key share, the provider encapsulates (a TLS server's role), we decapsulate.
    public_key, private_key = ours.generate_keypair()
    ciphertext, secret = theirs.encapsulate(public_key)
    assert ours.decapsulate(private_key, ciphertext) == secret
    # The provider's key share, we encapsulate, the provider decapsulates.
    their_public = theirs.generate()
    ciphertext, secret = ours.encapsulate(their_public)
    assert theirs.decapsulate(ciphertext) == secret
    assert len(secret) == {"SecP256r1MLKEM768": 64, "SecP384r1MLKEM1024": 80}[group]


def test_the_interop_check_sees_a_wrong_layout(pqc_on: None) -> None:
    """The check above can fail: the same components in the other order are refused or disagree."""
    ours = HybridKEM("SecP256r1MLKEM768")
    theirs = ProviderKem("SecP256r1MLKEM768")
    public_key, private_key = ours.generate_keypair()
    swapped = public_key[65:] + public_key[:65]
    with pytest.raises(AssertionError):
        theirs.encapsulate(swapped)
    ciphertext, _ = theirs.encapsulate(public_key)
    with pytest.raises(InvalidParameter):  # the ML-KEM ciphertext first: no point where ours expects it
        ours.decapsulate(private_key, ciphertext[65:] + ciphertext[:65])
