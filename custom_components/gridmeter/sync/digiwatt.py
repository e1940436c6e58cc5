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
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
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
from ..providers.digiwatt import (
    DEFAULT_BASE_URL,
    DigiwattClient,
    Household,
    HouseType,
    Period,
)
from ..providers.errors import AuthError, NotFound, ProviderError, RateLimited, redact
from ..providers.models import EnergyKind, GreenWindow, LivePower, MeterPoint
from ..statistics import async_import_energy
from ..storage import SAVE_DELAY, from_json, to_json
from ..tariffs import ItalyF123
from .common import async_energy_totals, meter_status

_LOGGER = logging.getLogger(__name__)

ROME: Final = "Europe/Rome"
SERIES_EVERY: Final = timedelta(hours=1)
"""Well within the six hours the series covers."""
INSIGHTS_EVERY: Final = timedelta(hours=6)
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


class DigiwattSync:
    """Keeps one Digiwatt household's statistics and sensors current."""

    provider = PROVIDER_DIGIWATT

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
        self.windows: tuple[GreenWindow, ...] = ()
        self.last_success: datetime | None = None
        self.rows_written = 0
        self._lock = asyncio.Lock()

    # -- persistence ------------------------------------------------------------

    async def async_load(self) -> None:
        """Restore the last analytics and windows (no network)."""
        data = await self._store.async_load() or {}
        if raw := data.get("insights"):
            self.insights = from_json(Insights, raw)
        self.insights_at = _instant(data.get("insights_at"))
        self.windows = tuple(
            from_json(GreenWindow, raw) for raw in data.get("windows", [])
        )
        self.last_success = _instant(data.get("last_success"))

    def _document(self) -> dict[str, Any]:
        return {
            "insights": to_json(self.insights) if self.insights else None,
            "insights_at": _iso(self.insights_at),
            "windows": [to_json(window) for window in self.windows],
            "last_success": _iso(self.last_success),
        }

    def _save(self) -> None:
        snapshot = self._document()
        self._store.async_delay_save(lambda: snapshot, SAVE_DELAY)

    async def async_shutdown(self) -> None:
        """Write the state now (the entry is unloading)."""
        await self._store.async_save(self._document())

    # -- timetable --------------------------------------------------------------

    def next_run(self, now: datetime) -> datetime:
        """Every hour: the six-hour series must be read well within six hours."""
        return now + SERIES_EVERY

    def is_due(self, now: datetime) -> bool:
        """Whether the last run is more than an hour old."""
        return self.last_success is None or now - self.last_success >= SERIES_EVERY

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
        """Read the six-hour series, the windows and (now and then) analytics."""
        now = self._clock()
        if initial:
            return SyncResult(data=await self.async_build_data(now))
        async with self._lock:
            batch = await self.client.async_get_latest(
                self.account, meter_id=self.point.meter_id
            )
            report = await async_import_energy(
                self.hass, self.point, batch.readings, ItalyF123()
            )
            self.rows_written = report.total
            try:
                self.windows = tuple(await self.client.async_get_greenness())
            except (AuthError, RateLimited):
                raise
            except ProviderError as err:
                _LOGGER.debug("No green windows this time: %s", redact(str(err)))
            if self.insights_at is None or now - self.insights_at >= INSIGHTS_EVERY:
                await self._async_read_insights(now)
            self.last_success = now
            self._save()
            return SyncResult(data=await self.async_build_data(now))

    async def _async_read_insights(self, now: datetime) -> None:
        account, period = self.account, self.period
        usages = await self.client.async_get_appliances(account, period)
        totals = await self.client.async_get_totals(account, period)
        performance = await self.client.async_get_performance(account, period)
        habits = await self.client.async_get_habits(account, period)
        saving = await self.client.async_get_saving(account)
        trend = await self.client.async_get_trend(account)
        habit_parts = {
            "night": habits.night_wh,
            "morning": habits.morning_wh,
            "afternoon": habits.afternoon_wh,
            "evening": habits.evening_wh,
        }
        day_total = sum(habit_parts.values())
        self.insights = Insights(
            period=period.value,
            appliances={
                str(name): round(wh / 1000, 3)
                for name, wh in totals.by_appliance_wh.items()
            },
            appliance_shares={
                str(u.appliance): u.share for u in usages if u.share is not None
            },
            total_kwh=round(totals.total_wh / 1000, 3),
            previous_kwh=(
                round(totals.previous_wh / 1000, 3)
                if totals.previous_wh is not None
                else None
            ),
            change_ratio=totals.change_ratio,
            similar_min_kwh=round(performance.min_wh / 1000, 3),
            similar_max_kwh=round(performance.max_wh / 1000, 3),
            you_kwh=round(performance.user_wh / 1000, 3),
            habits=(
                {part: wh / day_total for part, wh in habit_parts.items()}
                if day_total > 0
                else {}
            ),
            saving_kwh=saving.saving_kwh,
            saving_euro=saving.saving_euro,
            energy_30d_kwh=saving.kwh,
            cost_30d_euro=saving.euro,
            bands_12m_kwh={
                band: round(sum(getattr(m, f"{band}_wh") for m in trend) / 1000, 3)
                for band in ("f1", "f2", "f3")
            },
        )
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
            "insights_at": _iso(self.insights_at),
            "windows": [to_json(window) for window in self.windows],
            "last_success": _iso(self.last_success),
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


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _instant(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


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
