"""Requests of the grid sources over a simulated week (the README's figures).

One Spanish peninsular source (with an ESIOS token) and the French source
(with RTE credentials) run hour by hour for 7 days against the simulators;
every request the simulators answer is counted. Run with ``-s`` to print the
table.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.gridmeter.grid_sources import GridCredentials, GridSignalSource
from custom_components.gridmeter.grid_systems import GridSystem
from custom_components.gridmeter.sources import async_acquire, async_release
from simulator.common import serving
from simulator.esios import DEMO_TOKEN, EsiosSimulator
from simulator.odre import OdreSimulator
from simulator.ree_demanda import ReeDemandaSimulator
from simulator.rte import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, RteSimulator
from simulator.tempo import TempoSimulator

from .conftest import NOW

pytestmark = [
    pytest.mark.freeze_time(NOW),
    pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations"),
]

HOURS = 7 * 24


@pytest.fixture
async def sims(socket_enabled: None) -> AsyncIterator[dict[str, object]]:
    """Every grid simulator on a local port (the frozen system clock)."""
    made = {
        "ree_demanda": ReeDemandaSimulator(),
        "esios": EsiosSimulator(),
        "odre": OdreSimulator(),
        "rte": RteSimulator(),
        "tempo": TempoSimulator(),
    }
    async with (
        serving(made["ree_demanda"].app, access_log=False) as ree,  # type: ignore[attr-defined]
        serving(made["esios"].app, access_log=False) as esios,  # type: ignore[attr-defined]
        serving(made["odre"].app, access_log=False) as odre,  # type: ignore[attr-defined]
        serving(made["rte"].app, access_log=False) as rte,  # type: ignore[attr-defined]
        serving(made["tempo"].app, access_log=False) as tempo,  # type: ignore[attr-defined]
    ):
        made["urls"] = {
            "ree_demanda": ree,
            "esios": esios,
            "odre": odre,
            "rte": rte,
            "tempo": tempo,
        }
        yield made


async def test_requests_over_a_week(
    hass: HomeAssistant, sims: dict[str, object], freezer: FrozenDateTimeFactory
) -> None:
    """Hourly measured mix, forecasts when due, shared by every entry."""
    urls: dict[str, str] = sims["urls"]  # type: ignore[assignment]
    sources = {}
    for system, credentials in (
        (GridSystem.ES_PENINSULAR, GridCredentials(esios_token=DEMO_TOKEN)),
        (
            GridSystem.FR,
            GridCredentials(
                rte_client_id=DEMO_CLIENT_ID, rte_client_secret=DEMO_CLIENT_SECRET
            ),
        ),
    ):
        source = await async_acquire(
            hass,
            system.key,
            "bench",
            lambda system=system: GridSignalSource(hass, system, urls=urls),  # type: ignore[misc]
        )
        source.set_credentials("bench", credentials)
        sources[system] = source
    await hass.async_block_till_done(wait_background_tasks=True)
    start = dt_util.utcnow()
    for hour in range(1, HOURS + 1):
        moment = start + timedelta(hours=hour, minutes=6)
        freezer.move_to(moment)
        async_fire_time_changed(hass, moment)
        await hass.async_block_till_done(wait_background_tasks=True)
    counts = {
        name: len(sim.requests)  # type: ignore[attr-defined]
        for name, sim in sims.items()
        if name != "urls"
    }
    print(f"\nRequests over {HOURS} hours:", counts)  # noqa: T201
    print(  # noqa: T201
        "by source:", {s.value: src.state.requests for s, src in sources.items()}
    )
    # REE: 8 at the start (7 past days and today), then one an hour.
    assert counts["ree_demanda"] == 8 + HOURS
    # ESIOS: four series every 3 hours.
    assert counts["esios"] == 4 * (1 + HOURS // 3)
    # éCO2mix: one at the start (8 days), then one an hour.
    assert counts["odre"] == 1 + HOURS
    # RTE: tokens every 2 hours, EcoWatt hourly, forecasts daily (2 requests).
    assert counts["rte"] <= HOURS // 2 + 2 + HOURS + 1 + 2 * 8
    # Tempo: the current season once, then about once a day.
    assert counts["tempo"] <= 2 + 2 * 8
    for system, source in sources.items():
        assert source.data.has_data, system
        await async_release(hass, system.key, "bench")
