"""Reading statistics back from the recorder in tests."""

from __future__ import annotations

from datetime import UTC, datetime

from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)


async def read_hours(
    hass: HomeAssistant, statistic_id: str
) -> dict[datetime, tuple[float, float]]:
    """Return {UTC hour: (state, sum)} of an energy statistic."""
    await async_wait_recording_done(hass)
    result = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2000, 1, 1, tzinfo=UTC),
        None,
        {statistic_id},
        "hour",
        None,
        {"state", "sum"},
    )
    return {
        datetime.fromtimestamp(row["start"], UTC): (row["state"], row["sum"])
        for row in result.get(statistic_id, [])
    }


def assert_continuous(rows: dict[datetime, tuple[float, float]]) -> None:
    """Every sum is the previous sum plus the hour's state (no steps, no drift)."""
    previous = 0.0
    for hour in sorted(rows):
        state, total = rows[hour]
        assert round(previous + state, 6) == round(total, 6), hour
        previous = total
