"""What a Datadis account remembers between restarts (schema version 2).

Version 1 (GridMeter 0.1) stored the same facts untyped: supplies as a
list, months as plain dicts. Its migration keeps the query ledger, the
token, supplies, contracts, month marks and peaks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from ...providers.datadis import DatadisSupply
from ...providers.models import AreaAverage, Contract, EnergyKind, PowerPeak
from ...storage import RAW, StateSchema


class MonthStatus(StrEnum):
    """How the last query of a month went."""

    OK = "ok"
    """Answered with data."""
    EMPTY = "empty"
    """Answered without data (before the supply's contract, or not yet)."""
    FAILED = "failed"
    """Failed, refused, or answered in part (a distributor error)."""


@dataclass(slots=True, kw_only=True)
class MonthMark:
    """The last query of one month of one series (energy or maximum power)."""

    month: date
    status: MonthStatus
    at: datetime
    tries: int = 1
    """Queries in a row with this (not ok) status."""
    reason: str | None = None


@dataclass(slots=True, kw_only=True)
class ReimportRequest:
    """A re-import asked for: the months from `start` are read again `after`."""

    start: date
    after: datetime
    """When every query of the supply may be asked anew (the 24-hour rule)."""


@dataclass(slots=True, kw_only=True)
class DatadisState:
    """Everything a Datadis account keeps (supply points keyed by meter id)."""

    ledger: dict[str, Any] = field(default_factory=dict, metadata=RAW)
    """The query ledger (`QueryLedger.as_dict`): the 24-hour rule's memory."""
    token: dict[str, str] | None = None
    supplies: dict[str, DatadisSupply] = field(default_factory=dict)
    contracts: dict[str, Contract] = field(default_factory=dict)
    months: dict[str, dict[str, MonthMark]] = field(default_factory=dict)
    """Meter → month key (``YYYY-MM``) → the last energy query of that month."""
    peak_months: dict[str, dict[str, MonthMark]] = field(default_factory=dict)
    peaks: dict[str, dict[str, PowerPeak]] = field(default_factory=dict)
    """Meter → ``YYYY-MM|period`` → the month's peak of that power period."""
    kinds: dict[str, frozenset[EnergyKind]] = field(default_factory=dict)
    """Registers worth a statistic, per meter (solar ones once seen)."""
    area: dict[str, AreaAverage] = field(default_factory=dict)
    area_day: dict[str, date] = field(default_factory=dict)
    """The local day the neighbour comparison was last asked, per meter."""
    reimports: dict[str, ReimportRequest] = field(default_factory=dict)
    """Meter → the re-import waiting for its time."""
    no_supplies: bool = False
    last_success: datetime | None = None


def _from_v1(document: dict[str, Any]) -> dict[str, Any]:
    """Version 1 → 2: supplies keyed by meter id; every month mark has tries."""
    migrated = dict(document)
    supplies = document.get("supplies") or []
    if isinstance(supplies, list):
        migrated["supplies"] = {
            raw["meter_id"]: raw
            for raw in supplies
            if isinstance(raw, dict) and isinstance(raw.get("meter_id"), str)
        }
    for series in ("months", "peak_months"):
        marks = document.get(series) or {}
        if isinstance(marks, dict):
            migrated[series] = {
                meter: {
                    key: {"tries": 1, **mark}
                    for key, mark in by_month.items()
                    if isinstance(mark, dict)
                }
                for meter, by_month in marks.items()
                if isinstance(by_month, dict)
            }
    return migrated


SCHEMA = StateSchema(model=DatadisState, version=2, migrations={1: _from_v1})
