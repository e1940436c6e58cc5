"""REE real-time demand and generation simulator (demanda.ree.es).

It serves the five systems' 5-minute curves (peninsula, Canary and Balearic
Islands, Ceuta, Melilla) from the deterministic model of `.grid`.
"""

from .app import CURVES, ReeDemandaSimulator, window
from .grid import MODELS, SYSTEMS, Sample

__all__ = ["CURVES", "MODELS", "SYSTEMS", "ReeDemandaSimulator", "Sample", "window"]
