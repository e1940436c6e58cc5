"""Tests for the green-window rule (pure Python, no Home Assistant)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
import math
import random
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st
import pytest

from custom_components.gridmeter.green_rule import (
    DEFAULT_MIN_HOURS,
    DEFAULT_THRESHOLD,
    GreenOptions,
    GridShares,
    HourShare,
    green_windows,
    horizon,
    hourly_shares,
)
from custom_components.gridmeter.providers.models import GreenWindow
from custom_components.gridmeter.providers.signals import (
    GridMix,
    GridStress,
    SignalBasis,
)

HOUR = timedelta(hours=1)
QUARTER = timedelta(minutes=15)
MADRID = ZoneInfo("Europe/Madrid")
PARIS = ZoneInfo("Europe/Paris")
CANARY = ZoneInfo("Atlantic/Canary")
NOW = datetime(2025, 6, 10, 9, 20, tzinfo=UTC)
MEASURED, FORECAST, ESTIMATE = (
    SignalBasis.MEASURED,
    SignalBasis.FORECAST,
    SignalBasis.ESTIMATE,
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def mix(
    start: datetime,
    share: float,
    basis: SignalBasis = MEASURED,
    duration: timedelta = HOUR,
    total: float = 30000.0,
    carbon: float | None = None,
) -> GridMix:
    return GridMix(
        start=start,
        duration=duration,
        renewable_mw=share * total,
        total_mw=total,
        basis=basis,
        carbon_g_per_kwh=carbon,
    )


def ahead(shares: Sequence[float], first: datetime = NOW) -> dict[datetime, float]:
    """Forecast shares for the horizon's hours from its first."""
    start = horizon(first)[0]
    return {start + i * HOUR: share for i, share in enumerate(shares)}


def spans(
    windows: Sequence[GreenWindow], first: datetime = NOW
) -> list[tuple[int, int]]:
    """Windows as (first hour, end hour) offsets into the horizon."""
    start = horizon(first)[0]
    return [((w.start - start) // HOUR, (w.end - start) // HOUR) for w in windows]


# ---------------------------------------------------------------------------
# Hourly shares from mix rows
# ---------------------------------------------------------------------------


def test_quarter_hours_are_averaged_by_energy_into_complete_hours() -> None:
    hour = utc(2025, 6, 10, 8)
    rows = [
        GridMix(
            start=hour + i * QUARTER,
            duration=QUARTER,
            renewable_mw=renewable,
            total_mw=total,
            basis=MEASURED,
        )
        for i, (renewable, total) in enumerate(
            [(10.0, 40.0), (20.0, 40.0), (30.0, 60.0), (40.0, 60.0)]
        )
    ]
    assert hourly_shares(rows, MEASURED) == {hour: 100 / 200}
    # Three quarters only: the hour is not complete, so it has no share.
    assert hourly_shares(rows[:3], MEASURED) == {}
    assert hourly_shares(rows, FORECAST) == {}


def test_repeated_overlapping_and_straddling_rows() -> None:
    hour = utc(2025, 6, 10, 8)
    rows = [
        mix(hour, 0.2, duration=timedelta(minutes=30)),
        mix(hour, 0.4, duration=timedelta(minutes=30)),  # same start: replaces
        mix(hour + timedelta(minutes=10), 0.9, duration=timedelta(minutes=10)),
        mix(hour + timedelta(minutes=30), 0.6, duration=timedelta(minutes=30)),
        mix(hour + timedelta(minutes=90), 0.9),  # crosses 09:00 → 10:00
        mix(hour + 3 * HOUR, 0.5, total=0.0),  # no generation, no share
        mix(hour + 4 * HOUR, 1.0, total=1.0),
    ]
    assert hourly_shares(rows, MEASURED) == {hour: 0.5, hour + 4 * HOUR: 1.0}


def test_from_mix_separates_bases_and_keeps_measured_carbon() -> None:
    hour = utc(2025, 6, 10, 8)
    shares = GridShares.from_mix(
        [
            mix(hour, 0.3, carbon=40.0),
            mix(hour, 0.8, FORECAST),
            mix(hour + HOUR, 0.7, FORECAST, carbon=10.0),
            mix(hour + 2 * HOUR, 0.1, ESTIMATE),
        ],
        "Europe/Paris",
    )
    assert shares.measured == {hour: 0.3}
    assert shares.forecast == {hour: 0.8, hour + HOUR: 0.7}
    assert shares.carbon == ((hour, hour + HOUR, 40.0),)
    assert shares.share_at(hour + timedelta(minutes=59)) == HourShare(
        hour, 0.3, MEASURED
    )
    assert shares.share_at(hour + HOUR) == HourShare(hour + HOUR, 0.7, FORECAST)
    assert shares.share_at(hour + 2 * HOUR) is None


def test_carbon_now() -> None:
    start = utc(2025, 6, 10, 8)
    rows = [
        mix(start + i * QUARTER, 0.3, duration=QUARTER, carbon=20.0 + i)
        for i in range(3)
    ]
    shares = GridShares.from_mix(rows, "Europe/Paris")
    assert shares.carbon_now(start - timedelta(seconds=1)) is None
    assert shares.carbon_now(start) == 20.0
    assert shares.carbon_now(start + timedelta(minutes=40)) == 22.0
    end = start + 3 * QUARTER
    assert shares.carbon_now(end + timedelta(hours=3)) == 22.0
    assert shares.carbon_now(end + timedelta(hours=3, seconds=1)) is None


# ---------------------------------------------------------------------------
# The window rule
# ---------------------------------------------------------------------------


def forecast_shares(values: Sequence[float]) -> GridShares:
    return GridShares("Europe/Madrid", forecast=ahead(values))


def test_horizon_is_the_hour_in_progress_and_23_more() -> None:
    hours = horizon(NOW)
    assert hours[0] == utc(2025, 6, 10, 9)
    assert hours[-1] == utc(2025, 6, 11, 8)
    assert len(hours) == 24
    assert horizon(utc(2025, 6, 10, 9)) == hours


def test_threshold_runs() -> None:
    values = [0.4, 0.6, 0.7, 0.5, 0.2, 0.55, 0.3] + [0.1] * 16 + [0.9]
    windows = green_windows(forecast_shares(values), NOW)
    assert spans(windows) == [(1, 4), (5, 6), (23, 24)]
    assert windows[0].renewable_share == pytest.approx(0.6)
    assert windows[0].basis == "forecast"
    assert windows[0].start == utc(2025, 6, 10, 10)
    assert windows[-1].end == utc(2025, 6, 11, 9)
    two = green_windows(forecast_shares(values), NOW, GreenOptions(min_hours=2))
    assert spans(two) == [(1, 4)]
    high = green_windows(forecast_shares(values), NOW, GreenOptions(threshold=0.65))
    assert spans(high) == [(2, 3), (23, 24)]


def test_fallback_is_the_greenest_run_earliest_on_ties() -> None:
    values = [0.3, 0.2, 0.4, 0.45, 0.1, 0.45, 0.4] + [0.0] * 17
    shares = forecast_shares(values)
    assert spans(green_windows(shares, NOW)) == [(3, 4)]
    two = green_windows(shares, NOW, GreenOptions(min_hours=2))
    assert spans(two) == [(2, 4)]  # 0.4 + 0.45 ties with 0.45 + 0.4: earliest
    assert two[0].renewable_share == pytest.approx(0.425)


def test_fallback_also_when_runs_are_too_short() -> None:
    values = [0.6, 0.1, 0.6, 0.1, 0.45, 0.45, 0.45] + [0.0] * 17
    windows = green_windows(forecast_shares(values), NOW, GreenOptions(min_hours=3))
    assert spans(windows) == [(4, 7)]


def test_vetoed_hours_are_never_green() -> None:
    values = [0.9] * 24
    stress = [
        GridStress(
            start=utc(2025, 6, 10, 11, 30), end=utc(2025, 6, 10, 12), reason="ecowatt_3"
        ),
        GridStress(
            start=utc(2025, 6, 10, 20), end=utc(2025, 6, 11, 20), reason="tempo_red"
        ),
    ]
    windows = green_windows(forecast_shares(values), NOW, stress=stress)
    assert spans(windows) == [(0, 2), (3, 11)]
    # The fallback skips vetoed hours too: the greenest run left is later.
    low = [0.4, 0.45, 0.45, 0.2] + [0.1] * 20
    fallback = green_windows(
        forecast_shares(low),
        NOW,
        GreenOptions(min_hours=2),
        stress=[
            GridStress(start=utc(2025, 6, 10, 11), end=utc(2025, 6, 10, 12), reason="x")
        ],
    )
    assert spans(fallback) == [(0, 2)]
    everything = [GridStress(start=NOW - HOUR, end=NOW + 25 * HOUR, reason="tempo_red")]
    assert green_windows(forecast_shares(values), NOW, stress=everything) == ()


def test_no_share_no_window() -> None:
    assert green_windows(GridShares("Europe/Madrid"), NOW) == ()
    gaps = dict.fromkeys(horizon(NOW)[::2], 0.3)
    shares = GridShares("Europe/Madrid", forecast=gaps)
    assert spans(green_windows(shares, NOW)) == [(0, 1)]
    assert green_windows(shares, NOW, GreenOptions(min_hours=2)) == ()


def test_options() -> None:
    assert GreenOptions() == GreenOptions(threshold=0.5, min_hours=1)
    assert (DEFAULT_THRESHOLD, DEFAULT_MIN_HOURS) == (0.5, 1)
    GreenOptions(threshold=0.0, min_hours=24)
    GreenOptions(threshold=1.0)
    for bad in (
        {"threshold": -0.01},
        {"threshold": 1.01},
        {"threshold": math.nan},
        {"min_hours": 0},
        {"min_hours": 25},
        {"min_hours": True},
    ):
        with pytest.raises(ValueError):
            GreenOptions(**bad)
    with pytest.raises(ValueError, match="unknown timezone"):
        GridShares("Nowhere/Atlantis")


# ---------------------------------------------------------------------------
# Estimates from the last 7 days
# ---------------------------------------------------------------------------


def local_hours(tz: ZoneInfo, first: date, days: int) -> list[datetime]:
    start = datetime.combine(first, time(0), tz).astimezone(UTC)
    end = datetime.combine(first + timedelta(days=days), time(0), tz).astimezone(UTC)
    return [start + i * HOUR for i in range((end - start) // HOUR)]


def daily_pattern(hour: datetime, tz: ZoneInfo) -> float:
    """A solar-like share by local clock hour, plus a little by day."""
    local = hour.astimezone(tz)
    return round(0.2 + 0.05 * max(0, 6 - abs(local.hour - 13)) + local.day / 1000, 6)


def test_estimate_is_the_mean_of_the_same_local_hour_over_7_days() -> None:
    history = local_hours(MADRID, date(2025, 6, 2), 8)  # 2 → 9 June
    measured = {h: daily_pattern(h, MADRID) for h in history}
    shares = GridShares("Europe/Madrid", measured=measured)
    now = datetime(2025, 6, 10, 0, 5, tzinfo=MADRID)
    hours = horizon(now)
    for hour in hours:
        share = shares.share_at(hour)
        assert share is not None
        assert share.basis is ESTIMATE
        local = hour.astimezone(MADRID)
        days = [local.date() - timedelta(days=n) for n in range(1, 8)]
        expected = [
            daily_pattern(datetime.combine(d, time(local.hour), MADRID), MADRID)
            for d in days
        ]
        assert share.share == pytest.approx(sum(expected) / 7)
    windows = green_windows(shares, now)
    assert windows
    assert {w.basis for w in windows} == {"estimate"}


def test_forecast_hours_win_and_the_rest_is_estimated() -> None:
    history = local_hours(MADRID, date(2025, 6, 2), 8)
    measured = dict.fromkeys(history, 0.6)
    now = datetime(2025, 6, 10, 0, 5, tzinfo=MADRID)
    hours = horizon(now)
    forecast = dict.fromkeys(hours[:6], 0.8)
    shares = GridShares("Europe/Madrid", measured=measured, forecast=forecast)
    assert [shares.share_at(h).basis for h in hours[5:7]] == [FORECAST, ESTIMATE]
    (window,) = green_windows(shares, now)
    assert (window.start, window.end) == (hours[0], hours[-1] + HOUR)
    assert window.basis == "estimate"
    assert window.renewable_share == pytest.approx((6 * 0.8 + 18 * 0.6) / 24)
    (forecast_only,) = green_windows(shares, now, GreenOptions(threshold=0.7))
    assert forecast_only.basis == "forecast"
    assert (forecast_only.start, forecast_only.end) == (hours[0], hours[6])
    past = GridShares("Europe/Madrid", measured=measured)
    (measured_only,) = green_windows(past, datetime(2025, 6, 5, tzinfo=MADRID))
    assert measured_only.basis == "measured"


def test_estimate_across_the_autumn_change_madrid() -> None:
    """The 25-hour day counts the mean of its two 02:00 hours as its 02:00."""
    history = local_hours(MADRID, date(2025, 10, 20), 7)  # 20 → 26 October
    assert len(history) == 7 * 24 + 1
    measured = dict.fromkeys(history, 0.5)
    first, second = (
        h
        for h in history
        if h.astimezone(MADRID).date() == date(2025, 10, 26)
        and h.astimezone(MADRID).hour == 2
    )
    measured[first], measured[second] = 0.9, 0.7  # that day's 02:00 is 0.8
    shares = GridShares("Europe/Madrid", measured=measured)
    two_am = datetime(2025, 10, 27, 2, tzinfo=MADRID)
    assert shares.estimate(two_am) == pytest.approx((6 * 0.5 + 0.8) / 7)
    three_am = datetime(2025, 10, 27, 3, tzinfo=MADRID)
    assert shares.estimate(three_am) == pytest.approx(0.5)
    # On the 25-hour day itself, both 02:00 hours get the same estimate.
    both = GridShares(
        "Europe/Madrid",
        measured={
            h: daily_pattern(h, MADRID)
            for h in local_hours(MADRID, date(2025, 10, 19), 7)
        },
    )
    assert both.estimate(first) == both.estimate(second) is not None
    windows = green_windows(both, datetime(2025, 10, 26, tzinfo=MADRID))
    assert sum((w.end - w.start) // HOUR for w in windows) <= 25


def test_estimate_across_the_spring_change() -> None:
    """The 23-hour day has no 02:00 (Madrid, Paris) or 01:00 (Canary)."""
    for tz, skipped in ((MADRID, 2), (PARIS, 2), (CANARY, 1)):
        history = local_hours(tz, date(2025, 3, 25), 7)  # 25 → 31 March
        assert len(history) == 7 * 24 - 1
        measured = {h: 0.3 + h.astimezone(tz).day / 100 for h in history}
        shares = GridShares(tz.key, measured=measured)
        target = datetime(2025, 4, 1, skipped, tzinfo=tz)
        days_with_it = [25, 26, 27, 28, 29, 31]  # 30 March skipped the hour
        assert shares.estimate(target) == pytest.approx(
            sum(0.3 + d / 100 for d in days_with_it) / 6
        )
        other = datetime(2025, 4, 1, skipped + 1, tzinfo=tz)
        assert shares.estimate(other) == pytest.approx(
            sum(0.3 + d / 100 for d in range(25, 32)) / 7
        )
        windows = green_windows(shares, datetime(2025, 4, 1, tzinfo=tz))
        assert all(w.basis == "estimate" for w in windows)


def test_estimate_without_history() -> None:
    shares = GridShares("Europe/Madrid", measured={utc(2025, 1, 1, 10): 0.5})
    assert shares.estimate(utc(2025, 1, 9, 10)) is None  # 8 days before
    assert shares.estimate(utc(2025, 1, 8, 10)) == 0.5
    assert shares.share_at(utc(2025, 1, 8, 11)) is None


def test_canary_windows_from_a_7_day_history() -> None:
    """The Canary grid's clock hours are an hour behind the peninsula's."""
    history = local_hours(CANARY, date(2025, 6, 3), 7)
    measured = {
        h: 0.8 if h.astimezone(CANARY).hour in (12, 13) else 0.2 for h in history
    }
    shares = GridShares("Atlantic/Canary", measured=measured)
    now = datetime(2025, 6, 10, 0, 0, tzinfo=CANARY)
    (window,) = green_windows(shares, now)
    assert window.start == datetime(2025, 6, 10, 12, tzinfo=CANARY)
    assert window.end == datetime(2025, 6, 10, 14, tzinfo=CANARY)
    assert window.start == utc(2025, 6, 10, 11)
    assert window.basis == "estimate"


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

share_values = st.floats(min_value=0, max_value=1)


@st.composite
def grids(
    draw: st.DrawFn,
) -> tuple[GridShares, datetime, GreenOptions, list[GridStress]]:
    tz = draw(st.sampled_from(["Europe/Madrid", "Europe/Paris", "Atlantic/Canary"]))
    now = utc(2025, 3, 20) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 230)))
    first = horizon(now)[0]
    measured = {
        first - n * HOUR: draw(share_values)
        for n in draw(st.sets(st.integers(1, 24 * 8), max_size=60))
    }
    forecast = {
        first + n * HOUR: draw(share_values)
        for n in draw(st.sets(st.integers(-3, 26), max_size=30))
    }
    stress = [
        GridStress(
            start=start,
            end=start + draw(st.integers(1, 600)) * timedelta(minutes=1),
            reason="x",
        )
        for start in (
            first + draw(st.integers(-120, 26 * 60)) * timedelta(minutes=1)
            for _ in range(draw(st.integers(0, 3)))
        )
    ]
    options = GreenOptions(
        threshold=draw(share_values), min_hours=draw(st.integers(1, 24))
    )
    return GridShares(tz, measured=measured, forecast=forecast), now, options, stress


def vetoed(hour: datetime, stress: Sequence[GridStress]) -> bool:
    return any(s.start < hour + HOUR and s.end > hour for s in stress)


@given(grids())
def test_windows_are_whole_sorted_disjoint_hours_of_the_horizon(
    case: tuple[GridShares, datetime, GreenOptions, list[GridStress]],
) -> None:
    shares, now, options, stress = case
    windows = green_windows(shares, now, options, stress)
    hours = horizon(now)
    for window in windows:
        assert hours[0] <= window.start < window.end <= hours[-1] + HOUR
        assert window.start.minute == window.start.second == 0
        assert (window.end - window.start) % HOUR == timedelta(0)
        assert window.end - window.start >= options.min_hours * HOUR
        assert window.renewable_share is not None
        assert 0 <= window.renewable_share <= 1
        inside = [
            window.start + i * HOUR for i in range((window.end - window.start) // HOUR)
        ]
        assert not any(vetoed(h, stress) for h in inside)
        bases = {shares.share_at(h).basis for h in inside}
        expected = (
            ESTIMATE
            if ESTIMATE in bases
            else FORECAST
            if FORECAST in bases
            else MEASURED
        )
        assert window.basis == expected.value
    for before, after in pairwise(windows):
        assert before.end < after.start  # maximal runs never touch
    assert green_windows(shares, now, options, list(reversed(stress))) == windows


@given(grids())
def test_threshold_windows_are_maximal_runs(
    case: tuple[GridShares, datetime, GreenOptions, list[GridStress]],
) -> None:
    shares, now, options, stress = case
    windows = green_windows(shares, now, options, stress)

    def qualifies(hour: datetime) -> bool:
        share = shares.share_at(hour)
        return (
            share is not None
            and share.share >= options.threshold
            and not vetoed(hour, stress)
        )

    hours = horizon(now)
    runs = []
    run: list[datetime] = []
    for hour in [*hours, None]:
        if hour is not None and qualifies(hour):
            run.append(hour)
        else:
            if len(run) >= options.min_hours:
                runs.append((run[0], run[-1] + HOUR))
            run = []
    if runs:
        assert [(w.start, w.end) for w in windows] == runs
    else:
        assert len(windows) <= 1
        if windows:
            assert windows[0].end - windows[0].start == options.min_hours * HOUR


@given(grids())
def test_an_estimate_is_never_labelled_forecast(
    case: tuple[GridShares, datetime, GreenOptions, list[GridStress]],
) -> None:
    shares, now, options, stress = case
    no_forecast = GridShares(shares.timezone, measured=shares.measured)
    for hour in horizon(now):
        share = no_forecast.share_at(hour)
        assert share is None or share.basis is not FORECAST
        with_forecast = shares.share_at(hour)
        if with_forecast is not None and with_forecast.basis is FORECAST:
            assert hour in shares.forecast
    windows = green_windows(no_forecast, now, options, stress)
    assert all(w.basis != "forecast" for w in windows)
    for window in green_windows(shares, now, options, stress):
        if window.basis == "forecast":
            hour = window.start
            while hour < window.end:
                assert hour in shares.forecast or hour in shares.measured
                hour += HOUR


@given(
    st.lists(
        st.tuples(
            st.integers(0, 48 * 4 - 1),
            share_values,
            st.sampled_from([MEASURED, FORECAST]),
        ),
        max_size=120,
    ),
    st.randoms(use_true_random=False),
)
def test_shares_do_not_depend_on_row_order(
    rows: list[tuple[int, float, SignalBasis]], rng: random.Random
) -> None:
    start = utc(2025, 10, 25)
    unique: Mapping[tuple[int, SignalBasis], float] = {(q, b): s for q, s, b in rows}
    mixes = [
        mix(start + q * QUARTER, s, b, duration=QUARTER) for (q, b), s in unique.items()
    ]
    shuffled = list(mixes)
    rng.shuffle(shuffled)
    one = GridShares.from_mix(mixes, "Europe/Paris")
    two = GridShares.from_mix(shuffled, "Europe/Paris")
    assert one == two
    now = start + timedelta(hours=30)
    assert green_windows(one, now) == green_windows(two, now)
