"""A 24-month, 10-minute Enedis load curve (~105,000 points) through GridMeter.

Run with `scripts/benchmark -k switchgrid`. Each stage is repeated; medians:
- parse: the JSON answer into a `LoadCurve` (off the event loop in production);
- readings: average W per step into kWh readings;
- aggregate: readings into complete UTC hours, split HP/HC;
- import: the hourly rows into Home Assistant's recorder (on-disk SQLite),
  until committed;
with the peak Python memory of parse + readings + aggregate.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
import json
import os
import statistics
import time as clock
import tracemalloc

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.gridmeter.providers.models import EnergyKind, MeterPoint
from custom_components.gridmeter.providers.switchgrid.curve import (
    load_curve_readings,
    parse_load_curve,
)
from custom_components.gridmeter.statistics import aggregate_hourly, async_import_energy
from custom_components.gridmeter.tariffs import FranceHPHC
from simulator.switchgrid import SwitchgridSimulator

from .measure import save

REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
LYON = "19876543210987"
NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
RESULTS: dict[str, list[float]] = {}


def curve_json() -> tuple[str, int]:
    """The simulator's 10-minute curve of the Lyon house, as Switchgrid sends it."""
    sim = SwitchgridSimulator(clock=lambda: NOW)
    truth = sim.truth_w(LYON, "CONSUMPTION")
    starts = sorted(truth)
    body = {
        "period": "PT600S",
        "startsAt": starts[0].isoformat().replace("+00:00", "Z"),
        "endsAt": (starts[-1] + timedelta(minutes=10))
        .isoformat()
        .replace("+00:00", "Z"),
        "values": [truth[start] for start in starts],
    }
    return json.dumps(body), len(starts)


CALENDAR = FranceHPHC(((time(22, 30), time(6, 30)),))
POINT = MeterPoint(provider="switchgrid", meter_id=LYON, timezone="Europe/Paris")


@pytest.mark.parametrize("repeat", range(REPEATS))
@pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations")
async def test_load_curve(hass: HomeAssistant, repeat: int) -> None:
    """One measured run of every stage."""
    text, points = curve_json()
    tracemalloc.start()
    started = clock.perf_counter()
    curve = parse_load_curve(json.loads(text))
    parsed = clock.perf_counter()
    batch = load_curve_readings(curve, EnergyKind.CONSUMPTION, meter_id=LYON)
    converted = clock.perf_counter()
    hourly = aggregate_hourly(batch.readings, CALENDAR)
    aggregated = clock.perf_counter()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    report = await async_import_energy(hass, POINT, batch.readings, CALENDAR)
    await async_wait_recording_done(hass)
    imported = clock.perf_counter()
    for key, value in (
        ("points", points),
        ("parse_s", parsed - started),
        ("readings_s", converted - parsed),
        ("aggregate_s", aggregated - converted),
        ("import_s", imported - aggregated),
        ("rows", report.total),
        ("hours", len(hourly.series["consumption"])),
        ("peak_mib", peak / 2**20),
    ):
        RESULTS.setdefault(key, []).append(float(value))


def test_report() -> None:
    """Medians, saved and printed."""
    medians = {
        key: round(statistics.median(values), 3) for key, values in RESULTS.items()
    }
    if medians:
        medians["import_rows_per_s"] = round(medians["rows"] / medians["import_s"])
        medians["points_per_s_parse_to_hours"] = round(
            medians["points"]
            / (medians["parse_s"] + medians["readings_s"] + medians["aggregate_s"])
        )
    path = save("switchgrid", {"repeats": REPEATS, "results": medians})
    print(f"\n{path}: {medians}")
