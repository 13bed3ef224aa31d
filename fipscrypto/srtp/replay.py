"""Packet index estimation and the replay list (RFC 3711 §3.3.1, §3.3.2, Appendix A).

A :class:`Window` keeps the highest index accepted (``top``, -1 before the first packet) and a
bitmask of the ``size`` indices at and below it: bit ``d`` set means ``top - d`` was accepted. The
SRTP index of a packet is estimated from its 16-bit sequence number against ``top`` (the rollover
counter is ``top >> 16``); SRTCP carries its index explicitly. ``check`` refuses an index seen
before or older than the window; ``accept`` records one, and is called only after the packet
authenticated (§3.3.2: "the replay list SHOULD be updated only after the packet has been
authenticated"), so a forged packet never moves the window.
"""

from __future__ import annotations

from ..errors import ReplayError

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


class Window:
    """The replay list of one stream: a sliding window of ``size`` indices (RFC 3711 §3.3.2)."""

    __slots__ = ("full", "mask", "size", "top")

    def __init__(self, size: int) -> None:
        self.size = size
        self.full = (1 << size) - 1  # the mask of ``size`` bits
        self.top = -1
        self.mask = 0

    def copy(self) -> Window:
        """This list as it is now, to move without moving this one (a batch tried before it counts)."""
        twin = Window.__new__(Window)
        twin.size, twin.full, twin.top, twin.mask = self.size, self.full, self.top, self.mask
        return twin

    def check(self, index: int) -> None:
        """ReplayError when ``index`` was accepted before or lies below the window."""
        behind = self.top - index
        if behind >= 0:
            if behind >= self.size or index < 0:  # index < 0: ROC - 1 before the first packet's ROC
                raise ReplayError(f"packet index {index} is older than the replay window (RFC 3711 §3.3.2)")
            if self.mask >> behind & 1:
                raise ReplayError(f"packet index {index} was already received (RFC 3711 §3.3.2)")

    def seen(self, index: int) -> bool:
        """Whether ``index`` was accepted (and is still inside the window)."""
        behind = self.top - index
        return 0 <= behind < self.size and bool(self.mask >> behind & 1)

    def accept(self, index: int) -> None:
        """Record ``index`` (checked, and authenticated): slide the window when it is a new highest."""
        ahead = index - self.top
        if ahead > 0:
            self.mask = ((self.mask << ahead) | 1) & self.full
            self.top = index
        else:
            self.mask |= 1 << -ahead
