"""What a Switchgrid (Enedis) entry remembers between restarts (schema version 2).

Version 1 (GridMeter 0.1) kept open orders as untyped records keyed by order
id; its migration keeps them (and the contract, peaks and history marks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ...providers.models import EnergyKind, PowerPeak
from ...providers.switchgrid import SwitchgridContract
from ...storage import StateSchema


@dataclass(slots=True, kw_only=True)
class OpenOrder:
    """An order placed and not imported yet: a restart resumes polling it."""

    id: str
    at: datetime | None = None
    """When it was placed."""
    day: date | None = None
    """The Paris day it was placed."""
    curve: bool = True
    """A load-curve order (else the daily maximum power and the contract)."""
    history: bool = False
    """It asks the whole 24-month window."""
    waiting: bool = False
    """Its load curve waits for Enedis's activation (Switchgrid retries it)."""


@dataclass(slots=True, kw_only=True)
class SwitchgridState:
    """Everything a Switchgrid entry keeps."""

    contract: SwitchgridContract | None = None
    contract_at: datetime | None = None
    peaks: dict[str, PowerPeak] = field(default_factory=dict)
    """Instant (ISO) → the daily maximum power."""
    kinds: frozenset[EnergyKind] = frozenset({EnergyKind.CONSUMPTION})
    orders: dict[str, OpenOrder] = field(default_factory=dict)
    history_for: str | None = None
    """Calendar key the 24-month history was imported with (None: not yet)."""
    activation_requested: datetime | None = None
    last_order_day: date | None = None
    """Paris day of the last daily order (R66, C68)."""
    last_curve: str | None = None
    """``day|calendar key`` of the last load-curve order."""
    reimport_from: date | None = None
    """A re-import asked for: the curve and peaks from this day are ordered."""
    last_reimport: str | None = None
    """``day|start`` of the last re-import ordered (never twice a day)."""
    consent_expires: datetime | None = None
    last_success: datetime | None = None
    directions: dict[str, str] = field(default_factory=dict)
    """Request key → direction of the orders placed (answers do not echo it)."""


def _from_v1(document: dict[str, Any]) -> dict[str, Any]:
    """Version 1 → 2: each open order carries its id (and v1's defaults)."""
    migrated = dict(document)
    orders = document.get("orders") or {}
    if isinstance(orders, dict):
        migrated["orders"] = {
            order_id: {"curve": True, "history": False, **record, "id": order_id}
            for order_id, record in orders.items()
            if isinstance(record, dict)
        }
    return migrated


SCHEMA = StateSchema(model=SwitchgridState, version=2, migrations={1: _from_v1})
