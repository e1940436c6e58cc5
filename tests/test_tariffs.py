"""Tests for the tariff-period calendars (pure Python, no Home Assistant)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.gridmeter.tariffs import (
    FranceBase,
    FranceHPHC,
    ItalyF123,
    Spain20TD,
    TariffCalendar,
    easter_sunday,
    italy_national_holidays,
    parse_off_peak_hours,
    spain_20td_for,
    spain_20td_power_period,
    spain_national_holidays,
    spain_timezone_for,
)

MADRID = ZoneInfo("Europe/Madrid")
CANARY = ZoneInfo("Atlantic/Canary")
PARIS = ZoneInfo("Europe/Paris")
ROME = ZoneInfo("Europe/Rome")


def local(
    tz: ZoneInfo,
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
) -> datetime:
    """Build an aware local datetime."""
    return datetime(year, month, day, hour, minute, second, tzinfo=tz)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """Build an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def hourly_utc(start: datetime, end: datetime) -> list[datetime]:
    """Return the UTC hour starts in [start, end)."""
    hours = int((end - start).total_seconds() // 3600)
    return [start + timedelta(hours=i) for i in range(hours)]


def classify(calendar: TariffCalendar, instant: datetime) -> str:
    """Use a calendar through the protocol only (also a typing check)."""
    result = calendar.period_at(instant)
    assert result in calendar.periods
    return result


# Working-day energy periods, hour by hour (CNMC Circular 3/2020).
ES_PENINSULA_DAY = ["p3"] * 8 + ["p2"] * 2 + ["p1"] * 4 + ["p2"] * 4 + ["p1"] * 4
ES_PENINSULA_DAY += ["p2"] * 2
ES_CYM_DAY = ["p3"] * 8 + ["p2"] * 3 + ["p1"] * 4 + ["p2"] * 4 + ["p1"] * 4 + ["p2"]
IT_WEEKDAY = ["f3"] * 7 + ["f2"] + ["f1"] * 11 + ["f2"] * 4 + ["f3"]
IT_SATURDAY = ["f3"] * 7 + ["f2"] * 16 + ["f3"]

ES_FIXED = [(1, 1), (1, 6), (5, 1), (8, 15), (10, 12), (11, 1), (12, 6), (12, 8)]
ES_FIXED += [(12, 25)]
IT_FIXED = [(1, 1), (1, 6), (4, 25), (5, 1), (6, 2), (8, 15), (11, 1), (12, 8)]
IT_FIXED += [(12, 25), (12, 26)]


def weekday_occurrence(month: int, day: int) -> date:
    """Return the first date (from 2025) with this month/day on Mon-Fri."""
    for year in range(2025, 2040):
        candidate = date(year, month, day)
        if candidate.weekday() < 5:
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover


# ---------------------------------------------------------------------------
# Protocol
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "key", "periods"),
    [
        (Spain20TD(), "es_20td", ("p1", "p2", "p3")),
        (Spain20TD("ceuta_melilla"), "es_20td_cym", ("p1", "p2", "p3")),
        (Spain20TD(timezone="Atlantic/Canary"), "es_20td", ("p1", "p2", "p3")),
        (FranceBase(), "fr_base", ("base",)),
        (FranceHPHC([(time(22), time(6))]), "fr_hphc", ("hp", "hc")),
        (ItalyF123(), "it_f123", ("f1", "f2", "f3")),
    ],
)
def test_protocol_key_and_periods(
    calendar: TariffCalendar, key: str, periods: tuple[str, ...]
) -> None:
    assert isinstance(calendar, TariffCalendar)
    assert calendar.key == key
    assert calendar.periods == periods
    # Every hour of a whole year maps to a declared period.
    start = utc(2026, 1, 1)
    seen = {classify(calendar, t) for t in hourly_utc(start, utc(2027, 1, 1))}
    assert seen == set(periods)


# Static check (mypy): every calendar class satisfies the protocol.
ALL_CALENDARS: tuple[TariffCalendar, ...] = (
    Spain20TD(),
    Spain20TD("ceuta_melilla"),
    FranceBase(),
    FranceHPHC([(time(22), time(6))]),
    ItalyF123(),
)


@pytest.mark.parametrize("calendar", ALL_CALENDARS)
def test_naive_instant_rejected(calendar: TariffCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.period_at(datetime(2026, 2, 2, 10))


def test_naive_instant_rejected_power_period() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        spain_20td_power_period(datetime(2026, 2, 2, 10))


@pytest.mark.parametrize(
    "factory",
    [
        lambda: Spain20TD(timezone="Mars/Olympus"),
        lambda: FranceBase(timezone="Nowhere/Land"),
        lambda: FranceHPHC([(time(22), time(6))], timezone=""),
        lambda: ItalyF123(timezone="../etc/passwd"),
    ],
)
def test_unknown_timezone_rejected(factory: object) -> None:
    with pytest.raises(ValueError, match="unknown timezone"):
        factory()  # type: ignore[operator]


def test_calendars_are_hashable_values() -> None:
    assert Spain20TD() == Spain20TD("peninsula", "Europe/Madrid")
    assert hash(Spain20TD()) == hash(Spain20TD())
    assert Spain20TD() != Spain20TD("ceuta_melilla")
    hphc = FranceHPHC([(time(22, 30), time(6, 30))])
    assert hphc.off_peak == ((time(22, 30), time(6, 30)),)
    assert hphc == FranceHPHC(((time(22, 30), time(6, 30)),))
    assert len({hphc, FranceHPHC([(time(22, 30), time(6, 30))])}) == 1
    assert ItalyF123() == ItalyF123()


# ---------------------------------------------------------------------------
# Easter and holidays
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (1818, date(1818, 3, 22)),  # earliest possible date
        (1943, date(1943, 4, 25)),  # latest possible date
        (2000, date(2000, 4, 23)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
        (2285, date(2285, 3, 22)),
    ],
)
def test_easter_sunday(year: int, expected: date) -> None:
    assert easter_sunday(year) == expected
    assert expected.weekday() == 6


def test_spain_national_holidays() -> None:
    holidays = spain_national_holidays(2026)
    assert holidays == frozenset(date(2026, m, d) for m, d in ES_FIXED)
    assert len(holidays) == 9
    assert date(2026, 4, 3) not in holidays  # Good Friday
    assert date(2026, 4, 2) not in holidays  # Holy Thursday
    assert date(2026, 4, 6) not in holidays  # Easter Monday
    assert date(2026, 11, 2) not in holidays  # no Monday substitute for 1 Nov
    assert spain_national_holidays(2026) is holidays  # cached


def test_italy_national_holidays() -> None:
    h2025 = italy_national_holidays(2025)
    h2026 = italy_national_holidays(2026)
    assert len(h2025) == 11
    assert len(h2026) == 12
    assert date(2025, 4, 21) in h2025  # Easter Monday 2025
    assert date(2026, 4, 6) in h2026  # Easter Monday 2026
    assert date(2026, 4, 3) not in h2026  # Good Friday is no holiday in Italy
    assert date(2025, 10, 4) not in h2025
    assert date(2026, 10, 4) in h2026  # San Francesco, from 2026 on
    assert date(2027, 10, 4) in italy_national_holidays(2027)
    assert all(date(2026, m, d) in h2026 for m, d in IT_FIXED)
    assert italy_national_holidays(2026) is h2026  # cached


# ---------------------------------------------------------------------------
# Spain 2.0TD energy periods
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("day", range(2, 7))  # Mon 2 Feb .. Fri 6 Feb 2026
def test_spain_working_day_every_hour(day: int) -> None:
    calendar = Spain20TD()
    for hour, expected in enumerate(ES_PENINSULA_DAY):
        assert calendar.period_at(local(MADRID, 2026, 2, day, hour)) == expected
        assert calendar.period_at(local(MADRID, 2026, 2, day, hour, 59, 59)) == expected


@pytest.mark.parametrize(
    ("hour", "minute", "second", "expected"),
    [
        (0, 0, 0, "p3"),
        (7, 59, 59, "p3"),
        (8, 0, 0, "p2"),
        (9, 59, 59, "p2"),
        (10, 0, 0, "p1"),
        (13, 59, 59, "p1"),
        (14, 0, 0, "p2"),
        (17, 59, 59, "p2"),
        (18, 0, 0, "p1"),
        (21, 59, 59, "p1"),
        (22, 0, 0, "p2"),
        (23, 59, 59, "p2"),
    ],
)
def test_spain_period_edges(hour: int, minute: int, second: int, expected: str) -> None:
    instant = local(MADRID, 2026, 2, 4, hour, minute, second)  # Wednesday
    assert Spain20TD().period_at(instant) == expected


@pytest.mark.parametrize("day", [date(2026, 2, 7), date(2026, 2, 8)])
def test_spain_weekend_all_p3(day: date) -> None:
    calendar = Spain20TD()
    ceuta = Spain20TD("ceuta_melilla")
    for hour in range(24):
        instant = local(MADRID, day.year, day.month, day.day, hour)
        assert calendar.period_at(instant) == "p3"
        assert ceuta.period_at(instant) == "p3"


@pytest.mark.parametrize(("month", "day"), ES_FIXED)
def test_spain_fixed_holidays_all_p3(month: int, day: int) -> None:
    holiday = weekday_occurrence(month, day)
    calendar = Spain20TD()
    ceuta = Spain20TD("ceuta_melilla")
    for hour in range(24):
        instant = local(MADRID, holiday.year, holiday.month, holiday.day, hour)
        assert calendar.period_at(instant) == "p3"
        assert ceuta.period_at(instant) == "p3"
        assert spain_20td_power_period(instant) == "p2"


def test_spain_each_2026_holiday_weekday_in_table() -> None:
    # 2026: 1 Jan Thu, 6 Jan Tue, 1 May Fri, 12 Oct Mon, 8 Dec Tue, 25 Dec Fri.
    for month, day in [(1, 1), (1, 6), (5, 1), (10, 12), (12, 8), (12, 25)]:
        assert Spain20TD().period_at(local(MADRID, 2026, month, day, 11)) == "p3"


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 4, 2), "Holy Thursday (regional)"),
        (date(2026, 4, 3), "Good Friday (moveable national)"),
        (date(2026, 4, 6), "Easter Monday (regional)"),
        (date(2026, 11, 2), "Monday after 1 Nov on a Sunday (substitute)"),
        (date(2026, 3, 19), "San José (regional)"),
    ],
)
def test_spain_moveable_and_regional_holidays_not_p3(day: date, name: str) -> None:
    calendar = Spain20TD()
    assert calendar.period_at(local(MADRID, day.year, day.month, day.day, 10)) == "p1"
    assert calendar.period_at(local(MADRID, day.year, day.month, day.day, 8)) == "p2"
    assert calendar.period_at(local(MADRID, day.year, day.month, day.day, 7)) == "p3"
    instant = local(MADRID, day.year, day.month, day.day, 12)
    assert spain_20td_power_period(instant) == "p1", name


def test_spain_good_friday_2026_every_hour() -> None:
    calendar = Spain20TD()
    periods = [calendar.period_at(local(MADRID, 2026, 4, 3, h)) for h in range(24)]
    assert periods == ES_PENINSULA_DAY


def test_spain_converts_any_timezone() -> None:
    calendar = Spain20TD()
    # 04:00 in New York (EST) on Mon 2 Feb 2026 is 10:00 in Madrid.
    assert (
        calendar.period_at(local(ZoneInfo("America/New_York"), 2026, 2, 2, 4)) == "p1"
    )
    # 09:00Z is 10:00 CET (winter) ...
    assert calendar.period_at(utc(2026, 2, 2, 9)) == "p1"
    assert calendar.period_at(utc(2026, 2, 2, 8, 59)) == "p2"
    # ... and 08:00Z is 10:00 CEST (summer).
    assert calendar.period_at(utc(2026, 7, 1, 8)) == "p1"
    assert calendar.period_at(utc(2026, 7, 1, 7, 59)) == "p2"
    # 23:00Z on 31 Dec is already 1 Jan 00:00 in Madrid (holiday).
    assert calendar.period_at(utc(2025, 12, 31, 23, 0)) == "p3"
    assert calendar.period_at(utc(2025, 12, 31, 22, 59)) == "p2"  # 23:59 Wed
    assert calendar.period_at(utc(2025, 12, 31, 21, 0)) == "p2"  # 22:00 Wed
    assert calendar.period_at(utc(2025, 12, 31, 20, 59)) == "p1"  # 21:59 Wed


def test_spain_dst_autumn_25_hours() -> None:
    calendar = Spain20TD()
    instants = hourly_utc(utc(2025, 10, 25, 22), utc(2025, 10, 26, 23))
    assert len(instants) == 25
    local_hours = [t.astimezone(MADRID).hour for t in instants]
    assert local_hours == [0, 1, 2, *range(2, 24)]
    assert {calendar.period_at(t) for t in instants} == {"p3"}  # Sunday
    assert {spain_20td_power_period(t) for t in instants} == {"p2"}
    # Friday before (CEST, UTC+2) and Monday after (CET, UTC+1): 08:00 local.
    assert calendar.period_at(utc(2025, 10, 24, 5, 59)) == "p3"
    assert calendar.period_at(utc(2025, 10, 24, 6)) == "p2"
    assert calendar.period_at(utc(2025, 10, 24, 8)) == "p1"
    assert calendar.period_at(utc(2025, 10, 27, 6, 59)) == "p3"
    assert calendar.period_at(utc(2025, 10, 27, 7)) == "p2"
    assert calendar.period_at(utc(2025, 10, 27, 9)) == "p1"
    monday = hourly_utc(utc(2025, 10, 26, 23), utc(2025, 10, 27, 23))
    assert [calendar.period_at(t) for t in monday] == ES_PENINSULA_DAY


def test_spain_dst_spring_23_hours() -> None:
    calendar = Spain20TD()
    instants = hourly_utc(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))
    assert len(instants) == 23
    local_hours = [t.astimezone(MADRID).hour for t in instants]
    assert local_hours == [0, 1, *range(3, 24)]
    assert {calendar.period_at(t) for t in instants} == {"p3"}  # Sunday
    # Friday before (CET) and Monday after (CEST).
    assert calendar.period_at(utc(2026, 3, 27, 7)) == "p2"
    assert calendar.period_at(utc(2026, 3, 27, 6, 59)) == "p3"
    assert calendar.period_at(utc(2026, 3, 30, 6)) == "p2"
    assert calendar.period_at(utc(2026, 3, 30, 5, 59)) == "p3"
    monday = hourly_utc(utc(2026, 3, 29, 22), utc(2026, 3, 30, 22))
    assert [calendar.period_at(t) for t in monday] == ES_PENINSULA_DAY


@pytest.mark.parametrize("day", range(2, 7))
def test_ceuta_melilla_working_day_every_hour(day: int) -> None:
    calendar = Spain20TD("ceuta_melilla")
    for hour, expected in enumerate(ES_CYM_DAY):
        assert calendar.period_at(local(MADRID, 2026, 2, day, hour)) == expected


@pytest.mark.parametrize(
    ("hour", "peninsula", "ceuta"),
    [
        (7, "p3", "p3"),
        (8, "p2", "p2"),
        (10, "p1", "p2"),
        (11, "p1", "p1"),
        (14, "p2", "p1"),
        (15, "p2", "p2"),
        (18, "p1", "p2"),
        (19, "p1", "p1"),
        (22, "p2", "p1"),
        (23, "p2", "p2"),
    ],
)
def test_ceuta_melilla_shift(hour: int, peninsula: str, ceuta: str) -> None:
    instant = local(MADRID, 2026, 2, 4, hour)
    assert Spain20TD().period_at(instant) == peninsula
    assert Spain20TD("ceuta_melilla").period_at(instant) == ceuta
    assert Spain20TD("ceuta_melilla", "Africa/Ceuta").period_at(instant) == ceuta


def test_canary_local_hours() -> None:
    canary = Spain20TD(timezone="Atlantic/Canary")
    peninsula = Spain20TD()
    # Winter: 09:00Z is 09:00 WET in the Canaries (P2), 10:00 CET in Madrid (P1).
    assert canary.period_at(utc(2026, 2, 2, 9)) == "p2"
    assert peninsula.period_at(utc(2026, 2, 2, 9)) == "p1"
    assert canary.period_at(utc(2026, 2, 2, 10)) == "p1"
    # Summer: 08:00Z is 09:00 WEST (P2) and 10:00 CEST (P1).
    assert canary.period_at(utc(2026, 7, 1, 8)) == "p2"
    assert peninsula.period_at(utc(2026, 7, 1, 8)) == "p1"
    # Same clock table in local time.
    for hour, expected in enumerate(ES_PENINSULA_DAY):
        assert canary.period_at(local(CANARY, 2026, 2, 4, hour)) == expected
    # New Year's Eve 23:30Z: already a holiday in Madrid, still Wednesday 23:30
    # (P2) in the Canaries.
    assert peninsula.period_at(utc(2025, 12, 31, 23, 30)) == "p3"
    assert canary.period_at(utc(2025, 12, 31, 23, 30)) == "p2"
    assert canary.period_at(utc(2026, 1, 1, 0, 0)) == "p3"


def test_spain_invalid_territory() -> None:
    with pytest.raises(ValueError, match="territory"):
        Spain20TD("canarias")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Spain 2.0TD power periods and factory
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (local(MADRID, 2026, 2, 2, 0), "p2"),
        (local(MADRID, 2026, 2, 2, 7, 59, 59), "p2"),
        (local(MADRID, 2026, 2, 2, 8), "p1"),
        (local(MADRID, 2026, 2, 2, 14), "p1"),
        (local(MADRID, 2026, 2, 2, 23, 59), "p1"),
        (local(MADRID, 2026, 2, 6, 23), "p1"),  # Friday night
        (local(MADRID, 2026, 2, 7, 12), "p2"),  # Saturday
        (local(MADRID, 2026, 2, 8, 20), "p2"),  # Sunday
        (local(MADRID, 2026, 1, 6, 12), "p2"),  # Epiphany (Tuesday)
        (local(MADRID, 2026, 4, 3, 12), "p1"),  # Good Friday is a working day
        (utc(2026, 2, 2, 7), "p1"),  # 08:00 CET
        (utc(2026, 2, 2, 6, 59), "p2"),
    ],
)
def test_spain_power_period(instant: datetime, expected: str) -> None:
    assert spain_20td_power_period(instant) == expected


def test_spain_power_period_timezone() -> None:
    # 07:30Z is 08:30 CET in Madrid (P1) but 07:30 WET in the Canaries (P2).
    instant = utc(2026, 2, 2, 7, 30)
    assert spain_20td_power_period(instant) == "p1"
    assert spain_20td_power_period(instant, "Atlantic/Canary") == "p2"
    with pytest.raises(ValueError, match="unknown timezone"):
        spain_20td_power_period(instant, "Nowhere/Land")


@pytest.mark.parametrize(
    ("province", "expected"),
    [
        ("35", "Atlantic/Canary"),
        ("38", "Atlantic/Canary"),
        (" 38 ", "Atlantic/Canary"),
        ("28", "Europe/Madrid"),
        ("07", "Europe/Madrid"),
        ("51", "Europe/Madrid"),
        ("", "Europe/Madrid"),
        ("XX", "Europe/Madrid"),
        (None, "Europe/Madrid"),
    ],
)
def test_spain_timezone_for(province: str | None, expected: str) -> None:
    assert spain_timezone_for(province) == expected


@pytest.mark.parametrize(
    ("province", "territory", "timezone"),
    [
        ("51", "ceuta_melilla", "Europe/Madrid"),
        ("52", "ceuta_melilla", "Europe/Madrid"),
        (" 52", "ceuta_melilla", "Europe/Madrid"),
        ("28", "peninsula", "Europe/Madrid"),
        ("7", "peninsula", "Europe/Madrid"),
        ("35", "peninsula", "Atlantic/Canary"),
        ("38", "peninsula", "Atlantic/Canary"),
        ("Ceuta", "peninsula", "Europe/Madrid"),
        (None, "peninsula", "Europe/Madrid"),
    ],
)
def test_spain_20td_for_default_timezone(
    province: str | None, territory: str, timezone: str
) -> None:
    calendar = spain_20td_for(province)
    assert calendar.territory == territory
    assert calendar.timezone == timezone


def test_spain_20td_for_explicit_timezone() -> None:
    calendar = spain_20td_for("51", "Africa/Ceuta")
    assert calendar == Spain20TD("ceuta_melilla", "Africa/Ceuta")
    assert calendar.key == "es_20td_cym"
    assert spain_20td_for("28", "Europe/Madrid") == Spain20TD()
    assert spain_20td_for(None, "Atlantic/Canary").timezone == "Atlantic/Canary"


# ---------------------------------------------------------------------------
# France
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HC (22H30-6H30)", ((time(22, 30), time(6, 30)),)),
        (
            "HC (1H28-6H58;13H58-16H28)",
            ((time(1, 28), time(6, 58)), (time(13, 58), time(16, 28))),
        ),
        (
            "HC (1H30-8H00;12H30-14H00)",
            ((time(1, 30), time(8, 0)), (time(12, 30), time(14, 0))),
        ),
        (
            "HC (1H00-7H00;12H30-14H00)",
            ((time(1, 0), time(7, 0)), (time(12, 30), time(14, 0))),
        ),
        ("01H36-07H36", ((time(1, 36), time(7, 36)),)),
        ("22h30-06h30", ((time(22, 30), time(6, 30)),)),
        ("hc (22h30-6h30)", ((time(22, 30), time(6, 30)),)),
        (
            "22h30-06h30;12h00-14h00",
            ((time(22, 30), time(6, 30)), (time(12, 0), time(14, 0))),
        ),
        ("  HC ( 22H30 - 6H30 )  ", ((time(22, 30), time(6, 30)),)),
        ("HC(22H30-6H30)", ((time(22, 30), time(6, 30)),)),
        ("HC: 22H30-6H30", ((time(22, 30), time(6, 30)),)),
        ("22H30\u20136H30", ((time(22, 30), time(6, 30)),)),  # en dash
        ("22H30 \u2014 6H30", ((time(22, 30), time(6, 30)),)),  # em dash
        ("22H30\u22126H30", ((time(22, 30), time(6, 30)),)),  # minus sign
        ("22:30-06:30", ((time(22, 30), time(6, 30)),)),
        ("22H-6H", ((time(22), time(6)),)),
        ("00H00-24H00", ((time(0), time(0)),)),
        ("HC (20H00-24H00;0H00-4H00)", ((time(20), time(0)), (time(0), time(4)))),
        (
            "HC (2H00-7H00, 13H00-16H00;)",
            ((time(2), time(7)), (time(13), time(16))),
        ),
    ],
)
def test_parse_off_peak_hours(
    text: str, expected: tuple[tuple[time, time], ...]
) -> None:
    assert parse_off_peak_hours(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "HC",
        "HC ()",
        "HC (;)",
        "HP (22H30-6H30)",
        "HC (22H30-6H30) HP",
        "22H30",
        "22-6",
        "2230-0630",
        "22H30-06H30-07H00",
        "22H30-6H30;foo",
        "25H00-6H00",
        "22H60-6H00",
        "22H30-24H30",
        "24H00-6H00",
        "22H3-6H30",
        "22H300-6H30",
        "\u0662\u0662H30-6H30",  # Arabic-Indic digits
        "garbage",
    ],
)
def test_parse_off_peak_hours_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_off_peak_hours(text)


@pytest.mark.parametrize(
    ("hour", "minute", "second", "expected"),
    [
        (0, 0, 0, "hc"),
        (6, 29, 59, "hc"),
        (6, 30, 0, "hp"),
        (12, 0, 0, "hp"),
        (22, 29, 59, "hp"),
        (22, 30, 0, "hc"),
        (23, 59, 59, "hc"),
    ],
)
def test_france_hphc_crossing_midnight(
    hour: int, minute: int, second: int, expected: str
) -> None:
    calendar = FranceHPHC(parse_off_peak_hours("HC (22H30-6H30)"))
    for day in (2, 7, 8):  # Monday, Saturday, Sunday: HC every day
        instant = local(PARIS, 2026, 2, day, hour, minute, second)
        assert calendar.period_at(instant) == expected


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [
        (1, 27, "hp"),
        (1, 28, "hc"),
        (6, 57, "hc"),
        (6, 58, "hp"),
        (13, 57, "hp"),
        (13, 58, "hc"),
        (16, 27, "hc"),
        (16, 28, "hp"),
        (23, 0, "hp"),
    ],
)
def test_france_hphc_two_ranges(hour: int, minute: int, expected: str) -> None:
    calendar = FranceHPHC(parse_off_peak_hours("HC (1H28-6H58;13H58-16H28)"))
    assert calendar.period_at(local(PARIS, 2026, 2, 4, hour, minute)) == expected


def test_france_hphc_two_ranges_one_crossing_midnight() -> None:
    calendar = FranceHPHC(parse_off_peak_hours("23H00-05H00;12H30-15H30"))
    expected = {
        (22, 59): "hp",
        (23, 0): "hc",
        (0, 0): "hc",
        (4, 59): "hc",
        (5, 0): "hp",
        (12, 29): "hp",
        (12, 30): "hc",
        (15, 29): "hc",
        (15, 30): "hp",
    }
    for (hour, minute), period in expected.items():
        assert calendar.period_at(local(PARIS, 2026, 2, 4, hour, minute)) == period


def test_france_hphc_whole_day_and_utc_input() -> None:
    whole_day = FranceHPHC(parse_off_peak_hours("00H00-24H00"))
    instants = hourly_utc(utc(2026, 2, 1), utc(2026, 2, 3))
    assert {whole_day.period_at(t) for t in instants} == {"hc"}
    calendar = FranceHPHC([(time(22, 30), time(6, 30))])
    # 21:30Z is 22:30 CET (winter) and 23:30 CEST (summer).
    assert calendar.period_at(utc(2026, 2, 4, 21, 29)) == "hp"
    assert calendar.period_at(utc(2026, 2, 4, 21, 30)) == "hc"
    assert calendar.period_at(utc(2026, 7, 1, 20, 29)) == "hp"
    assert calendar.period_at(utc(2026, 7, 1, 20, 30)) == "hc"
    assert calendar.period_at(utc(2026, 7, 1, 4, 29)) == "hc"  # 06:29 CEST
    assert calendar.period_at(utc(2026, 7, 1, 4, 30)) == "hp"


def test_france_hphc_dst_days() -> None:
    calendar = FranceHPHC([(time(2), time(3)), (time(22), time(23))])
    # 26 Oct 2025: 02:00-03:00 happens twice (CEST then CET); both are HC.
    assert calendar.period_at(utc(2025, 10, 26, 0)) == "hc"  # 02:00 CEST
    assert calendar.period_at(utc(2025, 10, 26, 1)) == "hc"  # 02:00 CET
    assert calendar.period_at(utc(2025, 10, 26, 2)) == "hp"  # 03:00 CET
    assert calendar.period_at(utc(2025, 10, 25, 23, 59)) == "hp"  # 01:59 CEST
    autumn = hourly_utc(utc(2025, 10, 25, 22), utc(2025, 10, 26, 23))
    assert [calendar.period_at(t) for t in autumn].count("hc") == 3
    # 29 Mar 2026: 02:00-03:00 does not exist, the day has one HC hour only.
    assert calendar.period_at(utc(2026, 3, 29, 0, 59)) == "hp"  # 01:59 CET
    assert calendar.period_at(utc(2026, 3, 29, 1)) == "hp"  # 03:00 CEST
    spring = hourly_utc(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))
    assert [calendar.period_at(t) for t in spring].count("hc") == 1


def test_france_hphc_overlapping_ranges() -> None:
    calendar = FranceHPHC([(time(22), time(6)), (time(5), time(7))])
    assert calendar.period_at(local(PARIS, 2026, 2, 4, 6, 30)) == "hc"
    assert calendar.period_at(local(PARIS, 2026, 2, 4, 7)) == "hp"


def test_france_hphc_validation() -> None:
    with pytest.raises(ValueError, match="at least one"):
        FranceHPHC([])
    with pytest.raises(ValueError, match="naive"):
        FranceHPHC([(time(22, tzinfo=UTC), time(6))])
    with pytest.raises(ValueError, match="naive"):
        FranceHPHC([(time(22), time(6, tzinfo=UTC))])


def test_france_base() -> None:
    calendar = FranceBase()
    assert calendar.period_at(utc(2026, 2, 4, 12)) == "base"
    assert calendar.period_at(local(PARIS, 2026, 2, 8, 3)) == "base"


# ---------------------------------------------------------------------------
# Italy F1/F2/F3
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("day", range(2, 7))  # Mon 2 Feb .. Fri 6 Feb 2026
def test_italy_weekday_every_hour(day: int) -> None:
    calendar = ItalyF123()
    for hour, expected in enumerate(IT_WEEKDAY):
        assert calendar.period_at(local(ROME, 2026, 2, day, hour)) == expected
        assert calendar.period_at(local(ROME, 2026, 2, day, hour, 59, 59)) == expected


@pytest.mark.parametrize(
    ("hour", "minute", "weekday", "saturday"),
    [
        (0, 0, "f3", "f3"),
        (6, 59, "f3", "f3"),
        (7, 0, "f2", "f2"),
        (7, 59, "f2", "f2"),
        (8, 0, "f1", "f2"),
        (18, 59, "f1", "f2"),
        (19, 0, "f2", "f2"),
        (22, 59, "f2", "f2"),
        (23, 0, "f3", "f3"),
        (23, 59, "f3", "f3"),
    ],
)
def test_italy_band_edges(hour: int, minute: int, weekday: str, saturday: str) -> None:
    calendar = ItalyF123()
    assert calendar.period_at(local(ROME, 2026, 2, 4, hour, minute)) == weekday
    assert calendar.period_at(local(ROME, 2026, 2, 7, hour, minute)) == saturday


def test_italy_saturday_every_hour() -> None:
    calendar = ItalyF123()
    periods = [calendar.period_at(local(ROME, 2026, 2, 7, h)) for h in range(24)]
    assert periods == IT_SATURDAY


def test_italy_sunday_all_f3() -> None:
    calendar = ItalyF123()
    assert {calendar.period_at(local(ROME, 2026, 2, 8, h)) for h in range(24)} == {"f3"}


@pytest.mark.parametrize(("month", "day"), IT_FIXED)
def test_italy_fixed_holidays_all_f3(month: int, day: int) -> None:
    holiday = weekday_occurrence(month, day)
    calendar = ItalyF123()
    for hour in range(24):
        instant = local(ROME, holiday.year, holiday.month, holiday.day, hour)
        assert calendar.period_at(instant) == "f3"


def test_italy_easter() -> None:
    calendar = ItalyF123()
    assert calendar.period_at(local(ROME, 2026, 4, 6, 10)) == "f3"  # Easter Monday
    assert calendar.period_at(local(ROME, 2026, 4, 6, 20)) == "f3"
    assert calendar.period_at(local(ROME, 2026, 4, 3, 10)) == "f1"  # Good Friday
    assert calendar.period_at(local(ROME, 2026, 4, 7, 10)) == "f1"  # Tuesday after
    assert calendar.period_at(local(ROME, 2025, 4, 21, 10)) == "f3"  # Easter Mon 2025


def test_italy_saint_francis_from_2026() -> None:
    calendar = ItalyF123()
    # 4 Oct 2025 is a Saturday: an ordinary Saturday, F2 in the daytime.
    assert calendar.period_at(local(ROME, 2025, 10, 4, 10)) == "f2"
    # 4 Oct 2026 (a Sunday) and 4 Oct 2027 (a Monday) are holidays.
    assert calendar.period_at(local(ROME, 2026, 10, 4, 10)) == "f3"
    assert calendar.period_at(local(ROME, 2027, 10, 4, 10)) == "f3"
    assert calendar.period_at(local(ROME, 2027, 10, 5, 10)) == "f1"


def test_italy_holiday_on_saturday() -> None:
    calendar = ItalyF123()
    # 15 Aug 2026 is a Saturday: holiday wins, F3 instead of F2.
    assert calendar.period_at(local(ROME, 2026, 8, 15, 10)) == "f3"
    assert calendar.period_at(local(ROME, 2026, 8, 22, 10)) == "f2"


def test_italy_dst_and_utc_input() -> None:
    calendar = ItalyF123()
    spring = hourly_utc(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))
    assert len(spring) == 23
    assert {calendar.period_at(t) for t in spring} == {"f3"}
    autumn = hourly_utc(utc(2025, 10, 25, 22), utc(2025, 10, 26, 23))
    assert len(autumn) == 25
    assert {calendar.period_at(t) for t in autumn} == {"f3"}
    # Monday after spring DST: 05:00Z = 07:00 CEST, 06:00Z = 08:00 CEST.
    assert calendar.period_at(utc(2026, 3, 30, 4, 59)) == "f3"
    assert calendar.period_at(utc(2026, 3, 30, 5)) == "f2"
    assert calendar.period_at(utc(2026, 3, 30, 6)) == "f1"
    # Monday after autumn DST: 07:00Z = 08:00 CET.
    assert calendar.period_at(utc(2025, 10, 27, 6, 59)) == "f2"
    assert calendar.period_at(utc(2025, 10, 27, 7)) == "f1"
    assert calendar.period_at(utc(2025, 10, 27, 18)) == "f2"  # 19:00 CET


def test_period_at_is_fast_enough() -> None:
    """~20,000 hourly readings per supply must stay cheap (no tight bound)."""
    instants = hourly_utc(utc(2024, 1, 1), utc(2026, 4, 1))
    assert len(instants) > 19_000
    for calendar in (Spain20TD(), FranceHPHC([(time(22), time(6))]), ItalyF123()):
        counts: dict[str, int] = {}
        for instant in instants:
            period = calendar.period_at(instant)
            counts[period] = counts.get(period, 0) + 1
        assert set(counts) == set(calendar.periods)
