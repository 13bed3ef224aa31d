"""SDES (RFC 4568): ``a=crypto`` attributes parsed and produced, offered, answered and accepted.

Every field malformed in turn gives a ParseError naming it; the weakening session parameters are
refused in every mode; the policy decides which profiles are offered and answered; key material
stays out of repr() and the audit trail; arbitrary input gives typed errors only.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fipscrypto import audit, enforce, indicator, policy, rand
from fipscrypto.errors import AlgorithmUnavailable, InvalidParameter, ParseError, PolicyViolation
from fipscrypto.provider.state import StatePaths
from fipscrypto.srtp import SRTPSession, sdes
from fipscrypto.srtp.profiles import Profile
from fipscrypto.srtp.sdes import CryptoAttribute, InlineKey

from support import run_json, run_script_json

A128 = "AES_CM_128_HMAC_SHA1_80"
KEY30 = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"  # 30 bytes: an AES-CM-128 key and salt
OTHER30 = "QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5"
LINE = f"a=crypto:1 {A128} inline:{KEY30}"

# RFC 4568's examples (the wrapped lines joined with single spaces).
RFC_EXAMPLES = [
    f"a=crypto:1 {A128} inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32",
    f"a=crypto:1 {A128} inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4 FEC_ORDER=FEC_SRTP",
    "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32",
    f"a=crypto:1 {A128} inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4",
]
RFC_F8 = (
    "a=crypto:2 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4;"
    "inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4 FEC_ORDER=FEC_SRTP"
)


def _material(profile: Profile) -> InlineKey:
    raw = rand.random_bytes(profile.key_length + profile.salt_length)
    return InlineKey(raw[: profile.key_length], raw[profile.key_length :])


def _named(field: str) -> str:
    """The pattern of an error message that names ``field``."""
    return "^" + re.escape(f"a=crypto {field}: ")


def _b64(size: int) -> str:
    return base64.b64encode(bytes(range(size))).decode()


# ------------------------------------------------------------------------------------------ round trips


@pytest.mark.parametrize("profile", list(Profile))
def test_every_profile_round_trips(profile: Profile) -> None:
    first, second = _material(profile), _material(profile)
    many = CryptoAttribute(
        7,
        profile,
        (dataclasses.replace(first, lifetime=1 << 31, mki=(1, 4)), dataclasses.replace(second, mki=(2, 4))),
        kdr=16,
        wsh=128,
        fec_order="SRTP_FEC",
        fec_keys=(dataclasses.replace(second, lifetime=1000),),
        extensions=("-X_VENDOR=1",),
    )
    for attribute in (CryptoAttribute(1, profile, (first,)), many):
        line = attribute.to_sdp()
        parsed = CryptoAttribute.parse(line)
        assert parsed == attribute
        assert parsed.to_sdp() == line
        assert (parsed.key, parsed.salt) == (attribute.keys[0].key, attribute.keys[0].salt)
    assert many.to_sdp().endswith(
        f"|2^31|1:4;inline:{base64.b64encode(second.key + second.salt).decode()}|2:4 KDR=16"
        f" FEC_ORDER=SRTP_FEC FEC_KEY=inline:{base64.b64encode(second.key + second.salt).decode()}|1000"
        " WSH=128 -X_VENDOR=1"
    )


@pytest.mark.parametrize("line", RFC_EXAMPLES)
def test_the_rfc_examples_parse_and_round_trip(line: str) -> None:
    attribute = CryptoAttribute.parse(line)
    raw = base64.b64decode(line.split("inline:")[1].split("|")[0])
    assert (attribute.key, attribute.salt) == (raw[:16], raw[16:])
    assert attribute.lifetime == 1 << 20
    assert attribute.tag == 1
    assert attribute.to_sdp() == line


def test_an_rfc_example_values() -> None:
    attribute = CryptoAttribute.parse(RFC_EXAMPLES[0])
    assert attribute.profile is Profile.AES_CM_128_HMAC_SHA1_80
    assert attribute.mki == (1, 32)
    assert attribute.mki_bytes == bytes(31) + b"\x01"
    assert attribute.key_derivation_rate == 0
    assert CryptoAttribute.parse(RFC_EXAMPLES[1]).fec_order == "FEC_SRTP"


def test_the_rfc_multi_key_example_names_a_suite_that_is_not_offered() -> None:
    with pytest.raises(AlgorithmUnavailable, match="F8_128_HMAC_SHA1_80 is not offered"):
        CryptoAttribute.parse(RFC_F8)
    # The same key-params under a supported suite: two keys told apart by their MKI.
    parsed = CryptoAttribute.parse(RFC_F8.replace("2 F8_128_HMAC_SHA1_80", f"2 {A128}"))
    assert [k.mki for k in parsed.keys] == [(1, 4), (2, 4)]
    assert parsed.keys[1].key == b"ABcdef123456789A"
    # docs/srtp.md: one session takes every key of the attribute; a sender under the second key is read.
    session = SRTPSession(parsed.profile, parsed.key, parsed.salt, mki=parsed.mki_bytes)
    for extra in parsed.keys[1:]:
        session.add_master_key(extra.key, extra.salt, extra.mki_bytes)
    second = parsed.keys[1]
    assert second.mki_bytes is not None
    sender = SRTPSession(parsed.profile, second.key, second.salt, mki=second.mki_bytes)
    packet = bytes([0x80, 0, 0, 1]) + bytes(4) + b"ssrc" + b"media"
    assert session.master_keys == (b"\x00\x00\x00\x01", b"\x00\x00\x00\x02")
    assert session.unprotect(sender.protect(packet)) == packet


def test_accepted_spellings_and_the_canonical_form() -> None:
    canonical = CryptoAttribute.parse(LINE + "|2^20")
    for spelling in (
        f"1 {A128} inline:{KEY30}|2^20",  # without the a=crypto: prefix
        LINE + "|2^20\r\n",  # with the grammar's CRLF
        LINE + "|2^20\n",
        f"a=crypto:01 {A128} \t inline:{KEY30}|1048576",  # leading zero, any WSP, a decimal lifetime
    ):
        assert CryptoAttribute.parse(spelling) == canonical
    assert canonical.to_sdp() == LINE + "|2^20"
    assert CryptoAttribute.parse(LINE + "|1000").to_sdp() == LINE + "|1000"


@pytest.mark.parametrize(("kdr", "rate"), [(None, 0), (0, 1), (1, 2), (24, 1 << 24)])
def test_kdr_is_the_exponent_of_the_key_derivation_rate(kdr: int | None, rate: int) -> None:
    line = LINE if kdr is None else f"{LINE} KDR={kdr}"
    assert CryptoAttribute.parse(line).key_derivation_rate == rate


# ---------------------------------------------------------------------------------------- malformed

SHORT = _b64(28)  # AEAD_AES_128_GCM's length: 40 characters ending "Gw=="
MALFORMED = [
    ("attribute", "a=crypto:1 " + A128 + " inline:" + KEY30 + " -X" * 5000),
    ("attribute", LINE.replace("inline", "inl\u0456ne")),  # a Cyrillic i
    ("tag", f"a=crypto:x {A128} inline:{KEY30}"),
    ("tag", f"a=crypto:1234567890 {A128} inline:{KEY30}"),
    ("tag", f"a=crypto:-1 {A128} inline:{KEY30}"),
    ("tag", f"a=crypto: 1 {A128} inline:{KEY30}"),
    ("crypto-suite", "a=crypto:1"),
    ("crypto-suite", f"a=crypto:1 AES-CM-128 inline:{KEY30}"),
    ("key-params", f"a=crypto:1 {A128}"),
    ("key-params", f"a=crypto:1 {A128} " + ";".join([f"inline:{KEY30}|{i}:1" for i in range(17)])),
    ("key-method", f"a=crypto:1 {A128} {KEY30}"),
    ("key-method", f"a=crypto:1 {A128} uri:{KEY30}"),
    ("key-method", f"a=crypto:1 {A128} INLINE:{KEY30}"),
    ("key-method", f"a=crypto:1 {A128} inline:{KEY30};"),
    ("key-info", f"{LINE}|2^20|1:4|1"),
    ("key-salt", f"a=crypto:1 {A128} inline:"),
    ("key-salt", f"a=crypto:1 {A128} inline:{KEY30}AAAA"),  # 33 bytes
    ("key-salt", f"a=crypto:1 AEAD_AES_128_GCM inline:{KEY30}"),  # 30 bytes for a 28-byte profile
    ("key-salt", f"a=crypto:1 {A128} inline:{SHORT}"),  # 28 bytes for a 30-byte profile
    ("key-salt", f"a=crypto:1 {A128} inline:{KEY30[:-1]}!"),
    ("key-salt", f"a=crypto:1 AEAD_AES_128_GCM inline:{SHORT[:-3]}x=="),  # stray bits: not canonical
    ("key-salt", f"a=crypto:1 {A128} inline:{KEY30[:-4]}AA=="),  # padding where none belongs
    ("key-salt", f"a=crypto:1 {A128} inline:{KEY30[:-4]}A=AA"),
    ("lifetime", f"{LINE}|2^"),
    ("lifetime", f"{LINE}|2^49"),
    ("lifetime", f"{LINE}|0"),
    ("lifetime", f"{LINE}|281474976710657"),
    ("lifetime", f"{LINE}|1e6"),
    ("lifetime", f"{LINE}|2^2^2"),
    ("lifetime", f"{LINE}|1234567890123456"),
    ("lifetime", f"{LINE}|"),
    ("mki", f"{LINE}|1:0"),
    ("mki", f"{LINE}|1:129"),
    ("mki", f"{LINE}|256:1"),
    ("mki", f"{LINE}|a:4"),
    ("mki", f"{LINE}|1:"),
    ("mki", f"{LINE}|:4"),
    ("mki", f"{LINE}|2^20|1:4:4"),
    ("mki", f"{LINE}|2^20|x"),
    ("mki", f"{LINE}|{'9' * 400}:128"),
    ("mki", f"{LINE};inline:{OTHER30}"),  # two keys and no MKI
    ("mki", f"{LINE}|1:4;inline:{OTHER30}|1:4"),  # the same MKI twice
    ("mki", f"{LINE}|1:4;inline:{OTHER30}|2:2"),  # MKIs of two lengths
    ("KDR", f"{LINE} KDR=25"),
    ("KDR", f"{LINE} KDR=100"),
    ("KDR", f"{LINE} KDR="),
    ("KDR", f"{LINE} KDR=x"),
    ("KDR", f"{LINE} KDR=1 KDR=2"),
    ("WSH", f"{LINE} WSH=63"),
    ("WSH", f"{LINE} WSH=1"),
    ("WSH", f"{LINE} WSH=12345678901"),
    ("FEC_ORDER", f"{LINE} FEC_ORDER=FEC"),
    ("FEC_ORDER", f"{LINE} FEC_ORDER=fec_srtp"),
    ("key-method", f"{LINE} FEC_KEY="),
    ("key-salt", f"{LINE} FEC_KEY=inline:{SHORT}"),
    ("FEC_KEY", f"{LINE} FEC_KEY=inline:{KEY30} FEC_KEY=inline:{KEY30}"),
    ("session-param", f"{LINE} FOO"),
    ("session-param", f"{LINE} KDR"),
    ("session-param", f"{LINE} kdr=1"),
    ("session-param", f"{LINE} -"),
    ("session-param", f"{LINE} "),
    ("session-param", f"{LINE} \x01"),
    ("key-salt", f"{LINE}\r"),  # a lone CR is no line ending
]


@pytest.mark.parametrize(("field", "line"), MALFORMED)
def test_every_malformed_field_is_a_parse_error_naming_it(field: str, line: str) -> None:
    with pytest.raises(ParseError, match=_named(field)) as caught:
        CryptoAttribute.parse(line)
    assert KEY30 not in str(caught.value)  # messages never quote key material


def test_a_key_salt_of_the_wrong_length_is_not_decoded() -> None:
    with pytest.raises(ParseError, match=_named("key-salt") + ".* in base64"):
        CryptoAttribute.parse(f"a=crypto:1 {A128} inline:{'A' * 8000}")


@pytest.mark.parametrize("weakening", ["UNENCRYPTED_SRTP", "UNENCRYPTED_SRTCP", "UNAUTHENTICATED_SRTP"])
def test_the_weakening_session_parameters_are_refused(weakening: str) -> None:
    with pytest.raises(PolicyViolation, match=weakening):
        CryptoAttribute.parse(f"{LINE} KDR=1 {weakening}")
    # An answerer skips such an attribute and answers the next one.
    chosen = sdes.answer([f"{LINE} {weakening}", f"a=crypto:2 {A128} inline:{OTHER30}"])
    assert chosen.tag == 2


def test_an_optional_unknown_parameter_is_kept_and_ignored() -> None:
    parsed = CryptoAttribute.parse(f"{LINE} -VENDOR_HINT=3 WSH=64")
    assert parsed.extensions == ("-VENDOR_HINT=3",)
    assert parsed.to_sdp() == f"{LINE} WSH=64 -VENDOR_HINT=3"


def test_constructed_attributes_are_checked_as_parsed_ones() -> None:
    key = _material(Profile.AES_CM_128_HMAC_SHA1_80)
    with pytest.raises(ParseError, match=_named("key-salt")):
        CryptoAttribute(1, Profile.AEAD_AES_256_GCM, (key,))
    with pytest.raises(ParseError, match=_named("tag")):
        CryptoAttribute(10**9, Profile.AES_CM_128_HMAC_SHA1_80, (key,))
    with pytest.raises(ParseError, match=_named("session-param")):
        CryptoAttribute(1, Profile.AES_CM_128_HMAC_SHA1_80, (key,), extensions=("UNENCRYPTED_SRTP",))
    with pytest.raises(ParseError, match=_named("mki") + "a 8001-bit number"):
        InlineKey(b"k", b"s", mki=(1 << 8000, 128))
    for bad in (
        {"tag": "1"},
        {"tag": True},
        {"profile": A128},
        {"keys": [key]},
        {"keys": (key.key,)},
        {"kdr": 1.0},
        {"fec_keys": None},
        {"fec_keys": [key]},
    ):
        arguments = {"tag": 1, "profile": Profile.AES_CM_128_HMAC_SHA1_80, "keys": (key,)} | bad
        with pytest.raises(InvalidParameter):
            CryptoAttribute(**arguments)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter):
        InlineKey("key", b"salt")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter):
        InlineKey(b"k", b"s", mki=[1, 4])  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter):
        CryptoAttribute.parse(LINE.encode())  # type: ignore[arg-type]
    assert InlineKey(bytearray(b"k"), memoryview(b"s")) == InlineKey(b"k", b"s")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------ fuzz

TOKENS = st.sampled_from(
    ["a=crypto:", "1", " ", "\t", A128, "AEAD_AES_256_GCM", "F8_128_HMAC_SHA1_80", "inline:", KEY30,
     _b64(44), "|", "2^", "20", ":", "4", ";", "KDR=", "WSH=", "FEC_KEY=", "FEC_ORDER=FEC_SRTP", "-X",
     "UNENCRYPTED_SRTP", "=", "\r\n", "\x00", "é"]
)  # fmt: skip


def _check_parse(text: str) -> None:
    try:
        parsed = CryptoAttribute.parse(text)
    except (ParseError, AlgorithmUnavailable, PolicyViolation):
        return
    assert CryptoAttribute.parse(parsed.to_sdp()) == parsed


@settings(max_examples=300, deadline=None)
@given(st.lists(TOKENS, max_size=24).map("".join))
def test_fuzz_tokens_give_typed_errors_or_round_trip(text: str) -> None:
    _check_parse(text)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(RFC_EXAMPLES), st.integers(0, 200), st.integers(0, 4), st.text(max_size=4))
def test_fuzz_mutated_examples_give_typed_errors_or_round_trip(
    line: str, at: int, cut: int, inserted: str
) -> None:
    at %= len(line) + 1
    _check_parse(line[:at] + inserted + line[at + cut :])


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_any_text_gives_typed_errors(text: str) -> None:
    _check_parse(text)


# ------------------------------------------------------------------------------- offer, answer, accept


def _no_key_material(attributes: list[CryptoAttribute], seen: list[audit.Event]) -> None:
    for attribute in attributes:
        secrets = {attribute.key.hex(), base64.b64encode(attribute.key + attribute.salt).decode()}
        secrets |= {repr(attribute.key), repr(attribute.salt)}
        shown = repr(attribute) + str(attribute) + "".join(e.to_json() for e in seen)
        assert not [s for s in secrets if s in shown]


def test_an_offer_has_one_fresh_key_per_allowed_profile_in_order(events: list[audit.Event]) -> None:
    offered = sdes.offer(mki=(1, 4), lifetime=1 << 31)
    assert [a.profile for a in offered] == list(sdes.PREFERENCE)
    assert [a.tag for a in offered] == list(range(1, len(offered) + 1))
    assert len({a.key for a in offered}) == len(offered)
    assert all(a.mki_bytes == b"\x00\x00\x00\x01" and a.lifetime == 1 << 31 for a in offered)
    generated = [e for e in events if e.kind == "key-generated"]
    assert [e.fields["algorithm"] for e in generated] == [p.name for p in sdes.PREFERENCE]
    assert all(e.fields["approved"] is True for e in generated)
    assert generated[0].fields["bits"] == 256
    _no_key_material(offered, events)
    last = indicator.last()
    assert last is not None
    assert (last.service, last.algorithm, last.approved) == ("srtp.sdes", "AES_192_CM_HMAC_SHA1_32", True)


def test_an_offer_of_chosen_profiles_keeps_their_order() -> None:
    chosen = [Profile.AES_CM_128_HMAC_SHA1_80, Profile.AEAD_AES_128_GCM]
    assert [a.profile for a in sdes.offer(chosen)] == chosen
    for bad in ([], [A128], [Profile.AEAD_AES_128_GCM] * 2, Profile.AEAD_AES_128_GCM, 3):
        with pytest.raises(InvalidParameter):
            sdes.offer(bad)  # type: ignore[arg-type]
    with pytest.raises(ParseError, match=_named("mki")):
        sdes.offer(mki=(256, 1))
    with pytest.raises(ParseError, match=_named("lifetime")):
        sdes.offer(lifetime=0)


def test_a_narrower_policy_leaves_refused_profiles_out(events: list[audit.Event]) -> None:
    cnsa = policy.select("cnsa-2.0")
    offered = sdes.offer(policy=cnsa)
    assert [a.profile for a in offered] == [Profile.AEAD_AES_256_GCM]
    refused = [e.fields["algorithm"] for e in events if e.kind == "policy-violation"]
    assert refused == [p.name for p in sdes.PREFERENCE[1:]]
    with pytest.raises(PolicyViolation) as caught:
        sdes.offer([Profile.AES_CM_128_HMAC_SHA1_80, Profile.AEAD_AES_128_GCM], policy=cnsa)
    assert caught.value.verdict.policy == "cnsa-2.0"  # type: ignore[attr-defined]
    assert "AEAD_AES_128_GCM" in "".join(caught.value.__notes__)


def test_the_answer_takes_the_first_acceptable_offer_with_a_fresh_key(events: list[audit.Event]) -> None:
    offered = [a.to_sdp() for a in sdes.offer([Profile.AES_CM_128_HMAC_SHA1_80, Profile.AEAD_AES_256_GCM])]
    ours = sdes.answer(offered, mki=(7, 1))
    assert (ours.tag, ours.profile, ours.mki) == (1, Profile.AES_CM_128_HMAC_SHA1_80, (7, 1))
    assert ours.key != CryptoAttribute.parse(offered[0]).key
    _no_key_material([ours], events)
    # A narrower policy skips the refused suite and answers the next offer, with its tag.
    narrowed = sdes.answer(offered, policy=policy.select("cnsa-2.0"))
    assert (narrowed.tag, narrowed.profile) == (2, Profile.AEAD_AES_256_GCM)
    # Unknown suites and malformed attributes are skipped too; parsed attributes are accepted.
    mixed: list[str | CryptoAttribute] = [
        RFC_F8,
        "a=crypto:3 junk",
        CryptoAttribute.parse(RFC_EXAMPLES[0].replace(":1 ", ":4 ")),
    ]
    assert sdes.answer(mixed).tag == 4


def test_an_offer_with_nothing_acceptable_raises_its_first_error_with_the_others() -> None:
    with pytest.raises(AlgorithmUnavailable) as caught:
        sdes.answer([RFC_F8, f"{LINE} UNAUTHENTICATED_SRTP", f"a=crypto:3 {A128} inline:x"])
    notes = "".join(caught.value.__notes__)
    assert "UNAUTHENTICATED_SRTP" in notes
    assert "key-salt" in notes
    with pytest.raises(PolicyViolation):
        sdes.answer([LINE], policy=policy.select("cnsa-2.0"))
    with pytest.raises(ParseError, match=_named("tag")):
        sdes.answer([LINE, LINE.replace(KEY30, OTHER30)])  # one tag twice
    with pytest.raises(ParseError, match=_named("attribute")):
        sdes.answer([])
    with pytest.raises(ParseError, match=_named("attribute")):
        sdes.answer([LINE.replace(":1 ", f":{tag} ") for tag in range(sdes.MAX_OFFER + 1)])
    for bad in (LINE, None, [1]):
        with pytest.raises(InvalidParameter):
            sdes.answer(bad)  # type: ignore[arg-type]


def test_the_offerer_accepts_an_answer_to_one_of_its_offers() -> None:
    offered = sdes.offer([Profile.AEAD_AES_128_GCM, Profile.AES_CM_128_HMAC_SHA1_80])
    ours = sdes.answer([a.to_sdp() for a in reversed(offered)])
    mine, theirs = sdes.accept(offered, ours.to_sdp())
    assert mine is offered[1]
    assert theirs == ours
    with pytest.raises(ParseError, match=_named("tag")):
        sdes.accept(offered, dataclasses.replace(ours, tag=9))
    swapped = CryptoAttribute(2, Profile.AEAD_AES_128_GCM, (_material(Profile.AEAD_AES_128_GCM),))
    with pytest.raises(ParseError, match=_named("crypto-suite")):
        sdes.accept(offered, swapped)
    with pytest.raises(PolicyViolation):
        sdes.accept(offered, ours, policy=policy.select("cnsa-2.0"))
    with pytest.raises(InvalidParameter):
        sdes.accept(offered[0], ours)  # type: ignore[arg-type]


AUDIT_MODE = """
import json, fipscrypto
from fipscrypto import audit
seen = []
audit.subscribe(seen.append)
fipscrypto.activate("{mode}")
from fipscrypto.srtp import sdes  # its DRBG boots the module: after activation
try:
    offered = [a.profile.name for a in sdes.offer()]
except Exception as exc:
    offered = type(exc).__name__
kinds = sorted({{e.kind for e in seen if e.kind in ("non-approved-use", "policy-violation")}})
approved = [e.fields["approved"] for e in seen if e.kind == "key-generated"]
print(json.dumps({{"offered": offered, "kinds": kinds, "approved": approved}}))
"""


@pytest.mark.parametrize("mode", ["strict", "audit"])
def test_the_active_policy_decides_in_strict_and_audit_mode(mode: str, state_paths: StatePaths) -> None:
    result = run_json(
        AUDIT_MODE.format(mode=mode), FIPSCRYPTO_STATE_DIR=str(state_paths.root), FIPSCRYPTO_POLICY="cnsa-2.0"
    )
    if mode == "strict":  # a refused profile is not offered
        assert result == {"offered": ["AEAD_AES_256_GCM"], "kinds": ["policy-violation"], "approved": [True]}
    else:  # offered, and audited as a non-approved use
        assert result["offered"] == [p.name for p in sdes.PREFERENCE]
        assert result["kinds"] == ["non-approved-use"]
        assert result["approved"] == [True] + [False] * 7


ERROR_STATE = """
import json, fipscrypto
fipscrypto.activate()
from fipscrypto import module
from fipscrypto.srtp import SRTPSession, sdes
offered = sdes.offer()
lines = [a.to_sdp() for a in offered]
module.enter_error("a forced failure")
outcomes = {}
for name, call in [("offer", sdes.offer), ("answer", lambda: sdes.answer(lines)),
                   ("accept", lambda: sdes.accept(offered, lines[0]))]:
    try:
        call()
        outcomes[name] = "served"
    except fipscrypto.ModuleErrorState:
        outcomes[name] = "refused"
parsed = sdes.CryptoAttribute.parse(lines[0]) == offered[0]  # parsing is no cryptographic service
print(json.dumps({"outcomes": outcomes, "parsed": parsed}))
"""


def test_the_error_state_stops_offer_answer_and_accept(state_paths: StatePaths) -> None:
    result = run_json(ERROR_STATE, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert result == {"outcomes": dict.fromkeys(("offer", "answer", "accept"), "refused"), "parsed": True}


def test_the_sha1_profiles_leave_the_offer_when_retired(monkeypatch: pytest.MonkeyPatch) -> None:
    retired = (datetime.date(2031, 1, 2) - datetime.date(1970, 1, 1)).days  # fips-140-3: from 2031-01-01
    monkeypatch.setattr(enforce, "_utc_day", lambda: retired)
    assert [a.profile for a in sdes.offer()] == [Profile.AEAD_AES_256_GCM, Profile.AEAD_AES_128_GCM]
    assert sdes.answer([LINE, f"a=crypto:2 AEAD_AES_128_GCM inline:{SHORT}"]).tag == 2


def test_the_documented_sip_example_runs(state_paths: StatePaths) -> None:
    """docs/srtp-sdes.md's walk-through: offer, answer, accept, then SRTP in both directions."""
    example = Path(__file__).parent.parent / "docs" / "examples" / "sdes_srtp.py"
    result = run_script_json(example, timeout=120, FIPSCRYPTO_STATE_DIR=str(state_paths.root))
    assert result["offered"][0] == result["profile"] == "AEAD_AES_256_GCM"
    assert (result["callee_got"], result["caller_got"]) == (True, True)
