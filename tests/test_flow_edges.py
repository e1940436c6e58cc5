"""Config-flow branches the provider tests do not walk through."""

from __future__ import annotations

from collections.abc import Iterator
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.gridmeter.const import DOMAIN
from custom_components.gridmeter.providers.switchgrid import Ask, AskStatus

from .conftest import NOW
from .digiwatt_sim import ROME_FLAT, ROME_POD, RunningDigiwatt
from .switchgrid_sim import PARIS, RunningSwitchgrid
from .test_digiwatt import HOUSEHOLD, credentials, setup_rome, start_flow
from .test_switchgrid import add_entry

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations"),
]


@pytest.fixture(autouse=True)
def _fast(switchgrid: RunningSwitchgrid) -> Iterator[None]:
    """Quick polls and a short history."""
    from datetime import timedelta

    gone = {NOW.date() - timedelta(days=n) for n in range(20, 800)}
    switchgrid.sim.missing_days(PARIS, gone)
    with (
        patch("custom_components.gridmeter.hubs.switchgrid.consent.POLL_FIRST", 0.01),
        patch("custom_components.gridmeter.hubs.switchgrid.consent.POLL_MAX", 0.05),
    ):
        yield


async def to_signer(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    name: str = "Moreau",
    prm: str = PARIS,
) -> str:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    flow_id = result["flow_id"]
    await hass.config_entries.flow.async_configure(
        flow_id, {"next_step_id": "switchgrid"}
    )
    await hass.config_entries.flow.async_configure(
        flow_id,
        {"api_token": switchgrid.sim.token, "advanced": {"base_url": switchgrid.url}},
    )
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"name": name, "prm": prm}
    )
    assert result["step_id"] == "switchgrid_signer"
    return flow_id


SIGNER = {
    "first_name": "A",
    "last_name": "B",
    "email": "a@b.fr",
    "phone": "+33600000000",
    "genre": "m",
}


async def test_signer_errors_and_check_outage(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """A bad email, a refused Ask, then Switchgrid down during the check."""
    flow_id = await to_signer(hass, switchgrid)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**SIGNER, "email": "nope"}
    )
    assert result["errors"] == {"email": "invalid_email"}
    switchgrid.sim.fail_next("ask", status=500)
    result = await hass.config_entries.flow.async_configure(flow_id, SIGNER)
    assert result["errors"] == {"base": "cannot_connect"}
    switchgrid.sim.fail_next("ask_get", status=500, times=20)
    result = await hass.config_entries.flow.async_configure(flow_id, SIGNER)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_already_signed_and_consent_outage(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """An Ask accepted at once skips the page; an outage while waiting ends it."""
    flow_id = await to_signer(hass, switchgrid)
    accepted = Ask(
        id="x",
        status=AskStatus.ACCEPTED,
        created_at=NOW,
        accepted_at=NOW,
        user_url=None,
        consent_ids={PARIS: "c"},
        address_checks={},
        prms=(PARIS,),
        expires_at=None,
    )
    with patch(
        "custom_components.gridmeter.hubs.switchgrid.flow.async_poll_ask",
        return_value=accepted,
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, SIGNER)
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(flow_id)
    # Already signed: straight from the check to the entry, no signing page.
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["consent_id"] == "c"
    await hass.async_block_till_done(wait_background_tasks=True)

    flow_id2 = await to_signer(hass, switchgrid, "Bertrand", "19876543210987")
    result = await hass.config_entries.flow.async_configure(flow_id2, SIGNER)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id2)
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    # Showing the step again while waiting keeps the same page.
    result = await hass.config_entries.flow.async_configure(flow_id2)
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    switchgrid.sim.fail_next("ask_get", status=500, times=50)
    await hass.async_block_till_done()
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id2)
    # An outage is not a refusal: the holder may have signed meanwhile.
    assert result["reason"] == "cannot_connect"


async def test_closing_the_flow_stops_polling(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """Closing the dialog during the wait cancels the background poll."""
    flow_id = await to_signer(hass, switchgrid)
    switchgrid.sim.address_check_delay = 3600
    await hass.config_entries.flow.async_configure(flow_id, SIGNER)
    hass.config_entries.flow.async_abort(flow_id)
    await hass.async_block_till_done()
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_webhook_url_is_shown_with_an_https_address(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """With an external HTTPS URL the last step shows the webhook to paste."""
    from homeassistant.core_config import async_process_ha_core_config

    await async_process_ha_core_config(
        hass, {"external_url": "https://home.example.org"}
    )
    flow_id = await to_signer(hass, switchgrid)
    result = await hass.config_entries.flow.async_configure(flow_id, SIGNER)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    switchgrid.sim.sign(result["url"].rsplit("/", 1)[1])
    await hass.async_block_till_done()
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["step_id"] == "switchgrid_finish"
    assert result["description_placeholders"]["webhook_url"].startswith(
        "https://home.example.org/api/webhook/"
    )
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    # An http address is not offered.
    await async_process_ha_core_config(
        hass, {"external_url": "http://home.example.org"}
    )
    from custom_components.gridmeter.hubs.switchgrid.webhook import external_webhook_url

    assert external_webhook_url(hass, "abc") is None


async def test_switchgrid_reauth_and_reconfigure(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """A new token; a wrong one is refused; the API address can change."""
    entry = await add_entry(hass, switchgrid, name="Moreau", prm=PARIS)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_REAUTH, "entry_id": entry.entry_id},
        data=dict(entry.data),
    )
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_token": "bad"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_token": switchgrid.sim.token}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "api_token": switchgrid.sim.token,
            "advanced": {"base_url": switchgrid.url + "/"},
        },
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["base_url"] == switchgrid.url
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_digiwatt_reconfigure_and_household_edges(
    hass: HomeAssistant, digiwatt: RunningDigiwatt
) -> None:
    """Reconfigure; options household without appliances; onboarding errors."""
    entry = await setup_rome(hass, digiwatt)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "client_id": digiwatt.sim.client_id,
            "client_secret": digiwatt.sim.client_secret,
            "advanced": {"base_url": digiwatt.url},
        },
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done(wait_background_tasks=True)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"live_interval": 60, "insights_period": "this-month", "edit_household": True},
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**HOUSEHOLD, "province": "ROMA", "appliances": []}
    )
    assert result["errors"] == {"province": "invalid_province"}
    digiwatt.sim.fail_next("onboarding", status=500)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**HOUSEHOLD, "appliances": []}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    digiwatt.sim.fail_next("onboarding", status=401, times=3)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**HOUSEHOLD, "appliances": []}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**HOUSEHOLD, "appliances": []}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.data["household"]["appliances"] == {}


async def test_digiwatt_duplicate_user_then_onboard(
    hass: HomeAssistant, digiwatt: RunningDigiwatt
) -> None:
    """A user already registered at Digiwatt is simply onboarded again."""
    flow_id = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, credentials(digiwatt, pod=ROME_POD, account_number=ROME_FLAT)
    )
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**HOUSEHOLD, "appliances": []}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    flow = MockConfigEntry  # keep the import used
    assert flow


async def test_consent_poll_ends_without_signature(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """The wait ends on a status that is not a signature: not signed."""

    def ask(status: AskStatus, url: str | None) -> Ask:
        return Ask(
            id="z",
            status=status,
            created_at=NOW,
            accepted_at=None,
            user_url=url,
            consent_ids={},
            address_checks={},
            prms=(PARIS,),
            expires_at=None,
        )

    flow_id = await to_signer(hass, switchgrid)
    with patch(
        "custom_components.gridmeter.hubs.switchgrid.flow.async_poll_ask",
        side_effect=[
            ask(AskStatus.PENDING_USER_ACTION, "https://x/c/z"),
            ask(AskStatus.UNKNOWN, None),
        ],
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, SIGNER)
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(flow_id)
        assert result["type"] is FlowResultType.EXTERNAL_STEP
        await hass.async_block_till_done()
        await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["reason"] == "consent_not_signed"


def _ask(status: AskStatus) -> Ask:
    return Ask(
        id="x",
        status=status,
        created_at=NOW,
        accepted_at=None,
        user_url="https://example.org/sign",
        consent_ids={},
        address_checks={},
        prms=(PARIS,),
        expires_at=None,
    )


@pytest.mark.parametrize(("outage", "ends"), [(2, False), (3, True)])
async def test_ask_poll_rides_out_a_blip_not_an_outage(
    monkeypatch: pytest.MonkeyPatch, outage: int, ends: bool
) -> None:
    """Two failed polls in a row are a blip (the holder may be signing);
    three end the wait with the error.
    """
    from unittest.mock import AsyncMock

    from custom_components.gridmeter.hubs.switchgrid import consent as flow_switchgrid
    from custom_components.gridmeter.providers.errors import CannotConnect

    monkeypatch.setattr(flow_switchgrid, "POLL_FIRST", 0.001)
    client = AsyncMock()
    client.async_get_ask.side_effect = [
        _ask(AskStatus.PENDING_USER_ACTION),
        *[CannotConnect("down")] * outage,
        _ask(AskStatus.ACCEPTED),
    ]
    poll = flow_switchgrid.async_poll_ask(
        client, "x", until=flow_switchgrid.SIGNING, timeout=10
    )
    if ends:
        with pytest.raises(CannotConnect):
            await poll
    else:
        assert (await poll).status is AskStatus.ACCEPTED
