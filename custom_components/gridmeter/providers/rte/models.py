"""What the French grid clients return besides the shared signal models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..models import _require_utc
from ..signals import GridMix, GridStress

ECOWATT_STRESS_LEVEL = 2
"""EcoWatt hours at this level (orange, "tense") or above are grid stress."""


@dataclass(frozen=True, slots=True)
class GridMixBatch:
    """Grid-mix rows of one answer, oldest first, one per interval start.

    ``skipped`` counts rows that could not be read (missing or ``"ND"``
    figures, bad timestamps, duplicates); ``pending`` counts rows the source
    lists ahead of their measurement (éCO2mix's rest-of-today rows, which
    carry consumption forecasts only).
    """

    rows: tuple[GridMix, ...]
    skipped: int = 0
    pending: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class EcowattHour:
    """An EcoWatt signal hour: 0 green and low-carbon, 1 normal, 2 tense, 3 very tense."""

    start: datetime
    end: datetime
    level: int

    def __post_init__(self) -> None:
        """UTC, non-empty, level 0-3."""
        _require_utc(self.start, "start")
        _require_utc(self.end, "end")
        if self.end <= self.start:
            raise ValueError("an EcoWatt hour must end after it starts")
        if self.level not in (0, 1, 2, 3):
            raise ValueError(f"EcoWatt level must be 0-3, got {self.level!r}")


@dataclass(frozen=True, slots=True)
class EcowattForecast:
    """EcoWatt hours of one answer (today to J+3), oldest first."""

    hours: tuple[EcowattHour, ...]
    generated: datetime | None = None
    """When RTE generated the signals (``GenerationFichier``), UTC."""
    skipped: int = 0

    def stress(self) -> list[GridStress]:
        """Hours at level 2 or 3 as stress periods, adjacent same-level hours merged.

        The reason is ``ecowatt_2`` (orange) or ``ecowatt_3`` (red).
        """
        periods: list[GridStress] = []
        for hour in self.hours:
            if hour.level < ECOWATT_STRESS_LEVEL:
                continue
            reason = f"ecowatt_{hour.level}"
            last = periods[-1] if periods else None
            if last is not None and last.reason == reason and last.end == hour.start:
                periods[-1] = GridStress(start=last.start, end=hour.end, reason=reason)
            else:
                periods.append(
                    GridStress(start=hour.start, end=hour.end, reason=reason)
                )
        return periods
