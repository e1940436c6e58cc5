"""ESIOS indicator answers (``GET /indicators/{id}``, personal token).

An answer is ``{"indicator": {"name", "id", "magnitud": [{"name", "id"}],
"tiempo": [...], "geos": [...], "values": [{"value", "datetime",
"datetime_utc", "tz_time", "geo_id", "geo_name"}, ...]}}``. `datetime` is
local time with its offset and is the key: on the 25-hour day
`datetime_utc` repeats the previous hour for the extra hour (real capture,
aiopvpc ``PRICES_ESIOS_1001_2021_10_31.json``), so it is never read.

PVPC (indicator 1001, €/MWh) is read with ``esios_api``'s token parser (the
one Home Assistant core uses: €/kWh, shifted into the zone's local hours),
after each row has been checked so that one bad row is dropped rather than
sinking the whole answer. Forecasts (MW) are read here: that parser is
price-specific (it divides by 1000 and rounds to five decimals).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
import math
from typing import Any, Final, cast

from esios_api.parser import (  # type: ignore[import-untyped]
    extract_prices_from_esios_token,
)

from ..errors import InvalidResponse
from .prices import HOUR, DayCollector, local_day
from .systems import PVPC_CANARIAS, PvpcZone

PROVIDER: Final = "ESIOS"

PVPC_INDICATOR: Final = 1001
"""Término de facturación de energía activa del PVPC 2.0TD (€/MWh)."""
WIND_FORECAST: Final = 541
"""Previsión de la producción eólica peninsular (hourly, D and D+1)."""
SOLAR_PV_FORECAST: Final = 542
"""Generación prevista Solar fotovoltaica (hourly, D from H+1 and D+1)."""
SOLAR_THERMAL_FORECAST: Final = 543
"""Generación prevista Solar térmica (hourly, D from H+1 and D+1)."""
DEMAND_FORECAST: Final = 460
"""Previsión diaria de la demanda eléctrica peninsular (hourly, D to D+7)."""

GEO_PENINSULA: Final = 8741
GEO_CANARIAS: Final = 8742
GEO_BALEARES: Final = 8743
GEO_CEUTA: Final = 8744
GEO_MELILLA: Final = 8745
_GEO_NAMES: Final = {
    3: "España",
    GEO_PENINSULA: "Península",
    GEO_CANARIAS: "Canarias",
    GEO_BALEARES: "Baleares",
    GEO_CEUTA: "Ceuta",
    GEO_MELILLA: "Melilla",
}
"""The geos ``esios_api`` knows (its ``GEOZONE_ID2NAME``)."""
MAX_MW: Final = 200_000.0
"""Far above any Spanish power figure; larger values are garbage."""
_FIRST_YEAR: Final = 2000
_LAST_YEAR: Final = 2100
_STEPS_MINUTES: Final = (5, 10, 15, 20, 30, 60)


def pvpc_geo(zone: PvpcZone) -> int:
    """Return the geo of indicator 1001 that holds the zone's prices."""
    if zone.tariff == "CYM":
        return GEO_CEUTA
    return GEO_CANARIAS if zone == PVPC_CANARIAS else GEO_PENINSULA


def _number(value: Any) -> float | None:
    """Return a finite JSON number, or None (booleans and strings are not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _instant(value: Any) -> datetime | None:
    """Read an aware timestamp of a sane year, in UTC (None otherwise)."""
    if not isinstance(value, str) or not value.isascii() or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None or not _FIRST_YEAR <= parsed.year <= _LAST_YEAR:
        return None
    return parsed.astimezone(UTC)


def _values(data: Any) -> tuple[dict[str, Any], list[Any]]:
    """Return the indicator object and its values (InvalidResponse otherwise)."""
    indicator = data.get("indicator") if isinstance(data, dict) else None
    values = indicator.get("values") if isinstance(indicator, dict) else None
    if not isinstance(indicator, dict) or not isinstance(values, list):
        raise InvalidResponse(f"{PROVIDER} sent something else than an indicator")
    return indicator, values


def read_pvpc_indicator(data: Any, collector: DayCollector) -> None:
    """Add the complete days of a 1001 answer to `collector`.

    Rows of other geos, or with a bad value, time or geo, are dropped (and
    counted); a day left incomplete by that is rejected whole.
    """
    _, values = _values(data)
    geo = pvpc_geo(collector.zone)
    rows = []
    for row in values:
        if not isinstance(row, dict) or row.get("geo_id") != geo:
            if not (isinstance(row, dict) and row.get("geo_id") in _GEO_NAMES):
                collector.rejected += 1
            continue
        value = _number(row.get("value"))
        if value is None or _instant(row.get("datetime")) is None:
            collector.rejected += 1
            continue
        rows.append({"value": value, "datetime": row["datetime"], "geo_id": geo})
    if not rows:
        return
    clean = {
        "indicator": {
            "name": "PVPC",
            "id": PVPC_INDICATOR,
            "magnitud": [{"name": "Precio"}],
            "tiempo": [{"name": "Hora"}],
            "values": rows,
        }
    }
    try:
        answer = extract_prices_from_esios_token(
            clean, "PVPC", _GEO_NAMES[geo], collector.zone.time_zone
        )
        prices = cast(dict[datetime, float], answer.series["PVPC"])
    except (KeyError, TypeError, ValueError, ArithmeticError) as err:
        raise InvalidResponse(f"{PROVIDER}: esios_api could not read 1001") from err
    by_day: dict[Any, dict[datetime, float]] = defaultdict(dict)
    for instant, price in prices.items():
        by_day[local_day(instant, collector.zone.time_zone)][instant] = price
    for day, day_prices in by_day.items():
        collector.add(day, day_prices)


@dataclass(frozen=True, slots=True)
class Series:
    """An indicator's values for one geo: UTC instant -> value."""

    points: dict[datetime, float]
    energy: bool
    """True when the magnitude is an energy (MWh per step), else a power."""
    rejected: int


def read_series(data: Any, geo: int) -> Series:
    """Read an indicator's MW (or MWh per step) values for `geo`."""
    indicator, values = _values(data)
    magnitudes = indicator.get("magnitud")
    names = [
        item.get("name")
        for item in (magnitudes if isinstance(magnitudes, list) else [])
        if isinstance(item, dict)
    ]
    energy = any(isinstance(name, str) and "energ" in name.lower() for name in names)
    points: dict[datetime, float] = {}
    rejected = 0
    for row in values:
        if not isinstance(row, dict) or row.get("geo_id") != geo:
            continue
        value = _number(row.get("value"))
        instant = _instant(row.get("datetime"))
        if (
            value is None
            or instant is None
            or not 0.0 <= value <= MAX_MW
            or instant.minute % 5
            or instant.second
            or instant.microsecond
            or instant in points
        ):
            rejected += 1
            continue
        points[instant] = value
    return Series(dict(sorted(points.items())), energy, rejected)


def _step(instants: list[datetime]) -> timedelta:
    """Return the series' step: its smallest gap if it divides an hour, else 1 h."""
    gaps = [later - earlier for earlier, later in pairwise(instants)]
    smallest = min(gaps, default=HOUR)
    for minutes in _STEPS_MINUTES:
        if smallest == timedelta(minutes=minutes):
            return smallest
    return HOUR


def hourly(series: Series) -> dict[datetime, float]:
    """Average MW of every complete UTC hour of a series.

    Sub-hourly energies (MWh per step) are summed into the hour's MWh, which
    is its average MW; sub-hourly powers are averaged. An hour missing a
    step is left out.
    """
    step = _step(list(series.points))
    per_hour = int(HOUR / step)
    hours: dict[datetime, list[float]] = defaultdict(list)
    for instant, value in series.points.items():
        hours[instant.replace(minute=0)].append(value)
    result: dict[datetime, float] = {}
    for hour, values in hours.items():
        if len(values) != per_hour:
            continue
        total = math.fsum(values)
        result[hour] = total if series.energy else total / per_hour
    return dict(sorted(result.items()))
