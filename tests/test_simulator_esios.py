"""The ESIOS and REE demand simulators: real formats, controls, misbehaviour."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
import io
import json
import zipfile

import aiohttp
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from simulator.__main__ import PROVIDERS, build_parser
from simulator.common import serving
from simulator.esios import DEMO_TOKEN, EsiosSimulator
from simulator.ree_demanda import ReeDemandaSimulator, window

NOW = datetime(2026, 10, 26, 21, 0, tzinfo=UTC)
AUTUMN = date(2026, 10, 25)
KEY = {"x-api-key": DEMO_TOKEN}

pytestmark = pytest.mark.usefixtures("socket_enabled")


class Served:
    """A simulator on a local port with a session to talk to it."""

    def __init__(
        self,
        sim: EsiosSimulator | ReeDemandaSimulator,
        url: str,
        session: aiohttp.ClientSession,
    ) -> None:
        self.sim = sim
        self.url = url
        self.session = session

    async def get(
        self, path: str, **kwargs: object
    ) -> tuple[int, bytes, aiohttp.typedefs.LooseHeaders]:
        async with self.session.get(self.url + path, **kwargs) as response:  # type: ignore[arg-type]
            return response.status, await response.read(), response.headers

    async def post(self, path: str, payload: object) -> tuple[int, dict]:
        async with self.session.post(self.url + path, json=payload) as response:
            return response.status, await response.json()


@pytest.fixture
async def esios() -> AsyncIterator[Served]:
    sim = EsiosSimulator(lambda: NOW)
    async with (
        serving(sim.app, access_log=False) as url,
        aiohttp.ClientSession() as session,
    ):
        yield Served(sim, url, session)


@pytest.fixture
async def ree() -> AsyncIterator[Served]:
    sim = ReeDemandaSimulator(lambda: NOW)
    async with (
        serving(sim.app, access_log=False) as url,
        aiohttp.ClientSession() as session,
    ):
        yield Served(sim, url, session)


# -- ESIOS ------------------------------------------------------------------------


async def test_day_file_format(esios: Served) -> None:
    """Strings with decimal commas, Dia DD/MM/YYYY, Hora HH-HH, PCB and CYM."""
    status, body, headers = await esios.get(
        "/archives/70/download_json?locale=es&date=2026-10-25"
    )
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    rows = json.loads(body)["PVPC"]
    assert len(rows) == 25
    assert rows[0]["Dia"] == "25/10/2026"
    assert [rows[0]["Hora"], rows[-1]["Hora"]] == ["00-01", "24-25"]
    assert all("," in row["PCB"] and "," in row["CYM"] for row in rows)
    status, body, _ = await esios.get("/archives/70/download_json?date=2026-10-28")
    assert json.loads(body) == {"PVPC": []}


async def test_range_is_a_zip_of_day_files(esios: Served) -> None:
    """A range answers a ZIP (served as text/html) with one file per published day."""
    status, body, headers = await esios.get(
        "/archives/70/download_json?start_date=2026-10-24T00:00&end_date=2026-10-28T23:59&date_type=datos"
    )
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = archive.namelist()
    assert names == [f"PVPC_CURV_DD_202610{day}" for day in (24, 25, 26, 27)]


async def test_indicator_1001_format(esios: Served) -> None:
    """Five geos an hour in scrambled order; datetime_utc repeats on the 25-hour day."""
    status, body, _ = await esios.get(
        "/indicators/1001?start_date=2026-10-25T00:00&end_date=2026-10-25T23:59",
        headers=KEY,
    )
    assert status == 200
    values = json.loads(body)["indicator"]["values"]
    assert len(values) == 25 * 5
    first_hours = [value["geo_id"] for value in values[:5]]
    assert sorted(first_hours) == [8741, 8742, 8743, 8744, 8745]
    datetimes = {value["datetime"] for value in values}
    utc = {value["datetime_utc"] for value in values}
    tz_time = {value["tz_time"] for value in values}
    assert len(datetimes) == 25 == len(tz_time)
    assert len(utc) == 24
    assert "2026-10-25T02:00:00.000+01:00" in datetimes
    orders = {tuple(v["geo_id"] for v in values[n : n + 5]) for n in range(0, 125, 5)}
    assert len(orders) > 1


async def test_indicator_needs_a_token(esios: Served) -> None:
    """401 'HTTP Token: Access denied.' without a known token; the legacy header works."""
    status, body, _ = await esios.get(
        "/indicators/1001?start_date=2026-10-25&end_date=2026-10-25"
    )
    assert (status, body) == (401, b"HTTP Token: Access denied.\n")
    status, _, _ = await esios.get(
        "/indicators/541?start_date=2026-10-25&end_date=2026-10-25",
        headers={"Authorization": f"Token token={DEMO_TOKEN}"},
    )
    assert status == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/indicators/9999?start_date=2026-10-25&end_date=2026-10-25", 404),
        ("/indicators/abc?start_date=2026-10-25&end_date=2026-10-25", 404),
        ("/indicators/541?start_date=2026-10-26&end_date=2026-10-25", 400),
        ("/indicators/541", 400),
        ("/archives/71/download_json?date=2026-10-25", 404),
        ("/archives/70/download_json?date=yesterday", 400),
        ("/archives/70/download_json?start_date=2026-10-26", 400),
    ],
)
async def test_bad_requests(esios: Served, path: str, status: int) -> None:
    got, body, _ = await esios.get(path, headers=KEY)
    assert got == status
    assert json.loads(body)["errors"][0]["status"] == str(status)


async def test_forecast_horizon(esios: Served) -> None:
    """Forecasts stop at the end of tomorrow (Madrid)."""
    status, body, _ = await esios.get(
        "/indicators/460?start_date=2026-10-26T00:00&end_date=2026-10-28T23:59",
        headers=KEY,
    )
    values = json.loads(body)["indicator"]["values"]
    assert status == 200 and len(values) == 48
    assert {value["geo_id"] for value in values} == {8741}


async def test_controls(esios: Served) -> None:
    """Withhold / release / revise / zip_single_day through POST /_sim/faults."""
    status, _ = await esios.post(
        "/_sim/faults",
        [
            {"action": "withhold", "day": "2026-10-20"},
            {"action": "revise", "day": "2026-10-21", "delta": 10},
            {"action": "zip_single_day"},
        ],
    )
    assert status == 200
    status, state, _ = await esios.get("/_sim/faults")
    faults = json.loads(state)
    assert faults["withheld"] == ["2026-10-20"]
    assert faults["revisions"] == {"2026-10-21": 10.0}
    assert faults["zip_single_day"] is True
    _, body, _ = await esios.get("/archives/70/download_json?date=2026-10-21")
    assert body.startswith(b"PK")
    _, body, _ = await esios.get("/archives/70/download_json?date=2026-10-20")
    assert json.loads(body) == {"PVPC": []}
    await esios.post("/_sim/faults", {"action": "release", "day": "2026-10-20"})
    assert esios.sim.published(date(2026, 10, 20))
    status, truth, _ = await esios.get("/_sim/truth?day=2026-10-21&tariff=CYM")
    assert status == 200 and len(json.loads(truth)) == 24
    for bad in ("/_sim/truth?day=x", "/_sim/truth?day=2026-10-21&tariff=GEN"):
        assert (await esios.get(bad))[0] == 400
    status, answer = await esios.post("/_sim/faults", {"action": "explode"})
    assert status == 400 and "explode" in answer["error"]
    esios.sim.reset()
    assert esios.sim.published(date(2026, 10, 20)) and not esios.sim.zip_single_day


@pytest.mark.parametrize(
    ("status", "content"),
    [(401, b"HTTP Token"), (429, b"Too many"), (502, b"<html>"), (500, b"errors")],
)
async def test_injected_failure_bodies(
    esios: Served, status: int, content: bytes
) -> None:
    """Each injected failure answers the body ESIOS would."""
    esios.sim.fail_next("download_json", status)
    got, body, headers = await esios.get("/archives/70/download_json?date=2026-10-25")
    assert got == status and content in body
    if status == 429:
        assert headers["Retry-After"] == "30"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(
        ["/archives/70/download_json", "/indicators/1001", "/indicators/541"]
    ),
    st.dictionaries(
        st.sampled_from(["date", "start_date", "end_date", "geo_ids[]", "locale"]),
        st.text(alphabet="0123456789-T:+Z/ab", max_size=25),
        max_size=4,
    ),
)
async def test_any_query_is_answered_without_a_crash(
    esios: Served, path: str, query: dict[str, str]
) -> None:
    """The handlers answer any query string with a client or success status."""
    status, _, _ = await esios.get(path, params=query, headers=KEY)
    assert status < 500


# -- REE demand ---------------------------------------------------------------------


async def test_demand_answer_format(ree: Served) -> None:
    """JSONP, 5-minute rows from 21:00 the day before to 03:00 the day after."""
    status, body, _ = await ree.get(
        "/WSvisionaMovilesPeninsulaRest/resources/demandaGeneracionPeninsula?curva=DEMANDAAU&fecha=2026-10-25"
    )
    text = body.decode()
    assert status == 200 and text.startswith("null({") and text.endswith("});")
    rows = json.loads(text[5:-2])["valoresHorariosGeneracion"]
    start, end = window(AUTUMN)
    assert len(rows) == (end - start) // timedelta(minutes=5) + 1 == 373
    stamps = [row["ts"] for row in rows]
    assert stamps[0] == "2026-10-24 21:00" and stamps[-1] == "2026-10-26 03:00"
    assert "2026-10-25 2A:55" in stamps and "2026-10-25 2B:00" in stamps
    assert all(isinstance(row["dem"], int) for row in rows)
    _, body, _ = await ree.get(
        "/WSvisionaMovilesCanariasRest/resources/demandaGeneracionCanarias?curva=CANARIASAU&fecha=2026-10-25"
    )
    canary = [
        row["ts"]
        for row in json.loads(body.decode()[5:-2])["valoresHorariosGeneracion"]
    ]
    assert canary[0] == "2026-10-24 20:00" and "2026-10-25 1B:00" in canary


async def test_demand_lags_five_minutes(ree: Served) -> None:
    """Only samples at least five minutes old are served."""
    _, body, _ = await ree.get(
        "/WSvisionaMovilesBalearesRest/resources/demandaGeneracionBaleares?curva=BALEARESAU&fecha=2026-10-26"
    )
    rows = json.loads(body.decode()[5:-2])["valoresHorariosGeneracion"]
    assert rows[-1]["ts"] == "2026-10-26 21:55"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (
            "/WSvisionaMovilesPeninsulaRest/resources/demandaGeneracionPeninsula?curva=NOPE&fecha=2026-10-25",
            204,
        ),
        (
            "/WSvisionaMovilesPeninsulaRest/resources/demandaGeneracionPeninsula?curva=DEMANDAAU&fecha=x",
            400,
        ),
        (
            "/WSvisionaMovilesPeninsulaRest/resources/demandaGeneracionCanarias?curva=CANARIASAU&fecha=2026-10-25",
            404,
        ),
    ],
)
async def test_demand_bad_requests(ree: Served, path: str, status: int) -> None:
    assert (await ree.get(path))[0] == status


async def test_demand_controls(ree: Served) -> None:
    """drop_samples through POST /_sim/faults; truth through GET /_sim/truth."""
    status, _ = await ree.post(
        "/_sim/faults",
        {
            "action": "drop_samples",
            "system": "melilla",
            "start": "2026-10-25T10:00:00Z",
            "end": "2026-10-25T11:00:00Z",
        },
    )
    assert status == 200
    _, state, _ = await ree.get("/_sim/faults")
    assert json.loads(state)["dropped"][0][0] == "melilla"
    _, truth, _ = await ree.get("/_sim/truth?system=melilla&hour=2026-10-25T10:00:00Z")
    assert json.loads(truth)["samples"] == 0
    _, truth, _ = await ree.get("/_sim/truth?system=melilla&hour=2026-10-25T12:00:00Z")
    assert json.loads(truth)["samples"] == 12
    assert (await ree.get("/_sim/truth?system=mars&hour=x"))[0] == 400
    status, _ = await ree.post(
        "/_sim/faults",
        {
            "action": "drop_samples",
            "system": "mars",
            "start": "2026-10-25T10:00:00Z",
            "end": "2026-10-25T11:00:00Z",
        },
    )
    assert status == 400
    ree.sim.reset()
    assert ree.sim.truth("melilla", datetime(2026, 10, 25, 10, tzinfo=UTC))[2] == 12


@pytest.mark.parametrize(("status", "content"), [(502, b"<html>"), (400, b"errors")])
async def test_demand_failure_bodies(ree: Served, status: int, content: bytes) -> None:
    ree.sim.fail_next("demandaGeneracionPeninsula", status)
    got, body, _ = await ree.get(
        "/WSvisionaMovilesPeninsulaRest/resources/demandaGeneracionPeninsula?curva=CEUTAAU&fecha=2026-10-25"
    )
    assert got == status and content in body


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(["Peninsula", "Canarias", "Baleares", "Marte"]),
    st.dictionaries(
        st.sampled_from(["curva", "fecha", "callback"]),
        st.text(alphabet="0123456789-ACDEIMNU:", max_size=12),
        max_size=3,
    ),
)
async def test_any_demand_query_is_answered_without_a_crash(
    ree: Served, service: str, query: dict[str, str]
) -> None:
    """The demand handler answers any query string without a server error."""
    path = f"/WSvisionaMoviles{service}Rest/resources/demandaGeneracion{service}"
    status, _, _ = await ree.get(path, params=query)
    assert status < 500


def test_registered_in_the_command_line() -> None:
    """``python -m simulator esios`` and ``ree_demanda`` exist, with banners."""
    assert {"esios", "ree_demanda"} <= set(PROVIDERS)
    for name in ("esios", "ree_demanda"):
        args = build_parser().parse_args([name, "--port", "0"])
        simulator = PROVIDERS[name].factory(args)
        assert "simulator on http://x" in simulator.describe("http://x")


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
async def test_far_dates_are_refused(esios: Served, ree: Served, day: str) -> None:
    """Dates outside 2000-2100 are a 400, not a crash."""
    assert (await esios.get(f"/archives/70/download_json?date={day}"))[0] == 400
    path = f"/indicators/541?start_date={day}&end_date={day}"
    assert (await esios.get(path, headers=KEY))[0] == 400
    demand = "/WSvisionaMovilesPeninsulaRest/resources/demandaGeneracionPeninsula"
    assert (await ree.get(f"{demand}?curva=DEMANDAAU&fecha={day}"))[0] == 400
