"""ODRÉ (Opendatasoft) simulator: RTE's éCO2mix national real-time records."""

from .app import DATASET, EXPORT_PATH, OdreSimulator
from .grid import SLOT, Slot, slot

__all__ = ["DATASET", "EXPORT_PATH", "SLOT", "OdreSimulator", "Slot", "slot"]
