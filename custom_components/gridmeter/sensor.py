"""Sensors of a supply point: energy, power, contract, freshness, status."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import EntityCategory, UnitOfEnergy, UnitOfPower
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .const import PROVIDER_DATADIS
from .coordinator import GridMeterConfigEntry, GridMeterCoordinator
from .data import ConnectionStatus, EnergyTotals, MeterData
from .entity import GridMeterEntity
from .providers.models import EnergyKind
from .tariffs import spain_20td_for

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class GridMeterSensorDescription(SensorEntityDescription):
    """A GridMeter sensor: how to read it and whether a meter has it."""

    value_fn: Callable[[MeterData], StateType | datetime]
    exists_fn: Callable[[MeterData], bool] = lambda _: True


def _energy(
    kind: EnergyKind, pick: Callable[[EnergyTotals], float | None]
) -> Callable[[MeterData], float | None]:
    def value(meter: MeterData) -> float | None:
        totals = meter.energy.get(kind)
        return pick(totals) if totals is not None else None

    return value


def _has(kind: EnergyKind) -> Callable[[MeterData], bool]:
    return lambda meter: kind in meter.kinds


def _energy_descriptions(
    kind: EnergyKind, *, enabled: bool = True
) -> tuple[GridMeterSensorDescription, ...]:
    periods: tuple[tuple[str, Callable[[EnergyTotals], float | None]], ...] = (
        ("latest_day", lambda t: t.latest_day),
        ("yesterday", lambda t: t.yesterday),
        ("this_month", lambda t: t.this_month),
        ("last_month", lambda t: t.last_month),
    )
    return tuple(
        GridMeterSensorDescription(
            key=f"{kind.value}_{period}",
            translation_key=f"{kind.value}_{period}",
            device_class=SensorDeviceClass.ENERGY,
            native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
            suggested_display_precision=2,
            entity_registry_enabled_default=enabled,
            value_fn=_energy(kind, pick),
            exists_fn=_has(kind),
        )
        for period, pick in periods
    )


def _contracted(index: int) -> Callable[[MeterData], float | None]:
    def value(meter: MeterData) -> float | None:
        powers = meter.contract.contracted_power_kw if meter.contract else ()
        return powers[index] if len(powers) > index else None

    return value


SENSORS: tuple[GridMeterSensorDescription, ...] = (
    *_energy_descriptions(EnergyKind.CONSUMPTION),
    *_energy_descriptions(EnergyKind.RETURN),
    *_energy_descriptions(EnergyKind.GENERATION, enabled=False),
    *_energy_descriptions(EnergyKind.SELF_CONSUMPTION, enabled=False),
    GridMeterSensorDescription(
        key="last_max_power",
        translation_key="last_max_power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=3,
        value_fn=lambda meter: meter.last_peak.kw if meter.last_peak else None,
    ),
    GridMeterSensorDescription(
        key="last_max_power_time",
        translation_key="last_max_power_time",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda meter: meter.last_peak.at if meter.last_peak else None,
    ),
    GridMeterSensorDescription(
        key="year_max_power",
        translation_key="year_max_power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=3,
        entity_registry_enabled_default=False,
        value_fn=lambda meter: meter.year_peak.kw if meter.year_peak else None,
    ),
    GridMeterSensorDescription(
        key="contracted_power_p1",
        translation_key="contracted_power_p1",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        value_fn=_contracted(0),
    ),
    GridMeterSensorDescription(
        key="contracted_power_p2",
        translation_key="contracted_power_p2",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        value_fn=_contracted(1),
        exists_fn=lambda meter: meter.point.provider == PROVIDER_DATADIS,
    ),
    GridMeterSensorDescription(
        key="area_average_consumption",
        translation_key="area_average_consumption",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda meter: (
            meter.area_average.average_kwh if meter.area_average else None
        ),
        exists_fn=lambda meter: meter.point.provider == PROVIDER_DATADIS,
    ),
    GridMeterSensorDescription(
        key="latest_data",
        translation_key="latest_data",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda meter: meter.latest_data,
    ),
)

STATUS_SENSOR = GridMeterSensorDescription(
    key="connection_status",
    translation_key="connection_status",
    device_class=SensorDeviceClass.ENUM,
    options=[status.value for status in ConnectionStatus],
    entity_category=EntityCategory.DIAGNOSTIC,
    value_fn=lambda meter: meter.status.value,
)

TARIFF_PERIOD_SENSOR = GridMeterSensorDescription(
    key="tariff_period",
    translation_key="tariff_period",
    device_class=SensorDeviceClass.ENUM,
    options=["p1", "p2", "p3"],
    value_fn=lambda meter: spain_20td_for(
        meter.point.region_code, meter.point.timezone
    ).period_at(dt_util.utcnow()),
    exists_fn=lambda meter: meter.point.provider == PROVIDER_DATADIS,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: GridMeterConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add sensors for every supply point, and for new ones as they appear."""
    coordinator = entry.runtime_data.coordinator
    known: set[tuple[str, str]] = set()

    @callback
    def _add_new_entities() -> None:
        """Add entities of new supply points and of newly seen registers.

        A solar installation's return appears once its first value does.
        """
        entities: list[GridMeterSensor] = []
        for meter_id, meter in coordinator.data.meters.items():
            for description, entity_class in _descriptions():
                if (meter_id, description.key) in known or not description.exists_fn(
                    meter
                ):
                    continue
                known.add((meter_id, description.key))
                entities.append(entity_class(coordinator, meter_id, description))
        # Forget removed meters so that they come back if they reappear.
        for gone in [k for k in known if k[0] not in coordinator.data.meters]:
            known.discard(gone)
        if entities:
            async_add_entities(entities)

    _add_new_entities()
    entry.async_on_unload(coordinator.async_add_listener(_add_new_entities))


def _descriptions() -> Iterator[
    tuple[GridMeterSensorDescription, type[GridMeterSensor]]
]:
    """Every sensor description with the entity class that shows it."""
    for description in SENSORS:
        yield description, GridMeterSensor
    yield STATUS_SENSOR, GridMeterStatusSensor
    yield TARIFF_PERIOD_SENSOR, GridMeterTariffPeriodSensor


class GridMeterSensor(GridMeterEntity, SensorEntity):
    """A sensor reading one value of a supply point."""

    entity_description: GridMeterSensorDescription

    def __init__(
        self,
        coordinator: GridMeterCoordinator,
        meter_id: str,
        description: GridMeterSensorDescription,
    ) -> None:
        """Attach the description (typed for value_fn)."""
        super().__init__(coordinator, meter_id, description)

    @property
    @override
    def native_value(self) -> StateType | datetime:
        """Read the value through the description."""
        meter = self.meter
        return self.entity_description.value_fn(meter) if meter else None


class GridMeterStatusSensor(GridMeterSensor):
    """Connection status: stays available to say when the provider is not."""

    @property
    @override
    def available(self) -> bool:
        """Available whenever the supply point is known."""
        return self.meter is not None

    @property
    @override
    def native_value(self) -> str | None:
        """Disconnected while the provider cannot be reached."""
        meter = self.meter
        if meter is None:
            return None
        if not self.coordinator.last_update_success:
            return ConnectionStatus.DISCONNECTED.value
        return meter.status.value


class GridMeterTariffPeriodSensor(GridMeterSensor):
    """The tariff period now: recomputed on the clock, not on data updates."""

    @override
    async def async_added_to_hass(self) -> None:
        """Re-evaluate on every quarter hour (period edges are on the hour)."""
        await super().async_added_to_hass()

        @callback
        def _tick(_now: datetime) -> None:
            self.async_write_ha_state()

        self.async_on_remove(
            async_track_time_change(self.hass, _tick, minute=(0, 15, 30, 45), second=0)
        )

    @property
    @override
    def available(self) -> bool:
        """A calendar needs no provider: available while the meter exists."""
        return self.meter is not None
