"""Digiwatt sync: hourly statistics from the six-hour series, analytics, windows.

Digiwatt serves only the latest six hours of the household's load, so the
series is read every hour (five hours of overlap: a missed run loses
nothing) and every complete hour is written, split by the Italian bands
F1/F2/F3; the writer's comparison makes the overlap harmless. Analytics
(appliances, totals, similar homes, habits, saving, 12-month trend) change
slowly and are read every few hours; the greenness windows every run.
Realtime power has its own, faster coordinator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import replace
from datetime import datetime, timedelta
import json
import logging
from typing import Any, Final, override

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from ..const import (
    CONF_ACCOUNT_NUMBER,
    CONF_BASE_URL,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_COMPANY_CODE,
    CONF_HOUSEHOLD,
    CONF_INSIGHTS_PERIOD,
    CONF_LIVE_INTERVAL,
    CONF_POD,
    CONF_PROVINCE,
    DOMAIN,
    LOGGER,
    PROVIDER_DIGIWATT,
)
from ..coordinator import GridMeterConfigEntry
from ..data import GridMeterData, Insights, MeterData, SyncResult
from ..green import GreenWindowSource, async_collect_windows
from ..providers.digiwatt import (
    DEFAULT_BASE_URL,
    DigiwattClient,
    Household,
    HouseType,
    OnboardingRequired,
    Period,
    UserExists,
)
from ..providers.errors import AuthError, NotFound, ProviderError, RateLimited, redact
from ..providers.models import (
    EnergyKind,
    GreenWindow,
    LivePower,
    MeterPoint,
    ReadingBatch,
)
from ..statistics import async_import_energy
from ..storage import from_json, to_json
from ..tariffs import ItalyF123
from .common import StoredSync, async_energy_totals, instant, iso, meter_status

_LOGGER = logging.getLogger(__name__)

ROME: Final = "Europe/Rome"
SERIES_EVERY: Final = timedelta(hours=1)
"""Well within the six hours the series covers."""
INSIGHTS_EVERY: Final = timedelta(hours=6)
RETRY_AFTER_FAILURE: Final = timedelta(minutes=20)
"""A failed series read is retried soon: the six hours go by quickly."""
DEFAULT_LIVE_INTERVAL: Final = 60


def digiwatt_client(hass: HomeAssistant, data: Mapping[str, Any]) -> DigiwattClient:
    """Build a Digiwatt client on Home Assistant's shared session."""
    return DigiwattClient(
        async_get_clientsession(hass),
        data[CONF_CLIENT_ID],
        data[CONF_CLIENT_SECRET],
        base_url=data.get(CONF_BASE_URL) or DEFAULT_BASE_URL,
    )


def household_from(data: Mapping[str, Any]) -> Household:
    """Return the household questionnaire stored in an entry (validated)."""
    raw = data[CONF_HOUSEHOLD]
    return Household(
        house_type=HouseType(raw["house_type"]),
        size_m2=int(raw["size_m2"]),
        province=raw[CONF_PROVINCE],
        adults=int(raw["adults"]),
        children=int(raw["children"]),
        elderlies=int(raw["elderlies"]),
        appliances={name: int(count) for name, count in raw["appliances"].items()},
    )


def household_data(household: Household) -> dict[str, Any]:
    """Return the household as stored in an entry (JSON)."""
    return {
        "house_type": household.house_type.value,
        "size_m2": household.size_m2,
        CONF_PROVINCE: household.province,
        "adults": household.adults,
        "children": household.children,
        "elderlies": household.elderlies,
        "appliances": {str(k): v for k, v in household.appliances.items()},
    }


class DigiwattGreenness:
    """Digiwatt's greenness endpoint as a source of green windows."""

    def __init__(self, client: DigiwattClient) -> None:
        """Read through the entry's client."""
        self.client = client

    async def async_windows(self) -> list[GreenWindow]:
        """Return the coming windows."""
        return await self.client.async_get_greenness()

    def __repr__(self) -> str:
        """Name the source in logs."""
        return "Digiwatt greenness"


class DigiwattSync(StoredSync):
    """Keeps one Digiwatt household's statistics and sensors current."""

    provider = PROVIDER_DIGIWATT
    retry_delay = RETRY_AFTER_FAILURE

    def __init__(
        self,
        hass: HomeAssistant,
        entry: GridMeterConfigEntry,
        client: DigiwattClient,
        store: Store[dict[str, Any]],
        *,
        clock: Callable[[], datetime],
    ) -> None:
        """Wire the client and the account's store."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self._store = store
        self._clock = clock
        self.account = entry.data[CONF_ACCOUNT_NUMBER]
        self.point = MeterPoint(
            provider=PROVIDER_DIGIWATT,
            meter_id=entry.data[CONF_POD],
            timezone=ROME,
            province=entry.data[CONF_HOUSEHOLD][CONF_PROVINCE],
            region_code=entry.data[CONF_HOUSEHOLD][CONF_PROVINCE],
        )
        self.insights: Insights | None = None
        self.insights_at: datetime | None = None
        self.insights_for: str | None = None
        """The household the analytics were read for (they follow its edits)."""
        self.windows: tuple[GreenWindow, ...] = ()
        # Where the windows come from; another source (a national grid
        # signal) is one more item here, merged by the green-window engine.
        self.green_sources: list[GreenWindowSource] = [DigiwattGreenness(client)]
        self.last_success: datetime | None = None
        self.rows_written = 0
        self._lock = asyncio.Lock()

    # -- persistence ------------------------------------------------------------

    async def async_load(self) -> None:
        """Restore the last analytics and windows (no network)."""
        data = await self._store.async_load() or {}
        if raw := data.get("insights"):
            self.insights = from_json(Insights, raw)
        self.insights_at = instant(data.get("insights_at"))
        self.insights_for = data.get("insights_for")
        self.windows = tuple(
            from_json(GreenWindow, raw) for raw in data.get("windows", [])
        )
        self.last_success = instant(data.get("last_success"))

    def _document(self) -> dict[str, Any]:
        return {
            "insights": to_json(self.insights) if self.insights else None,
            "insights_at": iso(self.insights_at),
            "insights_for": self.insights_for,
            "windows": [to_json(window) for window in self.windows],
            "last_success": iso(self.last_success),
        }

    # -- timetable --------------------------------------------------------------

    def next_run(self, now: datetime) -> datetime:
        """Return an hour after the last read.

        The six-hour series must be read well within six hours; counting from
        the last success keeps restarts from postponing it again and again.
        """
        if self.last_success is None:
            return now + SERIES_EVERY
        return max(now, self.last_success + SERIES_EVERY)

    def is_due(self, now: datetime) -> bool:
        """Whether a run is due now.

        That is when the last one is more than an hour old, or when the
        analytics cover another period than the one now chosen (options).
        """
        return (
            self.last_success is None
            or now - self.last_success >= SERIES_EVERY
            or (self.insights is not None and self._insights_outdated())
        )

    def _household_key(self) -> str:
        return json.dumps(self.entry.data[CONF_HOUSEHOLD], sort_keys=True)

    def _insights_outdated(self) -> bool:
        """Whether the analytics were read for another period or household."""
        return (
            self.insights is None
            or self.insights.period != self.period
            or self.insights_for != self._household_key()
        )

    def meter_choices(self) -> dict[str, str]:
        """Return the entry's only supply point."""
        return {self.point.meter_id: self.point.meter_id}

    def included_ids(self) -> list[str]:
        """Return the entry's only supply point."""
        return [self.point.meter_id]

    # -- the sync ---------------------------------------------------------------

    @property
    def period(self) -> Period:
        """The period the appliance figures cover (an option)."""
        return Period(self.entry.options.get(CONF_INSIGHTS_PERIOD, Period.THIS_MONTH))

    async def async_run(self, *, initial: bool) -> SyncResult:
        """Read the six-hour series, the windows and (now and then) analytics.

        Only the series can fail the run: windows and analytics that fail
        keep their last values (an automation waiting for a window must not
        lose it to an analytics endpoint's bad day).
        """
        now = self._clock()
        if initial:
            return SyncResult(data=await self.async_build_data(now))
        async with self._lock:
            batch = await self._async_read_series()
            report = await async_import_energy(
                self.hass, self.point, batch.readings, ItalyF123()
            )
            self.rows_written = report.total
            self.windows = await async_collect_windows(self.green_sources, self.windows)
            if (
                self._insights_outdated()
                or self.insights_at is None
                or now - self.insights_at >= INSIGHTS_EVERY
            ):
                await self._async_read_insights(now)
            self.last_success = now
            self._save()
            return SyncResult(data=await self.async_build_data(now))

    async def _async_read_series(self) -> ReadingBatch:
        """Read the last six hours; re-register a user Digiwatt forgot.

        A 409 (questionnaire missing) or 404 (user unknown) on the series
        means Digiwatt lost the registration made by the config flow: it is
        made again from the entry, once, and the read retried.
        """
        try:
            return await self.client.async_get_latest(
                self.account, meter_id=self.point.meter_id
            )
        except (OnboardingRequired, NotFound) as err:
            _LOGGER.warning(
                "Digiwatt no longer knows this household (%s); registering it again",
                type(err).__name__,
            )
        data = self.entry.data
        with suppress(UserExists):
            await self.client.async_create_user(
                data[CONF_POD], self.account, data[CONF_COMPANY_CODE]
            )
        await self.client.async_onboard(self.account, household_from(data))
        return await self.client.async_get_latest(
            self.account, meter_id=self.point.meter_id
        )

    async def _async_read_insights(self, now: datetime) -> None:
        """Read every analytics endpoint; one that fails keeps its last figures.

        Figures of another period (the option changed) are not kept.
        """
        account, period = self.account, self.period
        previous = None if self._insights_outdated() else self.insights
        parts: dict[str, Any] = {}
        failed = 0
        reads: dict[str, Callable[[], Awaitable[Any]]] = {
            "usages": lambda: self.client.async_get_appliances(account, period),
            "totals": lambda: self.client.async_get_totals(account, period),
            "performance": lambda: self.client.async_get_performance(account, period),
            "habits": lambda: self.client.async_get_habits(account, period),
            "saving": lambda: self.client.async_get_saving(account),
            "trend": lambda: self.client.async_get_trend(account),
        }
        for name, read in reads.items():
            try:
                parts[name] = await read()
            except (AuthError, RateLimited):
                raise
            except ProviderError as err:
                failed += 1
                _LOGGER.debug("Digiwatt %s unavailable: %s", name, redact(str(err)))
        fresh = _insights(period, parts)
        if previous is not None:
            # Keep the last known figure of every endpoint that failed now.
            kept = {
                name: getattr(previous, name)
                for name, source in _SOURCE.items()
                if source not in parts
            }
            fresh = replace(fresh, **kept)
        self.insights = fresh
        self.insights_for = self._household_key()
        # All of them answered: next read in six hours; else next run.
        if not failed:
            self.insights_at = now

    # -- what entities see ------------------------------------------------------

    async def async_build_data(self, now: datetime) -> GridMeterData:
        """Assemble the entities' data from the stored state and statistics."""
        energy, latest = await async_energy_totals(
            self.hass, self.point, [EnergyKind.CONSUMPTION], now
        )
        status = meter_status(latest, now)
        meter = MeterData(
            point=self.point,
            kinds=frozenset({EnergyKind.CONSUMPTION}),
            energy=energy,
            latest_data=latest,
            status=status,
            calendar=ItalyF123(),
            green_windows=self.windows,
            insights=self.insights,
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
            "insights": to_json(self.insights) if self.insights else None,
            "insights_at": iso(self.insights_at),
            "windows": [to_json(window) for window in self.windows],
            "last_success": iso(self.last_success),
            "rows_written_last_run": self.rows_written,
        }


class LivePowerCoordinator(DataUpdateCoordinator[LivePower]):
    """Realtime load, polled every minute by default (configurable)."""

    config_entry: GridMeterConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: GridMeterConfigEntry, client: DigiwattClient
    ) -> None:
        """Poll at the interval the user chose."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} live power",
            update_interval=timedelta(
                seconds=entry.options.get(CONF_LIVE_INTERVAL, DEFAULT_LIVE_INTERVAL)
            ),
        )
        self.client = client
        self.account = entry.data[CONF_ACCOUNT_NUMBER]

    @override
    async def _async_update_data(self) -> LivePower:
        """Read the realtime load."""
        try:
            return await self.client.async_get_realtime(self.account)
        except AuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except ProviderError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="communication_error",
                translation_placeholders={"error": redact(str(err))},
            ) from err


# Which endpoint each analytics figure comes from.
_SOURCE: Final = {
    "appliances": "totals",
    "appliance_shares": "usages",
    "total_kwh": "totals",
    "previous_kwh": "totals",
    "change_ratio": "totals",
    "similar_min_kwh": "performance",
    "similar_max_kwh": "performance",
    "you_kwh": "performance",
    "habits": "habits",
    "saving_kwh": "saving",
    "saving_euro": "saving",
    "energy_30d_kwh": "saving",
    "cost_30d_euro": "saving",
    "bands_12m_kwh": "trend",
}


def _kwh(wh: float | None) -> float | None:
    return round(wh / 1000, 3) if wh is not None else None


def _insights(period: Period, parts: Mapping[str, Any]) -> Insights:
    """Build the analytics from the endpoints that answered (by name)."""
    values: dict[str, Any] = {}
    if (usages := parts.get("usages")) is not None:
        values["appliance_shares"] = {
            str(u.appliance): u.share for u in usages if u.share is not None
        }
    if (totals := parts.get("totals")) is not None:
        values["appliances"] = {
            str(name): _kwh(wh) for name, wh in totals.by_appliance_wh.items()
        }
        values["total_kwh"] = _kwh(totals.total_wh)
        values["previous_kwh"] = _kwh(totals.previous_wh)
        values["change_ratio"] = totals.change_ratio
    if (performance := parts.get("performance")) is not None:
        values["similar_min_kwh"] = _kwh(performance.min_wh)
        values["similar_max_kwh"] = _kwh(performance.max_wh)
        values["you_kwh"] = _kwh(performance.user_wh)
    if (habits := parts.get("habits")) is not None:
        habit_parts = {
            "night": habits.night_wh,
            "morning": habits.morning_wh,
            "afternoon": habits.afternoon_wh,
            "evening": habits.evening_wh,
        }
        day_total = sum(habit_parts.values())
        values["habits"] = (
            {part: wh / day_total for part, wh in habit_parts.items()}
            if day_total > 0
            else {}
        )
    if (saving := parts.get("saving")) is not None:
        values["saving_kwh"] = saving.saving_kwh
        values["saving_euro"] = saving.saving_euro
        values["energy_30d_kwh"] = saving.kwh
        values["cost_30d_euro"] = saving.euro
    if (trend := parts.get("trend")) is not None:
        values["bands_12m_kwh"] = {
            "f1": _kwh(sum(month.f1_wh for month in trend)),
            "f2": _kwh(sum(month.f2_wh for month in trend)),
            "f3": _kwh(sum(month.f3_wh for month in trend)),
        }
    return Insights(period=period.value, **values)


async def async_delete_user(hass: HomeAssistant, entry: GridMeterConfigEntry) -> bool:
    """Delete the entry's Digiwatt user; True when it is gone."""
    client = digiwatt_client(hass, entry.data)
    try:
        await client.async_delete_user(entry.data[CONF_ACCOUNT_NUMBER])
    except NotFound:
        return True
    except ProviderError as err:
        _LOGGER.warning("The Digiwatt user could not be deleted: %s", redact(str(err)))
        return False
    return True
