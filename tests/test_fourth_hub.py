"""A fourth hub is one spec: nothing outside it is edited.

The spec below is registered for the test only; set-up, the config flow's
menu, sensors chosen by capability, statistics, diagnostics and removal work
for it through the same code as for the three real hubs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, override

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.gridmeter.const import DOMAIN
from custom_components.gridmeter.coordinator import (
    GridMeterConfigEntry,
    GridMeterCoordinator,
    RunResult,
)
from custom_components.gridmeter.data import GridMeterData
from custom_components.gridmeter.flow_helpers import HubConfigFlow
from custom_components.gridmeter.hubs import SPECS
from custom_components.gridmeter.providers.models import (
    EnergyKind,
    EnergyReading,
    MeterPoint,
    PowerPeak,
)
from custom_components.gridmeter.spec import Capability, ProviderSpec, Withdrawal
from custom_components.gridmeter.statistics import async_import_energy
from custom_components.gridmeter.storage import StateSchema
from custom_components.gridmeter.totals import meter_status

from .conftest import NOW
from .stats_helpers import assert_continuous, read_hours

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations"),
]

HOUR = timedelta(hours=1)
POINT = MeterPoint(
    provider="fakehub",
    meter_id="PT0002000012345678",
    timezone="Europe/Lisbon",
    address="Rua Augusta 1",
    postal_code="1100-048",
    municipality="Lisboa",
)
YESTERDAY = datetime(2026, 11, 9, 0, tzinfo=NOW.tzinfo)
"""Lisbon's midnight is UTC's in November."""


@dataclass(slots=True, kw_only=True)
class FakeState:
    """What the fake hub remembers."""

    runs: int = 0
    last_success: datetime | None = None
    secret_note: str = "s3cret"


class FakeCoordinator(GridMeterCoordinator[FakeState]):
    """Imports yesterday's 24 hours at 0.5 kWh each; one monthly peak."""

    schema = StateSchema(model=FakeState, version=1)

    @override
    async def _async_run(self, *, initial: bool) -> RunResult:
        now = self._now
        if not initial:
            readings = [
                EnergyReading(
                    start=YESTERDAY + i * HOUR,
                    duration=HOUR,
                    kind=EnergyKind.CONSUMPTION,
                    kwh=0.5,
                )
                for i in range(24)
            ]
            report = await async_import_energy(self.hass, POINT, readings, None)
            await self.async_note_written(
                POINT,
                report,
                calendar=None,
                kinds=frozenset({EnergyKind.CONSUMPTION}),
            )
            self.state.runs += 1
            self.state.last_success = now
        meter = await self.async_meter_energy(
            POINT, frozenset({EnergyKind.CONSUMPTION}), now
        )
        meter.status = meter_status(meter.latest_data, now)
        meter.last_peak = PowerPeak(at=YESTERDAY + 19 * HOUR, kw=4.2)
        return RunResult(
            data=GridMeterData(
                meters={POINT.meter_id: meter},
                account_status=meter.status,
                last_sync=self.state.last_success,
            )
        )

    @override
    def next_run(self, now: datetime) -> datetime:
        return now + timedelta(days=1)

    @override
    def is_due(self, now: datetime) -> bool:
        return self.state.last_success is None

    @override
    def meter_choices(self) -> dict[str, str]:
        return {POINT.meter_id: POINT.address or POINT.meter_id}

    @override
    def included_ids(self) -> list[str]:
        return [POINT.meter_id]

    @override
    def diagnostics(self) -> dict[str, Any]:
        return {"runs": self.state.runs, "secret_note": self.state.secret_note}


class FakeConfigFlow(HubConfigFlow):
    """One step: an API key."""

    async def async_step_fakehub(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        if user_input is None:
            return self.flow.async_show_form(
                step_id="fakehub",
                data_schema=vol.Schema({vol.Required("api_key"): str}),
            )
        await self.flow.async_set_unique_id("fake-account")
        return self.flow.async_create_entry(
            title="Fake hub", data={"provider": "fakehub", **user_input}
        )


WITHDRAWN: list[str] = []


async def _withdraw(hass: HomeAssistant, entry: GridMeterConfigEntry) -> bool:
    WITHDRAWN.append(entry.entry_id)
    return True


FAKE = ProviderSpec(
    key="fakehub",
    name="Fake hub",
    capabilities=frozenset({Capability.MAX_POWER}),
    coordinator=FakeCoordinator,
    config_flow=FakeConfigFlow,
    withdrawal=Withdrawal(
        run=_withdraw, done="user_deleted", failed="user_not_deleted"
    ),
    redact=frozenset({"api_key", "secret_note"}),
)


@pytest.fixture(autouse=True)
def _fourth_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SPECS, FAKE.key, FAKE)
    WITHDRAWN.clear()


def _state(hass: HomeAssistant, key: str) -> str | None:
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"fakehub_{POINT.meter_id}_{key}".lower()
    )
    if entity_id is None:
        return None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_a_fourth_hub_is_one_spec(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Menu, set-up, sensors by capability, statistics, diagnostics, removal."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert "fakehub" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "fakehub"}
    )
    assert result["step_id"] == "fakehub"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": "k-123"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.coordinator
    assert isinstance(coordinator, FakeCoordinator)
    assert coordinator.state.runs == 1
    assert coordinator.next_at is not None

    # Statistics through the one writer; sensors from the hours in memory.
    rows = await read_hours(hass, "gridmeter:fakehub_pt0002000012345678_consumption")
    assert len(rows) == 24
    assert_continuous(rows)
    assert float(_state(hass, "consumption_yesterday") or "nan") == pytest.approx(12)
    # Capabilities choose the sensors: peaks yes, contract or neighbours no.
    assert float(_state(hass, "last_max_power") or "nan") == pytest.approx(4.2)
    assert _state(hass, "contracted_power_p1") is None
    assert _state(hass, "subscribed_power") is None
    assert _state(hass, "area_average_consumption") is None
    assert _state(hass, "period_consumption") is None
    assert _state(hass, "live_power") is None
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"fakehub_{POINT.meter_id}".lower()), entry.entry_id
    )
    assert device is not None
    assert device.manufacturer == "Fake hub"
    assert device.name == "Rua Augusta 1, 1100-048 Lisboa"

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["entry"]["data"]["api_key"] == "**REDACTED**"
    assert diagnostics["state"]["secret_note"] == "**REDACTED**"
    assert diagnostics["state"]["runs"] == 1
    assert "PT0002000012345678" not in str(diagnostics)

    # Removal withdraws what the hub keeps, through its spec.
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert [entry.entry_id] == WITHDRAWN
