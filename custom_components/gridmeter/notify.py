"""Translated texts outside dialogs: notifications, calendar event titles.

Their texts live under `exceptions` in translations/*.json (a category
hassfest accepts): `<key>` is the message and `<key>_title` the title.
"""

from __future__ import annotations

from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations

from .const import DOMAIN


async def async_translate(
    hass: HomeAssistant, key: str, placeholders: dict[str, str] | None = None
) -> str:
    """Return the text `key` (under `exceptions`) in the user's language.

    Without placeholders the template is returned as is (`{share}` kept).
    """
    strings = await async_get_translations(
        hass, hass.config.language, "exceptions", [DOMAIN]
    )
    text = strings.get(f"component.{DOMAIN}.exceptions.{key}.message", key)
    return text.format(**placeholders) if placeholders else text


async def async_notify(
    hass: HomeAssistant, key: str, placeholders: dict[str, str]
) -> None:
    """Show the notification `key` in the user's language."""
    title = await async_translate(hass, f"{key}_title")
    message = await async_translate(hass, key, placeholders)
    persistent_notification.async_create(
        hass, message, title=title, notification_id=f"{DOMAIN}_{key}"
    )
