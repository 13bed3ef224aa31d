"""Packet index estimation and the replay list (RFC 3711 §3.3.1, §3.3.2, Appendix A).

The replay list is the :class:`~fipscrypto._replay.Window` that ESP shares. The SRTP index of a
packet is estimated from its 16-bit sequence number against the window's ``top`` (the rollover
counter is ``top >> 16``); SRTCP carries its index explicitly.
"""

from __future__ import annotations

from .._replay import Window

__all__ = ["Window", "estimate"]


def estimate(top: int, seq: int) -> int:
    """The 48-bit index i = 2^16 * v + SEQ of a packet (RFC 3711 §3.3.1, Appendix A), ``top`` being
    the highest index so far (ROC || s_l), or -1 when none: the first packet has v = ROC = 0.

    Appendix A::

        if (s_l < 32,768)
           if (SEQ - s_l > 32,768) set v to (ROC-1 mod 2^32)
           else set v to ROC
        else
           if (s_l - 32,768 > SEQ) set v to (ROC+1 mod 2^32)
           else set v to ROC

    ROC - 1 below 0 gives a negative index here (a packet from before the first one), which the
    window refuses as too old; ROC + 1 at 2^32 gives 2^48, past the key's limit.
    """
    if top < 0:
        return seq
    roc, s_l = top >> 16, top & 0xFFFF
    if s_l < 32768:
        if seq - s_l > 32768:
            roc -= 1
    elif s_l - 32768 > seq:
        roc += 1
    return (roc << 16) | seq if roc >= 0 else seq - 65536
