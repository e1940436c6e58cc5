"""Switchgrid (Enedis) sync: consent, data orders, and where the data goes.

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

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
import logging
from typing import Any, Final
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.hdrs import METH_POST
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.helpers.storage import Store

from ..const import (
    CONF_API_TOKEN,
    CONF_ASK_ID,
    CONF_BASE_URL,
    CONF_CONSENT_ID,
    CONF_INJECTION,
    CONF_OFF_PEAK,
    CONF_PRM,
    CONF_TEST_ENV,
    CONF_WEBHOOK_ID,
    DOMAIN,
    PROVIDER_SWITCHGRID,
)
from ..coordinator import GridMeterConfigEntry
from ..data import ConnectionStatus, GridMeterData, MeterData, SyncResult
from ..issues import async_set_load_curve_pending
from ..providers.errors import (
    ConsentRevoked,
    InvalidResponse,
    NotFound,
    ProviderError,
    RequestTimeout,
    redact,
)
from ..providers.models import Contract, EnergyKind, MeterPoint, PowerPeak
from ..providers.switchgrid import (
    DEFAULT_BASE_URL,
    Order,
    OrderRequest,
    OrderRequestState,
    RequestStatus,
    SwitchgridClient,
    SwitchgridContract,
    load_curve_energy,
)
from ..statistics import RegularReadings, async_import_energy, async_import_peaks
from ..storage import from_json, to_json
from ..tariffs import FranceHPHC, TariffCalendar, parse_off_peak_hours
from .common import (
    DailyTimetable,
    StoredSync,
    async_energy_totals,
    instant,
    iso,
    meter_status,
    peak_summary,
)

_LOGGER = logging.getLogger(__name__)

PARIS: Final = "Europe/Paris"
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


def switchgrid_client(hass: HomeAssistant, data: Mapping[str, Any]) -> SwitchgridClient:
    """Build a Switchgrid client on Home Assistant's shared session."""
    return SwitchgridClient(
        async_get_clientsession(hass),
        data[CONF_API_TOKEN],
        base_url=data.get(CONF_BASE_URL) or DEFAULT_BASE_URL,
        test_env=bool(data.get(CONF_TEST_ENV)),
    )


def point_from_entry(data: Mapping[str, Any]) -> MeterPoint:
    """Return the supply point as the contract search described it."""
    lines = [str(line) for line in data.get("address_lines", []) if line]
    postal, municipality, street = None, None, None
    for index, line in enumerate(lines):
        head, _, tail = line.partition(" ")
        if head.isdigit() and len(head) == 5:
            postal, municipality = head, tail.strip() or None
            # AFNOR lines: the street (ligne 4) starts with the house number;
            # else it is the line just above the postal one.
            street = next(
                (candidate for candidate in lines[:index] if candidate[:1].isdigit()),
                lines[index - 1] if index else None,
            )
            break
    return MeterPoint(
        provider=PROVIDER_SWITCHGRID,
        meter_id=data[CONF_PRM],
        timezone=PARIS,
        address=street or (lines[0] if lines else None),
        postal_code=postal,
        municipality=municipality,
        region_code=postal[:2] if postal else None,
        distributor="Enedis",
    )


def paris_midnight(day: date) -> datetime:
    """Midnight of a Paris day, as an aware datetime."""
    return datetime.combine(day, time(), ZoneInfo(PARIS))


@dataclass(slots=True)
class RunCounters:
    """What the last sync did (diagnostics and benchmarks)."""

    requests_failed: list[str] = field(default_factory=list)
    rows_written: int = 0
    skipped_points: int = 0


class SwitchgridSync(StoredSync):
    """Keeps one PRM's statistics and sensors current through Switchgrid."""

    provider = PROVIDER_SWITCHGRID

    def __init__(
        self,
        hass: HomeAssistant,
        entry: GridMeterConfigEntry,
        client: SwitchgridClient,
        store: Store[dict[str, Any]],
        timetable: DailyTimetable,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        """Wire the client, the PRM's store and the timetable."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self._store = store
        self._timetable = timetable
        self._clock = clock
        self.point = point_from_entry(entry.data)
        self.contract: Contract | None = None
        self.contract_at: datetime | None = None
        self.peaks: dict[str, PowerPeak] = {}
        self.kinds: set[EnergyKind] = {EnergyKind.CONSUMPTION}
        self.orders: dict[str, dict[str, Any]] = {}
        self.history_for: str | None = None
        """Calendar key the 24-month history was imported with (None: not yet)."""
        self.activation_requested: datetime | None = None
        self.last_order_day: str | None = None
        """Paris day of the last daily order (R66, C68)."""
        self.last_curve: str | None = None
        """``day|calendar key`` of the last load-curve order."""
        self.consent_expires: datetime | None = None
        self.last_success: datetime | None = None
        self.last_run = RunCounters()
        self._lock = asyncio.Lock()

    # -- persistence ------------------------------------------------------------

    async def async_load(self) -> None:
        """Restore what was learnt and the orders still open (no network)."""
        data = await self._store.async_load() or {}
        if raw := data.get("contract"):
            # Everything C68 said (tariff option, raw off-peak text) survives.
            self.contract = from_json(SwitchgridContract, raw)
        self.contract_at = instant(data.get("contract_at"))
        self.peaks = {
            key: from_json(PowerPeak, raw) for key, raw in data.get("peaks", {}).items()
        }
        self.kinds = {EnergyKind(kind) for kind in data.get("kinds", ["consumption"])}
        self.orders = dict(data.get("orders", {}))
        self.history_for = data.get("history_for")
        self.activation_requested = instant(data.get("activation_requested"))
        self.last_order_day = data.get("last_order_day")
        self.last_curve = data.get("last_curve")
        self.consent_expires = instant(data.get("consent_expires"))
        self.last_success = instant(data.get("last_success"))
        # Order answers do not echo a request's direction: keep what was sent.
        self.client.restore_request_directions(data.get("directions"))

    def _document(self) -> dict[str, Any]:
        """Snapshot the state in fresh containers (serialised in another thread)."""
        return {
            "contract": to_json(self.contract) if self.contract else None,
            "contract_at": iso(self.contract_at),
            "peaks": {key: to_json(peak) for key, peak in self.peaks.items()},
            "kinds": sorted(kind.value for kind in self.kinds),
            "orders": {oid: dict(order) for oid, order in self.orders.items()},
            "history_for": self.history_for,
            "activation_requested": iso(self.activation_requested),
            "last_order_day": self.last_order_day,
            "last_curve": self.last_curve,
            "consent_expires": iso(self.consent_expires),
            "last_success": iso(self.last_success),
            "directions": self.client.request_directions,
        }

    # -- timetable --------------------------------------------------------------

    def next_run(self, now: datetime) -> datetime:
        """Return the next daily run, after Enedis's morning publication."""
        return self._timetable.next_slot(now)

    def is_due(self, now: datetime) -> bool:
        """Whether the last daily run was missed (or orders are still open)."""
        return (
            bool(self.orders)
            or self.last_success is None
            or self.last_success < self._timetable.last_slot(now)
        )

    # -- supply points (a Switchgrid entry is one PRM) ----------------------------

    def meter_choices(self) -> dict[str, str]:
        """Return the entry's only supply point."""
        return {self.point.meter_id: self.point.address or self.point.meter_id}

    def included_ids(self) -> list[str]:
        """Return the entry's only supply point."""
        return [self.point.meter_id]

    # -- the tariff calendar ----------------------------------------------------

    def calendar(self) -> TariffCalendar | None:
        """HP/HC from the user's override, else from the contract; None for BASE."""
        override = (self.entry.options.get(CONF_OFF_PEAK) or "").strip()
        if override:
            return FranceHPHC(parse_off_peak_hours(override))
        if self.contract and self.contract.off_peak_hours:
            return FranceHPHC(
                tuple((r.start, r.end) for r in self.contract.off_peak_hours)
            )
        return None

    def _calendar_key(self) -> str:
        calendar = self.calendar()
        if calendar is None:
            return "base"
        assert isinstance(calendar, FranceHPHC)
        return ";".join(
            f"{a.isoformat()}-{b.isoformat()}" for a, b in calendar.off_peak
        )

    # -- the sync ---------------------------------------------------------------

    async def async_run(self, *, initial: bool) -> SyncResult:
        """Check the consent, finish open orders, place today's order."""
        now = self._clock()
        if initial:
            return SyncResult(data=await self.async_build_data(now))
        async with self._lock:
            self.last_run = RunCounters()
            retry_at = await self._async_sync(now)
            self._save()
            return SyncResult(data=await self.async_build_data(now), retry_at=retry_at)

    async def _async_sync(self, now: datetime) -> datetime | None:
        try:
            ask = await self.client.async_get_ask(self.entry.data[CONF_ASK_ID])
        except NotFound as err:
            # Our Ask was deleted on Switchgrid's side: the consent it carried
            # is gone just as surely as a revoked one, and only a new
            # signature brings the data back.
            raise ConsentRevoked("the consent no longer exists") from err
        if not ask.usable(now):
            raise ConsentRevoked("the consent is no longer valid")
        self.consent_expires = ask.expires_at

        for order_id in list(self.orders):
            await self._async_resume(order_id, now)

        today = now.astimezone(ZoneInfo(PARIS)).date()
        # The daily data (R66, C68) and the load curve go in separate orders:
        # a curve waiting for Enedis's activation must hold back neither the
        # daily orders nor the import of their results.
        if self.last_order_day != today.isoformat():
            await self._async_place(
                self._daily_requests(today, now),
                now,
                key=today.isoformat(),
                curve=False,
                history=False,
            )
        # One curve order a day, and one more the day the off-peak split
        # changes (its history is ordered again with the new split); never a
        # second one while one is still open.
        curve_key = f"{today.isoformat()}|{self._calendar_key()}"
        curve_open = any(o.get("curve", True) for o in self.orders.values())
        if self.last_curve != curve_key and not curve_open:
            history = self.history_for != self._calendar_key()
            await self._async_place(
                self._curve_requests(today, history=history),
                now,
                key=curve_key,
                curve=True,
                history=history,
            )
        async_set_load_curve_pending(
            self.hass, self.entry, self.activation_requested is not None
        )
        if any(not order.get("waiting") for order in self.orders.values()):
            return now + RESUME_AFTER
        self.last_success = now
        # Only a curve waiting for activation is open: Switchgrid finishes it
        # by itself; a look now and then is enough.
        return now + ACTIVATION_POLL if self.orders else None

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

        def mark() -> None:
            if curve:
                self.last_curve = key
            else:
                self.last_order_day = key

        try:
            order = await self.client.async_create_order(
                self.entry.data[CONF_CONSENT_ID], requests
            )
        except InvalidResponse:
            # A 2xx answer without a readable order id: the order is most
            # likely placed, and billed. Not again before the next day.
            mark()
            self._save()
            raise
        mark()
        self.orders[order.id] = {
            "at": now.isoformat(),
            "day": now.astimezone(ZoneInfo(PARIS)).date().isoformat(),
            "curve": curve,
            "history": history,
        }
        self._save()
        await self._async_resume(order.id, now)

    def _daily_requests(self, today: date, now: datetime) -> list[OrderRequest]:
        """Order the last week of daily maximum power, the contract weekly.

        R66 is per day: bare dates name the Enedis days themselves.
        """
        since = today - (HISTORY if self.history_for is None else OVERLAP)
        requests = [
            OrderRequest(type=R66, direction="SOUTIRAGE", since=since, until=today)
        ]
        if self.contract_at is None or now - self.contract_at >= CONTRACT_EVERY:
            requests.append(OrderRequest(type=C68))
        return requests

    def _curve_requests(self, today: date, *, history: bool) -> list[OrderRequest]:
        """Order the last week of load curve, or 24 months for the history.

        Always with Switchgrid's automatic retry: a curve Enedis never
        collected is then activated and delivered by the same order, instead
        of failing and being ordered (and billed) again.
        """
        since = today - (HISTORY if history else OVERLAP)
        directions = ["CONSUMPTION"]
        if self.entry.data.get(CONF_INJECTION):
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
        record = self.orders[order_id]
        # A curve waiting for Enedis is only looked at, never waited for.
        order = await self._async_look(order_id, wait=not record.get("waiting"))
        if order is None:
            del self.orders[order_id]
            return
        if order.done:
            await self._async_import(order, record, now)
            del self.orders[order_id]
            self._save()
            return
        if _waits_for_activation(order):
            # Switchgrid asked Enedis for the activation and retries by itself.
            record["waiting"] = True
            self.activation_requested = self.activation_requested or now
        placed = instant(record.get("at")) or now
        if now - placed > (
            ACTIVATION_GIVE_UP if record.get("waiting") else ORDER_GIVE_UP
        ):
            _LOGGER.warning("A Switchgrid order stayed open for days; ordering again")
            del self.orders[order_id]
            if record.get("curve", True):
                self.last_curve = None
            else:
                self.last_order_day = None

    async def _async_import(
        self, order: Order, record: Mapping[str, Any], now: datetime
    ) -> None:
        """Import every successful request; keep the rest for another day."""
        # The contract first: it decides the HP/HC split of the energy.
        for request in sorted(order.requests, key=lambda r: r.type != C68):
            if request.status is RequestStatus.SUCCESS:
                try:
                    await self._async_import_request(request, now)
                except (ProviderError, ValueError) as err:
                    self.last_run.requests_failed.append(request.type)
                    _LOGGER.warning(
                        "Switchgrid %s data could not be read: %s",
                        request.type,
                        redact(str(err)),
                    )
                    continue
                if request.type == LOADCURVE:
                    # The curve is collected now, whatever the data holds.
                    self.activation_requested = None
                    if record.get("history") and request.direction == "CONSUMPTION":
                        # The whole window was read: a meter with less than
                        # 24 months of curve has no more to give.
                        self.history_for = self._calendar_key()
                        self.last_curve = f"{record.get('day')}|{self.history_for}"
            elif request.status is RequestStatus.FAILED:
                self.last_run.requests_failed.append(request.type)
                if request.type == LOADCURVE and request.load_curve_not_activated:
                    # Switchgrid did not keep the order for a retry: the next
                    # day's curve order asks again (once a day, not in a loop).
                    self.activation_requested = self.activation_requested or now
                else:
                    _LOGGER.info(
                        "Switchgrid %s request failed: %s",
                        request.type,
                        redact(request.error_message or ""),
                    )

    async def _async_import_request(
        self, request: OrderRequestState, now: datetime
    ) -> None:
        if request.type == C68:
            self.contract = await self.client.async_get_contract(
                request, self.point.meter_id
            )
            self.contract_at = now
        elif request.type == R66:
            peaks = await self.client.async_get_daily_max_power(request)
            for peak in peaks:
                self.peaks[peak.at.isoformat()] = peak
            self.last_run.rows_written += await async_import_peaks(
                self.hass, self.point, peaks
            )
            oldest = (now - HISTORY).isoformat()
            self.peaks = {k: p for k, p in self.peaks.items() if k >= oldest}
        elif request.type == LOADCURVE:
            kind = DIRECTIONS.get(request.direction or "")
            if kind is None:
                # Never guess: an injection curve written as consumption
                # would corrupt both statistics. The next order re-reads it.
                self.last_run.requests_failed.append(request.type)
                _LOGGER.warning(
                    "A Switchgrid load curve of unknown direction (%s) was skipped",
                    request.direction,
                )
                return
            curve = await self.client.async_get_load_curve(request)
            energy = await self.hass.async_add_executor_job(load_curve_energy, curve)
            if kind is EnergyKind.RETURN and await self.hass.async_add_executor_job(
                any, energy.kwh
            ):
                self.kinds.add(kind)
            readings = RegularReadings(kind, energy.start, energy.step, energy.kwh)
            report = await async_import_energy(
                self.hass, self.point, readings, self.calendar()
            )
            self.last_run.rows_written += report.total
            self.last_run.skipped_points += energy.skipped

    # -- what entities see ------------------------------------------------------

    async def async_build_data(self, now: datetime) -> GridMeterData:
        """Assemble the entities' data from the stored state and statistics."""
        energy, latest = await async_energy_totals(
            self.hass, self.point, self.kinds, now
        )
        peaks = peak_summary(self.peaks.values(), now)
        status = meter_status(latest, now)
        if latest is None and self.activation_requested is not None:
            status = ConnectionStatus.WAITING_FOR_DATA
        meter = MeterData(
            point=self.point,
            contract=self.contract,
            kinds=frozenset(self.kinds),
            energy=energy,
            latest_data=latest,
            last_peak=peaks.last,
            year_peak=peaks.year,
            peak_months=peaks.months,
            status=status,
            calendar=self.calendar(),
            consent_expires=self.consent_expires,
        )
        return GridMeterData(
            meters={self.point.meter_id: meter},
            account_status=status,
            last_sync=self.last_success,
        )

    def diagnostics(self) -> dict[str, Any]:
        """State worth showing in diagnostics (the caller redacts identifiers)."""
        return {
            "point": to_json(self.point),
            "contract": to_json(self.contract) if self.contract else None,
            "open_orders": len(self.orders),
            "history_for": self.history_for,
            "activation_requested": iso(self.activation_requested),
            "last_order_day": self.last_order_day,
            "last_curve": self.last_curve,
            "consent_expires": iso(self.consent_expires),
            "last_success": iso(self.last_success),
            "last_run": to_json(self.last_run),
        }

    async def async_handle_webhook(self, payload: Any) -> bool:
        """React to a Switchgrid event: only its ids are used, data is re-read.

        Returns True when the event concerns this entry (a refresh is worth it).
        """
        event = payload.get("event") if isinstance(payload, dict) else None
        if not isinstance(event, dict):
            return False
        tag = event.get("_tag")
        if tag in ("order.request_success", "order.request_failed"):
            return event.get("orderId") in self.orders
        if tag == "ask.accepted":
            return event.get("askId") == self.entry.data.get(CONF_ASK_ID)
        return False


def _waits_for_activation(order: Order) -> bool:
    """Whether a load curve of the order waits for Enedis to collect it."""
    return any(
        r.type == LOADCURVE and not r.done and r.load_curve_not_activated
        for r in order.requests
    )


def external_webhook_url(hass: HomeAssistant, webhook_id: str) -> str | None:
    """Return the webhook's public HTTPS URL, when Home Assistant has one."""
    try:
        url = webhook.async_generate_url(
            hass, webhook_id, allow_internal=False, allow_ip=False, prefer_external=True
        )
    except NoURLAvailableError:
        return None
    return url if url.startswith("https://") else None


@callback
def async_register_webhook(
    hass: HomeAssistant, entry: GridMeterConfigEntry
) -> Callable[[], None]:
    """Listen to Switchgrid's events; the payload only says what to re-read.

    Only when Home Assistant has an external HTTPS URL (the one shown for the
    Switchgrid dashboard): without one, polling alone keeps the data fresh
    and nothing is exposed.
    """
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]
    if external_webhook_url(hass, webhook_id) is None:
        return lambda: None

    async def _handle(
        hass: HomeAssistant, _webhook_id: str, request: web.Request
    ) -> web.Response:
        try:
            payload = await request.json()
        except ValueError:
            return web.Response(status=400)
        runtime = entry.runtime_data
        sync = runtime.sync
        if isinstance(sync, SwitchgridSync) and await sync.async_handle_webhook(
            payload
        ):
            # Answer at once: a sync can wait minutes for an order, and
            # Switchgrid resends what is not acknowledged in time. The
            # coordinator's debouncer folds a burst of events into one sync.
            entry.async_create_background_task(
                hass,
                runtime.coordinator.async_request_refresh(),
                f"{DOMAIN} Switchgrid webhook refresh",
            )
        # Unknown events are acknowledged too: Switchgrid must not retry them.
        return web.Response(status=200)

    webhook.async_register(
        hass,
        DOMAIN,
        "GridMeter Switchgrid",
        webhook_id,
        _handle,
        allowed_methods=[METH_POST],
    )
    return lambda: webhook.async_unregister(hass, webhook_id)


async def async_revoke_consent(
    hass: HomeAssistant, entry: GridMeterConfigEntry
) -> bool:
    """Withdraw the entry's consent at Switchgrid; True when it is gone."""
    client = switchgrid_client(hass, entry.data)
    try:
        await client.async_delete_ask(entry.data[CONF_ASK_ID])
    except NotFound:
        return True
    except ProviderError as err:
        _LOGGER.warning(
            "The Switchgrid consent could not be revoked: %s", redact(str(err))
        )
        return False
    return True
