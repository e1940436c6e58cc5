"""Switchgrid's webhook: events only say what to re-read."""

from __future__ import annotations

from aiohttp import web
from aiohttp.hdrs import METH_POST
from homeassistant.components import webhook
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError

from ...const import CONF_WEBHOOK_ID, DOMAIN
from ...coordinator import GridMeterConfigEntry
from .coordinator import SwitchgridCoordinator


def external_webhook_url(hass: HomeAssistant, webhook_id: str) -> str | None:
    """Return the webhook's public HTTPS URL, when Home Assistant has one."""
    try:
        url = webhook.async_generate_url(
            hass, webhook_id, allow_internal=False, allow_ip=False, prefer_external=True
        )
    except NoURLAvailableError:
        return None
    return url if url.startswith("https://") else None


@callback
def async_register_webhook(
    hass: HomeAssistant, entry: GridMeterConfigEntry
) -> CALLBACK_TYPE:
    """Listen to Switchgrid's events; the payload only says what to re-read.

    Only when Home Assistant has an external HTTPS URL (the one shown for the
    Switchgrid dashboard): without one, polling alone keeps the data fresh
    and nothing is exposed.
    """
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]
    if external_webhook_url(hass, webhook_id) is None:
        return lambda: None

    async def _handle(
        hass: HomeAssistant, _webhook_id: str, request: web.Request
    ) -> web.Response:
        try:
            payload = await request.json()
        except (ValueError, RecursionError):
            return web.Response(status=400)
        coordinator = entry.runtime_data.coordinator
        if isinstance(coordinator, SwitchgridCoordinator) and coordinator.concerns(
            payload
        ):
            # Answer at once: a run can wait minutes for an order, and
            # Switchgrid resends what is not acknowledged in time. The
            # coordinator's debouncer folds a burst of events into one run.
            entry.async_create_background_task(
                hass,
                coordinator.async_request_refresh(),
                f"{DOMAIN} Switchgrid webhook refresh",
            )
        # Unknown events are acknowledged too: Switchgrid must not retry them.
        return web.Response(status=200)

    webhook.async_register(
        hass,
        DOMAIN,
        "GridMeter Switchgrid",
        webhook_id,
        _handle,
        allowed_methods=[METH_POST],
    )
    return lambda: webhook.async_unregister(hass, webhook_id)
