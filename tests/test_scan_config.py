"""``scan_config``: what openssl.cnf, nginx, sshd_config, strongSwan and SDP files use, exactly (every
expected use is found, nothing else is), judged by the built-in fips-140-3 policy; malformed and
unreadable input is reported as incomplete, never a crash."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import scanlib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fipscrypto.cli.scan.config import MAX_BYTES, MAX_LINE, scan_config
from fipscrypto.cli.scan.model import Misuse, Skipped, Use, judge
from fipscrypto.policy import builtin

from support import cli

POLICY = builtin("fips-140-3")
DAY = dt.date(2026, 6, 1)
# 30 bytes of key and salt (AES_CM_128 profiles), base64
KEY = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"


def _scan(tmp_path: Path, name: str, text: str) -> tuple[list[Use | Misuse | Skipped], list[scanlib.Row]]:
    path = tmp_path / name
    path.write_text(text)
    found = scan_config([str(path)])
    return found, scanlib.rows(found, tmp_path)


OPENSSL_BAD = """\
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
alg_section = algorithm_sect
ssl_conf = ssl_sect
[provider_sect]
default = default_sect
legacy = legacy_sect
[legacy_sect]
activate = 1
[algorithm_sect]
default_properties = "fips=no"
[ssl_sect]
system_default = tls_defaults
[tls_defaults]
MinProtocol = TLSv1
CipherString = ECDHE-RSA-AES128-GCM-SHA256:RC4-SHA:DES-CBC3-SHA:ECDHE-RSA-CHACHA20-POLY1305
Ciphersuites = TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256
Groups = X25519:P-256:?X25519MLKEM768
SignatureAlgorithms = RSA+SHA1:ecdsa_secp256r1_sha256
"""


def test_openssl_cnf_weak(tmp_path: Path) -> None:
    found, rows = _scan(tmp_path, "openssl.cnf", OPENSSL_BAD)
    assert rows == [
        ("openssl.cnf:12", "config.openssl-not-fips", "", None),
        *[("openssl.cnf:16:15", "tls-version", v, None) for v in ("tls1.0", "tls1.1", "tls1.2", "tls1.3")],
        ("openssl.cnf:17:16", "tls12-suite", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", None),
        ("openssl.cnf:17:44", "tls12-suite", "TLS_RSA_WITH_RC4_128_SHA", None),
        ("openssl.cnf:17:52", "tls12-suite", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", None),
        ("openssl.cnf:17:65", "tls12-suite", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", None),
        ("openssl.cnf:18:16", "tls13-suite", "TLS_AES_256_GCM_SHA384", None),
        ("openssl.cnf:18:39", "tls13-suite", "TLS_CHACHA20_POLY1305_SHA256", None),
        ("openssl.cnf:19:10", "tls-group", "x25519", None),
        ("openssl.cnf:19:17", "tls-group", "secp256r1", None),
        ("openssl.cnf:19:23", "tls-group", "X25519MLKEM768", None),
        ("openssl.cnf:20:23", "tls-sigalg", "rsa_pkcs1_sha1", None),
        ("openssl.cnf:20:32", "tls-sigalg", "ecdsa_secp256r1_sha256", None),
        ("openssl.cnf:10", "config.openssl-legacy-provider", "", None),
    ]
    assert found[1].evidence == "MinProtocol = TLSv1"
    assert scanlib.failing(found, POLICY, DAY) == {
        ("config.openssl-not-fips", ""),
        ("config.openssl-legacy-provider", ""),
        ("tls-version", "tls1.0"),
        ("tls-version", "tls1.1"),
        ("tls12-suite", "TLS_RSA_WITH_RC4_128_SHA"),
        ("tls12-suite", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
        ("tls12-suite", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
        ("tls13-suite", "TLS_CHACHA20_POLY1305_SHA256"),
        ("tls-group", "x25519"),
        ("tls-sigalg", "rsa_pkcs1_sha1"),
    }


def test_openssl_cnf_fips(tmp_path: Path) -> None:
    text = """\
[fips_sect]
activate = 1
[algorithm_sect]
default_properties = fips=yes
[tls]
Protocol = -ALL, TLSv1.2, TLSv1.3
CipherString = ECDHE-ECDSA-AES256-GCM-SHA384
Curves = P-384
"""
    found, rows = _scan(tmp_path, "fips.cnf", text)
    assert rows == [
        ("fips.cnf:6:18", "tls-version", "tls1.2", None),
        ("fips.cnf:6:27", "tls-version", "tls1.3", None),
        ("fips.cnf:7:16", "tls12-suite", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", None),
        ("fips.cnf:8:10", "tls-group", "secp384r1", None),
    ]
    assert scanlib.failing(found, POLICY, DAY) == set()


def test_cipher_string_keywords_are_expanded(tmp_path: Path) -> None:
    found, _ = _scan(tmp_path, "openssl.cnf", "[s]\nCipherString = HIGH:!aNULL:!kRSA:!CHACHA20\n")
    names = {item.name for item in found if isinstance(item, Use)}
    assert "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" in names
    assert not {n for n in names if "CHACHA20" in n or n.startswith(("TLS_RSA_", "ADH-", "AECDH-"))}
    assert all(item.location.column == 16 for item in found)


def test_cipher_string_selecting_nothing_is_malformed(tmp_path: Path) -> None:
    _, rows = _scan(tmp_path, "openssl.cnf", "[s]\nCipherString = NOTACIPHER\nMinProtocol = TLSv9\nbroken\n")
    assert rows == [
        ("openssl.cnf:2", "skipped.malformed", "", None),
        ("openssl.cnf:3", "skipped.malformed", "", None),
        ("openssl.cnf:4", "skipped.malformed", "", None),
    ]


NGINX = """\
http {
  server {
    listen 443 ssl;
    ssl_protocols TLSv1 TLSv1.2; # TLS 1.0 for old clients
    ssl_ciphers "ECDHE-ECDSA-AES128-GCM-SHA256:DES-CBC3-SHA";
    ssl_ecdh_curve secp384r1:X25519;
    ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256;
    ssl_conf_command Options PrioritizeChaCha;
  }
}
"""


def test_nginx(tmp_path: Path) -> None:
    found, rows = _scan(tmp_path, "nginx.conf", NGINX)
    assert rows == [
        ("nginx.conf:4:19", "tls-version", "tls1.0", None),
        ("nginx.conf:4:25", "tls-version", "tls1.2", None),
        ("nginx.conf:5:18", "tls12-suite", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", None),
        ("nginx.conf:5:48", "tls12-suite", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", None),
        ("nginx.conf:6:20", "tls-group", "secp384r1", None),
        ("nginx.conf:6:30", "tls-group", "x25519", None),
        ("nginx.conf:7:35", "tls13-suite", "TLS_AES_128_GCM_SHA256", None),
        ("nginx.conf:7:58", "tls13-suite", "TLS_CHACHA20_POLY1305_SHA256", None),
    ]
    assert found[0].evidence == "ssl_protocols TLSv1 TLSv1.2; # TLS 1.0 for old clients"
    assert scanlib.failing(found, POLICY, DAY) == {
        ("tls-version", "tls1.0"),
        ("tls12-suite", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
        ("tls-group", "x25519"),
        ("tls13-suite", "TLS_CHACHA20_POLY1305_SHA256"),
    }


def test_nginx_unclosed_quote(tmp_path: Path) -> None:
    _, rows = _scan(tmp_path, "nginx.conf", 'server {\n  ssl_ciphers "HIGH;\n}\n')
    assert rows == [("nginx.conf:2", "skipped.malformed", "", None)]


SSHD = """\
# hardened?
Ciphers aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,3des-cbc
MACs=hmac-sha2-256-etm@openssh.com,umac-64@openssh.com
KexAlgorithms +diffie-hellman-group1-sha1,ecdh-sha2-nistp384
HostKeyAlgorithms ssh-rsa,rsa-sha2-512
PubkeyAcceptedAlgorithms -ssh-dss
"""


def test_sshd_config(tmp_path: Path) -> None:
    found, rows = _scan(tmp_path, "sshd_config", SSHD)
    assert rows == [
        ("sshd_config:2:9", "cipher", "aes-256-gcm", None),
        ("sshd_config:2:32", "cipher", "chacha20-poly1305", None),
        ("sshd_config:2:62", "cipher", "3des-cbc", None),
        ("sshd_config:3:6", "mac", "hmac-sha256", 256),
        ("sshd_config:3:36", "mac", "umac-64@openssh.com", None),
        ("sshd_config:4:16", "key-agreement", "ffdh", 1024),
        ("sshd_config:4:16", "hash", "sha1", None),
        ("sshd_config:4:43", "key-agreement", "ecdh-p384", None),
        ("sshd_config:4:43", "hash", "sha384", None),
        ("sshd_config:5:19", "tls-sigalg", "rsa_pkcs1_sha1", None),
        ("sshd_config:5:27", "tls-sigalg", "rsa_pkcs1_sha512", None),
    ]
    assert scanlib.failing(found, POLICY, DAY) == {
        ("cipher", "chacha20-poly1305"),
        ("cipher", "3des-cbc"),
        ("mac", "umac-64@openssh.com"),
        ("key-agreement", "ffdh"),
        ("tls-sigalg", "rsa_pkcs1_sha1"),
    }


IPSEC = """\
conn site
    keyexchange=ikev1
    ike=aes256gcm16-prfsha384-modp4096,3des-sha1-modp1024!
    esp=aes128-sha256-ke1_mlkem768-esn
"""
SWANCTL = """\
connections {
   gw {
      version = 2
      proposals = aes256gcm16-prfsha384-modp4096
      children {
         net {
            esp_proposals = aes256gcm16-modp4096, chacha20poly1305-curve25519
         }
      }
   }
}
"""


def test_ipsec_conf(tmp_path: Path) -> None:
    found, rows = _scan(tmp_path, "ipsec.conf", IPSEC)
    assert rows == [
        ("ipsec.conf:2:17", "ike-version", "ikev1", None),
        ("ipsec.conf:3:9", "ike-transform", "ENCR_AES_GCM_16", 256),
        ("ipsec.conf:3:21", "ike-transform", "PRF_HMAC_SHA2_384", None),
        ("ipsec.conf:3:31", "ike-dh-group", "16", None),
        ("ipsec.conf:3:40", "ike-transform", "ENCR_3DES", None),
        ("ipsec.conf:3:45", "ike-transform", "AUTH_HMAC_SHA1_96", None),
        ("ipsec.conf:3:50", "ike-dh-group", "2", None),
        ("ipsec.conf:4:9", "esp-transform", "ENCR_AES_CBC", 128),
        ("ipsec.conf:4:16", "esp-transform", "AUTH_HMAC_SHA2_256_128", None),
        ("ipsec.conf:4:23", "ike-dh-group", "36", None),
        ("ipsec.conf:4:36", "esp-transform", "ESN", None),
    ]
    assert scanlib.failing(found, POLICY, DAY) == {
        ("ike-version", "ikev1"),
        ("ike-transform", "ENCR_3DES"),
        ("ike-dh-group", "2"),
    }


def test_swanctl_conf(tmp_path: Path) -> None:
    found, rows = _scan(tmp_path, "swanctl.conf", SWANCTL)
    assert rows == [
        ("swanctl.conf:3:17", "ike-version", "ikev2", None),
        ("swanctl.conf:4:19", "ike-transform", "ENCR_AES_GCM_16", 256),
        ("swanctl.conf:4:31", "ike-transform", "PRF_HMAC_SHA2_384", None),
        ("swanctl.conf:4:41", "ike-dh-group", "16", None),
        ("swanctl.conf:7:29", "esp-transform", "ENCR_AES_GCM_16", 256),
        ("swanctl.conf:7:41", "ike-dh-group", "16", None),
        ("swanctl.conf:7:51", "esp-transform", "ENCR_CHACHA20_POLY1305", 256),
        ("swanctl.conf:7:68", "ike-dh-group", "31", None),
    ]
    assert scanlib.failing(found, POLICY, DAY) == {
        ("esp-transform", "ENCR_CHACHA20_POLY1305"),
        ("ike-dh-group", "31"),
    }


SDP = f"""\
v=0
o=- 1 1 IN IP4 192.0.2.1
m=audio 49170 RTP/SAVP 0
a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:{KEY}|2^20|1:4
a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:{KEY} UNENCRYPTED_SRTP
a=crypto:3 F8_128_HMAC_SHA1_80 inline:{KEY}
a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:{KEY}
"""


def test_sdp(tmp_path: Path) -> None:
    found, rows = _scan(tmp_path, "offer.sdp", SDP)
    assert rows == [
        ("offer.sdp:4:12", "srtp-profile", "AES_CM_128_HMAC_SHA1_32", None),
        ("offer.sdp:5:12", "srtp-profile", "AES_CM_128_HMAC_SHA1_80", None),
        ("offer.sdp:5", "config.sdp-unprotected", "", None),
        ("offer.sdp:6:12", "srtp-profile", "F8_128_HMAC_SHA1_80", None),
        ("offer.sdp:7", "skipped.malformed", "", None),
    ]
    assert scanlib.failing(found, POLICY, DAY) >= {
        ("config.sdp-unprotected", ""),
        ("srtp-profile", "F8_128_HMAC_SHA1_80"),
    }
    assert KEY not in " ".join(item.message for item in found if isinstance(item, Misuse))
    assert not [item for item in found if not isinstance(item, Skipped) and KEY in item.evidence]
    assert found[0].evidence == "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:...|2^20|1:4"


def test_detection_by_content_and_unknown(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Ciphers aes128-ctr\n")
    (tmp_path / "b.txt").write_text("just some words\n")
    (tmp_path / "c.bin").write_bytes(b"\x00\x01binary")
    found = scan_config([str(tmp_path / n) for n in ("a.txt", "b.txt", "c.bin", "missing.cnf")])
    assert scanlib.rows(found, tmp_path) == [
        ("a.txt:1:9", "cipher", "aes-128-ctr", None),
        ("b.txt", "skipped.unknown-format", "", None),
        ("c.bin", "skipped.unknown-format", "", None),
        ("missing.cnf", "skipped.unreadable", "", None),
    ]


def test_bounds(tmp_path: Path) -> None:
    big = tmp_path / "big.cnf"
    with big.open("wb") as file:
        file.truncate(MAX_BYTES + 1)
    long_line = tmp_path / "long.cnf"
    long_line.write_text("[s]\nCipherString = " + "A" * MAX_LINE + "\n")
    found = scan_config([str(big), str(long_line)])
    assert scanlib.rows(found, tmp_path) == [
        ("big.cnf", "skipped.too-large", "", None),
        ("long.cnf:2", "skipped.malformed", "", None),
    ]


_PIECES = ["[s]", "CipherString", "Groups", "MinProtocol", "Protocol", "=", " ", ":", ",", "-", "!", "+", "?",
           "*", "/", "TLSv1", "ALL", "ssl_ciphers", "ssl_conf_command", ";", "{", "}", '"', "'", "#", "\n",
           "Ciphers", "KexAlgorithms", "ike", "esp_proposals", "aes256gcm16", "modp", "a=crypto:", "1",
           "AES_CM_128_HMAC_SHA1_80", f"inline:{KEY}", "|", "UNENCRYPTED_SRTP", "\ufffd", "\x00"]  # fmt: skip
_SETTING_TEXT = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)


@given(text=_SETTING_TEXT, fmt=st.sampled_from(["openssl", "nginx", "ssh", "strongswan", "sdp"]))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fuzzed_settings_never_crash(tmp_path: Path, text: str, fmt: str) -> None:
    path = tmp_path / "fuzzed"
    path.write_text(text, encoding="utf-8")
    for item in scan_config([str(path)], format=fmt):
        assert isinstance(item, (Use, Misuse, Skipped))
        assert str(item.location).startswith(str(path))
        if isinstance(item, Use):
            judge([item], POLICY, DAY)  # every use is a question the policy can answer


@pytest.mark.parametrize("fmt", ["openssl", "nginx", "ssh", "strongswan", "sdp"])
def test_garbage_never_crashes(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "garbage"
    path.write_text("=\n[\n{;}\"'\na=crypto:\nCiphers\nike=-\n\\\n" + "\ufffd" * 10)
    for item in scan_config([str(path)], format=fmt):
        assert isinstance(item, (Use, Misuse, Skipped))


def _cli(*args: str) -> tuple[int, dict[str, object]]:
    result = cli(
        "scan", "config", *args, "--policy", "fips-140-3", "--as-of", DAY.isoformat(), "--format", "json"
    )
    return result.returncode, json.loads(result.stdout) if result.stdout.strip() else {}


def test_cli_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "good.cnf").write_text(
        "[tls]\nMinProtocol = TLSv1.2\nCiphersuites = TLS_AES_256_GCM_SHA384\n"
    )
    (tmp_path / "bad.cnf").write_text(OPENSSL_BAD)
    (tmp_path / "notes.txt").write_text("nothing here\n")
    (tmp_path / "half.cnf").write_text("[tls]\nMinProtocol = TLSv1.2\nMinProtocol = TLSv9\n")
    code, report = _cli(str(tmp_path / "good.cnf"))
    assert code == 0
    assert report["summary"] == {"checked": 1, "skipped": 0, "findings": 3, "errors": 0, "warnings": 0,
                                 "notes": 3, "failing": 0, "exempt": 0}  # fmt: skip
    code, report = _cli(str(tmp_path / "bad.cnf"), str(tmp_path / "good.cnf"))
    assert code == 1
    assert report["summary"]["failing"] == 10
    assert _cli(str(tmp_path / "notes.txt"))[0] == 3  # not a configuration: nothing was checked
    assert _cli(str(tmp_path / "half.cnf"))[0] == 3  # a line could not be read: incomplete
    assert _cli("--type", "ssh", str(tmp_path / "good.cnf"))[0] == 3  # no sshd settings in it
    assert cli("scan", "config", str(tmp_path / "missing.cnf")).returncode == 2
