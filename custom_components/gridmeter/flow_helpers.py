"""Pieces shared by the providers' config-flow steps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .const import CONF_BASE_URL, LOGGER
from .providers.errors import AuthError, ProviderError, RateLimited

if TYPE_CHECKING:
    # Home Assistant validates schemas with probatio; it aliases voluptuous to
    # it at run time, which keeps older releases working with this import.
    import probatio as vol
else:
    import voluptuous as vol

PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
EMAIL = TextSelector(TextSelectorConfig(type=TextSelectorType.EMAIL))
TEL = TextSelector(TextSelectorConfig(type=TextSelectorType.TEL))
SECTION_ADVANCED = "advanced"


def advanced_section(base_url: str) -> section:
    """Return a collapsed section with the API address (for test servers)."""
    return section(
        vol.Schema({vol.Optional(CONF_BASE_URL, default=base_url): URL}),
        {"collapsed": True},
    )


def base_url_from(user_input: Mapping[str, Any]) -> str | None:
    """Return the API address of the advanced section, without trailing slash."""
    url = (user_input.get(SECTION_ADVANCED) or {}).get(CONF_BASE_URL)
    return str(url).rstrip("/") if url else None


def with_base_url(
    data: dict[str, Any], base_url: str | None, default: str
) -> dict[str, Any]:
    """Store the API address only when it is not the provider's own."""
    data.pop(CONF_BASE_URL, None)
    if base_url and base_url != default:
        data[CONF_BASE_URL] = base_url
    return data


def mask(identifier: str) -> str:
    """Show only the end of an identifier (titles are visible to everyone)."""
    return f"···{identifier[-4:]}"


CREDENTIAL_ERRORS: Final[Mapping[type[ProviderError], str]] = {
    AuthError: "invalid_auth",
    RateLimited: "rate_limited",
}


def flow_error(
    err: Exception, action: str, known: Mapping[type[ProviderError], str]
) -> str:
    """Return the form's base error for a failed check, and log what it hides.

    `known` maps provider errors to their own message (first match wins); any
    other provider error cannot connect, and anything else is unknown and
    logged with its traceback.
    """
    for kind, key in known.items():
        if isinstance(err, kind):
            return key
    if isinstance(err, ProviderError):
        LOGGER.debug("%s failed: %s", action, type(err).__name__)
        return "cannot_connect"
    LOGGER.error("Unexpected error: %s", action, exc_info=err)
    return "unknown"


async def async_credentials_step(
    flow: ConfigFlow,
    entry: ConfigEntry,
    step_id: str,
    user_input: Mapping[str, Any] | None,
    *,
    fields: dict[vol.Marker, Any],
    changes: Callable[[Mapping[str, Any]], dict[str, Any]],
    check: Callable[[dict[str, Any]], Awaitable[dict[str, str]]],
    default_base_url: str,
    identifier: str,
) -> ConfigFlowResult:
    """Reauthenticate or reconfigure an entry: new credentials, checked first.

    `fields` ask for the credentials, `changes` turns the answers into the
    entry's new credential fields, and `check` proves them (form errors).
    Reconfiguring also offers the API address under Advanced.
    """
    errors: dict[str, str] = {}
    if user_input is not None:
        data = with_base_url(
            {**entry.data, **changes(user_input)},
            base_url_from(user_input) or entry.data.get(CONF_BASE_URL),
            default_base_url,
        )
        errors = await check(data)
        if not errors:
            return flow.async_update_reload_and_abort(entry, data=data)
    if step_id == "reconfigure":
        fields[vol.Required(SECTION_ADVANCED)] = advanced_section(
            entry.data.get(CONF_BASE_URL, default_base_url)
        )
    return flow.async_show_form(
        step_id=step_id,
        data_schema=vol.Schema(fields),
        errors=errors,
        description_placeholders={"username": mask(identifier)},
    )


class HubConfigFlow:
    """The config-flow steps of one hub, run inside GridMeter's config flow.

    GridMeter's config flow forwards every `async_step_<id>` it does not
    have itself to the hub chosen in its menu (the hub's first step is named
    after its spec's key); the steps show their forms through `self.flow`
    and keep their own state on this object, never on the shared flow.
    """

    def __init__(self, flow: ConfigFlow) -> None:
        """Attach the steps to the flow that runs them."""
        self.flow = flow

    @property
    def hass(self) -> HomeAssistant:
        """Home Assistant."""
        return self.flow.hass

    async def async_step_credentials(
        self, entry: ConfigEntry, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask for new credentials, check them and update the entry.

        `step_id` is `reauth_confirm`, or `reconfigure`, which also offers the
        API address.
        """
        raise NotImplementedError

    def async_remove(self) -> None:
        """Release what the steps hold: the flow ended (done, aborted or closed)."""


class HubOptionsFlow:
    """The options steps of one hub, run inside GridMeter's options flow.

    Its `async_step_init` is the options flow's first step; every other
    `async_step_<id>` is forwarded to it as well.
    """

    def __init__(self, flow: OptionsFlow) -> None:
        """Attach the steps to the options flow that runs them."""
        self.flow = flow

    @property
    def hass(self) -> HomeAssistant:
        """Home Assistant."""
        return self.flow.hass

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the hub's options."""
        raise NotImplementedError
