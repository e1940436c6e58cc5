"""Diagnostics: the entry, the sync's state and the entities' data, redacted."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .coordinator import GridMeterConfigEntry
from .data import MeterData
from .storage import to_json

# Secrets, personal identifiers and anything that locates the home; each
# hub's spec adds its own keys.
TO_REDACT = {
    CONF_PASSWORD,
    CONF_USERNAME,
    "title",
    "unique_id",
    "token",
    "address",
    "meter_id",
    "postal_code",
    "municipality",
    "region_code",
    "province",
    "serial_number",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: GridMeterConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    data = coordinator.data
    # Meters are keyed by their identifier: number them instead.
    meters = [_meter_json(meter) for meter in (data.meters.values() if data else [])]
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
            "state": _anonymise_keys(coordinator.diagnostics(), aliases),
            "next_run": coordinator.next_at.isoformat()
            if coordinator.next_at
            else None,
            "green": coordinator.green.diagnostics(),
            "unexpected_failures": {
                "runs_in_a_row": coordinator.failures.streak,
                "total": coordinator.failures.total,
                "failures": to_json(list(coordinator.failures.failures.values())),
            },
        },
        TO_REDACT | runtime.spec.redact,
    )


def _meter_json(meter: MeterData) -> Any:
    """Encode a meter's data; its grid signal only summed up (a week of hours)."""
    document = to_json(dataclasses.replace(meter, grid=None))
    if (grid := meter.grid) is not None:
        document["grid"] = {
            "system": grid.system.value,
            "measured_hours": len(grid.shares.measured),
            "forecast_hours": len(grid.shares.forecast),
            "stress_periods": len(grid.stress),
            "forecasts": grid.forecasts,
        }
    return document


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
