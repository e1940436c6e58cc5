"""Shared pieces of the property-based tests of the provider layer.

* `junk()`: any JSON value, biased to the values that broke parsers before
  (unicode digits, NaN and infinities as numbers and as text, huge and
  negative numbers, far and malformed dates, empty strings, deep nesting).
* `mutated(value)`: a real-shaped answer with some of its parts removed,
  nulled, retyped (str <-> number, scalar <-> list <-> dict), duplicated,
  shuffled or replaced by `junk()`.
* `assert_plausible(result)`: what a parser returned holds no NaN, no
  infinity, no negative energy or power, no date outside 2000-2099.
* `Canned`: a local aiohttp server answering whatever body a test sets, to
  run the clients' answer handlers over real HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
import dataclasses
from datetime import UTC, date, datetime, timedelta
from enum import Enum
import json
import math
from typing import Any

from aiohttp import web
from hypothesis import strategies as st

from custom_components.gridmeter.providers.errors import ProviderError
from custom_components.gridmeter.providers.http import MAX_RETRY_AFTER, MIN_RETRY_AFTER
from simulator.common.server import serving

FIRST = date(2000, 1, 1)
LAST = date(2100, 1, 1)

# Words of the shapes, so that mutated keys sometimes hit real ones.
_TRICKY_TEXT = [
    "",
    " ",
    "-",
    "null",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "1e400",
    "-1e400",
    "1e999",
    "²",
    "³",
    "٣",
    "１２",
    "12",
    "-5",
    "3,45",
    "1_000",
    "0x10",
    "9" * 400,
    "9999/12/31",
    "0001/01/01",
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+01:00",
    "2024-02-30",
    "2026/13/45",
    "2024/10/01",
    "2026-11-10T09:00:00Z",
    "2026-11-10",
    "25:00",
    "24:00",
    "00:00",
    "01:00",
    "P99999999999D",
    "PT0S",
    "PT15M",
    "PT7M",
    "PT600S",
    "P1D",
    "1h",
    "2024-12-10T00:00:00[Europe/Paris]",
    "2024-12-10T00:00:00[" + "A" * 300 + "]",
    "2024-12-10T00:00:00[../../etc/passwd]",
    "99 years",
    "3 years",
    "HC (22H30-6H30)",
    "HC (²H30-6H30)",
    "9 kVA",
    "\x00",
    "é" * 5,
]
_TRICKY_NUMBERS = [
    0,
    -1,
    -0.5,
    1,
    3.45,
    1e400,  # inf
    -1e400,
    float("nan"),
    1e308,
    -1e308,
    2**63,
    2**1100,
    -(2**70),
    1e-320,
    253402300799,  # 9999-12-31 as epoch seconds
    1e20,
]

scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(_TRICKY_NUMBERS),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(_TRICKY_TEXT),
    st.text(max_size=12),
)


def junk(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON-like value, small, biased to the troublesome ones."""
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(
                st.sampled_from(_TRICKY_TEXT) | st.text(max_size=6), inner, max_size=4
            ),
        ),
        max_leaves=max_leaves,
    )


def nested(depth: int) -> Any:
    """A value nested `depth` levels deep (lists and objects in turn)."""
    value: Any = 1
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """Return `value` with some of its parts mutated (often none)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(junk())
    if isinstance(value, dict):
        result: dict[Any, Any] = {}
        for key, item in value.items():
            action = draw(st.integers(0, 11))
            if action == 0:
                continue  # missing key
            if action == 1:
                result[key] = None
            elif action == 2:
                result[key] = draw(scalars)
            elif action == 3:
                result[key] = [draw(mutated(item))]  # scalar -> list
            elif action == 4:
                result[key] = {"value": item}  # -> dict
            elif action == 5:
                result[key] = _retyped(item)
            else:
                result[key] = draw(mutated(item))
        return result
    if isinstance(value, list):
        items = [draw(mutated(item)) for item in value]
        action = draw(st.integers(0, 7))
        if action == 0 and items:
            items = items + items[: draw(st.integers(1, len(items)))]  # duplicates
        elif action == 1:
            items = list(reversed(items))  # unsorted
        elif action == 2 and items:
            return items[0]  # list -> scalar
        elif action == 3:
            items = items[: draw(st.integers(0, len(items)))]  # truncated
        return items
    if draw(st.integers(0, 3)) == 0:
        return _retyped(value)
    return value


def _retyped(value: Any) -> Any:
    """Swap a number and its text form (and other types for other values)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", "."))
        except ValueError:
            return len(value)
    return json.dumps(value)


def truncated(text: str) -> st.SearchStrategy[str]:
    """A JSON text cut somewhere (or whole)."""
    return st.integers(0, len(text)).map(lambda cut: text[:cut])


def dates(
    first: date = date(2023, 1, 1), last: date = date(2027, 12, 31)
) -> st.SearchStrategy[date]:
    """Plausible days (the real shapes)."""
    return st.dates(min_value=first, max_value=last)


def wide_dates() -> st.SearchStrategy[date]:
    """Any day datetime can hold (the far ones too)."""
    return st.one_of(dates(), st.dates())


# -- what a result may hold --------------------------------------------------------

_NON_NEGATIVE = ("kwh", "wh", "kw", "kva", "watts", "power", "homes")


def assert_plausible(result: Any, name: str = "result") -> None:
    """Assert a parser's result holds only finite, in-range values.

    Fields whose name says energy or power (kwh, wh, kw, kva, watts, power)
    are not negative; datetimes are aware UTC; days and instants fall within
    2000-2099.
    """
    _check(result, name, set())


def _check(value: Any, name: str, seen: set[int]) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, Enum | str):
        return
    if isinstance(value, int | float):
        assert math.isfinite(value), f"{name} = {value!r}"
        if any(word in name.lower() for word in _NON_NEGATIVE):
            assert value >= 0, f"{name} = {value!r}"
        return
    if isinstance(value, datetime):
        assert value.tzinfo is not None and value.utcoffset() == timedelta(0), name
        assert FIRST <= value.date() < LAST, f"{name} = {value!r}"
        return
    if isinstance(value, date):
        assert FIRST <= value < LAST, f"{name} = {value!r}"
        return
    if isinstance(value, timedelta):
        assert value > timedelta(0), name
        return
    if id(value) in seen:
        return
    seen.add(id(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            _check(getattr(value, field.name), field.name, seen)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check(key, name, seen)
            _check(item, name, seen)
    elif isinstance(value, list | tuple | frozenset | set):
        for item in value:
            _check(item, name, seen)


# -- a server that answers what the test says ---------------------------------------


@dataclasses.dataclass
class Reply:
    """What `Canned` answers next."""

    body: str = "{}"
    status: int = 200
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    pick: Callable[[web.Request], Reply | None] | None = None
    """Choose the reply per request (None: answer `body`)."""


class Canned:
    """A local server answering `reply` to every request."""

    def __init__(self) -> None:
        """Answer ``{}`` until told otherwise."""
        self.reply = Reply()
        self.url = ""
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._answer)

    async def _answer(self, request: web.Request) -> web.Response:
        reply = self.reply
        if reply.pick is not None and (picked := reply.pick(request)) is not None:
            reply = picked
        return web.Response(
            text=reply.body,
            status=reply.status,
            headers=reply.headers,
            content_type="application/json",
        )


@asynccontextmanager
async def canned() -> AsyncIterator[Canned]:
    """Serve a `Canned` server on a free local port."""
    server = Canned()
    async with serving(server.app, access_log=False) as url:
        server.url = url
        yield server


def as_json(value: Any) -> str:
    """Serialise like a provider would (NaN and Infinity as JSON allows them)."""
    return json.dumps(value, allow_nan=True, default=str)


NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


async def answered(call: Awaitable[Any]) -> Any:
    """Await a client call: its result, or None after a typed error.

    Anything but a `ProviderError` fails the test; a RateLimited's
    retry_after is bounded (1 s..48 h) or unknown.
    """
    error: ProviderError | None = None
    try:
        return await call
    except ProviderError as err:
        error = err
    retry_after = getattr(error, "retry_after", None)
    assert retry_after is None or MIN_RETRY_AFTER <= retry_after <= MAX_RETRY_AFTER
    return None
