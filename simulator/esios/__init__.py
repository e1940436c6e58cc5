"""ESIOS simulator: PVPC day files (archive 70) and token indicators.

It serves the public PVPC day file (JSON, or a ZIP of day files for a date
range), indicator 1001 (five geos, the real ``datetime_utc`` quirk) and the
peninsular forecast indicators 541, 542, 543 and 460 behind a personal
token, from the deterministic models of `.pvpc` and `simulator.ree_demanda`.
"""

from .app import DEMO_TOKEN, FORECASTS, GEOS, EsiosSimulator, forecast_mix
from .pvpc import day_prices, hour_starts

__all__ = [
    "DEMO_TOKEN",
    "FORECASTS",
    "GEOS",
    "EsiosSimulator",
    "day_prices",
    "forecast_mix",
    "hour_starts",
]
