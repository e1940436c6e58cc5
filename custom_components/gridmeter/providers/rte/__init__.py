"""France: RTE's data portal (forecasts, EcoWatt) and helpers shared by RTE's sources."""

from .client import DEFAULT_BASE_URL, MAX_FORECAST_DAYS, RteClient
from .models import ECOWATT_STRESS_LEVEL, EcowattForecast, EcowattHour, GridMixBatch
from .parsing import (
    PRODUCTION_TYPES,
    forecast_mix,
    parse_consumption,
    parse_ecowatt,
    parse_generation,
    parse_token,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "ECOWATT_STRESS_LEVEL",
    "MAX_FORECAST_DAYS",
    "PRODUCTION_TYPES",
    "EcowattForecast",
    "EcowattHour",
    "GridMixBatch",
    "RteClient",
    "forecast_mix",
    "parse_consumption",
    "parse_ecowatt",
    "parse_generation",
    "parse_token",
]
