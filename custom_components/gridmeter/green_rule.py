"""The green-window rule: from a grid's renewable share to green windows.

Pure Python, provider-neutral, no Home Assistant import and no I/O: the
same inputs always give the same windows.

Hourly shares. The renewable share of a UTC hour is the hour's renewable
energy / its total generation, from the grid's mix rows (`GridMix`, average
MW over an interval): rows of one basis (measured or forecast) are summed
over the hour, weighted by their duration, only when they cover the whole
hour without overlapping (four 15-minute rows, two 30-minute rows or one
hourly row); an incomplete hour has no share of that basis, and a row
crossing an hour boundary is not used. A row repeated (same basis and
start) counts once, the last one given wins.

Share of an hour. Measured if the hour has a measured share; else forecast
if the operator's forecast covers it; else estimated: the estimate of an
hour at local clock hour H (in the grid's time zone) on local date D is the
mean, over the seven days D-7 … D-1 that have a measured share at clock
hour H, of that day's share at H. On the autumn day whose clock hour H
happens twice, that day's share at H is the mean of its two hours (and both
hours of a target autumn day at H get the same estimate); on the spring
day that skips H, the day does not count for H. No measured day at H: no
estimate (the hour has no share).

Horizon. The hour in progress and the 23 whole UTC hours that follow.

Green windows. An hour is vetoed when a grid-stress period (`GridStress`:
a Tempo red day, an EcoWatt alert) overlaps it: it is never green. A green
window is a maximal run of consecutive horizon hours, none vetoed, each
with a share at or above the threshold (default 0.5, i.e. 50 %), lasting
at least the minimum length (default 1 hour). When no run qualifies (no
hour reaches the threshold, or no run of them is long enough), the window
is the greenest run of exactly the minimum length in the horizon — highest
mean share, the earliest on ties — among runs with a share for every hour
and no vetoed hour; there is none when no such run exists. Each window
carries its mean hourly share and its basis: ``estimate`` if any of its
hours is an estimate, else ``forecast`` if any is a forecast, else
``measured``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import math
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .providers.models import GreenWindow
from .providers.signals import GridMix, GridStress, SignalBasis

HOUR: Final = timedelta(hours=1)
HORIZON_HOURS: Final = 24
DEFAULT_THRESHOLD: Final = 0.5
"""Half of the generation renewable."""
DEFAULT_MIN_HOURS: Final = 1
ESTIMATE_DAYS: Final = 7
CARBON_MAX_AGE: Final = timedelta(hours=3)
"""A carbon intensity older than this is not "now" any more."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GreenOptions:
    """The user's options: the share threshold (0-1) and the minimum length."""

    threshold: float = DEFAULT_THRESHOLD
    min_hours: int = DEFAULT_MIN_HOURS

    def __post_init__(self) -> None:
        """Threshold within 0-1, minimum length within 1-24 hours."""
        if not (math.isfinite(self.threshold) and 0.0 <= self.threshold <= 1.0):
            raise ValueError(f"threshold must be within 0-1, got {self.threshold!r}")
        if isinstance(self.min_hours, bool) or not (
            1 <= self.min_hours <= HORIZON_HOURS
        ):
            raise ValueError(f"min_hours must be within 1-24, got {self.min_hours!r}")


@dataclass(frozen=True, slots=True)
class HourShare:
    """The renewable share of the UTC hour starting at `start`, and its basis."""

    start: datetime
    share: float
    basis: SignalBasis


def hour_start(instant: datetime) -> datetime:
    """Floor an aware instant to its UTC hour."""
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def horizon(now: datetime) -> tuple[datetime, ...]:
    """Return the horizon's hours: the hour in progress and the next 23."""
    first = hour_start(now)
    return tuple(first + index * HOUR for index in range(HORIZON_HOURS))


def _latest_rows(mix: Iterable[GridMix], basis: SignalBasis) -> list[GridMix]:
    """Rows of one basis, one per start (the last given wins)."""
    return list({row.start: row for row in mix if row.basis is basis}.values())


def _hourly(rows: Iterable[GridMix]) -> dict[datetime, float]:
    by_hour: dict[datetime, list[GridMix]] = defaultdict(list)
    for row in rows:
        hour = hour_start(row.start)
        if hour_start(row.end - timedelta(microseconds=1)) == hour:
            by_hour[hour].append(row)
    shares: dict[datetime, float] = {}
    for hour, parts in by_hour.items():
        covered, end = timedelta(0), hour
        renewable: list[float] = []
        total: list[float] = []
        for row in sorted(parts, key=lambda r: r.start):
            if row.start < end:
                continue  # overlaps a row already counted
            seconds = row.duration.total_seconds()
            covered, end = covered + row.duration, row.end
            renewable.append(row.renewable_mw * seconds)
            total.append(row.total_mw * seconds)
        generated = math.fsum(total)
        if covered == HOUR and generated > 0:
            shares[hour] = min(1.0, math.fsum(renewable) / generated)
    return shares


def hourly_shares(mix: Iterable[GridMix], basis: SignalBasis) -> dict[datetime, float]:
    """Return the renewable share of each complete UTC hour of one basis."""
    return _hourly(_latest_rows(mix, basis))


@dataclass(frozen=True, slots=True)
class GridShares:
    """The hourly renewable shares of one grid, and what they estimate.

    `measured` and `forecast` map UTC hours to shares (0-1); `carbon` holds
    the measured carbon intensities ``(start, end, gCO2/kWh)``, by start.
    Build it with `from_mix` from a grid system's mix rows; one instance
    serves every supply of that grid.
    """

    timezone: str
    measured: Mapping[datetime, float] = field(default_factory=dict)
    forecast: Mapping[datetime, float] = field(default_factory=dict)
    carbon: tuple[tuple[datetime, datetime, float], ...] = ()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _by_clock: Mapping[tuple[date, int], tuple[float, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        """Resolve the time zone and index measured shares by local clock hour."""
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown timezone {self.timezone!r}") from err
        by_clock: dict[tuple[date, int], list[float]] = defaultdict(list)
        for hour, share in self.measured.items():
            local = hour.astimezone(zone)
            by_clock[(local.date(), local.hour)].append(share)
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(
            self, "_by_clock", {key: tuple(v) for key, v in by_clock.items()}
        )
        object.__setattr__(self, "carbon", tuple(sorted(self.carbon)))

    @classmethod
    def from_mix(cls, mix: Iterable[GridMix], timezone: str) -> GridShares:
        """Aggregate a grid's mix rows (any order) into shares.

        Measured and forecast rows are used; rows a source labels as
        estimates are not (the estimate is this module's own rule).
        """
        rows = list(mix)
        measured = _latest_rows(rows, SignalBasis.MEASURED)
        return cls(
            timezone=timezone,
            measured=_hourly(measured),
            forecast=hourly_shares(rows, SignalBasis.FORECAST),
            carbon=tuple(
                (row.start, row.end, row.carbon_g_per_kwh)
                for row in measured
                if row.carbon_g_per_kwh is not None
            ),
        )

    def estimate(self, instant: datetime) -> float | None:
        """Return the 7-day estimate of the hour of `instant` (module rule)."""
        local = hour_start(instant).astimezone(self._zone)
        days = [
            math.fsum(shares) / len(shares)
            for back in range(1, ESTIMATE_DAYS + 1)
            if (
                shares := self._by_clock.get(
                    (local.date() - timedelta(days=back), local.hour)
                )
            )
        ]
        return math.fsum(days) / len(days) if days else None

    def share_at(self, instant: datetime) -> HourShare | None:
        """Return the share of the hour of `instant`: measured, forecast or estimate."""
        hour = hour_start(instant)
        if (measured := self.measured.get(hour)) is not None:
            return HourShare(hour, measured, SignalBasis.MEASURED)
        if (forecast := self.forecast.get(hour)) is not None:
            return HourShare(hour, forecast, SignalBasis.FORECAST)
        if (estimate := self.estimate(hour)) is not None:
            return HourShare(hour, estimate, SignalBasis.ESTIMATE)
        return None

    def carbon_now(self, now: datetime) -> float | None:
        """Return the measured carbon intensity (gCO2/kWh) at `now`.

        The latest measured interval starting at or before `now`, unless it
        ended more than `CARBON_MAX_AGE` before `now`.
        """
        index = bisect_right(self.carbon, now, key=lambda row: row[0])
        if not index:
            return None
        _, end, carbon = self.carbon[index - 1]
        return carbon if end >= now - CARBON_MAX_AGE else None


def _vetoed(hour: datetime, stress: Sequence[GridStress]) -> bool:
    return any(s.start < hour + HOUR and s.end > hour for s in stress)


def _basis(hours: Sequence[HourShare]) -> SignalBasis:
    bases = {h.basis for h in hours}
    for basis in (SignalBasis.ESTIMATE, SignalBasis.FORECAST):
        if basis in bases:
            return basis
    return SignalBasis.MEASURED


def _window(hours: Sequence[HourShare]) -> GreenWindow:
    return GreenWindow(
        start=hours[0].start,
        end=hours[-1].start + HOUR,
        renewable_share=math.fsum(h.share for h in hours) / len(hours),
        basis=_basis(hours).value,
    )


def _threshold_runs(
    shares: Sequence[HourShare | None], options: GreenOptions
) -> list[list[HourShare]]:
    runs: list[list[HourShare]] = []
    run: list[HourShare] = []
    for share in [*shares, None]:
        if share is not None and share.share >= options.threshold:
            run.append(share)
            continue
        if len(run) >= options.min_hours:
            runs.append(run)
        run = []
    return runs


def _greenest_run(
    shares: Sequence[HourShare | None], length: int
) -> list[HourShare] | None:
    best: list[HourShare] | None = None
    best_total = -math.inf
    for first in range(len(shares) - length + 1):
        run = [s for s in shares[first : first + length] if s is not None]
        if len(run) == length and (total := math.fsum(s.share for s in run)) > (
            best_total
        ):
            best, best_total = run, total
    return best


def green_windows(
    shares: GridShares,
    now: datetime,
    options: GreenOptions | None = None,
    stress: Iterable[GridStress] = (),
) -> tuple[GreenWindow, ...]:
    """Return the green windows of the horizon from `now`, sorted (module rule)."""
    options = options or GreenOptions()
    periods = tuple(stress)
    hourly = [
        None if _vetoed(hour, periods) else shares.share_at(hour)
        for hour in horizon(now)
    ]
    runs = _threshold_runs(hourly, options)
    if not runs and (greenest := _greenest_run(hourly, options.min_hours)):
        runs = [greenest]
    return tuple(_window(run) for run in runs)
