"""IKEv2 transform selection: what this endpoint offers and what it accepts, asked of the policy.

An SA payload proposal is reduced to what the key schedule needs (RFC 7296 §3.3): a list of
:class:`Transform` (type, Transform ID, Key Length attribute). The initiator offers every transform
the policy lets it use, in :data:`PREFERENCE` order; the responder picks, per transform type, the
first offered one the policy lets it use (RFC 7296 §2.7: "the responder MUST choose a single
suite"). Each choice passes :func:`fipscrypto.enforce.require` (service ``ipsec.ikev2``): categories
``ike-transform`` for the IKE SA's ENCR, PRF and INTEG, ``esp-transform`` for a Child SA's, and
``ike-dh-group`` (the Transform ID as name) for every key exchange method.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import _params
from ..enforce import require
from ..errors import FeatureDisabled, FipsError, InvalidParameter, PolicyViolation
from .iana import ENCRYPTION, INTEGRITY, KEY_EXCHANGE, PRF, Encryption, Integrity, Prf, TransformType

__all__ = [
    "PREFERENCE",
    "SERVICE",
    "ChildSuite",
    "IkeSuite",
    "Transform",
    "authorize_child",
    "authorize_ike",
    "child_offer",
    "child_select",
    "ike_offer",
    "ike_select",
    "pqc",
]

SERVICE = "ipsec.ikev2"
_ADDKE = tuple(TransformType(t) for t in range(TransformType.ADDKE1, TransformType.ADDKE7 + 1))

# The order this endpoint prefers, most preferred first (the policy removes what it refuses).
# AES-256-GCM and MODP-4096 first: the conferencing nodes' suite; ML-KEM only as an additional key
# exchange (RFC 9370), offered when fipscrypto.pqc is on.
PREFERENCE: dict[TransformType, tuple[tuple[str | int, int | None], ...]] = {
    TransformType.ENCR: (
        ("ENCR_AES_GCM_16", 256),
        ("ENCR_AES_GCM_16", 128),
        ("ENCR_AES_CBC", 256),
        ("ENCR_AES_CBC", 128),
    ),
    TransformType.PRF: (
        ("PRF_HMAC_SHA2_384", None),
        ("PRF_HMAC_SHA2_512", None),
        ("PRF_HMAC_SHA2_256", None),
    ),
    TransformType.INTEG: (
        ("AUTH_HMAC_SHA2_384_192", None),
        ("AUTH_HMAC_SHA2_512_256", None),
        ("AUTH_HMAC_SHA2_256_128", None),
    ),
    TransformType.KE: tuple((group, None) for group in (16, 20, 21, 19, 15, 17, 18, 14)),
    TransformType.ADDKE1: tuple((method, None) for method in (36, 37)),
}
_NAMES: dict[TransformType, Mapping[str, Encryption | Prf | Integrity]] = {
    TransformType.ENCR: ENCRYPTION,
    TransformType.PRF: PRF,
    TransformType.INTEG: INTEGRITY,
}


@dataclass(frozen=True, slots=True)
class Transform:
    """One transform of a proposal: its type, Transform ID and Key Length attribute (ENCR only)."""

    type: TransformType
    id: int
    key_bits: int | None = None

    @classmethod
    def of(cls, kind: TransformType, name: str | int, key_bits: int | None = None) -> Transform:
        """The transform named ``name`` (an IANA name, or a key exchange method's number)."""
        if isinstance(name, int):
            return cls(kind, name, key_bits)
        return cls(kind, _NAMES[kind][name].id, key_bits)

    @property
    def name(self) -> str:
        """The IANA name (key exchange methods: their number, as the policy names them)."""
        table = _NAMES.get(self.type)
        if table is None:
            return str(self.id)
        return next((name for name, item in table.items() if item.id == self.id), str(self.id))


def _encryption(name: object, key_bits: object, *, ike: bool) -> None:
    info = ENCRYPTION.get(_params.name("encryption", name))
    if info is None or (ike and info.ike_salt is None):
        where = "the IKE SA" if ike else "a Child SA"
        raise InvalidParameter(f"encryption {name!r:.40} is not an encryption transform for {where}")
    if key_bits not in info.key_bits:
        raise InvalidParameter(f"{name} takes key_bits of {info.key_bits}, not {key_bits!r:.20}")


def _integrity(name: object, encryption: str) -> None:
    aead = ENCRYPTION[encryption].aead
    if name is None:
        if not aead:
            # RFC 7296 §3.3: a non-AEAD encryption transform needs an integrity transform.
            raise InvalidParameter(f"{encryption} needs an integrity transform (RFC 7296 §3.3)")
        return
    if _params.name("integrity", name) not in INTEGRITY:
        raise InvalidParameter(f"unknown integrity transform {name!r:.40}")
    if aead:
        # RFC 5282 §8 (IKE) and RFC 4106 §8.3 / RFC 4543 §5 (ESP): an AEAD transform takes no INTEG.
        raise InvalidParameter(f"{encryption} is combined mode: it takes no integrity transform")


def _methods(ke: object, additional: object, *, optional: bool) -> tuple[int, ...]:
    if not (optional and ke is None) and (type(ke) is not int or ke not in KEY_EXCHANGE):
        raise InvalidParameter(f"ke is a key exchange method: one of {sorted(KEY_EXCHANGE)}, not {ke!r:.20}")
    if not isinstance(additional, tuple) or not all(type(m) is int for m in additional):
        raise InvalidParameter("additional is a tuple of key exchange method numbers")
    if len(additional) > len(_ADDKE):
        raise InvalidParameter("at most 7 additional key exchanges (RFC 9370 §2.1: ADDKE1..ADDKE7)")
    if additional and ke is None:
        raise InvalidParameter("additional key exchanges need a key exchange (RFC 9370 §2.2.4)")
    for method in additional:
        if method not in KEY_EXCHANGE:
            raise InvalidParameter(f"unknown additional key exchange method {method}")
    return additional


@dataclass(frozen=True, slots=True)
class IkeSuite:
    """The transforms of an IKE SA (RFC 7296 §3.3.3: ENCR, PRF, INTEG for non-AEAD, KE) and the
    RFC 9370 additional key exchanges, in ADDKE order. The default: AES-256-GCM-16, HMAC-SHA-384,
    MODP-4096 (group 16)."""

    encryption: str = "ENCR_AES_GCM_16"
    key_bits: int = 256
    prf: str = "PRF_HMAC_SHA2_384"
    integrity: str | None = None
    ke: int = 16
    additional: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        _encryption(self.encryption, self.key_bits, ike=True)
        if _params.name("prf", self.prf) not in PRF:
            raise InvalidParameter(f"unknown prf {self.prf!r:.40} (one of {', '.join(PRF)})")
        _integrity(self.integrity, self.encryption)
        _methods(self.ke, self.additional, optional=False)

    @property
    def digest(self) -> str:
        return PRF[self.prf].digest


@dataclass(frozen=True, slots=True)
class ChildSuite:
    """The transforms of a Child SA (ESP; RFC 7296 §3.3.3): ENCR, INTEG for non-AEAD, ESN, and for
    perfect forward secrecy a KE method with RFC 9370 additional ones. The default: AES-256-GCM-16,
    no PFS."""

    encryption: str = "ENCR_AES_GCM_16"
    key_bits: int = 256
    integrity: str | None = None
    ke: int | None = None
    additional: tuple[int, ...] = ()
    esn: bool = False

    def __post_init__(self) -> None:
        _encryption(self.encryption, self.key_bits, ike=False)
        _integrity(self.integrity, self.encryption)
        _methods(self.ke, self.additional, optional=True)
        if type(self.esn) is not bool:
            raise InvalidParameter("esn is a bool")


def _ask(category: str, name: str, bits: int | None = None) -> bool:
    return require(SERVICE, category, name, bits=bits)


def _ke_methods(ke: int | None, additional: tuple[int, ...]) -> bool:
    approved = True
    for method in (() if ke is None else (ke,)) + additional:
        approved = _ask("ike-dh-group", str(method)) and approved
        if KEY_EXCHANGE[method].kind == "ml-kem" and not _pqc_on():
            raise FeatureDisabled(
                f"{SERVICE}: {KEY_EXCHANGE[method].name} (key exchange method {method}) runs on "
                "fipscrypto.pqc, which is off: turn it on with FIPSCRYPTO_PQC=1 or "
                "fipscrypto.activate(pqc=True) (see docs/pqc.md)"
            )
    return approved


def authorize_ike(suite: IkeSuite) -> bool:
    """The policy's verdict on every transform of an IKE SA (PolicyViolation in strict mode)."""
    approved = _ask("ike-version", "ikev2")
    approved = _ask("ike-transform", suite.encryption, suite.key_bits) and approved
    approved = _ask("ike-transform", suite.prf) and approved
    if suite.integrity is not None:
        approved = _ask("ike-transform", suite.integrity) and approved
    return _ke_methods(suite.ke, suite.additional) and approved


def authorize_child(suite: ChildSuite) -> bool:
    """The policy's verdict on every transform of a Child SA (PolicyViolation in strict mode)."""
    approved = _ask("esp-transform", suite.encryption, suite.key_bits)
    if suite.integrity is not None:
        approved = _ask("esp-transform", suite.integrity) and approved
    if suite.esn:
        approved = _ask("esp-transform", "ESN") and approved
    return _ke_methods(suite.ke, suite.additional) and approved


def pqc() -> Any:
    """fipscrypto.pqc, imported when first asked (importing it imports no backend)."""
    # mypy checks the package under its folder name (pqc/): here it is an untyped module.
    from .. import pqc as module  # type: ignore[attr-defined]

    return module


def _pqc_on() -> bool:
    return bool(pqc().enabled())


def _category(kind: TransformType, child: bool) -> str:
    if kind in (TransformType.KE, *_ADDKE):
        return "ike-dh-group"
    return "esp-transform" if child else "ike-transform"


def _usable(item: Transform, child: bool) -> bool:
    """True when the policy lets this endpoint use ``item`` (strict mode: refusals are False)."""
    bits = item.key_bits if item.type is TransformType.ENCR else None
    try:
        _ask(_category(item.type, child), item.name, bits)
    except PolicyViolation:
        return False
    return True


def _offer(kinds: Sequence[TransformType], child: bool) -> tuple[Transform, ...]:
    offered: list[Transform] = []
    for kind in kinds:
        if kind is TransformType.ADDKE1 and not _pqc_on():
            continue  # ML-KEM runs on fipscrypto.pqc, which is off unless turned on
        encryption = [t for t in offered if t.type is TransformType.ENCR]
        if kind is TransformType.INTEG and all(ENCRYPTION[t.name].aead for t in encryption):
            continue  # RFC 7296 §3.3: integrity transforms only go with a non-AEAD encryption
        for name, bits in PREFERENCE[kind]:
            item = Transform.of(kind, name, bits)
            if _usable(item, child):
                offered.append(item)
    return tuple(offered)


def ike_offer(*, additional: bool = True) -> tuple[Transform, ...]:
    """The initiator's IKE SA proposal: every transform of :data:`PREFERENCE` the policy allows, with
    ML-KEM as ADDKE1 when fipscrypto.pqc is on and ``additional``."""
    kinds = [TransformType.ENCR, TransformType.PRF, TransformType.INTEG, TransformType.KE]
    return _offer(kinds + ([TransformType.ADDKE1] if additional else []), child=False)


def child_offer(*, pfs: bool = False, additional: bool = False) -> tuple[Transform, ...]:
    """The initiator's Child SA (ESP) proposal; with ``pfs`` a KE method (and with ``additional``,
    ML-KEM as ADDKE1 when fipscrypto.pqc is on) for a CREATE_CHILD_SA exchange (RFC 7296 §1.3.1)."""
    kinds = [TransformType.ENCR, TransformType.INTEG]
    kinds += [TransformType.KE] if pfs else []
    kinds += [TransformType.ADDKE1] if pfs and additional else []
    return _offer(kinds, child=True)


def _transforms(offered: Iterable[Transform]) -> dict[TransformType, list[Transform]]:
    if isinstance(offered, Transform) or not isinstance(offered, Iterable):
        raise InvalidParameter("offered is a sequence of Transform")
    by_type: dict[TransformType, list[Transform]] = {}
    for item in offered:
        if type(item) is not Transform:
            raise InvalidParameter(f"offered holds Transform objects, not {type(item).__name__}")
        by_type.setdefault(item.type, []).append(item)
    return by_type


def _supported(item: Transform) -> bool:
    """A transform fipscrypto implements, with a key size its cipher has (RFC 7296 §3.3.5: AES
    transforms carry the Key Length attribute)."""
    if item.type is TransformType.ENCR:
        return any(t.id == item.id and item.key_bits in t.key_bits for t in ENCRYPTION.values())
    table = _NAMES.get(item.type)
    if table is not None:
        return any(t.id == item.id for t in table.values())
    method = KEY_EXCHANGE.get(item.id)
    return method is not None and (method.kind != "ml-kem" or _pqc_on())


def _pick(by_type: dict[TransformType, list[Transform]], kind: TransformType, child: bool) -> Transform:
    """The first offered transform of ``kind`` that this endpoint supports and the policy allows."""
    refusals: list[FipsError] = []
    for item in by_type.get(kind, []):
        if kind in _ADDKE and item.id == 0:
            return item  # RFC 9370 §2.2.1: "NONE" makes this additional key exchange optional
        if not _supported(item):
            continue
        bits = item.key_bits if kind is TransformType.ENCR else None
        try:
            _ask(_category(kind, child), item.name, bits)
        except PolicyViolation as refused:
            refusals.append(refused)
            continue
        return item
    if refusals:
        for other in refusals[1:]:
            refusals[0].add_note(f"also refused: {other}")
        raise refusals[0]
    # RFC 7296 §3.10.1: NO_PROPOSAL_CHOSEN
    raise InvalidParameter(f"no acceptable {kind.name} transform offered (NO_PROPOSAL_CHOSEN)")


def _additional(by_type: dict[TransformType, list[Transform]], child: bool) -> tuple[int, ...]:
    picked = (_pick(by_type, kind, child).id for kind in _ADDKE if kind in by_type)
    return tuple(method for method in picked if method != 0)


def ike_select(offered: Iterable[Transform]) -> IkeSuite:
    """The responder's choice from an IKE SA proposal: per type the first usable transform."""
    by_type = _transforms(offered)
    encryption = _pick(by_type, TransformType.ENCR, False)
    name = encryption.name
    integrity = None if ENCRYPTION[name].aead else _pick(by_type, TransformType.INTEG, False).name
    return IkeSuite(
        encryption=name,
        key_bits=encryption.key_bits or 0,
        prf=_pick(by_type, TransformType.PRF, False).name,
        integrity=integrity,
        ke=_pick(by_type, TransformType.KE, False).id,
        additional=_additional(by_type, False),
    )


def child_select(offered: Iterable[Transform]) -> ChildSuite:
    """The responder's choice from a Child SA proposal (with KE: PFS; ADDKE: RFC 9370)."""
    by_type = _transforms(offered)
    encryption = _pick(by_type, TransformType.ENCR, True)
    name = encryption.name
    integrity = None if ENCRYPTION[name].aead else _pick(by_type, TransformType.INTEG, True).name
    ke = _pick(by_type, TransformType.KE, True).id if TransformType.KE in by_type else None
    return ChildSuite(
        encryption=name,
        key_bits=encryption.key_bits or 0,
        integrity=integrity,
        ke=ke,
        additional=_additional(by_type, True),
    )
