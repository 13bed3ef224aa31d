"""``fipscheck scan cert``: the keys and algorithms in certificates, requests, bundles and key files.

Reads PEM (any number of blocks: certificates, requests, PKCS#7/CMS, public and private keys), DER
(a certificate, a request, a PKCS#7/CMS ContentInfo, a PKCS#12 PFX, a public or private key) and JWK
or JWK Set (JSON). Structures are decoded with asn1crypto, which also reads what cryptography does not
expose: RSASSA-PSS parameters, PKCS#12 MAC and PBE algorithms, CMS content types. For each certificate:
its key (type and size), its signature algorithm (:mod:`.certalgs`), and its validity (an expired or
not yet valid certificate is a :class:`~.model.Misuse`); the evidence names the subject, the serial
and the extended key usages. PKCS#12: the MAC (an HMAC, and the PKCS#12 KDF or PBMAC1's PBKDF2), the
PBE of every encrypted part; the certificates in an encrypted part are read after decrypting with
``password`` (by cryptography, through the provider), and reported as incomplete when that fails
(wrong password, or a PBE cipher the FIPS provider refuses, such as RC2).

What could not be read is a :class:`~.model.Skipped` whose reason starts with ``unreadable``,
``too-large``, ``unknown-format``, ``malformed``, ``unsupported`` or ``encrypted``: the run is then
incomplete. Files are read up to
:data:`MAX_BYTES`; asn1crypto parses in time and memory linear in the input.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from asn1crypto import cms, csr, keys, pem, pkcs12, x509

from fipscrypto._clock import today

from .certalgs import Spec, cipher_specs, key_spec, signature_spec
from .model import Certificate, Location, Misuse, Skipped, Use

__all__ = ["MAX_BYTES", "scan_cert", "served_chain"]

MAX_BYTES = 16 << 20
_SCANNER = "cert"
_VALIDITY = "RFC 5280 §4.1.2.5: a certificate is valid only between notBefore and notAfter"
_SERVER_AUTH = "RFC 5280 §4.2.1.12: a TLS server certificate with extended key usages lists serverAuth"

Found = list[Use | Misuse | Skipped]


class _File:
    def __init__(self, path: str, password: bytes | None, as_of: dt.date, scanner: str = _SCANNER) -> None:
        self.path, self.password, self.as_of, self.scanner = path, password, as_of, scanner

    def at(self, line: int | None) -> Location:
        return Location(self.path, line)

    def uses(
        self, specs: list[Spec], line: int | None, evidence: str, certificate: Certificate | None = None
    ) -> Found:
        return [
            Use(
                self.at(line),
                c,
                n,
                self.scanner,
                bits=b,
                params=p,
                evidence=evidence,
                certificate=certificate,
            )
            for c, n, b, p in specs
        ]

    def incomplete(self, line: int | None, reason: str, message: str) -> Skipped:
        return Skipped(self.at(line), f"{reason}: {message}")

    # ------------------------------------------------------------------------------------- structures

    def certificate(self, cert: x509.Certificate, line: int | None) -> Found:
        eku = cert.extended_key_usage_value
        usages = ", ".join(str(u) for u in eku.native) if eku is not None else "none"
        evidence = f"certificate {cert.subject.human_friendly}, serial {cert.serial_number:x}, EKU {usages}"
        key, signature = key_spec(cert.public_key), signature_spec(cert["signature_algorithm"])
        validity = cert["tbs_certificate"]["validity"]
        facts = Certificate(
            cert.sha256.hex(),
            _dn(cert.subject),
            _dn(cert.issuer),
            validity["not_before"].native,
            validity["not_after"].native,
            key[:3],
            signature[:3],
        )
        found = self.uses([key, signature], line, evidence, facts)
        start, end = facts.not_before.date(), facts.not_after.date()
        if end < self.as_of:
            found.append(
                Misuse(
                    self.at(line),
                    "cert.expired",
                    f"expired on {end}",
                    _VALIDITY,
                    self.scanner,
                    evidence=evidence,
                )
            )
        elif start > self.as_of:
            found.append(
                Misuse(
                    self.at(line),
                    "cert.not-yet-valid",
                    f"valid from {start}",
                    _VALIDITY,
                    self.scanner,
                    evidence=evidence,
                )
            )
        return found

    def request(self, request: csr.CertificationRequest, line: int | None) -> Found:
        info = request["certification_request_info"]
        evidence = f"certificate request {info['subject'].human_friendly}"
        return self.uses(
            [key_spec(info["subject_pk_info"]), signature_spec(request["signature_algorithm"])],
            line,
            evidence,
        )

    def content_info(self, info: cms.ContentInfo, line: int | None) -> Found:
        kind = info["content_type"].native
        content = info["content"]
        if kind == "signed_data":
            found: Found = []
            for choice in content["certificates"] or ():
                if choice.name == "certificate":
                    found += self.certificate(choice.chosen, line)
            for signer in content["signer_infos"]:
                digest = signer["digest_algorithm"]["algorithm"].native
                found += self.uses([("hash", digest, None, {})], line, "CMS signer digest")
            return found
        if kind in ("enveloped_data", "encrypted_data"):
            algorithm = content["encrypted_content_info"]["content_encryption_algorithm"]
            return self.uses(cipher_specs(algorithm), line, f"CMS {kind} content encryption")
        return [self.incomplete(line, "unsupported", f"CMS content type {kind} is not examined")]

    def pfx(self, pfx: pkcs12.Pfx, data: bytes) -> Found:
        found: Found = []
        mac = pfx["mac_data"]
        if mac.native is None:
            found.append(
                Misuse(
                    self.at(None),
                    "cert.pkcs12-no-mac",
                    "no integrity MAC",
                    "RFC 7292 §4: the password integrity mode",
                    _SCANNER,
                )
            )
        else:
            digest = mac["mac"]["digest_algorithm"]["algorithm"].native
            evidence = f"PKCS#12 MAC, {mac['iterations'].native} iterations"
            specs: list[Spec] = [("mac", f"hmac-{digest}", 8 * len(mac["mac"]["digest"].native), {})]
            if digest != "pbmac1":
                specs.append(("kdf", "pkcs12-kdf", None, {}))
            found += self.uses(specs, None, evidence)
        encrypted = False
        for info in pfx.authenticated_safe:
            if info["content_type"].native == "encrypted_data":
                encrypted = True
                algorithm = info["content"]["encrypted_content_info"]["content_encryption_algorithm"]
                found += self.uses(cipher_specs(algorithm), None, "PKCS#12 encrypted safe contents")
            elif info["content_type"].native == "data":
                found += self.safe_contents(pkcs12.SafeContents.load(info["content"].native))
        if encrypted:
            found += self.decrypted_certificates(data)
        return found

    def safe_contents(self, contents: pkcs12.SafeContents) -> Found:
        found: Found = []
        for bag in contents:
            kind = bag["bag_id"].native
            if kind == "pkcs8_shrouded_key_bag":
                algorithm = bag["bag_value"]["encryption_algorithm"]
                found += self.uses(cipher_specs(algorithm), None, "PKCS#12 shrouded key bag")
            elif kind == "cert_bag" and bag["bag_value"]["cert_id"].native == "x509":
                found += self.certificate(x509.Certificate.load(bag["bag_value"]["cert_value"].native), None)
        return found

    def decrypted_certificates(self, data: bytes) -> Found:
        from fipscrypto._backend import x509 as _x509  # boots the module: only for encrypted parts

        try:
            ders = _x509.pkcs12_certificates(data, self.password)
        except ValueError as error:  # a wrong password, or a PBE or MAC the provider refuses
            message = (
                f"certificates in encrypted parts not read ({str(error)[:80]}): a wrong password, or a PBE or"
                " MAC the FIPS provider refuses; extract them (openssl pkcs12 -nokeys) and scan the PEM"
            )
            return [self.incomplete(None, "encrypted", message)]
        return [u for der in ders for u in self.certificate(x509.Certificate.load(der), None)]

    # --------------------------------------------------------------------------------------- formats

    def pem(self, data: bytes) -> Found:
        found: Found = []
        try:
            for kind, _, der, line in _pem_blocks(data):
                found += self.block(kind, der, line)
        except ValueError as error:  # a block without its END line, or not base64
            found.append(self.incomplete(None, "malformed", f"PEM: {str(error)[:120]}"))
        return found

    def block(self, kind: str, der: bytes, line: int | None) -> Found:
        readers = {
            "CERTIFICATE": lambda: self.certificate(x509.Certificate.load(der), line),
            "X509 CERTIFICATE": lambda: self.certificate(x509.Certificate.load(der), line),
            "CERTIFICATE REQUEST": lambda: self.request(csr.CertificationRequest.load(der), line),
            "NEW CERTIFICATE REQUEST": lambda: self.request(csr.CertificationRequest.load(der), line),
            "PKCS7": lambda: self.content_info(cms.ContentInfo.load(der), line),
            "CMS": lambda: self.content_info(cms.ContentInfo.load(der), line),
            "PUBLIC KEY": lambda: self.uses([key_spec(keys.PublicKeyInfo.load(der))], line, "public key"),
            "PRIVATE KEY": lambda: self.uses([key_spec(keys.PrivateKeyInfo.load(der))], line, "private key"),
            "ENCRYPTED PRIVATE KEY": lambda: self.uses(
                cipher_specs(keys.EncryptedPrivateKeyInfo.load(der)["encryption_algorithm"]),
                line,
                "encrypted private key",
            ),
        }
        reader = readers.get(kind)
        if reader is None:
            return [self.incomplete(line, "unsupported", f"PEM block {kind!r:.40} is not examined")]
        return _guarded(reader, self, line)

    def der(self, data: bytes) -> Found:
        readers: tuple[Callable[[], Found], ...] = (
            lambda: self.certificate(_strict(x509.Certificate, data), None),
            lambda: self.request(_strict(csr.CertificationRequest, data), None),
            lambda: self.content_info(_strict(cms.ContentInfo, data), None),
            lambda: self.pfx(_strict(pkcs12.Pfx, data), data),
            lambda: self.uses([key_spec(_strict(keys.PublicKeyInfo, data))], None, "public key"),
            lambda: self.uses([key_spec(_strict(keys.PrivateKeyInfo, data))], None, "private key"),
        )
        for reader in readers:
            try:
                return reader()
            except Exception:  # noqa: S112 - asn1crypto fails a wrong guess with errors of many kinds
                continue
        return [
            self.incomplete(
                None, "unknown-format", "not a certificate, request, PKCS#7/CMS, PKCS#12, key or JWK"
            )
        ]

    def jwk(self, document: Any) -> Found:
        members = document.get("keys") if isinstance(document, dict) and "keys" in document else [document]
        found: Found = []
        for index, key in enumerate(members if isinstance(members, list) else [members]):
            spec = _jwk_spec(key)
            if spec is None:
                found.append(self.incomplete(None, "malformed", f"JWK {index}: not a key fipscheck reads"))
            else:
                found += self.uses([spec], None, f"JWK {index} (kid {key.get('kid', '-')!s:.40})")
        return found


# RFC 4514 §3: the attribute types with a short name; any other is written as its dotted OID
_DN_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.6": "C",
    "2.5.4.9": "STREET",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}


def _dn(name: x509.Name) -> str:
    """A distinguished name as RFC 4514 §2 writes it: the last RDN first, the characters §2.4 lists
    escaped."""
    rdns = []
    for rdn in name.chosen:
        parts = []
        for attribute in rdn:
            kind = attribute["type"].dotted
            value = attribute["value"].native
            text = value if isinstance(value, str) else str(value)
            text = "".join(f"\\{c}" if c in ',+"\\<>;' else "\\00" if c == "\0" else c for c in text)
            if text[:1] in (" ", "#"):
                text = "\\" + text
            if text.endswith(" "):
                text = text[:-1] + "\\ "
            parts.append(f"{_DN_NAMES.get(kind, kind)}={text}")
        rdns.append("+".join(parts))
    return ",".join(reversed(rdns))


def _strict(kind: Any, data: bytes) -> Any:
    value = kind.load(data, strict=True)
    value.native  # noqa: B018 - parse everything now, so that a wrong guess fails here
    return value


def _guarded(reader: Any, file: _File, line: int | None) -> Found:
    try:
        return list(reader())
    except Exception as error:
        return [file.incomplete(line, "malformed", f"cannot be decoded: {str(error)[:120]}")]


def _pem_blocks(data: bytes) -> Iterator[tuple[str, dict[str, str], bytes, int]]:
    """(type, headers, DER, 1-based line of the BEGIN line) of each PEM block."""
    offset = 0
    while (start := data.find(b"-----BEGIN ", offset)) >= 0:
        end_marker = data.find(b"-----END ", start)
        close = data.find(b"-----", end_marker + 9) if end_marker >= 0 else -1
        if close < 0:
            raise ValueError("a PEM block without its END line")
        block = data[start : close + 5]
        kind, headers, der = pem.unarmor(block)
        yield kind, headers, der, data.count(b"\n", 0, start) + 1
        offset = close + 5


def _b64url_bits(value: object) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None
    return int.from_bytes(raw, "big").bit_length()


_JWK_CURVES = {"P-256": "p256", "P-384": "p384", "P-521": "p521", "secp256k1": "secp256k1"}


def _jwk_spec(key: object) -> Spec | None:
    """RFC 7517/7518/8037: kty RSA (n), EC (crv), OKP (crv); the alg or use says signing or encrypting."""
    if not isinstance(key, dict):
        return None
    kty, alg, crv = key.get("kty"), str(key.get("alg", "")), key.get("crv")
    encrypting = key.get("use") == "enc" or alg.startswith(("RSA-OAEP", "RSA1_5", "ECDH"))
    if kty == "RSA":
        bits = _b64url_bits(key.get("n"))
        if bits is None:
            return None
        if encrypting:
            return "key-agreement", "rsa-pkcs1v15-transport" if alg == "RSA1_5" else "rsa-oaep", bits, {}
        return "signature", "rsa-pss" if alg.startswith("PS") else "rsa-pkcs1v15", bits, {}
    if kty == "EC" and isinstance(crv, str):
        curve = _JWK_CURVES.get(crv, crv.lower())
        return (
            ("key-agreement", f"ecdh-{curve}", None, {})
            if encrypting
            else ("signature", f"ecdsa-{curve}", None, {})
        )
    if kty == "OKP" and isinstance(crv, str):
        return ("key-agreement" if crv in ("X25519", "X448") else "signature"), crv.lower(), None, {}
    return None


def _scan_one(path: str, password: bytes | None, as_of: dt.date) -> Found:
    file = _File(path, password, as_of)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as error:
        return [file.incomplete(None, "unreadable", f"cannot read: {error.strerror or error}")]
    if len(data) > MAX_BYTES:
        return [file.incomplete(None, "too-large", f"larger than {MAX_BYTES} bytes: not read")]
    if data.lstrip()[:1] in (b"{", b"["):
        try:
            return file.jwk(json.loads(data))
        except (ValueError, RecursionError):
            return [file.incomplete(None, "malformed", "not JSON")]
    if b"-----BEGIN " in data:
        return file.pem(data)
    return file.der(data)


def scan_cert(paths: list[str], password: bytes | None = None, as_of: dt.date | None = None) -> Found:
    """What each certificate, request, bundle or key file holds; ``password`` opens PKCS#12 files,
    ``as_of`` (today by default) is the day validity is judged on."""
    day = as_of or today()
    return [item for path in paths for item in _scan_one(path, password, day)]


def served_chain(chain: Sequence[bytes], target: str, as_of: dt.date, scanner: str) -> Found:
    """The findings of the chain a server sent (DER, leaf first) at ``target``: each certificate as
    :func:`scan_cert` reads one (its evidence starts with its place in the chain), and a leaf whose
    extended key usages leave out serverAuth. A certificate that does not parse is skipped."""
    served = _File(target, None, as_of, scanner)
    found: Found = []
    for place, der in enumerate(chain):
        try:
            cert = _strict(x509.Certificate, der)
            items = served.certificate(cert, None)
            eku = cert.extended_key_usage_value
            usages = set(eku.native) if eku is not None else None
        except Exception as exc:  # asn1crypto raises several types on malformed input (as _guarded)
            found.append(
                served.incomplete(None, "malformed", f"certificate {place} of the chain: {str(exc)[:120]}")
            )
            continue
        found += [
            item if isinstance(item, Skipped) else replace(item, evidence=f"chain[{place}] {item.evidence}")
            for item in items
        ]
        if place == 0 and usages is not None and not usages & {"server_auth", "any_extended_key_usage"}:
            found.append(
                Misuse(
                    served.at(None),
                    "tls.cert-eku",
                    "the server certificate's extended key usages leave out serverAuth",
                    _SERVER_AUTH,
                    scanner,
                    evidence=f"EKU {', '.join(sorted(usages))}",
                )
            )
    return found
