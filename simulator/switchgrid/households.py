"""Fictional French households (Enedis delivery points) and their load model.

Everything is deterministic: the average power of a step is a pure function
of the delivery point and the step (hash-based noise, no random state).
Values are average watts per load-curve step, modelled per Paris day; the
step starts are UTC instants, so DST days simply have 46/50 (30 min) or
138/150 (10 min) steps.

Households (names, addresses and PRMs are fictional):

=====  ==========================  ==============  ==========  =====  ====
key    where                       PRM             FTA         kVA    step
=====  ==========================  ==============  ==========  =====  ====
paris  flat, Paris 11e, BASE       00412345678901  BTINFCUST   6      30 min
lyon   house, Lyon 9e, HP/HC       19876543210987  BTINFMUDT   9      10 min
tlse   solar home, Toulouse        07654321098765  BTINFCU4    6      30 min
lille  house, Lille, no load curve 02468013579246  BTINFMUDT   9      30 min
mrs    shop, Marseille (address    13579246801357  BTINFCUST   6      30 min
       check fails)
=====  ==========================  ==============  ==========  =====  ====
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import math
import re
from zoneinfo import ZoneInfo

from simulator.common import noise
from simulator.common.weather import Climate, Vacations, day_temperature, on_vacation

PARIS = ZoneInfo("Europe/Paris")
_TWO_PI = 2.0 * math.pi
_DAY_MINUTES = 1440


# ---------------------------------------------------------------------------
# Off-peak windows
# ---------------------------------------------------------------------------

_HC_WINDOW = re.compile(r"(\d{1,2})H(\d{2})-(\d{1,2})H(\d{2})")


def parse_off_peak(text: str) -> tuple[tuple[int, int], ...]:
    """Windows of an Enedis ``"HC (22H30-6H30)"`` string as (start, end) minutes.

    ``end`` may be lower than ``start`` (the window wraps midnight).
    """
    return tuple(
        (int(h1) * 60 + int(m1), int(h2) * 60 + int(m2))
        for h1, m1, h2, m2 in _HC_WINDOW.findall(text)
    )


def in_windows(minute: int, windows: tuple[tuple[int, int], ...]) -> bool:
    """Tell whether a local minute of the day falls in one of ``windows``."""
    for start, end in windows:
        if start <= end:
            if start <= minute < end:
                return True
        elif minute >= start or minute < end:
            return True
    return False


# ---------------------------------------------------------------------------
# Static description
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadProfile:
    """Parameters of the load model (powers in W)."""

    base_w: float
    """Always-on load (fridge, standby, VMC)."""
    activity_w: float
    """Scale of the occupancy-driven load (cooking, lights, TV...)."""
    shape: str = "home"
    """``home`` (French household schedule) or ``shop`` (open Mon-Sat)."""
    heating_w_per_degree: float = 0.0
    heating_below: float = 16.0
    cooling_w_per_degree: float = 0.0
    cooling_above: float = 26.0
    lighting_w: float = 120.0
    appliance_rate: float = 0.05
    """Chance per hour (scaled by activity) of a big appliance running."""
    appliance_w: float = 1800.0
    water_heater_w: float = 0.0
    """Electric water heater, switched on at the start of the night HC window."""
    water_heater_hours: float = 0.0
    """Heating time in winter (summer needs about 60 % of it)."""
    vacations: Vacations = ()
    """Yearly absences as ((month, day), (month, day)) inclusive ranges."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SolarPlant:
    """A rooftop PV installation."""

    kwp: float
    latitude: float
    longitude: float
    sunny_share: float
    self_use_w: float = 0.0
    """Extra load shifted to sunny hours (dishwasher, pool...)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    """An installation address, already in Enedis' normalised form."""

    lines: dict[str, str]
    """``ligne1`` .. ``ligne7`` (absent lines omitted), AFNOR NF Z10-011."""
    street: str
    postal_code: str
    city: str
    insee: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Household:
    """A fictional Enedis delivery point with everything the simulator serves."""

    key: str
    title: str
    prm: str
    contract_id: str
    """The uuid ``GET /search_contract`` answers for this contract."""
    holder: str
    """``nomClientFinalOuDenominationSociale`` (upper case, Enedis style)."""
    category: str
    """``RES`` (residential) or ``PRO``."""
    holder_last_name: str
    holder_first_name: str | None
    siret: str | None
    address: Address
    fta: str
    """Formule tarifaire d'acheminement (``BTINFCUST``, ``BTINFMUDT``...)."""
    subscribed_kva: int
    off_peak: str | None
    """Enedis off-peak string (``"HC (22H30-6H30)"``) or None for BASE."""
    future_off_peak: str | None
    step: timedelta
    climate: Climate
    profile: LoadProfile
    solar: SolarPlant | None = None
    load_curve_collected: bool = True
    """False: LOADCURVE fails until the collection is activated."""
    address_check_fails: bool = False
    """The Enedis address check of any Ask for this PRM fails."""
    c68_variant: str = "point"
    """``point`` (XSD tree under ``point``) or ``v0`` (flat, plural
    ``situationsContractuelles`` and ``puissanceSouscrite``)."""
    meter_serial: str = ""
    commissioning: date = date(2019, 1, 1)
    base_index_wh: int = 10_000_000
    injection_base_index_wh: int = 0

    @property
    def step_minutes(self) -> int:
        """Load-curve step in minutes (10 or 30)."""
        return int(self.step.total_seconds()) // 60

    @property
    def windows(self) -> tuple[tuple[int, int], ...]:
        """Off-peak windows as (start, end) local minutes (empty for BASE)."""
        return parse_off_peak(self.off_peak) if self.off_peak else ()

    @property
    def has_injection(self) -> bool:
        """True when the point injects PV surplus into the grid."""
        return self.solar is not None

    @property
    def tariff(self) -> str:
        """``BASE``, ``HPHC`` (2 classes) or ``HPHC4`` (HP/HC x 2 seasons)."""
        if not self.off_peak:
            return "BASE"
        return "HPHC4" if self.fta.endswith("4") else "HPHC"

    def temporal_class(self, day: date, minute: int) -> str:
        """Distributor class of a local minute: BASE, HP/HC or HPH/HCH/HPB/HCB."""
        tariff = self.tariff
        if tariff == "BASE":
            return "BASE"
        period = "HC" if in_windows(minute, self.windows) else "HP"
        if tariff == "HPHC":
            return period
        return period + ("H" if day.month in (11, 12, 1, 2, 3) else "B")


_CLIMATE_PARIS = Climate(
    mean=12.5, seasonal_amplitude=7.5, diurnal_amplitude=4.0, day_spread=3.0
)

PARIS_FLAT = Household(
    key="paris",
    title="Flat in Paris 11e (BASE, 6 kVA, 30-min load curve)",
    prm="00412345678901",
    contract_id="5b0d6c1e-2f3a-4b7c-8d9e-0a1b2c3d4e51",
    holder="MOREAU CLAIRE",
    category="RES",
    holder_last_name="Moreau",
    holder_first_name="Claire",
    siret=None,
    address=Address(
        lines={
            "ligne2": "APPT 42 ETAGE 4",
            "ligne3": "BAT B",
            "ligne4": "12 RUE DES LILAS BLEUS",
            "ligne6": "75011 PARIS",
            "ligne7": "FRANCE",
        },
        street="12 rue des Lilas Bleus",
        postal_code="75011",
        city="Paris",
        insee="75111",
    ),
    fta="BTINFCUST",
    subscribed_kva=6,
    off_peak=None,
    future_off_peak=None,
    step=timedelta(minutes=30),
    climate=_CLIMATE_PARIS,
    profile=LoadProfile(
        base_w=110.0,
        activity_w=560.0,
        heating_w_per_degree=25.0,
        heating_below=15.0,
        cooling_w_per_degree=60.0,
        cooling_above=27.0,
        appliance_rate=0.05,
        appliance_w=1900.0,
        vacations=(((8, 2), (8, 22)), ((12, 24), (12, 27))),
    ),
    meter_serial="021861124589",
    commissioning=date(2018, 5, 14),
    base_index_wh=18_452_311,
)

LYON_HOUSE = Household(
    key="lyon",
    title="House in Lyon 9e (HP/HC 22H30-6H30, 9 kVA, electric heating, 10-min)",
    prm="19876543210987",
    contract_id="8e2f4a6b-1c3d-4e5f-9a7b-2c4d6e8f0a12",
    holder="BERTRAND JULIEN",
    category="RES",
    holder_last_name="Bertrand",
    holder_first_name="Julien",
    siret=None,
    address=Address(
        lines={
            "ligne4": "8 CHEMIN DES CERISIERS EN FLEURS",
            "ligne6": "69009 LYON",
        },
        street="8 chemin des Cerisiers en Fleurs",
        postal_code="69009",
        city="Lyon",
        insee="69389",
    ),
    fta="BTINFMUDT",
    subscribed_kva=9,
    off_peak="HC (22H30-6H30)",
    future_off_peak="HC (23H00-7H00)",
    step=timedelta(minutes=10),
    climate=Climate(
        mean=12.0, seasonal_amplitude=9.0, diurnal_amplitude=5.5, day_spread=3.5
    ),
    profile=LoadProfile(
        base_w=220.0,
        activity_w=1100.0,
        heating_w_per_degree=190.0,
        heating_below=16.5,
        lighting_w=180.0,
        appliance_rate=0.06,
        appliance_w=2100.0,
        water_heater_w=2400.0,
        water_heater_hours=3.0,
        vacations=(((7, 20), (8, 5)),),
    ),
    meter_serial="021976354412",
    commissioning=date(2017, 9, 2),
    base_index_wh=46_120_907,
)

TOULOUSE_SOLAR = Household(
    key="toulouse",
    title="Solar home in Toulouse (HP/HC 1H30-7H30;12H30-14H30, 6 kVA, PV 3 kWp)",
    prm="07654321098765",
    contract_id="c3a9e1f7-5b2d-4c8e-a6f4-7d9b1e3c5a70",
    holder="GARCIA SOPHIE",
    category="RES",
    holder_last_name="Garcia",
    holder_first_name="Sophie",
    siret=None,
    address=Address(
        lines={
            "ligne4": "23 AVENUE DES TOURNESOLS",
            "ligne5": "LIEU DIT LES PRES",
            "ligne6": "31500 TOULOUSE",
        },
        street="23 avenue des Tournesols",
        postal_code="31500",
        city="Toulouse",
        insee="31555",
    ),
    fta="BTINFCU4",
    subscribed_kva=6,
    off_peak="HC (1H30-7H30;12H30-14H30)",
    future_off_peak=None,
    step=timedelta(minutes=30),
    climate=Climate(
        mean=14.5, seasonal_amplitude=8.0, diurnal_amplitude=6.0, day_spread=2.8
    ),
    profile=LoadProfile(
        base_w=180.0,
        activity_w=850.0,
        heating_w_per_degree=70.0,
        heating_below=14.0,
        cooling_w_per_degree=90.0,
        cooling_above=26.0,
        appliance_rate=0.05,
        appliance_w=1800.0,
        water_heater_w=2000.0,
        water_heater_hours=2.5,
    ),
    solar=SolarPlant(
        kwp=3.0, latitude=43.6, longitude=1.44, sunny_share=0.7, self_use_w=250.0
    ),
    meter_serial="022345671190",
    commissioning=date(2020, 3, 9),
    base_index_wh=21_904_518,
    injection_base_index_wh=6_120_433,
)

LILLE_HOUSE = Household(
    key="lille",
    title="House in Lille (HP/HC 23H00-7H00, 9 kVA, load curve never collected)",
    prm="02468013579246",
    contract_id="f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b",
    holder="LEFEBVRE MARC",
    category="RES",
    holder_last_name="Lefebvre",
    holder_first_name="Marc",
    siret=None,
    address=Address(
        lines={
            "ligne4": "17 RUE DES BEFFROIS DORES",
            "ligne6": "59000 LILLE",
            "ligne7": "FRANCE",
        },
        street="17 rue des Beffrois Dorés",
        postal_code="59000",
        city="Lille",
        insee="59350",
    ),
    fta="BTINFMUDT",
    subscribed_kva=9,
    off_peak="HC (23H00-7H00)",
    future_off_peak=None,
    step=timedelta(minutes=30),
    climate=Climate(
        mean=11.0, seasonal_amplitude=7.0, diurnal_amplitude=4.0, day_spread=3.0
    ),
    profile=LoadProfile(
        base_w=200.0,
        activity_w=950.0,
        heating_w_per_degree=120.0,
        heating_below=16.0,
        appliance_rate=0.05,
        appliance_w=2000.0,
        water_heater_w=3000.0,
        water_heater_hours=3.5,
    ),
    load_curve_collected=False,
    c68_variant="v0",
    meter_serial="021442098765",
    commissioning=date(2019, 11, 25),
    base_index_wh=33_871_046,
)

MARSEILLE_SHOP = Household(
    key="marseille",
    title="Bakery in Marseille (PRO; the Enedis address check fails)",
    prm="13579246801357",
    contract_id="0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d",
    holder="BOULANGERIE DU VIEUX FOUR",
    category="PRO",
    holder_last_name="Boulangerie du Vieux Four",
    holder_first_name=None,
    siret="12345678900017",
    address=Address(
        lines={
            "ligne2": "DP TJ TB",
            "ligne4": "4 TRAVERSE DES PINS PARASOLS",
            "ligne6": "13008 MARSEILLE",
        },
        street="4 traverse des Pins Parasols",
        postal_code="13008",
        city="Marseille",
        insee="13208",
    ),
    fta="BTINFCUST",
    subscribed_kva=6,
    off_peak=None,
    future_off_peak=None,
    step=timedelta(minutes=30),
    climate=Climate(
        mean=16.0, seasonal_amplitude=8.0, diurnal_amplitude=5.0, day_spread=2.5
    ),
    profile=LoadProfile(
        base_w=450.0,
        activity_w=2200.0,
        shape="shop",
        cooling_w_per_degree=120.0,
        cooling_above=25.0,
        appliance_rate=0.04,
        appliance_w=1500.0,
    ),
    address_check_fails=True,
    meter_serial="021113579135",
    commissioning=date(2016, 2, 1),
    base_index_wh=88_402_776,
)

HOUSEHOLDS: tuple[Household, ...] = (
    PARIS_FLAT,
    LYON_HOUSE,
    TOULOUSE_SOLAR,
    LILLE_HOUSE,
    MARSEILLE_SHOP,
)


# ---------------------------------------------------------------------------
# Calendar helpers
# ---------------------------------------------------------------------------


def paris_day_bounds(day: date) -> tuple[datetime, datetime]:
    """UTC instants of the Paris midnights that start and end ``day``."""
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)
    following = day + timedelta(days=1)
    end = datetime(
        following.year, following.month, following.day, tzinfo=PARIS
    ).astimezone(UTC)
    return start, end


def paris_midnight(day: date) -> datetime:
    """UTC instant of the Paris midnight starting ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)


# ---------------------------------------------------------------------------
# Load model
# ---------------------------------------------------------------------------


def _local_minute(instant: datetime) -> int:
    local = instant.astimezone(PARIS)
    return local.hour * 60 + local.minute


# Occupancy-driven activity by local hour (hour start), French schedules:
# breakfast 7-8, out during the day, dinner 19-21.
HOME_WEEKDAY = (
    0.08, 0.05, 0.04, 0.04, 0.04, 0.05, 0.22, 0.60, 0.40, 0.16, 0.12, 0.14,
    0.30, 0.22, 0.12, 0.12, 0.15, 0.30, 0.55, 0.85, 0.95, 0.75, 0.45, 0.20,
)  # fmt: skip
HOME_WEEKEND = (
    0.12, 0.07, 0.05, 0.04, 0.04, 0.04, 0.06, 0.15, 0.40, 0.55, 0.55, 0.60,
    0.80, 0.60, 0.40, 0.35, 0.35, 0.40, 0.55, 0.80, 0.90, 0.70, 0.45, 0.25,
)  # fmt: skip
SHOP_OPEN = (
    0.02, 0.02, 0.02, 0.02, 0.60, 0.95, 1.00, 0.95, 0.80, 0.60, 0.50, 0.55,
    0.60, 0.50, 0.40, 0.45, 0.60, 0.70, 0.55, 0.20, 0.03, 0.02, 0.02, 0.02,
)  # fmt: skip
LIGHT_SHAPE = (
    0.3, 0.1, 0.0, 0.0, 0.0, 0.0, 0.3, 0.7, 0.3, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.1, 0.4, 0.8, 1.0, 1.0, 0.9, 0.7, 0.5,
)  # fmt: skip
HEATING_SCHEDULE = (
    0.6, 0.6, 0.6, 0.6, 0.6, 0.7, 1.2, 1.3, 1.0, 0.85, 0.8, 0.8,
    0.8, 0.8, 0.8, 0.85, 0.9, 1.05, 1.15, 1.15, 1.1, 1.0, 0.9, 0.7,
)  # fmt: skip
COOLING_SCHEDULE = (
    0.3, 0.2, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.2, 0.35,
    0.5, 0.7, 0.85, 0.95, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.35,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ModelDay:
    """The modelled steps of one Paris day (average W, rounded to the watt).

    Tuples are parallel, one entry per real step of the day.
    """

    day: date
    start: datetime
    """UTC instant of the Paris midnight starting the day."""
    step: timedelta
    minutes: tuple[int, ...]
    """Local (Paris) minute of the day at each step start."""
    consumption: tuple[int, ...]
    """Grid withdrawal (soutirage), W."""
    injection: tuple[int, ...] | None
    """Grid injection (PV surplus), W; None without solar."""

    def __len__(self) -> int:
        """Return the number of steps (46/48/50 at 30 min, 138/144/150 at 10 min)."""
        return len(self.minutes)

    def step_start(self, index: int) -> datetime:
        """UTC start of step ``index``."""
        return self.start + index * self.step


class LoadModel:
    """Step values of one household, computed per Paris day and cached."""

    def __init__(self, household: Household) -> None:
        """Model ``household``; days are computed lazily."""
        self.household = household
        self._salt = noise.hash64("switchgrid", household.prm)
        self._days: dict[date, ModelDay] = {}

    def day(self, day: date) -> ModelDay:
        """Return the modelled steps of Paris ``day`` (cached)."""
        cached = self._days.get(day)
        if cached is None:
            cached = self._compute(day)
            self._days[day] = cached
        return cached

    # -- helpers ------------------------------------------------------------

    def _clearness(self, solar: SolarPlant, day: date, doy: int) -> float:
        winter = 0.5 + 0.5 * math.cos(_TWO_PI * (doy - 15) / 365.25)
        sunny = solar.sunny_share - 0.25 * winter + 0.1
        u = noise.unit(self._salt, 21, day.toordinal())
        v = noise.unit(self._salt, 22, day.toordinal())
        if u < sunny:
            return 0.9 + 0.1 * v
        if u < sunny + (1 - sunny) * 0.6:
            return 0.45 + 0.35 * v
        return 0.1 + 0.25 * v

    def _solar_w(
        self, solar: SolarPlant, day: date, start: datetime, count: int, step_s: int
    ) -> list[float]:
        doy = day.timetuple().tm_yday
        declination = math.radians(23.44) * math.sin(_TWO_PI * (284 + doy) / 365.0)
        latitude = math.radians(solar.latitude)
        cos_h = max(-1.0, min(1.0, -math.tan(latitude) * math.tan(declination)))
        day_length = 2.0 * math.degrees(math.acos(cos_h)) / 15.0
        noon = 12.0 - solar.longitude / 15.0
        sunrise = noon - day_length / 2.0
        elevation = math.pi / 2 - latitude + declination
        peak_w = solar.kwp * 1000.0 * 0.82 * math.sin(elevation) ** 0.6
        clearness = self._clearness(solar, day, doy)
        utc_midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        offset_h = (start - utc_midnight).total_seconds() / 3600.0
        out: list[float] = []
        epoch = int(start.timestamp())
        for index in range(count):
            mid = offset_h + (index + 0.5) * step_s / 3600.0
            x = (mid - sunrise) / day_length
            if not 0.0 < x < 1.0:
                out.append(0.0)
                continue
            flicker = 1.0 - (1.0 - clearness) * 0.6 * noise.unit(
                self._salt, 23, (epoch + index * step_s) // 1800
            )
            out.append(peak_w * math.sin(math.pi * x) ** 1.3 * clearness * flicker)
        return out

    # -- the model ----------------------------------------------------------

    def _compute(self, day: date) -> ModelDay:
        household = self.household
        profile = household.profile
        start, end = paris_day_bounds(day)
        step_s = int(household.step.total_seconds())
        step_min = step_s // 60
        count = int((end - start).total_seconds()) // step_s
        if count * step_min == _DAY_MINUTES:
            minutes = tuple(i * step_min for i in range(count))
        else:
            minutes = tuple(
                _local_minute(start + timedelta(seconds=i * step_s))
                for i in range(count)
            )
        doy = day.timetuple().tm_yday
        weekend = day.weekday() >= 5
        if profile.shape == "shop":
            shape = (0.0,) * 24 if day.weekday() == 6 else SHOP_OPEN
        else:
            shape = HOME_WEEKEND if weekend else HOME_WEEKDAY
        away = on_vacation(household.profile.vacations, day)
        temperature = day_temperature(household.climate, self._salt, day)
        climate = household.climate
        winterness = max(0.0, math.cos(_TWO_PI * (doy - 355) / 365.25))
        day_mood = 1.0 + 0.18 * noise.triangular(self._salt, 1, day.toordinal())
        cap_w = household.subscribed_kva * 1000.0 * 0.97

        heater: tuple[int, int] | None = None
        windows = household.windows
        if profile.water_heater_w and windows and not away:
            night = max(windows, key=lambda w: (w[1] - w[0]) % _DAY_MINUTES)
            hours = profile.water_heater_hours * (0.6 + 0.4 * winterness)
            hours *= 0.85 + 0.3 * noise.unit(self._salt, 31, day.toordinal())
            duration = max(step_min, int(hours * 60) // step_min * step_min)
            heater = (night[0], duration)

        epoch = int(start.timestamp())
        load: list[float] = []
        hour_key = -1
        hour_noise = 0.0
        for index, minute in enumerate(minutes):
            hour = minute // 60
            slot = (epoch + index * step_s) // step_s
            u1, u2, u3, u4 = noise.quads(self._salt ^ slot, 1)
            utc_hour = (epoch + index * step_s) // 3600
            if utc_hour != hour_key:
                hour_key = utc_hour
                hour_noise = noise.unit(self._salt, 2, utc_hour)
            temp = temperature + climate.diurnal_amplitude * math.cos(
                _TWO_PI * (minute / 60.0 - 15.0) / 24.0
            )
            value = profile.base_w * (0.85 + 0.3 * u1)
            heating_gap = profile.heating_below - temp
            cooling_gap = temp - profile.cooling_above
            if away:
                if heating_gap > 0:
                    value += 0.3 * profile.heating_w_per_degree * heating_gap
            else:
                activity = shape[hour] * day_mood * (0.7 + 0.6 * hour_noise)
                activity *= 0.85 + 0.3 * u2
                value += profile.activity_w * activity
                value += (
                    profile.lighting_w * (0.4 + 0.6 * winterness) * LIGHT_SHAPE[hour]
                )
                if heating_gap > 0:
                    value += (
                        profile.heating_w_per_degree
                        * heating_gap
                        * HEATING_SCHEDULE[hour]
                        * (0.85 + 0.3 * u3)
                    )
                if cooling_gap > 0:
                    value += (
                        profile.cooling_w_per_degree
                        * cooling_gap
                        * COOLING_SCHEDULE[hour]
                    )
                if u4 < profile.appliance_rate * (0.3 + shape[hour]):
                    value += profile.appliance_w * (0.6 + 0.8 * u1)
            if heater is not None:
                since = (minute - heater[0]) % _DAY_MINUTES
                if since < heater[1]:
                    value += profile.water_heater_w
            load.append(min(value, cap_w))

        solar = household.solar
        if solar is None:
            return ModelDay(
                day=day,
                start=start,
                step=household.step,
                minutes=minutes,
                consumption=tuple(round(v) for v in load),
                injection=None,
            )
        production = self._solar_w(solar, day, start, count, step_s)
        consumption: list[int] = []
        injection: list[int] = []
        for index, produced in enumerate(production):
            demand = load[index]
            if produced > 600.0 and not away:
                demand += solar.self_use_w
            own = min(demand, produced)
            consumption.append(round(demand - own))
            injection.append(round(produced - own))
        return ModelDay(
            day=day,
            start=start,
            step=household.step,
            minutes=minutes,
            consumption=tuple(consumption),
            injection=tuple(injection),
        )
