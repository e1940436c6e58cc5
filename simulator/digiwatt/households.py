"""Fictional Italian households served by the Digiwatt simulator.

A :class:`Profile` is the *physical* household: which loads it really has
and how big they are. It drives the meter's load (``load.py``) whatever the
user declares in the onboarding questionnaire; the questionnaire only decides
to which appliance each load is attributed (undeclared loads go to
``"other"``), so the per-appliance numbers always add up to the meter.

The catalogue holds the supplies the demo company knows (POD, account
number, company code). Creating a user with an account number outside the
catalogue also works: its profile is derived from the account number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from simulator.common import noise

DEMO_CLIENT_ID: Final = "gridmeter-demo"
DEMO_CLIENT_SECRET: Final = "digiwatt-demo-secret"
PARTNER_CLIENT_ID: Final = "gridmeter-partner"
PARTNER_CLIENT_SECRET: Final = "digiwatt-partner-secret"
CLIENTS: Final[Mapping[str, str]] = {
    DEMO_CLIENT_ID: DEMO_CLIENT_SECRET,
    PARTNER_CLIENT_ID: PARTNER_CLIENT_SECRET,
}
"""OAuth2 clients: id -> secret. The partner owns a user the demo cannot read."""

DEMO_COMPANY: Final = "DGW01"

DEFAULT_APPLIANCES: Final[tuple[tuple[str, int], ...]] = (
    ("fridge", 1),
    ("washingMachine", 1),
    ("oven", 1),
    ("microwave", 1),
    ("television", 1),
)
"""Used when an onboarding names no appliance."""

# Physical loads and the appliances they may be attributed to, in order of
# preference (EV charging goes to the charging station when one is declared).
COMPONENTS: Final[tuple[str, ...]] = (
    "other",
    "fridge",
    "inductionCooktop",
    "oven",
    "microwave",
    "washingMachine",
    "dishwasher",
    "television",
    "boiler",
    "heatPump",
    "airConditioner",
    "electricVehicle",
    "electricHeater",
)
ATTRIBUTION: Final[Mapping[str, tuple[str, ...]]] = {
    "electricVehicle": ("chargingStation", "electricVehicle"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """The physical household behind a meter (W are typical running powers)."""

    key: str
    """Seed of every noise value."""
    standby_w: float = 60.0
    lighting_w: float = 140.0
    fridges: int = 1
    induction_w: float = 0.0
    """0: cooks with gas."""
    oven_w: float = 1400.0
    microwave_w: float = 600.0
    washer_w: float = 500.0
    dishwasher_w: float = 0.0
    tv_w: float = 90.0
    boiler_w: float = 0.0
    """Electric water heater."""
    heat_pump_w: float = 0.0
    ac_w: float = 0.0
    ev_w: float = 0.0
    heater_w: float = 0.0
    away_weekdays: bool = True
    """Nobody home on working days 08:30-17:30."""
    second_home: bool = False
    """Lived in on weekends, holidays and 15 July - 31 August only."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Supply:
    """A supply the demo company knows, and its questionnaire answers."""

    account_number: str
    pod: str
    company_code: str
    title: str
    profile: Profile
    onboarding: Mapping[str, object] = field(default_factory=dict)
    """What the demo questionnaire answers (the onboarding body)."""
    created_by: str | None = None
    """Client that has already created (and onboarded) it, if any."""


def _onboarding(
    house: str,
    size: int,
    province: str,
    residents: tuple[int, int, int],
    appliances: Mapping[str, int],
) -> dict[str, object]:
    return {
        "house": {"type": house, "dimesion": size, "province": province},
        "residents": {
            "adults": residents[0],
            "children": residents[1],
            "elderlies": residents[2],
        },
        "appliances": [{"appliance": a, "quantity": q} for a, q in appliances.items()],
    }


ROME_FLAT = Supply(
    account_number="1234567890",
    pod="IT001E12345678",
    company_code=DEMO_COMPANY,
    title="Flat in Rome (family of three, air conditioning)",
    profile=Profile(
        key="rome_flat",
        induction_w=1300.0,
        dishwasher_w=650.0,
        tv_w=85.0,
        boiler_w=1000.0,
        ac_w=850.0,
    ),
    onboarding=_onboarding(
        "apartment",
        85,
        "RM",
        (2, 1, 0),
        {
            "fridge": 1,
            "inductionCooktop": 1,
            "oven": 1,
            "microwave": 1,
            "washingMachine": 1,
            "dishwasher": 1,
            "television": 2,
            "boiler": 1,
            "airConditioner": 2,
        },
    ),
    created_by=DEMO_CLIENT_ID,
)
BOLOGNA_HOUSE = Supply(
    account_number="2345678901",
    pod="IT001E23456789",
    company_code=DEMO_COMPANY,
    title="Detached house near Bologna (heat pump, EV, solar)",
    profile=Profile(
        key="bologna_house",
        standby_w=110.0,
        lighting_w=180.0,
        fridges=2,
        induction_w=1800.0,
        oven_w=1600.0,
        dishwasher_w=700.0,
        tv_w=110.0,
        heat_pump_w=1800.0,
        ac_w=0.0,
        ev_w=3300.0,
        away_weekdays=False,
    ),
    onboarding=_onboarding(
        "detached",
        160,
        "BO",
        (2, 2, 1),
        {
            "fridge": 2,
            "inductionCooktop": 1,
            "oven": 1,
            "microwave": 1,
            "washingMachine": 1,
            "dishwasher": 1,
            "television": 2,
            "heatPump": 1,
            "electricVehicle": 1,
            "chargingStation": 1,
            "solarPanel": 1,
            "solarBattery": 1,
        },
    ),
)
SARDINIA_COTTAGE = Supply(
    account_number="3456789012",
    pod="IT001E34567890",
    company_code=DEMO_COMPANY,
    title="Second home in Sardinia (electric heater, water heater)",
    profile=Profile(
        key="sardinia_cottage",
        standby_w=45.0,
        lighting_w=110.0,
        oven_w=0.0,
        microwave_w=500.0,
        washer_w=450.0,
        tv_w=70.0,
        boiler_w=1000.0,
        ac_w=700.0,
        heater_w=1800.0,
        second_home=True,
    ),
    onboarding=_onboarding(
        "second",
        60,
        "SS",
        (2, 0, 0),
        {"fridge": 1, "boiler": 1, "electricHeater": 1, "airConditioner": 1},
    ),
)
MILAN_PARTNER_FLAT = Supply(
    account_number="9876543210",
    pod="IT001E98765432",
    company_code="PRT02",
    title="Flat in Milan (another company's customer)",
    profile=Profile(key="milan_flat", dishwasher_w=600.0, boiler_w=0.0, ac_w=600.0),
    onboarding=_onboarding(
        "apartment", 70, "MI", (1, 0, 1), {"fridge": 1, "washingMachine": 1}
    ),
    created_by=PARTNER_CLIENT_ID,
)

CATALOGUE: Final[Mapping[str, Supply]] = {
    supply.account_number: supply
    for supply in (ROME_FLAT, BOLOGNA_HOUSE, SARDINIA_COTTAGE, MILAN_PARTNER_FLAT)
}
"""Known supplies by account number."""

_TEMPLATES: Final = (
    ROME_FLAT.profile,
    BOLOGNA_HOUSE.profile,
    MILAN_PARTNER_FLAT.profile,
)


def profile_for(account_number: str) -> Profile:
    """Return the physical household behind an account (catalogue or derived)."""
    supply = CATALOGUE.get(account_number)
    if supply is not None:
        return supply.profile
    pick = int(noise.unit("digiwatt-template", account_number) * len(_TEMPLATES))
    scale = 0.8 + 0.4 * noise.unit("digiwatt-scale", account_number)
    template = _TEMPLATES[pick]
    return replace(
        template,
        key=f"account:{account_number}",
        standby_w=round(template.standby_w * scale, 1),
        lighting_w=round(template.lighting_w * scale, 1),
    )
