"""Repair issues: raised and cleared when the user has to act.

The fix flows of the fixable ones are in `repairs.py`.
"""

from __future__ import annotations

from datetime import timedelta
import math
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .const import (
    DOMAIN,
    POWER_OVERSIZED_RATIO,
    POWER_UNDERSIZED_RATIO,
    STANDARD_POWERS_KW,
)
from .data import ConnectionStatus, MeterData
from .pricing import InvalidPriceBook, PriceBook, power_saving

if TYPE_CHECKING:
    from .coordinator import GridMeterConfigEntry

# Suggest a contracted power with this headroom above the measured peak.
POWER_HEADROOM = 1.15
# Peaks of at least this many distinct months are needed before judging.
MIN_PEAK_MONTHS = 6


def _issue_id(kind: str, entry: GridMeterConfigEntry, meter_id: str) -> str:
    return f"{kind}_{entry.entry_id}_{meter_id}".lower()


def _entry_issue_id(kind: str, entry: GridMeterConfigEntry) -> str:
    return f"{kind}_{entry.entry_id}".lower()


def suggest_power(peak_kw: float) -> float:
    """Smallest standard contractable power with headroom over the peak."""
    wanted = peak_kw * POWER_HEADROOM
    for power in STANDARD_POWERS_KW:
        if power >= wanted:
            return power
    return math.ceil(wanted * 10) / 10


def power_advice(meter: MeterData) -> float | None:
    """Return a better contracted power, or None when the current one fits."""
    contract, peak = meter.contract, meter.year_peak
    if contract is None or peak is None or not contract.contracted_power_kw:
        return None
    if meter.peak_months < MIN_PEAK_MONTHS:
        return None
    contracted = max(contract.contracted_power_kw)
    ratio = peak.kw / contracted
    if POWER_OVERSIZED_RATIO <= ratio <= POWER_UNDERSIZED_RATIO:
        return None
    suggestion = suggest_power(peak.kw)
    return None if math.isclose(suggestion, contracted) else suggestion


SAVING_KEYS = {
    "contracted_power_too_high": "contracted_power_too_high_saving",
    "contracted_power_too_low": "contracted_power_too_low_saving",
}
"""The variant of each contracted-power issue that states the euros."""


def yearly_saving(
    entry: GridMeterConfigEntry, meter: MeterData, suggestion: float
) -> float | None:
    """Return the yearly saving (€, taxes included) of the suggested power.

    From the power-term prices (€/kW/year) of the supply's price set in force
    today; negative when the suggestion costs more; None when no power-term
    price is entered (or no contract is known).
    """
    if meter.contract is None or not meter.contract.contracted_power_kw:
        return None
    sets = entry.runtime_data.coordinator.costs.sets(meter.point.meter_id)
    today = dt_util.utcnow().astimezone(ZoneInfo(meter.point.timezone)).date()
    try:
        in_force = PriceBook(tuple(sets)).set_on(today)
    except InvalidPriceBook:  # stored sets that no longer agree: no euros
        return None
    if in_force is None:
        return None
    return power_saving(in_force, meter.contract.contracted_power_kw, suggestion)


def _power_issue(
    name: str, meter: MeterData, suggestion: float, saving: float | None
) -> tuple[str, dict[str, str]]:
    """Return the translation key and placeholders of a contracted-power issue.

    With power-term prices entered, the variant that states the euros: the
    yearly saving of a lower power, the yearly extra cost of a higher one.
    """
    assert meter.contract is not None and meter.year_peak is not None
    contracted = max(meter.contract.contracted_power_kw)
    key = (
        "contracted_power_too_high"
        if suggestion < contracted
        else "contracted_power_too_low"
    )
    placeholders = {
        "meter": name,
        "contracted": f"{contracted:g}",
        "peak": f"{meter.year_peak.kw:g}",
        "suggested": f"{suggestion:g}",
    }
    # The euros only when they say what the key says (a lower power saves).
    if saving and (saving > 0) == (suggestion < contracted):
        key = SAVING_KEYS[key]
        placeholders["saving"] = f"{abs(saving):.2f}"
    return key, placeholders


@callback
def async_update_issues(hass: HomeAssistant, entry: GridMeterConfigEntry) -> None:
    """Raise or clear the issues of every supply point of an entry."""
    data = entry.runtime_data.coordinator.data
    now = dt_util.utcnow()
    # Issues of supply points that are gone go with them.
    prefix_ids = {
        _issue_id(kind, entry, meter_id)
        for meter_id in data.meters
        for kind in ("no_recent_data", "contracted_power")
    }
    marker = f"_{entry.entry_id}_".lower()
    for domain, issue_id in list(ir.async_get(hass).issues):
        if domain == DOMAIN and marker in issue_id and issue_id not in prefix_ids:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
    # The account lists no supply any more: no device is left to show the
    # "no supplies for this holder" status, so say it here.
    _async_set_entry_issue(
        hass,
        entry,
        "no_supplies",
        data.account_status is ConnectionStatus.NO_SUPPLIES,
        severity=ir.IssueSeverity.WARNING,
        translation_key="no_supplies",
    )
    for meter_id, meter in data.meters.items():
        name = meter.point.address or meter.point.meter_id
        stale_id = _issue_id("no_recent_data", entry, meter_id)
        if meter.status is ConnectionStatus.DISCONNECTED and meter.latest_data:
            ir.async_create_issue(
                hass,
                DOMAIN,
                stale_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="no_recent_data",
                translation_placeholders={
                    "meter": name,
                    "days": str((now - meter.latest_data) // timedelta(days=1)),
                    "latest": dt_util.as_local(meter.latest_data).date().isoformat(),
                },
            )
        else:
            ir.async_delete_issue(hass, DOMAIN, stale_id)

        power_id = _issue_id("contracted_power", entry, meter_id)
        suggestion = power_advice(meter)
        if suggestion is not None and meter.contract and meter.year_peak:
            key, placeholders = _power_issue(
                name, meter, suggestion, yearly_saving(entry, meter, suggestion)
            )
            ir.async_create_issue(
                hass,
                DOMAIN,
                power_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=key,
                translation_placeholders=placeholders,
            )
        else:
            ir.async_delete_issue(hass, DOMAIN, power_id)


@callback
def _async_set_entry_issue(
    hass: HomeAssistant,
    entry: GridMeterConfigEntry,
    kind: str,
    active: bool,
    *,
    severity: ir.IssueSeverity,
    translation_key: str,
    fixable: bool = False,
) -> None:
    """Raise or clear the account-wide issue `<kind>_<entry id>` of an entry.

    A fixable one carries the entry id for its fix flow.
    """
    issue_id = _entry_issue_id(kind, entry)
    if not active:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=fixable,
        severity=severity,
        translation_key=translation_key,
        translation_placeholders={"entry": entry.title},
        data={"entry_id": entry.entry_id} if fixable else None,
    )


@callback
def async_set_access_revoked(
    hass: HomeAssistant, entry: GridMeterConfigEntry, revoked: bool
) -> None:
    """Raise (or clear) the issue of an authorisation that no longer holds."""
    _async_set_entry_issue(
        hass,
        entry,
        "access_revoked",
        revoked,
        severity=ir.IssueSeverity.ERROR,
        translation_key="access_revoked",
    )


@callback
def async_set_load_curve_pending(
    hass: HomeAssistant, entry: GridMeterConfigEntry, pending: bool
) -> None:
    """Tell the user the load curve waits for its activation at Enedis."""
    _async_set_entry_issue(
        hass,
        entry,
        "load_curve_pending",
        pending,
        severity=ir.IssueSeverity.WARNING,
        translation_key="load_curve_pending",
    )


def consent_issue_id(entry: GridMeterConfigEntry) -> str:
    """Return the id of the expired/revoked consent issue of an entry."""
    return _entry_issue_id("consent", entry)


@callback
def async_set_consent_issue(
    hass: HomeAssistant, entry: GridMeterConfigEntry, invalid: bool
) -> None:
    """Raise (fixable: sign again) or clear the invalid-consent issue."""
    _async_set_entry_issue(
        hass,
        entry,
        "consent",
        invalid,
        severity=ir.IssueSeverity.ERROR,
        translation_key="consent_invalid",
        fixable=True,
    )


ISSUE_TRACKER = "https://github.com/gridmeter/ha-gridmeter/issues"


@callback
def async_set_unexpected_issue(
    hass: HomeAssistant, entry: GridMeterConfigEntry, active: bool
) -> None:
    """Raise (or clear) the issue of answers GridMeter keeps failing to read."""
    issue_id = _entry_issue_id("unexpected_answer", entry)
    if not active:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="unexpected_answer",
        translation_placeholders={"entry": entry.title, "url": ISSUE_TRACKER},
        learn_more_url=ISSUE_TRACKER,
    )
