"""What ``os.fork()`` means for fipscrypto's state: locks held by other threads, and state that must
never be continued in two processes.

A fork copies the whole process but only the thread that called it. A lock that another thread held
at that moment stays locked forever in the child, so every lock of fipscrypto is made by
:func:`lock` or :func:`rlock` and re-initialised in the child before any of the child's code runs.

Objects whose state must not go on in two processes register with :func:`watch`; their
``_forked()`` runs in the child, right after the fork. An AES-GCM key that makes its own nonces
stops encrypting there (``ForkError``): parent and child would otherwise emit the same nonces under
one key, which reuses the keystream and exposes the GHASH key. The default random generator drops the
unread output it holds (the provider's DRBG behind it reseeds in a new process); ``rand.HmacDrbg``
needs no hook: it compares its process id on every request and reseeds in a new process.

The hooks run for ``os.fork()`` and everything built on it (``multiprocessing``'s fork start method,
``os.forkpty``). A C extension that calls ``fork()`` without ``PyOS_AfterFork_Child`` bypasses
them, and Python's own threading state with them.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Protocol

__all__ = ["Watched", "lock", "rlock", "watch"]


class Watched(Protocol):
    def _forked(self) -> None:
        """Called in the child process right after a fork."""


_locks: weakref.WeakSet[object] = weakref.WeakSet()
_watched: weakref.WeakSet[Watched] = weakref.WeakSet()


def lock() -> threading.Lock:
    """A lock that is released in the child of a fork, whoever held it in the parent."""
    made = threading.Lock()
    _locks.add(made)
    return made


def rlock() -> threading.RLock:
    """A re-entrant :func:`lock`."""
    made = threading.RLock()
    _locks.add(made)
    return made


def watch(obj: Watched) -> None:
    """Call ``obj._forked()`` in the child of every later fork (while ``obj`` lives)."""
    _watched.add(obj)


def _after_fork_in_child() -> None:
    # Only this thread exists now: no lock can be taken by anyone else while they are re-initialised.
    for held in list(_locks):
        held._at_fork_reinit()  # type: ignore[attr-defined]  # CPython's own hook (3.9+), as threading uses
    for obj in list(_watched):
        obj._forked()


os.register_at_fork(after_in_child=_after_fork_in_child)
