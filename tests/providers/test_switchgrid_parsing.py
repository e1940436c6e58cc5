"""Switchgrid and raw Enedis answers into models: the shapes in the reference."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from custom_components.gridmeter.providers.errors import InvalidResponse
from custom_components.gridmeter.providers.models import TimeRange
from custom_components.gridmeter.providers.switchgrid import (
    AskStatus,
    OrderStatus,
    RequestStatus,
)
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
from custom_components.gridmeter.tariffs import parse_off_peak_hours

PRM = "00059461297239"


def tr(a: str, b: str) -> TimeRange:
    return TimeRange(start=time.fromisoformat(a), end=time.fromisoformat(b))


# -- Switchgrid objects -------------------------------------------------------------


def test_contract_matches() -> None:
    matches = parse_contract_matches(
        {
            "results": [
                {
                    "id": "7401e757-2216-4cc5-8e51-e7176de67ed6",
                    "nomClientFinalOuDenominationSociale": "ST DUPONT",
                    "prm": "00000000000022",
                    "categorieClientFinalCode": "PRO",
                    "adresseInstallationNormalisee": {
                        "ligne2": "DP TJ TB",
                        "ligne4": "10 RUE DE LA PAIX",
                        "ligne6": "75002 PARIS",
                        "ligne7": "",
                    },
                },
                {"id": "no-prm"},
                "junk",
            ]
        }
    )
    assert len(matches) == 1
    assert matches[0].address == ("DP TJ TB", "10 RUE DE LA PAIX", "75002 PARIS")
    assert matches[0].holder == "ST DUPONT"
    assert matches[0].category == "PRO"
    with pytest.raises(InvalidResponse):
        parse_contract_matches({"results": None})
    with pytest.raises(InvalidResponse):
        parse_contract_matches([])


def test_ask_shapes() -> None:
    ask = parse_ask(
        {
            "id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "status": "ACCEPTED",
            "createdAt": "2024-06-17T13:30:00.000Z",
            "acceptedAt": "2024-06-17T13:40:21.422Z",
            "consentCollectionDetails": {
                "service": "WEB_HOSTED",
                "userUrl": "https://app.switchgrid.tech/c/x",
            },
            "createArgs": {"consentDuration": "3 years", "electricityContracts": ["u"]},
            "addressCheckResults": {PRM: {"status": "SUCCESS"}, "1": "weird"},
            "consentIds": {PRM: "c-1", "x": None},
            "contracts": [{"prm": PRM}],
        }
    )
    assert ask.status is AskStatus.ACCEPTED
    assert ask.accepted
    assert ask.consent_for(PRM) == "c-1"
    assert ask.address_checks == {PRM: "SUCCESS", "1": "WEIRD"}
    assert ask.prms == (PRM, "1")
    assert ask.expires_at == datetime(2027, 6, 17, 13, 40, 21, 422000, tzinfo=UTC)
    assert ask.user_url == "https://app.switchgrid.tech/c/x"

    pending = parse_ask(
        {
            "id": "a",
            "status": "PENDING_USER_ACTION",
            "acceptedAt": "2024-06-17T13:40:21.422Z",
            "consentCollectionDetails": None,
            "expiresAt": "2030-01-01T00:00:00Z",
        }
    )
    # The seed's example shows acceptedAt on an unsigned Ask: not trusted.
    assert pending.accepted_at is None
    assert pending.expires_at == datetime(2030, 1, 1, tzinfo=UTC)
    assert pending.user_url is None
    assert parse_ask({"id": "b", "status": "SOMETHING_NEW"}).status is AskStatus.UNKNOWN
    with pytest.raises(InvalidResponse):
        parse_ask({"status": "CREATED"})
    with pytest.raises(InvalidResponse):
        parse_ask("nope")


def test_ask_pages() -> None:
    asks, total = parse_ask_page(
        {
            "skip": 0,
            "limit": 100,
            "totalItemsCount": 1,
            "returnedItemsCount": 1,
            "items": [{"id": "a"}],
        }
    )
    assert [a.id for a in asks] == ["a"] and total == 1
    asks, total = parse_ask_page([{"id": "a"}, {"id": "b"}])
    assert total == 2
    assert parse_ask_page({"items": []}) == ([], None)
    with pytest.raises(InvalidResponse):
        parse_ask_page({"items": "x"})


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        ("1 day", datetime(2024, 1, 31, 12, tzinfo=UTC)),
        ("2 weeks", datetime(2024, 2, 13, 12, tzinfo=UTC)),
        ("1 month", datetime(2024, 2, 29, 12, tzinfo=UTC)),
        ("6 months", datetime(2024, 7, 30, 12, tzinfo=UTC)),
        ("20 years", datetime(2044, 1, 30, 12, tzinfo=UTC)),
        ("forever", None),
        (None, None),
    ],
)
def test_consent_expiry(duration: str | None, expected: datetime | None) -> None:
    assert consent_expiry(datetime(2024, 1, 30, 12, tzinfo=UTC), duration) == expected


def test_consent_expiry_clamps_month_end() -> None:
    assert consent_expiry(datetime(2024, 3, 31, tzinfo=UTC), "1 month") == datetime(
        2024, 4, 30, tzinfo=UTC
    )
    assert consent_expiry(None, "1 month") is None


def test_order_shapes() -> None:
    order = parse_order(
        {
            "id": "o",
            "status": "SOME_REQUESTS_FAILED",
            "requests": [
                {
                    "id": "r1",
                    "type": "R63",
                    "status": "FAILED",
                    "orderedAt": "2024-07-29T07:52:19.903Z",
                    "completedAt": "2024-07-29T07:53:08.629Z",
                    "dataUrl": None,
                    "errorMessage": "La demande ne peut aboutir : aucun service souscrit "
                    "de courbe de charge n'est present pour la periode demandee",
                },
                {
                    "id": "r2",
                    "type": "loadcurve",
                    "direction": "CONSUMPTION",
                    "status": "SUCCESS",
                    "prms": [PRM],
                    "loadCurve": {
                        "period": "PT600S",
                        "startsAt": "2024-12-15T23:00:00.000Z",
                        "endsAt": "2024-12-15T23:20:00.000Z",
                        "values": [321, 294],
                    },
                },
                {"id": "r3", "type": "C68", "status": "BRAND_NEW"},
            ],
        }
    )
    assert order.status is OrderStatus.SOME_REQUESTS_FAILED
    assert order.done
    failed, curve, other = order.requests
    assert failed.load_curve_not_activated
    assert failed.done
    assert failed.completed_at == datetime(2024, 7, 29, 7, 53, 8, 629000, tzinfo=UTC)
    assert curve.type == "LOADCURVE"
    assert curve.prms == (PRM,)
    assert curve.load_curve is not None and curve.load_curve.values == (321.0, 294.0)
    assert not curve.load_curve_not_activated
    assert other.status is RequestStatus.UNKNOWN
    assert order.find("LOADCURVE", "CONSUMPTION") is curve
    assert order.find("LOADCURVE", "INJECTION") is None
    assert order.find("C68") is other

    running = parse_order(
        {
            "id": "o",
            "status": "PENDING_REQUESTS",
            "requests": [{"id": "r", "status": "PENDING"}],
        }
    )
    assert not running.done
    finished = parse_order(
        {
            "id": "o",
            "status": "PENDING_REQUESTS",
            "requests": [{"id": "r", "status": "SUCCESS"}],
        }
    )
    assert finished.done
    assert not parse_order({"id": "o", "status": "CREATED", "requests": []}).done
    with pytest.raises(InvalidResponse):
        parse_order({"id": "o"})
    # The API document's own examples have requests without ids.
    (seed,) = parse_order({"id": "o", "requests": [{"type": "C68"}]}).requests
    assert seed.id is None
    assert seed.type == "C68"


def test_datetimes() -> None:
    assert parse_datetime("2024-12-10T00:00:00[Europe/Paris]") == datetime(
        2024, 12, 9, 23, tzinfo=UTC
    )
    assert parse_datetime("2024-12-10T00:00:00[Mars/Olympus]") is None
    assert parse_datetime("2024-12-10 01:00:00+01:00") == datetime(
        2024, 12, 10, tzinfo=UTC
    )
    assert parse_datetime("yesterday") is None
    assert parse_datetime("") is None
    assert parse_datetime({"d": 1}) is None


# -- C68 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HC (22H30-6H30)", (tr("22:30", "06:30"),)),
        (
            "HC (1H30-7H30;12H30-14H30)",
            (tr("01:30", "07:30"), tr("12:30", "14:30")),
        ),
        ("HC (23H00-7H00)", (tr("23:00", "07:00"),)),
        ("HC (1H28-6H58;13H58-16H28)", (tr("01:28", "06:58"), tr("13:58", "16:28"))),
        ("hc (22h30–6h30)", (tr("22:30", "06:30"),)),
        ("HC (01H36-07H36)", (tr("01:36", "07:36"),)),
        ("HC (22H-6H)", (tr("22:00", "06:00"),)),
        # The whole day, as the options' parser reads it.
        ("HC (0H00-24H00)", (tr("00:00", "00:00"),)),
        ("HC (20H00-24H00)", (tr("20:00", "00:00"),)),
        ("HC (25H00-7H00;2H70-3H00)", ()),
        ("HC (24H30-7H00)", ()),
        ("Base", ()),
        ("", ()),
        (None, ()),
    ],
)
def test_off_peak_texts(text: str | None, expected: tuple[TimeRange, ...]) -> None:
    assert parse_off_peak_text(text) == expected
    # The contract's parser and the options' parser agree.
    if expected:
        assert text is not None
        assert parse_off_peak_hours(text) == tuple((r.start, r.end) for r in expected)


def xsd_c68(**overrides: Any) -> dict[str, Any]:
    """A C68 point in the v1.0 XSD tree, as Switchgrid renders it."""
    point: dict[str, Any] = {
        "idPrm": PRM,
        "donneesGenerales": {
            "etatContractuel": {
                "attributes": {"code": "SERVC"},
                "libelle": "En service",
            },
            "segment": {"attributes": {"code": "C5"}},
        },
        "situationComptage": {
            "dispositifComptage": {
                "typeComptage": {
                    "attributes": {"code": "LINKY"},
                    "libelle": "Compteur Linky",
                },
                "compteurs": {
                    "compteur": [
                        {
                            "matricule": "021861124589",
                            "plagesHeuresCreuses": "HC (22H30-6H30)",
                        }
                    ]
                },
                "relais": {"plageHeuresCreuses": "HC (22H30-6H30)"},
            },
            "futuresPlagesHeuresCreuses": {"libelle": "HC (1H28-6H58;13H58-16H28)"},
        },
        "situationContractuelle": {
            "dateDebut": "2019-05-14",
            "structureTarifaire": {
                "formuleTarifaireAcheminement": {
                    "attributes": {"code": "BTINFCU4"},
                    "libelle": "Tarif BT<=36kVA Courte Utilisation heures pleines heures "
                    "creuses associées à deux saisons",
                },
                "puissanceSouscriteMax": {"valeur": 18, "unite": "kVA"},
                "calendrierFrn": {"libelle": "Heures Pleines/Creuses"},
            },
        },
    }
    point.update(overrides)
    return point


def test_c68_point_wrapped_array() -> None:
    raw = [{"point": xsd_c68()}, {"point": xsd_c68(idPrm="11111111111111")}]
    contract = parse_contract(raw, PRM)
    assert contract.meter_id == PRM
    assert contract.contracted_power_kw == (18.0,)
    assert contract.subscribed_power_kva == 18.0
    assert contract.tariff_code == "BTINFCU4"
    assert contract.tariff_name is not None and contract.tariff_name.startswith(
        "Tarif BT"
    )
    assert contract.off_peak_text == "HC (22H30-6H30)"
    assert contract.off_peak_hours == (tr("22:30", "06:30"),)
    assert contract.future_off_peak_hours == (
        tr("01:28", "06:58"),
        tr("13:58", "16:28"),
    )
    assert contract.supplier_calendar == "Heures Pleines/Creuses"
    assert contract.meter_type == "LINKY"
    assert contract.segment == "C5"
    assert contract.contract_state == "SERVC"
    assert contract.start == date(2019, 5, 14)
    assert contract.end is None
    assert contract.distributor == "Enedis"


def test_c68_single_object_and_meter_only_off_peak() -> None:
    point = xsd_c68()
    del point["situationComptage"]["dispositifComptage"]["relais"]
    point["situationComptage"]["dispositifComptage"]["compteurs"] = {
        "compteur": {"plagesHeuresCreuses": {"libelle": "HC (1H30-7H30;12H30-14H30)"}}
    }
    point["situationContractuelle"]["structureTarifaire"][
        "formuleTarifaireAcheminement"
    ] = {
        "code": "BTINFMUDT",
        "libelle": "Moyenne utilisation",
    }
    contract = parse_contract(point, PRM)
    assert contract.tariff_code == "BTINFMUDT"
    assert contract.off_peak_hours == (tr("01:30", "07:30"), tr("12:30", "14:30"))


def test_c68_v0_flat_variant() -> None:
    """The v0 shape: plural situations, `puissanceSouscrite`, `{libelle}` relay text."""
    raw = [
        {
            "idPrm": PRM,
            "situationComptage": {
                "relais": {"plageHeuresCreuses": {"libelle": "HC (23H00-7H00)"}}
            },
            "situationsContractuelles": [
                {
                    "dateDebut": "2015-01-01",
                    "dateFin": "2020-01-01",
                    "structureTarifaire": {
                        "puissanceSouscrite": {"valeur": "6"},
                        "formuleTarifaireAcheminement": {"code": "BTINFCUST"},
                    },
                },
                {
                    "dateDebut": "2020-01-01",
                    "structureTarifaire": {
                        "puissanceSouscrite": {"valeur": "9", "unite": "kVA"},
                        "formuleTarifaireAcheminement": {"code": "BTINFMUDT"},
                    },
                },
            ],
        }
    ]
    contract = parse_contract(raw, PRM)
    assert contract.contracted_power_kw == (9.0,)
    assert contract.tariff_code == "BTINFMUDT"
    assert contract.tariff_name is None
    assert contract.off_peak_hours == (tr("23:00", "07:00"),)
    assert contract.start == date(2020, 1, 1)


def test_c68_base_has_no_off_peak_hours() -> None:
    point = xsd_c68()
    structure = point["situationContractuelle"]["structureTarifaire"]
    structure["formuleTarifaireAcheminement"] = {"attributes": {"code": "BTINFCUST"}}
    structure["calendrierFrn"] = "Base"
    structure["puissanceSouscriteMax"] = {"valeur": 6000, "unite": "VA"}
    contract = parse_contract(point, PRM)
    # The relay keeps a programme, but a base contract has no off-peak hours.
    assert contract.off_peak_text == "HC (22H30-6H30)"
    assert contract.off_peak_hours == ()
    assert contract.contracted_power_kw == (6.0,)
    del structure["calendrierFrn"]
    assert parse_contract(point, PRM).off_peak_hours == ()
    structure["calendrierFrn"] = "Heures Pleines/Creuses"
    assert parse_contract(point, PRM).off_peak_hours == (tr("22:30", "06:30"),)


@pytest.mark.parametrize(
    ("fta", "calendar", "option"),
    [
        ("BTINFCUST", "Base", "BASE"),
        ("BTINFCUST", None, "BASE"),
        ("BTINFMUDT", "Heures Pleines/Creuses", "HPHC"),
        ("BTINFMUDT", None, "HPHC"),
        ("BTINFCU4", "Tempo (Bleu/Blanc/Rouge)", "TEMPO"),
    ],
)
def test_c68_tariff_option(fta: str, calendar: str | None, option: str) -> None:
    """BASE / HPHC / TEMPO, derived from the network tariff and calendar."""
    point = xsd_c68()
    structure = point["situationContractuelle"]["structureTarifaire"]
    structure["formuleTarifaireAcheminement"] = {"attributes": {"code": fta}}
    structure["calendrierFrn"] = calendar
    assert parse_contract(point, PRM).tariff_option == option


@pytest.mark.parametrize(
    ("power", "expected"),
    [("9 kVA", (9.0,)), (12, (12.0,)), ("n/a", ()), (None, ())],
)
def test_c68_power_forms(power: Any, expected: tuple[float, ...]) -> None:
    point = xsd_c68()
    point["situationContractuelle"]["structureTarifaire"]["puissanceSouscriteMax"] = (
        power
    )
    assert parse_contract(point, PRM).contracted_power_kw == expected


def test_c68_without_the_prm_or_without_an_id() -> None:
    with pytest.raises(InvalidResponse):
        parse_contract([xsd_c68(idPrm="11111111111111")], PRM)
    with pytest.raises(InvalidResponse):
        parse_contract([], PRM)
    with pytest.raises(InvalidResponse):
        parse_contract("junk", PRM)
    anonymous = xsd_c68()
    del anonymous["idPrm"]
    assert parse_contract(anonymous, PRM).meter_id == PRM
    by_attribute = xsd_c68()
    del by_attribute["idPrm"]
    by_attribute["attributes"] = {"id": PRM}
    assert parse_contract(by_attribute, PRM).tariff_code == "BTINFCU4"
    bare = parse_contract({"idPrm": PRM}, PRM)
    assert bare.contracted_power_kw == ()
    assert bare.off_peak_hours == ()
    assert bare.tariff_code is None
    weird_date = xsd_c68()
    weird_date["situationContractuelle"]["dateDebut"] = "someday"
    assert parse_contract(weird_date, PRM).start is None


# -- R6x ----------------------------------------------------------------------------


def m023(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"header": {"codeFlux": "M023", "format": "JSON"}, "mesures": list(blocks)}


def test_r66_max_power() -> None:
    raw = m023(
        {
            "idPrm": PRM,
            "grandeur": [
                {
                    "grandeurMetier": "CONS",
                    "grandeurPhysique": "PMA",
                    "unite": "VA",
                    "points": [
                        {"v": "5230", "d": "2025-01-14T19:42:10+01:00"},
                        {"v": 6100, "d": "2025-07-15 20:10:00"},
                        {"v": None, "d": "2025-07-16T20:10:00+02:00"},
                        {"v": -1, "d": "2025-07-17T20:10:00+02:00"},
                        {"v": 1, "d": "never"},
                    ],
                },
                {
                    "grandeurPhysique": "PMA1",
                    "unite": "VA",
                    "points": [{"v": 9, "d": "2025-01-01"}],
                },
            ],
        }
    )
    peaks = parse_daily_max_power(raw)
    assert [(p.at, p.kw) for p in peaks] == [
        (datetime(2025, 1, 14, 18, 42, 10, tzinfo=UTC), 5.23),
        # No offset: Paris summer time.
        (datetime(2025, 7, 15, 18, 10, tzinfo=UTC), 6.1),
    ]
    bare = parse_daily_max_power(
        {
            "pointId": PRM,
            "grandeur": {
                "unite": "kVA",
                "points": {"v": 7.5, "d": "2025-02-01T10:00:00Z"},
            },
        }
    )
    assert [(p.at, p.kw) for p in bare] == [(datetime(2025, 2, 1, 10, tzinfo=UTC), 7.5)]
    assert parse_daily_max_power(None) == []
    assert parse_daily_max_power([m023(), "x", {"mesures": ["x"]}]) == []


def test_r65_daily_energy() -> None:
    raw = m023(
        {
            "idPrm": PRM,
            "etapeMetier": "BRUT",
            "modeCalcul": "DIFF.INDEX",
            "pas": "P1D",
            "grandeur": [
                {
                    "grandeurMetier": "CONS",
                    "grandeurPhysique": "EA",
                    "unite": "Wh",
                    "points": [
                        {"v": "12345", "d": "2025-03-30"},
                        {"v": 9000, "d": "2025-03-30T22:00:00Z"},
                        {"v": None, "d": "2025-04-01"},
                        {"v": 1, "d": "2025-13-01"},
                        {"v": 1},
                    ],
                },
                {
                    "grandeurPhysique": "ERC",
                    "unite": "VArh",
                    "points": [{"v": 5, "d": "2025-03-30"}],
                },
            ],
        }
    )
    assert parse_daily_energy(raw) == {
        date(2025, 3, 30): 12.345,
        date(2025, 3, 31): 9.0,
    }
    kwh = {
        "pointId": PRM,
        "grandeur": [{"unite": "kWh", "points": [{"v": 3.5, "d": "2025-01-02"}]}],
    }
    assert parse_daily_energy(kwh) == {date(2025, 1, 2): 3.5}


def test_r64_daily_indexes() -> None:
    raw = m023(
        {
            "idPrm": PRM,
            "contexte": [
                {
                    "etapeMetier": "BRUT",
                    "grandeur": [
                        {
                            "grandeurMetier": "CONS",
                            "grandeurPhysique": "EA",
                            "unite": "Wh",
                            "calendrier": [
                                {
                                    "idCalendrier": "DI000002",
                                    "classeTemporelle": [
                                        {
                                            "idClasseTemporelle": "HP",
                                            "valeur": [
                                                {
                                                    "d": "2025-01-01T00:00:00+01:00",
                                                    "v": 1000,
                                                },
                                                {
                                                    "d": "2025-01-02T00:00:00+01:00",
                                                    "v": 3000,
                                                },
                                            ],
                                        },
                                        {
                                            "idClasseTemporelle": "hc",
                                            "valeur": {"d": "2025-01-01", "v": 500},
                                        },
                                        {"valeur": [{"d": "2025-01-01", "v": 1}]},
                                    ],
                                },
                                {
                                    "idCalendrier": "FOURNISSEUR",
                                    "classeTemporelle": [
                                        {
                                            "idClasseTemporelle": "HP",
                                            "valeur": [{"d": "2025-01-01", "v": 7}],
                                        }
                                    ],
                                },
                            ],
                            "cadranTotalisateur": {
                                "valeur": [
                                    {"d": "2025-01-01", "v": 1500},
                                    {"d": "bad", "v": 2},
                                ]
                            },
                        },
                        {"grandeurPhysique": "PMA", "calendrier": []},
                    ],
                }
            ],
        }
    )
    assert parse_daily_indexes(raw) == {
        date(2025, 1, 1): {"HP": 1.0, "HC": 0.5, "TOTAL": 1.5},
        date(2025, 1, 2): {"HP": 3.0},
    }


def test_r6x_junk_is_ignored() -> None:
    """Non-object items anywhere in the tree are skipped, not fatal."""
    raw = m023(
        {
            "idPrm": PRM,
            "contexte": ["x", {"grandeur": ["y", {"unite": "Wh", "points": ["z"]}]}],
            "grandeur": {
                "unite": "Wh",
                "points": [None, {"v": 1000, "d": "2025-01-01"}],
            },
        }
    )
    assert parse_daily_energy(raw) == {date(2025, 1, 1): 1.0}


def test_ask_address_check_without_a_status() -> None:
    ask = parse_ask({"id": "a", "addressCheckResults": {PRM: {}, "1": None}})
    assert ask.address_checks == {}
