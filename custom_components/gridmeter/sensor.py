"""Sensors of a supply point: energy, power, contract, freshness, status."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfApparentPower,
    UnitOfEnergy,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import (
    CoordinatorEntity,
    DataUpdateCoordinator,
)
from homeassistant.util import dt as dt_util

from .const import option_key
from .coordinator import GridMeterConfigEntry, GridMeterCoordinator
from .data import ConnectionStatus, EnergyTotals, Insights, MeterData
from .entity import GreenWindowEntity, GridMeterEntity, device_info
from .green import current_window, next_window
from .grid_systems import GridSignal
from .pricing import Plan
from .providers.digiwatt import Appliance
from .providers.models import EnergyKind, GreenWindow, LivePower
from .providers.signals import TempoColour
from .providers.tempo import tempo_day_of
from .spec import REALTIME, Capability
from .statistics import CURRENCY_EUR
from .tariffs import FranceHPHC

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class GridMeterSensorDescription(SensorEntityDescription):
    """A GridMeter sensor: how to read it and whether a meter has it."""

    value_fn: Callable[[MeterData], StateType | datetime]
    has_fn: Callable[[MeterData], bool] = lambda _: True
    available_fn: Callable[[MeterData], bool] = lambda _: True
    """False makes the sensor unavailable (its source has nothing to say)."""


def _energy(
    kind: EnergyKind, pick: Callable[[EnergyTotals], float | None]
) -> Callable[[MeterData], float | None]:
    def value(meter: MeterData) -> float | None:
        totals = meter.energy.get(kind)
        return pick(totals) if totals is not None else None

    return value


def _has(kind: EnergyKind) -> Callable[[MeterData], bool]:
    return lambda meter: kind in meter.kinds


def _can(capability: Capability) -> Callable[[MeterData], bool]:
    """Whether the supply point's hub offers `capability`."""
    return lambda meter: capability in meter.capabilities


def _energy_descriptions(
    kind: EnergyKind, *, enabled: bool = True
) -> tuple[GridMeterSensorDescription, ...]:
    # No state class on purpose: the data arrives days late, so statistics
    # Home Assistant compiled from these states would put energy at the wrong
    # hours and offer a second, wrong series in the Energy dashboard. The
    # hourly truth is the external statistics of statistics.py.
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
            has_fn=_has(kind),
        )
        for period, pick in periods
    )


def _contracted(index: int) -> Callable[[MeterData], float | None]:
    def value(meter: MeterData) -> float | None:
        powers = meter.contract.contracted_power_kw if meter.contract else ()
        return powers[index] if len(powers) > index else None

    return value


TARIFF_OPTIONS: Final = ("base", "hphc", "tempo")


def _tariff_option(meter: MeterData) -> str | None:
    """Return the contract's pricing option as an enum value (None if unknown)."""
    option = (meter.contract.tariff_option or "") if meter.contract else ""
    return option.lower() if option.lower() in TARIFF_OPTIONS else None


def _off_peak_text(meter: MeterData) -> str | None:
    """Off-peak ranges as `22:30-06:30` (several joined by commas); None for BASE."""
    calendar = meter.calendar
    if not isinstance(calendar, FranceHPHC):
        return None
    return ", ".join(
        f"{start.strftime('%H:%M')}-{end.strftime('%H:%M')}"
        for start, end in calendar.off_peak
    )


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
        suggested_display_precision=2,
        value_fn=lambda meter: meter.last_peak.kw if meter.last_peak else None,
        has_fn=_can(Capability.MAX_POWER),
    ),
    GridMeterSensorDescription(
        key="last_max_power_time",
        translation_key="last_max_power_time",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda meter: meter.last_peak.at if meter.last_peak else None,
        has_fn=_can(Capability.MAX_POWER),
    ),
    GridMeterSensorDescription(
        key="year_max_power",
        translation_key="year_max_power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        entity_registry_enabled_default=False,
        value_fn=lambda meter: meter.year_peak.kw if meter.year_peak else None,
        has_fn=_can(Capability.MAX_POWER),
    ),
    GridMeterSensorDescription(
        key="contracted_power_p1",
        translation_key="contracted_power_p1",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=_contracted(0),
        has_fn=_can(Capability.CONTRACTED_POWER),
    ),
    GridMeterSensorDescription(
        key="subscribed_power",
        translation_key="subscribed_power",
        device_class=SensorDeviceClass.APPARENT_POWER,
        native_unit_of_measurement=UnitOfApparentPower.KILO_VOLT_AMPERE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        # Enedis subscribes power in kVA.
        value_fn=_contracted(0),
        has_fn=_can(Capability.SUBSCRIBED_POWER),
    ),
    GridMeterSensorDescription(
        key="tariff_option",
        translation_key="tariff_option",
        device_class=SensorDeviceClass.ENUM,
        options=list(TARIFF_OPTIONS),
        entity_category=EntityCategory.DIAGNOSTIC,
        # Base / HP-HC / Tempo, as the C68 contract tells (translated).
        value_fn=lambda meter: _tariff_option(meter),
        has_fn=_can(Capability.TARIFF_OPTION),
    ),
    GridMeterSensorDescription(
        key="off_peak_hours",
        translation_key="off_peak_hours",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda meter: _off_peak_text(meter),
        has_fn=_can(Capability.OFF_PEAK_HOURS),
    ),
    GridMeterSensorDescription(
        key="consent_expiry",
        translation_key="consent_expiry",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda meter: meter.consent_expires,
        has_fn=_can(Capability.CONSENT),
    ),
    GridMeterSensorDescription(
        key="contracted_power_p2",
        translation_key="contracted_power_p2",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=_contracted(1),
        has_fn=_can(Capability.CONTRACTED_POWER),
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
        # Best effort: without a recent figure from the public API the
        # sensor is unavailable, never failing and never stale.
        available_fn=lambda meter: meter.area_average is not None,
        has_fn=_can(Capability.NEIGHBOUR_FIGURE),
    ),
    GridMeterSensorDescription(
        key="latest_data",
        translation_key="latest_data",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda meter: meter.latest_data,
    ),
)


def _money(
    series: str, pick: Callable[[EnergyTotals], float | None]
) -> Callable[[MeterData], float | None]:
    def value(meter: MeterData) -> float | None:
        totals = meter.money.get(series)
        return pick(totals) if totals is not None else None

    return value


def _priced(meter: MeterData) -> bool:
    return meter.priced


def _money_descriptions(
    series: str, *, enabled: bool
) -> tuple[GridMeterSensorDescription, ...]:
    # Like the energy sensors, no state class: the hourly truth is the money
    # statistics (the Energy dashboard's cost); these show the sums.
    periods: tuple[tuple[str, Callable[[EnergyTotals], float | None]], ...] = (
        ("yesterday", lambda t: t.yesterday),
        ("this_month", lambda t: t.this_month),
        ("last_month", lambda t: t.last_month),
    )
    return tuple(
        GridMeterSensorDescription(
            key=f"{series}_{period}",
            translation_key=f"{series}_{period}",
            device_class=SensorDeviceClass.MONETARY,
            native_unit_of_measurement=CURRENCY_EUR,
            suggested_display_precision=2,
            entity_registry_enabled_default=enabled,
            value_fn=_money(series, pick),
            has_fn=(
                _priced
                if series == "cost"
                else lambda meter: meter.priced and EnergyKind.RETURN in meter.kinds
            ),
        )
        for period, pick in periods
    )


MONEY_SENSORS: tuple[GridMeterSensorDescription, ...] = (
    *_money_descriptions("cost", enabled=True),
    *_money_descriptions("compensation", enabled=True),
)

ENERGY_PRICE_SENSOR = GridMeterSensorDescription(
    key="energy_price",
    translation_key="energy_price",
    native_unit_of_measurement=f"{CURRENCY_EUR}/{UnitOfEnergy.KILO_WATT_HOUR}",
    state_class=SensorStateClass.MEASUREMENT,
    suggested_display_precision=4,
    # Computed at the current instant by the entity (periods change on the
    # clock, PVPC every hour).
    value_fn=lambda meter: None,
    has_fn=_priced,
)


@dataclass(frozen=True, kw_only=True)
class TempoSensorDescription(GridMeterSensorDescription):
    """The colour of a Tempo day: today's (offset 0) or tomorrow's (1)."""

    day_offset: int


def _tempo_priced(meter: MeterData) -> bool:
    return Plan.FR_TEMPO in meter.plans


TEMPO_SENSORS: tuple[TempoSensorDescription, ...] = tuple(
    TempoSensorDescription(
        key=f"tempo_colour_{day}",
        translation_key=f"tempo_colour_{day}",
        device_class=SensorDeviceClass.ENUM,
        options=[colour.value for colour in TempoColour],
        # Read from the shared Tempo calendar by the entity, at the instant.
        value_fn=lambda meter: None,
        has_fn=_tempo_priced,
        day_offset=offset,
    )
    for offset, day in enumerate(("today", "tomorrow"))
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
    value_fn=lambda meter: (
        meter.calendar.period_at(dt_util.utcnow()) if meter.calendar else None
    ),
    has_fn=lambda meter: meter.calendar is not None,
)


def _insight(
    pick: Callable[[Insights], float | None],
) -> Callable[[MeterData], float | None]:
    return lambda meter: pick(meter.insights) if meter.insights else None


def _pct(value: float | None) -> float | None:
    return round(value * 100, 1) if value is not None else None


def _habit(part: str) -> Callable[[Insights], float | None]:
    return lambda insights: _pct(insights.habits.get(part))


def _band(band: str) -> Callable[[Insights], float | None]:
    return lambda insights: insights.bands_12m_kwh.get(band)


_has_insights = _can(Capability.APPLIANCES)


INSIGHT_SENSORS: tuple[GridMeterSensorDescription, ...] = (
    GridMeterSensorDescription(
        key="period_consumption",
        translation_key="period_consumption",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        value_fn=_insight(lambda i: i.total_kwh),
        has_fn=_has_insights,
    ),
    GridMeterSensorDescription(
        key="period_change",
        translation_key="period_change",
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=_insight(lambda i: _pct(i.change_ratio)),
        has_fn=_has_insights,
    ),
    GridMeterSensorDescription(
        key="similar_homes_min",
        translation_key="similar_homes_min",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        value_fn=_insight(lambda i: i.similar_min_kwh),
        has_fn=_has_insights,
    ),
    GridMeterSensorDescription(
        key="similar_homes_max",
        translation_key="similar_homes_max",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        value_fn=_insight(lambda i: i.similar_max_kwh),
        has_fn=_has_insights,
    ),
    GridMeterSensorDescription(
        key="similar_homes_you",
        translation_key="similar_homes_you",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        value_fn=_insight(lambda i: i.you_kwh),
        has_fn=_has_insights,
    ),
    *(
        GridMeterSensorDescription(
            key=f"habit_{part}",
            translation_key=f"habit_{part}",
            native_unit_of_measurement=PERCENTAGE,
            suggested_display_precision=0,
            entity_registry_enabled_default=False,
            value_fn=_insight(_habit(part)),
            has_fn=_has_insights,
        )
        for part in ("night", "morning", "afternoon", "evening")
    ),
    GridMeterSensorDescription(
        key="saving_30d_energy",
        translation_key="saving_30d_energy",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        value_fn=_insight(lambda i: i.saving_kwh),
        has_fn=_has_insights,
    ),
    GridMeterSensorDescription(
        key="saving_30d_cost",
        translation_key="saving_30d_cost",
        device_class=SensorDeviceClass.MONETARY,
        native_unit_of_measurement="EUR",
        suggested_display_precision=2,
        value_fn=_insight(lambda i: i.saving_euro),
        has_fn=_has_insights,
    ),
    GridMeterSensorDescription(
        key="energy_30d",
        translation_key="energy_30d",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        entity_registry_enabled_default=False,
        value_fn=_insight(lambda i: i.energy_30d_kwh),
        has_fn=_has_insights,
    ),
    GridMeterSensorDescription(
        key="cost_30d",
        translation_key="cost_30d",
        device_class=SensorDeviceClass.MONETARY,
        native_unit_of_measurement="EUR",
        suggested_display_precision=2,
        entity_registry_enabled_default=False,
        value_fn=_insight(lambda i: i.cost_30d_euro),
        has_fn=_has_insights,
    ),
    *(
        GridMeterSensorDescription(
            key=f"band_{band}_12m",
            translation_key=f"band_{band}_12m",
            device_class=SensorDeviceClass.ENERGY,
            native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
            suggested_display_precision=0,
            value_fn=_insight(_band(band)),
            has_fn=_has_insights,
        )
        for band in ("f1", "f2", "f3")
    ),
)


def appliance_descriptions(name: str) -> tuple[GridMeterSensorDescription, ...]:
    """Energy and share of one appliance over the chosen period."""
    # Translation keys are snake case; the entity key (and so the unique id)
    # keeps Digiwatt's name as released.
    known = option_key(name) if name in APPLIANCE_KEYS else "other"
    return (
        GridMeterSensorDescription(
            key=f"appliance_{name}_energy",
            translation_key=f"appliance_{known}_energy",
            device_class=SensorDeviceClass.ENERGY,
            native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
            suggested_display_precision=2,
            value_fn=_insight(lambda i: i.appliances.get(name)),
        ),
        GridMeterSensorDescription(
            key=f"appliance_{name}_share",
            translation_key=f"appliance_{known}_share",
            native_unit_of_measurement=PERCENTAGE,
            suggested_display_precision=0,
            entity_registry_enabled_default=False,
            value_fn=_insight(lambda i: _pct(i.appliance_shares.get(name))),
        ),
    )


APPLIANCE_KEYS = frozenset(a.value for a in Appliance)

LIVE_POWER = SensorEntityDescription(
    key="live_power",
    translation_key="live_power",
    device_class=SensorDeviceClass.POWER,
    state_class=SensorStateClass.MEASUREMENT,
    native_unit_of_measurement=UnitOfPower.WATT,
    suggested_display_precision=0,
)


@dataclass(frozen=True, kw_only=True)
class GreenWindowSensorDescription(SensorEntityDescription):
    """A sensor computed from the green windows at the current instant.

    A supply that follows its national grid (`MeterData.grid`) is read by
    `grid_fn` when the description has one (a value every hour); `basis_fn`
    says what the value rests on (measured, forecast, estimate).
    """

    window_fn: Callable[[tuple[GreenWindow, ...], datetime], StateType | datetime]
    grid_fn: Callable[[GridSignal, datetime], StateType] | None = None
    basis_fn: Callable[[MeterData, datetime], str | None] = lambda m, now: None
    has_fn: Callable[[MeterData], bool] = lambda meter: True


def _share(windows: tuple[GreenWindow, ...], now: datetime) -> float | None:
    window = current_window(windows, now)
    if window is None or window.renewable_share is None:
        return None
    return round(window.renewable_share * 100, 1)


def _grid_share(grid: GridSignal, now: datetime) -> float | None:
    share = grid.shares.share_at(now)
    return round(share.share * 100, 1) if share is not None else None


def _share_basis(meter: MeterData, now: datetime) -> str | None:
    if meter.grid is not None:
        share = meter.grid.shares.share_at(now)
        return share.basis.value if share is not None else None
    window = current_window(meter.green_windows, now)
    return window.basis if window is not None else None


def _next_basis(meter: MeterData, now: datetime) -> str | None:
    window = next_window(meter.green_windows, now)
    return window.basis if window is not None else None


CARBON_INTENSITY: Final = "gCO2eq/kWh"
"""Grams of CO2 per kWh produced (the unit Home Assistant's CO2 sensors use)."""

GREEN_SENSORS: tuple[GreenWindowSensorDescription, ...] = (
    GreenWindowSensorDescription(
        key="next_green_window_start",
        translation_key="next_green_window_start",
        device_class=SensorDeviceClass.TIMESTAMP,
        window_fn=lambda w, now: (win.start if (win := next_window(w, now)) else None),
        basis_fn=_next_basis,
    ),
    GreenWindowSensorDescription(
        key="next_green_window_end",
        translation_key="next_green_window_end",
        device_class=SensorDeviceClass.TIMESTAMP,
        window_fn=lambda w, now: (win.end if (win := next_window(w, now)) else None),
        basis_fn=_next_basis,
    ),
    GreenWindowSensorDescription(
        key="renewable_share",
        translation_key="renewable_share",
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        window_fn=_share,
        grid_fn=_grid_share,
        basis_fn=_share_basis,
    ),
    GreenWindowSensorDescription(
        key="carbon_intensity",
        translation_key="carbon_intensity",
        native_unit_of_measurement=CARBON_INTENSITY,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        window_fn=lambda w, now: None,
        grid_fn=lambda grid, now: grid.shares.carbon_now(now),
        has_fn=lambda meter: meter.grid is not None and meter.grid.has_carbon,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: GridMeterConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add sensors for every supply point, and for new ones as they appear."""
    coordinator = entry.runtime_data.coordinator
    # A hub with realtime load runs it as an extra coordinator (LivePower).
    live: DataUpdateCoordinator[LivePower] | None = entry.runtime_data.extras.get(
        REALTIME
    )
    known: set[tuple[str, str]] = set()

    @callback
    def _add_new_entities() -> None:
        """Add entities of new supply points and of newly seen registers.

        A solar installation's return appears once its first value does.
        """
        entities: list[SensorEntity] = []
        for meter_id, meter in coordinator.data.meters.items():
            for description, entity_class in _descriptions():
                if (meter_id, description.key) in known or not description.has_fn(
                    meter
                ):
                    continue
                known.add((meter_id, description.key))
                entities.append(entity_class(coordinator, meter_id, description))
            if meter.insights is not None:
                for appliance in meter.insights.appliances:
                    for described in appliance_descriptions(appliance):
                        if (meter_id, described.key) not in known:
                            known.add((meter_id, described.key))
                            entities.append(
                                GridMeterSensor(coordinator, meter_id, described)
                            )
            if (
                live is not None
                and Capability.REALTIME in meter.capabilities
                and (meter_id, LIVE_POWER.key) not in known
            ):
                known.add((meter_id, LIVE_POWER.key))
                entities.append(LivePowerSensor(live, coordinator, meter_id))
            if meter.green_windows is not None:
                for green in GREEN_SENSORS:
                    if (meter_id, green.key) not in known and green.has_fn(meter):
                        known.add((meter_id, green.key))
                        entities.append(GreenWindowSensor(coordinator, meter_id, green))
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
    for description in (*SENSORS, *INSIGHT_SENSORS):
        yield description, GridMeterSensor
    yield STATUS_SENSOR, GridMeterStatusSensor
    yield TARIFF_PERIOD_SENSOR, GridMeterTariffPeriodSensor
    for description in MONEY_SENSORS:
        yield description, GridMeterSensor
    yield ENERGY_PRICE_SENSOR, GridMeterEnergyPriceSensor
    for tempo in TEMPO_SENSORS:
        yield tempo, GridMeterTempoSensor


class GridMeterSensor(GridMeterEntity, SensorEntity):
    """A sensor reading one value of a supply point."""

    entity_description: GridMeterSensorDescription

    def __init__(
        self,
        coordinator: GridMeterCoordinator[Any],
        meter_id: str,
        description: GridMeterSensorDescription,
    ) -> None:
        """Attach the description (typed for value_fn)."""
        super().__init__(coordinator, meter_id, description)

    @property
    @override
    def available(self) -> bool:
        """Unavailable also when the description says its source is silent."""
        meter = self.meter
        return (
            super().available
            and meter is not None
            and self.entity_description.available_fn(meter)
        )

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


class ClockedSensor(GridMeterSensor):
    """A sensor whose value follows the clock, not only data updates.

    Its state is written again at each of `tick_minutes` past every hour
    (tariff periods, PVPC hours, the 06:00 Tempo turn change on the clock).
    """

    tick_minutes: tuple[int, ...] = (0, 15, 30, 45)

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the clock."""
        await super().async_added_to_hass()

        @callback
        def _tick(_now: datetime) -> None:
            self.async_write_ha_state()

        self.async_on_remove(
            async_track_time_change(
                self.hass, _tick, minute=self.tick_minutes, second=0
            )
        )


class GridMeterTariffPeriodSensor(ClockedSensor):
    """The tariff period now: recomputed on the clock, not on data updates."""

    def __init__(
        self,
        coordinator: GridMeterCoordinator[Any],
        meter_id: str,
        description: GridMeterSensorDescription,
    ) -> None:
        """Offer the periods of this supply's calendar as the enum's options."""
        super().__init__(coordinator, meter_id, description)
        calendar = coordinator.data.meters[meter_id].calendar
        self._attr_options = list(calendar.periods) if calendar else []

    @property
    @override
    def available(self) -> bool:
        """A calendar needs no provider: available while the meter exists."""
        return self.meter is not None


class GridMeterEnergyPriceSensor(ClockedSensor):
    """The energy price in force now (€/kWh, taxes included).

    Usable as the Energy dashboard's price for a power sensor (realtime load ×
    price). Re-evaluated on the quarter hour: tariff periods and PVPC hours
    change on the clock, not on data updates.
    """

    @property
    @override
    def native_value(self) -> float | None:
        """The price now, from the supply's price book (and PVPC, Tempo)."""
        meter = self.meter
        if meter is None:
            return None
        coordinator = self.coordinator
        supply = coordinator.cost_supply(meter.point, meter.calendar, meter.kinds)
        if supply is None:
            return None
        return coordinator.costs.current_price(
            meter.point.meter_id, supply.tariff, dt_util.utcnow()
        )


class GridMeterTempoSensor(ClockedSensor):
    """The colour of today's or tomorrow's Tempo day (06:00 → 06:00 Paris).

    Read from the shared Tempo calendar; unknown until RTE publishes it. The
    day turns at 06:00 Paris time, on the hour: re-evaluated every hour and
    whenever the calendar learns a colour.
    """

    entity_description: TempoSensorDescription
    tick_minutes = (0,)

    @property
    @override
    def native_value(self) -> str | None:
        """The colour, None while it is not published."""
        if self.meter is None:
            return None
        day = tempo_day_of(dt_util.utcnow()) + timedelta(
            days=self.entity_description.day_offset
        )
        colour = self.coordinator.costs.tempo.get(day)
        return colour.value if colour is not None else None


class GreenWindowSensor(GreenWindowEntity, SensorEntity):
    """Next window start/end and the renewable share now; flip at boundaries."""

    entity_description: GreenWindowSensorDescription

    @property
    @override
    def native_value(self) -> StateType | datetime:
        """Evaluate the description at the current instant."""
        now = dt_util.utcnow()
        meter = self.meter
        grid_fn = self.entity_description.grid_fn
        if grid_fn is not None and meter is not None and meter.grid is not None:
            return grid_fn(meter.grid, now)
        return self.entity_description.window_fn(self.windows, now)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """What the value rests on: measured, forecast or estimate."""
        meter = self.meter
        if meter is None:
            return None
        basis = self.entity_description.basis_fn(meter, dt_util.utcnow())
        return {"basis": basis} if basis is not None else None


class LivePowerSensor(
    CoordinatorEntity[DataUpdateCoordinator[LivePower]], SensorEntity
):
    """The load right now (W): usable as the Energy dashboard's grid power."""

    _attr_has_entity_name = True
    entity_description = LIVE_POWER

    def __init__(
        self,
        live: DataUpdateCoordinator[LivePower],
        coordinator: GridMeterCoordinator[Any],
        meter_id: str,
    ) -> None:
        """Attach to the supply point's device; read the realtime coordinator."""
        super().__init__(live)
        meter = coordinator.data.meters[meter_id]
        self._attr_unique_id = (
            f"{meter.point.provider}_{meter.point.meter_id}_{LIVE_POWER.key}".lower()
        )
        self._attr_device_info = device_info(meter, coordinator.spec.name)

    @property
    @override
    def native_value(self) -> float:
        """Watts now."""
        return self.coordinator.data.watts
