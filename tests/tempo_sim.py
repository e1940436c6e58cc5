"""Running the Tempo (services-rte.com) simulator inside a test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import aiohttp

from custom_components.gridmeter.providers.signals import TempoColour
from custom_components.gridmeter.providers.tempo import TempoClient
from simulator.common import serving
from simulator.tempo import Colour, TempoSimulator

COLOURS = {
    Colour.BLUE: TempoColour.BLUE,
    Colour.WHITE: TempoColour.WHITE,
    Colour.RED: TempoColour.RED,
}
"""The simulator's wire colours as the client's model colours."""


@dataclass
class RunningTempo:
    """A Tempo simulator on a free local port, with a client session."""

    sim: TempoSimulator
    url: str
    session: aiohttp.ClientSession

    def client(self, timeout: float = 5.0) -> TempoClient:
        """A client of this simulator that shares its clock."""
        return TempoClient(
            self.session, base_url=self.url, timeout=timeout, clock=self.sim.now
        )


@asynccontextmanager
async def running_tempo(now: datetime) -> AsyncIterator[RunningTempo]:
    """Serve a fresh simulator frozen at ``now`` for the block."""
    sim = TempoSimulator()
    sim.clock.set(now)
    async with (
        serving(sim.app, access_log=False) as url,
        aiohttp.ClientSession() as session,
    ):
        yield RunningTempo(sim, url, session)
