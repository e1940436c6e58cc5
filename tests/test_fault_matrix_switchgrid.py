"""Switchgrid (Enedis) through Home Assistant under faults.

Each scenario runs the real client against the simulator over HTTP, with a
few days of load curve, and ends with the same checks: the statistics equal
the simulator's truth, the next run is scheduled, the log is bounded, and
no order is placed (and billed) twice a day.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.gridmeter.const import (
    CONF_ADDRESS_LINES,
    CONF_API_TOKEN,
    CONF_ASK_ID,
    CONF_BASE_URL,
    CONF_CONSENT_ID,
    CONF_HOLDER,
    CONF_INJECTION,
    CONF_PRM,
    CONF_PROVIDER,
    CONF_TEST_ENV,
    CONF_WEBHOOK_ID,
    DOMAIN,
    RETRY_DELAY,
)
from custom_components.gridmeter.providers.switchgrid import SwitchgridClient
from custom_components.gridmeter.providers.switchgrid.models import Signer
from custom_components.gridmeter.statistics import statistic_id

from .conftest import NOW, setup_entry
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
)
from .stats_helpers import read_hours
from .switchgrid_sim import PARIS, RunningSwitchgrid

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations"),
]

PARIS_TZ = ZoneInfo("Europe/Paris")
HISTORY_DAYS = 4
DAY = timedelta(days=1, hours=1)
"""The furthest a next run may be: the next daily slot (and its jitter)."""
RETRY = RETRY_DELAY + timedelta(minutes=5)
"""The furthest a retry may be after a failed run or step (a busy machine's
minutes between the moment given and the run's own clock included)."""
COORDINATOR = "custom_components.gridmeter.hubs.switchgrid.coordinator"
CONSUMPTION = statistic_id("switchgrid", PARIS, "consumption")
MAX_POWER = statistic_id("switchgrid", PARIS, "max_power")
SIGNER = Signer(
    first_name="Julie",
    last_name="Martin",
    email="julie@example.org",
    phone="+33600000000",
    genre="F",
)


def short_history(switchgrid: RunningSwitchgrid, days: int) -> None:
    """Serve only the last `days` days of the home's curve."""
    switchgrid.sim.missing_days(
        PARIS, {NOW.date() - timedelta(days=n) for n in range(days, 800)}
    )


@pytest.fixture(autouse=True)
def _short(switchgrid: RunningSwitchgrid) -> None:
    short_history(switchgrid, HISTORY_DAYS)


@pytest.fixture
async def entry(hass: HomeAssistant, switchgrid: RunningSwitchgrid) -> MockConfigEntry:
    """The entry the config flow creates for the Paris home, consent signed."""
    client = SwitchgridClient(
        async_get_clientsession(hass),
        switchgrid.sim.token,
        base_url=switchgrid.url,
        test_env=True,
    )
    (match,) = await client.async_search_contracts("Moreau", prm=PARIS)
    ask = await client.async_create_ask([match.id], SIGNER, injection=False)
    switchgrid.sim.sign(ask.id)
    ask = await client.async_get_ask(ask.id)
    return MockConfigEntry(
        domain=DOMAIN,
        title="Enedis ···8901",
        unique_id=PARIS,
        data={
            CONF_PROVIDER: "switchgrid",
            CONF_API_TOKEN: switchgrid.sim.token,
            CONF_TEST_ENV: True,
            CONF_BASE_URL: switchgrid.url,
            CONF_PRM: match.prm,
            CONF_ASK_ID: ask.id,
            CONF_CONSENT_ID: ask.consent_ids.get(match.prm, ask.id),
            CONF_HOLDER: match.holder,
            CONF_ADDRESS_LINES: list(match.address),
            "contract_id": match.id,
            CONF_INJECTION: False,
            CONF_WEBHOOK_ID: "gridmeter_faults",
        },
    )


def served(
    switchgrid: RunningSwitchgrid, days: int = HISTORY_DAYS
) -> dict[datetime, float]:
    """Hourly consumption of the curve served now, from its first served day."""
    first_day = NOW.date() - timedelta(days=days - 1)
    first = datetime.combine(first_day, time(), PARIS_TZ).astimezone(UTC)
    return {
        hour: kwh
        for hour, kwh in switchgrid.sim.truth_hourly_kwh(PARIS).items()
        if hour >= first
    }


def orders_per_day(switchgrid: RunningSwitchgrid, request_type: str) -> Counter[Any]:
    """How many orders with a request of `request_type` were placed, by Paris day."""
    return Counter(
        order.created_at.astimezone(PARIS_TZ).date()
        for order in switchgrid.sim.orders.values()
        if any(request.type == request_type for request in order.requests)
    )


def assert_billed_once_a_day(switchgrid: RunningSwitchgrid) -> None:
    """Never two daily orders, nor two curve orders, the same day."""
    for request_type in ("R66_SYNC", "LOADCURVE"):
        placed = orders_per_day(switchgrid, request_type)
        assert all(count == 1 for count in placed.values()), (request_type, placed)


def ordering(request_type: str) -> Any:
    """Match `async_create_order` calls placing a request of `request_type`."""

    def matches(_client: SwitchgridClient, _consent: str, requests: Any) -> bool:
        return any(request.type == request_type for request in requests)

    return matches


@pytest.mark.parametrize(
    ("step", "method", "when", "error", "missing"),
    [
        (
            "daily_order",
            "async_create_order",
            ordering("R66_SYNC"),
            KeyError("id"),
            {"peaks", "contract"},
        ),
        (
            "curve_order",
            "async_create_order",
            ordering("LOADCURVE"),
            RuntimeError("?"),
            {"energy"},
        ),
        ("import_c68", "async_get_contract", None, ValueError("bad"), {"contract"}),
        (
            "import_r66_sync",
            "async_get_daily_max_power",
            None,
            TypeError("x"),
            {"peaks"},
        ),
        ("import_loadcurve", "async_get_load_curve", None, KeyError("t"), {"energy"}),
    ],
)
async def test_unexpected_error_in_a_step(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
    method: str,
    when: Any,
    error: Exception,
    missing: set[str],
) -> None:
    """One step fails on an answer nobody planned for, every day.

    The other order and the other requests are imported, the state saved,
    nothing is ordered twice a day; the traceback is logged once, diagnostics
    count it, a repair appears after three runs that met it and goes after
    a clean one; then the statistics are complete.
    """
    fault = raise_in(
        monkeypatch,
        SwitchgridClient,
        method,
        error,
        after=True,
        **({"when": when} if when is not None else {}),
    )
    before = dt_util.utcnow()
    await setup_entry(hass, entry)
    coordinator = coordinator_of(entry)
    assert fault.raised == 1
    assert coordinator.last_update_success
    assert_next_run(entry, before, within=RETRY)
    energy = await read_hours(hass, CONSUMPTION)
    if "energy" in missing:
        assert not energy
    else:
        await assert_statistic_equals(hass, CONSUMPTION, served(switchgrid))
    assert bool(await read_peaks(hass, MAX_POWER)) is ("peaks" not in missing)
    meter = coordinator.data.meters[PARIS]
    assert (meter.contract is not None) is ("contract" not in missing)
    document = await saved_state(hass, freezer, hass_storage, entry)
    assert document["last_order_day"] == before.astimezone(PARIS_TZ).date().isoformat()

    key = f"{step}:{type(error).__name__}"
    await assert_streak_repaired(hass, freezer, entry, caplog, key)
    fault.active = False
    await assert_cleared(hass, freezer, entry)
    await assert_statistic_equals(hass, CONSUMPTION, served(switchgrid))
    assert await read_peaks(hass, MAX_POWER)
    assert coordinator.data.meters[PARIS].contract is not None
    assert_billed_once_a_day(switchgrid)
    assert len(loud_records(caplog)) == 1, loud_records(caplog)


async def test_unexpected_error_resuming_an_open_order(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Orders still open at the next run cannot be read back: they stay open.

    They are looked at again every half hour, never placed again, and
    imported once the answer can be read. By then the contract's and the
    peaks' data links (valid an hour) have expired: those two requests are
    lost, and the next day's order brings them.
    """
    monkeypatch.setattr(f"{COORDINATOR}.ORDER_WAIT", 0.2)
    switchgrid.sim.order_delay = 10**6
    await setup_entry(hass, entry)
    coordinator = coordinator_of(entry)
    assert len(coordinator.state.orders) == 2
    switchgrid.sim.order_delay = 0
    switchgrid.sim.settle_all()
    fault = raise_in(
        monkeypatch, SwitchgridClient, "async_get_order", KeyError("status"), after=True
    )
    ran = await run_next(hass, freezer, entry)
    assert fault.raised == 2
    assert coordinator.last_update_success
    assert len(coordinator.state.orders) == 2
    assert_next_run(entry, ran, within=timedelta(minutes=35))

    await assert_streak_repaired(
        hass, freezer, entry, caplog, "order:KeyError", per_run=2
    )
    fault.active = False
    await assert_cleared(hass, freezer, entry)
    assert not coordinator.state.orders
    assert len(switchgrid.sim.orders) == 2
    await assert_statistic_equals(hass, CONSUMPTION, served(switchgrid))
    assert coordinator.data.meters[PARIS].contract is None
    while len(switchgrid.sim.orders) == 2:
        await run_next(hass, freezer, entry)
    assert coordinator.data.meters[PARIS].contract is not None
    assert await read_peaks(hass, MAX_POWER)
    assert_billed_once_a_day(switchgrid)
    # The traceback, and one warning for each expired data link.
    assert len(loud_records(caplog)) == 3, loud_records(caplog)


async def test_unexpected_error_outside_any_step(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The consent answer breaks the run itself: a translated error, a retry."""
    await setup_entry(hass, entry)
    fault = raise_in(
        monkeypatch, SwitchgridClient, "async_get_ask", KeyError("status"), after=True
    )
    ran = await run_next(hass, freezer, entry)
    assert fault.raised == 1
    assert_failed_unexpectedly(entry)
    assert_next_run(entry, ran, within=RETRY)
    await assert_streak_repaired(hass, freezer, entry, caplog, "run:KeyError")
    fault.active = False
    await assert_cleared(hass, freezer, entry)
    assert coordinator_of(entry).last_update_success
    await assert_statistic_equals(hass, CONSUMPTION, served(switchgrid))
    assert_billed_once_a_day(switchgrid)
    # The traceback, and Home Assistant's note that the update failed.
    assert len(loud_records(caplog)) == 2, loud_records(caplog)


BACKFILL_DAYS = 26
"""Just over 500 hours: the consumption statistic is written in two slices."""


async def test_stopped_mid_backfill_then_started_again(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Home Assistant stops after the first slice of the load curve's write.

    After the start the open order is read again (not placed again) and
    the statistics equal the truth: no gap, nothing counted twice.
    """
    short_history(switchgrid, BACKFILL_DAYS)
    with stop_during_write_slice(hass, CONSUMPTION):
        await setup_entry(hass, entry)
    written = await read_hours(hass, CONSUMPTION)
    assert 0 < len(written) < len(served(switchgrid, BACKFILL_DAYS))
    assert coordinator_of(entry).state.orders

    await restart(hass, entry)
    await assert_statistic_equals(hass, CONSUMPTION, served(switchgrid, BACKFILL_DAYS))
    assert not coordinator_of(entry).state.orders
    assert len(switchgrid.sim.orders) == 2
    assert_next_run(entry, dt_util.utcnow(), within=DAY)
    assert loud_records(caplog) == []


async def test_a_day_of_html_pages_then_recovery(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every answer of a whole day is an HTML page with status 200.

    Each run of that day fails with the translated communication error and
    schedules the next; the next day recovers and the statistics are
    complete, with one daily and one curve order a day.
    """
    await setup_entry(hass, entry)
    coordinator = coordinator_of(entry)
    switchgrid.sim.malformed_next("*", "html", times=10_000)
    ran = await run_next(hass, freezer, entry)
    html_day = ran.astimezone(PARIS_TZ).date()
    while True:
        assert entry.state is ConfigEntryState.LOADED
        error = coordinator.last_exception
        assert isinstance(error, UpdateFailed), error
        assert error.translation_key == "communication_error"
        next_at = assert_next_run(entry, ran, within=DAY)
        if next_at.astimezone(PARIS_TZ).date() != html_day:
            break
        ran = await run_next(hass, freezer, entry)
    switchgrid.sim.harness.faults.clear()
    ran = await run_next(hass, freezer, entry)
    assert coordinator.last_update_success
    assert_next_run(entry, ran, within=DAY)
    await assert_statistic_equals(hass, CONSUMPTION, served(switchgrid))
    assert_billed_once_a_day(switchgrid)
    # Home Assistant's note that the update failed, once for the day.
    assert len(loud_records(caplog)) == 1, loud_records(caplog)


async def test_recorder_slow_at_set_up(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
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
        "sensor", DOMAIN, f"switchgrid_{PARIS}_consumption_this_month"
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
    switchgrid: RunningSwitchgrid,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Three days forward, then an hour back: runs resume, nothing doubles."""
    await setup_entry(hass, entry)
    coordinator = coordinator_of(entry)
    forward = await jump(hass, freezer, timedelta(days=3))
    assert coordinator.state.last_success >= forward
    assert_next_run(entry, forward, within=DAY)
    await assert_statistic_equals(hass, CONSUMPTION, served(switchgrid))

    back = await jump(hass, freezer, -timedelta(hours=1))
    assert_next_run(entry, back, within=DAY + timedelta(hours=1))
    ran = await run_next(hass, freezer, entry)
    assert coordinator.last_update_success
    assert_next_run(entry, ran, within=DAY)
    await assert_statistic_equals(hass, CONSUMPTION, served(switchgrid))
    assert_billed_once_a_day(switchgrid)
    assert loud_records(caplog) == []


async def test_unload_during_a_run_schedules_nothing(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The entry unloads while its run waits for an order: the chain ends there."""
    await setup_entry(hass, entry)
    switchgrid.sim.order_delay = 10**6
    placed = len(switchgrid.sim.orders)
    start_next_run(hass, freezer, entry)
    await wait_for(
        lambda: len(switchgrid.sim.orders) > placed, "the run places its order"
    )
    await assert_unload_ends_the_chain(
        hass, freezer, entry, lambda: unfaulted_requests(switchgrid.sim)
    )
    assert loud_records(caplog) == []
