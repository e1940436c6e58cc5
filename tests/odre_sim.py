"""Running the ODRÉ (éCO2mix) simulator inside a test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import aiohttp

from custom_components.gridmeter.providers.eco2mix import Eco2mixClient
from simulator.common import serving
from simulator.odre import OdreSimulator


@dataclass
class RunningOdre:
    """An ODRÉ simulator on a free local port, with a client session."""

    sim: OdreSimulator
    url: str
    session: aiohttp.ClientSession

    def client(self, timeout: float = 5.0) -> Eco2mixClient:
        """A client of this simulator that shares its clock."""
        return Eco2mixClient(
            self.session, base_url=self.url, timeout=timeout, clock=self.sim.now
        )


@asynccontextmanager
async def running_odre(now: datetime) -> AsyncIterator[RunningOdre]:
    """Serve a fresh simulator frozen at ``now`` for the block."""
    sim = OdreSimulator()
    sim.clock.set(now)
    async with (
        serving(sim.app, access_log=False) as url,
        aiohttp.ClientSession() as session,
    ):
        yield RunningOdre(sim, url, session)
