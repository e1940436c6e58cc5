"""Datadis: a 24-month backfill beside Home Assistant's bare import of its rows.

Run with `scripts/benchmark -k datadis` (each scenario is repeated; medians).

`test_backfill_beside_bare_import`, on an on-disk SQLite recorder, one
supply, measured in the same run and the same Home Assistant:

- setup: `async_setup` of the entry (Home Assistant's platforms, stored
  state), reported apart;
- backfill: from then until 24 months are imported and committed (the
  client against a simulator in another process, the sync, the statistics
  writer);
- import: the same `async_import_energy` / `async_import_peaks` calls again,
  into new statistic ids, without the network;
- bare: the same rows handed to `async_add_external_statistics` at once, one
  call per statistic, the way a minimal integration imports them;

each with its wall time until committed, the longest event-loop stall a
5 ms ticker saw, and the longest single loop callback in CPU time of the
loop's thread (the ticker also counts the whole process being preempted,
which a loaded machine does for 100 ms and more; the CPU time is the code's
own). The two last run in alternating order. Ratios are against
the bare import of the same run.

`test_backfill_and_steady_state` counts requests (backfill, then 7 simulated
days) and peak memory, for 1 and 10 supplies (`BENCH_SUPPLIES=1,10`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
import os
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.gridmeter.hubs.datadis import coordinator as datadis_sync
from custom_components.gridmeter.providers.models import MeterPoint
from custom_components.gridmeter.statistics import statistic_id

from .bare import bare_import, capture_rows, renamed
from .entries import datadis_entry
from .measure import Sample, measured, median, ratio, save
from .remote_sim import requests, serve, set_clock

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SUPPLIES", "1,10").split(","))
STEADY_DAYS = 7
SAMPLES: dict[int, list[Sample]] = {}
SIDE_BY_SIDE: dict[str, list[Sample]] = {}

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures(
        "recorder_mock", "enable_custom_integrations", "socket_enabled"
    ),
]


type Call = tuple[Callable[..., Awaitable[Any]], MeterPoint, tuple[Any, ...]]


def _record_imports(monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    """Let the sync's statistics calls through, and remember them."""
    calls: list[Call] = []
    for name in ("async_import_energy", "async_import_peaks"):
        original = getattr(datadis_sync, name)

        async def recording(
            hass: HomeAssistant,
            point: MeterPoint,
            *args: Any,
            _original: Callable[..., Awaitable[Any]] = original,
        ) -> Any:
            calls.append((_original, point, args))
            return await _original(hass, point, *args)

        monkeypatch.setattr(datadis_sync, name, recording)
    return calls


async def _replay(hass: HomeAssistant, calls: list[Call], suffix: str) -> Sample:
    """The same statistics calls into other statistic ids; until committed."""
    async with measured({}, trace_memory=False) as out:
        for function, point, args in calls:
            await function(
                hass, replace(point, meter_id=point.meter_id + suffix), *args
            )
        await async_wait_recording_done(hass)
    return out[0]


@pytest.mark.parametrize("repeat", range(REPEATS))
async def test_backfill_beside_bare_import(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch, repeat: int
) -> None:
    """One measured run of the three, side by side."""
    process, url = serve(1)
    await hass.async_add_executor_job(set_clock, url, NOW)
    calls = _record_imports(monkeypatch)
    entry = datadis_entry(url)
    entry.add_to_hass(hass)
    async with measured({}, trace_memory=False) as setup:
        assert await hass.config_entries.async_setup(entry.entry_id)
    async with measured({}, trace_memory=False) as out:
        await hass.async_block_till_done(wait_background_tasks=True)
        await async_wait_recording_done(hass)
    assert entry.runtime_data.coordinator.last_run.failed_months == {}
    await hass.config_entries.async_unload(entry.entry_id)
    process.terminate()
    point = calls[0][1]
    prefix = statistic_id(point.provider, point.meter_id, "")
    captured = await capture_rows(hass, prefix)
    bare_rows = renamed(
        captured, prefix, statistic_id(point.provider, point.meter_id + "b", "")
    )
    phases: list[tuple[str, Callable[[], Awaitable[Sample]]]] = [
        ("import", lambda: _replay(hass, calls, "r")),
        ("bare", lambda: bare_import(hass, bare_rows)),
    ]
    if repeat % 2:
        phases.reverse()
    SIDE_BY_SIDE.setdefault("setup", []).append(setup[0])
    SIDE_BY_SIDE.setdefault("backfill", []).append(out[0])
    for name, run in phases:
        SIDE_BY_SIDE.setdefault(name, []).append(await run())
    SIDE_BY_SIDE.setdefault("rows", []).append(
        Sample(0, 0, 0, {"rows": float(sum(len(item.rows) for item in captured))})
    )


def test_side_by_side_report() -> None:
    """Medians and ratios against the bare import of the same runs, saved."""
    if not SIDE_BY_SIDE:
        pytest.skip("no side-by-side run")
    table: dict[str, Any] = {
        "runs": len(SIDE_BY_SIDE["bare"]),
        "rows": median([s.extra["rows"] for s in SIDE_BY_SIDE["rows"]]),
    }
    for phase in ("setup", "backfill", "import", "bare"):
        samples = SIDE_BY_SIDE[phase]
        table[f"{phase}_s"] = round(median([s.seconds for s in samples]), 2)
        table[f"{phase}_longest_stall_ms"] = round(
            median([s.loop_stall_ms for s in samples]), 1
        )
        table[f"{phase}_longest_callback_cpu_ms"] = round(
            median([s.longest_callback_cpu_ms for s in samples]), 1
        )
    bare = SIDE_BY_SIDE["bare"]
    table["ratios_to_bare"] = {
        f"{phase}_{what}": {
            "of_medians": ratio(table[f"{phase}_{key}"], table[f"bare_{key}"]),
            "median_per_run": round(
                median(
                    [
                        ratio(getattr(s, attr), getattr(b, attr))
                        for s, b in zip(SIDE_BY_SIDE[phase], bare, strict=True)
                    ]
                ),
                2,
            ),
        }
        for phase in ("backfill", "import")
        for what, key, attr in (
            ("time", "s", "seconds"),
            ("longest_stall", "longest_stall_ms", "loop_stall_ms"),
            (
                "longest_callback_cpu",
                "longest_callback_cpu_ms",
                "longest_callback_cpu_ms",
            ),
        )
    }
    table["per_run"] = {
        phase: [
            {
                "s": round(s.seconds, 2),
                "stall_ms": round(s.loop_stall_ms, 1),
                "callback_cpu_ms": round(s.longest_callback_cpu_ms, 1),
                "slowest_callbacks": s.slowest_callbacks,
            }
            for s in SIDE_BY_SIDE[phase]
        ]
        for phase in ("setup", "backfill", "import", "bare")
    }
    path = save(
        "datadis_side_by_side",
        {"now": NOW.isoformat(), "repeats": REPEATS, "results": table},
    )
    print(f"\n{path}:")
    for key, row in table.items():
        print(key, row)


@pytest.mark.parametrize("repeat", range(REPEATS))
@pytest.mark.parametrize("supplies", SIZES)
async def test_backfill_and_steady_state(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, supplies: int, repeat: int
) -> None:
    """One measured run."""
    process, url = serve(supplies)
    await hass.async_add_executor_job(set_clock, url, NOW)
    entry = datadis_entry(url)
    entry.add_to_hass(hass)
    extra: dict[str, float] = {}
    async with measured(extra) as out:
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        await async_wait_recording_done(hass)
    sync = entry.runtime_data.coordinator
    extra["rows_written"] = sync.last_run.rows_written
    log = await hass.async_add_executor_job(requests, url)
    extra["backfill_requests_per_supply"] = _private(log) / supplies
    extra["backfill_public_requests_per_supply"] = (len(log) - _private(log)) / supplies
    assert sync.last_run.failed_months == {}

    for _ in range(STEADY_DAYS):
        target = (dt_util.utcnow() + timedelta(days=1)).replace(hour=10, minute=0)
        await hass.async_add_executor_job(set_clock, url, target)
        freezer.move_to(target)
        for _ in range(3):
            async_fire_time_changed(hass, target)
            await hass.async_block_till_done(wait_background_tasks=True)
    steady = (await hass.async_add_executor_job(requests, url))[len(log) :]
    extra["daily_requests_per_supply"] = _private(steady) / STEADY_DAYS / supplies
    extra["daily_public_requests_per_supply"] = (
        (len(steady) - _private(steady)) / STEADY_DAYS / supplies
    )
    SAMPLES.setdefault(supplies, []).extend(out)
    await hass.config_entries.async_unload(entry.entry_id)
    process.terminate()


def _private(log: list[dict[str, object]]) -> int:
    """Requests to the account's private API (the rate-ruled one)."""
    return sum(1 for r in log if r.get("endpoint") != "api-search")


def test_report() -> None:
    """Medians and ratios, saved and printed."""
    if not SAMPLES:
        pytest.skip("no steady-state run")
    table: dict[str, dict[str, float]] = {}
    for supplies, samples in sorted(SAMPLES.items()):
        table[str(supplies)] = {
            "runs": len(samples),
            "seconds": round(median([s.seconds for s in samples]), 2),
            "peak_python_mib": round(median([s.peak_mib for s in samples]), 1),
            "longest_loop_stall_ms": round(
                median([s.loop_stall_ms for s in samples]), 1
            ),
            "rows_written": median([s.extra["rows_written"] for s in samples]),
            "backfill_requests_per_supply": median(
                [s.extra["backfill_requests_per_supply"] for s in samples]
            ),
            "daily_requests_per_supply": round(
                median([s.extra["daily_requests_per_supply"] for s in samples]), 2
            ),
            "backfill_public_requests_per_supply": median(
                [s.extra["backfill_public_requests_per_supply"] for s in samples]
            ),
            "daily_public_requests_per_supply": round(
                median([s.extra["daily_public_requests_per_supply"] for s in samples]),
                2,
            ),
        }
        table[str(supplies)]["rows_per_second"] = round(
            table[str(supplies)]["rows_written"] / table[str(supplies)]["seconds"]
        )
    if "1" in table and "10" in table:
        table["ratio_10_to_1"] = {
            key: round(table["10"][key] / table["1"][key], 2)
            for key in ("seconds", "peak_python_mib", "rows_written")
            if table["1"][key]
        }
    path = save(
        "datadis", {"now": NOW.isoformat(), "repeats": REPEATS, "results": table}
    )
    print(f"\n{path}:")
    for key, row in table.items():
        print(key, row)
