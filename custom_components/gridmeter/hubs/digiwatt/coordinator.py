"""Digiwatt: hourly statistics from the six-hour series, analytics, windows.

Digiwatt serves only the latest six hours of the household's load, so the
series is read every hour (five hours of overlap: a missed run loses
nothing) and every complete hour is written, split by the Italian bands
F1/F2/F3; the writer's comparison makes the overlap harmless. Analytics
(appliances, totals, similar homes, habits, saving, 12-month trend) change
slowly and are read every few hours; the greenness windows every run.
Realtime power has its own, faster coordinator (`live.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from contextlib import suppress
from dataclasses import replace
from datetime import date, datetime, timedelta
import json
import logging
from typing import Any, Final, override
from zoneinfo import ZoneInfo

from ...const import (
    CONF_ACCOUNT_NUMBER,
    CONF_COMPANY_CODE,
    CONF_HOUSEHOLD,
    CONF_INSIGHTS_PERIOD,
    CONF_POD,
    CONF_PROVINCE,
    PROVIDER_DIGIWATT,
)
from ...coordinator import GridMeterCoordinator, ReimportPlan, RunResult
from ...data import GridMeterData, Insights
from ...green import GreenWindowSource, async_collect_windows
from ...providers.digiwatt import DigiwattClient, OnboardingRequired, Period, UserExists
from ...providers.errors import AuthError, NotFound, ProviderError, RateLimited, redact
from ...providers.models import EnergyKind, GreenWindow, MeterPoint, ReadingBatch
from ...statistics import async_import_energy
from ...storage import to_json
from ...tariffs import ItalyF123
from ...totals import meter_status
from .client import digiwatt_client
from .household import household_from
from .state import SCHEMA, DigiwattState

_LOGGER = logging.getLogger(__name__)

ROME: Final = "Europe/Rome"
SERIES_SPAN: Final = timedelta(hours=6)
"""What the latest series covers: Digiwatt keeps nothing older."""
SERIES_EVERY: Final = timedelta(hours=1)
"""Well within the six hours the series covers."""
INSIGHTS_EVERY: Final = timedelta(hours=6)
RETRY_AFTER_FAILURE: Final = timedelta(minutes=20)
"""A failed series read is retried soon: the six hours go by quickly."""
CONSUMPTION_ONLY: Final = frozenset({EnergyKind.CONSUMPTION})


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


class DigiwattCoordinator(GridMeterCoordinator[DigiwattState]):
    """Keeps one Digiwatt household's statistics and sensors current."""

    schema = SCHEMA
    retry_delay = RETRY_AFTER_FAILURE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Build the client and the supply point."""
        super().__init__(*args, **kwargs)
        data = self.config_entry.data
        self.client: DigiwattClient = digiwatt_client(self.hass, data)
        self.account: str = data[CONF_ACCOUNT_NUMBER]
        self.point = MeterPoint(
            provider=PROVIDER_DIGIWATT,
            meter_id=data[CONF_POD],
            timezone=ROME,
            province=data[CONF_HOUSEHOLD][CONF_PROVINCE],
            region_code=data[CONF_HOUSEHOLD][CONF_PROVINCE],
        )
        # Where the windows come from; another source (a national grid
        # signal) is one more item here, merged by the green-window engine.
        self.green_sources: list[GreenWindowSource] = [DigiwattGreenness(self.client)]
        self.rows_written = 0

    # -- timetable --------------------------------------------------------------

    @override
    def next_run(self, now: datetime) -> datetime:
        """Return an hour after the last read.

        The six-hour series must be read well within six hours; counting from
        the last success keeps restarts from postponing it again and again.
        """
        last = self.state.last_success
        if last is None:
            return now + SERIES_EVERY
        return max(now, last + SERIES_EVERY)

    @override
    def is_due(self, now: datetime) -> bool:
        """Whether a run is due now.

        That is when the last one is more than an hour old, or when the
        analytics cover another period than the one now chosen (options).
        """
        state = self.state
        return (
            state.last_success is None
            or now - state.last_success >= SERIES_EVERY
            or (state.insights is not None and self._insights_outdated())
        )

    def _household_key(self) -> str:
        return json.dumps(self.config_entry.data[CONF_HOUSEHOLD], sort_keys=True)

    def _insights_outdated(self) -> bool:
        """Whether the analytics were read for another period or household."""
        insights = self.state.insights
        return (
            insights is None
            or insights.period != self.period
            or self.state.insights_for != self._household_key()
        )

    @override
    def meter_choices(self) -> dict[str, str]:
        """Return the entry's only supply point."""
        return {self.point.meter_id: self.point.meter_id}

    @override
    def included_ids(self) -> list[str]:
        """Return the entry's only supply point."""
        return [self.point.meter_id]

    @override
    def _plan_reimport(
        self, meter_ids: Collection[str] | None, start: date | None, now: datetime
    ) -> ReimportPlan:
        """Read the six-hour series now: Digiwatt keeps nothing older."""
        kept = (now - SERIES_SPAN).astimezone(ZoneInfo(ROME)).date()
        limited = start is not None and start < kept
        return ReimportPlan(
            runs_at=now,
            start=max(start or kept, kept),
            note="reimport_six_hours" if limited else None,
        )

    # -- the run ------------------------------------------------------------------

    @property
    def period(self) -> Period:
        """The period the appliance figures cover (an option)."""
        raw = self.config_entry.options.get(CONF_INSIGHTS_PERIOD, Period.THIS_MONTH)
        try:
            return Period(raw)
        except ValueError:
            return Period.THIS_MONTH

    @override
    async def _async_run(self, *, initial: bool) -> RunResult:
        """Read the windows, (now and then) the analytics, and the six-hour series.

        Windows and analytics are steps of their own: when they fail they keep
        their last values (an automation waiting for a window must not lose
        it to an analytics endpoint's bad day). The series fails the run, which
        is then retried in 20 minutes.
        """
        now = self._now
        state = self.state
        if initial:
            return RunResult(data=await self.async_build_data(now))
        async with self.step("greenness"):
            state.windows = await async_collect_windows(
                self.green_sources, state.windows
            )
        if (
            self._insights_outdated()
            or state.insights_at is None
            or now - state.insights_at >= INSIGHTS_EVERY
        ):
            async with self.step("analytics"):
                await self._async_read_insights(now)
        batch = await self._async_read_series()
        report = await async_import_energy(
            self.hass, self.point, batch.readings, ItalyF123()
        )
        await self.async_note_written(
            self.point, report, calendar=ItalyF123(), kinds=CONSUMPTION_ONLY
        )
        self.rows_written = report.total
        state.last_success = now
        return RunResult(data=await self.async_build_data(now))

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
        data = self.config_entry.data
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
        state = self.state
        account, period = self.account, self.period
        previous = None if self._insights_outdated() else state.insights
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
        state.insights = fresh
        state.insights_for = self._household_key()
        # All of them answered: next read in six hours; else next run.
        if not failed:
            state.insights_at = now

    # -- what entities see ------------------------------------------------------

    @override
    async def async_build_data(self, now: datetime) -> GridMeterData:
        """Assemble the entities' data from the state and the hours in memory."""
        state = self.state
        meter = await self.async_meter_energy(self.point, CONSUMPTION_ONLY, now)
        meter.status = meter_status(meter.latest_data, now)
        meter.calendar = ItalyF123()
        meter.green_windows = state.windows
        meter.insights = state.insights
        return GridMeterData(
            meters={self.point.meter_id: meter},
            account_status=meter.status,
            last_sync=state.last_success,
        )

    @override
    def diagnostics(self) -> dict[str, Any]:
        """State worth showing in diagnostics (the caller redacts identifiers)."""
        state = self.state
        return {
            "point": to_json(self.point),
            "insights": to_json(state.insights),
            "insights_at": to_json(state.insights_at),
            "windows": to_json(state.windows),
            "last_success": to_json(state.last_success),
            "rows_written_last_run": self.rows_written,
        }


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
