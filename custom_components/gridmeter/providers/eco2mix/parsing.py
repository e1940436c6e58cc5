"""éCO2mix records (ODRÉ export) into measured 15-minute grid-mix rows.

An export answer is a JSON array of flat records, in no particular order:
``{"date_heure": "2026-11-10T08:15:00+00:00", "nucleaire": 45210,
"eolien": 8123, ..., "taux_co2": 31}``. ``date_heure`` is UTC (``date`` and
``heure`` are Paris local time and are not read). Figures are MW, sent as
numbers, numeric strings, ``"ND"`` or absent; ``taux_co2`` is gCO2/kWh and
only filled every half hour.

Renewable, as RTE's éCO2mix groups its sources: wind, solar, hydro and
bioenergies, with pumped-storage turbining (``hydraulique_step_turbinage``)
taken out of hydro (it returns energy pumped earlier). Total: the eight
production sources; pumping, battery storage and exchanges are not
generation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from ..errors import InvalidResponse
from ..rte.models import GridMixBatch
from ..rte.values import MAX_CARBON_G_PER_KWH, parse_instant, power
from ..signals import GridMix, SignalBasis

STEP: Final = timedelta(minutes=15)
TIME_FIELD: Final = "date_heure"
RENEWABLE_FIELDS: Final = ("eolien", "solaire", "hydraulique", "bioenergies")
OTHER_FIELDS: Final = ("nucleaire", "gaz", "charbon", "fioul")
PRODUCTION_FIELDS: Final = RENEWABLE_FIELDS + OTHER_FIELDS
PUMPED_TURBINING_FIELD: Final = "hydraulique_step_turbinage"
CARBON_FIELD: Final = "taux_co2"
FIELDS: Final = (TIME_FIELD, *PRODUCTION_FIELDS, PUMPED_TURBINING_FIELD, CARBON_FIELD)
"""The fields the client selects (everything the parser reads)."""


def _slot(value: Any, start: datetime, end: datetime) -> datetime | None:
    instant = parse_instant(value)
    if instant is None or not start <= instant < end:
        return None
    if instant.minute % 15 or instant.second or instant.microsecond:
        return None
    return instant


def _is_pending(record: Mapping[str, Any]) -> bool:
    """Tell a row listed ahead of its measurement (no production figure)."""
    return all(record.get(name) is None for name in PRODUCTION_FIELDS)


def parse_record(record: Any, start: datetime, end: datetime) -> GridMix | None:
    """Return the measured mix of one record, None if it cannot be read."""
    if not isinstance(record, Mapping):
        return None
    slot = _slot(record.get(TIME_FIELD), start, end)
    figures = {name: power(record.get(name)) for name in PRODUCTION_FIELDS}
    if slot is None or any(value is None for value in figures.values()):
        return None
    known = {name: value for name, value in figures.items() if value is not None}
    total = sum(known.values())
    if total <= 0:
        return None
    hydro = known["hydraulique"]
    turbining = power(record.get(PUMPED_TURBINING_FIELD))
    if turbining is not None and turbining <= hydro:
        hydro -= turbining
    renewable = known["eolien"] + known["solaire"] + hydro + known["bioenergies"]
    return GridMix(
        start=slot,
        duration=STEP,
        renewable_mw=renewable,
        total_mw=total,
        basis=SignalBasis.MEASURED,
        carbon_g_per_kwh=power(record.get(CARBON_FIELD), MAX_CARBON_G_PER_KWH),
    )


def parse_export(
    body: Any, start: datetime, end: datetime, max_rows: int
) -> GridMixBatch:
    """Read an export answer for ``start``..``end`` (UTC, end excluded).

    At most ``max_rows`` records are read (the rest are counted as skipped);
    rows are sorted, and a second row for the same instant is skipped.
    """
    if not isinstance(body, list):
        raise InvalidResponse("éCO2mix answered something that is not a list")
    rows: dict[datetime, GridMix] = {}
    skipped = max(len(body) - max_rows, 0)
    pending = 0
    for record in body[:max_rows]:
        mix = parse_record(record, start, end)
        if mix is None:
            if isinstance(record, Mapping) and _is_pending(record):
                pending += 1
            else:
                skipped += 1
        elif mix.start in rows:
            skipped += 1
        else:
            rows[mix.start] = mix
    return GridMixBatch(
        rows=tuple(rows[key] for key in sorted(rows)), skipped=skipped, pending=pending
    )
