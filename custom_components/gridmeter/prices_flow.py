"""The prices of a supply: one config subentry per dated price set.

A subentry holds one price set of one supply point: its plan, the date from
which it applies, its energy prices by period, taxes, compensation and
power terms. Prices that change get a new subentry from the new date; hours
before it keep the older set's prices. Every field is checked by the price
engine (`pricing`) before anything is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntryState,
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.helpers.selector import (
    DateSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
from homeassistant.util import dt as dt_util

from .coordinator import GridMeterConfigEntry
from .costs import CONF_METER, price_fields, price_sets
from .data import MeterData
from .hubs import spec_for
from .pricing import (
    PLAN_RULES,
    Plan,
    PriceSet,
    SupplyTariff,
    check_price_sets,
    energy_field,
    parse_price_set,
    plan_fits,
    power_field,
    power_periods,
    price_set_to_dict,
)

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

CONF_PLAN: Final = "plan"
CONF_VALID_FROM: Final = "valid_from"
CONF_TAX: Final = "tax_percent"
CONF_COMPENSATION: Final = "compensation"


def supply_tariff(entry: GridMeterConfigEntry, meter: MeterData) -> SupplyTariff | None:
    """Return what the price engine needs of a supply: country, zone, calendar.

    None for a hub whose country has no price plans.
    """
    country = spec_for(entry.data).country
    if country is None:
        return None
    return SupplyTariff(
        country=country,
        timezone=meter.point.timezone,
        calendar=meter.calendar,
    )


def _money(unit: str) -> NumberSelector:
    # No bounds in the selector: the price engine checks every value and
    # answers with its own translated message (negative, absurdly high).
    return NumberSelector(
        NumberSelectorConfig(
            step="any", unit_of_measurement=unit, mode=NumberSelectorMode.BOX
        )
    )


ENERGY_PRICE: Final = _money("€/kWh")
POWER_PRICE: Final = _money("€/kW/year")
TAX: Final = _money("%")


class PricesSubentryFlow(ConfigSubentryFlow):
    """Add (or change) one dated price set of a supply."""

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._meter_id: str | None = None
        self._plan: Plan | None = None

    def _entry(self) -> GridMeterConfigEntry:
        entry: GridMeterConfigEntry = self._get_entry()
        return entry

    def _meters(self) -> dict[str, MeterData]:
        return dict(self._entry().runtime_data.coordinator.data.meters)

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose the supply point (when the account has several)."""
        if self._entry().state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        meters = self._meters()
        if not meters:
            return self.async_abort(reason="no_supplies")
        if user_input is not None or len(meters) == 1:
            self._meter_id = (user_input or {}).get(CONF_METER) or next(iter(meters))
            return await self.async_step_plan()
        options = [
            SelectOptionDict(value=meter_id, label=_label(meter))
            for meter_id, meter in meters.items()
        ]
        return self.async_show_form(
            step_id="user",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_METER): SelectSelector(
                        SelectSelectorConfig(
                            options=options, mode=SelectSelectorMode.LIST
                        )
                    )
                }
            ),
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a price set (its plan, date or prices)."""
        if self._entry().state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        subentry = self._get_reconfigure_subentry()
        self._meter_id = subentry.data.get(CONF_METER)
        if self._meter_id not in self._meters():
            return self.async_abort(reason="no_supplies")
        return await self.async_step_plan()

    def _tariff(self) -> SupplyTariff | None:
        assert self._meter_id is not None
        return supply_tariff(self._entry(), self._meters()[self._meter_id])

    def _current(self) -> Mapping[str, Any]:
        if self.source == SOURCE_RECONFIGURE:
            return self._get_reconfigure_subentry().data
        return {}

    async def async_step_plan(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose how the contract prices energy (the plans that fit the supply)."""
        tariff = self._tariff()
        plans = [plan for plan in Plan if tariff and plan_fits(plan, tariff)]
        if not plans:
            return self.async_abort(reason="no_plan")
        if user_input is not None:
            self._plan = Plan(user_input[CONF_PLAN])
            return await self.async_step_prices()
        current = self._current().get(CONF_PLAN)
        return self.async_show_form(
            step_id="plan",
            data_schema=vol.Schema(
                {
                    vol.Required(
                        CONF_PLAN, default=current if current in plans else plans[0]
                    ): SelectSelector(
                        SelectSelectorConfig(
                            options=[plan.value for plan in plans],
                            translation_key="plan",
                            mode=SelectSelectorMode.LIST,
                        )
                    )
                }
            ),
            description_placeholders={"supply": self._supply_label()},
        )

    def _supply_label(self) -> str:
        assert self._meter_id is not None
        return _label(self._meters()[self._meter_id])

    async def async_step_prices(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for the prices, the date they apply from, taxes and compensation."""
        assert self._plan is not None and self._meter_id is not None
        plan = self._plan
        errors: dict[str, str] = {}
        if user_input is not None:
            answers = {
                key: value for key, value in user_input.items() if value is not None
            }
            parsed = parse_price_set({CONF_PLAN: plan.value, **answers}, self._tariff())
            if isinstance(parsed, PriceSet):
                errors = self._overlap(parsed)
            else:
                errors = {error.field: error.key.value for error in parsed}
            if not errors:
                assert isinstance(parsed, PriceSet)
                return self._save(parsed)
        return self.async_show_form(
            step_id="prices",
            data_schema=self.add_suggested_values_to_schema(
                self._prices_schema(plan), user_input or self._suggested()
            ),
            errors=errors,
            description_placeholders={"supply": self._supply_label()},
        )

    def _suggested(self) -> dict[str, Any]:
        current = dict(self._current())
        current.setdefault(CONF_VALID_FROM, dt_util.now().date().isoformat())
        return price_fields(current)

    @staticmethod
    def _prices_schema(plan: Plan) -> vol.Schema:
        fields: dict[vol.Marker, Any] = {vol.Required(CONF_VALID_FROM): DateSelector()}
        for period in PLAN_RULES[plan].energy_periods:
            fields[vol.Required(energy_field(period))] = ENERGY_PRICE
        fields[vol.Optional(CONF_TAX)] = TAX
        fields[vol.Optional(CONF_COMPENSATION)] = ENERGY_PRICE
        for period in power_periods(plan):
            fields[vol.Optional(power_field(period))] = POWER_PRICE
        return vol.Schema(fields)

    def _overlap(self, price_set: PriceSet) -> dict[str, str]:
        """Another set of the same supply from the same date: not twice."""
        assert self._meter_id is not None
        others = [
            s
            for s in price_sets(self._entry(), self._meter_id)
            if self.source != SOURCE_RECONFIGURE
            or s.valid_from != _valid_from(self._get_reconfigure_subentry())
        ]
        errors = check_price_sets([*others, price_set])
        return {
            error.field: error.key.value
            for error in errors
            if error.index == len(others)
        }

    def _save(self, price_set: PriceSet) -> SubentryFlowResult:
        assert self._meter_id is not None
        data = {CONF_METER: self._meter_id, **price_set_to_dict(price_set)}
        title = f"{self._supply_label()} · {price_set.valid_from.isoformat()}"
        unique_id = f"{self._meter_id}|{price_set.valid_from.isoformat()}"
        if self.source == SOURCE_RECONFIGURE:
            return self.async_update_and_abort(
                self._entry(),
                self._get_reconfigure_subentry(),
                data=data,
                title=title,
                unique_id=unique_id,
            )
        return self.async_create_entry(title=title, data=data, unique_id=unique_id)


def _valid_from(subentry: ConfigSubentry) -> date | None:
    try:
        return date.fromisoformat(str(subentry.data.get(CONF_VALID_FROM)))
    except ValueError:
        return None


def _label(meter: MeterData) -> str:
    point = meter.point
    return point.address or point.municipality or f"···{point.meter_id[-4:]}"
