"""The baseline every import is compared with: Home Assistant's bare import.

`bare_import` hands rows to `async_add_external_statistics` the way a
minimal integration would (one call per statistic, every row at once) and
waits until they are committed. `capture_rows` reads back what GridMeter
wrote, so that the bare import gets exactly the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from homeassistant.components.recorder.models import StatisticData, StatisticMetaData
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from .measure import Sample, measured

_OLDEST = datetime(2000, 1, 1, tzinfo=UTC)
_FIELDS = ("state", "sum", "max", "mean", "min")


@dataclass(frozen=True, slots=True)
class Rows:
    """The rows of one statistic, ready to be imported again."""

    metadata: StatisticMetaData
    rows: list[StatisticData]


async def capture_rows(hass: HomeAssistant, prefix: str) -> list[Rows]:
    """Read back every row of the statistics whose id starts with `prefix`."""
    await async_wait_recording_done(hass)
    instance = get_instance(hass)
    metadata = {
        statistic_id: meta
        for statistic_id, meta in (
            await instance.async_add_executor_job(lambda: get_metadata(hass))
        ).items()
        if statistic_id.startswith(prefix)
    }
    stored = await instance.async_add_executor_job(
        statistics_during_period,
        hass,
        _OLDEST,
        None,
        set(metadata),
        "hour",
        None,
        set(_FIELDS),
    )
    captured = []
    for statistic_id, rows in sorted(stored.items()):
        _, meta = metadata[statistic_id]
        captured.append(
            Rows(
                metadata=StatisticMetaData(
                    has_sum=meta["has_sum"],
                    mean_type=meta["mean_type"],
                    name=meta["name"],
                    source=meta["source"],
                    statistic_id=statistic_id,
                    unit_class=meta["unit_class"],
                    unit_of_measurement=meta["unit_of_measurement"],
                ),
                rows=[
                    StatisticData(
                        start=datetime.fromtimestamp(row["start"], UTC),
                        **{
                            key: value
                            for key in _FIELDS
                            if (value := row.get(key)) is not None  # type: ignore[misc]
                        },
                    )
                    for row in rows
                ],
            )
        )
    return captured


def renamed(captured: list[Rows], old: str, new: str) -> list[Rows]:
    """The same rows under other statistic ids (`old` → `new` in each id)."""
    return [
        Rows(
            metadata=StatisticMetaData(
                **{  # type: ignore[typeddict-item]
                    **item.metadata,
                    "statistic_id": item.metadata["statistic_id"].replace(old, new),
                }
            ),
            rows=[StatisticData(**row) for row in item.rows],  # type: ignore[typeddict-item]
        )
        for item in captured
    ]


async def bare_import(hass: HomeAssistant, captured: list[Rows]) -> Sample:
    """Import rows as a minimal integration would; measured until committed."""
    extra = {"rows": float(sum(len(item.rows) for item in captured))}
    async with measured(extra, trace_memory=False) as out:
        for item in captured:
            async_add_external_statistics(hass, item.metadata, item.rows)
        await async_wait_recording_done(hass)
    return out[0]
