"""Datadis answers into models: the quirks in the reference notes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from custom_components.gridmeter.providers.datadis.parsing import (
    DatadisSupply,
    community_for,
    distributor_errors,
    expect_list,
    parse_area_averages,
    parse_consumption,
    parse_contract,
    parse_max_power,
    parse_supplies,
    timezone_for,
)
from custom_components.gridmeter.providers.errors import InvalidResponse
from custom_components.gridmeter.providers.models import EnergyKind

SUPPLY = DatadisSupply(
    provider="datadis",
    meter_id="ES0031607515707001RC",
    cups="ES0031607515707001RC0F",
    timezone="Europe/Madrid",
    distributor_code="2",
    point_type=5,
)
CANARY = DatadisSupply(
    provider="datadis",
    meter_id="ES0031607515707001RC",
    cups="ES0031607515707001RC0F",
    timezone="Atlantic/Canary",
    distributor_code="2",
)


def day_rows(
    day: str, labels: list[str], start: float = 0.1
) -> list[dict[str, object]]:
    """Rows with distinct values so each one can be traced."""
    return [
        {
            "cups": SUPPLY.cups,
            "date": day,
            "time": label,
            "consumptionKWh": round(start + i / 1000, 3),
            "obtainMethod": "Real",
            "surplusEnergyKWh": 0,
            "generationEnergyKWh": None,
            "selfConsumptionEnergyKWh": None,
        }
        for i, label in enumerate(labels)
    ]


def consumption(batch_readings: tuple) -> list[tuple[datetime, float]]:  # type: ignore[type-arg]
    return [
        (r.start, r.kwh) for r in batch_readings if r.kind is EnergyKind.CONSUMPTION
    ]


NORMAL = [f"{h:02d}:00" for h in range(1, 25)]


def test_normal_day_end_labels() -> None:
    """`01:00` is 00-01 local; `24:00` is 23-24 local (not the same day's 00:00)."""
    batch = parse_consumption(day_rows("2026/01/15", NORMAL), SUPPLY)
    hours = consumption(batch.readings)
    assert len(hours) == 24
    assert hours[0][0] == datetime(2026, 1, 14, 23, tzinfo=UTC)
    assert hours[-1][0] == datetime(2026, 1, 15, 22, tzinfo=UTC)
    assert batch.skipped == 0
    assert batch.kinds == {EnergyKind.CONSUMPTION, EnergyKind.RETURN}


def test_autumn_day_has_25_hours_with_03_00_twice() -> None:
    """Both `03:00` rows are kept, in order, one hour apart in UTC."""
    labels = ["01:00", "02:00", "03:00", "03:00", *NORMAL[3:]]
    assert len(labels) == 25
    batch = parse_consumption(day_rows("2025/10/26", labels), SUPPLY)
    hours = consumption(batch.readings)
    assert len(hours) == 25
    starts = [start for start, _ in hours]
    assert starts == [
        datetime(2025, 10, 25, 22, tzinfo=UTC) + timedelta(hours=i) for i in range(25)
    ]
    # The first 03:00 ends at 03:00 CEST (01:00 UTC), the second at 03:00 CET.
    assert hours[2] == (datetime(2025, 10, 26, 0, tzinfo=UTC), 0.102)
    assert hours[3] == (datetime(2025, 10, 26, 1, tzinfo=UTC), 0.103)
    assert sum(kwh for _, kwh in hours) == pytest.approx(
        sum(0.1 + i / 1000 for i in range(25))
    )


def test_spring_day_has_23_hours_without_03_00() -> None:
    """No `03:00` on the spring day; `04:00` follows `02:00` one UTC hour later."""
    labels = ["01:00", "02:00", *NORMAL[3:]]
    batch = parse_consumption(day_rows("2026/03/29", labels), SUPPLY)
    starts = [start for start, _ in consumption(batch.readings)]
    assert len(starts) == 23
    assert starts == [
        datetime(2026, 3, 28, 23, tzinfo=UTC) + timedelta(hours=i) for i in range(23)
    ]


def test_canary_autumn_repeats_02_00() -> None:
    """In the Canaries the clock goes back at 02:00 local: `02:00` twice."""
    labels = ["01:00", "02:00", "02:00", *NORMAL[2:]]
    batch = parse_consumption(day_rows("2025/10/26", labels), CANARY)
    starts = [start for start, _ in consumption(batch.readings)]
    assert len(starts) == 25
    assert starts[0] == datetime(2025, 10, 25, 23, tzinfo=UTC)
    assert starts == sorted(set(starts))


def test_stray_00_00_row_is_dropped_not_fatal() -> None:
    """The i-DE glitch: a full day plus `00:00` keeps its 24 hours."""
    rows = day_rows("2026/01/15", NORMAL)
    rows.append({**rows[0], "time": "00:00", "consumptionKWh": 0.999})
    batch = parse_consumption(rows, SUPPLY)
    hours = consumption(batch.readings)
    assert len(hours) == 24
    assert 0.999 not in [kwh for _, kwh in hours]
    assert batch.skipped == 1


def test_day_labelled_by_start_hour() -> None:
    """A day labelled 00:00..23:00 (no 24:00) is read as start labels."""
    labels = [f"{h:02d}:00" for h in range(24)]
    starts = [
        s
        for s, _ in consumption(
            parse_consumption(day_rows("2026/01/15", labels), SUPPLY).readings
        )
    ]
    assert starts[0] == datetime(2026, 1, 14, 23, tzinfo=UTC)
    assert len(starts) == 24


def test_nulls_missing_and_garbage_rows_are_counted_and_skipped() -> None:
    """The reference's edge cases: null, absent value, empty method, bad label."""
    rows = [
        {
            "date": "2026/01/01",
            "time": "01:00",
            "consumptionKWh": 0.323,
            "obtainMethod": "Real",
        },
        {
            "date": "2026/01/01",
            "time": "24:00",
            "consumptionKWh": 1.5,
            "obtainMethod": "Estimada",
        },
        {
            "date": "2026/01/02",
            "time": "01:00",
            "consumptionKWh": None,
            "obtainMethod": "",
        },
        {"date": "2026/01/02", "time": "02:00", "obtainMethod": "Real"},
        {"date": "2026/01/02", "time": "3pm", "consumptionKWh": 1},
        {"date": "not a date", "time": "04:00", "consumptionKWh": 1},
        {"date": "2026/01/02", "time": "05:00", "consumptionKWh": "0,5"},
        "garbage",
        {"date": "2026/01/03", "time": "01:00", "consumptionKWh": 1},
        {"date": "2026/01/03", "time": "01:00", "consumptionKWh": 2},
    ]
    batch = parse_consumption(rows, SUPPLY)
    values = {r.start: (r.kwh, r.estimated) for r in batch.readings}
    assert values[datetime(2025, 12, 31, 23, tzinfo=UTC)] == (0.323, False)
    assert values[datetime(2026, 1, 1, 22, tzinfo=UTC)] == (1.5, True)
    assert values[datetime(2026, 1, 2, 3, tzinfo=UTC)] == (0.5, False)
    # two nulls, one bad label, one bad date, one non-dict, one extra duplicate
    assert batch.skipped == 6
    assert len(batch.readings) == 4


def test_solar_columns_become_their_own_registers() -> None:
    """Surplus, generation and self-consumption are separate readings."""
    row = {
        "date": "2026/06/01",
        "time": "13:00",
        "consumptionKWh": 0.05,
        "obtainMethod": "Real",
        "surplusEnergyKWh": 1.2,
        "generationEnergyKWh": 2.0,
        "selfConsumptionEnergyKWh": 0.8,
    }
    batch = parse_consumption([row], SUPPLY)
    assert {r.kind: r.kwh for r in batch.readings} == {
        EnergyKind.CONSUMPTION: 0.05,
        EnergyKind.RETURN: 1.2,
        EnergyKind.GENERATION: 2.0,
        EnergyKind.SELF_CONSUMPTION: 0.8,
    }


def test_supplies_prefer_the_open_row_and_keep_the_22_char_cups() -> None:
    """Two rows of one CUPS: the open one wins; identity is the first 20 chars."""
    rows = [
        {
            "cups": "ES0031607515707001RC0F",
            "distributorCode": "2",
            "validDateFrom": "2020/01/01",
            "validDateTo": "2023/12/31",
            "address": "OLD",
            "pointType": 5,
            "provinceCode": "28",
            "postalCode": "28001",
        },
        {
            "cups": "es0031607515707001rc0f",
            "distributorCode": "2",
            "validDateFrom": "2024/01/01",
            "validDateTo": "",
            "address": "CALLE 1",
            "pointType": 5,
            "provinceCode": "35",
            "postalCode": "35001",
            "municipality": "LAS PALMAS",
            "distributor": "EDISTRIBUCIÓN",
        },
        {"cups": "", "distributorCode": "2"},
        {"cups": "ES0031607515707002XX", "address": "-"},
        None,
    ]
    supplies = parse_supplies(rows)
    assert len(supplies) == 1
    supply = supplies[0]
    assert supply.meter_id == "ES0031607515707001RC"
    assert supply.cups == "ES0031607515707001RC0F"
    assert supply.address == "CALLE 1"
    assert supply.timezone == "Atlantic/Canary"
    assert supply.valid_to is None
    assert supply.valid_from == date(2024, 1, 1)
    assert supply.region_code == "35"


def test_contract_in_force_and_invisible_cups() -> None:
    """The open contract wins; an all-blank row means no contract."""
    blank = {"cups": "", "contractedPowerkW": [], "startDate": "", "marketer": None}
    rows = [
        {
            "cups": SUPPLY.cups,
            "contractedPowerkW": [3.45, 3.45],
            "startDate": "2022/01/01",
            "endDate": "2024/01/31",
            "codeFare": "2T",
        },
        {
            "cups": SUPPLY.cups,
            "contractedPowerkW": ["4.6", 4.6],
            "startDate": "2024/02/01",
            "endDate": "",
            "codeFare": "2T",
            "accessFare": "2.0TD PEAJE",
            "marketer": "-",
            "modePowerControl": "ICP",
            "selfConsumptionTypeCode": "41",
            "installedCapacityKW": 3.6,
        },
    ]
    contract = parse_contract(rows, SUPPLY.meter_id)
    assert contract is not None
    assert contract.contracted_power_kw == (4.6, 4.6)
    assert contract.marketer is None
    assert contract.self_consumption
    assert contract.installed_generation_kw == 3.6
    assert contract.tariff_name == "2.0TD PEAJE"
    assert parse_contract([blank], SUPPLY.meter_id) is None


def test_max_power_is_kw_at_local_instants() -> None:
    """The verified capture: quarter-hour instants, kW, period labels."""
    rows = [
        {"date": "2026/07/16", "time": "11:15", "maxPower": 3.516, "period": "1"},
        {"date": "2026/07/10", "time": "00:00", "maxPower": 2.5, "period": "2"},
        {"date": "2026/07/26", "time": "14:30", "maxPower": "2.976", "period": "VALLE"},
        {"date": "2026/07/27", "time": "bad", "maxPower": 1},
        {"date": "2026/07/27", "time": "25:00", "maxPower": 1},
        {"date": "2026/07/28", "time": "10:00", "maxPower": 1, "period": "P9"},
    ]
    batch = parse_max_power(rows, SUPPLY)
    peaks = batch.peaks
    assert batch.skipped == 2  # bad time, 25:00
    assert [(p.at, p.kw, p.period) for p in peaks] == [
        (datetime(2026, 7, 9, 22, tzinfo=UTC), 2.5, "p2"),
        (datetime(2026, 7, 16, 9, 15, tzinfo=UTC), 3.516, "p1"),
        (datetime(2026, 7, 26, 12, 30, tzinfo=UTC), 2.976, "p3"),
        (datetime(2026, 7, 28, 8, tzinfo=UTC), 1.0, None),
    ]


def test_envelopes_and_distributor_errors() -> None:
    """v2 envelopes, v1 lists, errors inside a 200, garbage."""
    assert expect_list({"timeCurve": [1]}, "timeCurve") == [1]
    assert expect_list([2], "timeCurve") == [2]
    with pytest.raises(InvalidResponse):
        expect_list({"other": []}, "timeCurve")
    body = {
        "timeCurve": [],
        "distributorError": [
            {
                "distributorCode": "2",
                "distributorName": "EDISTRIBUCIÓN",
                "errorCode": "50",
                "errorDescription": "Error interno distribuidora",
            }
        ],
    }
    assert distributor_errors(body) == ["EDISTRIBUCIÓN 50 Error interno distribuidora"]
    assert distributor_errors([]) == []
    assert distributor_errors({"distributorError": "x"}) == []


def test_area_averages_and_regions() -> None:
    """Public API rows (numbers as strings) become per-home daily averages."""
    rows = [
        {
            "dataDay": 16,
            "dataMonth": 4,
            "dataYear": 2022,
            "sumEnergy": "30300495",
            "sumContracts": "5062835",
        },
        {
            "dataDay": 15,
            "dataMonth": 4,
            "dataYear": 2022,
            "sumEnergy": "10",
            "sumContracts": "0",
        },
        {"dataDay": "x"},
    ]
    averages = parse_area_averages(rows, "41001")
    assert len(averages) == 1
    assert averages[0].average_kwh == pytest.approx(5.985)
    assert averages[0].homes == 5062835
    assert community_for("41") == "01"
    assert community_for("7") == "04"
    assert community_for("99") is None
    assert community_for(None) is None
    assert timezone_for(None, "38001") == "Atlantic/Canary"
    assert timezone_for("28", None) == "Europe/Madrid"
    assert time(0) == time(0)
