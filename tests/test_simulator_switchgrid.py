"""The Switchgrid simulator behaves like the real v2 API (tests over real HTTP)."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
import json
import re
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
import pytest

from simulator.__main__ import PROVIDERS, build_parser
from simulator.common import serving
from simulator.switchgrid import (
    HOUSEHOLDS,
    LILLE_HOUSE,
    LYON_HOUSE,
    MARSEILLE_SHOP,
    NOT_COLLECTED_MESSAGE,
    PARIS_FLAT,
    TOULOUSE_SOLAR,
    SwitchgridSimulator,
    parse_off_peak,
)
from simulator.switchgrid.households import in_windows
from simulator.switchgrid.timeutil import parse_instant

NOW = datetime(2026, 11, 21, 10, 30, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
API = "/enedis/v2"

ALL_SCOPES: list[dict[str, Any]] = [
    {
        "scopes": [
            {"service": "ENEDIS_RAW_API", "id": "DETAILS_CONTRACTUELS"},
            {
                "service": "ENEDIS_RAW_API",
                "id": "CONSUMPTION_DATA",
                "args": {
                    "types": ["CDC", "PMAX", "IDX", "ENERGIE"],
                    "directions": ["SOUTIRAGE", "INJECTION"],
                },
            },
            {
                "id": "ELECTRICITY_TIMESERIES",
                "args": {
                    "types": ["LOADCURVE"],
                    "directions": ["CONSUMPTION", "INJECTION"],
                },
            },
        ],
        "purposes": ["ENERGY_PERFORMANCE_STUDY", {"id": "SOLAR_INSTALLATION_SIZING"}],
    }
]
CONSUMPTION_ONLY: list[dict[str, Any]] = [
    {
        "scopes": [
            {"service": "ENEDIS_RAW_API", "id": "DETAILS_CONTRACTUELS"},
            {
                "id": "ELECTRICITY_TIMESERIES",
                "args": {"types": ["LOADCURVE"], "directions": ["CONSUMPTION"]},
            },
        ],
        "purposes": ["ENERGY_PERFORMANCE_STUDY"],
    }
]
SIGNER = {
    "firstName": "Claire",
    "lastName": "Moreau",
    "email": "claire.moreau@example.org",
    "phone": "+33600000000",
    "genre": "F",
}


@dataclass
class Answer:
    status: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class Env:
    sim: SwitchgridSimulator
    base: str
    session: aiohttp.ClientSession

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = "default",  # noqa: S107 - "default" = sim.token
        params: dict[str, str] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = True,
        data: Any = None,
    ) -> Answer:
        sent = dict(headers or {})
        if token == "default":
            token = self.sim.token
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        url = path if path.startswith("http") else f"{self.base}{path}"
        async with self.session.request(
            method,
            url,
            params=params,
            json=body,
            data=data,
            headers=sent,
            timeout=aiohttp.ClientTimeout(total=timeout),
            allow_redirects=allow_redirects,
        ) as response:
            raw = await response.read()
            return Answer(
                response.status,
                raw.decode("utf-8", errors="replace"),
                dict(response.headers),
            )

    async def ask(self, body: dict[str, Any], **kw: Any) -> Answer:
        return await self.call("POST", f"{API}/ask", body=body, **kw)

    async def accepted(
        self, household: Any, scopes: list[dict[str, Any]] | None = None
    ) -> tuple[dict[str, Any], str]:
        """An accepted Ask for ``household`` and the consent id of its PRM."""
        answer = await self.ask(ask_body([household.contract_id], scopes))
        assert answer.status == 200, answer.text
        ask_id = answer.json()["id"]
        self.sim.sign(ask_id)
        ask = (await self.call("GET", f"{API}/ask/{ask_id}")).json()
        assert ask["status"] == "ACCEPTED"
        return ask, ask["consentIds"][household.prm]

    async def order(self, consent_id: str, *requests: dict[str, Any]) -> Answer:
        return await self.call(
            "POST",
            f"{API}/order",
            body={"consentId": consent_id, "requests": list(requests)},
        )

    async def completed(
        self, consent_id: str, *requests: dict[str, Any]
    ) -> dict[str, Any]:
        answer = await self.order(consent_id, *requests)
        assert answer.status == 200, answer.text
        order = answer.json()
        for _ in range(100):
            if order["status"] != "PENDING_REQUESTS":
                return order
            await asyncio.sleep(0.02)
            order = (await self.call("GET", f"{API}/order/{order['id']}")).json()
        raise AssertionError("order did not complete")

    async def raw(self, url: str) -> Any:
        answer = await self.call("GET", url, token=None)
        assert answer.status == 200, answer.text
        return answer.json()


def ask_body(
    contracts: list[Any], scopes: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "electricityContracts": contracts,
        "signer": SIGNER,
        "consentCollectionMedium": {"service": "WEB_HOSTED"},
        "scopesAndPurpose": scopes or ALL_SCOPES,
        "consentDuration": "1 year",
        **extra,
    }


@pytest.fixture
async def env(socket_enabled: None) -> AsyncIterator[Env]:
    """A simulator frozen at NOW, with instant address checks and orders."""
    sim = SwitchgridSimulator(clock=lambda: NOW)
    sim.address_check_delay = 0
    sim.order_delay = 0
    async with (
        serving(sim.app, access_log=False) as base,
        aiohttp.ClientSession() as session,
    ):
        yield Env(sim, base, session)


def paris_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ---------------------------------------------------------------------------
# Model (no HTTP)
# ---------------------------------------------------------------------------


def test_households_layout() -> None:
    sim = SwitchgridSimulator(clock=lambda: NOW)
    assert sim.token == "sg-demo-token"
    assert len(HOUSEHOLDS) == 5
    assert set(sim.households) == {h.prm for h in HOUSEHOLDS}
    for household in HOUSEHOLDS:
        assert re.fullmatch(r"[0-9]{14}", household.prm)
    assert sum(h.prm.startswith("0") for h in HOUSEHOLDS) >= 2
    assert (PARIS_FLAT.fta, PARIS_FLAT.subscribed_kva, PARIS_FLAT.tariff) == (
        "BTINFCUST",
        6,
        "BASE",
    )
    assert (LYON_HOUSE.fta, LYON_HOUSE.subscribed_kva, LYON_HOUSE.off_peak) == (
        "BTINFMUDT",
        9,
        "HC (22H30-6H30)",
    )
    assert TOULOUSE_SOLAR.off_peak == "HC (1H30-7H30;12H30-14H30)"
    assert TOULOUSE_SOLAR.has_injection and not PARIS_FLAT.has_injection
    assert not LILLE_HOUSE.load_curve_collected
    assert MARSEILLE_SHOP.address_check_fails
    assert sim.step(PARIS_FLAT.prm) == timedelta(minutes=30)
    assert sim.step(LYON_HOUSE.prm) == timedelta(minutes=10)
    assert parse_off_peak("HC (1H30-7H30;12H30-14H30)") == ((90, 450), (750, 870))
    assert in_windows(23 * 60, parse_off_peak("HC (22H30-6H30)"))
    assert not in_windows(7 * 60, parse_off_peak("HC (22H30-6H30)"))
    for text in (
        "2024-12-10",
        "2024-12-10T00:00:00",
        "2024-12-10T00:00:00Z",
        "2024-12-10T00:00:00.000Z",
    ):
        assert parse_instant(text) == datetime(2024, 12, 10, tzinfo=UTC)
    expected = datetime(2024, 12, 9, 23, tzinfo=UTC)
    for text in (
        "2024-12-10T00:00:00+01:00",
        "2024-12-10T00:00:00[Europe/Paris]",
        "2024-12-10T00:00:00[CET]",
    ):
        assert parse_instant(text) == expected
    with pytest.raises(ValueError):
        parse_instant("10/12/2024")
    with pytest.raises(ValueError):
        parse_instant("2024-12-10T00:00:00[Mars/Olympus]")


def test_truth_is_complete_and_realistic() -> None:
    sim = SwitchgridSimulator(clock=lambda: NOW)
    lyon = sim.truth_w(LYON_HOUSE.prm)
    paris = sim.truth_w(PARIS_FLAT.prm)
    for truth, step in ((lyon, 600), (paris, 1800)):
        starts = sorted(truth)
        assert all((b - a).total_seconds() == step for a, b in pairwise(starts))
        # From day 1 of the month 25 months back to the end of yesterday (Paris).
        assert starts[0] == paris_midnight(date(2024, 10, 1))
        assert starts[-1] + timedelta(seconds=step) == paris_midnight(
            date(2026, 11, 21)
        )
        assert all(v is not None and v >= 0 for v in truth.values())

    def mean_w(truth: dict[datetime, float | None], month: tuple[int, int]) -> float:
        values = [
            v or 0.0
            for k, v in truth.items()
            if (k.astimezone(PARIS).year, k.astimezone(PARIS).month) == month
        ]
        return sum(values) / len(values)

    # Electric heating: the Lyon winter is much heavier than its summer.
    assert mean_w(lyon, (2026, 1)) > 2.0 * mean_w(lyon, (2026, 6))
    # HP/HC: the water heater runs at the start of the off-peak window.
    by_minute: dict[int, list[float]] = defaultdict(list)
    for start, value in lyon.items():
        local = start.astimezone(PARIS)
        if local.month == 6:
            by_minute[local.hour * 60 + local.minute].append(value or 0.0)
    mean = {m: sum(v) / len(v) for m, v in by_minute.items()}
    assert mean[23 * 60] - mean[22 * 60] > 1500
    assert mean[4 * 60] < 1000
    # Weekday/weekend and daily shape (Paris flat): evening above night.
    evening = [v or 0 for k, v in paris.items() if k.astimezone(PARIS).hour == 20]
    night = [v or 0 for k, v in paris.items() if k.astimezone(PARIS).hour == 4]
    assert sum(evening) / len(evening) > 2 * sum(night) / len(night)
    # Solar: injection by day only, never together with withdrawal.
    consumption = sim.truth_w(TOULOUSE_SOLAR.prm, "CONSUMPTION")
    injection = sim.truth_w(TOULOUSE_SOLAR.prm, "INJECTION")
    assert consumption.keys() == injection.keys()
    for start, value in injection.items():
        assert value is not None
        if start.astimezone(PARIS).hour in (0, 1, 2, 3, 22, 23):
            assert value == 0
        assert value == 0 or consumption[start] == 0
    june = sum(v or 0 for k, v in injection.items() if k.month == 6)
    december = sum(v or 0 for k, v in injection.items() if k.month == 12)
    assert june > 2 * december > 0
    # Hourly kWh = sum of W x step over complete hours.
    hourly = sim.truth_hourly_kwh(LYON_HOUSE.prm)
    hour = paris_midnight(date(2026, 1, 15)) + timedelta(hours=19)
    expected = sum(lyon[hour + timedelta(minutes=10 * i)] or 0 for i in range(6))
    assert hourly[hour] == pytest.approx(expected / 6 / 1000)
    # The uncollected curve serves nothing, its daily energies exist.
    assert sim.truth_w(LILLE_HOUSE.prm) == {}
    assert len(sim.truth_daily_wh(LILLE_HOUSE.prm)) > 700


def test_cli_has_switchgrid_subcommand() -> None:
    args = build_parser().parse_args(["switchgrid", "--port", "0", "--latency", "0.2"])
    assert (args.provider, args.port, args.latency) == ("switchgrid", 0, 0.2)
    assert build_parser().parse_args(["switchgrid"]).port == 8972
    sim = PROVIDERS["switchgrid"].factory(args)
    banner = sim.describe("http://127.0.0.1:8972")
    assert "sg-demo-token" in banner
    assert "http://127.0.0.1:8972/enedis/v2" in banner
    assert all(h.prm in banner for h in HOUSEHOLDS)


# ---------------------------------------------------------------------------
# Authentication and search
# ---------------------------------------------------------------------------


async def test_authentication(env: Env) -> None:
    path = f"{API}/ask"
    assert (await env.call("GET", path, token=None)).status == 401
    bad = await env.call("GET", path, token="nope")
    assert bad.status == 401 and bad.json()["message"] == "Invalid API token"
    assert (await env.call("GET", path)).status == 200
    old = env.sim.token
    env.sim.expire_token()
    expired = await env.call("GET", path)
    assert expired.status == 401 and "expired" in expired.json()["message"]
    new = env.sim.renew_token()
    assert new != old
    assert (await env.call("GET", path, token=new)).status == 200
    assert (await env.call("GET", path, token=old)).status == 401
    assert env.sim.reset_token() == "sg-demo-token" == env.sim.token
    assert (await env.call("GET", path)).status == 200
    assert env.sim.requests[-2].identity is None
    assert env.sim.requests[-3].identity is not None


async def test_search_contract(env: Env) -> None:
    path = f"{API}/search_contract"
    short = await env.call("GET", path, params={"name": "Ga", "prm": "07654321098765"})
    assert short.status == 400
    neither = await env.call("GET", path, params={"name": "Garcia"})
    assert neither.status == 400
    no_code = await env.call(
        "GET", path, params={"name": "Garcia", "address": "23 avenue des Tournesols"}
    )
    assert no_code.status == 400
    found = await env.call(
        "GET",
        path,
        params={
            "name": "sophie garcía",
            "address": "23 av. des Tournesols 31500 Toulouse",
        },
    )
    assert found.status == 200
    results = found.json()["results"]
    assert len(results) == 1
    item = results[0]
    assert item["prm"] == TOULOUSE_SOLAR.prm == "07654321098765"
    assert item["id"] == TOULOUSE_SOLAR.contract_id
    assert item["categorieClientFinalCode"] == "RES"
    assert item["nomClientFinalOuDenominationSociale"] == "GARCIA SOPHIE"
    assert item["adresseInstallationNormalisee"]["ligne6"] == "31500 TOULOUSE"
    by_prm = await env.call(
        "GET", path, params={"name": "LEFEBVRE", "prm": LILLE_HOUSE.prm}
    )
    assert [r["prm"] for r in by_prm.json()["results"]] == ["02468013579246"]
    shop = await env.call(
        "GET",
        path,
        params={
            "name": "Boulangerie du vieux four",
            "address": "4 trav des pins 13008",
        },
    )
    assert shop.json()["results"][0]["categorieClientFinalCode"] == "PRO"
    for params in (
        {"name": "Dupont", "address": "12 rue des Lilas 75011 Paris"},
        {"name": "Moreau", "address": "12 rue des Lilas 75012 Paris"},
        {"name": "Moreau", "prm": "00000000000000"},
    ):
        answer = await env.call("GET", path, params=params)
        assert answer.status == 200 and answer.json() == {"results": []}, params
    tolerant = await env.call(
        "GET", path, params={"name": "MOREAU Clair", "address": "lilas 75011"}
    )
    assert [r["prm"] for r in tolerant.json()["results"]] == [PARIS_FLAT.prm]


# ---------------------------------------------------------------------------
# Asks
# ---------------------------------------------------------------------------


async def test_ask_validation(env: Env) -> None:
    good = ask_body([PARIS_FLAT.contract_id])
    broken: list[Any] = [
        [],
        {**good, "electricityContracts": []},
        {**good, "signer": {"firstName": "Claire", "lastName": "Moreau"}},
        {**good, "consentCollectionMedium": {"service": "EMAIL"}},
        {**good, "consentDuration": "7 days"},
        {**good, "consentDuration": "1 years"},
        {**good, "scopesAndPurpose": []},
        {
            **good,
            "scopesAndPurpose": [
                {
                    "scopes": [{"id": "CONSUMPTION_DATA"}],
                    "purposes": ["DEMAND_RESPONSE"],
                }
            ],
        },
        {
            **good,
            "scopesAndPurpose": [
                {"scopes": ALL_SCOPES[0]["scopes"], "purposes": ["WORLD_DOMINATION"]}
            ],
        },
        {**good, "electricityContracts": ["not-a-uuid"]},
        {**good, "electricityContracts": ["00000000-0000-4000-8000-000000000000"]},
        {**good, "electricityContracts": [{"prm": "123", "heldBy": {}, "address": {}}]},
        {**good, "options": {"skipAddressCheck": "yes"}},
    ]
    for body in broken:
        answer = await env.ask(body)
        assert answer.status == 400, body
        assert answer.json()["statusCode"] == 400
    invalid_json = await env.call(
        "POST",
        f"{API}/ask",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert invalid_json.status == 400
    docuseal = await env.ask(
        {**good, "consentCollectionMedium": {"service": "DOCUSEAL"}}
    )
    assert docuseal.status == 200
    assert docuseal.json()["consentCollectionDetails"]["service"] == "DOCUSEAL"
    assert (await env.ask(good)).status == 200


async def test_ask_lifecycle_through_the_hosted_page(env: Env) -> None:
    env.sim.address_check_delay = 0.3
    answer = await env.ask(
        ask_body([PARIS_FLAT.contract_id], consentDuration="3 years"),
        headers={"switchgrid-test-env": "true"},
    )
    assert answer.status == 200
    ask = answer.json()
    assert ask["status"] == "CREATED"
    assert ask["acceptedAt"] is None and ask["consentCollectionDetails"] is None
    assert ask["createArgs"]["consentDuration"] == "3 years"
    assert ask["contracts"][0]["prm"] == PARIS_FLAT.prm
    assert ask["createdAt"] == "2026-11-21T10:30:00.000Z"
    assert env.sim.asks[ask["id"]].test_env
    seen = {ask["status"]}
    for _ in range(40):
        await asyncio.sleep(0.03)
        ask = (await env.call("GET", f"{API}/ask/{ask['id']}")).json()
        seen.add(ask["status"])
        if ask["status"] == "PENDING_USER_ACTION":
            break
    assert seen >= {"CREATED", "PENDING_ADDRESS_CHECK", "PENDING_USER_ACTION"}
    assert ask["addressCheckResults"] == {PARIS_FLAT.prm: {"status": "SUCCESS"}}
    consent_id = ask["consentIds"][PARIS_FLAT.prm]
    user_url = ask["consentCollectionDetails"]["userUrl"]
    assert ask["consentCollectionDetails"]["service"] == "WEB_HOSTED"
    assert user_url == f"{env.base}/c/{ask['id']}"
    # Not signed yet: no order.
    refused = await env.order(consent_id, {"type": "C68"})
    assert refused.status == 403
    page = await env.call(
        "GET", user_url, token=None, params={"redirectTo": "https://example.org/done"}
    )
    assert page.status == 200 and "text/html" in page.headers["Content-Type"]
    assert "MOREAU CLAIRE" in page.text and "Signer" in page.text
    assert PARIS_FLAT.prm in page.text and "Courbe de charge" in page.text
    action = re.search(r'action="([^"]+)"', page.text)
    assert action is not None
    signed = await env.call(
        "POST",
        action[1].replace("&amp;", "&"),
        token=None,
        allow_redirects=False,
        data={"redirectTo": "https://example.org/done"},
    )
    assert signed.status == 303
    assert signed.headers["Location"] == "https://example.org/done"
    ask = (await env.call("GET", f"{API}/ask/{ask['id']}")).json()
    assert ask["status"] == "ACCEPTED"
    assert ask["acceptedAt"] == "2026-11-21T10:30:00.000Z"
    assert ask["expiresAt"] == "2029-11-21T10:30:00.000Z"
    again = await env.call("GET", user_url, token=None)
    assert "Déjà signé" in again.text
    # A second Ask, signed without redirect: thank-you page.
    env.sim.address_check_delay = 0
    second = (await env.ask(ask_body([LYON_HOUSE.contract_id]))).json()
    thanks = await env.call("POST", f"/c/{second['id']}/sign", token=None)
    assert thanks.status == 200 and "Merci" in thanks.text
    assert (
        await env.call("GET", "/c/00000000-0000-4000-8000-000000000000")
    ).status == 404
    # Listing, filters and paging.
    listing = await env.call("GET", f"{API}/ask", params={"limit": "1"})
    page1 = listing.json()
    assert (page1["totalItemsCount"], page1["returnedItemsCount"]) == (2, 1)
    assert page1["items"][0]["id"] == ask["id"]
    by_prm = await env.call("GET", f"{API}/ask", params={"prm": LYON_HOUSE.prm})
    assert [a["id"] for a in by_prm.json()["items"]] == [second["id"]]
    excluded = await env.call("GET", f"{API}/ask", params={"status": "!ACCEPTED"})
    assert excluded.json()["totalItemsCount"] == 0
    included = await env.call(
        "GET",
        f"{API}/ask",
        params={"status": "ACCEPTED,PENDING_USER_ACTION", "skip": "1"},
    )
    assert included.json()["returnedItemsCount"] == 1
    assert (await env.call("GET", f"{API}/ask", params={"limit": "101"})).status == 400
    assert (
        await env.call("GET", f"{API}/ask", params={"status": "NOPE"})
    ).status == 400
    assert (await env.call("GET", f"{API}/ask/{'0' * 8}")).status == 404


async def test_address_check_failure(env: Env) -> None:
    ask = (await env.ask(ask_body([MARSEILLE_SHOP.contract_id]))).json()
    assert ask["status"] == "ADDRESS_CHECK_FAILED"
    assert ask["addressCheckResults"] == {MARSEILLE_SHOP.prm: {"status": "FAILURE"}}
    assert ask["consentIds"] == {} and ask["consentCollectionDetails"] is None
    page = await env.call("GET", f"/c/{ask['id']}", token=None)
    assert page.status == 409
    with pytest.raises(ValueError):
        env.sim.sign(ask["id"])
    assert (await env.order(ask["id"], {"type": "C68"})).status == 403
    # Contract objects: the name and the postal code are checked.
    contract = {
        "prm": LYON_HOUSE.prm,
        "heldBy": {"genre": "M", "firstName": "Julien", "lastName": "Bertrand"},
        "address": {
            "street": "8 chemin des Cerisiers en Fleurs",
            "postalCode": "69009",
            "city": "Lyon",
            "country": "France",
        },
    }
    ok = (await env.ask(ask_body([contract]))).json()
    assert ok["status"] == "PENDING_USER_ACTION"
    wrong = {**contract, "heldBy": {**contract["heldBy"], "lastName": "Martin"}}
    assert (await env.ask(ask_body([wrong]))).json()["status"] == "ADDRESS_CHECK_FAILED"
    unknown = {**contract, "prm": "99999999999999"}
    assert (await env.ask(ask_body([unknown]))).json()[
        "status"
    ] == "ADDRESS_CHECK_FAILED"
    company = {
        "prm": MARSEILLE_SHOP.prm,
        "heldBy": {"name": "Boulangerie du Vieux Four", "siret": "12345678900017"},
        "address": {
            "street": "4 traverse des Pins Parasols",
            "postalCode": "13008",
            "city": "Marseille",
            "country": "France",
        },
    }
    skipped = await env.ask(ask_body([company], options={"skipAddressCheck": True}))
    assert skipped.json()["status"] == "PENDING_USER_ACTION"


# ---------------------------------------------------------------------------
# Orders and load curves
# ---------------------------------------------------------------------------


async def test_orders_complete_after_the_delay(env: Env) -> None:
    _, consent = await env.accepted(PARIS_FLAT)
    env.sim.order_delay = 0.25
    answer = await env.order(
        consent,
        {"type": "LOADCURVE", "direction": "CONSUMPTION", "since": "2026-11-01"},
        {"type": "C68"},
    )
    order = answer.json()
    assert order["status"] == "PENDING_REQUESTS"
    assert [r["status"] for r in order["requests"]] == ["PENDING", "PENDING"]
    assert order["requests"][0]["loadCurve"] is None
    assert order["requests"][0]["orderedAt"] == "2026-11-21T10:30:00.000Z"
    request_id = order["requests"][0]["id"]
    early = await env.call("GET", f"{API}/request/{request_id}/data")
    assert early.status == 404
    await asyncio.sleep(0.3)
    done = (await env.call("GET", f"{API}/order/{order['id']}")).json()
    assert done["status"] == "SUCCESS"
    assert all(r["completedAt"] for r in done["requests"])
    assert done["requests"][1]["dataUrl"].startswith(f"{env.base}/data/")
    # A long delay keeps the order pending.
    env.sim.order_delay = 3600
    pending = (await env.order(consent, {"type": "C68"})).json()
    await asyncio.sleep(0.05)
    again = (await env.call("GET", f"{API}/order/{pending['id']}")).json()
    assert again["status"] == "PENDING_REQUESTS"
    assert (await env.call("GET", f"{API}/order/{'1' * 8}")).status == 404
    # Validation.
    for bad in (
        {"consentId": consent, "requests": []},
        {"consentId": "x", "requests": [{"type": "C68"}]},
        {"consentId": consent, "requests": [{"type": "R99"}]},
        {
            "consentId": consent,
            "requests": [{"type": "LOADCURVE", "direction": "SOUTIRAGE"}],
        },
        {
            "consentId": consent,
            "requests": [{"type": "R65_SYNC", "direction": "CONSUMPTION"}],
        },
        {
            "consentId": consent,
            "requests": [{"type": "LOADCURVE", "since": "yesterday"}],
        },
        {
            "consentId": consent,
            "requests": [
                {"type": "LOADCURVE", "since": "2026-11-02", "until": "2026-11-01"}
            ],
        },
    ):
        result = await env.call("POST", f"{API}/order", body=bad)
        assert result.status == 400, bad
    unknown = await env.order("00000000-0000-4000-8000-000000000000", {"type": "C68"})
    assert unknown.status == 404


async def check_curve(
    env: Env, household: Any, since: str, until: str, period: str, count: int
) -> dict[str, Any]:
    _, consent = await env.accepted(household)
    order = await env.completed(
        consent,
        {
            "type": "LOADCURVE",
            "direction": "CONSUMPTION",
            "since": since,
            "until": until,
        },
    )
    request = order["requests"][0]
    assert request["status"] == "SUCCESS" and request["dataUrl"] is None
    inline = request["loadCurve"]
    assert inline["period"] == period
    assert len(inline["values"]) == count
    served = await env.call("GET", f"{API}/request/{request['id']}/data")
    assert served.json() == inline
    truth = env.sim.truth_w(household.prm)
    step = env.sim.step(household.prm)
    start = at(inline["startsAt"])
    assert at(inline["endsAt"]) == start + count * step
    for index, value in enumerate(inline["values"]):
        assert truth[start + index * step] == value
    csv = await env.call(
        "GET", f"{API}/request/{request['id']}/data", params={"format": "csv"}
    )
    assert "text/csv" in csv.headers["Content-Type"]
    lines = csv.text.strip().split("\n")
    assert lines[0] == "startDate,powerInWatts"
    assert len(lines) == count + 1
    first_stamp, first_value = lines[1].split(",")
    assert first_stamp == inline["startsAt"]
    assert int(first_value) == inline["values"][0]
    assert lines[2].split(",")[0] == (start + step).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return request


async def test_load_curve_json_and_csv_match_the_truth(env: Env) -> None:
    # Seed example: Lyon's 10-minute curve from 2024-12-15T23:00Z, one day.
    lyon = await check_curve(
        env, LYON_HOUSE, "2024-12-15T23:00:00Z", "2024-12-16T23:00:00Z", "PT600S", 144
    )
    assert lyon["loadCurve"]["startsAt"] == "2024-12-15T23:00:00.000Z"
    assert lyon["loadCurve"]["endsAt"] == "2024-12-16T23:00:00.000Z"
    await check_curve(
        env,
        PARIS_FLAT,
        "2026-11-10T00:00:00[Europe/Paris]",
        "2026-11-13T00:00:00[Europe/Paris]",
        "PT1800S",
        144,
    )


async def test_load_curve_defaults_and_clamping(env: Env) -> None:
    _, consent = await env.accepted(PARIS_FLAT)
    order = await env.completed(consent, {"type": "LOADCURVE"})
    curve = order["requests"][0]["loadCurve"]
    assert curve["startsAt"] == paris_midnight(date(2024, 10, 1)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )
    assert at(curve["endsAt"]) == paris_midnight(date(2026, 11, 21))
    assert len(curve["values"]) == len(env.sim.truth_w(PARIS_FLAT.prm))
    clamped = await env.completed(
        consent, {"type": "LOADCURVE", "since": "2026-11-20", "until": "2026-12-31"}
    )
    values = clamped["requests"][0]["loadCurve"]
    assert values["startsAt"] == "2026-11-20T00:00:00.000Z"
    assert values["endsAt"] == "2026-11-20T23:00:00.000Z"
    future = await env.completed(
        consent, {"type": "LOADCURVE", "since": "2027-01-01", "until": "2027-01-02"}
    )
    assert future["requests"][0]["loadCurve"]["values"] == []
    # Publication delay: two days back.
    env.sim.publication_delay = timedelta(days=2)
    assert max(env.sim.truth_w(PARIS_FLAT.prm)) == paris_midnight(
        date(2026, 11, 20)
    ) - timedelta(minutes=30)


async def test_dst_days(env: Env) -> None:
    _, paris = await env.accepted(PARIS_FLAT)
    _, lyon = await env.accepted(LYON_HOUSE)
    autumn = {
        "type": "LOADCURVE",
        "since": "2025-10-26T00:00:00[Europe/Paris]",
        "until": "2025-10-27T00:00:00+01:00",
    }
    order = await env.completed(paris, autumn)
    curve = order["requests"][0]["loadCurve"]
    assert len(curve["values"]) == 50
    assert curve["startsAt"] == "2025-10-25T22:00:00.000Z"
    assert curve["endsAt"] == "2025-10-26T23:00:00.000Z"
    assert (
        len((await env.completed(lyon, autumn))["requests"][0]["loadCurve"]["values"])
        == 150
    )
    spring = {
        "type": "LOADCURVE",
        "since": "2026-03-29T00:00:00[Europe/Paris]",
        "until": "2026-03-30T00:00:00[Europe/Paris]",
    }
    assert (
        len((await env.completed(paris, spring))["requests"][0]["loadCurve"]["values"])
        == 46
    )
    # Daily data on the 25-hour day: R65 = the day's load-curve energy.
    r65 = await env.completed(
        paris, {"type": "R65_SYNC", "since": "2025-10-26", "until": "2025-10-27"}
    )
    raw = await env.raw(r65["requests"][0]["dataUrl"])
    points = raw["mesures"][0]["grandeur"][0]["points"]
    assert [p["d"] for p in points] == ["2025-10-26"]
    assert points[0]["v"] == round(sum(curve["values"]) * 0.5)
    # Daily resampling follows Paris days: the 25-hour day is one value.
    daily = await env.call(
        "GET",
        f"{API}/request/{order['requests'][0]['id']}/data",
        params={"period": "1d"},
    )
    assert daily.json()["period"] == "P1D"
    assert daily.json()["values"] == [
        pytest.approx(sum(curve["values"]) / 50, abs=0.01)
    ]


async def test_resampling(env: Env) -> None:
    _, consent = await env.accepted(LYON_HOUSE)
    order = await env.completed(
        consent,
        {
            "type": "LOADCURVE",
            "since": "2026-01-10T00:00:00[Europe/Paris]",
            "until": "2026-01-12T00:00:00[Europe/Paris]",
        },
    )
    request = order["requests"][0]
    native = request["loadCurve"]["values"]
    path = f"{API}/request/{request['id']}/data"
    hourly = (await env.call("GET", path, params={"period": "1h"})).json()
    assert hourly["period"] == "PT3600S" and len(hourly["values"]) == 48
    assert hourly["startsAt"] == request["loadCurve"]["startsAt"]
    for index, value in enumerate(hourly["values"]):
        assert value == pytest.approx(
            sum(native[6 * index : 6 * index + 6]) / 6, abs=0.01
        )
    quarter = (await env.call("GET", path, params={"period": "15min"})).json()
    assert len(quarter["values"]) == 192
    assert quarter["values"][0] == pytest.approx(
        (native[0] + native[1] / 2) / 1.5, abs=0.01
    )
    five = (await env.call("GET", path, params={"period": "5min"})).json()
    assert five["values"][:4] == [native[0], native[0], native[1], native[1]]
    same = (await env.call("GET", path, params={"period": "10min"})).json()
    assert same["values"] == native
    days = (await env.call("GET", path, params={"period": "1d", "format": "csv"})).text
    rows = days.strip().split("\n")
    assert rows[0] == "startDate,powerInWatts" and len(rows) == 3
    assert rows[1].startswith("2026-01-09T23:00:00.000Z,")
    assert float(rows[1].split(",")[1]) == pytest.approx(
        sum(native[:144]) / 144, abs=0.01
    )
    hourly_csv = await env.call("GET", path, params={"period": "1h", "format": "csv"})
    assert len(hourly_csv.text.strip().split("\n")) == 49
    assert (await env.call("GET", path, params={"period": "2h"})).status == 400
    assert (await env.call("GET", path, params={"format": "xml"})).status == 400


# ---------------------------------------------------------------------------
# Raw Enedis flows
# ---------------------------------------------------------------------------


async def test_c68_shapes(env: Env) -> None:
    items: dict[str, Any] = {}
    for household in (PARIS_FLAT, LYON_HOUSE, TOULOUSE_SOLAR, LILLE_HOUSE):
        _, consent = await env.accepted(household)
        order = await env.completed(consent, {"type": "C68"})
        raw = await env.raw(order["requests"][0]["dataUrl"])
        assert isinstance(raw, list) and len(raw) == 1
        items[household.key] = raw[0]
    paris = items["paris"]["point"]
    assert paris["idPrm"] == PARIS_FLAT.prm
    tariff = paris["situationContractuelle"]["structureTarifaire"]
    assert tariff["formuleTarifaireAcheminement"]["attributes"] == {"code": "BTINFCUST"}
    assert tariff["puissanceSouscriteMax"] == {"valeur": 6, "unite": "kVA"}
    meter = paris["situationComptage"]["dispositifComptage"]
    assert "plageHeuresCreuses" not in meter["relais"]
    assert meter["typeComptage"]["code"] == "LINKY"
    lyon = items["lyon"]["point"]
    comptage = lyon["situationComptage"]
    assert (
        comptage["dispositifComptage"]["relais"]["plageHeuresCreuses"]
        == "HC (22H30-6H30)"
    )
    assert (
        comptage["dispositifComptage"]["compteurs"]["compteur"][0][
            "plagesHeuresCreuses"
        ]
        == "HC (22H30-6H30)"
    )
    assert comptage["futuresPlagesHeuresCreuses"]["libelle"] == "HC (23H00-7H00)"
    lyon_tariff = lyon["situationContractuelle"]["structureTarifaire"]
    assert (
        lyon_tariff["formuleTarifaireAcheminement"]["attributes"]["code"] == "BTINFMUDT"
    )
    assert lyon_tariff["puissanceSouscriteMax"]["valeur"] == 9
    toulouse = items["toulouse"]["point"]["situationComptage"]["dispositifComptage"]
    assert "plageHeuresCreuses" not in toulouse["relais"]
    assert toulouse["compteurs"]["compteur"][0]["plagesHeuresCreuses"] == (
        "HC (1H30-7H30;12H30-14H30)"
    )
    lille = items["lille"]
    assert "point" not in lille and lille["idPrm"] == LILLE_HOUSE.prm
    assert lille["situationComptage"]["relais"]["plageHeuresCreuses"] == {
        "libelle": "HC (23H00-7H00)"
    }
    structure = lille["situationsContractuelles"][0]["structureTarifaire"]
    assert structure["puissanceSouscrite"]["valeur"] == 9
    assert structure["formuleTarifaireAcheminement"]["code"] == "BTINFMUDT"


async def test_daily_flows_match_the_load_curve(env: Env) -> None:
    _, lyon = await env.accepted(LYON_HOUSE)
    window = {"since": "2026-11-01", "until": "2026-11-08"}
    order = await env.completed(
        lyon,
        {
            "type": "LOADCURVE",
            "since": "2026-11-01T00:00:00[Europe/Paris]",
            "until": "2026-11-08T00:00:00[Europe/Paris]",
        },
        {"type": "R65_SYNC", **window},
        {"type": "R64_SYNC", **window},
        {"type": "R66_SYNC", "direction": "SOUTIRAGE", **window},
    )
    assert order["status"] == "SUCCESS"
    curve, r65_req, r64_req, r66_req = order["requests"]
    values = curve["loadCurve"]["values"]
    r65 = await env.raw(r65_req["dataUrl"])
    assert r65["header"]["codeFlux"] == "M023"
    mesure = r65["mesures"][0]
    assert mesure["idPrm"] == LYON_HOUSE.prm
    grandeur = mesure["grandeur"][0]
    assert (grandeur["grandeurMetier"], grandeur["unite"]) == ("CONS", "Wh")
    points = grandeur["points"]
    assert [p["d"] for p in points] == [f"2026-11-0{d}" for d in range(1, 8)]
    for day, point in enumerate(points):
        day_values = values[144 * day : 144 * (day + 1)]
        assert point["v"] == round(sum(day_values) / 6)
    # R64: indexes per HP/HC class at each Paris midnight; differences = energy.
    r64 = await env.raw(r64_req["dataUrl"])
    calendar = r64["mesures"][0]["contexte"][0]["grandeur"][0]["calendrier"][0]
    assert calendar["idCalendrier"] == "DI000002"
    classes = {
        c["idClasseTemporelle"]: c["valeur"] for c in calendar["classeTemporelle"]
    }
    assert set(classes) == {"HP", "HC"}
    assert len(classes["HP"]) == 8
    assert classes["HP"][0]["d"] == "2026-11-01T00:00:00+01:00"
    off_peak = parse_off_peak(LYON_HOUSE.off_peak or "")
    for day in range(7):
        expected = {"HP": 0.0, "HC": 0.0}
        for index in range(144):
            klass = "HC" if in_windows(index * 10, off_peak) else "HP"
            expected[klass] += values[144 * day + index] / 6
        for klass in ("HP", "HC"):
            delta = classes[klass][day + 1]["v"] - classes[klass][day]["v"]
            assert abs(delta - expected[klass]) <= 1
        total = r64["mesures"][0]["contexte"][0]["grandeur"][0]["cadranTotalisateur"]
        assert total["valeur"][day]["v"] == sum(classes[k][day]["v"] for k in classes)
    # R66: VA, instant of the max inside the Paris day, below the subscription.
    r66 = await env.raw(r66_req["dataUrl"])
    peaks = r66["mesures"][0]["grandeur"][0]
    assert (peaks["grandeurPhysique"], peaks["unite"]) == ("PMA", "VA")
    for day, point in enumerate(peaks["points"]):
        instant = datetime.fromisoformat(point["d"])
        assert instant.astimezone(PARIS).date() == date(2026, 11, 1 + day)
        assert max(values[144 * day : 144 * (day + 1)]) <= point["v"] <= 9000


async def test_solar_and_four_class_indexes(env: Env) -> None:
    _, consent = await env.accepted(TOULOUSE_SOLAR)
    window = {"since": "2026-06-01", "until": "2026-06-04"}
    order = await env.completed(
        consent,
        {
            "type": "LOADCURVE",
            "direction": "INJECTION",
            "since": "2026-06-01T00:00:00[Europe/Paris]",
            "until": "2026-06-04T00:00:00[Europe/Paris]",
        },
        {"type": "R65_SYNC", "direction": "INJECTION", **window},
        {"type": "R64_SYNC", **window},
        {"type": "R66_SYNC", "direction": "INJECTION", **window},
    )
    assert order["status"] == "SOME_REQUESTS_FAILED"
    curve, r65_req, r64_req, r66_req = order["requests"]
    assert r66_req["status"] == "FAILED" and r66_req["dataUrl"] is None
    injection = curve["loadCurve"]["values"]
    assert max(injection) > 1000
    r65 = await env.raw(r65_req["dataUrl"])
    grandeur = r65["mesures"][0]["grandeur"][0]
    assert grandeur["grandeurMetier"] == "PROD"
    for day, point in enumerate(grandeur["points"]):
        assert point["v"] == round(sum(injection[48 * day : 48 * (day + 1)]) / 2)
    r64 = await env.raw(r64_req["dataUrl"])
    calendar = r64["mesures"][0]["contexte"][0]["grandeur"][0]["calendrier"][0]
    assert calendar["idCalendrier"] == "DI000003"
    assert [c["idClasseTemporelle"] for c in calendar["classeTemporelle"]] == [
        "HPH",
        "HCH",
        "HPB",
        "HCB",
    ]
    by_class = {
        c["idClasseTemporelle"]: c["valeur"] for c in calendar["classeTemporelle"]
    }
    # June is the low season: only the B classes move.
    assert by_class["HPH"][0]["v"] == by_class["HPH"][-1]["v"]
    assert by_class["HCB"][-1]["v"] > by_class["HCB"][0]["v"]
    # Paris (BASE) cannot inject.
    _, paris = await env.accepted(PARIS_FLAT)
    failed = await env.completed(paris, {"type": "R65_SYNC", "direction": "INJECTION"})
    assert failed["requests"][0]["status"] == "FAILED"


async def test_data_urls_are_presigned(env: Env) -> None:
    _, consent = await env.accepted(PARIS_FLAT)
    order = await env.completed(consent, {"type": "C68"})
    url = order["requests"][0]["dataUrl"]
    parts = urlsplit(url)
    assert "X-Amz-Signature=" in parts.query
    assert (await env.call("GET", url, token=None)).status == 200
    tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert (await env.call("GET", tampered, token=None)).status == 403
    missing = f"{env.base}/data/00000000-0000-4000-8000-000000000000.json"
    assert (await env.call("GET", missing, token=None)).status == 404
    env.sim.clock.advance(timedelta(hours=2))
    assert (await env.call("GET", url, token=None)).status == 403
    # LOADCURVE data only through /request/{id}/data (and not for C68).
    data = await env.call("GET", f"{API}/request/{order['requests'][0]['id']}/data")
    assert data.status == 404


# ---------------------------------------------------------------------------
# Load-curve activation, consents
# ---------------------------------------------------------------------------


async def test_load_curve_activation(env: Env) -> None:
    _, consent = await env.accepted(LILLE_HOUSE)
    order = await env.completed(
        consent,
        {"type": "LOADCURVE", "direction": "CONSUMPTION"},
        {"type": "R65_SYNC", "since": "2026-11-01", "until": "2026-11-03"},
        {"type": "C68"},
    )
    assert order["status"] == "SOME_REQUESTS_FAILED"
    failed, r65, c68 = order["requests"]
    assert failed["status"] == "FAILED"
    assert failed["errorMessage"] == NOT_COLLECTED_MESSAGE
    assert (
        failed["errorMessage"]
        == "La demande ne peut aboutir : aucun service souscrit de courbe de charge "
        "n'est present pour la periode demandee"
    )
    assert failed["loadCurve"] is None
    assert (r65["status"], c68["status"]) == ("SUCCESS", "SUCCESS")
    daily = await env.raw(r65["dataUrl"])
    truth = env.sim.truth_daily_wh(LILLE_HOUSE.prm)
    assert [p["v"] for p in daily["mesures"][0]["grandeur"][0]["points"]] == [
        truth[date(2026, 11, 1)],
        truth[date(2026, 11, 2)],
    ]
    retry = (
        await env.order(
            consent,
            {
                "type": "LOADCURVE",
                "direction": "CONSUMPTION",
                "enedisRetryAfterLoadcurveActivation": True,
            },
        )
    ).json()
    assert retry["status"] == "PENDING_REQUESTS"
    assert retry["requests"][0]["status"] == "PENDING"
    env.sim.activate_load_curve(LILLE_HOUSE.prm, since=date(2026, 11, 10))
    done = (await env.call("GET", f"{API}/order/{retry['id']}")).json()
    assert done["status"] == "SUCCESS"
    curve = done["requests"][0]["loadCurve"]
    assert at(curve["startsAt"]) == paris_midnight(date(2026, 11, 10))
    assert len(curve["values"]) == 11 * 48
    assert len(env.sim.truth_w(LILLE_HOUSE.prm)) == 11 * 48


async def test_automatic_activation_after_the_delay(env: Env) -> None:
    _, consent = await env.accepted(LILLE_HOUSE)
    request = {
        "type": "LOADCURVE",
        "since": "2026-11-19",
        "enedisRetryAfterLoadcurveActivation": True,
    }
    pending = (await env.order(consent, request)).json()
    env.sim.clock.advance(timedelta(hours=5))
    assert (await env.call("GET", f"{API}/order/{pending['id']}")).json()[
        "status"
    ] == "PENDING_REQUESTS"
    env.sim.clock.advance(timedelta(days=2))
    done = (await env.call("GET", f"{API}/order/{pending['id']}")).json()
    assert done["status"] == "SUCCESS"
    curve = done["requests"][0]["loadCurve"]
    # Activated on 2026-11-21 (Paris): data from then to the end of yesterday.
    assert at(curve["startsAt"]) == paris_midnight(date(2026, 11, 21))
    assert len(curve["values"]) == 2 * 48


async def test_revocation_expiry_and_scopes(env: Env) -> None:
    ask, consent = await env.accepted(TOULOUSE_SOLAR, CONSUMPTION_ONLY)
    not_covered = await env.order(
        consent, {"type": "LOADCURVE", "direction": "INJECTION"}
    )
    assert not_covered.status == 403 and "INJECTION" in not_covered.json()["message"]
    assert (await env.order(consent, {"type": "R65_SYNC"})).status == 403
    other_prm = await env.order(consent, {"type": "C68", "prms": [PARIS_FLAT.prm]})
    assert other_prm.status == 403
    assert (await env.order(consent, {"type": "C68"})).status == 200
    # The Ask id works as a consent id too.
    assert (await env.order(ask["id"], {"type": "C68"})).status == 200
    env.sim.order_delay = 3600
    pending = (await env.order(consent, {"type": "C68"})).json()
    deleted = await env.call("DELETE", f"{API}/ask/{ask['id']}")
    assert deleted.status == 200 and deleted.json()["revokedAt"] is not None
    refused = await env.order(consent, {"type": "C68"})
    assert refused.status == 403 and "revoked" in refused.json()["message"]
    env.sim.order_delay = 0
    failed = (await env.call("GET", f"{API}/order/{pending['id']}")).json()
    assert failed["requests"][0]["status"] == "FAILED"
    assert (await env.call("DELETE", f"{API}/ask/{'0' * 8}")).status == 404
    # Expiry.
    ask2, consent2 = await env.accepted(PARIS_FLAT)
    assert ask2["expiresAt"] == "2027-11-21T10:30:00.000Z"
    env.sim.expire_consent(ask2["id"])
    expired = await env.order(consent2, {"type": "C68"})
    assert expired.status == 403 and "expired" in expired.json()["message"]
    ask3 = (
        await env.ask(ask_body([LYON_HOUSE.contract_id], consentDuration="2 weeks"))
    ).json()
    env.sim.sign(ask3["id"])
    consent3 = env.sim.asks[ask3["id"]].consent_ids[LYON_HOUSE.prm]
    assert (await env.order(consent3, {"type": "C68"})).status == 200
    env.sim.clock.advance(timedelta(days=15))
    assert (await env.order(consent3, {"type": "C68"})).status == 403


# ---------------------------------------------------------------------------
# Data problems, faults, webhooks
# ---------------------------------------------------------------------------


async def test_missing_days_and_revisions(env: Env) -> None:
    prm = PARIS_FLAT.prm
    before = env.sim.truth_w(prm)
    day = date(2026, 11, 15)
    start = paris_midnight(day)
    env.sim.missing_days(prm, {day})
    env.sim.revise(prm, date(2026, 11, 16), 2.0)
    truth = env.sim.truth_w(prm)
    assert all(truth[start + timedelta(minutes=30 * i)] is None for i in range(48))
    revised = paris_midnight(date(2026, 11, 16))
    assert truth[revised] == round((before[revised] or 0) * 2)
    hourly = env.sim.truth_hourly_kwh(prm)
    assert start not in hourly and revised in hourly
    _, consent = await env.accepted(PARIS_FLAT)
    order = await env.completed(
        consent,
        {
            "type": "LOADCURVE",
            "since": "2026-11-15T00:00:00[Europe/Paris]",
            "until": "2026-11-17T00:00:00[Europe/Paris]",
        },
        {"type": "R65_SYNC", "since": "2026-11-14", "until": "2026-11-17"},
    )
    values = order["requests"][0]["loadCurve"]["values"]
    assert values[:48] == [None] * 48 and None not in values[48:]
    hourly_api = await env.call(
        "GET",
        f"{API}/request/{order['requests'][0]['id']}/data",
        params={"period": "1h"},
    )
    assert hourly_api.json()["values"][:24] == [None] * 24
    csv = await env.call(
        "GET",
        f"{API}/request/{order['requests'][0]['id']}/data",
        params={"format": "csv"},
    )
    assert csv.text.split("\n")[1].endswith("Z,")
    r65 = await env.raw(order["requests"][1]["dataUrl"])
    points = r65["mesures"][0]["grandeur"][0]["points"]
    assert [p["d"] for p in points] == ["2026-11-14", "2026-11-16"]
    assert points[1]["v"] == round(sum(values[48:]) / 2)


async def test_injected_faults(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    sim = env.sim
    sim.fail_next("search_contract", 429)
    limited = await env.call(
        "GET",
        f"{API}/search_contract",
        params={"name": "Moreau", "prm": PARIS_FLAT.prm},
    )
    assert limited.status == 429 and limited.headers["Retry-After"] == "1"
    assert limited.json()["statusCode"] == 429
    sim.fail_next("ask_get", 500, times=2)
    for _ in range(2):
        assert (await env.call("GET", f"{API}/ask/{'0' * 8}")).status == 500
    assert (await env.call("GET", f"{API}/ask/{'0' * 8}")).status == 404
    sim.fail_next("ask_list", 502)
    gateway = await env.call("GET", f"{API}/ask")
    assert gateway.status == 502 and "text/html" in gateway.headers["Content-Type"]
    sim.fail_next("order", 503, body={"message": "maintenance"})
    _, consent = await env.accepted(PARIS_FLAT)
    busy = await env.order(consent, {"type": "C68"})
    assert busy.status == 503 and busy.json() == {"message": "maintenance"}
    sim.hang_next("order_get", 5)
    order = (await env.order(consent, {"type": "C68"})).json()
    with pytest.raises(TimeoutError):
        await env.call("GET", f"{API}/order/{order['id']}", timeout=0.2)
    sim.harness.faults.release()
    sim.malformed_next("request_data", "truncated")
    curve = await env.completed(consent, {"type": "LOADCURVE", "since": "2026-11-19"})
    broken = await env.call("GET", f"{API}/request/{curve['requests'][0]['id']}/data")
    assert broken.status == 200
    with pytest.raises(json.JSONDecodeError):
        broken.json()
    sim.malformed_next("data_url", "html")
    c68 = await env.completed(consent, {"type": "C68"})
    page = await env.call("GET", c68["requests"][0]["dataUrl"], token=None)
    assert page.text.startswith("<html>")
    slept: list[float] = []
    real_sleep = sim.harness.faults.sleep

    async def recording_sleep(seconds: float) -> None:
        slept.append(seconds)
        await real_sleep(seconds)

    monkeypatch.setattr(sim.harness.faults, "sleep", recording_sleep)
    sim.set_latency(0.15, "ask_list")
    assert (await env.call("GET", f"{API}/ask")).status == 200
    assert 0.15 in slept  # asked of the fault harness (no wall clock)
    sim.set_latency(0, "ask_list")
    assert (await env.call("GET", f"{API}/nowhere")).status == 404
    assert sim.count("/search_contract") == 1
    assert any(r.fault == "fail:429" for r in sim.requests)


async def test_webhooks(env: Env) -> None:
    received: list[dict[str, Any]] = []
    answers = [500]

    async def receive(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=answers.pop(0) if answers else 204)

    receiver = web.Application()
    receiver.router.add_post("/hook", receive)
    async with serving(receiver, access_log=False) as base:
        try:
            env.sim.webhook_url = f"{base}/hook"
            env.sim.webhook_retry_delay = 0.01
            ask = (await env.ask(ask_body([LILLE_HOUSE.contract_id]))).json()
            signed = await env.call("POST", f"/c/{ask['id']}/sign", token=None)
            assert signed.status == 200
            consent = env.sim.asks[ask["id"]].consent_ids[LILLE_HOUSE.prm]
            env.sim.order_delay = 0.05
            order = (
                await env.order(consent, {"type": "C68"}, {"type": "LOADCURVE"})
            ).json()
            for _ in range(50):
                await asyncio.sleep(0.02)
                if len(received) >= 4:
                    break
            await env.sim.drain_webhooks()
        finally:
            # Nothing new may go to the receiver while it closes: a delivery
            # racing its shutdown kept the test waiting on the connection.
            env.sim.webhook_url = None
            await env.sim.drain_webhooks()
    tags = Counter(r["event"]["_tag"] for r in received)
    # The first delivery got a 500 and was retried.
    assert tags == {
        "ask.accepted": 2,
        "order.request_failed": 1,
        "order.request_success": 1,
    }
    accepted = received[0]["event"]
    assert accepted["_tag"] == "ask.accepted"
    assert accepted["askId"] == ask["id"]
    assert accepted["organizationId"] and accepted["createdAt"].endswith("Z")
    by_tag = {r["event"]["_tag"]: r["event"] for r in received}
    assert by_tag["order.request_failed"]["requestType"] == "LOADCURVE"
    assert by_tag["order.request_success"]["requestType"] == "C68"
    assert by_tag["order.request_success"]["orderId"] == order["id"]
    assert by_tag["order.request_success"]["requestId"] == order["requests"][0]["id"]
    deliveries = [d for d in env.sim.webhook_deliveries if d.tag == "ask.accepted"]
    assert [(d.attempt, d.status) for d in deliveries] == [(1, 500), (2, 204)]
    assert len(env.sim.webhook_events) == 3


async def test_drain_forgets_finished_deliveries(env: Env) -> None:
    """A delivery that finished before its done-callback ran does not spin drain.

    Gathering tasks that are all done returns without yielding to the loop, so
    a drain waiting for the callbacks to empty the set looped forever.
    """

    async def delivered() -> None:
        return None

    task = asyncio.get_running_loop().create_task(delivered())
    await asyncio.sleep(0)
    assert task.done()
    env.sim._tasks.add(task)  # finished; no callback will remove it
    await env.sim.drain_webhooks()
    assert not env.sim._tasks


async def test_control_endpoints(env: Env) -> None:
    households = (await env.call("GET", "/_sim/households", token=None)).json()
    assert [h["prm"] for h in households] == [h.prm for h in HOUSEHOLDS]
    actions = [
        {"action": "fail", "endpoint": "ask", "status": 500},
        {"action": "missing_days", "prm": PARIS_FLAT.prm, "days": ["2026-11-01"]},
        {"action": "delays", "order": 0.5},
    ]
    posted = await env.call("POST", "/_sim/faults", token=None, body=actions)
    assert posted.json() == {"ok": True, "applied": 3}
    state = (await env.call("GET", "/_sim/faults", token=None)).json()
    assert state["pending"][0]["endpoint"] == "ask"
    assert state["missing_days"] == {PARIS_FLAT.prm: ["2026-11-01"]}
    assert env.sim.order_delay == 0.5
    bad = await env.call("POST", "/_sim/faults", token=None, body={"action": "nope"})
    assert bad.status == 400
    clock = await env.call(
        "POST", "/_sim/clock", token=None, body={"advance_seconds": 60}
    )
    assert clock.json()["now"] == (NOW + timedelta(minutes=1)).isoformat()
    assert (await env.call("POST", "/_sim/reset", token=None)).status == 200
    assert env.sim.harness.faults.pending() == []
    assert env.sim.order_delay == 0.5  # back to the default
    assert env.sim.data.state.missing_days == {}
    assert env.sim.asks == {}


async def test_consent_control_endpoints(env: Env) -> None:
    """``/_sim/asks``, ``sign``, ``activate`` and ``webhooks`` (scripts/develop)."""
    ask_id = (await env.ask(ask_body([LILLE_HOUSE.contract_id]))).json()["id"]
    asks = (await env.call("GET", "/_sim/asks", token=None)).json()
    assert [(a["id"], a["status"]) for a in asks] == [(ask_id, "PENDING_USER_ACTION")]
    signed = await env.call("POST", "/_sim/sign", token=None, body={"askId": ask_id})
    assert signed.json() == {"ok": True}
    assert env.sim.ask_status(env.sim.asks[ask_id]) == "ACCEPTED"
    missing = await env.call("POST", "/_sim/sign", token=None, body={})
    assert missing.status == 400

    activated = await env.call(
        "POST",
        "/_sim/activate",
        token=None,
        body={"prm": LILLE_HOUSE.prm, "since": "2026-11-01"},
    )
    assert activated.json() == {"ok": True}
    assert env.sim.data.state.activations[LILLE_HOUSE.prm] == date(2026, 11, 1)
    bad_day = await env.call(
        "POST",
        "/_sim/activate",
        token=None,
        body={"prm": LILLE_HOUSE.prm, "since": "1 Nov"},
    )
    assert bad_day.status == 400

    hooks = (await env.call("GET", "/_sim/webhooks", token=None)).json()
    assert hooks["url"] is None
    assert [e["_tag"] for e in hooks["events"]] == ["ask.accepted"]
    assert hooks["deliveries"] == []
