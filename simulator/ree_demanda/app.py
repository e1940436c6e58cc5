"""The REE real-time demand simulator (demanda.ree.es, no account).

``GET /WSvisionaMoviles{Sistema}Rest/resources/demandaGeneracion{Sistema}
?curva=CURVA&fecha=YYYY-MM-DD`` answers JSONP ``null({"valoresHorarios
Generacion": [...]});`` with one row every 5 minutes from 21:00 the day
before to 03:00 the day after (system local time; the Canary Islands one hour
earlier in theirs), up to 5 minutes before the simulated now. On the day
clocks go back the repeated hour is labelled ``2A``/``2B`` (``1A``/``1B`` in
the Canary Islands). Curves: ``DEMANDAAU``, ``CEUTAAU`` and ``MELILLAAU`` on
the Peninsula service, ``CANARIASAU``, ``BALEARESAU``.

Controls under ``/_sim``: ``requests``, ``faults`` (+ ``{"action":
"drop_samples", "system", "start", "end"}``), ``reset``, ``clock`` and
``truth?system=&hour=``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
import json
from typing import Any, Final

from aiohttp import web

from simulator.common import NowSource, SimulatorBase, parse_instant, require_instant
from simulator.common.server import HTML_ERROR_PAGE

from .grid import HOUR, MADRID, MODELS, STEP, TIME_ZONES, floor_step

CURVES: Final = {
    ("Peninsula", "DEMANDAAU"): "peninsular",
    ("Peninsula", "CEUTAAU"): "ceuta",
    ("Peninsula", "MELILLAAU"): "melilla",
    ("Canarias", "CANARIASAU"): "canarias",
    ("Baleares", "BALEARESAU"): "baleares",
}
LAG: Final = timedelta(minutes=5)
"""How long after an instant its sample is served."""


def _label(instant: datetime, system: str) -> str:
    """Write the ``ts`` REE writes: local wall time, A/B on the repeated hour."""
    zone = TIME_ZONES[system]
    local = instant.astimezone(zone)
    wall = local.replace(tzinfo=None)
    other = wall.replace(tzinfo=zone, fold=1 - local.fold)
    if other.utcoffset() == local.utcoffset():
        return f"{local:%Y-%m-%d %H:%M}"
    mark = "B" if local.fold else "A"
    return f"{local:%Y-%m-%d} {local.hour}{mark}:{local:%M}"


def window(day: date) -> tuple[datetime, datetime]:
    """First and last instants an answer for `day` covers (UTC, inclusive)."""
    start = datetime.combine(day - timedelta(days=1), time(21), MADRID)
    end = datetime.combine(day + timedelta(days=1), time(3), MADRID)
    return floor_step(start), floor_step(end)


def _jsonp(rows: list[dict[str, Any]]) -> web.Response:
    payload = json.dumps({"valoresHorariosGeneracion": rows}, separators=(",", ":"))
    return web.Response(text=f"null({payload});", content_type="application/javascript")


def _error(status: int, detail: str) -> web.Response:
    body = {"errors": [{"status": str(status), "title": "Error", "detail": detail}]}
    return web.json_response(body, status=status)


class ReeDemandaSimulator(SimulatorBase):
    """Serves the five systems' 5-minute demand and generation curves."""

    def __init__(self, clock: NowSource | None = None) -> None:
        """Build the app; every system serves its model from the start."""
        super().__init__(clock)
        self._dropped: list[tuple[str, datetime, datetime]] = []
        self.app = self._build_app()

    def _failure_body(self, request: web.Request, status: int) -> web.Response:
        if status >= 500 and status != 500:
            return web.Response(
                status=status, text=HTML_ERROR_PAGE, content_type="text/html"
            )
        return _error(
            status, "Los datos solicitados no están disponibles en este momento."
        )

    def reset(self) -> None:
        """Back to a pristine simulator (the clock is kept)."""
        self.harness.faults.clear()
        self.harness.recorder.clear()
        self._dropped.clear()

    def describe(self, base_url: str) -> str:
        """Human-readable summary (printed by ``python -m simulator ree_demanda``)."""
        curves = "\n".join(
            f"  {system}: {base_url}/WSvisionaMoviles{service}Rest/resources/"
            f"demandaGeneracion{service}?curva={curve}&fecha=YYYY-MM-DD"
            for (service, curve), system in CURVES.items()
        )
        return f"REE real-time demand simulator on {base_url}\n{curves}"

    # -- misbehaviour ---------------------------------------------------------

    def drop_samples(self, system: str, start: datetime, end: datetime) -> None:
        """Leave out the samples of `system` in ``[start, end)``."""
        if system not in MODELS:
            raise ValueError(f"unknown system {system!r}")
        self._dropped.append((system, start, end))

    def _served(self, system: str, instant: datetime) -> bool:
        return instant <= self.now() - LAG and not any(
            name == system and start <= instant < end
            for name, start, end in self._dropped
        )

    def _apply_provider_action(self, kind: object, action: Mapping[str, Any]) -> bool:
        if kind != "drop_samples":
            return False
        self.drop_samples(
            str(action["system"]),
            require_instant(action["start"]),
            require_instant(action["end"]),
        )
        return True

    async def _ctl_faults_get(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "pending": self.harness.faults.pending(),
                "latency": self.harness.faults.latencies(),
                "dropped": [
                    [system, start.isoformat(), end.isoformat()]
                    for system, start, end in self._dropped
                ],
            }
        )

    # -- ground truth -----------------------------------------------------------

    def samples(
        self, system: str, day: date
    ) -> list[tuple[datetime, dict[str, float]]]:
        """Return what an answer for `day` serves now: (UTC instant, fields)."""
        start, end = window(day)
        count = int((end - start) / STEP) + 1
        model = MODELS[system]
        instants = (start + n * STEP for n in range(count))
        return [(t, model(t).fields) for t in instants if self._served(system, t)]

    def truth(self, system: str, hour: datetime) -> tuple[float, float, int]:
        """Mean renewable and total MW of a UTC hour, and its served samples."""
        model = MODELS[system]
        served = [
            model(hour + n * STEP)
            for n in range(int(HOUR / STEP))
            if self._served(system, hour + n * STEP)
        ]
        if not served:
            return 0.0, 0.0, 0
        count = len(served)
        return (
            sum(sample.renewable for sample in served) / count,
            sum(sample.total for sample in served) / count,
            count,
        )

    # -- routes -----------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(
            middlewares=[self.harness.log_middleware, self.harness.fault_middleware]
        )
        self.harness.attach(app)
        app.router.add_get(
            "/WSvisionaMoviles{service}Rest/resources/demandaGeneracion{again}",
            self._demanda,
        )
        app.router.add_get("/_sim/truth", self._ctl_truth)
        self.add_control_routes(app)
        return app

    async def _demanda(self, request: web.Request) -> web.StreamResponse:
        service = request.match_info["service"]
        if request.match_info["again"] != service:
            return _error(404, "Not found")
        system = CURVES.get((service, request.query.get("curva", "")))
        if system is None:
            return web.Response(status=204)
        try:
            day = date.fromisoformat(request.query.get("fecha", ""))
        except ValueError:
            day = None
        if day is None or not 2000 <= day.year <= 2100:
            return _error(400, "fecha must be YYYY-MM-DD")
        rows = [
            {"ts": _label(instant, system), **fields}
            for instant, fields in self.samples(system, day)
        ]
        return _jsonp(rows)

    async def _ctl_truth(self, request: web.Request) -> web.StreamResponse:
        system = request.query.get("system", "")
        try:
            hour = parse_instant(request.query.get("hour"))
        except ValueError:
            hour = None
        if system not in MODELS or hour is None:
            return web.json_response({"error": "system and hour needed"}, status=400)
        renewable, total, samples = self.truth(system, hour)
        return web.json_response(
            {"renewable_mw": renewable, "total_mw": total, "samples": samples}
        )
