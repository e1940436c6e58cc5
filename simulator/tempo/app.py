"""The services-rte.com Tempo open data simulator.

Serves the two account-free resources RTE's own Tempo page reads:

* ``GET /cms/open_data/v1/tempo?season=2025-2026``: ``{"values": {day:
  colour, "<day>-fallback": "false", ...}}`` for every published day of the
  season, keys in no particular order;
* ``GET /cms/open_data/v1/tempoLight``: the same for today and tomorrow.

A day's colour is published at ``publication`` (10:30 Paris) the day before,
``publication_delay`` later when a test wants a late publication. Knobs:
``unknown_days`` (served without a colour, as RTE once served a day),
``fallback_days`` (flagged ``"true"``: RTE's degraded mode), ``revisions``
(a day's colour changed). Controls under ``/_sim/``: ``truth``, ``requests``,
``faults``, ``reset``, ``clock``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
import re
from typing import Any, Final

from aiohttp import web

from simulator.common import (
    HTML_ERROR_PAGE,
    NowSource,
    SimulatorBase,
    json_bytes,
    noise,
)
from simulator.odre.france import PARIS

from .calendar import Colour, colour_of, season_days

SEASON_PATH: Final = "/cms/open_data/v1/tempo"
LIGHT_PATH: Final = "/cms/open_data/v1/tempoLight"
FIRST_SEASON: Final = 2014
"""RTE's calendar starts with the 2014-2015 season."""
DEFAULT_PUBLICATION: Final = time(10, 30)
_SEASON: Final = re.compile(r"(\d{4})-(\d{4})")


def _html(status: int) -> web.Response:
    page = HTML_ERROR_PAGE.replace("502 Bad Gateway", f"{status} Error")
    return web.Response(
        status=status, body=page.encode(), headers={"Content-Type": "text/html"}
    )


class TempoSimulator(SimulatorBase):
    """A services-rte.com look-alike for the Tempo calendar."""

    def __init__(self, clock: NowSource | None = None) -> None:
        """Create the simulator; ``clock`` defaults to the system clock."""
        super().__init__(clock)
        self.publication = DEFAULT_PUBLICATION
        self.publication_delay = timedelta(0)
        self.unknown_days: set[date] = set()
        self.fallback_days: set[date] = set()
        self.revisions: dict[date, Colour] = {}
        self.app = self._build_app()

    # -- truth ------------------------------------------------------------------

    def truth(self, day: date) -> Colour:
        """Return the colour of ``day`` (published or not)."""
        return self.revisions.get(day, colour_of(day))

    def published_at(self, day: date) -> datetime:
        """When the colour of ``day`` appears in the answers (UTC)."""
        moment = datetime.combine(day - timedelta(days=1), self.publication, PARIS)
        return moment.astimezone(UTC) + self.publication_delay

    def is_published(self, day: date) -> bool:
        """Tell whether the answers carry the colour of ``day`` now."""
        return self.published_at(day) <= self.now()

    def known(self, day: date) -> Colour | None:
        """Return the colour a correct client reads for ``day`` now (None: not known)."""
        if (
            not self.is_published(day)
            or day in self.unknown_days
            or day in self.fallback_days
        ):
            return None
        return self.truth(day)

    def reset(self) -> None:
        """Back to a pristine simulator (the clock is kept)."""
        self.harness.faults.clear()
        self.harness.recorder.clear()
        self.publication = DEFAULT_PUBLICATION
        self.publication_delay = timedelta(0)
        self.unknown_days.clear()
        self.fallback_days.clear()
        self.revisions.clear()

    def describe(self, base_url: str) -> str:
        """Banner printed by ``python -m simulator tempo``."""
        today = self.now().astimezone(PARIS).date()
        first = today.year if today.month >= 9 else today.year - 1
        return (
            f"Tempo (services-rte.com) simulator on {base_url}\n"
            f"  season: {base_url}{SEASON_PATH}?season={first}-{first + 1}\n"
            f"  today and tomorrow: {base_url}{LIGHT_PATH}\n"
            f"  controls: {base_url}/_sim/"
        )

    # -- answers -------------------------------------------------------------------

    def _values(self, days: Iterable[date]) -> dict[str, str]:
        entries: list[tuple[str, str]] = []
        for day in days:
            if not self.is_published(day):
                continue
            key = day.isoformat()
            if day not in self.unknown_days:
                entries.append((key, self.truth(day).value))
            flag = "true" if day in self.fallback_days else "false"
            entries.append((f"{key}-fallback", flag))
        # No order is promised: serve a deterministic shuffle.
        entries.sort(key=lambda entry: noise.hash64("tempo", entry[0]))
        return dict(entries)

    def _failure_body(self, request: web.Request, status: int) -> web.Response:
        response = _html(status)
        if status == 429:
            response.headers["Retry-After"] = "120"
        return response

    def _build_app(self) -> web.Application:
        app = web.Application(
            middlewares=[self.harness.log_middleware, self.harness.fault_middleware]
        )
        self.harness.attach(app)
        app.router.add_get(SEASON_PATH, self._season)
        app.router.add_get(LIGHT_PATH, self._light)
        app.router.add_get("/_sim/truth", self._ctl_truth)
        self.add_control_routes(app)
        return app

    async def _season(self, request: web.Request) -> web.StreamResponse:
        match = _SEASON.fullmatch(request.query.get("season", ""))
        if match is None or int(match[2]) != int(match[1]) + 1:
            return _html(400)
        first = int(match[1])
        today = self.now().astimezone(PARIS).date()
        days = season_days(first) if FIRST_SEASON <= first <= today.year else []
        return self._json({"values": self._values(days)})

    async def _light(self, request: web.Request) -> web.StreamResponse:
        today = self.now().astimezone(PARIS).date()
        return self._json({"values": self._values((today, today + timedelta(days=1)))})

    @staticmethod
    def _json(payload: object) -> web.Response:
        return web.Response(
            body=json_bytes(payload),
            headers={"Content-Type": "application/json;charset=UTF-8"},
        )

    async def _ctl_truth(self, request: web.Request) -> web.StreamResponse:
        try:
            day = date.fromisoformat(request.query["day"])
        except (KeyError, ValueError):
            return web.json_response({"error": "day: YYYY-MM-DD"}, status=400)
        known = self.known(day)
        return web.json_response(
            {
                "day": day.isoformat(),
                "colour": self.truth(day).value,
                "published_at": self.published_at(day).isoformat(),
                "known": known.value if known else None,
            }
        )

    async def _ctl_faults_get(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "pending": self.harness.faults.pending(),
                "latency": self.harness.faults.latencies(),
                "publication": self.publication.isoformat(),
                "publication_delay": self.publication_delay.total_seconds(),
                "unknown_days": sorted(day.isoformat() for day in self.unknown_days),
                "fallback_days": sorted(day.isoformat() for day in self.fallback_days),
            }
        )

    def _apply_provider_action(self, kind: object, action: Mapping[str, Any]) -> bool:
        """Tempo actions of ``POST /_sim/faults``.

        ``{"action": "late", "seconds"}`` (publication delay),
        ``{"action": "unknown" | "fallback", "days": [YYYY-MM-DD, ...]}``,
        ``{"action": "revise", "day", "colour": "BLUE" | "WHITE" | "RED"}``.
        """
        if kind == "late":
            self.publication_delay = timedelta(seconds=float(action["seconds"]))
        elif kind in ("unknown", "fallback"):
            target = self.unknown_days if kind == "unknown" else self.fallback_days
            target.update(date.fromisoformat(str(day)) for day in action["days"])
        elif kind == "revise":
            self.revisions[date.fromisoformat(str(action["day"]))] = Colour(
                str(action["colour"])
            )
        else:
            return False
        return True
