"""The éCO2mix client over real HTTP against the ODRÉ simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from custom_components.gridmeter.providers.eco2mix import MAX_SPAN
from custom_components.gridmeter.providers.errors import (
    InvalidResponse,
    ProviderError,
    RateLimited,
    RequestRejected,
    RequestTimeout,
)
from custom_components.gridmeter.providers.signals import GridMix, SignalBasis
from simulator.odre import SLOT

from ..odre_sim import RunningOdre, running_odre
from ..rte_sim import STATUS_ERRORS

# Two days after the October change of time, 15:20 in Paris.
NOW = datetime(2026, 10, 27, 14, 20, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def odre() -> AsyncIterator[RunningOdre]:
    """The ODRÉ simulator frozen at NOW."""
    async with running_odre(NOW) as running:
        yield running


def slots(start: datetime, end: datetime) -> list[datetime]:
    out, cursor = [], start
    while cursor < end:
        out.append(cursor)
        cursor += SLOT
    return out


def assert_matches_truth(odre: RunningOdre, row: GridMix) -> None:
    """A row is the simulated slot, classified as the README says."""
    truth = odre.sim.truth(row.start)
    assert row.duration == SLOT
    assert row.basis is SignalBasis.MEASURED
    assert row.total_mw == truth.production
    assert row.renewable_mw == truth.renewable
    assert row.carbon_g_per_kwh == (None if row.start.minute % 30 else truth.taux_co2)


async def test_last_seven_days_in_one_request(odre: RunningOdre) -> None:
    """Every measured 15-minute slot of the week, equal to the simulated grid."""
    client = odre.client()
    start = NOW - timedelta(days=7)
    batch = await client.async_get_mix(start, NOW)
    measured_until = odre.sim.measured_until()
    first = datetime(2026, 10, 20, 14, 30, tzinfo=UTC)
    assert [row.start for row in batch.rows] == slots(first, measured_until)
    for row in batch.rows:
        assert_matches_truth(odre, row)
    assert batch.skipped == 0
    assert batch.pending == 2  # 14:00 and 14:15 are listed, not measured yet
    assert client.requests_sent == 1
    (request,) = odre.sim.requests
    assert request.query["timezone"] == "UTC"
    assert request.query["where"] == (
        "date_heure >= '2026-10-20T14:20:00Z' AND date_heure < '2026-10-27T14:20:00Z'"
    )
    assert int(request.query["limit"]) >= 672
    assert "taux_co2" in request.query["select"].split(",")


async def test_hourly_refresh_asks_only_for_new_rows(odre: RunningOdre) -> None:
    """After the week, one request an hour brings the hour's four new rows."""
    client = odre.client()
    week = await client.async_get_mix(NOW - timedelta(days=7), NOW)
    known = {row.start: row for row in week.rows}
    for _ in range(6):
        odre.sim.clock.advance(timedelta(hours=1))
        since = max(known) + SLOT
        batch = await client.async_get_mix(since, odre.sim.now())
        assert [row.start for row in batch.rows] == slots(
            since, since + timedelta(hours=1)
        )
        known.update((row.start, row) for row in batch.rows)
    assert client.requests_sent == 7
    assert sorted(known) == slots(min(known), odre.sim.measured_until())


@pytest.mark.parametrize(
    ("now", "local_day_start", "rows"),
    [
        # 25 October 2026: 25 hours in Paris (CEST then CET).
        (NOW, datetime(2026, 10, 24, 22, 0, tzinfo=UTC), 100),
        # 29 March 2026: 23 hours.
        (
            datetime(2026, 3, 31, 10, 0, tzinfo=UTC),
            datetime(2026, 3, 28, 23, 0, tzinfo=UTC),
            92,
        ),
    ],
)
async def test_a_paris_dst_day(
    now: datetime, local_day_start: datetime, rows: int
) -> None:
    """A local day across the change of time has 92 or 100 rows, keyed on UTC."""
    async with running_odre(now) as odre:
        end = local_day_start + timedelta(hours=rows // 4)
        batch = await odre.client().async_get_mix(local_day_start, end)
        assert len(batch.rows) == rows
        assert [row.start for row in batch.rows] == slots(local_day_start, end)
        for row in batch.rows:
            assert_matches_truth(odre, row)


async def test_nd_missing_string_and_duplicate_rows(odre: RunningOdre) -> None:
    """Rows of "ND" are skipped and counted; strings read; duplicates once."""
    base = datetime(2026, 10, 26, 10, 0, tzinfo=UTC)
    nd, missing, strings, twice = (base + n * SLOT for n in range(4))
    odre.sim.nd_slots.add(nd)
    odre.sim.missing_slots.add(missing)
    odre.sim.string_slots.add(strings)
    odre.sim.duplicate_slots.add(twice)
    batch = await odre.client().async_get_mix(base, base + timedelta(hours=2))
    starts = [row.start for row in batch.rows]
    assert nd not in starts
    assert missing not in starts
    assert starts.count(strings) == starts.count(twice) == 1
    assert len(batch.rows) == 8 - 2
    assert batch.skipped == 2  # the "ND" row and the second copy
    for row in batch.rows:
        assert_matches_truth(odre, row)


async def test_rest_of_today_is_pending_not_measured(odre: RunningOdre) -> None:
    """Rows listed ahead of their measurement are counted, never returned."""
    end = datetime(2026, 10, 27, 23, 0, tzinfo=UTC)  # midnight in Paris
    batch = await odre.client().async_get_mix(NOW - timedelta(hours=1), end)
    assert batch.rows[-1].end == odre.sim.measured_until()
    assert batch.pending == len(slots(odre.sim.measured_until(), end))


async def test_only_the_kept_window_is_served(odre: RunningOdre) -> None:
    """Older than the dataset's window: no rows, no error."""
    odre.sim.window = timedelta(days=2)
    batch = await odre.client().async_get_mix(
        NOW - timedelta(days=7), NOW - timedelta(days=3)
    )
    assert batch.rows == ()


@pytest.mark.parametrize(("status", "error"), STATUS_ERRORS)
async def test_error_statuses(
    odre: RunningOdre, status: int, error: type[ProviderError]
) -> None:
    """Each injected status becomes its typed error."""
    odre.sim.fail_next("exports", status)
    with pytest.raises(error) as raised:
        await odre.client().async_get_mix(NOW - timedelta(hours=2), NOW)
    if isinstance(raised.value, RateLimited):
        assert raised.value.retry_after == 3600


@pytest.mark.parametrize("mode", ["truncated", "html", "garbage"])
async def test_garbage_is_an_invalid_response(odre: RunningOdre, mode: str) -> None:
    """A body that is not an export is InvalidResponse."""
    odre.sim.malformed_next("exports", mode)
    with pytest.raises(InvalidResponse):
        await odre.client().async_get_mix(NOW - timedelta(hours=2), NOW)


async def test_records_shape_is_not_an_export(odre: RunningOdre) -> None:
    """The ``records`` endpoint's ``{"results": [...]}`` is not read as an export."""
    odre.sim.fail_next("exports", 200, {"total_count": 0, "results": []})
    with pytest.raises(InvalidResponse):
        await odre.client().async_get_mix(NOW - timedelta(hours=2), NOW)


async def test_deeply_nested_json_is_invalid(odre: RunningOdre) -> None:
    """Nesting deep enough to break the JSON decoder is InvalidResponse."""
    odre.sim.fail_next("exports", 200, "[" * 200_000 + "]" * 200_000)
    with pytest.raises(InvalidResponse):
        await odre.client().async_get_mix(NOW - timedelta(hours=2), NOW)


async def test_timeout(odre: RunningOdre) -> None:
    """No answer within the timeout is RequestTimeout."""
    odre.sim.hang_next("exports", 3.0)
    with pytest.raises(RequestTimeout):
        await odre.client(timeout=0.3).async_get_mix(NOW - timedelta(hours=2), NOW)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (NOW, NOW),
        (NOW, NOW - timedelta(hours=1)),
        (NOW - MAX_SPAN - timedelta(minutes=15), NOW),
        (datetime(2026, 10, 20), NOW),
    ],
)
async def test_ranges_are_checked_before_sending(
    odre: RunningOdre, start: datetime, end: datetime
) -> None:
    """Empty, inverted, naive or longer than 31 days: refused locally."""
    client = odre.client()
    with pytest.raises(RequestRejected):
        await client.async_get_mix(start, end)
    assert client.requests_sent == 0
    assert "Eco2mixClient" in repr(client)
