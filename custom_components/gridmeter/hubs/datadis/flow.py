"""Config-flow and options steps of Datadis (Spain): NIF/NIE/CIF and password."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.config_entries import ConfigEntry, ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TimeSelector,
)

from ...const import (
    CONF_AUTHORIZED_NIF,
    CONF_EXCLUDED_SUPPLIES,
    CONF_PROVIDER,
    CONF_REFRESH_TIME,
    CONF_SUPPLIES,
    DEFAULT_REFRESH_TIME,
    PROVIDER_DATADIS,
)
from ...coordinator import GridMeterConfigEntry
from ...flow_helpers import (
    CREDENTIAL_ERRORS,
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
from ...green_flow import async_check_green, green_answers, green_fields
from ...pricing import Country
from ...providers.datadis import DEFAULT_BASE_URL
from ...providers.errors import NoMeterPoints, NotAuthorized, ProviderError
from ...providers.identifiers import is_valid_nif, normalize_nif
from ...providers.ledger import QueryLedger
from ...schedule import refresh_time
from ...storage import AccountStore
from .client import datadis_client
from .state import SCHEMA

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

DATADIS_ERRORS: Final[Mapping[type[ProviderError], str]] = {
    **CREDENTIAL_ERRORS,
    NotAuthorized: "not_authorized",
    NoMeterPoints: "no_supplies",
}


def datadis_unique_id(username: str, authorized_nif: str | None) -> str:
    """One entry per Datadis account, or per account and authorising NIF."""
    return f"{username}_{authorized_nif}" if authorized_nif else username


def datadis_data(
    user_input: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Normalise and validate the identifiers; return data and field errors."""
    errors: dict[str, str] = {}
    username = normalize_nif(user_input[CONF_USERNAME])
    authorized = normalize_nif(user_input.get(CONF_AUTHORIZED_NIF) or "")
    if not is_valid_nif(username):
        errors[CONF_USERNAME] = "invalid_nif"
    if authorized and not is_valid_nif(authorized):
        errors[CONF_AUTHORIZED_NIF] = "invalid_nif"
    data: dict[str, Any] = {
        CONF_PROVIDER: PROVIDER_DATADIS,
        CONF_USERNAME: username,
        CONF_PASSWORD: user_input[CONF_PASSWORD],
    }
    # The holder's own NIF is not an authorising NIF (Datadis rejects it).
    if authorized and authorized != username:
        data[CONF_AUTHORIZED_NIF] = authorized
    return with_base_url(data, base_url_from(user_input), DEFAULT_BASE_URL), errors


class DatadisConfigFlow(HubConfigFlow):
    """Datadis's steps of GridMeter's config flow."""

    async def async_step_datadis(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the Datadis login (NIF/NIE/CIF and password)."""
        flow = self.flow
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = datadis_data(user_input)
            if not errors:
                await flow.async_set_unique_id(
                    datadis_unique_id(
                        data[CONF_USERNAME], data.get(CONF_AUTHORIZED_NIF)
                    )
                )
                flow._abort_if_unique_id_configured()  # noqa: SLF001 - HA's own helper
                errors = await self._async_check(data)
                if not errors:
                    title = f"Datadis {mask(data[CONF_USERNAME])}"
                    if nif := data.get(CONF_AUTHORIZED_NIF):
                        title += f" → {mask(nif)}"
                    return flow.async_create_entry(title=title, data=data)

        schema = vol.Schema(
            {
                vol.Required(CONF_USERNAME): str,
                vol.Required(CONF_PASSWORD): PASSWORD,
                vol.Optional(CONF_AUTHORIZED_NIF): str,
                vol.Required(SECTION_ADVANCED): advanced_section(DEFAULT_BASE_URL),
            }
        )
        return flow.async_show_form(
            step_id="datadis",
            data_schema=flow.add_suggested_values_to_schema(
                schema,
                {k: v for k, v in (user_input or {}).items() if k != CONF_PASSWORD},
            ),
            errors=errors,
        )

    async def _async_check(self, data: Mapping[str, Any]) -> dict[str, str]:
        """Log in and list the supplies; hand what was learnt to the entry."""
        unique_id = self.flow.unique_id
        assert unique_id is not None
        store = AccountStore(self.hass, PROVIDER_DATADIS, unique_id, SCHEMA)
        state = await store.async_load_state()
        client = datadis_client(self.hass, data)
        client.ledger = QueryLedger.from_dict(state.ledger)
        try:
            await client.async_login()
            await client.async_get_supplies()
        except Exception as err:  # noqa: BLE001 - mapped (and logged) by flow_error
            return {"base": flow_error(err, "Datadis account check", DATADIS_ERRORS)}
        finally:
            # Every query sent counts against the account: remember them.
            state.ledger = client.ledger.as_dict()
            state.token = client.token_state
            await store.async_save_state(state)
        return {}

    @override
    async def async_step_credentials(
        self, entry: ConfigEntry, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask for a new password (and, to reconfigure, the API address)."""

        async def check(data: dict[str, Any]) -> dict[str, str]:
            # The ledger of queries is kept per account (the unique ID).
            await self.flow.async_set_unique_id(entry.unique_id)
            return await self._async_check(data)

        return await async_credentials_step(
            self.flow,
            entry,
            step_id,
            user_input,
            fields={vol.Required(CONF_PASSWORD): PASSWORD},
            changes=lambda answers: {CONF_PASSWORD: answers[CONF_PASSWORD]},
            check=check,
            default_base_url=DEFAULT_BASE_URL,
            identifier=entry.data[CONF_USERNAME],
        )


class DatadisOptionsFlow(HubOptionsFlow):
    """Daily refresh time and the supply points followed."""

    @override
    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the options."""
        entry: GridMeterConfigEntry = self.flow.config_entry
        coordinator = entry.runtime_data.coordinator
        choices = coordinator.meter_choices()
        errors: dict[str, str] = {}
        if user_input is not None:
            # Remember what was deselected, so that supplies that appear later
            # are followed.
            chosen = user_input.get(CONF_SUPPLIES, [])
            answers = green_answers(user_input)
            errors = await async_check_green(self.hass, entry, answers)
            if not errors:
                return self.flow.async_create_entry(
                    data={
                        **answers,
                        CONF_EXCLUDED_SUPPLIES: [m for m in choices if m not in chosen],
                    }
                )
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_REFRESH_TIME,
                    default=refresh_time(entry, DEFAULT_REFRESH_TIME).isoformat(),
                ): TimeSelector(),
                vol.Required(
                    CONF_SUPPLIES, default=coordinator.included_ids()
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=[
                            SelectOptionDict(value=value, label=label)
                            for value, label in choices.items()
                        ],
                        multiple=True,
                    )
                ),
                **green_fields(entry.options, Country.SPAIN),
            }
        )
        return self.flow.async_show_form(
            step_id="init", data_schema=schema, errors=errors
        )
