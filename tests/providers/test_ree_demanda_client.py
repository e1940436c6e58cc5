"""The REE real-time demand client over real HTTP against the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from custom_components.gridmeter.providers.errors import (
    CannotConnect,
    InvalidResponse,
    NotFound,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
    RequestTimeout,
)
from custom_components.gridmeter.providers.esios import ElectricSystem
from custom_components.gridmeter.providers.ree_demanda import FEEDS, ReeDemandaClient
from custom_components.gridmeter.providers.signals import SignalBasis

from ..ree_demanda_sim import RunningReeDemanda, running_ree_demanda

NOW = datetime(2026, 10, 27, 12, 2, tzinfo=UTC)
AUTUMN = date(2026, 10, 25)
SPRING = date(2026, 3, 29)
HOUR = timedelta(hours=1)

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def ree() -> AsyncIterator[RunningReeDemanda]:
    """A REE demand simulator frozen at NOW."""
    async with running_ree_demanda(NOW) as running:
        yield running


def assert_truth(ree: RunningReeDemanda, system: ElectricSystem, rows: tuple) -> None:
    for row in rows:
        renewable, total, samples = ree.sim.truth(system.value, row.start)
        assert samples >= 9
        assert row.basis is SignalBasis.MEASURED
        assert row.duration == HOUR
        assert row.renewable_mw == pytest.approx(renewable, abs=1e-6)
        assert row.total_mw == pytest.approx(total, abs=1e-6)


@pytest.mark.parametrize("system", list(ElectricSystem))
async def test_every_system_equals_the_truth(
    ree: RunningReeDemanda, system: ElectricSystem
) -> None:
    """30 hours around a plain day, each hour the model's average."""
    day = date(2026, 10, 21)
    mix = await ree.client().fetch_mix(system, day)
    assert len(mix.rows) == 30
    assert mix.skipped == 0
    assert mix.unknown_fields == frozenset()
    assert mix.rows[0].start == datetime(2026, 10, 20, 19, tzinfo=UTC)
    assert_truth(ree, system, mix.rows)
    entry = ree.sim.requests[0]
    feed = FEEDS[system]
    assert entry.path.endswith(f"demandaGeneracion{feed.service}")
    assert entry.query == {"curva": feed.curve, "fecha": "2026-10-21"}


async def test_canary_islands_are_mostly_fossil_peninsula_sunny(
    ree: RunningReeDemanda,
) -> None:
    """Islands run on oil; the peninsula peaks at solar noon."""
    client = ree.client()
    day = date(2026, 7, 15)
    canarias = await client.fetch_mix(ElectricSystem.CANARIAS, day)
    peninsula = await client.fetch_mix(ElectricSystem.PENINSULAR, day)
    canary_share = max(row.renewable_share or 0 for row in canarias.rows)
    noon = next(
        row
        for row in peninsula.rows
        if row.start == datetime(2026, 7, 15, 12, tzinfo=UTC)
    )
    night = next(
        row
        for row in peninsula.rows
        if row.start == datetime(2026, 7, 15, 1, tzinfo=UTC)
    )
    assert canary_share < 0.6
    assert (noon.renewable_share or 0) > (night.renewable_share or 0)
    assert_truth(ree, ElectricSystem.CANARIAS, canarias.rows)


@pytest.mark.parametrize(
    ("system", "day", "hours"),
    [
        (ElectricSystem.PENINSULAR, AUTUMN, 31),
        (ElectricSystem.CANARIAS, AUTUMN, 31),
        (ElectricSystem.BALEARES, SPRING, 29),
        (ElectricSystem.CANARIAS, SPRING, 29),
    ],
)
async def test_dst_days(
    ree: RunningReeDemanda, system: ElectricSystem, day: date, hours: int
) -> None:
    """The repeated hour (2A/2B, 1A/1B in the Canaries) and the skipped one."""
    mix = await ree.client().fetch_mix(system, day)
    starts = [row.start for row in mix.rows]
    assert len(starts) == len(set(starts)) == hours
    assert all(b - a == HOUR for a, b in pairwise(starts))
    assert_truth(ree, system, mix.rows)


async def test_hour_in_progress_and_missing_samples(ree: RunningReeDemanda) -> None:
    """An hour needs 45 minutes of samples; the averages use those served."""
    today = NOW.date()
    thin = datetime(2026, 10, 27, 3, tzinfo=UTC)
    holed = datetime(2026, 10, 27, 5, tzinfo=UTC)
    ree.sim.drop_samples("peninsular", thin, thin + timedelta(minutes=20))
    ree.sim.drop_samples("peninsular", holed + timedelta(minutes=45), holed + HOUR)
    mix = await ree.client().fetch_mix(ElectricSystem.PENINSULAR, today)
    starts = {row.start for row in mix.rows}
    assert thin not in starts  # 8 samples of 12 left: 40 minutes
    assert holed in starts  # 9 left: 45 minutes
    assert datetime(2026, 10, 27, 11, tzinfo=UTC) in starts
    assert datetime(2026, 10, 27, 12, tzinfo=UTC) not in starts
    assert_truth(ree, ElectricSystem.PENINSULAR, mix.rows)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, RequestRejected),
        (403, RequestRejected),
        (404, NotFound),
        (429, RateLimited),
        (500, ProviderUnavailable),
        (502, ProviderUnavailable),
        (503, ProviderUnavailable),
    ],
)
async def test_status_errors(
    ree: RunningReeDemanda, status: int, error: type[Exception]
) -> None:
    """Every status maps to its typed error."""
    ree.sim.fail_next("demandaGeneracionCanarias", status)
    with pytest.raises(error):
        await ree.client().fetch_mix(ElectricSystem.CANARIAS, AUTUMN)


@pytest.mark.parametrize("mode", ["truncated", "html", "garbage"])
async def test_garbage_is_invalid_response(ree: RunningReeDemanda, mode: str) -> None:
    """A broken body is InvalidResponse."""
    ree.sim.malformed_next("demandaGeneracionPeninsula", mode)
    with pytest.raises(InvalidResponse):
        await ree.client().fetch_mix(ElectricSystem.PENINSULAR, AUTUMN)


async def test_unknown_fields_and_bad_rows_are_reported(ree: RunningReeDemanda) -> None:
    """A renamed technology shows in unknown_fields; bad rows are counted."""
    body = (
        'null({"valoresHorariosGeneracion":['
        '{"ts":"2026-10-21 10:00","dem":30,"die":20,"nuevo":5},'
        '{"ts":"2026-10-21 10:05","dem":30,"die":"x"},'
        '{"ts":"2026-10-21 2B:10","dem":30,"die":20}]})'
    )
    ree.sim.fail_next("demandaGeneracionPeninsula", 200, body=body)
    mix = await ree.client().fetch_mix(ElectricSystem.CEUTA, date(2026, 10, 21))
    assert mix.unknown_fields == frozenset({"nuevo"})
    assert mix.skipped == 2
    assert mix.rows == ()


async def test_timeout_and_cannot_connect(ree: RunningReeDemanda) -> None:
    """No answer in time, or nobody listening."""
    ree.sim.hang_next("demandaGeneracionBaleares", 5)
    with pytest.raises(RequestTimeout):
        await ree.client(timeout=0.2).fetch_mix(ElectricSystem.BALEARES, AUTUMN)
    client = ReeDemandaClient(ree.session, base_url="http://127.0.0.1:9")
    with pytest.raises(CannotConnect):
        await client.fetch_mix(ElectricSystem.BALEARES, AUTUMN)
    assert "127.0.0.1:9" in repr(client)


async def test_one_request_per_system_and_day(ree: RunningReeDemanda) -> None:
    """The client sends exactly one request per call (callers share it)."""
    client = ree.client()
    for system in ElectricSystem:
        await client.fetch_mix(system, AUTUMN)
    assert client.requests_sent == 5 == ree.sim.count()
