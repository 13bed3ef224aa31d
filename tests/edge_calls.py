"""Valid calls of the public entry points that tests/service_calls.py does not list, in its shape.

service_calls.py lists the service functions and the key-object methods that must refuse in the ERROR
state; bad input must get a typed error from more than those: the policy and indicator functions, and
the key objects' other public methods. tests/test_public_edges.py feeds bad input to both lists
(tests/edgelib.py reads the calls from the source) and checks that together they cover every public
method of the objects that service_calls.prepare() makes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import service_calls

from fipscrypto import enforce, indicator, policy

BASE_PROFILE = str(Path(__file__).parent / "policies" / "base.toml")
PROFILE = """
[policy]
name = "edge"
title = "A one-rule policy"
status = "final"

[citations.fips180]
document = "FIPS 180-4"
url = "https://doi.org/10.6028/NIST.FIPS.180-4"

[[rule]]
category = "hash"
names = ["sha256"]
apply = "acceptable"
process = "acceptable"
cite = "fips180"
section = "6.2"
"""


@functools.wraps(indicator.exempt)
def exempt(*args: Any, **kwargs: Any) -> None:
    """indicator.exempt's scope, entered and left (its checks run on entry)."""
    with indicator.exempt(*args, **kwargs):
        pass


def _srtp() -> Any:
    """fipscrypto.srtp (with its SDES module), imported when first called: importing it boots the
    module (in the mode the sweep's process activated)."""
    from fipscrypto import srtp
    from fipscrypto.srtp import sdes  # noqa: F401  # the submodule, as an attribute of srtp

    return srtp


# RFC 4568 §9.1's shape: tag, suite, inline key||salt (30 bytes, base64), lifetime, MKI:length.
SDES = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk|2^20|1:4"


def entry_points() -> dict[str, Callable[[], object]]:
    return {
        "policy.check": lambda: policy.check("hash", "sha256"),
        "policy.check (sized)": lambda: policy.check("signature", "rsa-pss", bits=3072),
        "enforce.require": lambda: enforce.require("test.edges", "hash", "sha256"),
        "policy.builtin": lambda: policy.builtin("fips-140-3"),
        "policy.select": lambda: policy.select("cnsa-2.0"),
        "policy.loads": lambda: policy.loads(PROFILE),
        "policy.load": lambda: policy.load(BASE_PROFILE),
        "policy.differences": lambda: policy.differences(
            policy.builtin("fips-140-3"), policy.builtin("cnsa-2.0")
        ),
        "Policy.check": lambda: policy.builtin("fips-140-3").check("mac", "hmac-sha256", bits=256),
        "Policy.match": lambda: policy.builtin("fips-140-3").match("hash", "sha256", None),
        "Policy.allowed_names": lambda: policy.builtin("fips-140-3").allowed_names("hash", ("sha256", "md5")),
        "indicator.exempt": lambda: exempt(reason="maintenance"),
        "indicator.record": lambda: indicator.record("hashes.digest", "sha256", True),
        "srtp.Fingerprint.parse": lambda: _srtp().Fingerprint.parse("sha-256 " + ":".join(["AB"] * 32)),
        "srtp.sdes.CryptoAttribute.parse": lambda: _srtp().sdes.CryptoAttribute.parse(SDES),
        "srtp.sdes.offer": lambda: _srtp().sdes.offer(mki=(1, 4), lifetime=1 << 31),
        "srtp.sdes.answer": lambda: _srtp().sdes.answer([SDES], mki=(1, 4)),
    }


def prepare() -> dict[str, Any]:
    return service_calls.prepare()


def object_calls(made: dict[str, Any]) -> dict[str, Callable[[], object]]:
    return {
        "Hasher.update": lambda: made["hasher"].update(b"x"),
        "Hasher.copy": lambda: made["hasher"].copy(),
        "HmacDrbg.reseed": lambda: made["drbg"].reseed(b"x"),
        "AgreementKey.public_key": lambda: made["agreement"].public_key(),
        "VerifyingKey.public_bytes": lambda: made["signing"].verifying_key().public_bytes(),
        "SRTPSession.add_stream": lambda: made["srtp_rx"].add_stream(0x0BADCAFE),
        "SRTPSession.remove_stream": lambda: made["srtp_rx"].remove_stream(0x0BADCAFE),
        "SRTPSession.use_master_key": lambda: made["srtp_keys"].use_master_key(b"\x01"),
        "SRTPSession.remove_master_key": lambda: made["srtp_keys"].remove_master_key(b"\x01"),
        "ChildSaKeys.outbound": lambda: made["child"].outbound("initiator"),
        "ChildSaKeys.inbound": lambda: made["child"].inbound("responder"),
    }
