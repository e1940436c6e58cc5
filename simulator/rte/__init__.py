"""RTE data portal simulator: OAuth2 client credentials, forecasts, EcoWatt."""

from .app import (
    CONSUMPTION_PATH,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    ECOWATT_PATH,
    FORECASTS_ONLY_CLIENT_ID,
    FORECASTS_ONLY_CLIENT_SECRET,
    GENERATION_PATH,
    TOKEN_PATH,
    RteSimulator,
)
from .forecast import consumption, ecowatt_level, generation

__all__ = [
    "CONSUMPTION_PATH",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "ECOWATT_PATH",
    "FORECASTS_ONLY_CLIENT_ID",
    "FORECASTS_ONLY_CLIENT_SECRET",
    "GENERATION_PATH",
    "TOKEN_PATH",
    "RteSimulator",
    "consumption",
    "ecowatt_level",
    "generation",
]
