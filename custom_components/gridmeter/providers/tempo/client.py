"""Async client of RTE's public Tempo calendar (services-rte.com, no account).

One request per Tempo season (1 September - 31 August) gives every
published colour of that season, tomorrow's included once RTE has published
it: 24 months of history are at most three requests. Takes an injected
`aiohttp.ClientSession`, returns `TempoCalendar` and raises only the typed
errors of `providers.errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Final

import aiohttp

from ..errors import RequestRejected
from ..http import send
from ..models import utc_now
from ..rte.answers import raise_for_status, read_json
from ..signals import TempoColour, TempoDay
from .days import seasons_between
from .models import TempoCalendar
from .parsing import parse_season

DEFAULT_BASE_URL: Final = "https://www.services-rte.com"
SEASON_PATH: Final = "/cms/open_data/v1/tempo"
DEFAULT_TIMEOUT: Final = 30.0
MAX_SEASONS: Final = 4
"""Enough for three years of history plus tomorrow; a larger range is refused."""

PROVIDER: Final = "RTE Tempo calendar"


class TempoClient:
    """Reads Tempo colours from services-rte.com's open data calendar."""

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
        return f"TempoClient(base_url={self._base_url!r})"

    async def async_get_days(self, start: date, end: date) -> TempoCalendar:
        """Return the known colours of the Tempo days ``start``..``end`` (inclusive).

        One request per season the range overlaps. Days not published yet
        (or published without a colour) are absent from the answer.
        """
        seasons = seasons_between(start, end)
        if not seasons:
            raise RequestRejected("end: must not be before start")
        if len(seasons) > MAX_SEASONS:
            raise RequestRejected(f"range: at most {MAX_SEASONS} Tempo seasons")
        colours: dict[date, TempoColour] = {}
        skipped = 0
        for season in seasons:
            season_colours, season_skipped = await self._season(season)
            colours.update(season_colours)
            skipped += season_skipped
        days = tuple(
            TempoDay(day=day, colour=colour)
            for day, colour in sorted(colours.items())
            if start <= day <= end
        )
        return TempoCalendar(days=days, skipped=skipped)

    async def _season(self, season: str) -> tuple[dict[date, TempoColour], int]:
        what = f"season {season}"
        url = f"{self._base_url}{SEASON_PATH}?season={season}"
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
            raise_for_status(PROVIDER, what, answer, self._clock())
        return parse_season(read_json(answer.text, PROVIDER), season)
