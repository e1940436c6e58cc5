"""The green-window options of the Spanish and French hubs.

Green windows on or off (default on), the threshold (%), the minimum length
(hours) and the optional forecast credentials: an ESIOS personal token in
Spain, an RTE data portal client id and secret in France. New credentials
are checked against the API before they are kept (`invalid_auth`,
`cannot_connect`); they are never logged and diagnostics redact them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
)

from .const import (
    CONF_ESIOS_TOKEN,
    CONF_GREEN,
    CONF_GREEN_MIN_HOURS,
    CONF_GREEN_THRESHOLD,
    CONF_RTE_CLIENT_ID,
    CONF_RTE_CLIENT_SECRET,
)
from .flow_helpers import PASSWORD, flow_error
from .green_rule import DEFAULT_MIN_HOURS, HORIZON_HOURS
from .grid_green import DEFAULT_THRESHOLD_PERCENT
from .grid_sources import DEFAULT_URLS, URL_ESIOS, URL_RTE
from .pricing import Country
from .providers.errors import AuthError, ProviderError
from .providers.esios import EsiosClient
from .providers.rte import RteClient
from .sources import source_urls

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

CHECK_ERRORS: Final[Mapping[type[ProviderError], str]] = {AuthError: "invalid_auth"}
THRESHOLD = NumberSelector(
    NumberSelectorConfig(
        min=0,
        max=100,
        step=1,
        unit_of_measurement="%",
        mode=NumberSelectorMode.BOX,
    )
)
MIN_HOURS = NumberSelector(
    NumberSelectorConfig(min=1, max=HORIZON_HOURS, step=1, mode=NumberSelectorMode.BOX)
)


def green_fields(
    options: Mapping[str, Any], country: Country | None
) -> dict[vol.Marker, Any]:
    """Return the option fields: on/off, threshold, minimum length, credentials."""
    fields: dict[vol.Marker, Any] = {
        vol.Required(CONF_GREEN, default=bool(options.get(CONF_GREEN, True))): (
            BooleanSelector()
        ),
        vol.Required(
            CONF_GREEN_THRESHOLD,
            default=options.get(CONF_GREEN_THRESHOLD, DEFAULT_THRESHOLD_PERCENT),
        ): THRESHOLD,
        vol.Required(
            CONF_GREEN_MIN_HOURS,
            default=options.get(CONF_GREEN_MIN_HOURS, DEFAULT_MIN_HOURS),
        ): MIN_HOURS,
    }
    secrets = (
        (CONF_ESIOS_TOKEN,)
        if country is Country.SPAIN
        else (CONF_RTE_CLIENT_ID, CONF_RTE_CLIENT_SECRET)
        if country is Country.FRANCE
        else ()
    )
    for key in secrets:
        fields[vol.Optional(key, description={"suggested_value": options.get(key)})] = (
            TextSelector() if key == CONF_RTE_CLIENT_ID else PASSWORD
        )
    return fields


def green_answers(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the answers as stored: whole numbers, credentials trimmed."""
    answers = dict(user_input)
    for key in (CONF_GREEN_THRESHOLD, CONF_GREEN_MIN_HOURS):
        if key in answers:
            answers[key] = int(answers[key])
    for key in (CONF_ESIOS_TOKEN, CONF_RTE_CLIENT_ID, CONF_RTE_CLIENT_SECRET):
        value = str(answers.pop(key, "") or "").strip()
        if value:
            answers[key] = value
    return answers


async def async_check_green(
    hass: HomeAssistant, entry: ConfigEntry, answers: Mapping[str, Any]
) -> dict[str, str]:
    """Check credentials that are new or changed; the form's errors."""
    urls = {**DEFAULT_URLS, **source_urls(entry)}
    session = async_get_clientsession(hass)
    errors: dict[str, str] = {}
    token = answers.get(CONF_ESIOS_TOKEN)
    if token and token != entry.options.get(CONF_ESIOS_TOKEN):
        try:
            await EsiosClient(session, base_url=urls[URL_ESIOS]).check_token(token)
        except Exception as err:  # noqa: BLE001 - every failure is a form error
            errors[CONF_ESIOS_TOKEN] = flow_error(
                err, "ESIOS token check", CHECK_ERRORS
            )
    client_id = answers.get(CONF_RTE_CLIENT_ID)
    secret = answers.get(CONF_RTE_CLIENT_SECRET)
    if bool(client_id) != bool(secret):
        errors[CONF_RTE_CLIENT_SECRET if client_id else CONF_RTE_CLIENT_ID] = (
            "rte_incomplete"
        )
    elif (
        client_id
        and secret
        and (client_id, secret)
        != (
            entry.options.get(CONF_RTE_CLIENT_ID),
            entry.options.get(CONF_RTE_CLIENT_SECRET),
        )
    ):
        client = RteClient(session, client_id, secret, base_url=urls[URL_RTE])
        try:
            await client.async_check_credentials()
        except Exception as err:  # noqa: BLE001 - every failure is a form error
            errors[CONF_RTE_CLIENT_SECRET] = flow_error(
                err, "RTE credentials check", CHECK_ERRORS
            )
    return errors
