"""Config-flow and options steps of Enedis through Switchgrid (France).

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
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TimeSelector,
)

from ...const import (
    CONF_ADDRESS_LINES,
    CONF_API_TOKEN,
    CONF_ASK_ID,
    CONF_CONSENT_ID,
    CONF_HOLDER,
    CONF_INJECTION,
    CONF_OFF_PEAK,
    CONF_PRM,
    CONF_PROVIDER,
    CONF_REFRESH_TIME,
    CONF_SIGNER,
    CONF_TEST_ENV,
    CONF_WEBHOOK_ID,
    PROVIDER_SWITCHGRID,
    SWITCHGRID_REFRESH_TIME,
)
from ...coordinator import GridMeterConfigEntry
from ...flow_helpers import (
    CREDENTIAL_ERRORS,
    EMAIL,
    PASSWORD,
    SECTION_ADVANCED,
    TEL,
    HubConfigFlow,
    HubOptionsFlow,
    advanced_section,
    async_credentials_step,
    base_url_from,
    flow_error,
    mask,
    with_base_url,
)
from ...green_flow import async_check_green, green_answers, green_fields
from ...pricing import Country
from ...providers.identifiers import is_valid_prm, normalize_prm
from ...providers.switchgrid import (
    DEFAULT_BASE_URL,
    Ask,
    AskStatus,
    ContractMatch,
    Signer,
    SwitchgridClient,
)
from ...schedule import refresh_time
from ...tariffs import parse_off_peak_hours
from .client import switchgrid_client
from .consent import (
    ADDRESS_CHECK_TIMEOUT,
    CONSENT_TIMEOUT,
    SIGNING,
    async_end_consent_waits,
    async_poll_ask,
    async_resume_flow,
    checked_ask,
    signed_ask,
)
from .webhook import external_webhook_url

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


def _label(match: ContractMatch) -> str:
    return " — ".join(
        part
        for part in (match.holder, ", ".join(match.address), mask(match.prm))
        if part
    )


class SwitchgridConfigFlow(HubConfigFlow):
    """Switchgrid's steps of GridMeter's config flow."""

    _match: ContractMatch
    """The contract chosen (set by the search or choice step)."""
    _ask: Ask
    """The consent request (set by the signer step)."""

    def __init__(self, flow: ConfigFlow) -> None:
        """Start with nothing chosen."""
        super().__init__(flow)
        self._data: dict[str, Any] = {}
        self._matches: list[ContractMatch] = []
        self._check_task: asyncio.Task[Ask] | None = None
        self._consent_task: asyncio.Task[Ask] | None = None
        self._unused_ask: str | None = None
        """An Ask this flow created and no entry uses yet: deleted if the flow
        ends without one (not signed, refused, closed), so no consent request
        lingers."""
        self._abort_reason = "cannot_connect"

    def _client(self) -> SwitchgridClient:
        return switchgrid_client(self.hass, self._data)

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
                self._data = data
                return await self.async_step_switchgrid_search()
        schema = vol.Schema(
            {
                vol.Required(CONF_API_TOKEN): PASSWORD,
                vol.Optional(CONF_TEST_ENV, default=False): BooleanSelector(),
                vol.Required(SECTION_ADVANCED): advanced_section(DEFAULT_BASE_URL),
            }
        )
        return self.flow.async_show_form(
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
                    self._matches = await self._client().async_search_contracts(
                        name, address=address, prm=prm
                    )
                except Exception as err:  # noqa: BLE001 - mapped (and logged) by flow_error
                    errors["base"] = flow_error(
                        err, "Switchgrid contract search", CREDENTIAL_ERRORS
                    )
                else:
                    if not self._matches:
                        errors["base"] = "contract_not_found"
                    elif len(self._matches) == 1:
                        return await self._async_use_contract(self._matches[0])
                    else:
                        return await self.async_step_switchgrid_choose()
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME): str,
                vol.Optional(CONF_ADDRESS): str,
                vol.Optional(CONF_PRM): str,
            }
        )
        return self.flow.async_show_form(
            step_id="switchgrid_search",
            data_schema=self.flow.add_suggested_values_to_schema(
                schema, user_input or {}
            ),
            errors=errors,
        )

    async def async_step_switchgrid_choose(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Several contracts match: pick one."""
        if user_input is not None:
            chosen = next(m for m in self._matches if m.id == user_input[CONF_CONTRACT])
            return await self._async_use_contract(chosen)
        options = [
            SelectOptionDict(value=match.id, label=_label(match))
            for match in self._matches
        ]
        return self.flow.async_show_form(
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
        await self.flow.async_set_unique_id(match.prm)
        self.flow._abort_if_unique_id_configured()  # noqa: SLF001 - HA's own helper
        self._match = match
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
                    self._ask = await self._client().async_create_ask(
                        [self._match.id],
                        signer,
                        injection=bool(user_input.get(CONF_INJECTION)),
                    )
                except Exception as err:  # noqa: BLE001 - mapped (and logged) by flow_error
                    errors["base"] = flow_error(
                        err, "Switchgrid consent request", CREDENTIAL_ERRORS
                    )
                else:
                    self._unused_ask = self._ask.id
                    self._data[CONF_INJECTION] = bool(user_input.get(CONF_INJECTION))
                    self._data[CONF_SIGNER] = asdict(signer)
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
        return self.flow.async_show_form(
            step_id="switchgrid_signer",
            data_schema=self.flow.add_suggested_values_to_schema(
                schema, user_input or {}
            ),
            errors=errors,
            description_placeholders={
                "holder": self._match.holder,
                "prm": mask(self._match.prm),
            },
        )

    async def async_step_switchgrid_check(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Switchgrid checks the holder's address with Enedis (progress)."""
        if self._check_task is None:
            # Not eager: the step must return before the task may resume it.
            self._check_task = self.hass.async_create_task(
                async_poll_ask(
                    self._client(), self._ask.id, timeout=ADDRESS_CHECK_TIMEOUT
                ),
                eager_start=False,
            )
        if not self._check_task.done():
            return self.flow.async_show_progress(
                step_id="switchgrid_check",
                progress_action="address_check",
                progress_task=self._check_task,
            )
        result = checked_ask(self._check_task)
        if isinstance(result, str):
            return self._async_end_progress(result)
        self._ask = result
        return self.flow.async_show_progress_done(
            next_step_id="switchgrid_finish"
            if result.status is AskStatus.ACCEPTED
            else "switchgrid_consent"
        )

    def _async_end_progress(self, reason: str) -> ConfigFlowResult:
        """Leave the progress step for an abort with its own message."""
        self._abort_reason = reason
        return self.flow.async_show_progress_done(next_step_id="switchgrid_abort")

    async def async_step_switchgrid_abort(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """End the flow with the message the Ask's state calls for."""
        return self.flow.async_abort(reason=self._abort_reason)

    async def async_step_switchgrid_consent(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Send the holder to Switchgrid's page and wait for the signature."""
        if self._consent_task is None:
            # Not eager, and resumed from a done-callback: the step must have
            # returned, and the task be done, before the flow moves on.
            self._consent_task = self.hass.async_create_task(
                async_poll_ask(
                    self._client(),
                    self._ask.id,
                    until=SIGNING,
                    timeout=CONSENT_TIMEOUT,
                ),
                eager_start=False,
            )
            self._consent_task.add_done_callback(self._async_resume)
        if not self._consent_task.done():
            return self.flow.async_external_step(
                step_id="switchgrid_consent", url=self._ask.user_url or ""
            )
        result = signed_ask(self._consent_task)
        if isinstance(result, str):
            self._abort_reason = result
            return self.flow.async_external_step_done(next_step_id="switchgrid_abort")
        self._ask = result
        return self.flow.async_external_step_done(next_step_id="switchgrid_finish")

    @callback
    def _async_resume(self, _task: asyncio.Future[Ask]) -> None:
        """Move the flow on when the wait ends (the user may have left it)."""
        async_resume_flow(self.hass, self.hass.config_entries.flow, self.flow.flow_id)

    async def async_step_switchgrid_finish(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Create the entry (after showing the webhook URL, when there is one)."""
        webhook_id = self._data.setdefault(CONF_WEBHOOK_ID, webhook.async_generate_id())
        url = external_webhook_url(self.hass, webhook_id)
        if url is not None and user_input is None:
            return self.flow.async_show_form(
                step_id="switchgrid_finish",
                description_placeholders={"webhook_url": url},
            )
        match, ask = self._match, self._ask
        self._unused_ask = None
        data = {
            **self._data,
            CONF_PRM: match.prm,
            CONF_ASK_ID: ask.id,
            CONF_CONSENT_ID: ask.consent_ids.get(match.prm, ask.id),
            CONF_HOLDER: match.holder,
            CONF_ADDRESS_LINES: list(match.address),
            "contract_id": match.id,
        }
        return self.flow.async_create_entry(
            title=f"Enedis {mask(match.prm)}", data=data
        )

    @override
    async def async_step_credentials(
        self, entry: ConfigEntry, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask for a new API token (reauth), or also the API address (reconfigure)."""
        return await async_credentials_step(
            self.flow,
            entry,
            step_id,
            user_input,
            fields={vol.Required(CONF_API_TOKEN): PASSWORD},
            changes=lambda answers: {CONF_API_TOKEN: answers[CONF_API_TOKEN].strip()},
            check=self._async_check_token,
            default_base_url=DEFAULT_BASE_URL,
            identifier=entry.data[CONF_PRM],
        )

    @override
    def async_remove(self) -> None:
        """Stop polling, and withdraw an Ask no entry uses, when the flow ends."""
        async_end_consent_waits(
            self.hass,
            (self._check_task, self._consent_task),
            (self._client(), self._unused_ask) if self._unused_ask else None,
        )
        self._unused_ask = None


class SwitchgridOptionsFlow(HubOptionsFlow):
    """Refresh time, the off-peak hours override, and the webhook URL."""

    @override
    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the options (the off-peak text is checked first)."""
        entry: GridMeterConfigEntry = self.flow.config_entry
        errors: dict[str, str] = {}
        if user_input is not None:
            answers = green_answers(user_input)
            try:
                parse_off_peak_hours(user_input.get(CONF_OFF_PEAK) or "HC (0H00-0H00)")
            except ValueError:
                errors[CONF_OFF_PEAK] = "invalid_off_peak"
            else:
                errors = await async_check_green(self.hass, entry, answers)
            if not errors:
                return self.flow.async_create_entry(data=answers)
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_REFRESH_TIME,
                    default=refresh_time(entry, SWITCHGRID_REFRESH_TIME).isoformat(),
                ): TimeSelector(),
                vol.Optional(
                    CONF_OFF_PEAK,
                    description={"suggested_value": entry.options.get(CONF_OFF_PEAK)},
                ): TextSelector(),
                **green_fields(entry.options, Country.FRANCE),
            }
        )
        url = external_webhook_url(self.hass, entry.data[CONF_WEBHOOK_ID])
        return self.flow.async_show_form(
            step_id="switchgrid",
            data_schema=schema,
            errors=errors,
            description_placeholders={"webhook_url": url or "-"},
        )

    async def async_step_switchgrid(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Handle the options form (shown under the step id `switchgrid`)."""
        return await self.async_step_init(user_input)
