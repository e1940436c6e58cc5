"""Datadis end to end through Home Assistant: statistics, requests, restarts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.gridmeter.const import CONF_SUPPLIES
from custom_components.gridmeter.coordinator import GridMeterConfigEntry

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


@pytest.fixture
def flat_only(datadis_entry: MockConfigEntry, short_history: None) -> MockConfigEntry:
    """The entry, following only the flat."""
    return MockConfigEntry(
        domain=datadis_entry.domain,
        title=datadis_entry.title,
        unique_id=datadis_entry.unique_id,
        data=dict(datadis_entry.data),
        options={CONF_SUPPLIES: [FLAT[:20]]},
    )


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
