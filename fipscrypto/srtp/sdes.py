"""SDES: SRTP master keys in SDP ``a=crypto`` attributes (RFC 4568), parsed, produced, offered, answered.

    mine = sdes.offer()                         # one attribute per profile the policy allows, fresh keys
    lines = [a.to_sdp() for a in mine]          # a=crypto:1 AEAD_AES_256_GCM inline:...
    ours = sdes.answer(peer_lines)              # answerer: the first acceptable offer, its tag, a fresh key
    mine_used, theirs = sdes.accept(mine, answer_line)   # offerer, on the answer

Grammar (RFC 4568 §9.1)::

    a=crypto:<tag> 1*WSP <crypto-suite> 1*WSP <key-params> *(1*WSP <session-param>)
    key-params = key-param *(";" key-param)
    key-param  = "inline:" <base64 of key||salt> ["|" lifetime] ["|" mki-value ":" mki-length]

Parsing is strict and bounded: at most :data:`MAX_LINE` characters (refused before anything is
split or decoded), ASCII, names as registered (upper-case suites and parameters, ``inline``), base64
in its canonical form. A malformed attribute raises :class:`~fipscrypto.errors.ParseError` whose
message starts with ``a=crypto <field>:`` (``attribute``, ``tag``, ``crypto-suite``, ``key-params``,
``key-method``, ``key-info``, ``key-salt``, ``lifetime``, ``mki``, ``KDR``, ``WSH``, ``FEC_ORDER``,
``FEC_KEY``, ``session-param``); messages never quote key material. A well-formed suite that is not a
:class:`~fipscrypto.srtp.profiles.Profile` (F8, NULL, SEED, ARIA, ...) raises
:class:`~fipscrypto.errors.AlgorithmUnavailable`; :func:`answer` skips such an attribute. The session
parameters that weaken protection (``UNENCRYPTED_SRTP``, ``UNENCRYPTED_SRTCP``,
``UNAUTHENTICATED_SRTP``) raise :class:`~fipscrypto.errors.PolicyViolation` in every mode: fipscrypto
never runs SRTP without encryption or authentication.

Which profiles are offered, answered and accepted is the policy's decision (category ``srtp-profile``,
asked through :func:`fipscrypto.enforce.require`, service ``srtp.sdes``); parsing alone decides
nothing. Keys and salts come from :func:`fipscrypto.rand.random_bytes` (the provider's CTR_DRBG); each
generated key is audited (``key-generated``: suite and size, never the key) and recorded on the
indicator. Key material appears in :meth:`CryptoAttribute.to_sdp` only, never in ``repr()``.

:meth:`CryptoAttribute.to_sdp` writes the canonical form: single spaces, no leading zeros, a lifetime
that is a power of two as ``2^n``, session parameters in the order KDR, FEC_ORDER, FEC_KEY, WSH, then
the optional extensions; a canonical line round-trips byte for byte.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import itertools
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .. import audit
from .._service import record
from ..enforce import require
from ..errors import AlgorithmUnavailable, FipsError, InvalidParameter, ParseError, PolicyViolation
from ..rand import random_bytes
from .profiles import Profile

if TYPE_CHECKING:
    from ..policy import Policy

__all__ = ["MAX_KEYS", "MAX_LINE", "MAX_OFFER", "PREFERENCE", "CryptoAttribute", "InlineKey", "accept",
           "answer", "offer"]  # fmt: skip

MAX_LINE = 8192  # characters in one attribute (a bound of this implementation, checked first)
MAX_KEYS = 16  # key-params in one attribute (libsrtp holds at most 16 master keys per stream)
MAX_OFFER = 64  # crypto attributes in one offer
_MAX_TAG = 999_999_999  # RFC 4568 §9.1: tag = 1*9DIGIT
_MAX_LIFETIME = 1 << 48  # RFC 3711 §9.2: at most 2^48 SRTP packets under one master key
_MAX_MKI_LENGTH = 128  # RFC 4568 §9.2: mki-length, range 1..128 (bytes)
_MAX_KDR = 24  # RFC 4568 §6.3.1: KDR=n, n in 0..24, the key derivation rate is 2^n
_MIN_WSH = 64  # RFC 4568 §6.3.6: the window size hint is at least 64
_FEC_ORDERS = ("FEC_SRTP", "SRTP_FEC")  # RFC 4568 §6.3.4
_SESSION_FIELDS = {"KDR": "kdr", "WSH": "wsh", "FEC_ORDER": "fec_order", "FEC_KEY": "fec_keys"}
# RFC 4568 §6.3.2 and §6.3.3: SRTP or SRTCP without encryption, SRTP without authentication.
_WEAKENING = {
    "UNENCRYPTED_SRTP": "SRTP without encryption",
    "UNENCRYPTED_SRTCP": "SRTCP without encryption",
    "UNAUTHENTICATED_SRTP": "SRTP without authentication",
}

# The offer's order: AEAD first (no SHA-1), larger keys first, the 80-bit tags before the 32-bit ones.
PREFERENCE = (
    Profile.AEAD_AES_256_GCM,
    Profile.AEAD_AES_128_GCM,
    Profile.AES_256_CM_HMAC_SHA1_80,
    Profile.AES_CM_128_HMAC_SHA1_80,
    Profile.AES_192_CM_HMAC_SHA1_80,
    Profile.AES_256_CM_HMAC_SHA1_32,
    Profile.AES_CM_128_HMAC_SHA1_32,
    Profile.AES_192_CM_HMAC_SHA1_32,
)

_SERVICE = "srtp.sdes"
_PREFIX = "a=crypto:"
_WSP = re.compile(r"[ \t]+")  # RFC 4568 §9.1: fields are separated by 1*WSP
_TAG = re.compile(r"[0-9]{1,9}")
_NAME = re.compile(r"[A-Za-z0-9_]+")  # crypto-suite and key-method-ext: 1*(ALPHA / DIGIT / "_")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_LIFETIME = re.compile(r"2\^([0-9]{1,2})|([0-9]{1,15})")  # lifetime = ["2^"] 1*(DIGIT), within 2^48
_MKI = re.compile(r"([0-9]{1,309}):([0-9]{1,3})")  # 309 digits: the largest 128-byte value
_KDR = re.compile(r"[0-9]{1,2}")  # kdr = "KDR=" 1*2(DIGIT)
_WSH = re.compile(r"[0-9]{2,10}")  # wsh = "WSH=" 2*DIGIT
_VCHAR = re.compile(r"[\x21-\x7e]+")
_EXTENSION = re.compile(r"-[\x21-\x7e]+")  # srtp-session-extension = ["-"] 1*(VCHAR)


def _bad(field: str, reason: str) -> ParseError:
    return ParseError(f"a=crypto {field}: {reason}")


def _count(field: str, value: object, low: int, high: int, rule: str) -> int:
    """``value`` when it is an int of ``low..high``: InvalidParameter for another type, ParseError
    naming ``field`` for an int out of range."""
    if type(value) is not int:
        raise InvalidParameter(f"{field} is an int, not {type(value).__name__}")
    if not low <= value <= high:
        shown = str(value) if value.bit_length() <= 64 else f"a {value.bit_length()}-bit number"
        raise _bad(field, f"{shown} is outside {low}..{high} ({rule})")
    return value


def _mki(value: object) -> tuple[int, int] | None:
    """An MKI as ``(value, length in bytes)``: the value must fit in the length (RFC 3711 §3.1)."""
    if value is None:
        return None
    if type(value) is not tuple or len(value) != 2:
        raise InvalidParameter("an MKI is a tuple (value, length in bytes)")
    length = _count("mki", value[1], 1, _MAX_MKI_LENGTH, "RFC 4568 §9.1: mki-length is 1..128")
    number = _count("mki", value[0], 0, (1 << 8 * length) - 1, f"a {length}-byte MKI")
    return number, length


def _lifetime(value: object) -> int | None:
    if value is None:
        return None
    return _count("lifetime", value, 1, _MAX_LIFETIME, "RFC 3711 §9.2: at most 2^48 packets")


@dataclasses.dataclass(frozen=True, slots=True)
class InlineKey:
    """One key-param (RFC 4568 §6.1): a master key and salt, the key's lifetime in packets (None: the
    SRTP maximum) and its MKI as ``(value, length in bytes)``. The key and salt are not in repr()."""

    key: bytes = dataclasses.field(repr=False)
    salt: bytes = dataclasses.field(repr=False)
    lifetime: int | None = None
    mki: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        for name in ("key", "salt"):
            value = getattr(self, name)
            if not isinstance(value, bytes | bytearray | memoryview):
                raise InvalidParameter(f"{name} must be bytes, not {type(value).__name__}")
            object.__setattr__(self, name, bytes(value))
        object.__setattr__(self, "lifetime", _lifetime(self.lifetime))
        object.__setattr__(self, "mki", _mki(self.mki))

    @property
    def mki_bytes(self) -> bytes | None:
        """The MKI as SRTP packets carry it (RFC 3711 §3.1): the value, big-endian, in its length."""
        return None if self.mki is None else self.mki[0].to_bytes(self.mki[1], "big")

    def _sdp(self) -> str:
        text = "inline:" + base64.b64encode(self.key + self.salt).decode("ascii")
        if self.lifetime is not None:
            power = self.lifetime.bit_length() - 1
            text += f"|2^{power}" if self.lifetime == 1 << power else f"|{self.lifetime}"
        if self.mki is not None:
            text += f"|{self.mki[0]}:{self.mki[1]}"
        return text


def _check_keys(field: str, profile: Profile, keys: object) -> tuple[InlineKey, ...]:
    """Key-params for ``profile``: key and salt lengths (RFC 4568 §6.1), and with several keys, an MKI
    on each, all of one length and all different (RFC 3711 §3.1: the MKI selects the master key)."""
    if type(keys) is not tuple or not all(type(k) is InlineKey for k in keys):
        raise InvalidParameter(f"{field} is a tuple of InlineKey")
    if not 1 <= len(keys) <= MAX_KEYS:
        raise _bad(field, f"{len(keys)} keys; 1..{MAX_KEYS} are accepted")
    for found in keys:
        if (len(found.key), len(found.salt)) != (profile.key_length, profile.salt_length):
            raise _bad("key-salt", f"{profile.name} takes a {profile.key_length}-byte key and a "
                       f"{profile.salt_length}-byte salt (RFC 4568 §6.1)")  # fmt: skip
    if len(keys) > 1:
        mkis = [k.mki for k in keys]
        if None in mkis or len({m[1] for m in mkis if m}) != 1 or len(set(mkis)) != len(keys):
            raise _bad("mki", "several keys need an MKI each, of one length and all different")
    return keys


@dataclasses.dataclass(frozen=True, slots=True)
class CryptoAttribute:
    """One ``a=crypto`` attribute (RFC 4568 §4): ``tag``, ``profile`` (the crypto-suite), ``keys`` (one
    or more :class:`InlineKey`; ``key``, ``salt``, ``lifetime``, ``mki`` are the first one's), and
    the session parameters ``kdr`` (RFC 4568 §6.3.1), ``wsh`` (§6.3.6), ``fec_order`` (§6.3.4),
    ``fec_keys`` (§6.3.5) and ``extensions`` (optional ``-`` parameters, kept and otherwise ignored).
    Constructed values are checked as parsed ones are."""

    tag: int
    profile: Profile
    keys: tuple[InlineKey, ...]
    kdr: int | None = None
    wsh: int | None = None
    fec_order: str | None = None
    fec_keys: tuple[InlineKey, ...] = ()
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _count("tag", self.tag, 0, _MAX_TAG, "RFC 4568 §9.1: tag = 1*9DIGIT")
        if type(self.profile) is not Profile:
            raise InvalidParameter(f"profile is a Profile, not {type(self.profile).__name__}")
        _check_keys("key-params", self.profile, self.keys)
        if self.kdr is not None:
            _count("KDR", self.kdr, 0, _MAX_KDR, "RFC 4568 §6.3.1")
        if self.wsh is not None:
            _count("WSH", self.wsh, _MIN_WSH, 10**10 - 1, "RFC 4568 §6.3.6: at least 64")
        if self.fec_order is not None and self.fec_order not in _FEC_ORDERS:
            raise _bad("FEC_ORDER", f"{self.fec_order!r:.40} is not FEC_SRTP or SRTP_FEC (RFC 4568 §6.3.4)")
        if self.fec_keys != ():
            _check_keys("FEC_KEY", self.profile, self.fec_keys)
        if type(self.extensions) is not tuple or not all(
            type(e) is str and _EXTENSION.fullmatch(e) for e in self.extensions
        ):
            raise _bad("session-param", "extensions are optional parameters: '-' and visible characters")

    @property
    def key(self) -> bytes:
        """The (first) master key."""
        return self.keys[0].key

    @property
    def salt(self) -> bytes:
        """The (first) master salt."""
        return self.keys[0].salt

    @property
    def lifetime(self) -> int | None:
        return self.keys[0].lifetime

    @property
    def mki(self) -> tuple[int, int] | None:
        return self.keys[0].mki

    @property
    def mki_bytes(self) -> bytes | None:
        return self.keys[0].mki_bytes

    @property
    def key_derivation_rate(self) -> int:
        """The SRTP key_derivation_rate (RFC 3711 §4.3.1): 2^KDR, or 0 (one derivation) without KDR."""
        return 0 if self.kdr is None else 1 << self.kdr

    def to_sdp(self) -> str:
        """The attribute line, ``a=crypto:...`` without a line ending, in the canonical form."""
        params = [] if self.kdr is None else [f"KDR={self.kdr}"]
        if self.fec_order is not None:
            params.append(f"FEC_ORDER={self.fec_order}")
        if self.fec_keys:
            params.append("FEC_KEY=" + ";".join(k._sdp() for k in self.fec_keys))
        if self.wsh is not None:
            params.append(f"WSH={self.wsh}")
        keys = ";".join(k._sdp() for k in self.keys)
        return " ".join([f"{_PREFIX}{self.tag}", self.profile.name, keys, *params, *self.extensions])

    @classmethod
    def parse(cls, line: str) -> CryptoAttribute:
        """An attribute from its SDP line (``a=crypto:...``, with or without the ``a=crypto:`` prefix
        and one trailing CRLF or LF)."""
        if type(line) is not str:
            raise InvalidParameter(f"an a=crypto line is a str, not {type(line).__name__}")
        if len(line) > MAX_LINE:
            raise _bad("attribute", f"longer than {MAX_LINE} characters")
        if not line.isascii():
            raise _bad("attribute", "not ASCII (RFC 4568 §9.1)")
        text = line[:-2] if line.endswith("\r\n") else line.removesuffix("\n")
        fields = _WSP.split(text.removeprefix(_PREFIX))
        if len(fields) < 3:
            raise _bad(("tag", "crypto-suite", "key-params")[len(fields)], "missing")
        if not _TAG.fullmatch(fields[0]):
            raise _bad("tag", f"{fields[0]!r:.40} is not 1 to 9 digits (RFC 4568 §9.1)")
        if not _NAME.fullmatch(fields[1]):
            raise _bad("crypto-suite", f"{fields[1]!r:.60} is not a suite name (RFC 4568 §9.1)")
        profile = Profile.__members__.get(fields[1])
        if profile is None:
            raise AlgorithmUnavailable(
                f"crypto-suite {fields[1]:.60} is not offered by fipscrypto: use one of "
                + ", ".join(p.name for p in PREFERENCE)
            )
        keys = _parse_keys("key-params", fields[2], profile)
        return cls(int(fields[0]), profile, keys, **_session_params(fields[3:], profile))


def _parse_keys(field: str, text: str, profile: Profile) -> tuple[InlineKey, ...]:
    params = text.split(";", MAX_KEYS)  # at most MAX_KEYS + 1 parts, whatever the text
    if len(params) > MAX_KEYS:
        raise _bad(field, f"more than {MAX_KEYS} keys")
    return tuple(_parse_key(p, profile) for p in params)  # CryptoAttribute checks them as a whole


def _parse_key(text: str, profile: Profile) -> InlineKey:
    """key-param = key-method ":" key-info; SRTP's key-info = key-salt ["|" lifetime] ["|" mki]."""
    method, colon, info = text.partition(":")
    if not colon or not _NAME.fullmatch(method):
        raise _bad("key-method", "a key-param is key-method:key-info (RFC 4568 §9.1)")
    if method != "inline":
        raise _bad("key-method", f"{method!r:.40}: SRTP keys are given inline (RFC 4568 §6.1)")
    salted, *rest = info.split("|", 3)
    if len(rest) > 2:
        raise _bad("key-info", "more than key-salt|lifetime|mki (RFC 4568 §9.1)")
    lifetime: str | None = None
    mki: str | None = None
    if len(rest) == 2:
        lifetime, mki = rest
    elif rest and ":" in rest[0]:  # one optional part: an MKI has a colon, a lifetime none
        mki = rest[0]
    elif rest:
        lifetime = rest[0]
    total = profile.key_length + profile.salt_length
    # Length first: nothing longer than the profile's key||salt is decoded.
    if len(salted) != 4 * -(-total // 3):
        raise _bad("key-salt", f"{profile.name} takes {total} bytes of key||salt in base64 (RFC 4568 §6.1)")
    raw = _base64(salted)
    if raw is None:
        raise _bad("key-salt", "not base64 in its canonical form (RFC 4648 §4)")
    if len(raw) != total:
        raise _bad("key-salt", f"{profile.name} takes {total} bytes of key||salt (RFC 4568 §6.1)")
    return InlineKey(raw[: profile.key_length], raw[profile.key_length :], _parse_lifetime(lifetime),
                     _parse_mki(mki))  # fmt: skip


def _base64(text: str) -> bytes | None:
    """The bytes ``text`` encodes in base64 with padding (RFC 4648 §4), or None; only the canonical
    encoding of the bytes is accepted (no stray bits), so that the line round-trips."""
    if not _BASE64.fullmatch(text):
        return None
    try:
        raw = binascii.a2b_base64(text, strict_mode=True)
    except binascii.Error:
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None


def _parse_lifetime(text: str | None) -> int | None:
    if text is None:
        return None
    found = _LIFETIME.fullmatch(text)
    if found is None:
        raise _bad("lifetime", f"{text!r:.40} is not a decimal or 2^n (RFC 4568 §6.1)")
    power, decimal = found.groups()
    return 1 << int(power) if power is not None else int(decimal)


def _parse_mki(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    found = _MKI.fullmatch(text)
    if found is None:
        raise _bad("mki", f"{text!r:.40} is not mki-value:mki-length (RFC 4568 §9.1)")
    return int(found[1]), int(found[2])


def _session_params(tokens: Sequence[str], profile: Profile) -> dict[str, Any]:
    """The session parameters (RFC 4568 §6.3), as CryptoAttribute's keyword arguments."""
    found: dict[str, Any] = {}
    extensions = []
    for token in tokens:
        if not _VCHAR.fullmatch(token):
            raise _bad("session-param", "not visible characters (RFC 4568 §9.1)")
        if token in _WEAKENING:
            raise PolicyViolation(f"a=crypto {token}: {_WEAKENING[token]} is refused (RFC 4568 §6.3)")
        name, equals, value = token.partition("=")
        field = _SESSION_FIELDS.get(name) if equals else None
        if field is None:
            if not _EXTENSION.fullmatch(token):
                # RFC 4568 §6.3.7: a session parameter that is not understood and not marked optional
                # ("-") makes the attribute unusable.
                raise _bad("session-param", f"{token!r:.40} is not a parameter fipscrypto knows")
            extensions.append(token)
            continue
        if field in found:
            raise _bad(name, "given twice")
        if name == "KDR":
            if not _KDR.fullmatch(value):
                raise _bad("KDR", f"{value!r:.40} is not 1 or 2 digits (RFC 4568 §9.2)")
            found["kdr"] = int(value)
        elif name == "WSH":
            if not _WSH.fullmatch(value):
                raise _bad("WSH", f"{value!r:.40} is not 2 to 10 digits (RFC 4568 §9.2)")
            found["wsh"] = int(value)
        elif name == "FEC_ORDER":
            found["fec_order"] = value
        else:
            found["fec_keys"] = _parse_keys("FEC_KEY", value, profile)
    return found | {"extensions": tuple(extensions)}


def _profiles(profiles: Iterable[Profile] | None) -> tuple[Profile, ...]:
    if profiles is None:
        return PREFERENCE
    if not isinstance(profiles, Iterable):
        raise InvalidParameter("profiles is a list of Profile")
    chosen = tuple(itertools.islice(profiles, len(Profile) + 1))  # more than there are: a duplicate
    if not chosen or not all(type(p) is Profile for p in chosen) or len(set(chosen)) != len(chosen):
        raise InvalidParameter("profiles is a non-empty list of distinct Profile members")
    return chosen


def _generate(
    tag: int, profile: Profile, approved: bool, lifetime: int | None, mki: tuple[int, int] | None
) -> CryptoAttribute:
    """An attribute with a fresh master key and salt from the provider's DRBG; audited without them."""
    split = profile.key_length
    material = random_bytes(split + profile.salt_length)
    attribute = CryptoAttribute(tag, profile, (InlineKey(material[:split], material[split:], lifetime, mki),))
    # An SRTP master key has an identifier only when it carries an MKI (RFC 3711 §3.1: the "Master
    # Key Identifier"); the attribute's tag names the offer it is in (RFC 4568 §6.1).
    key_id = attribute.keys[0].mki_bytes
    audit.emit("key-generated", algorithm=profile.name, bits=split * 8, tag=tag,
               key_id=key_id.hex() if key_id is not None else None, approved=approved,
               generated_in="rand.random_bytes")  # fmt: skip
    record(_SERVICE, profile.name, approved)
    return attribute


def _refusal(refusals: list[FipsError]) -> FipsError:
    """The first refusal, with the others as notes."""
    first = refusals[0]
    for other in refusals[1:]:
        first.add_note(f"also refused: {other}")
    return first


def offer(
    profiles: Iterable[Profile] | None = None,
    *,
    mki: tuple[int, int] | None = None,
    lifetime: int | None = None,
    policy: Policy | None = None,
) -> list[CryptoAttribute]:
    """An SDES offer (RFC 4568 §7.1.1): one attribute per profile, tags 1, 2, ... in the order of
    ``profiles`` (default :data:`PREFERENCE`), each with a fresh master key and salt.

    A profile the policy refuses (the active one, narrowed by ``policy``) is left out in strict mode;
    in audit mode it is offered and audited as a non-approved use. When every profile is refused, the
    first refusal is raised (PolicyViolation) with the others as notes.
    """
    chosen = _profiles(profiles)
    lifetime, mki = _lifetime(lifetime), _mki(mki)
    made: list[CryptoAttribute] = []
    refusals: list[FipsError] = []
    for profile in chosen:
        try:
            approved = require(_SERVICE, "srtp-profile", profile.name, policy=policy)
        except PolicyViolation as refused:
            refusals.append(refused)
            continue
        made.append(_generate(len(made) + 1, profile, approved, lifetime, mki))
    if not made:
        raise _refusal(refusals)
    return made


def _offered(offered: Iterable[str | CryptoAttribute]) -> list[CryptoAttribute | FipsError]:
    """Each offered attribute, parsed, or the error that makes it unusable."""
    if isinstance(offered, str | bytes) or not isinstance(offered, Iterable):
        raise InvalidParameter("offered is a list of a=crypto lines (or CryptoAttribute), not one line")
    items: list[CryptoAttribute | FipsError] = []
    tags = set()
    for item in offered:
        if len(items) == MAX_OFFER:
            raise _bad("attribute", f"more than {MAX_OFFER} crypto attributes in the offer")
        try:
            parsed = item if isinstance(item, CryptoAttribute) else CryptoAttribute.parse(item)
        except (ParseError, AlgorithmUnavailable, PolicyViolation) as unusable:
            items.append(unusable)
            continue
        if parsed.tag in tags:  # RFC 4568 §4: the tag is unique among the attributes of a media line
            raise _bad("tag", f"{parsed.tag} appears twice in the offer (RFC 4568 §4)")
        tags.add(parsed.tag)
        items.append(parsed)
    if not items:
        raise _bad("attribute", "the offer has no crypto attribute")
    return items


def answer(
    offered: Iterable[str | CryptoAttribute],
    *,
    mki: tuple[int, int] | None = None,
    lifetime: int | None = None,
    policy: Policy | None = None,
) -> CryptoAttribute:
    """The SDES answer (RFC 4568 §7.1.2): the first offered attribute that parses, names a supported
    profile, has no weakening or unknown mandatory parameter and that the policy allows, answered with
    its tag and profile and a fresh master key and salt (the answerer's own, for the media it sends).

    The answer carries no session parameters: the key derivation rate and window size hint are the
    sender's own, and fipscrypto does not protect FEC streams. Malformed, unsupported and refused
    attributes are skipped; when none is left, the first one's error is raised with the others as
    notes (RFC 4568 §7.1.2: the media stream is then rejected). A duplicated tag raises ParseError.
    """
    lifetime, mki = _lifetime(lifetime), _mki(mki)
    refusals: list[FipsError] = []
    for item in _offered(offered):
        if isinstance(item, FipsError):
            refusals.append(item)
            continue
        try:
            approved = require(_SERVICE, "srtp-profile", item.profile.name, policy=policy)
        except PolicyViolation as refused:
            refusals.append(refused)
            continue
        return _generate(item.tag, item.profile, approved, lifetime, mki)
    raise _refusal(refusals)


def accept(
    offered: Sequence[CryptoAttribute], answered: str | CryptoAttribute, *, policy: Policy | None = None
) -> tuple[CryptoAttribute, CryptoAttribute]:
    """The offerer's side (RFC 4568 §7.1.3): the answer must name an offered tag with the same profile,
    which the policy allows. Returns (the offered attribute, whose key protects what we send; the
    answer, whose key protects what we receive)."""
    theirs = answered if isinstance(answered, CryptoAttribute) else CryptoAttribute.parse(answered)
    if not isinstance(offered, list | tuple):
        raise InvalidParameter("offered is the list of CryptoAttribute this side offered")
    mine = next((a for a in offered if type(a) is CryptoAttribute and a.tag == theirs.tag), None)
    if mine is None:
        raise _bad("tag", f"the answer's tag {theirs.tag} was not offered (RFC 4568 §7.1.3)")
    if mine.profile is not theirs.profile:
        raise _bad("crypto-suite", f"the answer's {theirs.profile.name} is not the suite offered with tag "
                   f"{theirs.tag} (RFC 4568 §7.1.3)")  # fmt: skip
    approved = require(_SERVICE, "srtp-profile", theirs.profile.name, policy=policy)
    record(_SERVICE, theirs.profile.name, approved)
    return mine, theirs
