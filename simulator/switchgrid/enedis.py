"""Raw Enedis JSON served behind the pre-signed ``dataUrl`` files.

* C68 (``ConsulterDonneesTechniquesContractuelles`` v1.0): a top-level array,
  one object per PRM. Two shapes, as seen in the wild:

  - ``point``: ``{"point": {"idPrm", "donneesGenerales", "situationAlimentation",
    "situationComptage", "situationContractuelle"}}`` following the XSD tree;
    XML attributes are rendered as ``attributes: {code}`` (the FTA), coded
    values as ``{code, libelle}``;
  - ``v0``: the flat variant ``{"idPrm", "situationComptage": {"relais":
    {"plageHeuresCreuses": {"libelle"}}}, "situationsContractuelles":
    [{"structureTarifaire": {"puissanceSouscrite": {"valeur", "unite"},
    "formuleTarifaireAcheminement": {"code", "libelle"}}}]}``.

* R64/R65/R66 (``M023`` envelope): ``{"header": {...}, "mesures": [...]}``,
  one ``mesures`` item per PRM:

  - R65: ``grandeur[{grandeurMetier CONS|PROD, grandeurPhysique EA, unite Wh,
    points[{v, d: "YYYY-MM-DD", p: "P1D", n: "B"}]}]`` (Paris days);
  - R66: ``grandeur[{grandeurPhysique PMA, unite VA, points[{v, d, n}]}]``
    with ``d`` the instant of the max (Paris time with offset);
  - R64: ``contexte[{grandeur[{calendrier[{idCalendrier, classeTemporelle[{
    idClasseTemporelle, valeur[{d, v, iv}]}]}], cadranTotalisateur{valeur}}]}]``,
    one index per class read at each Paris midnight (Wh).

Values are JSON numbers (assumption; the SGE XML has them as text).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from .data import Direction, SwitchgridData
from .households import PARIS, Household

_DAY = timedelta(days=1)

FTA_LABELS = {
    "BTINFCUST": "Tarif BT<=36kVA Courte Utilisation sans différenciation temporelle",
    "BTINFMUDT": (
        "Tarif BT<=36kVA Moyenne Utilisation heures pleines heures creuses "
        "(différenciation temporelle)"
    ),
    "BTINFCU4": (
        "Tarif BT<=36kVA Courte Utilisation heures pleines heures creuses "
        "associées à deux saisons"
    ),
}
CLASS_LABELS = {
    "BASE": "Base",
    "HP": "Heures Pleines",
    "HC": "Heures Creuses",
    "HPH": "Heures Pleines Saison Haute",
    "HCH": "Heures Creuses Saison Haute",
    "HPB": "Heures Pleines Saison Basse",
    "HCB": "Heures Creuses Saison Basse",
}
CALENDARS = {
    "BASE": ("DI000001", "Calendrier distributeur base"),
    "HPHC": ("DI000002", "Calendrier distributeur heures pleines/heures creuses"),
    "HPHC4": ("DI000003", "Calendrier distributeur 4 classes (HP/HC x saisons)"),
}


def local_iso(instant: datetime) -> str:
    """Paris wall clock with its offset: ``2024-12-15T19:40:00+01:00``."""
    return instant.astimezone(PARIS).isoformat(timespec="seconds")


def header(flow: str, request_id: str, organization_id: str) -> dict[str, Any]:
    """Build the M023 ``header`` block."""
    return {
        "idDemande": request_id[:8].upper(),
        "siDemandeur": "TSGE",
        "typeDestinataire": "TIERS",
        "idDestinataire": organization_id,
        "codeFlux": "M023",
        "typeFlux": flow,
        "modePublication": "P",
        "idCanalContact": "WS",
        "format": "JSON",
        "publicationCrp": False,
    }


def _code(code: str, libelle: str) -> dict[str, str]:
    return {"code": code, "libelle": libelle}


def _address(household: Household) -> dict[str, Any]:
    lines = household.address.lines
    floor = lines.get("ligne2")
    building = lines.get("ligne3")
    return {
        "escalierEtEtageEtAppartement": floor,
        "batiment": building,
        "numeroEtNomVoie": lines["ligne4"],
        "lieuDit": lines.get("ligne5"),
        "codePostal": household.address.postal_code,
        "commune": {
            "attributes": {"code": household.address.insee},
            "libelle": household.address.city.upper(),
        },
    }


def _calendar_frn(household: Household) -> dict[str, str]:
    if household.tariff == "BASE":
        return _code("FC000001", "Base")
    if household.tariff == "HPHC":
        return _code("FC000002", "Heures Pleines/Creuses")
    return _code("FC000024", "Heures Pleines/Creuses Saisonnalisé")


def c68_item(household: Household, now: datetime) -> dict[str, Any]:
    """One C68 array item for ``household`` (shape per ``c68_variant``)."""
    fta_label = FTA_LABELS[household.fta]
    if household.c68_variant == "v0":
        return {
            "idPrm": household.prm,
            "donneesGenerales": {
                "etatContractuel": _code("SERVC", "En service"),
                "segment": _code("C5", "C5"),
                "adresseInstallation": _address(household),
            },
            "situationComptage": {
                "relais": {"plageHeuresCreuses": {"libelle": household.off_peak}},
                "typeComptage": _code("LINKY", "Compteur Linky"),
            },
            "situationsContractuelles": [
                {
                    "dateDebut": household.commissioning.isoformat(),
                    "structureTarifaire": {
                        "puissanceSouscrite": {
                            "valeur": household.subscribed_kva,
                            "unite": "kVA",
                        },
                        "formuleTarifaireAcheminement": {
                            "code": household.fta,
                            "libelle": fta_label,
                        },
                        "calendrierFrn": _calendar_frn(household),
                    },
                }
            ],
        }
    compteur: dict[str, Any] = {
        "localisation": _code("INT", "Intérieur"),
        "matricule": household.meter_serial,
        "ticActivee": True,
        "ticStandard": household.solar is not None,
        "ticActivable": True,
        "parametresTeleAcces": {
            "numeroTelephone": None,
            "numeroVoieAiguillage": None,
            "etatLigneTelephonique": None,
            "fenetreEcouteClient": None,
            "cle": None,
        },
    }
    relais: dict[str, Any] = {"fonctionnementRelais": _code("ACTIF", "Actif")}
    if household.off_peak:
        compteur["plagesHeuresCreuses"] = household.off_peak
        compteur["programmationHoraire"] = {
            "programmationPosteHoraire": [
                {
                    "libelle": household.off_peak,
                    "periodesHoraires": household.off_peak[4:-1],
                }
            ]
        }
        if household.key != "toulouse":
            # Toulouse's relay is not programmed: its windows are only on the meter.
            relais["plageHeuresCreuses"] = household.off_peak
    comptage: dict[str, Any] = {
        "dispositifComptage": {
            "typeComptage": _code("LINKY", "Compteur Linky"),
            "compteurs": {"compteur": [compteur]},
            "disjoncteur": {
                "calibre": _code(
                    "30-60" if household.subscribed_kva >= 9 else "15-45",
                    "30-60 A" if household.subscribed_kva >= 9 else "15-45 A",
                )
            },
            "relais": relais,
            "transformateurs": None,
        },
        "caracteristiquesReleve": {
            "modeTraitement": _code("J", "Journalier"),
            "periodicite": _code("BIMES", "Bimestrielle"),
            "plageReleve": _code("6", "Plage 6"),
        },
        "modeReleve": _code("TELE", "Télé-relevé"),
        "mediaReleve": _code("CPL", "Courant porteur en ligne"),
    }
    if household.future_off_peak:
        comptage["futuresPlagesHeuresCreuses"] = {
            "libelle": household.future_off_peak,
            "dateApplication": (now.date() + timedelta(days=60)).isoformat(),
        }
    alimentation: dict[str, Any] = {
        "domaineTension": _code("BTINF", "BT<=36kVA"),
        "tensionLivraison": _code("230V", "230 V"),
        "modeApresCompteur": _code("COMPTEUR", "Compteur"),
        "puissanceRaccordementSoutirage": {"valeur": 12, "unite": "kVA"},
    }
    if household.solar is not None:
        alimentation["puissanceRaccordementInjection"] = {
            "valeur": household.solar.kwp,
            "unite": "kVA",
        }
    return {
        "point": {
            "idPrm": household.prm,
            "donneesGenerales": {
                "etatContractuel": _code("SERVC", "En service"),
                "adresseInstallation": _address(household),
                "dateDerniereModificationFormuleTarifaireAcheminement": (
                    household.commissioning.isoformat()
                ),
                "dateDerniereAugmentationPuissanceSouscrite": (
                    household.commissioning.isoformat()
                ),
                "dateDerniereDiminutionPuissanceSouscrite": None,
                "segment": _code("C5", "C5"),
                "niveauOuvertureServices": "2",
            },
            "situationAlimentation": {"alimentationPrincipale": alimentation},
            "situationComptage": comptage,
            "situationContractuelle": {
                "structureTarifaire": {
                    "formuleTarifaireAcheminement": {
                        "attributes": {"code": household.fta},
                        "libelle": fta_label,
                    },
                    "longueUtilisation": _code(household.fta[5:7], household.fta[5:7]),
                    "puissanceSouscriteMax": {
                        "valeur": household.subscribed_kva,
                        "unite": "kVA",
                    },
                    "denivelePuissances": None,
                    "calendrierFrn": _calendar_frn(household),
                },
            },
        }
    }


def _days(first: date, last: date) -> list[date]:
    out: list[date] = []
    day = first
    while day <= last:
        out.append(day)
        day += _DAY
    return out


def _metier(direction: Direction) -> str:
    return "CONS" if direction == "CONSUMPTION" else "PROD"


def r65_mesure(
    data: SwitchgridData,
    household: Household,
    first: date,
    last: date,
    direction: Direction,
) -> dict[str, Any]:
    """One R65 ``mesures`` item (daily energy, Wh, Paris days)."""
    missing = data.state.missing_days.get(household.prm, set())
    points = [
        {
            "v": data.daily_wh(household, day, direction),
            "d": day.isoformat(),
            "p": "P1D",
            "n": "B",
        }
        for day in _days(first, last)
        if day not in missing
    ]
    return {
        "idPrm": household.prm,
        "periode": {"dateDebut": first.isoformat(), "dateFin": last.isoformat()},
        "etapeMetier": "BEST",
        "modeCalcul": "DIFF.INDEX",
        "pas": "P1D",
        "grandeur": [
            {
                "grandeurMetier": _metier(direction),
                "grandeurPhysique": "EA",
                "unite": "Wh",
                "points": points,
            }
        ],
    }


def r66_mesure(
    data: SwitchgridData, household: Household, first: date, last: date
) -> dict[str, Any]:
    """One R66 ``mesures`` item (daily max power, VA, instant of the max)."""
    points: list[dict[str, Any]] = []
    for day in _days(first, last):
        peak = data.daily_max(household, day)
        if peak is not None:
            points.append({"v": peak.va, "d": local_iso(peak.at), "n": "B"})
    return {
        "idPrm": household.prm,
        "periode": {"dateDebut": first.isoformat(), "dateFin": last.isoformat()},
        "etapeMetier": "BEST",
        "grandeur": [
            {
                "grandeurMetier": "CONS",
                "grandeurPhysique": "PMA",
                "unite": "VA",
                "points": points,
            }
        ],
    }


def r64_mesure(
    data: SwitchgridData,
    household: Household,
    first: date,
    last: date,
    direction: Direction,
) -> dict[str, Any]:
    """One R64 ``mesures`` item: indexes read at each Paris midnight.

    Readings cover the midnights from ``first`` to ``last + 1 day``, so the
    differences give the energies of the days ``first`` .. ``last``.
    """
    missing = data.state.missing_days.get(household.prm, set())
    classes = data.classes(household, direction)
    per_class: dict[str, list[dict[str, Any]]] = {klass: [] for klass in classes}
    totals: list[dict[str, Any]] = []
    for day in _days(first, last + _DAY):
        if day in missing:
            continue
        reading = data.indexes(household, day, direction)
        stamp = local_iso(
            datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)
        )
        for klass in classes:
            per_class[klass].append({"d": stamp, "v": reading[klass], "iv": 0})
        totals.append({"d": stamp, "v": sum(reading.values()), "iv": 0})
    tariff = "BASE" if direction == "INJECTION" else household.tariff
    calendar_id, calendar_label = CALENDARS[tariff]
    return {
        "idPrm": household.prm,
        "periode": {
            "dateDebut": first.isoformat(),
            "dateFin": (last + _DAY).isoformat(),
        },
        "contexte": [
            {
                "etapeMetier": "BEST",
                "contexteReleve": "COL",
                "typeReleve": "AQ",
                "grandeur": [
                    {
                        "grandeurMetier": _metier(direction),
                        "grandeurPhysique": "EA",
                        "unite": "Wh",
                        "calendrier": [
                            {
                                "idCalendrier": calendar_id,
                                "libelleCalendrier": calendar_label,
                                "libelleGrille": f"FTA_{household.fta}",
                                "classeTemporelle": [
                                    {
                                        "idClasseTemporelle": klass,
                                        "libelleClasseTemporelle": CLASS_LABELS[klass],
                                        "codeCadran": f"{index + 1:02d}",
                                        "valeur": per_class[klass],
                                    }
                                    for index, klass in enumerate(classes)
                                ],
                            }
                        ],
                        "cadranTotalisateur": {"codeCadran": "CT", "valeur": totals},
                    }
                ],
            }
        ],
    }
