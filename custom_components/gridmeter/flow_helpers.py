"""Pieces shared by the providers' config-flow steps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .const import CONF_BASE_URL

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
