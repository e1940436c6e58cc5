"""The benchmarks' config entry: the simulator's demo Datadis account."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from homeassistant.config_entries import ConfigSubentryData
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.gridmeter.const import CONF_BASE_URL, CONF_GREEN, DOMAIN


def datadis_entry(
    url: str,
    *,
    data: Mapping[str, Any] | None = None,
    subentries: Iterable[ConfigSubentryData] = (),
) -> MockConfigEntry:
    """The demo account on the simulator at `url`.

    Green windows are off: a grid source would ask Red Eléctrica (unreachable
    here) beside the import being measured.
    """
    return MockConfigEntry(
        domain=DOMAIN,
        unique_id="12345678Z",
        data={
            "provider": "datadis",
            "username": "12345678Z",
            "password": "gridmeter-demo",
            CONF_BASE_URL: url,
            **(data or {}),
        },
        options={CONF_GREEN: False},
        subentries_data=list(subentries),
    )
