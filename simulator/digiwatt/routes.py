"""The Digiwatt contract as the simulator serves it.

Deliberately duplicated from the client's table
(``custom_components/gridmeter/providers/digiwatt/endpoints.py``): the
simulator imports nothing from the integration, and
``tests/test_simulator_digiwatt.py`` checks that both tables agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

ROUTES: Final[Mapping[str, tuple[str, str]]] = {
    "token": ("POST", "/auth/token"),
    "create_user": ("POST", "/users"),
    "delete_user": ("DELETE", "/users/{account_number}"),
    "onboarding": ("POST", "/users/{account_number}/onboarding"),
    "consumption": ("GET", "/users/{account_number}/consumption/{period}"),
    "totals": ("GET", "/users/{account_number}/consumption/{period}/totals"),
    "realtime": ("GET", "/users/{account_number}/consumption/realtime"),
    "latest": ("GET", "/users/{account_number}/consumption/latest"),
    "performance": ("GET", "/users/{account_number}/consumption/{period}/performance"),
    "habits": ("GET", "/users/{account_number}/consumption/{period}/habits"),
    "trend": ("GET", "/users/{account_number}/analytics/trend"),
    "distribution": ("GET", "/users/{account_number}/analytics/distribution"),
    "compound": ("GET", "/users/{account_number}/analytics/compound"),
    "saving": ("GET", "/users/{account_number}/saving"),
    "greenness": ("GET", "/greenness"),
}
"""Endpoint name -> (method, path template)."""

PERIODS: Final = (
    "yesterday",
    "last-seven-days",
    "this-week",
    "last-week",
    "this-month",
    "last-month",
)
HOUSE_TYPES: Final = ("apartment", "townhouse", "detached", "second")
APPLIANCES: Final = (
    "airConditioner",
    "boiler",
    "chargingStation",
    "dishwasher",
    "electricHeater",
    "electricVehicle",
    "fridge",
    "heatPump",
    "inductionCooktop",
    "microwave",
    "oven",
    "solarBattery",
    "solarPanel",
    "television",
    "washingMachine",
)
OTHER: Final = "other"
"""Name of the consumption attributed to no declared appliance."""
