"""Tests for the price engine (pure Python, no Home Assistant)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
import math
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st
import pytest

from custom_components.gridmeter.pricing import (
    MAX_ENERGY_PRICE,
    PLAN_RULES,
    Country,
    InvalidPriceBook,
    MissingPrice,
    Plan,
    PriceBook,
    PriceErrorKey,
    PriceSet,
    PriceSetError,
    SupplyTariff,
    check_price_set,
    check_price_sets,
    current_price,
    first_change,
    money_rows,
    money_series,
    parse_price_book,
    parse_price_set,
    plan_fits,
    power_saving,
    price_book_to_list,
    price_set_to_dict,
    tempo_colour_at,
    tempo_period,
)
from custom_components.gridmeter.providers.signals import TempoColour
from custom_components.gridmeter.providers.tempo import tempo_day_of
from custom_components.gridmeter.tariffs import (
    FranceHPHC,
    ItalyF123,
    TariffCalendar,
    parse_off_peak_hours,
    spain_20td_for,
)

HOUR = timedelta(hours=1)
MADRID = ZoneInfo("Europe/Madrid")
CANARY = ZoneInfo("Atlantic/Canary")
PARIS = ZoneInfo("Europe/Paris")
ROME = ZoneInfo("Europe/Rome")

ES = SupplyTariff(
    country=Country.SPAIN, timezone="Europe/Madrid", calendar=spain_20td_for("28")
)
ES_CYM = SupplyTariff(
    country=Country.SPAIN, timezone="Europe/Madrid", calendar=spain_20td_for("51")
)
ES_CANARY = SupplyTariff(
    country=Country.SPAIN, timezone="Atlantic/Canary", calendar=spain_20td_for("35")
)
ES_3TD = SupplyTariff(country=Country.SPAIN, timezone="Europe/Madrid")
FR_HPHC = SupplyTariff(
    country=Country.FRANCE,
    timezone="Europe/Paris",
    calendar=FranceHPHC(parse_off_peak_hours("HC (22H00-6H00)")),
)
FR_BASE = SupplyTariff(country=Country.FRANCE, timezone="Europe/Paris")
IT = SupplyTariff(country=Country.ITALY, timezone="Europe/Rome", calendar=ItalyF123())

START = date(2024, 1, 1)
P123 = {"p1": 0.2, "p2": 0.13, "p3": 0.08}
TEMPO = {
    "blue_hp": 0.1552,
    "blue_hc": 0.1288,
    "white_hp": 0.1792,
    "white_hc": 0.1447,
    "red_hp": 0.6586,
    "red_hc": 0.1518,
}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local_day_hours(tz: ZoneInfo, day: date, days: int = 1) -> list[datetime]:
    """UTC hour starts of `days` local days from `day` (23/25 on DST days)."""
    first = datetime.combine(day, time(0), tz).astimezone(UTC)
    last = datetime.combine(day + timedelta(days=days), time(0), tz).astimezone(UTC)
    return [first + i * HOUR for i in range(int((last - first) / HOUR))]


def price_set(plan: Plan, **kwargs: Any) -> PriceSet:
    kwargs.setdefault("valid_from", START)
    return PriceSet(plan=plan, **kwargs)


def book(*sets: PriceSet) -> PriceBook:
    return PriceBook(sets)


def split_by_period(
    hours: list[datetime],
    calendar: TariffCalendar | None,
    register: str = "consumption",
) -> dict[str, dict[datetime, float]]:
    """Hourly kWh of a register, split by the calendar's period (as the writer does)."""
    energy: dict[str, dict[datetime, float]] = {register: {}}
    for index, hour in enumerate(hours):
        kwh = round(0.137 + 0.011 * (index % 17), 6)
        energy[register][hour] = kwh
        if calendar is not None:
            energy.setdefault(f"{register}_{calendar.period_at(hour)}", {})[hour] = kwh
    return energy


def assert_periods_sum(rows: Mapping[str, Mapping[datetime, float]], kind: str) -> None:
    """Every hour's total equals the sum of its period rows, in micro-euros."""
    parts = [s for name, s in rows.items() if name.startswith(f"{kind}_")]
    for hour, total in rows[kind].items():
        micros = [round(s[hour] * 1e6) for s in parts if hour in s]
        if micros:
            assert round(total * 1e6) == sum(micros)
            assert total == round(math.fsum(s[hour] for s in parts if hour in s), 6)


# ---------------------------------------------------------------------------
# Cost per hour over DST days, every plan
# ---------------------------------------------------------------------------

SPAIN_DAYS = [
    pytest.param(date(2025, 3, 28), 4, id="spring-dst"),
    pytest.param(date(2025, 10, 24), 4, id="autumn-dst"),
    pytest.param(date(2025, 12, 5), 5, id="holiday-8-december"),
]


@pytest.mark.parametrize("supply", [ES, ES_CYM, ES_CANARY], ids=["pen", "cym", "can"])
@pytest.mark.parametrize(("first", "days"), SPAIN_DAYS)
def test_es_20td_each_hour_is_kwh_times_its_period_price(
    supply: SupplyTariff, first: date, days: int
) -> None:
    calendar = supply.calendar
    assert calendar is not None
    hours = local_day_hours(supply.zone, first, days)
    energy = split_by_period(hours, calendar)
    result = money_rows(
        energy, supply, book(price_set(Plan.ES_20TD, energy=P123, tax_percent=21.0))
    )
    assert not result.missing
    cost = result.rows["cost"]
    assert list(cost) == hours
    for hour in hours:
        period = calendar.period_at(hour)
        expected = round(energy["consumption"][hour] * P123[period] * 1.21, 6)
        assert cost[hour] == expected
        assert result.rows[f"cost_{period}"][hour] == expected
    assert_periods_sum(result.rows, "cost")


def test_es_20td_spot_checks_by_hand() -> None:
    """Known hours: DST Sundays and 8 December are P3; CyM shifts by one hour."""
    prices = book(price_set(Plan.ES_20TD, energy=P123))
    one = {
        "consumption": dict.fromkeys(local_day_hours(MADRID, date(2025, 3, 30)), 1.0)
    }
    assert len(one["consumption"]) == 23
    assert set(money_rows(one, ES, prices).rows["cost"].values()) == {0.08}
    autumn = {
        "consumption": dict.fromkeys(local_day_hours(MADRID, date(2025, 10, 26)), 1.0)
    }
    assert len(money_rows(autumn, ES, prices).rows["cost"]) == 25
    holiday = local_day_hours(MADRID, date(2025, 12, 8))
    assert {
        money_rows({"consumption": {h: 1.0}}, ES, prices).rows["cost"][h]
        for h in holiday
    } == {0.08}
    # Monday 2025-10-27 (CET, UTC+1): 10:00 local is P1 on the peninsula,
    # P2 in Ceuta and Melilla; 14:00 local is P2 and P1.
    ten, two = utc(2025, 10, 27, 9), utc(2025, 10, 27, 13)
    energy = {"consumption": {ten: 1.0, two: 1.0}}
    assert money_rows(energy, ES, prices).rows["cost"] == {ten: 0.2, two: 0.13}
    assert money_rows(energy, ES_CYM, prices).rows["cost"] == {ten: 0.13, two: 0.2}
    # The Canary Islands use the same clock hours an hour later in UTC.
    canary_ten = datetime(2025, 10, 27, 10, tzinfo=CANARY).astimezone(UTC)
    assert canary_ten == utc(2025, 10, 27, 10)
    energy = {"consumption": {canary_ten: 1.0}}
    assert money_rows(energy, ES_CANARY, prices).rows["cost"] == {canary_ten: 0.2}


def test_canary_sets_start_at_canary_midnight() -> None:
    """A set applies from 00:00 of its date in the supply's own time zone."""
    prices = book(
        price_set(Plan.ES_SINGLE, energy={"base": 0.1}),
        price_set(Plan.ES_SINGLE, energy={"base": 0.2}, valid_from=date(2025, 6, 1)),
    )
    hour = utc(2025, 5, 31, 22)  # 00:00 in Madrid, 23:00 on 31 May in the Canaries
    energy = {"consumption": {hour: 1.0}}
    assert money_rows(energy, ES, prices).rows["cost"] == {hour: 0.2}
    assert money_rows(energy, ES_CANARY, prices).rows["cost"] == {hour: 0.1}
    assert money_rows(energy, ES_3TD, prices).rows["cost"] == {hour: 0.2}


@pytest.mark.parametrize(
    ("plan", "supply"),
    [
        (Plan.ES_SINGLE, ES),
        (Plan.ES_SINGLE, ES_3TD),
        (Plan.FR_BASE, FR_BASE),
        (Plan.FR_BASE, FR_HPHC),
        (Plan.IT_SINGLE, IT),
    ],
)
@pytest.mark.parametrize(
    "first", [date(2025, 3, 29), date(2025, 10, 25)], ids=["spring", "autumn"]
)
def test_single_price_over_dst(plan: Plan, supply: SupplyTariff, first: date) -> None:
    hours = local_day_hours(supply.zone, first, 3)
    energy = split_by_period(hours, supply.calendar)
    prices = book(price_set(plan, energy={"base": 0.1745}, tax_percent=5.5))
    result = money_rows(energy, supply, prices)
    for hour in hours:
        expected = round(energy["consumption"][hour] * 0.1745 * 1.055, 6)
        assert result.rows["cost"][hour] == expected
    assert len(result.rows["cost"]) == 24 * 3 + (-1 if first.month == 3 else 1)
    if supply.calendar is not None:
        assert_periods_sum(result.rows, "cost")


@pytest.mark.parametrize(
    "first",
    [date(2025, 3, 29), date(2025, 10, 25), date(2025, 4, 19)],
    ids=["spring-dst", "autumn-dst", "easter-monday"],
)
def test_it_f123_over_dst_and_holidays(first: date) -> None:
    prices = {"f1": 0.15, "f2": 0.14, "f3": 0.11}
    hours = local_day_hours(ROME, first, 4)
    energy = split_by_period(hours, ItalyF123())
    result = money_rows(
        energy, IT, book(price_set(Plan.IT_F123, energy=prices, tax_percent=10.0))
    )
    for hour in hours:
        band = ItalyF123().period_at(hour)
        expected = round(energy["consumption"][hour] * prices[band] * 1.1, 6)
        assert result.rows["cost"][hour] == result.rows[f"cost_{band}"][hour]
        assert result.rows["cost"][hour] == expected
    # Easter Monday 2025-04-21 is F3 all day; Tuesday 10:00 Rome is F1.
    if first == date(2025, 4, 19):
        easter_monday = local_day_hours(ROME, date(2025, 4, 21))
        assert set(easter_monday) <= set(result.rows["cost_f3"])
        assert utc(2025, 4, 22, 8) in result.rows["cost_f1"]


@pytest.mark.parametrize(
    "first", [date(2025, 3, 29), date(2025, 10, 25)], ids=["spring", "autumn"]
)
def test_fr_hphc_over_dst(first: date) -> None:
    calendar = FR_HPHC.calendar
    assert calendar is not None
    hours = local_day_hours(PARIS, first, 3)
    energy = split_by_period(hours, calendar)
    prices = {"hp": 0.27, "hc": 0.2068}
    result = money_rows(
        energy, FR_HPHC, book(price_set(Plan.FR_HPHC, energy=prices, tax_percent=20))
    )
    for hour in hours:
        local_hour = hour.astimezone(PARIS).hour
        period = "hc" if local_hour >= 22 or local_hour < 6 else "hp"
        expected = round(energy["consumption"][hour] * prices[period] * 1.2, 6)
        assert result.rows[f"cost_{period}"][hour] == expected
        assert result.rows["cost"][hour] == expected
    assert_periods_sum(result.rows, "cost")


def test_split_hour_is_priced_period_by_period() -> None:
    """Off-peak from 22:30: the 22:00 hour holds HP and HC halves."""
    supply = SupplyTariff(
        country=Country.FRANCE,
        timezone="Europe/Paris",
        calendar=FranceHPHC(parse_off_peak_hours("22H30-6H30")),
    )
    hour = datetime(2025, 1, 15, 22, tzinfo=PARIS).astimezone(UTC)
    energy = {
        "consumption": {hour: 0.5},
        "consumption_hp": {hour: 0.2},
        "consumption_hc": {hour: 0.3},
    }
    prices = book(price_set(Plan.FR_HPHC, energy={"hp": 0.25, "hc": 0.2}))
    rows = money_rows(energy, supply, prices).rows
    assert rows == {
        "cost": {hour: 0.11},
        "cost_hp": {hour: 0.05},
        "cost_hc": {hour: 0.06},
    }


def test_period_money_rows_are_as_sparse_as_their_energy() -> None:
    """A period has a money row only where its energy series has one.

    A 0 kWh row included; the total covers every hour. (The writer sets a
    stale period row to 0: `zero_elsewhere` in costs.py.)
    """
    hour = utc(2025, 1, 15, 12)
    energy = {"consumption": {hour: 1.0}, "consumption_p1": {hour: 1.0}}
    energy["consumption_p2"] = {hour: 0.0}
    energy["consumption_p3"] = {hour + HOUR: 2.0}
    prices = book(price_set(Plan.ES_20TD, energy=P123))
    rows = money_rows(energy, ES, prices).rows
    assert rows["cost_p1"] == {hour: 0.2}
    assert rows["cost_p2"] == {hour: 0.0}
    assert rows["cost_p3"] == {hour + HOUR: 0.16}
    assert rows["cost"] == {hour: 0.2, hour + HOUR: 0.16}


def test_total_without_period_series_uses_the_calendar_period() -> None:
    ten = utc(2025, 10, 27, 9)  # Monday 10:00 Madrid: P1
    prices = book(price_set(Plan.ES_20TD, energy=P123))
    assert money_rows({"consumption": {ten: 2.0}}, ES, prices).rows == {
        "cost": {ten: 0.4}
    }


def test_pvpc_hourly_prices_over_dst_days() -> None:
    for day, count in ((date(2025, 3, 30), 23), (date(2025, 10, 26), 25)):
        hours = local_day_hours(MADRID, day)
        assert len(hours) == count
        pvpc = {h: 0.1 + i / 1000 for i, h in enumerate(hours) if i != 5}
        energy = split_by_period(hours, ES.calendar)
        result = money_rows(
            energy,
            ES,
            book(price_set(Plan.ES_PVPC, tax_percent=26.7)),
            pvpc=pvpc,
        )
        assert result.missing == {hours[5]: MissingPrice.PVPC}
        for hour, price in pvpc.items():
            expected = round(energy["consumption"][hour] * price * 1.267, 6)
            assert result.rows["cost"][hour] == expected
        assert hours[5] not in result.rows["cost"]
        assert all(hours[5] not in series for series in result.rows.values())
        assert_periods_sum(result.rows, "cost")


def test_tempo_days_switch_at_six_paris() -> None:
    """Winter (UTC+1): 05:00 UTC is 06:00 Paris, the start of a Tempo day."""
    colours = {
        date(2025, 1, 14): TempoColour.BLUE,
        date(2025, 1, 15): TempoColour.RED,
    }
    hours = [utc(2025, 1, 15, h) for h in range(24)]
    hours += [utc(2025, 1, 16, 4), utc(2025, 1, 16, 5)]
    energy = split_by_period(hours, FR_HPHC.calendar)
    result = money_rows(
        energy,
        FR_HPHC,
        book(price_set(Plan.FR_TEMPO, energy=TEMPO, tax_percent=20.0)),
        tempo=colours,
    )
    cost = result.rows["cost"]
    kwh = energy["consumption"]

    def priced(hour: datetime, period: str) -> float:
        return round(kwh[hour] * TEMPO[period] * 1.2, 6)

    assert cost[utc(2025, 1, 15, 4)] == priced(utc(2025, 1, 15, 4), "blue_hc")
    assert cost[utc(2025, 1, 15, 5)] == priced(utc(2025, 1, 15, 5), "red_hp")
    assert cost[utc(2025, 1, 15, 20)] == priced(utc(2025, 1, 15, 20), "red_hp")
    assert cost[utc(2025, 1, 15, 21)] == priced(utc(2025, 1, 15, 21), "red_hc")
    assert cost[utc(2025, 1, 15, 23)] == priced(utc(2025, 1, 15, 23), "red_hc")
    assert cost[utc(2025, 1, 16, 4)] == priced(utc(2025, 1, 16, 4), "red_hc")
    # The Tempo day of 16 January has no colour yet: its hours wait.
    assert result.missing == {utc(2025, 1, 16, 5): MissingPrice.TEMPO}
    assert_periods_sum(result.rows, "cost")


def test_tempo_day_over_the_autumn_night_has_25_hours() -> None:
    colours = {date(2025, 10, 25): TempoColour.WHITE}
    hours = local_day_hours(PARIS, date(2025, 10, 25), 2)
    prices = book(price_set(Plan.FR_TEMPO, energy=TEMPO))
    result = money_rows(
        {"consumption": dict.fromkeys(hours, 1.0)}, FR_BASE, prices, tempo=colours
    )
    white = result.rows["cost"]
    assert len(white) == 25
    assert min(white) == datetime(2025, 10, 25, 6, tzinfo=PARIS).astimezone(UTC)
    assert max(white) + HOUR == datetime(2025, 10, 26, 6, tzinfo=PARIS)
    assert sorted(set(white.values())) == [TEMPO["white_hc"], TEMPO["white_hp"]]
    assert sum(v == TEMPO["white_hc"] for v in white.values()) == 9  # 22:00-06:00
    assert set(result.missing.values()) == {MissingPrice.TEMPO}
    assert len(result.missing) == 6 + 18  # 25 Oct before 06:00, 26 Oct after


def test_tempo_helpers() -> None:
    assert tempo_day_of(utc(2025, 7, 1, 3)) == date(2025, 6, 30)  # 05:00 Paris
    assert tempo_day_of(utc(2025, 7, 1, 4)) == date(2025, 7, 1)  # 06:00 Paris
    assert tempo_period(utc(2025, 7, 1, 20), TempoColour.RED) == "red_hc"
    days = {date(2025, 6, 30): TempoColour.WHITE}
    assert tempo_colour_at(days, utc(2025, 7, 1, 3)) is TempoColour.WHITE
    assert tempo_colour_at(days, utc(2025, 7, 1, 4)) is None
    assert tempo_period(utc(2025, 7, 1, 19), TempoColour.RED) == "red_hp"


# ---------------------------------------------------------------------------
# Price changes, missing hours, taxes, rounding, compensation
# ---------------------------------------------------------------------------


def test_a_price_change_moves_only_later_hours() -> None:
    hours = local_day_hours(MADRID, date(2025, 5, 30), 4)
    energy = split_by_period(hours, ES.calendar)
    old = book(price_set(Plan.ES_20TD, energy=P123))
    new = book(
        price_set(Plan.ES_20TD, energy=P123),
        price_set(
            Plan.ES_20TD,
            energy={"p1": 0.3, "p2": 0.2, "p3": 0.1},
            valid_from=date(2025, 6, 1),
        ),
    )
    before = money_rows(energy, ES, old).rows
    after = money_rows(energy, ES, new).rows
    switch = datetime(2025, 6, 1, tzinfo=MADRID).astimezone(UTC)
    assert first_change(before, after) == switch
    for name, rows in before.items():
        for hour, value in rows.items():
            if hour < switch:
                assert after[name][hour] == value
            else:
                # Zero rows of the other periods of the hour stay zero.
                assert after[name][hour] > value or after[name][hour] == value == 0
    assert first_change(after, money_rows(energy, ES, new).rows) is None


def test_first_change_sees_added_and_removed_rows() -> None:
    a, b, c = utc(2025, 1, 1, 1), utc(2025, 1, 1, 2), utc(2025, 1, 1, 3)
    assert first_change({"cost": {a: 1.0, b: 2.0}}, {"cost": {a: 1.0}}) == b
    assert first_change({"cost": {a: 1.0}}, {"cost": {a: 1.0, c: 2.0}}) == c
    assert first_change({}, {"cost_p1": {c: 0.0, b: 0.0}}) == b
    assert first_change({"cost": {c: 1.0}}, {"cost": {c: 1.000001}}) == c
    assert first_change({"cost": {}}, {}) is None


def test_hours_before_the_first_set_have_no_price() -> None:
    hours = local_day_hours(MADRID, date(2023, 12, 31), 2)
    result = money_rows(
        {"consumption": dict.fromkeys(hours, 1.0)},
        ES_3TD,
        book(price_set(Plan.ES_SINGLE, energy={"base": 0.1})),
    )
    first = datetime(2024, 1, 1, tzinfo=MADRID).astimezone(UTC)
    assert result.missing == dict.fromkeys(
        (h for h in hours if h < first), MissingPrice.NO_PRICE
    )
    assert min(result.rows["cost"]) == first
    assert money_rows({}, ES, PriceBook()).rows == {}


def test_taxes_and_rounding_to_the_micro_euro() -> None:
    hour = utc(2025, 2, 3, 3)
    energy = {"consumption": {hour: 1 / 3}}
    prices = book(price_set(Plan.ES_SINGLE, energy={"base": 0.1234567}))
    assert money_rows(energy, ES_3TD, prices).rows["cost"][hour] == 0.041152
    taxed = book(
        price_set(Plan.ES_SINGLE, energy={"base": 0.1234567}, tax_percent=26.84)
    )
    assert money_rows(energy, ES_3TD, taxed).rows["cost"][hour] == round(
        0.1234567 / 3 * 1.2684, 6
    )


def test_compensation_from_returned_energy_untaxed() -> None:
    hours = local_day_hours(MADRID, date(2025, 6, 2))
    energy = split_by_period(hours, ES.calendar)
    energy |= split_by_period(hours, ES.calendar, "return")
    energy["generation"] = dict.fromkeys(hours, 9.0)
    prices = book(
        price_set(Plan.ES_20TD, energy=P123, tax_percent=21.0, compensation=0.05)
    )
    rows = money_rows(energy, ES, prices).rows
    assert set(rows) == {
        "cost",
        "cost_p1",
        "cost_p2",
        "cost_p3",
        "compensation",
        "compensation_p1",
        "compensation_p2",
        "compensation_p3",
    }
    for hour in hours:
        assert rows["compensation"][hour] == round(energy["return"][hour] * 0.05, 6)
    assert_periods_sum(rows, "compensation")


def test_no_compensation_rows_without_a_compensation_price() -> None:
    hour = utc(2025, 6, 2, 12)
    energy = {"consumption": {hour: 1.0}, "return": {hour: 2.0}}
    rows = money_rows(
        energy, ES_3TD, book(price_set(Plan.ES_SINGLE, energy={"base": 0.1}))
    )
    assert set(rows.rows) == {"cost"}
    assert not rows.missing
    # A later set without compensation leaves its hours waiting for one.
    later = book(
        price_set(Plan.ES_SINGLE, energy={"base": 0.1}, compensation=0.04),
        price_set(Plan.ES_SINGLE, energy={"base": 0.1}, valid_from=date(2025, 6, 1)),
    )
    result = money_rows(energy, ES_3TD, later)
    assert result.missing == {hour: MissingPrice.NO_PRICE}
    assert set(result.rows) == {"cost"}


@pytest.mark.parametrize(
    ("plan", "supply", "energy"),
    [
        (Plan.ES_20TD, ES_3TD, P123),
        (Plan.ES_20TD, FR_HPHC, P123),
        (Plan.FR_HPHC, ES, {"hp": 0.2, "hc": 0.1}),
    ],
)
def test_a_plan_that_does_not_fit_prices_nothing_and_never_raises(
    plan: Plan, supply: SupplyTariff, energy: dict[str, float]
) -> None:
    hours = local_day_hours(supply.zone, date(2025, 6, 2))
    result = money_rows(
        split_by_period(hours, supply.calendar),
        supply,
        book(price_set(plan, energy=energy)),
    )
    assert result.rows == {}
    assert result.missing == dict.fromkeys(hours, MissingPrice.NO_PRICE)
    assert current_price(supply, book(price_set(plan, energy=energy)), hours[0]) is None


def test_money_series_names() -> None:
    assert money_series("consumption") == "cost"
    assert money_series("consumption_p1") == "cost_p1"
    assert money_series("return_hc") == "compensation_hc"
    assert money_series("self_consumption") is None
    assert money_series("generation") is None


# ---------------------------------------------------------------------------
# Current price, power saving
# ---------------------------------------------------------------------------


def test_current_price_by_plan() -> None:
    prices = book(price_set(Plan.ES_20TD, energy=P123, tax_percent=10.0))
    assert current_price(ES, prices, utc(2025, 10, 27, 9, 30)) == 0.22
    assert current_price(ES, prices, utc(2023, 10, 27, 9)) is None
    pvpc = book(price_set(Plan.ES_PVPC, tax_percent=21.0))
    at = utc(2025, 10, 27, 9, 45)
    assert current_price(ES, pvpc, at, pvpc={utc(2025, 10, 27, 9): 0.1}) == 0.121
    assert current_price(ES, pvpc, at) is None
    tempo = book(price_set(Plan.FR_TEMPO, energy=TEMPO))
    days = {date(2025, 1, 15): TempoColour.WHITE}
    assert current_price(FR_BASE, tempo, utc(2025, 1, 15, 12), tempo=days) == 0.1792
    assert current_price(FR_BASE, tempo, utc(2025, 1, 16, 12), tempo=days) is None


def test_current_price_uses_the_instant_not_its_hour() -> None:
    supply = SupplyTariff(
        country=Country.FRANCE,
        timezone="Europe/Paris",
        calendar=FranceHPHC(parse_off_peak_hours("HC (1H28-6H58)")),
    )
    prices = book(price_set(Plan.FR_HPHC, energy={"hp": 0.25, "hc": 0.2}))
    hour = datetime(2025, 1, 15, 1, tzinfo=PARIS)
    assert current_price(supply, prices, hour) == 0.25
    assert current_price(supply, prices, hour + timedelta(minutes=30)) == 0.2


def test_power_saving() -> None:
    prices = price_set(
        Plan.ES_20TD,
        energy=P123,
        power={"p1": 26.93, "p2": 0.84},
        tax_percent=10.0,
    )
    # (5.75 - 4.6) × 26.93 + (5.75 - 4.6) × 0.84 = 31.9355, × 1.10
    assert power_saving(prices, (5.75, 5.75), 4.6) == 35.13
    assert power_saving(prices, (5.75, 5.75), (4.6, 5.75)) == round(
        1.15 * 26.93 * 1.1, 2
    )
    assert power_saving(prices, (4.6, 4.6), 5.75) == -35.13
    only_p1 = price_set(Plan.ES_20TD, energy=P123, power={"p1": 30.0})
    assert power_saving(only_p1, (6.0, 6.0), 5) == 30.0
    assert power_saving(price_set(Plan.ES_20TD, energy=P123), (6.0, 6.0), 5.0) is None
    assert power_saving(only_p1, (), 5.0) is None
    france = price_set(Plan.FR_BASE, energy={"base": 0.2}, power={"base": 12.5})
    assert power_saving(france, (9.0,), 6.0) == 37.5


# ---------------------------------------------------------------------------
# Validation and serialisation
# ---------------------------------------------------------------------------

VALID_ES: dict[str, Any] = {
    "plan": "es_20td",
    "valid_from": "2025-06-01",
    "tax_percent": 26.8,
    "energy_p1": 0.19,
    "energy_p2": 0.12,
    "energy_p3": 0.08,
    "compensation": 0.05,
    "power_p1": 26.93,
    "power_p2": 0.84,
}


def errors_of(data: object, supply: SupplyTariff | None = None) -> dict[str, str]:
    result = parse_price_set(data, supply)
    assert not isinstance(result, PriceSet), result
    return {error.field: error.key.value for error in result}


def test_parse_a_valid_set_and_round_trip() -> None:
    parsed = parse_price_set(VALID_ES, ES)
    assert parsed == PriceSet(
        plan=Plan.ES_20TD,
        valid_from=date(2025, 6, 1),
        energy={"p1": 0.19, "p2": 0.12, "p3": 0.08},
        tax_percent=26.8,
        compensation=0.05,
        power={"p1": 26.93, "p2": 0.84},
    )
    assert isinstance(parsed, PriceSet)
    assert price_set_to_dict(parsed) == VALID_ES
    minimal = parse_price_set(
        {"plan": "es_pvpc", "valid_from": date(2025, 1, 1), "compensation": None}
    )
    assert minimal == PriceSet(plan=Plan.ES_PVPC, valid_from=date(2025, 1, 1))
    assert price_set_to_dict(minimal) == {
        "plan": "es_pvpc",
        "valid_from": "2025-01-01",
        "tax_percent": 0.0,
    }
    integers = parse_price_set(
        {"plan": "fr_base", "valid_from": "2025-01-01", "energy_base": 1}
    )
    assert isinstance(integers, PriceSet)
    assert integers.energy == {"base": 1.0}


@pytest.mark.parametrize(
    ("change", "field", "key"),
    [
        ({"plan": "es_flat"}, "plan", PriceErrorKey.UNKNOWN_PLAN),
        ({"plan": None}, "plan", PriceErrorKey.UNKNOWN_PLAN),
        ({"plan": 3}, "plan", PriceErrorKey.UNKNOWN_PLAN),
        ({"valid_from": "2025-13-01"}, "valid_from", PriceErrorKey.DATE_INVALID),
        ({"valid_from": 20250601}, "valid_from", PriceErrorKey.DATE_INVALID),
        (
            {"valid_from": datetime(2025, 6, 1, tzinfo=UTC)},
            "valid_from",
            PriceErrorKey.DATE_INVALID,
        ),
        ({"valid_from": None}, "valid_from", PriceErrorKey.DATE_INVALID),
        ({"energy_p1": None}, "energy_p1", PriceErrorKey.PRICE_MISSING),
        ({"energy_p1": -0.01}, "energy_p1", PriceErrorKey.PRICE_NEGATIVE),
        ({"energy_p1": 5.01}, "energy_p1", PriceErrorKey.PRICE_TOO_HIGH),
        ({"energy_p1": 190.0}, "energy_p1", PriceErrorKey.PRICE_TOO_HIGH),
        ({"energy_p1": math.nan}, "energy_p1", PriceErrorKey.NOT_A_NUMBER),
        ({"energy_p1": math.inf}, "energy_p1", PriceErrorKey.NOT_A_NUMBER),
        ({"energy_p1": "0.19"}, "energy_p1", PriceErrorKey.NOT_A_NUMBER),
        ({"energy_p1": True}, "energy_p1", PriceErrorKey.NOT_A_NUMBER),
        ({"energy_p4": 0.1}, "energy_p4", PriceErrorKey.UNKNOWN_FIELD),
        ({"energy_hp": 0.1}, "energy_hp", PriceErrorKey.UNKNOWN_FIELD),
        ({"power_p3": 10.0}, "power_p3", PriceErrorKey.UNKNOWN_FIELD),
        ({"colour": "red"}, "colour", PriceErrorKey.UNKNOWN_FIELD),
        ({"power_p1": -1.0}, "power_p1", PriceErrorKey.PRICE_NEGATIVE),
        ({"power_p1": 1000.01}, "power_p1", PriceErrorKey.PRICE_TOO_HIGH),
        ({"power_p2": [1]}, "power_p2", PriceErrorKey.NOT_A_NUMBER),
        ({"tax_percent": -1}, "tax_percent", PriceErrorKey.TAX_OUT_OF_RANGE),
        ({"tax_percent": 100.5}, "tax_percent", PriceErrorKey.TAX_OUT_OF_RANGE),
        ({"tax_percent": math.nan}, "tax_percent", PriceErrorKey.NOT_A_NUMBER),
        ({"compensation": -0.05}, "compensation", PriceErrorKey.PRICE_NEGATIVE),
        ({"compensation": 6}, "compensation", PriceErrorKey.PRICE_TOO_HIGH),
        ({"compensation": "x"}, "compensation", PriceErrorKey.NOT_A_NUMBER),
    ],
)
def test_every_field_error(change: dict[str, Any], field: str, key: str) -> None:
    assert errors_of(VALID_ES | change) == {field: key}


def test_bounds_are_inclusive() -> None:
    edge = VALID_ES | {
        "energy_p1": MAX_ENERGY_PRICE,
        "energy_p3": 0,
        "power_p1": 1000,
        "tax_percent": 100,
        "compensation": 0.0,
    }
    assert isinstance(parse_price_set(edge), PriceSet)
    assert isinstance(parse_price_set(VALID_ES | {"tax_percent": 0}), PriceSet)


def test_missing_prices_and_several_errors() -> None:
    assert errors_of({"plan": "fr_tempo", "valid_from": "2025-01-01"}) == {
        f"energy_{p}": "price_missing" for p in PLAN_RULES[Plan.FR_TEMPO].energy_periods
    }
    assert errors_of({"plan": "x", "valid_from": "y", "energy_p1": "z"}) == {
        "plan": "unknown_plan",
        "valid_from": "date_invalid",
        "energy_p1": "not_a_number",
    }


@pytest.mark.parametrize("data", [None, [], "es_20td", 3, {1: 2}, {None: "x"}])
def test_garbage_is_invalid_data(data: object) -> None:
    assert errors_of(data)["base"] == "invalid_data"


@pytest.mark.parametrize(
    ("plan", "supply"),
    [
        (Plan.ES_20TD, ES_3TD),
        (Plan.ES_PVPC, ES_3TD),
        (Plan.ES_20TD, FR_HPHC),
        (Plan.FR_HPHC, FR_BASE),
        (Plan.FR_BASE, ES),
        (Plan.FR_TEMPO, IT),
        (Plan.IT_F123, ES),
        (Plan.IT_F123, SupplyTariff(country=Country.ITALY, timezone="Europe/Rome")),
        (Plan.IT_SINGLE, FR_BASE),
    ],
)
def test_plan_not_for_tariff(plan: Plan, supply: SupplyTariff) -> None:
    assert not plan_fits(plan, supply)
    data = {"plan": plan.value, "valid_from": "2025-01-01"} | {
        f"energy_{p}": 0.1 for p in PLAN_RULES[plan].energy_periods
    }
    assert errors_of(data, supply) == {"plan": "plan_not_for_tariff"}
    assert isinstance(parse_price_set(data), PriceSet)


@pytest.mark.parametrize(
    ("plan", "supply"),
    [
        (Plan.ES_SINGLE, ES_3TD),
        (Plan.ES_20TD, ES_CYM),
        (Plan.ES_PVPC, ES_CANARY),
        (Plan.FR_BASE, FR_HPHC),
        (Plan.FR_HPHC, FR_HPHC),
        (Plan.FR_TEMPO, FR_BASE),
        (Plan.IT_SINGLE, IT),
        (Plan.IT_F123, IT),
    ],
)
def test_plans_that_fit(plan: Plan, supply: SupplyTariff) -> None:
    assert plan_fits(plan, supply)


def test_price_book_overlaps_order_and_round_trip() -> None:
    later = VALID_ES | {"valid_from": "2026-01-01", "energy_p1": 0.21}
    parsed = parse_price_book([later, VALID_ES], ES)
    assert isinstance(parsed, PriceBook)
    assert [s.valid_from for s in parsed.sets] == [date(2025, 6, 1), date(2026, 1, 1)]
    assert parse_price_book(price_book_to_list(parsed), ES) == parsed
    assert parsed.set_on(date(2025, 5, 31)) is None
    assert parsed.set_on(date(2025, 12, 31)) == parsed.sets[0]
    assert parsed.set_on(date(2026, 1, 1)) == parsed.sets[1]
    assert parse_price_book([VALID_ES, {"plan": 1}, later, VALID_ES], ES) == (
        PriceSetError("plan", PriceErrorKey.UNKNOWN_PLAN, 1),
        PriceSetError("valid_from", PriceErrorKey.DATE_INVALID, 1),
        PriceSetError("valid_from", PriceErrorKey.DATE_OVERLAP, 3),
    )
    assert parse_price_book([VALID_ES | {"plan": "fr_base"}], ES) == (
        PriceSetError("plan", PriceErrorKey.PLAN_NOT_FOR_TARIFF, 0),
        PriceSetError("energy_p1", PriceErrorKey.UNKNOWN_FIELD, 0),
        PriceSetError("energy_p2", PriceErrorKey.UNKNOWN_FIELD, 0),
        PriceSetError("energy_p3", PriceErrorKey.UNKNOWN_FIELD, 0),
        PriceSetError("energy_base", PriceErrorKey.PRICE_MISSING, 0),
        PriceSetError("power_p1", PriceErrorKey.UNKNOWN_FIELD, 0),
        PriceSetError("power_p2", PriceErrorKey.UNKNOWN_FIELD, 0),
    )
    assert parse_price_book([]) == PriceBook()


@pytest.mark.parametrize("data", [None, "abc", b"abc", {"plan": "es_pvpc"}, 3])
def test_price_book_garbage(data: object) -> None:
    assert parse_price_book(data) == (
        PriceSetError("base", PriceErrorKey.INVALID_DATA),
    )


def test_checking_a_set_added_to_a_book() -> None:
    current = parse_price_book([VALID_ES])
    assert isinstance(current, PriceBook)
    added = price_set(Plan.ES_20TD, energy=P123, valid_from=date(2025, 6, 1))
    errors = check_price_sets([*current.sets, added], ES)
    assert [e for e in errors if e.index == 1] == [
        PriceSetError("valid_from", PriceErrorKey.DATE_OVERLAP, 1)
    ]
    assert check_price_set(added, ES) == ()


def test_a_book_refuses_invalid_sets() -> None:
    with pytest.raises(InvalidPriceBook) as caught:
        PriceBook((price_set(Plan.ES_SINGLE, energy={"base": -1.0}),))
    assert caught.value.errors == (
        PriceSetError("energy_base", PriceErrorKey.PRICE_NEGATIVE, 0),
    )
    same_day = price_set(Plan.ES_SINGLE, energy={"base": 0.1})
    with pytest.raises(InvalidPriceBook):
        PriceBook((same_day, same_day))
    with pytest.raises(ValueError, match="unknown timezone"):
        SupplyTariff(country=Country.SPAIN, timezone="Mars/Olympus")


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from([p.value for p in Plan] + ["2025-01-01", "energy_p1"]),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "plan",
        "valid_from",
        "tax_percent",
        "compensation",
        "energy_p1",
        "energy_base",
        "energy_red_hp",
        "power_p1",
        "power_base",
    ]
) | st.text(max_size=10)


@given(
    st.dictionaries(field_names, json_values, max_size=8)
    | json_values
    | st.fixed_dictionaries({}, optional=dict.fromkeys(VALID_ES, json_values))
)
def test_parsing_garbage_never_raises(data: object) -> None:
    for supply in (None, ES, FR_BASE):
        result = parse_price_set(data, supply)
        if isinstance(result, PriceSet):
            assert check_price_set(result, supply) == ()
            assert parse_price_set(price_set_to_dict(result), supply) == result
        else:
            assert result
            assert all(isinstance(e.key, PriceErrorKey) for e in result)
            assert len({e.field for e in result}) == len(result)
    book_result = parse_price_book([data, data])
    assert isinstance(book_result, tuple)  # two sets, same date: never a book


price_values = st.floats(min_value=0, max_value=MAX_ENERGY_PRICE)
kwh = st.floats(min_value=0, max_value=1e4)


@st.composite
def priced_history(
    draw: st.DrawFn,
) -> tuple[
    dict[str, dict[datetime, float]],
    PriceBook,
    SupplyTariff,
    dict[datetime, float],
    dict[date, TempoColour],
]:
    supply = draw(st.sampled_from([ES, ES_CYM, ES_CANARY, FR_HPHC, IT]))
    assert supply.calendar is not None
    plans = [p for p in Plan if plan_fits(p, supply)]
    sets = []
    for day in sorted(
        draw(
            st.sets(
                st.dates(date(2025, 3, 25), date(2025, 4, 5)), min_size=1, max_size=3
            )
        )
    ):
        plan = draw(st.sampled_from(plans))
        sets.append(
            PriceSet(
                plan=plan,
                valid_from=day,
                energy={p: draw(price_values) for p in PLAN_RULES[plan].energy_periods},
                tax_percent=draw(st.floats(0, 100)),
                compensation=draw(st.none() | price_values),
            )
        )
    first = utc(2025, 3, 24) + draw(st.integers(0, 24 * 10)) * HOUR
    hours = [first + i * HOUR for i in range(draw(st.integers(1, 48)))]
    energy: dict[str, dict[datetime, float]] = {}
    # Each hour of each register: up to two periods (a split hour) and kWh.
    cells = st.dictionaries(st.sampled_from(supply.calendar.periods), kwh, max_size=2)
    for register in ("consumption", "return"):
        for hour, split in zip(
            hours,
            draw(st.lists(cells, min_size=len(hours), max_size=len(hours))),
            strict=True,
        ):
            for period, value in split.items():
                energy.setdefault(f"{register}_{period}", {})[hour] = value
            energy.setdefault(register, {})[hour] = sum(split.values())
    pvpc = draw(st.dictionaries(st.sampled_from(hours), price_values))
    days = sorted({tempo_day_of(h) for h in hours})
    tempo = draw(st.dictionaries(st.sampled_from(days), st.sampled_from(TempoColour)))
    return energy, PriceBook(tuple(sets)), supply, pvpc, tempo


@given(priced_history())
def test_costs_are_finite_non_negative_and_sum_their_periods(
    case: tuple[
        dict[str, dict[datetime, float]],
        PriceBook,
        SupplyTariff,
        dict[datetime, float],
        dict[date, TempoColour],
    ],
) -> None:
    energy, prices_book, supply, pvpc, tempo = case
    result = money_rows(energy, supply, prices_book, pvpc=pvpc, tempo=tempo)
    for rows in result.rows.values():
        assert all(math.isfinite(v) and v >= 0 for v in rows.values())
        assert all(round(v, 6) == v for v in rows.values())
    for kind, register in (("cost", "consumption"), ("compensation", "return")):
        if kind in result.rows:
            assert_periods_sum(result.rows, kind)
        priced = set(result.rows.get(kind, ()))
        # Every hour with energy is either priced or reported missing.
        if kind == "cost" or prices_book.prices_compensation:
            assert priced | set(result.missing) >= set(energy.get(register, ()))
    assert (
        first_change(
            result.rows,
            money_rows(energy, supply, prices_book, pvpc=pvpc, tempo=tempo).rows,
        )
        is None
    )


def test_sets_built_directly_are_checked_for_non_finite_numbers() -> None:
    broken = PriceSet(
        plan=Plan.FR_BASE,
        valid_from=START,
        energy={"base": math.nan},
        tax_percent=math.inf,
    )
    assert check_price_set(broken) == (
        PriceSetError("energy_base", PriceErrorKey.NOT_A_NUMBER),
        PriceSetError("tax_percent", PriceErrorKey.NOT_A_NUMBER),
    )
