"""Fault injection shared by the simulators.

Faults are registered per endpoint name (the last path segment, e.g.
``get-consumption-data-v2`` or ``login``; ``"*"`` matches every endpoint) and
are consumed by the next answers of that endpoint, in registration order:

* ``fail``      answer ``status`` with ``body`` instead of the real answer;
* ``hang``      wait ``seconds`` (real time) before answering normally, to make
  a client time out;
* ``malformed`` compute the real answer, then corrupt its body: ``truncated``
  (cut in half), ``html`` (an HTML error page served with the original
  status) or ``garbage`` (bytes that look like a broken gzip stream).

Latency (per endpoint or global) is added to every answer until changed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
import json
from typing import Any, Literal

type FaultKind = Literal["fail", "hang", "malformed"]

ANY_ENDPOINT = "*"


class MalformedMode(StrEnum):
    """How a malformed answer is broken."""

    TRUNCATED = "truncated"
    HTML = "html"
    GARBAGE = "garbage"


@dataclass(slots=True, kw_only=True)
class Fault:
    """One registered misbehaviour and how many answers it still affects."""

    kind: FaultKind
    remaining: int
    status: int = 500
    body: bytes | None = None
    content_type: str | None = None
    seconds: float = 0.0
    mode: MalformedMode = MalformedMode.TRUNCATED

    def as_json(self, endpoint: str) -> dict[str, Any]:
        """JSON-friendly description (for ``GET /_sim/faults``)."""
        return {
            "endpoint": endpoint,
            "kind": self.kind,
            "remaining": self.remaining,
            "status": self.status,
            "seconds": self.seconds,
            "mode": str(self.mode),
            "has_body": self.body is not None,
        }


def encode_body(body: object) -> tuple[bytes, str]:
    """Turn a user-supplied body into bytes and a content type.

    ``str`` → UTF-8 text, ``bytes`` → as is, anything else → JSON.
    """
    if isinstance(body, bytes):
        return body, "application/octet-stream"
    if isinstance(body, str):
        return body.encode("utf-8"), "text/plain;charset=UTF-8"
    return (
        json.dumps(body, ensure_ascii=False).encode("utf-8"),
        "application/json",
    )


class FaultRegistry:
    """Pending faults and latencies, by endpoint name."""

    def __init__(self) -> None:
        """Start with no faults and no latency."""
        self._queues: dict[str, list[Fault]] = {}
        self._latency: dict[str, float] = {}
        self._hang_events: set[asyncio.Event] = set()

    # -- registration -------------------------------------------------------

    def _push(self, endpoint: str, fault: Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("times must be at least 1")
        self._queues.setdefault(endpoint, []).append(fault)

    def fail_next(
        self,
        endpoint: str,
        status: int = 500,
        body: object = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``endpoint`` with ``status``/``body``.

        ``body=None`` lets the simulator pick its provider's usual body for that
        status.
        """
        data: bytes | None = None
        content_type: str | None = None
        if body is not None:
            data, content_type = encode_body(body)
        self._push(
            endpoint,
            Fault(
                kind="fail",
                remaining=times,
                status=status,
                body=data,
                content_type=content_type,
            ),
        )

    def hang_next(self, endpoint: str, seconds: float, times: int = 1) -> None:
        """Delay the next ``times`` answers of ``endpoint`` by ``seconds``."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        self._push(endpoint, Fault(kind="hang", remaining=times, seconds=seconds))

    def malformed_next(
        self,
        endpoint: str,
        mode: MalformedMode | str = MalformedMode.TRUNCATED,
        times: int = 1,
    ) -> None:
        """Corrupt the body of the next ``times`` answers of ``endpoint``."""
        self._push(
            endpoint,
            Fault(kind="malformed", remaining=times, mode=MalformedMode(mode)),
        )

    def set_latency(self, seconds: float, endpoint: str = ANY_ENDPOINT) -> None:
        """Add ``seconds`` to every answer of ``endpoint`` (``"*"``: all)."""
        if seconds < 0:
            raise ValueError("latency must not be negative")
        if seconds == 0:
            self._latency.pop(endpoint, None)
        else:
            self._latency[endpoint] = seconds

    # -- consumption --------------------------------------------------------

    def latency_for(self, endpoint: str) -> float:
        """Latency to apply to one answer of ``endpoint``."""
        return self._latency.get(endpoint, self._latency.get(ANY_ENDPOINT, 0.0))

    def take(self, endpoint: str) -> Fault | None:
        """Consume one use of the first pending fault for ``endpoint``.

        Endpoint-specific faults go before ``"*"`` ones. The returned object is
        a snapshot; its ``remaining`` is meaningless.
        """
        for name in (endpoint, ANY_ENDPOINT):
            queue = self._queues.get(name)
            if not queue:
                continue
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.pop(0)
            if not queue:
                del self._queues[name]
            return Fault(
                kind=fault.kind,
                remaining=1,
                status=fault.status,
                body=fault.body,
                content_type=fault.content_type,
                seconds=fault.seconds,
                mode=fault.mode,
            )
        return None

    def pending(self) -> list[dict[str, Any]]:
        """Describe the faults still waiting."""
        return [
            fault.as_json(endpoint)
            for endpoint, queue in self._queues.items()
            for fault in queue
        ]

    def latencies(self) -> dict[str, float]:
        """Return the configured latencies by endpoint."""
        return dict(self._latency)

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` (real time) unless :meth:`release` is called first."""
        if seconds <= 0:
            return
        event = asyncio.Event()
        self._hang_events.add(event)
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            pass
        finally:
            self._hang_events.discard(event)

    def release(self) -> None:
        """Wake every request currently hanging or sleeping for latency."""
        for event in list(self._hang_events):
            event.set()

    def clear(self) -> None:
        """Drop every pending fault and latency and wake sleeping requests."""
        self._queues.clear()
        self._latency.clear()
        self.release()
