"""Digiwatt-specific models (the shared ones live in `providers.models`).

Every datetime is timezone-aware UTC, every energy is in Wh as Digiwatt
reports it (except `Saving`, which is in kWh, euro and kg), every power in W.
`Household` validates itself: a bad questionnaire answer raises `ValueError`
naming the field before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
import re
from types import MappingProxyType
from typing import Final


class Period(StrEnum):
    """The periods the consumption endpoints accept (the document's enum)."""

    YESTERDAY = "yesterday"
    LAST_SEVEN_DAYS = "last-seven-days"
    THIS_WEEK = "this-week"
    LAST_WEEK = "last-week"
    THIS_MONTH = "this-month"
    LAST_MONTH = "last-month"


class HouseType(StrEnum):
    """House types of the onboarding questionnaire (the document's enum)."""

    APARTMENT = "apartment"
    TOWNHOUSE = "townhouse"
    DETACHED = "detached"
    SECOND = "second"
    """A second (holiday) home."""


class Appliance(StrEnum):
    """Appliances of the onboarding questionnaire (the document's enum)."""

    AIR_CONDITIONER = "airConditioner"
    BOILER = "boiler"
    """Electric water heater."""
    CHARGING_STATION = "chargingStation"
    DISHWASHER = "dishwasher"
    ELECTRIC_HEATER = "electricHeater"
    ELECTRIC_VEHICLE = "electricVehicle"
    FRIDGE = "fridge"
    HEAT_PUMP = "heatPump"
    INDUCTION_COOKTOP = "inductionCooktop"
    MICROWAVE = "microwave"
    OVEN = "oven"
    SOLAR_BATTERY = "solarBattery"
    SOLAR_PANEL = "solarPanel"
    TELEVISION = "television"
    WASHING_MACHINE = "washingMachine"


type ApplianceName = Appliance | str
"""An `Appliance` when Digiwatt names a documented one, else its raw name
(e.g. ``"other"`` for consumption not attributed to any appliance)."""

_PROVINCE: Final = re.compile(r"[A-Z]{2}")


def _require_int(name: str, value: object, minimum: int) -> None:
    if not (
        isinstance(value, int) and not isinstance(value, bool) and value >= minimum
    ):
        raise ValueError(f"{name}: must be a whole number >= {minimum}, got {value!r}")


def _require_utc(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() != timedelta(0):
        raise ValueError(f"{name} must be an aware UTC datetime, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class DigiwattUser:
    """A user (supply) registered with Digiwatt."""

    account_number: str
    pod: str
    company_code: str
    onboarded: bool = False
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Household:
    """The onboarding questionnaire: house, residents and appliances.

    Validated on construction (`ValueError` naming the field): `house_type`
    one of `HouseType`, `size_m2` a whole number >= 1, `province` two letters
    (stored upper-cased, e.g. ``"RM"``), `adults` >= 1, `children` and
    `elderlies` >= 0, `appliances` keys from `Appliance` with quantities >= 1.
    An empty `appliances` lets Digiwatt use its default set.
    """

    house_type: HouseType
    size_m2: int
    province: str
    adults: int
    children: int = 0
    elderlies: int = 0
    appliances: Mapping[Appliance, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Validate and normalise every field."""
        try:
            house_type = HouseType(self.house_type)
        except ValueError:
            choices = ", ".join(HouseType)
            raise ValueError(
                f"house_type: must be one of {choices}, got {self.house_type!r}"
            ) from None
        _require_int("size_m2", self.size_m2, 1)
        given: object = self.province  # checked at run time, whatever the hints
        province = given.strip().upper() if isinstance(given, str) else ""
        if not _PROVINCE.fullmatch(province):
            raise ValueError(
                f"province: must be a two-letter code such as RM, got {self.province!r}"
            )
        _require_int("adults", self.adults, 1)
        _require_int("children", self.children, 0)
        _require_int("elderlies", self.elderlies, 0)
        declared: object = self.appliances
        if not isinstance(declared, Mapping):
            raise ValueError(  # noqa: TRY004 - one error type for every bad answer
                "appliances: must map appliances to quantities"
            )
        appliances: dict[Appliance, int] = {}
        for key, quantity in declared.items():
            try:
                appliance = Appliance(key)
            except ValueError:
                raise ValueError(f"appliances: unknown appliance {key!r}") from None
            _require_int(f"appliances.{appliance}", quantity, 1)
            appliances[appliance] = quantity
        object.__setattr__(self, "house_type", house_type)
        object.__setattr__(self, "province", province)
        object.__setattr__(self, "appliances", MappingProxyType(appliances))

    @property
    def residents(self) -> int:
        """Everyone living in the house."""
        return self.adults + self.children + self.elderlies


@dataclass(frozen=True, slots=True, kw_only=True)
class _Span:
    """The interval an answer covers, when Digiwatt says (UTC)."""

    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplianceUsage(_Span):
    """Average power of one appliance over a period (the consumption endpoint)."""

    period: Period
    appliance: ApplianceName
    watts: float
    share: float | None = None
    """Share of the period's consumption, 0.0-1.0."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumptionTotals(_Span):
    """Energy of a period, its appliances and the previous period's total."""

    period: Period
    total_wh: float
    previous_wh: float | None = None
    change_ratio: float | None = None
    """(total - previous) / previous, e.g. -0.12 for 12 % less; None if unknown."""
    by_appliance_wh: Mapping[ApplianceName, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Performance(_Span):
    """The user's consumption against similar homes over a period."""

    period: Period
    min_wh: float
    max_wh: float
    user_wh: float
    average_wh: float | None = None
    similar_homes: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Habits(_Span):
    """When energy is used over a period.

    Local (Europe/Rome) time of day: night 00-06, morning 06-12, afternoon
    12-18, evening 18-24; and working days (Mon-Fri) against weekends.
    """

    period: Period
    night_wh: float
    morning_wh: float
    afternoon_wh: float
    evening_wh: float
    weekday_wh: float
    weekend_wh: float

    @property
    def total_wh(self) -> float:
        """Energy of the whole period."""
        return self.night_wh + self.morning_wh + self.afternoon_wh + self.evening_wh


@dataclass(frozen=True, slots=True, kw_only=True)
class BandMonth:
    """One month of consumption by ARERA tariff band."""

    month: date
    """First day of the month."""
    f1_wh: float
    f2_wh: float
    f3_wh: float

    @property
    def total_wh(self) -> float:
        """Energy of the month."""
        return self.f1_wh + self.f2_wh + self.f3_wh


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplianceShare:
    """One appliance's energy over the last 12 months."""

    appliance: ApplianceName
    wh: float
    share: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplianceMonth:
    """One appliance's energy in one month."""

    month: date
    appliance: ApplianceName
    wh: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Saving(_Span):
    """The last 30 days: what was used, its cost and CO2, and what could be saved."""

    kwh: float
    euro: float | None = None
    co2_kg: float | None = None
    saving_kwh: float | None = None
    saving_euro: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerPoint:
    """Average power over one step of the latest series."""

    start: datetime
    watts: float

    def __post_init__(self) -> None:
        """Reject a start that is not UTC."""
        _require_utc(self.start, "start")


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerSeries:
    """The latest six hours as Digiwatt sends them (average W per step)."""

    step: timedelta
    points: tuple[PowerPoint, ...] = ()
    skipped: int = 0
    """Rows that could not be used (null power, bad timestamp)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Token:
    """An OAuth2 access token (never printed)."""

    access_token: str = field(repr=False)
    token_type: str
    expires_in: float
    """Lifetime in seconds."""
