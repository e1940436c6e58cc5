"""Property-based tests of the Digiwatt parsers and client answer handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from hypothesis import given, strategies as st
import pytest

from custom_components.gridmeter.providers.digiwatt import (
    DigiwattClient,
    Endpoint,
    Period,
)
from custom_components.gridmeter.providers.digiwatt.client import _readings
from custom_components.gridmeter.providers.digiwatt.endpoints import ENDPOINTS
from custom_components.gridmeter.providers.errors import InvalidResponse

from .fuzz import (
    NOW,
    Canned,
    Reply,
    answered,
    as_json,
    assert_plausible,
    canned,
    junk,
    mutated,
    scalars,
    truncated,
)
from .props import PROPERTY_TIMEOUT

pytestmark = [pytest.mark.timeout(PROPERTY_TIMEOUT)]

ACCOUNT = "1234567890"
instants = st.one_of(
    st.datetimes(
        min_value=datetime(2024, 1, 1),
        max_value=datetime(2027, 1, 1),
        timezones=st.timezones(),
    ).map(datetime.isoformat),
    st.sampled_from(
        [
            "9999-12-31T23:59:59-05:00",
            "0001-01-01T00:00:00+01:00",
            "2026-11-10T09:00:00",
        ]
    ),
    scalars,
)
energy = st.one_of(st.floats(0, 1e7, allow_nan=False), scalars)
appliance = st.sampled_from(["fridge", "oven", "other", "", "²"])
month = st.one_of(
    st.integers(2020, 2030).flatmap(
        lambda y: st.integers(1, 12).map(lambda m: f"{y}-{m:02d}")
    ),
    st.sampled_from(["9999-12", "0001-01", "٢٠٢٦-٠١", "2026-13"]),
    scalars,
)
span = {
    "period": st.sampled_from([*Period, "fortnight"]),
    "from": instants,
    "to": instants,
}

token = st.fixed_dictionaries(
    {},
    optional={
        "access_token": st.just("abc") | scalars,
        "token_type": st.just("Bearer") | scalars,
        "expires_in": st.just(36000) | scalars | st.floats(),
    },
)


SHAPES: dict[Endpoint, st.SearchStrategy[Any]] = {
    Endpoint.TOKEN: token,
    Endpoint.CONSUMPTION: st.fixed_dictionaries(
        {
            **span,
            "unit": st.just("W"),
            "appliances": st.lists(
                st.fixed_dictionaries(
                    {"appliance": appliance, "power": energy, "share": energy}
                ),
                max_size=4,
            ),
        }
    ),
    Endpoint.TOTALS: st.fixed_dictionaries(
        {
            **span,
            "total": energy,
            "previous": energy,
            "variation": energy,
            "appliances": st.lists(
                st.fixed_dictionaries({"appliance": appliance, "energy": energy}),
                max_size=4,
            ),
        }
    ),
    Endpoint.REALTIME: st.fixed_dictionaries({"power": energy, "timestamp": instants}),
    Endpoint.LATEST: st.fixed_dictionaries(
        {
            "step": st.sampled_from(
                ["PT15M", "PT7M", "PT0S", "P99999999999D", "PT1H", 900, 1e400]
            ),
            "values": st.lists(
                st.fixed_dictionaries({"start": instants, "power": energy}), max_size=30
            ),
        }
    ),
    Endpoint.PERFORMANCE: st.fixed_dictionaries(
        {
            **span,
            "min": energy,
            "max": energy,
            "user": energy,
            "average": energy,
            "similar_homes": energy,
        }
    ),
    Endpoint.HABITS: st.fixed_dictionaries(
        {
            **span,
            "time_of_day": st.fixed_dictionaries(
                {
                    "night": energy,
                    "morning": energy,
                    "afternoon": energy,
                    "evening": energy,
                }
            ),
            "day_type": st.fixed_dictionaries({"weekday": energy, "weekend": energy}),
        }
    ),
    Endpoint.TREND: st.fixed_dictionaries(
        {
            "months": st.lists(
                st.fixed_dictionaries(
                    {"month": month, "f1": energy, "f2": energy, "f3": energy}
                ),
                max_size=13,
            )
        }
    ),
    Endpoint.DISTRIBUTION: st.fixed_dictionaries(
        {
            "appliances": st.lists(
                st.fixed_dictionaries(
                    {"appliance": appliance, "energy": energy, "share": energy}
                ),
                max_size=4,
            )
        }
    ),
    Endpoint.COMPOUND: st.fixed_dictionaries(
        {
            "months": st.lists(
                st.fixed_dictionaries(
                    {
                        "month": month,
                        "appliances": st.lists(
                            st.fixed_dictionaries(
                                {"appliance": appliance, "energy": energy}
                            ),
                            max_size=3,
                        ),
                    }
                ),
                max_size=4,
            )
        }
    ),
    Endpoint.SAVING: st.fixed_dictionaries(
        {
            "from": instants,
            "to": instants,
            "energy": energy,
            "cost": energy,
            "co2": energy,
            "saving": st.fixed_dictionaries({"energy": energy, "cost": energy}),
        }
    ),
    Endpoint.GREENNESS: st.fixed_dictionaries(
        {
            "windows": st.lists(
                st.fixed_dictionaries(
                    {"start": instants, "stop": instants, "percentage": energy}
                ),
                max_size=4,
            )
        }
    ),
    Endpoint.CREATE_USER: st.fixed_dictionaries(
        {
            "account_number": st.just(ACCOUNT) | scalars,
            "pod": st.just("IT001E12345678") | scalars,
            "company_code": st.just("ACME") | scalars,
            "onboarded": st.booleans() | scalars,
            "created_at": instants,
        }
    ),
    Endpoint.ONBOARDING: st.fixed_dictionaries(
        {
            "house": st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["apartment", "castle"]),
                    "dimesion": st.integers(0, 300) | scalars,
                    "province": st.sampled_from(["RM", "rm", "R²"]),
                }
            ),
            "residents": st.fixed_dictionaries(
                {
                    "adults": st.integers(0, 4) | scalars,
                    "children": scalars,
                    "elderlies": st.just(0),
                }
            ),
            "appliances": st.lists(
                st.fixed_dictionaries(
                    {"appliance": appliance, "quantity": st.integers(0, 3) | scalars}
                ),
                max_size=3,
            ),
        }
    ),
    Endpoint.DELETE_USER: junk(),
}


def envelopes(data: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    wrapped = st.builds(
        lambda d, s: {"status": s, "data": d},
        st.one_of(data, data.flatmap(mutated)),
        st.just(200) | scalars,
    )
    return st.one_of(wrapped, wrapped.flatmap(mutated), junk())


@pytest.mark.parametrize("endpoint", sorted(SHAPES, key=str))
@given(data=st.data(), enveloped=st.booleans())
def test_answers(endpoint: Endpoint, data: st.DataObject, enveloped: bool) -> None:
    """Each endpoint's parser, on its `data` or through `_read` (decode,
    envelope, parse) of a whole answer text: a plausible model or
    InvalidResponse.
    """
    route = ENDPOINTS[endpoint]
    try:
        if enveloped:
            text = data.draw(envelopes(SHAPES[endpoint]).map(as_json))
            text = data.draw(st.just(text) | truncated(text) | st.just("[" * 200))
            result = DigiwattClient._read(route, text, Period.THIS_WEEK)
        else:
            shape = SHAPES[endpoint]
            body = data.draw(st.one_of(shape, shape.flatmap(mutated), junk()))
            result = route.parse(body, Period.THIS_WEEK)
        if endpoint is Endpoint.LATEST:
            assert 3600 % result.step.total_seconds() == 0
            assert len(result.points) <= 6 * 3600 / result.step.total_seconds()
            result = _readings(result, "pod")
    except InvalidResponse:
        return
    assert_plausible(result)


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


def client_for(server: Canned, session: aiohttp.ClientSession) -> DigiwattClient:
    return DigiwattClient(
        session, "id", "secret", base_url=server.url, timeout=10, clock=lambda: NOW
    )


CALLS: dict[Endpoint, Callable[[DigiwattClient], Coroutine[Any, Any, Any]]] = {
    Endpoint.CONSUMPTION: lambda c: c.async_get_appliances(ACCOUNT, Period.THIS_WEEK),
    Endpoint.TOTALS: lambda c: c.async_get_totals(ACCOUNT, Period.LAST_MONTH),
    Endpoint.REALTIME: lambda c: c.async_get_realtime(ACCOUNT),
    Endpoint.LATEST: lambda c: c.async_get_latest(ACCOUNT, meter_id="pod"),
    Endpoint.PERFORMANCE: lambda c: c.async_get_performance(ACCOUNT, Period.YESTERDAY),
    Endpoint.HABITS: lambda c: c.async_get_habits(ACCOUNT, Period.THIS_MONTH),
    Endpoint.TREND: lambda c: c.async_get_trend(ACCOUNT),
    Endpoint.DISTRIBUTION: lambda c: c.async_get_distribution(ACCOUNT),
    Endpoint.COMPOUND: lambda c: c.async_get_compound(ACCOUNT),
    Endpoint.SAVING: lambda c: c.async_get_saving(ACCOUNT),
    Endpoint.GREENNESS: lambda c: c.async_get_greenness(),
    Endpoint.CREATE_USER: lambda c: c.async_create_user(
        "IT001E12345678", ACCOUNT, "ACME"
    ),
    Endpoint.DELETE_USER: lambda c: c.async_delete_user(ACCOUNT),
}


@given(
    endpoint=st.sampled_from(sorted(CALLS, key=str)),
    data=st.data(),
    status=st.sampled_from(
        [200, 200, 200, 201, 304, 400, 401, 403, 404, 409, 429, 500]
    ),
    retry=st.none()
    | st.sampled_from(["NaN", "1e999", "0", "-5", "Fri, 31 Dec 9999 23:59:59 GMT"]),
    token_body=st.one_of(
        st.just({"access_token": "abc", "expires_in": 36000}), token, junk()
    ),
)
async def test_client_calls_over_http(
    server: Canned,
    session: aiohttp.ClientSession,
    endpoint: Endpoint,
    data: st.DataObject,
    status: int,
    retry: str | None,
    token_body: Any,
) -> None:
    """Any client call, token and status: a plausible model or a typed error."""
    text = data.draw(envelopes(SHAPES[endpoint]).map(as_json))
    token_text = as_json(token_body)

    def pick(request: web.Request) -> Reply | None:
        return Reply(body=token_text) if request.path.endswith("/auth/token") else None

    headers = {} if retry is None else {"Retry-After": retry}
    server.reply = Reply(body=text, status=status, headers=headers, pick=pick)
    client = client_for(server, session)
    result = await answered(CALLS[endpoint](client))
    if result is None:
        return
    assert_plausible(result)
    expires = client.token_expires
    assert expires is not None and NOW < expires <= NOW + timedelta(days=1)
