"""Measuring tools shared by the benchmarks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
import json
from pathlib import Path
import resource
import statistics
import time
import tracemalloc

RESULTS = Path(__file__).parent / "results"


@dataclass
class LoopWatch:
    """The longest delay the event loop imposed on a 5 ms ticker."""

    period: float = 0.005
    longest: float = 0.0
    _task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + self.period
            await asyncio.sleep(self.period)
            self.longest = max(self.longest, loop.time() - expected)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task


@dataclass
class Sample:
    """One run of a scenario."""

    seconds: float
    peak_mib: float
    loop_stall_ms: float
    extra: dict[str, float] = field(default_factory=dict)


@asynccontextmanager
async def measured(extra: dict[str, float]) -> AsyncIterator[list[Sample]]:
    """Time a block, trace its peak Python memory and the longest loop stall."""
    out: list[Sample] = []
    watch = LoopWatch()
    tracemalloc.start()
    tracemalloc.reset_peak()
    watch.start()
    start = time.perf_counter()
    try:
        yield out
    finally:
        seconds = time.perf_counter() - start
        await watch.stop()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out.append(Sample(seconds, peak / 2**20, watch.longest * 1000, extra))


def median(values: list[float]) -> float:
    """Median (the figure every benchmark reports)."""
    return statistics.median(values)


def save(name: str, data: dict[str, object]) -> Path:
    """Write results as JSON next to the benchmarks."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    data["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path
