"""Async client of Red Eléctrica's ESIOS: PVPC prices and grid forecasts.

Without a token, PVPC prices come from the public day file (archive 70),
asked as a date range (one ZIP of day files per request, up to
`ARCHIVE_MAX_DAYS`). With the user's personal token they come from the
indicator API (1001), also by ranges (`INDICATOR_MAX_DAYS`). The token also
opens the peninsular wind, solar and demand forecasts.

The client does its own HTTP (``esios_api``'s hard-codes its URLs and
swallows errors) and hands the decoded answers to ``esios_api``'s parsers;
only the typed errors of `providers.errors` leave it. The token is sent in
the ``x-api-key`` header and never appears in a message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
import json
from typing import Any, Final

import aiohttp
from yarl import URL

from ..errors import InvalidResponse, RequestRejected
from ..models import utc_now
from ..signals import GridMix, SignalBasis
from .archive import MAX_DAY_FILE_BYTES, read_archive
from .indicators import (
    DEMAND_FORECAST,
    GEO_PENINSULA,
    PVPC_INDICATOR,
    SOLAR_PV_FORECAST,
    SOLAR_THERMAL_FORECAST,
    WIND_FORECAST,
    hourly,
    pvpc_geo,
    read_pvpc_indicator,
    read_series,
)
from .prices import HOUR, DayCollector, PvpcPrices, local_hours
from .systems import MADRID, PVPC_PENINSULA, ElectricSystem, PvpcZone
from .transport import RawAnswer, raise_for_status, send_raw

PROVIDER: Final = "ESIOS"
DEFAULT_BASE_URL: Final = "https://api.esios.ree.es"
DEFAULT_TIMEOUT: Final = 30.0
ARCHIVE_MAX_DAYS: Final = 480
"""Days per archive request: ranges of 12 and 16 months are used by public
clients (Webierta/open_luz, a Next.js cron quoted in the README)."""
INDICATOR_MAX_DAYS: Final = 366
"""Days per indicator request: a year of hourly 1001 for one geo is used by
public clients (josemmol/DomHome); python-esios asks 180 days at a time."""
MAX_SPAN_DAYS: Final = 3700
"""Longest range one call may ask for (about ten years)."""
INDICATOR_BYTES_PER_DAY: Final = 64 * 1024
"""Answer size cap per requested day of one indicator and geo (a real day
is about 5 KB)."""
FORECAST_SYSTEMS: Final = frozenset({ElectricSystem.PENINSULAR})
"""ESIOS forecasts wind, solar and demand for the peninsula only."""
FORECAST_INDICATORS: Final = (
    WIND_FORECAST,
    SOLAR_PV_FORECAST,
    SOLAR_THERMAL_FORECAST,
    DEMAND_FORECAST,
)
_ACCEPT: Final = {"Accept": "application/json; application/vnd.esios-api-v1+json"}
"""No Content-Type: ESIOS's firewall answers 403 to a GET that sends one."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ForecastMix:
    """Forecast hours of a system (basis FORECAST) and what was skipped."""

    rows: tuple[GridMix, ...]
    rejected: int = 0
    """Values dropped (bad, or an hour missing one of the four series)."""
    requests: int = 0


def _chunks(first: date, last: date, size: int) -> list[tuple[date, date]]:
    """Split ``first..last`` (inclusive) into ranges of at most `size` days."""
    span = (last - first).days + 1
    return [
        (
            first + timedelta(days=start),
            first + timedelta(days=min(start + size, span) - 1),
        )
        for start in range(0, span, size)
    ]


def _json(answer: RawAnswer) -> Any:
    """Decode a JSON body whatever its declared type (InvalidResponse if not)."""
    try:
        return json.loads(answer.text)
    except (ValueError, RecursionError) as err:
        raise InvalidResponse(
            f"{PROVIDER} answered something that is not JSON"
        ) from err


class EsiosClient:
    """One ESIOS client, with or without the user's personal token."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        token: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Keep the settings; nothing is sent until a call needs it."""
        self._session = session
        self._token = (token or "").strip() or None
        self._base_url = URL(base_url.rstrip("/"))
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._clock = clock
        self.requests_sent = 0
        """Every request sent since the client was made."""

    def __repr__(self) -> str:
        """Show where the client points and whether it has a token, never it."""
        return f"EsiosClient(base_url={str(self._base_url)!r}, token={self.has_token})"

    @property
    def has_token(self) -> bool:
        """Whether a personal token is set (indicator API and forecasts)."""
        return self._token is not None

    async def _get(
        self,
        path: str,
        params: Mapping[str, str],
        *,
        max_bytes: int,
        token: str | None = None,
    ) -> RawAnswer:
        headers = dict(_ACCEPT)
        if token is not None:
            headers["x-api-key"] = token
        self.requests_sent += 1
        answer = await send_raw(
            self._session,
            PROVIDER,
            (self._base_url / path.lstrip("/")).with_query(dict(params)),
            headers=headers,
            timeout=self._timeout,
            max_bytes=max_bytes,
        )
        if not 200 <= answer.status < 300:
            raise_for_status(
                PROVIDER,
                answer.status,
                answer.text,
                answer.retry_after,
                token_sent=token is not None,
                now=self._clock(),
            )
        return answer

    async def _indicator(
        self, indicator: int, first: date, last: date, geo: int, token: str
    ) -> Any:
        days = (last - first).days + 1
        answer = await self._get(
            f"/indicators/{indicator}",
            {
                "start_date": f"{first.isoformat()}T00:00",
                "end_date": f"{last.isoformat()}T23:59",
                "geo_ids[]": str(geo),
                "locale": "es",
            },
            max_bytes=(days + 1) * INDICATOR_BYTES_PER_DAY,
            token=token,
        )
        return _json(answer)

    # -- PVPC ---------------------------------------------------------------

    async def fetch_pvpc(
        self, first: date, last: date, zone: PvpcZone = PVPC_PENINSULA
    ) -> PvpcPrices:
        """Return the 2.0TD PVPC prices of the local days ``first..last``.

        A day not published yet, or answered incomplete, is listed in
        `PvpcPrices.missing` and has no price at all.
        """
        if last < first or (last - first).days >= MAX_SPAN_DAYS:
            raise RequestRejected("PVPC days: first..last must span 1 to 3700 days")
        collector = DayCollector(zone, first, last)
        if self._token is None:
            for start, end in _chunks(first, last, ARCHIVE_MAX_DAYS):
                await self._archive(start, end, collector)
                collector.requests += 1
        else:
            for start, end in _chunks(first, last, INDICATOR_MAX_DAYS):
                data = await self._indicator(
                    PVPC_INDICATOR, start, end, pvpc_geo(zone), self._token
                )
                collector.requests += 1
                read_pvpc_indicator(data, collector)
        return collector.result()

    async def _archive(self, first: date, last: date, collector: DayCollector) -> None:
        days = (last - first).days + 1
        if first == last:
            params = {"locale": "es", "date": first.isoformat()}
        else:
            params = {
                "locale": "es",
                "start_date": f"{first.isoformat()}T00:00",
                "end_date": f"{last.isoformat()}T23:59",
                "date_type": "datos",
            }
        answer = await self._get(
            "/archives/70/download_json",
            params,
            max_bytes=(days + 1) * MAX_DAY_FILE_BYTES,
        )
        read_archive(answer.body, collector, max_files=days + 1)

    # -- token --------------------------------------------------------------

    async def check_token(self, token: str | None = None) -> None:
        """Check a personal token (default: the client's); AuthError if refused."""
        candidate = (token or "").strip() or self._token
        if candidate is None:
            raise RequestRejected("no ESIOS token to check")
        today = self._clock().astimezone(MADRID).date()
        await self._indicator(PVPC_INDICATOR, today, today, GEO_PENINSULA, candidate)

    # -- forecasts ----------------------------------------------------------

    async def fetch_forecast(
        self, system: ElectricSystem, first: date, last: date
    ) -> ForecastMix:
        """Return forecast hours of the local (Madrid) days ``first..last``.

        Renewable = forecast wind + solar PV + solar thermal, capped at the
        forecast demand, which is the total. Four requests; an hour is only
        returned when all four series give it.
        """
        if system not in FORECAST_SYSTEMS:
            raise RequestRejected(f"ESIOS has no forecast for the {system} system")
        if self._token is None:
            raise RequestRejected("ESIOS forecasts need a personal token")
        if last < first or (last - first).days >= INDICATOR_MAX_DAYS:
            raise RequestRejected("forecast days: first..last must span 1 to 366 days")
        series = []
        rejected = 0
        for indicator in FORECAST_INDICATORS:
            data = await self._indicator(
                indicator, first, last, GEO_PENINSULA, self._token
            )
            read = read_series(data, GEO_PENINSULA)
            rejected += read.rejected
            series.append(hourly(read))
        wind, solar_pv, solar_thermal, demand = series
        hours = [
            hour
            for day in range((last - first).days + 1)
            for hour in local_hours(first + timedelta(days=day), MADRID)
        ]
        rows = []
        for hour in hours:
            parts = [values.get(hour) for values in series]
            if any(part is None for part in parts):
                rejected += any(part is not None for part in parts)
                continue
            renewable = wind[hour] + solar_pv[hour] + solar_thermal[hour]
            rows.append(
                GridMix(
                    start=hour,
                    duration=HOUR,
                    renewable_mw=min(renewable, demand[hour]),
                    total_mw=demand[hour],
                    basis=SignalBasis.FORECAST,
                )
            )
        return ForecastMix(
            rows=tuple(rows), rejected=rejected, requests=len(FORECAST_INDICATORS)
        )
