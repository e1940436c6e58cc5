"""Repair flows: what the user can fix from Settings → Repairs.

An expired or revoked Switchgrid consent is fixed by signing a new one.
"""

from __future__ import annotations

from homeassistant.components.repairs import (
    ConfirmRepairFlow,
    RepairsFlow,
    RepairsFlowResult,
)
from homeassistant.core import HomeAssistant

from .const import CONF_ASK_ID, CONF_CONSENT_ID, CONF_INJECTION, CONF_PRM, CONF_SIGNER
from .coordinator import GridMeterConfigEntry
from .flow_switchgrid import ADDRESS_CHECK_TIMEOUT, async_poll_ask
from .providers.errors import ProviderError
from .providers.switchgrid import Ask, AskStatus, Signer
from .sync.switchgrid import switchgrid_client


class ConsentRepairFlow(RepairsFlow):
    """Sign a new consent for an entry whose consent expired or was revoked."""

    def __init__(self, entry: GridMeterConfigEntry) -> None:
        """Remember the entry whose consent is renewed."""
        self._entry = entry
        self._ask: Ask | None = None

    async def async_step_init(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Start with the signing step."""
        return await self.async_step_sign()

    async def async_step_sign(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Show the signing link; on submit, check the signature."""
        entry = self._entry
        client = switchgrid_client(self.hass, entry.data)
        errors: dict[str, str] = {}
        try:
            if self._ask is None:
                signer = entry.data[CONF_SIGNER]
                ask = await client.async_create_ask(
                    [entry.data["contract_id"]],
                    Signer(
                        first_name=signer["first_name"],
                        last_name=signer["last_name"],
                        email=signer["email"],
                        phone=signer["phone"],
                        genre=signer["genre"],
                    ),
                    injection=bool(entry.data.get(CONF_INJECTION)),
                )
                self._ask = await async_poll_ask(
                    client, ask.id, timeout=ADDRESS_CHECK_TIMEOUT
                )
            elif user_input is not None:
                self._ask = await client.async_get_ask(self._ask.id)
                if self._ask.status is AskStatus.ACCEPTED:
                    return self._async_done(entry, self._ask)
                errors["base"] = "consent_not_signed"
        except (ProviderError, TimeoutError):
            errors["base"] = "cannot_connect"
        if self._ask is not None and self._ask.status is AskStatus.ADDRESS_CHECK_FAILED:
            return self.async_abort(reason="address_check_failed")
        return self.async_show_form(
            step_id="sign",
            errors=errors,
            description_placeholders={
                "entry": entry.title,
                "url": (self._ask.user_url if self._ask else None) or "-",
            },
        )

    def _async_done(self, entry: GridMeterConfigEntry, ask: Ask) -> RepairsFlowResult:
        prm = entry.data[CONF_PRM]
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


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Create the fix flow of a fixable issue (only the consent one is)."""
    entry_id = str((data or {}).get("entry_id"))
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None:
        return ConfirmRepairFlow()
    return ConsentRepairFlow(entry)
