"""Async client of RTE's éCO2mix real-time data on ODRÉ (Opendatasoft, no account).

One export request (``exports/json``, which has no page size limit, unlike
``records`` with its 100-row pages and 10 000-row offset cap) returns every
15-minute row of a range: the last 7 days are one request, the hourly
refresh one more. Takes an injected `aiohttp.ClientSession`, returns
`GridMixBatch` and raises only the typed errors of `providers.errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final

import aiohttp
from yarl import URL

from ..errors import RequestRejected
from ..http import send
from ..models import utc_now
from ..rte.answers import raise_for_status, read_json
from ..rte.models import GridMixBatch
from .parsing import FIELDS, STEP, TIME_FIELD, parse_export

DEFAULT_BASE_URL: Final = "https://odre.opendatasoft.com"
DATASET: Final = "eco2mix-national-tr"
EXPORT_PATH: Final = f"/api/explore/v2.1/catalog/datasets/{DATASET}/exports/json"
DEFAULT_TIMEOUT: Final = 60.0
MAX_SPAN: Final = timedelta(days=31)
"""The real-time dataset keeps a few weeks; a longer range is refused."""

PROVIDER: Final = "éCO2mix (ODRÉ)"
_SLACK_ROWS: Final = 16
"""Rows accepted beyond one per 15 minutes (duplicates the export may repeat)."""


def _utc_text(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Eco2mixClient:
    """Reads France's measured 15-minute generation mix and CO2 intensity."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Keep the session; nothing is sent until a call needs it."""
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._clock = clock
        self.requests_sent = 0

    def __repr__(self) -> str:
        """Show where the client points."""
        return f"Eco2mixClient(base_url={self._base_url!r})"

    async def async_get_mix(self, start: datetime, end: datetime) -> GridMixBatch:
        """Return the measured rows whose 15-minute slot starts in ``start``..``end``.

        ``end`` is excluded; both must be aware and at most 31 days apart.
        Rows listed but not measured yet (the rest of today) are not returned.
        """
        if start.tzinfo is None or end.tzinfo is None:
            raise RequestRejected("start, end: must be aware datetimes")
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if not start < end <= start + MAX_SPAN:
            raise RequestRejected("range: end must be after start, at most 31 days")
        max_rows = -(-(end - start) // STEP) + _SLACK_ROWS
        where = f"{TIME_FIELD} >= '{_utc_text(start)}' AND {TIME_FIELD} < '{_utc_text(end)}'"
        url = URL(self._base_url + EXPORT_PATH).with_query(
            select=",".join(FIELDS),
            where=where,
            timezone="UTC",
            limit=str(max_rows),
        )
        self.requests_sent += 1
        answer = await send(
            self._session,
            PROVIDER,
            "GET",
            url,
            headers={"Accept": "application/json"},
            timeout=self._timeout,
        )
        if not 200 <= answer.status < 300:
            raise_for_status(PROVIDER, DATASET, answer, self._clock())
        return parse_export(read_json(answer.text, PROVIDER), start, end, max_rows)
