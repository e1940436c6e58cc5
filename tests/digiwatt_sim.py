"""Running the Digiwatt simulator inside a test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from simulator.common import serving
from simulator.digiwatt import DigiwattSimulator

ROME_FLAT = "1234567890"
ROME_POD = "IT001E12345678"
BOLOGNA_HOUSE = "2345678901"
BOLOGNA_POD = "IT001E23456789"
COMPANY = "DGW01"


@dataclass
class RunningDigiwatt:
    """A Digiwatt simulator on a free local port."""

    sim: DigiwattSimulator
    url: str


@asynccontextmanager
async def running_digiwatt() -> AsyncIterator[RunningDigiwatt]:
    """Serve a fresh simulator for the block."""
    sim = DigiwattSimulator()
    async with serving(sim.app, access_log=False) as url:
        try:
            yield RunningDigiwatt(sim, url)
        finally:
            sim.reset()
