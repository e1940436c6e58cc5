"""The Digiwatt contract in one place: methods, paths, bodies and answers.

The public "Digiwatt API (1.0)" document names the operations and their
parameters but shows neither URL paths nor response bodies (every sample is
``{"status": 200, "data": {}}``). Everything below marked *assumed* is
GridMeter's guess; adapting to the real specification means editing this
table (and, for a body, its parser in `parsing.py`) and nothing else. The
simulator (``simulator/digiwatt``) serves exactly this table, and a test
compares the two.

Conventions (assumed unless said otherwise):

* ``POST /auth/token`` is documented: form ``client_id``, ``client_secret``,
  ``grant_type=client_credentials``; answer (not enveloped)
  ``{"access_token", "expires_in": 36000, "token_type": "Bearer"}``; then
  ``Authorization: <token_type> <access_token>``.
* Every other answer is the documented envelope ``{"status": <int>, "data":
  {...}}``; errors carry ``{"status", "code", "message"}`` with the HTTP status.
* Energies are Wh, powers W. Timestamps are ISO-8601 with an offset (the
  simulator uses Europe/Rome local time); months are ``YYYY-MM``.
* Periods: ``yesterday``, ``last-seven-days``, ``this-week``, ``last-week``,
  ``this-month``, ``last-month`` (documented), in Europe/Rome days.

Assumed ``data`` of each answer:

==============  ==============================================================
endpoint        data
==============  ==============================================================
create_user     ``{"account_number", "pod", "company_code", "onboarded": false,
                "created_at"}``
delete_user     ``{"account_number", "deleted": true}`` (content not used)
onboarding      echo of the questionnaire: ``{"account_number", "house": {"type",
                "dimesion", "province"}, "residents": {"adults", "children",
                "elderlies"}, "appliances": [{"appliance", "quantity"}]}``
                (the default appliance set when none was sent)
consumption     ``{"period", "from", "to", "unit": "W", "appliances":
                [{"appliance", "power", "share"}]}``: average W per appliance
totals          ``{"period", "from", "to", "unit": "Wh", "total", "previous",
                "variation" (percent or null), "appliances": [{"appliance",
                "energy"}]}``: the appliances add up to ``total``
realtime        ``{"power": W, "timestamp"}``
latest          ``{"step": "PT15M", "from", "to", "values": [{"start",
                "power"}]}``: average W per step over the last six hours
performance     ``{"period", "from", "to", "unit": "Wh", "min", "max",
                "average", "user", "similar_homes"}``
habits          ``{"period", "from", "to", "unit": "Wh", "time_of_day":
                {"night", "morning", "afternoon", "evening"}, "day_type":
                {"weekday", "weekend"}}`` (00-06-12-18-24 local; Mon-Fri)
trend           ``{"unit": "Wh", "months": [{"month", "f1", "f2", "f3"}]}``:
                12 months, oldest first, the current month to date last
distribution    ``{"unit": "Wh", "from", "to", "appliances": [{"appliance",
                "energy", "share"}]}`` (same 12 months)
compound        ``{"unit": "Wh", "months": [{"month", "appliances":
                [{"appliance", "energy"}]}]}``
saving          ``{"from", "to", "days": 30, "energy": Wh, "cost": EUR, "co2":
                kg, "saving": {"energy": Wh, "cost": EUR}}``
greenness       ``{"windows": [{"start", "stop", "percentage"}]}``
==============  ==============================================================

Appliance lists may carry ``"other"`` (consumption attributed to no
declared appliance); it is kept as a plain string.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final
from urllib.parse import quote

from .models import Household, Period
from .parsing import (
    parse_appliances,
    parse_compound,
    parse_distribution,
    parse_greenness,
    parse_habits,
    parse_household,
    parse_latest,
    parse_nothing,
    parse_performance,
    parse_realtime,
    parse_saving,
    parse_token,
    parse_totals,
    parse_trend,
    parse_user,
)

HOUSE_SIZE_FIELD: Final = "dimesion"
"""The house size key of the onboarding body.

The document spells it ``dimesion`` (sic). GridMeter sends the document's
spelling, on the grounds that a server generated from that document expects
exactly it; answers are read with either spelling. Change it here if the
real API turns out to want ``dimension``.
"""


class Endpoint(StrEnum):
    """Digiwatt operations (values are the simulator's endpoint names too)."""

    TOKEN = "token"  # noqa: S105 - an endpoint name
    CREATE_USER = "create_user"
    DELETE_USER = "delete_user"
    ONBOARDING = "onboarding"
    CONSUMPTION = "consumption"
    TOTALS = "totals"
    REALTIME = "realtime"
    LATEST = "latest"
    PERFORMANCE = "performance"
    HABITS = "habits"
    TREND = "trend"
    DISTRIBUTION = "distribution"
    COMPOUND = "compound"
    SAVING = "saving"
    GREENNESS = "greenness"


@dataclass(frozen=True, slots=True)
class Route[T]:
    """How to call one endpoint and read its answer."""

    method: str
    path: str
    """Path template; ``{account_number}`` and ``{period}`` are filled in."""
    parse: Callable[[Any, Period | None], T]
    """Reads the envelope's ``data`` (the whole body when not `enveloped`)."""
    enveloped: bool = True

    def url_path(
        self, *, account_number: str | None = None, period: Period | None = None
    ) -> str:
        """Fill the template (the account number is percent-encoded)."""
        return self.path.format(
            account_number=quote(account_number or "", safe=""),
            period=period.value if period is not None else "",
        )


_USER: Final = "/users/{account_number}"

ENDPOINTS: Final[Mapping[Endpoint, Route[Any]]] = {
    Endpoint.TOKEN: Route("POST", "/auth/token", parse_token, enveloped=False),
    Endpoint.CREATE_USER: Route("POST", "/users", parse_user),
    Endpoint.DELETE_USER: Route("DELETE", _USER, parse_nothing),
    Endpoint.ONBOARDING: Route("POST", f"{_USER}/onboarding", parse_household),
    Endpoint.CONSUMPTION: Route(
        "GET", f"{_USER}/consumption/{{period}}", parse_appliances
    ),
    Endpoint.TOTALS: Route(
        "GET", f"{_USER}/consumption/{{period}}/totals", parse_totals
    ),
    Endpoint.REALTIME: Route("GET", f"{_USER}/consumption/realtime", parse_realtime),
    Endpoint.LATEST: Route("GET", f"{_USER}/consumption/latest", parse_latest),
    Endpoint.PERFORMANCE: Route(
        "GET", f"{_USER}/consumption/{{period}}/performance", parse_performance
    ),
    Endpoint.HABITS: Route(
        "GET", f"{_USER}/consumption/{{period}}/habits", parse_habits
    ),
    Endpoint.TREND: Route("GET", f"{_USER}/analytics/trend", parse_trend),
    Endpoint.DISTRIBUTION: Route(
        "GET", f"{_USER}/analytics/distribution", parse_distribution
    ),
    Endpoint.COMPOUND: Route("GET", f"{_USER}/analytics/compound", parse_compound),
    Endpoint.SAVING: Route("GET", f"{_USER}/saving", parse_saving),
    Endpoint.GREENNESS: Route("GET", "/greenness", parse_greenness),
}
"""The one table of the contract (see the module docstring for the bodies)."""


def user_body(pod: str, account_number: str, company_code: str) -> dict[str, str]:
    """JSON body of ``create_user`` (documented fields)."""
    return {"pod": pod, "account_number": account_number, "company_code": company_code}


def household_body(household: Household) -> dict[str, Any]:
    """JSON body of ``onboarding`` (documented fields, the document's spelling).

    ``appliances`` is left out when empty, so that Digiwatt applies its
    default set ("If no appliances are specified, a default set of appliances
    will be used").
    """
    body: dict[str, Any] = {
        "house": {
            "type": household.house_type.value,
            HOUSE_SIZE_FIELD: household.size_m2,
            "province": household.province,
        },
        "residents": {
            "adults": household.adults,
            "children": household.children,
            "elderlies": household.elderlies,
        },
    }
    if household.appliances:
        body["appliances"] = [
            {"appliance": appliance.value, "quantity": quantity}
            for appliance, quantity in household.appliances.items()
        ]
    return body
