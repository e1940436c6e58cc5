"""Benchmark fixtures: Home Assistant with an on-disk recorder database."""

from __future__ import annotations

import pytest

import custom_components.gridmeter  # noqa: F401


@pytest.fixture
def persistent_database() -> bool:
    """Measure against a real SQLite file, as an installation has."""
    return True


@pytest.fixture(autouse=True)
def _quiet_sql() -> None:
    """The recorder's SQL echo would drown the figures."""
    import logging

    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


@pytest.fixture(autouse=True)
async def enable_event_loop_debug() -> None:
    """Measure a production loop: asyncio's debug mode (on in tests) is off."""
    import asyncio

    asyncio.get_running_loop().set_debug(False)
