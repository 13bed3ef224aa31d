"""fipscrypto's log records, without importing :mod:`logging` for records that nobody can receive.

Until something imports ``logging`` no handler or level can have been configured, and a record below
WARNING reaches no one (Python's last-resort handler prints WARNING and above to stderr). So records
below WARNING go to ``logging`` only once the program has imported it; WARNING and above always do,
and import it when needed.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from logging import Logger

__all__ = ["ERROR", "INFO", "WARNING", "log"]

# logging's levels (logging.INFO, ...), which are fixed by the logging module's documentation.
INFO, WARNING, ERROR = 20, 30, 40

_loggers: dict[str, Logger] = {}  # logging keeps a logger for the life of the process


def log(name: str, level: int, msg: str, *args: object) -> None:
    """``logging.getLogger(name).log(level, msg, *args)``, skipped when it could reach no handler."""
    logger = _loggers.get(name)
    if logger is None:
        if level < WARNING and "logging" not in sys.modules:
            return
        import logging

        logger = _loggers[name] = logging.getLogger(name)
    logger.log(level, msg, *args, stacklevel=2)
