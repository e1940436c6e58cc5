"""Datadis sync: what to ask, when, and where the answers go.

Request discipline (Datadis answers an identical query repeated within 24 h
with 429 and has banned over-users):

- every query goes through the client's persistent ledger, so nothing is
  asked twice within 24 h, across restarts too;
- the first import asks the whole 24-month window in one request per
  endpoint and splits only what fails (halves, then months);
- the daily refresh re-reads the current month, alternating the window
  between consecutive days (`[m-1, m]` on even days, `[m]` on odd days) so
  that it is never the same query as the day before and still picks up late
  data and corrections, the previous month's included;
- monthly peaks are refreshed every other day, supplies every third day and
  contracts weekly (none changes faster than that matters);
- a month that fails is asked again daily for a week, then weekly; a month
  a distributor answered only in part (`distributorError`) is asked again too;
- a failed or refused supplies or contract query never stops the sync: the
  last known supplies and contract are used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
import logging
from typing import Any, Final
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from ..const import CONF_EXCLUDED_SUPPLIES, CONF_SUPPLIES, PROVIDER_DATADIS, RETRY_DELAY
from ..coordinator import GridMeterConfigEntry
from ..data import ConnectionStatus, GridMeterData, MeterData, SyncResult
from ..providers.datadis import DatadisBatch, DatadisClient, DatadisSupply, PeakBatch
from ..providers.errors import (
    AuthError,
    NoMeterPoints,
    NotAuthorized,
    ProviderError,
    RateLimited,
    RequestRejected,
    redact,
)
from ..providers.history import FetchReport, add_months, fetch_months, month_range
from ..providers.ledger import QueryLedger
from ..providers.models import (
    AreaAverage,
    Contract,
    EnergyKind,
    EnergyReading,
    PowerPeak,
)
from ..statistics import async_import_energy, async_import_peaks
from ..storage import from_json, to_json
from ..tariffs import TariffCalendar, spain_20td_for
from .common import (
    DailyTimetable,
    StoredSync,
    async_energy_totals,
    iso,
    meter_status,
    peak_summary,
)

_LOGGER = logging.getLogger(__name__)

HISTORY_MONTHS: Final = 24
"""Datadis serves the current month and the 23 before it."""
EMPTY_RETRY: Final = timedelta(days=7)
RETRY_MARGIN: Final = timedelta(minutes=5)
# A month answered less than this long ago is not re-read by the daily refresh
# (a forced refresh or a restart the same day asks nothing again).
REFRESH_AFTER: Final = timedelta(hours=20)
EMPTY_MAX_TRIES: Final = 4
# A month that keeps failing (a distributor that fails the first month of a
# contract for good) is asked daily for a week, then weekly until it leaves
# the 24-month window: a few dozen single-month queries at most.
FAILED_DAILY_TRIES: Final = 7
FAILED_RETRY: Final = timedelta(days=7)
AREA_DAYS: Final = 14
SOLAR_KINDS: Final = frozenset(
    {EnergyKind.RETURN, EnergyKind.GENERATION, EnergyKind.SELF_CONSUMPTION}
)


def month_key(month: date) -> str:
    """Key of a month in the stored state."""
    return f"{month.year:04d}-{month.month:02d}"


def refresh_months(local_today: date) -> list[date]:
    """Return the months the daily refresh re-reads (never yesterday's query)."""
    current = local_today.replace(day=1)
    previous = add_months(current, -1)
    if local_today.toordinal() % 2 == 0:
        return [previous, current]
    return [current]


def is_20td(supply: DatadisSupply, contract: Contract | None) -> bool:
    """Whether a supply is on the 2.0TD access tariff (P1/P2/P3 energy periods).

    The contract decides: its access-tariff code (`codeFare`, "2T" for 2.0TD),
    else its tariff text ("2.0TD ...", "... POTENCIA <= 15 kW"), else the
    number of contracted powers (two for 2.0TD, six for the others). Without
    a usable contract, a domestic point (type 5, up to 15 kW, or unknown) is
    2.0TD; type 1 to 4 supplies (above 15 kW) are not.
    """
    if contract is not None:
        code = (contract.tariff_code or "").strip().upper()
        name = (contract.tariff_name or "").upper()
        if code:
            return code.startswith("2")
        if "2.0" in name or "<= 15" in name:
            return True
        if any(other in name for other in ("3.0", "6.1", "6.2", "6.3", "6.4")):
            return False
        if contract.contracted_power_kw:
            return len(contract.contracted_power_kw) <= 2
    return supply.point_type in (None, 5)


def digest_batch(
    readings: tuple[EnergyReading, ...],
    active: set[EnergyKind],
    solar_contract: bool,
    tz: ZoneInfo,
) -> tuple[list[EnergyReading], set[date]]:
    """Keep the registers worth a statistic; list the local months with data.

    Solar registers become active (in place, in `active`) at their first
    non-zero value, or at once when the contract declares self-consumption,
    so homes without solar get no all-zero return statistics. Runs in a worker
    thread: a 24-month answer holds tens of thousands of readings.
    """
    for reading in readings:
        if reading.kind not in active and (reading.kwh > 0 or solar_contract):
            active.add(reading.kind)
    kept = [reading for reading in readings if reading.kind in active]
    months = {r.start.astimezone(tz).date().replace(day=1) for r in readings}
    return kept, months


@dataclass(slots=True)
class RunCounters:
    """What the last sync did (diagnostics and benchmarks)."""

    requests: int = 0
    rows_written: int = 0
    skipped_rows: int = 0
    failed_months: dict[str, list[str]] = field(default_factory=dict)


class DatadisSync(StoredSync):
    """Keeps one Datadis account's supplies, statistics and sensors current."""

    provider = PROVIDER_DATADIS

    def __init__(
        self,
        hass: HomeAssistant,
        entry: GridMeterConfigEntry,
        client: DatadisClient,
        store: Store[dict[str, Any]],
        timetable: DailyTimetable,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        """Wire the client, the account store and the timetable."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self._store = store
        self._timetable = timetable
        self._clock = clock
        self.supplies: dict[str, DatadisSupply] = {}
        self.contracts: dict[str, Contract] = {}
        self.months: dict[str, dict[str, dict[str, Any]]] = {}
        self.peak_months: dict[str, dict[str, dict[str, Any]]] = {}
        self.peaks: dict[str, dict[str, PowerPeak]] = {}
        self.kinds: dict[str, set[EnergyKind]] = {}
        self.area: dict[str, AreaAverage] = {}
        self.area_day: dict[str, str] = {}
        self.no_supplies = False
        self.last_success: datetime | None = None
        self.last_run = RunCounters()
        self._retry_at: datetime | None = None

    # -- persistence ------------------------------------------------------------

    async def async_load(self) -> None:
        """Restore the ledger, token and last known state (no network)."""
        data = await self._store.async_load() or {}
        self.client.ledger = QueryLedger.from_dict(
            data.get("ledger"), clock=self._clock, on_change=self._save
        )
        self.client.restore_token(data.get("token"))
        self.supplies = {
            raw["meter_id"]: from_json(DatadisSupply, raw)
            for raw in data.get("supplies", [])
        }
        self.contracts = {
            meter: from_json(Contract, raw)
            for meter, raw in data.get("contracts", {}).items()
        }
        self.months = data.get("months", {})
        self.peak_months = data.get("peak_months", {})
        self.peaks = {
            meter: {key: from_json(PowerPeak, raw) for key, raw in peaks.items()}
            for meter, peaks in data.get("peaks", {}).items()
        }
        self.kinds = {
            meter: {EnergyKind(kind) for kind in kinds}
            for meter, kinds in data.get("kinds", {}).items()
        }
        self.area = {
            meter: from_json(AreaAverage, raw)
            for meter, raw in data.get("area", {}).items()
        }
        self.area_day = data.get("area_day", {})
        self.no_supplies = bool(data.get("no_supplies", False))
        if last := data.get("last_success"):
            self.last_success = datetime.fromisoformat(last)

    def _document(self) -> dict[str, Any]:
        """Snapshot the state in fresh containers (serialised in another thread)."""
        return {
            "ledger": self.client.ledger.as_dict(),
            "token": self.client.token_state,
            "supplies": [to_json(supply) for supply in self.supplies.values()],
            "contracts": {m: to_json(c) for m, c in self.contracts.items()},
            "months": {meter: dict(months) for meter, months in self.months.items()},
            "peak_months": {
                meter: dict(months) for meter, months in self.peak_months.items()
            },
            "peaks": {
                meter: {key: to_json(peak) for key, peak in peaks.items()}
                for meter, peaks in self.peaks.items()
            },
            "kinds": {
                m: sorted(k.value for k in kinds) for m, kinds in self.kinds.items()
            },
            "area": {m: to_json(a) for m, a in self.area.items()},
            "area_day": dict(self.area_day),
            "no_supplies": self.no_supplies,
            "last_success": iso(self.last_success),
        }

    # -- timetable --------------------------------------------------------------

    def next_run(self, now: datetime) -> datetime:
        """Return the next daily run, after the morning publication."""
        return self._timetable.next_slot(now)

    def is_due(self, now: datetime) -> bool:
        """Whether the last daily run was missed."""
        return (
            self.last_success is None
            or self.last_success < self._timetable.last_slot(now)
        )

    # -- the sync ---------------------------------------------------------------

    def included(self) -> list[DatadisSupply]:
        """Supplies followed: every current one except those deselected.

        A supply that ended before the 24 months Datadis serves is followed
        only when the user picked it. Options saved before exclusions existed
        (a chosen list alone) keep their meaning.
        """
        chosen = self.entry.options.get(CONF_SUPPLIES)
        excluded = self.entry.options.get(CONF_EXCLUDED_SUPPLIES)
        if excluded is None and chosen is not None:
            return [s for m, s in self.supplies.items() if m in chosen]
        oldest = add_months(self._clock().date().replace(day=1), -HISTORY_MONTHS)
        return [
            supply
            for meter_id, supply in self.supplies.items()
            if meter_id not in (excluded or ())
            and (
                supply.valid_to is None
                or supply.valid_to >= oldest
                or meter_id in (chosen or ())
            )
        ]

    def meter_choices(self) -> dict[str, str]:
        """Every supply of the account, labelled by address and CUPS."""
        return {
            meter_id: ", ".join(
                part for part in (supply.address, supply.municipality, meter_id) if part
            )
            for meter_id, supply in self.supplies.items()
        }

    def included_ids(self) -> list[str]:
        """Return the ids of the supplies followed now."""
        return [supply.meter_id for supply in self.included()]

    async def async_run(self, *, initial: bool) -> SyncResult:
        """Sync with Datadis; `initial` only makes sure supplies are known."""
        now = self._clock()
        sent_before = self.client.requests_sent
        self.last_run = RunCounters()
        self._retry_at = None
        if initial:
            if not self.supplies and not self.no_supplies:
                await self._async_sync_supplies()
            return SyncResult(data=await self.async_build_data(now))

        # Sign in first (free while the token lives): if Datadis is down, the
        # whole run fails and entities show it, instead of every month failing.
        await self.client.async_login()
        try:
            await self._async_sync_supplies()
        except (AuthError, NotAuthorized):
            raise
        except ProviderError as err:
            # Refused (429), failed or rejected: the known supplies still
            # deserve their data; only an account with none stops here.
            if not self.supplies:
                raise
            _LOGGER.warning(
                "Datadis supplies unavailable, using the known ones: %s",
                redact(str(err)),
            )
            self._retry_after_error(err, now)
        for supply in self.included():
            await self._async_sync_contract(supply, now)
            await self._async_sync_energy(supply, now)
            await self._async_sync_peaks(supply, now)
            await self._async_sync_area(supply, now)
        self.last_success = now
        self.last_run.requests = self.client.requests_sent - sent_before
        self._save()
        return SyncResult(
            data=await self.async_build_data(now), retry_at=self._retry_at
        )

    def _retry_after_error(self, err: ProviderError, now: datetime) -> None:
        """Plan a retry for a supplies or contract query that did not work.

        A refused or blocked query is retried once it may be asked again, a
        transient failure two hours later; a rejected one (400) waits for the
        next daily run, as asking again the same day would change nothing.
        """
        if isinstance(err, RateLimited):
            wait = timedelta(seconds=err.retry_after or 0)
            self._retry_soon(now + max(wait, RETRY_DELAY) + RETRY_MARGIN)
        elif not isinstance(err, RequestRejected):
            self._retry_soon(now + RETRY_DELAY)

    def _retry_soon(self, when: datetime) -> None:
        """Ask the coordinator to run again at `when` (the earliest wins)."""
        if self._retry_at is None or when < self._retry_at:
            self._retry_at = when

    async def _async_sync_supplies(self) -> None:
        try:
            answer = await self.client.async_get_supply_list()
        except NoMeterPoints:
            self.supplies = {}
            self.no_supplies = True
            self._save()
            return
        self.no_supplies = False
        supplies = {supply.meter_id: supply for supply in answer.supplies}
        failed = answer.failed_distributors
        # A distributor that failed to answer has not dropped its supplies:
        # keep the known ones (removing them would delete their devices).
        for meter_id, known in self.supplies.items():
            if meter_id not in supplies and (
                failed is None or known.distributor_code in failed
            ):
                supplies[meter_id] = known
        self.supplies = supplies
        self._save()

    async def _async_sync_contract(self, supply: DatadisSupply, now: datetime) -> None:
        """Refresh a contract; on any failure keep the known one."""
        try:
            contract = await self.client.async_get_contract(supply)
        except (AuthError, NotAuthorized):
            raise
        except ProviderError as err:
            _LOGGER.debug(
                "Contract not read, keeping the known one: %s", redact(str(err))
            )
            self._retry_after_error(err, now)
            return
        if contract is not None:
            self.contracts[supply.meter_id] = contract

    def _needs(
        self, supply: DatadisSupply, state: dict[str, Any] | None, now: datetime
    ) -> bool:
        """Whether a month must be (re)fetched by the backfill."""
        if state is None:
            return True
        if state["status"] == "failed":
            # Daily for a week, then weekly (see FAILED_DAILY_TRIES).
            return (
                state.get("tries", 1) < FAILED_DAILY_TRIES
                or now - datetime.fromisoformat(state["at"]) >= FAILED_RETRY
            )
        if state["status"] == "ok":
            return False
        # Empty: re-ask weekly a few times inside the supply's life (the month
        # of a contract change often arrives late), never before it.
        month = date.fromisoformat(state["month"])
        started = supply.valid_from.replace(day=1) if supply.valid_from else None
        if started is not None and month < started:
            return False
        return (
            state.get("tries", 1) < EMPTY_MAX_TRIES
            and now - datetime.fromisoformat(state["at"]) >= EMPTY_RETRY
        )

    def _plan(
        self,
        supply: DatadisSupply,
        states: dict[str, dict[str, Any]],
        now: datetime,
        *,
        every_other_day: bool = False,
    ) -> list[date]:
        local_today = now.astimezone(ZoneInfo(supply.timezone)).date()
        current = local_today.replace(day=1)
        window = month_range(add_months(current, 1 - HISTORY_MONTHS), current)
        needed = {
            m for m in window if self._needs(supply, states.get(month_key(m)), now)
        }
        # The daily refresh re-reads recent months, but never one read today.
        # Monthly peaks change rarely: their refresh runs every other day, on
        # the days the window spans two months.
        skip = every_other_day and local_today.toordinal() % 2 == 1
        refresh = {
            month
            for month in ([] if skip else refresh_months(local_today))
            if (state := states.get(month_key(month))) is None
            or now - datetime.fromisoformat(state["at"]) >= REFRESH_AFTER
        }
        return sorted(needed | refresh)

    def _mark(
        self,
        states: dict[str, dict[str, Any]],
        first: date,
        last: date,
        with_data: set[date],
        now: datetime,
        *,
        partial: bool,
    ) -> None:
        """Record (and save) how each month of the answer for `first`..`last` went.

        A `partial` answer (a distributor reported an error next to the rows)
        may miss days of any of its months: they are marked failed, so the
        backfill asks them again, whatever rows they already brought.
        """
        if partial:
            _LOGGER.debug("Datadis answered %s..%s in part; asking again", first, last)
        for month in month_range(first, last):
            key = month_key(month)
            previous = states.get(key) or {}
            if partial:
                status = "failed"
            else:
                status = "ok" if month in with_data else "empty"
            tries = (
                previous.get("tries", 0) + 1
                if status != "ok" and previous.get("status") == status
                else int(status != "ok")
            )
            states[key] = {
                "month": month.isoformat(),
                "status": status,
                "at": now.isoformat(),
                "tries": tries,
            }
            if partial:
                states[key]["reason"] = "distributorError"
        self._save()

    def _record_failures(
        self,
        states: dict[str, dict[str, Any]],
        report: FetchReport,
        now: datetime,
        label: str,
    ) -> None:
        if report.retry_after is not None:
            # A blocked query may be asked again once its 24 h are over.
            self._retry_soon(now + timedelta(seconds=report.retry_after) + RETRY_MARGIN)
        for month, reason in report.failed.items():
            previous = states.get(month_key(month)) or {}
            tries = (
                previous.get("tries", 0) if previous.get("status") == "failed" else 0
            )
            states[month_key(month)] = {
                "month": month.isoformat(),
                "status": "failed",
                "at": now.isoformat(),
                "reason": reason,
                "tries": tries + 1,
            }
        if report.failed:
            self.last_run.failed_months[label] = sorted(
                month_key(m) for m in report.failed
            )

    def calendar(self, supply: DatadisSupply) -> TariffCalendar | None:
        """Return the 2.0TD calendar of a supply (Ceuta and Melilla shifted).

        None when the supply is not on 2.0TD (3.0TD and 6.xTD have six
        periods and seasons that GridMeter does not model): its consumption
        is imported without a per-period split rather than mislabelled.
        """
        if not is_20td(supply, self.contracts.get(supply.meter_id)):
            return None
        return spain_20td_for(supply.region_code, supply.timezone)

    async def _async_sync_energy(self, supply: DatadisSupply, now: datetime) -> None:
        states = self.months.setdefault(supply.meter_id, {})
        tz = ZoneInfo(supply.timezone)
        calendar = self.calendar(supply)

        async def fetch(first: date, last: date) -> DatadisBatch:
            return await self.client.async_get_consumption(supply, first, last)

        async def on_answer(first: date, last: date, batch: DatadisBatch) -> None:
            contract = self.contracts.get(supply.meter_id)
            active = self.kinds.setdefault(supply.meter_id, {EnergyKind.CONSUMPTION})
            readings, with_data = await self.hass.async_add_executor_job(
                digest_batch,
                batch.readings,
                active,
                contract is not None and contract.self_consumption,
                tz,
            )
            report = await async_import_energy(self.hass, supply, readings, calendar)
            self.last_run.rows_written += report.total
            self.last_run.skipped_rows += batch.skipped
            if batch.skipped:
                _LOGGER.debug("Skipped %d unusable Datadis rows", batch.skipped)
            self._mark(states, first, last, with_data, now, partial=batch.partial)

        report = await fetch_months(self._plan(supply, states, now), fetch, on_answer)
        self._record_failures(states, report, now, f"{supply.meter_id}:energy")

    async def _async_sync_peaks(self, supply: DatadisSupply, now: datetime) -> None:
        states = self.peak_months.setdefault(supply.meter_id, {})
        known = self.peaks.setdefault(supply.meter_id, {})
        tz = ZoneInfo(supply.timezone)

        async def fetch(first: date, last: date) -> PeakBatch:
            return await self.client.async_get_max_power(supply, first, last)

        async def on_answer(first: date, last: date, batch: PeakBatch) -> None:
            with_data: set[date] = set()
            for peak in batch.peaks:
                month = peak.at.astimezone(tz).date().replace(day=1)
                with_data.add(month)
                known[f"{month_key(month)}|{peak.period or '-'}"] = peak
            self.last_run.rows_written += await async_import_peaks(
                self.hass, supply, batch.peaks
            )
            self._mark(states, first, last, with_data, now, partial=batch.partial)

        report = await fetch_months(
            self._plan(supply, states, now, every_other_day=True), fetch, on_answer
        )
        self._record_failures(states, report, now, f"{supply.meter_id}:max_power")
        # Keep only the peaks of the months Datadis still serves.
        oldest = month_key(
            add_months(now.astimezone(tz).date().replace(day=1), -HISTORY_MONTHS)
        )
        for key in [k for k in known if k.split("|")[0] < oldest]:
            del known[key]

    async def _async_sync_area(self, supply: DatadisSupply, now: datetime) -> None:
        """Neighbour comparison: best effort, at most once a day."""
        today = now.astimezone(ZoneInfo(supply.timezone)).date()
        if self.area_day.get(supply.meter_id) == today.isoformat():
            return
        self.area_day[supply.meter_id] = today.isoformat()
        try:
            averages = await self.client.async_get_area_averages(
                supply, today - timedelta(days=AREA_DAYS), today - timedelta(days=1)
            )
        except ProviderError as err:
            _LOGGER.debug("No neighbour comparison today: %s", redact(str(err)))
            return
        if averages:
            self.area[supply.meter_id] = averages[-1]
        self._save()

    # -- what entities see ------------------------------------------------------

    def _recent_area(self, supply: DatadisSupply, now: datetime) -> AreaAverage | None:
        """Return the neighbour figure, unless the public API went silent long ago.

        The figure is a day's average: one older than the window asked for
        (AREA_DAYS) is not "your postal code now" any more.
        """
        average = self.area.get(supply.meter_id)
        today = now.astimezone(ZoneInfo(supply.timezone)).date()
        if average is None or average.day < today - timedelta(days=AREA_DAYS):
            return None
        return average

    async def async_build_data(self, now: datetime) -> GridMeterData:
        """Assemble the entities' data from the stored state and statistics."""
        meters: dict[str, MeterData] = {}
        for supply in self.included():
            kinds = self.kinds.get(supply.meter_id, {EnergyKind.CONSUMPTION})
            energy, latest = await async_energy_totals(self.hass, supply, kinds, now)
            peaks = peak_summary(self.peaks.get(supply.meter_id, {}).values(), now)
            meters[supply.meter_id] = MeterData(
                point=supply,
                contract=self.contracts.get(supply.meter_id),
                kinds=frozenset(kinds),
                energy=energy,
                latest_data=latest,
                last_peak=peaks.last,
                year_peak=peaks.year,
                peak_months=peaks.months,
                area_average=self._recent_area(supply, now),
                calendar=self.calendar(supply),
                status=meter_status(latest, now),
            )
        if self.no_supplies or not meters:
            status = ConnectionStatus.NO_SUPPLIES
        elif any(m.status is ConnectionStatus.CONNECTED for m in meters.values()):
            status = ConnectionStatus.CONNECTED
        elif all(
            m.status is ConnectionStatus.WAITING_FOR_DATA for m in meters.values()
        ):
            status = ConnectionStatus.WAITING_FOR_DATA
        else:
            status = ConnectionStatus.DISCONNECTED
        return GridMeterData(
            meters=meters, account_status=status, last_sync=self.last_success
        )

    def diagnostics(self) -> dict[str, Any]:
        """State worth showing in diagnostics (the caller redacts identifiers)."""
        now = self._clock()
        return {
            "supplies": [to_json(s) for s in self.supplies.values()],
            "contracts": {m: to_json(c) for m, c in self.contracts.items()},
            "months": {meter: dict(months) for meter, months in self.months.items()},
            "peak_months": {
                meter: dict(months) for meter, months in self.peak_months.items()
            },
            "kinds": {
                m: sorted(k.value for k in kinds) for m, kinds in self.kinds.items()
            },
            "last_success": iso(self.last_success),
            "last_run": to_json(self.last_run),
            "ledger": {
                "queries_last_24h": self.client.ledger.sent_since(
                    now - timedelta(hours=24)
                ),
                "blocked_until": sorted(
                    until.isoformat() for until in self.client.ledger.blocked().values()
                ),
            },
            "has_token": self.client.token_state is not None,
        }
