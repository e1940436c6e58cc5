"""Red Eléctrica's ESIOS: PVPC prices, grid forecasts, Spain's electric systems."""

from .client import (
    ARCHIVE_MAX_DAYS,
    DEFAULT_BASE_URL,
    FORECAST_SYSTEMS,
    INDICATOR_MAX_DAYS,
    EsiosClient,
    ForecastMix,
)
from .prices import PvpcPrices, local_hours
from .schedule import last_expected_day, pvpc_expected_at, tomorrow_prices_expected_at
from .systems import (
    PVPC_CANARIAS,
    PVPC_CEUTA_MELILLA,
    PVPC_PENINSULA,
    SYSTEM_TIME_ZONES,
    ElectricSystem,
    PvpcZone,
    electric_system_for,
    pvpc_zone_for,
)

__all__ = [
    "ARCHIVE_MAX_DAYS",
    "DEFAULT_BASE_URL",
    "FORECAST_SYSTEMS",
    "INDICATOR_MAX_DAYS",
    "PVPC_CANARIAS",
    "PVPC_CEUTA_MELILLA",
    "PVPC_PENINSULA",
    "SYSTEM_TIME_ZONES",
    "ElectricSystem",
    "EsiosClient",
    "ForecastMix",
    "PvpcPrices",
    "PvpcZone",
    "electric_system_for",
    "last_expected_day",
    "local_hours",
    "pvpc_expected_at",
    "pvpc_zone_for",
    "tomorrow_prices_expected_at",
]
