"""Config flow: choose the provider, then that provider's steps.

Each provider's steps live in their own module (`flow_datadis`,
`flow_switchgrid`); this handler composes them, and routes reauthentication,
reconfiguration and options to the entry's provider. Credentials are always
checked against the provider before anything is created.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, override

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntryState,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TimeSelector,
)

from .const import (
    CONF_EXCLUDED_SUPPLIES,
    CONF_HOUSEHOLD,
    CONF_INSIGHTS_PERIOD,
    CONF_LIVE_INTERVAL,
    CONF_OFF_PEAK,
    CONF_PROVIDER,
    CONF_REFRESH_TIME,
    CONF_SUPPLIES,
    CONF_WEBHOOK_ID,
    DOMAIN,
    PROVIDER_DATADIS,
    PROVIDER_DIGIWATT,
    PROVIDER_SWITCHGRID,
)
from .coordinator import GridMeterConfigEntry
from .flow_datadis import DatadisFlow
from .flow_digiwatt import (
    CONF_APPLIANCES,
    DigiwattFlow,
    async_onboard,
    build_household,
    household_schema,
    quantities_schema,
)
from .flow_switchgrid import SwitchgridFlow
from .providers.digiwatt import Period
from .sync import refresh_time
from .sync.digiwatt import DEFAULT_LIVE_INTERVAL, digiwatt_client, household_data
from .sync.switchgrid import external_webhook_url
from .tariffs import parse_off_peak_hours

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

CONF_EDIT_HOUSEHOLD = "edit_household"
PROVIDERS = [PROVIDER_DATADIS, PROVIDER_SWITCHGRID, PROVIDER_DIGIWATT]


class GridMeterConfigFlow(DatadisFlow, SwitchgridFlow, DigiwattFlow, domain=DOMAIN):
    """Add a GridMeter provider account."""

    VERSION = 1

    @staticmethod
    @callback
    @override
    def async_get_options_flow(
        config_entry: GridMeterConfigEntry,
    ) -> GridMeterOptionsFlow:
        """Options: refresh time, supply points, off-peak hours."""
        return GridMeterOptionsFlow()

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick the provider."""
        return self.async_show_menu(step_id="user", menu_options=PROVIDERS)

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start re-authentication after the provider rejected the credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password or API token."""
        return await self._async_credentials("reauth_confirm", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the credentials (or, under Advanced, the API address)."""
        return await self._async_credentials("reconfigure", user_input)

    async def _async_credentials(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        entry = (
            self._get_reauth_entry()
            if self.source == SOURCE_REAUTH
            else self._get_reconfigure_entry()
        )
        if entry.data[CONF_PROVIDER] == PROVIDER_SWITCHGRID:
            return await self.async_switchgrid_token(entry, step_id, user_input)
        if entry.data[CONF_PROVIDER] == PROVIDER_DIGIWATT:
            return await self.async_digiwatt_credentials(entry, step_id, user_input)
        return await self.async_datadis_credentials(entry, step_id, user_input)


class GridMeterOptionsFlow(OptionsFlowWithReload):
    """Daily refresh time, and the supply points or off-peak hours."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the options."""
        entry: GridMeterConfigEntry = self.config_entry
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                parse_off_peak_hours(user_input.get(CONF_OFF_PEAK) or "HC (0H00-0H00)")
            except ValueError:
                errors[CONF_OFF_PEAK] = "invalid_off_peak"
            else:
                if CONF_SUPPLIES in user_input:
                    # Remember what was deselected, so that supplies that
                    # appear later are followed.
                    chosen = user_input[CONF_SUPPLIES]
                    user_input = {
                        **user_input,
                        CONF_EXCLUDED_SUPPLIES: [
                            meter_id
                            for meter_id in entry.runtime_data.sync.meter_choices()
                            if meter_id not in chosen
                        ],
                    }
                return self.async_create_entry(data=user_input)

        if entry.data[CONF_PROVIDER] == PROVIDER_SWITCHGRID:
            return self._switchgrid_form(entry, errors)
        if entry.data[CONF_PROVIDER] == PROVIDER_DIGIWATT:
            return await self.async_step_digiwatt(None)
        sync = entry.runtime_data.sync
        choices = sync.meter_choices()
        current = sync.included_ids()
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_REFRESH_TIME, default=refresh_time(entry).isoformat()
                ): TimeSelector(),
                vol.Required(CONF_SUPPLIES, default=current): SelectSelector(
                    SelectSelectorConfig(
                        options=[
                            SelectOptionDict(value=value, label=label)
                            for value, label in choices.items()
                        ],
                        multiple=True,
                    )
                ),
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema)

    async def async_step_switchgrid(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Handle the Switchgrid options form (its answers go through `init`)."""
        return await self.async_step_init(user_input)

    def _switchgrid_form(
        self, entry: GridMeterConfigEntry, errors: dict[str, str]
    ) -> ConfigFlowResult:
        """Refresh time, the off-peak hours override, and the webhook URL."""
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_REFRESH_TIME, default=refresh_time(entry).isoformat()
                ): TimeSelector(),
                vol.Optional(
                    CONF_OFF_PEAK,
                    description={"suggested_value": entry.options.get(CONF_OFF_PEAK)},
                ): TextSelector(),
            }
        )
        url = external_webhook_url(self.hass, entry.data[CONF_WEBHOOK_ID])
        return self.async_show_form(
            step_id="switchgrid",
            data_schema=schema,
            errors=errors,
            description_placeholders={"webhook_url": url or "-"},
        )

    # -- Digiwatt ---------------------------------------------------------------

    _dw_options: dict[str, Any]
    _dw_answers: dict[str, Any]

    async def async_step_digiwatt(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Realtime interval, analytics period; optionally edit the household."""
        entry: GridMeterConfigEntry = self.config_entry
        if user_input is not None:
            self._dw_options = {
                CONF_LIVE_INTERVAL: int(user_input[CONF_LIVE_INTERVAL]),
                CONF_INSIGHTS_PERIOD: user_input[CONF_INSIGHTS_PERIOD],
            }
            if user_input.get(CONF_EDIT_HOUSEHOLD):
                return await self.async_step_digiwatt_household()
            return self.async_create_entry(data=self._dw_options)
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_LIVE_INTERVAL,
                    default=entry.options.get(
                        CONF_LIVE_INTERVAL, DEFAULT_LIVE_INTERVAL
                    ),
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=10,
                        max=3600,
                        step=1,
                        unit_of_measurement="s",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                vol.Required(
                    CONF_INSIGHTS_PERIOD,
                    default=entry.options.get(CONF_INSIGHTS_PERIOD, Period.THIS_MONTH),
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=[p.value for p in Period], translation_key="period"
                    )
                ),
                vol.Optional(CONF_EDIT_HOUSEHOLD, default=False): BooleanSelector(),
            }
        )
        return self.async_show_form(step_id="digiwatt", data_schema=schema)

    async def async_step_digiwatt_household(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit the household questionnaire."""
        entry: GridMeterConfigEntry = self.config_entry
        errors: dict[str, str] = {}
        if user_input is not None:
            _household, errors = build_household(user_input, {})
            if not errors:
                self._dw_answers = user_input
                if user_input.get(CONF_APPLIANCES):
                    return await self.async_step_digiwatt_appliances()
                return await self._async_digiwatt_onboard({})
        stored = entry.data[CONF_HOUSEHOLD]
        return self.async_show_form(
            step_id="digiwatt_household",
            data_schema=household_schema(user_input or stored),
            errors=errors,
        )

    async def async_step_digiwatt_appliances(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """How many of each appliance."""
        if user_input is not None:
            return await self._async_digiwatt_onboard(user_input)
        stored = self.config_entry.data[CONF_HOUSEHOLD][CONF_APPLIANCES]
        return self.async_show_form(
            step_id="digiwatt_appliances",
            data_schema=quantities_schema(
                list(self._dw_answers[CONF_APPLIANCES]), stored
            ),
        )

    async def _async_digiwatt_onboard(
        self, quantities: Mapping[str, Any]
    ) -> ConfigFlowResult:
        entry: GridMeterConfigEntry = self.config_entry
        household, errors = build_household(self._dw_answers, quantities)
        if household is not None:
            errors = await async_onboard(
                digiwatt_client(self.hass, entry.data), entry.data, household
            )
            if not errors:
                self.hass.config_entries.async_update_entry(
                    entry,
                    data={**entry.data, CONF_HOUSEHOLD: household_data(household)},
                )
                if self._dw_options == dict(entry.options):
                    # Unchanged options reload nothing by themselves; the
                    # new household (appliance entities, province) needs it.
                    self.hass.config_entries.async_schedule_reload(entry.entry_id)
                return self.async_create_entry(data=self._dw_options)
        return self.async_show_form(
            step_id="digiwatt_household",
            data_schema=household_schema(self._dw_answers),
            errors=errors,
        )
