"""Property-based tests of the shared provider helpers (HTTP, readers, ledger)."""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
from datetime import UTC, date, datetime, timedelta
import json
import math
from typing import Any

import aiohttp
from hypothesis import given, strategies as st
import pytest

from custom_components.gridmeter.providers.errors import (
    InvalidResponse,
    ProviderUnavailable,
    RateLimited,
)
from custom_components.gridmeter.providers.history import (
    add_months,
    fetch_months,
    month_range,
)
from custom_components.gridmeter.providers.http import (
    MAX_JSON_DEPTH,
    MAX_RETRY_AFTER,
    MIN_RETRY_AFTER,
    decode_json,
    json_depth,
    retry_after_seconds,
    send,
)
from custom_components.gridmeter.providers.identifiers import (
    is_valid_cups,
    is_valid_nif,
    is_valid_pod,
    is_valid_prm,
    normalize_cups,
    normalize_nif,
    normalize_pod,
    normalize_prm,
)
from custom_components.gridmeter.providers.ledger import Outcome, QueryLedger
from custom_components.gridmeter.providers.parsing import (
    ascii_digits,
    lenient_number,
    non_negative,
    plausible_day,
    plausible_instant,
    whole_number,
    zone,
)

from .fuzz import (
    NOW,
    Canned,
    Reply,
    as_json,
    canned,
    junk,
    nested,
    scalars,
    truncated,
    wide_dates,
)
from .props import PROPERTY_TIMEOUT

pytestmark = [pytest.mark.timeout(PROPERTY_TIMEOUT)]


@given(value=scalars | junk())
def test_readers_return_plausible_values_or_none(value: Any) -> None:
    """The shared readers never raise and only return finite, bounded values."""
    number = lenient_number(value)
    assert number is None or math.isfinite(number)
    positive = non_negative(value)
    assert positive is None or (math.isfinite(positive) and positive >= 0)
    count = whole_number(value, 1000)
    assert count is None or 0 <= count <= 1000
    if isinstance(value, str):
        digits = ascii_digits(value, 99)
        assert digits is None or 0 <= digits <= 99
    assert zone(value) is None or isinstance(value, str)


@given(day=wide_dates(), offset=st.integers(-23, 23))
def test_far_days_and_instants_are_none(day: Any, offset: int) -> None:
    """Days and instants outside 2000-2099 are None, never an OverflowError."""
    from datetime import time, timezone

    kept = plausible_day(day)
    assert kept is None or kept == day
    local = datetime.combine(day, time(23, 30), timezone(timedelta(hours=offset)))
    instant = plausible_instant(local)
    assert instant is None or (instant.tzinfo is UTC and 2000 <= instant.year < 2100)


@given(
    value=st.one_of(
        scalars.map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.datetimes(timezones=st.timezones()).map(
            lambda moment: moment.strftime("%a, %d %b %Y %H:%M:%S %z")
        ),
    )
)
def test_retry_after_is_bounded_or_unknown(value: str) -> None:
    """Any header value: None, or a finite delay between 1 s and 48 h."""
    seconds = retry_after_seconds(value, NOW)
    assert seconds is None or MIN_RETRY_AFTER <= seconds <= MAX_RETRY_AFTER


@given(
    text=st.one_of(
        junk().map(as_json),
        junk().map(as_json).flatmap(truncated),
        st.integers(0, 3 * MAX_JSON_DEPTH).map(lambda depth: as_json(nested(depth))),
        st.integers(1, 5000).map(lambda depth: "[" * depth + "]" * depth),
        st.text(max_size=40),
    )
)
def test_decode_json_only_raises_invalid_response(text: str) -> None:
    """Whatever the text, a JSON value or InvalidResponse (never RecursionError)."""
    with contextlib.suppress(InvalidResponse):
        decode_json(text, "Test")


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@given(value=junk(), depth=st.integers(0, 80))
def test_json_depth_is_the_nesting_depth(value: Any, depth: int) -> None:
    """Brackets inside strings do not count; arrays and objects do."""
    deep = [value]
    for level in range(depth):
        deep = [deep] if level % 2 else {"[{": deep}  # type: ignore[assignment]
    assert json_depth(as_json(deep)) == _depth(deep)


@pytest.fixture
async def server(socket_enabled: None) -> AsyncIterator[Canned]:
    """A local server answering what each example sets."""
    async with canned() as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain client session."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@given(
    body=st.one_of(st.text(max_size=200), st.integers(0, 3000).map(lambda n: "x" * n)),
    status=st.sampled_from([200, 201, 204, 301, 400, 404, 429, 500, 503]),
    retry_after=st.none() | scalars.map(str),
)
async def test_send_returns_the_answer_or_a_typed_error(
    server: Canned,
    session: aiohttp.ClientSession,
    body: str,
    status: int,
    retry_after: str | None,
) -> None:
    """Any status is returned as is; a body over the limit is InvalidResponse."""
    headers = {} if retry_after is None else {"Retry-After": retry_after.strip() or "x"}
    headers = {k: v for k, v in headers.items() if v.isprintable()}
    server.reply = Reply(body=body, status=status, headers=headers)
    timeout = aiohttp.ClientTimeout(total=10)
    try:
        answer = await send(
            session,
            "Test",
            "GET",
            server.url,
            headers={},
            timeout=timeout,
            max_bytes=1024,
        )
    except InvalidResponse:
        assert len(body.encode()) > 1024
        return
    assert answer.status == status
    if status != 204:
        assert answer.text == body


@given(
    data=st.one_of(
        junk(),
        st.dictionaries(
            st.text(max_size=5),
            st.fixed_dictionaries(
                {},
                optional={
                    "sent_at": st.one_of(
                        scalars,
                        st.datetimes(timezones=st.none() | st.timezones()).map(
                            datetime.isoformat
                        ),
                    ),
                    "outcome": st.sampled_from([*Outcome, "nope"]) | scalars,
                    "ttl": scalars,
                    "answer": junk(),
                    "rows": junk(),
                    "digest": scalars,
                },
            ),
            max_size=4,
        ),
    )
)
def test_ledger_restores_anything_without_raising(data: Any) -> None:
    """`from_dict` is total over stored data; what it keeps serialises again."""
    ledger = QueryLedger.from_dict(data, clock=lambda: NOW)
    saved = ledger.as_dict()
    json.dumps(saved, default=str)
    again = QueryLedger.from_dict(saved, clock=lambda: NOW)
    assert again.as_dict() == saved
    assert ledger.sent_since(NOW - timedelta(days=40)) == len(saved)


@given(
    value=scalars | junk() | st.text(alphabet="ES0123456789ABCXYZT -.²٣", max_size=26)
)
def test_identifier_checks_never_raise(value: Any) -> None:
    """`is_valid_*` answer a bool for anything; `normalize_*` tidy any text."""
    for check in (is_valid_cups, is_valid_nif, is_valid_pod, is_valid_prm):
        assert isinstance(check(value), bool)
    if isinstance(value, str):
        for tidy in (normalize_cups, normalize_nif, normalize_pod, normalize_prm):
            assert isinstance(tidy(value), str)
        if is_valid_prm(value):
            assert normalize_prm(value).isascii()


@given(
    first=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 1, 1)),
    count=st.integers(0, 30),
    errors=st.lists(
        st.sampled_from([None, InvalidResponse, ProviderUnavailable, RateLimited]),
        max_size=40,
    ),
)
async def test_fetch_months_splits_and_stops_within_bounds(
    first: date, count: int, errors: list[Any]
) -> None:
    """Any sequence of failures: every month is answered, failed or deferred
    exactly once, in a bounded number of requests.
    """
    months = month_range(first, add_months(first, count))
    pending = list(errors)

    async def fetch(start: date, end: date) -> tuple[date, date]:
        error = pending.pop(0) if pending else None
        if error is not None:
            raise error("test")
        return start, end

    async def on_answer(start: date, end: date, answer: Any) -> None:
        assert answer == (start, end)

    report = await fetch_months(months, fetch, on_answer)
    seen = report.answered + list(report.failed) + report.deferred
    assert sorted(seen) == months
    assert report.requests <= 2 * len(months)
