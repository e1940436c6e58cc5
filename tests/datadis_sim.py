"""Running the Datadis simulator inside a test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from simulator.common import serving
from simulator.datadis import DatadisSimulator
from simulator.datadis.data import HourTruth

FLAT = "ES0031408273645190LY0F"
HEAT_PUMP = "ES0021500743219876QF0F"
SOLAR = "ES0031104567890123YC0F"
CANARY = "ES0031602345678912RK0F"
CEUTA = "ES0097000123456789AF0F"
PASSWORD = "gridmeter-demo"
ALL_SUPPLIES = (FLAT, HEAT_PUMP, SOLAR, CANARY, CEUTA)


@dataclass
class RunningSim:
    """A simulator served on a free local port."""

    sim: DatadisSimulator
    url: str

    def truth(self, cups: str) -> dict[datetime, HourTruth]:
        """Ground truth of a supply as served now."""
        return self.sim.truth(cups)


@asynccontextmanager
async def running_datadis() -> AsyncIterator[RunningSim]:
    """Serve a fresh simulator for the duration of the block."""
    sim = DatadisSimulator()
    async with serving(sim.app, access_log=False) as url:
        try:
            yield RunningSim(sim, url)
        finally:
            sim.reset()
