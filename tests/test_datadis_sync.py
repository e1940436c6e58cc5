"""Datadis end to end through Home Assistant: statistics, requests, restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.gridmeter.const import CONF_EXCLUDED_SUPPLIES, CONF_SUPPLIES
from custom_components.gridmeter.coordinator import GridMeterConfigEntry
from custom_components.gridmeter.hubs.datadis.coordinator import refresh_months

from .conftest import NOW, setup_entry
from .datadis_sim import FLAT, HEAT_PUMP, RunningSim
from .stats_helpers import assert_continuous, read_hours

FLAT_ID = "gridmeter:datadis_es0031408273645190ly"
HOUSE_ID = "gridmeter:datadis_es0021500743219876qf"
WINDOW_START = datetime(2024, 11, 30, 23, tzinfo=UTC)  # 2024-12-01 00:00 Madrid

pytestmark = pytest.mark.freeze_time(NOW, tick=True)


@pytest.fixture(autouse=True)
def _recorder_then_custom(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Recorder must exist before hass; then allow custom integrations."""


def served(datadis: RunningSim, cups: str) -> dict[datetime, float]:
    """Hourly consumption Datadis serves for the 24-month window."""
    return {
        hour: truth.consumption
        for hour, truth in datadis.truth(cups).items()
        if hour >= WINDOW_START and truth.consumption is not None
    }


# A 24-month import is what this test proves; on a loaded machine it needs
# more than the suite's default per-test limit (a hang guard, not a timing).
@pytest.mark.timeout(600)
async def test_first_import_equals_truth_hour_by_hour(
    hass: HomeAssistant, datadis: RunningSim, datadis_entry: MockConfigEntry
) -> None:
    """24 months imported in the background, equal to the source per hour."""
    await setup_entry(hass, datadis_entry)
    assert datadis_entry.state is ConfigEntryState.LOADED

    for cups, stat in ((FLAT, FLAT_ID), (HEAT_PUMP, HOUSE_ID)):
        rows = await read_hours(hass, f"{stat}_consumption")
        truth = served(datadis, cups)
        assert {hour: state for hour, (state, _) in rows.items()} == truth
        assert_continuous(rows)
        # The autumn day has 25 hours and the spring day 23.
        autumn = [
            h
            for h in rows
            if datetime(2025, 10, 25, 22, tzinfo=UTC)
            <= h
            < datetime(2025, 10, 26, 23, tzinfo=UTC)
        ]
        spring = [
            h
            for h in rows
            if datetime(2026, 3, 28, 23, tzinfo=UTC)
            <= h
            < datetime(2026, 3, 29, 22, tzinfo=UTC)
        ]
        assert (len(autumn), len(spring)) == (25, 23)

        periods = [
            await read_hours(hass, f"{stat}_consumption_{p}")
            for p in ("p1", "p2", "p3")
        ]
        assert sorted(h for p in periods for h in p) == sorted(rows)
        total = sum(state for p in periods for state, _ in p.values())
        assert round(total, 3) == round(sum(truth.values()), 3)

    # One request per endpoint per supply, plus one login and one supplies call.
    assert datadis.sim.count("login") == 1
    assert datadis.sim.count("get-supplies-v2") == 1
    assert datadis.sim.count("get-consumption-data-v2") == 2
    assert datadis.sim.count("get-max-power-v2") == 2


# A 24-month import is what this test proves; on a loaded machine it needs
# more than the suite's default per-test limit (a hang guard, not a timing).
@pytest.mark.timeout(600)
async def test_reimport_changes_nothing_and_restart_sends_nothing(
    hass: HomeAssistant, datadis: RunningSim, datadis_entry: MockConfigEntry
) -> None:
    """Reloading within the day re-sends no query and rewrites no hour."""
    await setup_entry(hass, datadis_entry)
    before = await read_hours(hass, f"{FLAT_ID}_consumption")
    sent = len(datadis.sim.requests)
    await hass.config_entries.async_reload(datadis_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    entry: GridMeterConfigEntry = datadis_entry  # type: ignore[assignment]
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(datadis.sim.requests) == sent, _dump(datadis)[sent:]
    assert await read_hours(hass, f"{FLAT_ID}_consumption") == before


def _dump(datadis: RunningSim) -> list[str]:
    return [
        f"{r.endpoint} {sorted(r.query.items())} {r.status}"
        for r in datadis.sim.requests
    ]


HISTORY_FROM = date(2026, 9, 1)


@pytest.fixture
def short_history(datadis: RunningSim) -> None:
    """Only two months and a bit of data exist, so imports are quick."""
    for cups in (FLAT, HEAT_PUMP):
        datadis.sim.missing_days(
            cups, {HISTORY_FROM - timedelta(days=n) for n in range(1, 800)}
        )


def with_options(entry: MockConfigEntry, options: dict[str, Any]) -> MockConfigEntry:
    """The same account's entry with these options."""
    return MockConfigEntry(
        domain=entry.domain,
        title=entry.title,
        unique_id=entry.unique_id,
        data=dict(entry.data),
        options=options,
    )


@pytest.fixture
def flat_only(datadis_entry: MockConfigEntry, short_history: None) -> MockConfigEntry:
    """The entry, following only the flat."""
    return with_options(datadis_entry, {CONF_SUPPLIES: [FLAT[:20]]})


async def next_day(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, days: int = 1
) -> None:
    """Jump to 10:00 UTC `days` later (after the daily slot) and run due timers."""
    target = (dt_util.utcnow() + timedelta(days=days)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    freezer.move_to(target)
    # A run may arm a retry that is already due: fire until nothing is left.
    for _ in range(3):
        async_fire_time_changed(hass, target)
        await hass.async_block_till_done(wait_background_tasks=True)


def flat_truth(datadis: RunningSim) -> dict[datetime, float]:
    return {
        hour: kwh
        for hour, kwh in served(datadis, FLAT).items()
        if hour >= datetime(2026, 8, 31, 22, tzinfo=UTC)
    }


async def assert_flat_equals_truth(hass: HomeAssistant, datadis: RunningSim) -> None:
    rows = await read_hours(hass, f"{FLAT_ID}_consumption")
    assert {hour: state for hour, (state, _) in rows.items()} == flat_truth(datadis)
    assert_continuous(rows)


async def test_estimated_hours_are_corrected_when_real_data_arrives(
    hass: HomeAssistant,
    datadis: RunningSim,
    flat_only: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Estimated hours are imported, then rewritten with the real values."""
    datadis.sim.estimated_recent_days = 3
    await setup_entry(hass, flat_only)
    estimated = await read_hours(hass, f"{FLAT_ID}_consumption")
    await assert_flat_equals_truth(hass, datadis)
    await next_day(hass, freezer, 2)
    await next_day(hass, freezer, 1)
    corrected = await read_hours(hass, f"{FLAT_ID}_consumption")
    assert corrected != estimated
    await assert_flat_equals_truth(hass, datadis)


async def test_revision_of_an_old_day_shifts_every_later_sum(
    hass: HomeAssistant,
    datadis: RunningSim,
    flat_only: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A distributor revises a day inside the refresh window."""
    await setup_entry(hass, flat_only)
    datadis.sim.revise(FLAT, date(2026, 11, 3), 1.5)
    await next_day(hass, freezer)
    await next_day(hass, freezer)
    await assert_flat_equals_truth(hass, datadis)


async def test_failing_month_is_isolated_then_filled_next_day(
    hass: HomeAssistant,
    datadis: RunningSim,
    flat_only: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """One month failing loses nothing else; it is asked again a day later
    (never the same day), inserted, and later sums follow.
    """
    datadis.sim.fail_months(FLAT, {"2026/10"})
    await setup_entry(hass, flat_only)
    rows = await read_hours(hass, f"{FLAT_ID}_consumption")
    october = [
        h
        for h in rows
        if datetime(2026, 9, 30, 22, tzinfo=UTC)
        <= h
        < datetime(2026, 10, 31, 23, tzinfo=UTC)
    ]
    assert not october
    assert any(h >= datetime(2026, 11, 1, tzinfo=UTC) for h in rows)
    assert_continuous(rows)

    # A restart the same day asks nothing that failed again.
    sent = len(datadis.sim.requests)
    await hass.config_entries.async_reload(flat_only.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(datadis.sim.requests) == sent, _dump(datadis)[sent:]

    datadis.sim.fail_months(FLAT, set())
    await next_day(hass, freezer)
    await assert_flat_equals_truth(hass, datadis)


async def test_rate_limited_query_waits_for_tomorrow(
    hass: HomeAssistant,
    datadis: RunningSim,
    flat_only: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 429 is not retried the same day; the next day's run recovers."""
    datadis.sim.fail_next("get-consumption-data-v2", status=429)
    await setup_entry(hass, flat_only)
    assert not await read_hours(hass, f"{FLAT_ID}_consumption")
    sent = datadis.sim.count("get-consumption-data-v2")
    # Two hours later the retry timer fires but the refused query is not sent.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=3))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert datadis.sim.count("get-consumption-data-v2") == sent
    await next_day(hass, freezer)
    await assert_flat_equals_truth(hass, datadis)


async def test_steady_state_requests_per_day(
    hass: HomeAssistant,
    datadis: RunningSim,
    flat_only: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After the first import: a login and one consumption query a day,
    max power every other day, supplies every third day, contract weekly;
    never the same query two days running.
    """
    await setup_entry(hass, flat_only)
    assert len(datadis.sim.requests) == 6, _dump(datadis)
    first_day = len(datadis.sim.requests)
    queries: list[str] = []
    for _ in range(6):
        sent = len(datadis.sim.requests)
        await next_day(hass, freezer)
        day = list(datadis.sim.requests[sent:])
        endpoints = sorted(r.endpoint for r in day)
        assert endpoints.count("get-consumption-data-v2") == 1
        assert all(r.status == 200 for r in day), _dump(datadis)[sent:]
        consumption = next(r for r in day if r.endpoint == "get-consumption-data-v2")
        queries.append(str(sorted(consumption.query.items())))
    assert all(a != b for a, b in pairwise(queries))
    steady = [r.endpoint for r in datadis.sim.requests[first_day:]]
    assert steady.count("login") == 6
    assert steady.count("get-max-power-v2") == 3
    assert steady.count("get-supplies-v2") == 2
    assert steady.count("get-contract-detail-v2") == 0
    await assert_flat_equals_truth(hass, datadis)


def consumption_queries(datadis: RunningSim, first: str, last: str) -> int:
    """How many consumption queries asked exactly `first`..`last`."""
    return sum(
        1
        for r in datadis.sim.requests
        if r.endpoint == "get-consumption-data-v2"
        and r.query.get("startDate") == first
        and r.query.get("endDate") == last
    )


async def test_refused_contract_neither_stops_the_sync_nor_waits_a_week(
    hass: HomeAssistant,
    datadis: RunningSim,
    flat_only: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 429 on the contract: the data still arrives the same run, and the
    contract is asked again the next day (not after its week-long cache).
    """
    datadis.sim.fail_next("get-contract-detail-v2", status=429)
    await setup_entry(hass, flat_only)
    await assert_flat_equals_truth(hass, datadis)
    await next_day(hass, freezer)
    contract = [r.status for r in datadis.sim.requests if "contract" in r.endpoint]
    assert contract == [429, 200]


async def test_rejected_contract_keeps_the_known_one(
    hass: HomeAssistant,
    datadis: RunningSim,
    flat_only: MockConfigEntry,
) -> None:
    """A 400 on the contract is not an account failure: data still flows."""
    datadis.sim.fail_next("get-contract-detail-v2", status=400)
    await setup_entry(hass, flat_only)
    await assert_flat_equals_truth(hass, datadis)


async def test_supplies_refused_or_incomplete_keep_the_known_ones(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    short_history: None,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A distributor missing from the supplies answer keeps its device; a
    refused supplies query stops nothing and waits one day, not three.
    """
    await setup_entry(hass, datadis_entry)
    registry = dr.async_get(hass)
    devices = {
        d.id
        for d in dr.async_entries_for_config_entry(registry, datadis_entry.entry_id)
    }
    assert len(devices) == 2
    datadis.sim.fail_supplies_of({"8"})  # i-DE: the heat-pump house
    await next_day(hass, freezer, 3)  # supplies are re-read every third day
    assert [r.status for r in datadis.sim.requests if "supplies" in r.endpoint][
        -1
    ] == 200
    entry: GridMeterConfigEntry = datadis_entry  # type: ignore[assignment]
    assert set(entry.runtime_data.coordinator.state.supplies) == {
        FLAT[:20],
        HEAT_PUMP[:20],
    }
    assert {
        d.id
        for d in dr.async_entries_for_config_entry(registry, datadis_entry.entry_id)
    } == devices

    # The incomplete list was not kept: the next day asks again, refused.
    datadis.sim.fail_supplies_of(set())
    datadis.sim.fail_next("get-supplies-v2", status=429)
    sent = datadis.sim.count("get-consumption-data-v2")
    await next_day(hass, freezer)
    assert [r.status for r in datadis.sim.requests if "supplies" in r.endpoint][
        -1
    ] == 429
    assert datadis.sim.count("get-consumption-data-v2") == sent + 2
    await next_day(hass, freezer)
    # The daily run may come a moment before the 429's 24 hours are over;
    # the retry it plans then asks (two hours later at most).
    later = dt_util.utcnow() + timedelta(hours=2, minutes=10)
    freezer.move_to(later)
    async_fire_time_changed(hass, later)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [r.status for r in datadis.sim.requests if "supplies" in r.endpoint][
        -1
    ] == 200
    assert datadis_entry.state is ConfigEntryState.LOADED
    await assert_flat_equals_truth(hass, datadis)


async def test_oldest_month_failing_does_not_hold_back_the_backfill(
    hass: HomeAssistant, datadis: RunningSim, flat_only: MockConfigEntry
) -> None:
    """The first month of the window answers 500 (a contract's first month):
    every other month is imported on the very first run.
    """
    datadis.sim.fail_months(FLAT, {"2024/12"})
    await setup_entry(hass, flat_only)
    await assert_flat_equals_truth(hass, datadis)
    assert consumption_queries(datadis, "2024/12", "2024/12") == 1


async def test_month_that_always_fails_is_asked_daily_for_a_week_then_weekly(
    hass: HomeAssistant,
    datadis: RunningSim,
    flat_only: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Seven daily tries, then a week's pause, then one more try."""

    async def day_with_retries(days: int = 1) -> None:
        # Yesterday's query may still be blocked for a few minutes at the
        # slot: the sync retries 5 minutes after it expires; let it run.
        await next_day(hass, freezer, days)
        for _ in range(6):
            later = dt_util.utcnow() + timedelta(minutes=10)
            freezer.move_to(later)
            async_fire_time_changed(hass, later)
            await hass.async_block_till_done(wait_background_tasks=True)

    datadis.sim.fail_months(FLAT, {"2026/08"})
    await setup_entry(hass, flat_only)
    tries = [consumption_queries(datadis, "2026/08", "2026/08")]
    for _ in range(8):
        await day_with_retries()
        tries.append(consumption_queries(datadis, "2026/08", "2026/08"))
    assert tries == [1, 2, 3, 4, 5, 6, 7, 7, 7]
    await day_with_retries(6)  # a week after the seventh try
    assert consumption_queries(datadis, "2026/08", "2026/08") == 8


async def test_partial_distributor_answer_is_asked_again(
    hass: HomeAssistant,
    datadis: RunningSim,
    flat_only: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """September came with a distributorError and a hole: outside the daily
    refresh, it is still asked again and the hole filled; its max power too.
    """
    short = {HISTORY_FROM - timedelta(days=n) for n in range(1, 800)}
    hole = {date(2026, 9, day) for day in range(10, 16)}
    datadis.sim.missing_days(FLAT, short | hole)
    datadis.sim.distributor_error(FLAT, {"2026/09"}, partial=True)
    await setup_entry(hass, flat_only)
    rows = await read_hours(hass, f"{FLAT_ID}_consumption")
    assert rows
    assert datetime(2026, 9, 12, 10, tzinfo=UTC) not in rows
    state = flat_only.runtime_data.coordinator.state
    (peak_months,) = state.peak_months.values()
    assert peak_months["2026-09"].status == "failed"
    assert peak_months["2026-09"].reason == "distributorError"
    datadis.sim.missing_days(FLAT, short)
    datadis.sim.distributor_error(FLAT, set())
    await next_day(hass, freezer)
    await assert_flat_equals_truth(hass, datadis)
    assert peak_months["2026-09"].status == "ok"
    assert any(
        r.endpoint == "get-max-power-v2"
        and r.query.get("startDate") <= "2026/09" <= r.query.get("endDate")
        and r.status == 200
        for r in datadis.sim.requests[-10:]
    )


async def test_supply_not_on_2_0td_gets_no_period_split(
    hass: HomeAssistant, datadis: RunningSim, flat_only: MockConfigEntry
) -> None:
    """A 3.0TD contract: consumption is imported, P1/P2/P3 are not invented."""
    datadis.sim.override_contract(
        FLAT,
        codeFare="3T",
        accessFare="3.0TD PEAJE ATR",
        contractedPowerkW=[16.0, 16.0, 16.0, 16.0, 16.0, 20.0],
    )
    await setup_entry(hass, flat_only)
    await assert_flat_equals_truth(hass, datadis)
    for period in ("p1", "p2", "p3"):
        assert not await read_hours(hass, f"{FLAT_ID}_consumption_{period}")


def test_daily_refresh_always_includes_the_current_month() -> None:
    """Every day re-reads the current month; the previous one every other
    day; never the same window two days running.
    """
    days = [date(2026, 12, 1) + timedelta(days=n) for n in range(-3, 10)]
    windows = [refresh_months(day) for day in days]
    for day, months in zip(days, windows, strict=True):
        assert day.replace(day=1) in months, day
    assert all(a != b for a, b in pairwise(windows))
    assert date(2026, 11, 1) in windows[4] + windows[5]  # 1 or 2 December


async def test_restart_mid_backfill_resumes_without_repeating_the_query(
    hass: HomeAssistant, datadis: RunningSim, flat_only: MockConfigEntry
) -> None:
    """Home Assistant stops while the 24-month query is in flight: after the
    restart that query (maybe counted by Datadis) is not sent again; its two
    halves are, and the statistics end up equal to the source.
    """
    datadis.sim.hang_next("get-consumption-data-v2", 60)
    flat_only.add_to_hass(hass)
    assert await hass.config_entries.async_setup(flat_only.entry_id)
    entry: GridMeterConfigEntry = flat_only  # type: ignore[assignment]
    ledger = entry.runtime_data.coordinator.client.ledger
    for _ in range(200):
        if any("consumption" in key for key in ledger.blocked()):
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the backfill never sent its query")
    assert await hass.config_entries.async_unload(flat_only.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert not await read_hours(hass, f"{FLAT_ID}_consumption")

    assert await hass.config_entries.async_setup(flat_only.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await assert_flat_equals_truth(hass, datadis)
    # The simulator logs answered requests: the interrupted one never was,
    # and it was not sent again.
    assert consumption_queries(datadis, "2024/12", "2026/11") == 0
    assert consumption_queries(datadis, "2024/12", "2025/11") == 1
    assert consumption_queries(datadis, "2025/12", "2026/11") == 1


async def test_a_supply_added_later_is_followed_despite_options(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Options deselected the heat-pump house; a supply that appears on the
    account afterwards is followed all the same, the deselected one is not.
    """
    from .conftest import short_history
    from .datadis_sim import SOLAR

    entry = with_options(
        datadis_entry,
        {CONF_SUPPLIES: [FLAT[:20]], CONF_EXCLUDED_SUPPLIES: [HEAT_PUMP[:20]]},
    )
    short_history(datadis)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    assert list(coordinator.data.meters) == [FLAT[:20]]
    datadis.sim.accounts["12345678Z"].supplies.append(SOLAR)
    await next_day(hass, freezer, 4)
    assert sorted(coordinator.data.meters) == sorted([FLAT[:20], SOLAR[:20]])
