"""What the fault-matrix tests share: runs on the schedule, logs, repairs, faults.

Each hub's matrix (tests/test_fault_matrix_<hub>.py) drives its simulator over
real HTTP through Home Assistant and checks the same promises after every
fault: the statistics equal the simulator's truth, the next run is scheduled
(not in the past, not days away), the log holds a bounded number of records,
and an unexpected exception is logged once, counted, shown in diagnostics and
repaired after three runs in a row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import _TrackPointUTCTime
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.gridmeter.const import DOMAIN
from custom_components.gridmeter.coordinator import (
    UNEXPECTED_STREAK,
    GridMeterCoordinator,
)
from custom_components.gridmeter.diagnostics import async_get_config_entry_diagnostics
from custom_components.gridmeter.storage import SAVE_DELAY
from simulator.common.base import SimulatorBase

from .stats_helpers import assert_continuous, read_hours

UNEXPECTED = "unexpected error in step"
"""How the coordinator's traceback record of an unexpected failure begins."""
OURS = "custom_components.gridmeter"
"""GridMeter's loggers (its coordinators log through them too)."""


def coordinator_of(entry: MockConfigEntry) -> GridMeterCoordinator[Any]:
    """Return the entry's main coordinator."""
    coordinator: GridMeterCoordinator[Any] = entry.runtime_data.coordinator
    return coordinator


def with_options(entry: MockConfigEntry, options: dict[str, Any]) -> MockConfigEntry:
    """The same account's entry with these options."""
    return MockConfigEntry(
        domain=entry.domain,
        title=entry.title,
        unique_id=entry.unique_id,
        data=dict(entry.data),
        options=options,
    )


# -- the schedule ---------------------------------------------------------------


async def settle(hass: HomeAssistant) -> None:
    """Let every task started so far (runs, saves, writes) finish."""
    await hass.async_block_till_done(wait_background_tasks=True)


def start_next_run(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> datetime:
    """Move the clock to the scheduled run and start it; return when it runs."""
    when = coordinator_of(entry).next_at
    assert when is not None, "no run is scheduled"
    when = max(when, dt_util.utcnow()) + timedelta(seconds=1)
    freezer.move_to(when)
    async_fire_time_changed(hass, when)
    return when


async def run_next(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> datetime:
    """Move the clock to the scheduled run, let it run; return when it ran."""
    when = start_next_run(hass, freezer, entry)
    await settle(hass)
    return when


async def jump(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> datetime:
    """Move the clock by `delta` (back when negative), run what is due; return now."""
    now = dt_util.utcnow() + delta
    freezer.move_to(now)
    async_fire_time_changed(hass, now)
    await settle(hass)
    return now


async def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Let the loop run until `condition` holds (a hang guard, not a timing)."""
    for _ in range(3000):
        if condition():
            return
        await asyncio.sleep(0.02)
    pytest.fail(f"never happened: {what}")


def assert_next_run(
    entry: MockConfigEntry, now: datetime, *, within: timedelta
) -> datetime:
    """The next run is scheduled after `now` and no later than `within` after it."""
    next_at = coordinator_of(entry).next_at
    assert next_at is not None, "no next run scheduled"
    assert now < next_at <= now + within, (now, next_at)
    return next_at


def assert_failed_unexpectedly(entry: MockConfigEntry) -> None:
    """The last run failed with the translated `unexpected_error`."""
    coordinator = coordinator_of(entry)
    assert not coordinator.last_update_success
    error = coordinator.last_exception
    assert isinstance(error, UpdateFailed), error
    assert error.translation_domain == DOMAIN
    assert error.translation_key == "unexpected_error"


async def assert_unload_ends_the_chain(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    requests: Callable[[], int],
) -> None:
    """Unload the entry during its run: no next run, no timer, nothing sent later."""
    coordinator = coordinator_of(entry)
    assert coordinator.running
    assert await hass.config_entries.async_unload(entry.entry_id)
    await settle(hass)
    assert not coordinator.running
    assert run_timers(hass) == []
    sent = requests()
    later = dt_util.utcnow() + timedelta(days=3)
    freezer.move_to(later)
    async_fire_time_changed(hass, later)
    await settle(hass)
    assert requests() == sent
    assert run_timers(hass) == []


def unfaulted_requests(sim: SimulatorBase) -> int:
    """Requests `sim` answered without an injected fault.

    A request held by `hang_next` is logged when it ends, which after an
    unload is whenever the server notices the closed connection; counting it
    would make "nothing was sent later" depend on that moment.
    """
    return sum(1 for request in sim.requests if request.fault is None)


async def restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Stop the entry as Home Assistant would, and start it again."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await settle(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)


async def saved_state(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    entry: MockConfigEntry,
) -> dict[str, Any]:
    """Return the account's document as written by the delayed save."""
    later = dt_util.utcnow() + timedelta(seconds=SAVE_DELAY + 1)
    freezer.move_to(later)
    async_fire_time_changed(hass, later)
    await settle(hass)
    key = coordinator_of(entry)._store.key
    document: dict[str, Any] = hass_storage[key]["data"]
    return document


# -- faults -------------------------------------------------------------------------


@dataclass(slots=True)
class InjectedFault:
    """An error injected into a method: how often it was raised; on or off."""

    raised: int = 0
    active: bool = True


def raise_in(
    monkeypatch: pytest.MonkeyPatch,
    owner: object,
    name: str,
    error: BaseException,
    *,
    when: Callable[..., bool] = lambda *_args, **_kwargs: True,
    after: bool = False,
) -> InjectedFault:
    """Make the coroutine method `owner.name` raise `error` (when `when(*args)`).

    With `after`, the original runs first (its request is sent and its
    answer read, as when a parser fails on it) and the error comes after it.
    """
    original = getattr(owner, name)
    fault = InjectedFault()

    async def failing(*args: Any, **kwargs: Any) -> Any:
        if not fault.active or not when(*args, **kwargs):
            return await original(*args, **kwargs)
        if after:
            await original(*args, **kwargs)
        fault.raised += 1
        raise error

    monkeypatch.setattr(owner, name, failing)
    return fault


@contextmanager
def stop_during_write_slice(
    hass: HomeAssistant, statistic_id: str, slice_number: int = 1
) -> Iterator[None]:
    """Cancel the task writing a statistic right after its Nth slice is queued.

    That is what stopping Home Assistant does to a backfill: the slices
    queued so far are committed by the recorder, the rest never comes.
    """
    instance = get_instance(hass)
    original = instance.async_import_statistics
    seen = [0]

    def importing(metadata: Any, *args: Any, **kwargs: Any) -> None:
        original(metadata, *args, **kwargs)
        if metadata["statistic_id"] != statistic_id:
            return
        seen[0] += 1
        if seen[0] == slice_number and (task := asyncio.current_task()) is not None:
            task.cancel()

    instance.async_import_statistics = importing  # type: ignore[method-assign]
    try:
        yield
    finally:
        instance.async_import_statistics = original  # type: ignore[method-assign]
    assert seen[0] >= slice_number, "the write never reached that slice"


@contextmanager
def held_recorder_reads(hass: HomeAssistant) -> Iterator[asyncio.Event]:
    """Hold every read through the recorder's executor until the event is set.

    A recorder slow to start (a migration, a big database on an SD card)
    answers statistics queries only minutes after Home Assistant started.
    """
    instance = get_instance(hass)
    original = instance.async_add_executor_job
    gate = asyncio.Event()

    async def held(target: Callable[..., Any], *args: Any) -> Any:
        await gate.wait()
        return await original(target, *args)

    instance.async_add_executor_job = held  # type: ignore[assignment]
    try:
        yield gate
    finally:
        gate.set()
        instance.async_add_executor_job = original  # type: ignore[method-assign]


def run_timers(hass: HomeAssistant) -> list[asyncio.TimerHandle]:
    """Return the armed timers of GridMeter runs (the coordinator's next run)."""
    return [
        handle
        for handle in hass.loop._scheduled  # type: ignore[attr-defined]
        if not handle.cancelled()
        and isinstance(track := handle._callback, _TrackPointUTCTime)
        and "GridMeterCoordinator._schedule" in track.job.target.__qualname__
    ]


# -- what the user sees --------------------------------------------------------------


def unexpected_issue(
    hass: HomeAssistant, entry: MockConfigEntry
) -> ir.IssueEntry | None:
    """Return the repair of answers GridMeter keeps failing to read, if raised."""
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"unexpected_answer_{entry.entry_id}".lower()
    )


async def reported_failures(
    hass: HomeAssistant, entry: MockConfigEntry
) -> dict[str, dict[str, Any]]:
    """Return the unexpected failures diagnostics list, by `step:error`."""
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)  # type: ignore[arg-type]
    failures = diagnostics["unexpected_failures"]["failures"]
    return {f"{f['step']}:{f['error']}": f for f in failures}


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return the records of unexpected failures logged with their traceback."""
    return [
        record
        for record in caplog.records
        if record.exc_info and UNEXPECTED in record.getMessage()
    ]


def loud_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return GridMeter's warnings and errors, and any error at all.

    (Warnings of other libraries, such as asyncio's slow-callback notes on a
    busy machine, say nothing about GridMeter.)
    """
    return [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR
        or (record.levelno >= logging.WARNING and record.name.startswith(OURS))
    ]


async def assert_streak_repaired(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    key: str,
    *,
    per_run: int = 1,
    max_runs: int = 12,
) -> None:
    """Follow the schedule until the failure `key` was met in three runs.

    The repair is absent before the third run and present after it, the
    traceback was logged once, and diagnostics count every occurrence
    (`per_run` in each run that met it).
    A run that does not reach the failing step (a retry of a once-a-day
    step) neither ends nor lengthens the streak.
    """
    coordinator = coordinator_of(entry)
    for _ in range(max_runs):
        if coordinator.failures.streak >= UNEXPECTED_STREAK:
            break
        assert unexpected_issue(hass, entry) is None
        await run_next(hass, freezer, entry)
    assert coordinator.failures.streak == UNEXPECTED_STREAK
    issue = unexpected_issue(hass, entry)
    assert issue is not None
    assert issue.translation_key == "unexpected_answer"
    step = key.split(":")[0]
    logged = [r for r in tracebacks(caplog) if f"in step {step} (" in r.getMessage()]
    assert len(logged) == 1, logged
    failure = (await reported_failures(hass, entry))[key]
    assert failure["count"] == UNEXPECTED_STREAK * per_run
    assert failure["first_seen"] < failure["last_seen"]


async def assert_cleared(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    *,
    max_runs: int = 4,
) -> None:
    """Follow the schedule: the first run where the failing step passes clears all.

    The repair goes and the streak ends (the next failure is logged again).
    """
    coordinator = coordinator_of(entry)
    for _ in range(max_runs):
        await run_next(hass, freezer, entry)
        if coordinator.failures.streak == 0:
            break
    assert coordinator.failures.streak == 0
    assert unexpected_issue(hass, entry) is None


async def read_peaks(hass: HomeAssistant, statistic_id: str) -> dict[datetime, float]:
    """Return {UTC hour: kW} of a max-power statistic."""
    await async_wait_recording_done(hass)
    result = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2000, 1, 1, tzinfo=UTC),
        None,
        {statistic_id},
        "hour",
        None,
        {"max"},
    )
    return {
        datetime.fromtimestamp(row["start"], UTC): row["max"]
        for row in result.get(statistic_id, [])
    }


async def assert_statistic_equals(
    hass: HomeAssistant, statistic_id: str, truth: dict[datetime, float]
) -> None:
    """The statistic holds exactly the truth's hours, with continuous sums."""
    rows = await read_hours(hass, statistic_id)
    assert {h: round(s, 6) for h, (s, _) in rows.items()} == {
        h: round(v, 6) for h, v in truth.items()
    }
    assert_continuous(rows)
