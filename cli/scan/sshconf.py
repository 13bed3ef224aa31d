"""OpenSSH ``sshd_config``/``ssh_config`` algorithm lists, as policy vocabulary uses.

``Ciphers`` map to ``cipher`` names, ``MACs`` to ``mac`` (with the HMAC key length OpenSSH uses, the
hash's output length, RFC 4253 §6.4), ``KexAlgorithms`` to ``key-agreement`` (finite-field groups
with their size; the exchange hash to ``hash``), and the signature lists (``HostKeyAlgorithms``,
``PubkeyAcceptedAlgorithms``, ``CASignatureAlgorithms``, ...) to the TLS signature-scheme names with
the same algorithm and hash (``rsa-sha2-256`` is RSASSA-PKCS1-v1_5 with SHA-256, ``rsa_pkcs1_sha256``).
An SSH algorithm the vocabulary has no name for (``umac-64@openssh.com``,
``sntrup761x25519-sha512``, ``sk-ssh-ed25519@openssh.com``) is reported by its SSH name, which no
policy allows. A list starting with ``-`` removes algorithms from OpenSSH's default and chooses none.
"""

from __future__ import annotations

import re

from .model import Location, Use

__all__ = ["KEYWORDS", "ssh_uses"]

# name -> (category, vocabulary name, bits)
_Entry = tuple[str, str, int | None]
_CIPHERS: dict[str, _Entry] = {
    **{f"aes{n}-ctr": ("cipher", f"aes-{n}-ctr", None) for n in (128, 192, 256)},
    **{f"aes{n}-cbc": ("cipher", f"aes-{n}-cbc", None) for n in (128, 192, 256)},
    **{f"aes{n}-gcm@openssh.com": ("cipher", f"aes-{n}-gcm", None) for n in (128, 256)},
    "rijndael-cbc@lysator.liu.se": ("cipher", "aes-256-cbc", None),
    "chacha20-poly1305@openssh.com": ("cipher", "chacha20-poly1305", None),
    "3des-cbc": ("cipher", "3des-cbc", None),
    "blowfish-cbc": ("cipher", "blowfish", None),
    "cast128-cbc": ("cipher", "cast5", None),
    "arcfour": ("cipher", "rc4", None),
    "arcfour128": ("cipher", "rc4", None),
    "arcfour256": ("cipher", "rc4", None),
}
_HMAC = {
    "hmac-sha1": ("sha1", 160),
    "hmac-sha1-96": ("sha1", 160),
    "hmac-sha2-256": ("sha256", 256),
    "hmac-sha2-512": ("sha512", 512),
    "hmac-md5": ("md5", 128),
    "hmac-md5-96": ("md5", 128),
}
_MACS: dict[str, _Entry] = {
    f"{name}{suffix}": ("mac", f"hmac-{digest}", bits)
    for name, (digest, bits) in _HMAC.items()
    for suffix in ("", "-etm@openssh.com")
}
# RFC 4253 §8, RFC 8268 (MODP groups 14, 16, 18), RFC 4419 (group exchange: OpenSSH picks a group of
# at least 2048 bits, its DH_GRP_MIN), RFC 5656 (ECDH), RFC 8731 (Curve25519).
_FFDH = {
    "group1": 1024,
    "group14": 2048,
    "group15": 3072,
    "group16": 4096,
    "group17": 6144,
    "group18": 8192,
    "group-exchange": 2048,
}
_KEX: dict[str, tuple[_Entry, ...]] = {
    **{
        f"diffie-hellman-{group}-{digest}": (("key-agreement", "ffdh", bits), ("hash", digest, None))
        for group, bits in _FFDH.items()
        for digest in ("sha1", "sha256", "sha512")
    },
    **{
        f"ecdh-sha2-nistp{n}": (("key-agreement", f"ecdh-p{n}", None), ("hash", digest, None))
        for n, digest in ((256, "sha256"), (384, "sha384"), (521, "sha512"))
    },
    "curve25519-sha256": (("key-agreement", "x25519", None), ("hash", "sha256", None)),
    "curve25519-sha256@libssh.org": (("key-agreement", "x25519", None), ("hash", "sha256", None)),
    "curve448-sha512": (("key-agreement", "x448", None), ("hash", "sha512", None)),
}
_SIGNATURES = {
    "ssh-rsa": "rsa_pkcs1_sha1",
    "rsa-sha2-256": "rsa_pkcs1_sha256",
    "rsa-sha2-512": "rsa_pkcs1_sha512",
    "ecdsa-sha2-nistp256": "ecdsa_secp256r1_sha256",
    "ecdsa-sha2-nistp384": "ecdsa_secp384r1_sha384",
    "ecdsa-sha2-nistp521": "ecdsa_secp521r1_sha512",
    "ssh-ed25519": "ed25519",
    "ssh-ed448": "ed448",
}
_SIGNATURE_ENTRIES: dict[str, _Entry] = {
    **{name: ("tls-sigalg", scheme, None) for name, scheme in _SIGNATURES.items()},
    **{f"{name}-cert-v01@openssh.com": ("tls-sigalg", scheme, None) for name, scheme in _SIGNATURES.items()},
    "ssh-dss": ("signature", "dsa", None),
    "ssh-dss-cert-v01@openssh.com": ("signature", "dsa", None),
}
# Keyword (lower case) -> (category for names the tables do not know, the table).
KEYWORDS: dict[str, tuple[str, dict[str, tuple[_Entry, ...]]]] = {
    "ciphers": ("cipher", {k: (v,) for k, v in _CIPHERS.items()}),
    "macs": ("mac", {k: (v,) for k, v in _MACS.items()}),
    "kexalgorithms": ("key-agreement", _KEX),
    **{
        keyword: ("signature", {k: (v,) for k, v in _SIGNATURE_ENTRIES.items()})
        for keyword in (
            "hostkeyalgorithms",
            "pubkeyacceptedalgorithms",
            "pubkeyacceptedkeytypes",
            "casignaturealgorithms",
            "hostbasedacceptedalgorithms",
            "hostbasedkeytypes",
        )
    },
}
_NAME = re.compile(r"[^,\s]+")


def ssh_uses(keyword: str, value: str, where: Location, column: int, evidence: str) -> list[Use]:
    """The uses of one sshd_config line ``keyword value``; ``value`` starts at 1-based ``column``."""
    known = KEYWORDS.get(keyword.lower())
    if known is None or value.startswith("-"):
        return []
    fallback, table = known
    offset = 1 if value[:1] in "+^" else 0  # sshd_config(5): "+" appends to, "^" prepends to the default
    found = []
    for match in _NAME.finditer(value[offset:]):
        name, at = match.group(), Location(where.target, where.line, column + offset + match.start())
        entries = table.get(name.lower(), ((fallback, name, None),))
        found += [Use(at, c, n, "config:ssh", bits=b, evidence=evidence) for c, n, b in entries]
    return found
