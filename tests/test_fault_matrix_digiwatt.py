"""Digiwatt through Home Assistant under faults.

Digiwatt serves only the last six hours, read every hour: an outage shorter
than five hours loses nothing. Each scenario runs the real client against
the simulator over HTTP and ends with the same checks: the statistics equal
the simulator's truth for the hours it served, the next run is scheduled,
the log is bounded.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.gridmeter.const import DOMAIN
from custom_components.gridmeter.hubs.digiwatt.coordinator import RETRY_AFTER_FAILURE
from custom_components.gridmeter.providers.digiwatt import DigiwattClient
from custom_components.gridmeter.statistics import statistic_id

from .conftest import NOW, setup_entry
from .digiwatt_sim import COMPANY, ROME_FLAT, ROME_POD, RunningDigiwatt
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
    restart,
    run_next,
    saved_state,
    settle,
    start_next_run,
    stop_during_write_slice,
    unfaulted_requests,
    wait_for,
)
from .stats_helpers import read_hours

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations"),
]

SPAN = timedelta(hours=6)
"""What the series covers."""
HOUR = timedelta(hours=1)
RETRY = RETRY_AFTER_FAILURE + timedelta(minutes=2)
NEXT_HOUR = HOUR + timedelta(minutes=2)
"""The furthest the next run may be (a busy machine's minutes included)."""
CONSUMPTION = statistic_id("digiwatt", ROME_POD, "consumption")


@pytest.fixture
def entry(digiwatt: RunningDigiwatt) -> MockConfigEntry:
    """The onboarded Rome flat."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Digiwatt ···5678",
        unique_id=ROME_FLAT,
        data={
            "provider": "digiwatt",
            "client_id": digiwatt.sim.client_id,
            "client_secret": digiwatt.sim.client_secret,
            "pod": ROME_POD,
            "account_number": ROME_FLAT,
            "company_code": COMPANY,
            "base_url": digiwatt.url,
            "household": {
                "house_type": "apartment",
                "size_m2": 85,
                "province": "RM",
                "adults": 2,
                "children": 1,
                "elderlies": 0,
                "appliances": {"fridge": 1, "dishwasher": 1},
            },
        },
    )


def slot(instant: datetime) -> datetime:
    """The start of the quarter hour `instant` falls in (the series' step)."""
    return instant.replace(minute=instant.minute // 15 * 15, second=0, microsecond=0)


def served(digiwatt: RunningDigiwatt, *reads: datetime) -> dict[datetime, float]:
    """Complete hours of the six-hour series read at each of `reads`."""
    hours: dict[datetime, float] = {}
    for read in reads:
        end = slot(read)
        hours |= digiwatt.sim.truth_hourly_kwh(ROME_FLAT, end - SPAN, end)
    return hours


async def assert_energy_equals_truth(
    hass: HomeAssistant, digiwatt: RunningDigiwatt, since: datetime, until: datetime
) -> None:
    """Consumption equals the truth of every series read hourly from `since`
    to `until`; F1+F2+F3 add up to it hour by hour.
    """
    reads = [since + n * HOUR for n in range(int((until - since) / HOUR) + 1)]
    truth = served(digiwatt, *reads, until)
    await assert_statistic_equals(hass, CONSUMPTION, truth)
    bands: Counter[datetime] = Counter()
    for band in ("f1", "f2", "f3"):
        for hour, (state, _) in (
            await read_hours(hass, f"{CONSUMPTION}_{band}")
        ).items():
            bands[hour] += state
    assert {h: round(v, 6) for h, v in bands.items()} == {
        h: round(v, 6) for h, v in truth.items()
    }


def last_read(entry: MockConfigEntry) -> datetime:
    """When the series was last read."""
    last: datetime | None = coordinator_of(entry).state.last_success
    assert last is not None
    return last


@pytest.mark.parametrize(
    ("step", "method", "error", "kept"),
    [
        ("greenness", "async_get_greenness", ValueError("share"), "windows"),
        ("analytics", "async_get_totals", KeyError("total"), "insights"),
    ],
)
async def test_unexpected_error_in_a_step(
    hass: HomeAssistant,
    digiwatt: RunningDigiwatt,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
    method: str,
    error: Exception,
    kept: str,
) -> None:
    """Windows or analytics fail on an answer nobody planned for.

    They keep their last values, the series is written and the state saved,
    a retry comes in 20 minutes; the traceback is logged once, diagnostics
    count it, a repair appears after three runs and goes after a clean one.
    """
    await setup_entry(hass, entry)
    coordinator = coordinator_of(entry)
    since = last_read(entry)
    known = {
        "windows": coordinator.state.windows,
        "insights": coordinator.state.insights,
    }
    assert all(known.values())
    fault = raise_in(monkeypatch, DigiwattClient, method, error, after=True)
    coordinator.state.insights_at = None  # the analytics are due again
    ran = await run_next(hass, freezer, entry)
    assert fault.raised == 1
    assert coordinator.last_update_success
    assert_next_run(entry, ran, within=RETRY)
    assert getattr(coordinator.state, kept) == known[kept]
    assert last_read(entry) >= ran - timedelta(seconds=1)
    document = await saved_state(hass, freezer, hass_storage, entry)
    assert datetime.fromisoformat(document["last_success"]) == last_read(entry)

    await assert_streak_repaired(
        hass, freezer, entry, caplog, f"{step}:{type(error).__name__}"
    )
    fault.active = False
    await assert_cleared(hass, freezer, entry)
    await assert_energy_equals_truth(hass, digiwatt, since, last_read(entry))
    assert len(loud_records(caplog)) == 1, loud_records(caplog)


async def test_unexpected_error_in_the_live_power(
    hass: HomeAssistant,
    digiwatt: RunningDigiwatt,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The realtime answer breaks every minute for ten minutes.

    Only the live power sensor is unavailable; its traceback is logged once,
    not every minute; it comes back with the first good answer.
    """
    await setup_entry(hass, entry)
    coordinator = coordinator_of(entry)
    live = entry.runtime_data.extras["realtime"]
    fault = raise_in(
        monkeypatch, DigiwattClient, "async_get_realtime", ValueError("W"), after=True
    )
    for _ in range(10):
        await jump(hass, freezer, timedelta(minutes=1))
    assert fault.raised >= 10
    assert not live.last_update_success
    assert coordinator.last_update_success
    fault.active = False
    await jump(hass, freezer, timedelta(minutes=1))
    assert live.last_update_success
    assert_next_run(entry, dt_util.utcnow(), within=NEXT_HOUR)
    # The traceback, and Home Assistant's note that the update failed.
    assert len(loud_records(caplog)) == 2, [
        r.getMessage() for r in loud_records(caplog)
    ]


async def test_unexpected_error_in_the_series(
    hass: HomeAssistant,
    digiwatt: RunningDigiwatt,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The six-hour series fails outside any step: the run fails.

    A translated error, a retry in 20 minutes; the windows and analytics of
    that run are kept and saved; after the repair and a clean run nothing
    of the six hours is lost.
    """
    await setup_entry(hass, entry)
    coordinator = coordinator_of(entry)
    since = last_read(entry)
    fault = raise_in(
        monkeypatch, DigiwattClient, "async_get_latest", ValueError("watts"), after=True
    )
    coordinator.state.insights_at = None
    coordinator.state.windows = ()
    ran = await run_next(hass, freezer, entry)
    assert fault.raised == 1
    assert_failed_unexpectedly(entry)
    assert_next_run(entry, ran, within=RETRY)
    assert last_read(entry) == since
    document = await saved_state(hass, freezer, hass_storage, entry)
    assert document["windows"]
    assert datetime.fromisoformat(document["insights_at"]) >= ran - timedelta(seconds=1)

    await assert_streak_repaired(hass, freezer, entry, caplog, "run:ValueError")
    fault.active = False
    await assert_cleared(hass, freezer, entry)
    assert coordinator.last_update_success
    await assert_energy_equals_truth(hass, digiwatt, since, last_read(entry))
    # The traceback, and Home Assistant's note that the update failed.
    assert len(loud_records(caplog)) == 2, loud_records(caplog)


async def test_stopped_during_a_write_then_started_again(
    hass: HomeAssistant,
    digiwatt: RunningDigiwatt,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Home Assistant stops after the consumption's slice, before the bands'.

    After the start the series is read again and every statistic equals the
    truth: no gap, nothing counted twice.
    """
    with stop_during_write_slice(hass, CONSUMPTION):
        await setup_entry(hass, entry)
    assert await read_hours(hass, CONSUMPTION)
    assert not await read_hours(hass, f"{CONSUMPTION}_f3")
    assert coordinator_of(entry).state.last_success is None
    started = dt_util.utcnow()

    await restart(hass, entry)
    await assert_energy_equals_truth(hass, digiwatt, started, last_read(entry))
    assert_next_run(entry, dt_util.utcnow(), within=NEXT_HOUR)
    assert loud_records(caplog) == []


async def test_hours_of_html_pages_then_recovery(
    hass: HomeAssistant,
    digiwatt: RunningDigiwatt,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every answer is an HTML page with status 200, for three hours.

    Each run fails with a translated error and is retried in 20 minutes;
    once Digiwatt answers again, the six-hour series leaves no gap.
    """
    await setup_entry(hass, entry)
    coordinator = coordinator_of(entry)
    since = last_read(entry)
    digiwatt.sim.malformed_next("*", "html", times=10_000)
    ran = await run_next(hass, freezer, entry)
    while True:
        assert entry.state is ConfigEntryState.LOADED
        error = coordinator.last_exception
        assert isinstance(error, UpdateFailed), error
        assert error.translation_key == "communication_error"
        assert_next_run(entry, ran, within=RETRY)
        if ran - since > timedelta(hours=3):
            break
        ran = await run_next(hass, freezer, entry)
    digiwatt.sim.harness.faults.clear()
    ran = await run_next(hass, freezer, entry)
    assert coordinator.last_update_success
    assert_next_run(entry, ran, within=NEXT_HOUR)
    await assert_energy_equals_truth(hass, digiwatt, since, last_read(entry))
    # The run's failure and the live power's, each reported once.
    assert len(loud_records(caplog)) == 2, loud_records(caplog)


async def test_recorder_slow_at_set_up(
    hass: HomeAssistant,
    digiwatt: RunningDigiwatt,
    entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A restart while the recorder cannot answer yet: set-up does not wait.

    The entities come up at once; their figures arrive once it answers.
    """
    monkeypatch.setattr(
        "custom_components.gridmeter.coordinator.SETUP_HISTORY_WAIT", 0.05
    )
    await setup_entry(hass, entry)
    month = entity_registry.async_get_entity_id(
        "sensor", DOMAIN, f"digiwatt_{ROME_POD}_consumption_this_month".lower()
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
    assert_next_run(entry, dt_util.utcnow(), within=NEXT_HOUR)
    assert loud_records(caplog) == []


async def test_clock_jumps_forward_then_back(
    hass: HomeAssistant,
    digiwatt: RunningDigiwatt,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Three days forward, then an hour back: runs resume, nothing doubles.

    Only the six hours before each read exist at Digiwatt: the days the
    clock skipped are not served, so they are not expected.
    """
    await setup_entry(hass, entry)
    coordinator = coordinator_of(entry)
    first = last_read(entry)
    forward = await jump(hass, freezer, timedelta(days=3))
    assert last_read(entry) >= forward
    assert_next_run(entry, forward, within=NEXT_HOUR)
    truth = served(digiwatt, first, last_read(entry))
    await assert_statistic_equals(hass, CONSUMPTION, truth)

    back = await jump(hass, freezer, -HOUR)
    assert_next_run(entry, back, within=2 * NEXT_HOUR)
    ran = await run_next(hass, freezer, entry)
    assert coordinator.last_update_success
    assert_next_run(entry, ran, within=NEXT_HOUR)
    truth |= served(digiwatt, last_read(entry))
    await assert_statistic_equals(hass, CONSUMPTION, truth)
    assert loud_records(caplog) == []


async def test_unload_during_a_run_schedules_nothing(
    hass: HomeAssistant,
    digiwatt: RunningDigiwatt,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The entry unloads while its run waits for the series: the chain ends."""
    await setup_entry(hass, entry)
    coordinator = coordinator_of(entry)
    digiwatt.sim.hang_next("latest", 60)
    start_next_run(hass, freezer, entry)
    await wait_for(lambda: coordinator.running, "the run starts")
    try:
        await assert_unload_ends_the_chain(
            hass, freezer, entry, lambda: unfaulted_requests(digiwatt.sim)
        )
    finally:
        digiwatt.sim.harness.faults.release()
    assert loud_records(caplog) == []
