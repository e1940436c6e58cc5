"""What Enedis has published for each delivery point, as of the simulator clock.

The load model (:mod:`.households`) gives the metered value of every step.
This layer decides what is *served*:

* the history window: from the first day of the month 25 months back (Paris)
  to the end of the Paris day ``now - publication_delay`` (default one day,
  i.e. the end of yesterday), never beyond ``now``;
* late data (``missing_days``: served as ``null`` steps, and absent from the
  daily flows) and corrections (``revise``: every step of a day multiplied by a
  factor, daily energies and indexes follow);
* load-curve collection: a point whose curve was never collected serves no
  load curve until it is activated, then only from the activation day.

Daily flows (R64/R65/R66) are computed from the same step values, so R65 is
exactly the day's load-curve energy rounded to the Wh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from simulator.common import noise

from .households import (
    HOUSEHOLDS,
    PARIS,
    Household,
    LoadModel,
    ModelDay,
    paris_day_bounds,
    paris_midnight,
)
from .timeutil import ceil_to, floor_to

type Direction = Literal["CONSUMPTION", "INJECTION"]

HISTORY_MONTHS = 25
INDEX_ANCHOR = date(2024, 1, 1)
"""Indexes are ``base_index_wh`` at Paris midnight starting this day."""
_DAY = timedelta(days=1)


_MODELS: dict[str, LoadModel] = {}
_CLASS_ENERGY: dict[tuple[str, str, date], dict[str, float]] = {}
_CUMULATIVE: dict[tuple[str, str], dict[date, dict[str, float]]] = {}
"""Process-wide caches of deterministic values (models, unrevised energies)."""


@dataclass(slots=True)
class PublicationState:
    """Everything that changes what is served (cleared by ``reset()``)."""

    publication_delay: timedelta = timedelta(days=1)
    missing_days: dict[str, set[date]] = field(default_factory=dict)
    revisions: dict[str, dict[date, float]] = field(default_factory=dict)
    activations: dict[str, date] = field(default_factory=dict)
    """PRM → first Paris day of the collected load curve (after activation)."""
    activation_requested: dict[str, datetime] = field(default_factory=dict)
    """PRM → clock instant Switchgrid asked Enedis to activate the collection."""


@dataclass(frozen=True, slots=True)
class Series:
    """A regular load-curve series: value ``i`` starts at ``start + i*step``."""

    start: datetime
    step: timedelta
    values: list[float | None]

    @property
    def end(self) -> datetime:
        """End of the last step."""
        return self.start + len(self.values) * self.step


@dataclass(frozen=True, slots=True)
class DailyMax:
    """R66 point: the day's max power (VA) and the instant it happened."""

    day: date
    va: int
    at: datetime


def add_months_to_day(year: int, month: int, delta: int) -> tuple[int, int]:
    """Shift a (year, month) pair by ``delta`` months."""
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


class SwitchgridData:
    """Served data of every simulated delivery point."""

    def __init__(self, households: tuple[Household, ...] = HOUSEHOLDS) -> None:
        """Index the households and prepare one cached load model each."""
        self.households: dict[str, Household] = {h.prm: h for h in households}
        self.models: dict[str, LoadModel] = {}
        for household in households:
            model = _MODELS.get(household.prm)
            if model is None or model.household is not household:
                model = _MODELS[household.prm] = LoadModel(household)
            self.models[household.prm] = model
        self.state = PublicationState()
        # Unrevised values never change: share them between simulators.
        self._class_energy = _CLASS_ENERGY
        self._cumulative = _CUMULATIVE

    def reset(self) -> None:
        """Forget every modifier (model caches are kept: they never change)."""
        self.state = PublicationState()

    def household(self, prm: str) -> Household:
        """Household behind ``prm`` (KeyError when unknown)."""
        try:
            return self.households[prm]
        except KeyError:
            raise KeyError(f"unknown PRM {prm!r}") from None

    # -- publication window -------------------------------------------------

    def window_start_day(self, now: datetime) -> date:
        """First Paris day served: day 1 of the month 25 months back."""
        local = now.astimezone(PARIS)
        year, month = add_months_to_day(local.year, local.month, -HISTORY_MONTHS)
        return date(year, month, 1)

    def last_published_day(self, now: datetime) -> date:
        """Last complete Paris day served (``now - publication_delay``)."""
        candidate = (now - self.state.publication_delay).astimezone(PARIS).date()
        if paris_day_bounds(candidate)[1] > now:
            candidate -= _DAY
        return candidate

    def horizon(self, now: datetime) -> datetime:
        """End (UTC) of the served data.

        The end of :meth:`last_published_day`, or, when the delay is shorter
        than a day, the last complete half-hour before ``now``.
        """
        last_day_end = paris_day_bounds(self.last_published_day(now))[1]
        if self.state.publication_delay >= _DAY:
            return last_day_end
        partial = floor_to(now - self.state.publication_delay, timedelta(minutes=30))
        return max(last_day_end, partial)

    # -- metered values -----------------------------------------------------

    def _metered_day(self, household: Household, day: date) -> ModelDay:
        return self.models[household.prm].day(day)

    def _factor(self, household: Household, day: date) -> float:
        return self.state.revisions.get(household.prm, {}).get(day, 1.0)

    def _is_missing(self, household: Household, day: date) -> bool:
        return day in self.state.missing_days.get(household.prm, set())

    def day_values(
        self, household: Household, day: date, direction: Direction
    ) -> tuple[ModelDay, list[int] | None]:
        """Return the served step values of Paris ``day`` (None: missing day).

        Revisions are applied; injection of a point without solar is all zero.
        """
        model = self._metered_day(household, day)
        if self._is_missing(household, day):
            return model, None
        raw = model.consumption if direction == "CONSUMPTION" else model.injection
        if raw is None:
            return model, [0] * len(model)
        factor = self._factor(household, day)
        if factor == 1.0:
            return model, list(raw)
        return model, [round(v * factor) for v in raw]

    def load_curve_start(self, household: Household, now: datetime) -> datetime | None:
        """First served instant of the load curve (None: never collected)."""
        window = paris_midnight(self.window_start_day(now))
        if household.load_curve_collected:
            return window
        activated = self.state.activations.get(household.prm)
        if activated is None:
            return None
        return max(window, paris_midnight(activated))

    def series(
        self,
        household: Household,
        direction: Direction,
        since: datetime | None,
        until: datetime | None,
        now: datetime,
    ) -> Series:
        """Load curve between ``since`` and ``until`` (clamped to what is served).

        ``since`` is floored and ``until`` ceiled to the step grid; the result
        can be empty (``start == end``).
        """
        step = household.step
        first = self.load_curve_start(household, now)
        horizon = self.horizon(now)
        if first is None:
            return Series(horizon, step, [])
        start = first if since is None else max(first, floor_to(since, step))
        end = horizon if until is None else min(horizon, ceil_to(until, step))
        if end <= start:
            return Series(start, step, [])
        values: list[float | None] = []
        day = start.astimezone(PARIS).date()
        while True:
            day_start, day_end = paris_day_bounds(day)
            if day_start >= end:
                break
            model, served = self.day_values(household, day, direction)
            lo = max(0, int((start - day_start) / step))
            hi = min(len(model), int((end - day_start) / step))
            if served is None:
                values.extend([None] * max(0, hi - lo))
            else:
                values.extend(served[lo:hi])
            day += _DAY
            if day_end >= end:
                break
        return Series(start, step, values)

    def truth_w(
        self, prm: str, direction: Direction, now: datetime
    ) -> dict[datetime, float | None]:
        """Every served step (UTC start → average W or None)."""
        household = self.household(prm)
        series = self.series(household, direction, None, None, now)
        step = series.step
        start = series.start
        return {start + i * step: value for i, value in enumerate(series.values)}

    # -- daily energies and indexes -----------------------------------------

    def _class_sums(
        self, household: Household, day: date, direction: Direction, factor: float
    ) -> dict[str, float]:
        model = self._metered_day(household, day)
        raw = model.consumption if direction == "CONSUMPTION" else model.injection
        hours = household.step.total_seconds() / 3600.0
        sums: dict[str, float] = {}
        for index, minute in enumerate(model.minutes):
            value = 0 if raw is None else raw[index]
            if factor != 1.0:
                value = round(value * factor)
            klass = (
                household.temporal_class(day, minute)
                if direction == "CONSUMPTION"
                else "BASE"
            )
            sums[klass] = sums.get(klass, 0.0) + value * hours
        return sums

    def _raw_class_energy(
        self, household: Household, day: date, direction: Direction
    ) -> dict[str, float]:
        key = (household.prm, direction, day)
        cached = self._class_energy.get(key)
        if cached is None:
            cached = self._class_sums(household, day, direction, 1.0)
            self._class_energy[key] = cached
        return cached

    def class_energy(
        self, household: Household, day: date, direction: Direction
    ) -> dict[str, float]:
        """Metered Wh of Paris ``day`` per distributor class (revisions applied)."""
        factor = self._factor(household, day)
        if factor == 1.0:
            return dict(self._raw_class_energy(household, day, direction))
        return self._class_sums(household, day, direction, factor)

    def daily_wh(self, household: Household, day: date, direction: Direction) -> int:
        """R65 value of a Paris day: the day's step energy rounded to the Wh.

        Computed in integers (Σ W x step seconds / 3600, one division), so it
        equals ``round(sum(load-curve values) x step_hours)`` exactly.
        """
        model = self._metered_day(household, day)
        raw = model.consumption if direction == "CONSUMPTION" else model.injection
        if raw is None:
            return 0
        factor = self._factor(household, day)
        total = sum(raw) if factor == 1.0 else sum(round(v * factor) for v in raw)
        return round(total * int(household.step.total_seconds()) / 3600)

    def _unrevised_cumulative(
        self, household: Household, direction: Direction, day: date
    ) -> dict[str, float]:
        """Σ unrevised class energy from INDEX_ANCHOR to ``day`` (exclusive).

        Negative (going backwards) for days before the anchor.
        """
        table = self._cumulative.setdefault((household.prm, direction), {})
        cached = table.get(day)
        if cached is not None:
            return cached
        # Walk from the nearest known day (or the anchor).
        forward = day >= INDEX_ANCHOR
        known = [d for d in table if (d <= day) == forward]
        if forward:
            cursor = max(known, default=INDEX_ANCHOR)
            total = dict(table.get(cursor, {}))
            while cursor < day:
                for klass, wh in self._raw_class_energy(
                    household, cursor, direction
                ).items():
                    total[klass] = total.get(klass, 0.0) + wh
                cursor += _DAY
                table[cursor] = dict(total)
        else:
            cursor = min(known, default=INDEX_ANCHOR)
            total = dict(table.get(cursor, {}))
            while cursor > day:
                cursor -= _DAY
                for klass, wh in self._raw_class_energy(
                    household, cursor, direction
                ).items():
                    total[klass] = total.get(klass, 0.0) - wh
                table[cursor] = dict(total)
        table.setdefault(INDEX_ANCHOR, {})
        return table.get(day, total)

    def indexes(
        self, household: Household, day: date, direction: Direction
    ) -> dict[str, int]:
        """Index per class (Wh) read at the Paris midnight starting ``day``."""
        totals = dict(self._unrevised_cumulative(household, direction, day))
        for revised_day in self.state.revisions.get(household.prm, {}):
            if day > revised_day >= INDEX_ANCHOR or INDEX_ANCHOR > revised_day >= day:
                sign = 1.0 if revised_day < day else -1.0
                new = self.class_energy(household, revised_day, direction)
                old = self._raw_class_energy(household, revised_day, direction)
                for klass in set(new) | set(old):
                    delta = new.get(klass, 0.0) - old.get(klass, 0.0)
                    totals[klass] = totals.get(klass, 0.0) + sign * delta
        classes = self.classes(household, direction)
        base = (
            household.base_index_wh
            if direction == "CONSUMPTION"
            else household.injection_base_index_wh
        )
        out: dict[str, int] = {}
        for position, klass in enumerate(classes):
            if len(classes) == 1:
                share = float(base)
            else:
                share = base * (0.62 if position == 0 else 0.38 / (len(classes) - 1))
            out[klass] = round(share + totals.get(klass, 0.0))
        return out

    @staticmethod
    def classes(household: Household, direction: Direction) -> tuple[str, ...]:
        """Distributor classes of the point's calendar, in display order."""
        if direction == "INJECTION":
            return ("BASE",)
        tariff = household.tariff
        if tariff == "BASE":
            return ("BASE",)
        if tariff == "HPHC":
            return ("HP", "HC")
        return ("HPH", "HCH", "HPB", "HCB")

    def daily_max(self, household: Household, day: date) -> DailyMax | None:
        """R66 point of a Paris day (None when the day is missing)."""
        model, served = self.day_values(household, day, "CONSUMPTION")
        if not served:
            return None
        values: list[int] = served
        best = max(range(len(values)), key=values.__getitem__)
        salt = noise.hash64("pmax", household.prm)
        u1, u2, _, _ = noise.quads(salt, day.toordinal())
        step_s = int(household.step.total_seconds())
        cap = household.subscribed_kva * 1000
        va = min(cap, round(values[best] * (1.15 + 0.5 * u1) / 0.96))
        at = model.step_start(best) + timedelta(seconds=int(u2 * step_s) // 60 * 60)
        return DailyMax(day=day, va=max(va, 1), at=at)

    # -- truth helpers -------------------------------------------------------

    def truth_hourly_kwh(
        self, prm: str, direction: Direction, now: datetime
    ) -> dict[datetime, float]:
        """Return the kWh of every complete UTC hour of the served load curve."""
        household = self.household(prm)
        steps = self.truth_w(prm, direction, now)
        per_hour = 3600 // int(household.step.total_seconds())
        hours = household.step.total_seconds() / 3600.0
        buckets: dict[datetime, list[float | None]] = {}
        for start, value in steps.items():
            hour = start.replace(minute=0, second=0, microsecond=0)
            buckets.setdefault(hour, []).append(value)
        out: dict[datetime, float] = {}
        for hour, values in buckets.items():
            if len(values) != per_hour or any(v is None for v in values):
                continue
            out[hour] = sum(v for v in values if v is not None) * hours / 1000.0
        return out

    def truth_daily_wh(
        self, prm: str, direction: Direction, now: datetime
    ) -> dict[date, int]:
        """R65 values for every published Paris day (missing days excluded)."""
        household = self.household(prm)
        out: dict[date, int] = {}
        day = self.window_start_day(now)
        last = self.last_published_day(now)
        while day <= last:
            if not self._is_missing(household, day):
                out[day] = self.daily_wh(household, day, direction)
            day += _DAY
        return out


def utc(value: datetime) -> datetime:
    """Return ``value`` as aware UTC (naive values are taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
