"""Running the Switchgrid simulator inside a test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from simulator.common import serving
from simulator.switchgrid import SwitchgridSimulator

PARIS = "00412345678901"
LYON = "19876543210987"
TOULOUSE = "07654321098765"
LILLE = "02468013579246"
MARSEILLE = "13579246801357"


@dataclass
class RunningSwitchgrid:
    """A Switchgrid simulator on a free local port."""

    sim: SwitchgridSimulator
    origin: str

    @property
    def url(self) -> str:
        """The API base URL (what the integration stores)."""
        return f"{self.origin}/enedis/v2"


@asynccontextmanager
async def running_switchgrid() -> AsyncIterator[RunningSwitchgrid]:
    """Serve a fresh simulator (no artificial delays) for the block."""
    sim = SwitchgridSimulator()
    sim.address_check_delay = 0
    sim.order_delay = 0
    async with serving(sim.app, access_log=False) as origin:
        try:
            yield RunningSwitchgrid(sim, origin)
        finally:
            sim.reset()
