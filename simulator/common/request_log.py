"""The request log every simulator keeps (what the client really sent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestLog:
    """One request as the simulator saw and answered it."""

    method: str
    path: str
    query: dict[str, str]
    """Query parameters (last value wins when one is repeated)."""
    status: int
    """Status answered; 499 when the client went away before the answer."""
    time: datetime
    """Simulated instant (the simulator clock) the request arrived."""
    endpoint: str = ""
    """Endpoint name used for fault injection (e.g. ``get-supplies-v2``)."""
    identity: str | None = None
    """Who made it, when the simulator knows (e.g. the Datadis username)."""
    fault: str | None = None
    """Injected misbehaviour applied to this request, if any."""
    form: dict[str, str] = field(default_factory=dict)
    """Form fields of the body (passwords are masked)."""

    def as_json(self) -> dict[str, Any]:
        """JSON-friendly view (for the ``/_sim/requests`` endpoint)."""
        return {
            "method": self.method,
            "path": self.path,
            "query": dict(self.query),
            "status": self.status,
            "time": self.time.isoformat(),
            "endpoint": self.endpoint,
            "identity": self.identity,
            "fault": self.fault,
            "form": dict(self.form),
        }


class RequestRecorder:
    """Append-only list of :class:`RequestLog` with a few helpers."""

    def __init__(self) -> None:
        """Start empty."""
        self._entries: list[RequestLog] = []

    @property
    def entries(self) -> list[RequestLog]:
        """A copy of the log, oldest first."""
        return list(self._entries)

    def add(self, entry: RequestLog) -> None:
        """Record one answered request."""
        self._entries.append(entry)

    def count(self, path_suffix: str = "") -> int:
        """Count logged requests whose path ends with ``path_suffix``."""
        return sum(1 for entry in self._entries if entry.path.endswith(path_suffix))

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()
