"""A 24-month, 10-minute Enedis load curve (110,886 points) through GridMeter.

Run with `scripts/benchmark -k switchgrid`. Each stage is repeated; medians,
all measured in the same run:

- fast path (what a Switchgrid sync does): parse (the JSON answer into a
  `LoadCurve`, decoding included), energy (average W per step into kWh,
  `load_curve_energy`), aggregate (`aggregate_regular`: complete UTC hours,
  split HP/HC);
- general path: readings objects (`load_curve_readings`) and
  `aggregate_hourly`, the path of irregular data;
- before: the same readings summed by the aggregation of eaa0018
  (`tests/aggregate_reference.py`), the baseline of the fast path;
- import: the hourly rows into Home Assistant's recorder (on-disk SQLite)
  until committed, beside `async_add_external_statistics` of the same rows
  (bare), in alternating order;
- peak Python memory of the fast path (traced apart: tracemalloc slows
  Python code, so no timing is taken while it runs).

Stages are timed in wall time (`*_s`) and in CPU time of the thread
(`*_cpu_s`): on a loaded machine the wall time grows with the load, the CPU
time of these single-threaded stages is what they take on an idle one.

Every run also checks that the three paths give identical hours.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
import json
import os
import time as clock
import tracemalloc

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.gridmeter.providers.models import EnergyKind, MeterPoint
from custom_components.gridmeter.providers.switchgrid.curve import (
    load_curve_energy,
    load_curve_readings,
    parse_load_curve,
)
from custom_components.gridmeter.statistics import (
    HourlyEnergy,
    RegularReadings,
    aggregate_hourly,
    aggregate_regular,
    async_import_energy,
    statistic_id,
)
from custom_components.gridmeter.tariffs import FranceHPHC
from simulator.switchgrid import SwitchgridSimulator
from tests.aggregate_reference import reference_aggregate_hourly

from .bare import Rows, bare_import, capture_rows, renamed
from .measure import Sample, measured, median, ratio, save

REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
LYON = "19876543210987"
NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
CALENDAR = FranceHPHC(((time(22, 30), time(6, 30)),))
POINT = MeterPoint(provider="switchgrid", meter_id=LYON, timezone="Europe/Paris")
RESULTS: dict[str, list[float]] = {}
IMPORTS: dict[str, list[Sample]] = {}
BARE_ROWS: list[Rows] = []


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


TEXT, POINTS = curve_json()


class Stopwatch:
    """Wall and CPU time (of this thread) of consecutive stages.

    On a machine shared with other work the wall time grows with the load;
    the CPU time of a single-threaded stage is what it takes on an idle one.
    """

    def __init__(self, times: dict[str, float]) -> None:
        """Start timing; stage figures land in `times`."""
        self._times = times
        self._wall, self._cpu = clock.perf_counter(), clock.thread_time()

    def lap(self, stage: str) -> None:
        """Record the stage that just ended (`<stage>_s`, `<stage>_cpu_s`)."""
        wall, cpu = clock.perf_counter(), clock.thread_time()
        self._times[f"{stage}_s"] = wall - self._wall
        self._times[f"{stage}_cpu_s"] = cpu - self._cpu
        self._wall, self._cpu = wall, cpu


def fast_path(text: str) -> tuple[HourlyEnergy, dict[str, float]]:
    """Parse, energy and aggregation of the fast path, timed."""
    times: dict[str, float] = {}
    watch = Stopwatch(times)
    curve = parse_load_curve(json.loads(text))
    watch.lap("parse")
    energy = load_curve_energy(curve)
    watch.lap("energy")
    hourly = aggregate_regular(
        RegularReadings(EnergyKind.CONSUMPTION, energy.start, energy.step, energy.kwh),
        CALENDAR,
    )
    watch.lap("aggregate")
    for suffix in ("_s", "_cpu_s"):
        times[f"fast_path{suffix}"] = sum(
            times[f"{stage}{suffix}"] for stage in ("parse", "energy", "aggregate")
        )
    return hourly, times


def test_parse_to_hours() -> None:
    """Every stage of the three paths, repeated; the hours must be identical."""
    for _ in range(REPEATS):
        hourly, times = fast_path(TEXT)
        curve = parse_load_curve(json.loads(TEXT))
        watch = Stopwatch(times)
        batch = load_curve_readings(curve, EnergyKind.CONSUMPTION, meter_id=LYON)
        watch.lap("general_readings")
        general = aggregate_hourly(batch.readings, CALENDAR)
        watch.lap("general_aggregate")
        before = reference_aggregate_hourly(batch.readings, CALENDAR)
        watch.lap("before_aggregate")
        assert hourly == general == before
        for suffix in ("_s", "_cpu_s"):
            times[f"before{suffix}"] = sum(
                times[f"{stage}{suffix}"]
                for stage in ("parse", "general_readings", "before_aggregate")
            )
        for key, value in times.items():
            RESULTS.setdefault(key, []).append(value)
    RESULTS["points"] = [float(POINTS)]
    RESULTS["hours"] = [float(len(hourly.series["consumption"]))]
    tracemalloc.start()
    fast_path(TEXT)
    RESULTS["fast_path_peak_mib"] = [tracemalloc.get_traced_memory()[1] / 2**20]
    tracemalloc.stop()


@pytest.mark.parametrize("repeat", range(REPEATS))
@pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations")
async def test_import_beside_bare(hass: HomeAssistant, repeat: int) -> None:
    """GridMeter's import of the hours and the bare import of its rows.

    Alternating which goes first (the bare import of a later run imports
    the rows the first run's GridMeter import wrote).
    """
    energy = load_curve_energy(parse_load_curve(json.loads(TEXT)))
    readings = RegularReadings(
        EnergyKind.CONSUMPTION, energy.start, energy.step, energy.kwh
    )
    prefix = statistic_id(POINT.provider, POINT.meter_id, "")

    async def gridmeter() -> Sample:
        async with measured({}, trace_memory=False) as out:
            await async_import_energy(hass, POINT, readings, CALENDAR)
            await async_wait_recording_done(hass)
        return out[0]

    async def bare() -> Sample:
        if not BARE_ROWS:
            captured = await capture_rows(hass, prefix)
            BARE_ROWS.extend(renamed(captured, prefix, prefix.replace(LYON, "bare")))
        return await bare_import(hass, BARE_ROWS)

    phases = [("import", gridmeter), ("bare", bare)]
    if repeat % 2:
        phases.reverse()
    for name, run in phases:
        IMPORTS.setdefault(name, []).append(await run())


def test_report() -> None:
    """Medians and ratios, saved and printed."""
    medians: dict[str, object] = {
        key: round(median(values), 3) for key, values in RESULTS.items()
    }
    if RESULTS:
        for suffix in ("_s", "_cpu_s"):
            medians[f"fast_path_to_before{suffix.removesuffix('_s')}"] = ratio(
                median(RESULTS[f"fast_path{suffix}"]),
                median(RESULTS[f"before{suffix}"]),
            )
        medians["points_per_cpu_s_parse_to_hours"] = round(
            POINTS / median(RESULTS["fast_path_cpu_s"])
        )
    if IMPORTS:
        for name in ("import", "bare"):
            samples = IMPORTS[name]
            medians[f"{name}_s"] = round(median([s.seconds for s in samples]), 2)
            medians[f"{name}_longest_callback_cpu_ms"] = round(
                median([s.longest_callback_cpu_ms for s in samples]), 1
            )
            medians[f"{name}_longest_stall_ms"] = round(
                median([s.loop_stall_ms for s in samples]), 1
            )
        medians["rows"] = sum(len(item.rows) for item in BARE_ROWS)
        medians["import_to_bare_time"] = ratio(
            float(medians["import_s"]),  # type: ignore[arg-type]
            float(medians["bare_s"]),  # type: ignore[arg-type]
        )
    path = save("switchgrid", {"repeats": REPEATS, "results": medians})
    print(f"\n{path}: {medians}")
