"""Datadis backfill and steady state, for 1 and for 10 supplies.

Run with `scripts/benchmark` (each scenario is repeated; medians reported).
What is measured, on an on-disk SQLite recorder:
- wall time from set-up until 24 months are imported and committed;
- peak Python memory (tracemalloc, all threads) and the process's max RSS;
- rows written to the recorder;
- requests sent to Datadis per supply for the backfill, and per day in steady
  state (7 simulated days);
- the longest event-loop stall seen by a 5 ms ticker during the backfill.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import os

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.gridmeter.const import CONF_BASE_URL, DOMAIN

from .measure import Sample, measured, median, save
from .remote_sim import requests, serve, set_clock

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
SIZES = (1, 10)
STEADY_DAYS = 7
SAMPLES: dict[int, list[Sample]] = {}

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures(
        "recorder_mock", "enable_custom_integrations", "socket_enabled"
    ),
]


@pytest.mark.parametrize("repeat", range(REPEATS))
@pytest.mark.parametrize("supplies", SIZES)
async def test_backfill_and_steady_state(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, supplies: int, repeat: int
) -> None:
    """One measured run."""
    process, url = serve(supplies)
    await hass.async_add_executor_job(set_clock, url, NOW)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="12345678Z",
        data={
            "provider": "datadis",
            "username": "12345678Z",
            "password": "gridmeter-demo",
            CONF_BASE_URL: url,
        },
    )
    entry.add_to_hass(hass)
    extra: dict[str, float] = {}
    async with measured(extra) as out:
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        await async_wait_recording_done(hass)
    sync = entry.runtime_data.sync
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
