"""Datadis (Spain): the joint data hub of the Spanish distribution companies."""

from .client import DEFAULT_BASE_URL, DatadisClient, month_param
from .parsing import DatadisSupply

__all__ = ["DEFAULT_BASE_URL", "DatadisClient", "DatadisSupply", "month_param"]
