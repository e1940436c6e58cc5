"""Side sources shared by every entry that needs them: one fetch per zone.

Prices (Spain's PVPC per price zone, France's Tempo calendar) and national
grid signals (per electric system) are the same for every home of a zone:
two Spanish peninsular entries must not double the requests. A shared source
is a coordinator that belongs to no config entry; entries acquire it by key
(``pvpc:PCB``, ``grid:es_peninsular``) and release it when they unload; the
last one out shuts it down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import json
import logging
import os
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util.hass_dict import HassKey

from .const import CONF_SOURCE_URLS, DOMAIN

_LOGGER = logging.getLogger(__name__)

SOURCE_URLS_ENV: Final = "GRIDMETER_SOURCE_URLS"
"""Environment variable of Home Assistant's process: a JSON object of base
URLs by source key (``esios``, ``ree_demanda``, ``tempo``, ``odre``, ``rte``)."""


def source_urls(entry: ConfigEntry) -> dict[str, str]:
    """Return the base URLs that replace the public sources' own (simulators only).

    Tests put them in the entry's data. scripts/develop creates its entries
    through the ordinary config flow, which asks for no such thing, and hands
    the simulators' URLs to Home Assistant in `SOURCE_URLS_ENV` instead; the
    entry's data wins. Anything but http(s) URLs is ignored.
    """
    urls: dict[str, str] = {}
    raw = os.environ.get(SOURCE_URLS_ENV)
    if raw:
        try:
            loaded = json.loads(raw)
        except ValueError:
            loaded = None
        if isinstance(loaded, dict):
            urls.update(loaded)
        else:
            _LOGGER.warning("%s is not a JSON object; ignored", SOURCE_URLS_ENV)
    urls.update(entry.data.get(CONF_SOURCE_URLS) or {})
    return {
        key: value
        for key, value in urls.items()
        if isinstance(key, str)
        and isinstance(value, str)
        and value.startswith(("http://", "https://"))
    }


class SharedSource[T](DataUpdateCoordinator[T]):
    """A side source: fetched on its own timetable, shared by entries."""

    key: str

    async def async_start(self) -> None:
        """Restore what is stored and start the timetable (no waiting on network)."""

    async def async_stop(self) -> None:
        """Save what is stored and stop the timetable."""
        await self.async_shutdown()


@dataclass(slots=True)
class _Registry:
    sources: dict[str, SharedSource[Any]] = field(default_factory=dict)
    users: dict[str, set[str]] = field(default_factory=dict)


DATA_SOURCES: HassKey[_Registry] = HassKey(f"{DOMAIN}_shared_sources")


def _registry(hass: HomeAssistant) -> _Registry:
    if (registry := hass.data.get(DATA_SOURCES)) is None:
        registry = hass.data[DATA_SOURCES] = _Registry()
    return registry


async def async_acquire[S: SharedSource[Any]](
    hass: HomeAssistant, key: str, user: str, create: Callable[[], S]
) -> S:
    """Return the shared source `key`, created and started by its first user."""
    registry = _registry(hass)
    source = registry.sources.get(key)
    if source is None:
        source = create()
        source.key = key
        registry.sources[key] = source
        registry.users[key] = set()
        await source.async_start()
        _LOGGER.debug("Shared source %s started", key)
    registry.users[key].add(user)
    return source  # type: ignore[return-value]


async def async_release(hass: HomeAssistant, key: str, user: str) -> None:
    """Let go of a shared source; the last user out stops it."""
    registry = _registry(hass)
    users = registry.users.get(key)
    if users is None:
        return
    users.discard(user)
    if users:
        return
    source = registry.sources.pop(key)
    del registry.users[key]
    await source.async_stop()
    _LOGGER.debug("Shared source %s stopped", key)


@callback
def shared_sources(hass: HomeAssistant) -> dict[str, int]:
    """Every running shared source and how many entries use it (diagnostics)."""
    registry = _registry(hass)
    return {key: len(users) for key, users in registry.users.items()}
