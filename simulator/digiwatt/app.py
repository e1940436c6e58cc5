"""The Digiwatt simulator: routes, OAuth2 tokens, users, onboarding, data.

It serves the contract of :mod:`.routes` (the same table as the client's
``endpoints.py``) over the households of :mod:`.households` and the load of
:mod:`.load`, plus control endpoints under ``/_sim/`` (JSON): ``users``,
``truth``, ``windows``, ``requests``, ``faults`` (GET state / POST actions),
``reset`` and ``clock``.

Rules it enforces:

* ``POST /auth/token`` (form) issues JWT-looking bearer tokens valid for
  ``token_lifetime`` seconds of the simulator clock (Keycloak-style 401
  ``invalid_client`` for bad credentials, 400 ``unsupported_grant_type``).
* Every other call needs ``Authorization: Bearer <token>`` (401 otherwise).
* Users belong to the client that created them (403 for another client);
  unknown account numbers answer 404; a second creation answers 409
  ``user_exists``; data endpoints answer 409 ``onboarding_required`` until
  the questionnaire is answered.
* Bad JSON answers 400; a body that breaks the documented schema 422 with
  the offending field.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import hashlib
import hmac
from http import HTTPStatus
import json
import re
from typing import Any, Final, TypeIs

from aiohttp import web

from simulator.common import (
    IDENTITY_KEY,
    NowSource,
    SimulatorBase,
    json_bytes,
    noise,
    parse_instant,
)
from simulator.common.server import HTML_ERROR_PAGE, default_endpoint_of

from .green import Window, upcoming
from .households import (
    CATALOGUE,
    CLIENTS,
    DEFAULT_APPLIANCES,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    Profile,
    profile_for,
)
from .load import (
    HOUR,
    ROME,
    SLOT,
    SLOT_SECONDS,
    Sums,
    attribute,
    floor_slot,
    instant_watts,
    largest_remainder,
    local_midnight,
    series,
    totals,
)
from .routes import APPLIANCES, HOUSE_TYPES, PERIODS, ROUTES

DEFAULT_TOKEN_LIFETIME: Final = 36000
LATEST_SPAN: Final = timedelta(hours=6)
PRICES_EUR_KWH: Final = (0.165, 0.155, 0.135)
"""Energy price by band F1, F2, F3 (saving endpoint)."""
CO2_KG_KWH: Final = 0.256
_JWT_SECRET: Final = b"gridmeter-digiwatt-simulator"
_POD: Final = re.compile(r"IT[0-9]{3}E[0-9]{8}[A-Z0-9]?")
_PROVINCE: Final = re.compile(r"[A-Z]{2}")
_ISSUER: Final = "http://keycloak.digiwatt.local/auth/realms/digiwatt"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _iso(instant: datetime) -> str:
    """Local (Europe/Rome) ISO timestamp with its offset."""
    return instant.astimezone(ROME).isoformat()


def envelope(data: object, status: int = 200) -> web.Response:
    """Answer with the documented ``{"status", "data"}`` envelope."""
    return web.Response(
        status=status,
        body=json_bytes({"status": status, "data": data}),
        headers={"Content-Type": "application/json"},
    )


def error(status: int, code: str, message: str, **extra: object) -> web.Response:
    """Answer an error: ``{"status", "code", "message"}``."""
    body = {"status": status, "code": code, "message": message, **extra}
    return web.Response(
        status=status,
        body=json_bytes(body),
        headers={"Content-Type": "application/json"},
    )


def _endpoint_of(request: web.Request) -> str:
    """Endpoint name: the route's name (``token``, ``totals``...)."""
    name = request.match_info.route.name
    return name if name else default_endpoint_of(request)


def _is_int(value: object) -> TypeIs[int]:
    return isinstance(value, int) and not isinstance(value, bool)


class Refusal(Exception):
    """An error answer raised from inside a handler (see :func:`_guarded`)."""

    def __init__(self, response: web.Response) -> None:
        """Keep the answer to send."""
        super().__init__(response.status)
        self.response = response


type RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _guarded(handler: RouteHandler) -> RouteHandler:
    """Turn a :class:`Refusal` raised by ``handler`` into its answer."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except Refusal as refusal:
            return refusal.response

    return guarded


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token handed out by ``/auth/token``."""

    client_id: str
    expires_at: datetime


@dataclass(slots=True, kw_only=True)
class UserState:
    """A created user."""

    account_number: str
    pod: str
    company_code: str
    owner: str
    """Client id that created it."""
    created_at: datetime
    profile: Profile
    onboarding: dict[str, Any] | None = None
    """The recorded questionnaire (None until onboarded)."""

    @property
    def appliances(self) -> list[str]:
        """Declared appliances, in the questionnaire's order."""
        if self.onboarding is None:
            return []
        return [item["appliance"] for item in self.onboarding["appliances"]]

    def as_json(self) -> dict[str, Any]:
        """Return the ``create_user`` answer."""
        return {
            "account_number": self.account_number,
            "pod": self.pod,
            "company_code": self.company_code,
            "onboarded": self.onboarding is not None,
            "created_at": _iso(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class Span:
    """A period's interval and the previous period's (UTC)."""

    start: datetime
    end: datetime
    previous_start: datetime
    previous_end: datetime


def _first_of_previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def _wall_shift(instant: datetime, days: int) -> datetime:
    local = instant.astimezone(ROME).replace(tzinfo=None) - timedelta(days=days)
    return floor_slot(local.replace(tzinfo=ROME).astimezone(UTC))


def period_span(period: str, now: datetime) -> Span:
    """Return the local-day interval of a period at ``now`` and the previous one.

    ``yesterday``: the previous local day. ``last-seven-days``: the seven
    whole days before today. ``this-week`` / ``this-month``: from Monday /
    the 1st to the last complete 15 minutes. ``last-week`` / ``last-month``:
    the previous calendar week / month. The previous period of a "this"
    period covers the same elapsed wall-clock time.
    """
    today = now.astimezone(ROME).date()
    cut = floor_slot(now)
    one = timedelta(days=1)
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    previous_first = _first_of_previous_month(first)
    mid = local_midnight
    if period == "yesterday":
        return Span(
            mid(today - one), mid(today), mid(today - 2 * one), mid(today - one)
        )
    if period == "last-seven-days":
        return Span(
            mid(today - 7 * one),
            mid(today),
            mid(today - 14 * one),
            mid(today - 7 * one),
        )
    if period == "this-week":
        return Span(mid(monday), cut, mid(monday - 7 * one), _wall_shift(cut, 7))
    if period == "last-week":
        return Span(
            mid(monday - 7 * one),
            mid(monday),
            mid(monday - 14 * one),
            mid(monday - 7 * one),
        )
    if period == "this-month":
        local = cut.astimezone(ROME)
        try:
            same = local.replace(
                year=previous_first.year, month=previous_first.month, tzinfo=None
            )
            previous_end = min(same.replace(tzinfo=ROME).astimezone(UTC), mid(first))
        except ValueError:  # 31 March -> 31 February
            previous_end = mid(first)
        return Span(mid(first), cut, mid(previous_first), floor_slot(previous_end))
    if period == "last-month":
        before = _first_of_previous_month(previous_first)
        return Span(mid(previous_first), mid(first), mid(before), mid(previous_first))
    raise ValueError(f"unknown period {period!r}")


def twelve_months(now: datetime) -> list[tuple[date, datetime, datetime]]:
    """Return the 12 analytics months: (first day, start, end), oldest first.

    The last one is the current month up to the last complete 15 minutes.
    """
    first = now.astimezone(ROME).date().replace(day=1)
    firsts = [first]
    for _ in range(11):
        firsts.insert(0, _first_of_previous_month(firsts[0]))
    cut = floor_slot(now)
    out = []
    for month in firsts:
        following = (month + timedelta(days=32)).replace(day=1)
        out.append((month, local_midnight(month), min(local_midnight(following), cut)))
    return out


def validate_onboarding(body: Any) -> tuple[dict[str, Any] | None, str | None]:
    """Check an onboarding body; return (normalised body, None) or (None, error)."""
    if not isinstance(body, dict):
        return None, "body must be a JSON object"
    house = body.get("house")
    if not isinstance(house, dict):
        return None, "house is required"
    if house.get("type") not in HOUSE_TYPES:
        return None, "house.type must be one of " + ", ".join(HOUSE_TYPES)
    size = house.get("dimesion")
    if size is not None and (not _is_int(size) or size < 1):
        return None, "house.dimesion must be a positive integer"
    province = house.get("province")
    if province is not None and (
        not isinstance(province, str) or not _PROVINCE.fullmatch(province)
    ):
        return None, "house.province must match ^[A-Z]{2}$"
    residents = body.get("residents")
    if not isinstance(residents, dict):
        return None, "residents is required"
    for name, minimum in (("adults", 1), ("children", 0), ("elderlies", 0)):
        value = residents.get(name)
        if not _is_int(value) or value < minimum:
            return None, f"residents.{name} must be an integer >= {minimum}"
    appliances = body.get("appliances")
    if appliances is None or appliances == []:
        items = [{"appliance": a, "quantity": q} for a, q in DEFAULT_APPLIANCES]
    elif not isinstance(appliances, list):
        return None, "appliances must be an array"
    else:
        items = []
        for index, item in enumerate(appliances):
            if not isinstance(item, dict) or item.get("appliance") not in APPLIANCES:
                return None, f"appliances[{index}].appliance must be one of the enum"
            quantity = item.get("quantity")
            if not _is_int(quantity) or quantity < 1:
                return None, f"appliances[{index}].quantity must be an integer >= 1"
            if any(seen["appliance"] == item["appliance"] for seen in items):
                return None, f"appliances[{index}].appliance is repeated"
            items.append({"appliance": item["appliance"], "quantity": quantity})
    return {
        "house": {
            "type": house["type"],
            "dimesion": size,
            "province": province,
        },
        "residents": {
            "adults": residents["adults"],
            "children": residents["children"],
            "elderlies": residents["elderlies"],
        },
        "appliances": items,
    }, None


class DigiwattSimulator(SimulatorBase):
    """A Digiwatt look-alike (see the module docstring).

    ``app`` is the aiohttp application; serve it with
    :func:`simulator.common.start`. The attributes and methods below drive it
    from tests; the same knobs are reachable over HTTP under ``/_sim/``.
    """

    def __init__(self, clock: NowSource | None = None) -> None:
        """Create the simulator; ``clock`` defaults to ``datetime.now(UTC)``."""
        super().__init__(clock, endpoint_of=_endpoint_of)
        self.client_id = DEMO_CLIENT_ID
        self.client_secret = DEMO_CLIENT_SECRET
        self.clients: dict[str, str] = dict(CLIENTS)
        self.token_lifetime = DEFAULT_TOKEN_LIFETIME
        """Seconds a new token lives (``expires_in``), simulator clock."""
        self.retry_after = 60
        """Retry-After seconds of an injected 429."""
        self._tokens: dict[str, IssuedToken] = {}
        self._serial = 0
        self.users: dict[str, UserState] = {}
        self._seed_users()
        self.app = self._build_app()

    # -- state ---------------------------------------------------------------

    def _seed_users(self) -> None:
        self.users.clear()
        created = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
        for supply in CATALOGUE.values():
            if supply.created_by is None:
                continue
            onboarding, _ = validate_onboarding(dict(supply.onboarding))
            self.users[supply.account_number] = UserState(
                account_number=supply.account_number,
                pod=supply.pod,
                company_code=supply.company_code,
                owner=supply.created_by,
                created_at=created,
                profile=supply.profile,
                onboarding=onboarding,
            )

    def count(self, endpoint: str = "") -> int:
        """How many requests hit ``endpoint`` (a name of ``ROUTES``; "" = all)."""
        return sum(
            1 for entry in self.requests if not endpoint or entry.endpoint == endpoint
        )

    def _profile(self, account_number: str) -> Profile:
        user = self.users.get(account_number)
        return user.profile if user is not None else profile_for(account_number)

    # -- ground truth ----------------------------------------------------------

    def _window(
        self, start: datetime | None, end: datetime | None
    ) -> tuple[datetime, datetime]:
        end = floor_slot(self.now()) if end is None else end
        start = end - LATEST_SPAN if start is None else start
        return start, end

    def truth_w(
        self,
        account_number: str,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> dict[datetime, float]:
        """UTC 15-min slot start -> average W (default: what ``latest`` serves)."""
        start, end = self._window(start, end)
        return series(self._profile(account_number), start, end)

    def truth_hourly_kwh(
        self,
        account_number: str,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> dict[datetime, float]:
        """UTC hour start -> kWh, for the whole hours inside the window."""
        start, end = self._window(start, end)
        slots = self.truth_w(account_number, start, end)
        hours: dict[datetime, float] = {}
        hour = start.replace(minute=0, second=0, microsecond=0)
        if hour < start:
            hour += HOUR
        while hour + HOUR <= end:
            hours[hour] = sum(
                slots[hour + i * SLOT] * SLOT_SECONDS / 3_600_000 for i in range(4)
            )
            hour += HOUR
        return hours

    def instant_w(self, account_number: str, at: datetime | None = None) -> float:
        """Instantaneous W (what ``realtime`` serves at ``at``, default now)."""
        return instant_watts(self._profile(account_number), at or self.now())

    def windows(self) -> list[Window]:
        """Return the greenness windows served now: (start, end, share)."""
        return upcoming(self.now())

    # -- misbehaviour ----------------------------------------------------------

    def expire_tokens(self) -> None:
        """Invalidate every token issued so far (next data calls get 401)."""
        self._tokens.clear()

    def reset(self) -> None:
        """Back to a pristine simulator (the clock is kept)."""
        self.harness.faults.clear()
        self.harness.recorder.clear()
        self._tokens.clear()
        self.token_lifetime = DEFAULT_TOKEN_LIFETIME
        self.retry_after = 60
        self.clients = dict(CLIENTS)
        self._seed_users()

    def describe(self, base_url: str) -> str:
        """Human-readable summary (printed by ``python -m simulator digiwatt``)."""
        lines = [
            f"Digiwatt simulator on {base_url}",
            f"Client credentials: {self.client_id} / {self.client_secret}",
            "Supplies (account number, POD, company code):",
        ]
        for supply in CATALOGUE.values():
            user = self.users.get(supply.account_number)
            state = (
                "created and onboarded by " + user.owner
                if user is not None
                else "not created yet"
            )
            lines.append(
                f"  {supply.account_number}  {supply.pod}  {supply.company_code}  "
                f"{supply.title} ({state})"
            )
        lines.append(
            "Any other account number with a valid POD can be created too. "
            f"Token: POST {base_url}/auth/token  controls: {base_url}/_sim/"
        )
        return "\n".join(lines)

    # -- tokens ----------------------------------------------------------------

    def _issue_token(self, client_id: str) -> str:
        now = self.now()
        self._serial += 1
        issued = int(now.timestamp())
        claims = {
            "exp": issued + self.token_lifetime,
            "iat": issued,
            "jti": f"sim-{self._serial}",
            "iss": _ISSUER,
            "typ": "Bearer",
            "azp": client_id,
        }
        signing_input = (
            _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
            + "."
            + _b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        signature = hmac.new(
            _JWT_SECRET, signing_input.encode("ascii"), hashlib.sha256
        ).digest()
        token = f"{signing_input}.{_b64url(signature)}"
        self._tokens[token] = IssuedToken(
            client_id, now + timedelta(seconds=self.token_lifetime)
        )
        return token

    def client_of(self, request: web.Request) -> str | None:
        """Client id behind the request's bearer token, if valid now."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        issued = self._tokens.get(token.strip())
        if issued is None:
            return None
        if issued.expires_at <= self.now():
            del self._tokens[token.strip()]
            return None
        return issued.client_id

    @staticmethod
    def _unauthorized() -> web.Response:
        response = error(401, "invalid_token", "Token is expired or invalid")
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response

    def _failure_body(self, request: web.Request, status: int) -> web.Response:
        """Digiwatt-like body for an injected failure without an explicit body.

        401 ``invalid_token``, 429 with ``Retry-After``, a gateway HTML page
        for 502-504, JSON otherwise. A ``fail_next`` body with status 200
        fakes a broken envelope.
        """
        if status == 401:
            if _endpoint_of(request) == "token":
                return web.json_response(
                    {
                        "error": "invalid_client",
                        "error_description": "Invalid client credentials",
                    },
                    status=401,
                )
            return self._unauthorized()
        if status == 429:
            response = error(429, "rate_limited", "Too many requests")
            response.headers["Retry-After"] = str(self.retry_after)
            return response
        if status in (502, 503, 504):
            page = HTML_ERROR_PAGE.replace("502 Bad Gateway", f"{status} Error")
            return web.Response(
                status=status,
                body=page.encode("ascii"),
                headers={"Content-Type": "text/html"},
            )
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        return error(status, phrase.lower().replace(" ", "_"), phrase)

    # -- app -------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(
            middlewares=[self.harness.log_middleware, self.harness.fault_middleware]
        )
        self.harness.attach(app)
        handlers = {
            "token": self._token,
            "create_user": self._create_user,
            "delete_user": self._delete_user,
            "onboarding": self._onboarding,
            # Fixed paths before the {period} one that would swallow them.
            "realtime": self._realtime,
            "latest": self._latest,
            "consumption": self._consumption,
            "totals": self._totals,
            "performance": self._performance,
            "habits": self._habits,
            "trend": self._trend,
            "distribution": self._distribution,
            "compound": self._compound,
            "saving": self._saving,
            "greenness": self._greenness,
        }
        for name, handler in handlers.items():
            method, path = ROUTES[name]
            app.router.add_route(method, path, _guarded(handler), name=name)
        app.router.add_get("/_sim/users", self._ctl_users)
        app.router.add_get("/_sim/truth", self._ctl_truth)
        app.router.add_get("/_sim/windows", self._ctl_windows)
        self.add_control_routes(app)
        return app

    # -- token / users -----------------------------------------------------------

    async def _token(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        client_id = str(form.get("client_id") or "")
        secret = str(form.get("client_secret") or "")
        grant = str(form.get("grant_type") or "client_credentials")
        if grant != "client_credentials":
            return web.json_response(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Unsupported grant_type",
                },
                status=400,
            )
        if not client_id or not hmac.compare_digest(
            self.clients.get(client_id, "\0").encode(), secret.encode()
        ):
            return web.json_response(
                {
                    "error": "invalid_client",
                    "error_description": "Invalid client or Invalid client credentials",
                },
                status=401,
            )
        request[IDENTITY_KEY] = client_id
        return web.json_response(
            {
                "access_token": self._issue_token(client_id),
                "expires_in": self.token_lifetime,
                "refresh_expires_in": 0,
                "token_type": "Bearer",
                "not-before-policy": 0,
                "scope": "profile email",
            }
        )

    @staticmethod
    async def _json_body(request: web.Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            raise Refusal(
                error(400, "bad_request", "The body is not valid JSON")
            ) from None

    def _authorize(self, request: web.Request) -> str:
        """Return the client behind the bearer token (401 otherwise)."""
        client = self.client_of(request)
        if client is None:
            raise Refusal(self._unauthorized())
        request[IDENTITY_KEY] = client
        return client

    def _owned_user(self, request: web.Request) -> UserState:
        """Return the path's user if the caller's client owns it (401/403/404)."""
        client = self._authorize(request)
        user = self.users.get(request.match_info["account_number"])
        if user is None:
            raise Refusal(error(404, "user_not_found", "User not found"))
        if user.owner != client:
            raise Refusal(error(403, "forbidden", "The user belongs to another client"))
        return user

    async def _create_user(self, request: web.Request) -> web.StreamResponse:
        client = self._authorize(request)
        body = await self._json_body(request)
        if not isinstance(body, dict):
            return error(422, "validation_error", "body must be a JSON object")
        for name in ("pod", "account_number", "company_code"):
            value = body.get(name)
            if not isinstance(value, str) or not value.strip():
                return error(422, "validation_error", f"{name} is required", field=name)
        pod = body["pod"].strip()
        account = body["account_number"].strip()
        company = body["company_code"].strip()
        if not _POD.fullmatch(pod):
            return error(422, "validation_error", "pod is not a valid POD", field="pod")
        if account in self.users:
            return error(409, "user_exists", "A user with this account number exists")
        known = CATALOGUE.get(account)
        if known is not None and (known.pod != pod or known.company_code != company):
            return error(
                422,
                "validation_error",
                "pod and company_code do not match the account number",
                field="pod",
            )
        user = UserState(
            account_number=account,
            pod=pod,
            company_code=company,
            owner=client,
            created_at=self.now(),
            profile=profile_for(account),
        )
        self.users[account] = user
        return envelope(user.as_json())

    async def _delete_user(self, request: web.Request) -> web.StreamResponse:
        user = self._owned_user(request)
        del self.users[user.account_number]
        return envelope({"account_number": user.account_number, "deleted": True})

    async def _onboarding(self, request: web.Request) -> web.StreamResponse:
        user = self._owned_user(request)
        body = await self._json_body(request)
        onboarding, problem = validate_onboarding(body)
        if onboarding is None:
            return error(422, "validation_error", problem or "invalid body")
        user.onboarding = onboarding
        return envelope({"account_number": user.account_number, **onboarding})

    # -- data ----------------------------------------------------------------

    def _data_user(self, request: web.Request) -> UserState:
        """Return the path's onboarded user (401/403/404/409 otherwise)."""
        user = self._owned_user(request)
        if user.onboarding is None:
            raise Refusal(
                error(409, "onboarding_required", "Complete the onboarding first")
            )
        return user

    def _period_user(self, request: web.Request) -> tuple[UserState, Span]:
        """Return the onboarded user and the path's period (400 if unknown)."""
        self._authorize(request)
        name = request.match_info["period"]
        if name not in PERIODS:
            raise Refusal(
                error(
                    400, "invalid_period", "period must be one of " + ", ".join(PERIODS)
                )
            )
        return self._data_user(request), period_span(name, self.now())

    @staticmethod
    def _head(request: web.Request, span: Span) -> dict[str, Any]:
        return {
            "period": request.match_info["period"],
            "from": _iso(span.start),
            "to": _iso(span.end),
        }

    @staticmethod
    def _by_appliance(user: UserState, sums: Sums, total: int) -> dict[str, int]:
        raw = attribute(sums.component_wh, user.appliances)
        return dict(zip(raw, largest_remainder(list(raw.values()), total), strict=True))

    async def _consumption(self, request: web.Request) -> web.StreamResponse:
        user, span = self._period_user(request)
        sums = totals(user.profile, span.start, span.end)
        total = round(sums.wh)
        hours = (span.end - span.start).total_seconds() / 3600
        appliances = [
            {
                "appliance": name,
                "power": round(wh / hours, 2) if hours else 0.0,
                "share": round(wh / total, 4) if total else 0.0,
            }
            for name, wh in self._by_appliance(user, sums, total).items()
        ]
        return envelope(
            {**self._head(request, span), "unit": "W", "appliances": appliances}
        )

    async def _totals(self, request: web.Request) -> web.StreamResponse:
        user, span = self._period_user(request)
        sums = totals(user.profile, span.start, span.end)
        total = round(sums.wh)
        previous = round(
            totals(user.profile, span.previous_start, span.previous_end).wh
        )
        return envelope(
            {
                **self._head(request, span),
                "unit": "Wh",
                "total": total,
                "previous": previous,
                "variation": round((total - previous) * 100 / previous, 1)
                if previous
                else None,
                "appliances": [
                    {"appliance": name, "energy": wh}
                    for name, wh in self._by_appliance(user, sums, total).items()
                ],
            }
        )

    async def _realtime(self, request: web.Request) -> web.StreamResponse:
        user = self._data_user(request)
        now = self.now()
        minute = now.replace(second=0, microsecond=0)
        return envelope(
            {"power": instant_watts(user.profile, now), "timestamp": _iso(minute)}
        )

    async def _latest(self, request: web.Request) -> web.StreamResponse:
        user = self._data_user(request)
        end = floor_slot(self.now())
        start = end - LATEST_SPAN
        values = [
            {"start": _iso(slot), "power": watts}
            for slot, watts in series(user.profile, start, end).items()
        ]
        return envelope(
            {"step": "PT15M", "from": _iso(start), "to": _iso(end), "values": values}
        )

    async def _performance(self, request: web.Request) -> web.StreamResponse:
        user, span = self._period_user(request)
        mine = round(totals(user.profile, span.start, span.end).wh)
        key = (
            user.account_number,
            request.match_info["period"],
            span.start.isoformat(),
        )
        low, high, mean, homes = (
            noise.unit("digiwatt-perf", *key, i) for i in range(4)
        )
        return envelope(
            {
                **self._head(request, span),
                "unit": "Wh",
                "min": round(mine * (0.45 + 0.15 * low)),
                "max": round(mine * (1.6 + 0.5 * high)),
                "average": round(mine * (0.85 + 0.3 * mean)),
                "user": mine,
                "similar_homes": 25 + int(50 * homes),
            }
        )

    async def _habits(self, request: web.Request) -> web.StreamResponse:
        user, span = self._period_user(request)
        sums = totals(user.profile, span.start, span.end)
        total = round(sums.wh)
        night, morning, afternoon, evening = largest_remainder(sums.tod_wh, total)
        weekday, weekend = largest_remainder([sums.weekday_wh, sums.weekend_wh], total)
        return envelope(
            {
                **self._head(request, span),
                "unit": "Wh",
                "time_of_day": {
                    "night": night,
                    "morning": morning,
                    "afternoon": afternoon,
                    "evening": evening,
                },
                "day_type": {"weekday": weekday, "weekend": weekend},
            }
        )

    def _months(
        self, user: UserState
    ) -> list[tuple[date, int, list[int], dict[str, int]]]:
        """(month, total Wh, [F1, F2, F3] Wh, Wh by appliance) for 12 months."""
        out = []
        for month, start, end in twelve_months(self.now()):
            sums = totals(user.profile, start, end)
            total = round(sums.wh)
            out.append(
                (
                    month,
                    total,
                    largest_remainder(sums.band_wh, total),
                    self._by_appliance(user, sums, total),
                )
            )
        return out

    async def _trend(self, request: web.Request) -> web.StreamResponse:
        user = self._data_user(request)
        months = [
            {"month": month.strftime("%Y-%m"), "f1": f1, "f2": f2, "f3": f3}
            for month, _, (f1, f2, f3), _ in self._months(user)
        ]
        return envelope({"unit": "Wh", "months": months})

    async def _distribution(self, request: web.Request) -> web.StreamResponse:
        user = self._data_user(request)
        months = self._months(user)
        grand = sum(total for _, total, _, _ in months)
        by_appliance: dict[str, int] = {}
        for _, _, _, split in months:
            for name, wh in split.items():
                by_appliance[name] = by_appliance.get(name, 0) + wh
        return envelope(
            {
                "unit": "Wh",
                "from": months[0][0].strftime("%Y-%m"),
                "to": months[-1][0].strftime("%Y-%m"),
                "appliances": [
                    {
                        "appliance": name,
                        "energy": wh,
                        "share": round(wh / grand, 4) if grand else 0.0,
                    }
                    for name, wh in by_appliance.items()
                ],
            }
        )

    async def _compound(self, request: web.Request) -> web.StreamResponse:
        user = self._data_user(request)
        months = [
            {
                "month": month.strftime("%Y-%m"),
                "appliances": [
                    {"appliance": name, "energy": wh} for name, wh in split.items()
                ],
            }
            for month, _, _, split in self._months(user)
        ]
        return envelope({"unit": "Wh", "months": months})

    async def _saving(self, request: web.Request) -> web.StreamResponse:
        user = self._data_user(request)
        today = self.now().astimezone(ROME).date()
        start = local_midnight(today - timedelta(days=30))
        end = local_midnight(today)
        sums = totals(user.profile, start, end)
        energy = round(sums.wh)
        cost = sum(
            wh / 1000 * price
            for wh, price in zip(sums.band_wh, PRICES_EUR_KWH, strict=True)
        )
        saved = round(energy * 0.08)
        shift = sums.band_wh[0] / 1000 * 0.2 * (PRICES_EUR_KWH[0] - PRICES_EUR_KWH[2])
        return envelope(
            {
                "from": _iso(start),
                "to": _iso(end),
                "days": 30,
                "energy": energy,
                "cost": round(cost, 2),
                "co2": round(energy / 1000 * CO2_KG_KWH, 2),
                "saving": {
                    "energy": saved,
                    "cost": round(saved / 1000 * PRICES_EUR_KWH[1] + shift, 2),
                },
            }
        )

    async def _greenness(self, request: web.Request) -> web.StreamResponse:
        self._authorize(request)
        return envelope(
            {
                "windows": [
                    {
                        "start": _iso(start),
                        "stop": _iso(end),
                        "percentage": round(share * 100, 1),
                    }
                    for start, end, share in self.windows()
                ]
            }
        )

    # -- control endpoints -------------------------------------------------------

    async def _ctl_users(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "users": [
                    {
                        **user.as_json(),
                        "owner": user.owner,
                        "onboarding": user.onboarding,
                    }
                    for user in self.users.values()
                ],
                "catalogue": [
                    {
                        "account_number": supply.account_number,
                        "pod": supply.pod,
                        "company_code": supply.company_code,
                        "title": supply.title,
                    }
                    for supply in CATALOGUE.values()
                ],
            }
        )

    async def _ctl_truth(self, request: web.Request) -> web.StreamResponse:
        account = request.query.get("account_number", "")
        if not account:
            return web.json_response(
                {"error": "account_number is required"}, status=400
            )
        try:
            start = parse_instant(request.query.get("start"))
            end = parse_instant(request.query.get("end"))
        except ValueError as err:
            return web.json_response({"error": str(err)}, status=400)
        truth = self.truth_w(account, start, end)
        return web.json_response(
            [
                {"start": slot.isoformat(), "power": watts}
                for slot, watts in truth.items()
            ]
        )

    async def _ctl_windows(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            [
                {"start": start.isoformat(), "end": end.isoformat(), "share": share}
                for start, end, share in self.windows()
            ]
        )

    async def _ctl_faults_get(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "pending": self.harness.faults.pending(),
                "latency": self.harness.faults.latencies(),
                "token_lifetime": self.token_lifetime,
                "retry_after": self.retry_after,
            }
        )

    def _apply_provider_action(self, kind: object, action: Mapping[str, Any]) -> bool:
        """Digiwatt actions of ``POST /_sim/faults``.

        ``{"action": "token_lifetime", "seconds"}``,
        ``{"action": "retry_after", "seconds"}``, ``{"action": "expire_tokens"}``.
        """
        if kind == "token_lifetime":
            self.token_lifetime = int(action["seconds"])
        elif kind == "retry_after":
            self.retry_after = int(action["seconds"])
        elif kind == "expire_tokens":
            self.expire_tokens()
        else:
            return False
        return True
