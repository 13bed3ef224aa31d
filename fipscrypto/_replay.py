"""The sliding replay window shared by SRTP (RFC 3711 §3.3.2) and ESP (RFC 4303 §3.4.3).

A :class:`Window` keeps the highest index accepted (``top``, -1 before the first packet) and a
bitmask of the ``size`` indices at and below it: bit ``d`` set means ``top - d`` was accepted.
``check`` refuses an index seen before or older than the window; ``accept`` records one, and is
called only after the packet authenticated (RFC 3711 §3.3.2: "the replay list SHOULD be updated only
after the packet has been authenticated"; RFC 4303 §3.4.3: "The receive window is updated only if
the ICV verification succeeds"), so a forged packet never moves the window. ``rule`` names the
protocol's section in the errors.
"""

from __future__ import annotations

from .errors import ReplayError

__all__ = ["Window"]


class Window:
    """A sliding window of ``size`` packet indices."""

    __slots__ = ("full", "mask", "rule", "size", "top")

    def __init__(self, size: int, rule: str = "RFC 3711 §3.3.2") -> None:
        self.size = size
        self.full = (1 << size) - 1  # the mask of ``size`` bits
        self.top = -1
        self.mask = 0
        self.rule = rule

    def copy(self) -> Window:
        """This window as it is now, to move without moving this one (a batch tried before it counts)."""
        twin = Window.__new__(Window)
        twin.size, twin.full, twin.top, twin.mask, twin.rule = (
            self.size,
            self.full,
            self.top,
            self.mask,
            self.rule,
        )
        return twin

    def check(self, index: int) -> None:
        """ReplayError when ``index`` was accepted before or lies below the window."""
        behind = self.top - index
        if behind >= 0:
            if behind >= self.size or index < 0:  # index < 0: from before the first packet
                raise ReplayError(f"packet index {index} is older than the replay window ({self.rule})")
            if self.mask >> behind & 1:
                raise ReplayError(f"packet index {index} was already received ({self.rule})")

    def seen(self, index: int) -> bool:
        """Whether ``index`` was accepted (and is still inside the window)."""
        behind = self.top - index
        return 0 <= behind < self.size and bool(self.mask >> behind & 1)

    def accept(self, index: int) -> None:
        """Record ``index`` (checked, and authenticated): slide the window when it is a new highest."""
        ahead = index - self.top
        if ahead >= self.size:  # a jump past the whole window: only the new index remains
            self.mask = 1
            self.top = index
        elif ahead > 0:
            self.mask = ((self.mask << ahead) | 1) & self.full
            self.top = index
        else:
            self.mask |= 1 << -ahead
