"""The Datadis simulator: routes, authentication, the 24 h rule and controls.

One base URL serves everything, like ``https://datadis.es``:

* ``POST /nikola-auth/tokens/login`` (form ``username``, ``password``)
* ``GET /api-private/api/get-supplies-v2`` (and v1 ``get-supplies``)
* ``GET /api-private/api/get-contract-detail-v2`` (and v1)
* ``GET /api-private/api/get-consumption-data-v2`` (and v1)
* ``GET /api-private/api/get-max-power-v2`` (and v1)
* ``GET /api-private/api/get-reactive-data-v2``
* ``GET /api-private/api/get-distributors-with-supplies-v2``
* ``GET /api-public/api-search``
* control endpoints under ``/_sim/`` (JSON): ``accounts``, ``truth``,
  ``peaks``, ``requests``, ``faults`` (GET state / POST actions), ``reset``,
  ``clock``.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import hashlib
import hmac
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from simulator.common import (
    IDENTITY_KEY,
    NowSource,
    SimulatorBase,
    is_control,
    json_bytes,
    parse_instant,
    require_instant,
)
from simulator.common.server import HTML_ERROR_PAGE, bind_middleware

from .data import DatadisData, HourTruth, PeakTruth, add_months, month_range, utc_hour
from .households import (
    DISTRIBUTORS,
    ContractTerm,
    DemoAccount,
    Household,
    demo_accounts,
)
from .public import PublicQueryError, search

LOGIN_PATH = "/nikola-auth/tokens/login"
PRIVATE_PREFIX = "/api-private/api/"
PUBLIC_SEARCH_PATH = "/api-public/api-search"
TEXT_PLAIN = "text/plain;charset=UTF-8"
TOKEN_LIFETIME = timedelta(hours=24)
RULE_WINDOW = timedelta(hours=24)
MADRID = ZoneInfo("Europe/Madrid")

MSG_DATES = (
    "Fechas incorrectas revise: Formato de fechas YYYY/MM, las fechas deben ser "
    "anteriores o iguales al mes actual, fecha inicio no superior a fecha fin. "
    "La fecha inicio no puede ser superior a dos años."
)
MSG_HEADER = (
    "Parámetro en cabecera requerido en estado vacío, con formato erróneo o con "
    "valores fuera de rango"
)
MSG_PARAMETER = (
    "Parámetro requerido en estado vacío, con formato erróneo, o con valores "
    "fuera de rango / Parámetro de ordenación erróneo"
)
MSG_POINT_TYPE = "PointType incorrecto "
MSG_NOT_AUTHORIZED = "No se encuentra autorizado el cups introducido"
MSG_NO_SUPPLIES = "No supplies"
MSG_NO_AUTHORIZED_SUPPLIES = "No authorized supplies"
MSG_ALREADY_QUERIED = "Consulta ya realizada en las últimas 24 horas."
MSG_FORBIDDEN = "403 Forbidden"

GUARDED_ENDPOINTS = frozenset(
    {
        "get-consumption-data",
        "get-consumption-data-v2",
        "get-max-power",
        "get-max-power-v2",
        "get-reactive-data-v2",
    }
)
"""Endpoints subject to the 24 h identical-query rule."""

_MONTH = re.compile(r"^(\d{4})/(\d{2})$")
_JWT_SECRET = b"gridmeter-datadis-simulator"

type RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# ---------------------------------------------------------------------------
# Small response helpers
# ---------------------------------------------------------------------------


def text_response(status: int, text: str) -> web.Response:
    """Answer ``text/plain;charset=UTF-8`` (how Datadis sends most things)."""
    return web.Response(
        status=status, body=text.encode("utf-8"), headers={"Content-Type": TEXT_PLAIN}
    )


def data_response(payload: object, status: int = 200) -> web.Response:
    """JSON served with the ``text/plain`` content type, as Datadis does."""
    return web.Response(
        status=status, body=json_bytes(payload), headers={"Content-Type": TEXT_PLAIN}
    )


def empty_response(status: int) -> web.Response:
    """Answer without a body (e.g. the 500 for a missing parameter)."""
    return web.Response(status=status, body=b"")


def spring_timestamp(now: datetime, tz: ZoneInfo | None = None) -> str:
    """Spring's timestamp style: ``2026-09-30T00:22:50.912+0000``."""
    local = now.astimezone(tz or UTC)
    return (
        local.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{local.microsecond // 1000:03d}"
        + (local.strftime("%z"))
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token handed out by the login endpoint."""

    username: str
    issued_at: datetime
    expires_at: datetime


# ---------------------------------------------------------------------------
# The simulator
# ---------------------------------------------------------------------------


class DatadisSimulator(SimulatorBase):
    """A Datadis look-alike over fictional households (see :mod:`.households`).

    ``app`` is the aiohttp application; serve it with
    :func:`simulator.common.start`. The attributes and methods below drive it
    from tests; the same knobs are reachable over HTTP under ``/_sim/``.
    """

    def __init__(self, clock: NowSource | None = None) -> None:
        """Create the simulator; ``clock`` defaults to ``datetime.now(UTC)``."""
        super().__init__(clock)
        self.data = DatadisData()
        self.accounts: dict[str, DemoAccount] = demo_accounts()
        self.enforce_24h_rule = True
        """Answer 429 to an identical guarded query within 24 h (clock time)."""
        self.bad_credentials_status = 500
        """500 (what Datadis does) or 401 for a wrong username/password."""
        self._tokens: dict[str, IssuedToken] = {}
        self._token_serial = 0
        self._ledger: dict[tuple[str, str, tuple[tuple[str, str], ...]], datetime] = {}
        self.app = self._build_app()

    # -- clock, data knobs -------------------------------------------------

    @property
    def publication_delay(self) -> timedelta:
        """Data is published up to local midnight ending the day ``today - delay``."""
        return self.data.state.publication_delay

    @publication_delay.setter
    def publication_delay(self, value: timedelta) -> None:
        if value < timedelta(0):
            raise ValueError("publication_delay must not be negative")
        self.data.state.publication_delay = value

    @property
    def estimated_recent_days(self) -> int:
        """Serve the last N published days as ``Estimada`` (0 = all ``Real``)."""
        return self.data.state.estimated_recent_days

    @estimated_recent_days.setter
    def estimated_recent_days(self, value: int) -> None:
        if value < 0:
            raise ValueError("estimated_recent_days must not be negative")
        self.data.state.estimated_recent_days = value

    def _household(self, cups: str) -> Household:
        household = self.data.household(cups)
        if household is None:
            raise KeyError(f"unknown CUPS {cups!r}")
        return household

    def truth(self, cups: str) -> dict[datetime, HourTruth]:
        """Return served values by UTC hour start, 25 months back to the horizon."""
        return self.data.truth(cups, self.now())

    def peaks(self, cups: str) -> list[PeakTruth]:
        """Monthly peaks per period as get-max-power serves them now."""
        return self.data.peaks(cups, self.now())

    # -- misbehaviour ------------------------------------------------------

    def distributor_error(
        self, cups: str, months: set[str] | None = None, *, partial: bool = False
    ) -> None:
        """Make queries touching ``months`` (None: all) report a distributor error.

        Consumption and max-power answers become a 200 with an empty list and a
        ``distributorError`` item; with ``partial`` they keep the rows still
        served (combine with ``missing_days`` for the hole the distributor
        failed to fill). An empty set clears it.
        """
        household = self._household(cups)
        self.data.state.partial_distributor_errors.discard(household.cups)
        if months is not None and not months:
            self.data.state.distributor_errors.pop(household.cups, None)
        else:
            if partial:
                self.data.state.partial_distributor_errors.add(household.cups)
            self.data.state.distributor_errors[household.cups] = (
                None if months is None else frozenset(months)
            )

    def fail_months(self, cups: str, months: set[str], status: int = 500) -> None:
        """Fail every consumption / max-power range that includes one of ``months``.

        Such queries answer ``status`` (models a distributor failing the first
        month of a contract); an empty set clears it.
        """
        household = self._household(cups)
        if not months:
            self.data.state.failing_months.pop(household.cups, None)
        else:
            self.data.state.failing_months[household.cups] = (frozenset(months), status)

    def stray_rows(self, cups: str, days: set[date]) -> None:
        """Add the i-DE stray ``00:00`` row to these local days (replaces).

        Incomplete days too, such as today's with ``publication_delay`` 0.
        """
        household = self._household(cups)
        if days:
            self.data.state.stray_days[household.cups] = set(days)
        else:
            self.data.state.stray_days.pop(household.cups, None)

    def fail_supplies_of(self, distributor_codes: set[str]) -> None:
        """Leave these distributors' supplies out of get-supplies.

        Each one left out is reported in ``distributorError``; an empty set
        clears it.
        """
        self.data.state.failing_supply_distributors = set(distributor_codes)

    def override_contract(self, cups: str, **fields: Any) -> None:
        """Serve these contract fields (Datadis names) for ``cups``.

        E.g. ``codeFare="3T"``; no field restores the household's contract.
        """
        household = self._household(cups)
        if fields:
            self.data.state.contract_overrides[household.cups] = dict(fields)
        else:
            self.data.state.contract_overrides.pop(household.cups, None)

    def missing_days(self, cups: str, days: set[date]) -> None:
        """Serve no rows for these local days (replaces the previous set)."""
        household = self._household(cups)
        if days:
            self.data.state.missing_days[household.cups] = set(days)
        else:
            self.data.state.missing_days.pop(household.cups, None)

    def null_hours(self, cups: str, hours: set[datetime]) -> None:
        """Serve ``consumptionKWh: null`` for these UTC hour starts (replaces)."""
        household = self._household(cups)
        if hours:
            self.data.state.null_hours[household.cups] = {utc_hour(h) for h in hours}
        else:
            self.data.state.null_hours.pop(household.cups, None)

    def revise(self, cups: str, day: date, factor: float) -> None:
        """Serve local ``day`` with every value multiplied by ``factor`` (Real).

        The factor applies to the modelled values (a second call replaces it).
        """
        household = self._household(cups)
        if factor < 0:
            raise ValueError("factor must not be negative")
        self.data.state.revisions.setdefault(household.cups, {})[day] = factor

    def expire_tokens(self) -> None:
        """Invalidate every token issued so far (next data calls get 401)."""
        self._tokens.clear()

    def reset(self) -> None:
        """Back to a pristine simulator (the clock is kept)."""
        self.harness.faults.clear()
        self.harness.recorder.clear()
        self.data.reset()
        self._tokens.clear()
        self._ledger.clear()
        self.enforce_24h_rule = True
        self.bad_credentials_status = 500

    def describe(self, base_url: str) -> str:
        """Human-readable summary (printed by ``python -m simulator datadis``)."""
        lines = [f"Datadis simulator on {base_url}", "Demo accounts:"]
        for account in self.accounts.values():
            lines.append(
                f"  {account.username} / {account.password}  {account.description}"
            )
            for cups in account.supplies:
                household = self._household(cups)
                lines.append(
                    f"      {cups}  {household.title} "
                    f"(distributorCode {household.distributor_code})"
                )
            lines.extend(
                f"      {cups}  via authorizedNif={nif}"
                for nif, cups_list in account.authorized.items()
                for cups in cups_list
            )
        lines.append(
            f"Login: POST {base_url}{LOGIN_PATH}  "
            f"API: {base_url}{PRIVATE_PREFIX}  controls: {base_url}/_sim/"
        )
        return "\n".join(lines)

    # -- tokens ------------------------------------------------------------

    def _issue_token(self, username: str) -> str:
        now = self.now()
        self._token_serial += 1
        issued = int(now.timestamp())
        header = {"alg": "HS512"}
        claims = {
            "sub": username,
            "authorities": ["ROLE_API"],
            "publicUser": False,
            "environment": "simulator",
            "jti": self._token_serial,
            "iat": issued,
            "exp": issued + int(TOKEN_LIFETIME.total_seconds()),
        }
        signing_input = (
            _b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        signature = hmac.new(
            _JWT_SECRET, signing_input.encode("ascii"), hashlib.sha512
        ).digest()
        token = f"{signing_input}.{_b64url(signature)}"
        issued_at = datetime.fromtimestamp(issued, UTC)
        self._tokens[token] = IssuedToken(
            username, issued_at, issued_at + TOKEN_LIFETIME
        )
        return token

    def user_of(self, request: web.Request) -> str | None:
        """Username behind the request's bearer token, if valid now."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        issued = self._tokens.get(token.strip())
        if issued is None or self.now() >= issued.expires_at:
            return None
        return issued.username

    # -- error bodies ------------------------------------------------------

    def _spring_error(
        self, request: web.Request, status: int, error: str, message: str
    ) -> web.Response:
        body = {
            "timestamp": spring_timestamp(self.now()),
            "status": status,
            "error": error,
            "message": message,
            "path": request.path,
        }
        return web.Response(
            status=status,
            body=json_bytes(body),
            headers={"Content-Type": "application/json"},
        )

    def _unauthorized(self, request: web.Request) -> web.Response:
        return self._spring_error(request, 401, "Unauthorized", "No message available")

    def _server_error(self, status: int = 500) -> web.Response:
        body = {
            "status": status,
            "error": "INTERNAL_SERVER_ERROR" if status == 500 else "ERROR",
            "message": f"{status} Internal Server Error"
            if status == 500
            else f"{status} Error",
            "timestamp": spring_timestamp(self.now(), MADRID),
        }
        return web.Response(
            status=status,
            body=json_bytes(body),
            headers={"Content-Type": "application/json"},
        )

    def _failure_body(self, request: web.Request, status: int) -> web.Response:
        """Datadis-like body for an injected failure without an explicit body.

        Spring JSON for 500, the Azure gateway page for 502-504, the Spanish
        text for 429.
        """
        if status == 401:
            return self._unauthorized(request)
        if status == 429:
            return text_response(429, MSG_ALREADY_QUERIED)
        if status == 403:
            return text_response(403, MSG_FORBIDDEN)
        if status == 400:
            return text_response(400, MSG_PARAMETER)
        if status in (502, 503, 504):
            page = HTML_ERROR_PAGE.replace("502 Bad Gateway", f"{status} Error")
            if status == 502:
                page = HTML_ERROR_PAGE
            return web.Response(
                status=status,
                body=page.encode("ascii"),
                headers={"Content-Type": "text/html"},
            )
        if status >= 500:
            return self._server_error(status)
        return self._spring_error(request, status, "Error", "No message available")

    # -- app ---------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(
            middlewares=[
                self.harness.log_middleware,
                bind_middleware(self._ledger_middleware),
                self.harness.fault_middleware,
            ]
        )
        self.harness.attach(app)
        app.router.add_post(LOGIN_PATH, self._login)
        private: list[tuple[str, RouteHandler]] = [
            ("get-supplies-v2", self._supplies_v2),
            ("get-supplies", self._supplies_v1),
            ("get-contract-detail-v2", self._contract_v2),
            ("get-contract-detail", self._contract_v1),
            ("get-consumption-data-v2", self._consumption_v2),
            ("get-consumption-data", self._consumption_v1),
            ("get-max-power-v2", self._max_power_v2),
            ("get-max-power", self._max_power_v1),
            ("get-reactive-data-v2", self._reactive_v2),
            ("get-distributors-with-supplies-v2", self._distributors_v2),
        ]
        for name, handler in private:
            app.router.add_get(PRIVATE_PREFIX + name, handler)
        app.router.add_get(PUBLIC_SEARCH_PATH, self._public_search)
        app.router.add_route("*", "/api-private/{tail:.*}", self._forbidden)
        app.router.add_get("/_sim/accounts", self._ctl_accounts)
        app.router.add_get("/_sim/truth", self._ctl_truth)
        app.router.add_get("/_sim/peaks", self._ctl_peaks)
        self.add_control_routes(app)
        return app

    async def _ledger_middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """Identify the caller, then apply the 24 h rule.

        Every guarded call made with a valid token is recorded (whatever its
        answer turns out to be, injected failures included); a repeat within
        24 h is refused with a 429 before anything else happens.
        """
        if is_control(request):
            return await handler(request)
        user = self.user_of(request)
        if user is None:
            return await handler(request)
        request[IDENTITY_KEY] = user
        if self.harness.endpoint(request) not in GUARDED_ENDPOINTS:
            return await handler(request)
        now = self.now()
        for key in [k for k, at in self._ledger.items() if now - at >= RULE_WINDOW]:
            del self._ledger[key]
        key = (
            user,
            self.harness.endpoint(request),
            tuple(sorted(request.query.items())),
        )
        first = self._ledger.get(key)
        if first is not None and self.enforce_24h_rule:
            return text_response(429, MSG_ALREADY_QUERIED)
        if first is None:
            self._ledger[key] = now
        return await handler(request)

    # -- login -------------------------------------------------------------

    async def _login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        username = str(form.get("username") or request.query.get("username") or "")
        password = str(form.get("password") or request.query.get("password") or "")
        username = username.strip().upper()
        account = self.accounts.get(username)
        if account is not None and password == account.password:
            request[IDENTITY_KEY] = username
            return text_response(200, self._issue_token(username))
        if any(name[:-1] == username for name in self.accounts):
            # A NIF without its final letter is reported to give 401.
            return self._spring_error(request, 401, "Unauthorized", "Bad credentials")
        if self.bad_credentials_status == 401:
            return self._spring_error(request, 401, "Unauthorized", "Bad credentials")
        body = {
            "status": 500,
            "error": "Internal Server Error",
            "message": "Bad credentials",
        }
        return web.Response(
            status=self.bad_credentials_status,
            body=json_bytes(body),
            headers={"Content-Type": "application/json"},
        )

    # -- private API helpers -----------------------------------------------

    def _prelude(self, request: web.Request) -> tuple[str, web.Response | None]:
        """Check authentication, then the Accept header, like the real gateway."""
        user = self.user_of(request)
        if user is None:
            return "", self._unauthorized(request)
        request[IDENTITY_KEY] = user
        if "application/json" not in request.headers.get("Accept", "").lower():
            return user, text_response(400, MSG_HEADER)
        return user, None

    def _supply_scope(
        self, user: str, authorized_nif: str | None
    ) -> tuple[list[Household], web.Response | None]:
        """Supplies visible to ``user`` (own, or those ``authorized_nif`` shared)."""
        account = self.accounts[user]
        if authorized_nif:
            nif = authorized_nif.strip().upper()
            cups_list = [] if nif == user else account.authorized.get(nif, [])
            if not cups_list:
                return [], text_response(403, MSG_NO_AUTHORIZED_SUPPLIES)
            return [self._household(c) for c in cups_list], None
        if not account.supplies:
            return [], text_response(404, MSG_NO_SUPPLIES)
        return [self._household(c) for c in account.supplies], None

    def _resolve_cups(
        self, user: str, cups: str, authorized_nif: str | None
    ) -> tuple[Household | None, web.Response | None]:
        """Find the supply behind ``cups`` if ``user`` may read it (None: invisible)."""
        account = self.accounts[user]
        household = self.data.household(cups)
        if authorized_nif:
            nif = authorized_nif.strip().upper()
            allowed = [] if nif == user else account.authorized.get(nif, [])
            if household is None or household.cups not in allowed:
                return None, text_response(400, MSG_NOT_AUTHORIZED)
            return household, None
        if household is None or household.cups not in account.supplies:
            return None, None
        return household, None

    def _months(self, start: str, end: str) -> list[str] | None:
        """Validate a ``YYYY/MM`` range against the 24-month window."""
        first = _MONTH.match(start)
        last = _MONTH.match(end)
        if first is None or last is None:
            return None
        first_key = (int(first[1]), int(first[2]))
        last_key = (int(last[1]), int(last[2]))
        if not (1 <= first_key[1] <= 12 and 1 <= last_key[1] <= 12):
            return None
        local = self.now().astimezone(MADRID)
        current = (local.year, local.month)
        earliest = add_months(local.year, local.month, -23)
        if first_key < earliest or last_key > current or first_key > last_key:
            return None
        return month_range(first_key, last_key)

    def _distributor_error_item(self, household: Household) -> dict[str, str]:
        return {
            "distributorCode": household.distributor_code,
            "distributorName": household.distributor,
            "errorCode": "50",
            "errorDescription": "Error interno distribuidora",
        }

    def _envelope(
        self, key: str, items: object, v2: bool, errors: Iterable[object] = ()
    ) -> web.Response:
        if v2:
            return data_response({key: items, "distributorError": list(errors)})
        return data_response(items)

    # -- supplies / distributors --------------------------------------------

    def _supply_item(self, household: Household) -> dict[str, Any]:
        return {
            "address": household.address,
            "cups": household.cups,
            "postalCode": household.postal_code,
            "province": household.province,
            "provinceCode": household.province_code,
            "municipality": household.municipality,
            "municipioCode": household.municipio_code,
            "distributor": household.distributor,
            "validDateFrom": household.valid_date_from.strftime("%Y/%m/%d"),
            "validDateTo": "",
            "pointType": household.point_type,
            "distributorCode": household.distributor_code,
        }

    async def _supplies(self, request: web.Request, v2: bool) -> web.StreamResponse:
        user, error = self._prelude(request)
        if error is not None:
            return error
        code = request.query.get("distributorCode")
        if code is not None and code not in DISTRIBUTORS:
            return text_response(400, MSG_PARAMETER)
        households, error = self._supply_scope(user, request.query.get("authorizedNif"))
        if error is not None:
            return error
        if code:
            households = [h for h in households if h.distributor_code == code]
        failing = self.data.state.failing_supply_distributors
        errors = [
            self._distributor_error_item(h)
            for h in households
            if h.distributor_code in failing
        ]
        items = [
            self._supply_item(h)
            for h in households
            if h.distributor_code not in failing
        ]
        return self._envelope("supplies", items, v2, errors)

    async def _supplies_v2(self, request: web.Request) -> web.StreamResponse:
        return await self._supplies(request, True)

    async def _supplies_v1(self, request: web.Request) -> web.StreamResponse:
        return await self._supplies(request, False)

    async def _distributors_v2(self, request: web.Request) -> web.StreamResponse:
        user, error = self._prelude(request)
        if error is not None:
            return error
        households, error = self._supply_scope(user, request.query.get("authorizedNif"))
        if error is not None:
            return error
        codes = sorted({h.distributor_code for h in households})
        return data_response(
            {"distExistenceUser": {"distributorCodes": codes}, "distributorError": []}
        )

    # -- contract ------------------------------------------------------------

    def _contract_items(self, household: Household) -> list[dict[str, Any]]:
        override = self.data.state.contract_overrides.get(household.cups, {})
        return [
            {**self._contract_item(household, term), **override}
            for term in household.contracts
        ]

    @staticmethod
    def _contract_item(household: Household, term: ContractTerm) -> dict[str, Any]:
        solar = household.solar
        owner_since = household.contracts[0].start.isoformat()
        return {
            "cups": household.cups,
            "distributor": household.distributor,
            "marketer": term.marketer,
            "tension": household.tension,
            "accessFare": household.access_fare,
            "province": household.province,
            "municipality": household.municipality,
            "postalCode": household.postal_code,
            "contractedPowerkW": list(term.powers_kw),
            "timeDiscrimination": "TARIFA DE TRES PERIODOS",
            "modePowerControl": term.mode_power_control,
            "startDate": term.start.strftime("%Y/%m/%d"),
            "endDate": "" if term.end is None else term.end.strftime("%Y/%m/%d"),
            "codeFare": "2T",
            "selfConsumptionTypeCode": household.self_consumption_type_code,
            "selfConsumptionTypeDesc": household.self_consumption_type_desc,
            "section": "2" if solar else None,
            "subsection": "2.1" if solar else None,
            "partitionCoefficient": 1.0 if solar else None,
            "cau": f"{household.cups}A000" if solar else None,
            "installedCapacityKW": solar.kwp if solar else None,
            "dateOwner": [{"startDate": owner_since, "endDate": ""}],
            "lastMarketerDate": term.start.strftime("%Y/%m/%d"),
            "maxPowerInstall": household.max_power_install,
        }

    @staticmethod
    def _blank_contract() -> dict[str, Any]:
        """Build what Datadis answers for a CUPS the account cannot see."""
        return {
            "cups": "",
            "distributor": "",
            "marketer": "",
            "tension": "",
            "accessFare": "",
            "province": "",
            "municipality": "",
            "postalCode": "",
            "contractedPowerkW": [],
            "timeDiscrimination": "",
            "modePowerControl": "",
            "startDate": "",
            "endDate": "",
            "codeFare": "",
            "selfConsumptionTypeCode": None,
            "selfConsumptionTypeDesc": None,
            "section": None,
            "subsection": None,
            "partitionCoefficient": None,
            "cau": None,
            "installedCapacityKW": None,
            "dateOwner": [],
            "lastMarketerDate": "",
            "maxPowerInstall": "",
        }

    async def _contract(self, request: web.Request, v2: bool) -> web.StreamResponse:
        user, error = self._prelude(request)
        if error is not None:
            return error
        query = request.query
        if not query.get("cups") or not query.get("distributorCode"):
            return empty_response(500)
        if query["distributorCode"] not in DISTRIBUTORS:
            return text_response(400, MSG_PARAMETER)
        household, error = self._resolve_cups(
            user, query["cups"], query.get("authorizedNif")
        )
        if error is not None:
            return error
        if household is None or household.distributor_code != query["distributorCode"]:
            return self._envelope("contract", [self._blank_contract()], v2)
        return self._envelope("contract", self._contract_items(household), v2)

    async def _contract_v2(self, request: web.Request) -> web.StreamResponse:
        return await self._contract(request, True)

    async def _contract_v1(self, request: web.Request) -> web.StreamResponse:
        return await self._contract(request, False)

    # -- consumption / max power / reactive ----------------------------------

    async def _time_series(
        self,
        request: web.Request,
        *,
        key: str,
        v2: bool,
        required: tuple[str, ...],
        rows: Callable[[Household, list[str]], object],
    ) -> web.StreamResponse:
        user, error = self._prelude(request)
        if error is not None:
            return error
        query = request.query
        if any(not query.get(name) for name in required):
            return empty_response(500)
        if query["distributorCode"] not in DISTRIBUTORS:
            return text_response(400, MSG_PARAMETER)
        if "pointType" in required and query["pointType"] not in (
            "1",
            "2",
            "3",
            "4",
            "5",
        ):
            return text_response(400, MSG_POINT_TYPE)
        if "measurementType" in required and query["measurementType"] not in ("0", "1"):
            return text_response(400, MSG_PARAMETER)
        months = self._months(query["startDate"], query["endDate"])
        if months is None:
            return text_response(400, MSG_DATES)
        household, error = self._resolve_cups(
            user, query["cups"], query.get("authorizedNif")
        )
        if error is not None:
            return error
        if household is None or household.distributor_code != query["distributorCode"]:
            return self._envelope(key, [], v2)
        if query.get("measurementType") == "1" and not _quarter_hourly(household):
            return self._envelope(key, [], v2)
        status = self.data.failing_status(household, months)
        if status is not None:
            return self._failure_body(request, status)
        if self.data.distributor_error_for(household, months):
            partial = household.cups in self.data.state.partial_distributor_errors
            return self._envelope(
                key,
                rows(household, months) if partial else [],
                v2,
                [self._distributor_error_item(household)],
            )
        return self._envelope(key, rows(household, months), v2)

    def _consumption_rows(self, household: Household, months: list[str]) -> object:
        return self.data.consumption_rows(household, months, self.now())

    def _max_power_rows(self, household: Household, months: list[str]) -> object:
        return self.data.max_power_rows(household, months, self.now())

    _CONSUMPTION_PARAMS = (
        "cups",
        "distributorCode",
        "startDate",
        "endDate",
        "measurementType",
        "pointType",
    )
    _MAX_POWER_PARAMS = ("cups", "distributorCode", "startDate", "endDate")

    async def _consumption_v2(self, request: web.Request) -> web.StreamResponse:
        return await self._time_series(
            request,
            key="timeCurve",
            v2=True,
            required=self._CONSUMPTION_PARAMS,
            rows=self._consumption_rows,
        )

    async def _consumption_v1(self, request: web.Request) -> web.StreamResponse:
        return await self._time_series(
            request,
            key="timeCurve",
            v2=False,
            required=self._CONSUMPTION_PARAMS,
            rows=self._consumption_rows,
        )

    async def _max_power_v2(self, request: web.Request) -> web.StreamResponse:
        return await self._time_series(
            request,
            key="maxPower",
            v2=True,
            required=self._MAX_POWER_PARAMS,
            rows=self._max_power_rows,
        )

    async def _max_power_v1(self, request: web.Request) -> web.StreamResponse:
        return await self._time_series(
            request,
            key="maxPower",
            v2=False,
            required=self._MAX_POWER_PARAMS,
            rows=self._max_power_rows,
        )

    async def _reactive_v2(self, request: web.Request) -> web.StreamResponse:
        def rows(household: Household, months: list[str]) -> object:
            return {"cups": household.cups, "energy": [], "code": "", "code_desc": ""}

        return await self._time_series(
            request,
            key="reactiveEnergy",
            v2=True,
            required=self._MAX_POWER_PARAMS,
            rows=rows,
        )

    async def _forbidden(self, request: web.Request) -> web.StreamResponse:
        return text_response(403, MSG_FORBIDDEN)

    # -- public API ----------------------------------------------------------

    async def _public_search(self, request: web.Request) -> web.StreamResponse:
        query = {key: request.query[key] for key in request.query}
        last = (self.now() - self.publication_delay).astimezone(MADRID).date()
        try:
            rows = search(query, last)
        except PublicQueryError:
            return text_response(400, MSG_PARAMETER)
        return data_response(rows)

    # -- control endpoints ---------------------------------------------------

    async def _ctl_accounts(self, request: web.Request) -> web.StreamResponse:
        accounts = [
            {
                "username": account.username,
                "password": account.password,
                "description": account.description,
                "supplies": [self._ctl_supply(c) for c in account.supplies],
                "authorized": {
                    nif: [self._ctl_supply(c) for c in cups_list]
                    for nif, cups_list in account.authorized.items()
                },
            }
            for account in self.accounts.values()
        ]
        return web.json_response(accounts)

    def _ctl_supply(self, cups: str) -> dict[str, Any]:
        household = self._household(cups)
        return {
            "cups": household.cups,
            "key": household.key,
            "title": household.title,
            "distributorCode": household.distributor_code,
            "timezone": household.timezone,
            "postalCode": household.postal_code,
            "solar": household.has_solar,
        }

    async def _ctl_truth(self, request: web.Request) -> web.StreamResponse:
        cups = request.query.get("cups", "")
        if self.data.household(cups) is None:
            return web.json_response({"error": "unknown cups"}, status=404)
        try:
            start = parse_instant(request.query.get("start"))
            end = parse_instant(request.query.get("end"))
        except ValueError as err:
            return web.json_response({"error": str(err)}, status=400)
        rows = []
        for hour, truth in sorted(self.truth(cups).items()):
            if (start is not None and hour < start) or (
                end is not None and hour >= end
            ):
                continue
            rows.append(
                {
                    "start": hour.isoformat(),
                    "consumption": truth.consumption,
                    "surplus": truth.surplus,
                    "generation": truth.generation,
                    "self_consumption": truth.self_consumption,
                    "estimated": truth.estimated,
                }
            )
        return web.json_response(rows)

    async def _ctl_peaks(self, request: web.Request) -> web.StreamResponse:
        cups = request.query.get("cups", "")
        if self.data.household(cups) is None:
            return web.json_response({"error": "unknown cups"}, status=404)
        return web.json_response(
            [
                {
                    "month": p.month,
                    "period": p.period,
                    "at": p.at.isoformat(),
                    "kw": p.kw,
                }
                for p in self.peaks(cups)
            ]
        )

    async def _ctl_faults_get(self, request: web.Request) -> web.StreamResponse:
        state = self.data.state
        return web.json_response(
            {
                "pending": self.harness.faults.pending(),
                "latency": self.harness.faults.latencies(),
                "publication_delay_seconds": state.publication_delay.total_seconds(),
                "estimated_recent_days": state.estimated_recent_days,
                "enforce_24h_rule": self.enforce_24h_rule,
                "bad_credentials_status": self.bad_credentials_status,
                "distributor_errors": {
                    cups: None if months is None else sorted(months)
                    for cups, months in state.distributor_errors.items()
                },
                "failing_months": {
                    cups: {"months": sorted(months), "status": status}
                    for cups, (months, status) in state.failing_months.items()
                },
                "missing_days": {
                    cups: sorted(d.isoformat() for d in days)
                    for cups, days in state.missing_days.items()
                },
                "null_hours": {
                    cups: sorted(h.isoformat() for h in hours)
                    for cups, hours in state.null_hours.items()
                },
                "revisions": {
                    cups: {d.isoformat(): f for d, f in sorted(days.items())}
                    for cups, days in state.revisions.items()
                },
            }
        )

    def _apply_provider_action(self, kind: object, action: Mapping[str, Any]) -> bool:
        """Datadis actions of ``POST /_sim/faults``.

        ``{"action": "distributor_error", "cups", "months"?: [...] | null}``,
        ``{"action": "fail_months", "cups", "months", "status"?}``,
        ``{"action": "missing_days", "cups", "days": ["YYYY-MM-DD"]}``,
        ``{"action": "null_hours", "cups", "hours": [ISO instants]}``,
        ``{"action": "revise", "cups", "day", "factor"}``,
        ``{"action": "publication_delay", "days"}``,
        ``{"action": "estimated_recent_days", "days"}``,
        ``{"action": "enforce_24h_rule", "enabled"}``,
        ``{"action": "bad_credentials_status", "status"}``,
        ``{"action": "expire_tokens"}``.
        """
        if kind == "distributor_error":
            months = action.get("months")
            self.distributor_error(
                str(action["cups"]), None if months is None else set(months)
            )
        elif kind == "fail_months":
            self.fail_months(
                str(action["cups"]),
                set(action["months"]),
                int(action.get("status", 500)),
            )
        elif kind == "missing_days":
            self.missing_days(
                str(action["cups"]), {date.fromisoformat(d) for d in action["days"]}
            )
        elif kind == "null_hours":
            hours = {require_instant(h) for h in action["hours"]}
            self.null_hours(str(action["cups"]), hours)
        elif kind == "revise":
            self.revise(
                str(action["cups"]),
                date.fromisoformat(str(action["day"])),
                float(action["factor"]),
            )
        elif kind == "publication_delay":
            self.publication_delay = timedelta(days=float(action["days"]))
        elif kind == "estimated_recent_days":
            self.estimated_recent_days = int(action["days"])
        elif kind == "enforce_24h_rule":
            self.enforce_24h_rule = bool(action["enabled"])
        elif kind == "bad_credentials_status":
            self.bad_credentials_status = int(action["status"])
        elif kind == "expire_tokens":
            self.expire_tokens()
        else:
            return False
        return True


def _quarter_hourly(household: Household) -> bool:
    """Quarter-hour curves exist for point types 1-2 (and 3 at E-distribución)."""
    return household.point_type in (1, 2) or (
        household.point_type == 3 and household.distributor_code == "2"
    )
