"""Async client of Datadis's private and public APIs.

Takes an injected `aiohttp.ClientSession`, returns GridMeter models and raises
only the typed errors of `providers.errors`. Queries subject to Datadis's
24-hour identical-query rule go through a `QueryLedger`: an identical query
within 24 hours is answered from the ledger (or refused if it failed) and
never sent again. The ledger keeps a digest of each good answer and only the
fields of its rows that the parsers read (`compact`), never the whole body.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
import functools
import logging
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp

from ..errors import (
    AlreadyQueried,
    AuthError,
    CannotConnect,
    DistributorError,
    InvalidResponse,
    NoMeterPoints,
    NotAuthorized,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
    redact,
)
from ..http import decode_json, decode_json_async, parse_guarded, send
from ..ledger import DAY, Outcome, QueryLedger, digest
from ..models import AreaAverage, Contract, utc_now
from ..parsing import header_token, lenient_number, plausible_instant
from .compact import ERROR_FIELDS, compact_rows, kept, rows_of
from .parsing import (
    DatadisBatch,
    DatadisSupply,
    PeakBatch,
    community_for,
    distributor_errors,
    expect_list,
    failed_distributor_codes,
    parse_area_averages,
    parse_consumption,
    parse_contract,
    parse_max_power,
    parse_supplies,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://datadis.es"
LOGIN_PATH: Final = "/nikola-auth/tokens/login"
PRIVATE_PATH: Final = "/api-private/api/"
PUBLIC_SEARCH_PATH: Final = "/api-public/api-search"

SUPPLIES: Final = "get-supplies-v2"
CONTRACT: Final = "get-contract-detail-v2"
CONSUMPTION: Final = "get-consumption-data-v2"
MAX_POWER: Final = "get-max-power-v2"

# Endpoints bound by the 24-hour identical-query rule (VERIFIED): a failed or
# refused query is not sent again within 24 h.
RULED: Final = frozenset({CONSUMPTION, MAX_POWER})
# How long an answer is reused: the ruled endpoints for the rule's 24 h,
# supplies every third day, the contract weekly.
GUARDED_TTL: Final[Mapping[str, timedelta]] = {
    CONSUMPTION: DAY,
    MAX_POWER: DAY,
    SUPPLIES: timedelta(hours=68),
    CONTRACT: timedelta(days=7),
}

# Datadis takes from seconds to 2.5 minutes to answer.
DEFAULT_TIMEOUT: Final = 180.0
LOGIN_TIMEOUT: Final = 60.0
TOKEN_LIFETIME: Final = timedelta(hours=24)
TOKEN_MARGIN: Final = timedelta(minutes=10)

# The list inside each v2 envelope.
_ROWS_KEY: Final[Mapping[str, str]] = {
    SUPPLIES: "supplies",
    CONTRACT: "contract",
    CONSUMPTION: "timeCurve",
    MAX_POWER: "maxPower",
}

_MAX_TOKEN_CLAIMS: Final = 8192
"""A JWT payload longer than this (base64 characters) is not read."""


def month_param(month: date) -> str:
    """Format a month as Datadis wants it (`YYYY/MM`)."""
    return f"{month.year:04d}/{month.month:02d}"


@dataclass(frozen=True, slots=True)
class SupplyList:
    """The supplies Datadis listed, and the distributors that failed to answer."""

    supplies: list[DatadisSupply]
    failed_distributors: frozenset[str] | None = frozenset()
    """Codes of the distributors whose supplies may be missing from the list
    (a `distributorError` in the answer); None when an error named no code,
    so any distributor's supplies may be missing."""


def _token_expiry(token: str, issued: datetime) -> datetime:
    """Read `exp` from the JWT; fall back to the documented 24 hours.

    An `exp` that is not a number of seconds after `issued` (the past, NaN,
    1e400) gives the fallback; a later one than 24 hours is cut to 24 hours.
    A token that really expires earlier is answered 401, and renewed then.
    """
    parts = token.split(".")
    if len(parts) != 3 or len(parts[1]) > _MAX_TOKEN_CLAIMS:
        return issued + TOKEN_LIFETIME
    payload = parts[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = decode_json(raw.decode("utf-8"), "Datadis")
    except (binascii.Error, InvalidResponse, UnicodeDecodeError, ValueError):
        return issued + TOKEN_LIFETIME
    exp = lenient_number(claims.get("exp")) if isinstance(claims, dict) else None
    lifetime = None if exp is None else exp - issued.timestamp()
    if lifetime is None or lifetime <= 0:
        return issued + TOKEN_LIFETIME
    return issued + min(timedelta(seconds=lifetime), TOKEN_LIFETIME)


class DatadisClient:
    """One Datadis account (optionally reading for an authorising NIF)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        username: str,
        password: str,
        *,
        authorized_nif: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        ledger: QueryLedger | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        login_timeout: float = LOGIN_TIMEOUT,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Keep the credentials; nothing is sent until a call needs it."""
        self._session = session
        self._username = username.strip().upper()
        self._password = password
        nif = (authorized_nif or "").strip().upper()
        # Sending one's own NIF as authorizedNif is rejected by Datadis.
        self._authorized_nif = nif if nif and nif != self._username else None
        self._base_url = base_url.rstrip("/")
        self.ledger = ledger if ledger is not None else QueryLedger(clock=clock)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._login_timeout = aiohttp.ClientTimeout(total=login_timeout)
        self._clock = clock
        self._token: str | None = None
        self._token_expires: datetime | None = None
        self._login_lock = asyncio.Lock()
        self.requests_sent = 0

    @property
    def token_state(self) -> dict[str, str] | None:
        """The current token and its expiry, for the owner to persist."""
        if self._token is None or self._token_expires is None:
            return None
        return {"token": self._token, "expires": self._token_expires.isoformat()}

    def restore_token(self, state: Mapping[str, Any] | None) -> None:
        """Reuse a token saved earlier (Datadis tokens live 24 hours)."""
        if not isinstance(state, Mapping):
            return
        token, stamp = header_token(state.get("token")), state.get("expires")
        if token is None or not isinstance(stamp, str):
            return
        try:
            expires = plausible_instant(datetime.fromisoformat(stamp))
        except ValueError:
            return
        if expires is not None and expires - TOKEN_MARGIN > self._clock():
            self._token, self._token_expires = token, expires

    # -- authentication -------------------------------------------------------

    async def async_login(self, *, force: bool = False) -> None:
        """Log in unless a valid token is held (or `force`)."""
        async with self._login_lock:
            now = self._clock()
            if (
                not force
                and self._token is not None
                and self._token_expires is not None
                and self._token_expires - TOKEN_MARGIN > now
            ):
                return
            self._token = None
            status, text = await self._send(
                "POST",
                self._base_url + LOGIN_PATH,
                data={"username": self._username, "password": self._password},
                headers={"Accept": "application/json, text/plain"},
                timeout=self._login_timeout,
            )
            if status == 200:
                token = header_token(text)
                if token is None or token.startswith(("{", "[", "<")):
                    raise InvalidResponse("login answered without a token")
                self._token = token
                self._token_expires = _token_expiry(token, now)
                return
            if status in (401, 403) or (
                status == 500 and "bad credentials" in text.lower()
            ):
                raise AuthError("Datadis rejected the username or password")
            self._raise_for_status(status, text)
            raise InvalidResponse(f"unexpected login status {status}")

    # -- private API ------------------------------------------------------------

    async def async_get_supplies(self) -> list[DatadisSupply]:
        """Return the account's supply points (or the authorising NIF's)."""
        return (await self.async_get_supply_list()).supplies

    async def async_get_supply_list(self) -> SupplyList:
        """Return the supply points and the distributors that failed to list theirs."""
        body = await self._get_private(SUPPLIES, {})
        supplies = parse_guarded("Datadis", parse_supplies, body["supplies"])
        if not supplies:
            raise NoMeterPoints("the account has no supply points")
        return SupplyList(
            supplies, parse_guarded("Datadis", failed_distributor_codes, body)
        )

    async def async_get_contract(self, supply: DatadisSupply) -> Contract | None:
        """Return the contract in force for a supply (None if Datadis has none)."""
        body = await self._get_private(
            CONTRACT,
            {"cups": supply.cups, "distributorCode": supply.distributor_code},
        )
        return parse_guarded(
            "Datadis", parse_contract, body["contract"], supply.meter_id
        )

    async def async_get_consumption(
        self, supply: DatadisSupply, first_month: date, last_month: date
    ) -> DatadisBatch:
        """Return the hourly readings of whole months `first_month`..`last_month`.

        `partial` is set when a distributor reported an error next to the rows.
        """
        body = await self._get_private(
            CONSUMPTION,
            {
                "cups": supply.cups,
                "distributorCode": supply.distributor_code,
                "startDate": month_param(first_month),
                "endDate": month_param(last_month),
                "measurementType": "0",
                # Required; taken from get-supplies. A supply listed without
                # one is a home in practice ("most homes are 5", reference).
                "pointType": str(supply.point_type or 5),
            },
        )
        # 24 months are ~17,500 rows: parse them in a worker thread so that
        # the caller's event loop keeps running.
        return await asyncio.to_thread(
            parse_guarded,
            "Datadis",
            functools.partial(
                parse_consumption,
                partial=bool(body["distributorError"]),
                months=(first_month, last_month),
            ),
            body["timeCurve"],
            supply,
        )

    async def async_get_max_power(
        self, supply: DatadisSupply, first_month: date, last_month: date
    ) -> PeakBatch:
        """Return the monthly maximum power per period (kW).

        `partial` is set when a distributor reported an error next to the rows.
        """
        body = await self._get_private(
            MAX_POWER,
            {
                "cups": supply.cups,
                "distributorCode": supply.distributor_code,
                "startDate": month_param(first_month),
                "endDate": month_param(last_month),
            },
        )
        return parse_guarded(
            "Datadis",
            functools.partial(
                parse_max_power,
                partial=bool(body["distributorError"]),
                months=(first_month, last_month),
            ),
            body["maxPower"],
            supply,
        )

    # -- public API -------------------------------------------------------------

    async def async_get_area_averages(
        self, supply: DatadisSupply, first_day: date, last_day: date
    ) -> list[AreaAverage]:
        """Return daily average consumption of homes in the supply's postal code.

        Best effort: Datadis's public aggregated API; an empty list when it has
        nothing for the area.
        """
        community = community_for(supply.region_code)
        if supply.postal_code is None or community is None:
            return []
        params = {
            "startDate": first_day.strftime("%Y/%m/%d"),
            "endDate": last_day.strftime("%Y/%m/%d"),
            "page": "0",
            "pageSize": "2000",
            "community": community,
            "postalCode": supply.postal_code,
            "fare": "2T",
            "economicSector": "1",
            "measurementType": "05",
        }
        url = f"{self._base_url}{PUBLIC_SEARCH_PATH}?{urlencode(params)}"
        status, text = await self._send("GET", url, headers=self._headers())
        if status != 200:
            self._raise_for_status(status, text)
        body = await decode_json_async(text, "Datadis")
        return parse_guarded(
            "Datadis",
            functools.partial(parse_area_averages, days=(first_day, last_day)),
            expect_list(body, "data"),
            supply.postal_code,
        )

    # -- plumbing ---------------------------------------------------------------

    def ruled_until(self, supply: DatadisSupply) -> datetime | None:
        """When every rate-ruled query of a supply may be asked anew.

        Until then an identical query is answered from the ledger (or not at
        all): asking Datadis again within 24 h would be refused.
        """
        cups = urlencode({"cups": supply.cups})

        def of_supply(key: str) -> bool:
            endpoint, _, query = key.partition("?")
            return endpoint in RULED and cups in query.split("&")

        return self.ledger.held_until(of_supply)

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def query_key(self, endpoint: str, params: Mapping[str, str]) -> str:
        """Return the ledger key of a query (what Datadis compares)."""
        full = dict(params)
        if self._authorized_nif:
            full["authorizedNif"] = self._authorized_nif
        return f"{endpoint}?{urlencode(sorted(full.items()))}"

    async def _get_private(
        self, endpoint: str, params: dict[str, str]
    ) -> dict[str, list[Any]]:
        """Return ``{rows key: rows, "distributorError": items}`` of a query.

        Served from the ledger within the query's time-to-live; a failed or
        refused query is not sent again within 24 hours (AlreadyQueried).
        """
        key = self.query_key(endpoint, params)
        ttl = GUARDED_TTL.get(endpoint, DAY)
        if (entry := self.ledger.lookup(key)) is not None:
            if entry.outcome is Outcome.OK:
                if (replayed := await _replay(endpoint, entry.rows)) is not None:
                    return replayed
                if endpoint in RULED:
                    # Answered within 24 h, but its rows were not kept (a
                    # store of an older GridMeter): asking again would be
                    # refused; wait for the entry to expire.
                    raise AlreadyQueried(
                        f"{endpoint} was already answered; not repeated before "
                        "24 hours",
                        retry_after=(entry.expires_at - self._clock()).total_seconds(),
                        failed=False,
                    )
                self.ledger.forget(key)
            else:
                raise AlreadyQueried(
                    f"{endpoint} was already asked and {entry.outcome.value}; "
                    "not repeated before 24 hours",
                    retry_after=(entry.expires_at - self._clock()).total_seconds(),
                    failed=entry.outcome is not Outcome.RATE_LIMITED,
                )
        if self._authorized_nif:
            params = {**params, "authorizedNif": self._authorized_nif}
        url = f"{self._base_url}{PRIVATE_PATH}{endpoint}?{urlencode(params)}"

        await self.async_login()
        self.ledger.record_sent(key, ttl)
        try:
            status, text = await self._get_authorized(url)
            if status != 200:
                self._raise_for_status(status, text)
            body, stored = await asyncio.to_thread(self._read_answer, endpoint, text)
        except (AuthError, CannotConnect):
            # Never processed by Datadis: not counted by its rule.
            self.ledger.forget(key)
            raise
        except RateLimited:
            self.ledger.record_outcome(key, Outcome.RATE_LIMITED)
            raise
        except ProviderError:
            if endpoint in RULED:
                self.ledger.record_outcome(key, Outcome.FAILED)
            else:
                # Not rate-ruled: free to ask again at the next attempt.
                self.ledger.forget(key)
            raise
        if endpoint not in RULED and body["distributorError"]:
            # A supplies or contract list a distributor failed to complete is
            # not reused for days: the next run asks again (these endpoints
            # are not bound by the 24-hour rule).
            self.ledger.forget(key)
        else:
            self.ledger.record_outcome(
                key, Outcome.OK, stored, answer_digest=digest(text)
            )
        return body

    @staticmethod
    def _read_answer(
        endpoint: str, text: str
    ) -> tuple[dict[str, list[Any]], dict[str, Any]]:
        """Decode a v2 answer; return its rows and their compact ledger copy.

        Runs in a worker thread (answers can be megabytes).
        """
        body = decode_json(text, "Datadis")
        rows_key = _ROWS_KEY[endpoint]
        rows = expect_list(body, rows_key)
        errors = distributor_errors(body)
        if errors and not rows:
            raise DistributorError(redact("; ".join(errors)))
        if errors:
            _LOGGER.warning(
                "Datadis answered %s in part; distributor said: %s",
                endpoint,
                redact("; ".join(errors)),
            )
        # The error items stay with the answer (also in the ledger), so that
        # an answer served again still says which part is missing.
        error_items = [
            kept(item, ERROR_FIELDS)
            for item in (body["distributorError"] if errors else [])
            if isinstance(item, dict)
        ]
        stored = {
            rows_key: compact_rows(rows_key, rows),
            "distributorError": error_items,
        }
        return {rows_key: rows, "distributorError": error_items}, stored

    async def _get_authorized(self, url: str) -> tuple[int, str]:
        """GET with the token; on 401 log in again and retry once."""
        status, text = await self._send("GET", url, headers=self._headers())
        if status == 401:
            # Rejected before it was looked at: not counted by the rule.
            await self.async_login(force=True)
            status, text = await self._send("GET", url, headers=self._headers())
            if status == 401:
                raise AuthError("Datadis rejected a fresh token")
        return status, text

    async def _send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        data: Mapping[str, str] | None = None,
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> tuple[int, str]:
        """Send one request and return (status, body text); map transport errors."""
        self.requests_sent += 1
        answer = await send(
            self._session,
            "Datadis",
            method,
            url,
            headers={"Accept-Encoding": "identity", **headers},
            data=data,
            timeout=timeout or self._timeout,
        )
        return answer.status, answer.text

    @staticmethod
    def _raise_for_status(status: int, text: str) -> None:
        """Map a non-200 answer to a typed error."""
        detail = redact(text)
        lowered = text.lower()
        if status == 429:
            raise RateLimited(
                f"Datadis refused a repeated query: {detail}",
                retry_after=DAY.total_seconds(),
            )
        if status in (401,):
            raise AuthError("Datadis rejected the token")
        if status == 404 and "no supplies" in lowered:
            raise NoMeterPoints("the account has no supply points")
        if status == 403 and "authorized" in lowered:
            raise NotAuthorized("no supply authorised to this account by that NIF")
        if status == 400 and "autorizado" in lowered:
            raise NotAuthorized("the supply is not authorised to this account")
        if status >= 500:
            raise ProviderUnavailable(f"Datadis answered {status}: {detail}")
        raise RequestRejected(f"Datadis answered {status}: {detail}")


async def _replay(endpoint: str, stored: Any) -> dict[str, list[Any]] | None:
    """Rebuild an answer from the ledger's rows (None when they are unusable).

    Reads what this version stores and what GridMeter 0.1 did (`compact`).
    """
    if not isinstance(stored, dict):
        return None
    rows_key = _ROWS_KEY[endpoint]
    rows = await asyncio.to_thread(rows_of, rows_key, stored.get(rows_key))
    if rows is None:
        return None
    errors = stored.get("distributorError")
    items = (
        [item for item in errors if isinstance(item, dict)]
        if isinstance(errors, list)
        else []
    )
    return {rows_key: rows, "distributorError": items}
