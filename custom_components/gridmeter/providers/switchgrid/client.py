"""Async client of Switchgrid's "Enedis Raw Data API" (v2).

The flow is Ask (consent, signed by the holder on a hosted page) → Order
(data requests under a consent) → poll the Order → read each request's data
(inline load curve, ``/request/{id}/data`` or the pre-signed ``dataUrl``).
The v2 API has no webhooks: everything is polled, with backoff.

Takes an injected `aiohttp.ClientSession`, returns typed models and raises
only the typed errors of `providers.errors`. The API token is sent in the
``Authorization`` header of API calls only (never to a pre-signed
``dataUrl``) and never appears in a message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
import csv
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
import logging
from typing import Any, Final, NoReturn
from urllib.parse import quote

import aiohttp
from yarl import URL

from ..errors import (
    AuthError,
    ConsentPending,
    ConsentRevoked,
    InvalidResponse,
    NotAuthorized,
    NotFound,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
    RequestTimeout,
    ServiceNotActivated,
    redact,
)
from ..http import (
    PARSE_SURPRISES,
    THREAD_BYTES,
    decode_json,
    parse_guarded,
    retry_after_seconds,
    send,
)
from ..identifiers import is_valid_prm, normalize_prm
from ..models import PowerPeak, utc_now
from .curve import parse_iso_duration, parse_load_curve, parse_load_curve_csv
from .models import (
    Ask,
    AskStatus,
    ContractMatch,
    LoadCurve,
    Order,
    OrderRequest,
    OrderRequestState,
    OrderStatus,
    RequestStatus,
    Signer,
    SwitchgridContract,
)
from .parsing import (
    parse_ask,
    parse_ask_page,
    parse_contract,
    parse_contract_matches,
    parse_daily_energy,
    parse_daily_indexes,
    parse_daily_max_power,
    parse_order,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://app.switchgrid.tech/enedis/v2"
DEFAULT_TIMEOUT: Final = 60.0
TEST_ENV_HEADER: Final = "switchgrid-test-env"
ASK_PAGE_SIZE: Final = 100
"""``GET /ask`` allows at most 100 items per page."""
MAX_ASK_PAGES: Final = 100

LOADCURVE_DIRECTIONS: Final = frozenset({"CONSUMPTION", "INJECTION"})
RAW_DIRECTIONS: Final = frozenset({"SOUTIRAGE", "INJECTION"})
DATA_PERIODS: Final = frozenset({"5min", "10min", "15min", "30min", "1h", "1d"})
_CONSENT_WORDS: Final = ("consent",)
_GONE_WORDS: Final = ("revok", "révoqu", "revoqu", "expir", "withdrawn", "annul")
_PENDING_WORDS: Final = ("not accepted", "not signed", "pending", "non sign")
_SCOPE_WORDS: Final = ("cover", "scope", "périmètre", "perimetre")


def _consent_scopes(injection: bool) -> list[dict[str, Any]]:
    directions = ["SOUTIRAGE", "INJECTION"] if injection else ["SOUTIRAGE"]
    series = ["CONSUMPTION", "INJECTION"] if injection else ["CONSUMPTION"]
    return [
        {"service": "ENEDIS_RAW_API", "id": "DETAILS_CONTRACTUELS"},
        {
            "service": "ENEDIS_RAW_API",
            "id": "CONSUMPTION_DATA",
            "args": {
                "types": ["CDC", "PMAX", "IDX", "ENERGIE"],
                "directions": directions,
            },
        },
        {
            "id": "ELECTRICITY_TIMESERIES",
            "args": {"types": ["LOADCURVE"], "directions": series},
        },
    ]


def _time_param(value: datetime | date) -> str:
    """Format a since/until value for Switchgrid.

    A date as is (Switchgrid reads it as UTC midnight), an aware datetime in
    UTC with ``Z``, a naive one as is (read as UTC).
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(microsecond=0).isoformat()
        return (
            value.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
        )
    return value.isoformat()


def serialize_order_request(request: OrderRequest) -> dict[str, Any]:
    """Build one ``requests[]`` item of ``POST /order`` (RequestRejected if invalid)."""
    kind = request.type.strip().upper()
    if not kind:
        raise RequestRejected("an order request needs a type")
    item: dict[str, Any] = {"type": kind}
    if request.direction is not None:
        direction = request.direction.strip().upper()
        allowed = LOADCURVE_DIRECTIONS if kind == "LOADCURVE" else RAW_DIRECTIONS
        if kind == "C68":
            allowed = frozenset()
        if direction not in allowed:
            raise RequestRejected(
                f"direction {direction!r} is not valid for {kind} "
                f"(expected one of: {', '.join(sorted(allowed)) or 'none'})"
            )
        item["direction"] = direction
    if request.prms:
        item["prms"] = [_checked_prm(prm) for prm in request.prms]
    if request.since is not None:
        item["since"] = _time_param(request.since)
    if request.until is not None:
        item["until"] = _time_param(request.until)
    if request.retry_after_activation:
        item["enedisRetryAfterLoadcurveActivation"] = True
    return item


def _checked_prm(prm: str) -> str:
    if not is_valid_prm(prm):
        raise RequestRejected("a PRM is 14 digits")
    return normalize_prm(prm)


def _path_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RequestRejected(f"missing {what}")
    return quote(value.strip(), safe="")


def _message(text: str) -> str:
    """Return the provider's own message when the body is JSON, else the text."""
    try:
        body = decode_json(text, "Switchgrid")
    except InvalidResponse:
        return redact(text)
    if isinstance(body, dict):
        for key in ("message", "error", "detail", "errorMessage", "title"):
            value = body.get(key)
            if isinstance(value, list):
                value = "; ".join(item for item in value if isinstance(item, str))
            if isinstance(value, str) and value.strip():
                return redact(value)
    return redact(text)


class SwitchgridClient:
    """One Switchgrid API token."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        test_env: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Keep the token; nothing is sent until a call needs it."""
        self._session = session
        self._token = token.strip()
        self._base_url = base_url.rstrip("/")
        self._test_env = test_env
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._clock = clock
        self._directions: dict[str, str] = {}
        self._unlearnt: dict[str, list[dict[str, Any]]] = {}
        """Order id → items sent, for an order whose answer could not be read."""
        self.requests_sent = 0

    @property
    def request_directions(self) -> dict[str, str]:
        """Request key → direction learnt from the orders placed (to persist).

        The key is the request id, or ``<order id>#<index>`` for a request
        Switchgrid answered without one.

        The v2 answers do not echo a request's direction; the client fills
        ``OrderRequestState.direction`` from what it sent. Save this mapping
        with the order ids and give it back to `restore_request_directions`
        after a restart.
        """
        return dict(self._directions)

    def restore_request_directions(self, directions: Mapping[str, str] | None) -> None:
        """Reuse directions saved from `request_directions`."""
        if not isinstance(directions, Mapping):
            return
        for request_id, direction in directions.items():
            if isinstance(request_id, str) and isinstance(direction, str):
                self._directions.setdefault(request_id, direction)

    # -- contracts and consent ----------------------------------------------------

    async def async_search_contracts(
        self, name: str, *, address: str | None = None, prm: str | None = None
    ) -> list[ContractMatch]:
        """Find the contracts of a holder by name plus address and/or PRM."""
        name = " ".join((name or "").split())
        if len(name) < 3:
            raise RequestRejected("the holder's name needs at least 3 characters")
        params = {"name": name}
        if address and address.strip():
            params["address"] = " ".join(address.split())
        if prm is not None and prm.strip():
            params["prm"] = _checked_prm(prm)
        if len(params) == 1:
            raise RequestRejected("search needs an address or a PRM")
        text = await self._call("GET", "/search_contract", params=params)
        return _parse(text, parse_contract_matches)

    async def async_create_ask(
        self,
        contracts: Sequence[str],
        signer: Signer,
        *,
        injection: bool = True,
        purposes: Sequence[str] = ("ENERGY_PERFORMANCE_STUDY",),
        duration: str = "3 years",
    ) -> Ask:
        """Ask for consent (WEB_HOSTED): the holder signs at ``Ask.user_url``."""
        if isinstance(contracts, str) or not contracts:
            raise RequestRejected("at least one contract id is needed")
        if not purposes:
            raise RequestRejected("at least one purpose is needed")
        if str(signer.genre) not in {"M", "F"}:
            raise RequestRejected("signer genre must be M or F")
        body = {
            "electricityContracts": [str(c).strip() for c in contracts],
            "signer": {
                "firstName": signer.first_name,
                "lastName": signer.last_name,
                "email": signer.email,
                "phone": signer.phone,
                "genre": signer.genre,
            },
            "consentCollectionMedium": {"service": "WEB_HOSTED"},
            "scopesAndPurpose": [
                {"scopes": _consent_scopes(injection), "purposes": list(purposes)}
            ],
            "consentDuration": duration,
        }
        return _parse(await self._call("POST", "/ask", json_body=body), parse_ask)

    async def async_get_ask(self, ask_id: str) -> Ask:
        """Read one Ask (status, consent ids once signed)."""
        path = f"/ask/{_path_id(ask_id, 'ask id')}"
        return _parse(await self._call("GET", path), parse_ask)

    async def async_list_asks(
        self, *, prm: str | None = None, status: Sequence[AskStatus] | None = None
    ) -> list[Ask]:
        """List Asks, oldest first, following every page."""
        params = {"limit": str(ASK_PAGE_SIZE), "orderBy": "createdAt:asc"}
        if prm is not None:
            params["prm"] = _checked_prm(prm)
        if status:
            params["status"] = ",".join(AskStatus(s).value for s in status)
        asks: list[Ask] = []
        for _ in range(MAX_ASK_PAGES):
            params["skip"] = str(len(asks))
            text = await self._call("GET", "/ask", params=dict(params))
            page, total = _parse(text, parse_ask_page)
            asks.extend(page)
            if not page or (total is not None and len(asks) >= total):
                break
            if total is None and len(page) < ASK_PAGE_SIZE:
                break
        return asks

    async def async_delete_ask(self, ask_id: str) -> None:
        """Cancel an Ask and revoke its consents (NotFound if unknown)."""
        path = f"/ask/{_path_id(ask_id, 'ask id')}"
        await self._call("DELETE", path)

    # -- orders -------------------------------------------------------------------

    async def async_create_order(
        self, consent_id: str, requests: Sequence[OrderRequest]
    ) -> Order:
        """Order data under a consent; poll the result with `async_wait_for_order`."""
        if not requests:
            raise RequestRejected("an order needs at least one request")
        _path_id(consent_id, "consent id")
        items = [serialize_order_request(r) for r in requests]
        body = {"consentId": consent_id.strip(), "requests": items}
        text = await self._call("POST", "/order", json_body=body)
        try:
            order = await _parse_off_loop(text, parse_order)
        except InvalidResponse:
            # The order is placed (and billed) all the same: give its id back
            # so that it is polled, never placed again. Its requests are read
            # by `async_get_order`.
            order_id = await _parse_off_loop(text, _order_id)
            _LOGGER.warning(
                "Switchgrid answered order %s in an unexpected shape; "
                "it will be read again",
                redact(order_id, 40),  # an id from the answer: could be anything
            )
            self._unlearnt[order_id] = items
            return Order(id=order_id, status=OrderStatus.UNKNOWN, requests=())
        self._learn_directions(order, items)
        return self._with_directions(order)

    async def async_get_order(self, order_id: str) -> Order:
        """Read an order and its requests (NotFound if unknown)."""
        path = f"/order/{_path_id(order_id, 'order id')}"
        order = await _parse_off_loop(await self._call("GET", path), parse_order)
        if order.requests and (items := self._unlearnt.pop(order.id, None)):
            self._learn_directions(order, items)
        return self._with_directions(order)

    def _learn_directions(self, order: Order, sent: list[dict[str, Any]]) -> None:
        """Remember each request's direction: the v2 answer does not echo it.

        Requests come back in the order they were sent (one per item), or, when
        Switchgrid splits an item per PRM, a type sent with a single direction
        still tells it.
        """
        answered = order.requests
        keys = [_request_key(order.id, i, r) for i, r in enumerate(answered)]
        if len(answered) == len(sent) and all(
            state.type == item["type"]
            for state, item in zip(answered, sent, strict=True)
        ):
            pairs = [
                (key, item.get("direction"))
                for key, item in zip(keys, sent, strict=True)
            ]
        else:
            by_type: dict[str, set[str | None]] = {}
            for item in sent:
                by_type.setdefault(item["type"], set()).add(item.get("direction"))
            pairs = [
                (key, next(iter(directions)))
                for key, state in zip(keys, answered, strict=True)
                if len(directions := by_type.get(state.type, set())) == 1
            ]
        for key, direction in pairs:
            if direction is not None:
                self._directions[key] = direction

    def _with_directions(self, order: Order) -> Order:
        if not self._directions or all(r.direction for r in order.requests):
            return order
        return replace(
            order,
            requests=tuple(
                replace(r, direction=direction)
                if r.direction is None
                and (direction := self._directions.get(_request_key(order.id, i, r)))
                else r
                for i, r in enumerate(order.requests)
            ),
        )

    async def async_wait_for_order(
        self,
        order_id: str,
        *,
        first_delay: float = 2.0,
        max_delay: float = 60.0,
        timeout: float = 900.0,
        stop: Callable[[Order], bool] | None = None,
    ) -> Order:
        """Poll an order until no request is running, backing off exponentially.

        Waits ``first_delay``, then doubles up to ``max_delay`` between polls;
        raises RequestTimeout after ``timeout`` seconds (the order keeps
        running at Switchgrid: read it again later with `async_get_order`).
        ``stop`` ends the wait early on a running order (e.g. a load curve
        that waits for its activation at Enedis).
        """
        loop_clock = asyncio.get_running_loop().time
        deadline = loop_clock() + max(timeout, 0.0)
        delay = max(first_delay, 0.05)
        while True:
            order = await self.async_get_order(order_id)
            if order.done or (stop is not None and stop(order)):
                return order
            remaining = deadline - loop_clock()
            if remaining <= 0:
                raise RequestTimeout(
                    f"order still running after {timeout:g} s ({order.status.value})"
                )
            _LOGGER.debug(
                "Switchgrid order %s is %s; next poll in %.1f s",
                redact(order.id, 40),
                order.status.value,
                min(delay, remaining),
            )
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, max(max_delay, first_delay))

    # -- data ---------------------------------------------------------------------

    async def async_get_load_curve(
        self, request: OrderRequestState, *, period: str | None = None
    ) -> LoadCurve:
        """Return a LOADCURVE request's series (average W, UTC, start-stamped).

        The inline ``loadCurve`` is used when present (and no resampling
        ``period`` is asked), else ``GET /request/{id}/data?format=json``.
        """
        self._raise_if_failed(request)
        if request.load_curve is not None and period is None:
            return request.load_curve
        params = {"format": "json"}
        if period is not None:
            if period not in DATA_PERIODS:
                raise RequestRejected(f"period must be one of {sorted(DATA_PERIODS)}")
            params["period"] = period
        text = await self._data_text(request, params)
        return await _parse_off_loop(text, parse_load_curve)

    async def async_get_load_curve_csv(
        self, request: OrderRequestState, *, period: str | None = None
    ) -> LoadCurve | None:
        """Read a LOADCURVE request's CSV form (``format=csv``).

        Same series as `async_get_load_curve` (None for an empty range).
        ``period`` resamples server-side, except ``1d``: daily buckets are
        Paris days, not a regular UTC series; read them as JSON.
        """
        self._raise_if_failed(request)
        params = {"format": "csv"}
        step = None
        if period is not None:
            if period not in DATA_PERIODS or period == "1d":
                raise RequestRejected(
                    f"CSV period must be one of {sorted(DATA_PERIODS - {'1d'})}"
                )
            params["period"] = period
            step = parse_iso_duration(period)
        text = await self._data_text(request, params)
        return await asyncio.to_thread(_parse_csv, text, step)

    async def _data_text(
        self, request: OrderRequestState, params: Mapping[str, str]
    ) -> str:
        """GET ``/request/{id}/data`` in the form ``params`` ask for."""
        if request.id is None:
            raise NotFound(f"{request.type} has no request id to read its data with")
        path = f"/request/{_path_id(request.id, 'request id')}/data"
        return await self._call("GET", path, params=params)

    async def async_get_raw(self, request: OrderRequestState) -> Any:
        """Download a request's raw Enedis JSON from its pre-signed ``dataUrl``."""
        return await _parse_off_loop(await self._raw_text(request), _identity)

    async def async_get_contract(
        self, request: OrderRequestState, prm: str
    ) -> SwitchgridContract:
        """Download and parse a C68 request into the contract of ``prm``."""
        text = await self._raw_text(request)
        return await _parse_off_loop(text, partial(parse_contract, prm=prm))

    async def async_get_daily_max_power(
        self, request: OrderRequestState
    ) -> list[PowerPeak]:
        """Download and parse an R66 request (daily max power, kW)."""
        text = await self._raw_text(request)
        return await _parse_off_loop(text, parse_daily_max_power)

    async def async_get_daily_energy(
        self, request: OrderRequestState
    ) -> dict[date, float]:
        """Download and parse an R65 request (kWh per Paris day)."""
        text = await self._raw_text(request)
        return await _parse_off_loop(text, parse_daily_energy)

    async def async_get_daily_indexes(
        self, request: OrderRequestState
    ) -> dict[date, dict[str, float]]:
        """Download and parse an R64 request (kWh index per day and class)."""
        text = await self._raw_text(request)
        return await _parse_off_loop(text, parse_daily_indexes)

    async def _raw_text(self, request: OrderRequestState) -> str:
        """GET the pre-signed ``dataUrl`` exactly as given, without the token."""
        self._raise_if_failed(request)
        if request.data_url is None:
            raise NotFound(f"{request.type} data is not available yet")
        # encoded=True: a pre-signed signature must not be re-quoted.
        url = URL(request.data_url, encoded=True)
        if not url.is_absolute():
            url = URL(self._base_url).join(url)
        try:
            return await self._fetch("GET", url, authorized=False)
        except (NotAuthorized, NotFound, RequestRejected) as err:
            # S3-style 403/404: the link expired or the file is gone.
            raise NotFound(
                f"the {request.type} data link has expired or its file is gone; "
                "read the order again"
            ) from err

    @staticmethod
    def _raise_if_failed(request: OrderRequestState) -> None:
        if request.status is not RequestStatus.FAILED:
            return
        if request.load_curve_not_activated:
            raise ServiceNotActivated(
                "Enedis has no load-curve collection for this meter yet; "
                "Switchgrid asks for it, retry in a few hours"
            )
        raise RequestRejected(
            f"{request.type} failed: {request.error_message or 'no reason given'}"
        )

    # -- plumbing -----------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
    ) -> str:
        """Send an authorised API call; return the body of a 2xx answer."""
        url = URL(self._base_url + path)
        if params:
            url = url.with_query(params)
        return await self._fetch(method, url, json_body=json_body)

    async def _fetch(
        self,
        method: str,
        url: URL,
        *,
        authorized: bool = True,
        json_body: Any = None,
    ) -> str:
        """Send one request, map a non-2xx answer to its typed error."""
        headers = {"Accept": "application/json"}
        if authorized:
            headers["Authorization"] = f"Bearer {self._token}"
            if self._test_env:
                headers[TEST_ENV_HEADER] = "true"
        self.requests_sent += 1
        answer = await send(
            self._session,
            "Switchgrid",
            method,
            url,
            headers=headers,
            json_body=json_body,
            timeout=self._timeout,
        )
        if not 200 <= answer.status < 300:
            self._raise_for_status(answer.status, answer.text, answer.retry_after)
        return answer.text

    def _raise_for_status(
        self, status: int, text: str, retry_after: str | None
    ) -> NoReturn:
        """Map a non-2xx answer to a typed error."""
        detail = _message(text)
        lowered = detail.lower()
        about_consent = any(word in lowered for word in _CONSENT_WORDS)
        if status == 401:
            raise AuthError("Switchgrid rejected the API token")
        if status in (409, 429):
            raise RateLimited(
                f"Switchgrid asked to slow down ({status}): {detail}",
                retry_after=retry_after_seconds(retry_after, self._clock()),
            )
        gone = any(word in lowered for word in _GONE_WORDS)
        if status == 403:
            if about_consent and any(word in lowered for word in _PENDING_WORDS):
                raise ConsentPending(f"Switchgrid refused: {detail}")
            if about_consent and (gone or not any(w in lowered for w in _SCOPE_WORDS)):
                raise ConsentRevoked(f"Switchgrid refused: {detail}")
            raise NotAuthorized(f"Switchgrid refused: {detail}")
        if status >= 500:
            raise ProviderUnavailable(f"Switchgrid answered {status}: {detail}")
        if about_consent and gone:
            raise ConsentRevoked(f"Switchgrid refused: {detail}")
        if status == 404:
            raise NotFound(f"Switchgrid answered 404: {detail}")
        raise RequestRejected(f"Switchgrid answered {status}: {detail}")


def _identity(body: Any) -> Any:
    return body


def _parse_csv(text: str, period: timedelta | None) -> LoadCurve | None:
    """Parse a load-curve CSV; any surprise in it is an InvalidResponse."""
    try:
        return parse_load_curve_csv(text, period=period)
    except (csv.Error, *PARSE_SURPRISES) as err:
        raise InvalidResponse(
            f"Switchgrid answered an unexpected CSV ({type(err).__name__})"
        ) from err


def _order_id(body: Any) -> str:
    """Read only the id of an order answer (InvalidResponse without one)."""
    order_id = body.get("id") if isinstance(body, dict) else None
    if not isinstance(order_id, str) or not order_id.strip():
        raise InvalidResponse("Switchgrid answered an order without an id")
    return order_id.strip()


def _request_key(order_id: str, index: int, request: OrderRequestState) -> str:
    """Key a request's remembered direction: its id, else its place in the order."""
    return request.id or f"{order_id}#{index}"


def _parse[T](text: str, parser: Callable[[Any], T]) -> T:
    """Decode and parse; any surprise in the shape is an InvalidResponse."""
    return parse_guarded("Switchgrid", parser, decode_json(text, "Switchgrid"))


async def _parse_off_loop[T](text: str, parser: Callable[[Any], T]) -> T:
    """Parse in a worker thread when large: orders with inline curves are megabytes."""
    if len(text) > THREAD_BYTES:
        return await asyncio.to_thread(_parse, text, parser)
    return _parse(text, parser)
