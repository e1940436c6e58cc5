"""Switchgrid (Enedis): consent, data orders, and where the data goes.

Switchgrid orders are asynchronous: an order is placed, then polled with
backoff until its requests are done (seconds for contract data, minutes for a
24-month load curve). Every open order is written down, so a restart resumes
polling it instead of ordering again. Each day after Enedis's morning
publication two orders go out: the daily maximum power (and the contract once
a week), and the load curve (consumption, and injection when the consent
covers it): 24 months the first time, then the last week, which picks up late
data. The curve is always ordered with Switchgrid's automatic retry after
activation, in its own order: a meter whose curve Enedis never collected
waits in that order, which is looked at every few hours but never ordered
again in a loop, while the daily orders go on.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
import logging
from typing import Any, Final, override
from zoneinfo import ZoneInfo

from ...const import (
    CONF_ASK_ID,
    CONF_CONSENT_ID,
    CONF_INJECTION,
    CONF_OFF_PEAK,
    SWITCHGRID_REFRESH_TIME,
)
from ...coordinator import GridMeterCoordinator, ReimportPlan, RunResult
from ...data import GridMeterData
from ...issues import async_set_load_curve_pending
from ...providers.errors import (
    ConsentRevoked,
    InvalidResponse,
    NotFound,
    ProviderError,
    RequestTimeout,
    redact,
)
from ...providers.models import EnergyKind
from ...providers.switchgrid import (
    Order,
    OrderRequest,
    OrderRequestState,
    RequestStatus,
    SwitchgridClient,
    load_curve_energy,
)
from ...schedule import DailyTimetable, refresh_time
from ...statistics import RegularReadings, async_import_energy, async_import_peaks
from ...storage import to_json
from ...tariffs import FranceHPHC, TariffCalendar, parse_off_peak_hours
from ...totals import meter_status, peak_summary
from .client import PARIS, point_from_entry, switchgrid_client
from .state import SCHEMA, OpenOrder, SwitchgridState

_LOGGER = logging.getLogger(__name__)

HISTORY: Final = timedelta(days=730)
"""Enedis keeps 24 months (and 15 days) of load curve."""
OVERLAP: Final = timedelta(days=7)
"""The daily order re-reads the last week: late data and corrections."""
CONTRACT_EVERY: Final = timedelta(days=7)
ORDER_WAIT: Final = 900.0
"""How long one run waits for an order before leaving it for the next run."""
ORDER_GIVE_UP: Final = timedelta(days=3)
RESUME_AFTER: Final = timedelta(minutes=30)
ACTIVATION_POLL: Final = timedelta(hours=3)
"""How often a curve waiting for Enedis's activation is looked at."""
ACTIVATION_GIVE_UP: Final = timedelta(days=30)
"""Switchgrid retries such a curve by itself; only a month of silence re-orders."""

LOADCURVE: Final = "LOADCURVE"
C68: Final = "C68"
R66: Final = "R66_SYNC"
DIRECTIONS: Final = {
    "CONSUMPTION": EnergyKind.CONSUMPTION,
    "INJECTION": EnergyKind.RETURN,
}


# The pricing options in the words of French bills (the device's model).
PRICING_OPTIONS: Final = {
    "BASE": "Base",
    "HPHC": "Heures creuses",
    "TEMPO": "Tempo",
}


def paris_midnight(day: date) -> datetime:
    """Midnight of a Paris day, as an aware datetime."""
    return datetime.combine(day, time(), ZoneInfo(PARIS))


@dataclass(slots=True)
class RunCounters:
    """What the last run did (diagnostics and benchmarks)."""

    requests_failed: list[str] = field(default_factory=list)
    rows_written: int = 0
    skipped_points: int = 0


class SwitchgridCoordinator(GridMeterCoordinator[SwitchgridState]):
    """Keeps one PRM's statistics and sensors current through Switchgrid."""

    schema = SCHEMA

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Build the client, the supply point and the daily timetable."""
        super().__init__(*args, **kwargs)
        entry = self.config_entry
        self.client: SwitchgridClient = switchgrid_client(self.hass, entry.data)
        self.point = point_from_entry(entry.data)
        self._timetable = DailyTimetable(
            PARIS, refresh_time(entry, SWITCHGRID_REFRESH_TIME), seed=entry.entry_id
        )
        self.last_run = RunCounters()

    # -- state -----------------------------------------------------------------

    @override
    async def _async_restore(self) -> None:
        # Order answers do not echo a request's direction: keep what was sent.
        self.client.restore_request_directions(self.state.directions)

    @override
    def _before_save(self) -> None:
        self.state.directions = self.client.request_directions

    # -- timetable --------------------------------------------------------------

    @override
    def next_run(self, now: datetime) -> datetime:
        """Return the next daily run, after Enedis's morning publication."""
        return self._timetable.next_slot(now)

    @override
    def is_due(self, now: datetime) -> bool:
        """Whether the last daily run was missed (or orders are still open)."""
        last = self.state.last_success
        return (
            bool(self.state.orders)
            or last is None
            or last < self._timetable.last_slot(now)
        )

    # -- supply points (a Switchgrid entry is one PRM) ----------------------------

    @override
    def meter_choices(self) -> dict[str, str]:
        """Return the entry's only supply point."""
        return {self.point.meter_id: self.point.address or self.point.meter_id}

    @override
    def included_ids(self) -> list[str]:
        """Return the entry's only supply point."""
        return [self.point.meter_id]

    # -- the tariff calendar ----------------------------------------------------

    def calendar(self) -> TariffCalendar | None:
        """HP/HC from the user's override, else from the contract; None for BASE."""
        override_text = (self.config_entry.options.get(CONF_OFF_PEAK) or "").strip()
        if override_text:
            return FranceHPHC(parse_off_peak_hours(override_text))
        contract = self.state.contract
        if contract and contract.off_peak_hours:
            return FranceHPHC(tuple((r.start, r.end) for r in contract.off_peak_hours))
        return None

    def _calendar_key(self) -> str:
        calendar = self.calendar()
        if calendar is None:
            return "base"
        assert isinstance(calendar, FranceHPHC)
        return ";".join(
            f"{a.isoformat()}-{b.isoformat()}" for a, b in calendar.off_peak
        )

    # -- the run ------------------------------------------------------------------

    @override
    async def _async_run(self, *, initial: bool) -> RunResult:
        """Check the consent, finish open orders, place today's orders."""
        now = self._now
        if initial:
            return RunResult(data=await self.async_build_data(now))
        self.last_run = RunCounters()
        retry_at = await self._async_sync(now)
        return RunResult(data=await self.async_build_data(now), retry_at=retry_at)

    async def _async_sync(self, now: datetime) -> datetime | None:
        state = self.state
        entry = self.config_entry
        try:
            ask = await self.client.async_get_ask(entry.data[CONF_ASK_ID])
        except NotFound as err:
            # Our Ask was deleted on Switchgrid's side: the consent it carried
            # is gone just as surely as a revoked one, and only a new
            # signature brings the data back.
            raise ConsentRevoked("the consent no longer exists") from err
        if not ask.usable(now):
            raise ConsentRevoked("the consent is no longer valid")
        state.consent_expires = ask.expires_at

        for order_id in list(state.orders):
            async with self.step("order"):
                await self._async_resume(order_id, now)

        today = now.astimezone(ZoneInfo(PARIS)).date()
        # The daily data (R66, C68) and the load curve go in separate orders:
        # a curve waiting for Enedis's activation must hold back neither the
        # daily orders nor the import of their results.
        if state.last_order_day != today:
            async with self.step("daily_order"):
                await self._async_place(
                    self._daily_requests(today, now),
                    now,
                    key=today.isoformat(),
                    curve=False,
                    history=False,
                )
            # The contract and peaks show before the (slower) load curve.
            await self.async_publish()
        if state.reimport_from is not None and not any(
            order.curve for order in state.orders.values()
        ):
            async with self.step("reimport_order"):
                await self._async_place_reimport(today, now)
        # One curve order a day, and one more the day the off-peak split
        # changes (its history is ordered again with the new split); never a
        # second one while one is still open.
        curve_key = f"{today.isoformat()}|{self._calendar_key()}"
        curve_open = any(order.curve for order in state.orders.values())
        if state.last_curve != curve_key and not curve_open:
            history = state.history_for != self._calendar_key()
            async with self.step("curve_order"):
                await self._async_place(
                    self._curve_requests(today, history=history),
                    now,
                    key=curve_key,
                    curve=True,
                    history=history,
                )
        async_set_load_curve_pending(
            self.hass, entry, state.activation_requested is not None
        )
        if any(not order.waiting for order in state.orders.values()):
            return now + RESUME_AFTER
        state.last_success = now
        # Only a curve waiting for activation is open: Switchgrid finishes it
        # by itself; a look now and then is enough.
        return now + ACTIVATION_POLL if state.orders else None

    @override
    def _plan_reimport(
        self, meter_ids: Collection[str] | None, start: date | None, now: datetime
    ) -> ReimportPlan:
        """Order the load curve and daily peaks again from `start` (≤ 24 months).

        Orders are billed: the same re-import is ordered once a day at most.
        """
        today = now.astimezone(ZoneInfo(PARIS)).date()
        first = max(start or today - HISTORY, today - HISTORY)
        if self.state.last_reimport == f"{today.isoformat()}|{first.isoformat()}":
            return ReimportPlan(runs_at=now, start=first, note="reimport_ordered")
        self.state.reimport_from = first
        return ReimportPlan(runs_at=now, start=first)

    async def _async_place_reimport(self, today: date, now: datetime) -> None:
        """Order what a re-import asks: the curve and the daily peaks since then."""
        state = self.state
        first = state.reimport_from
        assert first is not None
        state.reimport_from = None
        state.last_reimport = f"{today.isoformat()}|{first.isoformat()}"
        history = first <= today - HISTORY
        await self._async_place(
            [
                *self._curve_requests(today, history=history, since=first),
                OrderRequest(type=R66, direction="SOUTIRAGE", since=first, until=today),
            ],
            now,
            key=f"{today.isoformat()}|{self._calendar_key()}",
            curve=True,
            history=history,
        )

    def _mark_placed(self, key: str, *, curve: bool) -> None:
        if curve:
            self.state.last_curve = key
        else:
            self.state.last_order_day = date.fromisoformat(key)

    async def _async_place(
        self,
        requests: list[OrderRequest],
        now: datetime,
        *,
        key: str,
        curve: bool,
        history: bool,
    ) -> None:
        """Place one order, write it down, and wait for it (up to ORDER_WAIT).

        ``key`` marks the order as placed (``last_curve`` or ``last_order_day``).
        """
        try:
            order = await self.client.async_create_order(
                self.config_entry.data[CONF_CONSENT_ID], requests
            )
        except Exception as err:
            # A 2xx answer without a readable order id, or one nobody planned
            # for: the order is most likely placed, and billed. Not again
            # before the next day (a retry every two hours would bill each).
            if isinstance(err, InvalidResponse) or not isinstance(err, ProviderError):
                self._mark_placed(key, curve=curve)
                self.async_save()
            raise
        self._mark_placed(key, curve=curve)
        self.state.orders[order.id] = OpenOrder(
            id=order.id,
            at=now,
            day=now.astimezone(ZoneInfo(PARIS)).date(),
            curve=curve,
            history=history,
        )
        self.async_save()
        await self._async_resume(order.id, now)

    def _daily_requests(self, today: date, now: datetime) -> list[OrderRequest]:
        """Order the last week of daily maximum power, the contract weekly.

        R66 is per day: bare dates name the Enedis days themselves.
        """
        state = self.state
        since = today - (HISTORY if state.history_for is None else OVERLAP)
        requests = [
            OrderRequest(type=R66, direction="SOUTIRAGE", since=since, until=today)
        ]
        if state.contract_at is None or now - state.contract_at >= CONTRACT_EVERY:
            requests.append(OrderRequest(type=C68))
        return requests

    def _curve_requests(
        self, today: date, *, history: bool, since: date | None = None
    ) -> list[OrderRequest]:
        """Order the last week of load curve (24 months, or `since`, if asked).

        Always with Switchgrid's automatic retry: a curve Enedis never
        collected is then activated and delivered by the same order, instead
        of failing and being ordered (and billed) again.
        """
        if since is None:
            since = today - (HISTORY if history else OVERLAP)
        directions = ["CONSUMPTION"]
        if self.config_entry.data.get(CONF_INJECTION):
            directions.append("INJECTION")
        # Switchgrid reads a bare date as UTC midnight (01:00 or 02:00 in
        # Paris): send the Paris midnights themselves, as UTC instants.
        return [
            OrderRequest(
                type=LOADCURVE,
                direction=direction,
                since=paris_midnight(since),
                until=paris_midnight(today),
                retry_after_activation=True,
            )
            for direction in directions
        ]

    async def _async_look(self, order_id: str, *, wait: bool) -> Order | None:
        """Read an order, waiting (up to ORDER_WAIT) for it to finish when asked.

        None when Switchgrid no longer knows the order.
        """
        try:
            if wait:
                try:
                    return await self.client.async_wait_for_order(
                        order_id, timeout=ORDER_WAIT, stop=_waits_for_activation
                    )
                except RequestTimeout:
                    pass
            return await self.client.async_get_order(order_id)
        except NotFound:
            return None

    async def _async_resume(self, order_id: str, now: datetime) -> None:
        """Import an order once done; note a curve waiting for its activation."""
        state = self.state
        record = state.orders[order_id]
        # A curve waiting for Enedis is only looked at, never waited for.
        order = await self._async_look(order_id, wait=not record.waiting)
        if order is None:
            del state.orders[order_id]
            return
        if order.done:
            await self._async_import(order, record, now)
            del state.orders[order_id]
            self.async_save()
            return
        if _waits_for_activation(order):
            # Switchgrid asked Enedis for the activation and retries by itself.
            record.waiting = True
            state.activation_requested = state.activation_requested or now
        placed = record.at or now
        if now - placed > (ACTIVATION_GIVE_UP if record.waiting else ORDER_GIVE_UP):
            _LOGGER.warning("A Switchgrid order stayed open for days; ordering again")
            del state.orders[order_id]
            if record.curve:
                state.last_curve = None
            else:
                state.last_order_day = None

    async def _async_import(
        self, order: Order, record: OpenOrder, now: datetime
    ) -> None:
        """Import every successful request; keep the rest for another day."""
        state = self.state
        # The contract first: it decides the HP/HC split of the energy.
        for request in sorted(order.requests, key=lambda r: r.type != C68):
            if request.status is RequestStatus.SUCCESS:
                async with self.step(f"import_{request.type.lower()}"):
                    try:
                        await self._async_import_request(request, now)
                    except ProviderError as err:
                        self.last_run.requests_failed.append(request.type)
                        _LOGGER.warning(
                            "Switchgrid %s data could not be read: %s",
                            request.type,
                            redact(str(err)),
                        )
                        continue
                    if request.type == LOADCURVE:
                        # The curve is collected now, whatever the data holds.
                        state.activation_requested = None
                        if record.history and request.direction == "CONSUMPTION":
                            # The whole window was read: a meter with less
                            # than 24 months of curve has no more to give.
                            state.history_for = self._calendar_key()
                            day = record.day.isoformat() if record.day else None
                            state.last_curve = f"{day}|{state.history_for}"
            elif request.status is RequestStatus.FAILED:
                self.last_run.requests_failed.append(request.type)
                if request.type == LOADCURVE and request.load_curve_not_activated:
                    # Switchgrid did not keep the order for a retry: the next
                    # day's curve order asks again (once a day, not in a loop).
                    state.activation_requested = state.activation_requested or now
                else:
                    _LOGGER.info(
                        "Switchgrid %s request failed: %s",
                        request.type,
                        redact(request.error_message or ""),
                    )

    async def _async_import_request(
        self, request: OrderRequestState, now: datetime
    ) -> None:
        state = self.state
        point = self.point
        if request.type == C68:
            state.contract = await self.client.async_get_contract(
                request, point.meter_id
            )
            state.contract_at = now
        elif request.type == R66:
            peaks = await self.client.async_get_daily_max_power(request)
            for peak in peaks:
                state.peaks[peak.at.isoformat()] = peak
            self.last_run.rows_written += await async_import_peaks(
                self.hass, point, peaks
            )
            oldest = (now - HISTORY).isoformat()
            state.peaks = {k: p for k, p in state.peaks.items() if k >= oldest}
        elif request.type == LOADCURVE:
            kind = DIRECTIONS.get(request.direction or "")
            if kind is None:
                # Never guess: an injection curve written as consumption
                # would corrupt both statistics. The next order re-reads it.
                self.last_run.requests_failed.append(request.type)
                _LOGGER.warning(
                    "A Switchgrid load curve of unknown direction (%s) was skipped",
                    redact(str(request.direction)),
                )
                return
            curve = await self.client.async_get_load_curve(request)
            energy = await self.hass.async_add_executor_job(load_curve_energy, curve)
            if kind is EnergyKind.RETURN and await self.hass.async_add_executor_job(
                any, energy.kwh
            ):
                state.kinds = state.kinds | {kind}
            readings = RegularReadings(kind, energy.start, energy.step, energy.kwh)
            report = await async_import_energy(
                self.hass, point, readings, self.calendar()
            )
            await self.async_note_written(
                point, report, calendar=self.calendar(), kinds=state.kinds
            )
            self.last_run.rows_written += report.total
            self.last_run.skipped_points += energy.skipped

    # -- what entities see ------------------------------------------------------

    @override
    async def async_build_data(self, now: datetime) -> GridMeterData:
        """Assemble the entities' data from the state and the hours in memory."""
        state = self.state
        meter = await self.async_meter_energy(self.point, state.kinds, now)
        peaks = peak_summary(state.peaks.values(), now)
        # A curve waiting for its activation is "waiting for data" (no data yet).
        status = meter_status(meter.latest_data, now)
        meter.contract = state.contract
        meter.model = (
            PRICING_OPTIONS.get((state.contract.tariff_option or "").upper())
            if state.contract
            else None
        )
        meter.last_peak = peaks.last
        meter.year_peak = peaks.year
        meter.peak_months = peaks.months
        meter.status = status
        meter.calendar = self.calendar()
        meter.consent_expires = state.consent_expires
        return GridMeterData(
            meters={self.point.meter_id: meter},
            account_status=status,
            last_sync=state.last_success,
        )

    @override
    def diagnostics(self) -> dict[str, Any]:
        """State worth showing in diagnostics (the caller redacts identifiers)."""
        state = self.state
        return {
            "point": to_json(self.point),
            "contract": to_json(state.contract),
            "open_orders": len(state.orders),
            "history_for": state.history_for,
            "activation_requested": to_json(state.activation_requested),
            "last_order_day": to_json(state.last_order_day),
            "last_curve": state.last_curve,
            "consent_expires": to_json(state.consent_expires),
            "last_success": to_json(state.last_success),
            "last_run": to_json(self.last_run),
        }

    def concerns(self, payload: Any) -> bool:
        """Whether a Switchgrid event concerns this entry (a run is worth it).

        Only its ids are used; the data itself is re-read.
        """
        event = payload.get("event") if isinstance(payload, Mapping) else None
        if not isinstance(event, Mapping):
            return False
        tag = event.get("_tag")
        if tag in ("order.request_success", "order.request_failed"):
            order_id = event.get("orderId")
            return isinstance(order_id, str) and order_id in self.state.orders
        if tag == "ask.accepted":
            return event.get("askId") == self.config_entry.data.get(CONF_ASK_ID)
        return False


def _waits_for_activation(order: Order) -> bool:
    """Whether a load curve of the order waits for Enedis to collect it."""
    return any(
        r.type == LOADCURVE and not r.done and r.load_curve_not_activated
        for r in order.requests
    )
