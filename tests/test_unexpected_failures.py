"""The base coordinator's promises about failures nobody planned for.

How a failure is counted (logged once per streak, the streak and when it
ends, what diagnostics keep), and that a CancelledError which is not the
run's own cancellation is a failure like any other: the next run comes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.gridmeter.const import CONF_SUPPLIES, RETRY_DELAY
from custom_components.gridmeter.coordinator import FAILURES_KEPT, FailureLog

from .conftest import NOW, setup_entry, short_history
from .datadis_sim import FLAT, RunningSim
from .faults_helpers import (
    assert_failed_unexpectedly,
    assert_next_run,
    coordinator_of,
    loud_records,
    reported_failures,
    run_next,
    tracebacks,
    with_options,
)

T0 = datetime(2026, 11, 10, tzinfo=UTC)


def run(
    log: FailureLog, *, failed: tuple[str, ...] = (), passed: tuple[str, ...] = ()
) -> list[bool]:
    """One run: steps pass or fail; return whether each failure was to be logged."""
    log.start_run()
    logged = [log.record(step, ValueError(step), T0) for step in failed]
    for step in passed:
        log.passed(step)
    log.end_run()
    return logged


def test_a_failure_is_logged_once_per_streak() -> None:
    """Logged the first time, counted afterwards, logged again after a clean run."""
    log = FailureLog()
    assert run(log, failed=("energy",)) == [True]
    assert run(log, failed=("energy",), passed=("contract",)) == [False]
    assert log.streak == 2
    assert log.failures["energy:ValueError"].count == 2
    run(log, passed=("energy", "contract"))
    assert log.streak == 0
    assert run(log, failed=("energy",)) == [True]
    assert log.total == 3


def test_a_run_that_does_not_reach_the_failing_step_keeps_the_streak() -> None:
    """The retry of a once-a-day step, a run stopped early: no end, no count.

    Only a run in which the failing step ran without failing ends the streak.
    """
    log = FailureLog()
    run(log, failed=("neighbours",), passed=("energy",))
    run(log, passed=("energy",))
    assert log.streak == 1
    assert run(log, failed=("neighbours",)) == [False]
    assert log.streak == 2
    run(log, passed=("neighbours",))
    assert log.streak == 0


def test_only_the_latest_kinds_of_failure_are_kept() -> None:
    """Diagnostics keep a bounded list: the oldest kind goes first."""
    log = FailureLog()
    log.start_run()
    for n in range(FAILURES_KEPT + 1):
        log.record(f"step{n}", KeyError(n), T0 + timedelta(minutes=n))
    log.end_run()
    assert len(log.failures) == FAILURES_KEPT
    assert "step0:KeyError" not in log.failures
    assert log.total == FAILURES_KEPT + 1


@pytest.mark.freeze_time(NOW, tick=True)
@pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations")
async def test_a_stray_cancellation_is_a_failure_not_the_end(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A statistics write raises CancelledError though nobody cancelled the run.

    Home Assistant's coordinator swallows such an error; GridMeter reports
    it as an unexpected failure and schedules the next run, which recovers.
    """
    short_history(datadis, 4)
    entry = with_options(datadis_entry, {CONF_SUPPLIES: [FLAT[:20]]})
    await setup_entry(hass, entry)
    instance = get_instance(hass)

    def cancelled_elsewhere(*_args: Any, **_kwargs: Any) -> None:
        raise asyncio.CancelledError

    monkeypatch.setattr(instance, "async_import_statistics", cancelled_elsewhere)
    ran = await run_next(hass, freezer, entry)
    assert_failed_unexpectedly(entry)
    assert_next_run(entry, ran, within=RETRY_DELAY + timedelta(minutes=5))
    assert "run:CancelledError" in await reported_failures(hass, entry)
    assert len(tracebacks(caplog)) == 1

    monkeypatch.undo()
    ran = await run_next(hass, freezer, entry)
    assert coordinator_of(entry).last_update_success
    assert_next_run(entry, ran, within=timedelta(days=1, hours=1))
    # The traceback, and Home Assistant's note that the update failed.
    assert len(loud_records(caplog)) == 2, loud_records(caplog)
