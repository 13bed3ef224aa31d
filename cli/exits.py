"""The exit statuses of ``fipscheck`` (listed in ``fipscheck --help`` and docs/cli.md)."""

from __future__ import annotations

__all__ = ["EXIT_INCOMPLETE", "EXIT_NOT_FOUND", "EXIT_OK", "EXIT_UNAVAILABLE", "EXIT_USAGE", "EXIT_VIOLATION"]

EXIT_OK = 0
EXIT_VIOLATION = 1  # a check found a violation (check, policy gate)
EXIT_USAGE = 2  # a usage error (click's own status for bad options), or a report that cannot be written
# The FIPS provider is missing or unusable, the module is in the ERROR state or runs with FIPS mode off,
# a self-test failed, or status found a problem; `run` refuses to start a program without FIPS.
EXIT_UNAVAILABLE = 3
EXIT_INCOMPLETE = 3  # check, policy: nothing could be evaluated (unreadable or invalid policy or manifest)
EXIT_NOT_FOUND = 127  # run: the program cannot be started (as a shell reports it)
