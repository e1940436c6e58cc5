"""Config, reauth, reconfigure and options flows against the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.gridmeter.const import (
    CONF_AUTHORIZED_NIF,
    CONF_BASE_URL,
    CONF_PROVIDER,
    CONF_REFRESH_TIME,
    CONF_SUPPLIES,
    DOMAIN,
)
from custom_components.gridmeter.storage import account_key

from .conftest import NOW, setup_entry
from .datadis_sim import CANARY, CEUTA, FLAT, HEAT_PUMP, PASSWORD, SOLAR, RunningSim

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations"),
]


@pytest.fixture
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Skip the entry's set-up where only the flow is under test."""
    with patch(
        "custom_components.gridmeter.async_setup_entry", return_value=True
    ) as mock:
        yield mock


@pytest.fixture(autouse=True)
def short_histories(datadis: RunningSim) -> None:
    """Keep real set-ups quick: one month of data per supply."""
    for cups in (FLAT, HEAT_PUMP, SOLAR, CANARY, CEUTA):
        datadis.sim.missing_days(
            cups, {NOW.date() - timedelta(days=n) for n in range(40, 800)}
        )


async def start_datadis(hass: HomeAssistant) -> str:
    """Open the flow, pick Datadis in the menu, return the flow id."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["datadis", "switchgrid", "digiwatt"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "datadis"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "datadis"
    return result["flow_id"]


def login(
    datadis: RunningSim, username: str = "12345678Z", **extra: Any
) -> dict[str, Any]:
    return {
        CONF_USERNAME: username,
        CONF_PASSWORD: PASSWORD,
        "advanced": {CONF_BASE_URL: datadis.url},
        **extra,
    }


async def test_user_flow_creates_entry_and_hands_over_its_login(
    hass: HomeAssistant, datadis: RunningSim
) -> None:
    """The flow checks the login, creates the entry; set-up asks nothing again."""
    flow_id = await start_datadis(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, login(datadis, " 12345678-z ")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Datadis ···678Z"
    assert result["data"] == {
        CONF_PROVIDER: "datadis",
        CONF_USERNAME: "12345678Z",
        CONF_PASSWORD: PASSWORD,
        CONF_BASE_URL: datadis.url,
    }
    entry = result["result"]
    assert entry.unique_id == "12345678Z"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    # One login and one supplies query in all: the entry reused the flow's.
    assert datadis.sim.count("login") == 1
    assert datadis.sim.count("get-supplies-v2") == 1


@pytest.mark.usefixtures("mock_setup_entry")
async def test_authorised_nif_and_advanced_url_hidden(
    hass: HomeAssistant, datadis: RunningSim
) -> None:
    """A company reading an authorising holder's supplies; the holder's own NIF
    as authorising NIF is ignored.
    """
    result = await hass.config_entries.flow.async_configure(
        await start_datadis(hass),
        login(datadis, "B12345674", **{CONF_AUTHORIZED_NIF: "87654321x"}),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Datadis ···5674 → ···321X"
    assert result["data"][CONF_AUTHORIZED_NIF] == "87654321X"
    assert result["result"].unique_id == "B12345674_87654321X"

    result = await hass.config_entries.flow.async_configure(
        await start_datadis(hass),
        login(datadis, "X1234567L", **{CONF_AUTHORIZED_NIF: "X1234567L"}),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_AUTHORIZED_NIF not in result["data"]


async def test_default_address_is_not_stored(
    hass: HomeAssistant, datadis: RunningSim
) -> None:
    """Leaving the default API address stores nothing (the real one is used)."""
    from custom_components.gridmeter.hubs.datadis.flow import datadis_data

    data, errors = datadis_data(
        {
            CONF_USERNAME: "12345678Z",
            CONF_PASSWORD: "x",
            "advanced": {CONF_BASE_URL: "https://datadis.es/"},
        }
    )
    assert errors == {}
    assert CONF_BASE_URL not in data


@pytest.mark.parametrize(
    ("user_input", "field"),
    [
        ({CONF_USERNAME: "12345678A"}, CONF_USERNAME),
        ({CONF_USERNAME: "hello"}, CONF_USERNAME),
        ({CONF_AUTHORIZED_NIF: "8765432"}, CONF_AUTHORIZED_NIF),
    ],
)
@pytest.mark.usefixtures("mock_setup_entry")
async def test_malformed_identifiers_are_refused_locally(
    hass: HomeAssistant, datadis: RunningSim, user_input: dict[str, str], field: str
) -> None:
    """A wrong NIF letter is caught before anything is sent."""
    flow_id = await start_datadis(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**login(datadis), **user_input}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: "invalid_nif"}
    assert datadis.sim.requests == []
    result = await hass.config_entries.flow.async_configure(flow_id, login(datadis))
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("prepare", "user_input", "error"),
    [
        (lambda sim: None, {CONF_PASSWORD: "wrong"}, "invalid_auth"),
        (lambda sim: sim.fail_next("login", status=503), {}, "cannot_connect"),
        (
            lambda sim: sim.fail_next("get-supplies-v2", status=500),
            {},
            "cannot_connect",
        ),
        (
            lambda sim: sim.malformed_next("get-supplies-v2", mode="garbage"),
            {},
            "cannot_connect",
        ),
        (
            lambda sim: None,
            {"advanced": {CONF_BASE_URL: "http://127.0.0.1:9"}},
            "cannot_connect",
        ),
        (lambda sim: sim.fail_next("login", status=429), {}, "rate_limited"),
        (lambda sim: None, {CONF_USERNAME: "00000000T"}, "no_supplies"),
        (
            lambda sim: None,
            {CONF_USERNAME: "B12345674", CONF_AUTHORIZED_NIF: "12345678Z"},
            "not_authorized",
        ),
    ],
)
@pytest.mark.usefixtures("mock_setup_entry")
async def test_every_error_then_recovery(
    hass: HomeAssistant,
    datadis: RunningSim,
    prepare: Any,
    user_input: dict[str, str],
    error: str,
) -> None:
    """Each failure shows its translated error, creates nothing, and the
    same form then succeeds.
    """
    prepare(datadis.sim)
    flow_id = await start_datadis(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**login(datadis), **user_input}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert not hass.config_entries.async_entries(DOMAIN)
    datadis.sim.reset()
    result = await hass.config_entries.flow.async_configure(flow_id, login(datadis))
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup_entry")
async def test_unexpected_error_is_reported_not_raised(
    hass: HomeAssistant, datadis: RunningSim, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug or an unforeseen failure shows "unknown", is logged; the form stays."""
    flow_id = await start_datadis(hass)
    with patch(
        "custom_components.gridmeter.providers.datadis.DatadisClient.async_login",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, login(datadis))
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error: Datadis account check" in caplog.text
    assert "RuntimeError: boom" in caplog.text
    result = await hass.config_entries.flow.async_configure(flow_id, login(datadis))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_same_account_twice_is_refused(
    hass: HomeAssistant, datadis: RunningSim, datadis_entry: MockConfigEntry
) -> None:
    """One entry per account (and authorising NIF)."""
    datadis_entry.add_to_hass(hass)
    flow_id = await start_datadis(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, login(datadis))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth(
    hass: HomeAssistant, datadis: RunningSim, datadis_entry: MockConfigEntry
) -> None:
    """A wrong new password is refused; the right one updates and reloads."""
    await setup_entry(hass, datadis_entry)
    result = await datadis_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["username"] == "···678Z"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    datadis.sim.accounts["12345678Z"].password = "new-password"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "new-password"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert datadis_entry.data[CONF_PASSWORD] == "new-password"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert datadis_entry.state is ConfigEntryState.LOADED


async def test_reconfigure(
    hass: HomeAssistant, datadis: RunningSim, datadis_entry: MockConfigEntry
) -> None:
    """Change the password and (advanced) the API address."""
    await setup_entry(hass, datadis_entry)
    result = await datadis_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_PASSWORD: "wrong", "advanced": {CONF_BASE_URL: datadis.url}},
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_PASSWORD: PASSWORD, "advanced": {CONF_BASE_URL: datadis.url + "/"}},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert datadis_entry.data[CONF_BASE_URL] == datadis.url


async def test_options(
    hass: HomeAssistant, datadis: RunningSim, datadis_entry: MockConfigEntry
) -> None:
    """Pick the refresh time and the supplies; the entry reloads with them."""
    await setup_entry(hass, datadis_entry)
    result = await hass.config_entries.options.async_init(datadis_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    schema = result["data_schema"].schema
    supplies = next(k for k in schema if k == CONF_SUPPLIES)
    assert sorted(supplies.default()) == sorted([FLAT[:20], "ES0021500743219876QF"])
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_REFRESH_TIME: "07:15:00", CONF_SUPPLIES: [FLAT[:20]]},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert datadis_entry.options == {
        CONF_REFRESH_TIME: "07:15:00",
        CONF_SUPPLIES: [FLAT[:20]],
        "excluded_supplies": ["ES0021500743219876QF"],
        # The green-window options, at their defaults.
        "green_windows": True,
        "green_threshold": 50,
        "green_min_hours": 1,
    }
    coordinator = datadis_entry.runtime_data.coordinator
    assert list(coordinator.data.meters) == [FLAT[:20]]


async def test_options_need_a_loaded_entry(
    hass: HomeAssistant, datadis_entry: MockConfigEntry
) -> None:
    """Without a running entry there is no supply list to choose from."""
    datadis_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(datadis_entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_loaded"


async def test_flow_store_is_per_account(
    hass: HomeAssistant, datadis: RunningSim
) -> None:
    """The hand-over store is keyed by a hash, never by the NIF."""
    key = account_key("datadis", "12345678Z")
    assert "12345678Z" not in key
    assert key.startswith("gridmeter.datadis_")
