"""Shared fixtures.

Home Assistant's pytest plugin is loaded through its entry point. Importing
the integration here makes `custom_components` resolve to this repository
rather than to the plugin's own testing folder.
"""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

import custom_components.gridmeter  # noqa: F401


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Store snapshots the way Home Assistant does."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)
