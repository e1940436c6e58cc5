"""Digiwatt's household questionnaire: its form, its checks, how it is stored.

The config flow and the options flow ask the same questions (house,
residents, appliances, then how many of each) and onboard the household the
same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from ...const import (
    CONF_ACCOUNT_NUMBER,
    CONF_COMPANY_CODE,
    CONF_HOUSEHOLD,
    CONF_POD,
    CONF_PROVINCE,
    LOGGER,
    option_key,
)
from ...flow_helpers import CREDENTIAL_ERRORS, flow_error
from ...providers.digiwatt import (
    Appliance,
    DigiwattClient,
    Household,
    HouseType,
    UserExists,
)
from ...providers.errors import AuthError, NotAuthorized, ProviderError, RequestRejected

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


def household_from(data: Mapping[str, Any]) -> Household:
    """Return the household questionnaire stored in an entry (validated)."""
    raw = data[CONF_HOUSEHOLD]
    return Household(
        house_type=HouseType(raw["house_type"]),
        size_m2=int(raw["size_m2"]),
        province=raw[CONF_PROVINCE],
        adults=int(raw["adults"]),
        children=int(raw["children"]),
        elderlies=int(raw["elderlies"]),
        appliances={name: int(count) for name, count in raw["appliances"].items()},
    )


def household_data(household: Household) -> dict[str, Any]:
    """Return the household as stored in an entry (JSON)."""
    return {
        "house_type": household.house_type.value,
        "size_m2": household.size_m2,
        CONF_PROVINCE: household.province,
        "adults": household.adults,
        "children": household.children,
        "elderlies": household.elderlies,
        "appliances": {str(k): v for k, v in household.appliances.items()},
    }
