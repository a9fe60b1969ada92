"""The product's one rule for time: stored in UTC, shown in the configured zone.

Every moment is stored as UTC (``data.sqlite_file``, ``data.models.base``). Every moment shown to
a person, every "today" and every local midnight (the day's visits, a month of indicators, the
end-of-day reminder) is in the zone of the ``time_zone`` setting, default ``Asia/Shanghai``, never
the machine's zone: a village PC set to another zone (or to UTC, as many are) shows the same
times as the hospital, the slip and the referral log. The app and ``clinic-tui`` set the zone
from the settings at start (``set_zone``).

"Today" is that zone's date, unless ``CLINIC_TUI_TODAY`` pins it (``CLINIC_TUI_TODAY=2026-11-20``:
for screenshots, terminal tests and demonstrations on the demo database, whose records are dated
around the day it was generated). Every screen asks here instead of calling ``date.today()`` so
that one setting moves them all.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

TODAY_VARIABLE = "CLINIC_TUI_TODAY"
DEFAULT_ZONE = "Asia/Shanghai"
# China has had no daylight saving time since 1991: where the system has no zone database
# (Windows without the tzdata package) China Standard Time is this fixed offset.
_CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")


def zone_named(name: str) -> tzinfo:
    """The zone called ``name``; ValueError for a name that is not one."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        if name in (DEFAULT_ZONE, "Asia/Chongqing", "Asia/Harbin", "PRC"):
            return _CHINA_STANDARD_TIME
        raise ValueError(f"unknown time zone {name!r}") from exc


_zone: tzinfo = zone_named(DEFAULT_ZONE)


def set_zone(name: str) -> None:
    global _zone
    _zone = zone_named(name)


def zone() -> tzinfo:
    return _zone


def local(moment: datetime) -> datetime:
    """A stored moment in the configured zone (a naive one is UTC, as stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone)


def now() -> datetime:
    return datetime.now(_zone)


def at(day: date, clock_time: time = time.min) -> datetime:
    """``day`` at ``clock_time`` in the configured zone (a local midnight by default), aware."""
    return datetime.combine(day, clock_time, tzinfo=_zone)


def today() -> date:
    pinned = os.environ.get(TODAY_VARIABLE)
    return date.fromisoformat(pinned) if pinned else now().date()
