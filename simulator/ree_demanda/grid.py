"""A deterministic model of Spain's five electric systems, every 5 minutes.

Each system produces the fields REE's real-time service serves for it (the
peninsula's ``eol``/``nuc``/``cc``/``gnhd``/``solFot``..., the Canary
Islands' ``die``/``vap``/``fot``..., Ceuta's ``die``/``turbVap``...) with
realistic days: a solar noon peak, windier winter nights, evening demand
peaks, pumped storage at dusk, island systems mostly fossil. Values are pure
functions of (system, instant), so tests compute ground truth from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import math
from typing import Final
from zoneinfo import ZoneInfo

from simulator.common import noise

MADRID: Final = ZoneInfo("Europe/Madrid")
CANARY: Final = ZoneInfo("Atlantic/Canary")
CEUTA: Final = ZoneInfo("Africa/Ceuta")
STEP: Final = timedelta(minutes=5)
HOUR: Final = timedelta(hours=1)
_TWO_PI: Final = 2.0 * math.pi

SYSTEMS: Final = ("peninsular", "canarias", "baleares", "ceuta", "melilla")


def _season(day: date, peak_doy: int) -> float:
    """Cosine in [-1, 1] peaking on day-of-year `peak_doy`."""
    return math.cos(_TWO_PI * (day.timetuple().tm_yday - peak_doy) / 365.25)


def _smooth(salt: str, instant: datetime, period_hours: float) -> float:
    """Slow noise in (-1, 1): interpolated between knots `period_hours` apart."""
    position = instant.timestamp() / 3600.0 / period_hours
    knot = math.floor(position)
    weight = position - knot
    weight = weight * weight * (3.0 - 2.0 * weight)
    low = noise.triangular(salt, knot)
    high = noise.triangular(salt, knot + 1)
    return low + (high - low) * weight


def solar_factor(system: str, instant: datetime, noon_utc: float) -> float:
    """Clear-sky-ish PV output share (0..1) with daily cloudiness."""
    day = instant.date()
    half_day = 6.1 + 1.45 * _season(day, 172)
    hours = instant.hour + instant.minute / 60.0
    phase = (hours - (noon_utc - half_day)) / (2.0 * half_day)
    if not 0.0 < phase < 1.0:
        return 0.0
    cloud = 0.6 + 0.4 * (0.5 + 0.5 * _smooth(f"{system}:cloud", instant, 30.0))
    return cloud * math.pow(math.sin(math.pi * phase), 1.3)


def wind_factor(system: str, instant: datetime, time_zone: ZoneInfo) -> float:
    """Wind output share (0.03..0.9): windier winters and nights, weather spells."""
    local = instant.astimezone(time_zone)
    seasonal = 0.30 + 0.12 * _season(local.date(), 15)
    nightly = 0.07 * math.cos(_TWO_PI * (local.hour + local.minute / 60.0 - 3.0) / 24.0)
    spell = 0.22 * _smooth(f"{system}:wind", instant, 20.0)
    return min(0.9, max(0.03, seasonal + nightly + spell))


def demand_shape(local: datetime) -> float:
    """Daily demand shape (about 0.75 at night, 1.15 at the evening peak)."""
    hours = local.hour + local.minute / 60.0
    morning = 0.22 * math.exp(-(((hours - 11.0) / 3.0) ** 2))
    evening = 0.30 * math.exp(-(((hours - 20.5) / 2.2) ** 2))
    weekend = 0.9 if local.weekday() >= 5 else 1.0
    return weekend * (0.78 + morning + evening)


@dataclass(frozen=True, slots=True)
class Sample:
    """One instant of a system: served fields and the renewable / total truth."""

    fields: dict[str, float]
    renewable: float
    total: float


def _rounded(values: dict[str, float], digits: int) -> dict[str, float]:
    if digits == 0:  # the peninsula serves integers
        return {key: round(value) for key, value in values.items()}
    return {key: round(value, digits) for key, value in values.items()}


def _sample(
    fields: dict[str, float],
    renewable: tuple[str, ...],
    fossil: tuple[str, ...],
    digits: int,
) -> Sample:
    served = _rounded(fields, digits)
    ren = math.fsum(served[key] for key in renewable)
    return Sample(served, ren, ren + math.fsum(served[key] for key in fossil))


def peninsular(instant: datetime) -> Sample:
    """Model the peninsula: nuclear base, big wind and solar, hydro, pumping."""
    local = instant.astimezone(MADRID)
    day = local.date()
    demand = 27_500.0 * (1.0 + 0.08 * _season(day, 20)) * demand_shape(local)
    sun = solar_factor("peninsular", instant, 12.25)
    pv = 28_000.0 * sun * (0.8 + 0.2 * _season(day, 172))
    thermal = 1_600.0 * sun * (0.5 + 0.5 * _season(day, 190))
    wind = 30_000.0 * wind_factor("peninsular", instant, MADRID)
    hydro = (
        2_600.0
        + 1_800.0 * (0.5 + 0.5 * _season(day, 90))
        + 1_200.0 * (demand_shape(local) - 0.9)
    )
    hours = local.hour + local.minute / 60.0
    pumped = 2_200.0 * math.exp(-(((hours - 21.0) / 1.8) ** 2))
    pumping = min(3_000.0, 0.25 * pv)
    nuclear = 6_060.0
    biomass = 470.0 + 30.0 * _smooth("peninsular:bio", instant, 12.0)
    cogen = 1_750.0 + 150.0 * _smooth("peninsular:cogen", instant, 9.0)
    coal = 300.0
    imports = 1_200.0 * _smooth("peninsular:inter", instant, 16.0)
    balear = -250.0
    supply = wind + pv + thermal + hydro + pumped + nuclear + biomass + cogen + coal
    combined = max(400.0, demand + pumping - imports - balear - supply)
    fields = {
        "dem": demand,
        "eol": wind,
        "nuc": nuclear,
        "gf": 0.0,
        "car": coal,
        "cc": combined,
        "hid": hydro + pumped - pumping,
        "aut": 2_000.0 if 14 <= local.hour < 23 else 0.0,
        "inter": imports,
        "icb": balear,
        "sol": pv + thermal,
        "solFot": pv,
        "solTer": thermal,
        "termRenov": biomass,
        "cogenResto": cogen,
        "impFra": max(0.0, imports),
        "expFra": min(0.0, imports),
        "conb": pumping,
        "turb": pumped,
        "gnhd": hydro,
        "bat": 0.0,
        "consBat": 0.0,
        "dif": 0.0,
    }
    return _sample(
        fields,
        ("eol", "gnhd", "solFot", "solTer", "termRenov"),
        ("nuc", "gf", "car", "cc", "cogenResto", "turb"),
        0,
    )


def canarias(instant: datetime) -> Sample:
    """Model the Canary Islands: oil-fired plants, some wind and solar."""
    local = instant.astimezone(CANARY)
    demand = 1_150.0 * (1.0 + 0.05 * _season(local.date(), 230)) * demand_shape(local)
    pv = 420.0 * solar_factor("canarias", instant, 13.05)
    wind = 720.0 * wind_factor("canarias", instant, CANARY) * 0.8
    fossil = max(0.35 * demand, demand - pv - wind)
    fields = {
        "dem": demand,
        "die": 0.15 * fossil,
        "gas": 0.10 * fossil,
        "eol": wind,
        "cc": 0.45 * fossil,
        "vap": 0.30 * fossil,
        "fot": pv,
        "hid": 0.0,
        "conb": 0.0,
        "turb": 0.0,
        "gnhd": 0.0,
        "efl": 0.0,
    }
    return _sample(
        fields, ("eol", "fot", "gnhd"), ("die", "gas", "cc", "vap", "turb"), 1
    )


def baleares(instant: datetime) -> Sample:
    """Model the Balearic Islands: combined cycle, the peninsula cable, solar."""
    local = instant.astimezone(MADRID)
    demand = 720.0 * (1.0 + 0.25 * _season(local.date(), 210)) * demand_shape(local)
    pv = 260.0 * solar_factor("baleares", instant, 11.8)
    wind = 3.0 * wind_factor("baleares", instant, MADRID)
    cable = 250.0
    waste = 15.0
    local_fossil = max(150.0, demand - cable - pv - wind - 2.0 * waste - 2.1 - 6.0)
    fields = {
        "dem": demand,
        "car": 0.0,
        "die": 0.05 * local_fossil,
        "gas": 0.05 * local_fossil,
        "cc": 0.9 * local_fossil,
        "cb": cable,
        "fot": pv,
        "tnr": 0.0,
        "trn": 0.0,
        "eol": wind,
        "emm": 1.0,
        "emi": -90.0,
        "otrRen": 2.1,
        "resid": 0.0,
        "genAux": 0.0,
        "cogen": 6.0,
        "eif": 0.0,
        "residNr": waste,
        "residRen": waste,
    }
    return _sample(
        fields,
        ("fot", "trn", "eol", "otrRen", "residRen"),
        ("car", "die", "gas", "cc", "tnr", "resid", "genAux", "cogen", "residNr"),
        1,
    )


def _city(instant: datetime, base: float, waste: float) -> Sample:
    local = instant.astimezone(CEUTA)
    demand = base * (1.0 + 0.1 * _season(local.date(), 215)) * demand_shape(local)
    fields = {
        "dem": demand,
        "gas": 0.07,
        "die": 0.9 * demand,
        "resid": waste,
        "bat": 0.0,
        "consBat": 0.0,
        "turbVap": max(0.0, 0.1 * demand - waste),
    }
    return _sample(fields, (), ("gas", "die", "resid", "turbVap"), 2)


def ceuta(instant: datetime) -> Sample:
    """Ceuta: diesel engines and a steam turbine."""
    return _city(instant, 28.0, 0.0)


def melilla(instant: datetime) -> Sample:
    """Melilla: diesel engines and a waste incinerator."""
    return _city(instant, 32.0, 1.8)


MODELS: Final[dict[str, Callable[[datetime], Sample]]] = {
    "peninsular": peninsular,
    "canarias": canarias,
    "baleares": baleares,
    "ceuta": ceuta,
    "melilla": melilla,
}
TIME_ZONES: Final = {
    "peninsular": MADRID,
    "canarias": CANARY,
    "baleares": MADRID,
    "ceuta": CEUTA,
    "melilla": CEUTA,
}


def floor_step(instant: datetime) -> datetime:
    """Round an instant down to its 5-minute step (UTC)."""
    utc = instant.astimezone(UTC)
    return utc.replace(minute=utc.minute - utc.minute % 5, second=0, microsecond=0)


def hour_mean(system: str, hour: datetime, attribute: str) -> float:
    """Mean of a served field over the 12 samples of a UTC hour."""
    model = MODELS[system]
    values = [model(hour + n * STEP).fields[attribute] for n in range(12)]
    return math.fsum(values) / len(values)
