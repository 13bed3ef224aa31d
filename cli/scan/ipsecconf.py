"""strongSwan proposals (``ipsec.conf`` ``ike=``/``esp=``, ``swanctl.conf`` ``proposals``/``esp_proposals``)
as IKEv2 transform names.

A proposal is algorithm keywords joined by ``-`` (``aes256gcm16-prfsha384-modp4096``), proposals are
separated by ``,``, and a trailing ``!`` makes the list strict. Keywords follow strongSwan's
proposal keyword table (docs.strongswan.org, "IKEv2 Cipher Suites"): encryption to ``ENCR_*`` with
the key length as bits, integrity to ``AUTH_*``, ``prf*`` to ``PRF_*``, ``modp*``/``ecp*``/``curve*``/
``mlkem*`` (also as RFC 9370 additional key exchanges, ``ke1_mlkem768``) to the IANA key-exchange
number (``ike-dh-group``). A keyword the table does not know is reported by its strongSwan spelling,
which no policy allows.
"""

from __future__ import annotations

import re

from .model import Location, Use

__all__ = ["proposal_uses"]

_DH = {
    "modp768": "1",
    "modp1024": "2",
    "modp1536": "5",
    "modp2048": "14",
    "modp3072": "15",
    "modp4096": "16",
    "modp6144": "17",
    "modp8192": "18",
    "modp1024s160": "22",
    "modp2048s224": "23",
    "modp2048s256": "24",
    "ecp192": "25",
    "ecp224": "26",
    "ecp256": "19",
    "ecp384": "20",
    "ecp521": "21",
    "ecp224bp": "27",
    "ecp256bp": "28",
    "ecp384bp": "29",
    "ecp512bp": "30",
    "curve25519": "31",
    "x25519": "31",
    "curve448": "32",
    "x448": "32",
    "mlkem512": "35",
    "mlkem768": "36",
    "mlkem1024": "37",
}
_INTEGRITY = {
    "md5": "AUTH_HMAC_MD5_96",
    "sha1": "AUTH_HMAC_SHA1_96",
    "sha": "AUTH_HMAC_SHA1_96",
    "sha256": "AUTH_HMAC_SHA2_256_128",
    "sha2_256": "AUTH_HMAC_SHA2_256_128",
    "sha384": "AUTH_HMAC_SHA2_384_192",
    "sha2_384": "AUTH_HMAC_SHA2_384_192",
    "sha512": "AUTH_HMAC_SHA2_512_256",
    "sha2_512": "AUTH_HMAC_SHA2_512_256",
    "aesxcbc": "AUTH_AES_XCBC_96",
    "aescmac": "AUTH_AES_CMAC_96",
}
_PRF = {
    "prfmd5": "PRF_HMAC_MD5",
    "prfsha1": "PRF_HMAC_SHA1",
    "prfsha256": "PRF_HMAC_SHA2_256",
    "prfsha384": "PRF_HMAC_SHA2_384",
    "prfsha512": "PRF_HMAC_SHA2_512",
    "prfaesxcbc": "PRF_AES128_XCBC",
    "prfaescmac": "PRF_AES128_CMAC",
}
_FIXED = {
    "3des": ("ENCR_3DES", None),
    "des": ("ENCR_DES", None),
    "null": ("ENCR_NULL", None),
    "chacha20poly1305": ("ENCR_CHACHA20_POLY1305", 256),
    "esn": ("ESN", None),
}
# aes128, aes256ctr, aes256gcm16 (aes256gcm = gcm16), aes128ccm8, aes256gmac, camellia128, blowfish256
_SIZED = re.compile(r"(aes|camellia|blowfish)(128|192|256)(ctr|gcm|ccm|gmac)?(8|12|16|64|96|128)?")
_MODES = {"": "CBC", "ctr": "CTR", "gcm": "GCM", "ccm": "CCM"}
_ICV = {"8": "8", "64": "8", "12": "12", "96": "12", "16": "16", "128": "16", "": "16"}
_KEYWORD = re.compile(r"[^-,\s!]+")


def _encryption(keyword: str) -> tuple[str, int | None] | None:
    if keyword in _FIXED:
        return _FIXED[keyword]
    match = _SIZED.fullmatch(keyword)
    if match is None:
        return None
    cipher, bits, mode, icv = match.group(1), int(match.group(2)), match.group(3) or "", match.group(4) or ""
    if cipher != "aes":
        return ("ENCR_CAMELLIA_CBC" if cipher == "camellia" else "ENCR_BLOWFISH", bits) if not mode else None
    if mode == "gmac":
        return "ENCR_NULL_AUTH_AES_GMAC", bits
    if mode in ("gcm", "ccm"):
        return (f"ENCR_AES_{mode.upper()}_{_ICV[icv]}", bits) if icv in _ICV else None
    return (f"ENCR_AES_{_MODES[mode]}", bits) if not icv else None


def _transform(keyword: str, category: str) -> tuple[str, str, int | None]:
    """(category, name, bits) of one proposal keyword."""
    group = _DH.get(re.sub(r"^ke[1-7]_", "", keyword))
    if group is not None:
        return "ike-dh-group", group, None
    if keyword in _PRF:
        return category, _PRF[keyword], None
    if keyword in _INTEGRITY:
        return category, _INTEGRITY[keyword], None
    found = _encryption(keyword)
    return (category, *found) if found else (category, keyword, None)


def proposal_uses(kind: str, value: str, where: Location, column: int, evidence: str) -> list[Use]:
    """The uses of a proposal list; ``kind`` is ``ike`` or ``esp`` (``ah`` lists count as ESP
    integrity), ``value`` starts at 1-based ``column``. ``default`` (strongSwan's own) chooses nothing."""
    category = "ike-transform" if kind == "ike" else "esp-transform"
    found = []
    for match in _KEYWORD.finditer(value):
        keyword = match.group().lower()
        if keyword in ("default", "noesn"):  # strongSwan's own list; ESN off
            continue
        name_category, name, bits = _transform(keyword, category)
        at = Location(where.target, where.line, column + match.start())
        found.append(Use(at, name_category, name, "config:strongswan", bits=bits, evidence=evidence))
    return found
