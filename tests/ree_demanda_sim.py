"""Running the REE real-time demand simulator inside a test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp

from custom_components.gridmeter.providers.ree_demanda import ReeDemandaClient
from simulator.common import serving
from simulator.ree_demanda import ReeDemandaSimulator


@dataclass
class RunningReeDemanda:
    """A REE demand simulator on a free local port and a plain session."""

    sim: ReeDemandaSimulator
    url: str
    session: aiohttp.ClientSession

    def client(self, **kwargs: Any) -> ReeDemandaClient:
        """A client of the simulator (sharing its clock)."""
        options: dict[str, Any] = {"base_url": self.url, "clock": self.sim.clock.now}
        options.update(kwargs)
        return ReeDemandaClient(self.session, **options)


@asynccontextmanager
async def running_ree_demanda(now: datetime) -> AsyncIterator[RunningReeDemanda]:
    """Serve a fresh simulator frozen at `now` for the block."""
    sim = ReeDemandaSimulator(lambda: now)
    async with (
        serving(sim.app, access_log=False) as url,
        aiohttp.ClientSession() as session,
    ):
        try:
            yield RunningReeDemanda(sim, url, session)
        finally:
            sim.reset()
