"""Fictional Spanish households, their supplies, contracts and hourly load.

Everything here is deterministic: the load of a supply at a given hour is a
pure function of the supply and the hour (hash-based noise, no random state),
so runs, processes and tests agree.

Demo accounts (every password is ``gridmeter-demo``; all identifiers are
fictional but pass the official check-letter algorithms, see
:func:`nif_is_valid` and :func:`cups_check_letters`):

* ``12345678Z`` (DNI, 12345678 mod 23 = 14 → ``Z``): owns the Madrid flat
  (E-distribución, code ``2``) and the heat-pump house in Valladolid (i-DE,
  code ``8``, with the stray ``00:00`` row quirk).
* ``X1234567L`` (NIE, X→0, 01234567 mod 23 = 19 → ``L``): owns the solar home
  in Dos Hermanas, Sevilla (surplus, generation and self-consumption).
* ``B12345674`` (CIF, letter ``B``, digits 1234567, control digit 4): a
  company with no supplies of its own, authorised by ``87654321X`` to read the
  Las Palmas supply (``authorizedNif=87654321X``).
* ``87654321X`` (DNI, 87654321 mod 23 = 10 → ``X``): owns the Las Palmas de
  Gran Canaria flat (Atlantic/Canary time) and the Ceuta flat (province 51).
* ``00000000T`` (DNI, 0 mod 23 = 0 → ``T``): an account without supplies
  (``get-supplies`` answers 404 ``No supplies``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import math
from zoneinfo import ZoneInfo

from simulator.common import noise
from simulator.common.weather import Climate, Vacations, day_temperature, on_vacation

CHECK_TABLE = "TRWAGMYFPDXBNJZSQVHLCKE"
"""Check-letter table shared by the DNI/NIE and the CUPS algorithms."""

DEMO_PASSWORD = "gridmeter-demo"

DISTRIBUTORS: dict[str, str] = {
    "1": "VIESGO",
    "2": "EDISTRIBUCIÓN",
    "3": "E-REDES",
    "4": "ASEME",
    "5": "UFD",
    "6": "EOSA",
    "7": "CIDE",
    "8": "I-DE REDES ELÉCTRICAS INTELIGENTES",
}
"""Datadis distributor codes (not the CNMC codes used inside CUPS)."""

NATIONAL_HOLIDAYS: frozenset[tuple[int, int]] = frozenset(
    {(1, 1), (1, 6), (5, 1), (8, 15), (10, 12), (11, 1), (12, 6), (12, 8), (12, 25)}
)
"""Fixed-date national holidays that are all-day P3 in 2.0TD (no Good Friday)."""

_HOUR = timedelta(hours=1)


# ---------------------------------------------------------------------------
# Identifier algorithms
# ---------------------------------------------------------------------------


def cups_check_letters(digits: str) -> str:
    """Two CUPS check letters for the 16 digits after ``ES`` (mod 529 scheme)."""
    if len(digits) != 16 or not digits.isdigit():
        raise ValueError("a CUPS has 16 digits after 'ES'")
    quotient, remainder = divmod(int(digits) % 529, 23)
    return CHECK_TABLE[quotient] + CHECK_TABLE[remainder]


def make_cups(digits: str, suffix: str = "0F") -> str:
    """Build a valid CUPS: ``ES`` + 16 digits + check letters + suffix."""
    return f"ES{digits}{cups_check_letters(digits)}{suffix}"


def cups_is_valid(cups: str) -> bool:
    """Check a 20/22-character CUPS against the check-letter algorithm."""
    cups = cups.strip().upper()
    if len(cups) not in (20, 22) or not cups.startswith("ES"):
        return False
    digits = cups[2:18]
    if not digits.isdigit():
        return False
    if len(cups) == 22 and not (cups[20].isdigit() and cups[21] in "FPRCXYZ"):
        return False
    return cups[18:20] == cups_check_letters(digits)


def _cif_control(digits7: str) -> tuple[str, str]:
    """Control digit and control letter of a CIF body (7 digits)."""
    even = sum(int(c) for c in digits7[1::2])
    odd = 0
    for c in digits7[0::2]:
        doubled = 2 * int(c)
        odd += doubled // 10 + doubled % 10
    value = (10 - (even + odd) % 10) % 10
    return str(value), "JABCDEFGHI"[value]


def nif_is_valid(nif: str) -> bool:
    """Validate a Spanish DNI, NIE or CIF (control letter / digit)."""
    nif = nif.strip().upper()
    if len(nif) != 9:
        return False
    if nif[:8].isdigit():
        return nif[8] == CHECK_TABLE[int(nif[:8]) % 23]
    if nif[0] in "XYZ" and nif[1:8].isdigit():
        number = int(str("XYZ".index(nif[0])) + nif[1:8])
        return nif[8] == CHECK_TABLE[number % 23]
    if nif[0] in "ABCDEFGHJNPQRSUVW" and nif[1:8].isdigit():
        digit, letter = _cif_control(nif[1:8])
        if nif[0] in "ABEH":
            return nif[8] == digit
        if nif[0] in "KPQS" or nif[0] in "NW":
            return nif[8] == letter
        return nif[8] in (digit, letter)
    return False


# ---------------------------------------------------------------------------
# Static description
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractTerm:
    """One contract of a supply (Datadis lists successive contracts)."""

    start: date
    end: date | None
    powers_kw: tuple[float, float]
    """Contracted power P1 (punta-llano) and P2 (valle), kW."""
    marketer: str
    mode_power_control: str = "ICP"


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadProfile:
    """Parameters of the household load model (powers in kW)."""

    base_kw: float
    """Always-on load (fridge, standby)."""
    activity_kw: float
    """Scale of the occupancy-driven load (cooking, lights, TV, ...)."""
    heating_kw_per_degree: float = 0.0
    heating_below: float = 16.0
    cooling_kw_per_degree: float = 0.0
    cooling_above: float = 26.0
    winter_lighting_kw: float = 0.12
    appliance_rate: float = 0.05
    """Chance per hour (scaled by activity) of a big appliance cycle."""
    appliance_kwh: float = 1.0
    water_heater_kw: float = 0.0
    """Electric water heater, runs early morning and late evening."""
    pool_pump_kw: float = 0.0
    """Pool pump, 10–16 h from mid-May to September."""
    vacations: Vacations = ()
    """Yearly absences as ((month, day), (month, day)) inclusive ranges."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SolarPlant:
    """A rooftop PV installation."""

    kwp: float
    latitude: float
    longitude: float
    sunny_share: float
    """Share of clear days in a year (modulated by season)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Household:
    """A fictional supply point with everything Datadis says about it."""

    key: str
    title: str
    cups: str
    owner: str
    address: str
    postal_code: str
    province: str
    province_code: str
    municipality: str
    municipio_code: str
    community_code: str
    community: str
    distributor_code: str
    distributor: str
    timezone: str
    valid_date_from: date
    contracts: tuple[ContractTerm, ...]
    climate: Climate
    profile: LoadProfile
    solar: SolarPlant | None = None
    stray_midnight_rows: bool = False
    """i-DE glitch: some complete days get an extra ``00:00`` row."""
    point_type: int = 5
    tension: str = "Baja tensión"
    access_fare: str = "BAJA TENSION y POTENCIA <= 15 kW"
    max_power_install: str = "5.5"
    self_consumption_type_code: str | None = None
    self_consumption_type_desc: str | None = None

    @property
    def tz(self) -> ZoneInfo:
        """Local civil time zone of the supply (ZoneInfo caches instances)."""
        return ZoneInfo(self.timezone)

    @property
    def ceuta_melilla(self) -> bool:
        """Ceuta (51) and Melilla (52) shift the 2.0TD P1/P2 hours one hour later."""
        return self.province_code in ("51", "52")

    @property
    def has_solar(self) -> bool:
        """True when the supply has generation / self-consumption data."""
        return self.solar is not None

    def contract_at(self, day: date) -> ContractTerm:
        """Return the contract in force on ``day`` (the first one before any)."""
        current = self.contracts[0]
        for term in self.contracts:
            if term.start <= day:
                current = term
        return current


@dataclass(slots=True)
class DemoAccount:
    """A Datadis login of the simulator.

    ``authorized`` maps the NIF of a third party to the CUPS that party
    authorised this account to read (used with ``authorizedNif``).
    """

    username: str
    password: str
    supplies: list[str]
    authorized: dict[str, list[str]] = field(default_factory=dict)
    description: str = ""


_MARKETER = "ENERGÍA DEMO COMERCIALIZADORA S.L."

MADRID_FLAT = Household(
    key="madrid_flat",
    title="Flat in Madrid (E-distribución)",
    cups=make_cups("0031408273645190"),
    owner="12345678Z",
    address="CALLE DEL PEZ 12 3 IZQ",
    postal_code="28004",
    province="Madrid",
    province_code="28",
    municipality="MADRID",
    municipio_code="079",
    community_code="13",
    community="Madrid",
    distributor_code="2",
    distributor=DISTRIBUTORS["2"],
    timezone="Europe/Madrid",
    valid_date_from=date(2021, 6, 1),
    contracts=(
        ContractTerm(
            start=date(2021, 6, 1), end=None, powers_kw=(3.45, 3.45), marketer=_MARKETER
        ),
    ),
    climate=Climate(
        mean=15.0, seasonal_amplitude=10.0, diurnal_amplitude=6.0, day_spread=3.0
    ),
    profile=LoadProfile(
        base_kw=0.12,
        activity_kw=0.7,
        heating_kw_per_degree=0.015,
        heating_below=15.0,
        cooling_kw_per_degree=0.2,
        cooling_above=25.0,
        appliance_rate=0.05,
        appliance_kwh=0.9,
        vacations=(((8, 3), (8, 23)),),
    ),
)

HEAT_PUMP_HOUSE = Household(
    key="heat_pump_house",
    title="House with a heat pump in Valladolid (i-DE)",
    cups=make_cups("0021500743219876"),
    owner="12345678Z",
    address="CALLE DE LOS ALMENDROS 7",
    postal_code="47008",
    province="Valladolid",
    province_code="47",
    municipality="VALLADOLID",
    municipio_code="186",
    community_code="07",
    community="Castilla y León",
    distributor_code="8",
    distributor=DISTRIBUTORS["8"],
    timezone="Europe/Madrid",
    valid_date_from=date(2025, 10, 20),
    contracts=(
        ContractTerm(
            start=date(2019, 3, 15),
            end=date(2025, 10, 19),
            powers_kw=(5.75, 5.75),
            marketer="IBERENERGÍA DEMO S.A.",
            mode_power_control="ICP",
        ),
        ContractTerm(
            start=date(2025, 10, 20),
            end=None,
            powers_kw=(6.928, 6.928),
            marketer=_MARKETER,
            mode_power_control="ICP",
        ),
    ),
    climate=Climate(
        mean=12.5, seasonal_amplitude=9.5, diurnal_amplitude=7.0, day_spread=3.5
    ),
    profile=LoadProfile(
        base_kw=0.2,
        activity_kw=1.15,
        heating_kw_per_degree=0.12,
        heating_below=17.0,
        cooling_kw_per_degree=0.06,
        cooling_above=27.0,
        appliance_rate=0.06,
        appliance_kwh=1.1,
    ),
    stray_midnight_rows=True,
    tension="BAJA TENSION",
    max_power_install="9.2",
)

SOLAR_HOME = Household(
    key="solar_home",
    title="Solar home in Dos Hermanas, Sevilla (E-distribución)",
    cups=make_cups("0031104567890123"),
    owner="X1234567L",
    address="CALLE GIRALDA 25",
    postal_code="41701",
    province="Sevilla",
    province_code="41",
    municipality="DOS HERMANAS",
    municipio_code="038",
    community_code="01",
    community="Andalucía",
    distributor_code="2",
    distributor=DISTRIBUTORS["2"],
    timezone="Europe/Madrid",
    valid_date_from=date(2022, 4, 1),
    contracts=(
        ContractTerm(
            start=date(2022, 4, 1), end=None, powers_kw=(4.6, 4.6), marketer=_MARKETER
        ),
    ),
    climate=Climate(
        mean=19.0, seasonal_amplitude=8.5, diurnal_amplitude=7.5, day_spread=2.5
    ),
    profile=LoadProfile(
        base_kw=0.22,
        activity_kw=0.95,
        heating_kw_per_degree=0.05,
        heating_below=13.0,
        cooling_kw_per_degree=0.16,
        cooling_above=25.0,
        appliance_rate=0.06,
        appliance_kwh=1.0,
        pool_pump_kw=0.75,
    ),
    solar=SolarPlant(kwp=4.2, latitude=37.28, longitude=-5.92, sunny_share=0.78),
    max_power_install="5.5",
    self_consumption_type_code="41",
    self_consumption_type_desc=(
        "Con excedentes acogida a compensación - Individual - Consumo"
    ),
)

CANARY_FLAT = Household(
    key="canary_flat",
    title="Flat in Las Palmas de Gran Canaria (Atlantic/Canary time)",
    cups=make_cups("0031602345678912"),
    owner="87654321X",
    address="CALLE TRIANA 40 2 B",
    postal_code="35002",
    province="Las Palmas",
    province_code="35",
    municipality="PALMAS DE GRAN CANARIA (LAS)",
    municipio_code="016",
    community_code="05",
    community="Canarias",
    distributor_code="2",
    distributor=DISTRIBUTORS["2"],
    timezone="Atlantic/Canary",
    valid_date_from=date(2020, 9, 1),
    contracts=(
        ContractTerm(
            start=date(2020, 9, 1), end=None, powers_kw=(3.3, 3.3), marketer=_MARKETER
        ),
    ),
    climate=Climate(
        mean=21.5, seasonal_amplitude=3.0, diurnal_amplitude=3.0, day_spread=1.5
    ),
    profile=LoadProfile(
        base_kw=0.12,
        activity_kw=0.6,
        cooling_kw_per_degree=0.05,
        cooling_above=27.0,
        winter_lighting_kw=0.06,
        water_heater_kw=1.2,
        appliance_rate=0.045,
        appliance_kwh=0.8,
    ),
)

CEUTA_FLAT = Household(
    key="ceuta_flat",
    title="Flat in Ceuta (Ceuta/Melilla tariff hours)",
    cups=make_cups("0097000123456789"),
    owner="87654321X",
    address="PASEO DEL REVELLÍN 9 1 A",
    postal_code="51001",
    province="Ceuta",
    province_code="51",
    municipality="CEUTA",
    municipio_code="001",
    community_code="18",
    community="Ceuta",
    distributor_code="7",
    distributor="EMPRESA DE ALUMBRADO ELÉCTRICO DE CEUTA DISTRIBUCIÓN",
    timezone="Europe/Madrid",
    valid_date_from=date(2021, 2, 1),
    contracts=(
        ContractTerm(
            start=date(2021, 2, 1), end=None, powers_kw=(4.4, 4.4), marketer=_MARKETER
        ),
    ),
    climate=Climate(
        mean=18.5, seasonal_amplitude=5.0, diurnal_amplitude=4.0, day_spread=2.0
    ),
    profile=LoadProfile(
        base_kw=0.16,
        activity_kw=0.7,
        heating_kw_per_degree=0.03,
        heating_below=13.0,
        cooling_kw_per_degree=0.12,
        cooling_above=25.5,
        appliance_rate=0.05,
        appliance_kwh=0.9,
    ),
)

HOUSEHOLDS: tuple[Household, ...] = (
    MADRID_FLAT,
    HEAT_PUMP_HOUSE,
    SOLAR_HOME,
    CANARY_FLAT,
    CEUTA_FLAT,
)


def demo_accounts() -> dict[str, DemoAccount]:
    """Fresh copies of the demo accounts, by username."""
    accounts = [
        DemoAccount(
            username="12345678Z",
            password=DEMO_PASSWORD,
            supplies=[MADRID_FLAT.cups, HEAT_PUMP_HOUSE.cups],
            description="Madrid flat (E-distribución) + heat-pump house (i-DE)",
        ),
        DemoAccount(
            username="X1234567L",
            password=DEMO_PASSWORD,
            supplies=[SOLAR_HOME.cups],
            description="solar home in Sevilla (NIE holder)",
        ),
        DemoAccount(
            username="B12345674",
            password=DEMO_PASSWORD,
            supplies=[],
            authorized={"87654321X": [CANARY_FLAT.cups]},
            description="company (CIF), reads the Las Palmas flat with "
            "authorizedNif=87654321X",
        ),
        DemoAccount(
            username="87654321X",
            password=DEMO_PASSWORD,
            supplies=[CANARY_FLAT.cups, CEUTA_FLAT.cups],
            description="Las Palmas flat (Atlantic/Canary) + Ceuta flat",
        ),
        DemoAccount(
            username="00000000T",
            password=DEMO_PASSWORD,
            supplies=[],
            description="account without supplies (404 No supplies)",
        ),
    ]
    return {account.username: account for account in accounts}


# ---------------------------------------------------------------------------
# Calendar helpers
# ---------------------------------------------------------------------------


def is_p3_day(day: date) -> bool:
    """Weekends and fixed national holidays are all-day P3 in 2.0TD."""
    return day.weekday() >= 5 or (day.month, day.day) in NATIONAL_HOLIDAYS


def energy_period(day: date, hour: int, ceuta_melilla: bool = False) -> str:
    """2.0TD energy period ("1", "2", "3") of the local hour starting at ``hour``."""
    if is_p3_day(day) or hour < 8:
        return "3"
    if ceuta_melilla:
        return "1" if 11 <= hour < 15 or 19 <= hour < 23 else "2"
    return "1" if 10 <= hour < 14 or 18 <= hour < 22 else "2"


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC instants of the local midnights that start and end ``day``."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
    following = day + timedelta(days=1)
    end = datetime(
        following.year, following.month, following.day, tzinfo=tz
    ).astimezone(UTC)
    return start, end


# ---------------------------------------------------------------------------
# Load model
# ---------------------------------------------------------------------------

# Occupancy-driven activity by local hour (hour start), Spanish schedules:
# breakfast 7-9, out during the day, late lunch, dinner around 21-22.
WEEKDAY_SHAPE = (
    0.10, 0.06, 0.05, 0.05, 0.05, 0.06, 0.18, 0.55, 0.50, 0.24, 0.18, 0.18,
    0.20, 0.28, 0.40, 0.28, 0.22, 0.25, 0.38, 0.55, 0.75, 0.95, 0.85, 0.45,
)  # fmt: skip
WEEKEND_SHAPE = (
    0.18, 0.10, 0.07, 0.05, 0.05, 0.05, 0.06, 0.10, 0.25, 0.45, 0.55, 0.55,
    0.55, 0.75, 0.85, 0.55, 0.40, 0.38, 0.42, 0.55, 0.72, 0.90, 0.80, 0.50,
)  # fmt: skip
LIGHT_SHAPE = (
    0.3, 0.1, 0.0, 0.0, 0.0, 0.0, 0.2, 0.6, 0.3, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 0.6, 1.0, 1.0, 1.0, 0.9, 0.6,
)  # fmt: skip
HEATING_SCHEDULE = (
    0.55, 0.55, 0.55, 0.55, 0.55, 0.6, 1.1, 1.25, 1.0, 0.9, 0.85, 0.85,
    0.85, 0.85, 0.85, 0.85, 0.9, 1.0, 1.05, 1.05, 1.05, 1.0, 0.95, 0.7,
)  # fmt: skip
COOLING_SCHEDULE = (
    0.45, 0.35, 0.25, 0.15, 0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.2, 0.3,
    0.45, 0.6, 0.8, 0.9, 0.9, 0.85, 0.8, 0.8, 0.85, 0.85, 0.75, 0.6,
)  # fmt: skip
WATER_HEATER_SCHEDULE = (
    0.0, 0.0, 0.0, 0.0, 0.0, 0.6, 1.0, 0.5, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 0.8, 0.4, 0.0,
)  # fmt: skip

_TWO_PI = 2.0 * math.pi


@dataclass(frozen=True, slots=True)
class DayBase:
    """The modelled (unrounded, unmodified) hours of one local day.

    All tuples are parallel, one entry per real hour of the day (23, 24 or 25).
    """

    day: date
    starts: tuple[datetime, ...]
    """UTC hour starts."""
    labels: tuple[str, ...]
    """Datadis ``time`` labels: local wall clock at the END of the hour."""
    local_hours: tuple[int, ...]
    """Local wall-clock hour at the START of the hour (for tariff periods)."""
    load: tuple[float, ...]
    """Household load, kWh."""
    generation: tuple[float, ...] | None
    """PV generation, kWh (None without solar)."""
    peak_factor: tuple[float, ...]
    """Max quarter-hour power / hourly average power (> 1)."""
    peak_quarter: tuple[int, ...]
    """Which quarter (0-3) of the hour holds that maximum."""

    @property
    def dst_change(self) -> bool:
        """True on the 23- and 25-hour days."""
        return len(self.starts) != 24


class LoadModel:
    """Hourly load / generation of one household, computed per local day."""

    def __init__(self, household: Household) -> None:
        """Model ``household``; days are computed lazily and cached."""
        self.household = household
        self._salt = noise.hash64("datadis", household.cups)
        self._days: dict[date, DayBase] = {}

    def day(self, day: date) -> DayBase:
        """Return the modelled hours of local ``day`` (cached)."""
        cached = self._days.get(day)
        if cached is None:
            cached = self._compute(day)
            self._days[day] = cached
        return cached

    # -- helpers ------------------------------------------------------------

    def _clearness(self, solar: SolarPlant, day: date, doy: int) -> float:
        winter = 0.5 + 0.5 * math.cos(_TWO_PI * (doy - 15) / 365.25)
        sunny = solar.sunny_share - 0.2 * winter + 0.1
        u = noise.unit(self._salt, 21, day.toordinal())
        v = noise.unit(self._salt, 22, day.toordinal())
        if u < sunny:
            return 0.9 + 0.1 * v
        if u < sunny + (1 - sunny) * 0.6:
            return 0.5 + 0.35 * v
        return 0.12 + 0.3 * v

    def _generation(
        self, day: date, starts: tuple[datetime, ...], doy: int
    ) -> tuple[float, ...]:
        solar = self.household.solar
        if solar is None:
            return tuple(0.0 for _ in starts)
        declination = math.radians(23.44) * math.sin(_TWO_PI * (284 + doy) / 365.0)
        latitude = math.radians(solar.latitude)
        cos_h = max(-1.0, min(1.0, -math.tan(latitude) * math.tan(declination)))
        day_length = 2.0 * math.degrees(math.acos(cos_h)) / 15.0
        noon = 12.0 - solar.longitude / 15.0
        sunrise = noon - day_length / 2.0
        elevation = math.pi / 2 - latitude + declination
        peak_kw = solar.kwp * 0.84 * math.sin(elevation) ** 0.6
        clearness = self._clearness(solar, day, doy)
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        values: list[float] = []
        for start in starts:
            hour = (start - midnight).total_seconds() / 3600.0
            energy = 0.0
            for step in (0.125, 0.375, 0.625, 0.875):
                x = (hour + step - sunrise) / day_length
                if 0.0 < x < 1.0:
                    energy += math.sin(math.pi * x) ** 1.25
            if energy == 0.0:
                values.append(0.0)
                continue
            flicker = 1.0 - (1.0 - clearness) * 0.5 * noise.unit(
                self._salt, 23, int(start.timestamp()) // 3600
            )
            values.append(0.25 * energy * peak_kw * clearness * flicker)
        return tuple(values)

    # -- the model ----------------------------------------------------------

    def _compute(self, day: date) -> DayBase:
        household = self.household
        profile = household.profile
        tz = household.tz
        first, end = local_day_bounds(day, tz)
        count = int((end - first) / _HOUR)
        starts = tuple(first + i * _HOUR for i in range(count))
        if count == 24:
            local_hours = tuple(range(24))
            labels = tuple(f"{h:02d}:00" for h in range(1, 25))
        else:
            local_hours = tuple(s.astimezone(tz).hour for s in starts)
            labels = tuple(f"{h + 1:02d}:00" for h in local_hours)

        doy = day.timetuple().tm_yday
        shape = WEEKEND_SHAPE if is_p3_day(day) else WEEKDAY_SHAPE
        away = on_vacation(household.profile.vacations, day)
        temperature = day_temperature(household.climate, self._salt, day)
        climate = household.climate
        winterness = max(0.0, math.cos(_TWO_PI * (doy - 355) / 365.25))
        pool_season = (5, 15) <= (day.month, day.day) <= (9, 30)
        day_mood = 1.0 + 0.18 * noise.triangular(self._salt, 1, day.toordinal())

        load: list[float] = []
        peak_factor: list[float] = []
        peak_quarter: list[int] = []
        for start, hour in zip(starts, local_hours, strict=True):
            key = self._salt ^ (int(start.timestamp()) // 3600)
            u1, u2, u3, u4 = noise.quads(key, 1)
            u5, u6, u7, u8 = noise.quads(key, 2)
            temp = temperature + climate.diurnal_amplitude * math.cos(
                _TWO_PI * (hour - 15) / 24.0
            )
            value = profile.base_kw * (0.9 + 0.2 * u1)
            heating_gap = profile.heating_below - temp
            cooling_gap = temp - profile.cooling_above
            if away:
                if heating_gap > 0:
                    value += 0.25 * profile.heating_kw_per_degree * heating_gap
            else:
                activity = shape[hour] * day_mood * (1.0 + 0.35 * (u2 + u3 - 1.0))
                value += profile.activity_kw * activity
                value += (
                    profile.winter_lighting_kw
                    * (0.4 + 0.6 * winterness)
                    * LIGHT_SHAPE[hour]
                )
                if heating_gap > 0:
                    value += (
                        profile.heating_kw_per_degree
                        * heating_gap
                        * HEATING_SCHEDULE[hour]
                        * (0.9 + 0.2 * u4)
                    )
                if cooling_gap > 0:
                    value += (
                        profile.cooling_kw_per_degree
                        * cooling_gap
                        * COOLING_SCHEDULE[hour]
                    )
                if profile.water_heater_kw:
                    value += profile.water_heater_kw * WATER_HEATER_SCHEDULE[hour]
                if profile.pool_pump_kw and pool_season and 10 <= hour < 16:
                    value += profile.pool_pump_kw
                if u5 < profile.appliance_rate * (0.3 + shape[hour]):
                    value += profile.appliance_kwh * (0.5 + u6)
            load.append(value)
            peak_factor.append(1.25 + 0.85 * u7)
            peak_quarter.append(int(u8 * 4))

        generation = (
            self._generation(day, starts, doy) if household.solar is not None else None
        )
        return DayBase(
            day=day,
            starts=starts,
            labels=labels,
            local_hours=local_hours,
            load=tuple(load),
            generation=generation,
            peak_factor=tuple(peak_factor),
            peak_quarter=tuple(peak_quarter),
        )
