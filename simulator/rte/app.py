"""The RTE data portal simulator: OAuth2 tokens, forecasts and EcoWatt.

Serves, in RTE's formats:

* ``POST /token/oauth/``: client credentials in HTTP Basic (or in the form),
  ``{"access_token", "token_type": "Bearer", "expires_in": 7200}``; wrong
  credentials answer 401 ``invalid_client``;
* ``GET /open_api/generation_forecast/v3/forecasts`` (``production_type``
  comma list, ``type=D-1``, ``start_date``/``end_date``): 15-minute values;
* ``GET /open_api/consumption/v1/short_term`` (``type=D-1``, dates):
  30-minute values;
* ``GET /open_api/ecowatt/v5/signals``: today to J+3, one call per 15
  minutes per application (429 with ``Retry-After`` otherwise).

Every data call needs a valid bearer token (401 ``invalid_token``) and the
application's subscription to that API (403). The D-1 forecast of a day is
published at ``publication`` (18:00 Paris) the day before; before that the
day has no values, and a range without any value answers 404. Controls
under ``/_sim/``: ``requests``, ``faults``, ``reset``, ``clock``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any, Final

from aiohttp import web

from simulator.common import IDENTITY_KEY, NowSource, SimulatorBase, json_bytes, noise
from simulator.common.server import default_endpoint_of
from simulator.odre.france import PARIS

from .forecast import (
    CONSUMPTION_STEP,
    GENERATION_STEP,
    PRODUCTION_TYPES,
    consumption,
    ecowatt_day_value,
    ecowatt_level,
    generation,
)

TOKEN_PATH: Final = "/token/oauth/"
GENERATION_PATH: Final = "/open_api/generation_forecast/v3/forecasts"
CONSUMPTION_PATH: Final = "/open_api/consumption/v1/short_term"
ECOWATT_PATH: Final = "/open_api/ecowatt/v5/signals"

DEMO_CLIENT_ID: Final = "gridmeter-demo-rte"
DEMO_CLIENT_SECRET: Final = "gridmeter-demo-rte-secret"
FORECASTS_ONLY_CLIENT_ID: Final = "gridmeter-forecasts-only"
FORECASTS_ONLY_CLIENT_SECRET: Final = "gridmeter-forecasts-only-secret"

GENERATION_API: Final = "generation_forecast"
CONSUMPTION_API: Final = "consumption"
ECOWATT_API: Final = "ecowatt"
ALL_APIS: Final = frozenset({GENERATION_API, CONSUMPTION_API, ECOWATT_API})

DEFAULT_TOKEN_LIFETIME: Final = 7200
DEFAULT_PUBLICATION: Final = time(18, 0)
ECOWATT_INTERVAL: Final = timedelta(minutes=15)
HORIZON_DAYS: Final = 3
MAX_SPAN: Final = timedelta(days=14)
FORECAST_TYPE: Final = "D-1"
ECOWATT_DAYS: Final = 4
ECOWATT_GENERATION: Final = time(17, 0)
_MESSAGES: Final = {
    1: "Pas d'alerte.",
    2: "Système électrique tendu. Les écogestes sont les bienvenus.",
    3: "Système électrique très tendu. Coupures inévitables si nous ne baissons pas notre consommation.",
}

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def rte_error(status: int, error: str, description: str) -> web.Response:
    """Answer an RTE portal error."""
    body = {
        "error": error,
        "error_description": description,
        "error_uri": "",
        "error_details": {
            "transaction_id": f"Id-{noise.hash64(error, description):016x}"
        },
    }
    return web.Response(
        status=status,
        body=json_bytes(body),
        headers={"Content-Type": "application/json"},
    )


def _endpoint_of(request: web.Request) -> str:
    name = request.match_info.route.name
    return name if name else default_endpoint_of(request)


def _instant(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


def _paris(instant: datetime) -> str:
    return instant.astimezone(PARIS).isoformat()


@dataclass(frozen=True, slots=True)
class Issued:
    """A token handed out by the token endpoint."""

    client_id: str
    expires_at: datetime


class RteSimulator(SimulatorBase):
    """An RTE data portal look-alike (token, forecasts, EcoWatt)."""

    def __init__(self, clock: NowSource | None = None) -> None:
        """Create the simulator; ``clock`` defaults to the system clock."""
        super().__init__(clock, endpoint_of=_endpoint_of)
        self.clients: dict[str, str] = {}
        self.subscriptions: dict[str, frozenset[str]] = {}
        self.token_lifetime = DEFAULT_TOKEN_LIFETIME
        self.publication = DEFAULT_PUBLICATION
        self.enforce_ecowatt_interval = True
        self._tokens: dict[str, Issued] = {}
        self._serial = 0
        self._last_ecowatt: dict[str, datetime] = {}
        self._demo_clients()
        self.app = self._build_app()

    def _demo_clients(self) -> None:
        self.clients = {
            DEMO_CLIENT_ID: DEMO_CLIENT_SECRET,
            FORECASTS_ONLY_CLIENT_ID: FORECASTS_ONLY_CLIENT_SECRET,
        }
        self.subscriptions = {
            DEMO_CLIENT_ID: ALL_APIS,
            FORECASTS_ONLY_CLIENT_ID: frozenset({GENERATION_API, CONSUMPTION_API}),
        }

    # -- publication ---------------------------------------------------------------

    def published_at(self, day: date) -> datetime:
        """When the D-1 forecasts of ``day`` appear (UTC)."""
        moment = datetime.combine(day - timedelta(days=1), self.publication, PARIS)
        return moment.astimezone(UTC)

    def is_published(self, day: date) -> bool:
        """Tell whether the D-1 forecasts of ``day`` are served now."""
        today = self.now().astimezone(PARIS).date()
        return self.published_at(day) <= self.now() and day <= today + timedelta(
            days=HORIZON_DAYS
        )

    def expire_tokens(self) -> None:
        """Invalidate every token issued so far (next data calls get 401)."""
        self._tokens.clear()

    @property
    def tokens_issued(self) -> int:
        """How many tokens the token endpoint has handed out."""
        return self._serial

    def reset(self) -> None:
        """Back to a pristine simulator (the clock is kept)."""
        self.harness.faults.clear()
        self.harness.recorder.clear()
        self.token_lifetime = DEFAULT_TOKEN_LIFETIME
        self.publication = DEFAULT_PUBLICATION
        self.enforce_ecowatt_interval = True
        self._tokens.clear()
        self._serial = 0
        self._last_ecowatt.clear()
        self._demo_clients()

    def describe(self, base_url: str) -> str:
        """Banner printed by ``python -m simulator rte``."""
        return (
            f"RTE data portal simulator on {base_url}\n"
            f"  client id / secret: {DEMO_CLIENT_ID} / {DEMO_CLIENT_SECRET}\n"
            f"  token: POST {base_url}{TOKEN_PATH}\n"
            f"  APIs: {GENERATION_PATH}, {CONSUMPTION_PATH}, {ECOWATT_PATH}\n"
            f"  controls: {base_url}/_sim/"
        )

    # -- tokens ----------------------------------------------------------------------

    async def _credentials(self, request: web.Request) -> tuple[str, str]:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "basic" and encoded:
            try:
                pair = base64.b64decode(encoded.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return "", ""
            client_id, _, secret = pair.partition(":")
            return client_id, secret
        form = await request.post()
        return str(form.get("client_id", "")), str(form.get("client_secret", ""))

    async def _token(self, request: web.Request) -> web.StreamResponse:
        client_id, secret = await self._credentials(request)
        if not client_id or self.clients.get(client_id) != secret:
            return rte_error(
                401,
                "invalid_client",
                "Client authentication failed (e.g. unknown client, no client "
                "authentication included, or unsupported authentication method).",
            )
        request[IDENTITY_KEY] = client_id
        self._serial += 1
        token = "".join(
            f"{noise.hash64('rte-token', client_id, self._serial, part):016x}"
            for part in range(3)
        )
        self._tokens[token] = Issued(
            client_id, self.now() + timedelta(seconds=self.token_lifetime)
        )
        return web.json_response(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
            }
        )

    def _guard(
        self,
        api: str,
        handler: Callable[[web.Request, str], Awaitable[web.StreamResponse]],
    ) -> Handler:
        """Check the bearer token and the subscription, then run ``handler``."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            issued = (
                self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
            )
            if issued is None or issued.expires_at <= self.now():
                return rte_error(
                    401, "invalid_token", "The access token is invalid or has expired"
                )
            request[IDENTITY_KEY] = issued.client_id
            if api not in self.subscriptions.get(issued.client_id, frozenset()):
                return rte_error(
                    403,
                    "APP_NOT_SUBSCRIBED",
                    f"The application is not subscribed to the {api} API",
                )
            return await handler(request, issued.client_id)

        return guarded

    # -- forecasts -------------------------------------------------------------------

    def _span(self, request: web.Request) -> tuple[datetime, datetime] | web.Response:
        query = request.query
        if query.get("type") != FORECAST_TYPE:
            return rte_error(400, "F01", "type: this simulator serves D-1 forecasts")
        start = _instant(query.get("start_date", ""))
        end = _instant(query.get("end_date", ""))
        if start is None or end is None or not start < end <= start + MAX_SPAN:
            return rte_error(
                400,
                "F02",
                "start_date and end_date must be ISO 8601 dates with offset, "
                "end after start, at most 14 days apart",
            )
        return start, end

    def _values(
        self,
        start: datetime,
        end: datetime,
        step: timedelta,
        value: Callable[[datetime], int],
    ) -> list[dict[str, Any]]:
        values: list[dict[str, Any]] = []
        epoch = datetime(2000, 1, 1, tzinfo=UTC)
        cursor = (
            epoch + -((epoch - start) // step) * step
        )  # first step boundary >= start
        while cursor + step <= end:
            day = cursor.astimezone(PARIS).date()
            if self.is_published(day):
                values.append(
                    {
                        "start_date": _paris(cursor),
                        "end_date": _paris(cursor + step),
                        "updated_date": _paris(self.published_at(day)),
                        "value": value(cursor),
                    }
                )
            cursor += step
        return values

    async def _generation(
        self, request: web.Request, client_id: str
    ) -> web.StreamResponse:
        span = self._span(request)
        if isinstance(span, web.Response):
            return span
        start, end = span
        kinds = [
            kind.strip() for kind in request.query.get("production_type", "").split(",")
        ]
        if not all(kind in PRODUCTION_TYPES for kind in kinds):
            return rte_error(
                400, "F03", "production_type: SOLAR, WIND_ONSHORE, WIND_OFFSHORE"
            )
        forecasts = []
        for kind in dict.fromkeys(kinds):
            values = self._values(
                start, end, GENERATION_STEP, partial(generation, kind)
            )
            if values:
                forecasts.append(
                    {
                        "start_date": _paris(start),
                        "end_date": _paris(end),
                        "type": FORECAST_TYPE,
                        "production_type": kind,
                        "values": values,
                    }
                )
        if not forecasts:
            return rte_error(404, "F04", "No data available for the requested period")
        return web.json_response({"forecasts": forecasts})

    async def _consumption(
        self, request: web.Request, client_id: str
    ) -> web.StreamResponse:
        span = self._span(request)
        if isinstance(span, web.Response):
            return span
        start, end = span
        values = self._values(start, end, CONSUMPTION_STEP, consumption)
        if not values:
            return rte_error(404, "F04", "No data available for the requested period")
        return web.json_response(
            {
                "short_term": [
                    {
                        "type": FORECAST_TYPE,
                        "start_date": _paris(start),
                        "end_date": _paris(end),
                        "values": values,
                    }
                ]
            }
        )

    # -- EcoWatt ---------------------------------------------------------------------

    def generated_at(self) -> datetime:
        """When the signals being served were generated (the last 17:00 Paris)."""
        local = self.now().astimezone(PARIS)
        day = (
            local.date()
            if local.time() >= ECOWATT_GENERATION
            else local.date() - timedelta(days=1)
        )
        return datetime.combine(day, ECOWATT_GENERATION, PARIS)

    async def _ecowatt(
        self, request: web.Request, client_id: str
    ) -> web.StreamResponse:
        now = self.now()
        last = self._last_ecowatt.get(client_id)
        if (
            self.enforce_ecowatt_interval
            and last is not None
            and now - last < ECOWATT_INTERVAL
        ):
            response = rte_error(
                429, "TOO_MANY_REQUESTS", "One call every 15 minutes is allowed"
            )
            wait = ECOWATT_INTERVAL - (now - last)
            response.headers["Retry-After"] = str(int(wait.total_seconds()) + 1)
            return response
        self._last_ecowatt[client_id] = now
        today = now.astimezone(PARIS).date()
        generated = self.generated_at().isoformat()
        signals = []
        for offset in range(ECOWATT_DAYS):
            day = today + timedelta(days=offset)
            signals.append(
                {
                    "GenerationFichier": generated,
                    "jour": datetime.combine(day, time(0), PARIS).isoformat(),
                    "dvalue": ecowatt_day_value(day),
                    "message": _MESSAGES[ecowatt_day_value(day)],
                    "values": [
                        {"pas": hour, "hvalue": ecowatt_level(day, hour)}
                        for hour in range(24)
                    ],
                }
            )
        return web.json_response({"signals": signals})

    # -- app -------------------------------------------------------------------------

    def _failure_body(self, request: web.Request, status: int) -> web.Response:
        if status == 401:
            return rte_error(
                401, "invalid_token", "The access token is invalid or has expired"
            )
        if status == 429:
            response = rte_error(429, "TOO_MANY_REQUESTS", "Too many requests")
            response.headers["Retry-After"] = "900"
            return response
        if status >= 500:
            return rte_error(status, "COMMON_ERROR_T03", "Error code unknown")
        return rte_error(status, "COMMON_ERROR_F01", f"HTTP {status}")

    def _build_app(self) -> web.Application:
        app = web.Application(
            middlewares=[self.harness.log_middleware, self.harness.fault_middleware]
        )
        self.harness.attach(app)
        app.router.add_post(TOKEN_PATH, self._token, name="token")
        app.router.add_get(
            GENERATION_PATH,
            self._guard(GENERATION_API, self._generation),
            name="forecasts",
        )
        app.router.add_get(
            CONSUMPTION_PATH,
            self._guard(CONSUMPTION_API, self._consumption),
            name="short_term",
        )
        app.router.add_get(
            ECOWATT_PATH, self._guard(ECOWATT_API, self._ecowatt), name="signals"
        )
        self.add_control_routes(app)
        return app

    async def _ctl_faults_get(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "pending": self.harness.faults.pending(),
                "latency": self.harness.faults.latencies(),
                "token_lifetime": self.token_lifetime,
                "publication": self.publication.isoformat(),
                "tokens_issued": self.tokens_issued,
            }
        )

    def _apply_provider_action(self, kind: object, action: Mapping[str, Any]) -> bool:
        """RTE actions of ``POST /_sim/faults``.

        ``{"action": "token_lifetime", "seconds"}``, ``{"action": "expire_tokens"}``,
        ``{"action": "publication", "time": "HH:MM"}``.
        """
        if kind == "token_lifetime":
            self.token_lifetime = int(action["seconds"])
        elif kind == "expire_tokens":
            self.expire_tokens()
        elif kind == "publication":
            self.publication = time.fromisoformat(str(action["time"]))
        else:
            return False
        return True
