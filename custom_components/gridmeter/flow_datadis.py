"""Config-flow steps of Datadis (Spain): NIF/NIE/CIF and password."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME

from .const import CONF_AUTHORIZED_NIF, CONF_PROVIDER, PROVIDER_DATADIS
from .flow_helpers import (
    CREDENTIAL_ERRORS,
    PASSWORD,
    SECTION_ADVANCED,
    advanced_section,
    async_credentials_step,
    base_url_from,
    flow_error,
    mask,
    with_base_url,
)
from .providers.datadis import DEFAULT_BASE_URL
from .providers.errors import NoMeterPoints, NotAuthorized, ProviderError
from .providers.identifiers import is_valid_nif, normalize_nif
from .providers.ledger import QueryLedger
from .storage import account_store
from .sync import create_datadis_client

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


class DatadisFlow(ConfigFlow):
    """The Datadis branch of GridMeter's config flow."""

    async def async_step_datadis(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the Datadis login (NIF/NIE/CIF and password)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = self._datadis_data(user_input)
            if not errors:
                await self.async_set_unique_id(
                    datadis_unique_id(
                        data[CONF_USERNAME], data.get(CONF_AUTHORIZED_NIF)
                    )
                )
                self._abort_if_unique_id_configured()
                errors = await self._async_check_datadis(data)
                if not errors:
                    title = f"Datadis {mask(data[CONF_USERNAME])}"
                    if nif := data.get(CONF_AUTHORIZED_NIF):
                        title += f" → {mask(nif)}"
                    return self.async_create_entry(title=title, data=data)

        schema = vol.Schema(
            {
                vol.Required(CONF_USERNAME): str,
                vol.Required(CONF_PASSWORD): PASSWORD,
                vol.Optional(CONF_AUTHORIZED_NIF): str,
                vol.Required(SECTION_ADVANCED): advanced_section(DEFAULT_BASE_URL),
            }
        )
        return self.async_show_form(
            step_id="datadis",
            data_schema=self.add_suggested_values_to_schema(
                schema,
                {k: v for k, v in (user_input or {}).items() if k != CONF_PASSWORD},
            ),
            errors=errors,
        )

    @staticmethod
    def _datadis_data(
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

    async def _async_check_datadis(self, data: Mapping[str, Any]) -> dict[str, str]:
        """Log in and list the supplies; hand what was learnt to the entry."""
        assert self.unique_id is not None
        store = account_store(self.hass, PROVIDER_DATADIS, self.unique_id)
        stored = await store.async_load() or {}
        client = create_datadis_client(self.hass, dict(data))
        client.ledger = QueryLedger.from_dict(stored.get("ledger"))
        try:
            await client.async_login()
            await client.async_get_supplies()
        except Exception as err:  # noqa: BLE001 - mapped (and logged) by flow_error
            return {"base": flow_error(err, "Datadis account check", DATADIS_ERRORS)}
        finally:
            # Every query sent counts against the account: remember them.
            await store.async_save(
                {
                    **stored,
                    "ledger": client.ledger.as_dict(),
                    "token": client.token_state,
                }
            )
        return {}

    async def async_datadis_credentials(
        self, entry: ConfigEntry, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask for a new password (and, to reconfigure, the API address)."""

        async def check(data: dict[str, Any]) -> dict[str, str]:
            # The ledger of queries is kept per account (the unique ID).
            await self.async_set_unique_id(entry.unique_id)
            return await self._async_check_datadis(data)

        return await async_credentials_step(
            self,
            entry,
            step_id,
            user_input,
            fields={vol.Required(CONF_PASSWORD): PASSWORD},
            changes=lambda answers: {CONF_PASSWORD: answers[CONF_PASSWORD]},
            check=check,
            default_base_url=DEFAULT_BASE_URL,
            identifier=entry.data[CONF_USERNAME],
        )
