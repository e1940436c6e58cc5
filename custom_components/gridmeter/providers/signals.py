"""The common language of side sources: prices and national grid signals.

Price sources (Spain's PVPC, France's Tempo calendar) and grid-signal sources
(Red Eléctrica, RTE) turn their answers into these types, as the hubs turn
theirs into `models.py`. The price engine and the green-window engine only
ever see these. As in `models.py`, every datetime is aware and in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
import math

from .models import _require_utc


def _require_finite(value: float, name: str, *, minimum: float | None = None) -> None:
    if not math.isfinite(value) or (minimum is not None and value < minimum):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


class SignalBasis(StrEnum):
    """What a grid figure is: measured, forecast by the operator, or estimated.

    An estimate (the same hour of the last days) is never presented as a
    forecast.
    """

    MEASURED = "measured"
    FORECAST = "forecast"
    ESTIMATE = "estimate"


@dataclass(frozen=True, slots=True, kw_only=True)
class HourlyPrice:
    """An energy price in force for one hour that starts at `start` (UTC)."""

    start: datetime
    eur_per_kwh: float

    def __post_init__(self) -> None:
        """Prices are finite; PVPC hours start on UTC hours."""
        _require_utc(self.start, "start")
        _require_finite(self.eur_per_kwh, "eur_per_kwh")


class TempoColour(StrEnum):
    """The colour of a French Tempo day."""

    BLUE = "blue"
    WHITE = "white"
    RED = "red"


@dataclass(frozen=True, slots=True, kw_only=True)
class TempoDay:
    """The colour of the Tempo day `day`: it runs 06:00 → 06:00 (Paris)."""

    day: date
    colour: TempoColour


@dataclass(frozen=True, slots=True, kw_only=True)
class GridMix:
    """Generation of a national (or island) grid over one interval.

    `renewable_mw` and `total_mw` are average powers over the interval, as
    the operator classifies them (each source's README lists which
    technologies count as renewable).
    """

    start: datetime
    duration: timedelta
    renewable_mw: float
    total_mw: float
    basis: SignalBasis
    carbon_g_per_kwh: float | None = None
    """Carbon intensity of the production (gCO2/kWh), where published."""

    def __post_init__(self) -> None:
        """Finite, non-negative figures; renewable never above the total."""
        _require_utc(self.start, "start")
        if self.duration <= timedelta(0):
            raise ValueError("duration must be positive")
        _require_finite(self.renewable_mw, "renewable_mw", minimum=0.0)
        _require_finite(self.total_mw, "total_mw", minimum=0.0)
        if self.renewable_mw > self.total_mw * (1 + 1e-9):
            raise ValueError("renewable generation exceeds the total")
        if self.carbon_g_per_kwh is not None:
            _require_finite(self.carbon_g_per_kwh, "carbon_g_per_kwh", minimum=0.0)

    @property
    def end(self) -> datetime:
        """End of the interval."""
        return self.start + self.duration

    @property
    def renewable_share(self) -> float | None:
        """Renewable generation / total generation (None without generation)."""
        return self.renewable_mw / self.total_mw if self.total_mw > 0 else None


@dataclass(frozen=True, slots=True, kw_only=True)
class GridStress:
    """A period when the grid is under stress: never a green window.

    Tempo red days and EcoWatt orange/red signals are such periods.
    """

    start: datetime
    end: datetime
    reason: str
    """Short machine name of the signal, e.g. ``tempo_red``, ``ecowatt_3``."""

    def __post_init__(self) -> None:
        """UTC and non-empty."""
        _require_utc(self.start, "start")
        _require_utc(self.end, "end")
        if self.end <= self.start:
            raise ValueError("a stress period must end after it starts")
