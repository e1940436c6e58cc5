"""Base entity: one device per supply point (the "house")."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import GridMeterCoordinator
from .data import MeterData
from .providers.models import MeterPoint

MANUFACTURERS = {
    "datadis": "Datadis",
    "switchgrid": "Enedis (Switchgrid)",
    "digiwatt": "Digiwatt",
}


def device_identifier(point: MeterPoint) -> tuple[str, str]:
    """Return the device-registry identifier of a supply point."""
    return (DOMAIN, f"{point.provider}_{point.meter_id}".lower())


def device_info(meter: MeterData) -> DeviceInfo:
    """Describe the house: address, postal code, municipality, distributor, tariff."""
    point = meter.point
    place = " ".join(part for part in (point.postal_code, point.municipality) if part)
    name = ", ".join(part for part in (point.address, place) if part)
    contract = meter.contract
    return DeviceInfo(
        identifiers={device_identifier(point)},
        name=name or point.meter_id,
        manufacturer=point.distributor or MANUFACTURERS.get(point.provider),
        model=(contract.tariff_code or contract.tariff_name) if contract else None,
        model_id=str(point.point_type) if point.point_type is not None else None,
        serial_number=point.meter_id,
    )


class GridMeterEntity(CoordinatorEntity[GridMeterCoordinator]):
    """An entity of one supply point, fed by the coordinator."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: GridMeterCoordinator,
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
        self._attr_device_info = device_info(meter)

    @property
    def meter(self) -> MeterData | None:
        """Return this supply point's current data (None once it is gone)."""
        return self.coordinator.data.meters.get(self.meter_id)

    @property
    def available(self) -> bool:
        """Unavailable when the sync failed or the supply point disappeared."""
        return super().available and self.meter is not None
