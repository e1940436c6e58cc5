"""Green windows for French homes: éCO2mix, Tempo vetoes, RTE forecasts.

The French grid source reads the ODRÉ (éCO2mix), Tempo and RTE data portal
simulators; a Switchgrid entry shows the windows and the carbon intensity,
and its options check RTE credentials. Expectations are the rule applied to
what the simulators serve, read again with the plain clients.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest

from custom_components.gridmeter import grid_sources
from custom_components.gridmeter.const import (
    CONF_GREEN,
    CONF_GREEN_MIN_HOURS,
    CONF_GREEN_THRESHOLD,
    CONF_RTE_CLIENT_ID,
    CONF_RTE_CLIENT_SECRET,
    DOMAIN,
)
from custom_components.gridmeter.green_rule import (
    GreenOptions,
    GridShares,
    green_windows as rule_windows,
    hour_start,
)
from custom_components.gridmeter.grid_sources import KEEP_DAYS, GridSignalSource
from custom_components.gridmeter.grid_systems import GridSystem
from custom_components.gridmeter.providers.eco2mix import Eco2mixClient
from custom_components.gridmeter.providers.rte import RteClient
from custom_components.gridmeter.providers.signals import (
    GridMix,
    GridStress,
    TempoColour,
    TempoDay,
)
from custom_components.gridmeter.providers.tempo import red_day_stress, tempo_day_of
from custom_components.gridmeter.sources import async_acquire, async_release
from simulator.common import serving
from simulator.odre import OdreSimulator
from simulator.rte import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, RteSimulator
from simulator.tempo import TempoSimulator
from simulator.tempo.calendar import Colour

from .conftest import NOW, submit_options
from .switchgrid_sim import LYON, RunningSwitchgrid
from .test_switchgrid import (  # noqa: F401 - fixtures
    _fast_polls,
    _short_history,
    add_entry,
)

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations"),
]


@dataclass
class France:
    """The French grid simulators of a test."""

    odre: OdreSimulator
    odre_url: str
    tempo: TempoSimulator
    tempo_url: str
    rte: RteSimulator
    rte_url: str
    session: aiohttp.ClientSession

    @property
    def urls(self) -> dict[str, str]:
        return {"odre": self.odre_url, "tempo": self.tempo_url, "rte": self.rte_url}

    async def measured(self) -> list[GridMix]:
        """The 8 days éCO2mix serves (the source's first read)."""
        now = dt_util.utcnow()
        client = Eco2mixClient(self.session, base_url=self.odre_url)
        start = hour_start(now) - timedelta(days=KEEP_DAYS)
        return list((await client.async_get_mix(start, now)).rows)

    async def forecast(self) -> tuple[list[GridMix], list[GridStress]]:
        client = RteClient(
            self.session, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, base_url=self.rte_url
        )
        today = dt_util.utcnow().astimezone(grid_sources.PARIS).date()
        rows = list((await client.async_get_forecast(today, 2)).rows)
        return rows, (await client.async_get_ecowatt()).stress()


@pytest.fixture
async def france(socket_enabled: None) -> AsyncIterator[France]:
    """ODRÉ, Tempo and RTE simulators on local ports (the frozen system clock)."""
    odre, tempo, rte = OdreSimulator(), TempoSimulator(), RteSimulator()
    async with (
        serving(odre.app, access_log=False) as odre_url,
        serving(tempo.app, access_log=False) as tempo_url,
        serving(rte.app, access_log=False) as rte_url,
        aiohttp.ClientSession() as session,
    ):
        yield France(odre, odre_url, tempo, tempo_url, rte, rte_url, session)


@pytest.fixture
def french_defaults(france: France) -> Iterator[None]:
    """Entries made through the flow carry no URLs: point the defaults here."""
    with patch.dict(grid_sources.DEFAULT_URLS, france.urls):
        yield


async def start_source(
    hass: HomeAssistant, france: France, **credentials: str
) -> GridSignalSource:
    source = await async_acquire(
        hass,
        GridSystem.FR.key,
        "test",
        lambda: GridSignalSource(hass, GridSystem.FR, urls=france.urls),
    )
    if credentials:
        source.set_credentials("test", grid_sources.GridCredentials(**credentials))
    await hass.async_block_till_done(wait_background_tasks=True)
    return source


def red_stress(france: France) -> list[GridStress]:
    today = tempo_day_of(dt_util.utcnow())
    days = [
        TempoDay(day=day, colour=TempoColour(colour.value.lower()))
        for day in (today - timedelta(days=1), today)
        if (colour := france.tempo.known(day)) is not None
    ]
    return red_day_stress(days)


async def test_french_estimates_and_carbon(hass: HomeAssistant, france: France) -> None:
    """Without credentials: the rule on éCO2mix's last 7 days; the carbon
    intensity now is the latest measured half hour's.
    """
    source = await start_source(hass, france)
    assert france.odre.count("exports/json") == 1  # the 8 days, one request
    now = dt_util.utcnow()
    rows = await france.measured()
    shares = GridShares.from_mix(rows, "Europe/Paris")
    expected = rule_windows(shares, now, GreenOptions(), red_stress(france))
    assert source.data.windows(now) == expected
    assert expected
    assert {w.basis for w in expected} == {"estimate"}
    assert dict(source.data.shares.measured) == dict(shares.measured)
    latest = max(
        (row for row in rows if row.carbon_g_per_kwh is not None),
        key=lambda r: r.start,
    )
    assert source.data.shares.carbon_now(now) == latest.carbon_g_per_kwh
    assert source.data.has_carbon
    await async_release(hass, GridSystem.FR.key, "test")


async def test_tempo_red_day_is_never_green(
    hass: HomeAssistant, france: France
) -> None:
    """A red Tempo day vetoes its hours, even the greenest."""
    today = tempo_day_of(dt_util.utcnow())
    france.tempo.revisions[today] = Colour.RED
    source = await start_source(hass, france)
    now = dt_util.utcnow()
    stress = red_stress(france)
    assert stress
    red = stress[-1]
    shares = GridShares.from_mix(await france.measured(), "Europe/Paris")
    options = GreenOptions(threshold=0.0)  # every hour would be green
    expected = rule_windows(shares, now, options, stress)
    assert source.data.windows(now, options) == expected
    assert expected
    for window in expected:
        assert window.end <= red.start or window.start >= red.end
    # Without the veto the red hours would be green.
    free = rule_windows(shares, now, options)
    assert any(w.start < red.end and w.end > red.start for w in free)
    await async_release(hass, GridSystem.FR.key, "test")


async def test_french_forecasts_with_credentials(
    hass: HomeAssistant, france: France
) -> None:
    """With RTE credentials: D-1 forecasts ahead, EcoWatt alerts as vetoes."""
    france.rte.enforce_ecowatt_interval = False  # this test reads them again
    source = await start_source(
        hass,
        france,
        rte_client_id=DEMO_CLIENT_ID,
        rte_client_secret=DEMO_CLIENT_SECRET,
    )
    now = dt_util.utcnow()
    forecast, ecowatt = await france.forecast()
    assert forecast
    rows = [*await france.measured(), *forecast]
    shares = GridShares.from_mix(rows, "Europe/Paris")
    stress = sorted([*ecowatt, *red_stress(france)], key=lambda s: s.start)
    expected = rule_windows(shares, now, GreenOptions(), stress)
    assert source.data.forecasts
    assert source.data.windows(now) == expected
    share = source.data.shares.share_at(now)
    assert share is not None and share.basis.value == "forecast"
    assert "estimate" not in {w.basis for w in expected}
    await async_release(hass, GridSystem.FR.key, "test")


# -- a Switchgrid entry ------------------------------------------------------------


@pytest.mark.usefixtures("french_defaults")
async def test_switchgrid_house_gets_windows_and_carbon(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    france: France,
    entity_registry: er.EntityRegistry,
) -> None:
    """The Lyon house: calendar, binary sensor, share (estimate), carbon."""
    entry = await add_entry(hass, switchgrid, name="Bertrand", prm=LYON)
    meter = entry.runtime_data.coordinator.data.meters[LYON]
    assert meter.grid is not None and meter.grid.system is GridSystem.FR
    assert meter.green_windows == meter.grid.windows(dt_util.utcnow())

    def state(platform: str, key: str) -> Any:
        found = entity_registry.async_get_entity_id(
            platform, DOMAIN, f"switchgrid_{LYON}_{key}".lower()
        )
        assert found, key
        return hass.states.get(found)

    carbon = state("sensor", "carbon_intensity")
    assert carbon.attributes["unit_of_measurement"] == "gCO2eq/kWh"
    assert float(carbon.state) == meter.grid.shares.carbon_now(dt_util.utcnow())
    assert state("sensor", "renewable_share").attributes["basis"] == "estimate"
    assert state("binary_sensor", "in_green_window").state in ("on", "off")
    assert state("calendar", "green_windows") is not None


@pytest.mark.usefixtures("french_defaults")
async def test_switchgrid_options_check_rte_credentials(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid, france: France
) -> None:
    """Wrong credentials, half of them, RTE down: translated errors; right
    ones are kept and bring forecasts.
    """
    entry = await add_entry(hass, switchgrid, name="Bertrand", prm=LYON)
    base = {
        "refresh_time": "08:45:00",
        CONF_GREEN: True,
        CONF_GREEN_THRESHOLD: 60,
        CONF_GREEN_MIN_HOURS: 2,
    }

    async def submit(**answers: Any) -> Any:
        return await submit_options(hass, entry, {**base, **answers})

    result = await submit(
        **{CONF_RTE_CLIENT_ID: DEMO_CLIENT_ID, CONF_RTE_CLIENT_SECRET: "wrong"}
    )
    assert result["errors"] == {CONF_RTE_CLIENT_SECRET: "invalid_auth"}
    result = await submit(**{CONF_RTE_CLIENT_ID: DEMO_CLIENT_ID})
    assert result["errors"] == {CONF_RTE_CLIENT_SECRET: "rte_incomplete"}
    result = await submit(**{CONF_RTE_CLIENT_SECRET: DEMO_CLIENT_SECRET})
    assert result["errors"] == {CONF_RTE_CLIENT_ID: "rte_incomplete"}
    france.rte.fail_next("token", 503)
    result = await submit(
        **{
            CONF_RTE_CLIENT_ID: DEMO_CLIENT_ID,
            CONF_RTE_CLIENT_SECRET: DEMO_CLIENT_SECRET,
        }
    )
    assert result["errors"] == {CONF_RTE_CLIENT_SECRET: "cannot_connect"}
    result = await submit(
        **{
            CONF_RTE_CLIENT_ID: f" {DEMO_CLIENT_ID} ",
            CONF_RTE_CLIENT_SECRET: DEMO_CLIENT_SECRET,
        }
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.options[CONF_RTE_CLIENT_ID] == DEMO_CLIENT_ID
    assert entry.options[CONF_GREEN_THRESHOLD] == 60
    meter = entry.runtime_data.coordinator.data.meters[LYON]
    assert meter.grid is not None and meter.grid.forecasts
    now = dt_util.utcnow()
    assert meter.green_windows == meter.grid.windows(
        now, GreenOptions(threshold=0.6, min_hours=2)
    )
    # Diagnostics never show the secret.
    from custom_components.gridmeter.diagnostics import (
        async_get_config_entry_diagnostics,
    )

    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert DEMO_CLIENT_SECRET not in str(diagnostics)
    assert DEMO_CLIENT_ID not in str(diagnostics)
