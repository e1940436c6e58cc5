"""Serve a Datadis simulator from another process.

In a benchmark the simulator must not share Home Assistant's event loop or
interpreter: generating two years of answers is the provider's work, and it
would be counted as GridMeter's event-loop stall.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
import json
import multiprocessing
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
import urllib.request

from simulator.common import start
from simulator.datadis import DatadisSimulator
from simulator.datadis.data import DatadisData
from simulator.datadis.households import HOUSEHOLDS, DemoAccount, make_cups

USERNAME = "12345678Z"
PASSWORD = "gridmeter-demo"  # noqa: S105 - the simulator's demo account


def build(supplies: int) -> DatadisSimulator:
    """A simulator whose demo account holds `supplies` varied households."""
    sim = DatadisSimulator()
    households = tuple(
        replace(
            HOUSEHOLDS[i % len(HOUSEHOLDS)],
            key=f"bench_{i}",
            cups=make_cups(f"{7100000000000000 + i * 7919:016d}"),
        )
        for i in range(supplies)
    )
    sim.data = DatadisData(households)
    sim.accounts[USERNAME] = DemoAccount(
        username=USERNAME, password=PASSWORD, supplies=[h.cups for h in households]
    )
    return sim


def _serve(supplies: int, urls: Queue[str]) -> None:
    async def main() -> None:
        sim = build(supplies)
        _runner, url = await start(sim.app, "127.0.0.1", 0, access_log=False)
        urls.put(url)
        await asyncio.Event().wait()

    asyncio.run(main())


def serve(supplies: int) -> tuple[BaseProcess, str]:
    """Start a simulator process; return it and its base URL."""
    context = multiprocessing.get_context("spawn")
    urls: Queue[str] = context.Queue()
    process = context.Process(target=_serve, args=(supplies, urls), daemon=True)
    process.start()
    return process, urls.get(timeout=60)


def _call(url: str, data: dict[str, object] | None = None) -> object:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(  # noqa: S310 - our own simulator URL
        url, data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def set_clock(base_url: str, now: datetime) -> None:
    """Move the simulator's clock (publication and the 24 h rule follow it)."""
    _call(f"{base_url}/_sim/clock", {"now": now.isoformat()})


def requests(base_url: str) -> list[dict[str, object]]:
    """Every logged request (``GET /_sim/requests`` answers a list)."""
    answer = _call(f"{base_url}/_sim/requests")
    assert isinstance(answer, list)
    return answer
