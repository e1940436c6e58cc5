"""Digiwatt end to end: flow, six-hour statistics, analytics, live power."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.gridmeter.const import DOMAIN
from custom_components.gridmeter.flow_digiwatt import build_household

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
            "appliances": ["heatPump", "electricVehicle"],
        },
    )
    assert result["step_id"] == "digiwatt_appliances"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"heatPump": 1, "electricVehicle": 2}
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


async def test_six_hour_series_across_dst_and_restart(
    hass: HomeAssistant, digiwatt: RunningDigiwatt, freezer: FrozenDateTimeFactory
) -> None:
    """Hourly statistics equal the simulator's truth across the Rome autumn
    DST change and a restart: nothing missed, nothing doubled.
    """
    start = datetime(2026, 10, 24, 20, 5, tzinfo=UTC)
    freezer.move_to(start)
    entry = rome_entry(digiwatt)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await run_hours(hass, freezer, datetime(2026, 10, 25, 2, 10, tzinfo=UTC))
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    end = datetime(2026, 10, 25, 9, 30, tzinfo=UTC)
    await run_hours(hass, freezer, end)

    rows = await read_hours(hass, f"{STAT}_consumption")
    truth = digiwatt.sim.truth_hourly_kwh(
        ROME_FLAT,
        datetime(2026, 10, 24, 14, tzinfo=UTC),
        datetime(2026, 10, 25, 9, tzinfo=UTC),
    )
    assert {h: round(s, 6) for h, (s, _) in rows.items()} == {
        h: round(v, 6) for h, v in truth.items()
    }
    assert_continuous(rows)
    bands = [
        await read_hours(hass, f"{STAT}_consumption_{b}") for b in ("f1", "f2", "f3")
    ]
    # A Sunday: everything is F3.
    sunday = [h for h in rows if h >= datetime(2026, 10, 24, 22, tzinfo=UTC)]
    assert all(h in bands[2] for h in sunday)
    assert sum(len(b) for b in bands) == len(rows)


@pytest.mark.freeze_time(NOW, tick=True)
async def test_entities_live_power_and_insights(
    hass: HomeAssistant,
    digiwatt: RunningDigiwatt,
    entity_registry: er.EntityRegistry,
) -> None:
    """Realtime power, analytics, per-appliance and band sensors."""
    entry = rome_entry(digiwatt)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

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
    entry = rome_entry(digiwatt)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

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
    assert entry.runtime_data.live is not None
    assert entry.runtime_data.live.update_interval == timedelta(seconds=30)

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

    entry = rome_entry(digiwatt)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diagnostics).lower()
    for secret in (digiwatt.sim.client_secret, ROME_POD, ROME_FLAT, COMPANY):
        assert secret.lower() not in text, secret
    assert diagnostics["sync"]["windows"]


@pytest.mark.freeze_time(NOW, tick=True)
async def test_live_power_and_windows_failures(
    hass: HomeAssistant, digiwatt: RunningDigiwatt, entity_registry: er.EntityRegistry
) -> None:
    """Live power: outage → unavailable, 401 → reauth. Greenness failing keeps
    the known windows.
    """
    entry = rome_entry(digiwatt)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    live = entry.runtime_data.live
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

    windows = entry.runtime_data.sync.windows  # type: ignore[attr-defined]
    digiwatt.sim.fail_next("greenness", status=500)
    entry.runtime_data.sync.last_success = None  # type: ignore[attr-defined]
    await entry.runtime_data.coordinator.async_refresh()
    assert entry.runtime_data.sync.windows == windows  # type: ignore[attr-defined]

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

    entry = rome_entry(digiwatt)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    digiwatt.sim.fail_next("delete_user", status=status)
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    shown = persistent_notification._async_get_or_create_notifications(hass)
    key = "gridmeter_user_deleted" if deleted else "gridmeter_user_not_deleted"
    assert key in shown
