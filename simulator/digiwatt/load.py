"""The meter's load: deterministic 15-minute average power per household.

Every value is a pure function of the household profile and the slot (never
of when it is asked), computed day by day in Europe/Rome civil days, so DST
days have 92 or 100 slots. A day is computed once and kept (in aggregated
form: slot powers plus energy by component, tariff band, time of day).

* slot power: the sum of the profile's component loads, rounded to 0.1 W;
  energy of a slot is ``W / 4`` Wh.
* instantaneous power: within a slot, each minute's power is the slot's
  average times ``1 + d`` with deviations ``d`` that sum to zero over the
  slot, so the minutes average exactly (to float precision) to the slot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
import math
from typing import Final
from zoneinfo import ZoneInfo

from simulator.common import noise

from .bands import band, is_holiday
from .households import ATTRIBUTION, COMPONENTS, Profile
from .routes import OTHER

ROME: Final = ZoneInfo("Europe/Rome")
SLOT: Final = timedelta(minutes=15)
SLOT_SECONDS: Final = 900
HOUR: Final = timedelta(hours=1)
_N: Final = len(COMPONENTS)


def local_midnight(day: date) -> datetime:
    """UTC instant of local (Europe/Rome) midnight starting ``day``."""
    return datetime.combine(day, time(), ROME).astimezone(UTC)


def floor_slot(instant: datetime) -> datetime:
    """Start (UTC) of the 15-minute slot containing ``instant``."""
    seconds = math.floor(instant.timestamp()) // SLOT_SECONDS * SLOT_SECONDS
    return datetime.fromtimestamp(seconds, UTC)


def local_day(instant: datetime) -> date:
    """Local (Europe/Rome) date of ``instant``."""
    return instant.astimezone(ROME).date()


@dataclass(frozen=True, slots=True)
class DayLoad:
    """One local day (or its first ``len(watts)`` slots), aggregated."""

    day: date
    start: datetime
    """UTC start of the local day."""
    watts: tuple[float, ...]
    """Average W of each 15-minute slot, in order."""
    component_wh: tuple[float, ...]
    """Energy of each physical component (aligned with ``COMPONENTS``)."""
    band_wh: tuple[float, float, float]
    """Energy in F1, F2, F3 (from the rounded slot powers)."""
    tod_wh: tuple[float, float, float, float]
    """Energy 00-06, 06-12, 12-18, 18-24 local."""
    weekend: bool
    """Saturday, Sunday (holidays count as working days here)."""

    @property
    def total_wh(self) -> float:
        """Energy of the (part of the) day."""
        return sum(self.watts) / 4


@dataclass(slots=True)
class _Day:
    """Decisions taken once per day (what runs when)."""

    weekend: bool
    occupied: bool
    away: bool
    hdd: float
    cdd: float
    sunrise: float
    sunset: float
    wash: float | None
    dish: float | None
    oven: float | None
    ev: tuple[float, float] | None


def _context(profile: Profile, day: date) -> _Day:
    key = profile.key
    ordinal = day.toordinal()
    doy = day.timetuple().tm_yday
    rest = day.weekday() >= 5 or is_holiday(day)
    temp = 15.5 - 9.5 * math.cos(2 * math.pi * (doy - 20) / 365.25)
    temp += 2.5 * noise.signed(key, "temp", ordinal)
    summer = date(day.year, 7, 15) <= day <= date(day.year, 8, 31)
    occupied = not profile.second_home or rest or summer
    daylight = 12.2 + 3.0 * math.cos(2 * math.pi * (doy - 172) / 365.25)
    noon = 12.25 + (1.0 if datetime.combine(day, time(12), ROME).dst() else 0.0)

    def at(step: float, base: float, name: str, choices: int) -> float:
        return base + step * int(noise.unit(key, name, ordinal) * choices)

    wash = dish = oven = None
    ev = None
    if occupied and noise.chance(0.55 if rest else 0.35, key, "wash?", ordinal):
        wash = at(0.25, 9.0 if rest else 19.75, "wash", 4)
    if occupied and noise.chance(0.7, key, "dish?", ordinal):
        dish = at(0.25, 21.0, "dish", 4)
    if occupied and noise.chance(0.8 if rest else 0.25, key, "oven?", ordinal):
        oven = 12.0 if rest else 19.25
    if noise.chance(0.25 if rest else 0.5, key, "ev?", ordinal):
        start = at(0.25, 1.0, "ev", 5)
        ev = (start, start + at(0.25, 1.5, "ev-length", 9))
    return _Day(
        weekend=day.weekday() >= 5,
        occupied=occupied,
        away=profile.away_weekdays and not rest,
        hdd=max(0.0, 16.0 - temp) / 12.0,
        cdd=max(0.0, temp - 22.0) / 6.0,
        sunrise=noon - daylight / 2,
        sunset=noon + daylight / 2,
        wash=wash,
        dish=dish,
        oven=oven,
        ev=ev,
    )


def _components(
    profile: Profile, ctx: _Day, h: float, quad: tuple[float, float, float, float]
) -> list[float]:
    """Average W of each component over the slot starting at local hour ``h``."""
    a, b, c, d = quad
    comps = [0.0] * _N
    awake = 6.5 <= h < 23.5
    home = ctx.occupied and not (ctx.away and 8.5 <= h < 17.5)
    dark = h < ctx.sunrise or h >= ctx.sunset
    light = profile.lighting_w * (1.0 if dark else 0.15) if awake and home else 0.0
    standby = profile.standby_w * (0.9 + 0.2 * a) * (1.0 if ctx.occupied else 0.6)
    comps[0] = standby + light * (0.8 + 0.4 * b)
    comps[1] = 38.0 * profile.fridges * (1 + 0.3 * ctx.cdd) * (0.6 + 0.8 * b)
    if profile.induction_w and home and (12.75 <= h < 13.5 or 19.5 <= h < 20.25):
        comps[2] = profile.induction_w * (0.55 + 0.45 * c)
    if (
        profile.oven_w
        and home
        and ctx.oven is not None
        and ctx.oven <= h < ctx.oven + 1
    ):
        comps[3] = profile.oven_w * (0.6 + 0.3 * c)
    if profile.microwave_w and home and (7.25 <= h < 7.5 or 13.0 <= h < 13.25):
        comps[4] = profile.microwave_w * 0.5 * (0.7 + 0.6 * d)
    if profile.washer_w and ctx.wash is not None and ctx.wash <= h < ctx.wash + 1.5:
        comps[5] = profile.washer_w * (1.8 if h < ctx.wash + 0.5 else 0.6)
        comps[5] *= 0.9 + 0.2 * d
    if profile.dishwasher_w and ctx.dish is not None and ctx.dish <= h < ctx.dish + 1.5:
        comps[6] = profile.dishwasher_w * (1.6 if h < ctx.dish + 0.5 else 0.4)
        comps[6] *= 0.9 + 0.2 * a
    if profile.tv_w and home and awake and (h >= 18.5 or (ctx.weekend and h >= 15)):
        comps[7] = profile.tv_w * (0.9 + 0.2 * a)
    if profile.boiler_w and ctx.occupied and (5.0 <= h < 6.5 or 14.0 <= h < 14.5):
        comps[8] = profile.boiler_w * (0.85 + 0.3 * c)
    if profile.heat_pump_w and ctx.hdd > 0:
        schedule = 1.0 if (6 <= h < 9 or 17 <= h < 22.5) else 0.35
        comps[9] = profile.heat_pump_w * ctx.hdd * schedule * (0.85 + 0.3 * b)
    if profile.ac_w and ctx.cdd > 0 and home:
        schedule = 1.0 if 13 <= h < 20 else 0.5 if 20 <= h < 23.5 else 0.0
        comps[10] = profile.ac_w * ctx.cdd * schedule * (0.85 + 0.3 * c)
    if profile.ev_w and ctx.ev is not None and ctx.ev[0] <= h < ctx.ev[1]:
        comps[11] = profile.ev_w
    if profile.heater_w and home and ctx.hdd > 0 and 17.5 <= h < 23.0:
        comps[12] = profile.heater_w * min(1.0, 1.5 * ctx.hdd) * (0.8 + 0.4 * d)
    return comps


def compute_day(profile: Profile, day: date, limit: int | None = None) -> DayLoad:
    """Compute local ``day`` (only its first ``limit`` slots when given)."""
    start = local_midnight(day)
    count = int((local_midnight(day + timedelta(days=1)) - start) / SLOT)
    if limit is not None:
        count = max(0, min(count, limit))
    ctx = _context(profile, day)
    watts: list[float] = []
    component_wh = [0.0] * _N
    band_wh = [0.0, 0.0, 0.0]
    tod_wh = [0.0, 0.0, 0.0, 0.0]
    first_id = int(start.timestamp()) // SLOT_SECONDS
    for index in range(count):
        slot_start = start + index * SLOT
        local = slot_start.astimezone(ROME)
        h = local.hour + local.minute / 60
        comps = _components(profile, ctx, h, noise.quads(profile.key, first_id + index))
        total = round(sum(comps), 1)
        watts.append(total)
        for i, value in enumerate(comps):
            component_wh[i] += value / 4
        band_wh[band(local) - 1] += total / 4
        tod_wh[local.hour // 6] += total / 4
    return DayLoad(
        day=day,
        start=start,
        watts=tuple(watts),
        component_wh=tuple(component_wh),
        band_wh=(band_wh[0], band_wh[1], band_wh[2]),
        tod_wh=(tod_wh[0], tod_wh[1], tod_wh[2], tod_wh[3]),
        weekend=ctx.weekend,
    )


@lru_cache(maxsize=8192)
def day_load(profile: Profile, day: date) -> DayLoad:
    """Return a whole local day (cached: values never depend on the clock)."""
    return compute_day(profile, day)


@dataclass(slots=True)
class Sums:
    """Energy of an interval, aggregated like :class:`DayLoad`."""

    wh: float = 0.0
    component_wh: list[float] = field(default_factory=lambda: [0.0] * _N)
    band_wh: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    tod_wh: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])
    weekday_wh: float = 0.0
    weekend_wh: float = 0.0

    def add(self, load: DayLoad) -> None:
        """Add one (partial) day."""
        total = load.total_wh
        self.wh += total
        for i, value in enumerate(load.component_wh):
            self.component_wh[i] += value
        for i, value in enumerate(load.band_wh):
            self.band_wh[i] += value
        for i, value in enumerate(load.tod_wh):
            self.tod_wh[i] += value
        if load.weekend:
            self.weekend_wh += total
        else:
            self.weekday_wh += total


def totals(profile: Profile, start: datetime, end: datetime) -> Sums:
    """Energy of ``[start, end)`` (``start`` a local midnight, ``end`` a slot edge)."""
    sums = Sums()
    day = local_day(start)
    if local_midnight(day) != start:
        raise ValueError("periods start at a local midnight")
    while (day_start := local_midnight(day)) < end:
        following = day + timedelta(days=1)
        if local_midnight(following) <= end:
            sums.add(day_load(profile, day))
        else:
            sums.add(compute_day(profile, day, int((end - day_start) / SLOT)))
        day = following
    return sums


def slot_watts(profile: Profile, slot_start: datetime) -> float:
    """Average W of the slot starting at ``slot_start`` (UTC, on the grid)."""
    load = day_load(profile, local_day(slot_start))
    return load.watts[int((slot_start - load.start) / SLOT)]


def series(profile: Profile, start: datetime, end: datetime) -> dict[datetime, float]:
    """Slot start (UTC) -> average W for the slots of ``[start, end)``."""
    out: dict[datetime, float] = {}
    slot = floor_slot(start)
    while slot < end:
        out[slot] = slot_watts(profile, slot)
        slot += SLOT
    return out


def minute_deviations(profile: Profile, slot_start: datetime) -> list[float]:
    """Relative deviation of each minute of a slot from its average (sum 0)."""
    slot_id = int(slot_start.timestamp()) // SLOT_SECONDS
    draws = [noise.unit(profile.key, "minute", slot_id, i) for i in range(15)]
    mean = sum(draws) / 15
    return [0.4 * (draw - mean) for draw in draws]


def instant_watts(profile: Profile, at: datetime) -> float:
    """Instantaneous W at ``at`` (constant within each minute)."""
    slot_start = floor_slot(at)
    minute = min(14, int((at - slot_start).total_seconds() // 60))
    deviation = minute_deviations(profile, slot_start)[minute]
    return round(slot_watts(profile, slot_start) * (1 + deviation), 1)


def largest_remainder(values: Sequence[float], target: int) -> list[int]:
    """Whole numbers proportional to ``values`` that add up to ``target``."""
    if not values:
        return []
    total = sum(values)
    if total <= 0 or target <= 0:
        return [target] + [0] * (len(values) - 1) if target > 0 else [0] * len(values)
    scaled = [value * target / total for value in values]
    floors = [math.floor(value) for value in scaled]
    missing = target - sum(floors)
    order = sorted(
        range(len(values)), key=lambda i: scaled[i] - floors[i], reverse=True
    )
    for i in order[:missing]:
        floors[i] += 1
    return floors


def attribute(
    component_wh: Sequence[float], declared: Sequence[str]
) -> dict[str, float]:
    """Energy by declared appliance (then ``other``) from energy by component."""
    out = dict.fromkeys(declared, 0.0)
    out[OTHER] = 0.0
    for component, wh in zip(COMPONENTS, component_wh, strict=True):
        targets = ATTRIBUTION.get(component, (component,))
        name = next((t for t in targets if t in out and t != OTHER), OTHER)
        out[name] += wh
    return out
