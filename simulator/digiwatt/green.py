"""Greenness windows: when the Italian grid's renewable share is high.

Each local (Europe/Rome) day has, on a 15-minute grid:

* a night wind window starting 01:00-02:00, 2-3 h long, 55-70 %;
* a solar window starting 10:00-12:00, 3-5 h long, 65-90 % (more in summer);
* sometimes (40 %) an evening window starting 17:15-19:00, 1-2 h, 55-65 %.

The endpoint serves the windows not yet over that start within 24 hours, at
least the next two and at most four, so always 2-4 windows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
import math
from typing import Final

from simulator.common import noise

from .load import ROME, local_day

type Window = tuple[datetime, datetime, float]
"""(start UTC, end UTC, renewable share 0-1)."""

HORIZON: Final = timedelta(hours=24)
_KEY: Final = "digiwatt-greenness"


def _window(day: date, start_h: float, length_h: float, percentage: float) -> Window:
    # Aware + timedelta is wall-clock arithmetic; the spring gap shortens a
    # window crossing it, the autumn repeat lengthens it.
    start = datetime.combine(day, time(), ROME) + timedelta(hours=start_h)
    end = start + timedelta(hours=length_h)
    return start.astimezone(UTC), end.astimezone(UTC), round(percentage, 1) / 100


def day_windows(day: date) -> list[Window]:
    """Return the windows of one local day, in order."""
    ordinal = day.toordinal()

    def steps(name: str, count: int) -> int:
        return int(noise.unit(_KEY, name, ordinal) * count)

    summer = 0.5 + 0.5 * math.cos(
        2 * math.pi * (day.timetuple().tm_yday - 172) / 365.25
    )
    windows = [
        _window(
            day,
            1.0 + 0.25 * steps("night", 5),
            2.0 + 0.25 * steps("night-length", 5),
            55 + 15 * noise.unit(_KEY, "night%", ordinal),
        ),
        _window(
            day,
            10.0 + 0.25 * steps("solar", 9),
            3.0 + 0.25 * steps("solar-length", 9),
            65 + 10 * summer + 15 * noise.unit(_KEY, "solar%", ordinal),
        ),
    ]
    if noise.chance(0.4, _KEY, "evening?", ordinal):
        windows.append(
            _window(
                day,
                17.25 + 0.25 * steps("evening", 8),
                1.0 + 0.25 * steps("evening-length", 5),
                55 + 10 * noise.unit(_KEY, "evening%", ordinal),
            )
        )
    return windows


def upcoming(now: datetime) -> list[Window]:
    """Return the windows served at ``now`` (2-4 of them)."""
    today = local_day(now)
    candidates = [
        window
        for offset in range(-1, 3)
        for window in day_windows(today + timedelta(days=offset))
        if window[1] > now
    ]
    candidates.sort()
    chosen = [window for window in candidates if window[0] < now + HORIZON]
    if len(chosen) < 2:
        chosen = candidates[:2]
    return chosen[:4]
