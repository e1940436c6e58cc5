"""RTE data portal answers into tokens, hourly forecasts and EcoWatt hours.

Shapes (see the README for where each was verified):

* token: ``{"access_token", "token_type": "Bearer", "expires_in": 7200}``;
* Generation Forecast v3: ``{"forecasts": [{"production_type": "SOLAR",
  "type": "D-1", "start_date", "end_date", "values": [{"start_date",
  "end_date", "updated_date", "value"}]}]}`` (MW, Paris times with offset);
* Consumption v1 ``short_term``: ``{"short_term": [{"type": "D-1",
  "start_date", "end_date", "values": [...]}]}`` (same values);
* EcoWatt v5: ``{"signals": [{"GenerationFichier", "jour", "dvalue",
  "message", "values": [{"pas": 0-23, "hvalue": 0-3}]}]}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from ..errors import InvalidResponse
from ..signals import GridMix, SignalBasis
from .models import EcowattForecast, EcowattHour, GridMixBatch
from .values import PARIS, parse_day, parse_instant, power

HOUR: Final = timedelta(hours=1)
STEPS: Final = frozenset(timedelta(minutes=m) for m in (15, 30, 60))
"""Forecast value durations accepted (RTE serves 15- and 30-minute values)."""

MAX_SERIES: Final = 16
MAX_SIGNAL_DAYS: Final = 8
HOURS_PER_DAY: Final = 24
DEFAULT_TOKEN_LIFETIME: Final = 3600.0
MAX_TOKEN_LIFETIME: Final = 86_400.0
MAX_TOKEN_LENGTH: Final = 4096

SOLAR: Final = "SOLAR"
WIND_ONSHORE: Final = "WIND_ONSHORE"
WIND_OFFSHORE: Final = "WIND_OFFSHORE"
PRODUCTION_TYPES: Final = (SOLAR, WIND_ONSHORE, WIND_OFFSHORE)
FORECAST_TYPE: Final = "D-1"


@dataclass(frozen=True, slots=True)
class Token:
    """An access token and how long (seconds) it stays valid."""

    access_token: str
    expires_in: float


def parse_token(body: Any) -> Token:
    """Read the token answer; InvalidResponse without a usable access token."""
    token = body.get("access_token") if isinstance(body, Mapping) else None
    if (
        not isinstance(token, str)
        or not token.strip()
        or not token.isascii()
        or len(token) > MAX_TOKEN_LENGTH
    ):
        raise InvalidResponse("the RTE portal answered a token request without a token")
    lifetime = power(body.get("expires_in"), MAX_TOKEN_LIFETIME)
    return Token(token.strip(), lifetime if lifetime else DEFAULT_TOKEN_LIFETIME)


@dataclass(slots=True)
class _Hours:
    """Average power per UTC hour, built from values that may be shorter."""

    energy: dict[datetime, float]
    covered: dict[datetime, timedelta]
    starts: set[datetime]

    def add(self, start: datetime, end: datetime, value: float) -> bool:
        """Add one value; False when it is a duplicate or crosses an hour."""
        hour = start.replace(minute=0, second=0, microsecond=0)
        if start in self.starts or end > hour + HOUR:
            return False
        self.starts.add(start)
        seconds = (end - start).total_seconds()
        self.energy[hour] = self.energy.get(hour, 0.0) + value * seconds
        self.covered[hour] = self.covered.get(hour, timedelta(0)) + (end - start)
        return True

    def averages(self) -> dict[datetime, float]:
        """Mean MW of every hour the values cover entirely."""
        return {
            hour: self.energy[hour] / HOUR.total_seconds()
            for hour, covered in self.covered.items()
            if covered == HOUR
        }


def _new_hours() -> _Hours:
    return _Hours({}, {}, set())


def _read_values(
    values: Any, start: datetime, end: datetime, limit: int
) -> tuple[dict[datetime, float], int]:
    """Hourly means of one series' values inside ``start``..``end``; skipped count."""
    if not isinstance(values, list):
        return {}, 1
    hours = _new_hours()
    skipped = max(len(values) - limit, 0)
    for item in values[:limit]:
        if not isinstance(item, Mapping):
            skipped += 1
            continue
        first = parse_instant(item.get("start_date"))
        last = parse_instant(item.get("end_date"))
        value = power(item.get("value"))
        if (
            first is None
            or last is None
            or value is None
            or last - first not in STEPS
            or not start <= first < last <= end
            or (first - start) % (last - first)
            or not hours.add(first, last, value)
        ):
            skipped += 1
    return hours.averages(), skipped


def _series(body: Any, key: str) -> list[Mapping[str, Any]]:
    items = body.get(key) if isinstance(body, Mapping) else None
    if not isinstance(items, list):
        raise InvalidResponse(f"the RTE portal answered without {key}")
    return [item for item in items[:MAX_SERIES] if isinstance(item, Mapping)]


def _max_values(start: datetime, end: datetime) -> int:
    """Values one series may hold for the range: one per 15 minutes."""
    return int((end - start) / min(STEPS)) + 8


def parse_generation(
    body: Any, start: datetime, end: datetime
) -> tuple[dict[str, dict[datetime, float]], int]:
    """Hourly D-1 generation forecast (MW) by production type; skipped count."""
    by_type: dict[str, dict[datetime, float]] = {}
    skipped = 0
    for series in _series(body, "forecasts"):
        kind = series.get("production_type")
        if series.get("type") != FORECAST_TYPE or kind not in PRODUCTION_TYPES:
            continue
        hours, bad = _read_values(
            series.get("values"), start, end, _max_values(start, end)
        )
        skipped += bad
        for hour, mean in hours.items():
            by_type.setdefault(str(kind), {}).setdefault(hour, mean)
    return by_type, skipped


def parse_consumption(
    body: Any, start: datetime, end: datetime
) -> tuple[dict[datetime, float], int]:
    """Hourly D-1 consumption forecast (MW); skipped count."""
    hourly: dict[datetime, float] = {}
    skipped = 0
    for series in _series(body, "short_term"):
        if series.get("type") != FORECAST_TYPE:
            continue
        hours, bad = _read_values(
            series.get("values"), start, end, _max_values(start, end)
        )
        skipped += bad
        for hour, mean in hours.items():
            hourly.setdefault(hour, mean)
    return hourly, skipped


def forecast_mix(
    generation: Mapping[str, Mapping[datetime, float]],
    consumption: Mapping[datetime, float],
    skipped: int = 0,
) -> GridMixBatch:
    """Hourly forecast rows: renewable = solar + wind, total = consumption.

    An hour needs the solar, onshore wind and consumption forecasts;
    offshore wind is added where it is forecast. When wind and solar exceed
    consumption (the surplus is exported) the hour is 100 % renewable.
    """
    solar = generation.get(SOLAR, {})
    onshore = generation.get(WIND_ONSHORE, {})
    offshore = generation.get(WIND_OFFSHORE, {})
    rows: list[GridMix] = []
    for hour in sorted(consumption):
        total = consumption[hour]
        if hour not in solar or hour not in onshore or total <= 0:
            continue
        renewable = solar[hour] + onshore[hour] + offshore.get(hour, 0.0)
        rows.append(
            GridMix(
                start=hour,
                duration=HOUR,
                renewable_mw=min(renewable, total),
                total_mw=total,
                basis=SignalBasis.FORECAST,
            )
        )
    return GridMixBatch(rows=tuple(rows), skipped=skipped)


def _wall_hour(day: date, hour: int) -> datetime:
    """UTC instant of the wall-clock hour ``hour`` of the Paris day ``day``."""
    # Aware + timedelta is wall-clock arithmetic; fold 0 reads an ambiguous
    # October hour as its first occurrence.
    return (datetime.combine(day, time(0), PARIS) + timedelta(hours=hour)).astimezone(
        UTC
    )


def _hour_of(value: Any, maximum: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= maximum else None


def _signal_hours(day: date, values: Any) -> tuple[list[EcowattHour], int]:
    if not isinstance(values, list):
        return [], 1
    hours: list[EcowattHour] = []
    seen: set[int] = set()
    skipped = max(len(values) - HOURS_PER_DAY, 0)
    for item in values[:HOURS_PER_DAY]:
        step = _hour_of(item.get("pas"), 23) if isinstance(item, Mapping) else None
        level = _hour_of(item.get("hvalue"), 3) if isinstance(item, Mapping) else None
        if step is None or level is None or step in seen:
            skipped += 1
            continue
        seen.add(step)
        start, end = _wall_hour(day, step), _wall_hour(day, step + 1)
        if end > start:  # the hour the clocks skip in March does not exist
            hours.append(EcowattHour(start=start, end=end, level=level))
    return hours, skipped


def _latest(instants: Iterable[datetime | None]) -> datetime | None:
    known = [instant for instant in instants if instant is not None]
    return max(known) if known else None


def parse_ecowatt(body: Any) -> EcowattForecast:
    """Read the EcoWatt signals; each ``pas`` is a Paris wall-clock hour.

    On the October change of time, ``pas`` 2 covers both 02:00 hours.
    """
    signals = _series(body, "signals")
    hours: list[EcowattHour] = []
    days: set[date] = set()
    skipped = max(len(signals) - MAX_SIGNAL_DAYS, 0)
    for signal in signals[:MAX_SIGNAL_DAYS]:
        day = parse_day(signal.get("jour"))
        if day is None or day in days:
            skipped += 1
            continue
        days.add(day)
        day_hours, bad = _signal_hours(day, signal.get("values"))
        hours.extend(day_hours)
        skipped += bad
    generated = _latest(
        parse_instant(signal.get("GenerationFichier")) for signal in signals
    )
    return EcowattForecast(
        hours=tuple(sorted(hours, key=lambda hour: hour.start)),
        generated=generated,
        skipped=skipped,
    )
