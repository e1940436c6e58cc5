"""The RTE portal simulator: OAuth2, forecast formats, EcoWatt rules over HTTP."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from simulator.__main__ import PROVIDERS, build_parser
from simulator.odre import slot
from simulator.rte import (
    CONSUMPTION_PATH,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    ECOWATT_PATH,
    FORECASTS_ONLY_CLIENT_ID,
    FORECASTS_ONLY_CLIENT_SECRET,
    GENERATION_PATH,
    TOKEN_PATH,
    RteSimulator,
    ecowatt_level,
    generation,
)

from .rte_sim import RunningRte, running_rte

NOW = datetime(2026, 1, 22, 9, 0, tzinfo=UTC)
SPAN = {
    "start_date": "2026-01-22T00:00:00+01:00",
    "end_date": "2026-01-23T00:00:00+01:00",
}

pytestmark = pytest.mark.usefixtures("socket_enabled")


def basic(client_id: str, secret: str) -> dict[str, str]:
    pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


async def token(
    running: RunningRte,
    client_id: str = DEMO_CLIENT_ID,
    secret: str = DEMO_CLIENT_SECRET,
) -> str:
    async with running.session.post(
        running.url + TOKEN_PATH, headers=basic(client_id, secret)
    ) as response:
        body = await response.json()
        assert response.status == 200, body
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 7200
        return str(body["access_token"])


async def get(
    running: RunningRte, path: str, bearer: str | None, **query: str
) -> tuple[int, Any, dict[str, str]]:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    async with running.session.get(
        running.url + path, params=query, headers=headers
    ) as response:
        return response.status, await response.json(), dict(response.headers)


async def test_token_endpoint() -> None:
    """Basic or form credentials; wrong ones answer 401 invalid_client."""
    async with running_rte(NOW) as running:
        assert await token(running)
        async with running.session.post(
            running.url + TOKEN_PATH,
            data={
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "grant_type": "client_credentials",
            },
        ) as response:
            assert response.status == 200
        for headers in (
            basic(DEMO_CLIENT_ID, "wrong"),
            {"Authorization": "Basic !!!"},
            {},
        ):
            async with running.session.post(
                running.url + TOKEN_PATH, headers=headers
            ) as response:
                assert response.status == 401
                assert (await response.json())["error"] == "invalid_client"
        assert running.sim.tokens_issued == 2


async def test_tokens_expire_and_are_checked() -> None:
    """No token, an unknown or an expired one: 401 invalid_token."""
    async with running_rte(NOW) as running:
        bearer = await token(running)
        query = {"type": "D-1", **SPAN}
        assert (await get(running, CONSUMPTION_PATH, bearer, **query))[0] == 200
        for other in (None, "nope"):
            status, body, _ = await get(running, CONSUMPTION_PATH, other, **query)
            assert (status, body["error"]) == (401, "invalid_token")
        running.sim.clock.advance(timedelta(seconds=7200))
        assert (await get(running, CONSUMPTION_PATH, bearer, **query))[0] == 401


async def test_generation_forecast_format() -> None:
    """15-minute D-1 values in Paris time, one series per production type."""
    async with running_rte(NOW) as running:
        bearer = await token(running)
        status, body, _ = await get(
            running,
            GENERATION_PATH,
            bearer,
            production_type="SOLAR,WIND_ONSHORE",
            type="D-1",
            **SPAN,
        )
        assert status == 200
        assert [s["production_type"] for s in body["forecasts"]] == [
            "SOLAR",
            "WIND_ONSHORE",
        ]
        values = body["forecasts"][1]["values"]
        assert len(values) == 96
        assert values[0] == {
            "start_date": "2026-01-22T00:00:00+01:00",
            "end_date": "2026-01-22T00:15:00+01:00",
            "updated_date": "2026-01-21T18:00:00+01:00",
            "value": generation(
                "WIND_ONSHORE", datetime(2026, 1, 21, 23, 0, tzinfo=UTC)
            ),
        }
        measured = slot(datetime(2026, 1, 21, 23, 0, tzinfo=UTC)).eolien_terrestre
        assert abs(values[0]["value"] - measured) <= 0.12 * measured


async def test_consumption_forecast_format() -> None:
    """30-minute D-1 values; tomorrow's only after 18:00 Paris."""
    async with running_rte(NOW) as running:
        bearer = await token(running)
        two_days = {
            "start_date": SPAN["start_date"],
            "end_date": "2026-01-24T00:00:00+01:00",
        }
        _, body, _ = await get(
            running, CONSUMPTION_PATH, bearer, type="D-1", **two_days
        )
        (series,) = body["short_term"]
        assert series["type"] == "D-1"
        assert len(series["values"]) == 48
        running.sim.clock.set(running.sim.published_at(date(2026, 1, 23)))
        bearer = await token(running)  # the first one has expired meanwhile
        _, body, _ = await get(
            running, CONSUMPTION_PATH, bearer, type="D-1", **two_days
        )
        assert len(body["short_term"][0]["values"]) == 96


@pytest.mark.parametrize(
    "query",
    [
        {"type": "ID", **SPAN},
        {
            "type": "D-1",
            "start_date": "2026-01-22T00:00:00",
            "end_date": SPAN["end_date"],
        },
        {"type": "D-1", "start_date": SPAN["end_date"], "end_date": SPAN["start_date"]},
        {"type": "D-1"},
        {"type": "D-1", "production_type": "NUCLEAR", **SPAN},
    ],
)
async def test_forecast_parameters_are_checked(query: dict[str, str]) -> None:
    """Bad types, dates or production types answer 400 with RTE's error body."""
    async with running_rte(NOW) as running:
        bearer = await token(running)
        query = {"production_type": "SOLAR", **query}
        status, body, _ = await get(running, GENERATION_PATH, bearer, **query)
        assert status == 400
        assert {"error", "error_description", "error_details"} <= set(body)


async def test_unpublished_range_is_404() -> None:
    """A range without any published value: 404."""
    async with running_rte(NOW) as running:
        bearer = await token(running)
        later = {
            "start_date": "2026-01-24T00:00:00+01:00",
            "end_date": "2026-01-25T00:00:00+01:00",
        }
        for path in (GENERATION_PATH, CONSUMPTION_PATH):
            status, _, _ = await get(
                running, path, bearer, production_type="SOLAR", type="D-1", **later
            )
            assert status == 404


async def test_ecowatt_signals_and_rate_limit() -> None:
    """Four days of 24 hours; a second call within 15 minutes is 429."""
    async with running_rte(NOW) as running:
        bearer = await token(running)
        status, body, _ = await get(running, ECOWATT_PATH, bearer)
        assert status == 200
        signals = body["signals"]
        assert [s["jour"] for s in signals] == [
            f"2026-01-{day}T00:00:00+01:00" for day in (22, 23, 24, 25)
        ]
        assert signals[0]["GenerationFichier"] == "2026-01-21T17:00:00+01:00"
        for signal in signals:
            day = date.fromisoformat(signal["jour"][:10])
            levels = [item["hvalue"] for item in signal["values"]]
            assert levels == [ecowatt_level(day, hour) for hour in range(24)]
            assert signal["dvalue"] == max(1, *levels)
            assert signal["message"]
        assert max(s["dvalue"] for s in signals) == 3  # a red day this week
        status, body, headers = await get(running, ECOWATT_PATH, bearer)
        assert (status, headers["Retry-After"]) == (429, "901")
        running.sim.enforce_ecowatt_interval = False
        assert (await get(running, ECOWATT_PATH, bearer))[0] == 200


async def test_subscriptions() -> None:
    """An application not subscribed to EcoWatt gets 403."""
    async with running_rte(NOW) as running:
        bearer = await token(
            running, FORECASTS_ONLY_CLIENT_ID, FORECASTS_ONLY_CLIENT_SECRET
        )
        status, body, _ = await get(running, ECOWATT_PATH, bearer)
        assert (status, body["error"]) == (403, "APP_NOT_SUBSCRIBED")


async def test_controls_over_http() -> None:
    """Token lifetime, expiry and publication time through /_sim/faults."""
    async with running_rte(NOW) as running:
        bearer = await token(running)
        actions = [
            {"action": "token_lifetime", "seconds": 60},
            {"action": "expire_tokens"},
            {"action": "publication", "time": "09:00"},
        ]
        async with running.session.post(
            running.url + "/_sim/faults", json=actions
        ) as response:
            assert response.status == 200
        assert (await get(running, ECOWATT_PATH, bearer))[0] == 401
        async with running.session.get(running.url + "/_sim/faults") as response:
            faults = await response.json()
        assert (faults["token_lifetime"], faults["publication"]) == (60, "09:00:00")
        assert running.sim.is_published(date(2026, 1, 23))  # 09:00 Paris has passed
        running.sim.reset()
        assert running.sim.tokens_issued == 0


async def test_failure_bodies() -> None:
    """Injected failures carry RTE's error body; 429 says when to retry."""
    async with running_rte(NOW) as running:
        bearer = await token(running)
        for status in (401, 429, 500, 400):
            running.sim.fail_next("signals", status)
            got, body, headers = await get(running, ECOWATT_PATH, bearer)
            assert got == status
            assert "error_description" in body
            if status == 429:
                assert headers["Retry-After"] == "900"


def test_registered_in_the_runner() -> None:
    """``python -m simulator rte`` builds this simulator."""
    args = build_parser().parse_args(["rte"])
    simulator = PROVIDERS["rte"].factory(args)
    assert isinstance(simulator, RteSimulator)
    assert DEMO_CLIENT_SECRET in simulator.describe("http://127.0.0.1:8976")
