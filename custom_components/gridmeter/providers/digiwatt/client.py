"""Async client of the Digiwatt API (Italy).

Takes an injected `aiohttp.ClientSession`, returns GridMeter models and raises
only the typed errors of `providers.errors` (and their Digiwatt refinements in
`.errors`). Paths and bodies come from the one table in `.endpoints`.

Authentication is OAuth2 client credentials: the token is cached until 60 s
before its `expires_in`, and a 401 on a data call refreshes it once and
retries the call once. Neither the client secret nor a token ever appears in
an exception message or a log line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
import json
import logging
from typing import Any, Final, NoReturn

import aiohttp

from ..errors import (
    AuthError,
    InvalidResponse,
    NotAuthorized,
    NotFound,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
    redact,
)
from ..http import (
    THREAD_BYTES,
    Answer,
    decode_json,
    parse_guarded,
    retry_after_seconds,
    send,
)
from ..identifiers import is_valid_pod, normalize_pod
from ..models import (
    EnergyKind,
    EnergyReading,
    GreenWindow,
    LivePower,
    ReadingBatch,
    utc_now,
)
from .endpoints import ENDPOINTS, Endpoint, Route, household_body, user_body
from .errors import OnboardingRequired, UserExists
from .models import (
    ApplianceMonth,
    ApplianceShare,
    ApplianceUsage,
    BandMonth,
    ConsumptionTotals,
    DigiwattUser,
    Habits,
    Household,
    Performance,
    Period,
    PowerSeries,
    Saving,
    Token,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://api.digiwatt.energy"
"""Assumed: the document gives no server URL (the docs live at
docs.digiwatt.energy). Configurable."""
DEFAULT_TIMEOUT: Final = 30.0
TOKEN_MARGIN: Final = timedelta(seconds=60)

# Endpoints whose 409 means "answer the questionnaire first".
_NEEDS_ONBOARDING: Final = frozenset(
    {
        Endpoint.CONSUMPTION,
        Endpoint.TOTALS,
        Endpoint.REALTIME,
        Endpoint.LATEST,
        Endpoint.PERFORMANCE,
        Endpoint.HABITS,
        Endpoint.TREND,
        Endpoint.DISTRIBUTION,
        Endpoint.COMPOUND,
        Endpoint.SAVING,
    }
)


def _text(value: object) -> str:
    """Return a stripped string ("" for anything else: checked at run time)."""
    return value.strip() if isinstance(value, str) else ""


def _require_account(account_number: str) -> str:
    account = _text(account_number)
    if not account:
        raise RequestRejected("account_number: must not be empty")
    return account


class DigiwattClient:
    """One Digiwatt API client (client id and secret of a partner company)."""

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
        self._client_secret = client_secret
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._clock = clock
        self._token: Token | None = None
        self._token_expires: datetime | None = None
        self._auth_lock = asyncio.Lock()
        self.requests_sent = 0

    def __repr__(self) -> str:
        """Show where the client points, never its secret."""
        return f"DigiwattClient(client_id={self._client_id!r}, base_url={self._base_url!r})"

    @property
    def token_expires(self) -> datetime | None:
        """When the cached token expires (None: no token held)."""
        return self._token_expires if self._token is not None else None

    # -- authentication -------------------------------------------------------

    async def async_authenticate(self, *, force: bool = False) -> None:
        """Get a token unless a valid one is cached (or `force`)."""
        async with self._auth_lock:
            if not force and self._token_valid():
                return
            await self._fetch_token()

    def _token_valid(self) -> bool:
        return (
            self._token is not None
            and self._token_expires is not None
            and self._token_expires - TOKEN_MARGIN > self._clock()
        )

    async def _refresh(self, rejected: Token | None) -> None:
        """Replace a token the API rejected, unless another call already did."""
        async with self._auth_lock:
            if self._token is not None and self._token is not rejected:
                return
            await self._fetch_token()

    async def _fetch_token(self) -> None:
        self._token = None
        self._token_expires = None
        route = ENDPOINTS[Endpoint.TOKEN]
        issued = self._clock()
        answer = await self._send(
            route.method,
            self._base_url + route.url_path(),
            data={
                "client_id": self._client_id,
                "client_secret": self._client_secret,
                "grant_type": "client_credentials",
            },
        )
        if answer.status in (400, 401, 403):
            raise AuthError("Digiwatt rejected the client id or client secret")
        if not 200 <= answer.status < 300:
            self._raise_for_status(Endpoint.TOKEN, answer)
        token: Token = self._read(route, answer.text, None)
        self._token = token
        self._token_expires = issued + timedelta(seconds=token.expires_in)

    # -- users ----------------------------------------------------------------

    async def async_create_user(
        self, pod: str, account_number: str, company_code: str
    ) -> DigiwattUser:
        """Register a supply; raise `UserExists` if it already is.

        The POD is normalised (upper case, no spaces) and checked with the
        Italian rule before anything is sent.
        """
        normalized = normalize_pod(_text(pod))
        if not is_valid_pod(normalized):
            raise RequestRejected(
                "pod: not an Italian POD (IT, 3-digit distributor, E, 8 digits, "
                "optionally one more character)"
            )
        account = _require_account(account_number)
        company = _text(company_code)
        if not company:
            raise RequestRejected("company_code: must not be empty")
        user: DigiwattUser = await self._call(
            Endpoint.CREATE_USER, json_body=user_body(normalized, account, company)
        )
        return user

    async def async_delete_user(self, account_number: str) -> None:
        """Unregister a supply."""
        await self._call(
            Endpoint.DELETE_USER, account_number=_require_account(account_number)
        )

    async def async_onboard(
        self, account_number: str, household: Household
    ) -> Household:
        """Send the household questionnaire; return what Digiwatt recorded.

        The returned household carries Digiwatt's default appliances when
        `household.appliances` was empty.
        """
        account = _require_account(account_number)
        given: object = household  # checked at run time, whatever the hints
        if not isinstance(given, Household):
            raise RequestRejected("household: must be a Household")
        recorded: Household = await self._call(
            Endpoint.ONBOARDING,
            account_number=account,
            json_body=household_body(household),
        )
        return recorded

    # -- consumption ------------------------------------------------------------

    async def async_get_appliances(
        self, account_number: str, period: Period
    ) -> list[ApplianceUsage]:
        """Return the average power (W) of each appliance over `period`."""
        usages: list[ApplianceUsage] = await self._call(
            Endpoint.CONSUMPTION, account_number=account_number, period=period
        )
        return usages

    async def async_get_totals(
        self, account_number: str, period: Period
    ) -> ConsumptionTotals:
        """Return the energy (Wh) of `period`, by appliance, and the previous one's."""
        totals: ConsumptionTotals = await self._call(
            Endpoint.TOTALS, account_number=account_number, period=period
        )
        return totals

    async def async_get_realtime(self, account_number: str) -> LivePower:
        """Return the load right now (W)."""
        power: LivePower = await self._call(
            Endpoint.REALTIME, account_number=account_number
        )
        return power

    async def async_get_latest(
        self, account_number: str, *, meter_id: str
    ) -> ReadingBatch:
        """Return the last six hours as readings (kWh per step, UTC starts).

        Digiwatt gives the average W of each step; energy is
        ``W x step seconds / 3600 / 1000``.
        """
        series: PowerSeries = await self._call(
            Endpoint.LATEST, account_number=account_number
        )
        return parse_guarded("Digiwatt", _readings, series, meter_id)

    async def async_get_performance(
        self, account_number: str, period: Period
    ) -> Performance:
        """Return the user's energy (Wh) against similar homes over `period`."""
        performance: Performance = await self._call(
            Endpoint.PERFORMANCE, account_number=account_number, period=period
        )
        return performance

    async def async_get_habits(self, account_number: str, period: Period) -> Habits:
        """Return the energy (Wh) by time of day and day type over `period`."""
        habits: Habits = await self._call(
            Endpoint.HABITS, account_number=account_number, period=period
        )
        return habits

    # -- analytics ----------------------------------------------------------------

    async def async_get_trend(self, account_number: str) -> list[BandMonth]:
        """Return twelve months by tariff band F1/F2/F3 (Wh), oldest first."""
        months: list[BandMonth] = await self._call(
            Endpoint.TREND, account_number=account_number
        )
        return months

    async def async_get_distribution(self, account_number: str) -> list[ApplianceShare]:
        """Return twelve months' energy (Wh) by appliance."""
        shares: list[ApplianceShare] = await self._call(
            Endpoint.DISTRIBUTION, account_number=account_number
        )
        return shares

    async def async_get_compound(self, account_number: str) -> list[ApplianceMonth]:
        """Return the energy (Wh) by appliance and month over twelve months."""
        rows: list[ApplianceMonth] = await self._call(
            Endpoint.COMPOUND, account_number=account_number
        )
        return rows

    async def async_get_saving(self, account_number: str) -> Saving:
        """Return the last 30 days: energy, cost, CO2 and what could be saved."""
        saving: Saving = await self._call(
            Endpoint.SAVING, account_number=account_number
        )
        return saving

    async def async_get_greenness(self) -> list[GreenWindow]:
        """Return the coming windows with a high renewable share."""
        windows: list[GreenWindow] = await self._call(Endpoint.GREENNESS)
        return windows

    # -- plumbing -------------------------------------------------------------------

    async def _call(
        self,
        endpoint: Endpoint,
        *,
        account_number: str | None = None,
        period: Period | None = None,
        json_body: Any = None,
    ) -> Any:
        """Send one authenticated request and parse its answer's `data`."""
        route = ENDPOINTS[endpoint]
        if account_number is not None:
            account_number = _require_account(account_number)
        if period is not None:
            try:
                period = Period(period)
            except ValueError:
                raise RequestRejected(f"period: unknown period {period!r}") from None
        url = self._base_url + route.url_path(
            account_number=account_number, period=period
        )
        await self.async_authenticate()
        token = self._token
        answer = await self._send(route.method, url, token=token, json_body=json_body)
        if answer.status == 401:
            _LOGGER.debug("Digiwatt rejected the token for %s; renewing it", endpoint)
            await self._refresh(token)
            answer = await self._send(
                route.method, url, token=self._token, json_body=json_body
            )
            if answer.status == 401:
                raise AuthError("Digiwatt rejected a fresh token")
        if not 200 <= answer.status < 300:
            self._raise_for_status(endpoint, answer)
        # Every assumed answer is a few kilobytes (the largest, compound, is
        # 12 months times 16 appliances): parsed on the loop, where it costs
        # less than a thread hop; a surprisingly big answer does not block it.
        if len(answer.text) > THREAD_BYTES:
            return await asyncio.to_thread(self._read, route, answer.text, period)
        return self._read(route, answer.text, period)

    @classmethod
    def _read(cls, route: Route[Any], text: str, period: Period | None) -> Any:
        """Decode an answer, unwrap the envelope and parse its `data`."""
        body = decode_json(text, "Digiwatt")
        if route.enveloped:
            if not isinstance(body, Mapping):
                raise InvalidResponse("Digiwatt answered without an envelope")
            status = body.get("status")
            if status is not None and (
                isinstance(status, bool)
                or not isinstance(status, int)
                or not 200 <= status < 300
            ):
                raise InvalidResponse(
                    f"Digiwatt answered HTTP 200 with status {redact(str(status), 20)}"
                    f": {cls._detail(body)}"
                )
            if "data" not in body:
                raise InvalidResponse("Digiwatt answered without data")
            body = body["data"]
        # A parser's surprise (a model refusing a value...) is an answer
        # nobody planned for: an InvalidResponse, never a bare ValueError.
        return parse_guarded("Digiwatt", route.parse, body, period)

    async def _send(
        self,
        method: str,
        url: str,
        *,
        token: Token | None = None,
        data: Mapping[str, str] | None = None,
        json_body: Any = None,
    ) -> Answer:
        """Send one request, with the token when one is given."""
        headers = {"Accept": "application/json", "Accept-Encoding": "identity"}
        if token is not None:
            headers["Authorization"] = f"{token.token_type} {token.access_token}"
        self.requests_sent += 1
        return await send(
            self._session,
            "Digiwatt",
            method,
            url,
            headers=headers,
            data=data,
            json_body=json_body,
            timeout=self._timeout,
        )

    @staticmethod
    def _detail(body: Any) -> str:
        """Return the message of an error body (or its raw text), redacted."""
        if isinstance(body, Mapping):
            for key in ("message", "error_description", "error", "code"):
                value = body.get(key)
                if isinstance(value, str) and value:
                    return redact(value)
        return redact(body if isinstance(body, str) else json.dumps(body))

    def _raise_for_status(self, endpoint: Endpoint, answer: Answer) -> NoReturn:
        """Map a non-2xx answer to a typed error."""
        status = answer.status
        try:
            body: Any = decode_json(answer.text, "Digiwatt")
        except InvalidResponse:
            body = answer.text
        detail = self._detail(body)
        code = body.get("code") if isinstance(body, Mapping) else None
        what = endpoint.value
        if status == 403:
            raise NotAuthorized(f"Digiwatt refused {what}: {detail}")
        if status == 404:
            raise NotFound(f"Digiwatt found nothing for {what}: {detail}")
        if status == 409:
            if code == "user_exists" or endpoint is Endpoint.CREATE_USER:
                raise UserExists(f"the user already exists: {detail}")
            if code == "onboarding_required" or endpoint in _NEEDS_ONBOARDING:
                raise OnboardingRequired(f"onboarding is required first: {detail}")
            raise RequestRejected(f"Digiwatt answered 409 to {what}: {detail}")
        if status == 429:
            raise RateLimited(
                f"Digiwatt is rate limiting {what}: {detail}",
                retry_after=retry_after_seconds(answer.retry_after, self._clock()),
            )
        if status >= 500:
            raise ProviderUnavailable(f"Digiwatt answered {status} to {what}: {detail}")
        if 400 <= status < 500:
            raise RequestRejected(f"Digiwatt answered {status} to {what}: {detail}")
        raise InvalidResponse(f"unexpected status {status} from {what}")


def _readings(series: PowerSeries, meter_id: str) -> ReadingBatch:
    """Turn average W per step into kWh readings (W x step s / 3600 / 1000)."""
    seconds = series.step.total_seconds()
    return ReadingBatch(
        meter_id=meter_id,
        readings=tuple(
            EnergyReading(
                start=point.start,
                duration=series.step,
                kind=EnergyKind.CONSUMPTION,
                kwh=point.watts * seconds / 3_600_000,
            )
            for point in series.points
        ),
        skipped=series.skipped,
        kinds=frozenset({EnergyKind.CONSUMPTION}),
    )
