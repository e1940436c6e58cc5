"""Enedis through Switchgrid, end to end against the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.gridmeter.const import DOMAIN
from custom_components.gridmeter.hubs.switchgrid.state import OpenOrder
from custom_components.gridmeter.tariffs import FranceHPHC

from .conftest import NOW
from .stats_helpers import assert_continuous, read_hours
from .switchgrid_sim import LILLE, LYON, MARSEILLE, PARIS, TOULOUSE, RunningSwitchgrid


def calls(switchgrid: RunningSwitchgrid, endpoint: str) -> int:
    """How many requests of one kind the simulator answered."""
    return sum(1 for r in switchgrid.sim.requests if r.endpoint == endpoint)


pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations"),
]

PARIS_TZ = ZoneInfo("Europe/Paris")
EXTERNAL_URL = "https://gridmeter.example.org"
HISTORY_FROM = datetime(2026, 9, 30, 22, tzinfo=UTC)  # 2026-10-01 00:00 Paris
SIGNER = {
    "first_name": "Julie",
    "last_name": "Martin",
    "email": "julie@example.org",
    "phone": "+33600000000",
    "genre": "f",
}


@pytest.fixture(autouse=True)
def _fast_polls() -> Iterator[None]:
    """Poll the Ask every few milliseconds instead of seconds."""
    with (
        patch("custom_components.gridmeter.hubs.switchgrid.consent.POLL_FIRST", 0.01),
        patch("custom_components.gridmeter.hubs.switchgrid.consent.POLL_MAX", 0.05),
    ):
        yield


@pytest.fixture(autouse=True)
def _short_history(switchgrid: RunningSwitchgrid) -> None:
    """Serve only October and November 2026 (the autumn DST day included)."""
    gone = {NOW.date() - timedelta(days=n) for n in range(41, 800)}
    for prm in (PARIS, LYON, TOULOUSE, LILLE):
        switchgrid.sim.missing_days(prm, gone)


async def start_flow(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid, **token_extra: Any
) -> ConfigFlowResult:
    """Choose Switchgrid and give the simulator's token (``token_extra`` adds
    to or overrides the token form): the search form, or the token errors.
    """
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "switchgrid"}
    )
    return await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "api_token": switchgrid.sim.token,
            "advanced": {"base_url": switchgrid.url},
            **token_extra,
        },
    )


async def add_entry(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    *,
    name: str,
    prm: str,
    injection: bool = False,
) -> Any:
    """Go through the whole flow, signing on the simulator's page."""
    result = await start_flow(hass, switchgrid, test_env=True)
    assert result["step_id"] == "switchgrid_search"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": name, "prm": prm}
    )
    assert result["step_id"] == "switchgrid_signer", result
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SIGNER, "injection": injection}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.EXTERNAL_STEP, result
    assert result["url"].startswith(switchgrid.origin)
    ask_id = result["url"].rsplit("/", 1)[1]
    events: list[Any] = []
    hass.bus.async_listen("data_entry_flow_progressed", events.append)
    switchgrid.sim.sign(ask_id)
    await hass.async_block_till_done()
    # The done-callback runs just after the polling task: let it run.
    await hass.async_block_till_done()
    # The flow moved on by itself (what tells the browser to continue).
    assert [e.data["flow_id"] for e in events] == [result["flow_id"]]
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    if result["type"] is FlowResultType.FORM:
        # With an external HTTPS URL: the webhook URL to paste, then the entry.
        assert result["step_id"] == "switchgrid_finish"
        assert result["description_placeholders"]["webhook_url"].startswith(
            EXTERNAL_URL
        )
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done(wait_background_tasks=True)
    return result["result"]


async def test_flow_consent_and_hp_hc_statistics(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """Search, sign, import: hourly statistics equal the 10-minute load curve,
    split by the contract's off-peak hours; the Paris autumn day has 25 hours.
    """
    entry = await add_entry(hass, switchgrid, name="Bertrand", prm=LYON)
    assert entry.title == "Enedis ···0987"
    assert entry.unique_id == LYON
    assert entry.data["test_env"] is True
    assert entry.state is ConfigEntryState.LOADED

    prefix = f"gridmeter:switchgrid_{LYON}"
    rows = await read_hours(hass, f"{prefix}_consumption")
    truth = {
        hour: kwh
        for hour, kwh in switchgrid.sim.truth_hourly_kwh(LYON, "CONSUMPTION").items()
        if hour >= HISTORY_FROM
    }
    assert {h: round(s, 6) for h, (s, _) in rows.items()} == {
        h: round(v, 6) for h, v in truth.items()
    }
    assert_continuous(rows)
    autumn = [
        h
        for h in rows
        if datetime(2026, 10, 24, 22, tzinfo=UTC)
        <= h
        < datetime(2026, 10, 25, 23, tzinfo=UTC)
    ]
    assert len(autumn) == 25

    hp = await read_hours(hass, f"{prefix}_consumption_hp")
    hc = await read_hours(hass, f"{prefix}_consumption_hc")
    split = sum(s for s, _ in hp.values()) + sum(s for s, _ in hc.values())
    assert split == pytest.approx(sum(truth.values()), abs=1e-3)
    calendar = FranceHPHC(
        ((datetime(2026, 1, 1, 22, 30).time(), datetime(2026, 1, 1, 6, 30).time()),)
    )
    night = datetime(2026, 11, 5, 1, tzinfo=PARIS_TZ).astimezone(UTC)
    assert night in hc
    assert night not in hp
    assert calendar.period_at(night) == "hc"

    data = entry.runtime_data.coordinator.data.meters[LYON]
    assert data.contract is not None
    assert data.contract.contracted_power_kw == (9.0,)
    assert data.point.postal_code == "69009"
    assert data.last_peak is not None
    assert data.consent_expires is not None
    # No injection asked: no return statistic.
    assert not await read_hours(hass, f"{prefix}_return")
    # Two orders for the whole first import: the daily data, then the curve.
    assert calls(switchgrid, "order") == 2
    # The signed Ask is the entry's: kept.
    assert calls(switchgrid, "ask_delete") == 0


async def test_injection_and_base_tariff(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """A solar home gets its injection as grid return; a BASE home no split."""
    solar = await add_entry(
        hass, switchgrid, name="Garcia", prm=TOULOUSE, injection=True
    )
    returned = await read_hours(hass, f"gridmeter:switchgrid_{TOULOUSE}_return")
    truth = switchgrid.sim.truth_hourly_kwh(TOULOUSE, "INJECTION")
    assert returned
    assert all(round(s, 6) == round(truth[h], 6) for h, (s, _) in returned.items())
    assert solar.runtime_data.coordinator.data.meters[TOULOUSE].calendar is not None

    base = await add_entry(hass, switchgrid, name="Moreau", prm=PARIS)
    assert await read_hours(hass, f"gridmeter:switchgrid_{PARIS}_consumption")
    assert not await read_hours(hass, f"gridmeter:switchgrid_{PARIS}_consumption_hp")
    assert base.runtime_data.coordinator.data.meters[PARIS].calendar is None


@pytest.mark.parametrize(
    ("search", "error"),
    [
        ({"name": "Mo", "prm": PARIS}, {"name": "name_too_short"}),
        ({"name": "Moreau"}, {"base": "address_or_prm"}),
        ({"name": "Moreau", "prm": "1234"}, {"prm": "invalid_prm"}),
        (
            {"name": "Nobody Here", "address": "1 rue X 75001 Paris"},
            {"base": "contract_not_found"},
        ),
    ],
)
async def test_search_errors(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    search: dict[str, str],
    error: dict[str, str],
) -> None:
    """Every search mistake is explained and the form stays."""
    result = await start_flow(hass, switchgrid)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], search)
    assert result["errors"] == error


async def test_token_errors_and_search_outage(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """Wrong token, outage, 429 and a bug: each error on each step."""
    result = await start_flow(hass, switchgrid, api_token="wrong")
    assert result["errors"] == {"base": "invalid_auth"}
    flow_id = result["flow_id"]
    good = {"api_token": switchgrid.sim.token, "advanced": {"base_url": switchgrid.url}}
    switchgrid.sim.fail_next("ask_list", status=503)
    result = await hass.config_entries.flow.async_configure(flow_id, good)
    assert result["errors"] == {"base": "cannot_connect"}
    switchgrid.sim.fail_next("ask_list", status=429)
    result = await hass.config_entries.flow.async_configure(flow_id, good)
    assert result["errors"] == {"base": "rate_limited"}
    with patch(
        "custom_components.gridmeter.providers.switchgrid.SwitchgridClient.async_list_asks",
        side_effect=RuntimeError,
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, good)
    assert result["errors"] == {"base": "unknown"}
    result = await hass.config_entries.flow.async_configure(flow_id, good)
    search = {"name": "Moreau", "prm": PARIS}
    for status, error in ((500, "cannot_connect"), (429, "rate_limited")):
        switchgrid.sim.fail_next("search_contract", status=status)
        result = await hass.config_entries.flow.async_configure(flow_id, search)
        assert result["errors"] == {"base": error}
    with patch(
        "custom_components.gridmeter.providers.switchgrid.SwitchgridClient.async_search_contracts",
        side_effect=RuntimeError,
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, search)
    assert result["errors"] == {"base": "unknown"}
    result = await hass.config_entries.flow.async_configure(flow_id, search)
    assert result["step_id"] == "switchgrid_signer"
    for status, error in ((503, "cannot_connect"), (401, "invalid_auth")):
        switchgrid.sim.fail_next("ask", status=status)
        result = await hass.config_entries.flow.async_configure(flow_id, SIGNER)
        assert result["errors"] == {"base": error}
    with patch(
        "custom_components.gridmeter.providers.switchgrid.SwitchgridClient.async_create_ask",
        side_effect=RuntimeError,
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, SIGNER)
    assert result["errors"] == {"base": "unknown"}
    # Nothing was asked of Switchgrid by the failed attempts.
    assert not switchgrid.sim.asks


async def test_address_check_failure_and_unsigned_consent(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """Enedis refuses the address; and a consent never signed times out."""
    for prm, name, reason in (
        (MARSEILLE, "Boulangerie du Vieux Four", "address_check_failed"),
        (PARIS, "Moreau", "consent_not_signed"),
    ):
        result = await start_flow(hass, switchgrid)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"name": name, "prm": prm}
        )
        with patch(
            "custom_components.gridmeter.hubs.switchgrid.flow.CONSENT_TIMEOUT", 0.2
        ):
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], SIGNER
            )
            await hass.async_block_till_done()
            result = await hass.config_entries.flow.async_configure(result["flow_id"])
            if result["type"] is FlowResultType.EXTERNAL_STEP:
                # The wait times out and moves the flow on by itself.
                await hass.async_block_till_done()
                await hass.async_block_till_done()
                result = await hass.config_entries.flow.async_configure(
                    result["flow_id"]
                )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == reason
    # Neither unused consent request is left behind at Switchgrid.
    await hass.async_block_till_done(wait_background_tasks=True)
    assert calls(switchgrid, "ask_delete") == 2
    assert all(ask.revoked_at is not None for ask in switchgrid.sim.asks.values())


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"status": "PENDING_USER_ACTION"}, "ask_no_signing_url"),
        ({"status": "NOT_VALID"}, "ask_unexpected_status"),
    ],
)
async def test_each_ask_state_has_its_own_message(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    answer: dict[str, str],
    reason: str,
) -> None:
    """No signing page, or a status GridMeter does not know: each is said as
    it is (not as a failed address check) and the Ask is withdrawn.
    """
    result = await start_flow(hass, switchgrid)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": "Moreau", "prm": PARIS}
    )
    switchgrid.sim.fail_next("ask_get", 200, body={"id": "x", **answer})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], SIGNER)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    await hass.async_block_till_done(wait_background_tasks=True)
    (ask,) = switchgrid.sim.asks.values()
    assert ask.revoked_at is not None


async def test_several_contracts_and_duplicates(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """A choice among matches; a PRM already set up is refused."""
    await add_entry(hass, switchgrid, name="Moreau", prm=PARIS)
    result = await start_flow(hass, switchgrid)
    from custom_components.gridmeter.providers.switchgrid import ContractMatch

    matches = [
        ContractMatch(
            id="a", prm=PARIS, holder="MOREAU", category="RES", address=("X",)
        ),
        ContractMatch(
            id="b", prm=LYON, holder="MOREAU", category="RES", address=("Y",)
        ),
    ]
    with patch(
        "custom_components.gridmeter.providers.switchgrid.SwitchgridClient.async_search_contracts",
        return_value=matches,
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"name": "Moreau", "address": "Paris 75011"}
        )
    assert result["step_id"] == "switchgrid_choose"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"contract": "a"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


def curve_requests(switchgrid: RunningSwitchgrid) -> list[Any]:
    """Every LOADCURVE request the simulator received, oldest first."""
    return [
        request
        for order in switchgrid.sim.orders.values()
        for request in order.requests
        if request.type == "LOADCURVE"
    ]


async def next_morning(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Move to 10:00 UTC the next day and let the scheduled sync run."""
    target = (dt_util.utcnow() + timedelta(days=1)).replace(hour=10, minute=0)
    freezer.move_to(target)
    async_fire_time_changed(hass, target)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_load_curve_never_collected(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A curve Enedis never collected is ordered once, with automatic retry,
    in its own order: the daily data keeps coming while it waits, the state
    is reported, and once activated its short history is not ordered again.
    """
    switchgrid.sim.activation_delay = timedelta(days=60)
    entry = await add_entry(hass, switchgrid, name="Lefebvre", prm=LILLE)
    sync = entry.runtime_data.coordinator.state
    issue_id = f"load_curve_pending_{entry.entry_id}".lower()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    meter = entry.runtime_data.coordinator.data.meters[LILLE]
    assert meter.status == "waiting_for_data"
    assert meter.contract is not None
    assert meter.last_peak is not None
    (first,) = curve_requests(switchgrid)
    assert first.retry_after_activation
    # The window starts and ends at Paris midnights (a bare date is UTC's).
    assert first.since.astimezone(PARIS_TZ).time() == datetime.min.time()
    assert first.until == datetime(2026, 11, 9, 23, tzinfo=UTC)

    for _ in range(3):
        await next_morning(hass, freezer)
    # One daily order a day; the waiting curve is neither waited for nor
    # ordered again.
    assert calls(switchgrid, "order") == 1 + 4
    assert curve_requests(switchgrid) == [first]
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    peaks = entry.runtime_data.coordinator.data.meters[LILLE].last_peak
    assert peaks is not None
    assert peaks.at > NOW + timedelta(days=1)

    switchgrid.sim.activate_load_curve(LILLE, since=NOW.date() - timedelta(days=10))
    await next_morning(hass, freezer)
    assert await read_hours(hass, f"gridmeter:switchgrid_{LILLE}_consumption")
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    # Ten days of curve is all this meter has: its history is done.
    assert sync.history_for is not None
    await next_morning(hass, freezer)
    latest = curve_requests(switchgrid)[-1]
    assert latest is not first
    assert latest.since >= dt_util.utcnow() - timedelta(days=8)


async def test_consent_revoked_repair_and_renewal(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    issue_registry: ir.IssueRegistry,
    hass_client: ClientSessionGenerator,
) -> None:
    """A revoked consent raises a fixable issue; its fix signs a new one."""
    from homeassistant.components.repairs import DOMAIN as REPAIRS
    from homeassistant.setup import async_setup_component

    entry = await add_entry(hass, switchgrid, name="Moreau", prm=PARIS)
    old_ask = entry.data["ask_id"]
    switchgrid.sim.revoke(old_ask)
    await entry.runtime_data.coordinator.async_refresh()
    issue_id = f"consent_{entry.entry_id}".lower()
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable

    assert await async_setup_component(hass, REPAIRS, {})
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    flow = await response.json()
    # The address check runs in the background: the dialog shows progress.
    assert flow["type"] == "progress", flow
    assert flow["progress_action"] == "address_check"
    await hass.async_block_till_done()
    response = await client.get(f"/api/repairs/issues/fix/{flow['flow_id']}")
    flow = await response.json()
    # Then Switchgrid's page, opened by the dialog itself.
    assert flow["type"] == "external", flow
    assert flow["step_id"] == "sign"
    url = flow["url"]
    assert url.startswith(switchgrid.origin)
    events: list[Any] = []
    hass.bus.async_listen("data_entry_flow_progressed", events.append)
    switchgrid.sim.sign(url.rsplit("/", 1)[1])
    await hass.async_block_till_done()
    await hass.async_block_till_done()
    # The flow moved on by itself (what tells the dialog to continue).
    assert [e.data["flow_id"] for e in events] == [flow["flow_id"]]
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    flow = await response.json()
    assert flow["type"] == "create_entry", flow
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.data["ask_id"] != old_ask
    assert entry.state is ConfigEntryState.LOADED
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    # The signed Ask is the entry's now: kept.
    assert calls(switchgrid, "ask_delete") == 0


async def test_consent_repair_failures(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    issue_registry: ir.IssueRegistry,
    hass_client: ClientSessionGenerator,
) -> None:
    """A repair that cannot finish says why, keeps the issue and withdraws
    the Ask it created: an unknown status, then a signature that never comes.
    """
    from homeassistant.components.repairs import DOMAIN as REPAIRS
    from homeassistant.setup import async_setup_component

    entry = await add_entry(hass, switchgrid, name="Moreau", prm=PARIS)
    switchgrid.sim.revoke(entry.data["ask_id"])
    await entry.runtime_data.coordinator.async_refresh()
    issue_id = f"consent_{entry.entry_id}".lower()
    assert await async_setup_component(hass, REPAIRS, {})
    client = await hass_client()
    deleted = calls(switchgrid, "ask_delete")

    switchgrid.sim.fail_next("ask_get", 200, body={"id": "x", "status": "NOT_VALID"})
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    flow = await response.json()
    await hass.async_block_till_done()
    response = await client.get(f"/api/repairs/issues/fix/{flow['flow_id']}")
    flow = await response.json()
    assert flow["type"] == "abort"
    assert flow["reason"] == "ask_unexpected_status"

    with patch(
        "custom_components.gridmeter.hubs.switchgrid.repair.CONSENT_TIMEOUT", 0.2
    ):
        response = await client.post(
            "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
        )
        flow = await response.json()
        await hass.async_block_till_done()
        response = await client.get(f"/api/repairs/issues/fix/{flow['flow_id']}")
        assert (await response.json())["type"] == "external"
        # Nobody signs: the wait times out and moves the flow on by itself.
        await asyncio.sleep(0.5)
        await hass.async_block_till_done()
        response = await client.get(f"/api/repairs/issues/fix/{flow['flow_id']}")
        flow = await response.json()
    assert flow["type"] == "abort", flow
    assert flow["reason"] == "consent_not_signed"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    # Both new Asks are withdrawn; the entry keeps its own.
    assert calls(switchgrid, "ask_delete") == deleted + 2


async def test_deleted_consent_raises_the_repair(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    issue_registry: ir.IssueRegistry,
) -> None:
    """An Ask Switchgrid no longer knows (404) is a consent to sign again."""
    entry = await add_entry(hass, switchgrid, name="Moreau", prm=PARIS)
    del switchgrid.sim.asks[entry.data["ask_id"]]
    await entry.runtime_data.coordinator.async_refresh()
    issue = issue_registry.async_get_issue(DOMAIN, f"consent_{entry.entry_id}".lower())
    assert issue is not None
    assert issue.is_fixable


async def test_removal_revokes_the_consent(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """Deleting the entry deletes the Ask and says so."""
    entry = await add_entry(hass, switchgrid, name="Moreau", prm=PARIS)
    ask_id = entry.data["ask_id"]
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert calls(switchgrid, "ask_delete") == 1
    notifications = hass.states.async_all("persistent_notification") or []
    from homeassistant.components import persistent_notification

    shown = persistent_notification._async_get_or_create_notifications(hass)
    assert any("consent" in n["title"].lower() for n in shown.values()), (
        shown,
        notifications,
    )
    assert switchgrid.sim.asks[ask_id].revoked_at is not None


async def test_webhook_trusts_only_ids(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Unknown or malformed events are acknowledged and ignored."""
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await add_entry(hass, switchgrid, name="Moreau", prm=PARIS)
    client = await hass_client_no_auth()
    url = f"/api/webhook/{entry.data['webhook_id']}"
    assert (await client.post(url, data="not json")).status == 400
    sent = calls(switchgrid, "ask_get")
    for payload in (
        {"event": {"_tag": "order.request_success", "orderId": "someone-elses"}},
        {"event": {"_tag": "ask.accepted", "askId": "other"}},
        {"event": "nonsense"},
        {"hello": 1},
    ):
        assert (await client.post(url, json=payload)).status == 200
    await hass.async_block_till_done()
    assert calls(switchgrid, "ask_get") == sent
    response = await client.post(
        url, json={"event": {"_tag": "ask.accepted", "askId": entry.data["ask_id"]}}
    )
    assert response.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert calls(switchgrid, "ask_get") > sent


async def test_restart_resumes_the_open_order(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """An order still running at a restart is polled again, not placed again."""
    switchgrid.sim.order_delay = 3600
    with patch(
        "custom_components.gridmeter.hubs.switchgrid.coordinator.ORDER_WAIT", 0.3
    ):
        entry = await add_entry(hass, switchgrid, name="Moreau", prm=PARIS)
        assert entry.runtime_data.coordinator.state.orders
        assert not await read_hours(hass, f"gridmeter:switchgrid_{PARIS}_consumption")
        await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        # The daily order and the curve order, neither placed again.
        assert calls(switchgrid, "order") == 2
        switchgrid.sim.order_delay = 0
        switchgrid.sim.settle_all()
        await entry.runtime_data.coordinator.async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)
    assert calls(switchgrid, "order") == 2
    assert await read_hours(hass, f"gridmeter:switchgrid_{PARIS}_consumption")
    assert not entry.runtime_data.coordinator.state.orders


async def test_options_off_peak_override_reimports(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """Overriding the off-peak hours re-orders the history with the new split."""
    entry = await add_entry(hass, switchgrid, name="Bertrand", prm=LYON)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "switchgrid"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"refresh_time": "09:00:00", "off_peak_hours": "nonsense"}
    )
    assert result["errors"] == {"off_peak_hours": "invalid_off_peak"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"refresh_time": "09:00:00", "off_peak_hours": "HC (0H00-8H00)"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    hc = await read_hours(hass, f"gridmeter:switchgrid_{LYON}_consumption_hc")
    seven = datetime(2026, 11, 5, 7, tzinfo=PARIS_TZ).astimezone(UTC)
    assert seven in hc
    # Only the curve is ordered again (its history, with the new split).
    assert calls(switchgrid, "order") == 3


async def test_diagnostics_are_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    switchgrid: RunningSwitchgrid,
) -> None:
    """No token, PRM, signer or holder in the diagnostics."""
    import json

    from pytest_homeassistant_custom_component.components.diagnostics import (
        get_diagnostics_for_config_entry,
    )

    entry = await add_entry(hass, switchgrid, name="Moreau", prm=PARIS)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diagnostics).lower()
    for secret in (
        switchgrid.sim.token,
        PARIS,
        "julie@example.org",
        "martin",
        "moreau",
    ):
        assert secret.lower() not in text, secret
    assert diagnostics["state"]["open_orders"] == 0


async def test_lost_and_stuck_orders_and_revocation_failure(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An order Switchgrid forgot is dropped; one open for days is replaced;
    a removal while Switchgrid is down says the consent is still active.
    """
    from homeassistant.components import persistent_notification

    entry = await add_entry(hass, switchgrid, name="Moreau", prm=PARIS)
    sync = entry.runtime_data.coordinator.state
    sync.orders["forgotten"] = OpenOrder(id="forgotten", at=NOW)
    sync.last_order_day = None
    await entry.runtime_data.coordinator.async_refresh()
    assert "forgotten" not in sync.orders

    switchgrid.sim.order_delay = 10**6
    with patch(
        "custom_components.gridmeter.hubs.switchgrid.coordinator.ORDER_WAIT", 0.2
    ):
        sync.last_order_day = None
        await entry.runtime_data.coordinator.async_refresh()
        assert len(sync.orders) == 1
        stuck = next(iter(sync.orders))
        later = dt_util.utcnow() + timedelta(days=4)
        freezer.move_to(later)
        await entry.runtime_data.coordinator.async_refresh()
        assert stuck not in sync.orders

    switchgrid.sim.fail_next("ask_delete", status=503)
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    shown = persistent_notification._async_get_or_create_notifications(hass)
    assert "gridmeter_consent_not_revoked" in shown


async def test_order_answers_shaped_like_the_api_document(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """An unreadable order answer still leaves the order id to poll (the order
    is billed: never placed again); requests without ids are imported with
    the direction they were sent with.
    """
    switchgrid.sim.order_answer = "broken_once"
    entry = await add_entry(hass, switchgrid, name="Bertrand", prm=LYON)
    meter = entry.runtime_data.coordinator.data.meters[LYON]
    assert meter.contract is not None
    assert meter.last_peak is not None
    assert calls(switchgrid, "order") == 2
    await entry.runtime_data.coordinator.async_refresh()
    assert calls(switchgrid, "order") == 2
    assert not entry.runtime_data.coordinator.state.orders

    switchgrid.sim.order_answer = "seed"
    await add_entry(hass, switchgrid, name="Garcia", prm=TOULOUSE, injection=True)
    returned = await read_hours(hass, f"gridmeter:switchgrid_{TOULOUSE}_return")
    consumed = await read_hours(hass, f"gridmeter:switchgrid_{TOULOUSE}_consumption")
    truth = switchgrid.sim.truth_hourly_kwh(TOULOUSE, "INJECTION")
    assert returned
    assert consumed
    assert all(round(s, 6) == round(truth[h], 6) for h, (s, _) in returned.items())


async def test_load_curve_of_unknown_direction_is_skipped(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A curve whose direction cannot be told is not written as consumption."""
    with patch(
        "custom_components.gridmeter.providers.switchgrid.SwitchgridClient._learn_directions"
    ):
        entry = await add_entry(
            hass, switchgrid, name="Garcia", prm=TOULOUSE, injection=True
        )
    prefix = f"gridmeter:switchgrid_{TOULOUSE}"
    assert not await read_hours(hass, f"{prefix}_consumption")
    assert not await read_hours(hass, f"{prefix}_return")
    assert entry.runtime_data.coordinator.last_run.requests_failed == [
        "LOADCURVE",
        "LOADCURVE",
    ]
    assert "unknown direction" in caplog.text


async def test_webhook_only_with_an_external_https_url(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """Without an external HTTPS URL nothing is exposed: polling alone."""
    from homeassistant.components.webhook import _HANDLERS

    entry = await add_entry(hass, switchgrid, name="Moreau", prm=PARIS)
    assert entry.data["webhook_id"] not in hass.data.get(_HANDLERS, {})

    await hass.config.async_update(external_url="http://gridmeter.example.org")
    await hass.config_entries.async_reload(entry.entry_id)
    assert entry.data["webhook_id"] not in hass.data.get(_HANDLERS, {})

    await hass.config.async_update(external_url=EXTERNAL_URL)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.data["webhook_id"] in hass.data[_HANDLERS]
    await hass.config_entries.async_unload(entry.entry_id)
    assert entry.data["webhook_id"] not in hass.data[_HANDLERS]


async def test_webhook_answers_before_the_sync_ends(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Switchgrid gets its 200 at once, while the sync it triggers still waits
    for the order (it would otherwise time out and send the event again).
    """
    await hass.config.async_update(external_url=EXTERNAL_URL)
    switchgrid.sim.order_delay = 3600
    with patch(
        "custom_components.gridmeter.hubs.switchgrid.coordinator.ORDER_WAIT", 0.2
    ):
        entry = await add_entry(hass, switchgrid, name="Moreau", prm=PARIS)
    coordinator = entry.runtime_data.coordinator
    order_id = next(iter(coordinator.state.orders))
    client = await hass_client_no_auth()
    url = f"/api/webhook/{entry.data['webhook_id']}"
    event = {"event": {"_tag": "order.request_success", "orderId": order_id}}
    with patch(
        "custom_components.gridmeter.hubs.switchgrid.coordinator.ORDER_WAIT", 2.0
    ):
        response = await client.post(url, json=event)
        assert response.status == 200
        await asyncio.sleep(0.1)
        # Answered, and the sync is still polling the order.
        assert coordinator.running
        await hass.async_block_till_done(wait_background_tasks=True)
    assert not coordinator.running


async def test_contract_details_survive_a_restart(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """What C68 said beyond the common contract (the derived tariff option,
    the raw off-peak text) is still there after a reload, before any order.
    """
    entry = await add_entry(hass, switchgrid, name="Bertrand", prm=LYON)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    from custom_components.gridmeter.providers.switchgrid import SwitchgridContract

    contract = entry.runtime_data.coordinator.data.meters[LYON].contract
    assert isinstance(contract, SwitchgridContract)
    assert contract.tariff_option == "HPHC"
    assert contract.off_peak_text == "HC (22H30-6H30)"
    # The diagnostic sensor shows the option (a translated enum), not the
    # network tariff's label; the device says it in words.
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"switchgrid_{LYON}_tariff_option"
    )
    assert entity_id
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "hphc"
    assert state.attributes["options"] == ["base", "hphc", "tempo"]
    entry_entity = er.async_get(hass).async_get(entity_id)
    assert entry_entity is not None
    device = dr.async_get(hass).async_get(entry_entity.device_id or "")
    assert device is not None
    assert device.model == "Heures creuses"


async def test_consent_repair_outage_and_address_check(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    hass_client: ClientSessionGenerator,
) -> None:
    """An outage and a holder's address that no longer checks out each end
    the fix with their message; an issue of a removed entry only confirms.
    """
    from homeassistant.components.repairs import DOMAIN as REPAIRS
    from homeassistant.setup import async_setup_component

    from custom_components.gridmeter.hubs.switchgrid.repair import ConsentRepairFlow
    from custom_components.gridmeter.repairs import async_create_fix_flow

    entry = await add_entry(hass, switchgrid, name="Moreau", prm=PARIS)
    switchgrid.sim.revoke(entry.data["ask_id"])
    await entry.runtime_data.coordinator.async_refresh()
    issue_id = f"consent_{entry.entry_id}".lower()
    assert await async_setup_component(hass, REPAIRS, {})
    client = await hass_client()

    async def fix() -> dict[str, Any]:
        response = await client.post(
            "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
        )
        flow = await response.json()
        assert flow["type"] == "progress"
        await hass.async_block_till_done()
        response = await client.get(f"/api/repairs/issues/fix/{flow['flow_id']}")
        result: dict[str, Any] = await response.json()
        return result

    switchgrid.sim.fail_next("ask", status=500)
    flow = await fix()
    assert (flow["type"], flow["reason"]) == ("abort", "cannot_connect")

    switchgrid.sim.fail_next(
        "ask_get", 200, body={"id": "x", "status": "ADDRESS_CHECK_FAILED"}
    )
    flow = await fix()
    assert (flow["type"], flow["reason"]) == ("abort", "address_check_failed")

    other = await async_create_fix_flow(hass, "x", {"entry_id": "gone"})
    assert not isinstance(other, ConsentRepairFlow)


async def test_reimport_orders_the_period_once_a_day(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """A re-import orders the curve and daily peaks from its day; the same
    re-import the same day is not ordered (and billed) twice.
    """
    entry = await add_entry(hass, switchgrid, name="Moreau", prm=PARIS)
    orders = calls(switchgrid, "order")
    start = NOW.date() - timedelta(days=20)
    data = {"config_entry_id": entry.entry_id, "start": start.isoformat()}
    response = await hass.services.async_call(
        DOMAIN, "reimport", data, blocking=True, return_response=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert isinstance(response, dict)
    assert response["note"] is None
    assert calls(switchgrid, "order") == orders + 1
    latest = curve_requests(switchgrid)[-1]
    assert latest.since.astimezone(PARIS_TZ).date() == start
    r66 = [
        request
        for order in switchgrid.sim.orders.values()
        for request in order.requests
        if request.type == "R66_SYNC"
    ][-1]
    assert r66.since.date() == start  # a bare date: the Enedis day itself
    assert not entry.runtime_data.coordinator.state.orders
    await assert_consumption_continuous(hass)

    again = await hass.services.async_call(
        DOMAIN, "reimport", data, blocking=True, return_response=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert isinstance(again, dict)
    assert again["note"] == "reimport_ordered"
    assert calls(switchgrid, "order") == orders + 1


async def assert_consumption_continuous(hass: HomeAssistant) -> None:
    rows = await read_hours(hass, f"gridmeter:switchgrid_{PARIS}_consumption")
    assert rows
    assert_continuous(rows)
