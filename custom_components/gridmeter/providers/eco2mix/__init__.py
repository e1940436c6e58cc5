"""France: measured 15-minute generation mix and CO2 intensity (éCO2mix on ODRÉ)."""

from ..rte.models import GridMixBatch
from .client import DATASET, DEFAULT_BASE_URL, MAX_SPAN, Eco2mixClient
from .parsing import PRODUCTION_FIELDS, RENEWABLE_FIELDS, parse_export, parse_record

__all__ = [
    "DATASET",
    "DEFAULT_BASE_URL",
    "MAX_SPAN",
    "PRODUCTION_FIELDS",
    "RENEWABLE_FIELDS",
    "Eco2mixClient",
    "GridMixBatch",
    "parse_export",
    "parse_record",
]
