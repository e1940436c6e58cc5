"""Switchgrid's repair flow: sign a new consent when it expired or was revoked.

As in the config flow: a progress step while Switchgrid checks the holder's
address with Enedis, then an external step that opens the signing page and
continues by itself once the Ask is signed (both waits run in the
background, never in a step).
"""

from __future__ import annotations

import asyncio

from homeassistant.components.repairs import (
    RepairsFlow,
    RepairsFlowResult,
    repairs_flow_manager,
)
from homeassistant.core import callback

from ...const import CONF_ASK_ID, CONF_CONSENT_ID, CONF_INJECTION, CONF_PRM, CONF_SIGNER
from ...coordinator import GridMeterConfigEntry
from ...providers.switchgrid import Ask, AskStatus, Signer
from .client import switchgrid_client
from .consent import (
    ADDRESS_CHECK_TIMEOUT,
    CONSENT_TIMEOUT,
    SIGNING,
    async_end_consent_waits,
    async_poll_ask,
    async_resume_flow,
    checked_ask,
    signed_ask,
)


class ConsentRepairFlow(RepairsFlow):
    """Sign a new consent for an entry whose consent expired or was revoked."""

    def __init__(self, entry: GridMeterConfigEntry) -> None:
        """Remember the entry whose consent is renewed."""
        self._entry = entry
        self._ask: Ask | None = None
        self._check_task: asyncio.Task[Ask] | None = None
        self._sign_task: asyncio.Task[Ask] | None = None
        self._reason = "cannot_connect"
        self._unused_ask: str | None = None
        """The new Ask while no entry uses it: withdrawn if the flow ends."""

    async def async_step_init(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Ask Switchgrid for a new consent."""
        return await self.async_step_check()

    async def async_step_check(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Switchgrid checks the holder's address with Enedis (progress)."""
        if self._check_task is None:
            # Not eager: the step must return before the task may resume it.
            self._check_task = self.hass.async_create_task(
                self._async_create_and_check(), eager_start=False
            )
        if not self._check_task.done():
            return self.async_show_progress(
                step_id="check",
                progress_action="address_check",
                progress_task=self._check_task,
            )
        result = checked_ask(self._check_task)
        if isinstance(result, str):
            return self._async_end_progress(result)
        self._ask = result
        return self.async_show_progress_done(
            next_step_id="finish" if result.status is AskStatus.ACCEPTED else "sign"
        )

    async def _async_create_and_check(self) -> Ask:
        entry = self._entry
        client = switchgrid_client(self.hass, entry.data)
        ask = await client.async_create_ask(
            [entry.data["contract_id"]],
            Signer(**entry.data[CONF_SIGNER]),
            injection=bool(entry.data.get(CONF_INJECTION)),
        )
        self._unused_ask = ask.id
        return await async_poll_ask(client, ask.id, timeout=ADDRESS_CHECK_TIMEOUT)

    def _async_end_progress(self, reason: str) -> RepairsFlowResult:
        self._reason = reason
        return self.async_show_progress_done(next_step_id="failed")

    async def async_step_failed(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """End with the message the Ask's state calls for (the issue stays)."""
        return self.async_abort(reason=self._reason)

    async def async_step_sign(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Open Switchgrid's signing page and wait for the signature."""
        assert self._ask is not None
        url = self._ask.user_url or ""
        placeholders = {"entry": self._entry.title, "url": url}
        if self._sign_task is None:
            # Not eager, and resumed from a done-callback: the step must have
            # returned, and the task be done, before the flow moves on.
            self._sign_task = self.hass.async_create_task(
                self._async_wait_signed(self._ask.id), eager_start=False
            )
            self._sign_task.add_done_callback(self._async_resume)
        if not self._sign_task.done():
            return self.async_external_step(
                step_id="sign", url=url, description_placeholders=placeholders
            )
        result = signed_ask(self._sign_task)
        if isinstance(result, str):
            self._reason = result
            return self.async_external_step_done(next_step_id="failed")
        self._ask = result
        return self.async_external_step_done(next_step_id="finish")

    async def _async_wait_signed(self, ask_id: str) -> Ask:
        return await async_poll_ask(
            switchgrid_client(self.hass, self._entry.data),
            ask_id,
            until=SIGNING,
            timeout=CONSENT_TIMEOUT,
        )

    @callback
    def _async_resume(self, _task: asyncio.Future[Ask]) -> None:
        """Move the flow on when the wait ends (the user may have closed it)."""
        if (manager := repairs_flow_manager(self.hass)) is not None:
            async_resume_flow(self.hass, manager, self.flow_id)

    async def async_step_finish(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Use the new consent and reload the entry."""
        assert self._ask is not None
        entry, ask = self._entry, self._ask
        prm = entry.data[CONF_PRM]
        self._unused_ask = None
        self.hass.config_entries.async_update_entry(
            entry,
            data={
                **entry.data,
                CONF_ASK_ID: ask.id,
                CONF_CONSENT_ID: ask.consent_ids.get(prm, ask.id),
            },
        )
        self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_create_entry(data={})

    @callback
    def async_remove(self) -> None:
        """Stop polling, and withdraw a new Ask no entry uses, when the flow ends."""
        client = switchgrid_client(self.hass, self._entry.data)
        async_end_consent_waits(
            self.hass,
            (self._check_task, self._sign_task),
            (client, self._unused_ask) if self._unused_ask else None,
        )
        self._unused_ask = None
