"""Repair flows: what the user can fix from Settings → Repairs.

A fixable issue carries its entry's id; the entry's hub provides the fix flow
(Switchgrid: sign a new consent).
"""

from __future__ import annotations

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant

from .hubs import spec_for


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Create the fix flow of a fixable issue (by its entry's hub)."""
    entry_id = str((data or {}).get("entry_id"))
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None:
        return ConfirmRepairFlow()
    spec = spec_for(entry.data)
    if spec.repair_flow is None:
        return ConfirmRepairFlow()
    return spec.repair_flow(hass, entry, issue_id)
