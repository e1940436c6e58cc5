"""Config-flow steps of Digiwatt (Italy).

Client credentials and the supply's POD, account number and company code →
the household questionnaire (house, residents, appliances) → appliance
quantities → the Digiwatt user is created and onboarded → the entry. The same
household steps serve the options flow, which re-runs the onboarding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from .const import (
    CONF_ACCOUNT_NUMBER,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_COMPANY_CODE,
    CONF_HOUSEHOLD,
    CONF_POD,
    CONF_PROVIDER,
    CONF_PROVINCE,
    LOGGER,
    PROVIDER_DIGIWATT,
    option_key,
)
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
from .providers.digiwatt import (
    DEFAULT_BASE_URL,
    Appliance,
    DigiwattClient,
    Household,
    HouseType,
    UserExists,
)
from .providers.errors import AuthError, NotAuthorized, ProviderError, RequestRejected
from .providers.identifiers import is_valid_pod, normalize_pod
from .sync.digiwatt import digiwatt_client, household_data

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

CONF_HOUSE_TYPE: Final = "house_type"
CONF_SIZE: Final = "size_m2"
CONF_ADULTS: Final = "adults"
CONF_CHILDREN: Final = "children"
CONF_ELDERLIES: Final = "elderlies"
CONF_APPLIANCES: Final = "appliances"


APPLIANCE_OPTIONS: Final[Mapping[str, Appliance]] = {
    option_key(a.value): a for a in Appliance
}
"""The questionnaire's appliance options and the Digiwatt appliance of each."""


def appliance_options(stored: Mapping[str, Any] | list[str]) -> list[str]:
    """Return stored appliances (Digiwatt names) as the form's options."""
    return [
        option_key(name) for name in stored if option_key(name) in APPLIANCE_OPTIONS
    ]


CHECK_ERRORS: Final[Mapping[type[ProviderError], str]] = {
    **CREDENTIAL_ERRORS,
    NotAuthorized: "invalid_auth",
}
# Onboarding has no rate-limit message: a rate limit shows as cannot_connect.
ONBOARDING_ERRORS: Final[Mapping[type[ProviderError], str]] = {
    AuthError: "invalid_auth",
    RequestRejected: "user_rejected",
}


def _count(minimum: int, maximum: int) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum, max=maximum, step=1, mode=NumberSelectorMode.BOX
        )
    )


def household_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """Return the questionnaire: house, residents and appliances."""
    return vol.Schema(
        {
            vol.Required(
                CONF_HOUSE_TYPE,
                default=defaults.get(CONF_HOUSE_TYPE, HouseType.APARTMENT),
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[t.value for t in HouseType],
                    translation_key="house_type",
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
            vol.Required(CONF_SIZE, default=defaults.get(CONF_SIZE, 80)): _count(
                10, 2000
            ),
            vol.Required(
                CONF_PROVINCE, default=defaults.get(CONF_PROVINCE, "")
            ): TextSelector(),
            vol.Required(CONF_ADULTS, default=defaults.get(CONF_ADULTS, 2)): _count(
                1, 20
            ),
            vol.Required(CONF_CHILDREN, default=defaults.get(CONF_CHILDREN, 0)): _count(
                0, 20
            ),
            vol.Required(
                CONF_ELDERLIES, default=defaults.get(CONF_ELDERLIES, 0)
            ): _count(0, 20),
            vol.Optional(
                CONF_APPLIANCES,
                default=appliance_options(defaults.get(CONF_APPLIANCES, [])),
            ): SelectSelector(
                SelectSelectorConfig(
                    options=list(APPLIANCE_OPTIONS),
                    translation_key="appliance",
                    multiple=True,
                )
            ),
        }
    )


def quantities_schema(options: list[str], stored: Mapping[str, int]) -> vol.Schema:
    """How many of each chosen appliance (`stored`: by Digiwatt name)."""
    defaults = {option_key(name): count for name, count in stored.items()}
    return vol.Schema(
        {
            vol.Required(option, default=defaults.get(option, 1)): _count(1, 50)
            for option in options
        }
    )


def build_household(
    answers: Mapping[str, Any], quantities: Mapping[str, Any]
) -> tuple[Household | None, dict[str, str]]:
    """Validate the questionnaire; return the household or field errors."""
    province = str(answers.get(CONF_PROVINCE, "")).strip().upper()
    if len(province) != 2 or not (province.isascii() and province.isalpha()):
        return None, {CONF_PROVINCE: "invalid_province"}
    try:
        household = Household(
            house_type=HouseType(answers[CONF_HOUSE_TYPE]),
            size_m2=int(answers[CONF_SIZE]),
            province=province,
            adults=int(answers[CONF_ADULTS]),
            children=int(answers[CONF_CHILDREN]),
            elderlies=int(answers[CONF_ELDERLIES]),
            appliances={APPLIANCE_OPTIONS[k]: int(v) for k, v in quantities.items()},
        )
    except (KeyError, ValueError):
        return None, {"base": "invalid_household"}
    return household, {}


async def async_onboard(
    client: DigiwattClient, data: Mapping[str, Any], household: Household
) -> dict[str, str]:
    """Create the Digiwatt user (if needed) and submit the household."""
    try:
        try:
            await client.async_create_user(
                data[CONF_POD], data[CONF_ACCOUNT_NUMBER], data[CONF_COMPANY_CODE]
            )
        except UserExists:
            # Registered before (this installation or another): just onboard.
            LOGGER.debug("The Digiwatt user exists already; onboarding it again")
        await client.async_onboard(data[CONF_ACCOUNT_NUMBER], household)
    except Exception as err:  # noqa: BLE001 - mapped (and logged) by flow_error
        return {"base": flow_error(err, "Digiwatt onboarding", ONBOARDING_ERRORS)}
    return {}


class DigiwattFlow(ConfigFlow):
    """The Digiwatt branch of GridMeter's config flow."""

    _dw_data: dict[str, Any]
    _dw_answers: dict[str, Any]

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
                await self.async_set_unique_id(account)
                self._abort_if_unique_id_configured()
                # One supply, one entry: the same POD under another account
                # number would write the same statistics twice.
                self._async_abort_entries_match({CONF_POD: pod})
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
                    self._dw_data = data
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
        return self.async_show_form(
            step_id="digiwatt",
            data_schema=self.add_suggested_values_to_schema(
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
                self._dw_answers = user_input
                if user_input.get(CONF_APPLIANCES):
                    return await self.async_step_digiwatt_appliances()
                return await self._async_finish({})
        return self.async_show_form(
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
        return self.async_show_form(
            step_id="digiwatt_appliances",
            data_schema=quantities_schema(list(self._dw_answers[CONF_APPLIANCES]), {}),
        )

    async def _async_finish(self, quantities: Mapping[str, Any]) -> ConfigFlowResult:
        household, errors = build_household(self._dw_answers, quantities)
        if household is not None:
            errors = await async_onboard(
                digiwatt_client(self.hass, self._dw_data), self._dw_data, household
            )
            if not errors:
                return self.async_create_entry(
                    title=f"Digiwatt {mask(self._dw_data[CONF_POD])}",
                    data={**self._dw_data, CONF_HOUSEHOLD: household_data(household)},
                )
            if errors.get("base") == "invalid_auth":
                # Only the first step can change the credentials.
                return self._digiwatt_form(self._dw_data, errors)
        return self.async_show_form(
            step_id="digiwatt_household",
            data_schema=household_schema(self._dw_answers),
            errors=errors,
        )

    async def async_digiwatt_credentials(
        self, entry: ConfigEntry, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask for new client credentials (and, to reconfigure, the API address)."""

        async def check(data: dict[str, Any]) -> dict[str, str]:
            return await self._async_check_digiwatt(data, read_account=True)

        return await async_credentials_step(
            self,
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
