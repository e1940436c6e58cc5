"""Digiwatt end to end: flow, six-hour statistics, analytics, live power."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.gridmeter.const import DOMAIN
from custom_components.gridmeter.hubs.digiwatt.household import build_household

from .conftest import setup_entry
from .digiwatt_sim import (
    BOLOGNA_HOUSE,
    BOLOGNA_POD,
    COMPANY,
    ROME_FLAT,
    ROME_POD,
    RunningDigiwatt,
)
from .stats_helpers import assert_continuous, read_hours

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
STAT = f"gridmeter:digiwatt_{ROME_POD.lower()}"

pytestmark = [
    pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations"),
]

HOUSEHOLD = {
    "house_type": "apartment",
    "size_m2": 85,
    "province": "RM",
    "adults": 2,
    "children": 1,
    "elderlies": 0,
    "appliances": {"fridge": 1, "dishwasher": 1, "airConditioner": 2},
}


def rome_entry(digiwatt: RunningDigiwatt) -> MockConfigEntry:
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
            "household": HOUSEHOLD,
        },
    )


async def setup_rome(hass: HomeAssistant, digiwatt: RunningDigiwatt) -> MockConfigEntry:
    """Set up the Rome flat's entry and let its first sync finish."""
    entry = rome_entry(digiwatt)
    await setup_entry(hass, entry)
    return entry


async def start_flow(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "digiwatt"}
    )
    assert result["step_id"] == "digiwatt"
    return result["flow_id"]


def credentials(digiwatt: RunningDigiwatt, **extra: Any) -> dict[str, Any]:
    return {
        "client_id": digiwatt.sim.client_id,
        "client_secret": digiwatt.sim.client_secret,
        "pod": " it001e 23456789 ",
        "account_number": BOLOGNA_HOUSE,
        "company_code": COMPANY,
        "advanced": {"base_url": digiwatt.url},
        **extra,
    }


@pytest.mark.freeze_time(NOW, tick=True)
async def test_flow_creates_user_and_onboards(
    hass: HomeAssistant, digiwatt: RunningDigiwatt
) -> None:
    """Credentials, household, quantities: the user exists and is onboarded."""
    flow_id = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, credentials(digiwatt)
    )
    assert result["step_id"] == "digiwatt_household"
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            "house_type": "detached",
            "size_m2": 140,
            "province": "bo",
            "adults": 2,
            "children": 2,
            "elderlies": 1,
            "appliances": ["heat_pump", "electric_vehicle"],
        },
    )
    assert result["step_id"] == "digiwatt_appliances"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"heat_pump": 1, "electric_vehicle": 2}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Digiwatt ···6789"
    data = result["data"]
    assert data["pod"] == BOLOGNA_POD
    assert data["household"]["province"] == "BO"
    assert data["household"]["appliances"] == {"heatPump": 1, "electricVehicle": 2}
    user = digiwatt.sim.users[BOLOGNA_HOUSE]
    assert user.onboarding is not None
    await hass.async_block_till_done(wait_background_tasks=True)
    assert result["result"].state is ConfigEntryState.LOADED


@pytest.mark.freeze_time(NOW, tick=True)
async def test_flow_errors(hass: HomeAssistant, digiwatt: RunningDigiwatt) -> None:
    """Malformed POD, wrong secret, outage, unexpected error, bad province,
    an existing user onboarded again, and a rejected company code.
    """
    flow_id = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, credentials(digiwatt, pod="IT001X1234")
    )
    assert result["errors"] == {"pod": "invalid_pod"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, credentials(digiwatt, account_number="  ")
    )
    assert result["errors"] == {"account_number": "invalid_account"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, credentials(digiwatt, client_secret="wrong")
    )
    assert result["errors"] == {"base": "invalid_auth"}
    digiwatt.sim.fail_next("token", status=503)
    result = await hass.config_entries.flow.async_configure(
        flow_id, credentials(digiwatt)
    )
    assert result["errors"] == {"base": "cannot_connect"}
    digiwatt.sim.fail_next("token", status=429)
    result = await hass.config_entries.flow.async_configure(
        flow_id, credentials(digiwatt)
    )
    assert result["errors"] == {"base": "rate_limited"}
    with patch(
        "custom_components.gridmeter.providers.digiwatt.DigiwattClient.async_authenticate",
        side_effect=RuntimeError,
    ):
        result = await hass.config_entries.flow.async_configure(
            flow_id, credentials(digiwatt)
        )
    assert result["errors"] == {"base": "unknown"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, credentials(digiwatt)
    )
    household = {**HOUSEHOLD, "appliances": []}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**household, "province": "Roma"}
    )
    assert result["errors"] == {"province": "invalid_province"}
    digiwatt.sim.fail_next("create_user", status=409)
    digiwatt.sim.fail_next("onboarding", status=400)
    result = await hass.config_entries.flow.async_configure(flow_id, household)
    assert result["errors"] == {"base": "user_rejected"}
    digiwatt.sim.fail_next("onboarding", status=500)
    result = await hass.config_entries.flow.async_configure(flow_id, household)
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(flow_id, household)
    assert result["type"] is FlowResultType.CREATE_ENTRY


def test_household_validation() -> None:
    """Answers the selectors cannot stop are refused with a clear error."""
    household, errors = build_household({**HOUSEHOLD, "adults": 0}, {})
    assert household is None
    assert errors == {"base": "invalid_household"}
    household, errors = build_household(HOUSEHOLD, {"fridge": 2})
    assert errors == {}
    assert household is not None
    assert dict(household.appliances) == {"fridge": 2}


@pytest.mark.freeze_time(NOW, tick=True)
async def test_duplicate_account_is_refused(
    hass: HomeAssistant, digiwatt: RunningDigiwatt
) -> None:
    """One entry per account number."""
    rome_entry(digiwatt).add_to_hass(hass)
    flow_id = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, credentials(digiwatt, account_number=ROME_FLAT, pod=ROME_POD)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def run_hours(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, until: datetime
) -> None:
    """Let the hourly sync run until `until`."""
    while dt_util.utcnow() < until:
        step = min(until, dt_util.utcnow() + timedelta(hours=1, minutes=1))
        freezer.move_to(step)
        async_fire_time_changed(hass, step)
        await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize(
    "saturday",
    [datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 3, 28, tzinfo=UTC)],
    ids=["autumn", "spring"],
)
async def test_six_hour_series_across_dst_and_restart(
    hass: HomeAssistant,
    digiwatt: RunningDigiwatt,
    freezer: FrozenDateTimeFactory,
    saturday: datetime,
) -> None:
    """Hourly statistics equal the simulator's truth across a Rome DST change
    (25- and 23-hour Sundays) and a restart: nothing missed, nothing doubled.
    """
    start = saturday + timedelta(hours=20, minutes=5)
    freezer.move_to(start)
    entry = await setup_rome(hass, digiwatt)
    await run_hours(hass, freezer, saturday + timedelta(hours=26, minutes=10))
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    end = saturday + timedelta(hours=33, minutes=30)
    await run_hours(hass, freezer, end)

    rows = await read_hours(hass, f"{STAT}_consumption")
    truth = digiwatt.sim.truth_hourly_kwh(
        ROME_FLAT, saturday + timedelta(hours=14), saturday + timedelta(hours=33)
    )
    assert {h: round(s, 6) for h, (s, _) in rows.items()} == {
        h: round(v, 6) for h, v in truth.items()
    }
    assert_continuous(rows)
    bands = [
        await read_hours(hass, f"{STAT}_consumption_{b}") for b in ("f1", "f2", "f3")
    ]
    # Sunday (from Saturday 22:00 or 23:00 UTC, Rome midnight): all F3.
    sunday = [h for h in rows if h >= saturday + timedelta(hours=23)]
    assert sunday
    assert all(bands[2][h][0] == rows[h][0] for h in sunday)
    assert all(bands[0].get(h, (0.0,))[0] == 0.0 for h in sunday)


@pytest.mark.freeze_time(NOW, tick=True)
async def test_entities_live_power_and_insights(
    hass: HomeAssistant,
    digiwatt: RunningDigiwatt,
    entity_registry: er.EntityRegistry,
) -> None:
    """Realtime power, analytics, per-appliance and band sensors."""
    entry = await setup_rome(hass, digiwatt)

    def state(key: str) -> str:
        entity_id = entity_registry.async_get_entity_id(
            "sensor", DOMAIN, f"digiwatt_{ROME_POD}_{key}".lower()
        )
        assert entity_id, key
        value = hass.states.get(entity_id)
        assert value is not None, key
        return value.state

    live = float(state("live_power"))
    assert live == pytest.approx(digiwatt.sim.instant_w(ROME_FLAT), rel=0.2)
    # The house is named in words (no address from Digiwatt), never by its
    # POD, and neither are its entities; a hub without peaks has no peak
    # sensors.
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"digiwatt_{ROME_POD}".lower()), entry.entry_id
    )
    assert device is not None
    assert device.name == "Home (RM)"
    live_id = entity_registry.async_get_entity_id(
        "sensor", DOMAIN, f"digiwatt_{ROME_POD}_live_power".lower()
    )
    assert live_id is not None
    assert ROME_POD.lower() not in live_id
    assert (
        entity_registry.async_get_entity_id(
            "sensor", DOMAIN, f"digiwatt_{ROME_POD}_last_max_power".lower()
        )
        is None
    )
    assert float(state("period_consumption")) > 0
    assert float(state("band_f1_12m")) > 0
    assert state("tariff_period") in {"f1", "f2", "f3"}
    insights = entry.runtime_data.coordinator.data.meters[ROME_POD].insights
    assert insights is not None
    assert sum(insights.appliances.values()) == pytest.approx(
        insights.total_kwh, abs=0.01
    )
    assert state("appliance_fridge_energy") != "unavailable"


@pytest.mark.freeze_time(NOW, tick=True)
async def test_options_reauth_and_removal(
    hass: HomeAssistant, digiwatt: RunningDigiwatt
) -> None:
    """Options edit the household (re-onboarding); reauth; removal deletes."""
    entry = await setup_rome(hass, digiwatt)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "digiwatt"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"live_interval": 30, "insights_period": "last-month", "edit_household": True},
    )
    assert result["step_id"] == "digiwatt_household"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**HOUSEHOLD, "adults": 3, "appliances": ["oven"]}
    )
    assert result["step_id"] == "digiwatt_appliances"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"oven": 1}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.options == {"live_interval": 30, "insights_period": "last-month"}
    assert entry.data["household"]["adults"] == 3
    assert entry.runtime_data.extras["realtime"] is not None
    assert entry.runtime_data.extras["realtime"].update_interval == timedelta(
        seconds=30
    )

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"live_interval": 60, "insights_period": "this-month", "edit_household": False},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"client_id": digiwatt.sim.client_id, "client_secret": "bad"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "client_id": digiwatt.sim.client_id,
            "client_secret": digiwatt.sim.client_secret,
        },
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done(wait_background_tasks=True)

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert ROME_FLAT not in digiwatt.sim.users


@pytest.mark.freeze_time(NOW, tick=True)
async def test_diagnostics_are_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    digiwatt: RunningDigiwatt,
) -> None:
    """No secret, POD, account number or company code in the diagnostics."""
    import json

    from pytest_homeassistant_custom_component.components.diagnostics import (
        get_diagnostics_for_config_entry,
    )

    entry = await setup_rome(hass, digiwatt)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diagnostics).lower()
    for secret in (digiwatt.sim.client_secret, ROME_POD, ROME_FLAT, COMPANY):
        assert secret.lower() not in text, secret
    assert diagnostics["state"]["windows"]


@pytest.mark.freeze_time(NOW, tick=True)
async def test_live_power_and_windows_failures(
    hass: HomeAssistant, digiwatt: RunningDigiwatt, entity_registry: er.EntityRegistry
) -> None:
    """Live power: outage → unavailable, 401 → reauth. Greenness failing keeps
    the known windows.
    """
    entry = await setup_rome(hass, digiwatt)
    live = entry.runtime_data.extras["realtime"]
    assert live is not None
    entity_id = entity_registry.async_get_entity_id(
        "sensor", DOMAIN, f"digiwatt_{ROME_POD}_live_power".lower()
    )
    assert entity_id
    digiwatt.sim.fail_next("realtime", status=503)
    await live.async_refresh()
    assert hass.states.get(entity_id).state == "unavailable"  # type: ignore[union-attr]
    await live.async_refresh()
    assert hass.states.get(entity_id).state != "unavailable"  # type: ignore[union-attr]

    windows = entry.runtime_data.coordinator.state.windows
    digiwatt.sim.fail_next("greenness", status=500)
    entry.runtime_data.coordinator.state.last_success = None
    await entry.runtime_data.coordinator.async_refresh()
    assert entry.runtime_data.coordinator.state.windows == windows  # type: ignore[attr-defined]

    digiwatt.sim.expire_tokens()
    digiwatt.sim.fail_next("token", status=401, times=5)
    await live.async_refresh()
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


@pytest.mark.freeze_time(NOW, tick=True)
@pytest.mark.parametrize(("status", "deleted"), [(404, True), (503, False)])
async def test_removal_when_the_user_is_gone_or_digiwatt_is_down(
    hass: HomeAssistant, digiwatt: RunningDigiwatt, status: int, deleted: bool
) -> None:
    """Already gone counts as deleted; an outage says the user remains."""
    from homeassistant.components import persistent_notification

    entry = await setup_rome(hass, digiwatt)
    digiwatt.sim.fail_next("delete_user", status=status)
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    shown = persistent_notification._async_get_or_create_notifications(hass)
    key = "gridmeter_user_deleted" if deleted else "gridmeter_user_not_deleted"
    assert key in shown


def _entity(entity_registry: er.EntityRegistry, platform: str, key: str) -> str:
    entity_id = entity_registry.async_get_entity_id(
        platform, DOMAIN, f"digiwatt_{ROME_POD}_{key}".lower()
    )
    assert entity_id, key
    return entity_id


@pytest.mark.freeze_time(NOW, tick=True)
async def test_a_failing_analytics_endpoint_fails_nothing_else(
    hass: HomeAssistant, digiwatt: RunningDigiwatt
) -> None:
    """Saving and trend answer 500: the run succeeds, statistics and windows
    are written, the other analytics are fresh and the failed ones keep their
    last figures; the next run asks again for them.
    """
    entry = await setup_rome(hass, digiwatt)
    sync: Any = entry.runtime_data.coordinator.state
    coordinator = entry.runtime_data.coordinator
    before = sync.insights
    assert before is not None and before.saving_kwh is not None
    digiwatt.sim.fail_next("saving", status=500)
    digiwatt.sim.fail_next("trend", status=503)
    sync.insights_at = None
    sync.last_success = None
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert sync.insights.saving_kwh == before.saving_kwh
    assert sync.insights.bands_12m_kwh == before.bands_12m_kwh
    assert sync.insights.total_kwh is not None
    assert sync.insights_at is None  # incomplete: asked again next run
    trend_calls = digiwatt.sim.count("trend")
    await coordinator.async_refresh()
    assert digiwatt.sim.count("trend") == trend_calls + 1
    assert sync.insights_at is not None


@pytest.mark.freeze_time(NOW, tick=True)
async def test_a_failed_series_keeps_green_windows_and_retries_soon(
    hass: HomeAssistant, digiwatt: RunningDigiwatt, entity_registry: er.EntityRegistry
) -> None:
    """The six-hour series failing makes the run fail (retried in 20 min),
    but the window entities stay available on the windows already known.
    """
    entry = await setup_rome(hass, digiwatt)
    coordinator = entry.runtime_data.coordinator
    digiwatt.sim.fail_next("latest", status=500)
    entry.runtime_data.coordinator.state.last_success = None
    await coordinator.async_refresh()
    assert not coordinator.last_update_success
    next_at = coordinator._next_at
    assert next_at is not None
    assert next_at - dt_util.utcnow() <= timedelta(minutes=21)
    for platform, key in (
        ("binary_sensor", "in_green_window"),
        ("calendar", "green_windows"),
        ("sensor", "next_green_window_start"),
    ):
        state = hass.states.get(_entity(entity_registry, platform, key))
        assert state is not None and state.state != "unavailable", key
    period = hass.states.get(_entity(entity_registry, "sensor", "period_consumption"))
    assert period is not None and period.state == "unavailable"


@pytest.mark.freeze_time(NOW, tick=True)
async def test_realtime_outage_at_start_does_not_block_setup(
    hass: HomeAssistant, digiwatt: RunningDigiwatt, entity_registry: er.EntityRegistry
) -> None:
    """Only the live power sensor is unavailable."""
    digiwatt.sim.fail_next("realtime", status=503)
    entry = await setup_rome(hass, digiwatt)
    assert entry.state is ConfigEntryState.LOADED
    live = hass.states.get(_entity(entity_registry, "sensor", "live_power"))
    assert live is not None and live.state == "unavailable"
    assert entry.runtime_data.coordinator.last_update_success


@pytest.mark.freeze_time(NOW, tick=True)
async def test_a_new_period_applies_at_once(
    hass: HomeAssistant, digiwatt: RunningDigiwatt
) -> None:
    """Changing the analytics period re-reads the analytics after the reload,
    not six hours later.
    """
    entry = await setup_rome(hass, digiwatt)
    insights = entry.runtime_data.coordinator.data.meters[ROME_POD].insights
    assert insights is not None and insights.period == "this-month"
    result = await hass.config_entries.options.async_init(entry.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"live_interval": 60, "insights_period": "last-month", "edit_household": False},
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    insights = entry.runtime_data.coordinator.data.meters[ROME_POD].insights
    assert insights is not None and insights.period == "last-month"


@pytest.mark.freeze_time(NOW, tick=True)
async def test_household_edit_alone_reloads_the_entry(
    hass: HomeAssistant, digiwatt: RunningDigiwatt, entity_registry: er.EntityRegistry
) -> None:
    """Same options, new appliances: the entry reloads and shows them."""
    entry = await setup_rome(hass, digiwatt)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"live_interval": 60, "insights_period": "this-month", "edit_household": True},
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**HOUSEHOLD, "appliances": ["fridge", "oven"]}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"fridge": 1, "oven": 1}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert set(entry.data["household"]["appliances"]) == {"fridge", "oven"}
    assert digiwatt.sim.users[ROME_FLAT].onboarding is not None
    assert set(digiwatt.sim.users[ROME_FLAT].appliances) == {"fridge", "oven"}
    # The analytics follow the new household at once.
    insights = entry.runtime_data.coordinator.data.meters[ROME_POD].insights
    assert insights is not None
    assert set(insights.appliances) - {"other"} == {"fridge", "oven"}


@pytest.mark.freeze_time(NOW, tick=True)
async def test_a_forgotten_user_is_registered_again(
    hass: HomeAssistant, digiwatt: RunningDigiwatt
) -> None:
    """Digiwatt lost the user (404): the sync creates and onboards it again
    from the entry, then reads the series; the run succeeds.
    """
    entry = await setup_rome(hass, digiwatt)
    del digiwatt.sim.users[ROME_FLAT]
    entry.runtime_data.coordinator.state.last_success = None
    await entry.runtime_data.coordinator.async_refresh()
    assert entry.runtime_data.coordinator.last_update_success
    user = digiwatt.sim.users[ROME_FLAT]
    assert user.onboarding is not None
    assert user.pod == ROME_POD


def test_next_run_counts_from_the_last_success() -> None:
    """Restarts do not postpone the hourly read."""
    from custom_components.gridmeter.hubs.digiwatt.coordinator import (
        DigiwattCoordinator,
    )
    from custom_components.gridmeter.hubs.digiwatt.state import DigiwattState

    coordinator = DigiwattCoordinator.__new__(DigiwattCoordinator)
    coordinator.state = DigiwattState(last_success=NOW)
    assert coordinator.next_run(NOW + timedelta(minutes=50)) == NOW + timedelta(hours=1)
    assert coordinator.next_run(NOW + timedelta(hours=3)) == NOW + timedelta(hours=3)
    coordinator.state.last_success = None
    assert coordinator.next_run(NOW) == NOW + timedelta(hours=1)


@pytest.mark.freeze_time(NOW, tick=True)
async def test_flow_refuses_more_mistakes(
    hass: HomeAssistant, digiwatt: RunningDigiwatt
) -> None:
    """Empty company code, a POD another entry has, a non-Latin province,
    credentials refused at onboarding (back to the first step), and an
    unexpected error while onboarding.
    """
    rome_entry(digiwatt).add_to_hass(hass)
    flow_id = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, credentials(digiwatt, company_code="  ")
    )
    assert result["errors"] == {"company_code": "invalid_company_code"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, credentials(digiwatt, pod=ROME_POD.lower())
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    flow_id = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, credentials(digiwatt)
    )
    assert result["step_id"] == "digiwatt_household"
    household = {**HOUSEHOLD, "appliances": []}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**household, "province": "ΡΜ"}
    )
    assert result["errors"] == {"province": "invalid_province"}
    with patch(
        "custom_components.gridmeter.providers.digiwatt.DigiwattClient.async_onboard",
        side_effect=RuntimeError,
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, household)
    assert result["errors"] == {"base": "unknown"}
    digiwatt.sim.expire_tokens()
    digiwatt.sim.fail_next("token", status=401, times=3)
    result = await hass.config_entries.flow.async_configure(flow_id, household)
    assert result["step_id"] == "digiwatt"
    assert result["errors"] == {"base": "invalid_auth"}


@pytest.mark.freeze_time(NOW, tick=True)
async def test_reauth_proves_the_account_can_be_read(
    hass: HomeAssistant, digiwatt: RunningDigiwatt
) -> None:
    """Credentials of a client that does not own the user are refused."""
    entry = await setup_rome(hass, digiwatt)
    result = await entry.start_reauth_flow(hass)
    digiwatt.sim.fail_next("realtime", status=403)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "client_id": digiwatt.sim.client_id,
            "client_secret": digiwatt.sim.client_secret,
        },
    )
    assert result["errors"] == {"base": "invalid_auth"}


async def test_weekday_hours_go_to_their_band(
    hass: HomeAssistant, digiwatt: RunningDigiwatt, freezer: FrozenDateTimeFactory
) -> None:
    """A Tuesday: every hour lands in exactly one of F1/F2/F3, the one the
    Italian calendar gives it, and the three add up to the consumption.
    """
    from custom_components.gridmeter.tariffs import ItalyF123

    freezer.move_to(datetime(2026, 11, 10, 4, 5, tzinfo=UTC))
    await setup_rome(hass, digiwatt)
    await run_hours(hass, freezer, datetime(2026, 11, 10, 20, 10, tzinfo=UTC))
    rows = await read_hours(hass, f"{STAT}_consumption")
    bands = {
        b: await read_hours(hass, f"{STAT}_consumption_{b}") for b in ("f1", "f2", "f3")
    }
    calendar = ItalyF123()
    seen = set()
    for hour, (kwh, _) in rows.items():
        expected = calendar.period_at(hour)
        seen.add(expected)
        assert bands[expected][hour][0] == pytest.approx(kwh), hour
        for other in {"f1", "f2", "f3"} - {expected}:
            assert bands[other].get(hour, (0.0, 0.0))[0] == 0.0
    assert seen == {"f1", "f2", "f3"}


@pytest.mark.freeze_time(NOW, tick=True)
async def test_reimport_reads_the_six_hours_digiwatt_keeps(
    hass: HomeAssistant, digiwatt: RunningDigiwatt
) -> None:
    """Digiwatt keeps six hours: a re-import reads them now and says so."""
    entry = await setup_rome(hass, digiwatt)
    reads = digiwatt.sim.count("latest")
    response = await hass.services.async_call(
        DOMAIN,
        "reimport",
        {"config_entry_id": entry.entry_id, "start": "2026-01-01"},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert isinstance(response, dict)
    assert response["note"] == "reimport_six_hours"
    assert response["start"] == NOW.date().isoformat()
    assert digiwatt.sim.count("latest") == reads + 1
