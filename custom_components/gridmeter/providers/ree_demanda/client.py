"""Async client of REE's real-time demand and generation service.

``GET https://demanda.ree.es/WSvisionaMoviles{Sistema}Rest/resources/
demandaGeneracion{Sistema}?curva={CURVA}&fecha=YYYY-MM-DD`` is the account-
free backend of REE's "demanda en tiempo real" viewer. One request per system
and day answers about 30 hours of 5-minute samples (from 21:00 the day before
to 03:00 the day after, in the system's local time; the Canary Islands one
hour earlier in their own time), up to the present for today. The client
turns them into hourly `GridMix` rows (basis MEASURED).

One answer serves every supply of its system: the caller fetches a system's
day once an hour and shares it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

import aiohttp
from yarl import URL

from ..esios.systems import SYSTEM_TIME_ZONES, ElectricSystem
from ..esios.transport import raise_for_status, send_raw
from ..models import utc_now
from .parsing import PROVIDER, MixDay, parse_mix

DEFAULT_BASE_URL: Final = "https://demanda.ree.es"
DEFAULT_TIMEOUT: Final = 30.0
MAX_ANSWER_BYTES: Final = 2 * 1024 * 1024
"""A real answer is about 140 KB (peninsula, 361 rows)."""


@dataclass(frozen=True, slots=True)
class Feed:
    """Where a system's curve lives: the service's system name and the curve."""

    service: str
    curve: str


FEEDS: Final[dict[ElectricSystem, Feed]] = {
    ElectricSystem.PENINSULAR: Feed("Peninsula", "DEMANDAAU"),
    ElectricSystem.CANARIAS: Feed("Canarias", "CANARIASAU"),
    ElectricSystem.BALEARES: Feed("Baleares", "BALEARESAU"),
    ElectricSystem.CEUTA: Feed("Peninsula", "CEUTAAU"),
    ElectricSystem.MELILLA: Feed("Peninsula", "MELILLAAU"),
}


class ReeDemandaClient:
    """Measured generation mix of Spain's five electric systems (no account)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Keep the settings; nothing is sent until a call needs it."""
        self._session = session
        self._base_url = URL(base_url.rstrip("/"))
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._clock = clock
        self.requests_sent = 0
        """Every request sent since the client was made."""

    def __repr__(self) -> str:
        """Show where the client points."""
        return f"ReeDemandaClient(base_url={str(self._base_url)!r})"

    async def fetch_mix(self, system: ElectricSystem, day: date) -> MixDay:
        """Return the measured hours of `system` around its local `day`.

        Only hours whose samples cover at least 45 minutes are returned, so
        the hour in progress is not.
        """
        feed = FEEDS[system]
        url = (
            self._base_url
            / f"WSvisionaMoviles{feed.service}Rest"
            / "resources"
            / f"demandaGeneracion{feed.service}"
        ).with_query({"curva": feed.curve, "fecha": day.isoformat()})
        self.requests_sent += 1
        answer = await send_raw(
            self._session,
            PROVIDER,
            url,
            headers={"Accept": "application/json, text/javascript, */*"},
            timeout=self._timeout,
            max_bytes=MAX_ANSWER_BYTES,
        )
        if not 200 <= answer.status < 300:
            raise_for_status(
                PROVIDER,
                answer.status,
                answer.text,
                answer.retry_after,
                token_sent=False,
                now=self._clock(),
            )
        return parse_mix(answer.text, day, SYSTEM_TIME_ZONES[system])
