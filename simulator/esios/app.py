"""The ESIOS simulator: the public PVPC archive and the token indicator API.

Routes (the real ones):

* ``GET /archives/70/download_json?locale=es&date=YYYY-MM-DD`` — one day
  file, JSON (or a ZIP of it after `zip_single_day`, served as ``text/html``
  like the real one since July 2026); a day not published yet answers
  ``{"PVPC": []}``.
* ``GET /archives/70/download_json?start_date=...&end_date=...&date_type=datos``
  — a ZIP holding one ``PVPC_CURV_DD_YYYYMMDD`` day file per published day.
* ``GET /indicators/{1001,541,542,543,460}?start_date&end_date[&geo_ids[]]``
  — header ``x-api-key`` (401 ``HTTP Token: Access denied.`` without a known
  token). 1001 has five geos (8741-8745) in scrambled order and, on the
  25-hour day, the real ``datetime_utc`` quirk; forecasts cover the
  peninsula (8741) up to the end of tomorrow.

Day D is published at ``publication_time`` (Madrid) on D-1; `withhold`
delays a day until `release`, `revise` changes a published day. Controls
under ``/_sim``: ``requests``, ``faults`` (+ ``withhold``, ``release``,
``revise``, ``zip_single_day`` actions), ``reset``, ``clock``, ``truth``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
import io
from typing import Any, Final
import zipfile
from zoneinfo import ZoneInfo

from aiohttp import web

from simulator.common import NowSource, SimulatorBase, json_bytes, noise
from simulator.common.server import HTML_ERROR_PAGE

from ..ree_demanda.grid import MADRID, hour_mean
from .pvpc import TARIFFS, day_prices, hour_starts, market, written

DEMO_TOKEN: Final = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
PUBLICATION_TIME: Final = time(20, 20)
"""Madrid time on D-1 at which day D's prices appear (REE: about 20:15)."""
DENIED: Final = "HTTP Token: Access denied.\n"
GEOS: Final = {
    8741: ("Península", "PCB"),
    8742: ("Canarias", "PCB"),
    8743: ("Baleares", "PCB"),
    8744: ("Ceuta", "CYM"),
    8745: ("Melilla", "CYM"),
}
FORECASTS: Final = {
    541: ("Previsión de la producción eólica peninsular", "Previsión eólica", "eol"),
    542: ("Generación prevista Solar fotovoltaica", "Solar fotovoltaica", "solFot"),
    543: ("Generación prevista Solar térmica", "Solar térmica", "solTer"),
    460: (
        "Previsión diaria de la demanda eléctrica peninsular",
        "Previsión diaria",
        "dem",
    ),
}
FORECAST_ERROR: Final = 0.06
"""Relative error of a forecast against the modelled (measured) value."""


def _stamp(instant: datetime) -> str:
    """Local Madrid time as ESIOS writes ``datetime``: ``...T02:00:00.000+02:00``."""
    return instant.astimezone(MADRID).isoformat(timespec="milliseconds")


def _utc(instant: datetime, milliseconds: bool) -> str:
    text = instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.000Z" if milliseconds else f"{text}Z"


def _when(text: str | None) -> datetime | None:
    """Read a start/end date: naive values are Madrid local time."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if not 2000 <= parsed.year <= 2100:
        return None
    return parsed.replace(tzinfo=MADRID) if parsed.tzinfo is None else parsed


def _labels(day: date) -> list[str]:
    """``Hora`` labels: local wall hours, by position on the 25-hour day."""
    starts = hour_starts(day)
    if len(starts) == 25:
        return [f"{n:02d}-{n + 1:02d}" for n in range(25)]
    hours = [start.astimezone(MADRID).hour for start in starts]
    return [f"{hour:02d}-{hour + 1:02d}" for hour in hours]


def _error(status: int, detail: str) -> web.Response:
    body = {"errors": [{"status": str(status), "title": "Error", "detail": detail}]}
    return web.json_response(body, status=status)


class EsiosSimulator(SimulatorBase):
    """Serves PVPC prices (archive and indicator 1001) and grid forecasts."""

    def __init__(self, clock: NowSource | None = None) -> None:
        """Build the app with the demo token known."""
        super().__init__(clock)
        self.tokens: set[str] = {DEMO_TOKEN}
        self.publication_time = PUBLICATION_TIME
        self.zip_single_day = False
        self.retry_after = 30
        """Retry-After seconds of an injected 429."""
        self._withheld: set[date] = set()
        self._revisions: dict[date, float] = {}
        self._served: dict[tuple[date, str], tuple[float, ...]] = {}
        self.app = self._build_app()

    def _failure_body(self, request: web.Request, status: int) -> web.Response:
        if status in (401, 403):
            return web.Response(status=status, text=DENIED)
        if status == 429:
            return web.json_response(
                {"message": "Too many requests"},
                status=429,
                headers={"Retry-After": str(self.retry_after)},
            )
        if status >= 500 and status != 500:
            return web.Response(
                status=status, text=HTML_ERROR_PAGE, content_type="text/html"
            )
        return _error(status, "Internal error")

    def reset(self) -> None:
        """Back to a pristine simulator (the clock is kept)."""
        self.harness.faults.clear()
        self.harness.recorder.clear()
        self.tokens = {DEMO_TOKEN}
        self.publication_time = PUBLICATION_TIME
        self.zip_single_day = False
        self.retry_after = 30
        self._withheld.clear()
        self._revisions.clear()
        self._served.clear()

    def describe(self, base_url: str) -> str:
        """Human-readable summary (printed by ``python -m simulator esios``)."""
        return (
            f"ESIOS simulator on {base_url}\n"
            f"PVPC day file: {base_url}/archives/70/download_json?locale=es&date=YYYY-MM-DD\n"
            f"Indicators 1001, 541, 542, 543, 460: {base_url}/indicators/ID "
            f"(header x-api-key: {DEMO_TOKEN})"
        )

    # -- publication, revisions -----------------------------------------------

    def published_at(self, day: date) -> datetime:
        """When day `day`'s prices appear (UTC)."""
        previous = day - timedelta(days=1)
        return datetime.combine(previous, self.publication_time, MADRID).astimezone(UTC)

    def published(self, day: date) -> bool:
        """Whether `day`'s prices are served now."""
        return day not in self._withheld and self.now() >= self.published_at(day)

    def withhold(self, day: date) -> None:
        """Serve `day` as not published until `release`."""
        self._withheld.add(day)

    def release(self, day: date) -> None:
        """Publish a withheld day (if its time has come)."""
        self._withheld.discard(day)

    def revise(self, day: date, delta_eur_mwh: float) -> None:
        """Add `delta_eur_mwh` to every price of `day` (both tariffs)."""
        self._revisions[day] = self._revisions.get(day, 0.0) + delta_eur_mwh
        self._served.pop((day, "PCB"), None)
        self._served.pop((day, "CYM"), None)

    def prices(self, day: date, tariff: str) -> tuple[float, ...]:
        """Return the served €/MWh of every hour of `day` (revisions included)."""
        served = self._served.get((day, tariff))
        if served is None:
            delta = self._revisions.get(day, 0.0)
            served = tuple(round(value + delta, 2) for value in day_prices(day, tariff))
            self._served[(day, tariff)] = served
        return served

    def truth(
        self, day: date, tariff: str, time_zone: ZoneInfo = MADRID
    ) -> dict[datetime, float]:
        """Return €/kWh by UTC hour start, as a supply in `time_zone` pays `day`."""
        start = datetime.combine(day, time(), time_zone).astimezone(UTC)
        values = self.prices(day, tariff)
        return {
            start + n * timedelta(hours=1): round(value / 1000.0, 5)
            for n, value in enumerate(values)
        }

    def forecast(self, indicator: int, hour: datetime) -> float:
        """Return the served forecast of a UTC hour (MW, one decimal)."""
        field = FORECASTS[indicator][2]
        error = FORECAST_ERROR * noise.signed(
            "esios:forecast", indicator, int(hour.timestamp())
        )
        return round(max(0.0, hour_mean("peninsular", hour, field) * (1.0 + error)), 1)

    def horizon(self) -> datetime:
        """End of the forecast horizon: the end of tomorrow (Madrid)."""
        today = self.now().astimezone(MADRID).date()
        return datetime.combine(today + timedelta(days=2), time(), MADRID).astimezone(
            UTC
        )

    # -- controls ---------------------------------------------------------------

    def _apply_provider_action(self, kind: object, action: Mapping[str, Any]) -> bool:
        if kind == "withhold":
            self.withhold(date.fromisoformat(str(action["day"])))
        elif kind == "release":
            self.release(date.fromisoformat(str(action["day"])))
        elif kind == "revise":
            self.revise(date.fromisoformat(str(action["day"])), float(action["delta"]))
        elif kind == "zip_single_day":
            self.zip_single_day = bool(action.get("on", True))
        else:
            return False
        return True

    async def _ctl_faults_get(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "pending": self.harness.faults.pending(),
                "latency": self.harness.faults.latencies(),
                "withheld": sorted(day.isoformat() for day in self._withheld),
                "revisions": {day.isoformat(): d for day, d in self._revisions.items()},
                "zip_single_day": self.zip_single_day,
            }
        )

    async def _ctl_truth(self, request: web.Request) -> web.StreamResponse:
        try:
            day = date.fromisoformat(request.query.get("day", ""))
        except ValueError:
            return web.json_response({"error": "day=YYYY-MM-DD needed"}, status=400)
        tariff = request.query.get("tariff", "PCB")
        if tariff not in TARIFFS:
            return web.json_response({"error": "tariff is PCB or CYM"}, status=400)
        return web.json_response(
            {
                start.isoformat(): price
                for start, price in self.truth(day, tariff).items()
            }
        )

    # -- routes -------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(
            middlewares=[self.harness.log_middleware, self.harness.fault_middleware]
        )
        self.harness.attach(app)
        app.router.add_get("/archives/{archive}/download_json", self._archive)
        app.router.add_get("/indicators/{indicator}", self._indicator)
        app.router.add_get("/_sim/truth", self._ctl_truth)
        self.add_control_routes(app)
        return app

    def day_file(self, day: date) -> dict[str, Any]:
        """Build the day file of a published day (``{"PVPC": []}`` otherwise)."""
        if not self.published(day):
            return {"PVPC": []}
        pcb, cym = self.prices(day, "PCB"), self.prices(day, "CYM")
        rows = []
        for n, (label, start) in enumerate(
            zip(_labels(day), hour_starts(day), strict=True)
        ):
            wholesale = market(day, start.astimezone(MADRID).hour)
            rows.append(
                {
                    "Dia": f"{day:%d/%m/%Y}",
                    "Hora": label,
                    "PCB": written(pcb[n]),
                    "CYM": written(cym[n]),
                    "COF2TD": "0,000086527344000000",
                    "PMHPCB": written(wholesale),
                    "PMHCYM": written(wholesale),
                    "TEUPCB": written(pcb[n] - wholesale - 9.5),
                    "TEUCYM": written(cym[n] - wholesale - 9.5),
                }
            )
        return {"PVPC": rows}

    def _zip(self, days: list[date]) -> web.Response:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for day in days:
                archive.writestr(
                    f"PVPC_CURV_DD_{day:%Y%m%d}", json_bytes(self.day_file(day))
                )
        return web.Response(body=buffer.getvalue(), content_type="text/html")

    async def _archive(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["archive"] != "70":
            return _error(404, "Archive not found")
        query = request.query
        if "date" in query:
            when = _when(query["date"][:10])
            if when is None:
                return _error(400, "date must be YYYY-MM-DD")
            day = when.date()
            if self.zip_single_day and self.published(day):
                return self._zip([day])
            return web.Response(
                body=json_bytes(self.day_file(day)), content_type="application/json"
            )
        start, end = _when(query.get("start_date")), _when(query.get("end_date"))
        if start is None or end is None or end < start:
            return _error(400, "start_date and end_date are needed")
        first, last = start.astimezone(MADRID).date(), end.astimezone(MADRID).date()
        span = (last - first).days + 1
        days = [first + timedelta(days=n) for n in range(span)]
        return self._zip([day for day in days if self.published(day)])

    def _authorised(self, request: web.Request) -> bool:
        key = request.headers.get("x-api-key", "")
        legacy = request.headers.get("Authorization", "").removeprefix("Token token=")
        return bool({key.strip('"'), legacy.strip('"')} & self.tokens)

    async def _indicator(self, request: web.Request) -> web.StreamResponse:
        if not self._authorised(request):
            return web.Response(status=401, text=DENIED)
        try:
            indicator = int(request.match_info["indicator"])
        except ValueError:
            return _error(404, "Indicator not found")
        if indicator != 1001 and indicator not in FORECASTS:
            return _error(404, "Indicator not found")
        start = _when(request.query.get("start_date"))
        end = _when(request.query.get("end_date"))
        if start is None or end is None or end < start:
            return _error(400, "start_date and end_date are needed")
        geos = {int(g) for g in request.query.getall("geo_ids[]", []) if g.isdigit()}
        first, last = start.astimezone(MADRID).date(), end.astimezone(MADRID).date()
        hours = [
            hour
            for n in range((last - first).days + 1)
            for hour in hour_starts(first + timedelta(days=n))
            if start <= hour <= end
        ]
        if indicator == 1001:
            body = self._pvpc_indicator(hours, geos or set(GEOS))
        else:
            body = self._forecast_indicator(indicator, hours)
        return web.Response(body=json_bytes(body), content_type="application/json")

    def _pvpc_indicator(self, hours: list[datetime], geos: set[int]) -> dict[str, Any]:
        values = []
        previous_utc = ""
        wanted = sorted(geos & set(GEOS))
        for hour in hours:
            local = hour.astimezone(MADRID)
            day = local.date()
            if not self.published(day):
                continue
            index = hour_starts(day).index(hour)
            stamp, utc_text, tz_time = (
                local.isoformat(timespec="milliseconds"),
                _utc(hour, False),
                _utc(hour, True),
            )
            # The real 25-hour day repeats the previous datetime_utc for the
            # second pass of the repeated hour (tz_time is right).
            served_utc = previous_utc if local.fold else utc_text
            previous_utc = utc_text
            for geo in sorted(wanted, key=lambda geo: noise.unit("geo", geo, index)):
                name, tariff = GEOS[geo]
                values.append(
                    {
                        "value": self.prices(day, tariff)[index],
                        "datetime": stamp,
                        "datetime_utc": served_utc,
                        "tz_time": tz_time,
                        "geo_id": geo,
                        "geo_name": name,
                    }
                )
        return {
            "indicator": {
                "name": "Término de facturación de energía activa del PVPC 2.0TD",
                "short_name": "PVPC T. 2.0TD",
                "id": 1001,
                "composited": False,
                "step_type": "linear",
                "disaggregated": True,
                "magnitud": [{"name": "Precio", "id": 23}],
                "tiempo": [{"name": "Hora", "id": 4}],
                "geos": [
                    {"geo_id": geo, "geo_name": GEOS[geo][0]} for geo in sorted(GEOS)
                ],
                "values_updated_at": _stamp(self.now()),
                "values": values,
            }
        }

    def _forecast_indicator(
        self, indicator: int, hours: list[datetime]
    ) -> dict[str, Any]:
        name, short_name, _ = FORECASTS[indicator]
        horizon = self.horizon()
        values = [
            {
                "value": self.forecast(indicator, hour),
                "datetime": _stamp(hour),
                "datetime_utc": _utc(hour, False),
                "tz_time": _utc(hour, True),
                "geo_id": 8741,
                "geo_name": "Península",
            }
            for hour in hours
            if hour < horizon
        ]
        return {
            "indicator": {
                "name": name,
                "short_name": short_name,
                "id": indicator,
                "composited": False,
                "step_type": "linear",
                "disaggregated": False,
                "magnitud": [{"name": "Potencia", "id": 20}],
                "tiempo": [{"name": "Hora", "id": 4}],
                "geos": [{"geo_id": 8741, "geo_name": "Península"}],
                "values_updated_at": _stamp(self.now()),
                "values": values,
            }
        }


def forecast_mix(sim: EsiosSimulator, hour: datetime) -> tuple[float, float]:
    """Renewable (wind + solar, capped at demand) and total forecast MW of an hour."""
    wind, pv, thermal, demand = (sim.forecast(i, hour) for i in (541, 542, 543, 460))
    return min(wind + pv + thermal, demand), demand
