"""Reading REE's real-time demand and generation answers.

An answer is JSONP, ``null({"valoresHorariosGeneracion": [{"ts": "2024-10-25
21:00", "dem": 29998, "eol": 4485, ...}, ...]});`` (sometimes without the
final ``;``): one row every five minutes, ``ts`` in the system's local wall
time without offset; on the day clocks go back the repeated hour is written
``2A:05`` then ``2B:05`` (peninsula, Balearic Islands) or ``1A``/``1B``
(Canary Islands). Values are MW (integers for the peninsula, one decimal for
the islands), and each system has its own set of fields.

Renewable or not follows Red Eléctrica's own classification (REData's
``attributes.type``, see the README): `RENEWABLE` and `NON_RENEWABLE` list
the generation fields; exchanges, demand, storage and aggregates are not
generation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
import json
import math
import re
from typing import Any, Final
from zoneinfo import ZoneInfo

from ..errors import InvalidResponse
from ..signals import GridMix, SignalBasis

PROVIDER: Final = "REE demanda"
HOUR: Final = timedelta(hours=1)
FEED_STEP: Final = timedelta(minutes=5)
MAX_ROWS: Final = 2000
"""A real answer has 361 rows (30 hours of 5-minute samples)."""
MAX_MW: Final = 200_000.0
MIN_COVERAGE: Final = 0.75
"""Share of an hour its samples must cover for the hour to be reported."""
_STEPS_MINUTES: Final = (5, 10, 15, 20, 30, 60)
_FIRST_YEAR: Final = 2000
_LAST_YEAR: Final = 2100
_TS: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{1,2})([AB]?):([0-9]{2})"
)

RENEWABLE: Final = frozenset(
    {
        "eol",  # Eólica
        "gnhd",  # Hidráulica (hydro without pumped-storage turbining)
        "solFot",  # Solar fotovoltaica (peninsula)
        "solTer",  # Solar térmica
        "fot",  # Solar fotovoltaica (islands)
        "termRenov",  # Térmica renovable (REE: otras renovables)
        "bio",  # Biomasa (the peninsula's new name of termRenov, 2026)
        "otrRen",  # Otras renovables
        "trn",  # Térmica renovable (islands)
        "residRen",  # Residuos renovables
    }
)
"""Generation fields REE counts as renewable."""
NON_RENEWABLE: Final = frozenset(
    {
        "nuc",  # Nuclear
        "car",  # Carbón
        "cc",  # Ciclo combinado
        "gf",  # Fuel + gas
        "die",  # Motores diésel
        "gas",  # Turbina de gas
        "vap",  # Turbina de vapor
        "turbVap",  # Turbina de vapor (Ceuta, Melilla)
        "genAux",  # Generación auxiliar
        "cogen",  # Cogeneración
        "cogenResto",  # Cogeneración y residuos
        "residNr",  # Residuos no renovables
        "resid",  # Residuos (no renewable split given: counted as not renewable)
        "tnr",  # Térmica no renovable (islands)
        "turb",  # Turbinación bombeo (REE: not renewable)
    }
)
"""Generation fields REE counts as not renewable."""
AGGREGATES: Final = {
    "sol": frozenset({"solFot", "solTer"}),
    "hid": frozenset({"gnhd", "turb"}),
}
"""Totals read only when their parts are absent (``sol`` is renewable;
``hid`` as well, since without its parts the pumped part is unknown)."""
NOT_GENERATION: Final = frozenset(
    {
        "ts",
        "dem",  # demand
        "inter",  # international exchanges
        "icb",  # peninsula-Balearic link (peninsula side)
        "cb",  # peninsula-Balearic link (Balearic side)
        "emm",  # Mallorca-Menorca link
        "emi",  # Mallorca-Ibiza link
        "eif",  # Ibiza-Formentera link
        "efl",  # Fuerteventura-Lanzarote link
        "etlg",  # Tenerife-La Gomera link
        "expAnd",
        "expMar",
        "expPor",
        "expFra",
        "expTot",
        "impAnd",
        "impMar",
        "impPor",
        "impFra",
        "impTot",
        "conb",  # pumping consumption
        "bat",  # battery discharge (storage, not generation)
        "consBat",  # battery charge
        "dif",  # balance difference
        "aut",  # meaning not documented anywhere found: left out
    }
)
KNOWN: Final = RENEWABLE | NON_RENEWABLE | NOT_GENERATION | frozenset(AGGREGATES)


def unwrap(text: str) -> list[Any]:
    """Return the rows of a JSONP (or plain JSON) answer; InvalidResponse if none."""
    body = text.strip()
    if not body.startswith("{"):
        opening, closing = body.find("("), body.rfind(")")
        if opening < 0 or closing < opening:
            raise InvalidResponse(f"{PROVIDER} answered something that is not JSONP")
        body = body[opening + 1 : closing]
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as err:
        raise InvalidResponse(
            f"{PROVIDER} answered something that is not JSON"
        ) from err
    rows = data.get("valoresHorariosGeneracion") if isinstance(data, dict) else None
    if not isinstance(rows, list) or len(rows) > MAX_ROWS:
        raise InvalidResponse(f"{PROVIDER} answered without generation rows")
    return rows


def parse_ts(text: Any, time_zone: ZoneInfo) -> datetime | None:
    """Read a ``ts`` as a UTC instant (A/B marks the repeated hour); None if bad."""
    match = _TS.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    year, month, day, hour, mark, minute = match.groups()
    if not _FIRST_YEAR <= int(year) <= _LAST_YEAR:
        return None
    try:
        wall = datetime(int(year), int(month), int(day), int(hour), int(minute))
    except ValueError:
        return None
    first = wall.replace(tzinfo=time_zone)
    second = wall.replace(tzinfo=time_zone, fold=1)
    ambiguous = first.utcoffset() != second.utcoffset()
    if mark and not ambiguous:
        return None
    local = second if mark == "B" else first
    instant = local.astimezone(UTC)
    if instant.astimezone(time_zone).replace(tzinfo=None) != wall:
        return None  # a wall time the spring change skips
    return instant


def _megawatts(value: Any) -> float | None:
    """Return a finite JSON number, or None (booleans and strings are not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and abs(number) <= MAX_MW else None


def sample_mix(row: Mapping[str, Any]) -> tuple[float, float] | None:
    """Renewable and total generation (MW) of one row; None if unusable.

    A negative generation value (a plant's own consumption) counts as zero.
    """
    renewable = total = 0.0
    for key, value in row.items():
        counted = key in RENEWABLE or key in NON_RENEWABLE
        aggregate = key in AGGREGATES and not AGGREGATES[key] & row.keys()
        if not (counted or aggregate):
            continue
        megawatts = _megawatts(value)
        if megawatts is None:
            return None
        megawatts = max(megawatts, 0.0)
        total += megawatts
        if key in RENEWABLE or aggregate:
            renewable += megawatts
    return renewable, total


@dataclass(frozen=True, slots=True, kw_only=True)
class MixDay:
    """The measured hours of one answer (basis MEASURED), oldest first."""

    day: date
    """The local day asked for (the answer also covers its edges)."""
    rows: tuple[GridMix, ...]
    skipped: int = 0
    """Rows dropped: bad time, bad value, or a duplicate instant."""
    unknown_fields: frozenset[str] = frozenset()
    """Fields of the answer in no list (a renamed technology shows here)."""


def _step(instants: Iterable[datetime]) -> timedelta:
    """Return the smallest gap between samples if it divides an hour.

    REE's cadence (5 minutes) when there are not two samples to tell.
    """
    smallest = min((b - a for a, b in pairwise(instants)), default=FEED_STEP)
    for minutes in _STEPS_MINUTES:
        if smallest == timedelta(minutes=minutes):
            return smallest
    return FEED_STEP


def hourly(samples: Mapping[datetime, tuple[float, float]]) -> tuple[GridMix, ...]:
    """Average the samples of every sufficiently covered UTC hour."""
    step = _step(sorted(samples))
    needed = math.ceil(MIN_COVERAGE * (HOUR / step))
    by_hour: dict[datetime, list[tuple[float, float]]] = defaultdict(list)
    for instant, sample in samples.items():
        if instant.minute * 60 % int(step.total_seconds()) == 0:
            by_hour[instant.replace(minute=0)].append(sample)
    rows = []
    for hour in sorted(by_hour):
        hour_samples = by_hour[hour]
        if len(hour_samples) < needed:
            continue
        renewable = math.fsum(s[0] for s in hour_samples) / len(hour_samples)
        total = math.fsum(s[1] for s in hour_samples) / len(hour_samples)
        rows.append(
            GridMix(
                start=hour,
                duration=HOUR,
                renewable_mw=min(renewable, total),
                total_mw=total,
                basis=SignalBasis.MEASURED,
            )
        )
    return tuple(rows)


def parse_mix(text: str, day: date, time_zone: ZoneInfo) -> MixDay:
    """Read an answer into hourly measured mix rows."""
    samples: dict[datetime, tuple[float, float]] = {}
    skipped = 0
    unknown: set[str] = set()
    for row in unwrap(text):
        if not isinstance(row, dict):
            skipped += 1
            continue
        unknown.update(key for key in row if isinstance(key, str) and key not in KNOWN)
        instant = parse_ts(row.get("ts"), time_zone)
        mix = sample_mix(row)
        if instant is None or mix is None or instant.second or instant in samples:
            skipped += 1
            continue
        samples[instant] = mix
    return MixDay(
        day=day,
        rows=hourly(samples),
        skipped=skipped,
        unknown_fields=frozenset(sorted(unknown)[:50]),
    )
