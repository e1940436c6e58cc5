"""What Datadis publishes for each supply, as of the simulator clock.

The load model (:mod:`.households`) gives the physical truth of every hour.
This layer decides what is *served*: publication delay, estimated values for
the most recent days that later become real, revisions, and the transport
problems (missing days, null hours, distributor errors, failing months).

``truth()`` follows publication, estimates and revisions (it is what a
client would end up with after fetching everything now); transport problems
do not change it — a missing day or a null hour still has its true value in
``truth()``, it is just not delivered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import math
from typing import Any, NamedTuple

from simulator.common import noise

from .households import (
    HOUSEHOLDS,
    DayBase,
    Household,
    LoadModel,
    energy_period,
    local_day_bounds,
)

_HOUR = timedelta(hours=1)
_QUARTER = timedelta(minutes=15)
HISTORY_MONTHS = 25
"""``truth()`` starts on the first day of the month this many months back."""


@dataclass(frozen=True, slots=True)
class HourTruth:
    """One hour as served (kWh, rounded to 3 decimals exactly as in the answer).

    ``surplus``, ``generation`` and ``self_consumption`` are ``None`` for
    supplies without solar.
    """

    consumption: float | None
    surplus: float | None
    generation: float | None
    self_consumption: float | None
    estimated: bool


class PeakTruth(NamedTuple):
    """Monthly maximum power of one 2.0TD period, as served by get-max-power.

    ``at`` is the instant the row's ``date``/``time`` label denotes (the END of
    the quarter-hour, local wall clock converted to UTC).
    """

    month: str
    period: str
    at: datetime
    kw: float


@dataclass(frozen=True, slots=True)
class ServedHour:
    """One published hour with its labels and values."""

    start: datetime
    date_label: str
    time_label: str
    local_hour: int
    truth: HourTruth


@dataclass(slots=True)
class PublicationState:
    """Everything that changes what is served (reset by ``reset()``)."""

    publication_delay: timedelta = timedelta(days=2)
    estimated_recent_days: int = 0
    revisions: dict[str, dict[date, float]] = field(default_factory=dict)
    missing_days: dict[str, set[date]] = field(default_factory=dict)
    null_hours: dict[str, set[datetime]] = field(default_factory=dict)
    distributor_errors: dict[str, frozenset[str] | None] = field(default_factory=dict)
    failing_months: dict[str, tuple[frozenset[str], int]] = field(default_factory=dict)
    partial_distributor_errors: set[str] = field(default_factory=set)
    """CUPS whose distributor errors come with the rows it still has."""
    stray_days: dict[str, set[date]] = field(default_factory=dict)
    """Local days given the i-DE stray ``00:00`` row, complete or not."""
    failing_supply_distributors: set[str] = field(default_factory=set)
    """Distributor codes whose supplies get-supplies leaves out (with an error)."""
    contract_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Contract fields served instead of the household's (e.g. a 3.0TD tariff)."""


def month_key(day: date) -> str:
    """``YYYY/MM`` of a date."""
    return f"{day.year:04d}/{day.month:02d}"


def add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    """Shift a (year, month) pair by ``delta`` months."""
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def month_range(first: tuple[int, int], last: tuple[int, int]) -> list[str]:
    """``YYYY/MM`` keys from ``first`` to ``last`` inclusive."""
    out: list[str] = []
    year, month = first
    while (year, month) <= last:
        out.append(f"{year:04d}/{month:02d}")
        year, month = add_months(year, month, 1)
    return out


def last_day_of_month(year: int, month: int) -> date:
    """Last calendar day of a month."""
    next_year, next_month = add_months(year, month, 1)
    return date(next_year, next_month, 1) - timedelta(days=1)


def _values(
    load: float, generation: float | None, load_factor: float, gen_factor: float
) -> tuple[float, float | None, float | None, float | None]:
    """Return rounded (grid consumption, surplus, generation, self-consumption)."""
    load *= load_factor
    if generation is None:
        return round(load, 3), None, None, None
    generation *= gen_factor
    own = min(load, generation)
    return (
        round(load - own, 3),
        round(generation - own, 3),
        round(generation, 3),
        round(own, 3),
    )


class DatadisData:
    """Served data of every simulated supply."""

    def __init__(self, households: tuple[Household, ...] = HOUSEHOLDS) -> None:
        """Index the households and prepare one cached load model each."""
        self.households: dict[str, Household] = {h.cups: h for h in households}
        self._by_prefix: dict[str, Household] = {h.cups[:20]: h for h in households}
        self.models: dict[str, LoadModel] = {h.cups: LoadModel(h) for h in households}
        self.state = PublicationState()
        self._real_days: dict[tuple[str, date], tuple[ServedHour, ...]] = {}
        self._truth_cache: dict[str, tuple[object, dict[datetime, HourTruth]]] = {}

    def reset(self) -> None:
        """Forget every modifier (the model caches are kept: they never change)."""
        self.state = PublicationState()
        self._truth_cache.clear()

    def household(self, cups: str) -> Household | None:
        """Find a supply by CUPS (first 20 characters, case-insensitive)."""
        return self._by_prefix.get(cups.strip().upper()[:20])

    # -- publication --------------------------------------------------------

    def last_published_day(self, household: Household, now: datetime) -> date:
        """Last local day with published data: local date of (now - delay)."""
        return (now - self.state.publication_delay).astimezone(household.tz).date()

    def horizon(self, household: Household, now: datetime) -> datetime:
        """End (UTC) of the last published hour.

        Data is published up to the local midnight ending the day
        ``today - publication_delay`` (so with the default 2 days, the day
        before yesterday is the latest complete day), never beyond the last
        complete hour of the clock.
        """
        last_day = self.last_published_day(household, now)
        _, end = local_day_bounds(last_day, household.tz)
        floor_now = now.replace(minute=0, second=0, microsecond=0)
        return min(end, floor_now)

    def window_start(self, household: Household, now: datetime) -> date:
        """First local day of ``truth()``: day 1 of the month 25 months back."""
        local = now.astimezone(household.tz)
        year, month = add_months(local.year, local.month, -HISTORY_MONTHS)
        return date(year, month, 1)

    def _estimated_from(self, household: Household, now: datetime) -> date | None:
        days = self.state.estimated_recent_days
        if days <= 0:
            return None
        last = (self.horizon(household, now) - _HOUR).astimezone(household.tz).date()
        return last - timedelta(days=days - 1)

    # -- served hours -------------------------------------------------------

    def served_day(
        self, household: Household, day: date, now: datetime
    ) -> tuple[ServedHour, ...]:
        """Return the published hours of local ``day`` as served right now."""
        horizon = self.horizon(household, now)
        base = self.models[household.cups].day(day)
        complete = base.starts[-1] + _HOUR <= horizon
        if not complete and base.starts[0] + _HOUR > horizon:
            return ()
        revision = self.state.revisions.get(household.cups, {}).get(day)
        estimated_from = self._estimated_from(household, now)
        estimated = (
            revision is None and estimated_from is not None and day >= estimated_from
        )
        if complete and revision is None and not estimated:
            cached = self._real_days.get((household.cups, day))
            if cached is None:
                cached = self._build_day(household, base, horizon, 1.0, False)
                self._real_days[(household.cups, day)] = cached
            return cached
        factor = 1.0 if revision is None else revision
        return self._build_day(household, base, horizon, factor, estimated)

    def _build_day(
        self,
        household: Household,
        base: DayBase,
        horizon: datetime,
        factor: float,
        estimated: bool,
    ) -> tuple[ServedHour, ...]:
        date_label = base.day.strftime("%Y/%m/%d")
        salt = noise.hash64("estimate", household.cups)
        out: list[ServedHour] = []
        generation = base.generation
        for index, start in enumerate(base.starts):
            if start + _HOUR > horizon:
                break
            load_factor = gen_factor = factor
            if estimated:
                u1, u2, _, _ = noise.quads(salt, int(start.timestamp()) // 3600)
                load_factor = 1.0 + 0.14 * (u1 - 0.5)
                gen_factor = 1.0 + 0.1 * (u2 - 0.5)
            values = _values(
                base.load[index],
                None if generation is None else generation[index],
                load_factor,
                gen_factor,
            )
            out.append(
                ServedHour(
                    start=start,
                    date_label=date_label,
                    time_label=base.labels[index],
                    local_hour=base.local_hours[index],
                    truth=HourTruth(*values, estimated=estimated),
                )
            )
        return tuple(out)

    @staticmethod
    def _days(first: date, last: date) -> list[date]:
        out: list[date] = []
        day = first
        while day <= last:
            out.append(day)
            day += timedelta(days=1)
        return out

    def truth(self, cups: str, now: datetime) -> dict[datetime, HourTruth]:
        """Every published hour from 25 months back, as served now (see module doc)."""
        household = self.household(cups)
        if household is None:
            raise KeyError(f"unknown CUPS {cups!r}")
        first = self.window_start(household, now)
        horizon = self.horizon(household, now)
        key = (
            first,
            horizon,
            self.state.estimated_recent_days,
            tuple(sorted(self.state.revisions.get(household.cups, {}).items())),
        )
        cached = self._truth_cache.get(household.cups)
        if cached is not None and cached[0] == key:
            return dict(cached[1])
        last = (horizon - _HOUR).astimezone(household.tz).date()
        result: dict[datetime, HourTruth] = {}
        for day in self._days(first, last):
            for hour in self.served_day(household, day, now):
                result[hour.start] = hour.truth
        self._truth_cache[household.cups] = (key, result)
        return dict(result)

    # -- consumption rows ---------------------------------------------------

    def consumption_rows(
        self, household: Household, months: list[str], now: datetime
    ) -> list[dict[str, Any]]:
        """``timeCurve`` rows for whole months (already validated)."""
        first_year, first_month = (int(p) for p in months[0].split("/"))
        last_year, last_month = (int(p) for p in months[-1].split("/"))
        first = max(date(first_year, first_month, 1), self.window_start(household, now))
        last = min(
            last_day_of_month(last_year, last_month),
            self.last_published_day(household, now),
        )
        missing = self.state.missing_days.get(household.cups, set())
        nulls = self.state.null_hours.get(household.cups, set())
        salt = noise.hash64("stray", household.cups)
        rows: list[dict[str, Any]] = []
        cups = household.cups
        for day in self._days(first, last):
            if day in missing:
                continue
            hours = self.served_day(household, day, now)
            if not hours:
                continue
            day_rows = [_row(cups, hour, hour.start in nulls) for hour in hours]
            full = len(hours) == len(self.models[cups].day(day).starts)
            forced = day in self.state.stray_days.get(cups, ())
            if (household.stray_midnight_rows and full) or forced:
                u1, u2, u3, _ = noise.quads(salt, day.toordinal())
                if u1 < 0.15 or forced:
                    stray = {
                        "cups": cups,
                        "date": hours[0].date_label,
                        "time": "00:00",
                        "consumptionKWh": round(0.05 + 1.4 * u3, 3),
                        "obtainMethod": "Real",
                        "surplusEnergyKWh": None,
                        "generationEnergyKWh": None,
                        "selfConsumptionEnergyKWh": None,
                    }
                    if u2 < 0.5:
                        day_rows.insert(0, stray)
                    else:
                        day_rows.append(stray)
            rows.extend(day_rows)
        return rows

    # -- max power ----------------------------------------------------------

    def _month_peaks(
        self, household: Household, year: int, month: int, now: datetime
    ) -> list[PeakTruth]:
        first = max(date(year, month, 1), self.window_start(household, now))
        last_of_month = last_day_of_month(year, month)
        last = min(last_of_month, self.last_published_day(household, now))
        model = self.models[household.cups]
        best: dict[str, tuple[float, datetime]] = {}
        for day in self._days(first, last):
            base = model.day(day)
            hours = self.served_day(household, day, now)
            contract = household.contract_at(day)
            for index, hour in enumerate(hours):
                if base.dst_change and 1 <= hour.local_hour <= 3:
                    continue  # keep peak labels unambiguous
                if day == last_of_month and index == len(base.starts) - 1:
                    continue  # a 24:00 peak would be labelled next month
                avg = hour.truth.consumption
                if avg is None or avg <= 0:
                    continue
                period = energy_period(day, hour.local_hour, household.ceuta_melilla)
                cap = 1.05 * contract.powers_kw[0 if period != "3" else 1]
                kw = round(_peak_kw(avg, base.peak_factor[index], cap), 3)
                at = hour.start + (base.peak_quarter[index] + 1) * _QUARTER
                current = best.get(period)
                if current is None or kw > current[0]:
                    best[period] = (kw, at)
        key = f"{year:04d}/{month:02d}"
        return [
            PeakTruth(key, period, best[period][1], best[period][0])
            for period in sorted(best)
        ]

    def peaks(self, cups: str, now: datetime) -> list[PeakTruth]:
        """Monthly peaks per period from 25 months back to the horizon."""
        household = self.household(cups)
        if household is None:
            raise KeyError(f"unknown CUPS {cups!r}")
        first = self.window_start(household, now)
        last = self.last_published_day(household, now)
        out: list[PeakTruth] = []
        for key in month_range((first.year, first.month), (last.year, last.month)):
            year, month = (int(p) for p in key.split("/"))
            out.extend(self._month_peaks(household, year, month, now))
        return out

    def max_power_rows(
        self, household: Household, months: list[str], now: datetime
    ) -> list[dict[str, Any]]:
        """``maxPower`` rows for whole months (already validated)."""
        rows: list[dict[str, Any]] = []
        tz = household.tz
        for key in months:
            year, month = (int(p) for p in key.split("/"))
            for peak in self._month_peaks(household, year, month, now):
                local = peak.at.astimezone(tz)
                rows.append(
                    {
                        "cups": household.cups,
                        "date": local.strftime("%Y/%m/%d"),
                        "time": local.strftime("%H:%M"),
                        "maxPower": peak.kw,
                        "period": peak.period,
                    }
                )
        return rows

    # -- transport problems -------------------------------------------------

    def distributor_error_for(self, household: Household, months: list[str]) -> bool:
        """Whether a query over ``months`` gets a distributorError answer."""
        if household.cups not in self.state.distributor_errors:
            return False
        selected = self.state.distributor_errors[household.cups]
        return selected is None or any(key in selected for key in months)

    def failing_status(self, household: Household, months: list[str]) -> int | None:
        """Status to fail a query over ``months`` with, if any month fails."""
        entry = self.state.failing_months.get(household.cups)
        if entry is None:
            return None
        selected, status = entry
        return status if any(key in selected for key in months) else None


def _peak_kw(average_kw: float, factor: float, cap_kw: float) -> float:
    """Max quarter-hour power of an hour: above its average, softly below the cap.

    The ICP trips a little above the contracted power, so peaks approach
    ``cap_kw`` without ever reaching it; they always stay above the hourly
    average.
    """
    raw = average_kw * factor
    headroom = cap_kw - average_kw
    if headroom <= 0:
        return average_kw * 1.02
    return average_kw + headroom * (1.0 - math.exp(-(raw - average_kw) / headroom))


def _row(cups: str, hour: ServedHour, null: bool) -> dict[str, Any]:
    truth = hour.truth
    if null:
        return {
            "cups": cups,
            "date": hour.date_label,
            "time": hour.time_label,
            "consumptionKWh": None,
            "obtainMethod": "",
            "surplusEnergyKWh": None,
            "generationEnergyKWh": None,
            "selfConsumptionEnergyKWh": None,
        }
    return {
        "cups": cups,
        "date": hour.date_label,
        "time": hour.time_label,
        "consumptionKWh": truth.consumption,
        "obtainMethod": "Estimada" if truth.estimated else "Real",
        "surplusEnergyKWh": truth.surplus,
        "generationEnergyKWh": truth.generation,
        "selfConsumptionEnergyKWh": truth.self_consumption,
    }


def utc_hour(value: datetime) -> datetime:
    """Normalise an aware datetime to its UTC hour start."""
    if value.tzinfo is None:
        raise ValueError("hours must be aware datetimes")
    return value.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
