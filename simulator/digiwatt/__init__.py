"""Digiwatt (Italy) simulator.

It serves the assumed Digiwatt contract (OAuth2 client credentials, users,
onboarding, consumption by appliance, totals, realtime, the last six hours,
performance, habits, 12-month analytics by band and appliance, saving and
greenness windows) over fictional Italian households, with DST-correct
Europe/Rome days and a set of misbehaviour knobs.

>>> from simulator.digiwatt import DigiwattSimulator
>>> sim = DigiwattSimulator()
>>> sim.client_id, sorted(sim.users)
('gridmeter-demo', ['1234567890', '9876543210'])
"""

from .app import DigiwattSimulator, UserState, period_span, twelve_months
from .households import (
    CATALOGUE,
    DEFAULT_APPLIANCES,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    PARTNER_CLIENT_ID,
    PARTNER_CLIENT_SECRET,
    Profile,
    Supply,
)
from .routes import ROUTES

__all__ = [
    "CATALOGUE",
    "DEFAULT_APPLIANCES",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "PARTNER_CLIENT_ID",
    "PARTNER_CLIENT_SECRET",
    "ROUTES",
    "DigiwattSimulator",
    "Profile",
    "Supply",
    "UserState",
    "period_span",
    "twelve_months",
]
