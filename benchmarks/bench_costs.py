"""What the money statistics cost: a 24-month Datadis import with and without prices.

Run with `scripts/benchmark -k costs` (`BENCH_COST_REPEATS` runs of each
scenario, 5 by default; medians).

`test_import_with_and_without_prices`, on an on-disk SQLite recorder, one
supply (the simulator in another process, as in `bench_datadis.py`), from the
entry's set-up until 24 months are imported and committed:

- bare: the entry has no prices (energy statistics only);
- priced: the entry has a 2.0TD price set from before the history, so every
  hour written is priced and its money statistics (``cost``,
  ``cost_p1..p3``) written with it.

Each run has its own Home Assistant and database; the scenarios alternate
(bare, priced, priced, bare, ...) so that a machine getting busier does not
favour one. Reported: wall time, the longest event-loop stall a 5 ms ticker
saw, the longest single loop callback in CPU time, rows written, and the
ratio priced / bare (of the medians, and the median of the per-pair ratios).
The issue's bound is 1.3.

`test_pvpc_backfill_requests` counts the requests the PVPC source sends to
the ESIOS simulator to price 24 months of a PVPC supply (and after a restart).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
import os
import time
from types import MappingProxyType
from typing import Any

from homeassistant.components.recorder import statistics as recorder_statistics
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.gridmeter import statistics as gm_statistics
from custom_components.gridmeter.const import CONF_SOURCE_URLS
from custom_components.gridmeter.price_sources import PvpcSource
from custom_components.gridmeter.statistics import statistic_id
from simulator.common import serving
from simulator.datadis.households import make_cups
from simulator.esios import EsiosSimulator

from .bare import capture_rows
from .entries import datadis_entry
from .measure import Sample, measured, median, ratio, save
from .remote_sim import serve, set_clock

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
REPEATS = max(5, int(os.environ.get("BENCH_COST_REPEATS", "5")))
BOUND = 1.3
RUNS: dict[str, list[Sample]] = {}
PVPC: dict[str, Any] = {}

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures(
        "recorder_mock", "enable_custom_integrations", "socket_enabled"
    ),
]

METER = make_cups(f"{7100000000000000:016d}")[:20]
"""The one supply of `remote_sim.build(1)`, as GridMeter names it."""
PRICES_20TD = {
    "plan": "es_20td",
    "valid_from": "2020-01-01",
    "tax_percent": 21.0,
    "energy_p1": 0.1859,
    "energy_p2": 0.1212,
    "energy_p3": 0.0824,
}


def _entry(
    url: str, prices: dict[str, Any] | None, urls: dict[str, str] | None = None
) -> MockConfigEntry:
    subentries = (
        [
            ConfigSubentryData(
                data=MappingProxyType({"meter_id": METER, **prices}),
                subentry_type="prices",
                title="bench",
                unique_id=f"{METER}|{prices['valid_from']}",
            )
        ]
        if prices
        else []
    )
    return datadis_entry(
        url,
        data={CONF_SOURCE_URLS: urls} if urls else None,
        subentries=subentries,
    )


def _priced(run: int) -> bool:
    """Bare, priced, priced, bare, bare, priced, ... (pairs in turn)."""
    return run % 4 in (1, 2)


async def _rows(hass: HomeAssistant) -> dict[str, int]:
    prefix = statistic_id("datadis", METER, "")
    return {
        item.metadata["statistic_id"].removeprefix(prefix): len(item.rows)
        for item in await capture_rows(hass, prefix)
    }


def _count_sent(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the rows handed to the recorder, by statistic kind."""
    sent: dict[str, int] = {}
    original = gm_statistics.async_add_external_statistics

    def counting(hass: HomeAssistant, metadata: Any, rows: Any) -> None:
        kind = str(metadata["statistic_id"]).rsplit(METER.lower() + "_", 1)[-1]
        sent[kind] = sent.get(kind, 0) + len(rows)
        original(hass, metadata, rows)

    monkeypatch.setattr(gm_statistics, "async_add_external_statistics", counting)
    return sent


def _time_recorder_imports(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Add up the recorder thread's time in `import_statistics` (its own work)."""
    spent = [0.0]
    original = recorder_statistics.import_statistics

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start

    monkeypatch.setattr(recorder_statistics, "import_statistics", timed)
    return spent


@pytest.mark.parametrize("run", range(2 * REPEATS))
async def test_import_with_and_without_prices(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch, run: int
) -> None:
    """One measured import, bare or priced."""
    priced = _priced(run)
    sent = _count_sent(monkeypatch)
    recorder_s = _time_recorder_imports(monkeypatch)
    process, url = serve(1)
    try:
        await hass.async_add_executor_job(set_clock, url, NOW)
        entry = _entry(url, PRICES_20TD if priced else None)
        entry.add_to_hass(hass)
        cpu = time.process_time(), time.thread_time()
        async with measured({}, trace_memory=False) as out:
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done(wait_background_tasks=True)
            await async_wait_recording_done(hass)
        process_cpu = time.process_time() - cpu[0]
        loop_cpu = time.thread_time() - cpu[1]
        recorder = recorder_s[0]
        rows = await _rows(hass)
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        process.terminate()
    assert rows["consumption"] > 16_500, rows  # 24 months of hours (Datadis)
    assert ("cost" in rows) is priced, rows
    if priced:
        assert rows["cost"] == rows["consumption"], rows
    sample = out[0]
    sample.extra = {
        "energy_rows": float(
            sum(n for key, n in rows.items() if not key.startswith("cost"))
        ),
        "money_rows": float(
            sum(n for key, n in rows.items() if key.startswith("cost"))
        ),
        "energy_rows_sent": float(
            sum(n for key, n in sent.items() if not key.startswith("cost"))
        ),
        "money_rows_sent": float(
            sum(n for key, n in sent.items() if key.startswith("cost"))
        ),
    }
    sample.extra |= {
        "recorder_import_s": recorder,
        "loop_cpu_s": loop_cpu,
        "process_cpu_s": process_cpu,
        "outside_recorder_s": sample.seconds - recorder,
    }
    print(
        f"\nrun {run} priced={priced}: {sample.seconds:.1f} s "
        f"(recorder imports {recorder:.1f} s, loop CPU {loop_cpu:.1f} s, "
        f"process CPU {process_cpu:.1f} s), sent {sent}"
    )
    RUNS.setdefault("priced" if priced else "bare", []).append(sample)


def _summary(samples: list[Sample]) -> dict[str, float]:
    return {
        "runs": len(samples),
        "seconds": round(median([s.seconds for s in samples]), 2),
        "longest_stall_ms": round(median([s.loop_stall_ms for s in samples]), 1),
        "longest_callback_cpu_ms": round(
            median([s.longest_callback_cpu_ms for s in samples]), 1
        ),
        "energy_rows": median([s.extra["energy_rows"] for s in samples]),
        "money_rows": median([s.extra["money_rows"] for s in samples]),
        "energy_rows_sent": median([s.extra["energy_rows_sent"] for s in samples]),
        "money_rows_sent": median([s.extra["money_rows_sent"] for s in samples]),
        **{
            key: round(median([s.extra[key] for s in samples]), 2)
            for key in (
                "recorder_import_s",
                "outside_recorder_s",
                "loop_cpu_s",
                "process_cpu_s",
            )
        },
    }


def test_prices_report() -> None:
    """Medians, the ratio priced / bare, saved; the issue's 1.3 bound checked."""
    if "bare" not in RUNS or "priced" not in RUNS:
        pytest.skip("no side-by-side run")
    bare, priced = RUNS["bare"], RUNS["priced"]
    table: dict[str, Any] = {"bare": _summary(bare), "priced": _summary(priced)}
    table["ratio_priced_to_bare"] = {
        "time_of_medians": ratio(table["priced"]["seconds"], table["bare"]["seconds"]),
        "time_median_per_pair": round(
            median(
                [
                    ratio(p.seconds, b.seconds)
                    for p, b in zip(priced, bare, strict=False)
                ]
            ),
            2,
        ),
        "outside_recorder_time_of_medians": ratio(
            table["priced"]["outside_recorder_s"], table["bare"]["outside_recorder_s"]
        ),
        "loop_cpu_of_medians": ratio(
            table["priced"]["loop_cpu_s"], table["bare"]["loop_cpu_s"]
        ),
        "recorder_import_of_medians": ratio(
            table["priced"]["recorder_import_s"], table["bare"]["recorder_import_s"]
        ),
        "rows_sent": ratio(
            table["priced"]["energy_rows_sent"] + table["priced"]["money_rows_sent"],
            table["bare"]["energy_rows_sent"],
        ),
        "longest_callback_cpu": ratio(
            table["priced"]["longest_callback_cpu_ms"],
            table["bare"]["longest_callback_cpu_ms"],
        ),
    }
    table["bound"] = BOUND
    table["within_bound"] = table["ratio_priced_to_bare"]["time_of_medians"] <= BOUND
    table["per_run"] = {
        name: [
            {
                "s": round(s.seconds, 2),
                "stall_ms": round(s.loop_stall_ms, 1),
                "callback_cpu_ms": round(s.longest_callback_cpu_ms, 1),
                "slowest_callbacks": s.slowest_callbacks,
            }
            for s in samples
        ]
        for name, samples in (("bare", bare), ("priced", priced))
    }
    if PVPC:
        table["pvpc_backfill"] = PVPC
    path = save(
        "costs_side_by_side",
        {"now": NOW.isoformat(), "repeats": REPEATS, "results": table},
    )
    print(f"\n{path}:")
    for key, row in table.items():
        if key != "per_run":
            print(key, row)
    table_ratio = table["ratio_priced_to_bare"]["time_of_medians"]
    if table_ratio > BOUND:
        # Recorded, not hidden: see `recorder_import_s` for where it goes.
        print(f"priced / bare = {table_ratio} > {BOUND}: the issue's bound is not met")


@pytest.fixture
async def esios() -> AsyncIterator[tuple[EsiosSimulator, str]]:
    sim = EsiosSimulator()
    async with serving(sim.app, access_log=False) as url:
        yield sim, url


async def test_pvpc_backfill_requests(
    hass: HomeAssistant, esios: tuple[EsiosSimulator, str]
) -> None:
    """24 months of a PVPC supply: how many ESIOS requests (and after a restart)."""
    sim, esios_url = esios
    process, url = serve(1)
    try:
        await hass.async_add_executor_job(set_clock, url, NOW)
        entry = _entry(
            url,
            {"plan": "es_pvpc", "valid_from": "2020-01-01", "tax_percent": 21.0},
            {"esios": esios_url},
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        await async_wait_recording_done(hass)
        rows = await _rows(hass)
        sources = hass.data["gridmeter_shared_sources"].sources  # type: ignore[index]
        source = next(s for k, s in sources.items() if k.startswith("pvpc:"))
        assert isinstance(source, PvpcSource)
        days = len(source.state.days)
        first = len(sim.requests)
        await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        after_restart = len(sim.requests) - first
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        process.terminate()
    assert rows["cost"] > 16_500, rows
    PVPC.update(
        {
            "hours_priced": rows["cost"],
            "days_of_prices": days,
            "esios_requests": first,
            "esios_requests_by_endpoint": _by_endpoint(sim),
            "requests_after_restart": after_restart,
        }
    )
    print("\nPVPC backfill:", PVPC)
    save("costs_pvpc", {"now": NOW.isoformat(), "results": PVPC})


def _by_endpoint(sim: EsiosSimulator) -> dict[str, int]:
    counts: dict[str, int] = {}
    for request in sim.requests:
        counts[request.endpoint] = counts.get(request.endpoint, 0) + 1
    return counts
