"""Green windows for Spanish and French homes, from their national grids.

Datadis entries read Red Eléctrica's real-time simulator (and, with a token,
ESIOS forecasts); France's grid source reads éCO2mix, Tempo and the RTE data
portal simulators. Every expectation is the rule (`green_rule`) applied to
what the simulators serve, fetched again here with the plain clients.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.gridmeter.const import (
    CONF_BASE_URL,
    CONF_ESIOS_TOKEN,
    CONF_GREEN,
    CONF_GREEN_MIN_HOURS,
    CONF_GREEN_THRESHOLD,
    CONF_PROVIDER,
    CONF_SOURCE_URLS,
    DOMAIN,
)
from custom_components.gridmeter.diagnostics import async_get_config_entry_diagnostics
from custom_components.gridmeter.green import current_window
from custom_components.gridmeter.green_rule import (
    GreenOptions,
    GridShares,
    green_windows as rule_windows,
)
from custom_components.gridmeter.grid_sources import GridSignalSource
from custom_components.gridmeter.grid_systems import GridSystem, grid_system_for
from custom_components.gridmeter.pricing import Country
from custom_components.gridmeter.providers.esios import ElectricSystem, EsiosClient
from custom_components.gridmeter.providers.ree_demanda import ReeDemandaClient
from custom_components.gridmeter.providers.signals import GridMix
from custom_components.gridmeter.sources import (
    DATA_SOURCES,
    async_acquire,
    async_release,
    shared_sources,
)
from simulator.common import serving
from simulator.esios import DEMO_TOKEN, EsiosSimulator
from simulator.ree_demanda import ReeDemandaSimulator

from .conftest import NO_GRID, NOW, setup_entry, submit_options
from .datadis_sim import CANARY, CEUTA, FLAT, PASSWORD, SOLAR, RunningSim
from .test_datadis_sync import (  # noqa: F401 - fixtures
    flat_only,
    short_history,
    with_options,
)

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations"),
]

CANARY_ZONE = ZoneInfo("Atlantic/Canary")
MADRID = ZoneInfo("Europe/Madrid")
FLAT_METER = FLAT[:20]
REE_PENINSULA = "demandaGeneracionPeninsula"


@dataclass
class Grid:
    """The grid simulators of a test: REE real-time and ESIOS."""

    ree: ReeDemandaSimulator
    ree_url: str
    esios: EsiosSimulator
    esios_url: str
    session: aiohttp.ClientSession

    @property
    def urls(self) -> dict[str, str]:
        return {"ree_demanda": self.ree_url, "esios": self.esios_url}

    async def measured(self, system: ElectricSystem, now: datetime) -> list[GridMix]:
        """What REE serves for the 8 local days up to today (a plain client)."""
        client = ReeDemandaClient(self.session, base_url=self.ree_url)
        zone = CANARY_ZONE if system is ElectricSystem.CANARIAS else MADRID
        today = now.astimezone(zone).date()
        rows: dict[datetime, GridMix] = {}
        for back in range(7, -1, -1):
            answer = await client.fetch_mix(system, today - timedelta(days=back))
            rows.update((row.start, row) for row in answer.rows)
        return list(rows.values())

    async def forecast(self, now: datetime) -> list[GridMix]:
        client = EsiosClient(self.session, token=DEMO_TOKEN, base_url=self.esios_url)
        today = now.astimezone(MADRID).date()
        answer = await client.fetch_forecast(
            ElectricSystem.PENINSULAR, today, today + timedelta(days=1)
        )
        return list(answer.rows)


@pytest.fixture
async def grid(socket_enabled: None) -> AsyncIterator[Grid]:
    """REE and ESIOS simulators on local ports, on the (frozen) system clock."""
    ree, esios = ReeDemandaSimulator(), EsiosSimulator()
    async with (
        serving(ree.app, access_log=False) as ree_url,
        serving(esios.app, access_log=False) as esios_url,
        aiohttp.ClientSession() as session,
    ):
        yield Grid(ree, ree_url, esios, esios_url, session)


def on_grid(entry: MockConfigEntry, grid: Grid, **options: Any) -> MockConfigEntry:
    """The entry reading the grid simulators, with these options added."""
    return MockConfigEntry(
        domain=entry.domain,
        title=entry.title,
        unique_id=entry.unique_id,
        data={**entry.data, CONF_SOURCE_URLS: grid.urls},
        options={**entry.options, **options},
    )


def ree_requests(grid: Grid) -> int:
    return grid.ree.count(REE_PENINSULA)


def entity_id(
    entity_registry: er.EntityRegistry, platform: str, meter: str, key: str
) -> str:
    found = entity_registry.async_get_entity_id(
        platform, DOMAIN, f"datadis_{meter}_{key}".lower()
    )
    assert found, (platform, key)
    return found


# -- which grid a supply is on --------------------------------------------------


@pytest.mark.parametrize(
    ("country", "province", "postal", "expected"),
    [
        (Country.SPAIN, "28", "28001", GridSystem.ES_PENINSULAR),
        (Country.SPAIN, "35", None, GridSystem.ES_CANARIAS),
        (Country.SPAIN, "38", "", GridSystem.ES_CANARIAS),
        (Country.SPAIN, "7", None, GridSystem.ES_BALEARES),
        (Country.SPAIN, "07", None, GridSystem.ES_BALEARES),
        (Country.SPAIN, "51", None, GridSystem.ES_CEUTA),
        (Country.SPAIN, "52", None, GridSystem.ES_MELILLA),
        (Country.SPAIN, None, "38001", GridSystem.ES_CANARIAS),
        (Country.SPAIN, "", "07800", GridSystem.ES_BALEARES),
        (Country.SPAIN, "99", "41001", GridSystem.ES_PENINSULAR),
        (Country.SPAIN, None, None, None),
        (Country.SPAIN, "xx", "1234", None),
        (Country.FRANCE, None, "69003", GridSystem.FR),
        (Country.ITALY, "RM", "00100", None),
        (None, "28", "28001", None),
    ],
)
def test_grid_system_for(
    country: Country | None,
    province: str | None,
    postal: str | None,
    expected: GridSystem | None,
) -> None:
    """Province first, postal code second; France is one grid."""
    assert grid_system_for(country, province, postal) is expected


def test_grid_system_keys() -> None:
    assert GridSystem.ES_CANARIAS.key == "grid:es_canarias"
    assert GridSystem.ES_CANARIAS.timezone == "Atlantic/Canary"
    assert GridSystem.ES_CEUTA.timezone == "Africa/Ceuta"
    assert GridSystem.FR.timezone == "Europe/Paris"
    assert GridSystem.FR.electric_system is None


# -- Spain: estimates from the last 7 days ----------------------------------------


async def test_spanish_windows_from_estimates(
    hass: HomeAssistant,
    datadis: RunningSim,
    grid: Grid,
    flat_only: MockConfigEntry,  # noqa: F811
    entity_registry: er.EntityRegistry,
) -> None:
    """Without a token the windows are the rule applied to REE's last 7 days,
    labelled as estimates in the calendar and the sensors.
    """
    entry = on_grid(flat_only, grid)
    await setup_entry(hass, entry)
    assert ree_requests(grid) == 8  # 7 past days and today, once

    now = dt_util.utcnow()
    shares = GridShares.from_mix(
        await grid.measured(ElectricSystem.PENINSULAR, now), "Europe/Madrid"
    )
    expected = rule_windows(shares, now, GreenOptions())
    meter = entry.runtime_data.coordinator.data.meters[FLAT_METER]
    assert expected
    assert meter.green_windows == expected
    assert all(w.basis == "estimate" for w in expected)
    assert meter.grid is not None
    assert dict(meter.grid.shares.measured) == dict(shares.measured)

    share = hass.states.get(
        entity_id(entity_registry, "sensor", FLAT_METER, "renewable_share")
    )
    assert share is not None
    now_share = shares.share_at(now)
    assert now_share is not None and now_share.basis.value == "estimate"
    assert float(share.state) == round(now_share.share * 100, 1)
    assert share.attributes["basis"] == "estimate"

    start = hass.states.get(
        entity_id(entity_registry, "sensor", FLAT_METER, "next_green_window_start")
    )
    assert start is not None
    assert start.state == expected[0].start.isoformat()
    assert start.attributes["basis"] == "estimate"

    calendar = entity_id(entity_registry, "calendar", FLAT_METER, "green_windows")
    response = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": calendar, "start_date_time": now, "duration": {"hours": 30}},
        blocking=True,
        return_response=True,
    )
    events = response[calendar]["events"]  # type: ignore[index]
    assert len(events) == len(expected)
    for event, window in zip(events, expected, strict=True):
        share_text = f"{window.renewable_share:.0%}"
        assert event["summary"] == f"Green window · {share_text} renewable · estimate"
    # No carbon intensity for Spain (REE's real-time service gives none).
    assert (
        entity_registry.async_get_entity_id(
            "sensor", DOMAIN, f"datadis_{FLAT_METER}_carbon_intensity".lower()
        )
        is None
    )


async def test_spanish_windows_with_forecasts(
    hass: HomeAssistant,
    datadis: RunningSim,
    grid: Grid,
    flat_only: MockConfigEntry,  # noqa: F811
) -> None:
    """With an ESIOS token the coming hours are ESIOS's forecasts."""
    entry = on_grid(flat_only, grid, **{CONF_ESIOS_TOKEN: DEMO_TOKEN})
    await setup_entry(hass, entry)
    # Four ESIOS series, once.
    series = [f"/indicators/{i}" for i in (541, 542, 543, 460)]
    assert [grid.esios.count(path) for path in series] == [1, 1, 1, 1]
    now = dt_util.utcnow()
    rows = await grid.measured(ElectricSystem.PENINSULAR, now)
    rows += await grid.forecast(now)
    shares = GridShares.from_mix(rows, "Europe/Madrid")
    expected = rule_windows(shares, now, GreenOptions())
    meter = entry.runtime_data.coordinator.data.meters[FLAT_METER]
    assert expected
    assert meter.green_windows == expected
    assert meter.grid is not None and meter.grid.forecasts
    share = meter.grid.shares.share_at(now)
    assert share is not None and share.basis.value == "forecast"
    assert {w.basis for w in expected} <= {"forecast", "measured"}


async def test_options_change_threshold_and_length(
    hass: HomeAssistant,
    datadis: RunningSim,
    grid: Grid,
    flat_only: MockConfigEntry,  # noqa: F811
) -> None:
    """The user's threshold and minimum length go into the rule; off is off."""
    entry = on_grid(
        flat_only, grid, **{CONF_GREEN_THRESHOLD: 30, CONF_GREEN_MIN_HOURS: 3}
    )
    await setup_entry(hass, entry)
    now = dt_util.utcnow()
    shares = GridShares.from_mix(
        await grid.measured(ElectricSystem.PENINSULAR, now), "Europe/Madrid"
    )
    expected = rule_windows(shares, now, GreenOptions(threshold=0.3, min_hours=3))
    assert (
        entry.runtime_data.coordinator.data.meters[FLAT_METER].green_windows == expected
    )
    assert all(w.end - w.start >= timedelta(hours=3) for w in expected)


async def test_green_windows_off(
    hass: HomeAssistant,
    datadis: RunningSim,
    grid: Grid,
    flat_only: MockConfigEntry,  # noqa: F811
) -> None:
    entry = on_grid(flat_only, grid, **{CONF_GREEN: False})
    await setup_entry(hass, entry)
    assert entry.runtime_data.coordinator.data.meters[FLAT_METER].green_windows is None
    assert ree_requests(grid) == 0
    assert "grid:es_peninsular" not in shared_sources(hass)


# -- one fetch per grid, whatever the number of entries ----------------------------


def account(datadis: RunningSim, username: str) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Datadis {username[-4:]}",
        unique_id=username,
        data={
            CONF_PROVIDER: "datadis",
            CONF_USERNAME: username,
            CONF_PASSWORD: PASSWORD,
            CONF_BASE_URL: datadis.url,
        },
    )


async def test_two_entries_share_one_fetch(
    hass: HomeAssistant,
    datadis: RunningSim,
    grid: Grid,
    flat_only: MockConfigEntry,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    """Two peninsular accounts (Madrid, Sevilla): one source, one set of requests."""
    first = on_grid(flat_only, grid)
    second = on_grid(account(datadis, "X1234567L"), grid)
    await setup_entry(hass, first)
    await setup_entry(hass, second)
    assert shared_sources(hass)["grid:es_peninsular"] == 2
    assert ree_requests(grid) == 8
    solar = second.runtime_data.coordinator.data.meters[SOLAR[:20]]
    flat = first.runtime_data.coordinator.data.meters[FLAT_METER]
    assert solar.green_windows
    assert solar.green_windows == flat.green_windows
    # The next hour: one request for both.
    moment = dt_util.utcnow().replace(minute=6, second=0) + timedelta(hours=1)
    freezer.move_to(moment)
    async_fire_time_changed(hass, moment)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert ree_requests(grid) == 9
    # The last one out stops it.
    await hass.config_entries.async_unload(first.entry_id)
    assert shared_sources(hass)["grid:es_peninsular"] == 1
    await hass.config_entries.async_unload(second.entry_id)
    assert "grid:es_peninsular" not in shared_sources(hass)


async def test_canary_supply_follows_the_canary_grid(
    hass: HomeAssistant,
    datadis: RunningSim,
    grid: Grid,
    short_history: None,  # noqa: F811
) -> None:
    """The Las Palmas flat reads the Canary system, by Canary clock hours;
    the Ceuta flat of the same account reads Ceuta's.
    """
    entry = on_grid(account(datadis, "87654321X"), grid)
    await setup_entry(hass, entry)
    sources = shared_sources(hass)
    assert sources["grid:es_canarias"] == 1
    assert sources["grid:es_ceuta"] == 1
    assert "grid:es_peninsular" not in sources
    assert grid.ree.count("demandaGeneracionCanarias") == 8
    now = dt_util.utcnow()
    shares = GridShares.from_mix(
        await grid.measured(ElectricSystem.CANARIAS, now), "Atlantic/Canary"
    )
    expected = rule_windows(shares, now, GreenOptions())
    meters = entry.runtime_data.coordinator.data.meters
    canary = meters[CANARY[:20]]
    assert expected
    assert canary.green_windows == expected
    assert canary.grid is not None
    assert canary.grid.system is GridSystem.ES_CANARIAS
    ceuta = meters[CEUTA[:20]]
    assert ceuta.grid is not None and ceuta.grid.system is GridSystem.ES_CEUTA
    assert ceuta.green_windows != canary.green_windows


# -- entities at the boundaries, failures, restarts --------------------------------


async def test_binary_sensor_flips_at_boundaries(
    hass: HomeAssistant,
    datadis: RunningSim,
    grid: Grid,
    flat_only: MockConfigEntry,  # noqa: F811
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """On from a window's first second to its end, off outside; the windows
    are recomputed every hour (the horizon moves on, new hours arrive).
    """
    entry = on_grid(flat_only, grid)
    await setup_entry(hass, entry)
    binary = entity_id(entity_registry, "binary_sensor", FLAT_METER, "in_green_window")
    coordinator = entry.runtime_data.coordinator

    def windows() -> tuple[Any, ...]:
        return coordinator.data.meters[FLAT_METER].green_windows or ()

    async def at(moment: datetime) -> str:
        freezer.move_to(moment)
        async_fire_time_changed(hass, moment)
        await hass.async_block_till_done(wait_background_tasks=True)
        state = hass.states.get(binary)
        assert state is not None
        expected = current_window(windows(), moment) is not None
        assert state.state == ("on" if expected else "off"), moment
        return state.state

    # A window at the end of the horizon may grow as the horizon moves on,
    # and tomorrow's estimates move as today's hours are measured: at every
    # edge the state is the windows' own; it must have turned on and off.
    flips: set[tuple[str, str]] = set()
    now = dt_util.utcnow()
    for _ in range(6):
        upcoming = [w for w in windows() if w.end > now]
        assert upcoming
        window = upcoming[0]
        edge = window.start if window.start > now else window.end
        before = await at(edge - timedelta(seconds=1))
        after = await at(edge)
        if before != after:
            flips.add((before, after))
        now = edge
    assert flips == {("off", "on"), ("on", "off")}
    requests = ree_requests(grid)
    assert requests <= 8 + int((now - NOW).total_seconds() // 3600) + 1


async def test_failure_keeps_known_windows(
    hass: HomeAssistant,
    datadis: RunningSim,
    grid: Grid,
    flat_only: MockConfigEntry,  # noqa: F811
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """REE down for hours: the windows stay (from what is stored), entities
    stay available; the next answer fills the gap.
    """
    entry = on_grid(flat_only, grid)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    meter = coordinator.data.meters[FLAT_METER]
    assert meter.grid is not None
    measured = dict(meter.grid.shares.measured)
    grid.ree.fail_next(REE_PENINSULA, 503, times=3)
    for hours in (1, 2, 3):
        moment = NOW.replace(minute=6) + timedelta(hours=hours)
        freezer.move_to(moment)
        async_fire_time_changed(hass, moment)
        await hass.async_block_till_done(wait_background_tasks=True)
        meter = coordinator.data.meters[FLAT_METER]
        assert meter.grid is not None
        assert dict(meter.grid.shares.measured) == measured
        assert meter.green_windows == meter.grid.windows(moment, GreenOptions())
        assert meter.green_windows
        state = hass.states.get(
            entity_id(entity_registry, "binary_sensor", FLAT_METER, "in_green_window")
        )
        assert state is not None and state.state in ("on", "off")
    moment = NOW.replace(minute=6) + timedelta(hours=4)
    freezer.move_to(moment)
    async_fire_time_changed(hass, moment)
    await hass.async_block_till_done(wait_background_tasks=True)
    meter = coordinator.data.meters[FLAT_METER]
    assert meter.grid is not None
    assert len(meter.grid.shares.measured) > len(measured)


async def test_restart_sends_nothing_within_the_hour(
    hass: HomeAssistant,
    datadis: RunningSim,
    grid: Grid,
    flat_only: MockConfigEntry,  # noqa: F811
) -> None:
    """What was read is stored: a reload within the hour asks REE nothing."""
    entry = on_grid(flat_only, grid)
    await setup_entry(hass, entry)
    assert ree_requests(grid) == 8
    windows = entry.runtime_data.coordinator.data.meters[FLAT_METER].green_windows
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert ree_requests(grid) == 8
    meter = entry.runtime_data.coordinator.data.meters[FLAT_METER]
    assert meter.green_windows == windows


# -- a DST day, at the source -------------------------------------------------------

AUTUMN = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)
"""Horizon over the night Madrid's clocks go back (25 October 2026, 03:00 → 02:00)."""
SPRING = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize("now", [AUTUMN, SPRING])
async def test_dst_windows_at_the_source(
    hass: HomeAssistant,
    grid: Grid,
    freezer: FrozenDateTimeFactory,
    now: datetime,
) -> None:
    """Across the changes of time, estimates by Madrid clock hour (the rule)."""
    freezer.move_to(now)
    source = await async_acquire(
        hass,
        GridSystem.ES_PENINSULAR.key,
        "test",
        lambda: GridSignalSource(hass, GridSystem.ES_PENINSULAR, urls=grid.urls),
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    shares = GridShares.from_mix(
        await grid.measured(ElectricSystem.PENINSULAR, now), "Europe/Madrid"
    )
    expected = rule_windows(shares, now, GreenOptions())
    assert expected
    assert source.data.windows(now) == expected
    hours = {now + timedelta(hours=n) for n in range(24)}
    assert all(shares.share_at(h) is not None for h in hours)
    await async_release(hass, GridSystem.ES_PENINSULAR.key, "test")


# -- options: the ESIOS token is checked when entered -------------------------------


async def test_datadis_options_check_the_esios_token(
    hass: HomeAssistant,
    datadis: RunningSim,
    grid: Grid,
    flat_only: MockConfigEntry,  # noqa: F811
) -> None:
    """A wrong token, ESIOS down: translated errors; the right one is kept
    (trimmed) and brings forecasts; diagnostics never show it.
    """
    entry = on_grid(flat_only, grid)
    await setup_entry(hass, entry)
    base = {
        "refresh_time": "06:45:00",
        "supplies": [FLAT_METER],
        CONF_GREEN: True,
        CONF_GREEN_THRESHOLD: 55,
        CONF_GREEN_MIN_HOURS: 2,
    }

    async def submit(**answers: Any) -> Any:
        return await submit_options(hass, entry, {**base, **answers})

    result = await submit(**{CONF_ESIOS_TOKEN: "not-a-token"})
    assert result["errors"] == {CONF_ESIOS_TOKEN: "invalid_auth"}
    grid.esios.fail_next("1001", 503)
    result = await submit(**{CONF_ESIOS_TOKEN: DEMO_TOKEN})
    assert result["errors"] == {CONF_ESIOS_TOKEN: "cannot_connect"}
    result = await submit(**{CONF_ESIOS_TOKEN: f"  {DEMO_TOKEN} "})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.options[CONF_ESIOS_TOKEN] == DEMO_TOKEN
    meter = entry.runtime_data.coordinator.data.meters[FLAT_METER]
    assert meter.grid is not None and meter.grid.forecasts
    now = dt_util.utcnow()
    assert meter.green_windows == meter.grid.windows(
        now, GreenOptions(threshold=0.55, min_hours=2)
    )
    # The same token again is not checked again (no request to ESIOS).
    checks = grid.esios.count("/indicators/1001")
    result = await submit(**{CONF_ESIOS_TOKEN: DEMO_TOKEN})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert grid.esios.count("/indicators/1001") == checks
    await hass.async_block_till_done(wait_background_tasks=True)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert DEMO_TOKEN not in str(diagnostics)
    assert diagnostics["green"]["forecast_credentials"] is True


async def test_options_token_check_cannot_connect(
    hass: HomeAssistant,
    datadis: RunningSim,
    flat_only: MockConfigEntry,  # noqa: F811
) -> None:
    """ESIOS unreachable (refused): cannot_connect, nothing kept."""
    entry = MockConfigEntry(
        domain=flat_only.domain,
        title=flat_only.title,
        unique_id=flat_only.unique_id,
        data={**flat_only.data, CONF_SOURCE_URLS: {"esios": NO_GRID}},
        options=dict(flat_only.options),
    )
    await setup_entry(hass, entry)
    result = await submit_options(
        hass,
        entry,
        {
            "refresh_time": "06:45:00",
            "supplies": [FLAT_METER],
            CONF_ESIOS_TOKEN: DEMO_TOKEN,
        },
    )
    assert result["errors"] == {CONF_ESIOS_TOKEN: "cannot_connect"}
    assert CONF_ESIOS_TOKEN not in entry.options


# -- a failed set-up gives its shared sources back -------------------------------


async def test_failed_setup_releases_the_grid_source(
    hass: HomeAssistant,
    datadis: RunningSim,
    grid: Grid,
    flat_only: MockConfigEntry,  # noqa: F811
) -> None:
    """Set-up fails after the first refresh acquired the grid source: Home
    Assistant's unload callbacks shut the coordinator down, which releases
    it (no user left, the source stopped), and a later set-up starts clean.
    """
    entry = on_grid(flat_only, grid)
    entry.add_to_hass(hass)
    with patch.object(
        hass.config_entries,
        "async_forward_entry_setups",
        side_effect=RuntimeError("platforms failed"),
    ):
        assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    registry = hass.data.get(DATA_SOURCES)
    assert registry is None or not any(registry.users.values()), registry
    assert registry is None or not registry.sources

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    registry = hass.data[DATA_SOURCES]
    assert registry.users == {GridSystem.ES_PENINSULAR.key: {entry.entry_id}}
