"""ESIOS parsers: examples from the real shapes, and property tests."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
import io
import json
import math
from typing import Any
import zipfile

from hypothesis import given, strategies as st
import pytest

from custom_components.gridmeter.providers.errors import InvalidResponse
from custom_components.gridmeter.providers.esios.archive import (
    MAX_DAY_FILE_BYTES,
    parse_day_file,
    read_archive,
)
from custom_components.gridmeter.providers.esios.indicators import (
    MAX_MW,
    Series,
    hourly,
    read_pvpc_indicator,
    read_series,
)
from custom_components.gridmeter.providers.esios.prices import (
    MAX_EUR_PER_KWH,
    MIN_EUR_PER_KWH,
    DayCollector,
    DayRejected,
    local_hours,
)
from custom_components.gridmeter.providers.esios.systems import (
    MADRID,
    PVPC_CANARIAS,
    PVPC_CEUTA_MELILLA,
    PVPC_PENINSULA,
    PvpcZone,
)
from simulator.esios import EsiosSimulator, hour_starts

SIM = EsiosSimulator(lambda: datetime(2026, 11, 1, tzinfo=UTC))
SPRING, AUTUMN, PLAIN = date(2026, 3, 29), date(2026, 10, 25), date(2026, 6, 10)
DAYS = (SPRING, AUTUMN, PLAIN)
ZONES = (PVPC_PENINSULA, PVPC_CANARIAS, PVPC_CEUTA_MELILLA)


def day_file(day: date) -> dict[str, Any]:
    return copy.deepcopy(SIM.day_file(day))


def collector(
    zone: PvpcZone = PVPC_PENINSULA, first: date = SPRING, last: date = AUTUMN
) -> DayCollector:
    return DayCollector(zone, first, last)


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def indicator(day: date, geos: set[int]) -> dict[str, Any]:
    return SIM._pvpc_indicator(list(hour_starts(day)), geos)


def assert_sane(result: DayCollector) -> None:
    """Every kept day is complete and every price finite and plausible."""
    for day, prices in result.by_day.items():
        assert [p.start for p in prices] == list(
            local_hours(day, result.zone.time_zone)
        )
        for price in prices:
            assert math.isfinite(price.eur_per_kwh)
            assert MIN_EUR_PER_KWH <= price.eur_per_kwh <= MAX_EUR_PER_KWH


# -- day files ------------------------------------------------------------------


@pytest.mark.parametrize("zone", ZONES, ids=lambda zone: zone.key)
@pytest.mark.parametrize("day", DAYS)
def test_day_file_through_esios_api(zone: PvpcZone, day: date) -> None:
    """esios_api places row i at local midnight + i hours, in €/kWh."""
    parsed_day, prices = parse_day_file(day_file(day), zone)
    assert parsed_day == day
    assert prices == SIM.truth(day, zone.tariff, zone.time_zone)


def test_day_file_labels_on_dst_days() -> None:
    """The real labels: no 02-03 in spring, 24-25 in autumn."""
    spring = [row["Hora"] for row in day_file(SPRING)["PVPC"]]
    autumn = [row["Hora"] for row in day_file(AUTUMN)["PVPC"]]
    assert "02-03" not in spring and len(spring) == 23
    assert autumn[-1] == "24-25" and len(autumn) == 25


@pytest.mark.parametrize(
    "breakage",
    [
        "missing hour",
        "swapped hours",
        "two days",
        "unicode digits",
        "nan",
        "no comma format",
        "bad label",
        "no label",
        "absurd price",
        "bad date",
        "not a row",
    ],
)
def test_broken_day_files_are_rejected(breakage: str) -> None:
    """A day with any doubt is rejected whole (never partly kept)."""
    data = day_file(PLAIN)
    rows = data["PVPC"]
    match breakage:
        case "missing hour":
            del rows[7]
        case "swapped hours":
            rows[3], rows[4] = rows[4], rows[3]
        case "two days":
            rows[0]["Dia"] = "09/06/2026"
        case "unicode digits":
            rows[5]["PCB"] = "١٢٣,٤٥"
        case "nan":
            rows[5]["PCB"] = "nan"
        case "no comma format":
            rows[5]["PCB"] = "123.45"
        case "bad label":
            rows[5]["Hora"] = "05-07"
        case "no label":
            del rows[5]["Hora"]
        case "absurd price":
            rows[5]["PCB"] = "999999,00"
        case "bad date":
            for row in rows:
                row["Dia"] = "31/02/2026"
        case "not a row":
            rows[2] = "05-06"
    result = collector(first=PLAIN, last=PLAIN)
    read_archive(json.dumps(data).encode(), result, max_files=2)
    assert result.by_day == {}
    assert result.rejected == 1
    assert result.result().missing == (PLAIN,)


def test_unpublished_day_is_missing_not_rejected() -> None:
    """``{"PVPC": []}`` is a day not published yet."""
    result = collector(first=PLAIN, last=PLAIN)
    read_archive(b'{"PVPC": []}', result, max_files=2)
    assert result.rejected == 0
    assert result.result().missing == (PLAIN,)


@pytest.mark.parametrize(
    "body", [b"", b"[]", b'{"foo": 1}', b"<html>", b"\xff\xfe", b"[" * 100_000]
)
def test_a_lone_body_that_is_no_day_file(body: bytes) -> None:
    """Not a day file at all (or nested to death): InvalidResponse."""
    with pytest.raises(InvalidResponse):
        read_archive(body, collector(), max_files=2)


def test_zip_range_keeps_good_days_and_counts_bad_files() -> None:
    """Inside a ZIP a bad file only costs its own day; other days are kept."""
    broken = day_file(AUTUMN)
    del broken["PVPC"][3]
    files = {
        "PVPC_CURV_DD_20260329": json.dumps(day_file(SPRING)).encode(),
        "PVPC_CURV_DD_20261025": json.dumps(broken).encode(),
        "PVPC_CURV_DD_20260610": json.dumps(day_file(PLAIN)).encode(),
        "noise": b"not json",
        "huge": b" " * (MAX_DAY_FILE_BYTES + 10),
        "empty": b'{"PVPC": []}',
        "outside": json.dumps(day_file(date(2026, 1, 5))).encode(),
    }
    result = collector()
    read_archive(zipped(files), result, max_files=10)
    assert sorted(result.by_day) == [SPRING, PLAIN]
    assert result.rejected == 3
    assert_sane(result)


def test_zip_with_too_many_files_or_broken() -> None:
    """More files than days asked for, or a broken archive: InvalidResponse."""
    many = zipped({f"f{n}": b"{}" for n in range(5)})
    with pytest.raises(InvalidResponse):
        read_archive(many, collector(), max_files=4)
    with pytest.raises(InvalidResponse):
        read_archive(b"PK\x03\x04" + b"\x00" * 50, collector(), max_files=4)


def test_unreadable_zip_member() -> None:
    """A member in an unknown compression method: InvalidResponse."""
    body = bytearray(zipped({"PVPC_CURV_DD": b"{}"}))
    plain = zipfile.ZipFile(io.BytesIO(bytes(body)))
    assert plain.infolist()[0].compress_type == zipfile.ZIP_DEFLATED
    # Compression method 99 in the local header (offset 8) and central directory.
    body[8:10] = (99).to_bytes(2, "little")
    central = body.rindex(b"PK\x01\x02")
    body[central + 10 : central + 12] = (99).to_bytes(2, "little")
    with pytest.raises(InvalidResponse, match="unreadable"):
        read_archive(bytes(body), collector(), max_files=2)


def test_esios_api_failures_reject_the_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever esios_api's parser raises rejects the day (or the answer)."""
    from custom_components.gridmeter.providers.esios import archive, indicators

    def broken(*args: object) -> None:
        raise KeyError("PVPC")

    monkeypatch.setattr(archive, "extract_prices_from_esios_public", broken)
    monkeypatch.setattr(indicators, "extract_prices_from_esios_token", broken)
    with pytest.raises(DayRejected, match="esios_api"):
        parse_day_file(day_file(PLAIN), PVPC_PENINSULA)
    with pytest.raises(InvalidResponse, match="esios_api"):
        read_pvpc_indicator(indicator(PLAIN, {8741}), collector())


# -- indicator 1001 ---------------------------------------------------------------


@pytest.mark.parametrize("zone", ZONES, ids=lambda zone: zone.key)
def test_indicator_autumn_day_keys_on_datetime(zone: PvpcZone) -> None:
    """datetime_utc repeats an hour on the 25-hour day; 25 prices all the same."""
    data = indicator(AUTUMN, {8741, 8742, 8743, 8744, 8745})
    utc = [
        row["datetime_utc"]
        for row in data["indicator"]["values"]
        if row["geo_id"] == 8741
    ]
    assert len(utc) == 25 and len(set(utc)) == 24
    result = collector(zone, AUTUMN, AUTUMN)
    read_pvpc_indicator(data, result)
    prices = {p.start: p.eur_per_kwh for p in result.by_day[AUTUMN]}
    assert prices == SIM.truth(AUTUMN, zone.tariff, zone.time_zone)
    assert result.rejected == 0


def test_indicator_bad_rows_are_dropped() -> None:
    """A bad row is dropped and counted, which makes its day incomplete."""
    data = indicator(PLAIN, {8741})
    values = data["indicator"]["values"]
    values[3]["value"] = "12.5"
    values.append({"geo_id": 99, "value": 1})
    values.append("junk")
    result = collector(first=PLAIN, last=PLAIN)
    read_pvpc_indicator(data, result)
    assert result.by_day == {}
    assert result.rejected == 4  # the bad value, geo 99, the junk row, the day


@pytest.mark.parametrize(
    "data", [None, [], {}, {"indicator": []}, {"indicator": {"values": {}}}]
)
def test_indicator_without_values_is_invalid(data: Any) -> None:
    """No ``indicator.values`` list: InvalidResponse."""
    with pytest.raises(InvalidResponse):
        read_pvpc_indicator(data, collector())
    with pytest.raises(InvalidResponse):
        read_series(data, 8741)


# -- MW series --------------------------------------------------------------------


def series_answer(step_minutes: int, magnitude: str, count: int) -> dict[str, Any]:
    start = datetime(2026, 6, 10, tzinfo=MADRID)
    values = [
        {
            "value": 100.0 + n,
            "datetime": (start + timedelta(minutes=step_minutes * n)).isoformat(),
            "geo_id": 8741,
        }
        for n in range(count)
    ]
    return {"indicator": {"magnitud": [{"name": magnitude, "id": 1}], "values": values}}


def test_hourly_values_are_kept() -> None:
    """Hourly values are the hours' MW whatever the magnitude."""
    for magnitude in ("Potencia", "Energía"):
        hours = hourly(read_series(series_answer(60, magnitude, 3), 8741))
        assert list(hours.values()) == [100.0, 101.0, 102.0]


def test_quarter_hours_energy_is_summed_power_averaged() -> None:
    """MWh per quarter add up to the hour's MW; MW per quarter average."""
    energy = hourly(read_series(series_answer(15, "Energía", 10), 8741))
    power = hourly(read_series(series_answer(15, "Potencia", 10), 8741))
    assert list(energy.values()) == [406.0, 422.0]  # the third hour is incomplete
    assert list(power.values()) == [101.5, 105.5]


@pytest.mark.parametrize(
    "stamp",
    ["2026-06-10T02:00:00", "yesterday", "1999-06-10T02:00:00+02:00", "x" * 50, 7],
)
def test_series_bad_times(stamp: object) -> None:
    """Naive, unreadable, out-of-range or non-text times are dropped."""
    data = series_answer(60, "Potencia", 1)
    data["indicator"]["values"][0]["datetime"] = stamp
    assert read_series(data, 8741).rejected == 1


def test_odd_steps_count_as_hourly() -> None:
    """A step that does not divide an hour (35 min) is read as hourly values."""
    hours = hourly(read_series(series_answer(35, "Potencia", 2), 8741))
    assert hours == {}  # two values in one hour: not an hourly series


def test_series_rows_checked() -> None:
    """Negative, huge, off-grid, duplicated or other-geo values are dropped."""
    data = series_answer(60, "Potencia", 6)
    values = data["indicator"]["values"]
    values[0]["value"] = -1
    values[1]["value"] = MAX_MW * 2
    values[2]["datetime"] = "2026-06-10T02:07:00+02:00"
    values[3]["datetime"] = values[4]["datetime"]
    values[5]["geo_id"] = 8742
    read = read_series(data, 8741)
    assert read.rejected == 4
    assert len(read.points) == 1


# -- properties -------------------------------------------------------------------

LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.sampled_from(
        [
            "12,34",
            "-0,01",
            "١٢,٣",
            "nan",
            "1e400",
            "",
            " 3,4",
            "24-25",
            "02-03",
            "31/12/9999",
            "2026-10-25T02:00:00.000+01:00",
            "9999-12-31T23:00:00+00:00",
        ]
    ),
)
ANY_JSON = st.recursive(
    LEAVES,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """A real answer with a few mutations anywhere in it."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, 4))):
        path: list[Any] = []
        node = data
        while isinstance(node, dict | list) and node and draw(st.booleans()):
            key = draw(
                st.sampled_from(
                    sorted(node) if isinstance(node, dict) else range(len(node))
                )
            )
            path.append((node, key))
            node = node[key]
        if not path:
            if draw(st.integers(0, 9)) == 0:
                data = draw(ANY_JSON)
            continue
        parent, key = path[-1]
        action = draw(st.sampled_from(["set", "delete", "duplicate", "shuffle"]))
        if action == "set":
            parent[key] = draw(ANY_JSON)
        elif action == "delete":
            del parent[key]
        elif action == "duplicate" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif action == "shuffle" and isinstance(parent, list):
            parent.reverse()
    return data


DAY_FILES = st.sampled_from(DAYS).flatmap(lambda day: mutated(day_file(day)))
INDICATORS = st.sampled_from(DAYS).flatmap(
    lambda day: mutated(indicator(day, {8741, 8744}))
)


@given(DAY_FILES, st.sampled_from(ZONES), st.booleans())
def test_day_file_property(data: Any, zone: PvpcZone, as_zip: bool) -> None:
    """Any mutation: only InvalidResponse escapes, kept days are sane."""
    raw = json.dumps(data).encode()
    body = zipped({"PVPC_CURV_DD": raw}) if as_zip else raw
    result = collector(zone)
    try:
        read_archive(body, result, max_files=2)
    except InvalidResponse:
        assert not as_zip
        return
    assert_sane(result)
    try:
        day, prices = parse_day_file(data, zone)
    except DayRejected:
        return
    assert all(math.isfinite(value) for value in prices.values())
    assert isinstance(day, date)


@given(st.binary(max_size=200), st.booleans())
def test_archive_bytes_property(raw: bytes, as_zip: bool) -> None:
    """Random bytes, raw or zipped: InvalidResponse or nothing kept."""
    body = zipped({"x": raw}) if as_zip else raw
    result = collector()
    try:
        read_archive(body, result, max_files=2)
    except InvalidResponse:
        return
    assert result.by_day == {}


@given(INDICATORS, st.sampled_from(ZONES))
def test_indicator_property(data: Any, zone: PvpcZone) -> None:
    """Any mutation of a 1001 answer: only InvalidResponse, sane days."""
    result = collector(zone)
    try:
        read_pvpc_indicator(data, result)
    except InvalidResponse:
        return
    assert_sane(result)


@given(
    st.sampled_from([5, 15, 60]).flatmap(
        lambda step: mutated(series_answer(step, "Energía", 30))
    )
)
def test_series_property(data: Any) -> None:
    """Any mutation of a MW series: finite, non-negative, bounded hours."""
    try:
        read = read_series(data, 8741)
    except InvalidResponse:
        return
    assert isinstance(read, Series)
    for instant, value in hourly(read).items():
        assert instant.tzinfo is UTC and instant.minute == 0
        assert math.isfinite(value) and 0.0 <= value <= MAX_MW * 12
