"""The simulated French grid, one 15-minute slot at a time (MW).

A nuclear base that follows the residual load within its availability (more
in winter), midday solar, wind in weather spells (windier in winter), run-of-
river and lake hydro, pumped storage that pumps at night and turbines at the
peaks, a bioenergy floor, gas for the rest and a little coal and oil on cold
days. Consumption follows the temperature, the hour and the weekday.
Everything is a pure function of the slot's start: the same grid in every
run, and tests compute ground truth from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
import math
from typing import Final

from simulator.common import noise

from .france import PARIS, SALT, seasonal, sunshine, temperature, wind_index

SLOT: Final = timedelta(minutes=15)
SOLAR_CAPACITY: Final = 22_000.0
ONSHORE_CAPACITY: Final = 24_000.0
OFFSHORE_CAPACITY: Final = 3_000.0
EXPORT_TARGET: Final = 9_000.0

# gCO2 per kWh produced, by source (RTE's éCO2mix coefficients, rounded).
_CO2: Final = {"gaz": 429.0, "charbon": 986.0, "fioul": 777.0, "bioenergies": 494.0}


def _bump(hour: float, centre: float, width: float) -> float:
    return math.exp(-(((hour - centre) / width) ** 2))


@dataclass(frozen=True, slots=True)
class Slot:
    """Truth of one 15-minute slot (MW; ``pompage`` is negative, ``taux_co2`` g/kWh)."""

    start: datetime
    consommation: int
    prevision_j1: int
    prevision_j: int
    nucleaire: int
    eolien_terrestre: int
    eolien_offshore: int
    solaire: int
    hydraulique_fil_eau_eclusee: int
    hydraulique_lacs: int
    hydraulique_step_turbinage: int
    pompage: int
    bioenergies: int
    gaz: int
    charbon: int
    fioul: int
    taux_co2: int

    @property
    def eolien(self) -> int:
        """Onshore plus offshore wind."""
        return self.eolien_terrestre + self.eolien_offshore

    @property
    def hydraulique(self) -> int:
        """Every hydro output, pumped-storage turbining included (as RTE sums it)."""
        return (
            self.hydraulique_fil_eau_eclusee
            + self.hydraulique_lacs
            + self.hydraulique_step_turbinage
        )

    @property
    def production(self) -> int:
        """The eight production sources of éCO2mix."""
        return (
            self.nucleaire
            + self.eolien
            + self.solaire
            + self.hydraulique
            + self.bioenergies
            + self.gaz
            + self.charbon
            + self.fioul
        )

    @property
    def renewable(self) -> int:
        """Wind, solar, hydro without pumped-storage turbining, bioenergies."""
        return (
            self.eolien
            + self.solaire
            + self.hydraulique_fil_eau_eclusee
            + self.hydraulique_lacs
            + self.bioenergies
        )

    @property
    def ech_physiques(self) -> int:
        """Net physical imports (negative: France exports)."""
        return self.consommation - self.pompage - self.production


def consumption(start: datetime) -> float:
    """National consumption (MW) during the slot starting at ``start``."""
    local = start.astimezone(PARIS)
    hour = local.hour + local.minute / 60
    outdoor = temperature(local.date()) + 4.0 * math.cos(2 * math.pi * (hour - 15) / 24)
    load = 44_000 + 2_400 * max(0.0, 15.5 - outdoor) + 700 * max(0.0, outdoor - 24)
    load *= (0.9, 0.85)[local.weekday() - 5] if local.weekday() >= 5 else 1.0
    load += (
        4_500 * _bump(hour, 9, 2.5)
        + 3_000 * _bump(hour, 13, 3)
        + 6_500 * _bump(hour, 19.5, 2)
        - 5_500 * _bump(hour, 4, 3)
    )
    return load * (1 + 0.012 * noise.triangular(SALT, 41, int(start.timestamp())))


def solar(start: datetime) -> float:
    """Solar output (MW): zero at night, a midday peak scaled by the clouds."""
    day = start.astimezone(PARIS).date()
    middle = start + SLOT / 2
    hour = middle.hour + middle.minute / 60  # UTC: solar noon is near 11:50 UTC
    daylight = 12 + 3.8 * seasonal(day, 172)
    position = (hour - (11.85 - daylight / 2)) / daylight
    if not 0 < position < 1:
        return 0.0
    height = 0.45 + 0.55 * (0.5 + 0.5 * seasonal(day, 172))
    passing = 0.85 + 0.15 * noise.unit(SALT, 51, int(start.timestamp()) // 3600)
    return (
        SOLAR_CAPACITY
        * 0.7
        * height
        * math.pow(math.sin(math.pi * position), 1.3)
        * sunshine(day)
        * passing
    )


def wind(start: datetime) -> tuple[float, float]:
    """Onshore and offshore wind output (MW)."""
    day = start.astimezone(PARIS).date()
    hour = start.hour + start.minute / 60
    phase = noise.unit(SALT, 61, day.toordinal()) * 2 * math.pi
    factor = min(
        max(wind_index(day) + 0.06 * math.sin(2 * math.pi * hour / 24 + phase), 0.02),
        0.85,
    )
    return ONSHORE_CAPACITY * factor, OFFSHORE_CAPACITY * min(0.95, factor * 1.25)


@lru_cache(maxsize=8192)
def slot(start: datetime) -> Slot:
    """Truth of the slot starting at ``start`` (a UTC quarter hour)."""
    start = start.astimezone(UTC)
    local = start.astimezone(PARIS)
    hour = local.hour + local.minute / 60
    day = local.date()
    load = consumption(start)
    sun = solar(start)
    onshore, offshore = wind(start)
    river = 3_500 + 2_000 * max(0.0, seasonal(day, 135)) + 300 * seasonal(day, 30)
    peak = _bump(hour, 8.5, 1.5) + _bump(hour, 19.5, 1.8)
    cold = max(0.0, 10.0 - temperature(day)) / 10
    lakes = 800 + 3_200 * peak * (0.6 + 0.4 * cold)
    turbining = 2_200 * peak * (0.4 + 0.6 * cold)
    night = _bump(hour, 3.5, 2.0)
    pumping = -(2_600 * night + 2_000 * (sun / SOLAR_CAPACITY))
    bio = 1_100 + 60 * noise.triangular(SALT, 71, day.toordinal())
    must_run = sun + onshore + offshore + river + lakes + turbining + bio
    residual = load - pumping + EXPORT_TARGET - must_run
    available = 48_000 + 6_000 * seasonal(day, 15)
    nuclear = min(max(residual, 0.55 * available), available)
    rest = residual - nuclear
    coal = min(max(rest - 9_000, 0.0), 600.0)
    gas = min(max(rest - coal, 1_800.0), 11_000.0)
    oil = 100 + 30 * noise.unit(SALT, 72, day.toordinal())
    figures = {"gaz": gas, "charbon": coal, "fioul": oil, "bioenergies": bio}
    production = must_run + nuclear + gas + coal + oil
    carbon = sum(figures[name] * _CO2[name] for name in _CO2) / production
    return Slot(
        start=start,
        consommation=round(load),
        prevision_j1=round(
            load * (1 + 0.03 * noise.triangular(SALT, 81, int(start.timestamp())))
        ),
        prevision_j=round(
            load * (1 + 0.015 * noise.triangular(SALT, 82, int(start.timestamp())))
        ),
        nucleaire=round(nuclear),
        eolien_terrestre=round(onshore),
        eolien_offshore=round(offshore),
        solaire=round(sun),
        hydraulique_fil_eau_eclusee=round(river),
        hydraulique_lacs=round(lakes),
        hydraulique_step_turbinage=round(turbining),
        pompage=round(pumping),
        bioenergies=round(bio),
        gaz=round(gas),
        charbon=round(coal),
        fioul=round(oil),
        taux_co2=round(carbon),
    )
