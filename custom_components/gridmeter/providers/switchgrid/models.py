"""Typed answers of the Switchgrid "Enedis Raw Data" API (v2).

Everything is frozen; every datetime is timezone-aware and in UTC.
Enumerations carry an ``UNKNOWN`` member so that a status Switchgrid adds
later never breaks parsing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Final, Literal

from ..models import Contract, TimeRange

NOT_ACTIVATED_TEXT: Final = "aucun service souscrit de courbe de charge"
"""What Enedis says when a load curve was never collected for the meter."""


class AskStatus(StrEnum):
    """Where a consent request ("Ask") stands."""

    CREATED = "CREATED"
    PENDING_ADDRESS_CHECK = "PENDING_ADDRESS_CHECK"
    ADDRESS_CHECK_FAILED = "ADDRESS_CHECK_FAILED"
    PREPARING_CONSENT_COLLECTION = "PREPARING_CONSENT_COLLECTION"
    PENDING_USER_ACTION = "PENDING_USER_ACTION"
    ACCEPTED = "ACCEPTED"
    UNKNOWN = "UNKNOWN"
    """A status this client does not know (kept rather than failing)."""


class RequestStatus(StrEnum):
    """Where one data request of an order stands."""

    NOT_STARTED = "NOT_STARTED"
    PENDING = "PENDING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    PENDING_ADDRESS_CHECK = "PENDING_ADDRESS_CHECK"
    UNKNOWN = "UNKNOWN"


class OrderStatus(StrEnum):
    """Where a data order stands as a whole."""

    CREATED = "CREATED"
    PENDING_ADDRESS_CHECK = "PENDING_ADDRESS_CHECK"
    ADDRESS_CHECK_FAILED = "ADDRESS_CHECK_FAILED"
    PENDING_REQUESTS = "PENDING_REQUESTS"
    SOME_REQUESTS_FAILED = "SOME_REQUESTS_FAILED"
    SUCCESS = "SUCCESS"
    UNKNOWN = "UNKNOWN"


FINAL_REQUEST_STATUSES: Final = frozenset({RequestStatus.SUCCESS, RequestStatus.FAILED})
FINAL_ORDER_STATUSES: Final = frozenset(
    {
        OrderStatus.SUCCESS,
        OrderStatus.SOME_REQUESTS_FAILED,
        OrderStatus.ADDRESS_CHECK_FAILED,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractMatch:
    """An electricity contract found by ``GET /search_contract``."""

    id: str
    """Switchgrid's contract uuid, to send in ``POST /ask``."""
    prm: str
    holder: str
    """``nomClientFinalOuDenominationSociale`` (person or company name)."""
    category: str | None
    """``categorieClientFinalCode``: ``RES`` (household) or ``PRO``."""
    address: tuple[str, ...]
    """The non-empty lines of the normalised installation address, in order."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Signer:
    """The person who signs the consent form."""

    first_name: str
    last_name: str
    email: str
    phone: str
    """International format, e.g. ``+33600000000``."""
    genre: Literal["M", "F"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Ask:
    """A consent request and, once signed, the consents it produced."""

    id: str
    status: AskStatus
    created_at: datetime | None
    accepted_at: datetime | None
    user_url: str | None
    """The hosted page the holder must open and sign."""
    consent_ids: Mapping[str, str]
    """PRM → consent id (what ``POST /order`` wants)."""
    address_checks: Mapping[str, str]
    """PRM → ``SUCCESS`` / ``FAILURE`` of Switchgrid's name/address check."""
    prms: tuple[str, ...]
    expires_at: datetime | None
    """When the consents stop being usable: ``expiresAt`` when Switchgrid
    sends one, else ``acceptedAt`` + the requested ``consentDuration``."""
    revoked_at: datetime | None = None
    """``revokedAt`` (not in the v2 spec; a deleted Ask may stay readable)."""

    @property
    def accepted(self) -> bool:
        """Whether the holder signed."""
        return self.status is AskStatus.ACCEPTED

    def usable(self, now: datetime) -> bool:
        """Whether orders can be placed under this Ask's consents at ``now``."""
        return (
            self.accepted
            and self.revoked_at is None
            and (self.expires_at is None or now < self.expires_at)
        )

    def consent_for(self, prm: str) -> str | None:
        """Return the consent id of one PRM (None before signature)."""
        return self.consent_ids.get(prm)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRequest:
    """One data request to place in ``POST /order``.

    ``type``: ``LOADCURVE`` (direction ``CONSUMPTION`` | ``INJECTION``),
    ``C68``, ``C68_ASYNC``, ``R64_SYNC`` / ``R65_SYNC`` / ``R66_SYNC``, ``R67``
    (direction ``SOUTIRAGE`` | ``INJECTION``) or a legacy type. ``since`` /
    ``until``: a ``date`` is read by Switchgrid as midnight **UTC**; pass an
    aware datetime for a Paris-midnight boundary. ``prms`` is optional (the
    consent already names the PRM); some API generations want it.
    """

    type: str
    direction: str | None = None
    since: datetime | date | None = None
    until: datetime | date | None = None
    retry_after_activation: bool = False
    """``enedisRetryAfterLoadcurveActivation``: let Switchgrid retry by itself
    once Enedis has activated the load-curve collection (hours later)."""
    prms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadCurve:
    """A regular series of average powers in W.

    Value *i* covers ``starts_at + i × period`` (UTC) for one period (Switchgrid
    already stamps by interval start); ``None`` marks a gap.
    """

    period: timedelta
    starts_at: datetime
    ends_at: datetime
    values: tuple[float | None, ...]

    def start_of(self, index: int) -> datetime:
        """Return the UTC start of the interval of value ``index``."""
        return self.starts_at + self.period * index


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRequestState:
    """One request of an order, as Switchgrid reports it."""

    id: str | None
    """None when the answer gives none (the API document's examples do not)."""
    type: str
    direction: str | None
    status: RequestStatus
    ordered_at: datetime | None
    completed_at: datetime | None
    data_url: str | None
    """Pre-signed URL of the raw Enedis JSON (C68 / R6x)."""
    error_message: str | None
    """Enedis's text when the request failed (already redacted)."""
    load_curve: LoadCurve | None
    prms: tuple[str, ...] = ()

    @property
    def load_curve_not_activated(self) -> bool:
        """Whether Enedis has no load-curve collection for the meter (yet)."""
        return NOT_ACTIVATED_TEXT in (self.error_message or "").lower()

    @property
    def done(self) -> bool:
        """Whether the request has finished, well or not."""
        return self.status in FINAL_REQUEST_STATUSES


@dataclass(frozen=True, slots=True, kw_only=True)
class Order:
    """A data order and its requests."""

    id: str
    status: OrderStatus
    requests: tuple[OrderRequestState, ...]

    @property
    def done(self) -> bool:
        """Whether polling can stop: the order is final or no request is running."""
        if self.status in FINAL_ORDER_STATUSES:
            return True
        return bool(self.requests) and all(r.done for r in self.requests)

    def find(
        self, type_: str, direction: str | None = None
    ) -> OrderRequestState | None:
        """Return the first request of a type (and direction, when given)."""
        for request in self.requests:
            if request.type == type_ and direction in (None, request.direction):
                return request
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class SwitchgridContract(Contract):
    """A Contract plus what Enedis's C68 says beyond the common model.

    Its ``tariff_option`` is ``BASE``, ``HPHC`` or ``TEMPO``, derived (Enedis
    has no such field): TEMPO when the supplier calendar names it, HPHC when
    the contract has off-peak hours, BASE when it has a single time class;
    None when unsure.

    ``contracted_power_kw`` holds the subscribed power **in kVA** (Enedis
    subscribes apparent power; for a household kVA ≈ kW).
    """

    subscribed_power_kva: float | None = None
    off_peak_text: str | None = None
    """The raw off-peak text, e.g. ``HC (22H30-6H30)``."""
    future_off_peak_text: str | None = None
    """Announced future windows (``futuresPlagesHeuresCreuses``, TURPE 7)."""
    future_off_peak_hours: tuple[TimeRange, ...] = ()
    supplier_calendar: str | None = None
    """``calendrierFrn`` label, e.g. ``Heures Pleines/Creuses``."""
    meter_type: str | None = None
    """``typeComptage`` code, e.g. ``LINKY``."""
    segment: str | None = None
    contract_state: str | None = None
