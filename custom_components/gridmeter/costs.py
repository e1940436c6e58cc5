"""Money statistics of an entry's supplies: what each hour cost, what return earned.

Every hour of energy the coordinator writes is priced by the supply's price
book (its prices subentries, `prices_flow.py`) through the price engine
(`pricing`) and written through the one statistics writer as
`gridmeter:<provider>_<meter>_cost` (and `_cost_<period>`, `_compensation`,
`_compensation_<period>`): EUR, hourly rows with state and sum.

- New energy (a backfill, a daily run, a late correction) is priced as it is
  written: its hours' money rows are written with it.
- A price set added, changed or removed rewrites the money rows from the
  first day it changes, with every later sum (energy read back once from
  the recorder); the book last applied is stored, so a restart writes
  nothing.
- An hour whose price is not known yet (PVPC not published, a Tempo colour
  not out) gets no row; the first such hour is stored and priced when the
  price arrives. Nothing is ever guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
import logging
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.recorder import get_instance

from .const import DOMAIN
from .price_sources import TEMPO_KEY, PvpcSource, TempoSource, pvpc_key
from .pricing import (
    MONEY_OF,
    Plan,
    PriceBook,
    PriceSet,
    SupplyTariff,
    current_price,
    money_rows,
    money_series,
    parse_price_set,
    price_set_to_dict,
)
from .providers.esios import electric_system_for, pvpc_zone_for
from .providers.models import EnergyKind, MeterPoint, utc_now
from .providers.signals import TempoColour
from .providers.tempo import tempo_day_of
from .sources import async_acquire, async_release, source_urls
from .statistics import get_writer, money_statistic, series_key, statistic_id
from .storage import StateSchema, TypedStore, account_key
from .tariffs import TariffCalendar

if TYPE_CHECKING:
    from .coordinator import GridMeterCoordinator

_LOGGER = logging.getLogger(__name__)

HOUR: Final = timedelta(hours=1)
TODAY_RETRY: Final = timedelta(minutes=30)
"""How often the price now may ask for today's PVPC prices while unknown."""
MONEY_SERIES: Final = tuple(MONEY_OF.values())
"""The whole-register money series: ``cost`` and ``compensation``."""


SUBENTRY_PRICES: Final = "prices"
"""The subentry type of a price set (one dated set of one supply)."""
CONF_METER: Final = "meter_id"


def price_sets(entry: ConfigEntry, meter_id: str | None) -> list[PriceSet]:
    """Return the price sets of a supply (its prices subentries), oldest first.

    `meter_id` None: the sets of every supply of the entry. A subentry that no longer reads (it cannot happen through the flow) is
    left out rather than guessed.
    """
    sets = [
        parsed
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_PRICES
        and (meter_id is None or subentry.data.get(CONF_METER) == meter_id)
        and isinstance(parsed := parse_price_set(price_fields(subentry.data)), PriceSet)
    ]
    return sorted(sets, key=lambda s: s.valid_from)


def price_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return a prices subentry's data without its supply (the price set)."""
    return {key: value for key, value in data.items() if key != CONF_METER}


@dataclass(slots=True, kw_only=True)
class CostState:
    """What the money statistics of an entry were last computed with."""

    applied: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Meter → the price sets (JSON) its money rows were written with."""
    pending: dict[str, datetime] = field(default_factory=dict)
    """Meter → the first hour whose price was not known yet."""


COST_SCHEMA: Final = StateSchema(model=CostState, version=1)


@dataclass(frozen=True, slots=True)
class Supply:
    """A supply point as the price engine sees it."""

    point: MeterPoint
    tariff: SupplyTariff
    energy_series: tuple[str, ...]
    """The energy statistics priced: ``consumption``, ``consumption_p1`` …"""


def energy_series(
    kinds: frozenset[EnergyKind], calendar: TariffCalendar | None
) -> tuple[str, ...]:
    """Return the energy statistics of a supply that are priced (with periods)."""
    series: list[str] = []
    for kind in (EnergyKind.CONSUMPTION, EnergyKind.RETURN):
        if kind in kinds:
            series.append(series_key(kind))
            if calendar is not None:
                series += [series_key(kind, period) for period in calendar.periods]
    return tuple(series)


def _local_midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(), ZoneInfo(timezone)).astimezone(UTC)


def first_changed_day(old: list[PriceSet], new: list[PriceSet]) -> date | None:
    """Return the first local day whose prices differ between two books.

    A set added, removed or changed moves every hour from its date on; None
    when both books are the same.
    """
    before = {s.valid_from: price_set_to_dict(s) for s in old}
    after = {s.valid_from: price_set_to_dict(s) for s in new}
    changed = [
        day for day in before.keys() | after.keys() if before.get(day) != after.get(day)
    ]
    return min(changed, default=None)


class CostKeeper:
    """Prices the energy of one entry's supplies and writes the money rows."""

    def __init__(self, coordinator: GridMeterCoordinator[Any]) -> None:
        """Attach to the entry's coordinator; nothing is read here."""
        self.coordinator = coordinator
        self.hass: HomeAssistant = coordinator.hass
        entry = coordinator.config_entry
        assert entry.unique_id is not None
        self._store = TypedStore(
            self.hass,
            f"{account_key(coordinator.spec.key, entry.unique_id)}_costs",
            COST_SCHEMA,
        )
        self.state = CostState()
        self._pvpc: dict[str, PvpcSource] = {}
        self._tempo: TempoSource | None = None
        self._fetching = False
        self._today_asked: datetime | None = None
        self._stopped = False
        self._unsubs: list[CALLBACK_TYPE] = []

    # -- prices --------------------------------------------------------------------

    def sets(self, meter_id: str) -> list[PriceSet]:
        """Return the supply's price sets now (its prices subentries), oldest first."""
        return price_sets(self.coordinator.config_entry, meter_id)

    def _applied(self, meter_id: str) -> list[PriceSet]:
        return [
            parsed
            for raw in self.state.applied.get(meter_id, [])
            if isinstance(parsed := parse_price_set(raw), PriceSet)
        ]

    def _pvpc_for(self, point: MeterPoint) -> PvpcSource | None:
        try:
            system = electric_system_for(point.region_code, point.postal_code)
        except ValueError:
            return None
        return self._pvpc.get(pvpc_key(pvpc_zone_for(system)))

    async def _async_sources(
        self, point: MeterPoint, sets: list[PriceSet]
    ) -> PvpcSource | None:
        """Acquire the PVPC source of a supply priced by PVPC (once)."""
        if not any(s.plan is Plan.ES_PVPC for s in sets):
            return None
        try:
            system = electric_system_for(point.region_code, point.postal_code)
        except ValueError:
            _LOGGER.warning("A PVPC supply without a Spanish province is not priced")
            return None
        zone = pvpc_zone_for(system)
        key = pvpc_key(zone)
        if key not in self._pvpc:
            urls = source_urls(self.coordinator.config_entry)
            entry_id = self.coordinator.config_entry.entry_id
            source = await async_acquire(
                self.hass,
                key,
                entry_id,
                lambda: PvpcSource(
                    self.hass,
                    zone,
                    **({"base_url": urls["esios"]} if "esios" in urls else {}),
                ),
            )
            self._pvpc[key] = source
            self._unsubs.append(source.async_add_listener(self._prices_arrived))
        return self._pvpc[key]

    async def _async_tempo(self, sets: list[PriceSet]) -> TempoSource | None:
        """Acquire France's Tempo calendar for a supply priced by Tempo (once)."""
        if not any(s.plan is Plan.FR_TEMPO for s in sets):
            return None
        if self._tempo is None:
            urls = source_urls(self.coordinator.config_entry)
            self._tempo = await async_acquire(
                self.hass,
                TEMPO_KEY,
                self.coordinator.config_entry.entry_id,
                lambda: TempoSource(
                    self.hass,
                    **({"base_url": urls["tempo"]} if "tempo" in urls else {}),
                ),
            )
            self._unsubs.append(self._tempo.async_add_listener(self._prices_arrived))
        return self._tempo

    @property
    def tempo(self) -> Mapping[date, TempoColour]:
        """The Tempo colours known (empty without a Tempo supply)."""
        return self._tempo.data if self._tempo is not None else {}

    @callback
    def _prices_arrived(self) -> None:
        """Price the hours that waited for the prices just arrived.

        The entities follow too (the energy price, the Tempo colours).
        """
        if self.coordinator.data is not None:
            self.coordinator.async_update_listeners()
        if self.state.pending:
            self.coordinator.config_entry.async_create_background_task(
                self.hass, self.async_price_pending(), f"{DOMAIN} pending costs"
            )

    # -- life --------------------------------------------------------------------

    async def async_setup(self) -> None:
        """Read what the money rows were last written with.

        A Tempo-priced entry follows the Tempo calendar from the start (its
        colour sensors and price now), not only once new energy comes.
        """
        self.state = await self._store.async_load_state()
        all_sets = price_sets(self.coordinator.config_entry, None)
        if (calendar := await self._async_tempo(all_sets)) is not None:
            today = tempo_day_of(utc_now())
            self.coordinator.config_entry.async_create_background_task(
                self.hass,
                calendar.async_ensure(today, today + timedelta(days=1)),
                f"{DOMAIN} Tempo today",
            )

    async def _async_release_pvpc(self) -> None:
        entry_id = self.coordinator.config_entry.entry_id
        for key in list(self._pvpc):
            await async_release(self.hass, key, entry_id)
        self._pvpc.clear()

    async def async_shutdown(self) -> None:
        """Release the shared sources and save."""
        self._stopped = True
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        await self._async_release_pvpc()
        if self._tempo is not None:
            await async_release(
                self.hass, TEMPO_KEY, self.coordinator.config_entry.entry_id
            )
            self._tempo = None
        await self._store.async_save_state(self.state)

    # -- pricing -------------------------------------------------------------------

    async def async_energy_written(
        self, supply: Supply, hours: Mapping[str, Mapping[datetime, float]]
    ) -> None:
        """Price the hours just written (a backfill, a day, a correction)."""
        sets = self.sets(supply.point.meter_id)
        if not sets or not hours:
            return
        if self._applied(supply.point.meter_id) != sets:
            # A new book: the whole history is priced by async_prices_changed.
            await self.async_price_supply(supply, None)
            return
        energy = {
            key: by_hour
            for key, by_hour in hours.items()
            if key in supply.energy_series
        }
        await self._async_price(supply, sets, energy)

    async def async_price_supply(self, supply: Supply, since: datetime | None) -> None:
        """Price a supply's stored energy from `since` (None: all of it)."""
        sets = self.sets(supply.point.meter_id)
        meter_id = supply.point.meter_id
        if not sets:
            if self.state.applied.pop(meter_id, None) is not None:
                await self._async_clear(supply)
            return
        start = since or datetime(2000, 1, 1, tzinfo=UTC)
        writer = get_writer(self.hass)
        energy = {
            key: await writer.async_read_states(
                statistic_id(supply.point.provider, meter_id, key), start
            )
            for key in supply.energy_series
        }
        await self._async_price(supply, sets, energy)

    async def async_prices_changed(self, supplies: list[Supply]) -> None:
        """Rewrite the money rows of every supply whose book changed."""
        for supply in supplies:
            meter_id = supply.point.meter_id
            old, new = self._applied(meter_id), self.sets(meter_id)
            if old == new:
                continue
            day = first_changed_day(old, new) if old else None
            since = _local_midnight(day, supply.point.timezone) if day else None
            await self.async_price_supply(supply, since)

    async def async_price_pending(self) -> None:
        """Price the hours that waited for a price that may have arrived."""
        for supply in self.coordinator.cost_supplies():
            if (since := self.state.pending.get(supply.point.meter_id)) is not None:
                await self.async_price_supply(supply, since)

    async def _async_price(
        self,
        supply: Supply,
        sets: list[PriceSet],
        energy: Mapping[str, Mapping[datetime, float]],
    ) -> None:
        meter_id = supply.point.meter_id
        hours = [hour for by_hour in energy.values() for hour in by_hour]
        if not hours:
            self._remember(meter_id, sets, None)
            return
        pvpc: Mapping[datetime, float] = {}
        if (source := await self._async_sources(supply.point, sets)) is not None:
            zone = source.zone.time_zone
            await source.async_ensure(
                min(hours).astimezone(zone).date(), max(hours).astimezone(zone).date()
            )
            pvpc = source.data
        tempo: Mapping[date, TempoColour] = {}
        if (calendar := await self._async_tempo(sets)) is not None:
            # Up to tomorrow (if published): the colour sensors' days come
            # with the history's, in the same request.
            await calendar.async_ensure(
                tempo_day_of(min(hours)), tempo_day_of(utc_now()) + timedelta(days=1)
            )
            tempo = calendar.data
        book = PriceBook(tuple(sets))
        result = await self.hass.async_add_executor_job(
            lambda: money_rows(energy, supply.tariff, book, pvpc=pvpc, tempo=tempo)
        )
        writer = get_writer(self.hass)
        totals = {
            money: frozenset(result.rows.get(money, {})) for money in MONEY_SERIES
        }
        for key, rows in sorted(result.rows.items()):
            head = key.partition("_")[0]
            # A period series is 0 where the hour is priced but not its
            # period (a tariff period whose hours moved): never stale.
            zero = totals.get(head, frozenset()) if key != head else frozenset()
            await writer.async_write_sum(
                money_statistic(supply.point, key), rows, zero_elsewhere=zero
            )
        self.coordinator.note_money(supply.point, result.rows)
        self._remember(meter_id, sets, min(result.missing, default=None))

    def _remember(
        self, meter_id: str, sets: list[PriceSet], missing: datetime | None
    ) -> None:
        self.state.applied[meter_id] = [price_set_to_dict(s) for s in sets]
        if missing is None:
            self.state.pending.pop(meter_id, None)
        else:
            self.state.pending[meter_id] = missing
        self._store.async_delay_save_state(self.state)

    async def _async_clear(self, supply: Supply) -> None:
        """No prices any more: the money statistics go (none is left wrong)."""
        ids = [
            statistic_id(supply.point.provider, supply.point.meter_id, key)
            for energy in supply.energy_series
            if (key := money_series(energy)) is not None
        ]
        get_instance(self.hass).async_clear_statistics(ids)
        self.state.pending.pop(supply.point.meter_id, None)
        self._store.async_delay_save_state(self.state)

    def current_price(
        self, meter_id: str, supply: SupplyTariff, now: datetime
    ) -> float | None:
        """Return the energy price in force now (€/kWh, taxes included), if known."""
        sets = self.sets(meter_id)
        if not sets:
            return None
        pvpc: Mapping[datetime, float] = {}
        if any(s.plan is Plan.ES_PVPC for s in sets):
            point = self.coordinator.data.meters[meter_id].point
            source = self._pvpc_for(point)
            if source is None or not source.known(
                now.astimezone(source.zone.time_zone).date()
            ):
                self._fetch_today_later(point, sets, now)
            pvpc = source.data if source is not None else {}
        return current_price(
            supply, PriceBook(tuple(sets)), now, pvpc=pvpc, tempo=self.tempo
        )

    @callback
    def _fetch_today_later(
        self, point: MeterPoint, sets: list[PriceSet], now: datetime
    ) -> None:
        """Get today's PVPC prices for the price now, in the background.

        The shared source is otherwise acquired when energy is priced, and
        energy covers days that ended long ago: after a set-up or a restart
        today's prices would wait for the evening's publication (or for new
        energy). At most once per `TODAY_RETRY`; the entities follow when the
        prices are in.
        """
        if self._fetching or self._stopped:
            return
        if self._today_asked is not None and now - self._today_asked < TODAY_RETRY:
            return
        self._fetching = True
        self._today_asked = now

        async def _fetch() -> None:
            try:
                source = await self._async_sources(point, sets)
                if source is None:
                    return
                if self._stopped:  # unloaded meanwhile: give it back
                    await self._async_release_pvpc()
                    return
                today = now.astimezone(source.zone.time_zone).date()
                if not await source.async_ensure(today, today):
                    self._prices_arrived()
            finally:
                self._fetching = False

        self.coordinator.config_entry.async_create_background_task(
            self.hass, _fetch(), f"{DOMAIN} PVPC today"
        )
