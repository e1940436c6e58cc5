"""Diagnostics: the entry, the sync's state and the entities' data, redacted."""

from __future__ import annotations

import re
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .const import CONF_AUTHORIZED_NIF
from .coordinator import GridMeterConfigEntry
from .storage import to_json

# Secrets, personal identifiers and anything that locates the home.
TO_REDACT = {
    CONF_PASSWORD,
    CONF_USERNAME,
    CONF_AUTHORIZED_NIF,
    "title",
    "unique_id",
    "token",
    "address",
    "cups",
    "meter_id",
    "postal_code",
    "municipality",
    "region_code",
    "area",
    "serial_number",
    # Switchgrid
    "api_token",
    "signer",
    "holder",
    "address_lines",
    "contract_id",
    "ask_id",
    "consent_id",
    "webhook_id",
    "prm",
    # Digiwatt
    "client_id",
    "client_secret",
    "pod",
    "account_number",
    "company_code",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: GridMeterConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    data = coordinator.data
    # Meters are keyed by their identifier: number them instead.
    meters = [to_json(meter) for meter in (data.meters.values() if data else [])]
    sync_state = runtime.sync.diagnostics()
    aliases: dict[str, str] = {}
    return async_redact_data(
        {
            "entry": _anonymise_keys(entry.as_dict(), aliases),
            "last_update_success": coordinator.last_update_success,
            "account_status": data.account_status.value if data else None,
            "last_sync": data.last_sync.isoformat()
            if data and data.last_sync
            else None,
            "meters": meters,
            "sync": _anonymise_keys(sync_state, aliases),
        },
        TO_REDACT,
    )


# CUPS, POD and PRM: the shapes of meter identifiers used as dictionary keys.
_METER_ID = re.compile(r"^(ES\d{16}[A-Z0-9]{2,4}|IT\d{3}E\d{8}\w?|\d{14})$", re.I)


def _anonymise_keys(value: Any, mapping: dict[str, str] | None = None) -> Any:
    """Replace meter identifiers with `meter_1`...: as keys and as list items.

    (The supplies chosen in the options are a list of identifiers.)
    """
    mapping = {} if mapping is None else mapping
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            new_key = key
            head = key.split(":", 1)[0]
            if _METER_ID.match(head):
                alias = mapping.setdefault(head, f"meter_{len(mapping) + 1}")
                new_key = key.replace(head, alias, 1)
            result[new_key] = _anonymise_keys(item, mapping)
        return result
    if isinstance(value, list):
        return [_anonymise_keys(item, mapping) for item in value]
    if isinstance(value, str) and _METER_ID.match(value):
        return mapping.setdefault(value, f"meter_{len(mapping) + 1}")
    return value
