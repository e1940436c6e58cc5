"""Value readers shared by the providers' parsers.

Each reader takes whatever a JSON (or CSV) answer put in a field and returns
a plain, plausible value or None; none of them raises. "Plausible" is the one
rule of every provider: numbers are finite, energies and powers are not
negative, dates and instants fall between `FIRST_DAY` and `LAST_DAY`, digits
are ASCII digits (``"²".isdigit()`` is True, ``int("²")`` raises).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
import math
import re
from typing import Any, Final
from zoneinfo import ZoneInfo

FIRST_DAY: Final = date(2000, 1, 1)
"""The earliest day a meter reading, a contract or a consent may carry."""
LAST_DAY: Final = date(2100, 1, 1)
"""The day after the latest plausible one (exclusive bound)."""
FIRST_INSTANT: Final = datetime.combine(FIRST_DAY, time(), UTC)
LAST_INSTANT: Final = datetime.combine(LAST_DAY, time(), UTC)

# A decimal number in ASCII: no "NaN", "Infinity", "1_000" or Arabic digits.
_NUMBER: Final = re.compile(
    r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
)
_ZONE_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,2}")
_TOKEN: Final = re.compile(r"[\x21-\x7e]+")
_MAX_TOKEN: Final = 16384
_MAX_NUMBER_TEXT: Final = 64
"""Longer number texts are garbage (and `int()` of 5,000 digits raises)."""
MAX_MAGNITUDE: Final = 1e15
"""Larger numbers are out of range for any meter (1e15 Wh is a nation's
yearly use): refusing them keeps every product with a duration finite."""


def lenient_number(value: Any) -> float | None:
    """Read a finite number sent as a number or a string (``"1,5"`` too).

    None for null, a boolean, blank text, garbage, NaN, infinities and
    anything beyond `MAX_MAGNITUDE`.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = float(value) if abs(value) <= MAX_MAGNITUDE else math.inf
    elif isinstance(value, float):
        number = value
    elif isinstance(value, str):
        text = value.strip().replace(",", ".")
        if len(text) > _MAX_NUMBER_TEXT or not _NUMBER.fullmatch(text):
            return None
        number = float(text)
    else:
        return None
    return number if abs(number) <= MAX_MAGNITUDE else None


def non_negative(value: Any) -> float | None:
    """Read an energy or a power: a finite number >= 0 (None otherwise)."""
    number = lenient_number(value)
    return number if number is not None and number >= 0 else None


def whole_number(value: Any, maximum: int) -> int | None:
    """Read a whole number between 0 and `maximum` (None otherwise)."""
    number = lenient_number(value)
    if number is None or not number.is_integer() or not 0 <= number <= maximum:
        return None
    return int(number)


def ascii_digits(text: str, maximum: int) -> int | None:
    """Read ASCII digits (at most `maximum` as a value); None for anything else."""
    if (
        not text
        or len(text) > len(str(maximum))
        or not (text.isascii() and text.isdigit())
    ):
        return None
    number = int(text)
    return number if number <= maximum else None


def header_token(value: Any) -> str | None:
    """Return a token that can travel in an HTTP header, else None.

    Visible ASCII only (RFC 6750's b64token and more): a control character
    or a space inside would make the HTTP library refuse to send the request.
    """
    if not isinstance(value, str):
        return None
    token = value.strip()
    if not token or len(token) > _MAX_TOKEN or not _TOKEN.fullmatch(token):
        return None
    return token


def plausible_day(day: date | None) -> date | None:
    """Return `day` when it lies between `FIRST_DAY` and `LAST_DAY`, else None."""
    if day is None or not FIRST_DAY <= day < LAST_DAY:
        return None
    return day


def plausible_instant(value: datetime | None) -> datetime | None:
    """Return an aware instant in UTC when plausible, else None.

    Far dates (year 1 with an offset, 9999-12-31 ahead of UTC) cannot be
    moved to UTC at all; they are None like any other implausible instant.
    """
    if value is None or value.tzinfo is None or value.utcoffset() is None:
        return None
    if not FIRST_DAY <= value.date() < LAST_DAY:  # far from datetime's limits
        return None
    instant = value.astimezone(UTC)
    return instant if FIRST_INSTANT <= instant < LAST_INSTANT else None


def zone(name: Any) -> tzinfo | None:
    """Return the IANA zone called `name`, None when there is no such zone.

    The name is checked before the zone database is opened: an absurd name
    (a path, 300 characters) makes `ZoneInfo` raise OSError, not ValueError.
    """
    if not isinstance(name, str) or len(name) > 64 or not _ZONE_NAME.fullmatch(name):
        return None
    try:
        return ZoneInfo(name)
    except (KeyError, OSError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        return None
