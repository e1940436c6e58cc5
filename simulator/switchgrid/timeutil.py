"""Time parsing and formatting the Switchgrid API uses.

* ``since`` / ``until`` accept every form the API document lists: a date
  (``2024-12-10``), a local date-time (``2024-12-10T00:00:00``), UTC
  (``...Z``), an offset (``...+01:00``) and a bracketed zone
  (``2024-12-10T00:00:00[Europe/Paris]``, ``[CET]``). Values without an offset
  or zone are UTC ("by default in UTC").
* Instants are written like JavaScript's ``toISOString()``:
  ``2024-06-17T13:40:21.422Z``.
* ``consentDuration`` is one of the spec's enum strings (``"1 day"`` ..
  ``"6 days"``, ``"1 week"`` .. ``"4 weeks"``, ``"1 month"`` .. ``"6 months"``,
  ``"1 year"`` .. ``"20 years"``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BRACKET = re.compile(r"^(?P<body>[^\[\]]+)\[(?P<zone>[A-Za-z0-9_+\-/]+)\]$")
_DURATION = re.compile(r"^(\d{1,2}) (day|days|week|weeks|month|months|year|years)$")
_DURATION_LIMITS = {"day": 6, "week": 4, "month": 6, "year": 20}

CONSENT_DURATIONS: frozenset[str] = frozenset(
    f"{n} {unit}{'' if n == 1 else 's'}"
    for unit, limit in _DURATION_LIMITS.items()
    for n in range(1, limit + 1)
)
"""Every ``consentDuration`` the spec allows."""


def parse_instant(text: str) -> datetime:
    """Parse a ``since``/``until`` value into an aware UTC datetime.

    Raises ``ValueError`` for anything else.
    """
    value = text.strip()
    zone: ZoneInfo | None = None
    match = _BRACKET.match(value)
    if match is not None:
        value = match["body"]
        try:
            zone = ZoneInfo(match["zone"])
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown time zone {match['zone']!r}") from err
    tz = zone or UTC
    if _DATE_ONLY.match(value):
        day = date.fromisoformat(value)
        return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
    if "T" not in value:
        raise ValueError(f"not a date or date-time: {text!r}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def iso(instant: datetime) -> str:
    """``2024-06-17T13:40:21.422Z`` (UTC, milliseconds), like JavaScript."""
    utc = instant.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def iso_or_none(instant: datetime | None) -> str | None:
    """:func:`iso` or None."""
    return None if instant is None else iso(instant)


def iso_duration(step: timedelta) -> str:
    """``PT1800S`` style duration (``P1D`` for a calendar day)."""
    seconds = int(step.total_seconds())
    if seconds == 86400:
        return "P1D"
    return f"PT{seconds}S"


def add_months(instant: datetime, months: int) -> datetime:
    """Shift by calendar months, clamping the day (31 Jan + 1 month = 28/29 Feb)."""
    index = instant.year * 12 + (instant.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = instant.day
    while True:
        try:
            return instant.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


def validate_duration(text: object) -> str | None:
    """Error message for an invalid ``consentDuration`` (None when valid)."""
    if not isinstance(text, str):
        return "consentDuration must be a string"
    if text not in CONSENT_DURATIONS:
        return (
            "consentDuration must be one of '1 day'..'6 days', '1 week'..'4 weeks', "
            "'1 month'..'6 months', '1 year'..'20 years'"
        )
    return None


def add_duration(start: datetime, text: str) -> datetime:
    """``start`` + a ``consentDuration`` (calendar months/years)."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"invalid duration {text!r}")
    count = int(match[1])
    unit = match[2].rstrip("s")
    if unit == "day":
        return start + timedelta(days=count)
    if unit == "week":
        return start + timedelta(weeks=count)
    if unit == "month":
        return add_months(start, count)
    return add_months(start, 12 * count)


def floor_to(instant: datetime, step: timedelta) -> datetime:
    """Floor an instant to a multiple of ``step`` since the Unix epoch."""
    seconds = int(step.total_seconds())
    stamp = int(instant.timestamp())
    return datetime.fromtimestamp(stamp - stamp % seconds, UTC)


def ceil_to(instant: datetime, step: timedelta) -> datetime:
    """Ceil an instant to a multiple of ``step`` since the Unix epoch."""
    floored = floor_to(instant, step)
    return floored if floored == instant else floored + step
