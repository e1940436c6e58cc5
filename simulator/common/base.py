"""What every provider simulator shares: clock, request log, faults, controls.

A provider simulator subclasses :class:`SimulatorBase`, gives its
``_failure_body`` (the provider's usual error bodies), ``reset`` and
``_ctl_faults_get``, and adds its own actions by overriding
``_apply_provider_action``. :meth:`SimulatorBase.add_control_routes` serves
the controls every simulator has under ``/_sim``: ``requests``, ``faults``
(GET and POST), ``reset`` and ``clock`` (GET and POST).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from .clock import Clock, NowSource
from .faults import MalformedMode
from .request_log import RequestLog
from .server import CONTROL_PREFIX, EndpointOf, Harness, default_endpoint_of


class SimulatorBase:
    """Clock, harness, fault knobs and the shared ``/_sim`` controls."""

    def __init__(
        self,
        clock: NowSource | None = None,
        *,
        endpoint_of: EndpointOf = default_endpoint_of,
    ) -> None:
        """Create the clock and the harness (``clock`` defaults to the system's)."""
        self.clock = Clock(clock)
        self.harness = Harness(
            self.clock, failure_body=self._failure_body, endpoint_of=endpoint_of
        )

    def _failure_body(self, request: web.Request, status: int) -> web.Response:
        """Body of an injected failure without an explicit one."""
        raise NotImplementedError

    def reset(self) -> None:
        """Back to a pristine simulator (the clock is kept)."""
        raise NotImplementedError

    async def _ctl_faults_get(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError

    def _apply_provider_action(self, kind: object, action: Mapping[str, Any]) -> bool:
        """Apply a provider-specific action; False when ``kind`` is unknown."""
        return False

    # -- clock and request log ----------------------------------------------

    def now(self) -> datetime:
        """Return the simulated instant (aware UTC)."""
        return self.clock.now()

    @property
    def requests(self) -> list[RequestLog]:
        """Requests answered so far (control endpoints excluded)."""
        return self.harness.recorder.entries

    def count(self, path_suffix: str = "") -> int:
        """How many logged requests have a path ending with ``path_suffix``."""
        return self.harness.recorder.count(path_suffix)

    # -- misbehaviour ---------------------------------------------------------

    def set_latency(self, seconds: float, endpoint: str = "*") -> None:
        """Delay every answer (or one endpoint's) by ``seconds`` of real time."""
        self.harness.faults.set_latency(seconds, endpoint)

    def fail_next(
        self, endpoint: str, status: int = 500, body: object = None, times: int = 1
    ) -> None:
        """Answer the next ``times`` calls of ``endpoint`` with ``status``.

        ``body=None`` gives the provider's usual body for that status (see the
        simulator's ``_failure_body``).
        """
        self.harness.faults.fail_next(endpoint, status, body, times)

    def hang_next(self, endpoint: str, seconds: float, times: int = 1) -> None:
        """Hold the next ``times`` answers of ``endpoint`` for ``seconds``."""
        self.harness.faults.hang_next(endpoint, seconds, times)

    def malformed_next(
        self, endpoint: str, mode: MalformedMode | str = "truncated", times: int = 1
    ) -> None:
        """Break the body of the next answers: truncated, html or garbage."""
        self.harness.faults.malformed_next(endpoint, mode, times)

    def apply_action(self, action: Mapping[str, Any]) -> None:
        """Apply one ``POST /_sim/faults`` action (same knobs as the Python API).

        Every simulator knows ``{"action": "fail", "endpoint", "status",
        "body", "times"}``, ``{"action": "hang", "endpoint", "seconds",
        "times"}``, ``{"action": "malformed", "endpoint", "mode", "times"}``,
        ``{"action": "latency", "seconds", "endpoint"?}`` and
        ``{"action": "clear"}``; the others are the provider's.
        """
        if not isinstance(action, Mapping):
            raise TypeError("each action must be an object")
        kind = action.get("action")
        times = int(action.get("times", 1))
        if kind == "fail":
            self.fail_next(
                str(action["endpoint"]),
                int(action.get("status", 500)),
                action.get("body"),
                times,
            )
        elif kind == "hang":
            self.hang_next(str(action["endpoint"]), float(action["seconds"]), times)
        elif kind == "malformed":
            self.malformed_next(
                str(action["endpoint"]), str(action.get("mode", "truncated")), times
            )
        elif kind == "latency":
            self.set_latency(float(action["seconds"]), str(action.get("endpoint", "*")))
        elif kind == "clear":
            self.harness.faults.clear()
        elif not self._apply_provider_action(kind, action):
            raise ValueError(f"unknown action {kind!r}")

    # -- /_sim controls -------------------------------------------------------

    def add_control_routes(self, app: web.Application) -> None:
        """Serve ``/_sim/requests``, ``/_sim/faults``, ``/_sim/reset``, ``/_sim/clock``."""
        add = app.router.add_route
        add("GET", f"{CONTROL_PREFIX}/requests", self._ctl_requests)
        add("GET", f"{CONTROL_PREFIX}/faults", self._ctl_faults_get)
        add("POST", f"{CONTROL_PREFIX}/faults", self._ctl_faults_post)
        add("POST", f"{CONTROL_PREFIX}/reset", self._ctl_reset)
        add("GET", f"{CONTROL_PREFIX}/clock", self._ctl_clock)
        add("POST", f"{CONTROL_PREFIX}/clock", self._ctl_clock)

    async def _ctl_requests(self, request: web.Request) -> web.StreamResponse:
        return web.json_response([entry.as_json() for entry in self.requests])

    async def _ctl_faults_post(self, request: web.Request) -> web.StreamResponse:
        try:
            payload = await request.json()
        except ValueError:
            return web.json_response({"error": "body must be JSON"}, status=400)
        actions = payload if isinstance(payload, list) else [payload]
        if not all(isinstance(action, dict) for action in actions):
            return web.json_response(
                {"error": "each action must be an object"}, status=400
            )
        try:
            for action in actions:
                self.apply_action(action)
        except (KeyError, ValueError, TypeError) as err:
            return web.json_response({"error": str(err)}, status=400)
        return web.json_response({"ok": True, "applied": len(actions)})

    async def _ctl_reset(self, request: web.Request) -> web.StreamResponse:
        self.reset()
        return web.json_response({"ok": True})

    async def _ctl_clock(self, request: web.Request) -> web.StreamResponse:
        if request.method == "POST":
            try:
                payload = await request.json()
            except ValueError:
                payload = None
            if not isinstance(payload, dict):
                return web.json_response(
                    {"error": "body must be a JSON object"}, status=400
                )
            try:
                if payload.get("system"):
                    self.clock.set(None)
                if "now" in payload:
                    self.clock.set(require_instant(payload["now"]))
                if "advance_seconds" in payload:
                    self.clock.advance(
                        timedelta(seconds=float(payload["advance_seconds"]))
                    )
            except (ValueError, TypeError) as err:
                return web.json_response({"error": str(err)}, status=400)
        return web.json_response({"now": self.now().isoformat()})


def parse_instant(value: str | None) -> datetime | None:
    """Parse an ISO instant (naive values are taken as UTC); None when empty."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def require_instant(value: object) -> datetime:
    """Parse an ISO instant like :func:`parse_instant`; ValueError when empty."""
    instant = parse_instant(str(value))
    if instant is None:
        raise ValueError("missing instant")
    return instant
