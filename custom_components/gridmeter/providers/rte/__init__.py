"""France: RTE's data portal (forecasts, EcoWatt) and helpers shared by RTE's sources."""

from .client import (
    DEFAULT_BASE_URL,
    FORECAST_PUBLICATION,
    MAX_FORECAST_DAYS,
    RteClient,
    expected_forecast_publication,
)
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
    "FORECAST_PUBLICATION",
    "MAX_FORECAST_DAYS",
    "PRODUCTION_TYPES",
    "EcowattForecast",
    "EcowattHour",
    "GridMixBatch",
    "RteClient",
    "expected_forecast_publication",
    "forecast_mix",
    "parse_consumption",
    "parse_ecowatt",
    "parse_generation",
    "parse_token",
]
