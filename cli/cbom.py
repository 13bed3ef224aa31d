"""A CycloneDX 1.6 cryptography bill of materials (CBOM) of what a scan or a manifest check found.

One component per distinct cryptographic asset (policy category, name and size), never per use: its
``cryptoProperties`` (CycloneDX 1.6 ``cryptoPropertiesType``) give the asset type (``algorithm`` or
``protocol``), the primitive, mode, padding, parameter set and curve read from the policy vocabulary
name, and ``evidence.occurrences`` list every place it was found. A protocol component (TLS, IKE,
IPsec, SRTP) lists in ``cryptoRefs`` the algorithms found with it in the same file or server, and TLS
ones the cipher suites by name. The policy's verdicts are component properties
(``fipscheck:status``), so a CBOM consumer sees which assets the policy refuses.

A certificate a scan read is a ``certificate`` asset (subject, issuer, validity, format) whose
``signatureAlgorithmRef`` and ``subjectPublicKeyRef`` point at the algorithm assets of its signature
and its key; its ``bom-ref`` is ``crypto/certificate/SHA256`` (the SHA-256 of its DER encoding).

Each algorithm carries a ``certificationLevel`` from a :class:`Certification` the caller measured
(:mod:`fipscrypto.cli.certification`): the level of the CMVP certificate of the FIPS provider this
process proved, for an algorithm that provider serves; ``none`` for an algorithm it does not serve,
or when it is not a validated module; ``unknown`` when no provider was proven here or the algorithm
was not asked about. The module's CMVP status is the metadata property ``fipscheck:cmvp``.

Deterministic: the same input gives the same bytes. The ``bom-ref`` of a component is derived from the
asset (``crypto/cipher/aes-256-gcm``, ``crypto/signature/rsa-pss@2048``,
``crypto/protocol/tls/1.0``); components and occurrences are sorted; the two fields CycloneDX 1.6
makes optional but cyclonedx-python-lib always writes are fixed: ``metadata.timestamp`` is the
evaluation date (``--as-of``) at 00:00 UTC, and ``serialNumber`` is a name-based UUID (RFC 9562 §5.5)
of the document without it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cyclonedx.model import Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.bom_ref import BomRef
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.component_evidence import ComponentEvidence, Occurrence
from cyclonedx.model.crypto import (
    AlgorithmProperties,
    CertificateProperties,
    CryptoAssetType,
    CryptoCertificationLevel,
    CryptoMode,
    CryptoPadding,
    CryptoPrimitive,
    CryptoProperties,
    ProtocolProperties,
    ProtocolPropertiesCipherSuite,
    ProtocolPropertiesType,
)
from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion

from fipscrypto.cmvp import CmvpVerdict

if TYPE_CHECKING:
    from .scan.model import Certificate

__all__ = ["Asset", "Certification", "render"]

TOOL = "fipscheck"


@dataclass(frozen=True)
class Certification:
    """What the process that renders a CBOM measured: the CMVP verdict on the FIPS provider it proved
    (None: no provider was proven), and for each algorithm (category, name) it asked that provider
    about, whether the provider serves it with ``fips=yes``."""

    verdict: CmvpVerdict | None
    served: Mapping[tuple[str, str], bool] = field(default_factory=dict)

    def level(self, category: str, name: str) -> CryptoCertificationLevel:
        served = self.served.get((category, name)) if self.verdict is not None else None
        if self.verdict is None or served is None:
            return CryptoCertificationLevel.UNKNOWN
        level = self.verdict.certification_level()
        return CryptoCertificationLevel(level) if served and level else CryptoCertificationLevel.NONE


@dataclass(frozen=True, slots=True)
class Asset:
    """One use of a policy vocabulary item, where it was found and the policy's status for it."""

    category: str
    name: str
    bits: int | None
    target: str  # a file or host:port
    line: int | None
    evidence: str
    status: str  # the verdict's status ("acceptable", "deprecated", ..., "disallowed")
    certificate: Certificate | None = None  # the certificate this key or signature belongs to


# protocol parameter categories -> the protocol family they are negotiated in
_FAMILY = {
    "tls12-suite": "tls",
    "tls13-suite": "tls",
    "tls-group": "tls",
    "tls-sigalg": "tls",
    "esp-transform": "ipsec",
    "ike-transform": "ike",
    "ike-dh-group": "ike",
    "srtp-profile": "srtp",
}
_PROTOCOL_TYPE = {
    "tls": ProtocolPropertiesType.TLS,
    "dtls": ProtocolPropertiesType.DTLS,  # CycloneDX 1.7; written as "other" in 1.6
    "ike": ProtocolPropertiesType.IKE,
    "ipsec": ProtocolPropertiesType.IPSEC,
    "srtp": ProtocolPropertiesType.OTHER,
}
_MODES = {m.value: m for m in CryptoMode if m not in (CryptoMode.OTHER, CryptoMode.UNKNOWN)}
_CATEGORY_PRIMITIVE = {
    "mac": CryptoPrimitive.MAC,
    "kdf": CryptoPrimitive.KDF,
    "password-hash": CryptoPrimitive.KDF,
    "key-wrap": CryptoPrimitive.KEY_WRAP,  # CycloneDX 1.7; written as "other" in 1.6
    "signature": CryptoPrimitive.SIGNATURE,
    "tls-sigalg": CryptoPrimitive.SIGNATURE,
    "ike-dh-group": CryptoPrimitive.KEY_AGREE,
    "tls12-suite": CryptoPrimitive.OTHER,
    "tls13-suite": CryptoPrimitive.OTHER,
}
# curves as CycloneDX recommends naming them (https://neuromancer.sk/std/)
_CURVES = {
    "p224": "P-224",
    "p256": "P-256",
    "p384": "P-384",
    "p521": "P-521",
    "secp224r1": "P-224",
    "secp256r1": "P-256",
    "secp384r1": "P-384",
    "secp521r1": "P-521",
    "secp256k1": "secp256k1",
    "brainpoolp256r1": "brainpoolP256r1",
    "brainpoolp384r1": "brainpoolP384r1",
    "brainpoolp512r1": "brainpoolP512r1",
    "x25519": "Curve25519",
    "x448": "Curve448",
    "ed25519": "Ed25519",
    "ed448": "Ed448",
}


def _protocol(asset: Asset) -> tuple[str, str | None] | None:
    """(family, version) of a protocol version asset, None for anything else."""
    if asset.category == "ike-version":
        return "ike", asset.name.removeprefix("ikev")
    if asset.category != "tls-version":
        return None
    family = "dtls" if asset.name.startswith("dtls") else "tls"
    if asset.name.startswith("ssl"):  # SSL 2.0 and 3.0, TLS's predecessors (RFC 6176, RFC 7568)
        return family, f"{asset.name}.0"
    return family, asset.name.removeprefix(family)


def _algorithm(
    category: str, name: str, bits: int | None, level: CryptoCertificationLevel
) -> AlgorithmProperties:
    """Primitive, mode, padding, parameter set and curve of a vocabulary name, and its certification
    ``level``."""
    low = name.lower()
    tokens = re.split(r"[-_]", low)
    mode = next((_MODES[t] for t in tokens if t in _MODES), None)
    if mode is None and "cm" in tokens:  # SRTP AES_CM: counter mode (RFC 3711 §4.1.1)
        mode = CryptoMode.CTR
    curve = next((_CURVES[t] for t in (*tokens, low) if t in _CURVES), None)
    padding = (
        CryptoPadding.OAEP
        if "oaep" in tokens
        else CryptoPadding.PKCS1V15
        if "pkcs1v15" in tokens or "pkcs1" in tokens
        else None
    )
    primitive = _CATEGORY_PRIMITIVE.get(category)
    parameter: str | None = None
    kem = re.search(r"ml-?kem-?(\d+)", low)
    if kem:
        primitive, parameter = CryptoPrimitive.KEM, kem.group(1)
    elif category == "hash":
        primitive = CryptoPrimitive.XOF if low.startswith("shake") else CryptoPrimitive.HASH
        digits = re.search(r"(\d+)$", low)
        parameter = digits.group(1) if digits and low not in ("md4", "md5", "sha1") else None
    elif category in ("cipher", "esp-transform", "ike-transform", "srtp-profile"):
        if tokens[0] in ("auth", "prf") or "gmac" in tokens:
            primitive = CryptoPrimitive.MAC
        elif mode in (CryptoMode.GCM, CryptoMode.CCM) or "poly1305" in tokens or "aead" in tokens:
            primitive = CryptoPrimitive.AE
        elif "rc4" in tokens or low == "chacha20":
            primitive = CryptoPrimitive.STREAM_CIPHER
        elif "null" in tokens or low in ("esn", "auth_none"):
            primitive = CryptoPrimitive.OTHER
        else:
            primitive = CryptoPrimitive.BLOCK_CIPHER
        size = next((t for t in tokens if t in ("128", "192", "256")), None)
        parameter = size or (str(bits) if bits else None)
    elif category in ("key-agreement", "tls-group"):
        primitive = CryptoPrimitive.PKE if low.startswith("rsa") else CryptoPrimitive.KEY_AGREE
        ffdhe = re.fullmatch(r"ffdhe(\d+)", low)
        parameter = ffdhe.group(1) if ffdhe else str(bits) if bits else None
    elif category in ("signature", "tls-sigalg"):
        pqc = re.fullmatch(r"(?:ml-?dsa-?(\d+))|(?:slh-dsa-(.+))", low)
        parameter = next((g for g in pqc.groups() if g), None) if pqc else str(bits) if bits else None
    elif category == "ike-dh-group":
        parameter = name  # IANA IKEv2 Transform Type 4 number
    elif bits:
        parameter = str(bits)
    return AlgorithmProperties(
        primitive=primitive or CryptoPrimitive.OTHER,
        parameter_set_identifier=parameter,
        curve=curve,
        mode=mode,
        padding=padding,
        certification_levels=[level],
    )


def _item_ref(category: str, name: str, bits: int | None) -> str:
    return f"crypto/{category}/{name}" + (f"@{bits}" if bits else "")


def _ref(asset: Asset) -> str:
    protocol = _protocol(asset)
    if protocol is not None:
        return f"crypto/protocol/{protocol[0]}/{protocol[1]}"
    return _item_ref(asset.category, asset.name, asset.bits)


def _certificates(
    assets: Iterable[Asset], refs: set[str]
) -> dict[str, tuple[CryptoProperties, str, list[Asset]]]:
    """bom-ref -> (properties, name, the uses that carry it) of each certificate among ``assets``; its
    key and signature refer to the algorithm components in ``refs`` they are (a use judged as a
    misuse, e.g. of unknown size, is no component)."""
    found: dict[str, tuple[CryptoProperties, str, list[Asset]]] = {}
    for asset in assets:
        cert = asset.certificate
        if cert is None:
            continue
        ref = f"crypto/certificate/{cert.sha256}"
        if ref not in found:
            key, signature = _item_ref(*cert.key), _item_ref(*cert.signature)
            crypto = CryptoProperties(
                asset_type=CryptoAssetType.CERTIFICATE,
                certificate_properties=CertificateProperties(
                    subject_name=cert.subject,
                    issuer_name=cert.issuer,
                    not_valid_before=cert.not_before,
                    not_valid_after=cert.not_after,
                    signature_algorithm_ref=BomRef(signature) if signature in refs else None,
                    subject_public_key_ref=BomRef(key) if key in refs else None,
                    certificate_format="X.509",
                ),
            )
            found[ref] = (crypto, cert.subject, [])
        found[ref][2].append(asset)
    return found


def _occurrences(ref: str, assets: Iterable[Asset]) -> list[Occurrence]:
    """The places of ``assets``, sorted. Each has a bom-ref ``REF#N`` (N zero-padded, in that order):
    cyclonedx-python-lib orders occurrences by bom-ref, and without one by hash, which varies between
    runs."""
    places = sorted({(a.target, a.line or 0, a.evidence) for a in assets})
    width = len(str(len(places)))
    return [
        Occurrence(
            bom_ref=f"{ref}#{n:0{width}d}",
            location=target,
            line=line or None,
            additional_context=evidence or None,
        )
        for n, (target, line, evidence) in enumerate(places, 1)
    ]


def _component(
    ref: str, assets: list[Asset], crypto: CryptoProperties, label: str, judged: bool
) -> Component:
    """``judged``: the assets are this component's own uses (an unversioned protocol component has the
    places of the parameters found without a version, and no verdict of its own)."""
    statuses = sorted({a.status for a in assets}) if judged else []
    return Component(
        type=ComponentType.CRYPTOGRAPHIC_ASSET,
        name=label,
        bom_ref=ref,
        crypto_properties=crypto,
        evidence=ComponentEvidence(occurrences=_occurrences(ref, assets)),
        properties=[Property(name="fipscheck:status", value=s) for s in statuses],
    )


def render(
    assets: Iterable[Asset], *, certification: Certification, policy: str, as_of: dt.date, tool_version: str
) -> str:
    """The CBOM of ``assets`` as CycloneDX 1.6 JSON, with the certification levels of ``certification``."""
    assets = list(assets)
    by_ref: dict[str, list[Asset]] = {}
    for asset in assets:
        by_ref.setdefault(_ref(asset), []).append(asset)
    # per target: the protocol components found there, and the parameters negotiated in each family
    protocols: dict[tuple[str, str], set[str]] = {}
    parameters: dict[tuple[str, str], set[str]] = {}
    for ref, group in by_ref.items():
        for asset in group:
            protocol = _protocol(asset)
            if protocol is not None:
                family = "tls" if protocol[0] == "dtls" else protocol[0]
                protocols.setdefault((asset.target, family), set()).add(ref)
            elif asset.category in _FAMILY:
                parameters.setdefault((asset.target, _FAMILY[asset.category]), set()).add(ref)
    unversioned: dict[str, list[Asset]] = {}  # family -> places where its parameters were found
    for (target, family), refs in parameters.items():
        if (target, family) not in protocols:
            ref = f"crypto/protocol/{family}"
            protocols[(target, family)] = {ref}
            unversioned.setdefault(ref, []).extend(a for r in refs for a in by_ref[r] if a.target == target)
    linked: dict[str, set[str]] = {}
    for key, refs in protocols.items():
        for ref in refs:
            linked.setdefault(ref, set()).update(parameters.get(key, ()))

    bom = Bom()
    bom.metadata.timestamp = dt.datetime.combine(as_of, dt.time(), tzinfo=dt.UTC)
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name=TOOL, version=tool_version)
    )
    bom.metadata.properties.add(Property(name="fipscheck:policy", value=policy))
    bom.metadata.properties.add(Property(name="fipscheck:as-of", value=as_of.isoformat()))
    verdict = certification.verdict
    cmvp = (
        f"{verdict.status}: {verdict.note}"
        if verdict
        else "not measured: no FIPS provider proven in this process"
    )
    bom.metadata.properties.add(Property(name="fipscheck:cmvp", value=cmvp))
    for ref, group in sorted({**by_ref, **unversioned}.items()):
        first = group[0]
        protocol = _protocol(first) if ref in by_ref else (ref.rsplit("/", 1)[1], None)
        if protocol is None:
            crypto = CryptoProperties(
                asset_type=CryptoAssetType.ALGORITHM,
                algorithm_properties=_algorithm(
                    first.category, first.name, first.bits, certification.level(first.category, first.name)
                ),
            )
            label = first.name + (f"-{first.bits}" if first.bits else "")
        else:
            family, version = protocol
            members = sorted(linked.get(ref, ()))
            suites = [
                r.rsplit("/", 1)[1] for r in members if r.split("/")[1] in ("tls12-suite", "tls13-suite")
            ]
            crypto = CryptoProperties(
                asset_type=CryptoAssetType.PROTOCOL,
                protocol_properties=ProtocolProperties(
                    type=_PROTOCOL_TYPE[family],
                    version=version,
                    cipher_suites=[ProtocolPropertiesCipherSuite(name=s) for s in suites],
                    crypto_refs=[BomRef(r) for r in members],
                ),
            )
            label = family + (f" {version}" if version else "")
        bom.components.add(_component(ref, group, crypto, label, ref in by_ref))
    for ref, (crypto, label, group) in sorted(_certificates(assets, set(by_ref)).items()):
        bom.components.add(_component(ref, group, crypto, label, False))
    bom.serial_number = uuid.UUID(int=0)
    draft = make_outputter(bom, OutputFormat.JSON, SchemaVersion.V1_6).output_as_string(indent=2)
    bom.serial_number = uuid.uuid5(uuid.NAMESPACE_URL, f"{TOOL}:cbom:{draft}")
    return make_outputter(bom, OutputFormat.JSON, SchemaVersion.V1_6).output_as_string(indent=2) + "\n"
