"""Datadis: what to ask, when, and where the answers go.

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
- a failed or refused supplies or contract query never stops the run: the
  last known supplies and contract are used; each supply's steps (contract,
  energy, maximum power, neighbours) fail on their own.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
import logging
from typing import Any, Final, override
from zoneinfo import ZoneInfo

from ...const import CONF_EXCLUDED_SUPPLIES, CONF_SUPPLIES, DEFAULT_REFRESH_TIME
from ...coordinator import RETRY_MARGIN, GridMeterCoordinator, ReimportPlan, RunResult
from ...data import GridMeterData, MeterData
from ...flow_helpers import mask
from ...providers.datadis import DatadisBatch, DatadisClient, DatadisSupply, PeakBatch
from ...providers.errors import (
    AuthError,
    NoMeterPoints,
    NotAuthorized,
    ProviderError,
    redact,
)
from ...providers.history import FetchReport, add_months, fetch_months, month_range
from ...providers.ledger import QueryLedger
from ...providers.models import AreaAverage, Contract, EnergyKind, EnergyReading
from ...schedule import DailyTimetable, refresh_time
from ...statistics import async_import_energy, async_import_peaks
from ...storage import to_json
from ...tariffs import TariffCalendar, spain_20td_for
from ...totals import account_status, meter_status, peak_summary
from .client import datadis_client
from .state import SCHEMA, DatadisState, MonthMark, MonthStatus, ReimportRequest

_LOGGER = logging.getLogger(__name__)

MADRID: Final = "Europe/Madrid"
HISTORY_MONTHS: Final = 24
"""Datadis serves the current month and the 23 before it."""
EMPTY_RETRY: Final = timedelta(days=7)
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
CONSUMPTION_ONLY: Final = frozenset({EnergyKind.CONSUMPTION})


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


# Datadis's access-tariff codes (`codeFare`) and the tariffs they name.
_ACCESS_TARIFFS: Final = {
    "2T": "2.0TD",
    "3T": "3.0TD",
    "6T": "6.1TD",
    "61": "6.1TD",
    "62": "6.2TD",
    "63": "6.3TD",
    "64": "6.4TD",
}


def access_tariff(contract: Contract | None) -> str | None:
    """Return the access tariff in the words of the bill: 2.0TD, 3.0TD, 6.1TD...

    Datadis's `accessFare` text when it names one, else its `codeFare` code.
    """
    if contract is None:
        return None
    name = (contract.tariff_name or "").upper()
    for tariff in ("2.0TD", "3.0TD", "6.1TD", "6.2TD", "6.3TD", "6.4TD"):
        if tariff in name.replace(" ", ""):
            return tariff
    return _ACCESS_TARIFFS.get((contract.tariff_code or "").strip().upper())


def digest_batch(
    readings: tuple[EnergyReading, ...],
    active: frozenset[EnergyKind],
    solar_contract: bool,
    tz: ZoneInfo,
) -> tuple[list[EnergyReading], frozenset[EnergyKind], set[date]]:
    """Keep the registers worth a statistic; list the local months with data.

    Solar registers become active at their first non-zero value, or at once
    when the contract declares self-consumption, so homes without solar get
    no all-zero return statistics. Runs in a worker thread: a 24-month answer
    holds tens of thousands of readings.
    """
    kinds = set(active)
    for reading in readings:
        if reading.kind not in kinds and (reading.kwh > 0 or solar_contract):
            kinds.add(reading.kind)
    kept = [reading for reading in readings if reading.kind in kinds]
    months = {r.start.astimezone(tz).date().replace(day=1) for r in readings}
    return kept, frozenset(kinds), months


@dataclass(slots=True)
class RunCounters:
    """What the last run did (diagnostics and benchmarks)."""

    requests: int = 0
    rows_written: int = 0
    skipped_rows: int = 0
    failed_months: dict[str, list[str]] = field(default_factory=dict)


class DatadisCoordinator(GridMeterCoordinator[DatadisState]):
    """Keeps one Datadis account's supplies, statistics and sensors current."""

    schema = SCHEMA

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Build the client and the daily timetable (after the 06:30 publication)."""
        super().__init__(*args, **kwargs)
        entry = self.config_entry
        self.client: DatadisClient = datadis_client(self.hass, entry.data)
        self._timetable = DailyTimetable(
            MADRID, refresh_time(entry, DEFAULT_REFRESH_TIME), seed=entry.entry_id
        )
        self.last_run = RunCounters()

    # -- state -----------------------------------------------------------------

    @override
    async def _async_restore(self) -> None:
        """Hand the ledger and the token to the client."""
        self.client.ledger = QueryLedger.from_dict(
            self.state.ledger, clock=self._clock, on_change=self.async_save
        )
        self.client.restore_token(self.state.token)

    @override
    def _before_save(self) -> None:
        self.state.ledger = self.client.ledger.as_dict()
        self.state.token = self.client.token_state

    # -- timetable --------------------------------------------------------------

    @override
    def next_run(self, now: datetime) -> datetime:
        """Return the next daily run, after the morning publication."""
        return self._timetable.next_slot(now)

    @override
    def is_due(self, now: datetime) -> bool:
        """Whether the last daily run was missed."""
        last = self.state.last_success
        return last is None or last < self._timetable.last_slot(now)

    # -- supply points ------------------------------------------------------------

    def included(self) -> list[DatadisSupply]:
        """Supplies followed: every current one except those deselected.

        A supply that ended before the 24 months Datadis serves is followed
        only when the user picked it. Options saved before exclusions existed
        (a chosen list alone) keep their meaning.
        """
        options = self.config_entry.options
        chosen = options.get(CONF_SUPPLIES)
        excluded = options.get(CONF_EXCLUDED_SUPPLIES)
        supplies = self.state.supplies
        if excluded is None and chosen is not None:
            return [s for m, s in supplies.items() if m in chosen]
        oldest = add_months(self._clock().date().replace(day=1), -HISTORY_MONTHS)
        return [
            supply
            for meter_id, supply in supplies.items()
            if meter_id not in (excluded or ())
            and (
                supply.valid_to is None
                or supply.valid_to >= oldest
                or meter_id in (chosen or ())
            )
        ]

    @override
    def meter_choices(self) -> dict[str, str]:
        """Every supply of the account, labelled by address and CUPS."""
        return {
            meter_id: ", ".join(
                part for part in (supply.address, supply.municipality, meter_id) if part
            )
            for meter_id, supply in self.state.supplies.items()
        }

    @override
    def included_ids(self) -> list[str]:
        """Return the ids of the supplies followed now."""
        return [supply.meter_id for supply in self.included()]

    # -- the run ------------------------------------------------------------------

    @override
    async def _async_run(self, *, initial: bool) -> RunResult:
        """Run once; `initial` only makes sure the supplies are known."""
        now = self._now
        state = self.state
        sent_before = self.client.requests_sent
        self.last_run = RunCounters()
        if initial:
            if not state.supplies and not state.no_supplies:
                await self._async_sync_supplies()
            # What the contract says (contracted power, tariff) shows as soon
            # as the entry exists; a week's answer, so the daily run asks
            # nothing again. Optional at set-up: a failure waits for the run.
            for supply in self.included():
                if supply.meter_id not in state.contracts:
                    async with self.step("contract"):
                        try:
                            await self._async_sync_contract(supply)
                        except ProviderError as err:
                            _LOGGER.debug(
                                "No contract at set-up: %s", type(err).__name__
                            )
            return RunResult(data=await self.async_build_data(now))

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
            if not state.supplies:
                raise
            _LOGGER.warning(
                "Datadis supplies unavailable, using the known ones: %s",
                redact(str(err)),
            )
            self.retry_after_error(err)
        self._apply_due_reimports(now)
        for supply in self.included():
            async with self.step("contract"):
                await self._async_sync_contract(supply)
            async with self.step("energy"):
                await self._async_sync_energy(supply, now)
            async with self.step("max_power"):
                await self._async_sync_peaks(supply, now)
            if self._area_due(supply, now):
                async with self.step("neighbours"):
                    await self._async_sync_area(supply, now)
            # A long first import shows each supply's history as it lands.
            await self.async_publish()
        state.last_success = now
        self.last_run.requests = self.client.requests_sent - sent_before
        return RunResult(data=await self.async_build_data(now))

    @override
    def _plan_reimport(
        self, meter_ids: Collection[str] | None, start: date | None, now: datetime
    ) -> ReimportPlan:
        """Read the months from `start` again, once Datadis may be asked them.

        Queries sent less than 24 hours ago are answered from the ledger (the
        same answer): the months are asked anew when every query of the
        supply may be sent again.
        """
        local_today = now.astimezone(ZoneInfo(MADRID)).date()
        oldest = add_months(local_today.replace(day=1), 1 - HISTORY_MONTHS)
        first = max((start or oldest).replace(day=1), oldest)
        runs_at = now
        for supply in self.included():
            if meter_ids is not None and supply.meter_id not in meter_ids:
                continue
            held = self.client.ruled_until(supply)
            after = held + RETRY_MARGIN if held is not None and held > now else now
            self.state.reimports[supply.meter_id] = ReimportRequest(
                start=first, after=after
            )
            runs_at = max(runs_at, after)
        return ReimportPlan(
            runs_at=runs_at,
            start=first,
            note="reimport_deferred" if runs_at > now else None,
        )

    def _apply_due_reimports(self, now: datetime) -> None:
        """Forget the marks of the months a due re-import reads again."""
        state = self.state
        for meter_id, request in list(state.reimports.items()):
            if request.after > now:
                self.retry_soon(request.after)
                continue
            first = month_key(request.start)
            for series in (state.months, state.peak_months):
                marks = series.get(meter_id, {})
                for key in [k for k in marks if k >= first]:
                    del marks[key]
            del state.reimports[meter_id]

    async def _async_sync_supplies(self) -> None:
        state = self.state
        try:
            answer = await self.client.async_get_supply_list()
        except NoMeterPoints:
            state.supplies = {}
            state.no_supplies = True
            self.async_save()
            return
        state.no_supplies = False
        supplies = {supply.meter_id: supply for supply in answer.supplies}
        failed = answer.failed_distributors
        # A distributor that failed to answer has not dropped its supplies:
        # keep the known ones (removing them would delete their devices).
        for meter_id, known in state.supplies.items():
            if meter_id not in supplies and (
                failed is None or known.distributor_code in failed
            ):
                supplies[meter_id] = known
        state.supplies = supplies
        self.async_save()

    async def _async_sync_contract(self, supply: DatadisSupply) -> None:
        """Refresh a contract; on a provider failure keep the known one."""
        try:
            contract = await self.client.async_get_contract(supply)
        except (AuthError, NotAuthorized):
            raise
        except ProviderError as err:
            _LOGGER.debug(
                "Contract of %s not read, keeping the known one: %s",
                mask(supply.meter_id),
                redact(str(err)),
            )
            self.retry_after_error(err)
            return
        if contract is not None:
            self.state.contracts[supply.meter_id] = contract

    def _needs(
        self, supply: DatadisSupply, mark: MonthMark | None, now: datetime
    ) -> bool:
        """Whether a month must be (re)fetched by the backfill."""
        if mark is None:
            return True
        if mark.status is MonthStatus.FAILED:
            # Daily for a week, then weekly (see FAILED_DAILY_TRIES).
            return mark.tries < FAILED_DAILY_TRIES or now - mark.at >= FAILED_RETRY
        if mark.status is MonthStatus.OK:
            return False
        # Empty: re-ask weekly a few times inside the supply's life (the month
        # of a contract change often arrives late), never before it.
        started = supply.valid_from.replace(day=1) if supply.valid_from else None
        if started is not None and mark.month < started:
            return False
        return mark.tries < EMPTY_MAX_TRIES and now - mark.at >= EMPTY_RETRY

    def _plan(
        self,
        supply: DatadisSupply,
        marks: dict[str, MonthMark],
        now: datetime,
        *,
        every_other_day: bool = False,
    ) -> list[date]:
        local_today = now.astimezone(ZoneInfo(supply.timezone)).date()
        current = local_today.replace(day=1)
        window = month_range(add_months(current, 1 - HISTORY_MONTHS), current)
        needed = {
            m for m in window if self._needs(supply, marks.get(month_key(m)), now)
        }
        # The daily refresh re-reads recent months, but never one read today.
        # Monthly peaks change rarely: their refresh runs every other day, on
        # the days the window spans two months.
        skip = every_other_day and local_today.toordinal() % 2 == 1
        refresh = {
            month
            for month in ([] if skip else refresh_months(local_today))
            if (mark := marks.get(month_key(month))) is None
            or now - mark.at >= REFRESH_AFTER
        }
        return sorted(needed | refresh)

    def _mark(
        self,
        marks: dict[str, MonthMark],
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
            previous = marks.get(key)
            if partial:
                status = MonthStatus.FAILED
            else:
                status = MonthStatus.OK if month in with_data else MonthStatus.EMPTY
            if status is MonthStatus.OK:
                tries = 0
            elif previous is not None and previous.status is status:
                tries = previous.tries + 1
            else:
                tries = 1
            marks[key] = MonthMark(
                month=month,
                status=status,
                at=now,
                tries=tries,
                reason="distributorError" if partial else None,
            )
        self.async_save()

    def _record_failures(
        self,
        marks: dict[str, MonthMark],
        report: FetchReport,
        now: datetime,
        label: str,
    ) -> None:
        if report.retry_after is not None:
            # A blocked query may be asked again once its 24 h are over.
            self.retry_soon(now + timedelta(seconds=report.retry_after) + RETRY_MARGIN)
        for month, reason in report.failed.items():
            previous = marks.get(month_key(month))
            tries = (
                previous.tries
                if previous is not None and previous.status is MonthStatus.FAILED
                else 0
            )
            marks[month_key(month)] = MonthMark(
                month=month,
                status=MonthStatus.FAILED,
                at=now,
                reason=reason,
                tries=tries + 1,
            )
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
        if not is_20td(supply, self.state.contracts.get(supply.meter_id)):
            return None
        return spain_20td_for(supply.region_code, supply.timezone)

    async def _async_sync_energy(self, supply: DatadisSupply, now: datetime) -> None:
        state = self.state
        marks = state.months.setdefault(supply.meter_id, {})
        tz = ZoneInfo(supply.timezone)
        calendar = self.calendar(supply)

        async def fetch(first: date, last: date) -> DatadisBatch:
            return await self.client.async_get_consumption(supply, first, last)

        async def on_answer(first: date, last: date, batch: DatadisBatch) -> None:
            contract = state.contracts.get(supply.meter_id)
            readings, kinds, with_data = await self.hass.async_add_executor_job(
                digest_batch,
                batch.readings,
                state.kinds.get(supply.meter_id, CONSUMPTION_ONLY),
                contract is not None and contract.self_consumption,
                tz,
            )
            state.kinds[supply.meter_id] = kinds
            report = await async_import_energy(self.hass, supply, readings, calendar)
            await self.async_note_written(
                supply, report, calendar=calendar, kinds=kinds
            )
            self.last_run.rows_written += report.total
            self.last_run.skipped_rows += batch.skipped
            if batch.skipped:
                _LOGGER.debug("Skipped %d unusable Datadis rows", batch.skipped)
            self._mark(marks, first, last, with_data, now, partial=batch.partial)

        report = await fetch_months(self._plan(supply, marks, now), fetch, on_answer)
        self._record_failures(marks, report, now, f"{supply.meter_id}:energy")

    async def _async_sync_peaks(self, supply: DatadisSupply, now: datetime) -> None:
        marks = self.state.peak_months.setdefault(supply.meter_id, {})
        known = self.state.peaks.setdefault(supply.meter_id, {})
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
            self._mark(marks, first, last, with_data, now, partial=batch.partial)

        report = await fetch_months(
            self._plan(supply, marks, now, every_other_day=True), fetch, on_answer
        )
        self._record_failures(marks, report, now, f"{supply.meter_id}:max_power")
        # Keep only the peaks of the months Datadis still serves.
        oldest = month_key(
            add_months(now.astimezone(tz).date().replace(day=1), -HISTORY_MONTHS)
        )
        for key in [k for k in known if k.split("|")[0] < oldest]:
            del known[key]

    def _area_due(self, supply: DatadisSupply, now: datetime) -> bool:
        """Whether today's neighbour comparison is still to be asked.

        Outside its step: a run that skips it must not count as one in which
        it ran without failing.
        """
        today = now.astimezone(ZoneInfo(supply.timezone)).date()
        return self.state.area_day.get(supply.meter_id) != today

    async def _async_sync_area(self, supply: DatadisSupply, now: datetime) -> None:
        """Neighbour comparison: best effort, at most once a day."""
        state = self.state
        today = now.astimezone(ZoneInfo(supply.timezone)).date()
        state.area_day[supply.meter_id] = today
        self.async_save()
        try:
            averages = await self.client.async_get_area_averages(
                supply, today - timedelta(days=AREA_DAYS), today - timedelta(days=1)
            )
        except ProviderError as err:
            _LOGGER.debug("No neighbour comparison today: %s", redact(str(err)))
            return
        if averages:
            state.area[supply.meter_id] = averages[-1]

    # -- what entities see ------------------------------------------------------

    def _recent_area(self, supply: DatadisSupply, now: datetime) -> AreaAverage | None:
        """Return the neighbour figure, unless the public API went silent long ago.

        The figure is a day's average: one older than the window asked for
        (AREA_DAYS) is not "your postal code now" any more.
        """
        average = self.state.area.get(supply.meter_id)
        today = now.astimezone(ZoneInfo(supply.timezone)).date()
        if average is None or average.day < today - timedelta(days=AREA_DAYS):
            return None
        return average

    @override
    async def async_build_data(self, now: datetime) -> GridMeterData:
        """Assemble the entities' data from the state and the hours in memory."""
        state = self.state
        meters: dict[str, MeterData] = {}
        for supply in self.included():
            kinds = state.kinds.get(supply.meter_id, CONSUMPTION_ONLY)
            meter = await self.async_meter_energy(supply, kinds, now)
            peaks = peak_summary(state.peaks.get(supply.meter_id, {}).values(), now)
            meter.contract = state.contracts.get(supply.meter_id)
            meter.model = access_tariff(meter.contract)
            meter.last_peak = peaks.last
            meter.year_peak = peaks.year
            meter.peak_months = peaks.months
            meter.area_average = self._recent_area(supply, now)
            meter.calendar = self.calendar(supply)
            meter.status = meter_status(meter.latest_data, now)
            meters[supply.meter_id] = meter
        self.forget_meters(meters)
        return GridMeterData(
            meters=meters,
            account_status=account_status(meters, no_supplies=state.no_supplies),
            last_sync=state.last_success,
        )

    @override
    def diagnostics(self) -> dict[str, Any]:
        """State worth showing in diagnostics (the caller redacts identifiers)."""
        now = self._clock()
        state = self.state
        return {
            "supplies": [to_json(s) for s in state.supplies.values()],
            "contracts": to_json(state.contracts),
            "months": to_json(state.months),
            "peak_months": to_json(state.peak_months),
            "kinds": to_json(state.kinds),
            "last_success": to_json(state.last_success),
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
