"""The common language spoken by every provider client.

Provider clients turn their API's answers into these types; the integration
only ever sees these. Every datetime here is timezone-aware and in UTC, every
energy is in kWh and every power in kW (live power in W, as meters report it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
import math


class EnergyKind(StrEnum):
    """Which energy register a reading belongs to."""

    CONSUMPTION = "consumption"
    """Energy taken from the grid."""
    RETURN = "return"
    """Energy sent to the grid (surplus, injection)."""
    GENERATION = "generation"
    """Energy produced by an on-site installation."""
    SELF_CONSUMPTION = "self_consumption"
    """Energy produced on site and used on site."""


def _require_utc(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() != timedelta(0):
        raise ValueError(f"{name} must be an aware UTC datetime, got {value!r}")


def require_finite(value: float, name: str, *, minimum: float | None = 0.0) -> None:
    """Reject NaN, infinities and (unless `minimum` is None) values below it.

    The models check their own numbers so that a parser bug cannot smuggle a
    NaN or a negative energy into the statistics: the parsers skip such rows
    first, this is the safety net behind them.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {type(value).__name__}")  # noqa: TRY004 - one error type for every bad value
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum:g}, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterPoint:
    """A supply point: the "house" a meter measures (CUPS, PRM or POD)."""

    provider: str
    meter_id: str
    timezone: str
    address: str | None = None
    postal_code: str | None = None
    municipality: str | None = None
    province: str | None = None
    region_code: str | None = None
    """Province / département code, when the provider gives one."""
    distributor: str | None = None
    point_type: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyReading:
    """Energy measured over one interval that starts at `start` (UTC)."""

    start: datetime
    duration: timedelta
    kind: EnergyKind
    kwh: float
    estimated: bool = False

    def __post_init__(self) -> None:
        """Reject naive or non-UTC starts, NaN and negative energy early.

        They would corrupt the statistics later.
        """
        _require_utc(self.start, "start")
        if self.duration <= timedelta(0):
            raise ValueError("duration must be positive")
        require_finite(self.kwh, "kwh")

    @property
    def end(self) -> datetime:
        """End of the interval."""
        return self.start + self.duration


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerPeak:
    """A maximum power demand and when it happened."""

    at: datetime
    kw: float
    period: str | None = None
    """Tariff power period the peak belongs to (``p1``, ``p2`` ...), if known."""

    def __post_init__(self) -> None:
        """Peaks are instants (UTC) of a finite, non-negative power."""
        _require_utc(self.at, "at")
        require_finite(self.kw, "kw")


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeRange:
    """A daily local-time range, e.g. off-peak hours 22:30-06:30."""

    start: time
    end: time


@dataclass(frozen=True, slots=True, kw_only=True)
class Contract:
    """The supply contract: contracted power, tariff and parties."""

    meter_id: str
    contracted_power_kw: tuple[float, ...] = ()
    """Contracted power by power period (P1, P2 ... in order)."""
    tariff_code: str | None = None
    tariff_name: str | None = None
    tariff_option: str | None = None
    """The pricing option the customer chose, where the provider tells it
    (France: BASE / HPHC / TEMPO)."""
    distributor: str | None = None
    marketer: str | None = None
    start: date | None = None
    end: date | None = None
    power_control: str | None = None
    off_peak_hours: tuple[TimeRange, ...] = ()
    self_consumption: bool = False
    installed_generation_kw: float | None = None

    def __post_init__(self) -> None:
        """Powers are finite and not negative."""
        for power in self.contracted_power_kw:
            require_finite(power, "contracted_power_kw")
        if self.installed_generation_kw is not None:
            require_finite(self.installed_generation_kw, "installed_generation_kw")


@dataclass(frozen=True, slots=True, kw_only=True)
class LivePower:
    """Instantaneous power drawn from the grid."""

    at: datetime
    watts: float

    def __post_init__(self) -> None:
        """Instants are UTC; the power is finite and not negative."""
        _require_utc(self.at, "at")
        require_finite(self.watts, "watts")


@dataclass(frozen=True, slots=True, kw_only=True)
class GreenWindow:
    """A time window when the grid's renewable share is high."""

    start: datetime
    end: datetime
    renewable_share: float | None = None
    """Share of renewable production in the window, 0.0-1.0."""
    basis: str | None = None
    """What the window rests on: ``measured``, ``forecast`` or ``estimate``
    (`signals.SignalBasis`); None when the source does not say (Digiwatt)."""

    def __post_init__(self) -> None:
        """Windows are UTC and non-empty; a share is within 0-1."""
        _require_utc(self.start, "start")
        _require_utc(self.end, "end")
        if self.end <= self.start:
            raise ValueError("a green window must end after it starts")
        if self.renewable_share is not None:
            require_finite(self.renewable_share, "renewable_share")
            if self.renewable_share > 1:
                raise ValueError("renewable_share is a share, 0.0-1.0")


@dataclass(frozen=True, slots=True, kw_only=True)
class AreaAverage:
    """Average consumption of comparable homes in an area for one day."""

    day: date
    average_kwh: float
    homes: int
    area: str

    def __post_init__(self) -> None:
        """Check the average is finite and not negative, and homes at least one."""
        require_finite(self.average_kwh, "average_kwh")
        if self.homes < 1:
            raise ValueError("homes must be at least 1")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadingBatch:
    """What one data request returned for one meter.

    `skipped` counts rows the provider sent that could not be used (a null
    value, a stray label); they are reported, never fatal.
    """

    meter_id: str
    readings: tuple[EnergyReading, ...] = ()
    skipped: int = 0
    kinds: frozenset[EnergyKind] = field(default_factory=frozenset)
    """Registers the meter reports at all (even when every value was zero)."""

    def __post_init__(self) -> None:
        """Check the count of skipped rows is not negative."""
        if self.skipped < 0:
            raise ValueError("skipped must not be negative")


def utc_now() -> datetime:
    """Return the current time in UTC (one place to patch in tests)."""
    return datetime.now(UTC)
