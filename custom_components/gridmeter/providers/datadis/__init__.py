"""Datadis (Spain): the joint data hub of the Spanish distribution companies."""

from .client import DEFAULT_BASE_URL, DatadisClient, SupplyList
from .parsing import DatadisBatch, DatadisSupply, PeakBatch

__all__ = [
    "DEFAULT_BASE_URL",
    "DatadisBatch",
    "DatadisClient",
    "DatadisSupply",
    "PeakBatch",
    "SupplyList",
]
