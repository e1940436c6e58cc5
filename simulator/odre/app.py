"""The ODRÉ (Opendatasoft) simulator: éCO2mix national real-time records.

Serves ``GET /api/explore/v2.1/catalog/datasets/eco2mix-national-tr/exports/json``
with the Explore API parameters the client uses (``select``, ``where`` on
``date_heure``, ``timezone``, ``limit``) over the grid of :mod:`.grid`, plus
controls under ``/_sim/`` (``truth``, ``requests``, ``faults``, ``reset``,
``clock``).

Rules it follows, as the real dataset does:

* rows are 15-minute slots; ``date_heure`` is rendered in the requested
  ``timezone`` (UTC by default), ``date`` and ``heure`` in Paris time;
* the dataset is refreshed hourly: a slot is measured once it ended before
  the last full hour; the rest of today is listed with the consumption
  forecasts only (every production figure ``null``);
* ``taux_co2`` is filled on the half hours only;
* it keeps the last ``window`` (35 days by default);
* records come in no particular order.

Knobs for tests: ``nd_slots`` (production figures ``"ND"``),
``missing_slots`` (rows absent), ``string_slots`` (figures as numeric
strings), ``duplicate_slots`` (a row served twice).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
import re
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from simulator.common import NowSource, SimulatorBase, json_bytes, noise
from simulator.common.server import default_endpoint_of

from .france import PARIS
from .grid import SLOT, Slot, slot

DATASET: Final = "eco2mix-national-tr"
EXPORT_PATH: Final = f"/api/explore/v2.1/catalog/datasets/{DATASET}/exports/json"
DEFAULT_WINDOW: Final = timedelta(days=35)
MAX_EXPORT_ROWS: Final = 20_000

PRODUCTION_FIELDS: Final = (
    "fioul",
    "charbon",
    "gaz",
    "nucleaire",
    "eolien",
    "solaire",
    "hydraulique",
    "pompage",
    "bioenergies",
    "ech_physiques",
    "taux_co2",
    "eolien_terrestre",
    "eolien_offshore",
    "hydraulique_fil_eau_eclusee",
    "hydraulique_lacs",
    "hydraulique_step_turbinage",
)
FIELDS: Final = (
    "perimetre",
    "nature",
    "date",
    "heure",
    "date_heure",
    "consommation",
    "prevision_j1",
    "prevision_j",
    *PRODUCTION_FIELDS,
    "stockage_batterie",
    "destockage_batterie",
)
_WHERE: Final = re.compile(
    r"date_heure\s*>=\s*'([^']+)'\s+and\s+date_heure\s*<\s*'([^']+)'",
    re.IGNORECASE,
)


def ods_error(status: int, code: str, message: str) -> web.Response:
    """Answer an Opendatasoft error: ``{"error_code", "message"}``."""
    return web.Response(
        status=status,
        body=json_bytes({"error_code": code, "message": message}),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )


def _instant(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _ceil_slot(instant: datetime) -> datetime:
    floor = instant.replace(
        minute=instant.minute - instant.minute % 15, second=0, microsecond=0
    )
    return floor if floor == instant else floor + SLOT


def _endpoint_of(request: web.Request) -> str:
    name = request.match_info.route.name
    return name if name else default_endpoint_of(request)


class OdreSimulator(SimulatorBase):
    """An ODRÉ look-alike serving the éCO2mix national real-time dataset."""

    def __init__(self, clock: NowSource | None = None) -> None:
        """Create the simulator; ``clock`` defaults to the system clock."""
        super().__init__(clock, endpoint_of=_endpoint_of)
        self.window = DEFAULT_WINDOW
        self.nd_slots: set[datetime] = set()
        self.missing_slots: set[datetime] = set()
        self.string_slots: set[datetime] = set()
        self.duplicate_slots: set[datetime] = set()
        self.app = self._build_app()

    # -- truth -------------------------------------------------------------------

    def truth(self, start: datetime) -> Slot:
        """Return the grid of the slot starting at ``start``."""
        return slot(start.astimezone(UTC))

    def measured_until(self) -> datetime:
        """End of the last measured slot: the last full hour of the clock."""
        return self.now().replace(minute=0, second=0, microsecond=0)

    def listed_until(self) -> datetime:
        """End of the rows listed: the end of today in Paris."""
        today = self.now().astimezone(PARIS).date()
        tomorrow = datetime.combine(
            today + timedelta(days=1), datetime.min.time(), PARIS
        )
        return tomorrow.astimezone(UTC)

    def first_slot(self) -> datetime:
        """Return the oldest slot the dataset still keeps."""
        return _ceil_slot(self.now() - self.window)

    def reset(self) -> None:
        """Back to a pristine simulator (the clock is kept)."""
        self.harness.faults.clear()
        self.harness.recorder.clear()
        self.window = DEFAULT_WINDOW
        for knob in (
            self.nd_slots,
            self.missing_slots,
            self.string_slots,
            self.duplicate_slots,
        ):
            knob.clear()

    def describe(self, base_url: str) -> str:
        """Banner printed by ``python -m simulator odre``."""
        return (
            f"ODRÉ (éCO2mix) simulator on {base_url}\n"
            f"  export: {base_url}{EXPORT_PATH}"
            "?where=date_heure >= '…' AND date_heure < '…'&timezone=UTC\n"
            f"  controls: {base_url}/_sim/"
        )

    # -- rendering ------------------------------------------------------------------

    def _record(self, truth: Slot, zone: ZoneInfo, measured: bool) -> dict[str, Any]:
        local = truth.start.astimezone(PARIS)
        record: dict[str, Any] = {
            "perimetre": "France",
            "nature": "Données temps réel",
            "date": local.date().isoformat(),
            "heure": local.strftime("%H:%M"),
            "date_heure": truth.start.astimezone(zone).isoformat(),
            "consommation": truth.consommation if measured else None,
            "prevision_j1": truth.prevision_j1,
            "prevision_j": truth.prevision_j,
            "stockage_batterie": "ND",
            "destockage_batterie": "ND",
        }
        for name in PRODUCTION_FIELDS:
            record[name] = getattr(truth, name) if measured else None
        if measured and truth.start.minute % 30:
            record["taux_co2"] = None
        if truth.start in self.nd_slots:
            record.update(
                dict.fromkeys(("nucleaire", "eolien", "solaire", "gaz"), "ND")
            )
        if truth.start in self.string_slots:
            record.update(
                (name, str(value))
                for name, value in record.items()
                if isinstance(value, int) and not isinstance(value, bool)
            )
        return record

    def _rows(
        self, start: datetime, end: datetime, zone: ZoneInfo
    ) -> Iterator[dict[str, Any]]:
        measured_until = self.measured_until()
        cursor = max(_ceil_slot(start), self.first_slot())
        stop = min(end, self.listed_until())
        while cursor < stop:
            if cursor not in self.missing_slots:
                record = self._record(
                    slot(cursor), zone, cursor + SLOT <= measured_until
                )
                yield record
                if cursor in self.duplicate_slots:
                    yield dict(record)
            cursor += SLOT

    # -- app ------------------------------------------------------------------------

    def _failure_body(self, request: web.Request, status: int) -> web.Response:
        if status == 429:
            response = ods_error(
                429,
                "TooManyRequests",
                "Too many requests on the domain. Please contact the domain administrator.",
            )
            response.headers["Retry-After"] = "3600"
            return response
        if status >= 500:
            return ods_error(status, "InternalError", "An internal error occurred.")
        return ods_error(status, "InvalidRESTParameterError", f"HTTP {status}")

    def _build_app(self) -> web.Application:
        app = web.Application(
            middlewares=[self.harness.log_middleware, self.harness.fault_middleware]
        )
        self.harness.attach(app)
        app.router.add_get(EXPORT_PATH, self._export, name="exports")
        app.router.add_get("/_sim/truth", self._ctl_truth)
        self.add_control_routes(app)
        return app

    async def _export(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        match = _WHERE.fullmatch(query.get("where", "").strip())
        if match is None:
            return ods_error(
                400,
                "ODSQLError",
                "this simulator filters on date_heure >= '…' AND date_heure < '…' only",
            )
        try:
            start, end = _instant(match[1]), _instant(match[2])
            zone = ZoneInfo(query.get("timezone", "UTC"))
            limit = int(query.get("limit", "-1"))
        except (ValueError, ZoneInfoNotFoundError):
            return ods_error(
                400, "InvalidRESTParameterError", "Invalid parameter value"
            )
        selected = [
            name.strip() for name in query.get("select", "").split(",") if name.strip()
        ]
        unknown = [name for name in selected if name not in FIELDS]
        if unknown:
            return ods_error(400, "ODSQLError", f"Unknown field: {unknown[0]}")
        rows = list(self._rows(start, end, zone))
        if 0 <= limit < len(rows):
            rows = rows[:limit]
        rows = rows[:MAX_EXPORT_ROWS]
        if selected:
            rows = [{name: row[name] for name in selected} for row in rows]
        # No order is promised: serve a deterministic shuffle.
        rows.sort(key=lambda row: noise.hash64("odre", str(row.get("date_heure"))))
        return web.Response(
            body=json_bytes(rows),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )

    async def _ctl_truth(self, request: web.Request) -> web.StreamResponse:
        try:
            start = _ceil_slot(_instant(request.query["start"]))
        except (KeyError, ValueError):
            return web.json_response({"error": "start: an ISO instant"}, status=400)
        truth = slot(start)
        return web.json_response(
            {
                "start": truth.start.isoformat(),
                "production": truth.production,
                "renewable": truth.renewable,
                "taux_co2": truth.taux_co2,
            }
        )

    async def _ctl_faults_get(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "pending": self.harness.faults.pending(),
                "latency": self.harness.faults.latencies(),
                "nd_slots": sorted(item.isoformat() for item in self.nd_slots),
                "missing_slots": sorted(
                    item.isoformat() for item in self.missing_slots
                ),
            }
        )

    def _apply_provider_action(self, kind: object, action: Mapping[str, Any]) -> bool:
        """ODRÉ actions of ``POST /_sim/faults``.

        ``{"action": "nd" | "missing" | "strings" | "duplicate", "slots": [iso, ...]}``.
        """
        knobs = {
            "nd": self.nd_slots,
            "missing": self.missing_slots,
            "strings": self.string_slots,
            "duplicate": self.duplicate_slots,
        }
        knob = knobs.get(str(kind))
        if knob is None:
            return False
        knob.update(_ceil_slot(_instant(str(item))) for item in action["slots"])
        return True
