"""DTLS-SRTP keying (RFC 5764): two fipscrypto endpoints, and the system ``openssl`` as the peer.

The system ``openssl`` (3.0, outside the boundary, its default provider) is an independent
implementation: over UDP loopback it runs ``s_server``/``s_client`` with ``-dtls1_2 -use_srtp PROFILE
-keymatexport EXTRACTOR-dtls_srtp``, and the keying material it prints must be ours byte for byte,
split as RFC 5764 §4.2 says, for every profile the policy allows and in both roles.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tlslib import OPENSSL, TIMEOUT, free_port, no_ems_config, run_openssl, write_policy

from fipscrypto import audit, indicator, srtp
from fipscrypto.errors import (
    AuthenticationError,
    CertificateKeyRejected,
    CertificateUntrusted,
    FingerprintMismatch,
    FingerprintRejected,
    FipsError,
    HandshakeFailed,
    HandshakeRejected,
    InvalidParameter,
    NoSrtpProfile,
    PolicyViolation,
)
from fipscrypto.provider.state import StatePaths
from fipscrypto.srtp import DtlsSrtp, Fingerprint, KeyingMaterial, Profile, aio
from fipscrypto.tls import hooks

from support import clean_env, run_json, run_script_json

DTLS_PROFILES = [p for p in Profile if p.dtls_id is not None]
OPENSSL_NAMES = {
    Profile.AES_CM_128_HMAC_SHA1_80: "SRTP_AES128_CM_SHA1_80",
    Profile.AES_CM_128_HMAC_SHA1_32: "SRTP_AES128_CM_SHA1_32",
    Profile.AEAD_AES_128_GCM: "SRTP_AEAD_AES_128_GCM",
    Profile.AEAD_AES_256_GCM: "SRTP_AEAD_AES_256_GCM",
}
CLIENT_ADDRESS = ("192.0.2.1", 5004)
HELLO_VERIFY_REQUEST, SERVER_HELLO = 3, 2


@pytest.fixture(scope="module")
def ours() -> srtp.Certificate:
    return srtp.generate_certificate()


@pytest.fixture(scope="module")
def theirs() -> srtp.Certificate:
    return srtp.generate_certificate(common_name="peer")


def endpoint(
    role: str, own: srtp.Certificate, peer: srtp.Certificate | Fingerprint, **options: object
) -> DtlsSrtp:
    """``own``'s endpoint, pinning ``peer``'s certificate (or the fingerprint given)."""
    pin = peer.fingerprint if isinstance(peer, srtp.Certificate) else peer
    return DtlsSrtp(
        role,  # type: ignore[arg-type]
        certificate=own.certificate,
        private_key=own.private_key,
        remote_fingerprint=pin.attribute,
        **options,  # type: ignore[arg-type]
    )


def pair(ours: srtp.Certificate, theirs: srtp.Certificate, **options: object) -> tuple[DtlsSrtp, DtlsSrtp]:
    return endpoint("client", ours, theirs, **options), endpoint("server", theirs, ours, **options)


def exchange(client: DtlsSrtp, server: DtlsSrtp, *, rounds: int = 8) -> None:
    """Move datagrams between two endpoints in memory until neither has any left to send."""
    for _ in range(rounds):
        to_server, to_client = client.datagrams_to_send(), []
        for datagram in to_server:
            server.receive(datagram, CLIENT_ADDRESS)
        to_client = server.datagrams_to_send()
        for datagram in to_client:
            client.receive(datagram)
        if not to_server and not to_client:
            return


def handshake_fragments(datagrams: list[bytes]) -> list[tuple[int, int, int]]:
    """(length, fragment_offset, fragment_length) of each plaintext handshake fragment in the datagrams
    (RFC 6347 §4.2.2: msg_type, length (3), message_seq (2), fragment_offset (3), fragment_length (3))."""
    found = []
    for datagram in datagrams:
        p = 0
        while p < len(datagram):
            length = int.from_bytes(datagram[p + 11 : p + 13], "big")
            if datagram[p] == 22 and datagram[p + 3 : p + 5] == b"\x00\x00":  # epoch 0: plaintext
                h = datagram[p + 13 : p + 25]
                found.append(
                    (
                        int.from_bytes(h[1:4], "big"),
                        int.from_bytes(h[6:9], "big"),
                        int.from_bytes(h[9:12], "big"),
                    )
                )
            p += 13 + length
    return found


@pytest.mark.parametrize("mtu", [256, 1200])
def test_handshake_messages_fill_datagrams_up_to_the_mtu(
    ours: srtp.Certificate, theirs: srtp.Certificate, mtu: int
) -> None:
    """OpenSSL cannot ask a memory BIO for the path MTU and would cut every handshake message into small
    fragments; the endpoint tells it the MTU (RFC 6347 §4.1.1), so a message that fits is sent whole."""
    client, server = pair(ours, theirs, mtu=mtu, cookies=False)
    hello = client.datagrams_to_send()
    for datagram in hello:
        server.receive(datagram, CLIENT_ADDRESS)
    flight = server.datagrams_to_send()  # ServerHello, Certificate, ServerKeyExchange, ...
    assert all(len(d) <= mtu for d in flight)
    fragments = handshake_fragments(flight)
    if mtu == 1200:  # every message of the flight is under 1,200 bytes: none is cut
        assert all(offset == 0 and size == length for length, offset, size in fragments), fragments
        assert len(flight) <= 2
    else:
        assert any(size < length for length, _, size in fragments), fragments
    for datagram in flight:
        client.receive(datagram)
    exchange(client, server)
    assert client.keying_material().local_key == server.keying_material().remote_key


def handshake_types(datagrams: list[bytes]) -> list[int]:
    """The handshake message types of the plaintext handshake records in the datagrams (RFC 6347 §4.1:
    13-byte record header; §4.2.2: msg_type first in the handshake header)."""
    found = []
    for datagram in datagrams:
        p = 0
        while p < len(datagram):
            length = int.from_bytes(datagram[p + 11 : p + 13], "big")
            if datagram[p] == 22 and datagram[p + 3 : p + 5] == b"\x00\x00":  # epoch 0: plaintext
                found.append(datagram[p + 13])
            p += 13 + length
    return found


def wire(keys: KeyingMaterial, role: str) -> bytes:
    """The exporter output in RFC 5764 §4.2's order, rebuilt from one side's split."""
    if role == "client":
        return keys.local_key + keys.remote_key + keys.local_salt + keys.remote_salt
    return keys.remote_key + keys.local_key + keys.remote_salt + keys.local_salt


# ----------------------------------------------------------------------------- two of our endpoints


@pytest.mark.parametrize("profile", DTLS_PROFILES, ids=lambda p: p.name)
def test_two_endpoints_agree_on_keys(
    ours: srtp.Certificate, theirs: srtp.Certificate, profile: Profile
) -> None:
    client, server = pair(ours, theirs, profiles=[profile])
    exchange(client, server)
    assert client.handshake_complete
    assert server.handshake_complete
    c, s = client.keying_material(), server.keying_material()
    assert c.profile is s.profile is profile
    assert (c.local_key, c.local_salt) == (s.remote_key, s.remote_salt)
    assert (c.remote_key, c.remote_salt) == (s.local_key, s.local_salt)
    assert len(c.local_key) == profile.key_length
    assert len(c.local_salt) == profile.salt_length
    assert c.local_key != c.remote_key
    assert c.local_salt != c.remote_salt
    assert wire(c, "client") == wire(s, "server")
    assert "key" not in repr(c).lower().replace("keyingmaterial", "")  # no key material in the repr
    params = client.parameters
    assert params.version == "DTLSv1.2"
    assert params.extended_master_secret is True
    assert params.approved
    assert params.fips_boundary
    assert params.peer_certificate is not None
    assert params.peer_certificate.fingerprint_sha256 == theirs.fingerprint.value.hex()
    assert indicator.last().service == "srtp.dtls"
    assert indicator.last().algorithm == profile.name


@pytest.mark.parametrize("profile", DTLS_PROFILES, ids=lambda p: p.name)
def test_the_keying_material_gives_the_two_srtp_sessions(
    ours: srtp.Certificate, theirs: srtp.Certificate, profile: Profile
) -> None:
    client, server = pair(ours, theirs, profiles=[profile])
    exchange(client, server)
    client_out, client_in = client.keying_material().sessions()
    server_out, server_in = server.keying_material().sessions(replay_window=256)
    assert client_out.profile is server_in.profile is profile
    rtp = bytes.fromhex("80600001000000011234abcd") + b"media"
    rtcp = bytes.fromhex("80c8000612345678") + bytes(20)
    assert server_in.unprotect(client_out.protect(rtp)) == rtp
    assert client_in.unprotect(server_out.protect(rtp)) == rtp
    assert server_in.unprotect_rtcp(client_out.protect_rtcp(rtcp)) == rtcp
    with pytest.raises(AuthenticationError):  # each direction has its own key: a packet does not loop back
        client_in.unprotect(client_out.protect(rtp[:3] + b"\x02" + rtp[4:]))


def test_server_prefers_its_own_order(ours: srtp.Certificate, theirs: srtp.Certificate) -> None:
    client = endpoint("client", ours, theirs)  # every allowed profile, AES-256-GCM first
    server = endpoint(
        "server", theirs, ours, profiles=[Profile.AES_CM_128_HMAC_SHA1_80, Profile.AEAD_AES_128_GCM]
    )
    exchange(client, server)
    assert client.keying_material().profile is Profile.AES_CM_128_HMAC_SHA1_80
    default = pair(ours, theirs)
    exchange(*default)
    assert default[0].keying_material().profile is Profile.AEAD_AES_256_GCM


def test_keys_differ_per_handshake(ours: srtp.Certificate, theirs: srtp.Certificate) -> None:
    first, second = pair(ours, theirs), pair(ours, theirs)
    exchange(*first)
    exchange(*second)
    assert first[0].keying_material().local_key != second[0].keying_material().local_key


def test_before_completion(ours: srtp.Certificate, theirs: srtp.Certificate) -> None:
    client, server = pair(ours, theirs)
    assert not client.handshake_complete
    with pytest.raises(InvalidParameter, match="not completed"):
        client.keying_material()
    with pytest.raises(InvalidParameter, match="not completed"):
        _ = server.parameters
    assert server.datagrams_to_send() == []  # a server speaks when spoken to
    assert server.next_timeout() is None
    hello = client.datagrams_to_send()
    assert handshake_types(hello) == [1]
    for bad in ("text", b"", bytes(2**16 + 1)):
        with pytest.raises(InvalidParameter):
            server.receive(bad)  # type: ignore[arg-type]
    server.receive(hello[0], CLIENT_ADDRESS)  # the refusals left it able to go on
    assert handshake_types(server.datagrams_to_send()) == [HELLO_VERIFY_REQUEST]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"role": "peer"}, "role"),
        ({"mtu": 100}, "mtu"),
        ({"mtu": "1200"}, "mtu"),
        ({"cookies": 1}, "cookies"),
        ({"profiles": Profile.AEAD_AES_128_GCM}, "profiles"),
        ({"profiles": ["AEAD_AES_128_GCM"]}, "Profile members"),
        ({"profiles": [Profile.AES_256_CM_HMAC_SHA1_80]}, "no DTLS-SRTP profile"),
        ({"remote_fingerprint": []}, "remote_fingerprint"),
        ({"remote_fingerprint": "sha-256 zz"}, "not an SDP fingerprint"),
        ({"certificate": b"junk"}, "not a PEM or DER certificate"),
        ({"private_key": b"junk"}, "not a usable PEM or DER private key"),
        ({"private_key": "peer"}, "does not belong"),  # the peer's key: see below
    ],
)
def test_arguments_refused(
    ours: srtp.Certificate, theirs: srtp.Certificate, options: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {
        "certificate": ours.certificate,
        "private_key": ours.private_key,
        "remote_fingerprint": theirs.fingerprint,
    }
    role = options.pop("role", "client")
    if options.get("private_key") == "peer":
        options["private_key"] = theirs.private_key
    with pytest.raises(InvalidParameter, match=message):
        DtlsSrtp(role, **(arguments | options))  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------ fingerprints


def test_fingerprint_round_trip(theirs: srtp.Certificate) -> None:
    line = theirs.fingerprint.attribute
    assert re.fullmatch(r"a=fingerprint:sha-256 [0-9A-F]{2}(:[0-9A-F]{2}){31}", line)
    assert Fingerprint.parse(line) == theirs.fingerprint
    assert Fingerprint.parse(line.lower().replace("a=fingerprint:", "")) == theirs.fingerprint
    assert Fingerprint.of(theirs.certificate) == theirs.fingerprint  # PEM or DER
    for algorithm, size in (("sha-384", 48), ("sha-512", 64)):
        other = Fingerprint.of(theirs.certificate, algorithm)
        assert len(other.value) == size
        assert Fingerprint.parse(other.attribute) == other


@pytest.mark.parametrize("algorithm", ["sha-1", "md5", "SHA-1", "sha-224"])
def test_weak_fingerprint_refused(algorithm: str) -> None:
    with pytest.raises(FingerprintRejected, match="not accepted"):
        Fingerprint.parse(f"a=fingerprint:{algorithm} " + ":".join(["AB"] * 20))
    with pytest.raises(FingerprintRejected):
        Fingerprint.of(b"\x30\x00", algorithm)


@pytest.mark.parametrize(
    "text",
    [
        "sha-256",
        "sha-256 " + ":".join(["AB"] * 31),  # one byte short
        "sha-256 " + "AB" * 32,  # no colons
        "sha-256  " + ":".join(["AB"] * 32),
        "a=fingerprint:sha-256 " + ":".join(["AB"] * 31) + ":A",
        "whirlpool " + ":".join(["AB"] * 64),
        "sha-256 " + ":".join(["AB"] * 200),
    ],
)
def test_malformed_fingerprint_refused(text: str) -> None:
    with pytest.raises(InvalidParameter):
        Fingerprint.parse(text)


@pytest.mark.parametrize("wrong_side", ["client", "server"])
def test_wrong_fingerprint_fails_the_handshake(
    ours: srtp.Certificate, theirs: srtp.Certificate, wrong_side: str
) -> None:
    stranger = srtp.generate_certificate()
    client = endpoint("client", ours, stranger if wrong_side == "client" else theirs)
    server = endpoint("server", theirs, stranger if wrong_side == "server" else ours)
    checker, other = (client, server) if wrong_side == "client" else (server, client)
    with pytest.raises(FingerprintMismatch, match="does not match") as caught:
        exchange(client, server)
    assert caught.value.reason == "fingerprint-mismatch"
    alert = checker.datagrams_to_send()
    assert len(alert) == 1
    assert alert[0][0] == 21  # RFC 6347 §4.1: ContentType alert
    with pytest.raises(HandshakeFailed) as failed:
        other.receive(alert[0], CLIENT_ADDRESS)
    assert failed.value.reason == "protocol"
    assert not client.handshake_complete
    assert not server.handshake_complete
    with pytest.raises(FingerprintMismatch):  # kept: every later call raises it again
        checker.keying_material()
    assert checker.next_timeout() is None


def test_any_of_several_fingerprints(ours: srtp.Certificate, theirs: srtp.Certificate) -> None:
    stranger = srtp.generate_certificate()
    pins = [stranger.fingerprint, Fingerprint.of(theirs.certificate, "sha-384").attribute]
    client = DtlsSrtp(
        "client", certificate=ours.certificate, private_key=ours.private_key, remote_fingerprint=pins
    )
    server = endpoint("server", theirs, ours)
    exchange(client, server)
    assert client.handshake_complete
    assert server.handshake_complete


def test_endpoints_of_one_certificate_share_a_context_not_their_pins(
    ours: srtp.Certificate, theirs: srtp.Certificate, tmp_path: Path
) -> None:
    stranger = srtp.generate_certificate()
    trusting = endpoint("server", theirs, ours)
    wary = endpoint("server", theirs, stranger)  # the same certificate, pinning someone else
    assert trusting._conn.get_context() is wary._conn.get_context()
    exchange(endpoint("client", ours, theirs), trusting)
    assert trusting.handshake_complete
    with pytest.raises(FingerprintMismatch):
        exchange(endpoint("client", ours, theirs), wary)
    # A file name is read again for each endpoint: no shared context.
    (tmp_path / "cert.pem").write_bytes(theirs.certificate)
    (tmp_path / "key.pem").write_bytes(theirs.private_key)
    by_name = [
        DtlsSrtp(
            "server",
            certificate=str(tmp_path / "cert.pem"),
            private_key=str(tmp_path / "key.pem"),
            remote_fingerprint=ours.fingerprint,
        )
        for _ in range(2)
    ]
    assert by_name[0]._conn.get_context() is not by_name[1]._conn.get_context()


def test_a_connection_without_a_pin_accepts_no_peer(ours: srtp.Certificate, theirs: srtp.Certificate) -> None:
    from OpenSSL import SSL

    from fipscrypto.tls import PolicyRef
    from fipscrypto.tls.dtls import dtls_context

    context = dtls_context("client", ours.certificate, ours.private_key, service="test", ref=PolicyRef(None))
    bare = SSL.Connection(context, None)  # no pin_peer()
    bare.set_connect_state()
    server = endpoint("server", theirs, ours, cookies=False)
    with contextlib.suppress(SSL.WantReadError):
        bare.do_handshake()
    server.receive(bare.bio_read(65536))
    for datagram in server.datagrams_to_send():
        bare.bio_write(datagram)
    with pytest.raises(SSL.Error):
        bare.do_handshake()
    state = hooks.state_of(bare)
    assert state is not None
    assert isinstance(state.error, CertificateUntrusted)


# ---------------------------------------------------------------------------------------- policy


@pytest.fixture(scope="module")
def no_sha1_32(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hardened profile, without AES_CM_128_HMAC_SHA1_32."""
    return write_policy(
        tmp_path_factory.mktemp("policy"),
        "no-sha1-32",
        '[[rule]]\ncategory = "srtp-profile"\nnames = ["AES_CM_128_HMAC_SHA1_32"]\napply = "disallowed"\n'
        'process = "disallowed"\ncite = "rfc3711"\nsection = "4.2"\nnote = "test"\n',
    )


def test_refused_profile_is_not_offered(
    ours: srtp.Certificate, theirs: srtp.Certificate, no_sha1_32: Path
) -> None:
    with pytest.raises(PolicyViolation, match="AES_CM_128_HMAC_SHA1_32"):
        endpoint("server", theirs, ours, profiles=[Profile.AES_CM_128_HMAC_SHA1_32], policy=str(no_sha1_32))
    # The client offers only the profile the server's policy refuses: nothing in common.
    client = endpoint("client", ours, theirs, profiles=[Profile.AES_CM_128_HMAC_SHA1_32])
    server = endpoint("server", theirs, ours, policy=str(no_sha1_32))
    with pytest.raises(NoSrtpProfile, match="no SRTP profile") as caught:
        exchange(client, server)
    assert caught.value.reason == "no-srtp-profile"
    assert not server.handshake_complete


def test_refused_profile_against_openssl(
    ours: srtp.Certificate, theirs: srtp.Certificate, no_sha1_32: Path, files: Path
) -> None:
    server = endpoint("server", ours, theirs, policy=str(no_sha1_32))
    with pytest.raises(NoSrtpProfile), openssl_client(files, "SRTP_AES128_CM_SHA1_32", 60) as (sock, _):
        drive(server, sock, None)


# ------------------------------------------------------------------------- retransmission, cookies


def test_lost_client_flight_is_retransmitted(ours: srtp.Certificate, theirs: srtp.Certificate) -> None:
    client, server = pair(ours, theirs)
    for _ in range(2):  # ClientHello, HelloVerifyRequest, ClientHello with the cookie, the server's flight
        for datagram in client.datagrams_to_send():
            server.receive(datagram, CLIENT_ADDRESS)
        for datagram in server.datagrams_to_send():
            client.receive(datagram)
    lost = client.datagrams_to_send()  # Certificate .. Finished never arrive
    assert handshake_types(lost)[0] == 11
    timeout = client.next_timeout()
    assert timeout is not None
    assert 0 < timeout <= 1.0
    client.handle_timeout()  # not due yet: nothing is sent again
    assert client.datagrams_to_send() == []
    time.sleep(timeout + 0.05)
    client.handle_timeout()
    again = client.datagrams_to_send()
    assert sorted(set(handshake_types(again))) == sorted(set(handshake_types(lost)))
    later = client.next_timeout()
    assert later is not None
    assert later > 1.0
    for datagram in again:
        server.receive(datagram, CLIENT_ADDRESS)
    exchange(client, server)
    assert client.handshake_complete
    assert server.handshake_complete
    assert client.keying_material().local_key == server.keying_material().remote_key


def test_lost_server_flight_is_retransmitted(ours: srtp.Certificate, theirs: srtp.Certificate) -> None:
    client, server = pair(ours, theirs, cookies=False)
    for datagram in client.datagrams_to_send():
        server.receive(datagram, CLIENT_ADDRESS)
    lost = server.datagrams_to_send()  # ServerHello .. ServerHelloDone never arrive
    assert handshake_types(lost)[0] == SERVER_HELLO
    timeout = server.next_timeout()
    assert timeout is not None
    time.sleep(timeout + 0.05)
    server.handle_timeout()
    again = server.datagrams_to_send()
    assert sorted(set(handshake_types(again))) == sorted(set(handshake_types(lost)))
    for datagram in again:
        client.receive(datagram)
    exchange(client, server)
    assert client.keying_material().local_key == server.keying_material().remote_key


def test_lost_final_flight_is_sent_again_when_the_client_retransmits(
    ours: srtp.Certificate, theirs: srtp.Certificate
) -> None:
    """RFC 6347 §4.2.4: the server's last flight (ChangeCipherSpec, Finished) is lost after the server
    completed; the client's retransmission of its own flight makes the server send it again."""
    client, server = pair(ours, theirs, cookies=False)
    for _ in range(2):
        for datagram in client.datagrams_to_send():
            server.receive(datagram, CLIENT_ADDRESS)
        if server.handshake_complete:
            break
        for datagram in server.datagrams_to_send():
            client.receive(datagram)
    assert server.handshake_complete
    assert server.datagrams_to_send()  # lost
    assert not client.handshake_complete
    timeout = client.next_timeout()
    assert timeout is not None
    time.sleep(timeout + 0.05)
    client.handle_timeout()
    for datagram in client.datagrams_to_send():
        server.receive(datagram, CLIENT_ADDRESS)  # the server is done: it answers with its last flight
    final = server.datagrams_to_send()
    assert final
    for datagram in final:
        client.receive(datagram)
    assert client.handshake_complete
    assert client.keying_material().remote_key == server.keying_material().local_key


def truncated_cookie(hello: bytes, at: int, keep: int) -> bytes:
    """A one-record ClientHello with its cookie (length byte at ``at``) cut to ``keep`` bytes, its
    record length, handshake length and fragment_length (RFC 6347 §4.1, §4.2.2) adjusted."""
    cut = hello[at] - keep
    data = bytearray(hello[: at + 1 + keep] + hello[at + 1 + hello[at] :])
    data[at] = keep
    data[11:13] = (int.from_bytes(data[11:13], "big") - cut).to_bytes(2, "big")
    for field in (14, 22):  # length and fragment_length, 3 bytes each
        data[field : field + 3] = (int.from_bytes(data[field : field + 3], "big") - cut).to_bytes(3, "big")
    return bytes(data)


def test_cookie_exchange(ours: srtp.Certificate, theirs: srtp.Certificate) -> None:
    client, server = pair(ours, theirs)
    server.receive(client.datagrams_to_send()[0], CLIENT_ADDRESS)
    verify = server.datagrams_to_send()
    assert handshake_types(verify) == [HELLO_VERIFY_REQUEST]  # RFC 6347 §4.2.1
    assert server.next_timeout() is None  # no state kept for an unproven address
    client.receive(verify[0])
    second = client.datagrams_to_send()
    assert handshake_types(second) == [1]  # the ClientHello again, with the cookie
    # From another address, the cookie does not verify: RFC 6347 §4.2.1, treated as no cookie at all.
    for datagram in second:
        server.receive(datagram, ("198.51.100.7", 5004))
    assert handshake_types(server.datagrams_to_send()) == [HELLO_VERIFY_REQUEST]
    forged = bytearray(second[0])
    # RFC 6347 §4.2.1: record header (13), handshake header (12), client_version, random, session_id,
    # then the cookie with its length byte.
    at = 13 + 12 + 2 + 32
    at += 1 + forged[at]
    assert forged[at] == 32  # our cookie: an HMAC-SHA-256
    forged[at + 1] ^= 1
    server.receive(bytes(forged), CLIENT_ADDRESS)
    assert handshake_types(server.datagrams_to_send()) == [HELLO_VERIFY_REQUEST]
    assert server.next_timeout() is None
    # The right cookie cut to its first 8 bytes (a truncated HMAC): not a cookie of the server's.
    server.receive(truncated_cookie(second[0], at, 8), CLIENT_ADDRESS)
    assert handshake_types(server.datagrams_to_send()) == [HELLO_VERIFY_REQUEST]
    for datagram in second:
        server.receive(datagram, CLIENT_ADDRESS)
    assert handshake_types(server.datagrams_to_send())[0] == SERVER_HELLO


def test_without_cookies(ours: srtp.Certificate, theirs: srtp.Certificate) -> None:
    client, server = pair(ours, theirs, cookies=False)
    server.receive(client.datagrams_to_send()[0])
    assert handshake_types(server.datagrams_to_send())[0] == SERVER_HELLO


def test_datagrams_respect_the_mtu(ours: srtp.Certificate, theirs: srtp.Certificate) -> None:
    client, server = pair(ours, theirs, mtu=256, cookies=False)
    server.receive(client.datagrams_to_send()[0])
    flight = server.datagrams_to_send()
    assert len(flight) > 1
    # Several records to a datagram, up to the MTU; only a lone record may exceed it.
    assert all(len(d) <= 256 or handshake_types([d]).__len__() == 1 for d in flight)
    for datagram in flight:
        client.receive(datagram)
    exchange(client, server)
    assert client.handshake_complete
    assert server.handshake_complete


# -------------------------------------------------------------------------- the system openssl


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, theirs: srtp.Certificate) -> Path:
    folder = tmp_path_factory.mktemp("dtls")
    (folder / "peer.pem").write_bytes(theirs.certificate)
    (folder / "peer.key").write_bytes(theirs.private_key)
    return folder


def drive(ours: DtlsSrtp, sock: socket.socket, peer: tuple[str, int] | None) -> tuple[str, int]:
    """Run our endpoint over a UDP socket until its handshake completes (the test's event loop)."""
    deadline = time.monotonic() + TIMEOUT
    while not ours.handshake_complete:
        assert time.monotonic() < deadline, "the DTLS handshake did not complete"
        for datagram in ours.datagrams_to_send():
            assert peer is not None
            sock.sendto(datagram, peer)
        due = ours.next_timeout()
        sock.settimeout(0.2 if due is None else min(max(due, 0.001), 0.2))
        try:
            datagram, address = sock.recvfrom(2**16)
        except TimeoutError:
            if ours.next_timeout() == 0:
                ours.handle_timeout()
            continue
        peer = peer or address
        ours.receive(datagram, address)
    assert peer is not None
    for datagram in ours.datagrams_to_send():
        sock.sendto(datagram, peer)
    return peer


def _udp() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def _srtp_options(files: Path, name: str, length: int, *, certificate: bool = True) -> list[str]:
    own = ["-cert", str(files / "peer.pem"), "-key", str(files / "peer.key")] if certificate else []
    return [
        "-dtls1_2", *own, "-use_srtp", name,
        "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", str(length),
    ]  # fmt: skip


@contextlib.contextmanager
def openssl_client(
    files: Path, name: str, length: int, *options: str, config: Path | None = None, certificate: bool = True
) -> Iterator[tuple[socket.socket, Callable[[], str]]]:
    """Our UDP socket and ``openssl s_client`` connecting to it; yields the socket and a function that
    ends s_client and gives what it printed."""
    with _udp() as sock:
        port = sock.getsockname()[1]
        proc = subprocess.Popen(
            [OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}",
             *_srtp_options(files, name, length, certificate=certificate), *options],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=clean_env(OPENSSL_CONF=str(config)) if config else clean_env(),
        )  # fmt: skip
        try:
            yield sock, lambda: proc.communicate("Q\n", timeout=TIMEOUT)[0]
        finally:
            proc.kill()
            proc.communicate()


@contextlib.contextmanager
def openssl_server(
    files: Path, name: str, length: int, *, config: Path | None = None
) -> Iterator[tuple[int, Callable[[], str]]]:
    """``openssl s_server`` on a UDP port, asking for a client certificate; yields the port and a
    function that ends s_server and gives what it printed."""
    port = free_port()
    proc = subprocess.Popen(
        [OPENSSL, "s_server", "-accept", f"127.0.0.1:{port}", "-naccept", "1", "-verify", "1",
         *_srtp_options(files, name, length)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=clean_env(OPENSSL_CONF=str(config)) if config else clean_env(),
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # s_server prints ACCEPT once it listens
            if "ACCEPT" in line:
                break
        else:
            raise AssertionError(f"openssl s_server did not start (exit {proc.wait()})")
        yield port, lambda: proc.communicate("Q\n", timeout=TIMEOUT)[0]
    finally:
        proc.kill()
        proc.communicate()


def printed_material(output: str, name: str) -> bytes:
    assert f"SRTP Extension negotiated, profile={name}" in output, output
    found = re.search(r"Keying material: ([0-9A-F]+)", output)
    assert found is not None, output
    return bytes.fromhex(found[1])


def _provider(state_paths: StatePaths, provider: str) -> Path | None:
    """The system openssl's configuration: its own (default provider), or the state folder's, which
    loads the same FIPS provider module with fips=yes (checked: only the fips and base providers are
    active, and MD5 is refused)."""
    if provider != "fips":
        return None
    config = state_paths.openssl_cnf
    env = clean_env(OPENSSL_CONF=str(config))
    listed = subprocess.run(
        [OPENSSL, "list", "-providers"], capture_output=True, text=True, env=env, check=True
    )
    assert "OpenSSL FIPS Provider" in listed.stdout, listed.stdout
    assert "OpenSSL Default Provider" not in listed.stdout, listed.stdout
    md5 = subprocess.run([OPENSSL, "md5"], input="x", capture_output=True, text=True, env=env)
    assert md5.returncode != 0, md5.stdout
    return config


@pytest.mark.parametrize("provider", ["default", "fips"])
@pytest.mark.parametrize("profile", DTLS_PROFILES, ids=lambda p: p.name)
def test_openssl_server_exports_the_same_keys(
    ours: srtp.Certificate,
    theirs: srtp.Certificate,
    files: Path,
    profile: Profile,
    provider: str,
    state_paths: StatePaths,
) -> None:
    name, length = OPENSSL_NAMES[profile], 2 * (profile.key_length + profile.salt_length)
    client = endpoint("client", ours, theirs)  # offers every profile the policy allows
    config = _provider(state_paths, provider)
    with openssl_server(files, name, length, config=config) as (port, finish):
        with _udp() as sock:
            drive(client, sock, ("127.0.0.1", port))
        output = finish()
    keys = client.keying_material()
    assert keys.profile is profile
    assert wire(keys, "client") == printed_material(output, name)


@pytest.mark.parametrize("provider", ["default", "fips"])
@pytest.mark.parametrize("profile", DTLS_PROFILES, ids=lambda p: p.name)
def test_openssl_client_exports_the_same_keys(
    ours: srtp.Certificate,
    theirs: srtp.Certificate,
    files: Path,
    profile: Profile,
    provider: str,
    state_paths: StatePaths,
) -> None:
    name, length = OPENSSL_NAMES[profile], 2 * (profile.key_length + profile.salt_length)
    server = endpoint("server", ours, theirs)  # with the cookie exchange
    config = _provider(state_paths, provider)
    with openssl_client(files, name, length, config=config) as (sock, finish):
        drive(server, sock, None)
        output = finish()
    keys = server.keying_material()
    assert keys.profile is profile
    assert wire(keys, "server") == printed_material(output, name)


def test_openssl_without_a_certificate(ours: srtp.Certificate, theirs: srtp.Certificate, files: Path) -> None:
    """RFC 5763 §5: both endpoints present a certificate; a client with none is refused."""
    server = endpoint("server", ours, theirs)
    with (
        pytest.raises(HandshakeFailed, match="certificate") as caught,
        openssl_client(files, "SRTP_AEAD_AES_128_GCM", 56, certificate=False) as (sock, _),
    ):
        drive(server, sock, None)
    assert caught.value.reason == "protocol"


def test_openssl_with_the_wrong_certificate(ours: srtp.Certificate, files: Path) -> None:
    stranger = srtp.generate_certificate()
    server = endpoint("server", ours, stranger)
    with pytest.raises(FingerprintMismatch), openssl_client(files, "SRTP_AEAD_AES_128_GCM", 56) as (sock, _):
        drive(server, sock, None)


# ------------------------------------------------------------------ the checks on the path stay intact


def test_handshake_is_audited(
    ours: srtp.Certificate, theirs: srtp.Certificate, events: list[audit.Event]
) -> None:
    client, server = pair(ours, theirs)
    exchange(client, server)
    shakes = [e for e in events if e.kind == "tls-handshake"]
    assert [e.fields["role"] for e in shakes[-2:]] == ["server", "client"]
    assert shakes[-1].fields == client.parameters.audit_fields()
    assert shakes[-1].fields["version"] == "DTLSv1.2"


def test_openssl_without_ems_is_refused(ours: srtp.Certificate, files: Path, tmp_path: Path) -> None:
    """RFC 7627 / FIPS 140-3 IG D.Q: a DTLS 1.2 peer that does not offer the extended master secret."""
    server = endpoint("server", ours, Fingerprint.of((files / "peer.pem").read_bytes()))
    config = no_ems_config(tmp_path)
    with (
        pytest.raises(HandshakeRejected, match="extended master secret") as caught,
        openssl_client(files, "SRTP_AEAD_AES_128_GCM", 56, config=config) as (sock, _),
    ):
        drive(server, sock, None)
    assert caught.value.reason == "no-extended-master-secret"


def test_openssl_with_a_key_the_policy_refuses(ours: srtp.Certificate, tmp_path: Path) -> None:
    """The pinned certificate matches, but its RSA-1024 key is below the policy's floor: refused in the
    handshake, with an alert."""
    run_openssl(
        "req", "-x509", "-newkey", "rsa:1024", "-nodes", "-keyout", str(tmp_path / "peer.key"),
        "-out", str(tmp_path / "peer.pem"), "-subj", "/CN=weak", "-days", "2",
    )  # fmt: skip
    weak = Fingerprint.of((tmp_path / "peer.pem").read_bytes())
    server = endpoint("server", ours, weak)
    with (
        pytest.raises(CertificateKeyRejected, match="1024") as caught,
        openssl_client(tmp_path, "SRTP_AEAD_AES_128_GCM", 56, "-cipher", "DEFAULT:@SECLEVEL=0") as (sock, _),
    ):
        drive(server, sock, None)
    assert caught.value.reason == "key-too-small"
    assert server.datagrams_to_send()[0][0] == 21  # the alert


ERROR_STATE = """
import json, fipscrypto
fipscrypto.activate()
from fipscrypto import _faults, selftests, srtp
a, b = srtp.generate_certificate(), srtp.generate_certificate()
def pair():
    return (srtp.DtlsSrtp("client", certificate=a.certificate, private_key=a.private_key,
                          remote_fingerprint=b.fingerprint),
            srtp.DtlsSrtp("server", certificate=b.certificate, private_key=b.private_key,
                          remote_fingerprint=a.fingerprint, cookies=False))
def run(client, server):
    for _ in range(6):
        for d in client.datagrams_to_send():
            server.receive(d)
        for d in server.datagrams_to_send():
            client.receive(d)
    return client.keying_material()
client, server = pair()  # before the ERROR state: its handshake completes after
for d in client.datagrams_to_send():
    server.receive(d)
_faults.inject("sha2-512")
selftests.run_all()
outcome = {}
try:
    run(client, server)
    outcome["in_flight"] = "completed"
except fipscrypto.ModuleErrorState:
    outcome["in_flight"] = "refused"
try:
    pair()
    outcome["new"] = "made"
except fipscrypto.ModuleErrorState:
    outcome["new"] = "refused"
try:
    srtp.generate_certificate()
    outcome["certificate"] = "made"
except fipscrypto.ModuleErrorState:
    outcome["certificate"] = "refused"
_faults.clear()
outcome["recovered"] = all(r.passed for r in selftests.run_all())
outcome["after"] = run(*pair()).profile.name
print(json.dumps(outcome))
"""


def test_error_state_refuses_handshakes(state_paths: StatePaths) -> None:
    result = run_json(ERROR_STATE, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert result == {
        "in_flight": "refused",
        "new": "refused",
        "certificate": "refused",
        "recovered": True,
        "after": "AEAD_AES_256_GCM",
    }


def test_the_documented_example_runs(state_paths: StatePaths) -> None:
    """docs/srtp-dtls.md's walk-through: two endpoints over UDP loopback, driven by asyncio."""
    example = Path(__file__).parent.parent / "docs" / "examples" / "dtls_srtp.py"
    result = run_script_json(example, timeout=120, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert result["agree"] is True
    assert result["profile"] == "AEAD_AES_256_GCM"
    assert Fingerprint.parse(result["alice_fingerprint"]).algorithm == "sha-256"
    assert result["media"] == "80" + "60" + "00" * 10  # RTP beside DTLS on the socket


# ------------------------------------------------------------------------------------ asyncio


async def _aio_pair(
    client: DtlsSrtp, server: DtlsSrtp, media: aio.Media | None = None
) -> tuple[aio.DtlsSrtpProtocol, aio.DtlsSrtpProtocol]:
    server_side = await aio.open_endpoint(server, local_addr=("127.0.0.1", 0), media=media)
    assert server_side.transport is not None
    address = server_side.transport.get_extra_info("sockname")
    client_side = await aio.open_endpoint(client, local_addr=("127.0.0.1", 0), remote_addr=address)
    return client_side, server_side


def test_asyncio_handshake_and_media_on_one_socket(ours: srtp.Certificate, theirs: srtp.Certificate) -> None:
    async def run() -> tuple[KeyingMaterial, KeyingMaterial, list[bytes]]:
        received: list[bytes] = []
        client_side, server_side = await _aio_pair(
            *pair(ours, theirs), media=lambda datagram, _: received.append(datagram)
        )
        try:
            keys = await asyncio.wait_for(
                asyncio.gather(client_side.handshake, server_side.handshake), TIMEOUT
            )
            for first in (0x80, 0xBF, 0x00):  # RTP/RTCP (RFC 7983: 128..191) and STUN (0..3)
                client_side.send(bytes([first]) + bytes(11))
            while len(received) < 3:
                await asyncio.sleep(0.01)
        finally:
            for side in (client_side, server_side):
                assert side.transport is not None
                side.transport.close()
        return keys[0], keys[1], received

    client_keys, server_keys, received = asyncio.run(run())
    assert client_keys.local_key == server_keys.remote_key
    assert [d[0] for d in received] == [0x80, 0xBF, 0x00]


def test_asyncio_handshake_error(ours: srtp.Certificate, theirs: srtp.Certificate) -> None:
    async def run() -> tuple[BaseException | None, BaseException | None]:
        client = endpoint("client", ours, srtp.generate_certificate())  # pins the wrong certificate
        client_side, server_side = await _aio_pair(client, endpoint("server", theirs, ours))
        try:
            results = await asyncio.wait_for(
                asyncio.gather(client_side.handshake, server_side.handshake, return_exceptions=True), TIMEOUT
            )
        finally:
            for side in (client_side, server_side):
                assert side.transport is not None
                side.transport.close()
        return results[0] if isinstance(results[0], BaseException) else None, (
            results[1] if isinstance(results[1], BaseException) else None
        )

    client_error, server_error = asyncio.run(run())
    assert isinstance(client_error, FingerprintMismatch)
    assert isinstance(server_error, HandshakeFailed)  # the client's alert arrived


def test_asyncio_client_needs_an_address(ours: srtp.Certificate, theirs: srtp.Certificate) -> None:
    async def run() -> None:
        await aio.open_endpoint(endpoint("client", ours, theirs), local_addr=("127.0.0.1", 0))

    with pytest.raises(InvalidParameter, match="address"):
        asyncio.run(run())


# ------------------------------------------------------------------------------------ bad datagrams


def _mutations() -> st.SearchStrategy[tuple[str, bytes]]:
    """Random bytes, and DTLS-looking datagrams: a record header of each content type, epoch 0 or 1,
    with a random body and a length that may lie."""
    header = st.tuples(
        st.sampled_from([20, 21, 22, 23, 24]),
        st.sampled_from([b"\xfe\xfd", b"\xfe\xff", b"\x03\x03"]),
        st.sampled_from([b"\x00\x00", b"\x00\x01"]),
        st.binary(min_size=6, max_size=6),
        st.binary(max_size=300),
        st.integers(0, 2**16 - 1) | st.none(),
    ).map(
        lambda t: t[0].to_bytes(1, "big") + t[1] + t[2] + t[3]
        + (len(t[4]) if t[5] is None else t[5]).to_bytes(2, "big") + t[4]
    )  # fmt: skip
    return st.tuples(st.sampled_from(["client", "server"]), st.binary(min_size=1, max_size=400) | header)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_mutations())
def test_bad_datagrams_give_typed_errors(
    ours: srtp.Certificate, theirs: srtp.Certificate, case: tuple[str, bytes]
) -> None:
    """A garbled datagram, to a server awaiting a ClientHello or a client awaiting the server's flight:
    dropped, or a typed error, nothing else. Dropped, it leaves the handshake able to complete: at once,
    or (when a forged plaintext record took the sequence number the peer's next record has, RFC 6347
    §4.1.2.6) with the client's retransmission, whose timer still runs."""
    role, datagram = case
    client, server = pair(ours, theirs, cookies=False)
    target = server if role == "server" else client
    if role == "client":
        for item in client.datagrams_to_send():
            server.receive(item)
    try:
        target.receive(datagram, CLIENT_ADDRESS)
    except FipsError:
        return  # refused: the endpoint keeps the error
    exchange(client, server)
    if not client.handshake_complete:
        assert client.next_timeout() is not None


def test_an_unanswered_handshake_gives_up_with_a_timeout(state_paths: StatePaths, tmp_path: Path) -> None:
    """RFC 6347 §4.2.4: the timer starts at 1 s and doubles to 60 s; after OpenSSL's twelve
    retransmissions ``handle_timeout`` raises HandshakeFailed("timeout"), and the endpoint stays failed.
    The seven minutes pass in seconds: ``tests/fastclock.c`` runs the wall clock 100 times faster."""
    shim = tmp_path / "fastclock.so"
    source = Path(__file__).parent / "fastclock.c"
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", str(shim), str(source), "-ldl"], check=True)
    result = run_script_json(
        Path(__file__).parent / "dtls_timeout.py",
        timeout=120,
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
        LD_PRELOAD=str(shim),
        FASTCLOCK_FACTOR="100",
    )
    expected = [1, 2, 4, 8, 16, 32] + [60] * 7
    assert len(result["timers"]) == len(expected)
    for timer, full in zip(result["timers"], expected, strict=True):
        assert full - 2 < timer <= full  # read just after the retransmission that set it
    assert result["first"] == 1
    assert result["flights"] == [1] * 12 + [0]  # the ClientHello again each time, nothing when giving up
    assert result["reason"] == "timeout"
    assert "timed out" in result["message"]
    assert result["after"] == {"next_timeout": None, "handle_timeout": "timeout"}
    assert result["complete"] is False


def test_a_forged_record_costs_one_retransmission(ours: srtp.Certificate, theirs: srtp.Certificate) -> None:
    """A ChangeCipherSpec in epoch 0 with sequence number 0, as an off-path sender could forge it: the
    client's replay window takes it (epoch 0 has no MAC), drops the server's ServerHello with the same
    number, and completes with the next flight after its retransmission."""
    client, server = pair(ours, theirs, cookies=False)
    for item in client.datagrams_to_send():
        server.receive(item)
    client.receive(bytes([20, 0xFE, 0xFD]) + bytes(8) + bytes([0, 1, 1]))
    exchange(client, server)
    assert not client.handshake_complete
    timeout = client.next_timeout()
    assert timeout is not None
    time.sleep(timeout + 0.05)
    client.handle_timeout()
    exchange(client, server)
    assert client.handshake_complete
    assert server.handshake_complete


class _Sent(asyncio.DatagramTransport):
    """A transport that keeps what is sent (no socket): what the protocol decides, in isolation."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[bytes, object]] = []

    def sendto(self, data: bytes, addr: object = None) -> None:  # type: ignore[override]
        self.sent.append((bytes(data), addr))


def test_asyncio_drops_dtls_from_another_address(ours: srtp.Certificate, theirs: srtp.Certificate) -> None:
    # RFC 6347 §4.1: a fatal handshake_failure alert in epoch 0, as anyone could send it.
    alert = bytes([21, 0xFE, 0xFD, 0, 0]) + bytes(5) + bytes([1, 0, 2, 2, 40])
    peer = ("127.0.0.1", 9)

    async def run() -> tuple[aio.DtlsSrtpProtocol, _Sent, bool]:
        protocol = aio.DtlsSrtpProtocol(endpoint("client", ours, theirs), peer)
        transport = _Sent()
        protocol.connection_made(transport)
        protocol.datagram_received(alert, ("198.51.100.7", 9))  # not the peer: dropped
        pending = not protocol.handshake.done()
        protocol.datagram_received(alert, peer)
        return protocol, transport, pending

    protocol, transport, pending = asyncio.run(run())
    assert pending
    assert handshake_types([transport.sent[0][0]]) == [1]  # the ClientHello, to the peer
    assert {addr for _, addr in transport.sent} == {peer}
    assert isinstance(protocol.handshake.exception(), HandshakeFailed)
