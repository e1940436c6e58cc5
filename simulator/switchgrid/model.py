"""Asks, consents, orders and requests, and the validation of their bodies.

Validation follows the v2 OpenAPI spec (which wins over the prose document
where they disagree): the ``signer`` needs ``firstName``, ``lastName``,
``email``, ``phone`` and ``genre``; ``consentCollectionMedium`` and
``scopesAndPurpose`` are required; ``consentDuration`` is one of the enum
strings. Errors are collected and answered together (400).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
import re
from typing import Any

from .data import Direction, Series
from .households import Household
from .timeutil import parse_instant, validate_duration

PRM_PATTERN = re.compile(r"^[0-9]{14}$")
UUID_PATTERN = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
CONSUMPTION_TYPES = ("CDC", "PMAX", "IDX", "ENERGIE")
RAW_DIRECTIONS = ("SOUTIRAGE", "INJECTION")
TIMESERIES_DIRECTIONS = ("CONSUMPTION", "INJECTION")
PURPOSES = frozenset(
    {
        "ENERGY_PERFORMANCE_STUDY",
        "SOLAR_INSTALLATION_SIZING",
        "DEMAND_RESPONSE",
        "ENERGY_BROKERAGE",
        "VEHICLE_CHARGE_DETECTION",
    }
)
SERVICES = ("WEB_HOSTED", "DOCUSEAL")

SUPPORTED_TYPES = frozenset(
    {
        "LOADCURVE",
        "C68",
        "C68_ASYNC",
        "R64",
        "R65",
        "R66",
        "R64_SYNC",
        "R65_SYNC",
        "R66_SYNC",
    }
)
NOT_SIMULATED_TYPES = frozenset({"R63", "R63_SYNC", "R67"})
"""Valid request types the simulator does not model (they end FAILED)."""

TYPE_FLOW = {
    "C68": "C68",
    "C68_ASYNC": "C68",
    "R63": "R63",
    "R63_SYNC": "R63",
    "R64": "R64",
    "R64_SYNC": "R64",
    "R65": "R65",
    "R65_SYNC": "R65",
    "R66": "R66",
    "R66_SYNC": "R66",
    "R67": "R67",
}
FLOW_SCOPE = {
    "R63": "CDC",
    "R64": "IDX",
    "R65": "ENERGIE",
    "R66": "PMAX",
    "R67": "ENERGIE",
}

ASK_STATUSES = (
    "CREATED",
    "PENDING_ADDRESS_CHECK",
    "ADDRESS_CHECK_FAILED",
    "PREPARING_CONSENT_COLLECTION",
    "PENDING_USER_ACTION",
    "ACCEPTED",
)

type Grant = tuple[str, str | None]
"""What a consent allows: ("C68", None), ("R65", "SOUTIRAGE"),
("LOADCURVE", "INJECTION")..."""


@dataclass(slots=True, kw_only=True)
class Contract:
    """One electricity contract of an Ask."""

    prm: str
    search_id: str | None
    """The ``GET /search_contract`` uuid, when the Ask used one."""
    household: Household | None
    declared: dict[str, Any] | None
    """The contract object of the request body, when given as an object."""

    def as_json(self) -> dict[str, Any]:
        """Return the ``contracts[]`` item of an Ask."""
        if self.declared is not None:
            return {"id": None, **self.declared}
        household = self.household
        assert household is not None
        return {
            "id": self.search_id,
            "prm": self.prm,
            "nomClientFinalOuDenominationSociale": household.holder,
            "categorieClientFinalCode": household.category,
            "adresseInstallationNormalisee": dict(household.address.lines),
        }


@dataclass(slots=True, kw_only=True)
class Ask:
    """A consent request and its consents (one per PRM)."""

    id: str
    created_at: datetime
    created_mono: float
    origin: str
    create_args: dict[str, Any]
    contracts: list[Contract]
    consent_ids: dict[str, str]
    service: str
    duration: str
    grants: frozenset[Grant]
    test_env: bool
    check_passes: dict[str, bool]
    """PRM → result of the Enedis address check once it has run."""
    check_forced: bool = False
    accepted_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def prms(self) -> list[str]:
        """PRMs of the Ask, in request order."""
        return [contract.prm for contract in self.contracts]


@dataclass(slots=True, kw_only=True)
class DataRequest:
    """One request of an Order."""

    id: str
    order_id: str
    type: str
    direction: str | None
    since: datetime | None
    until: datetime | None
    since_day: date | None
    """``since`` when given as a bare date (daily flows use it as is)."""
    until_day: date | None
    prms: list[str]
    retry_after_activation: bool
    ordered_at: datetime
    ordered_mono: float
    status: str = "PENDING"
    completed_at: datetime | None = None
    error_message: str | None = None
    series: Series | None = None
    payload: Any = None
    """Raw Enedis JSON (C68 / R6x) once SUCCESS."""
    data_url: str | None = None

    @property
    def done(self) -> bool:
        """SUCCESS or FAILED."""
        return self.status in ("SUCCESS", "FAILED")

    @property
    def timeseries_direction(self) -> Direction:
        """LOADCURVE direction (default CONSUMPTION)."""
        return "INJECTION" if self.direction == "INJECTION" else "CONSUMPTION"

    @property
    def raw_direction(self) -> Direction:
        """R6x direction as a time-series direction (SOUTIRAGE → CONSUMPTION)."""
        return "INJECTION" if self.direction == "INJECTION" else "CONSUMPTION"


@dataclass(slots=True, kw_only=True)
class Order:
    """A data order placed on one consent (or one Ask)."""

    id: str
    ask_id: str
    consent_id: str
    created_at: datetime
    test_env: bool
    origin: str
    requests: list[DataRequest] = field(default_factory=list)

    @property
    def status(self) -> str:
        """PENDING_REQUESTS until every request is done, then the outcome."""
        if any(not request.done for request in self.requests):
            return "PENDING_REQUESTS"
        if all(request.status == "SUCCESS" for request in self.requests):
            return "SUCCESS"
        return "SOME_REQUESTS_FAILED"


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class AskInput:
    """A validated ``POST /ask`` body."""

    contracts: list[tuple[str | None, dict[str, Any] | None]]
    """(search uuid, None) or (None, contract object) per contract."""
    service: str
    duration: str
    grants: frozenset[Grant]
    skip_address_check: bool


def _is_str(value: object, minimum: int = 1) -> bool:
    return isinstance(value, str) and len(value.strip()) >= minimum


def _validate_contract(index: int, item: object, errors: list[str]) -> None:
    where = f"electricityContracts[{index}]"
    if not isinstance(item, dict):
        errors.append(f"{where} must be a uuid or a contract object")
        return
    prm = item.get("prm")
    if not (isinstance(prm, str) and PRM_PATTERN.match(prm)):
        errors.append(f"{where}.prm must match ^[0-9]{{14}}$")
    held = item.get("heldBy")
    if not isinstance(held, dict):
        errors.append(f"{where}.heldBy is required")
    elif "name" in held:
        if not _is_str(held.get("name")):
            errors.append(f"{where}.heldBy.name must be a non-empty string")
        company_id = held.get("siret", held.get("siren"))
        if not (isinstance(company_id, str) and company_id.isdigit()):
            errors.append(f"{where}.heldBy.siret must be digits")
        others = held.get("otherNames", [])
        if not (
            isinstance(others, list)
            and len(others) <= 2
            and all(isinstance(o, str) for o in others)
        ):
            errors.append(f"{where}.heldBy.otherNames must be at most 2 strings")
    else:
        if held.get("genre") not in ("M", "F"):
            errors.append(f"{where}.heldBy.genre must be M or F")
        errors.extend(
            f"{where}.heldBy.{key} must be a non-empty string"
            for key in ("firstName", "lastName")
            if not _is_str(held.get(key))
        )
    address = item.get("address")
    if not isinstance(address, dict):
        errors.append(f"{where}.address is required")
    else:
        errors.extend(
            f"{where}.address.{key} must be a non-empty string"
            for key in ("street", "postalCode", "city", "country")
            if not _is_str(address.get(key))
        )


def _validate_signer(signer: object, errors: list[str]) -> None:
    if not isinstance(signer, dict):
        errors.append("signer is required")
        return
    errors.extend(
        f"signer.{key} must be a non-empty string"
        for key in ("firstName", "lastName", "email", "phone")
        if not _is_str(signer.get(key))
    )
    if signer.get("genre") not in ("M", "F"):
        errors.append("signer.genre must be M or F")
    email = signer.get("email")
    if isinstance(email, str) and "@" not in email:
        errors.append("signer.email must be an email address")


def _str_list(value: object) -> list[str] | None:
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _scope_grants(index: int, scope: object, errors: list[str]) -> set[Grant]:
    where = f"scopes[{index}]"
    if not isinstance(scope, dict):
        errors.append(f"{where} must be an object")
        return set()
    scope_id = scope.get("id")
    if scope_id in ("DETAILS_CONTRACTUELS", "CONSUMPTION_DATA") and (
        scope.get("service") != "ENEDIS_RAW_API"
    ):
        errors.append(f"{where}.service must be ENEDIS_RAW_API")
        return set()
    args = scope.get("args")
    if scope_id in ("CONSUMPTION_DATA", "ELECTRICITY_TIMESERIES") and not isinstance(
        args, dict
    ):
        errors.append(f"{where}.args is required (types and directions)")
        return set()
    args = args if isinstance(args, dict) else {}
    if scope_id == "DETAILS_CONTRACTUELS":
        return {("C68", None)}
    if scope_id == "CONSUMPTION_DATA":
        types = _str_list(args.get("types"))
        directions = _str_list(args.get("directions"))
        if types is None or any(t not in CONSUMPTION_TYPES for t in types):
            errors.append(f"{where}.args.types must be a subset of {CONSUMPTION_TYPES}")
            return set()
        if directions is None or any(d not in RAW_DIRECTIONS for d in directions):
            errors.append(
                f"{where}.args.directions must be a subset of {RAW_DIRECTIONS}"
            )
            return set()
        grants: set[Grant] = set()
        for direction in directions:
            for flow, kind in FLOW_SCOPE.items():
                if kind in types:
                    grants.add((flow, direction))
            if "CDC" in types:
                series = "CONSUMPTION" if direction == "SOUTIRAGE" else "INJECTION"
                grants.add(("LOADCURVE", series))
        return grants
    if scope_id == "ELECTRICITY_TIMESERIES":
        types = _str_list(args.get("types"))
        directions = _str_list(args.get("directions"))
        if types is None or any(t != "LOADCURVE" for t in types):
            errors.append(f"{where}.args.types must be ['LOADCURVE']")
            return set()
        if directions is None or any(
            d not in TIMESERIES_DIRECTIONS for d in directions
        ):
            errors.append(
                f"{where}.args.directions must be a subset of {TIMESERIES_DIRECTIONS}"
            )
            return set()
        return {("LOADCURVE", direction) for direction in directions}
    errors.append(
        f"{where}.id must be DETAILS_CONTRACTUELS, CONSUMPTION_DATA or "
        "ELECTRICITY_TIMESERIES"
    )
    return set()


def _validate_scopes(value: object, errors: list[str]) -> frozenset[Grant]:
    if not isinstance(value, list) or not value:
        errors.append("scopesAndPurpose must be a non-empty array")
        return frozenset()
    grants: set[Grant] = set()
    for position, item in enumerate(value):
        if not isinstance(item, dict):
            errors.append(f"scopesAndPurpose[{position}] must be an object")
            continue
        scopes = item.get("scopes")
        if not isinstance(scopes, list) or not scopes:
            errors.append(f"scopesAndPurpose[{position}].scopes must be non-empty")
        else:
            for index, scope in enumerate(scopes):
                grants |= _scope_grants(index, scope, errors)
        purposes = item.get("purposes")
        if not isinstance(purposes, list) or not purposes:
            errors.append(f"scopesAndPurpose[{position}].purposes must be non-empty")
            continue
        for purpose in purposes:
            name = purpose.get("id") if isinstance(purpose, dict) else purpose
            if name not in PURPOSES:
                errors.append(f"unknown purpose {name!r}")
    return frozenset(grants)


def validate_ask(body: object) -> tuple[AskInput | None, list[str]]:
    """Validate a ``POST /ask`` body (contract uuids are checked by the caller)."""
    errors: list[str] = []
    if not isinstance(body, dict):
        return None, ["body must be a JSON object"]
    contracts: list[tuple[str | None, dict[str, Any] | None]] = []
    items = body.get("electricityContracts")
    if not isinstance(items, list) or not items:
        errors.append("electricityContracts must be a non-empty array")
    else:
        for index, item in enumerate(items):
            if isinstance(item, str):
                if not UUID_PATTERN.match(item.lower()):
                    errors.append(f"electricityContracts[{index}] is not a uuid")
                contracts.append((item.lower(), None))
            else:
                _validate_contract(index, item, errors)
                contracts.append((None, item if isinstance(item, dict) else None))
    _validate_signer(body.get("signer"), errors)
    medium = body.get("consentCollectionMedium")
    service = ""
    if not isinstance(medium, dict) or medium.get("service") not in SERVICES:
        errors.append("consentCollectionMedium.service must be WEB_HOSTED or DOCUSEAL")
    else:
        service = str(medium["service"])
    options = body.get("options", {})
    skip = False
    if not isinstance(options, dict):
        errors.append("options must be an object")
    else:
        flag = options.get("skipAddressCheck", False)
        if not isinstance(flag, bool):
            errors.append("options.skipAddressCheck must be a boolean")
        skip = flag is True
    grants = _validate_scopes(body.get("scopesAndPurpose"), errors)
    duration = body.get("consentDuration")
    problem = validate_duration(duration)
    if problem is not None:
        errors.append(problem)
    if errors:
        return None, errors
    return AskInput(contracts, service, str(duration), grants, skip), []


@dataclass(slots=True)
class RequestInput:
    """One validated item of ``POST /order`` ``requests``."""

    type: str
    direction: str | None
    since: datetime | None
    until: datetime | None
    since_day: date | None
    until_day: date | None
    prms: list[str] | None
    retry_after_activation: bool


def _bare_date(value: object) -> date | None:
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text)
    return None


def validate_order(body: object) -> tuple[str, list[RequestInput], list[str]]:
    """Validate a ``POST /order`` body: (consentId, requests, errors)."""
    if not isinstance(body, dict):
        return "", [], ["body must be a JSON object"]
    errors: list[str] = []
    consent_id = body.get("consentId")
    if not (isinstance(consent_id, str) and UUID_PATTERN.match(consent_id.lower())):
        errors.append("consentId must be a uuid")
        consent_id = ""
    items = body.get("requests")
    parsed: list[RequestInput] = []
    if not isinstance(items, list) or not items:
        errors.append("requests must be a non-empty array")
        items = []
    for index, item in enumerate(items):
        where = f"requests[{index}]"
        if not isinstance(item, dict):
            errors.append(f"{where} must be an object")
            continue
        kind = item.get("type")
        if kind not in SUPPORTED_TYPES and kind not in NOT_SIMULATED_TYPES:
            errors.append(f"{where}.type {kind!r} is not a valid request type")
            continue
        direction = item.get("direction")
        allowed: tuple[str, ...] = (
            TIMESERIES_DIRECTIONS if kind == "LOADCURVE" else RAW_DIRECTIONS
        )
        if kind == "C68":
            allowed = ()
        if direction is not None and direction not in allowed:
            errors.append(f"{where}.direction must be one of {allowed}")
        since = until = None
        since_day = until_day = None
        try:
            if item.get("since") is not None:
                since = parse_instant(str(item["since"]))
                since_day = _bare_date(item["since"])
            if item.get("until") is not None:
                until = parse_instant(str(item["until"]))
                until_day = _bare_date(item["until"])
        except ValueError as err:
            errors.append(f"{where}: {err}")
        if since is not None and until is not None and since >= until:
            errors.append(f"{where}: since must be before until")
        prms = item.get("prms")
        if prms is not None and (
            not isinstance(prms, list)
            or not prms
            or not all(isinstance(p, str) and PRM_PATTERN.match(p) for p in prms)
        ):
            errors.append(f"{where}.prms must be a non-empty array of 14-digit PRMs")
            prms = None
        retry = item.get("enedisRetryAfterLoadcurveActivation", False)
        if not isinstance(retry, bool):
            errors.append(
                f"{where}.enedisRetryAfterLoadcurveActivation must be a boolean"
            )
            retry = False
        parsed.append(
            RequestInput(
                str(kind),
                None if direction is None else str(direction),
                since,
                until,
                since_day,
                until_day,
                None if prms is None else [str(p) for p in prms],
                retry,
            )
        )
    return str(consent_id).lower(), parsed, errors
