"""Tariff-period calendars for Spain (2.0TD), France (Base, HP/HC) and Italy (F1-F3).

Pure Python (stdlib only, no Home Assistant imports). A calendar answers one
question: which tariff period does the interval *starting* at a given instant
belong to? Instants must be timezone-aware; they may be in any timezone and are
converted to the calendar's own local time before the rules are applied, so
23- and 25-hour DST days need no special handling by callers.

Period ids are lowercase and ready to be used in statistic ids:
``("p1", "p2", "p3")``, ``("base",)``, ``("hp", "hc")``, ``("f1", "f2", "f3")``.

A calendar classifies the *start* of an interval. When a period boundary falls
inside an interval (French off-peak ranges such as ``1H28-6H58`` against 30-min
or hourly readings) the whole interval goes to the period of its start; callers
that need more precision must classify shorter slices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
import re
from typing import Final, Literal, Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "FranceBase",
    "FranceHPHC",
    "ItalyF123",
    "Spain20TD",
    "TariffCalendar",
    "easter_sunday",
    "italy_national_holidays",
    "parse_off_peak_hours",
    "spain_20td_for",
    "spain_20td_power_period",
    "spain_national_holidays",
    "spain_timezone_for",
]


@runtime_checkable
class TariffCalendar(Protocol):
    """A calendar mapping instants to tariff periods.

    ``key`` is a stable id (``"es_20td"``, ``"es_20td_cym"``, ``"fr_base"``,
    ``"fr_hphc"``, ``"it_f123"``); ``periods`` lists every id ``period_at``
    can return, in tariff order (most expensive first where that applies).
    """

    @property
    def key(self) -> str:
        """Stable identifier of the calendar's rule set."""
        ...

    @property
    def periods(self) -> tuple[str, ...]:
        """All period ids this calendar can return."""
        ...

    def period_at(self, instant: datetime) -> str:
        """Return the period of the interval starting at the aware ``instant``."""
        ...


_SATURDAY: Final = 5
_SUNDAY: Final = 6


def _zone(name: str) -> ZoneInfo:
    """Load an IANA timezone, raising ValueError for unknown names."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown timezone {name!r}") from err


def _local(instant: datetime, tz: ZoneInfo) -> datetime:
    """Convert an aware instant to local time; reject naive datetimes."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"instant must be timezone-aware, got {instant!r}")
    return instant.astimezone(tz)


# ---------------------------------------------------------------------------
# Holidays
# ---------------------------------------------------------------------------


def easter_sunday(year: int) -> date:
    """Return Easter Sunday of ``year`` (Gregorian calendar).

    Anonymous Gregorian algorithm (Meeus/Jones/Butcher), e.g. 2025-04-20,
    2026-04-05.
    """
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


_ES_FIXED_HOLIDAYS: Final = (
    (1, 1),
    (1, 6),
    (5, 1),
    (8, 15),
    (10, 12),
    (11, 1),
    (12, 6),
    (12, 8),
    (12, 25),
)


@lru_cache(maxsize=64)
def spain_national_holidays(year: int) -> frozenset[date]:
    """Return the days that are all-day P3 for Spanish 2.0TD in ``year``.

    CNMC Circular 3/2020: Saturdays, Sundays, 6 January and the national
    holidays *with a fixed date*, "con exclusión tanto de los festivos
    sustituibles como de los que no tienen fecha fija". So: 1 Jan, 6 Jan,
    1 May, 15 Aug, 12 Oct, 1 Nov, 6 Dec, 8 Dec, 25 Dec. Good Friday, Holy
    Thursday, Easter Monday, regional and local holidays and Monday
    substitutes for holidays falling on a Sunday are *not* included.
    """
    return frozenset(date(year, month, day) for month, day in _ES_FIXED_HOLIDAYS)


_IT_FIXED_HOLIDAYS: Final = (
    (1, 1),
    (1, 6),
    (4, 25),
    (5, 1),
    (6, 2),
    (8, 15),
    (11, 1),
    (12, 8),
    (12, 25),
    (12, 26),
)
_IT_SAINT_FRANCIS_FROM: Final = 2026
"""4 October (San Francesco) is a national holiday from 2026 (Law 151/2025)."""


@lru_cache(maxsize=64)
def italy_national_holidays(year: int) -> frozenset[date]:
    """Return the Italian national holidays of ``year`` (all-day F3).

    1 Jan, 6 Jan, Easter Monday, 25 Apr, 1 May, 2 Jun, 15 Aug, 1 Nov, 8 Dec,
    25 Dec, 26 Dec, plus 4 Oct from 2026. Easter Sunday is a Sunday and so F3
    anyway. Local patron saints' days are not holidays for band purposes.
    """
    days = {date(year, month, day) for month, day in _IT_FIXED_HOLIDAYS}
    days.add(easter_sunday(year) + timedelta(days=1))
    if year >= _IT_SAINT_FRANCIS_FROM:
        days.add(date(year, 10, 4))
    return frozenset(days)


# ---------------------------------------------------------------------------
# Spain 2.0TD
# ---------------------------------------------------------------------------

# Energy period of each local clock hour on a working day (Mon-Fri, non-holiday).
_ES_HOURS_PENINSULA: Final[tuple[str, ...]] = (
    ("p3",) * 8  # 00-08
    + ("p2",) * 2  # 08-10
    + ("p1",) * 4  # 10-14
    + ("p2",) * 4  # 14-18
    + ("p1",) * 4  # 18-22
    + ("p2",) * 2  # 22-24
)
_ES_HOURS_CEUTA_MELILLA: Final[tuple[str, ...]] = (
    ("p3",) * 8  # 00-08
    + ("p2",) * 3  # 08-11
    + ("p1",) * 4  # 11-15
    + ("p2",) * 4  # 15-19
    + ("p1",) * 4  # 19-23
    + ("p2",) * 1  # 23-24
)
_ES_CEUTA_MELILLA_PROVINCES: Final = frozenset({"51", "52"})
_ES_CANARY_PROVINCES: Final = frozenset({"35", "38"})

SpainTerritory = Literal["peninsula", "ceuta_melilla"]


def _is_spanish_working_day(local: datetime) -> bool:
    day = local.date()
    return local.weekday() < _SATURDAY and day not in spain_national_holidays(day.year)


@dataclass(frozen=True, slots=True)
class Spain20TD:
    """Spanish 2.0TD energy periods P1 (punta), P2 (llano), P3 (valle).

    Working days (Mon-Fri, non-holiday), peninsula/Baleares/Canarias:
    P3 00-08, P2 08-10, P1 10-14, P2 14-18, P1 18-22, P2 22-24.
    Ceuta and Melilla shift punta/llano one hour later: P3 00-08, P2 08-11,
    P1 11-15, P2 15-19, P1 19-23, P2 23-24. Weekends and the fixed-date
    national holidays (:func:`spain_national_holidays`) are P3 all day.
    The Canary Islands use the same clock hours in their own local time: pass
    ``timezone="Atlantic/Canary"``. Hours are the same in summer and winter.
    """

    territory: SpainTerritory = "peninsula"
    timezone: str = "Europe/Madrid"
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)
    _hours: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Validate the territory and resolve the timezone."""
        if self.territory == "peninsula":
            hours = _ES_HOURS_PENINSULA
        elif self.territory == "ceuta_melilla":
            hours = _ES_HOURS_CEUTA_MELILLA
        else:
            raise ValueError(f"unknown 2.0TD territory {self.territory!r}")
        object.__setattr__(self, "_tz", _zone(self.timezone))
        object.__setattr__(self, "_hours", hours)

    @property
    def key(self) -> str:
        """Return ``"es_20td"`` or ``"es_20td_cym"`` (Ceuta y Melilla)."""
        return "es_20td" if self.territory == "peninsula" else "es_20td_cym"

    @property
    def periods(self) -> tuple[str, ...]:
        """Return ``("p1", "p2", "p3")``."""
        return ("p1", "p2", "p3")

    def period_at(self, instant: datetime) -> str:
        """Return the energy period of the interval starting at ``instant``."""
        local = _local(instant, self._tz)
        if not _is_spanish_working_day(local):
            return "p3"
        return self._hours[local.hour]


def spain_20td_power_period(
    instant: datetime, timezone: str = "Europe/Madrid"
) -> Literal["p1", "p2"]:
    """Return the 2.0TD *power* period of the interval starting at ``instant``.

    P1 (punta-llano) is Mon-Fri 08-24 on non-holidays, P2 (valle) is 00-08 and
    all hours of weekends and fixed-date national holidays. The same for every
    territory, Ceuta and Melilla included (in local time).
    """
    local = _local(instant, _zone(timezone))
    if _is_spanish_working_day(local) and local.hour >= 8:
        return "p1"
    return "p2"


def _normalize_province(province_code: str | None) -> str | None:
    if province_code is None:
        return None
    code = province_code.strip()
    return code.zfill(2) if code.isdigit() else code


def spain_timezone_for(province_code: str | None) -> str:
    """Return the local timezone of a Spanish province code.

    ``"35"`` (Las Palmas) and ``"38"`` (Santa Cruz de Tenerife) are the Canary
    Islands (``Atlantic/Canary``); everything else, Ceuta and Melilla
    included, follows ``Europe/Madrid``. Unknown or missing codes give
    ``Europe/Madrid``.
    """
    if _normalize_province(province_code) in _ES_CANARY_PROVINCES:
        return "Atlantic/Canary"
    return "Europe/Madrid"


def spain_20td_for(province_code: str | None, timezone: str | None = None) -> Spain20TD:
    """Return the 2.0TD calendar for a supply in ``province_code``.

    Province codes ``"51"`` (Ceuta) and ``"52"`` (Melilla) get the Ceuta y
    Melilla hours; anything else (including ``None``) the peninsula hours.
    Codes are compared after stripping and zero-padding (``"7"`` == ``"07"``).
    ``timezone`` defaults to :func:`spain_timezone_for` the province.
    """
    code = _normalize_province(province_code)
    territory: SpainTerritory = (
        "ceuta_melilla" if code in _ES_CEUTA_MELILLA_PROVINCES else "peninsula"
    )
    if timezone is None:
        timezone = spain_timezone_for(code)
    return Spain20TD(territory=territory, timezone=timezone)


# ---------------------------------------------------------------------------
# France
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FranceBase:
    """French "Base" option: a single price, one period ``"base"``.

    Kept so that every supply has a calendar and statistic ids have the same
    shape for every option.
    """

    timezone: str = "Europe/Paris"
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Resolve the timezone."""
        object.__setattr__(self, "_tz", _zone(self.timezone))

    @property
    def key(self) -> str:
        """Return ``"fr_base"``."""
        return "fr_base"

    @property
    def periods(self) -> tuple[str, ...]:
        """Return ``("base",)``."""
        return ("base",)

    def period_at(self, instant: datetime) -> str:
        """Return ``"base"`` for any aware instant."""
        _local(instant, self._tz)
        return "base"


@dataclass(frozen=True, slots=True)
class FranceHPHC:
    """French HP/HC option: off-peak (``"hc"``) in the given local time ranges.

    Each range is ``(start, end)`` in local wall-clock time, start inclusive and
    end exclusive. A range with ``start > end`` crosses midnight
    (``22:30-06:30``); a range with ``start == end`` covers the whole day (this
    is what ``"00H00-24H00"`` parses to). Several ranges may be given and may
    overlap. Everything else is peak (``"hp"``). The same ranges apply on every
    day of the week, weekends and holidays included, as Enedis programs them.
    """

    off_peak: Sequence[tuple[time, time]]
    timezone: str = "Europe/Paris"
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Validate the ranges, freeze them into a tuple and resolve the timezone."""
        ranges = tuple((start, end) for start, end in self.off_peak)
        if not ranges:
            raise ValueError("an HP/HC calendar needs at least one off-peak range")
        for start, end in ranges:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("off-peak ranges must use naive local times")
        object.__setattr__(self, "off_peak", ranges)
        object.__setattr__(self, "_tz", _zone(self.timezone))

    @property
    def key(self) -> str:
        """Return ``"fr_hphc"``."""
        return "fr_hphc"

    @property
    def periods(self) -> tuple[str, ...]:
        """Return ``("hp", "hc")``."""
        return ("hp", "hc")

    def period_at(self, instant: datetime) -> str:
        """Return ``"hc"`` if ``instant`` is in an off-peak range, else ``"hp"``."""
        now = _local(instant, self._tz).time()
        for start, end in self.off_peak:
            if start < end:
                if start <= now < end:
                    return "hc"
            elif start > end:
                if now >= start or now < end:
                    return "hc"
            else:
                return "hc"
        return "hp"


_OFF_PEAK_PREFIX: Final = re.compile(r"^\s*HC\s*[:=]?\s*", re.IGNORECASE)
_OFF_PEAK_RANGE: Final = re.compile(
    r"""\s*
    (?P<h1>[0-9]{1,2})\s*[H:]\s*(?P<m1>[0-9]{2})?
    \s*[-\u2010-\u2015\u2212]\s*
    (?P<h2>[0-9]{1,2})\s*[H:]\s*(?P<m2>[0-9]{2})?
    \s*""",
    re.IGNORECASE | re.VERBOSE,
)


def _clock(hours: str, minutes: str | None, *, is_end: bool, text: str) -> time:
    hour, minute = int(hours), int(minutes or 0)
    if hour == 24 and minute == 0 and is_end:
        return time(0, 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"invalid clock time {hours}H{minutes or ''} in {text!r}")
    return time(hour, minute)


def parse_off_peak_hours(text: str) -> tuple[tuple[time, time], ...]:
    """Parse an Enedis off-peak-hours text into ``(start, end)`` local times.

    Accepts the ``plagesHeuresCreuses`` forms seen in C68 / Data Connect and in
    user configuration, in any letter case and with optional spaces::

        "HC (22H30-6H30)"               -> ((22:30, 06:30),)
        "HC (1H28-6H58;13H58-16H28)"    -> ((01:28, 06:58), (13:58, 16:28))
        "01H36-07H36", "22h30-06h30", "22:30-06:30", "22H-6H"
        "22H30 - 6H30" also with an en/em dash or a minus sign (U+2010-U+2015,
        U+2212); ";" or "," between ranges
        "00H00-24H00"                   -> ((00:00, 00:00),)  i.e. all day

    ``24H00`` is accepted as an end time only and means midnight. A range
    whose start equals its end means the whole day (see :class:`FranceHPHC`).
    Raise ValueError for anything else (empty text, missing ``H``/``:``,
    hours > 24, minutes > 59, stray characters).
    """
    body = _OFF_PEAK_PREFIX.sub("", text, count=1).strip()
    if body.startswith("(") and body.endswith(")"):
        body = body[1:-1]
    parts = [part for part in re.split(r"[;,]", body) if part.strip()]
    if not parts:
        raise ValueError(f"no off-peak range in {text!r}")
    ranges: list[tuple[time, time]] = []
    for part in parts:
        match = _OFF_PEAK_RANGE.fullmatch(part)
        if match is None:
            msg = f"cannot parse off-peak range {part.strip()!r} in {text!r}"
            raise ValueError(msg)
        ranges.append(
            (
                _clock(match["h1"], match["m1"], is_end=False, text=text),
                _clock(match["h2"], match["m2"], is_end=True, text=text),
            )
        )
    return tuple(ranges)


# ---------------------------------------------------------------------------
# Italy F1/F2/F3
# ---------------------------------------------------------------------------

_IT_HOURS_WEEKDAY: Final[tuple[str, ...]] = (
    ("f3",) * 7  # 00-07
    + ("f2",) * 1  # 07-08
    + ("f1",) * 11  # 08-19
    + ("f2",) * 4  # 19-23
    + ("f3",) * 1  # 23-24
)
_IT_HOURS_SATURDAY: Final[tuple[str, ...]] = (
    ("f3",) * 7  # 00-07
    + ("f2",) * 16  # 07-23
    + ("f3",) * 1  # 23-24
)


@dataclass(frozen=True, slots=True)
class ItalyF123:
    """Italian ARERA time bands (deliberation 181/06).

    F1 Mon-Fri 08-19; F2 Mon-Fri 07-08 and 19-23, Saturday 07-23; F3 Mon-Sat
    00-07 and 23-24, all of Sunday and national holidays
    (:func:`italy_national_holidays`), computed in ``Europe/Rome``.
    """

    timezone: str = "Europe/Rome"
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Resolve the timezone."""
        object.__setattr__(self, "_tz", _zone(self.timezone))

    @property
    def key(self) -> str:
        """Return ``"it_f123"``."""
        return "it_f123"

    @property
    def periods(self) -> tuple[str, ...]:
        """Return ``("f1", "f2", "f3")``."""
        return ("f1", "f2", "f3")

    def period_at(self, instant: datetime) -> str:
        """Return the band of the interval starting at ``instant``."""
        local = _local(instant, self._tz)
        weekday = local.weekday()
        day = local.date()
        if weekday == _SUNDAY or day in italy_national_holidays(day.year):
            return "f3"
        if weekday == _SATURDAY:
            return _IT_HOURS_SATURDAY[local.hour]
        return _IT_HOURS_WEEKDAY[local.hour]
