"""Grid-signal sources: one per grid, shared by every entry on it.

`GridSignalSource` (key ``grid:es_peninsular`` … ``grid:fr``) reads the
grid's measured generation mix at most once an hour (Red Eléctrica's
real-time service for Spain's five systems, RTE's éCO2mix on ODRÉ for
France), keeps the last `KEEP_DAYS` days of it (the 7-day estimates need
them), and, when a user entered credentials, the operator's forecasts
(ESIOS, peninsula only; RTE's data portal) and, for France, EcoWatt alerts.
France's Tempo red days (the shared Tempo calendar) veto windows.

Everything read is stored, so a restart sends nothing before the next hour;
a failure keeps what is known (windows stay). Starting never waits on the
network: the first read runs in the background.

Requests (see `benchmarks`/tests for the measured week):

- Spain, measured: one per hour (today's answer, which REE updates every
  5 minutes), plus one per past day still incomplete (the first start: 7).
- Spain, forecasts (token, peninsula): four every `FORECAST_EVERY`.
- France, measured: one per hour (``[last row, now)``; the first one reads
  the 8 days).
- France, forecasts (credentials): two per D-1 publication (about 18:00
  Paris) and at start; EcoWatt one per hour; a token every 2 hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
import logging
from typing import Final, override
from zoneinfo import ZoneInfo

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_point_in_utc_time

from .const import DOMAIN, LOGGER
from .green_rule import ESTIMATE_DAYS, GridShares, hour_start
from .grid_systems import GridSignal, GridSystem
from .price_sources import TEMPO_KEY, TempoSource
from .providers.eco2mix import DEFAULT_BASE_URL as ODRE_URL, Eco2mixClient
from .providers.errors import ProviderError, redact
from .providers.esios import (
    DEFAULT_BASE_URL as ESIOS_URL,
    FORECAST_SYSTEMS,
    SYSTEM_TIME_ZONES,
    EsiosClient,
)
from .providers.models import utc_now
from .providers.ree_demanda import DEFAULT_BASE_URL as REE_URL, ReeDemandaClient
from .providers.rte import (
    DEFAULT_BASE_URL as RTE_URL,
    RteClient,
    expected_forecast_publication,
)
from .providers.signals import GridMix, GridStress, SignalBasis, TempoDay
from .providers.tempo import DEFAULT_BASE_URL as TEMPO_URL, red_day_stress, tempo_day_of
from .sources import SharedSource, async_acquire, async_release
from .storage import StateSchema, TypedStore

_LOGGER = logging.getLogger(__name__)

HOUR: Final = timedelta(hours=1)
KEEP_DAYS: Final = ESTIMATE_DAYS + 1
"""Measured history kept: the 7 days of the estimates and today."""
FETCH_DELAY: Final = timedelta(minutes=5)
"""Past the hour before reading it: the hour just ended is then complete."""
FORECAST_EVERY: Final = timedelta(hours=3)
"""ESIOS wind and solar forecasts are revised hourly; read them this often."""
PARIS: Final = ZoneInfo("Europe/Paris")

# Keys of `CONF_SOURCE_URLS` (simulators in development and tests).
URL_REE: Final = "ree_demanda"
URL_ESIOS: Final = "esios"
URL_ODRE: Final = "odre"
URL_RTE: Final = "rte"
URL_TEMPO: Final = "tempo"
DEFAULT_URLS: Final[dict[str, str]] = {
    URL_REE: REE_URL,
    URL_ESIOS: ESIOS_URL,
    URL_ODRE: ODRE_URL,
    URL_RTE: RTE_URL,
    URL_TEMPO: TEMPO_URL,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class GridCredentials:
    """A user's optional forecast credentials (never logged)."""

    esios_token: str | None = None
    rte_client_id: str | None = None
    rte_client_secret: str | None = None

    @property
    def rte(self) -> tuple[str, str] | None:
        """RTE's client id and secret, when both are set."""
        if self.rte_client_id and self.rte_client_secret:
            return self.rte_client_id, self.rte_client_secret
        return None


@dataclass(slots=True, kw_only=True)
class GridState:
    """What a grid source stored: measured rows, forecasts, stress, timetable."""

    measured: list[GridMix] = field(default_factory=list)
    forecast: list[GridMix] = field(default_factory=list)
    ecowatt: list[GridStress] = field(default_factory=list)
    fetched: dict[str, datetime] = field(default_factory=dict)
    """Spain: local day (ISO) → when its answer was last read."""
    last_fetch: datetime | None = None
    last_forecast: datetime | None = None
    requests: dict[str, int] = field(default_factory=dict)
    """Requests sent, by source (diagnostics, benchmarks)."""


GRID_SCHEMA: Final = StateSchema(model=GridState, version=1)


def _merge(
    old: Iterable[GridMix], new: Iterable[GridMix], oldest: datetime
) -> list[GridMix]:
    """Rows by start (the newest answer wins), none older than `oldest`."""
    rows = {row.start: row for row in old}
    rows.update((row.start, row) for row in new)
    return [rows[start] for start in sorted(rows) if start >= oldest]


def _local_day_end(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)


def days_to_read(
    fetched: Mapping[str, datetime], now: datetime, zone: ZoneInfo
) -> list[date]:
    """Spain: today (every hour) and each past day whose answer is incomplete.

    A past day is complete once its own answer was read after it ended, or
    once the next day's answer (which repeats its last hours from 21:00) was
    read after it ended and its own answer after 21:00. Today's answer is
    read now, so yesterday read after 21:00 needs no other request.
    """
    today = now.astimezone(zone).date()
    wanted: list[date] = []
    for back in range(ESTIMATE_DAYS, 0, -1):
        day = today - timedelta(days=back)
        end = _local_day_end(day, zone)
        own = fetched.get(day.isoformat())
        following = (
            now
            if day + timedelta(days=1) == today
            else fetched.get((day + timedelta(days=1)).isoformat())
        )
        late = end - timedelta(hours=3)
        if own is not None and (
            own >= end or (own >= late and following is not None and following >= end)
        ):
            continue
        wanted.append(day)
    wanted.append(today)
    return wanted


class GridSignalSource(SharedSource[GridSignal]):
    """The measured mix (and forecasts, stress) of one grid, hour by hour."""

    def __init__(
        self,
        hass: HomeAssistant,
        system: GridSystem,
        *,
        urls: Mapping[str, str] | None = None,
    ) -> None:
        """Prepare the clients; nothing is read here."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=None,
            name=f"{DOMAIN} grid {system.value}",
            update_interval=None,
            always_update=True,
        )
        self.system = system
        self.urls = {**DEFAULT_URLS, **(urls or {})}
        session = async_get_clientsession(hass)
        self._session = session
        self._ree = ReeDemandaClient(session, base_url=self.urls[URL_REE])
        self._odre = Eco2mixClient(session, base_url=self.urls[URL_ODRE])
        self._esios: EsiosClient | None = None
        self._rte: RteClient | None = None
        self._credentials: dict[str, GridCredentials] = {}
        self._in_use: GridCredentials | None = None
        self._tempo: TempoSource | None = None
        self._store = TypedStore(hass, f"{DOMAIN}.grid_{system.value}", GRID_SCHEMA)
        self.state = GridState()
        self._unsubs: list[CALLBACK_TYPE] = []
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._running = False
        self._started = False
        self._stopped = False
        self.data = self._signal()

    def __repr__(self) -> str:
        """Name the grid only."""
        return f"GridSignalSource({self.system.value})"

    # -- credentials -------------------------------------------------------------

    @callback
    def set_credentials(self, user: str, credentials: GridCredentials) -> None:
        """Note a user's forecast credentials (the first complete set is used)."""
        self._credentials[user] = credentials
        self._choose_credentials()

    @callback
    def drop_credentials(self, user: str) -> None:
        """Forget a user's credentials (it is leaving)."""
        self._credentials.pop(user, None)
        self._choose_credentials()

    def _usable(self, credentials: GridCredentials) -> bool:
        if self.system is GridSystem.FR:
            return credentials.rte is not None
        system = self.system.electric_system
        return bool(credentials.esios_token) and system in FORECAST_SYSTEMS

    @callback
    def _choose_credentials(self) -> None:
        chosen = next(
            (
                self._credentials[user]
                for user in sorted(self._credentials)
                if self._usable(self._credentials[user])
            ),
            None,
        )
        if chosen == self._in_use:
            return
        self._in_use = chosen
        self._esios = self._rte = None
        self.state.last_forecast = None
        if chosen is None:
            self.state.forecast = []
            self.state.ecowatt = []
        elif self.system is GridSystem.FR and (rte := chosen.rte) is not None:
            self._rte = RteClient(
                self._session, rte[0], rte[1], base_url=self.urls[URL_RTE]
            )
        elif chosen.esios_token:
            self._esios = EsiosClient(
                self._session, token=chosen.esios_token, base_url=self.urls[URL_ESIOS]
            )
        if self._started:
            self._schedule(utc_now(), forecasts_changed=True)

    @property
    def forecasts(self) -> bool:
        """Whether operator forecasts are read (credentials configured)."""
        return self._esios is not None or self._rte is not None

    # -- life --------------------------------------------------------------------

    @override
    async def async_start(self) -> None:
        """Restore what is stored, then read in the background when due."""
        self.state = await self._store.async_load_state()
        if self.system is GridSystem.FR:
            self._tempo = await async_acquire(
                self.hass,
                TEMPO_KEY,
                self.key,
                lambda: TempoSource(self.hass, base_url=self.urls[URL_TEMPO]),
            )
            self._unsubs.append(self._tempo.async_add_listener(self._republish))
        self.data = self._signal()
        self._started = True
        self._schedule(utc_now())

    @override
    async def async_stop(self) -> None:
        """Stop the timetable, let go of Tempo and save."""
        self._stopped = True
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        if self._tempo is not None:
            await async_release(self.hass, TEMPO_KEY, self.key)
            self._tempo = None
        await self._store.async_save_state(self.state)
        await self.async_shutdown()

    @override
    async def async_shutdown(self) -> None:
        """Cancel the timetable (Home Assistant stopping, or `async_stop`)."""
        self._stopped = True
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        await super().async_shutdown()

    @callback
    def _republish(self) -> None:
        self.async_set_updated_data(self._signal())

    # -- what entries see ----------------------------------------------------------

    def _stress(self) -> tuple[GridStress, ...]:
        stress: list[GridStress] = list(self.state.ecowatt)
        if self._tempo is not None:
            stress += red_day_stress(
                TempoDay(day=day, colour=colour)
                for day, colour in self._tempo.data.items()
            )
        return tuple(sorted(stress, key=lambda s: s.start))

    def _signal(self) -> GridSignal:
        return GridSignal(
            system=self.system,
            shares=GridShares.from_mix(
                [*self.state.measured, *self.state.forecast], self.system.timezone
            ),
            stress=self._stress(),
            forecasts=self.forecasts,
        )

    # -- timetable -----------------------------------------------------------------

    @callback
    def _schedule(self, now: datetime, *, forecasts_changed: bool = False) -> None:
        """Arm the next read: past the next hour, or now when one is due."""
        if self._stopped:
            return
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        last = self.state.last_fetch
        due = now if last is None else hour_start(last) + HOUR + FETCH_DELAY
        if forecasts_changed and self.forecasts:
            due = now
        if due <= now:
            if not self._running:
                self.hass.async_create_background_task(
                    self._async_read(), f"{DOMAIN} grid {self.system.value}"
                )
            return

        @callback
        def _run(_now: datetime) -> None:
            self._unsub_timer = None
            self.hass.async_create_background_task(
                self._async_read(), f"{DOMAIN} grid {self.system.value}"
            )

        self._unsub_timer = async_track_point_in_utc_time(self.hass, _run, due)

    def _count(self, source: str, requests: int = 1) -> None:
        self.state.requests[source] = self.state.requests.get(source, 0) + requests

    async def _async_read(self) -> None:
        """Read what is due; whatever fails keeps what is known."""
        if self._running or self._stopped:
            return
        self._running = True
        now = utc_now()
        last = self.state.last_fetch
        # Measured rows at most once per UTC hour (new credentials only add
        # their forecasts).
        measured = last is None or hour_start(now) > hour_start(last)
        try:
            if measured:
                self.state.last_fetch = now
            if self.system is GridSystem.FR:
                await self._async_read_france(now, measured=measured)
            else:
                await self._async_read_spain(now, measured=measured)
            oldest = hour_start(now) - timedelta(days=KEEP_DAYS)
            self.state.measured = _merge(self.state.measured, (), oldest)
            self.state.forecast = _merge(
                self.state.forecast, (), hour_start(now) - timedelta(days=1)
            )
            self._store.async_delay_save_state(self.state)
            self.async_set_updated_data(self._signal())
        finally:
            self._running = False
            self._schedule(utc_now())

    async def _async_read_spain(self, now: datetime, *, measured: bool) -> None:
        system = self.system.electric_system
        assert system is not None
        zone = SYSTEM_TIME_ZONES[system]
        today = now.astimezone(zone).date()
        oldest = hour_start(now) - timedelta(days=KEEP_DAYS)
        days = days_to_read(self.state.fetched, now, zone) if measured else []
        for day in days:
            try:
                answer = await self._ree.fetch_mix(system, day)
            except ProviderError as err:
                _LOGGER.debug(
                    "REE %s %s not read: %s", self.system.value, day, redact(str(err))
                )
                break
            finally:
                self._count(URL_REE)
            self.state.fetched[day.isoformat()] = now
            self.state.measured = _merge(self.state.measured, answer.rows, oldest)
        first_kept = (today - timedelta(days=KEEP_DAYS)).isoformat()
        self.state.fetched = {
            day: at for day, at in self.state.fetched.items() if day >= first_kept
        }
        esios = self._esios
        last = self.state.last_forecast
        if esios is not None and (last is None or now - last >= FORECAST_EVERY):
            sent = esios.requests_sent
            try:
                forecast = await esios.fetch_forecast(
                    system, today, today + timedelta(days=1)
                )
            except ProviderError as err:
                _LOGGER.debug("ESIOS forecasts not read: %s", redact(str(err)))
            else:
                self.state.last_forecast = now
                self.state.forecast = list(forecast.rows)
            finally:
                self._count(URL_ESIOS, esios.requests_sent - sent)

    async def _async_read_france(self, now: datetime, *, measured: bool) -> None:
        oldest = hour_start(now) - timedelta(days=KEEP_DAYS)
        kept = [row for row in self.state.measured if row.start >= oldest]
        start = max(kept[-1].end if kept else oldest, oldest)
        if measured and start < now:
            try:
                batch = await self._odre.async_get_mix(start, now)
            except ProviderError as err:
                _LOGGER.debug("éCO2mix not read: %s", redact(str(err)))
            else:
                self.state.measured = _merge(
                    self.state.measured,
                    (row for row in batch.rows if row.basis is SignalBasis.MEASURED),
                    oldest,
                )
            finally:
                self._count(URL_ODRE)
        if measured and self._tempo is not None:
            today = tempo_day_of(now)
            await self._tempo.async_ensure(
                today - timedelta(days=1), today + timedelta(days=1)
            )
        rte = self._rte
        if rte is None:
            return
        sent = rte.requests_sent
        try:
            last = self.state.last_forecast
            published = expected_forecast_publication(
                now.astimezone(PARIS).date() + timedelta(days=1)
            )
            if last is None or (last < published <= now):
                first = now.astimezone(PARIS).date()
                forecast = await rte.async_get_forecast(first, 2)
                self.state.forecast = list(forecast.rows)
                self.state.last_forecast = now
            if measured or last is None:
                ecowatt = await rte.async_get_ecowatt()
                self.state.ecowatt = ecowatt.stress()
        except ProviderError as err:
            _LOGGER.debug("RTE data portal not read: %s", redact(str(err)))
        finally:
            self._count(URL_RTE, rte.requests_sent - sent)

    # -- diagnostics ---------------------------------------------------------------

    def diagnostics(self) -> dict[str, object]:
        """Describe what the source holds (no credential)."""
        signal = self.data
        return {
            "system": self.system.value,
            "measured_hours": len(signal.shares.measured),
            "forecast_hours": len(signal.shares.forecast),
            "stress_periods": len(signal.stress),
            "forecasts": self.forecasts,
            "last_fetch": self.state.last_fetch.isoformat()
            if self.state.last_fetch
            else None,
            "requests": dict(self.state.requests),
        }
