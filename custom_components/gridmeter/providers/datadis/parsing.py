"""Turn Datadis answers into GridMeter models.

Datadis labels hourly rows by the END of the interval in Spanish local civil
time, `01:00` .. `24:00`, with no offset: the autumn day has 25 rows with
`03:00` twice, the spring day 23 rows without `03:00`, and i-DE sometimes adds
a stray `00:00` row. Rows are therefore never keyed by (date, time): each
local day's real hour intervals are generated in UTC, labelled the way Datadis
labels them, and the n-th row carrying a label is matched to the n-th
interval carrying it.

Every row is read on its own: a row with an unreadable, negative or
non-finite value, or a date outside 2000-2099 or outside the requested
months, is skipped and counted; the rest of the answer is kept.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
import logging
import re
from typing import Any, Final
from zoneinfo import ZoneInfo

from ..errors import InvalidResponse
from ..history import add_months
from ..models import (
    AreaAverage,
    Contract,
    EnergyKind,
    EnergyReading,
    MeterPoint,
    PowerPeak,
    ReadingBatch,
)
from ..parsing import ascii_digits, non_negative, plausible_day, whole_number, zone

_LOGGER = logging.getLogger(__name__)

MADRID: Final = "Europe/Madrid"
CANARY: Final = "Atlantic/Canary"
CANARY_PROVINCES: Final = frozenset({"35", "38"})
HOUR: Final = timedelta(hours=1)

# Columns of a consumption row and the register each one feeds.
ENERGY_COLUMNS: Final[Mapping[str, EnergyKind]] = {
    "consumptionKWh": EnergyKind.CONSUMPTION,
    "surplusEnergyKWh": EnergyKind.RETURN,
    "generationEnergyKWh": EnergyKind.GENERATION,
    "selfConsumptionEnergyKWh": EnergyKind.SELF_CONSUMPTION,
}

_PERIOD_WORDS: Final = {"PUNTA": "p1", "LLANO": "p2", "VALLE": "p3"}
_LABEL = re.compile(r"\s*([0-9]{1,2}):([0-9]{2})\s*", re.ASCII)
_PEAK_TIME = re.compile(r"\s*([0-9]{1,2}):([0-9]{2})", re.ASCII)
_DATE = re.compile(r"\s*([0-9]{4})[/-]([0-9]{1,2})[/-]([0-9]{1,2})", re.ASCII)
_MAX_POINT_TYPE: Final = 99
_MAX_HOMES: Final = 100_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class DatadisSupply(MeterPoint):
    """A Datadis supply point: a MeterPoint plus what Datadis queries need."""

    cups: str
    """The CUPS exactly as Datadis lists it (sent back in queries); `meter_id`
    is its first 20 characters, which identify the supply for good."""
    distributor_code: str
    """Datadis's own distributor code ("1".."8"), sent back as received."""


def timezone_for(province_code: str | None, postal_code: str | None) -> str:
    """Return the IANA zone of a Spanish supply (the Canaries are one hour behind)."""
    prefix = province_code or (postal_code or "")[:2]
    return CANARY if prefix.zfill(2) in CANARY_PROVINCES else MADRID


def _text(value: Any) -> str | None:
    """Return a scalar as stripped text (None for null, blanks and containers)."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    text = str(value).strip()
    return None if text in {"", "-", "null"} else text


def _parse_date(value: Any) -> date | None:
    """Read ``YYYY/MM/DD`` (or with dashes): a plausible day, else None."""
    match = _DATE.match(_text(value) or "")
    if match is None:
        return None
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    return plausible_day(day)


def _as_list(value: Any) -> list[Any]:
    """Read a list field that may come as one scalar (``contractedPowerkW: 3.45``)."""
    if isinstance(value, list):
        return value
    return [] if value is None or isinstance(value, dict) else [value]


def _month_days(months: tuple[date, date] | None) -> tuple[date, date] | None:
    """Return the first day and the day after the last of a month range."""
    if months is None:
        return None
    return months[0].replace(day=1), add_months(months[1], 1)


def _within(day: date, span: tuple[date, date] | None) -> bool:
    return span is None or span[0] <= day < span[1]


def _zone(name: str) -> tzinfo:
    """Return a supply's zone (mainland Spain when the name is not a zone)."""
    return zone(name) or ZoneInfo(MADRID)


def expect_list(body: Any, key: str) -> list[Any]:
    """Unwrap a v2 envelope `{key: [...], "distributorError": [...]}` (or a v1 list)."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and isinstance(body.get(key), list):
        return list(body[key])
    raise InvalidResponse(f"expected a list under {key!r}")


def distributor_errors(body: Any) -> list[str]:
    """Return the distributor failures reported inside a 200 answer."""
    if not isinstance(body, dict):
        return []
    errors = body.get("distributorError") or []
    if not isinstance(errors, list):
        return []
    return [
        " ".join(
            str(item.get(field) or "")
            for field in ("distributorName", "errorCode", "errorDescription")
        ).strip()
        for item in errors
        if isinstance(item, dict)
    ]


def failed_distributor_codes(body: Any) -> frozenset[str] | None:
    """Return the codes of the distributors a 200 answer reports as failed.

    None when an error item names no distributor code (any could be missing).
    """
    if not isinstance(body, dict) or not isinstance(body.get("distributorError"), list):
        return frozenset()
    codes: set[str] = set()
    for item in body["distributorError"]:
        code = _text(item.get("distributorCode")) if isinstance(item, dict) else None
        if code is None:
            return None
        codes.add(code)
    return frozenset(codes)


def parse_supplies(rows: Iterable[Any]) -> list[DatadisSupply]:
    """Parse supply rows; a CUPS listed twice keeps its current (open) row."""
    best: dict[str, tuple[tuple[int, date], DatadisSupply]] = {}
    for row in rows:
        if not isinstance(row, dict) or not (cups := _text(row.get("cups"))):
            continue
        cups = cups.upper()
        code = _text(row.get("distributorCode"))
        if code is None:
            continue
        province_code = _text(row.get("provinceCode"))
        postal_code = _text(row.get("postalCode"))
        valid_from = _parse_date(row.get("validDateFrom"))
        valid_to = _parse_date(row.get("validDateTo"))
        point_type = whole_number(row.get("pointType"), _MAX_POINT_TYPE)
        supply = DatadisSupply(
            provider="datadis",
            meter_id=cups[:20],
            cups=cups,
            timezone=timezone_for(province_code, postal_code),
            address=_text(row.get("address")),
            postal_code=postal_code,
            municipality=_text(row.get("municipality")),
            province=_text(row.get("province")),
            region_code=province_code or (postal_code[:2] if postal_code else None),
            distributor=_text(row.get("distributor")),
            point_type=point_type or None,
            valid_from=valid_from,
            valid_to=valid_to,
            distributor_code=code,
        )
        # An open row (no end date) beats a closed one; then the newest start.
        rank = (1 if valid_to is None else 0, valid_from or date.min)
        key = cups[:20]
        if key not in best or rank > best[key][0]:
            best[key] = (rank, supply)
    return [supply for _, supply in best.values()]


def parse_contract(rows: Iterable[Any], cups: str) -> Contract | None:
    """Parse contract rows and return the one in force (None when invisible)."""
    candidates: list[Contract] = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        powers = tuple(
            power
            for value in _as_list(row.get("contractedPowerkW"))
            if (power := non_negative(value)) is not None
        )
        start = _parse_date(row.get("startDate"))
        if not powers and start is None:
            # Invisible CUPS (all fields blank) or a phantom contract spanning
            # the real ones: nothing usable.
            continue
        installed = non_negative(row.get("installedCapacityKW"))
        if installed is None:
            installed = non_negative(row.get("installedCapacity"))
        self_code = _text(row.get("selfConsumptionTypeCode"))
        candidates.append(
            Contract(
                meter_id=cups,
                contracted_power_kw=powers,
                tariff_code=_text(row.get("codeFare")),
                tariff_name=_text(row.get("accessFare") or row.get("accesFare")),
                distributor=_text(row.get("distributor")),
                marketer=_text(row.get("marketer")),
                start=start,
                end=_parse_date(row.get("endDate")),
                power_control=_text(row.get("modePowerControl")),
                self_consumption=self_code is not None and self_code != "00",
                installed_generation_kw=installed,
            )
        )
    if not candidates:
        return None
    # The contract in force: open-ended first, then the latest start.
    return max(candidates, key=lambda c: (c.end is None, c.start or date.min))


@lru_cache(maxsize=4096)
def _day_intervals(
    day: date, zone: str, start_labels: bool
) -> tuple[tuple[int, datetime], ...]:
    """Return (label, UTC start) of every hour of a local day, in order.

    An end label is the wall clock at the END of the interval read with the
    offset in force DURING it (local start hour + 1, so the autumn day's two
    02:00-03:00 hours are both `03:00`); a start label is the local start hour.
    """
    tz = _zone(zone)
    first = datetime.combine(day, time(), tz).astimezone(UTC)
    last = datetime.combine(day + timedelta(days=1), time(), tz).astimezone(UTC)
    intervals: list[tuple[int, datetime]] = []
    start = first
    while start < last:
        hour = start.astimezone(tz).hour
        intervals.append((hour if start_labels else hour + 1, start))
        start += HOUR
    return tuple(intervals)


@lru_cache(maxsize=4096)
def _start_label_counts(day: date, zone: str) -> Counter[int]:
    """Return how often each start label occurs on a complete local day."""
    return Counter(label for label, _ in _day_intervals(day, zone, True))


def _label(value: Any) -> int | None:
    match = _LABEL.fullmatch(_text(value) or "")
    if match is None or match.group(2) != "00":
        return None
    hour = int(match.group(1))
    return hour if 0 <= hour <= 24 else None


@dataclass(frozen=True, slots=True, kw_only=True)
class DatadisBatch(ReadingBatch):
    """A consumption answer, and whether a distributor failed part of it."""

    partial: bool = False
    """The answer carried a `distributorError` next to its rows: some of the
    range may be missing and is worth asking again."""


def parse_consumption(
    rows: Sequence[Any],
    supply: MeterPoint,
    *,
    partial: bool = False,
    months: tuple[date, date] | None = None,
) -> DatadisBatch:
    """Parse hourly `timeCurve` rows into UTC readings, never aborting on a row.

    Rows that cannot be placed (a null or negative value, an unknown label, a
    stray `00:00`, a label seen more often than the day has such hours, a day
    outside the requested `months` (first, last)) are counted in `skipped`
    and dropped; everything else is kept. At most 25 hours a day of the
    requested months are built, whatever the answer holds.
    """
    span = _month_days(months)
    by_day: dict[date, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    skipped = 0
    for row in rows:
        if not isinstance(row, dict):
            skipped += 1
            continue
        day = _parse_date(row.get("date"))
        label = _label(row.get("time"))
        if day is None or label is None or not _within(day, span):
            skipped += 1
            continue
        by_day[day].append((label, row))

    readings: list[EnergyReading] = []
    kinds: set[EnergyKind] = set()
    for day in sorted(by_day):
        day_rows = by_day[day]
        # Datadis labels hours by their end (01:00..24:00). Only a complete
        # day labelled exactly like its hours' starts (00:00..23:00, DST days
        # included) is read as start labels; any other 00:00 row is the stray
        # i-DE row and is dropped. A partial day (the latest one) with a stray
        # 00:00 and no 24:00 yet must not move every hour one hour early.
        start_labels = Counter(label for label, _ in day_rows) == _start_label_counts(
            day, supply.timezone
        )
        slots: dict[int, list[datetime]] = defaultdict(list)
        for label, start in _day_intervals(day, supply.timezone, start_labels):
            slots[label].append(start)
        seen: dict[int, int] = defaultdict(int)
        for label, row in day_rows:
            occurrence = seen[label]
            seen[label] += 1
            if occurrence >= len(slots.get(label, ())):
                skipped += 1
                continue
            values = _row_values(row)
            if values is None:
                skipped += 1
                continue
            start = slots[label][occurrence]
            estimated = str(row.get("obtainMethod") or "").strip().lower() in {
                "estimada",
                "estimated",
            }
            for kind, value in values.items():
                kinds.add(kind)
                readings.append(
                    EnergyReading(
                        start=start,
                        duration=HOUR,
                        kind=kind,
                        kwh=value,
                        estimated=estimated,
                    )
                )
    return DatadisBatch(
        meter_id=supply.meter_id,
        readings=tuple(readings),
        skipped=skipped,
        kinds=frozenset(kinds),
        partial=partial,
    )


def _row_values(row: Mapping[str, Any]) -> dict[EnergyKind, float] | None:
    """Return the energies of one row (None when the row cannot be used).

    Consumption is required; the other registers may be absent or blank.
    A value that is there but negative, NaN, infinite or not a number makes
    the whole row unusable: its other columns are not trusted either.
    """
    values: dict[EnergyKind, float] = {}
    for column, kind in ENERGY_COLUMNS.items():
        raw = row.get(column)
        if _text(raw) is None:
            if kind is EnergyKind.CONSUMPTION:
                return None
            continue
        value = non_negative(raw)
        if value is None:
            return None
        values[kind] = value
    return values


def _period(value: Any) -> str | None:
    text = (_text(value) or "").upper()
    if text in _PERIOD_WORDS:
        return _PERIOD_WORDS[text]
    number = ascii_digits(text.removeprefix("P"), 6)
    return f"p{number}" if number is not None and number >= 1 else None


@dataclass(frozen=True, slots=True)
class PeakBatch:
    """A max-power answer, and whether a distributor failed part of it."""

    peaks: list[PowerPeak]
    partial: bool = False
    """The answer carried a `distributorError` next to its rows: a month's
    peak may be missing or lower than the real one; worth asking again."""
    skipped: int = 0
    """Rows that could not be used (unreadable, negative, out of range)."""


def parse_max_power(
    rows: Iterable[Any],
    supply: MeterPoint,
    *,
    partial: bool = False,
    months: tuple[date, date] | None = None,
) -> PeakBatch:
    """Parse `maxPower` rows (kW, local wall-clock instants) into UTC peaks.

    A row that cannot be read, or outside the requested `months`, is skipped
    and counted.
    """
    tz = _zone(supply.timezone)
    span = _month_days(months)
    peaks: list[PowerPeak] = []
    skipped = 0
    for row in rows:
        peak = _peak(row, tz, span)
        if peak is None:
            skipped += 1
        else:
            peaks.append(peak)
    peaks.sort(key=lambda peak: peak.at)
    return PeakBatch(peaks, partial=partial, skipped=skipped)


def _peak(row: Any, tz: tzinfo, span: tuple[date, date] | None) -> PowerPeak | None:
    """Read one `maxPower` row (None when it cannot be used)."""
    if not isinstance(row, dict):
        return None
    day = _parse_date(row.get("date"))
    value = non_negative(row.get("maxPower"))
    match = _PEAK_TIME.match(_text(row.get("time")) or "")
    if day is None or value is None or match is None or not _within(day, span):
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 24 or minute > 59:
        return None
    # Read the wall-clock time with the offset in force at that moment.
    wall = datetime.combine(day, time()) + timedelta(hours=hour, minutes=minute)
    local = wall.replace(tzinfo=tz)
    return PowerPeak(
        at=local.astimezone(UTC), kw=value, period=_period(row.get("period"))
    )


# Province code (INE, 2 digits) → autonomous community code of the public API.
_COMMUNITY_BY_PROVINCE: Final[Mapping[str, str]] = {
    **dict.fromkeys(("04", "11", "14", "18", "21", "23", "29", "41"), "01"),
    **dict.fromkeys(("22", "44", "50"), "02"),
    "33": "03",
    "07": "04",
    **dict.fromkeys(("35", "38"), "05"),
    "39": "06",
    **dict.fromkeys(("05", "09", "24", "34", "37", "40", "42", "47", "49"), "07"),
    **dict.fromkeys(("02", "13", "16", "19", "45"), "08"),
    **dict.fromkeys(("08", "17", "25", "43"), "09"),
    **dict.fromkeys(("03", "12", "46"), "10"),
    **dict.fromkeys(("06", "10"), "11"),
    **dict.fromkeys(("15", "27", "32", "36"), "12"),
    "28": "13",
    "30": "14",
    "31": "15",
    **dict.fromkeys(("01", "20", "48"), "16"),
    "26": "17",
    "51": "18",
    "52": "19",
}


def community_for(province_code: str | None) -> str | None:
    """Return the public API's community code for a province code."""
    if province_code is None:
        return None
    return _COMMUNITY_BY_PROVINCE.get(province_code.zfill(2))


def parse_area_averages(
    rows: Iterable[Any], area: str, *, days: tuple[date, date] | None = None
) -> list[AreaAverage]:
    """Parse public `api-search` rows into per-day average consumption per home.

    A row without a plausible day (within `days`, first and last, when
    given), a non-negative energy and at least one home is skipped; how many
    were is logged.
    """
    span = None if days is None else (days[0], days[1] + timedelta(days=1))
    averages: dict[date, AreaAverage] = {}
    skipped = 0
    for row in rows:
        average = _area_average(row, area)
        if average is None or not _within(average.day, span):
            skipped += 1
            continue
        averages[average.day] = average
    if skipped:
        _LOGGER.debug("Datadis open data: %d unusable rows skipped", skipped)
    return [averages[day] for day in sorted(averages)]


def _area_average(row: Any, area: str) -> AreaAverage | None:
    """Read one `api-search` row (None when it cannot be used)."""
    if not isinstance(row, dict):
        return None
    energy = non_negative(row.get("sumEnergy"))
    contracts = row.get("sumContracts")
    homes = whole_number(
        row.get("sumContract") if contracts is None else contracts, _MAX_HOMES
    )
    year = whole_number(row.get("dataYear"), 9999)
    month = whole_number(row.get("dataMonth"), 12)
    day_of_month = whole_number(row.get("dataDay"), 31)
    if energy is None or not homes or not year or not month or not day_of_month:
        return None
    try:
        day = plausible_day(date(year, month, day_of_month))
    except ValueError:  # 31 February
        return None
    if day is None:
        return None
    return AreaAverage(
        day=day, average_kwh=round(energy / homes, 3), homes=homes, area=area
    )
