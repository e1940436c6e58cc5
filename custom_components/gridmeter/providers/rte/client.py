"""Async client of RTE's data portal (free account, OAuth2 client credentials).

Wind and solar generation forecasts (Generation Forecast v3), the consumption
forecast (Consumption v1) and EcoWatt v5 signals. The token comes from
``POST /token/oauth/`` with HTTP Basic ``client_id:client_secret``; it is
cached until 60 s before ``expires_in``, and a 401 on a data call renews it
once and retries once (AuthError after that). Neither the secret nor a token
ever appears in an exception message or a log line.

Takes an injected `aiohttp.ClientSession`, returns GridMix rows (basis
FORECAST) and EcoWatt hours, and raises only the typed errors of
`providers.errors`.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
import logging
from typing import Any, Final

import aiohttp
from yarl import URL

from ..errors import AuthError, NotFound, RequestRejected
from ..http import Answer, send
from ..models import utc_now
from .answers import raise_for_status, read_json
from .models import EcowattForecast, GridMixBatch
from .parsing import (
    FORECAST_TYPE,
    PRODUCTION_TYPES,
    Token,
    forecast_mix,
    parse_consumption,
    parse_ecowatt,
    parse_generation,
    parse_token,
)
from .values import PARIS

_LOGGER = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://digital.iservices.rte-france.com"
TOKEN_PATH: Final = "/token/oauth/"  # noqa: S105 - a path
GENERATION_PATH: Final = "/open_api/generation_forecast/v3/forecasts"
CONSUMPTION_PATH: Final = "/open_api/consumption/v1/short_term"
ECOWATT_PATH: Final = "/open_api/ecowatt/v5/signals"
DEFAULT_TIMEOUT: Final = 30.0
TOKEN_MARGIN: Final = timedelta(seconds=60)
ECOWATT_MIN_INTERVAL: Final = timedelta(minutes=15)
"""RTE allows one EcoWatt call per 15 minutes; within that, the last answer is reused."""

MAX_FORECAST_DAYS: Final = 3
FORECAST_PUBLICATION: Final = time(18, 0)
"""RTE publishes the D-1 forecasts of a day around 18:00 Paris the day before."""
PROVIDER: Final = "RTE data portal"


def _paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), PARIS)


def expected_forecast_publication(day: date) -> datetime:
    """Instant (UTC) from which the D-1 forecasts of ``day`` are expected."""
    moment = datetime.combine(day - timedelta(days=1), FORECAST_PUBLICATION, PARIS)
    return moment.astimezone(UTC)


class RteClient:
    """One RTE data portal application (its client id and secret)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        client_id: str,
        client_secret: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Keep the credentials; nothing is sent until a call needs it."""
        self._session = session
        self._client_id = client_id.strip()
        self._client_secret = client_secret.strip()
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._clock = clock
        self._token: Token | None = None
        self._token_expires: datetime | None = None
        self._auth_lock = asyncio.Lock()
        self._ecowatt: tuple[datetime, EcowattForecast] | None = None
        self.requests_sent = 0

    def __repr__(self) -> str:
        """Show where the client points, never its secret."""
        return f"RteClient(base_url={self._base_url!r})"

    @property
    def token_expires(self) -> datetime | None:
        """When the cached token expires (None: no token held)."""
        return self._token_expires if self._token is not None else None

    # -- authentication -------------------------------------------------------

    async def async_check_credentials(self) -> None:
        """Get a fresh token: AuthError when the id or secret is wrong.

        An application not subscribed to an API only shows when that API is
        called (NotAuthorized).
        """
        async with self._auth_lock:
            await self._fetch_token()

    async def _valid_token(self) -> Token:
        async with self._auth_lock:
            token, expires = self._token, self._token_expires
            if (
                token is None
                or expires is None
                or expires - TOKEN_MARGIN <= self._clock()
            ):
                token = await self._fetch_token()
            return token

    async def _renew(self, rejected: Token) -> Token:
        """Replace a token the portal rejected, unless another call already did."""
        async with self._auth_lock:
            token = self._token
            if token is None or token is rejected:
                token = await self._fetch_token()
            return token

    async def _fetch_token(self) -> Token:
        self._token = None
        self._token_expires = None
        if not self._client_id or not self._client_secret:
            raise AuthError("the RTE portal needs a client id and a client secret")
        pair = f"{self._client_id}:{self._client_secret}".encode()
        issued = self._clock()
        answer = await self._send(
            "POST",
            self._base_url + TOKEN_PATH,
            {
                "Authorization": "Basic " + base64.b64encode(pair).decode("ascii"),
                "Content-Type": "application/x-www-form-urlencoded",
            },
            data={"grant_type": "client_credentials"},
        )
        if answer.status in (400, 401, 403):
            raise AuthError("the RTE portal rejected the client id or client secret")
        if not 200 <= answer.status < 300:
            raise_for_status(PROVIDER, "the token", answer, self._clock())
        token = parse_token(read_json(answer.text, PROVIDER))
        self._token = token
        self._token_expires = issued + timedelta(seconds=token.expires_in)
        return token

    # -- data -----------------------------------------------------------------

    async def async_get_forecast(self, first_day: date, days: int = 2) -> GridMixBatch:
        """Hourly forecast rows for the Paris days ``first_day`` .. ``+days``.

        Renewable is the D-1 solar and wind (onshore and offshore) forecast,
        total the D-1 consumption forecast. Two requests; a day RTE has not
        published yet (tomorrow before about 18:00) has no rows.
        """
        if not 1 <= days <= MAX_FORECAST_DAYS:
            raise RequestRejected(f"days: 1 to {MAX_FORECAST_DAYS}")
        start = _paris_midnight(first_day)
        end = _paris_midnight(first_day + timedelta(days=days))
        span = {"start_date": start.isoformat(), "end_date": end.isoformat()}
        utc_start, utc_end = start.astimezone(UTC), end.astimezone(UTC)
        try:
            generation_body = await self._get(
                GENERATION_PATH,
                {
                    "production_type": ",".join(PRODUCTION_TYPES),
                    "type": FORECAST_TYPE,
                    **span,
                },
            )
            generation, bad_generation = parse_generation(
                generation_body, utc_start, utc_end
            )
            consumption_body = await self._get(
                CONSUMPTION_PATH, {"type": FORECAST_TYPE, **span}
            )
        except NotFound:
            _LOGGER.debug("RTE has no forecast for %s (+%s days) yet", first_day, days)
            return GridMixBatch(rows=())
        consumption, bad_consumption = parse_consumption(
            consumption_body, utc_start, utc_end
        )
        return forecast_mix(generation, consumption, bad_generation + bad_consumption)

    async def async_get_ecowatt(self) -> EcowattForecast:
        """EcoWatt hours from today to J+3 (one request at most per 15 minutes)."""
        now = self._clock()
        if self._ecowatt is not None and now - self._ecowatt[0] < ECOWATT_MIN_INTERVAL:
            return self._ecowatt[1]
        forecast = parse_ecowatt(await self._get(ECOWATT_PATH, {}))
        self._ecowatt = (now, forecast)
        return forecast

    # -- plumbing ---------------------------------------------------------------

    async def _get(self, path: str, query: Mapping[str, str]) -> Any:
        """One authenticated GET; its JSON body."""
        url = URL(self._base_url + path).with_query(dict(query))
        token = await self._valid_token()
        answer = await self._send("GET", url, self._bearer(token))
        if answer.status == 401:
            _LOGGER.debug("the RTE portal rejected the token for %s; renewing it", path)
            token = await self._renew(token)
            answer = await self._send("GET", url, self._bearer(token))
            if answer.status == 401:
                raise AuthError("the RTE portal rejected a fresh token")
        if not 200 <= answer.status < 300:
            raise_for_status(PROVIDER, path, answer, self._clock())
        return read_json(answer.text, PROVIDER)

    @staticmethod
    def _bearer(token: Token) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token.access_token}",
            "Accept": "application/json",
        }

    async def _send(
        self,
        method: str,
        url: str | URL,
        headers: Mapping[str, str],
        *,
        data: Mapping[str, str] | None = None,
    ) -> Answer:
        self.requests_sent += 1
        return await send(
            self._session,
            PROVIDER,
            method,
            url,
            headers=headers,
            timeout=self._timeout,
            data=data,
        )
