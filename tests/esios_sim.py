"""Running the ESIOS simulator inside a test, with a client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp

from custom_components.gridmeter.providers.esios import EsiosClient
from simulator.common import serving
from simulator.esios import DEMO_TOKEN, EsiosSimulator


@dataclass
class RunningEsios:
    """An ESIOS simulator on a free local port and a plain session."""

    sim: EsiosSimulator
    url: str
    session: aiohttp.ClientSession

    def client(self, *, token: str | None = None, **kwargs: Any) -> EsiosClient:
        """A client of the simulator (sharing its clock)."""
        options: dict[str, Any] = {"base_url": self.url, "clock": self.sim.clock.now}
        options.update(kwargs)
        return EsiosClient(self.session, token=token, **options)

    def token_client(self, **kwargs: Any) -> EsiosClient:
        """A client with the simulator's demo token."""
        return self.client(token=DEMO_TOKEN, **kwargs)


@asynccontextmanager
async def running_esios(now: datetime) -> AsyncIterator[RunningEsios]:
    """Serve a fresh simulator frozen at `now` for the block."""
    sim = EsiosSimulator(lambda: now)
    async with (
        serving(sim.app, access_log=False) as url,
        aiohttp.ClientSession() as session,
    ):
        try:
            yield RunningEsios(sim, url, session)
        finally:
            sim.reset()
