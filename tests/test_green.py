"""Green windows: engine, entities flipping at boundaries, blueprint."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
import shutil

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.gridmeter.const import DOMAIN
from custom_components.gridmeter.green import (
    current_window,
    merge_windows,
    next_boundary,
    next_window,
)
from custom_components.gridmeter.providers.models import GreenWindow

from .digiwatt_sim import ROME_POD, RunningDigiwatt
from .test_digiwatt import setup_rome

NOW = datetime(2026, 11, 10, 4, 0, tzinfo=UTC)
BLUEPRINT = (
    Path(__file__).parent.parent
    / "blueprints/automation/gridmeter/run_in_green_window.yaml"
)


def window(start_h: float, end_h: float, share: float | None = 0.7) -> GreenWindow:
    return GreenWindow(
        start=NOW + timedelta(hours=start_h),
        end=NOW + timedelta(hours=end_h),
        renewable_share=share,
    )


def test_engine() -> None:
    """Merging sources, current/next window and the next boundary."""
    merged = merge_windows([window(1, 3, 0.6)], [window(2, 4, 0.8), window(6, 7, None)])
    assert merged == (window(1, 4, 0.8), window(6, 7, None))
    assert merge_windows([window(1, 2, None)], [window(1.5, 3, None)]) == (
        window(1, 3, None),
    )
    assert current_window(merged, NOW) is None
    assert current_window(merged, NOW + timedelta(hours=1)) == merged[0]
    assert current_window(merged, NOW + timedelta(hours=4)) is None  # end excluded
    assert next_window(merged, NOW) == merged[0]
    assert next_window(merged, NOW + timedelta(hours=2)) == merged[0]
    assert next_window(merged, NOW + timedelta(hours=5)) == merged[1]
    assert next_window(None, NOW) is None
    assert next_boundary(merged, NOW) == NOW + timedelta(hours=1)
    assert next_boundary(merged, NOW + timedelta(hours=1)) == NOW + timedelta(hours=4)
    assert next_boundary(merged, NOW + timedelta(hours=8)) is None
    with pytest.raises(ValueError, match="end after"):
        window(2, 1)


@pytest.fixture
def _rome(recorder_mock: None, enable_custom_integrations: None) -> None:
    """Recorder before hass, then custom integrations."""


@pytest.mark.freeze_time(NOW)
@pytest.mark.usefixtures("_rome")
async def test_entities_flip_exactly_at_boundaries(
    hass: HomeAssistant,
    digiwatt: RunningDigiwatt,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Binary sensor, calendar and sensors change at each window's edges."""
    entry = await setup_rome(hass, digiwatt)
    windows = [
        (start, end, share)
        for start, end, share in digiwatt.sim.windows()
        if start > NOW
    ]
    assert windows
    start, end, share = windows[0]

    def entity(platform: str, key: str) -> str:
        entity_id = entity_registry.async_get_entity_id(
            platform, DOMAIN, f"digiwatt_{ROME_POD}_{key}".lower()
        )
        assert entity_id, key
        return entity_id

    binary = entity("binary_sensor", "in_green_window")
    calendar = entity("calendar", "green_windows")
    next_start = entity("sensor", "next_green_window_start")
    next_end = entity("sensor", "next_green_window_end")
    renewable = entity("sensor", "renewable_share")

    def states() -> tuple[str, ...]:
        return tuple(
            hass.states.get(e).state  # type: ignore[union-attr]
            for e in (binary, calendar, renewable)
        )

    assert states() == ("off", "off", "unknown")
    assert hass.states.get(next_start).state == start.isoformat()  # type: ignore[union-attr]
    assert hass.states.get(next_end).state == end.isoformat()  # type: ignore[union-attr]

    for moment, expected in (
        (start - timedelta(seconds=1), ("off", "off", "unknown")),
        (start, ("on", "on", str(round(share * 100, 1)))),
        (end - timedelta(seconds=1), ("on", "on", str(round(share * 100, 1)))),
        (end, ("off", "off", "unknown")),
    ):
        freezer.move_to(moment)
        async_fire_time_changed(hass, moment)
        # Hourly syncs and live polls fire too: let them finish.
        await hass.async_block_till_done(wait_background_tasks=True)
        assert states() == expected, moment

    response = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": calendar, "start_date_time": NOW, "duration": {"hours": 36}},
        blocking=True,
        return_response=True,
    )
    events = response[calendar]["events"]  # type: ignore[index]
    known = entry.runtime_data.coordinator.data.meters[ROME_POD].green_windows
    assert known
    assert len(events) == len([w for w in known if w.end > NOW])
    assert all("%" in event["summary"] for event in events)


@pytest.mark.freeze_time(NOW)
@pytest.mark.usefixtures("_rome")
async def test_green_entities_come_back_with_their_supply_point(
    hass: HomeAssistant,
    digiwatt: RunningDigiwatt,
    entity_registry: er.EntityRegistry,
) -> None:
    """A supply point that goes and returns gets its green entities again."""
    entry = await setup_rome(hass, digiwatt)
    coordinator = entry.runtime_data.coordinator
    data = coordinator.data
    unique_ids = {
        platform: f"digiwatt_{ROME_POD}_{key}".lower()
        for platform, key in (
            ("binary_sensor", "in_green_window"),
            ("calendar", "green_windows"),
            ("sensor", "renewable_share"),
        )
    }

    def present() -> dict[str, bool]:
        return {
            platform: entity_registry.async_get_entity_id(platform, DOMAIN, uid)
            is not None
            for platform, uid in unique_ids.items()
        }

    assert all(present().values())
    # The provider stops listing it: its device (and entities) go.
    coordinator.async_set_updated_data(replace(data, meters={}))
    await hass.async_block_till_done()
    assert not any(present().values())
    coordinator.async_set_updated_data(data)
    await hass.async_block_till_done()
    assert present() == dict.fromkeys(unique_ids, True)


@pytest.mark.usefixtures("_rome")
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_blueprint_runs_the_dishwasher_in_the_window(hass: HomeAssistant) -> None:
    """The shipped blueprint loads, then starts the switch when the window
    opens, once a day, and a script at the deadline on a day without window.
    """
    hass.states.async_set("binary_sensor.green", "off")
    turn_on = async_mock_service(hass, "switch", "turn_on")
    await _dishwasher_automation(hass, "switch.dishwasher", deadline="22:00:00")
    assert hass.states.get("automation.dishwasher") is not None
    hass.states.async_set("binary_sensor.green", "on")
    await hass.async_block_till_done()
    assert len(turn_on) == 1
    call: ServiceCall = turn_on[0]
    assert call.data["entity_id"] == ["switch.dishwasher"]
    # A second window the same day does not start it again.
    hass.states.async_set("binary_sensor.green", "off")
    hass.states.async_set("binary_sensor.green", "on")
    await hass.async_block_till_done()
    assert len(turn_on) == 1


async def _dishwasher_automation(
    hass: HomeAssistant, target: str, **inputs: str
) -> None:
    """Install the shipped blueprint and one automation using it."""
    folder = Path(hass.config.path("blueprints/automation/gridmeter"))
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(BLUEPRINT, folder / BLUEPRINT.name)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "id": "dishwasher",
                    "alias": "Dishwasher",
                    "use_blueprint": {
                        "path": "gridmeter/run_in_green_window.yaml",
                        "input": {
                            "green_window": "binary_sensor.green",
                            "target": target,
                            **inputs,
                        },
                    },
                }
            ]
        },
    )
    await hass.async_block_till_done()


async def _at(hass: HomeAssistant, freezer: FrozenDateTimeFactory, local: str) -> None:
    """Move the clock to a local time of the frozen day and fire timers."""
    from homeassistant.util import dt as dt_util

    moment = dt_util.as_utc(
        datetime.fromisoformat(f"2026-11-10T{local}").replace(
            tzinfo=dt_util.get_default_time_zone()
        )
    )
    freezer.move_to(moment)
    async_fire_time_changed(hass, moment)
    await hass.async_block_till_done()


@pytest.mark.freeze_time("2026-11-10T03:00:00+00:00")
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_blueprint_starts_at_not_before_inside_a_window(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A window already open at "Not before" starts the switch right then;
    earlier, the window is ignored.
    """
    await hass.config.async_set_time_zone("Europe/Rome")
    hass.states.async_set("binary_sensor.green", "off")
    turn_on = async_mock_service(hass, "switch", "turn_on")
    await _dishwasher_automation(
        hass, "switch.dishwasher", earliest="09:00:00", deadline="22:00:00"
    )
    await _at(hass, freezer, "08:00:00")
    hass.states.async_set("binary_sensor.green", "on")  # opens before 09:00
    await hass.async_block_till_done()
    assert not turn_on
    await _at(hass, freezer, "09:00:00")
    assert len(turn_on) == 1
    await _at(hass, freezer, "22:00:00")  # the deadline: already ran today
    assert len(turn_on) == 1


@pytest.mark.freeze_time("2026-11-10T03:00:00+00:00")
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_blueprint_runs_a_script_at_the_deadline(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """No window all day: the script runs at the deadline, once."""
    await hass.config.async_set_time_zone("Europe/Rome")
    hass.states.async_set("binary_sensor.green", "off")
    script_on = async_mock_service(hass, "script", "turn_on")
    switch_on = async_mock_service(hass, "switch", "turn_on")
    await _dishwasher_automation(
        hass, "script.dishwasher", earliest="09:00:00", deadline="21:30:00"
    )
    await _at(hass, freezer, "09:00:00")  # no window open: nothing
    assert not script_on
    await _at(hass, freezer, "21:30:00")
    assert len(script_on) == 1
    assert script_on[0].data["entity_id"] == ["script.dishwasher"]
    assert not switch_on
    hass.states.async_set("binary_sensor.green", "on")  # a late window
    await hass.async_block_till_done()
    assert len(script_on) == 1
