"""What a Digiwatt entry remembers between restarts (schema version 2).

Version 1 (GridMeter 0.1) stored the same fields; version 2 only gives the
document its explicit schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...data import Insights
from ...providers.models import GreenWindow
from ...storage import StateSchema


@dataclass(slots=True, kw_only=True)
class DigiwattState:
    """The last analytics and green windows, and when they were read."""

    insights: Insights | None = None
    insights_at: datetime | None = None
    insights_for: str | None = None
    """The household the analytics were read for (they follow its edits)."""
    windows: tuple[GreenWindow, ...] = ()
    last_success: datetime | None = None


def _from_v1(document: dict[str, Any]) -> dict[str, Any]:
    """Version 1 → 2: the same fields."""
    return dict(document)


SCHEMA = StateSchema(model=DigiwattState, version=2, migrations={1: _from_v1})
