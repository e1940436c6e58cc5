"""The Switchgrid simulator: routes, consents, orders, webhooks and controls.

One base URL serves everything; a client's API base is
``<base>/enedis/v2`` (the real one is ``https://app.switchgrid.tech/enedis/v2``):

* ``GET  /enedis/v2/search_contract``          endpoint name ``search_contract``
* ``POST /enedis/v2/ask``                      ``ask``
* ``GET  /enedis/v2/ask``                      ``ask_list``
* ``GET  /enedis/v2/ask/{askId}``              ``ask_get``
* ``DELETE /enedis/v2/ask/{askId}``            ``ask_delete``
* ``POST /enedis/v2/order``                    ``order``
* ``GET  /enedis/v2/order/{orderId}``          ``order_get``
* ``GET  /enedis/v2/request/{requestId}/data`` ``request_data``
* ``GET  /c/{askId}`` (hosted consent page)    ``consent_page``
* ``POST /c/{askId}/sign``                     ``consent_sign``
* ``GET  /data/{requestId}.json`` (pre-signed) ``data_url``
* control endpoints under ``/_sim/`` (JSON, no auth, never faulted).

The endpoint names are the ones ``fail_next``/``hang_next``/``malformed_next``/
``set_latency`` take (``"*"`` = every endpoint).

Assumptions where the documentation is silent (documented, not verified):

* Asks carry two extra fields: ``expiresAt`` (acceptance + ``consentDuration``,
  calendar arithmetic) and ``revokedAt``. ``DELETE /ask/{id}`` answers the Ask
  (200); it stays readable, its status unchanged, with ``revokedAt`` set.
* ``consentIds`` are shown once the address check passed; ``POST /order``
  also accepts an Ask id as ``consentId`` (covering all its PRMs).
* LOADCURVE requests have ``dataUrl: null`` (use ``loadCurve`` or
  ``GET /request/{id}/data``); C68/R6x have a pre-signed ``dataUrl`` valid for
  ``data_url_ttl`` of simulated time, and ``/request/{id}/data`` is 404 for them.
* LOADCURVE ranges are clamped to what is published (``startsAt`` reflects
  the clamp); an empty range is a SUCCESS with no values. As the API document
  says, ``since``/``until`` are UTC by default: a LOADCURVE reads a bare date
  as UTC midnight. Daily flows (R6x) default to the last 365 published days;
  there a bare date names the Enedis (Paris) day itself (``until``
  exclusive), and instants are converted to Paris days.
* Errors are JSON ``{"statusCode", "error", "message"}`` (validation errors:
  ``message`` is a list). An injected 429/503 carries ``Retry-After``.
* ``switchgrid-test-env: true`` marks the Ask (and its orders) as test ones;
  the data served is the same simulated data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import hashlib
import hmac
from http import HTTPStatus
import re
import time
from typing import Any
import uuid

import aiohttp
from aiohttp import web

from simulator.common import IDENTITY_KEY, NowSource, SimulatorBase, json_bytes
from simulator.common.server import (
    HTML_ERROR_PAGE,
    bind_middleware,
    default_endpoint_of,
)

from . import enedis
from .data import Direction, Series, SwitchgridData
from .households import PARIS, Household
from .model import (
    ASK_STATUSES,
    NOT_SIMULATED_TYPES,
    PRM_PATTERN,
    TYPE_FLOW,
    Ask,
    Contract,
    DataRequest,
    Grant,
    Order,
    RequestInput,
    validate_ask,
    validate_order,
)
from .pages import consent_page, status_page, thank_you_page
from .resample import PERIODS, resample, series_end
from .search import matches, name_matches, postal_code
from .timeutil import add_duration, iso, iso_duration, iso_or_none

API_PREFIX = "/enedis/v2"
DEMO_TOKEN = "sg-demo-token"
ORGANIZATION_ID = "5d3c2b1a-0f9e-4d8c-b7a6-958473625140"
NOT_COLLECTED_MESSAGE = (
    "La demande ne peut aboutir : aucun service souscrit de courbe de charge "
    "n'est present pour la periode demandee"
)
NO_PRODUCTION_MESSAGE = (
    "La demande ne peut aboutir : le point ne dispose d'aucune mesure en injection"
)
NO_PMAX_INJECTION_MESSAGE = (
    "La demande ne peut aboutir : puissance maximale non disponible en injection"
)
REVOKED_MESSAGE = "Le consentement a été révoqué"
WEBHOOK_ATTEMPTS = 3
DEFAULT_DAILY_DAYS = 365

type RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One webhook POST attempt."""

    tag: str
    attempt: int
    status: int | None
    """HTTP status answered, None on a connection error/timeout."""
    url: str


def _endpoint_of(request: web.Request) -> str:
    name = request.match_info.route.name
    return name if name else default_endpoint_of(request)


def _error(
    status: int, message: object, headers: dict[str, str] | None = None
) -> web.Response:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return web.Response(
        status=status,
        body=json_bytes({"statusCode": status, "error": phrase, "message": message}),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def _json(payload: object, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        body=json_bytes(payload),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        body=text.encode("utf-8"),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )


def _number(value: float) -> str:
    if value == int(value):
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------------------
# The simulator
# ---------------------------------------------------------------------------


class SwitchgridSimulator(SimulatorBase):
    """A Switchgrid (Enedis v2 API) look-alike over fictional households.

    ``app`` is the aiohttp application; serve it with
    :func:`simulator.common.start`. Attributes and methods below drive it from
    tests; most are also reachable over HTTP under ``/_sim/``.

    Tokens: ``token`` is the valid API token (``"sg-demo-token"``).
    ``expire_token()`` makes it answer 401 (``"API token expired"``);
    ``renew_token()`` issues a new one (``"sg-demo-token-2"``...) and returns it
    (the old one stays dead); ``reset_token()`` makes ``"sg-demo-token"``
    current and valid again; assigning ``sim.token = "x"`` adds a valid token.
    ``reset()`` goes back to the demo token only.
    """

    def __init__(self, clock: NowSource | None = None) -> None:
        """Create the simulator; ``clock`` defaults to ``datetime.now(UTC)``."""
        super().__init__(clock, endpoint_of=_endpoint_of)
        self.data = SwitchgridData()
        self.households: dict[str, Household] = dict(self.data.households)
        self._by_contract_id = {h.contract_id: h for h in self.households.values()}
        self._secret = hashlib.sha256(b"gridmeter-switchgrid-simulator").digest()
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: list[asyncio.TimerHandle] = []
        self._outbox: list[dict[str, Any]] = []
        self._defaults()
        self.app = self._build_app()

    def _defaults(self) -> None:
        self.address_check_delay = 0.3
        """Seconds (real time, or simulated time elapsed) of the address check."""
        self.order_delay = 0.5
        """Seconds (real or simulated) before a request completes (0 allowed)."""
        self.activation_delay = timedelta(hours=6)
        """Simulated time Enedis needs to activate a load-curve collection."""
        self.data_url_ttl = timedelta(hours=1)
        self.order_answer = "full"
        """Shape of order answers: ``full`` (request ids, as the spec), ``seed``
        (no request ids, as the API document's examples) or ``broken_once``
        (the next ``POST /order`` answer has a ``requests`` that is not a
        list; the order is placed all the same)."""
        self.retry_after = 1
        """``Retry-After`` (s) of an injected 429/503 without an explicit body."""
        self.webhook_url: str | None = None
        self.webhook_retry_delay = 0.05
        self.webhook_timeout = 5.0
        self.webhook_events: list[dict[str, Any]] = []
        self.webhook_deliveries: list[WebhookDelivery] = []
        self._tokens: dict[str, bool] = {DEMO_TOKEN: True}
        self._token = DEMO_TOKEN
        self._token_serial = 1
        self.asks: dict[str, Ask] = {}
        self.orders: dict[str, Order] = {}
        self._requests: dict[str, DataRequest] = {}
        self._consents: dict[str, tuple[str, str]] = {}

    # -- clock and knobs ---------------------------------------------------

    @property
    def token(self) -> str:
        """The current valid API token."""
        return self._token

    @token.setter
    def token(self, value: str) -> None:
        self._token = value
        self._tokens[value] = True

    def expire_token(self) -> None:
        """Make the current token answer 401 (until ``renew_token``)."""
        self._tokens[self._token] = False

    def renew_token(self) -> str:
        """Issue a new valid token (``sg-demo-token-N``) and return it."""
        self._token_serial += 1
        self.token = f"{DEMO_TOKEN}-{self._token_serial}"
        return self._token

    def reset_token(self) -> str:
        """Make the demo token (``sg-demo-token``) current and valid again."""
        self.token = DEMO_TOKEN
        return DEMO_TOKEN

    @property
    def publication_delay(self) -> timedelta:
        """Data is published up to the end of the Paris day ``now - delay``."""
        return self.data.state.publication_delay

    @publication_delay.setter
    def publication_delay(self, value: timedelta) -> None:
        if value < timedelta(0):
            raise ValueError("publication_delay must not be negative")
        self.data.state.publication_delay = value

    def _household(self, prm: str) -> Household:
        household = self.households.get(prm)
        if household is None:
            raise KeyError(f"unknown PRM {prm!r}")
        return household

    def step(self, prm: str) -> timedelta:
        """Load-curve step of ``prm`` (10 or 30 minutes)."""
        return self._household(prm).step

    def truth_w(
        self, prm: str, direction: Direction = "CONSUMPTION"
    ) -> dict[datetime, float | None]:
        """Return the served load curve: UTC step start → average W (None = gap)."""
        self._household(prm)
        return self.data.truth_w(prm, direction, self.now())

    def truth_hourly_kwh(
        self, prm: str, direction: Direction = "CONSUMPTION"
    ) -> dict[datetime, float]:
        """Return the kWh of every complete UTC hour of the served load curve."""
        self._household(prm)
        return self.data.truth_hourly_kwh(prm, direction, self.now())

    def truth_daily_wh(
        self, prm: str, direction: Direction = "CONSUMPTION"
    ) -> dict[date, int]:
        """R65 value of every published Paris day (also for uncollected curves)."""
        self._household(prm)
        return self.data.truth_daily_wh(prm, direction, self.now())

    # -- misbehaviour ------------------------------------------------------

    def missing_days(self, prm: str, days: set[date]) -> None:
        """Serve these Paris days as gaps (replaces the previous set)."""
        household = self._household(prm)
        if days:
            self.data.state.missing_days[household.prm] = set(days)
        else:
            self.data.state.missing_days.pop(household.prm, None)

    def revise(self, prm: str, day: date, factor: float) -> None:
        """Serve Paris ``day`` with every step multiplied by ``factor``."""
        household = self._household(prm)
        if factor < 0:
            raise ValueError("factor must not be negative")
        self.data.state.revisions.setdefault(household.prm, {})[day] = factor

    def activate_load_curve(self, prm: str, since: date | None = None) -> None:
        """Activate the load-curve collection of ``prm``.

        The curve is then served from Paris day ``since`` (default: today,
        Paris), and requests waiting with ``enedisRetryAfterLoadcurveActivation``
        complete.
        """
        household = self._household(prm)
        day = since or self.now().astimezone(PARIS).date()
        self.data.state.activations[household.prm] = day
        self.settle_all()

    def revoke(self, ask_id: str) -> None:
        """Revoke an Ask and its consents (what ``DELETE /ask/{id}`` does)."""
        ask = self.asks[ask_id]
        if ask.revoked_at is None:
            ask.revoked_at = self.now()

    def expire_consent(self, ask_id: str) -> None:
        """Make the consents of an Ask expire now."""
        self.asks[ask_id].expires_at = self.now()

    def sign(self, ask_id: str) -> None:
        """Accept the Ask now (what the hosted page's button does).

        A still-running address check is completed first; raises
        ``ValueError`` when the check failed or the Ask is revoked.
        """
        ask = self.asks[ask_id]
        if ask.revoked_at is not None:
            raise ValueError("the Ask was revoked")
        if self.ask_status(ask) in ("CREATED", "PENDING_ADDRESS_CHECK"):
            ask.check_forced = True
        status = self.ask_status(ask)
        if status == "ADDRESS_CHECK_FAILED":
            raise ValueError("the address check of this Ask failed")
        if status == "ACCEPTED":
            return
        now = self.now()
        ask.accepted_at = now
        ask.expires_at = add_duration(now, ask.duration)
        self._emit("ask.accepted", askId=ask.id)

    def reset(self) -> None:
        """Back to a pristine simulator (the clock is kept)."""
        self.harness.faults.clear()
        self.harness.recorder.clear()
        self.data.reset()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        self._outbox.clear()
        self._defaults()

    async def drain_webhooks(self) -> None:
        """Wait until every webhook delivery in flight is finished."""
        self._flush_outbox()
        while self._tasks:
            tasks = list(self._tasks)
            await asyncio.gather(*tasks, return_exceptions=True)
            # Forget them here: a finished task leaves the set only when its
            # done-callback runs, and gathering tasks that are all done returns
            # without yielding to the loop, so waiting for the callback alone
            # spun forever (CI hung 90 minutes on it).
            self._tasks.difference_update(tasks)

    def describe(self, base_url: str) -> str:
        """Human-readable summary (printed by ``python -m simulator switchgrid``)."""
        lines = [
            f"Switchgrid simulator on {base_url}",
            f"API base URL: {base_url}{API_PREFIX}",
            f"API token:    {self.token}   (Authorization: Bearer {self.token})",
            "Households (search with name + address/prm):",
        ]
        for household in self.households.values():
            lines.append(
                f"  {household.prm}  {household.holder:<26} "
                f"{household.address.lines['ligne6']:<16} {household.fta:<9} "
                f"{household.subscribed_kva} kVA  "
                f"{household.off_peak or 'BASE'}  step {household.step_minutes} min"
            )
            lines.append(f"      {household.title}")
        lines.append(f"Controls: {base_url}/_sim/ (households, requests, faults, ...)")
        return "\n".join(lines)

    # -- errors ------------------------------------------------------------

    def _failure_body(self, request: web.Request, status: int) -> web.Response:
        """JSON error (429/503 with ``Retry-After``; 502/504 a gateway page)."""
        if status in (429, 503):
            return _error(
                status,
                "Too many requests" if status == 429 else "Service unavailable",
                {"Retry-After": str(self.retry_after)},
            )
        if status in (502, 504):
            page = HTML_ERROR_PAGE.replace("502 Bad Gateway", f"{status} Gateway Error")
            return web.Response(
                status=status,
                body=page.encode("ascii"),
                headers={"Content-Type": "text/html"},
            )
        return _error(status, "Simulated failure")

    def _auth(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return _error(401, "Missing bearer token")
        state = self._tokens.get(token)
        if state is None:
            return _error(401, "Invalid API token")
        if not state:
            return _error(401, "API token expired")
        request[IDENTITY_KEY] = ORGANIZATION_ID
        return None

    # -- app ---------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(
            client_max_size=4 * 1024 * 1024,
            middlewares=[
                self.harness.log_middleware,
                bind_middleware(self._housekeeping),
                self.harness.fault_middleware,
            ],
        )
        self.harness.attach(app)
        app.on_cleanup.append(self._cleanup)
        add = app.router.add_route
        add(
            "GET", f"{API_PREFIX}/search_contract", self._search, name="search_contract"
        )
        add("POST", f"{API_PREFIX}/ask", self._ask_create, name="ask")
        add("GET", f"{API_PREFIX}/ask", self._ask_list, name="ask_list")
        add("GET", f"{API_PREFIX}/ask/{{ask_id}}", self._ask_get, name="ask_get")
        add(
            "DELETE",
            f"{API_PREFIX}/ask/{{ask_id}}",
            self._ask_delete,
            name="ask_delete",
        )
        add("POST", f"{API_PREFIX}/order", self._order_create, name="order")
        add(
            "GET", f"{API_PREFIX}/order/{{order_id}}", self._order_get, name="order_get"
        )
        add(
            "GET",
            f"{API_PREFIX}/request/{{request_id}}/data",
            self._request_data,
            name="request_data",
        )
        add("*", f"{API_PREFIX}/{{tail:.*}}", self._not_found, name="not_found")
        add("GET", "/c/{ask_id}", self._consent_page, name="consent_page")
        add("POST", "/c/{ask_id}/sign", self._consent_sign, name="consent_sign")
        add("GET", "/data/{name}", self._data_url, name="data_url")
        controls: list[tuple[str, str, RouteHandler]] = [
            ("GET", "households", self._ctl_households),
            ("GET", "asks", self._ctl_asks),
            ("POST", "sign", self._ctl_sign),
            ("POST", "activate", self._ctl_activate),
            ("GET", "webhooks", self._ctl_webhooks),
        ]
        for method, name, handler in controls:
            add(method, f"/_sim/{name}", handler)
        self.add_control_routes(app)
        return app

    async def _housekeeping(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        self._flush_outbox()
        return await handler(request)

    async def _cleanup(self, _app: web.Application) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _not_found(self, request: web.Request) -> web.StreamResponse:
        return _error(404, f"Cannot {request.method} {request.path}")

    @staticmethod
    async def _body(request: web.Request) -> tuple[object, web.Response | None]:
        try:
            return await request.json(), None
        except (ValueError, UnicodeDecodeError):
            return None, _error(400, "Body must be valid JSON")

    # -- search ------------------------------------------------------------

    def _search_item(self, household: Household) -> dict[str, Any]:
        return {
            "id": household.contract_id,
            "prm": household.prm,
            "nomClientFinalOuDenominationSociale": household.holder,
            "categorieClientFinalCode": household.category,
            "adresseInstallationNormalisee": dict(household.address.lines),
        }

    async def _search(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._auth(request)) is not None:
            return denied
        name = request.query.get("name", "").strip()
        address = request.query.get("address", "").strip() or None
        prm = request.query.get("prm", "").replace(" ", "") or None
        errors: list[str] = []
        if len(name) < 3:
            errors.append("name must contain at least 3 characters")
        if address is None and prm is None:
            errors.append("address or prm is required")
        if address is not None:
            rest = re.sub(r"\d{5}", " ", address)
            if postal_code(address) is None or not re.search(r"[^\W\d_]{2,}", rest):
                errors.append(
                    "address must contain a street name element and a postal code"
                )
        if prm is not None and not PRM_PATTERN.match(prm):
            errors.append("prm must match ^[0-9]{14}$")
        if errors:
            return _error(400, errors)
        results = [
            self._search_item(h)
            for h in self.households.values()
            if matches(h, name, address, prm)
        ]
        return _json({"results": results})

    # -- asks --------------------------------------------------------------

    def _check_elapsed(self, ask: Ask) -> float:
        real = time.monotonic() - ask.created_mono
        simulated = (self.now() - ask.created_at).total_seconds()
        return max(real, simulated)

    def ask_status(self, ask: Ask) -> str:
        """Status of an Ask right now (transitions are computed lazily)."""
        if ask.accepted_at is not None:
            return "ACCEPTED"
        delay = self.address_check_delay
        if not ask.check_forced and delay > 0:
            elapsed = self._check_elapsed(ask)
            if elapsed < delay / 3:
                return "CREATED"
            if elapsed < delay:
                return "PENDING_ADDRESS_CHECK"
        if not all(ask.check_passes.values()):
            return "ADDRESS_CHECK_FAILED"
        return "PENDING_USER_ACTION"

    def _ask_json(self, ask: Ask) -> dict[str, Any]:
        status = self.ask_status(ask)
        checked = status not in ("CREATED", "PENDING_ADDRESS_CHECK")
        collecting = status in ("PENDING_USER_ACTION", "ACCEPTED")
        return {
            "id": ask.id,
            "createdAt": iso(ask.created_at),
            "status": status,
            "acceptedAt": iso_or_none(ask.accepted_at),
            "consentCollectionDetails": (
                {"service": ask.service, "userUrl": f"{ask.origin}/c/{ask.id}"}
                if collecting
                else None
            ),
            "createArgs": ask.create_args,
            "addressCheckResults": (
                {
                    prm: {"status": "SUCCESS" if ok else "FAILURE"}
                    for prm, ok in ask.check_passes.items()
                }
                if checked
                else {}
            ),
            "consentIds": dict(ask.consent_ids) if collecting else {},
            "contracts": [contract.as_json() for contract in ask.contracts],
            "expiresAt": iso_or_none(ask.expires_at),
            "revokedAt": iso_or_none(ask.revoked_at),
        }

    @staticmethod
    def _address_passes(contract: Contract, skip: bool) -> bool:
        household = contract.household
        if household is None:
            return False
        if skip:
            return True
        if household.address_check_fails:
            return False
        declared = contract.declared
        if declared is None:
            return True
        held = declared.get("heldBy", {})
        if "name" in held:
            name = str(held.get("name", ""))
        else:
            name = f"{held.get('lastName', '')} {held.get('firstName', '')}"
        address = declared.get("address", {})
        return (
            name_matches(name, household.holder)
            and str(address.get("postalCode", "")).strip()
            == household.address.postal_code
        )

    async def _ask_create(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._auth(request)) is not None:
            return denied
        body, problem = await self._body(request)
        if problem is not None:
            return problem
        parsed, errors = validate_ask(body)
        if parsed is None:
            return _error(400, errors)
        assert isinstance(body, dict)
        contracts: list[Contract] = []
        for index, (search_id, declared) in enumerate(parsed.contracts):
            if search_id is not None:
                household = self._by_contract_id.get(search_id)
                if household is None:
                    errors.append(f"electricityContracts[{index}]: unknown contract id")
                    continue
                contracts.append(
                    Contract(
                        prm=household.prm,
                        search_id=search_id,
                        household=household,
                        declared=None,
                    )
                )
            else:
                assert declared is not None
                prm = str(declared["prm"])
                contracts.append(
                    Contract(
                        prm=prm,
                        search_id=None,
                        household=self.households.get(prm),
                        declared=dict(declared),
                    )
                )
        prms = [contract.prm for contract in contracts]
        if len(set(prms)) != len(prms):
            errors.append("electricityContracts: the same PRM appears twice")
        if errors:
            return _error(400, errors)
        now = self.now()
        ask = Ask(
            id=str(uuid.uuid4()),
            created_at=now,
            created_mono=time.monotonic(),
            origin=str(request.url.origin()),
            create_args=body,
            contracts=contracts,
            consent_ids={prm: str(uuid.uuid4()) for prm in prms},
            service=parsed.service,
            duration=parsed.duration,
            grants=parsed.grants,
            test_env=request.headers.get("switchgrid-test-env", "").lower() == "true",
            check_passes={
                c.prm: self._address_passes(c, parsed.skip_address_check)
                for c in contracts
            },
        )
        self.asks[ask.id] = ask
        for prm, consent_id in ask.consent_ids.items():
            self._consents[consent_id] = (ask.id, prm)
        return _json(self._ask_json(ask))

    def _find_ask(self, ask_id: str) -> Ask | None:
        return self.asks.get(ask_id.lower())

    async def _ask_get(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._auth(request)) is not None:
            return denied
        ask = self._find_ask(request.match_info["ask_id"])
        if ask is None:
            return _error(404, "Ask not found")
        return _json(self._ask_json(ask))

    async def _ask_delete(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._auth(request)) is not None:
            return denied
        ask = self._find_ask(request.match_info["ask_id"])
        if ask is None:
            return _error(404, "Ask not found")
        self.revoke(ask.id)
        return _json(self._ask_json(ask))

    async def _ask_list(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._auth(request)) is not None:
            return denied
        query = request.query
        errors: list[str] = []
        try:
            skip = int(query.get("skip", "0"))
            limit = int(query.get("limit", "10"))
        except ValueError:
            return _error(400, ["skip and limit must be integers"])
        if skip < 0:
            errors.append("skip must be >= 0")
        if not 1 <= limit <= 100:
            errors.append("limit must be between 1 and 100")
        order_by = query.get("orderBy", "createdAt:asc")
        if order_by not in ("createdAt:asc", "createdAt:desc"):
            errors.append("orderBy must be createdAt:asc or createdAt:desc")
        include: set[str] = set()
        exclude: set[str] = set()
        for part in filter(
            None, (p.strip() for p in query.get("status", "").split(","))
        ):
            target = exclude if part.startswith("!") else include
            status = part.lstrip("!")
            if status not in ASK_STATUSES:
                errors.append(f"unknown status {status!r}")
            target.add(status)
        if errors:
            return _error(400, errors)
        items = sorted(self.asks.values(), key=lambda a: (a.created_at, a.created_mono))
        if order_by.endswith("desc"):
            items.reverse()
        prm = query.get("prm")
        if prm:
            items = [a for a in items if prm in a.prms]
        statuses = {a.id: self.ask_status(a) for a in items}
        if include:
            items = [a for a in items if statuses[a.id] in include]
        if exclude:
            items = [a for a in items if statuses[a.id] not in exclude]
        page = items[skip : skip + limit]
        return _json(
            {
                "skip": skip,
                "limit": limit,
                "totalItemsCount": len(items),
                "returnedItemsCount": len(page),
                "items": [self._ask_json(a) for a in page],
            }
        )

    # -- hosted consent page -------------------------------------------------

    async def _consent_page(self, request: web.Request) -> web.StreamResponse:
        ask = self._find_ask(request.match_info["ask_id"])
        if ask is None:
            return _html(
                status_page("Lien invalide", "Cette demande n'existe pas."), 404
            )
        status = self.ask_status(ask)
        if ask.revoked_at is not None:
            return _html(
                status_page("Demande annulée", "Cette demande a été annulée."), 410
            )
        if status == "ACCEPTED":
            return _html(
                status_page("Déjà signé", "Ce consentement a déjà été signé. Merci !")
            )
        if status == "ADDRESS_CHECK_FAILED":
            return _html(
                status_page(
                    "Vérification impossible",
                    "Les informations du contrat ne correspondent pas à celles "
                    "d'Enedis (nom du titulaire ou adresse).",
                ),
                409,
            )
        if status != "PENDING_USER_ACTION":
            return _html(
                status_page(
                    "Vérification en cours",
                    "Nous vérifions les informations auprès d'Enedis. "
                    "Réessayez dans quelques instants.",
                ),
                409,
            )
        holders = [
            {
                "holder": c.household.holder if c.household else c.prm,
                "prm": c.prm,
                "address": (
                    f"{c.household.address.lines['ligne4']}, "
                    f"{c.household.address.lines['ligne6']}"
                    if c.household
                    else ""
                ),
            }
            for c in ask.contracts
        ]
        return _html(consent_page(ask, holders, request.query.get("redirectTo")))

    async def _consent_sign(self, request: web.Request) -> web.StreamResponse:
        ask = self._find_ask(request.match_info["ask_id"])
        if ask is None:
            return _html(
                status_page("Lien invalide", "Cette demande n'existe pas."), 404
            )
        form = await request.post()
        redirect_to = request.query.get("redirectTo") or str(
            form.get("redirectTo") or ""
        )
        if ask.revoked_at is not None or self.ask_status(ask) not in (
            "PENDING_USER_ACTION",
            "ACCEPTED",
        ):
            return _html(
                status_page(
                    "Signature impossible", "Cette demande ne peut être signée."
                ),
                409,
            )
        self.sign(ask.id)
        if redirect_to.startswith(("http://", "https://")):
            raise web.HTTPSeeOther(location=redirect_to)
        return _html(thank_you_page())

    # -- orders --------------------------------------------------------------

    def _consent(self, consent_id: str) -> tuple[Ask, list[str]] | None:
        found = self._consents.get(consent_id)
        if found is not None:
            return self.asks[found[0]], [found[1]]
        ask = self.asks.get(consent_id)
        if ask is not None:
            return ask, ask.prms
        return None

    @staticmethod
    def _grant_of(item: RequestInput) -> Grant:
        if item.type == "LOADCURVE":
            return ("LOADCURVE", item.direction or "CONSUMPTION")
        flow = TYPE_FLOW[item.type]
        if flow == "C68":
            return ("C68", None)
        return (flow, item.direction or "SOUTIRAGE")

    async def _order_create(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._auth(request)) is not None:
            return denied
        body, problem = await self._body(request)
        if problem is not None:
            return problem
        consent_id, items, errors = validate_order(body)
        if errors:
            return _error(400, errors)
        found = self._consent(consent_id)
        if found is None:
            return _error(404, "Consent not found")
        ask, prms = found
        now = self.now()
        if ask.revoked_at is not None:
            return _error(403, "Consent has been revoked")
        status = self.ask_status(ask)
        if status != "ACCEPTED":
            return _error(403, f"Consent is not accepted (Ask status {status})")
        if ask.expires_at is not None and now >= ask.expires_at:
            return _error(403, f"Consent expired on {iso(ask.expires_at)}")
        for item in items:
            for prm in item.prms or prms:
                if prm not in prms:
                    return _error(403, f"PRM {prm} is not covered by this consent")
            flow, direction = self._grant_of(item)
            if (flow, direction) not in ask.grants:
                scope = f"{item.type} {direction}" if direction else item.type
                return _error(403, f"Consent does not cover {scope}")
        order = Order(
            id=str(uuid.uuid4()),
            ask_id=ask.id,
            consent_id=consent_id,
            created_at=now,
            test_env=ask.test_env,
            origin=str(request.url.origin()),
        )
        mono = time.monotonic()
        for item in items:
            targets = item.prms or prms
            groups = [[p] for p in targets] if item.type == "LOADCURVE" else [targets]
            for group in groups:
                data_request = DataRequest(
                    id=str(uuid.uuid4()),
                    order_id=order.id,
                    type=item.type,
                    direction=item.direction,
                    since=item.since,
                    until=item.until,
                    since_day=item.since_day,
                    until_day=item.until_day,
                    prms=list(group),
                    retry_after_activation=item.retry_after_activation,
                    ordered_at=now,
                    ordered_mono=mono,
                )
                order.requests.append(data_request)
                self._requests[data_request.id] = data_request
        self.orders[order.id] = order
        self._settle(order)
        if self.order_delay > 0:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # pragma: no cover - handlers run in a loop
                pass
            else:
                self._timers = [t for t in self._timers if not t.cancelled()]
                self._timers.append(
                    loop.call_later(self.order_delay + 0.005, self.settle_all)
                )
        payload = self._order_json(order)
        if self.order_answer == "broken_once":
            self.order_answer = "full"
            payload["requests"] = {"unexpected": True}
        return _json(payload)

    async def _order_get(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._auth(request)) is not None:
            return denied
        order = self.orders.get(request.match_info["order_id"].lower())
        if order is None:
            return _error(404, "Order not found")
        self._settle(order)
        return _json(self._order_json(order))

    def _request_json(self, data_request: DataRequest) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": data_request.type,
            "status": data_request.status,
            "orderedAt": iso(data_request.ordered_at),
            "completedAt": iso_or_none(data_request.completed_at),
            "dataUrl": data_request.data_url,
            "errorMessage": data_request.error_message,
        }
        if self.order_answer != "seed":
            out = {"id": data_request.id, **out}
        if data_request.type == "LOADCURVE":
            series = data_request.series
            out["loadCurve"] = (
                None
                if series is None or data_request.status != "SUCCESS"
                else self._series_json(series, iso_duration(series.step), series.end)
            )
        return out

    @staticmethod
    def _series_json(series: Series, period: str, end: datetime) -> dict[str, Any]:
        return {
            "period": period,
            "startsAt": iso(series.start),
            "endsAt": iso(end),
            "values": series.values,
        }

    def _order_json(self, order: Order) -> dict[str, Any]:
        return {
            "id": order.id,
            "status": order.status,
            "requests": [self._request_json(r) for r in order.requests],
        }

    # -- request execution ---------------------------------------------------

    def _due(self, data_request: DataRequest) -> bool:
        if self.order_delay <= 0:
            return True
        real = time.monotonic() - data_request.ordered_mono
        simulated = (self.now() - data_request.ordered_at).total_seconds()
        return max(real, simulated) >= self.order_delay

    def settle_all(self) -> None:
        """Complete every request whose time has come (fires webhooks)."""
        for order in list(self.orders.values()):
            self._settle(order)

    def _settle(self, order: Order) -> None:
        ask = self.asks[order.ask_id]
        for data_request in order.requests:
            if data_request.done or not self._due(data_request):
                continue
            self._execute(order, ask, data_request)
            self._announce(order, data_request)

    def _announce(self, order: Order, data_request: DataRequest) -> None:
        """Emit the webhook event of a request that just completed."""
        if not data_request.done:
            return
        tag = (
            "order.request_success"
            if data_request.status == "SUCCESS"
            else "order.request_failed"
        )
        self._emit(
            tag,
            orderId=order.id,
            requestType=data_request.type,
            requestId=data_request.id,
        )

    def _finish(
        self, data_request: DataRequest, error: str | None = None, payload: Any = None
    ) -> None:
        data_request.completed_at = self.now()
        data_request.status = "FAILED" if error else "SUCCESS"
        data_request.error_message = error
        data_request.payload = payload

    def _execute(self, order: Order, ask: Ask, data_request: DataRequest) -> None:
        now = self.now()
        if ask.revoked_at is not None:
            self._finish(data_request, REVOKED_MESSAGE)
            return
        if data_request.type in NOT_SIMULATED_TYPES:
            self._finish(
                data_request,
                f"Type de demande {data_request.type} non pris en charge par le "
                "simulateur",
            )
            return
        households = [self._household(prm) for prm in data_request.prms]
        if data_request.type == "LOADCURVE":
            self._execute_load_curve(data_request, households[0], now)
            return
        flow = TYPE_FLOW[data_request.type]
        if flow == "C68":
            payload: Any = [enedis.c68_item(h, now) for h in households]
        else:
            direction = data_request.raw_direction
            if direction == "INJECTION":
                if flow == "R66":
                    self._finish(data_request, NO_PMAX_INJECTION_MESSAGE)
                    return
                if not all(h.has_injection for h in households):
                    self._finish(data_request, NO_PRODUCTION_MESSAGE)
                    return
            first, last = self._days(data_request, now)
            mesures: list[dict[str, Any]] = []
            for household in households:
                if flow == "R65":
                    mesures.append(
                        enedis.r65_mesure(self.data, household, first, last, direction)
                    )
                elif flow == "R66":
                    mesures.append(enedis.r66_mesure(self.data, household, first, last))
                else:
                    mesures.append(
                        enedis.r64_mesure(self.data, household, first, last, direction)
                    )
            payload = {
                "header": enedis.header(flow, data_request.id, ORGANIZATION_ID),
                "mesures": mesures,
            }
        self._finish(data_request, payload=payload)
        data_request.data_url = self._sign_url(order.origin, data_request)

    def _execute_load_curve(
        self, data_request: DataRequest, household: Household, now: datetime
    ) -> None:
        direction = data_request.timeseries_direction
        if direction == "INJECTION" and not household.has_injection:
            self._finish(data_request, NO_PRODUCTION_MESSAGE)
            return
        state = self.data.state
        if (
            not household.load_curve_collected
            and household.prm not in state.activations
        ):
            requested = state.activation_requested.setdefault(household.prm, now)
            if now >= requested + self.activation_delay:
                activated = (requested + self.activation_delay).astimezone(PARIS).date()
                state.activations[household.prm] = activated
            elif data_request.retry_after_activation:
                # Assumption: the request stays PENDING (Switchgrid retries it
                # after the activation) and shows the first attempt's error.
                data_request.error_message = NOT_COLLECTED_MESSAGE
                return
            else:
                self._finish(data_request, NOT_COLLECTED_MESSAGE)
                return
        series = self.data.series(
            household, direction, data_request.since, data_request.until, now
        )
        self._finish(data_request)
        data_request.series = series

    def _days(self, data_request: DataRequest, now: datetime) -> tuple[date, date]:
        last_published = self.data.last_published_day(now)
        window = self.data.window_start_day(now)
        if data_request.until_day is not None:
            last = data_request.until_day - timedelta(days=1)
        elif data_request.until is not None:
            last = (
                (data_request.until - timedelta(microseconds=1))
                .astimezone(PARIS)
                .date()
            )
        else:
            last = last_published
        last = min(last, last_published)
        if data_request.since_day is not None:
            first = data_request.since_day
        elif data_request.since is not None:
            first = data_request.since.astimezone(PARIS).date()
        else:
            first = last - timedelta(days=DEFAULT_DAILY_DAYS - 1)
        first = max(first, window)
        return first, last

    # -- data ----------------------------------------------------------------

    def _signature(self, request_id: str, stamp: str) -> str:
        message = f"{request_id}:{stamp}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:40]

    def _sign_url(self, origin: str, data_request: DataRequest) -> str:
        completed = data_request.completed_at or self.now()
        stamp = completed.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        expires = int(self.data_url_ttl.total_seconds())
        return (
            f"{origin}/data/{data_request.id}.json?X-Amz-Date={stamp}"
            f"&X-Amz-Expires={expires}"
            f"&X-Amz-Signature={self._signature(data_request.id, stamp)}"
        )

    async def _data_url(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        request_id = name.removesuffix(".json")
        data_request = self._requests.get(request_id)
        denied = web.Response(
            status=403,
            body=(
                b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied'
                b"</Code><Message>Request has expired or signature does not match"
                b"</Message></Error>"
            ),
            headers={"Content-Type": "application/xml"},
        )
        if data_request is None or data_request.payload is None:
            return web.Response(
                status=404,
                body=(
                    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey'
                    b"</Code><Message>The specified key does not exist.</Message>"
                    b"</Error>"
                ),
                headers={"Content-Type": "application/xml"},
            )
        stamp = request.query.get("X-Amz-Date", "")
        signature = request.query.get("X-Amz-Signature", "")
        if not hmac.compare_digest(signature, self._signature(request_id, stamp)):
            return denied
        try:
            signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            ttl = timedelta(seconds=int(request.query.get("X-Amz-Expires", "0")))
        except ValueError:
            return denied
        if self.now() > signed_at + ttl:
            return denied
        return web.Response(
            body=json_bytes(data_request.payload),
            headers={"Content-Type": "application/json"},
        )

    async def _request_data(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._auth(request)) is not None:
            return denied
        data_request = self._requests.get(request.match_info["request_id"].lower())
        if data_request is not None:
            order = self.orders[data_request.order_id]
            self._settle(order)
        if (
            data_request is None
            or data_request.type != "LOADCURVE"
            or data_request.status != "SUCCESS"
            or data_request.series is None
        ):
            return _error(404, "Request not found or data not (yet) available")
        fmt = request.query.get("format", "json")
        period = request.query.get("period")
        errors: list[str] = []
        if fmt not in ("json", "csv"):
            errors.append("format must be json or csv")
        if period is not None and period not in PERIODS:
            errors.append(f"period must be one of {', '.join(PERIODS)}")
        if errors:
            return _error(400, errors)
        series = data_request.series
        name = iso_duration(series.step)
        if period is not None:
            series, name = resample(series, period)
        end = series_end(series, name)
        if fmt == "json":
            return _json(self._series_json(series, name, end))
        lines = ["startDate,powerInWatts"]
        if name == "P1D":
            day = series.start.astimezone(PARIS).date()
            for offset, value in enumerate(series.values):
                start = datetime(
                    day.year, day.month, day.day, tzinfo=PARIS
                ) + timedelta(days=offset)
                lines.append(f"{iso(start)},{'' if value is None else _number(value)}")
        else:
            for index, value in enumerate(series.values):
                start = series.start + index * series.step
                lines.append(f"{iso(start)},{'' if value is None else _number(value)}")
        return web.Response(
            body=("\n".join(lines) + "\n").encode(),
            headers={"Content-Type": "text/csv; charset=utf-8"},
        )

    # -- webhooks --------------------------------------------------------------

    def _emit(self, tag: str, **properties: str) -> None:
        event: dict[str, Any] = {
            "_tag": tag,
            "createdAt": iso(self.now()),
            "organizationId": ORGANIZATION_ID,
            **properties,
        }
        self.webhook_events.append(event)
        if self.webhook_url:
            self._outbox.append({"url": self.webhook_url, "event": event})
            self._flush_outbox()

    def _flush_outbox(self) -> None:
        if not self._outbox:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        pending, self._outbox = self._outbox, []
        for item in pending:
            task = loop.create_task(self._deliver(str(item["url"]), item["event"]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, url: str, event: dict[str, Any]) -> None:
        payload = {"event": event}
        timeout = aiohttp.ClientTimeout(total=self.webhook_timeout)
        for attempt in range(1, WEBHOOK_ATTEMPTS + 1):
            status: int | None = None
            try:
                async with (
                    aiohttp.ClientSession(timeout=timeout) as session,
                    session.post(url, json=payload) as response,
                ):
                    status = response.status
            except (aiohttp.ClientError, TimeoutError):
                status = None
            self.webhook_deliveries.append(
                WebhookDelivery(str(event["_tag"]), attempt, status, url)
            )
            if status is not None and 200 <= status < 300:
                return
            if attempt < WEBHOOK_ATTEMPTS:
                await asyncio.sleep(self.webhook_retry_delay * attempt)

    # -- control endpoints -----------------------------------------------------

    async def _ctl_households(self, request: web.Request) -> web.StreamResponse:
        return _json(
            [
                {
                    "key": h.key,
                    "title": h.title,
                    "prm": h.prm,
                    "contractId": h.contract_id,
                    "holder": h.holder,
                    "category": h.category,
                    "address": h.address.lines,
                    "fta": h.fta,
                    "subscribedKva": h.subscribed_kva,
                    "offPeak": h.off_peak,
                    "stepMinutes": h.step_minutes,
                    "injection": h.has_injection,
                    "loadCurveCollected": h.load_curve_collected,
                    "addressCheckFails": h.address_check_fails,
                }
                for h in self.households.values()
            ]
        )

    async def _ctl_asks(self, request: web.Request) -> web.StreamResponse:
        return _json([self._ask_json(ask) for ask in self.asks.values()])

    async def _ctl_webhooks(self, request: web.Request) -> web.StreamResponse:
        return _json(
            {
                "url": self.webhook_url,
                "events": self.webhook_events,
                "deliveries": [
                    {"tag": d.tag, "attempt": d.attempt, "status": d.status}
                    for d in self.webhook_deliveries
                ],
            }
        )

    async def _ctl_faults_get(self, request: web.Request) -> web.StreamResponse:
        state = self.data.state
        return _json(
            {
                "pending": self.harness.faults.pending(),
                "latency": self.harness.faults.latencies(),
                "publication_delay_seconds": state.publication_delay.total_seconds(),
                "address_check_delay": self.address_check_delay,
                "order_delay": self.order_delay,
                "activation_delay_seconds": self.activation_delay.total_seconds(),
                "missing_days": {
                    prm: sorted(d.isoformat() for d in days)
                    for prm, days in state.missing_days.items()
                },
                "revisions": {
                    prm: {d.isoformat(): f for d, f in sorted(days.items())}
                    for prm, days in state.revisions.items()
                },
                "activations": {
                    prm: day.isoformat() for prm, day in state.activations.items()
                },
            }
        )

    def _apply_provider_action(self, kind: object, action: Mapping[str, Any]) -> bool:
        """Switchgrid actions of ``POST /_sim/faults``.

        ``{"action": "missing_days", "prm", "days": ["YYYY-MM-DD"]}``,
        ``{"action": "revise", "prm", "day", "factor"}``,
        ``{"action": "publication_delay", "days"}``,
        ``{"action": "delays", "address_check"?, "order"?, "activation_hours"?}``,
        ``{"action": "expire_token"}``, ``{"action": "renew_token"}``,
        ``{"action": "revoke", "ask_id"}``, ``{"action": "expire_consent", "ask_id"}``,
        ``{"action": "webhook_url", "url"}``.
        """
        if kind == "missing_days":
            self.missing_days(
                str(action["prm"]), {date.fromisoformat(d) for d in action["days"]}
            )
        elif kind == "revise":
            self.revise(
                str(action["prm"]),
                date.fromisoformat(str(action["day"])),
                float(action["factor"]),
            )
        elif kind == "publication_delay":
            self.publication_delay = timedelta(days=float(action["days"]))
        elif kind == "delays":
            if "address_check" in action:
                self.address_check_delay = float(action["address_check"])
            if "order" in action:
                self.order_delay = float(action["order"])
            if "activation_hours" in action:
                self.activation_delay = timedelta(
                    hours=float(action["activation_hours"])
                )
        elif kind == "expire_token":
            self.expire_token()
        elif kind == "renew_token":
            self.renew_token()
        elif kind == "revoke":
            self.revoke(str(action["ask_id"]))
        elif kind == "expire_consent":
            self.expire_consent(str(action["ask_id"]))
        elif kind == "webhook_url":
            url = action.get("url")
            self.webhook_url = None if url is None else str(url)
        else:
            return False
        return True

    async def _ctl_sign(self, request: web.Request) -> web.StreamResponse:
        try:
            payload = await request.json()
            self.sign(str(payload["askId"]))
        except (ValueError, KeyError, TypeError) as err:
            return _json({"error": str(err)}, 400)
        return _json({"ok": True})

    async def _ctl_activate(self, request: web.Request) -> web.StreamResponse:
        try:
            payload = await request.json()
            since = payload.get("since")
            self.activate_load_curve(
                str(payload["prm"]),
                None if since is None else date.fromisoformat(since),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            return _json({"error": str(err)}, 400)
        return _json({"ok": True})
