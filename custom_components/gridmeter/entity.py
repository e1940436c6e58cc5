"""Base entity: one device per supply point (the "house")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .coordinator import GridMeterConfigEntry, GridMeterCoordinator
from .data import MeterData
from .green import next_boundary
from .providers.models import GreenWindow, MeterPoint


def device_identifier(point: MeterPoint) -> tuple[str, str]:
    """Return the device-registry identifier of a supply point."""
    return (DOMAIN, f"{point.provider}_{point.meter_id}".lower())


def device_info(meter: MeterData, hub: str) -> DeviceInfo:
    """Describe the house: address, postal code, municipality, distributor, tariff.

    A house the hub gives no address for is named "Home" (translated, with
    its province): never after its meter identifier. `hub` is the hub's
    name, the manufacturer when the distributor is unknown.
    """
    point = meter.point
    place = " ".join(part for part in (point.postal_code, point.municipality) if part)
    name = ", ".join(part for part in (point.address, place) if part)
    info = DeviceInfo(
        identifiers={device_identifier(point)},
        manufacturer=point.distributor or hub,
        model=meter.model,
        serial_number=point.meter_id,
    )
    if name:
        info["name"] = name
    else:
        info["translation_key"] = "home"
        info["translation_placeholders"] = {
            "place": point.municipality or point.province or point.region_code or "-"
        }
    return info


@callback
def async_add_green_window_entities(
    entry: GridMeterConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    create: Callable[[GridMeterCoordinator[Any], str], Entity],
) -> None:
    """Add `create`'s entity to every supply point with a green-window source.

    Supply points that appear later get theirs on the next update; one that
    disappears and comes back gets it again (its device went with it).
    """
    coordinator = entry.runtime_data.coordinator
    known: set[str] = set()

    @callback
    def _add_new() -> None:
        meters = coordinator.data.meters
        known.intersection_update(meters)
        new = [
            meter_id
            for meter_id, meter in meters.items()
            if meter.green_windows is not None and meter_id not in known
        ]
        known.update(new)
        if new:
            async_add_entities(create(coordinator, meter_id) for meter_id in new)

    _add_new()
    entry.async_on_unload(coordinator.async_add_listener(_add_new))


class GridMeterEntity(CoordinatorEntity[GridMeterCoordinator[Any]]):
    """An entity of one supply point, fed by the coordinator."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: GridMeterCoordinator[Any],
        meter_id: str,
        description: EntityDescription,
    ) -> None:
        """Attach the entity to its supply point's device."""
        super().__init__(coordinator)
        self.entity_description = description
        self.meter_id = meter_id
        meter = coordinator.data.meters[meter_id]
        self._attr_unique_id = (
            f"{meter.point.provider}_{meter.point.meter_id}_{description.key}".lower()
        )
        self._attr_device_info = device_info(meter, coordinator.spec.name)

    @property
    def meter(self) -> MeterData | None:
        """Return this supply point's current data (None once it is gone)."""
        return self.coordinator.data.meters.get(self.meter_id)

    @property
    def available(self) -> bool:
        """Unavailable when the sync failed or the supply point disappeared."""
        return super().available and self.meter is not None


class GreenWindowEntity(GridMeterEntity):
    """An entity whose state changes at green-window boundaries.

    It re-arms one timer for the next window start or end, so its state
    flips exactly there, without polling and without waiting for data.
    """

    _unsub_boundary: CALLBACK_TYPE | None = None

    @property
    def available(self) -> bool:
        """Available while the supply is known, even after a failed sync.

        Windows are forecasts with fixed boundaries: the last ones read stay
        true, so an automation waiting for the next window keeps it.
        """
        return self.meter is not None

    @property
    def windows(self) -> tuple[GreenWindow, ...]:
        """The supply's green windows (empty when none)."""
        meter = self.meter
        return (meter.green_windows or ()) if meter else ()

    async def async_added_to_hass(self) -> None:
        """Start following the window boundaries."""
        await super().async_added_to_hass()
        self._async_arm_boundary()
        self.async_on_remove(self._async_cancel_boundary)

    @callback
    def _handle_coordinator_update(self) -> None:
        """Re-arm the boundary timer for new windows, then write the state."""
        self._async_arm_boundary()
        super()._handle_coordinator_update()

    @callback
    def _async_cancel_boundary(self) -> None:
        if self._unsub_boundary is not None:
            self._unsub_boundary()
            self._unsub_boundary = None

    @callback
    def _async_arm_boundary(self) -> None:
        self._async_cancel_boundary()
        if (when := next_boundary(self.windows, dt_util.utcnow())) is not None:
            self._unsub_boundary = async_track_point_in_utc_time(
                self.hass, self._async_at_boundary, when
            )

    @callback
    def _async_at_boundary(self, _now: datetime) -> None:
        self._unsub_boundary = None
        self.async_write_ha_state()
        self._async_arm_boundary()
