"""Diagnostics: useful, and without a single secret or identifier."""

from __future__ import annotations

import json
import re

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.gridmeter.const import CONF_SUPPLIES

from .conftest import NOW, setup_entry, short_history
from .datadis_sim import FLAT, HEAT_PUMP, PASSWORD, RunningSim

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations"),
]


async def test_diagnostics_are_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
) -> None:
    """No password, token, NIF, CUPS, address, postal code or town leaks.

    The supplies chosen in the options (a list of CUPS) included.
    """
    short_history(datadis)
    datadis_entry = MockConfigEntry(
        domain=datadis_entry.domain,
        title=datadis_entry.title,
        unique_id=datadis_entry.unique_id,
        data=datadis_entry.data,
        options={CONF_SUPPLIES: [FLAT[:20], HEAT_PUMP[:20]]},
    )
    await setup_entry(hass, datadis_entry)
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, datadis_entry
    )
    text = json.dumps(diagnostics)
    token = datadis_entry.runtime_data.coordinator.client.token_state["token"]  # type: ignore[attr-defined, index]
    for secret in (
        PASSWORD,
        "12345678Z",
        FLAT,
        FLAT[:20],
        HEAT_PUMP[:20],
        "28004",
        "CALLE",
        token[:40],
    ):
        assert secret.lower() not in text.lower(), secret
    # The town is redacted wherever it appears (the province stays: it
    # decides the time zone and the tariff calendar).
    assert "municipality" in text
    assert not re.search(r'"(municipality|region_code)": "(?!\*\*REDACTED)', text)
    assert diagnostics["last_update_success"] is True
    assert diagnostics["account_status"] == "connected"
    assert len(diagnostics["meters"]) == 2
    sync = diagnostics["state"]
    assert sync["has_token"] is True
    # supplies, 2 contracts, 2 consumption and 2 max-power queries
    assert sync["ledger"]["queries_last_24h"] == 7
    assert set(sync["months"]) == {"meter_1", "meter_2"}
    # The same alias everywhere: the options name the same meters.
    assert sorted(diagnostics["entry"]["options"][CONF_SUPPLIES]) == [
        "meter_1",
        "meter_2",
    ]
    assert sync["last_run"]["requests"] >= 4
