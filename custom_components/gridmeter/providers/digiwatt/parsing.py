"""Turn the `data` of Digiwatt answers into models.

Each `parse_*` takes the JSON value of the envelope's `data` (the token answer
is not enveloped) and returns a model, or raises `InvalidResponse` when the
shape is not the assumed one (see `endpoints.py` and `README.md`). Timestamps
must carry an offset (Digiwatt answers in Europe/Rome local time with its
offset, so DST days are unambiguous); they are returned in UTC.

Numbers follow the shared plausibility rules (`providers.parsing`): a value
that is not a finite number, or a timestamp outside 2000-2099, makes the
answer invalid; a row whose energy or power is negative is skipped (and
counted), a whole answer whose own total is negative is invalid. The latest
series is capped at its six hours of steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
import logging
import re
from typing import Any, Final

from ..errors import InvalidResponse
from ..models import GreenWindow, LivePower
from ..parsing import (
    header_token,
    lenient_number,
    plausible_day,
    plausible_instant,
    whole_number,
)
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
    Token,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_TOKEN_LIFETIME: Final = 36000.0
"""The documented `expires_in`, used when an answer leaves it out."""
MAX_TOKEN_LIFETIME: Final = 86400.0
"""A longer `expires_in` is cut to a day (the token is simply renewed)."""
LATEST_SPAN: Final = timedelta(hours=6)
"""What the latest series covers: at most this span of steps is kept."""
_MAX_COUNT: Final = 1_000_000
"""Larger counts (houses of a million m², a million homes) are garbage."""

_DURATION: Final = re.compile(
    r"P(?:(?P<d>\d{1,6}(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d{1,6}(?:\.\d+)?)H)?(?:(?P<m>\d{1,8}(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d{1,9}(?:\.\d+)?)S)?)?",
    re.IGNORECASE | re.ASCII,
)
_MONTH: Final = re.compile(r"(\d{4})-(\d{2})(?:-\d{2})?", re.ASCII)


# ---------------------------------------------------------------------------
# Field readers
# ---------------------------------------------------------------------------


def expect_object(value: Any, what: str) -> Mapping[str, Any]:
    """Return `value` if it is a JSON object."""
    if not isinstance(value, Mapping):
        raise InvalidResponse(f"{what} is not an object")
    return value


def expect_list(value: Any, what: str) -> Sequence[Any]:
    """Return `value` if it is a JSON array."""
    if not isinstance(value, list):
        raise InvalidResponse(f"{what} is not a list")
    return value


def number(obj: Mapping[str, Any], key: str, what: str) -> float:
    """Return a required finite number."""
    value = lenient_number(obj.get(key))
    if value is None:
        raise InvalidResponse(f"{what}: {key} is missing or not a number")
    return value


def amount(obj: Mapping[str, Any], key: str, what: str) -> float:
    """Return a required energy or power: a finite number, not negative."""
    value = number(obj, key, what)
    if value < 0:
        raise InvalidResponse(f"{what}: {key} is negative")
    return value


def row_amount(obj: Mapping[str, Any], key: str, what: str) -> float | None:
    """Return a row's energy or power; None when negative (skip the row)."""
    value = number(obj, key, what)
    return value if value >= 0 else None


def optional_number(obj: Mapping[str, Any], key: str) -> float | None:
    """Return an optional number (None when absent, null or not a number)."""
    return lenient_number(obj.get(key))


def optional_amount(obj: Mapping[str, Any], key: str) -> float | None:
    """Return an optional energy, power, cost or mass (None when negative too)."""
    value = lenient_number(obj.get(key))
    return value if value is not None and value >= 0 else None


def optional_share(obj: Mapping[str, Any], key: str) -> float | None:
    """Return an optional share 0.0-1.0 (None when outside)."""
    value = lenient_number(obj.get(key))
    return value if value is not None and 0 <= value <= 1 else None


def _log_skipped(what: str, skipped: int) -> None:
    if skipped:
        _LOGGER.debug("Digiwatt %s: %d unusable rows skipped", what, skipped)


def text(obj: Mapping[str, Any], key: str, what: str) -> str:
    """Return a required non-empty string."""
    value = obj.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise InvalidResponse(f"{what}: {key} is missing")
    return value.strip()


def instant(value: Any, what: str) -> datetime:
    """Read an ISO-8601 instant with an offset (or ``Z``), in UTC."""
    if not isinstance(value, str):
        raise InvalidResponse(f"{what} is not a timestamp")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise InvalidResponse(f"{what} is not a timestamp") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidResponse(f"{what} has no UTC offset")
    utc = plausible_instant(parsed)
    if utc is None:
        raise InvalidResponse(f"{what} is not between 2000 and 2099")
    return utc


def optional_instant(obj: Mapping[str, Any], key: str, what: str) -> datetime | None:
    """Read an optional instant (None when absent or null)."""
    value = obj.get(key)
    return None if value is None else instant(value, f"{what}: {key}")


def month(value: Any, what: str) -> date:
    """Read a month ``YYYY-MM`` (or a date in it) as its first day."""
    match = _MONTH.fullmatch(value.strip()) if isinstance(value, str) else None
    first = None
    if match is not None and 1 <= int(match[2]) <= 12:
        first = plausible_day(date(int(match[1]), int(match[2]), 1))
    if first is None:
        raise InvalidResponse(f"{what} is not a month (2000-2099)")
    return first


def duration(value: Any, what: str) -> timedelta:
    """Read an ISO-8601 duration (``PT15M``, ``PT900S``, ``PT1H``) or seconds.

    At most a day: longer is not a step any answer means.
    """
    seconds: float | None = None
    if isinstance(value, str) and (match := _DURATION.fullmatch(value.strip())):
        parts = match.groupdict()
        if any(parts.values()):
            seconds = (
                float(parts["d"] or 0) * 86400
                + float(parts["h"] or 0) * 3600
                + float(parts["m"] or 0) * 60
                + float(parts["s"] or 0)
            )
    elif not isinstance(value, str):
        seconds = lenient_number(value)
    if seconds is None or not 0 < seconds <= 86400:
        raise InvalidResponse(f"{what} is not a positive duration of a day or less")
    return timedelta(seconds=seconds)


def appliance_name(value: Any, what: str) -> ApplianceName:
    """Return an `Appliance` when documented, else the raw name (``other``)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidResponse(f"{what}: appliance is missing")
    name = value.strip()
    try:
        return Appliance(name)
    except ValueError:
        return name


def period(obj: Mapping[str, Any], asked: Period | None, what: str) -> Period:
    """Return the answer's period (the one asked for when it does not say)."""
    value = obj.get("period")
    if value is None and asked is not None:
        return asked
    try:
        return Period(str(value))
    except ValueError:
        raise InvalidResponse(f"{what}: unknown period {value!r}") from None


def span(obj: Mapping[str, Any], what: str) -> tuple[datetime | None, datetime | None]:
    """Return the ``from`` and ``to`` instants of an answer, when present."""
    return optional_instant(obj, "from", what), optional_instant(obj, "to", what)


# ---------------------------------------------------------------------------
# Endpoint parsers
# ---------------------------------------------------------------------------


def parse_token(body: Any, _asked: Period | None = None) -> Token:
    """``{"access_token", "expires_in", "token_type"}`` (not enveloped)."""
    obj = expect_object(body, "token answer")
    access_token = header_token(obj.get("access_token"))
    if access_token is None:
        raise InvalidResponse("token answer: access_token is missing or not a token")
    token_type = obj.get("token_type")
    if token_type is None:
        token_type = "Bearer"  # noqa: S105 - the OAuth2 token type
    if header_token(token_type) is None:
        raise InvalidResponse("token answer: token_type is not a token type")
    if "expires_in" in obj:
        expires_in = lenient_number(obj["expires_in"])
        if expires_in is None or expires_in <= 0:
            raise InvalidResponse("token answer: expires_in is not a positive number")
        expires_in = min(expires_in, MAX_TOKEN_LIFETIME)
    else:
        expires_in = DEFAULT_TOKEN_LIFETIME
    # OAuth2 token types are case-insensitive; send the usual spelling.
    kind = token_type.strip()
    if kind.lower() == "bearer":
        kind = "Bearer"
    return Token(access_token=access_token, token_type=kind, expires_in=expires_in)


def parse_user(data: Any, _asked: Period | None = None) -> DigiwattUser:
    """``{"account_number", "pod", "company_code", "onboarded"?, "created_at"?}``."""
    obj = expect_object(data, "user")
    return DigiwattUser(
        account_number=text(obj, "account_number", "user"),
        pod=text(obj, "pod", "user"),
        company_code=text(obj, "company_code", "user"),
        onboarded=obj.get("onboarded") is True,
        created_at=optional_instant(obj, "created_at", "user"),
    )


def parse_nothing(data: Any, _asked: Period | None = None) -> None:
    """Any object (the deletion answer carries nothing needed)."""
    expect_object(data, "answer")


def _int(obj: Mapping[str, Any], key: str, what: str) -> int:
    value = obj.get(key)
    count = whole_number(value, _MAX_COUNT) if isinstance(value, int | float) else None
    if count is None:
        raise InvalidResponse(f"{what}: {key} is not a whole number")
    return count


def parse_household(data: Any, _asked: Period | None = None) -> Household:
    """Read the onboarding echo: ``{"house", "residents", "appliances"}``.

    Reads the house size from ``dimesion`` (the document's spelling) or
    ``dimension``.
    """
    obj = expect_object(data, "onboarding")
    house = expect_object(obj.get("house"), "onboarding: house")
    residents = expect_object(obj.get("residents"), "onboarding: residents")
    appliances: dict[Appliance, int] = {}
    for item in expect_list(obj.get("appliances", []), "onboarding: appliances"):
        row = expect_object(item, "onboarding: appliance")
        name = appliance_name(row.get("appliance"), "onboarding")
        if not isinstance(name, Appliance):
            raise InvalidResponse(f"onboarding: unknown appliance {name!r}")
        appliances[name] = _int(row, "quantity", "onboarding")
    size_key = "dimesion" if "dimesion" in house else "dimension"
    try:
        return Household(
            house_type=HouseType(text(house, "type", "onboarding: house")),
            size_m2=_int(house, size_key, "onboarding: house"),
            province=text(house, "province", "onboarding: house"),
            adults=_int(residents, "adults", "onboarding: residents"),
            children=_int(residents, "children", "onboarding: residents"),
            elderlies=_int(residents, "elderlies", "onboarding: residents"),
            appliances=appliances,
        )
    except ValueError as err:
        raise InvalidResponse(f"onboarding echo is not valid: {err}") from None


def parse_appliances(data: Any, asked: Period | None = None) -> list[ApplianceUsage]:
    """``{"period", "from", "to", "appliances": [{"appliance", "power", "share"}]}``."""
    obj = expect_object(data, "consumption")
    which = period(obj, asked, "consumption")
    start, end = span(obj, "consumption")
    usages = []
    skipped = 0
    for item in expect_list(obj.get("appliances"), "consumption: appliances"):
        row = expect_object(item, "consumption: appliance")
        name = appliance_name(row.get("appliance"), "consumption")
        watts = row_amount(row, "power", "consumption")
        if watts is None:
            skipped += 1
            continue
        usages.append(
            ApplianceUsage(
                period=which,
                appliance=name,
                watts=watts,
                share=optional_share(row, "share"),
                start=start,
                end=end,
            )
        )
    _log_skipped("consumption", skipped)
    return usages


def parse_totals(data: Any, asked: Period | None = None) -> ConsumptionTotals:
    """``{"period", "from", "to", "total", "previous", "variation"?, "appliances"}``.

    `variation` is a percentage; when absent it is computed from the totals.
    """
    obj = expect_object(data, "totals")
    start, end = span(obj, "totals")
    total = amount(obj, "total", "totals")
    previous = optional_amount(obj, "previous")
    variation = optional_number(obj, "variation")
    if variation is not None:
        change: float | None = variation / 100
    elif previous:
        change = (total - previous) / previous
    else:
        change = None
    by_appliance: dict[ApplianceName, float] = {}
    skipped = 0
    for item in expect_list(obj.get("appliances", []), "totals: appliances"):
        row = expect_object(item, "totals: appliance")
        name = appliance_name(row.get("appliance"), "totals")
        energy = row_amount(row, "energy", "totals")
        if energy is None:
            skipped += 1
            continue
        by_appliance[name] = by_appliance.get(name, 0.0) + energy
    _log_skipped("totals", skipped)
    return ConsumptionTotals(
        period=period(obj, asked, "totals"),
        total_wh=total,
        previous_wh=previous,
        change_ratio=change,
        by_appliance_wh=by_appliance,
        start=start,
        end=end,
    )


def parse_realtime(data: Any, _asked: Period | None = None) -> LivePower:
    """``{"power": W, "timestamp": iso}``."""
    obj = expect_object(data, "realtime")
    return LivePower(
        at=instant(obj.get("timestamp"), "realtime: timestamp"),
        watts=amount(obj, "power", "realtime"),
    )


def parse_latest(data: Any, _asked: Period | None = None) -> PowerSeries:
    """``{"step": "PT15M", "values": [{"start": iso, "power": W}, ...]}``.

    The step must divide an hour (else the answer is invalid). Rows with a
    null or negative power, a bad timestamp, a start off the step's grid or
    already seen, or more than six hours before the latest row are counted
    in `skipped`: at most six hours of steps are returned.
    """
    obj = expect_object(data, "latest")
    step = duration(obj.get("step", "PT15M"), "latest: step")
    seconds = step.total_seconds()
    if seconds > 3600 or 3600 % seconds:
        raise InvalidResponse("latest: the step does not divide an hour")
    points: dict[datetime, PowerPoint] = {}
    skipped = 0
    for item in expect_list(obj.get("values"), "latest: values"):
        point = _latest_point(item, seconds)
        if point is None or point.start in points:
            skipped += 1
            continue
        points[point.start] = point
    kept = sorted(points)
    if kept:
        first = kept[-1] - LATEST_SPAN
        skipped += sum(1 for start in kept if start <= first)
        kept = [start for start in kept if start > first]
    return PowerSeries(
        step=step, points=tuple(points[start] for start in kept), skipped=skipped
    )


def _latest_point(item: Any, step_seconds: float) -> PowerPoint | None:
    """Read one row of the latest series (None when it cannot be used)."""
    if not isinstance(item, Mapping):
        return None
    watts = lenient_number(item.get("power"))
    try:
        start = instant(item.get("start"), "latest: start")
    except InvalidResponse:
        return None
    if watts is None or watts < 0 or start.timestamp() % step_seconds:
        return None
    return PowerPoint(start=start, watts=watts)


def parse_performance(data: Any, asked: Period | None = None) -> Performance:
    """Read the user's energy against similar homes (Wh).

    ``{"period", "from", "to", "min", "max", "user", "average", "similar_homes"}``.
    """
    obj = expect_object(data, "performance")
    start, end = span(obj, "performance")
    return Performance(
        period=period(obj, asked, "performance"),
        min_wh=amount(obj, "min", "performance"),
        max_wh=amount(obj, "max", "performance"),
        user_wh=amount(obj, "user", "performance"),
        average_wh=optional_amount(obj, "average"),
        similar_homes=whole_number(obj.get("similar_homes"), _MAX_COUNT),
        start=start,
        end=end,
    )


def parse_habits(data: Any, asked: Period | None = None) -> Habits:
    """Read energy by time of day and by day type (Wh).

    ``{"period", "from", "to", "time_of_day": {"night", "morning",
    "afternoon", "evening"}, "day_type": {"weekday", "weekend"}}``.
    """
    obj = expect_object(data, "habits")
    start, end = span(obj, "habits")
    times = expect_object(obj.get("time_of_day"), "habits: time_of_day")
    days = expect_object(obj.get("day_type"), "habits: day_type")
    return Habits(
        period=period(obj, asked, "habits"),
        night_wh=amount(times, "night", "habits"),
        morning_wh=amount(times, "morning", "habits"),
        afternoon_wh=amount(times, "afternoon", "habits"),
        evening_wh=amount(times, "evening", "habits"),
        weekday_wh=amount(days, "weekday", "habits"),
        weekend_wh=amount(days, "weekend", "habits"),
        start=start,
        end=end,
    )


def parse_trend(data: Any, _asked: Period | None = None) -> list[BandMonth]:
    """``{"months": [{"month": "YYYY-MM", "f1", "f2", "f3"}]}`` (Wh), oldest first.

    A month listed twice keeps its first row.
    """
    obj = expect_object(data, "trend")
    months: dict[date, BandMonth] = {}
    skipped = 0
    for item in expect_list(obj.get("months"), "trend: months"):
        row = expect_object(item, "trend: month")
        first = month(row.get("month"), "trend: month")
        bands = [row_amount(row, key, "trend") for key in ("f1", "f2", "f3")]
        if first in months or None in bands:
            skipped += 1
            continue
        f1, f2, f3 = (band or 0.0 for band in bands)
        months[first] = BandMonth(month=first, f1_wh=f1, f2_wh=f2, f3_wh=f3)
    _log_skipped("trend", skipped)
    return [months[first] for first in sorted(months)]


def parse_distribution(data: Any, _asked: Period | None = None) -> list[ApplianceShare]:
    """``{"appliances": [{"appliance", "energy", "share"?}]}`` (Wh, 12 months)."""
    obj = expect_object(data, "distribution")
    shares = []
    skipped = 0
    for item in expect_list(obj.get("appliances"), "distribution: appliances"):
        row = expect_object(item, "distribution: appliance")
        name = appliance_name(row.get("appliance"), "distribution")
        energy = row_amount(row, "energy", "distribution")
        if energy is None:
            skipped += 1
            continue
        shares.append(
            ApplianceShare(
                appliance=name, wh=energy, share=optional_share(row, "share")
            )
        )
    _log_skipped("distribution", skipped)
    return shares


def parse_compound(data: Any, _asked: Period | None = None) -> list[ApplianceMonth]:
    """``{"months": [{"month", "appliances": [{"appliance", "energy"}]}]}`` (Wh)."""
    obj = expect_object(data, "compound")
    rows = []
    skipped = 0
    for item in expect_list(obj.get("months"), "compound: months"):
        entry = expect_object(item, "compound: month")
        first = month(entry.get("month"), "compound: month")
        for part in expect_list(entry.get("appliances"), "compound: appliances"):
            row = expect_object(part, "compound: appliance")
            name = appliance_name(row.get("appliance"), "compound")
            energy = row_amount(row, "energy", "compound")
            if energy is None:
                skipped += 1
                continue
            rows.append(ApplianceMonth(month=first, appliance=name, wh=energy))
    _log_skipped("compound", skipped)
    rows.sort(key=lambda row: row.month)
    return rows


def parse_saving(data: Any, _asked: Period | None = None) -> Saving:
    """Read the last 30 days' energy (Wh), cost, CO2 and potential saving.

    ``{"from", "to", "energy", "cost", "co2", "saving": {"energy", "cost"}}``.
    """
    obj = expect_object(data, "saving")
    start, end = span(obj, "saving")
    saving = obj.get("saving")
    potential = expect_object(saving, "saving: saving") if saving is not None else {}
    saved_wh = optional_amount(potential, "energy")
    return Saving(
        kwh=amount(obj, "energy", "saving") / 1000,
        euro=optional_amount(obj, "cost"),
        co2_kg=optional_amount(obj, "co2"),
        saving_kwh=None if saved_wh is None else saved_wh / 1000,
        saving_euro=optional_amount(potential, "cost"),
        start=start,
        end=end,
    )


def parse_greenness(data: Any, _asked: Period | None = None) -> list[GreenWindow]:
    """``{"windows": [{"start", "stop", "percentage"}]}`` -> windows, share 0-1."""
    obj = expect_object(data, "greenness")
    windows = []
    for item in expect_list(obj.get("windows"), "greenness: windows"):
        row = expect_object(item, "greenness: window")
        start = instant(row.get("start"), "greenness: start")
        end = instant(row.get("stop"), "greenness: stop")
        if end <= start:
            raise InvalidResponse("greenness: a window ends before it starts")
        percentage = optional_number(row, "percentage")
        share = None if percentage is None else min(max(percentage / 100, 0.0), 1.0)
        windows.append(GreenWindow(start=start, end=end, renewable_share=share))
    windows.sort(key=lambda window: window.start)
    return windows
