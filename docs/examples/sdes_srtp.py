"""SDES keying the SIP way: an offer and an answer of ``a=crypto`` lines, then SRTP both ways.

The caller offers one ``a=crypto`` line per profile the policy allows, each with its own fresh key;
the callee answers the first one it accepts with the same tag and its own key; the caller accepts the
answer. Each side then protects what it sends under its own key and unprotects what it receives under
the other's (RFC 4568 §7.1; in SIP the lines travel in the SDP over TLS). Run it:

    python docs/examples/sdes_srtp.py

It prints one JSON line.
"""

from __future__ import annotations

import json

import fipscrypto

fipscrypto.activate()  # before anything imports cryptography or pyOpenSSL

from fipscrypto.srtp import SRTPSession, sdes  # noqa: E402
from fipscrypto.srtp.sdes import CryptoAttribute  # noqa: E402


def session(attribute: CryptoAttribute) -> SRTPSession:
    """The SRTP session under one side's key (its profile, key, salt, MKI and key derivation rate)."""
    return SRTPSession(
        attribute.profile,
        attribute.key,
        attribute.salt,
        mki=attribute.mki_bytes,
        key_derivation_rate=attribute.key_derivation_rate,
    )


def main() -> dict[str, object]:
    # Caller: the offer (one line per allowed profile).
    offered = sdes.offer()
    offer_lines = [attribute.to_sdp() for attribute in offered]
    # Callee: the first usable line, answered with its tag and a fresh key.
    answered = sdes.answer(offer_lines)
    # The callee unprotects under the key of the offer line it answered (same tag).
    callee_receives = next(a for a in map(CryptoAttribute.parse, offer_lines) if a.tag == answered.tag)
    # Caller: which offer was taken, and the callee's key.
    mine, theirs = sdes.accept(offered, answered.to_sdp())

    caller_out, caller_in = session(mine), session(theirs)
    callee_out, callee_in = session(answered), session(callee_receives)
    rtp = bytes([0x80, 96, 0, 1]) + bytes(4) + (0xCA11E4).to_bytes(4, "big") + b"hello"
    reply = bytes([0x80, 96, 0, 1]) + bytes(4) + (0xCA11EE).to_bytes(4, "big") + b"hi"
    return {
        "offered": [line.split()[1] for line in offer_lines],
        "profile": mine.profile.name,
        "callee_got": callee_in.unprotect(caller_out.protect(rtp)) == rtp,
        "caller_got": caller_in.unprotect(callee_out.protect(reply)) == reply,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
