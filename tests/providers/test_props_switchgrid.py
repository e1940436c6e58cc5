"""Property-based tests of the Switchgrid parsers and client answer handlers.

The load-curve parsers (`parse_load_curve`, `parse_load_curve_csv`,
`load_curve_readings`) have their own tests (test_switchgrid_curve.py);
orders with an inline curve go through them here as a whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from hypothesis import given, strategies as st
import pytest

from custom_components.gridmeter.providers.errors import InvalidResponse
from custom_components.gridmeter.providers.switchgrid import (
    OrderRequestState,
    RequestStatus,
    SwitchgridClient,
)
from custom_components.gridmeter.providers.switchgrid.curve import parse_iso_duration
from custom_components.gridmeter.providers.switchgrid.parsing import (
    consent_expiry,
    parse_ask,
    parse_ask_page,
    parse_contract,
    parse_contract_matches,
    parse_daily_energy,
    parse_daily_indexes,
    parse_daily_max_power,
    parse_datetime,
    parse_off_peak_text,
    parse_order,
)

from .fuzz import (
    NOW,
    Canned,
    Reply,
    answered,
    as_json,
    assert_plausible,
    canned,
    junk,
    mutated,
    scalars,
    truncated,
)
from .props import PROPERTY_TIMEOUT
from .test_switchgrid_parsing import PRM, m023, xsd_c68

pytestmark = [pytest.mark.timeout(PROPERTY_TIMEOUT)]

stamps = st.one_of(
    st.datetimes(timezones=st.none() | st.timezones()).map(datetime.isoformat),
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)).map(
        lambda moment: moment.isoformat() + "Z"
    ),
    st.dates().map(lambda day: day.isoformat()),
    scalars,
)
durations = st.one_of(
    st.integers(0, 200).map(lambda n: f"{n} years"),
    st.integers(0, 99).map(lambda n: f"{n} {st_unit(n)}"),
    scalars,
)


def st_unit(n: int) -> str:
    return ("day", "week", "month", "year")[n % 4] + ("s" if n != 1 else "")


@given(
    text=st.one_of(
        stamps,
        st.tuples(stamps, st.text(max_size=70)).map(
            lambda pair: f"{pair[0]}[{pair[1]}]"
        ),
    )
)
def test_parse_datetime(text: Any) -> None:
    """Any text: None or an aware UTC instant in 2000-2099 (no OSError, no OverflowError)."""
    assert_plausible(parse_datetime(text))


@given(
    text=st.one_of(
        st.from_regex(
            r"P([0-9]{1,14}W)?([0-9]{1,14}D)?(T([0-9]{1,14}H)?([0-9]{1,14}M)?([0-9]{1,14}(\.[0-9]{1,3})?S)?)?",
            fullmatch=True,
        ),
        st.from_regex(r"[0-9]{1,9}(s|sec|min|m|h|d)", fullmatch=True),
        st.text(max_size=20),
    )
)
def test_parse_iso_duration(text: str) -> None:
    """A duration up to ten years, or ValueError (never OverflowError)."""
    try:
        duration = parse_iso_duration(text)
    except ValueError:
        return
    assert timedelta(0) <= duration <= timedelta(days=3660)


@given(accepted=st.datetimes(timezones=st.just(UTC)), duration=durations)
def test_consent_expiry_is_closed_form(accepted: datetime, duration: Any) -> None:
    """Any accepted instant, even near the year 9999: an answer, at once."""
    expiry = consent_expiry(accepted, duration)
    assert_plausible(expiry)
    assert expiry is None or expiry >= accepted


ask = st.fixed_dictionaries(
    {
        "id": st.just("ask-1"),
        "status": st.sampled_from(
            ["ACCEPTED", "PENDING_USER_ACTION", "CREATED", "WHAT"]
        ),
        "createdAt": stamps,
        "acceptedAt": stamps,
        "expiresAt": st.none() | stamps,
        "consentCollectionDetails": st.just({"userUrl": "https://example.test/sign"}),
        "consentIds": st.dictionaries(
            st.sampled_from([PRM, "1" * 14, "²" * 14]), st.text(max_size=5), max_size=2
        ),
        "addressCheckResults": st.just({PRM: {"status": "SUCCESS"}}),
        "createArgs": st.fixed_dictionaries(
            {
                "electricityContracts": st.just([{"prm": PRM}]),
                "consentDuration": durations,
            }
        ),
    }
)


@given(body=st.one_of(ask, ask.flatmap(mutated), junk()))
def test_parse_ask(body: Any) -> None:
    """An Ask with plausible instants, or InvalidResponse."""
    with contextlib.suppress(InvalidResponse):
        assert_plausible(parse_ask(body))


@given(
    body=st.one_of(
        st.fixed_dictionaries(
            {
                "items": st.lists(ask, max_size=3),
                "totalItemsCount": st.integers(0, 5) | scalars,
            }
        ).flatmap(mutated),
        st.lists(ask, max_size=2),
        junk(),
    )
)
def test_parse_ask_page(body: Any) -> None:
    """A page of Asks and a whole count, or InvalidResponse."""
    try:
        asks, total = parse_ask_page(body)
    except InvalidResponse:
        return
    assert_plausible(asks)
    assert total is None or total >= 0


matches = st.fixed_dictionaries(
    {
        "results": st.lists(
            st.fixed_dictionaries(
                {
                    "id": st.just("c-1"),
                    "prm": st.sampled_from([PRM, "  0005 9461 2972 39 "]),
                    "nomClientFinalOuDenominationSociale": st.just("DUPONT"),
                    "categorieClientFinalCode": st.just("RES"),
                    "adresseInstallationNormalisee": st.just(
                        {"ligne1": "1 RUE X", "ligne6": "75001 PARIS"}
                    ),
                }
            ),
            max_size=3,
        )
    }
)


@given(body=st.one_of(matches, matches.flatmap(mutated), junk()))
def test_parse_contract_matches(body: Any) -> None:
    """Contract matches or InvalidResponse."""
    with contextlib.suppress(InvalidResponse):
        parse_contract_matches(body)


order = st.fixed_dictionaries(
    {
        "id": st.just("order-1"),
        "status": st.sampled_from(["SUCCESS", "PENDING_REQUESTS", "?"]),
        "requests": st.lists(
            st.fixed_dictionaries(
                {
                    "id": st.just("r-1"),
                    "type": st.sampled_from(["C68", "R65_SYNC", "LOADCURVE"]),
                    "status": st.sampled_from(["SUCCESS", "FAILED", "PENDING"]),
                    "orderedAt": stamps,
                    "completedAt": stamps,
                    "dataUrl": st.just("https://s3.test/x?sig=1"),
                    "errorMessage": st.none() | st.text(max_size=20),
                    "prms": st.just([PRM]),
                }
            ),
            max_size=3,
        ),
    }
)


@given(body=st.one_of(order, order.flatmap(mutated), junk()))
def test_parse_order(body: Any) -> None:
    """An Order with plausible instants, or InvalidResponse."""
    with contextlib.suppress(InvalidResponse):
        assert_plausible(parse_order(body))


@given(
    text=st.one_of(
        st.from_regex(
            r"HC \(([0-9²٣]{1,3}H[0-9]{0,3}-[0-9]{1,3}H[0-9]{0,3};?){1,3}\)",
            fullmatch=True,
        ),
        st.text(max_size=30),
        st.none(),
    )
)
def test_parse_off_peak_text(text: str | None) -> None:
    """Clock ranges only from ASCII digits; never an exception."""
    for window in parse_off_peak_text(text):
        assert window.start.hour < 24 and window.end.hour < 24


c68 = st.builds(
    lambda power, day, off_peak: xsd_c68(
        situationContractuelle={
            "dateDebut": day,
            "structureTarifaire": {
                "formuleTarifaireAcheminement": {"attributes": {"code": "BTINFCU4"}},
                "puissanceSouscriteMax": power,
                "calendrierFrn": {"libelle": "Heures Pleines/Creuses"},
            },
        },
        situationComptage={
            "dispositifComptage": {"relais": {"plageHeuresCreuses": off_peak}}
        },
    ),
    power=st.one_of(
        st.fixed_dictionaries(
            {
                "valeur": scalars | st.floats(0, 36),
                "unite": st.sampled_from(["kVA", "VA", "W"]),
            }
        ),
        scalars,
        st.sampled_from(["9 kVA", "-3 kVA", "1e400 VA", "² kVA"]),
    ),
    day=stamps,
    off_peak=st.sampled_from(["HC (22H30-6H30)", "HC (²H30-6H30)", "HC (99H99-1H)", ""])
    | scalars,
)


@given(raw=st.one_of(c68, c68.flatmap(mutated), st.lists(c68, max_size=2), junk()))
def test_parse_c68_contract(raw: Any) -> None:
    """A contract with a finite, non-negative power, or InvalidResponse."""
    with contextlib.suppress(InvalidResponse):
        assert_plausible(parse_contract(raw, PRM))


def r6x(
    points: st.SearchStrategy[Any], physical: str, unit: str
) -> st.SearchStrategy[Any]:
    """An M023 answer with one grandeur of `points`."""
    return st.lists(points, max_size=8).map(
        lambda values: m023(
            {
                "idPrm": PRM,
                "grandeur": [
                    {"grandeurPhysique": physical, "unite": unit, "points": values}
                ],
            }
        )
    )


r6x_points = st.fixed_dictionaries({"d": stamps, "v": scalars | st.floats(0, 1e5)})


@given(raw=st.one_of(r6x(r6x_points, "PMA", "VA").flatmap(mutated), junk()))
def test_parse_r66(raw: Any) -> None:
    """Daily peaks: finite kW >= 0 at plausible instants."""
    assert_plausible(parse_daily_max_power(raw))


@given(raw=st.one_of(r6x(r6x_points, "EA", "Wh").flatmap(mutated), junk()))
def test_parse_r65(raw: Any) -> None:
    """Daily energies: finite kWh >= 0 (infinite and negative ones skipped)."""
    days = parse_daily_energy(raw)
    assert_plausible(days)
    assert all(value >= 0 for value in days.values())


r64 = st.lists(r6x_points, max_size=6).map(
    lambda values: m023(
        {
            "idPrm": PRM,
            "grandeur": [
                {
                    "grandeurPhysique": "EA",
                    "unite": "Wh",
                    "calendrier": [
                        {
                            "classeTemporelle": [
                                {"idClasseTemporelle": "HP", "valeur": values}
                            ]
                        }
                    ],
                    "cadranTotalisateur": {"valeur": values},
                }
            ],
        }
    )
)


@given(raw=st.one_of(r64, r64.flatmap(mutated), junk()))
def test_parse_r64(raw: Any) -> None:
    """Daily indexes: finite kWh >= 0 per class."""
    days = parse_daily_indexes(raw)
    assert_plausible(days)
    assert all(value >= 0 for classes in days.values() for value in classes.values())


# -- the client's answer handlers over real HTTP -----------------------------------


@pytest.fixture
async def server(socket_enabled: None) -> AsyncIterator[Canned]:
    """A local server answering what each example sets."""
    async with canned() as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain client session."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def client_for(server: Canned, session: aiohttp.ClientSession) -> SwitchgridClient:
    return SwitchgridClient(
        session, "token", base_url=server.url, timeout=10, clock=lambda: NOW
    )


def bodies(shape: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    texts = st.one_of(shape, shape.flatmap(mutated), junk()).map(as_json)
    return st.one_of(
        texts, texts.flatmap(truncated), st.sampled_from(["<html>", "", "{" * 500])
    )


statuses = st.sampled_from([200, 200, 200, 201, 400, 401, 403, 404, 409, 429, 500])
retry_after = st.none() | st.sampled_from(
    ["NaN", "1e999", "-1", "5", "Fri, 31 Dec 9999 23:59:59 GMT", "soon"]
)


def reply(body: str, status: int, retry: str | None) -> Reply:
    return Reply(
        body=body,
        status=status,
        headers={} if retry is None else {"Retry-After": retry},
    )


@given(body=bodies(matches), status=statuses, retry=retry_after)
async def test_client_search_contracts(
    server: Canned,
    session: aiohttp.ClientSession,
    body: str,
    status: int,
    retry: str | None,
) -> None:
    """search_contract: matches or a typed error."""
    server.reply = reply(body, status, retry)
    await answered(
        client_for(server, session).async_search_contracts("Dupont", prm=PRM)
    )


@given(body=bodies(ask), status=statuses, retry=retry_after)
async def test_client_get_ask(
    server: Canned,
    session: aiohttp.ClientSession,
    body: str,
    status: int,
    retry: str | None,
) -> None:
    """GET /ask/{id}: a plausible Ask or a typed error."""
    server.reply = reply(body, status, retry)
    assert_plausible(await answered(client_for(server, session).async_get_ask("ask-1")))


@given(
    body=bodies(
        st.fixed_dictionaries(
            {
                "items": st.lists(ask, max_size=2),
                "totalItemsCount": st.integers(0, 300) | scalars,
            }
        )
    ),
    status=statuses,
)
async def test_client_list_asks(
    server: Canned, session: aiohttp.ClientSession, body: str, status: int
) -> None:
    """GET /ask pages: a bounded number of pages, plausible Asks or a typed error."""
    server.reply = reply(body, status, None)
    client = client_for(server, session)
    assert_plausible(await answered(client.async_list_asks()))
    assert client.requests_sent <= 100


@given(body=bodies(order), status=statuses, create=st.booleans())
async def test_client_orders(
    server: Canned, session: aiohttp.ClientSession, body: str, status: int, create: bool
) -> None:
    """POST /order and GET /order/{id}: a plausible Order or a typed error."""
    from custom_components.gridmeter.providers.switchgrid import OrderRequest

    server.reply = reply(body, status, None)
    client = client_for(server, session)
    if create:
        call = client.async_create_order("consent-1", [OrderRequest(type="C68")])
    else:
        call = client.async_get_order("order-1")
    assert_plausible(await answered(call))


@given(
    kind=st.sampled_from(["c68", "r66", "r65", "r64"]),
    data=st.data(),
    status=statuses,
)
async def test_client_raw_data(
    server: Canned,
    session: aiohttp.ClientSession,
    kind: str,
    data: st.DataObject,
    status: int,
) -> None:
    """The pre-signed dataUrl answers (C68, R64-R66): plausible values or a typed error."""
    shape = {
        "c68": c68,
        "r66": r6x(r6x_points, "PMA", "VA"),
        "r65": r6x(r6x_points, "EA", "Wh"),
        "r64": r64,
    }[kind]
    server.reply = reply(data.draw(bodies(shape)), status, None)
    request = OrderRequestState(
        id="r-1",
        type=kind.upper(),
        direction=None,
        status=RequestStatus.SUCCESS,
        ordered_at=None,
        completed_at=None,
        data_url=f"{server.url}/data?sig=1",
        error_message=None,
        load_curve=None,
    )
    client = client_for(server, session)
    call = {
        "c68": lambda: client.async_get_contract(request, PRM),
        "r66": lambda: client.async_get_daily_max_power(request),
        "r65": lambda: client.async_get_daily_energy(request),
        "r64": lambda: client.async_get_daily_indexes(request),
    }[kind]
    assert_plausible(await answered(call()))
