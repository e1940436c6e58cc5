"""Config-flow steps of Enedis through Switchgrid (France).

API token → contract search (name + address or PRM) → the contract → who
signs → Switchgrid checks the address → the holder signs the consent on
Switchgrid's hosted page (an external step; the Ask is polled in the
background, never blocking) → the entry. When Home Assistant has an external
HTTPS address, a webhook is prepared and its URL shown for the Switchgrid
dashboard.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import FlowManager, UnknownFlow
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from .const import (
    CONF_ADDRESS_LINES,
    CONF_API_TOKEN,
    CONF_ASK_ID,
    CONF_CONSENT_ID,
    CONF_HOLDER,
    CONF_INJECTION,
    CONF_PRM,
    CONF_PROVIDER,
    CONF_SIGNER,
    CONF_TEST_ENV,
    CONF_WEBHOOK_ID,
    DOMAIN,
    LOGGER,
    PROVIDER_SWITCHGRID,
)
from .flow_helpers import (
    CREDENTIAL_ERRORS,
    EMAIL,
    PASSWORD,
    SECTION_ADVANCED,
    TEL,
    advanced_section,
    async_credentials_step,
    base_url_from,
    flow_error,
    mask,
    with_base_url,
)
from .providers.errors import ProviderError, ProviderUnavailable
from .providers.identifiers import is_valid_prm, normalize_prm
from .providers.switchgrid import (
    DEFAULT_BASE_URL,
    Ask,
    AskStatus,
    ContractMatch,
    Signer,
    SwitchgridClient,
)
from .sync.switchgrid import external_webhook_url, switchgrid_client

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

CONF_NAME: Final = "name"
CONF_ADDRESS: Final = "address"
CONF_CONTRACT: Final = "contract"
CONF_FIRST_NAME: Final = "first_name"
CONF_LAST_NAME: Final = "last_name"
CONF_EMAIL: Final = "email"
CONF_PHONE: Final = "phone"
CONF_GENRE: Final = "genre"

# Switchgrid checks the address with Enedis (seconds); the holder then signs.
POLL_FIRST: Final = 2.0
POLL_MAX: Final = 20.0
POLL_OUTAGE: Final = 3
"""Failed Ask polls in a row that end a wait (fewer are a blip)."""
ADDRESS_CHECK_TIMEOUT: Final = 300.0
CONSENT_TIMEOUT: Final = 3600.0
WAITING: Final = frozenset(
    {
        AskStatus.CREATED,
        AskStatus.PENDING_ADDRESS_CHECK,
        AskStatus.PREPARING_CONSENT_COLLECTION,
    }
)
SIGNING: Final = WAITING | {AskStatus.PENDING_USER_ACTION}


async def async_poll_ask(
    client: SwitchgridClient,
    ask_id: str,
    *,
    until: frozenset[AskStatus] | None = None,
    timeout: float,
) -> Ask:
    """Poll an Ask with backoff while its status is in `until` (default: waiting).

    A brief outage (up to POLL_OUTAGE failed polls in a row: 5xx, timeout,
    connection) is polled through: the holder may be signing meanwhile, and
    ending the flow would withdraw the Ask under their pen. A longer one, or
    any other error, ends the wait.
    """
    waiting = WAITING if until is None else until
    delay = POLL_FIRST
    failed = 0
    async with asyncio.timeout(timeout):
        while True:
            try:
                ask = await client.async_get_ask(ask_id)
            except ProviderUnavailable as err:
                failed += 1
                if failed >= POLL_OUTAGE:
                    raise
                LOGGER.debug(
                    "Switchgrid Ask poll failed, polling on: %s", type(err).__name__
                )
            else:
                failed = 0
                if ask.status not in waiting:
                    return ask
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, POLL_MAX)


def _finished_poll(task: asyncio.Task[Ask], on_timeout: str, action: str) -> Ask | str:
    """Return the Ask a finished poll read, else the abort reason of its failure.

    A provider failure is "cannot connect", never a verdict on the consent: the
    holder may have acted while Switchgrid failed.
    """
    try:
        return task.result()
    except TimeoutError:
        return on_timeout
    except ProviderError as err:
        LOGGER.debug("Switchgrid %s failed: %s", action, type(err).__name__)
        return "cannot_connect"


def checked_ask(task: asyncio.Task[Ask]) -> Ask | str:
    """Read the finished address check: the Ask to sign (or signed), else why not.

    The string is the abort reason, the same in the config and repair flows.
    """
    ask = _finished_poll(task, "address_check_timeout", "address check")
    if isinstance(ask, str):
        return ask
    if ask.status is AskStatus.ACCEPTED:
        return ask
    if ask.status is AskStatus.PENDING_USER_ACTION:
        return ask if ask.user_url else "ask_no_signing_url"
    if ask.status is AskStatus.ADDRESS_CHECK_FAILED:
        return "address_check_failed"
    return "ask_unexpected_status"


def signed_ask(task: asyncio.Task[Ask]) -> Ask | str:
    """Read the finished wait for the signature: the signed Ask, else why not."""
    ask = _finished_poll(task, "consent_not_signed", "signature wait")
    if isinstance(ask, str):
        return ask
    return ask if ask.status is AskStatus.ACCEPTED else "consent_not_signed"


@callback
def async_resume_flow(
    hass: HomeAssistant, manager: FlowManager[Any, Any, Any], flow_id: str
) -> None:
    """Move a flow on once its background wait ended (from a done-callback).

    The user may have closed the flow meanwhile: then there is nothing to do.
    """

    async def _configure() -> None:
        with suppress(UnknownFlow):
            await manager.async_configure(flow_id)

    hass.async_create_task(_configure())


@callback
def async_end_consent_waits(
    hass: HomeAssistant,
    tasks: tuple[asyncio.Task[Ask] | None, ...],
    unused_ask: tuple[SwitchgridClient, str] | None,
) -> None:
    """Stop a closing flow's polls; withdraw the Ask it made that no entry uses."""
    for task in tasks:
        if task is not None and not task.done():
            task.cancel()
    if unused_ask is not None:
        hass.async_create_background_task(
            _async_withdraw_ask(*unused_ask),
            f"{DOMAIN} withdraw unused Switchgrid Ask",
        )


async def _async_withdraw_ask(client: SwitchgridClient, ask_id: str) -> None:
    try:
        await client.async_delete_ask(ask_id)
    except ProviderError as err:
        LOGGER.warning(
            "An unsigned Switchgrid consent request could not be withdrawn: %s",
            type(err).__name__,
        )


def _label(match: ContractMatch) -> str:
    return " — ".join(
        part
        for part in (match.holder, ", ".join(match.address), mask(match.prm))
        if part
    )


class SwitchgridFlow(ConfigFlow):
    """The Switchgrid branch of GridMeter's config flow."""

    _sg_data: dict[str, Any]
    _sg_matches: list[ContractMatch]
    _sg_match: ContractMatch
    _sg_ask: Ask
    _sg_check_task: asyncio.Task[Ask] | None = None
    _sg_consent_task: asyncio.Task[Ask] | None = None
    _sg_unused_ask: str | None = None
    """An Ask this flow created and no entry uses yet: deleted if the flow ends
    without one (not signed, refused, closed), so no consent request lingers."""
    _sg_abort_reason: str = "cannot_connect"

    def _sg_client(self) -> SwitchgridClient:
        return switchgrid_client(self.hass, self._sg_data)

    async def async_step_switchgrid(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the Switchgrid API token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = with_base_url(
                {
                    CONF_PROVIDER: PROVIDER_SWITCHGRID,
                    CONF_API_TOKEN: user_input[CONF_API_TOKEN].strip(),
                    CONF_TEST_ENV: bool(user_input.get(CONF_TEST_ENV)),
                },
                base_url_from(user_input),
                DEFAULT_BASE_URL,
            )
            errors = await self._async_check_token(data)
            if not errors:
                self._sg_data = data
                return await self.async_step_switchgrid_search()
        schema = vol.Schema(
            {
                vol.Required(CONF_API_TOKEN): PASSWORD,
                vol.Optional(CONF_TEST_ENV, default=False): BooleanSelector(),
                vol.Required(SECTION_ADVANCED): advanced_section(DEFAULT_BASE_URL),
            }
        )
        return self.async_show_form(
            step_id="switchgrid", data_schema=schema, errors=errors
        )

    async def _async_check_token(self, data: Mapping[str, Any]) -> dict[str, str]:
        """Any authenticated call tells whether the token is valid."""
        try:
            await switchgrid_client(self.hass, data).async_list_asks()
        except Exception as err:  # noqa: BLE001 - mapped (and logged) by flow_error
            return {
                "base": flow_error(err, "Switchgrid token check", CREDENTIAL_ERRORS)
            }
        return {}

    async def async_step_switchgrid_search(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Find the electricity contract: holder's name and address or PRM."""
        errors: dict[str, str] = {}
        if user_input is not None:
            name = str(user_input.get(CONF_NAME, "")).strip()
            address = str(user_input.get(CONF_ADDRESS) or "").strip() or None
            prm = normalize_prm(str(user_input.get(CONF_PRM) or "")) or None
            if len(name) < 3:
                errors[CONF_NAME] = "name_too_short"
            elif not address and not prm:
                errors["base"] = "address_or_prm"
            elif prm and not is_valid_prm(prm):
                errors[CONF_PRM] = "invalid_prm"
            else:
                try:
                    self._sg_matches = await self._sg_client().async_search_contracts(
                        name, address=address, prm=prm
                    )
                except Exception as err:  # noqa: BLE001 - mapped (and logged) by flow_error
                    errors["base"] = flow_error(
                        err, "Switchgrid contract search", CREDENTIAL_ERRORS
                    )
                else:
                    if not self._sg_matches:
                        errors["base"] = "contract_not_found"
                    elif len(self._sg_matches) == 1:
                        return await self._async_use_contract(self._sg_matches[0])
                    else:
                        return await self.async_step_switchgrid_choose()
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME): str,
                vol.Optional(CONF_ADDRESS): str,
                vol.Optional(CONF_PRM): str,
            }
        )
        return self.async_show_form(
            step_id="switchgrid_search",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
        )

    async def async_step_switchgrid_choose(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Several contracts match: pick one."""
        if user_input is not None:
            chosen = next(
                m for m in self._sg_matches if m.id == user_input[CONF_CONTRACT]
            )
            return await self._async_use_contract(chosen)
        options = [
            SelectOptionDict(value=match.id, label=_label(match))
            for match in self._sg_matches
        ]
        return self.async_show_form(
            step_id="switchgrid_choose",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_CONTRACT): SelectSelector(
                        SelectSelectorConfig(
                            options=options, mode=SelectSelectorMode.LIST
                        )
                    )
                }
            ),
        )

    async def _async_use_contract(self, match: ContractMatch) -> ConfigFlowResult:
        await self.async_set_unique_id(match.prm)
        self._abort_if_unique_id_configured()
        self._sg_match = match
        return await self.async_step_switchgrid_signer()

    async def async_step_switchgrid_signer(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Who signs the consent, and whether the home also injects."""
        errors: dict[str, str] = {}
        if user_input is not None:
            signer = Signer(
                first_name=user_input[CONF_FIRST_NAME].strip(),
                last_name=user_input[CONF_LAST_NAME].strip(),
                email=user_input[CONF_EMAIL].strip(),
                phone=user_input[CONF_PHONE].strip(),
                # The form's options are translation keys (lower case).
                genre=user_input[CONF_GENRE].upper(),
            )
            if "@" not in signer.email:
                errors[CONF_EMAIL] = "invalid_email"
            else:
                try:
                    self._sg_ask = await self._sg_client().async_create_ask(
                        [self._sg_match.id],
                        signer,
                        injection=bool(user_input.get(CONF_INJECTION)),
                    )
                except Exception as err:  # noqa: BLE001 - mapped (and logged) by flow_error
                    errors["base"] = flow_error(
                        err, "Switchgrid consent request", CREDENTIAL_ERRORS
                    )
                else:
                    self._sg_unused_ask = self._sg_ask.id
                    self._sg_data[CONF_INJECTION] = bool(user_input.get(CONF_INJECTION))
                    self._sg_data[CONF_SIGNER] = asdict(signer)
                    return await self.async_step_switchgrid_check()
        schema = vol.Schema(
            {
                vol.Required(CONF_FIRST_NAME): str,
                vol.Required(CONF_LAST_NAME): str,
                vol.Required(CONF_EMAIL): EMAIL,
                vol.Required(CONF_PHONE): TEL,
                vol.Required(CONF_GENRE, default="m"): SelectSelector(
                    SelectSelectorConfig(
                        options=["m", "f"],
                        translation_key="genre",
                        mode=SelectSelectorMode.LIST,
                    )
                ),
                vol.Optional(CONF_INJECTION, default=False): BooleanSelector(),
            }
        )
        return self.async_show_form(
            step_id="switchgrid_signer",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
            description_placeholders={
                "holder": self._sg_match.holder,
                "prm": mask(self._sg_match.prm),
            },
        )

    async def async_step_switchgrid_check(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Switchgrid checks the holder's address with Enedis (progress)."""
        if self._sg_check_task is None:
            # Not eager: the step must return before the task may resume it.
            self._sg_check_task = self.hass.async_create_task(
                async_poll_ask(
                    self._sg_client(), self._sg_ask.id, timeout=ADDRESS_CHECK_TIMEOUT
                ),
                eager_start=False,
            )
        if not self._sg_check_task.done():
            return self.async_show_progress(
                step_id="switchgrid_check",
                progress_action="address_check",
                progress_task=self._sg_check_task,
            )
        result = checked_ask(self._sg_check_task)
        if isinstance(result, str):
            return self._async_end_progress(result)
        self._sg_ask = result
        return self.async_show_progress_done(
            next_step_id="switchgrid_finish"
            if result.status is AskStatus.ACCEPTED
            else "switchgrid_consent"
        )

    def _async_end_progress(self, reason: str) -> ConfigFlowResult:
        """Leave the progress step for an abort with its own message."""
        self._sg_abort_reason = reason
        return self.async_show_progress_done(next_step_id="switchgrid_abort")

    async def async_step_switchgrid_abort(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """End the flow with the message the Ask's state calls for."""
        return self.async_abort(reason=self._sg_abort_reason)

    async def async_step_switchgrid_consent(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Send the holder to Switchgrid's page and wait for the signature."""
        if self._sg_consent_task is None:
            # Not eager, and resumed from a done-callback: the step must have
            # returned, and the task be done, before the flow moves on.
            self._sg_consent_task = self.hass.async_create_task(
                async_poll_ask(
                    self._sg_client(),
                    self._sg_ask.id,
                    until=SIGNING,
                    timeout=CONSENT_TIMEOUT,
                ),
                eager_start=False,
            )
            self._sg_consent_task.add_done_callback(self._async_resume)
        if not self._sg_consent_task.done():
            return self.async_external_step(
                step_id="switchgrid_consent", url=self._sg_ask.user_url or ""
            )
        result = signed_ask(self._sg_consent_task)
        if isinstance(result, str):
            self._sg_abort_reason = result
            return self.async_external_step_done(next_step_id="switchgrid_abort")
        self._sg_ask = result
        return self.async_external_step_done(next_step_id="switchgrid_finish")

    @callback
    def _async_resume(self, _task: asyncio.Future[Ask]) -> None:
        """Move the flow on when the wait ends (the user may have left it)."""
        async_resume_flow(self.hass, self.hass.config_entries.flow, self.flow_id)

    async def async_step_switchgrid_finish(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Create the entry (after showing the webhook URL, when there is one)."""
        webhook_id = self._sg_data.setdefault(
            CONF_WEBHOOK_ID, webhook.async_generate_id()
        )
        url = external_webhook_url(self.hass, webhook_id)
        if url is not None and user_input is None:
            return self.async_show_form(
                step_id="switchgrid_finish",
                description_placeholders={"webhook_url": url},
            )
        match, ask = self._sg_match, self._sg_ask
        self._sg_unused_ask = None
        data = {
            **self._sg_data,
            CONF_PRM: match.prm,
            CONF_ASK_ID: ask.id,
            CONF_CONSENT_ID: ask.consent_ids.get(match.prm, ask.id),
            CONF_HOLDER: match.holder,
            CONF_ADDRESS_LINES: list(match.address),
            "contract_id": match.id,
        }
        return self.async_create_entry(title=f"Enedis {mask(match.prm)}", data=data)

    async def async_switchgrid_token(
        self, entry: ConfigEntry, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask for a new API token (reauth), or also the API address (reconfigure)."""
        return await async_credentials_step(
            self,
            entry,
            step_id,
            user_input,
            fields={vol.Required(CONF_API_TOKEN): PASSWORD},
            changes=lambda answers: {CONF_API_TOKEN: answers[CONF_API_TOKEN].strip()},
            check=self._async_check_token,
            default_base_url=DEFAULT_BASE_URL,
            identifier=entry.data[CONF_PRM],
        )

    def async_remove(self) -> None:
        """Stop polling, and withdraw an Ask no entry uses, when the flow ends."""
        async_end_consent_waits(
            self.hass,
            (self._sg_check_task, self._sg_consent_task),
            (self._sg_client(), self._sg_unused_ask) if self._sg_unused_ask else None,
        )
        self._sg_unused_ask = None
        super().async_remove()
