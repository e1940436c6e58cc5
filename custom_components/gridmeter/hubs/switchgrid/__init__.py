"""Enedis through Switchgrid (France): the spec of the hub."""

from __future__ import annotations

from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant

from ...const import CONF_API_TOKEN, GREEN_SECRETS, PROVIDER_SWITCHGRID
from ...coordinator import GridMeterConfigEntry
from ...pricing import Country
from ...spec import Capability, ProviderSpec, Withdrawal
from .consent import async_revoke_consent
from .coordinator import SwitchgridCoordinator
from .flow import SwitchgridConfigFlow, SwitchgridOptionsFlow
from .repair import ConsentRepairFlow
from .webhook import async_register_webhook


def _repair_flow(
    hass: HomeAssistant, entry: GridMeterConfigEntry, issue_id: str
) -> RepairsFlow:
    """Fix the only fixable Switchgrid issue: an expired or revoked consent."""
    return ConsentRepairFlow(entry)


SPEC = ProviderSpec(
    key=PROVIDER_SWITCHGRID,
    name="Enedis (Switchgrid)",
    country=Country.FRANCE,
    capabilities=frozenset(
        {
            Capability.TARIFF_SPLIT,
            Capability.RETURN,
            Capability.MAX_POWER,
            Capability.GRID_SIGNAL,
            Capability.SUBSCRIBED_POWER,
            Capability.TARIFF_OPTION,
            Capability.OFF_PEAK_HOURS,
            Capability.CONSENT,
        }
    ),
    coordinator=SwitchgridCoordinator,
    config_flow=SwitchgridConfigFlow,
    options_flow=SwitchgridOptionsFlow,
    webhook=async_register_webhook,
    withdrawal=Withdrawal(
        run=async_revoke_consent, done="consent_revoked", failed="consent_not_revoked"
    ),
    repair_flow=_repair_flow,
    redact=frozenset(
        {
            CONF_API_TOKEN,
            "signer",
            "holder",
            "address_lines",
            "contract_id",
            "ask_id",
            "consent_id",
            "webhook_id",
            "prm",
        }
    )
    | GREEN_SECRETS,
)
