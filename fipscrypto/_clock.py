"""The date every dated decision uses: the UTC day.

Policy changes (SP 800-131A transitions), CMVP sunset dates and the services' verdict caches all read
the day here, from ``time.time()``, so they agree with each other in every time zone.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime as dt

__all__ = ["date_of", "iso_day", "today", "utc_day"]

_EPOCH = 719_163  # datetime.date(1970, 1, 1).toordinal()
_DAY = 86_400


def utc_day() -> int:
    """Days since 1970-01-01, UTC."""
    return int(time.time() // _DAY)


def date_of(day: int) -> dt.date:
    import datetime as dt  # (activation reads the day as text only: iso_day)

    return dt.date.fromordinal(_EPOCH + day)


def today() -> dt.date:
    return date_of(utc_day())


def iso_day() -> str:
    """Today, UTC, as ``YYYY-MM-DD`` (``today().isoformat()``)."""
    return time.strftime("%Y-%m-%d", time.gmtime(utc_day() * _DAY))
