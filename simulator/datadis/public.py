"""The public aggregated API (``/api-public/api-search``): neighbour comparison.

Rows are daily aggregates of all residential 2.0TD contracts of a postal code
(or of a whole autonomous community when no postal code is given):
``sumEnergy`` (kWh), ``sumContracts`` and 25 hourly buckets ``mi1..mi25``
(``mi25`` holds the repeated hour of the autumn change, the missing spring
hour is ``"0"``), all numbers as strings except ``dataDay/Month/Year``, as in
the official manual's samples. Only the postal codes of the simulated
households are known; any other postal code gives ``[]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
import math
import re
from typing import Any
from zoneinfo import ZoneInfo

from simulator.common import noise
from simulator.common.weather import Climate

from .households import (
    HOUSEHOLDS,
    LIGHT_SHAPE,
    WEEKDAY_SHAPE,
    WEEKEND_SHAPE,
    is_p3_day,
    local_day_bounds,
)

COMMUNITIES: dict[str, str] = {
    "01": "Andalucía",
    "02": "Aragón",
    "03": "Asturias",
    "04": "Baleares",
    "05": "Canarias",
    "06": "Cantabria",
    "07": "Castilla y León",
    "08": "Castilla-La Mancha",
    "09": "Cataluña",
    "10": "Comunidad Valenciana",
    "11": "Extremadura",
    "12": "Galicia",
    "13": "Madrid",
    "14": "Murcia",
    "15": "Navarra",
    "16": "País Vasco",
    "17": "La Rioja",
    "18": "Ceuta",
    "19": "Melilla",
}

_DEFAULT_CLIMATE = Climate(
    mean=15.5, seasonal_amplitude=8.0, diurnal_amplitude=6.0, day_spread=2.5
)
_DATE = re.compile(r"^(\d{4})/(\d{2})/(\d{2})$")
MAX_PAGE_SIZE = 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class Area:
    """An aggregation area: a postal code or a whole community."""

    community_code: str
    postal_code: str
    province: str
    municipality: str
    contracts: int
    climate: Climate
    timezone: str


def _areas() -> tuple[dict[str, Area], dict[str, Area]]:
    by_postal: dict[str, Area] = {}
    by_community: dict[str, Area] = {}
    for household in HOUSEHOLDS:
        by_postal[household.postal_code] = Area(
            community_code=household.community_code,
            postal_code=household.postal_code,
            province=household.province,
            municipality=household.municipality,
            contracts=6000 + int(9000 * noise.unit("contracts", household.postal_code)),
            climate=household.climate,
            timezone=household.timezone,
        )
    climates = {h.community_code: h.climate for h in HOUSEHOLDS}
    for code in COMMUNITIES:
        size = (
            40_000
            if code in ("18", "19")
            else 300_000 + int(2_700_000 * noise.unit("community", code))
        )
        by_community[code] = Area(
            community_code=code,
            postal_code="",
            province="",
            municipality="",
            contracts=size,
            climate=climates.get(code, _DEFAULT_CLIMATE),
            timezone="Atlantic/Canary" if code == "05" else "Europe/Madrid",
        )
    return by_postal, by_community


AREAS_BY_POSTAL_CODE, AREAS_BY_COMMUNITY = _areas()


class PublicQueryError(ValueError):
    """A public query the real API would refuse (400)."""


def parse_day(value: str | None) -> date:
    """Parse ``YYYY/MM/DD`` or raise :class:`PublicQueryError`."""
    match = _DATE.match(value or "")
    if match is None:
        raise PublicQueryError("bad date")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as err:
        raise PublicQueryError("bad date") from err


def _typical_hour_kwh(climate: Climate, day: date, hour: int) -> float:
    """Return the expected load (kWh) of an average contract in one hour."""
    doy = day.timetuple().tm_yday
    shape = WEEKEND_SHAPE if is_p3_day(day) else WEEKDAY_SHAPE
    seasonal = climate.seasonal_amplitude * math.cos(2 * math.pi * (doy - 200) / 365.25)
    temp = (
        climate.mean
        + seasonal
        + climate.diurnal_amplitude * math.cos(2 * math.pi * (hour - 15) / 24.0)
    )
    winterness = max(0.0, math.cos(2 * math.pi * (doy - 355) / 365.25))
    value = (
        0.13 + 0.5 * shape[hour] + 0.1 * (0.4 + 0.6 * winterness) * LIGHT_SHAPE[hour]
    )
    value += 0.025 * max(0.0, 15.0 - temp) + 0.05 * max(0.0, temp - 25.0) * shape[hour]
    return value


def area_day_row(
    area: Area, day: date, filters: dict[str, str], community_name: str
) -> dict[str, Any]:
    """One ``api-search`` row for ``area`` on local ``day``."""
    tz = ZoneInfo(area.timezone)
    first, end = local_day_bounds(day, tz)
    salt = area.postal_code or area.community_code
    day_factor = 1.0 + 0.04 * noise.triangular("public-day", salt, day.toordinal())
    contracts = area.contracts + int(
        area.contracts * 0.002 * noise.signed("public-contracts", salt, day.toordinal())
    )
    buckets = [0] * 25
    seen: set[int] = set()
    start = first
    while start < end:
        hour = start.astimezone(tz).hour
        index = hour if hour not in seen else 24
        seen.add(hour)
        kwh = contracts * _typical_hour_kwh(area.climate, day, hour) * day_factor
        buckets[index] = round(kwh)
        start += timedelta(hours=1)
    row: dict[str, Any] = {
        "dataDay": day.day,
        "dataMonth": day.month,
        "dataYear": day.year,
        "community": community_name,
        "province": area.province,
        "municipality": area.municipality,
        "postalCode": area.postal_code,
        "fare": filters.get("fare", ""),
        "timeDiscrimination": filters.get("timeDiscrimination", ""),
        "measurePointType": filters.get("measurementType", ""),
        "sumEnergy": str(sum(buckets)),
        "sumContracts": str(contracts),
        "tension": filters.get("tension", ""),
        "economicSector": filters.get("economicSector", ""),
        "distributor": filters.get("distributor", ""),
    }
    for index, value in enumerate(buckets, start=1):
        row[f"mi{index}"] = str(value)
    return row


def search(query: dict[str, str], last_published: date) -> list[dict[str, Any]]:
    """Answer an ``api-search`` query; raise :class:`PublicQueryError` on a 400."""
    start = parse_day(query.get("startDate"))
    end = parse_day(query.get("endDate"))
    if start > end:
        raise PublicQueryError("start after end")
    codes = [code.strip() for code in (query.get("community") or "").split(",")]
    if not codes or len(codes) > 2 or any(code not in COMMUNITIES for code in codes):
        raise PublicQueryError("community")
    try:
        page = int(query.get("page", "0"))
        page_size = int(query.get("pageSize", str(MAX_PAGE_SIZE)))
    except ValueError as err:
        raise PublicQueryError("paging") from err
    if page < 0 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise PublicQueryError("paging")

    # Everything simulated is residential (sector 1), 2.0TD ("2T"), point type 5.
    filters = {key: value for key, value in query.items() if value}
    if filters.get("fare", "2T") != "2T":
        return []
    if filters.get("economicSector", "1") != "1":
        return []
    if filters.get("measurementType", "05").lstrip("0") != "5":
        return []

    areas: list[Area] = []
    postal_code = filters.get("postalCode")
    if postal_code:
        area = AREAS_BY_POSTAL_CODE.get(postal_code)
        if area is None or area.community_code not in codes:
            return []
        areas.append(area)
    else:
        areas.extend(AREAS_BY_COMMUNITY[code] for code in codes)

    rows: list[dict[str, Any]] = []
    day = start
    last = min(end, last_published)
    while day <= last:
        rows.extend(
            area_day_row(area, day, filters, COMMUNITIES[area.community_code])
            for area in areas
        )
        day += timedelta(days=1)
    return rows[page * page_size : (page + 1) * page_size]
