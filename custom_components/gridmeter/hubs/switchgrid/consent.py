"""The Switchgrid consent (Ask): polling it, reading its outcome, withdrawing it.

The config flow and the consent repair flow wait for the same things the
same way: Switchgrid's address check with Enedis (seconds), then the
holder's signature on Switchgrid's page (minutes). Both waits run in the
background, never in a step; a flow that ends withdraws the Ask it made and
no entry uses.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import FlowManager, UnknownFlow

from ...const import CONF_ASK_ID, DOMAIN, LOGGER
from ...coordinator import GridMeterConfigEntry
from ...providers.errors import NotFound, ProviderError, ProviderUnavailable, redact
from ...providers.switchgrid import Ask, AskStatus, SwitchgridClient
from .client import switchgrid_client

# Switchgrid checks the address with Enedis (seconds); the holder then signs.
POLL_FIRST: Final = 2.0
POLL_MAX: Final = 20.0
POLL_OUTAGE: Final = 3
"""Failed Ask polls in a row that end a wait (fewer are a blip)."""
ADDRESS_CHECK_TIMEOUT: Final = 300.0
CONSENT_TIMEOUT: Final = 3600.0
WAITING: Final = frozenset(
    {
        AskStatus.CREATED,
        AskStatus.PENDING_ADDRESS_CHECK,
        AskStatus.PREPARING_CONSENT_COLLECTION,
    }
)
SIGNING: Final = WAITING | {AskStatus.PENDING_USER_ACTION}


async def async_poll_ask(
    client: SwitchgridClient,
    ask_id: str,
    *,
    until: frozenset[AskStatus] | None = None,
    timeout: float,
) -> Ask:
    """Poll an Ask with backoff while its status is in `until` (default: waiting).

    A brief outage (up to POLL_OUTAGE failed polls in a row: 5xx, timeout,
    connection) is polled through: the holder may be signing meanwhile, and
    ending the flow would withdraw the Ask under their pen. A longer one, or
    any other error, ends the wait.
    """
    waiting = WAITING if until is None else until
    delay = POLL_FIRST
    failed = 0
    async with asyncio.timeout(timeout):
        while True:
            try:
                ask = await client.async_get_ask(ask_id)
            except ProviderUnavailable as err:
                failed += 1
                if failed >= POLL_OUTAGE:
                    raise
                LOGGER.debug(
                    "Switchgrid Ask poll failed, polling on: %s", type(err).__name__
                )
            else:
                failed = 0
                if ask.status not in waiting:
                    return ask
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, POLL_MAX)


def _finished_poll(task: asyncio.Task[Ask], on_timeout: str, action: str) -> Ask | str:
    """Return the Ask a finished poll read, else the abort reason of its failure.

    A provider failure is "cannot connect", never a verdict on the consent: the
    holder may have acted while Switchgrid failed.
    """
    try:
        return task.result()
    except TimeoutError:
        return on_timeout
    except ProviderError as err:
        LOGGER.debug("Switchgrid %s failed: %s", action, type(err).__name__)
        return "cannot_connect"


def checked_ask(task: asyncio.Task[Ask]) -> Ask | str:
    """Read the finished address check: the Ask to sign (or signed), else why not.

    The string is the abort reason, the same in the config and repair flows.
    """
    ask = _finished_poll(task, "address_check_timeout", "address check")
    if isinstance(ask, str):
        return ask
    if ask.status is AskStatus.ACCEPTED:
        return ask
    if ask.status is AskStatus.PENDING_USER_ACTION:
        return ask if ask.user_url else "ask_no_signing_url"
    if ask.status is AskStatus.ADDRESS_CHECK_FAILED:
        return "address_check_failed"
    return "ask_unexpected_status"


def signed_ask(task: asyncio.Task[Ask]) -> Ask | str:
    """Read the finished wait for the signature: the signed Ask, else why not."""
    ask = _finished_poll(task, "consent_not_signed", "signature wait")
    if isinstance(ask, str):
        return ask
    return ask if ask.status is AskStatus.ACCEPTED else "consent_not_signed"


@callback
def async_resume_flow(
    hass: HomeAssistant, manager: FlowManager[Any, Any, Any], flow_id: str
) -> None:
    """Move a flow on once its background wait ended (from a done-callback).

    The user may have closed the flow meanwhile: then there is nothing to do.
    """

    async def _configure() -> None:
        with suppress(UnknownFlow):
            await manager.async_configure(flow_id)

    hass.async_create_task(_configure())


@callback
def async_end_consent_waits(
    hass: HomeAssistant,
    tasks: tuple[asyncio.Task[Ask] | None, ...],
    unused_ask: tuple[SwitchgridClient, str] | None,
) -> None:
    """Stop a closing flow's polls; withdraw the Ask it made that no entry uses."""
    for task in tasks:
        if task is not None and not task.done():
            task.cancel()
    if unused_ask is not None:
        hass.async_create_background_task(
            _async_withdraw_ask(*unused_ask),
            f"{DOMAIN} withdraw unused Switchgrid Ask",
        )


async def _async_withdraw_ask(client: SwitchgridClient, ask_id: str) -> None:
    try:
        await client.async_delete_ask(ask_id)
    except ProviderError as err:
        LOGGER.warning(
            "An unsigned Switchgrid consent request could not be withdrawn: %s",
            type(err).__name__,
        )


async def async_revoke_consent(
    hass: HomeAssistant, entry: GridMeterConfigEntry
) -> bool:
    """Withdraw the entry's consent at Switchgrid; True when it is gone."""
    client = switchgrid_client(hass, entry.data)
    try:
        await client.async_delete_ask(entry.data[CONF_ASK_ID])
    except NotFound:
        return True
    except ProviderError as err:
        LOGGER.warning(
            "The Switchgrid consent could not be revoked: %s", redact(str(err))
        )
        return False
    return True
