"""The date every dated decision uses: the UTC day.

Policy changes (SP 800-131A transitions), CMVP sunset dates and the services' verdict caches all read
the day here, from ``time.time()``, so they agree with each other in every time zone.
"""

from __future__ import annotations

import datetime as dt
import time

__all__ = ["date_of", "today", "utc_day"]

_EPOCH = dt.date(1970, 1, 1).toordinal()


def utc_day() -> int:
    """Days since 1970-01-01, UTC."""
    return int(time.time() // 86400)


def date_of(day: int) -> dt.date:
    return dt.date.fromordinal(_EPOCH + day)


def today() -> dt.date:
    return date_of(utc_day())
