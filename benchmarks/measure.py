"""Measuring tools shared by the benchmarks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
import json
from pathlib import Path
import resource
import statistics
import time
import tracemalloc
from typing import Any

RESULTS = Path(__file__).parent / "results"
# Callbacks costlier than this are listed with where their task resumed.
_NOTABLE_CPU = 0.002


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
class CallbackWatch:
    """The longest single event-loop callback, in CPU time of the loop's thread.

    A loaded machine preempts the whole process now and then, which the
    ticker of `LoopWatch` counts as a stall; the CPU time one callback keeps
    the loop busy is the code's own doing, whatever else the machine runs.
    `slowest` keeps the costliest callbacks: (CPU ms, wall ms, where the
    callback's task resumed).
    """

    longest_cpu: float = 0.0
    slowest: list[tuple[float, float, str]] = field(default_factory=list)
    _original: Callable[[asyncio.Handle], None] | None = None

    def start(self) -> None:
        original = self._original = asyncio.Handle._run  # noqa: SLF001

        def run(handle: asyncio.Handle) -> None:
            where = _resumes_at(handle)
            cpu, wall = time.thread_time(), time.perf_counter()
            try:
                original(handle)
            finally:
                self._note(time.thread_time() - cpu, time.perf_counter() - wall, where)

        asyncio.Handle._run = run  # type: ignore[method-assign]  # noqa: SLF001

    def _note(self, cpu: float, wall: float, where: str) -> None:
        self.longest_cpu = max(self.longest_cpu, cpu)
        if cpu > _NOTABLE_CPU:
            self.slowest.append((round(cpu * 1000, 2), round(wall * 1000, 2), where))
            self.slowest.sort(reverse=True)
            del self.slowest[5:]

    def stop(self) -> None:
        assert self._original is not None
        asyncio.Handle._run = self._original  # type: ignore[method-assign]  # noqa: SLF001


def _resumes_at(handle: asyncio.Handle) -> str:
    """Where a callback's task resumes: its three innermost awaiting frames."""
    task = getattr(getattr(handle, "_callback", None), "__self__", None)
    if not isinstance(task, asyncio.Task):
        return repr(handle)[:160]
    coro: Any = task.get_coro()
    frames = []
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is not None:
            code = frame.f_code
            name = code.co_filename.rsplit("/", 1)[-1]
            frames.append(f"{code.co_qualname} ({name}:{frame.f_lineno})")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return " > ".join(frames[-3:]) or repr(handle)[:160]


@dataclass
class Sample:
    """One run of a scenario."""

    seconds: float
    peak_mib: float
    loop_stall_ms: float
    extra: dict[str, float] = field(default_factory=dict)
    longest_callback_cpu_ms: float = 0.0
    slowest_callbacks: list[tuple[float, float, str]] = field(default_factory=list)


@asynccontextmanager
async def measured(
    extra: dict[str, float], *, trace_memory: bool = True
) -> AsyncIterator[list[Sample]]:
    """Time a block, its longest loop stall and its costliest loop callback.

    With `trace_memory`, also its peak Python memory: tracemalloc slows
    Python code two to three times, so timings compared with a baseline are
    taken without it.
    """
    out: list[Sample] = []
    watch = LoopWatch()
    callbacks = CallbackWatch()
    if trace_memory:
        tracemalloc.start()
        tracemalloc.reset_peak()
    watch.start()
    callbacks.start()
    await asyncio.sleep(0)  # the block starts in a callback that is watched
    start = time.perf_counter()
    try:
        yield out
    finally:
        seconds = time.perf_counter() - start
        callbacks.stop()
        await watch.stop()
        peak = 0
        if trace_memory:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        out.append(
            Sample(
                seconds,
                peak / 2**20,
                watch.longest * 1000,
                extra,
                callbacks.longest_cpu * 1000,
                callbacks.slowest,
            )
        )


def ratio(value: float, baseline: float) -> float:
    """`value` / `baseline`, rounded (the form every comparison is reported in)."""
    return round(value / baseline, 2) if baseline else float("nan")


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
