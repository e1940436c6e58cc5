"""Shared fixtures.

Home Assistant's pytest plugin is loaded through its entry point. Importing
the integration here makes `custom_components` resolve to this repository
rather than to the plugin's own testing folder.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import UTC, datetime, timedelta
import logging
import os
from typing import Any, Final
from unittest.mock import PropertyMock, patch

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

import custom_components.gridmeter  # noqa: F401
from custom_components.gridmeter import grid_sources
from custom_components.gridmeter.const import CONF_BASE_URL, CONF_PROVIDER, DOMAIN

from .datadis_sim import ALL_SUPPLIES, PASSWORD, RunningSim, running_datadis
from .digiwatt_sim import RunningDigiwatt, running_digiwatt
from .switchgrid_sim import RunningSwitchgrid, running_switchgrid

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)

# Property-based tests (hypothesis). "default" keeps the whole hypothesis part
# of the suite under 60 s on the project's 2-core machines; "thorough"
# (`pytest --hypothesis-profile=thorough`) tries ten times more examples. No
# deadline: a busy machine must not fail a test (each property test has its
# own pytest timeout instead). A test's fixtures (a local server) are shared
# by its examples on purpose. Failing examples are kept under .pytest_cache
# (ignored by git) and tried first on the next run.
settings.register_profile(
    "default",
    max_examples=40,
    deadline=None,
    database=DirectoryBasedExampleDatabase(".pytest_cache/hypothesis"),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile("thorough", settings.get_profile("default"), max_examples=400)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# Home Assistant's plugin logs every SQL statement (INFO). The recorder thread
# of a test may write in the gaps between pytest's captured phases, which
# printed stray SQL into the run's output; no test reads these records.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Store snapshots the way Home Assistant does."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


NO_GRID: Final = "http://127.0.0.1:9"
"""Where grid sources point in tests that give no simulator (refused at once)."""


@pytest.fixture(autouse=True)
def no_public_grid() -> Iterator[None]:
    """Never reach the public grid services: an entry without simulator URLs
    has its grid sources refused at once (they keep no data, show nothing).
    """
    with patch.dict(
        grid_sources.DEFAULT_URLS, dict.fromkeys(grid_sources.DEFAULT_URLS, NO_GRID)
    ):
        yield


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Create entities that are disabled by default as enabled (as core does)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
async def datadis(socket_enabled: None) -> AsyncIterator[RunningSim]:
    """The Datadis simulator on a local port."""
    async with running_datadis() as running:
        yield running


def short_history(running: RunningSim, days: int = 40) -> None:
    """Serve only the last `days` days for every supply (imports stay quick)."""
    gone = {NOW.date() - timedelta(days=n) for n in range(days, 800)}
    for cups in ALL_SUPPLIES:
        running.sim.missing_days(cups, gone)


@pytest.fixture
async def switchgrid(socket_enabled: None) -> AsyncIterator[RunningSwitchgrid]:
    """The Switchgrid simulator on a local port."""
    async with running_switchgrid() as running:
        yield running


@pytest.fixture
async def digiwatt(socket_enabled: None) -> AsyncIterator[RunningDigiwatt]:
    """The Digiwatt simulator on a local port."""
    async with running_digiwatt() as running:
        yield running


@pytest.fixture
def datadis_entry(datadis: RunningSim) -> MockConfigEntry:
    """A Datadis entry for the account with the flat and the heat-pump house."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Datadis ···678Z",
        unique_id="12345678Z",
        data={
            CONF_PROVIDER: "datadis",
            CONF_USERNAME: "12345678Z",
            CONF_PASSWORD: PASSWORD,
            CONF_BASE_URL: datadis.url,
        },
    )


async def submit_options(
    hass: HomeAssistant, entry: MockConfigEntry, answers: Mapping[str, Any]
) -> Any:
    """Open the entry's options form and submit `answers`; the flow's result."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM, result
    return await hass.config_entries.options.async_configure(
        result["flow_id"], dict(answers)
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add and set up an entry, and let its background sync finish."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
