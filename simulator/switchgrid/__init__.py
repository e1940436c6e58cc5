"""Switchgrid (Enedis, France) simulator.

It serves the Switchgrid v2 API (``/enedis/v2/...``: contract search, Asks
with a hosted consent page, Orders, load curves with server-side resampling),
pre-signed raw Enedis files (C68, R64/R65/R66 in the M023 envelope), webhooks
and a set of misbehaviour knobs.

>>> from simulator.switchgrid import SwitchgridSimulator
>>> sim = SwitchgridSimulator()
>>> sim.token
'sg-demo-token'
>>> sorted(sim.households)[0]
'00412345678901'
"""

from .app import (
    API_PREFIX,
    DEMO_TOKEN,
    NOT_COLLECTED_MESSAGE,
    ORGANIZATION_ID,
    SwitchgridSimulator,
    WebhookDelivery,
)
from .households import (
    HOUSEHOLDS,
    LILLE_HOUSE,
    LYON_HOUSE,
    MARSEILLE_SHOP,
    PARIS_FLAT,
    TOULOUSE_SOLAR,
    Household,
    parse_off_peak,
)

__all__ = [
    "API_PREFIX",
    "DEMO_TOKEN",
    "HOUSEHOLDS",
    "LILLE_HOUSE",
    "LYON_HOUSE",
    "MARSEILLE_SHOP",
    "NOT_COLLECTED_MESSAGE",
    "ORGANIZATION_ID",
    "PARIS_FLAT",
    "TOULOUSE_SOLAR",
    "Household",
    "SwitchgridSimulator",
    "WebhookDelivery",
    "parse_off_peak",
]
