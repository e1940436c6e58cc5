"""When hubs are asked: a daily run after the morning publication, per install."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
import hashlib
from zoneinfo import ZoneInfo

from homeassistant.config_entries import ConfigEntry

from .const import CONF_REFRESH_TIME, REFRESH_JITTER


def refresh_time(entry: ConfigEntry, default: time) -> time:
    """Return the daily refresh time the user chose (hub-local), else `default`."""
    if raw := entry.options.get(CONF_REFRESH_TIME):
        try:
            return time.fromisoformat(str(raw))
        except ValueError:
            return default
    return default


def install_jitter(seed: str) -> timedelta:
    """Return a per-installation offset so installs do not all call at once."""
    digest = int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16)
    span = int(REFRESH_JITTER.total_seconds())
    return timedelta(seconds=digest % (span + 1))


class DailyTimetable:
    """A daily run at a local time plus a fixed per-installation offset."""

    def __init__(self, timezone: str, at: time, *, seed: str) -> None:
        """Remember the local time and offset."""
        self._tz = ZoneInfo(timezone)
        self._at = at
        self._offset = install_jitter(seed)

    def _slot(self, day: date) -> datetime:
        return datetime.combine(day, self._at, self._tz) + self._offset

    def last_slot(self, now: datetime) -> datetime:
        """Return the most recent run time at or before `now`."""
        today = now.astimezone(self._tz).date()
        slot = self._slot(today)
        return slot if slot <= now else self._slot(today - timedelta(days=1))

    def next_slot(self, now: datetime) -> datetime:
        """Return the first run time after `now`."""
        today = now.astimezone(self._tz).date()
        slot = self._slot(today)
        return slot if slot > now else self._slot(today + timedelta(days=1))
