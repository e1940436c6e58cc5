"""Digiwatt (Italy): consumption analytics by appliance, band and time of day."""

from .client import DEFAULT_BASE_URL, DigiwattClient
from .endpoints import ENDPOINTS, HOUSE_SIZE_FIELD, Endpoint, Route
from .errors import OnboardingRequired, UserExists
from .models import (
    Appliance,
    ApplianceMonth,
    ApplianceName,
    ApplianceShare,
    ApplianceUsage,
    BandMonth,
    ConsumptionTotals,
    DigiwattUser,
    Habits,
    Household,
    HouseType,
    Performance,
    Period,
    PowerPoint,
    PowerSeries,
    Saving,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "ENDPOINTS",
    "HOUSE_SIZE_FIELD",
    "Appliance",
    "ApplianceMonth",
    "ApplianceName",
    "ApplianceShare",
    "ApplianceUsage",
    "BandMonth",
    "ConsumptionTotals",
    "DigiwattClient",
    "DigiwattUser",
    "Endpoint",
    "Habits",
    "HouseType",
    "Household",
    "OnboardingRequired",
    "Performance",
    "Period",
    "PowerPoint",
    "PowerSeries",
    "Route",
    "Saving",
    "UserExists",
]
