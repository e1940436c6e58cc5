"""Price sources shared by every entry of a zone: Spain's PVPC, France's Tempo.

Prices are kept in storage by local day of the zone, so no price is ever
downloaded twice: the 24 months of history cost two requests once (ESIOS's
public archive answers a date range), then today's and tomorrow's prices are
read once a day after their publication (about 20:30 Madrid), with a retry
every half hour while tomorrow is still missing, and yesterday is re-read
with them to pick up REE's revisions. A day not published is not known: no
cost is written for its hours until it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import logging
from typing import Final, override

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_point_in_utc_time

from .const import DOMAIN, LOGGER
from .providers.errors import ProviderError, redact
from .providers.esios import (
    DEFAULT_BASE_URL as ESIOS_URL,
    EsiosClient,
    PvpcZone,
    last_expected_day,
    local_hours,
    pvpc_expected_at,
)
from .providers.models import utc_now
from .providers.signals import TempoColour
from .providers.tempo import (
    DEFAULT_BASE_URL as TEMPO_URL,
    TempoClient,
    expected_publication,
    season_bounds,
    seasons_between,
    tempo_day_of,
)
from .sources import SharedSource
from .storage import StateSchema, TypedStore

_LOGGER = logging.getLogger(__name__)

RETRY: Final = timedelta(minutes=30)
RECENT_DAYS: Final = 2
"""Days before tomorrow re-read daily: REE revises recent prices."""
HISTORY_DAYS: Final = 760
"""How far back prices are kept (the hubs serve 24 months)."""


@dataclass(slots=True, kw_only=True)
class PvpcState:
    """The PVPC prices known for a zone: local day → its hourly €/kWh, in order."""

    days: dict[date, tuple[float, ...]] = field(default_factory=dict)
    requests: int = 0
    """Requests sent to ESIOS by this zone's source, ever (diagnostics)."""


PVPC_SCHEMA: Final = StateSchema(model=PvpcState, version=1)


def pvpc_key(zone: PvpcZone) -> str:
    """Return the shared-source key of a PVPC zone."""
    return f"pvpc:{zone.key}"


class PvpcSource(SharedSource[Mapping[datetime, float]]):
    """The PVPC prices of one zone, by UTC hour start (€/kWh, before taxes)."""

    def __init__(
        self,
        hass: HomeAssistant,
        zone: PvpcZone,
        *,
        base_url: str = ESIOS_URL,
    ) -> None:
        """Read through ESIOS's public archive (no token needed)."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=None,
            name=f"{DOMAIN} PVPC {zone.key}",
            update_interval=None,
            always_update=False,
        )
        self.zone = zone
        self.client = EsiosClient(async_get_clientsession(hass), base_url=base_url)
        name = f"{zone.tariff}_{zone.time_zone.key}".lower().replace("/", "_")
        self._store = TypedStore(hass, f"{DOMAIN}.pvpc_{name}", PVPC_SCHEMA)
        self.state = PvpcState()
        self._unsub: CALLBACK_TYPE | None = None
        self.data = {}

    # -- stored prices -----------------------------------------------------------

    def _hours(self) -> dict[datetime, float]:
        prices: dict[datetime, float] = {}
        for day, values in self.state.days.items():
            hours = local_hours(day, self.zone.time_zone)
            if len(hours) == len(values):
                prices.update(zip(hours, values, strict=True))
        return prices

    def known(self, day: date) -> bool:
        """Whether the prices of a local day are known."""
        return day in self.state.days

    @override
    async def async_start(self) -> None:
        """Restore the stored prices and wait for the next publication."""
        self.state = await self._store.async_load_state()
        self.data = self._hours()
        self._schedule(utc_now())

    @override
    async def async_stop(self) -> None:
        """Stop the timetable and save the prices."""
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        await self._store.async_save_state(self.state)
        await self.async_shutdown()

    # -- fetching ----------------------------------------------------------------

    async def async_ensure(self, first: date, last: date) -> bool:
        """Make sure the prices of the local days `first..last` are known.

        Days not due yet (tomorrow before its publication) are not asked.
        Returns True when new prices arrived (listeners are told).
        """
        last = min(last, last_expected_day(utc_now()))
        oldest = utc_now().astimezone(self.zone.time_zone).date() - timedelta(
            days=HISTORY_DAYS
        )
        first = max(first, oldest)
        wanted = [
            first + timedelta(days=n)
            for n in range((last - first).days + 1)
            if not self.known(first + timedelta(days=n))
        ]
        if not wanted:
            return False
        return await self._async_fetch(min(wanted), max(wanted))

    async def _async_fetch(self, first: date, last: date) -> bool:
        try:
            prices = await self.client.fetch_pvpc(first, last, self.zone)
        except ProviderError as err:
            _LOGGER.debug("PVPC %s..%s not read: %s", first, last, redact(str(err)))
            return False
        self.state.requests += prices.requests
        changed = False
        for day, hours in prices.by_day.items():
            values = tuple(price.eur_per_kwh for price in hours)
            if self.state.days.get(day) != values:
                self.state.days[day] = values
                changed = True
        if changed:
            oldest = last - timedelta(days=HISTORY_DAYS)
            self.state.days = {d: v for d, v in self.state.days.items() if d >= oldest}
            self._store.async_delay_save_state(self.state)
            self.async_set_updated_data(self._hours())
        return changed

    async def _async_daily(self) -> None:
        """After the publication: tomorrow, today and the recent days again."""
        now = utc_now()
        last = last_expected_day(now)
        first = last - timedelta(days=RECENT_DAYS)
        # Re-read the recent days even when known: REE revises them.
        await self._async_fetch(first, last)
        self._schedule(now)

    @callback
    def _schedule(self, now: datetime) -> None:
        """Arm the next read: tomorrow's publication, or a retry if it is late."""
        if self._unsub is not None:
            self._unsub()
        today = now.astimezone(self.zone.time_zone).date()
        tomorrow = today + timedelta(days=1)
        due = pvpc_expected_at(tomorrow)
        if now >= due:
            due = (
                now + RETRY
                if not self.known(tomorrow)
                else pvpc_expected_at(tomorrow + timedelta(days=1))
            )

        @callback
        def _run(_now: datetime) -> None:
            self._unsub = None
            self.hass.async_create_background_task(
                self._async_daily(), f"{DOMAIN} PVPC {self.zone.key}"
            )

        self._unsub = async_track_point_in_utc_time(
            self.hass, _run, due.astimezone(UTC)
        )


@dataclass(slots=True, kw_only=True)
class TempoState:
    """The Tempo colours known (a day absent is not published yet)."""

    days: dict[date, TempoColour] = field(default_factory=dict)
    requests: int = 0


TEMPO_SCHEMA: Final = StateSchema(model=TempoState, version=1)
TEMPO_KEY: Final = "tempo"


class TempoSource(SharedSource[Mapping[date, TempoColour]]):
    """France's Tempo day colours, by Tempo day (06:00 → 06:00 Paris).

    Past seasons are asked once (one request a season) and kept; tomorrow's
    colour is read once a day after RTE's publication (about 10:30 Paris),
    with a retry every half hour while it is missing.
    """

    def __init__(self, hass: HomeAssistant, *, base_url: str = TEMPO_URL) -> None:
        """Read through RTE's public calendar (no account needed)."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=None,
            name=f"{DOMAIN} Tempo",
            update_interval=None,
            always_update=False,
        )
        self.client = TempoClient(async_get_clientsession(hass), base_url=base_url)
        self._store = TypedStore(hass, f"{DOMAIN}.tempo", TEMPO_SCHEMA)
        self.state = TempoState()
        self._unsub: CALLBACK_TYPE | None = None
        self.data = {}

    @override
    async def async_start(self) -> None:
        """Restore the stored colours and wait for the next publication."""
        self.state = await self._store.async_load_state()
        self.data = dict(self.state.days)
        self._schedule(utc_now())

    @override
    async def async_shutdown(self) -> None:
        """Cancel the timetable too (Home Assistant stopping)."""
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        await super().async_shutdown()

    @override
    async def async_stop(self) -> None:
        """Stop the timetable and save the colours."""
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        await self._store.async_save_state(self.state)
        await self.async_shutdown()

    async def async_ensure(self, first: date, last: date) -> bool:
        """Make sure the colours of the Tempo days `first..last` are known.

        Days not published yet are not asked; seasons already complete in
        storage are not asked again.
        """
        now = utc_now()
        last = min(last, tempo_day_of(now) + timedelta(days=1))
        oldest = tempo_day_of(now) - timedelta(days=HISTORY_DAYS)
        first = max(first, oldest)
        wanted = [
            first + timedelta(days=n)
            for n in range((last - first).days + 1)
            if first + timedelta(days=n) not in self.state.days
            and expected_publication(first + timedelta(days=n)) <= now
        ]
        if not wanted:
            return False
        return await self._async_fetch(min(wanted), max(wanted))

    async def _async_fetch(self, first: date, last: date) -> bool:
        changed = False
        for season in seasons_between(first, last):
            start, end = season_bounds(season)
            try:
                calendar = await self.client.async_get_days(
                    max(start, first), min(end, last)
                )
            except ProviderError as err:
                _LOGGER.debug("Tempo %s not read: %s", season, redact(str(err)))
                continue
            finally:
                self.state.requests += 1
            for day in calendar.days:
                if self.state.days.get(day.day) is not day.colour:
                    self.state.days[day.day] = day.colour
                    changed = True
        if changed:
            self._store.async_delay_save_state(self.state)
            self.async_set_updated_data(dict(self.state.days))
        return changed

    async def _async_daily(self) -> None:
        now = utc_now()
        tomorrow = tempo_day_of(now) + timedelta(days=1)
        await self._async_fetch(tomorrow - timedelta(days=1), tomorrow)
        self._schedule(now)

    @callback
    def _schedule(self, now: datetime) -> None:
        if self._unsub is not None:
            self._unsub()
        tomorrow = tempo_day_of(now) + timedelta(days=1)
        due = expected_publication(tomorrow)
        if now >= due:
            due = (
                now + RETRY
                if tomorrow not in self.state.days
                else expected_publication(tomorrow + timedelta(days=1))
            )

        @callback
        def _run(_now: datetime) -> None:
            self._unsub = None
            self.hass.async_create_background_task(
                self._async_daily(), f"{DOMAIN} Tempo"
            )

        self._unsub = async_track_point_in_utc_time(self.hass, _run, due)
