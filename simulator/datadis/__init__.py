"""Datadis (Spain) simulator.

It serves the private API, the public aggregated search, the 24 h rule, DST
hour labels, the i-DE ``00:00`` row and a set of misbehaviour knobs.

>>> from simulator.datadis import DatadisSimulator
>>> sim = DatadisSimulator()
>>> sorted(sim.accounts)[:2]
['00000000T', '12345678Z']
"""

from .app import DatadisSimulator
from .data import HourTruth, PeakTruth
from .households import (
    DEMO_PASSWORD,
    HOUSEHOLDS,
    DemoAccount,
    Household,
    cups_check_letters,
    cups_is_valid,
    nif_is_valid,
)

__all__ = [
    "DEMO_PASSWORD",
    "HOUSEHOLDS",
    "DatadisSimulator",
    "DemoAccount",
    "HourTruth",
    "Household",
    "PeakTruth",
    "cups_check_letters",
    "cups_is_valid",
    "nif_is_valid",
]
