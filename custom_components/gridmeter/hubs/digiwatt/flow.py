"""Config-flow and options steps of Digiwatt (Italy).

Client credentials and the supply's POD, account number and company code →
the household questionnaire (house, residents, appliances) → appliance
quantities → the Digiwatt user is created and onboarded → the entry. The same
household steps serve the options flow, which re-runs the onboarding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
)

from ...const import (
    CONF_ACCOUNT_NUMBER,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_COMPANY_CODE,
    CONF_HOUSEHOLD,
    CONF_INSIGHTS_PERIOD,
    CONF_LIVE_INTERVAL,
    CONF_POD,
    CONF_PROVIDER,
    PROVIDER_DIGIWATT,
)
from ...coordinator import GridMeterConfigEntry
from ...flow_helpers import (
    PASSWORD,
    SECTION_ADVANCED,
    HubConfigFlow,
    HubOptionsFlow,
    advanced_section,
    async_credentials_step,
    base_url_from,
    flow_error,
    mask,
    with_base_url,
)
from ...providers.digiwatt import DEFAULT_BASE_URL, Period
from ...providers.identifiers import is_valid_pod, normalize_pod
from .client import digiwatt_client
from .household import (
    CHECK_ERRORS,
    CONF_APPLIANCES,
    async_onboard,
    build_household,
    household_data,
    household_schema,
    quantities_schema,
)
from .live import DEFAULT_LIVE_INTERVAL

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

CONF_EDIT_HOUSEHOLD: Final = "edit_household"


class DigiwattConfigFlow(HubConfigFlow):
    """Digiwatt's steps of GridMeter's config flow."""

    def __init__(self, flow: ConfigFlow) -> None:
        """Start with nothing answered."""
        super().__init__(flow)
        self._data: dict[str, Any] = {}
        self._answers: dict[str, Any] = {}

    async def async_step_digiwatt(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the client credentials and the supply's identifiers."""
        errors: dict[str, str] = {}
        if user_input is not None:
            pod = normalize_pod(user_input[CONF_POD])
            account = str(user_input[CONF_ACCOUNT_NUMBER]).strip()
            if not is_valid_pod(pod):
                errors[CONF_POD] = "invalid_pod"
            elif not account:
                errors[CONF_ACCOUNT_NUMBER] = "invalid_account"
            elif not str(user_input[CONF_COMPANY_CODE]).strip():
                errors[CONF_COMPANY_CODE] = "invalid_company_code"
            else:
                await self.flow.async_set_unique_id(account)
                self.flow._abort_if_unique_id_configured()  # noqa: SLF001 - HA's own helper
                # One supply, one entry: the same POD under another account
                # number would write the same statistics twice.
                self.flow._async_abort_entries_match(  # noqa: SLF001 - HA's own helper
                    {CONF_POD: pod}
                )
                data = with_base_url(
                    {
                        CONF_PROVIDER: PROVIDER_DIGIWATT,
                        CONF_CLIENT_ID: user_input[CONF_CLIENT_ID].strip(),
                        CONF_CLIENT_SECRET: user_input[CONF_CLIENT_SECRET],
                        CONF_POD: pod,
                        CONF_ACCOUNT_NUMBER: account,
                        CONF_COMPANY_CODE: str(user_input[CONF_COMPANY_CODE]).strip(),
                    },
                    base_url_from(user_input),
                    DEFAULT_BASE_URL,
                )
                errors = await self._async_check_digiwatt(data)
                if not errors:
                    self._data = data
                    return await self.async_step_digiwatt_household()
        return self._digiwatt_form(user_input or {}, errors)

    def _digiwatt_form(
        self, suggested: Mapping[str, Any], errors: dict[str, str]
    ) -> ConfigFlowResult:
        """Show the credentials step (the secret is never suggested back)."""
        schema = vol.Schema(
            {
                vol.Required(CONF_CLIENT_ID): str,
                vol.Required(CONF_CLIENT_SECRET): PASSWORD,
                vol.Required(CONF_POD): str,
                vol.Required(CONF_ACCOUNT_NUMBER): str,
                vol.Required(CONF_COMPANY_CODE): str,
                vol.Required(SECTION_ADVANCED): advanced_section(DEFAULT_BASE_URL),
            }
        )
        return self.flow.async_show_form(
            step_id="digiwatt",
            data_schema=self.flow.add_suggested_values_to_schema(
                schema,
                {k: v for k, v in suggested.items() if k != CONF_CLIENT_SECRET},
            ),
            errors=errors,
        )

    async def _async_check_digiwatt(
        self, data: Mapping[str, Any], *, read_account: bool = False
    ) -> dict[str, str]:
        """Get a token: it proves the client credentials.

        With `read_account` (reauth, reconfigure: the user exists) the
        realtime load is read too, proving these credentials may read it.
        """
        client = digiwatt_client(self.hass, data)
        try:
            await client.async_authenticate(force=True)
            if read_account:
                await client.async_get_realtime(data[CONF_ACCOUNT_NUMBER])
        except Exception as err:  # noqa: BLE001 - mapped (and logged) by flow_error
            return {"base": flow_error(err, "Digiwatt credentials check", CHECK_ERRORS)}
        return {}

    async def async_step_digiwatt_household(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Describe the household once (Digiwatt's questionnaire)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            _household, errors = build_household(user_input, {})
            if not errors:
                self._answers = user_input
                if user_input.get(CONF_APPLIANCES):
                    return await self.async_step_digiwatt_appliances()
                return await self._async_finish({})
        return self.flow.async_show_form(
            step_id="digiwatt_household",
            data_schema=household_schema(user_input or {}),
            errors=errors,
        )

    async def async_step_digiwatt_appliances(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """How many of each appliance."""
        if user_input is not None:
            return await self._async_finish(user_input)
        return self.flow.async_show_form(
            step_id="digiwatt_appliances",
            data_schema=quantities_schema(list(self._answers[CONF_APPLIANCES]), {}),
        )

    async def _async_finish(self, quantities: Mapping[str, Any]) -> ConfigFlowResult:
        household, errors = build_household(self._answers, quantities)
        if household is not None:
            errors = await async_onboard(
                digiwatt_client(self.hass, self._data), self._data, household
            )
            if not errors:
                return self.flow.async_create_entry(
                    title=f"Digiwatt {mask(self._data[CONF_POD])}",
                    data={**self._data, CONF_HOUSEHOLD: household_data(household)},
                )
            if errors.get("base") == "invalid_auth":
                # Only the first step can change the credentials.
                return self._digiwatt_form(self._data, errors)
        return self.flow.async_show_form(
            step_id="digiwatt_household",
            data_schema=household_schema(self._answers),
            errors=errors,
        )

    @override
    async def async_step_credentials(
        self, entry: ConfigEntry, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask for new client credentials (and, to reconfigure, the API address)."""

        async def check(data: dict[str, Any]) -> dict[str, str]:
            return await self._async_check_digiwatt(data, read_account=True)

        return await async_credentials_step(
            self.flow,
            entry,
            step_id,
            user_input,
            fields={
                vol.Required(CONF_CLIENT_ID, default=entry.data[CONF_CLIENT_ID]): str,
                vol.Required(CONF_CLIENT_SECRET): PASSWORD,
            },
            changes=lambda answers: {
                CONF_CLIENT_ID: answers[CONF_CLIENT_ID].strip(),
                CONF_CLIENT_SECRET: answers[CONF_CLIENT_SECRET],
            },
            check=check,
            default_base_url=DEFAULT_BASE_URL,
            identifier=entry.data[CONF_POD],
        )


class DigiwattOptionsFlow(HubOptionsFlow):
    """Realtime interval, analytics period; optionally the household again."""

    def __init__(self, flow: OptionsFlow) -> None:
        """Start with nothing answered."""
        super().__init__(flow)
        self._options: dict[str, Any] = {}
        self._answers: dict[str, Any] = {}

    @override
    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the options (under the step id `digiwatt`)."""
        return await self.async_step_digiwatt(user_input)

    async def async_step_digiwatt(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Realtime interval, analytics period; optionally edit the household."""
        entry: GridMeterConfigEntry = self.flow.config_entry
        if user_input is not None:
            self._options = {
                CONF_LIVE_INTERVAL: int(user_input[CONF_LIVE_INTERVAL]),
                CONF_INSIGHTS_PERIOD: user_input[CONF_INSIGHTS_PERIOD],
            }
            if user_input.get(CONF_EDIT_HOUSEHOLD):
                return await self.async_step_digiwatt_household()
            return self.flow.async_create_entry(data=self._options)
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
        return self.flow.async_show_form(step_id="digiwatt", data_schema=schema)

    async def async_step_digiwatt_household(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit the household questionnaire."""
        entry: GridMeterConfigEntry = self.flow.config_entry
        errors: dict[str, str] = {}
        if user_input is not None:
            _household, errors = build_household(user_input, {})
            if not errors:
                self._answers = user_input
                if user_input.get(CONF_APPLIANCES):
                    return await self.async_step_digiwatt_appliances()
                return await self._async_digiwatt_onboard({})
        stored = entry.data[CONF_HOUSEHOLD]
        return self.flow.async_show_form(
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
        stored = self.flow.config_entry.data[CONF_HOUSEHOLD][CONF_APPLIANCES]
        return self.flow.async_show_form(
            step_id="digiwatt_appliances",
            data_schema=quantities_schema(list(self._answers[CONF_APPLIANCES]), stored),
        )

    async def _async_digiwatt_onboard(
        self, quantities: Mapping[str, Any]
    ) -> ConfigFlowResult:
        entry: GridMeterConfigEntry = self.flow.config_entry
        household, errors = build_household(self._answers, quantities)
        if household is not None:
            errors = await async_onboard(
                digiwatt_client(self.hass, entry.data), entry.data, household
            )
            if not errors:
                self.hass.config_entries.async_update_entry(
                    entry,
                    data={**entry.data, CONF_HOUSEHOLD: household_data(household)},
                )
                if self._options == dict(entry.options):
                    # Unchanged options reload nothing by themselves; the
                    # new household (appliance entities, province) needs it.
                    self.hass.config_entries.async_schedule_reload(entry.entry_id)
                return self.flow.async_create_entry(data=self._options)
        return self.flow.async_show_form(
            step_id="digiwatt_household",
            data_schema=household_schema(self._answers),
            errors=errors,
        )
