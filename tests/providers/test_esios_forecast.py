"""Peninsular forecasts from the ESIOS client (token) against the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest

from custom_components.gridmeter.providers.errors import AuthError, RequestRejected
from custom_components.gridmeter.providers.esios import (
    FORECAST_SYSTEMS,
    ElectricSystem,
    local_hours,
)
from custom_components.gridmeter.providers.esios.systems import MADRID
from custom_components.gridmeter.providers.signals import SignalBasis
from simulator.esios import forecast_mix

from ..esios_sim import RunningEsios, running_esios

NOW = datetime(2026, 10, 24, 10, 0, tzinfo=UTC)
"""Saturday morning; tomorrow is the 25-hour day."""
TODAY, TOMORROW = date(2026, 10, 24), date(2026, 10, 25)

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def esios() -> AsyncIterator[RunningEsios]:
    """An ESIOS simulator frozen at NOW."""
    async with running_esios(NOW) as running:
        yield running


async def test_today_and_tomorrow_equal_the_truth(esios: RunningEsios) -> None:
    """24 + 25 forecast hours, four requests, each hour the simulator's."""
    client = esios.token_client()
    forecast = await client.fetch_forecast(ElectricSystem.PENINSULAR, TODAY, TOMORROW)
    hours = local_hours(TODAY, MADRID) + local_hours(TOMORROW, MADRID)
    assert [row.start for row in forecast.rows] == list(hours)
    assert len(forecast.rows) == 49
    assert forecast.requests == 4 == esios.sim.count()
    assert forecast.rejected == 0
    for row in forecast.rows:
        renewable, total = forecast_mix(esios.sim, row.start)
        assert row.basis is SignalBasis.FORECAST
        assert row.renewable_mw == pytest.approx(renewable, abs=1e-6)
        assert row.total_mw == pytest.approx(total, abs=1e-6)
    shares = {
        row.start.astimezone(MADRID).hour: row.renewable_share for row in forecast.rows
    }
    assert shares[14] is not None and shares[3] is not None
    assert {entry.path for entry in esios.sim.requests} == {
        "/indicators/541",
        "/indicators/542",
        "/indicators/543",
        "/indicators/460",
    }


async def test_beyond_the_horizon_is_not_known(esios: RunningEsios) -> None:
    """The day after tomorrow has no forecast yet: no row, nothing guessed."""
    client = esios.token_client()
    later = await client.fetch_forecast(
        ElectricSystem.PENINSULAR, date(2026, 10, 26), date(2026, 10, 26)
    )
    assert later.rows == ()
    assert later.rejected == 0


async def test_an_hour_missing_in_one_series_is_left_out(esios: RunningEsios) -> None:
    """If one of the four series lacks an hour, that hour is not returned."""
    client = esios.token_client()
    esios.sim.fail_next("543", 200, body={"indicator": {"values": []}})
    forecast = await client.fetch_forecast(ElectricSystem.PENINSULAR, TODAY, TODAY)
    assert forecast.rows == ()
    assert forecast.rejected == 24


async def test_forecasts_need_a_token_and_the_peninsula(esios: RunningEsios) -> None:
    """No token, another system or a bad range: refused before sending."""
    assert frozenset({ElectricSystem.PENINSULAR}) == FORECAST_SYSTEMS
    with pytest.raises(RequestRejected, match="token"):
        await esios.client().fetch_forecast(ElectricSystem.PENINSULAR, TODAY, TODAY)
    for system in set(ElectricSystem) - FORECAST_SYSTEMS:
        with pytest.raises(RequestRejected, match="no forecast"):
            await esios.token_client().fetch_forecast(system, TODAY, TODAY)
    with pytest.raises(RequestRejected):
        await esios.token_client().fetch_forecast(
            ElectricSystem.PENINSULAR, TOMORROW, TODAY
        )
    assert esios.sim.count() == 0


async def test_bad_token_is_an_auth_error(esios: RunningEsios) -> None:
    """A token ESIOS does not know: AuthError (the options flow asks again)."""
    client = esios.client(token="wrong")
    with pytest.raises(AuthError):
        await client.fetch_forecast(ElectricSystem.PENINSULAR, TODAY, TODAY)
