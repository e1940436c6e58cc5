"""Config flow: choose the hub, then that hub's steps.

Each hub's steps live with the hub (`hubs/<hub>/flow.py`) and keep their own
state; this flow shows the menu of hubs (from their specs), forwards every
other step to the chosen hub, and routes reauthentication, reconfiguration
and options to the entry's hub. Credentials are always checked against the
provider before anything is created.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, override

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.core import callback

from .const import DOMAIN
from .coordinator import GridMeterConfigEntry
from .costs import SUBENTRY_PRICES
from .flow_helpers import HubConfigFlow, HubOptionsFlow
from .hubs import SPECS, spec_for
from .prices_flow import PricesSubentryFlow

type Step = Callable[..., Awaitable[ConfigFlowResult]]

_STEP = "async_step_"


class GridMeterConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a GridMeter provider account."""

    VERSION = 1
    _hub: HubConfigFlow | None = None

    @staticmethod
    @callback
    @override
    def async_get_options_flow(
        config_entry: GridMeterConfigEntry,
    ) -> GridMeterOptionsFlow:
        """Options: those of the entry's hub."""
        return GridMeterOptionsFlow()

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Prices: one subentry per dated price set of a supply."""
        return {SUBENTRY_PRICES: PricesSubentryFlow}

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick the hub."""
        return self.async_show_menu(step_id="user", menu_options=list(SPECS))

    def __getattr__(self, name: str) -> Step:
        """Forward a hub's steps: `async_step_<hub>` starts that hub's steps."""
        if name.startswith(_STEP):
            hub = self._hub
            if hub is None and (spec := SPECS.get(name.removeprefix(_STEP))):
                hub = self._hub = spec.config_flow(self)
            if hub is not None and callable(step := getattr(hub, name, None)):
                return step  # type: ignore[no-any-return]
        raise AttributeError(name)

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start re-authentication after the provider rejected the credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password, API token or client secret."""
        return await self._async_credentials("reauth_confirm", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the credentials (or, under Advanced, the API address)."""
        return await self._async_credentials("reconfigure", user_input)

    async def _async_credentials(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        entry = (
            self._get_reauth_entry()
            if self.source == SOURCE_REAUTH
            else self._get_reconfigure_entry()
        )
        if self._hub is None:
            self._hub = spec_for(entry.data).config_flow(self)
        return await self._hub.async_step_credentials(entry, step_id, user_input)

    @callback
    @override
    def async_remove(self) -> None:
        """Let the hub's steps release what they hold (polls, unused consents)."""
        if self._hub is not None:
            self._hub.async_remove()


class GridMeterOptionsFlow(OptionsFlow):
    """The options of the entry's hub (daily refresh time, supply points...).

    A change reloads the entry (its update listener, which also follows the
    price subentries).
    """

    _hub: HubOptionsFlow | None = None

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the hub's options, once the entry is loaded."""
        entry: GridMeterConfigEntry = self.config_entry
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        spec = spec_for(entry.data)
        if spec.options_flow is None:
            return self.async_abort(reason="no_options")
        if self._hub is None:
            self._hub = spec.options_flow(self)
        return await self._hub.async_step_init(user_input)

    def __getattr__(self, name: str) -> Step:
        """Forward the hub's other options steps."""
        if (
            name.startswith(_STEP)
            and self._hub is not None
            and callable(step := getattr(self._hub, name, None))
        ):
            return step  # type: ignore[no-any-return]
        raise AttributeError(name)
