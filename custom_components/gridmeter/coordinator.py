"""The base of every hub's coordinator, and the typed runtime data of an entry.

One coordinator per config entry (a provider account). It does not poll on
an interval: it runs on its hub's own timetable (once a day after the
morning publication for Datadis and Enedis, hourly for Digiwatt), retries
sooner after a failure, and never makes Home Assistant's start-up wait for
history: the first refresh only reads what is stored (or, the very first
time, the supply points), and the backfill runs in the background.

Whatever happens inside a run (a typed provider error, an unexpected
exception), the next run is scheduled; only cancellation (the entry
unloading, Home Assistant stopping) ends the chain. Each step of a run is
isolated (`step`): what the run obtained before a step failed is written and
saved, and one supply's failure never blocks another's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Final, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .const import DOMAIN, LOGGER, RETRY_DELAY
from .costs import MONEY_SERIES, CostKeeper, Supply, energy_series
from .data import GridMeterData, MeterData
from .exceptions import unexpected_error, update_error
from .grid_green import GreenKeeper
from .issues import (
    async_set_access_revoked,
    async_set_consent_issue,
    async_set_unexpected_issue,
)
from .pricing import SupplyTariff
from .providers.errors import (
    AuthError,
    ConsentRevoked,
    NotAuthorized,
    ProviderError,
    RateLimited,
    RequestRejected,
    redact,
)
from .providers.models import EnergyKind, MeterPoint, utc_now
from .statistics import WriteReport
from .storage import AccountStore, StateSchema
from .tariffs import TariffCalendar
from .totals import HourlyMemory, async_read_recent, energy_totals, window_start

if TYPE_CHECKING:
    from .spec import ProviderSpec

RATE_LIMIT_DEFAULT: Final = timedelta(hours=24)
"""How long a refusal without Retry-After holds (Datadis's 24-hour rule)."""
RATE_LIMIT_MAX: Final = timedelta(hours=48)
RETRY_MARGIN: Final = timedelta(minutes=5)
"""Past a refusal's end before asking again (clocks differ by minutes)."""
SETUP_HISTORY_WAIT: Final = 5.0
"""Seconds set-up waits for the recorder's recent hours before going on without."""
UNEXPECTED_STREAK: Final = 3
"""Runs in a row with an unexpected failure before a repair says so."""
FAILURES_KEPT: Final = 20


@dataclass(slots=True)
class GridMeterRuntimeData:
    """Runtime objects of an entry."""

    coordinator: GridMeterCoordinator[Any]
    spec: ProviderSpec
    extras: Mapping[str, DataUpdateCoordinator[Any]] = field(default_factory=dict)
    """The hub's extra coordinators by name (Digiwatt's realtime load)."""
    options: dict[str, Any] = field(default_factory=dict)
    """The options the entry was set up with (a change reloads it)."""
    subentries: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The price subentries applied (a change rewrites the money rows)."""


type GridMeterConfigEntry = ConfigEntry[GridMeterRuntimeData]


@dataclass(slots=True)
class RunResult:
    """How a run went: the entities' data and when to run again, if sooner."""

    data: GridMeterData
    retry_at: datetime | None = None
    """When a later attempt may fix what failed (sooner than the regular run)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReimportPlan:
    """What a re-import request became."""

    runs_at: datetime
    """When the hub is read again."""
    start: date
    """The first day re-read (a hub may keep less than what was asked)."""
    note: str | None = None
    """Why it waits or what limits it (a notification's key), if anything."""


@dataclass(slots=True)
class UnexpectedFailure:
    """An exception GridMeter did not expect, by step and type (diagnostics)."""

    step: str
    error: str
    first_seen: datetime
    last_seen: datetime
    count: int = 1


@dataclass(slots=True)
class FailureLog:
    """Unexpected failures: logged once per streak, counted, shown, repaired."""

    failures: dict[str, UnexpectedFailure] = field(default_factory=dict)
    streak: int = 0
    """Consecutive runs with at least one unexpected failure."""
    total: int = 0
    _logged: set[str] = field(default_factory=set)
    _failing: set[str] = field(default_factory=set)
    """Steps that failed unexpectedly in the current streak."""
    _passed: set[str] = field(default_factory=set)
    """Steps that ran without failing in this run."""
    _this_run: bool = False

    def start_run(self) -> None:
        """Start counting a new run."""
        self._this_run = False
        self._passed.clear()

    def passed(self, step: str) -> None:
        """Note a step that ran without failing."""
        self._passed.add(step)

    def record(self, step: str, err: BaseException, now: datetime) -> bool:
        """Count a failure; True when it must be logged with its traceback.

        A failure that repeats run after run is logged once, not on every
        retry, until a run goes without it.
        """
        key = f"{step}:{type(err).__name__}"
        self.total += 1
        self._this_run = True
        self._failing.add(step)
        if (known := self.failures.get(key)) is not None:
            known.last_seen = now
            known.count += 1
        else:
            if len(self.failures) >= FAILURES_KEPT:
                oldest = min(self.failures.values(), key=lambda f: f.last_seen)
                del self.failures[f"{oldest.step}:{oldest.error}"]
            self.failures[key] = UnexpectedFailure(
                step=step, error=type(err).__name__, first_seen=now, last_seen=now
            )
        if key in self._logged:
            return False
        self._logged.add(key)
        return True

    def end_run(self) -> None:
        """Close the run: count it in the streak, or end the streak.

        The streak ends with a run in which every step that failed ran
        without failing. A run that did not get to them (the retry of a
        once-a-day step, a run stopped by an outage) leaves it as it is:
        otherwise a failure that comes back every day would never reach
        the repair and would log its traceback every day.
        """
        if self._this_run:
            self.streak += 1
        elif self._failing <= self._passed:
            self.streak = 0
            self._logged.clear()
            self._failing.clear()


class GridMeterCoordinator[S](DataUpdateCoordinator[GridMeterData]):
    """Runs a hub on its timetable, keeps its typed state and shares its data.

    A hub's coordinator sets `schema` (its stored state) and implements
    `_async_run`, `next_run`, `is_due`, `meter_choices`, `included_ids` and
    `diagnostics`; `step` isolates the steps of its run.
    """

    config_entry: GridMeterConfigEntry
    schema: ClassVar[StateSchema[Any]]
    retry_delay: timedelta = RETRY_DELAY
    """How long after a failed run to try again (sooner where data slips away)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: GridMeterConfigEntry,
        spec: ProviderSpec,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Create the coordinator; nothing is read or fetched here."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {spec.key}",
            # Scheduled by the hub's own timetable, not an interval.
            update_interval=None,
            always_update=False,
        )
        assert entry.unique_id is not None
        self.spec = spec
        self._clock = clock
        self._store: AccountStore[S] = AccountStore(
            hass, spec.key, entry.unique_id, self.schema
        )
        self.state: S = self.schema.model()
        self.memory = HourlyMemory()
        self.costs = CostKeeper(self)
        self.green = GreenKeeper(self)
        self._read_back: set[str] = set()
        """Meters whose recent hours were read from the recorder (once)."""
        self.failures = FailureLog()
        self._initial = True
        self._setting_up = True
        self._running = False
        self._stopped = False
        self._retry_at: datetime | None = None
        self._now: datetime = clock()
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._next_at: datetime | None = None

        @callback
        def _keep_alive() -> None:
            """Statistics must keep flowing even when no entity listens."""

        self.async_add_listener(_keep_alive)

    # -- what a hub implements ---------------------------------------------------

    async def _async_restore(self) -> None:
        """Hand restored state to the client (tokens, ledger); after loading."""

    def _before_save(self) -> None:
        """Copy what the client keeps (tokens, ledger) into the state."""

    async def _async_run(self, *, initial: bool) -> RunResult:
        """Run the hub; `initial` (at set-up) fetches only what set-up needs."""
        raise NotImplementedError

    async def async_build_data(self, now: datetime) -> GridMeterData:
        """Assemble the entities' data from the state and the hours in memory."""
        raise NotImplementedError

    def next_run(self, now: datetime) -> datetime:
        """When the next regular run is due."""
        raise NotImplementedError

    def is_due(self, now: datetime) -> bool:
        """Whether a regular run was missed (Home Assistant was down at its time)."""
        raise NotImplementedError

    def meter_choices(self) -> dict[str, str]:
        """Every known supply point: id → a label the user recognises."""
        raise NotImplementedError

    def included_ids(self) -> list[str]:
        """Return the supply points followed (by default or as the user chose)."""
        raise NotImplementedError

    def diagnostics(self) -> dict[str, Any]:
        """State worth showing in diagnostics (the caller redacts identifiers)."""
        raise NotImplementedError

    def _plan_reimport(
        self, meter_ids: Collection[str] | None, start: date | None, now: datetime
    ) -> ReimportPlan:
        """Mark what must be read again from `start` on (None: all the hub keeps)."""
        raise NotImplementedError

    # -- state -----------------------------------------------------------------

    @override
    async def _async_setup(self) -> None:
        """Read the stored state before the first refresh (no network)."""
        self.state = await self._store.async_load_state()
        await self.costs.async_setup()
        await self._async_restore()

    @callback
    def async_save(self) -> None:
        """Save the state a few seconds from now (a snapshot, serialised later)."""
        self._before_save()
        self._store.async_delay_save_state(self.state)

    # -- the run -----------------------------------------------------------------

    @override
    async def _async_update_data(self) -> GridMeterData:
        """Run once and schedule the next run, whatever happened."""
        initial, self._initial = self._initial, False
        now = self._now = self._clock()
        self._running = True
        self._retry_at = None
        self.failures.start_run()
        next_at: datetime | None = now + self.retry_delay
        try:
            result = await self._async_run(initial=initial)
        except asyncio.CancelledError as err:
            if (task := asyncio.current_task()) is not None and task.cancelling():
                next_at = None  # unloading or stopping: nothing more to run
                raise
            # Not this run being cancelled (a future cancelled elsewhere):
            # Home Assistant would swallow it, and with it the next run.
            self._note_unexpected("run", err)
            raise unexpected_error() from err
        except ProviderError as err:
            next_at = self._after_provider_error(err, now, initial=initial)
            raise update_error(err, self.spec.name) from err
        except Exception as err:
            self._note_unexpected("run", err)
            raise unexpected_error() from err
        else:
            if not initial:
                self.failures.passed("run")
            async_set_access_revoked(self.hass, self.config_entry, False)
            async_set_consent_issue(self.hass, self.config_entry, False)
            next_regular = self.next_run(now)
            retry_at = _earliest(result.retry_at, self.planned_retry)
            next_at = (
                max(min(retry_at, next_regular), now)
                if retry_at is not None
                else next_regular
            )
            if not initial:
                result.data.next_sync = next_at
            elif self._next_at is not None:
                result.data.next_sync = self._next_at
            return result.data
        finally:
            self._running = False
            self.failures.end_run()
            async_set_unexpected_issue(
                self.hass, self.config_entry, self.failures.streak >= UNEXPECTED_STREAK
            )
            if next_at is not None:
                self.async_save()
                if not initial:
                    self._schedule(next_at)

    def _after_provider_error(
        self, err: ProviderError, now: datetime, *, initial: bool
    ) -> datetime:
        """Raise the repair the error calls for; return when to run again."""
        if isinstance(err, ConsentRevoked):
            async_set_consent_issue(self.hass, self.config_entry, True)
            # The repair's fix reloads the entry; meanwhile look again at the
            # regular time (a consent signed elsewhere is picked up).
            return self.next_run(now)
        if isinstance(err, AuthError):
            # Home Assistant starts the reauthentication; until the user acts,
            # one attempt at the regular time (never a loop of failed logins).
            return self.next_run(now)
        if isinstance(err, NotAuthorized):
            async_set_access_revoked(self.hass, self.config_entry, True)
            return now + RETRY_DELAY
        if isinstance(err, RateLimited):
            return now + _rate_limit_wait(err, default=RATE_LIMIT_DEFAULT)
        if initial:
            LOGGER.debug("%s set-up failed: %s", self.spec.name, redact(str(err)))
        return now + self.retry_delay

    def _note_unexpected(self, step: str, err: BaseException) -> None:
        """Count an unexpected failure; log its traceback once per streak."""
        if self.failures.record(step, err, self._now):
            LOGGER.error(
                "%s: unexpected error in step %s (%s); GridMeter goes on and "
                "retries later",
                self.spec.name,
                step,
                type(err).__name__,
                exc_info=err,
            )
        else:
            LOGGER.debug(
                "%s: step %s failed again (%s)",
                self.spec.name,
                step,
                type(err).__name__,
            )

    @asynccontextmanager
    async def step(self, name: str) -> AsyncIterator[None]:
        """Run one step of a run in isolation.

        Account-wide verdicts (credentials, authorisation, consent) stop the
        run; any other failure is contained: logged, counted, retried later,
        and the run goes on with the next step or supply.
        """
        try:
            yield
        except (AuthError, NotAuthorized, ConsentRevoked):
            raise
        except ProviderError as err:
            LOGGER.debug(
                "%s: step %s failed: %s", self.spec.name, name, redact(str(err))
            )
            self.retry_after_error(err)
        except Exception as err:  # noqa: BLE001 - isolated on purpose, counted
            self._note_unexpected(name, err)
            self.retry_soon(self._now + self.retry_delay)
        else:
            self.failures.passed(name)

    def retry_after_error(self, err: ProviderError) -> None:
        """Plan a retry for a step that failed with a provider error.

        A refused query is retried once it may be asked again, a transient
        failure after `retry_delay`; a rejected one (400) waits for the next
        regular run, as asking again the same day would change nothing.
        """
        if isinstance(err, RateLimited):
            wait = _rate_limit_wait(err, default=timedelta(0))
            self.retry_soon(self._now + max(wait, self.retry_delay) + RETRY_MARGIN)
        elif not isinstance(err, RequestRejected):
            self.retry_soon(self._now + self.retry_delay)

    @property
    def planned_retry(self) -> datetime | None:
        """When the steps of this run asked to run again (the earliest)."""
        return self._retry_at

    def retry_soon(self, when: datetime) -> None:
        """Ask for another run at `when` (the earliest request wins)."""
        if self._retry_at is None or when < self._retry_at:
            self._retry_at = when

    async def async_reimport(
        self, meter_ids: Collection[str] | None, start: date | None
    ) -> ReimportPlan:
        """Read the hub again for a period and rewrite what differs.

        Within the hub's rules: what Datadis was asked less than 24 hours
        ago is read again once it may be asked. Safe to repeat: the writer
        changes nothing where the data did not change.
        """
        now = self._clock()
        plan = self._plan_reimport(meter_ids, start, now)
        self.async_save()
        if plan.runs_at <= now:
            self.config_entry.async_create_background_task(
                self.hass, self.async_refresh(), f"{DOMAIN} {self.spec.key} re-import"
            )
        elif self._next_at is None or plan.runs_at < self._next_at:
            self._schedule(plan.runs_at)
        return plan

    async def async_publish(self) -> None:
        """Share what the run has brought so far (a backfill shows progress)."""
        self.async_set_updated_data(await self.async_build_data(self._now))

    # -- the timetable -----------------------------------------------------------

    @callback
    def _schedule(self, when: datetime) -> None:
        """Arm the single timer of the next run."""
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        if self._stopped:
            return
        self._next_at = when

        @callback
        def _run(_now: datetime) -> None:
            self._unsub_timer = None
            self.config_entry.async_create_background_task(
                self.hass, self.async_refresh(), f"{DOMAIN} {self.spec.key} run"
            )

        self._unsub_timer = async_track_point_in_utc_time(self.hass, _run, when)

    @property
    def running(self) -> bool:
        """Whether a run is in progress."""
        return self._running

    @property
    def next_at(self) -> datetime | None:
        """When the next run is scheduled."""
        return self._next_at

    async def async_start(self) -> None:
        """After set-up: run now if a regular run was missed, else wait for it.

        Either way the sensors get the recent hours a slow recorder kept
        from set-up (the run's data includes them).
        """
        self._setting_up = False
        now = self._clock()
        if self.is_due(now):
            await self.async_refresh()
            if self._next_at is None:
                # A set-up run that did not get as far as scheduling.
                self._schedule(now + self.retry_delay)
        else:
            self._schedule(self.next_run(now))
            if not self._read_back.issuperset(self.included_ids()):
                # Only what is stored, as at set-up: no request is sent.
                self._initial = True
                await self.async_refresh()
            if self.data is not None:
                self.data.next_sync = self._next_at
                self.async_update_listeners()

    @override
    async def async_shutdown(self) -> None:
        """Cancel the timer and persist the state."""
        self._stopped = True
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        self._before_save()
        await self._store.async_save_state(self.state)
        await self.costs.async_shutdown()
        await self.green.async_shutdown()
        await super().async_shutdown()

    # -- what entities see -------------------------------------------------------

    def forget_meters(self, keep: Collection[str]) -> None:
        """Forget the hours of supply points no longer followed."""
        self.memory.forget(keep)
        self._read_back.intersection_update(keep)

    async def async_note_written(
        self,
        point: MeterPoint,
        report: WriteReport,
        *,
        calendar: TariffCalendar | None,
        kinds: frozenset[EnergyKind],
    ) -> None:
        """Keep the hours just written for the sensors (no read-back); price them."""
        for kind, by_hour in report.kind_hours().items():
            self.memory.update(point.meter_id, kind, by_hour)
        self.memory.prune(point.meter_id, window_start(self._now, point.timezone))
        async with self.step("cost"):
            supply = self.cost_supply(point, calendar, kinds)
            if supply is not None:
                await self.costs.async_energy_written(supply, report.hours)

    def note_money(
        self, point: MeterPoint, rows: Mapping[str, Mapping[datetime, float]]
    ) -> None:
        """Keep the money rows just written for the cost sensors."""
        for series in MONEY_SERIES:
            if by_hour := rows.get(series):
                self.memory.update(point.meter_id, series, by_hour)
        self.memory.prune(point.meter_id, window_start(self._now, point.timezone))

    def cost_supply(
        self,
        point: MeterPoint,
        calendar: TariffCalendar | None,
        kinds: frozenset[EnergyKind],
    ) -> Supply | None:
        """Return a supply as the price engine sees it (None: no plans there)."""
        if self.spec.country is None:
            return None
        return Supply(
            point=point,
            tariff=SupplyTariff(
                country=self.spec.country, timezone=point.timezone, calendar=calendar
            ),
            energy_series=energy_series(kinds, calendar),
        )

    def cost_supplies(self) -> list[Supply]:
        """Every supply followed now, as the price engine sees it."""
        data: GridMeterData | None = self.data
        if data is None:
            return []
        return [
            supply
            for meter in data.meters.values()
            if (supply := self.cost_supply(meter.point, meter.calendar, meter.kinds))
            is not None
        ]

    async def async_prices_changed(self) -> None:
        """Rewrite the money rows after a price set was added, changed or removed."""
        await self.costs.async_prices_changed(self.cost_supplies())
        if self.data is not None:
            await self.async_publish()

    async def async_meter_energy(
        self, point: MeterPoint, kinds: frozenset[EnergyKind], now: datetime
    ) -> MeterData:
        """Return a meter's data with its energy totals (computed off the loop)."""
        if point.meter_id not in self._read_back:
            # Set-up does not wait for a recorder slow to start (a long
            # migration): `async_start` shows these hours once it answers.
            wait = SETUP_HISTORY_WAIT if self._setting_up else None
            try:
                async with asyncio.timeout(wait):
                    await async_read_recent(
                        self.hass, self.memory, point, [*kinds, *MONEY_SERIES], now
                    )
            except TimeoutError:
                LOGGER.debug(
                    "%s: the recorder is slow; hours shown later", self.spec.name
                )
            else:
                self._read_back.add(point.meter_id)
        registers = self.memory.snapshot(point.meter_id, kinds)
        money = self.memory.snapshot(point.meter_id, MONEY_SERIES)
        energy, money_totals = await self.hass.async_add_executor_job(
            lambda: (
                energy_totals(registers, point.timezone, now),
                energy_totals(
                    {key: hours for key, hours in money.items() if hours},
                    point.timezone,
                    now,
                ),
            )
        )
        meter = MeterData(
            point=point,
            capabilities=self.spec.capabilities,
            kinds=kinds,
            energy=energy,
            money=money_totals,
            priced=bool(sets := self.costs.sets(point.meter_id)),
            plans=frozenset(price_set.plan for price_set in sets),
            latest_data=self.memory.latest(point.meter_id),
        )
        await self.green.async_apply(meter, now)
        return meter


def _earliest(*instants: datetime | None) -> datetime | None:
    """Return the earliest of the instants given (None if none)."""
    return min((i for i in instants if i is not None), default=None)


def _rate_limit_wait(err: RateLimited, *, default: timedelta) -> timedelta:
    """How long a refusal holds: what the provider said (else `default`), ≤ 48 h."""
    if err.retry_after is None:
        return default
    return min(timedelta(seconds=max(err.retry_after, 0.0)), RATE_LIMIT_MAX)
