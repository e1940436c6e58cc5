"""Repair issues: no data for 14 days, contracted power out of proportion."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from types import MappingProxyType

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.gridmeter.const import DOMAIN
from custom_components.gridmeter.issues import power_advice, suggest_power
from custom_components.gridmeter.providers.models import Contract, PowerPeak

from .conftest import NOW, setup_entry, short_history
from .datadis_sim import FLAT, HEAT_PUMP, RunningSim

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations"),
]


def issue_id(kind: str, entry: MockConfigEntry, cups: str) -> str:
    return f"{kind}_{entry.entry_id}_{cups[:20]}".lower()


async def test_no_data_for_14_days(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The distributor stopped sending the flat's data 20 days ago."""
    short_history(datadis)
    recent = {NOW.date() - timedelta(days=n) for n in range(20)}
    short_gone = {NOW.date() - timedelta(days=n) for n in range(40, 800)}
    datadis.sim.missing_days(FLAT, short_gone | recent)
    await setup_entry(hass, datadis_entry)
    issue = issue_registry.async_get_issue(
        DOMAIN, issue_id("no_recent_data", datadis_entry, FLAT)
    )
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders is not None
    assert int(issue.translation_placeholders["days"]) >= 19
    assert (
        issue_registry.async_get_issue(
            DOMAIN, issue_id("no_recent_data", datadis_entry, HEAT_PUMP)
        )
        is None
    )
    meters = datadis_entry.runtime_data.coordinator.data.meters
    assert meters[FLAT[:20]].status == "disconnected"


async def test_contracted_power_advice_issues(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Too high and too low contracts raise an issue with a suggestion; a
    fitting one clears it; a supply point that goes takes its issues along.
    """
    short_history(datadis)
    await setup_entry(hass, datadis_entry)
    coordinator = datadis_entry.runtime_data.coordinator
    meter = coordinator.data.meters[FLAT[:20]]
    peak = PowerPeak(at=NOW - timedelta(days=30), kw=2.1, period="p1")
    meter.contract = Contract(meter_id=FLAT[:20], contracted_power_kw=(6.9, 6.9))
    meter.year_peak, meter.peak_months = peak, 12
    coordinator.async_update_listeners()
    key = issue_id("contracted_power", datadis_entry, FLAT)
    issue = issue_registry.async_get_issue(DOMAIN, key)
    assert issue is not None
    assert issue.translation_key == "contracted_power_too_high"
    assert issue.translation_placeholders == {
        "meter": meter.point.address,
        "contracted": "6.9",
        "peak": "2.1",
        "suggested": "3.45",
    }

    meter.year_peak = replace(peak, kw=7.6)
    coordinator.async_update_listeners()
    issue = issue_registry.async_get_issue(DOMAIN, key)
    assert issue is not None
    assert issue.translation_key == "contracted_power_too_low"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["suggested"] == "9.2"

    meter.year_peak = replace(peak, kw=5.0)
    coordinator.async_update_listeners()
    assert issue_registry.async_get_issue(DOMAIN, key) is None

    meter.year_peak = replace(peak, kw=1.0)
    coordinator.async_update_listeners()
    assert issue_registry.async_get_issue(DOMAIN, key) is not None
    del coordinator.data.meters[FLAT[:20]]
    coordinator.async_update_listeners()
    assert issue_registry.async_get_issue(DOMAIN, key) is None


def test_power_advice_needs_enough_data() -> None:
    """No advice without a contract, a peak, or six months of peaks."""
    from custom_components.gridmeter.data import MeterData
    from custom_components.gridmeter.providers.models import MeterPoint

    point = MeterPoint(provider="datadis", meter_id="X", timezone="Europe/Madrid")
    peak = PowerPeak(at=NOW, kw=1.0)
    contract = Contract(meter_id="X", contracted_power_kw=(6.9,))
    assert power_advice(MeterData(point=point, peak_months=12)) is None
    assert (
        power_advice(MeterData(point=point, contract=contract, peak_months=12)) is None
    )
    assert (
        power_advice(
            MeterData(point=point, contract=contract, year_peak=peak, peak_months=3)
        )
        is None
    )
    assert (
        power_advice(
            MeterData(
                point=point,
                contract=Contract(meter_id="X"),
                year_peak=peak,
                peak_months=12,
            )
        )
        is None
    )
    assert (
        power_advice(
            MeterData(point=point, contract=contract, year_peak=peak, peak_months=12)
        )
        == 1.15
    )
    # Peaks above every standard power: rounded up to a tenth of a kW.
    assert suggest_power(14.0) == 16.1
    # The suggestion equals what is contracted: nothing to say.
    fits = Contract(meter_id="X", contracted_power_kw=(3.45,))
    assert (
        power_advice(
            MeterData(
                point=point,
                contract=fits,
                year_peak=replace(peak, kw=3.0),
                peak_months=12,
            )
        )
        is None
    )


async def test_contracted_power_issue_states_the_yearly_saving(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """With power-term prices entered, the issue says the euros a year
    (Σ periods (contracted − suggested) kW × €/kW/year × (1 + taxes)); without
    them, or before their date, the plain issue.
    """
    short_history(datadis)
    await setup_entry(hass, datadis_entry)
    coordinator = datadis_entry.runtime_data.coordinator
    meter_id = FLAT[:20]
    key = issue_id("contracted_power", datadis_entry, FLAT)

    def advise(peak_kw: float) -> ir.IssueEntry:
        meter = coordinator.data.meters[meter_id]
        meter.contract = Contract(meter_id=meter_id, contracted_power_kw=(6.9, 6.9))
        meter.year_peak = PowerPeak(
            at=NOW - timedelta(days=30), kw=peak_kw, period="p1"
        )
        meter.peak_months = 12
        coordinator.async_update_listeners()
        issue = issue_registry.async_get_issue(DOMAIN, key)
        assert issue is not None
        return issue

    def add_set(valid_from: str, power: dict[str, float]) -> None:
        hass.config_entries.async_add_subentry(
            datadis_entry,
            ConfigSubentry(
                data=MappingProxyType(
                    {
                        "meter_id": meter_id,
                        "plan": "es_20td",
                        "valid_from": valid_from,
                        "tax_percent": 21.0,
                        "energy_p1": 0.2,
                        "energy_p2": 0.13,
                        "energy_p3": 0.08,
                        **{f"power_{p}": v for p, v in power.items()},
                    }
                ),
                subentry_type="prices",
                title=valid_from,
                unique_id=f"{meter_id}|{valid_from}",
            ),
        )

    # Prices without power terms: no euros.
    add_set("2026-01-01", {})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert advise(2.1).translation_key == "contracted_power_too_high"

    # Power terms from a date to come: not yet.
    add_set("2026-12-01", {"p1": 30.0, "p2": 1.5})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert advise(2.1).translation_key == "contracted_power_too_high"

    # Power terms in force: (6.9 − 3.45) × (26.93 + 0.84) × 1.21 € a year.
    add_set("2026-06-01", {"p1": 26.93, "p2": 0.84})
    await hass.async_block_till_done(wait_background_tasks=True)
    issue = advise(2.1)
    assert issue.translation_key == "contracted_power_too_high_saving"
    assert issue.translation_placeholders is not None
    saving = round((6.9 - 3.45) * (26.93 + 0.84) * 1.21, 2)
    assert issue.translation_placeholders["saving"] == f"{saving:.2f}"
    assert issue.translation_placeholders["suggested"] == "3.45"

    # A higher power costs more: the extra euros, as a positive figure.
    issue = advise(7.6)
    assert issue.translation_key == "contracted_power_too_low_saving"
    assert issue.translation_placeholders is not None
    extra = round((9.2 - 6.9) * (26.93 + 0.84) * 1.21, 2)
    assert issue.translation_placeholders["saving"] == f"{extra:.2f}"
