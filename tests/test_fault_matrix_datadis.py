"""Datadis through Home Assistant under faults: nothing stops, freezes or corrupts it.

Each scenario runs the real client against the simulator over HTTP, with a
few days of history, and ends with the same checks: the statistics equal
the simulator's truth, the next run is scheduled, the log is bounded.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.gridmeter.const import CONF_SUPPLIES, DOMAIN, RETRY_DELAY
from custom_components.gridmeter.providers.datadis import DatadisClient
from custom_components.gridmeter.statistics import statistic_id

from .conftest import NOW, setup_entry, short_history
from .datadis_sim import FLAT, HEAT_PUMP, RunningSim
from .faults_helpers import (
    assert_cleared,
    assert_failed_unexpectedly,
    assert_next_run,
    assert_statistic_equals,
    assert_streak_repaired,
    assert_unload_ends_the_chain,
    coordinator_of,
    held_recorder_reads,
    jump,
    loud_records,
    raise_in,
    read_peaks,
    restart,
    run_next,
    saved_state,
    settle,
    start_next_run,
    stop_during_write_slice,
    unfaulted_requests,
    wait_for,
    with_options,
)
from .stats_helpers import read_hours

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations"),
]

MADRID = ZoneInfo("Europe/Madrid")
HISTORY_DAYS = 4
DAY = timedelta(days=1, hours=1)
"""The furthest a next run may be: the next daily slot (and its jitter)."""
RETRY = RETRY_DELAY + timedelta(minutes=5)
"""The furthest a retry may be after a failed run or step (a busy machine's
minutes between the moment given and the run's own clock included)."""
COORDINATOR = "custom_components.gridmeter.coordinator"


@pytest.fixture(autouse=True)
def _short(datadis: RunningSim) -> None:
    short_history(datadis, HISTORY_DAYS)


def served(
    datadis: RunningSim, cups: str, days: int = HISTORY_DAYS
) -> dict[datetime, float]:
    """Hourly consumption the simulator serves now, from its first served day."""
    first_day = NOW.date() - timedelta(days=days - 1)
    first = datetime.combine(first_day, time(), MADRID).astimezone(UTC)
    return {
        hour: truth.consumption
        for hour, truth in datadis.truth(cups).items()
        if hour >= first and truth.consumption is not None
    }


def stat(cups: str, key: str) -> str:
    """The statistic id of a supply's register."""
    return statistic_id("datadis", cups[:20], key)


async def assert_energy_equals_truth(
    hass: HomeAssistant, datadis: RunningSim, cups: str, days: int = HISTORY_DAYS
) -> None:
    """Consumption equals the truth; P1+P2+P3 add up to it hour by hour."""
    truth = served(datadis, cups, days)
    await assert_statistic_equals(hass, stat(cups, "consumption"), truth)
    periods = [
        await read_hours(hass, stat(cups, f"consumption_{p}"))
        for p in ("p1", "p2", "p3")
    ]
    split: Counter[datetime] = Counter()
    for rows in periods:
        for hour, (state, _) in rows.items():
            split[hour] += state
    assert {h: round(v, 6) for h, v in split.items()} == {
        h: round(v, 6) for h, v in truth.items()
    }


def repeated_within_a_day(datadis: RunningSim) -> list[str]:
    """Consumption or max-power queries Datadis answered twice within 24 hours."""
    sent: dict[str, list[datetime]] = {}
    for request in datadis.sim.requests:
        if request.endpoint in ("get-consumption-data-v2", "get-max-power-v2"):
            query = f"{request.endpoint}?{sorted(request.query.items())}"
            sent.setdefault(query, []).append(request.time)
    return [
        query
        for query, times in sent.items()
        if any(b - a < timedelta(hours=24) for a, b in pairwise(sorted(times)))
    ]


def flat_only(entry: MockConfigEntry) -> MockConfigEntry:
    """The same account, following only the flat."""
    return with_options(entry, {CONF_SUPPLIES: [FLAT[:20]]})


def for_flat(_client: DatadisClient, supply: Any, *_args: Any) -> bool:
    """Whether a client call concerns the flat (the supply that fails)."""
    return bool(supply.meter_id == FLAT[:20])


@pytest.mark.parametrize(
    ("step", "method", "error", "missing"),
    [
        ("contract", "async_get_contract", KeyError("codeFare"), None),
        ("energy", "async_get_consumption", ValueError("unreadable"), "consumption"),
        ("max_power", "async_get_max_power", RuntimeError("surprise"), "max_power"),
        ("neighbours", "async_get_area_averages", ValueError("row"), None),
    ],
)
async def test_unexpected_error_in_a_step(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
    method: str,
    error: Exception,
    missing: str | None,
) -> None:
    """One step of the flat fails on an answer nobody planned for.

    The run goes on: the flat's other steps and the whole heat-pump house
    are written and the state saved, a retry is scheduled, the traceback is
    logged once, diagnostics count it, a repair appears after three runs in
    a row and goes after a clean run.
    """
    fault = raise_in(
        monkeypatch, DatadisClient, method, error, when=for_flat, after=True
    )
    before = NOW
    await setup_entry(hass, datadis_entry)
    coordinator = coordinator_of(datadis_entry)
    # The contract is asked at set-up (so contracted power shows at once)
    # and, still unknown, again by the first run: both meet the fault.
    assert fault.raised == (2 if step == "contract" else 1)
    assert coordinator.last_update_success
    assert_next_run(datadis_entry, before, within=RETRY)
    await assert_energy_equals_truth(hass, datadis, HEAT_PUMP)
    assert await read_peaks(hass, stat(HEAT_PUMP, "max_power"))
    assert bool(await read_hours(hass, stat(FLAT, "consumption"))) is (
        missing != "consumption"
    )
    assert bool(await read_peaks(hass, stat(FLAT, "max_power"))) is (
        missing != "max_power"
    )
    document = await saved_state(hass, freezer, hass_storage, datadis_entry)
    assert document["last_success"] is not None
    assert datetime.fromisoformat(document["last_success"]) >= before

    await assert_streak_repaired(
        hass, freezer, datadis_entry, caplog, f"{step}:{type(error).__name__}"
    )
    fault.active = False
    await assert_cleared(hass, freezer, datadis_entry)
    await assert_energy_equals_truth(hass, datadis, FLAT, HISTORY_DAYS)
    await assert_energy_equals_truth(hass, datadis, HEAT_PUMP, HISTORY_DAYS)
    assert await read_peaks(hass, stat(FLAT, "max_power"))
    assert not repeated_within_a_day(datadis)
    assert len(loud_records(caplog)) == 1, loud_records(caplog)


async def test_unexpected_error_outside_any_step(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The supplies answer breaks the run itself: a translated error, a retry."""
    entry = flat_only(datadis_entry)
    await setup_entry(hass, entry)
    fault = raise_in(
        monkeypatch, DatadisClient, "async_get_supply_list", TypeError("x"), after=True
    )
    ran = await run_next(hass, freezer, entry)
    assert fault.raised == 1
    assert_failed_unexpectedly(entry)
    assert_next_run(entry, ran, within=RETRY)
    await assert_streak_repaired(hass, freezer, entry, caplog, "run:TypeError")
    fault.active = False
    await assert_cleared(hass, freezer, entry)
    assert coordinator_of(entry).last_update_success
    await assert_energy_equals_truth(hass, datadis, FLAT)
    # The traceback, and Home Assistant's note that the update failed.
    assert len(loud_records(caplog)) == 2, loud_records(caplog)


BACKFILL_DAYS = 26
"""Just over 500 hours: the consumption statistic is written in two slices."""


async def test_stopped_mid_backfill_then_started_again(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Home Assistant stops after the first slice of the backfill's first write.

    After the start, the statistics equal the truth (no gap, nothing counted
    twice) and no query is sent again within Datadis's 24 hours: the answer
    comes from the ledger.
    """
    short_history(datadis, BACKFILL_DAYS)
    entry = flat_only(datadis_entry)
    with stop_during_write_slice(hass, stat(FLAT, "consumption")):
        await setup_entry(hass, entry)
    written = await read_hours(hass, stat(FLAT, "consumption"))
    assert 0 < len(written) < len(served(datadis, FLAT, BACKFILL_DAYS))
    sent = len(datadis.sim.requests)

    await restart(hass, entry)
    await assert_energy_equals_truth(hass, datadis, FLAT, BACKFILL_DAYS)
    assert await read_peaks(hass, stat(FLAT, "max_power"))
    assert not repeated_within_a_day(datadis)
    restarted = [r.endpoint for r in datadis.sim.requests[sent:]]
    assert "get-consumption-data-v2" not in restarted, restarted
    assert_next_run(entry, dt_util.utcnow(), within=DAY)
    assert loud_records(caplog) == []


@pytest.mark.parametrize(
    "signed_in",
    [False, True],
    ids=["sign_in_answered_html", "token_still_valid"],
)
async def test_a_day_of_html_pages_then_recovery(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    signed_in: bool,
) -> None:
    """Every answer of a whole day is an HTML page with status 200.

    When the run must sign in first (yesterday's token has expired: the
    usual case), it fails with the translated communication error and is
    retried every two hours that day. With a token still valid, each query
    fails on its own: the run goes on, its months are marked failed and
    asked again the next day. Either way the next day recovers and the
    statistics are complete.
    """
    entry = flat_only(datadis_entry)
    await setup_entry(hass, entry)
    coordinator = coordinator_of(entry)
    if not signed_in:
        # The set-up's token (24 hours) outlives the first daily run only.
        await run_next(hass, freezer, entry)
    datadis.sim.malformed_next("*", "html", times=10_000)
    ran = await run_next(hass, freezer, entry)
    html_day = ran.astimezone(MADRID).date()
    while True:
        assert entry.state is ConfigEntryState.LOADED
        if signed_in:
            assert coordinator.last_update_success
            assert coordinator.last_run.failed_months  # type: ignore[attr-defined]
        else:
            error = coordinator.last_exception
            assert isinstance(error, UpdateFailed), error
            assert error.translation_key == "communication_error"
        next_at = assert_next_run(entry, ran, within=DAY)
        if next_at.astimezone(MADRID).date() != html_day:
            break
        ran = await run_next(hass, freezer, entry)
    datadis.sim.harness.faults.clear()
    for _ in range(4):
        ran = await run_next(hass, freezer, entry)
        if not coordinator.last_run.failed_months:  # type: ignore[attr-defined]
            break
    assert coordinator.last_update_success
    assert_next_run(entry, ran, within=DAY)
    await assert_energy_equals_truth(hass, datadis, FLAT)
    assert not repeated_within_a_day(datadis)
    # Home Assistant's note that the update failed (none: every query failed alone).
    assert len(loud_records(caplog)) == (0 if signed_in else 1), loud_records(caplog)


async def test_recorder_slow_at_set_up(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A restart while the recorder cannot answer yet: set-up does not wait.

    The entities come up at once; their figures arrive once it answers.
    """
    monkeypatch.setattr(f"{COORDINATOR}.SETUP_HISTORY_WAIT", 0.05)
    entry = flat_only(datadis_entry)
    await setup_entry(hass, entry)
    month = entity_registry.async_get_entity_id(
        "sensor", DOMAIN, f"datadis_{FLAT[:20]}_consumption_this_month".lower()
    )
    assert month is not None
    figure = hass.states.get(month)
    assert figure is not None and float(figure.state) > 0
    assert await hass.config_entries.async_unload(entry.entry_id)
    await settle(hass)

    with held_recorder_reads(hass) as gate:
        setup = hass.async_create_task(hass.config_entries.async_setup(entry.entry_id))
        await wait_for(setup.done, "set-up completes while the recorder is held")
        assert setup.result()
        assert entry.state is ConfigEntryState.LOADED
        assert hass.states.get(month) is not None
        gate.set()
        await settle(hass)
    shown = hass.states.get(month)
    assert shown is not None and shown.state == figure.state
    assert_next_run(entry, dt_util.utcnow(), within=DAY)
    assert loud_records(caplog) == []


async def test_clock_jumps_forward_then_back(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Three days forward, then an hour back: runs resume, nothing doubles."""
    entry = flat_only(datadis_entry)
    await setup_entry(hass, entry)
    coordinator = coordinator_of(entry)
    forward = await jump(hass, freezer, timedelta(days=3))
    assert coordinator.state.last_success >= forward
    assert_next_run(entry, forward, within=DAY)
    await assert_energy_equals_truth(hass, datadis, FLAT)

    back = await jump(hass, freezer, -timedelta(hours=1))
    assert_next_run(entry, back, within=DAY + timedelta(hours=1))
    ran = await run_next(hass, freezer, entry)
    assert coordinator.last_update_success
    assert_next_run(entry, ran, within=DAY)
    await assert_energy_equals_truth(hass, datadis, FLAT)
    assert not repeated_within_a_day(datadis)
    assert loud_records(caplog) == []


async def test_unload_during_a_run_schedules_nothing(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The entry unloads while its run waits for Datadis: the chain ends there."""
    entry = flat_only(datadis_entry)
    await setup_entry(hass, entry)
    datadis.sim.hang_next("get-consumption-data-v2", 60)
    start_next_run(hass, freezer, entry)
    ledger = coordinator_of(entry).client.ledger  # type: ignore[attr-defined]
    await wait_for(
        lambda: any("consumption" in key for key in ledger.blocked()),
        "the run sends its consumption query",
    )
    try:
        await assert_unload_ends_the_chain(
            hass, freezer, entry, lambda: unfaulted_requests(datadis.sim)
        )
    finally:
        datadis.sim.harness.faults.release()
    assert loud_records(caplog) == []
