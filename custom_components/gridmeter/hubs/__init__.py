"""The metering data hubs GridMeter speaks to: one spec each, registered here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..const import CONF_PROVIDER
from ..spec import ProviderSpec
from . import datadis, digiwatt, switchgrid

SPECS: Final[dict[str, ProviderSpec]] = {
    spec.key: spec for spec in (datadis.SPEC, switchgrid.SPEC, digiwatt.SPEC)
}
"""Every hub by its key, in the order the config flow's menu lists them."""


def spec_for(data: Mapping[str, Any]) -> ProviderSpec:
    """Return the spec of an entry's hub (from its data)."""
    return SPECS[data[CONF_PROVIDER]]
