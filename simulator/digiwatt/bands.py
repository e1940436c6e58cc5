"""Minimal ARERA F1/F2/F3 bands and Italian national holidays.

Reimplemented here on purpose (the simulator imports nothing from the
integration); a test checks it against the integration's calendar.

F1 Mon-Fri 08-19; F2 Mon-Fri 07-08 and 19-23, Saturday 07-23; F3 the rest,
all of Sunday and of national holidays. Local time is Europe/Rome.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache


def easter(year: int) -> date:
    """Easter Sunday (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * l_) // 433
    month = (h + l_ - 7 * m + 90) // 25
    day = (h + l_ - 7 * m + 33 * month + 19) % 32
    return date(year, month, day)


@lru_cache(maxsize=32)
def holidays(year: int) -> frozenset[date]:
    """National holidays (4 October from 2026, Law 151/2025)."""
    fixed = [(1, 1), (1, 6), (4, 25), (5, 1), (6, 2), (8, 15), (11, 1), (12, 8)]
    fixed += [(12, 25), (12, 26)]
    if year >= 2026:
        fixed.append((10, 4))
    days = {date(year, m, d) for m, d in fixed}
    days.add(easter(year) + timedelta(days=1))
    return frozenset(days)


def is_holiday(day: date) -> bool:
    """Tell whether ``day`` is a national holiday."""
    return day in holidays(day.year)


def band(local: datetime) -> int:
    """Band (1, 2 or 3) of the interval starting at local time ``local``."""
    day = local.date()
    weekday = day.weekday()
    hour = local.hour
    if weekday == 6 or is_holiday(day):
        return 3
    if weekday == 5:
        return 2 if 7 <= hour < 23 else 3
    if 8 <= hour < 19:
        return 1
    if hour == 7 or 19 <= hour < 23:
        return 2
    return 3
