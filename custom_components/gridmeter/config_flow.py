"""Config flow: choose the provider, then that provider's steps.

Credentials are checked against the provider before anything is created.
What the check learnt (the login token, the supply list) is handed to the new
entry through the account store, so set-up does not ask the provider again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, override

if TYPE_CHECKING:
    # Home Assistant validates schemas with probatio; it aliases voluptuous to
    # it at run time, which keeps older releases working with this import.
    import probatio as vol
else:
    import voluptuous as vol

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
    TimeSelector,
)

from .const import (
    CONF_AUTHORIZED_NIF,
    CONF_BASE_URL,
    CONF_PROVIDER,
    CONF_REFRESH_TIME,
    CONF_SUPPLIES,
    DEFAULT_REFRESH_TIME,
    DOMAIN,
    LOGGER,
    PROVIDER_DATADIS,
)
from .coordinator import GridMeterConfigEntry
from .providers.datadis import DEFAULT_BASE_URL
from .providers.errors import (
    AuthError,
    NoMeterPoints,
    NotAuthorized,
    ProviderError,
    RateLimited,
)
from .providers.identifiers import is_valid_nif, normalize_nif
from .providers.ledger import QueryLedger
from .storage import account_store
from .sync import create_datadis_client

PROVIDERS = [PROVIDER_DATADIS]

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))


SECTION_ADVANCED = "advanced"


def _advanced_section(base_url: str) -> section:
    """Return a collapsed section with the API address (for test servers)."""
    return section(
        vol.Schema({vol.Optional(CONF_BASE_URL, default=base_url): _URL}),
        {"collapsed": True},
    )


def _base_url(user_input: Mapping[str, Any]) -> str | None:
    """Return the API address of the advanced section, without trailing slash."""
    url = (user_input.get(SECTION_ADVANCED) or {}).get(CONF_BASE_URL)
    return str(url).rstrip("/") if url else None


def _with_base_url(data: dict[str, Any], base_url: str | None) -> dict[str, Any]:
    """Store the API address only when it is not Datadis's own."""
    data.pop(CONF_BASE_URL, None)
    if base_url and base_url != DEFAULT_BASE_URL:
        data[CONF_BASE_URL] = base_url
    return data


def _mask(nif: str) -> str:
    """Show only the end of an identifier (titles are visible to everyone)."""
    return f"···{nif[-4:]}"


def datadis_unique_id(username: str, authorized_nif: str | None) -> str:
    """One entry per Datadis account, or per account and authorising NIF."""
    return f"{username}_{authorized_nif}" if authorized_nif else username


class GridMeterConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a GridMeter provider account."""

    VERSION = 1

    @staticmethod
    @callback
    @override
    def async_get_options_flow(
        config_entry: GridMeterConfigEntry,
    ) -> GridMeterOptionsFlow:
        """Options: refresh time and which supply points to include."""
        return GridMeterOptionsFlow()

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick the provider."""
        return self.async_show_menu(step_id="user", menu_options=PROVIDERS)

    # -- Datadis ----------------------------------------------------------------

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
                    title = f"Datadis {_mask(data[CONF_USERNAME])}"
                    if nif := data.get(CONF_AUTHORIZED_NIF):
                        title += f" → {_mask(nif)}"
                    return self.async_create_entry(title=title, data=data)

        schema = vol.Schema(
            {
                vol.Required(CONF_USERNAME): str,
                vol.Required(CONF_PASSWORD): _PASSWORD,
                vol.Optional(CONF_AUTHORIZED_NIF): str,
                vol.Required(SECTION_ADVANCED): _advanced_section(DEFAULT_BASE_URL),
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
        return _with_base_url(data, _base_url(user_input)), errors

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
        except AuthError:
            return {"base": "invalid_auth"}
        except NotAuthorized:
            return {"base": "not_authorized"}
        except NoMeterPoints:
            return {"base": "no_supplies"}
        except RateLimited:
            return {"base": "rate_limited"}
        except ProviderError as err:
            LOGGER.debug("Datadis check failed: %s", type(err).__name__)
            return {"base": "cannot_connect"}
        except Exception:  # noqa: BLE001 - anything else must not crash the flow
            LOGGER.exception("Unexpected error while checking the Datadis account")
            return {"base": "unknown"}
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

    # -- reauth and reconfigure ---------------------------------------------------

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start re-authentication after the provider rejected the credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new password."""
        return await self._async_credentials_step("reauth_confirm", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the password (or, in advanced mode, the API address)."""
        return await self._async_credentials_step("reconfigure", user_input)

    async def _async_credentials_step(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        entry = (
            self._get_reauth_entry()
            if self.source == SOURCE_REAUTH
            else self._get_reconfigure_entry()
        )
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _with_base_url(
                {**entry.data, CONF_PASSWORD: user_input[CONF_PASSWORD]},
                _base_url(user_input) or entry.data.get(CONF_BASE_URL),
            )
            await self.async_set_unique_id(entry.unique_id)
            errors = await self._async_check_datadis(data)
            if not errors:
                return self.async_update_reload_and_abort(entry, data=data)

        fields: dict[vol.Marker, Any] = {vol.Required(CONF_PASSWORD): _PASSWORD}
        if step_id == "reconfigure":
            fields[vol.Required(SECTION_ADVANCED)] = _advanced_section(
                entry.data.get(CONF_BASE_URL, DEFAULT_BASE_URL)
            )
        return self.async_show_form(
            step_id=step_id,
            data_schema=vol.Schema(fields),
            errors=errors,
            description_placeholders={"username": _mask(entry.data[CONF_USERNAME])},
        )


class GridMeterOptionsFlow(OptionsFlowWithReload):
    """Daily refresh time and the supply points to include."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the options."""
        entry: GridMeterConfigEntry = self.config_entry
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        if user_input is not None:
            return self.async_create_entry(data=user_input)

        sync = entry.runtime_data.sync
        choices = sync.meter_choices()
        current = entry.options.get(CONF_SUPPLIES, sync.included_ids())
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_REFRESH_TIME,
                    default=entry.options.get(
                        CONF_REFRESH_TIME, DEFAULT_REFRESH_TIME.isoformat()
                    ),
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
