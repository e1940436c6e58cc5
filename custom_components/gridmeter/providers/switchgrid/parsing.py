"""Turn Switchgrid and raw Enedis (SGE / M023) answers into models.

Pure functions, no I/O. Shapes follow the v2 OpenAPI spec and the Enedis
formats in the reference notes, and tolerate the variants seen in the wild
(load curves are read in `curve.py`):

* C68: a top-level array (one object per PRM) or one object, with or without
  a ``point`` wrapper; ``situationContractuelle`` or
  ``situationsContractuelles[]``; ``puissanceSouscriteMax`` or
  ``puissanceSouscrite``; XML attributes as ``attributes: {code}``.
* R64/R65/R66: ``{header, mesures[]}`` (M023) or a bare block with
  ``pointId`` / ``idPrm`` and ``grandeur[]``.

Values are read with the shared plausibility rules (`providers.parsing`):
instants and days between 2000 and 2099, finite non-negative energies and
powers, ASCII digits; a point that breaks them is skipped (and counted in the
debug log), never kept. Date arithmetic is closed-form.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
import logging
import re
from typing import Any, Final
from zoneinfo import ZoneInfo

from ..errors import InvalidResponse, redact
from ..identifiers import normalize_prm
from ..models import PowerPeak, TimeRange
from ..parsing import non_negative, plausible_day, plausible_instant, whole_number, zone
from .curve import parse_load_curve
from .models import (
    Ask,
    AskStatus,
    ContractMatch,
    Order,
    OrderRequestState,
    OrderStatus,
    RequestStatus,
    SwitchgridContract,
)

_LOGGER = logging.getLogger(__name__)

PARIS: Final = ZoneInfo("Europe/Paris")
_MAX_ASKS: Final = 1_000_000

# "22H30-6H30", "1h28 – 6h58", "23:00-7:00": a range of two clock times.
_OFF_PEAK_RANGE: Final = re.compile(
    r"(\d{1,2})\s*[hH:]\s*(\d{0,2})\s*[-\u2010-\u2015\u2212àa]\s*(\d{1,2})\s*[hH:]\s*(\d{0,2})",
    re.ASCII,
)
_CONTRACT_DURATION: Final = re.compile(
    r"\s*(\d{1,2})\s+(day|days|week|weeks|month|months|year|years)\s*", re.ASCII
)
_POWER_TEXT: Final = re.compile(r"\s*([\d.,]+)\s*(\w*)\s*", re.ASCII)
# Enedis network tariffs (FTA) with one time-of-use class: no off-peak hours.
_SINGLE_CLASS_FTA: Final = re.compile(r"(ST|LU)$")


# -- small readers --------------------------------------------------------------


def _text(value: Any) -> str | None:
    """Return a stripped string, or None for null / blank / non-scalars."""
    if value is None or isinstance(value, dict | list | bool):
        return None
    text = str(value).strip()
    return text or None


def _label(value: Any) -> str | None:
    """Read an Enedis labelled value: a string, ``{libelle}`` or ``{code}``."""
    if isinstance(value, dict):
        return _text(value.get("libelle")) or _text(value.get("code"))
    return _text(value)


def _code(value: Any) -> str | None:
    """Read an Enedis coded value: ``{attributes: {code}}``, ``{code}`` or a string."""
    if isinstance(value, dict):
        attributes = value.get("attributes")
        if isinstance(attributes, dict) and (code := _text(attributes.get("code"))):
            return code
        return _text(value.get("code"))
    return _text(value)


def _as_list(value: Any) -> list[Any]:
    """Read an XML-born repeated element: a list, one object, or nothing."""
    if isinstance(value, list):
        return value
    if value is None:
        return []
    return [value]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_datetime(
    value: Any, *, naive_zone: ZoneInfo | None = None
) -> datetime | None:
    """Read an ISO-8601 instant as aware UTC (None when blank or unreadable).

    A value without offset is read in ``naive_zone`` (UTC by default: every
    Switchgrid timestamp is UTC). A bare date is its midnight in that zone.
    An instant outside 2000-2099 (``9999-12-31T23:00-05:00``, year 1 with an
    offset) is None like any unreadable one.
    """
    text = _text(value)
    if text is None:
        return None
    local_zone: Any = naive_zone or UTC
    # `2024-12-10T00:00:00[Europe/Paris]`: the bracketed zone of a local time.
    if (bracket := text.find("[")) > 0 and text.endswith("]"):
        local_zone = zone(text[bracket + 1 : -1])
        if local_zone is None:
            return None
        text = text[:bracket]
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=local_zone)
    return plausible_instant(parsed)


def _paris_day(value: Any) -> date | None:
    """Return the Paris calendar day of a date or of an instant."""
    text = _text(value)
    if text is None:
        return None
    if len(text) == 10:
        try:
            return plausible_day(date.fromisoformat(text))
        except ValueError:
            return None
    instant = parse_datetime(text, naive_zone=PARIS)
    return None if instant is None else instant.astimezone(PARIS).date()


def _enum[E: (AskStatus, RequestStatus, OrderStatus)](cls: type[E], value: Any) -> E:
    text = (_text(value) or "").upper()
    try:
        return cls(text)
    except ValueError:
        return cls("UNKNOWN")


def _require_dict(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidResponse(f"{what}: expected a JSON object")
    return body


def _require_id(body: Mapping[str, Any], what: str) -> str:
    if (value := _text(body.get("id"))) is None:
        raise InvalidResponse(f"{what} without an id")
    return value


def consent_expiry(accepted_at: datetime | None, duration: Any) -> datetime | None:
    """Return ``accepted_at`` + a ``consentDuration`` such as ``3 years``.

    Closed-form: a month end is clamped in one step (31 March + 1 month →
    30 April); None when the result would leave 2000-2099 (or datetime's
    range: an Ask accepted near the year 9999 looped forever here once).
    """
    text = _text(duration)
    start = plausible_instant(accepted_at)
    if start is None or text is None:
        return None
    match = _CONTRACT_DURATION.fullmatch(text.lower())
    if match is None:
        return None
    count, unit = int(match.group(1)), match.group(2).rstrip("s")
    if unit in {"day", "week"}:
        expiry = start + timedelta(days=count * (7 if unit == "week" else 1))
        return plausible_instant(expiry)
    months = count * (12 if unit == "year" else 1)
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, monthrange(year, month)[1])
    return plausible_instant(start.replace(year=year, month=month, day=day))


# -- Switchgrid objects -------------------------------------------------------------


def parse_contract_matches(body: Any) -> list[ContractMatch]:
    """Parse ``GET /search_contract`` → ``{results: [...]}``."""
    results = _require_dict(body, "search_contract").get("results")
    if not isinstance(results, list):
        raise InvalidResponse("search_contract: no results list")
    matches: list[ContractMatch] = []
    for row in results:
        if not isinstance(row, dict):
            continue
        contract_id, prm = _text(row.get("id")), _text(row.get("prm"))
        if contract_id is None or prm is None:
            continue
        address = _dict(row.get("adresseInstallationNormalisee"))
        lines = tuple(
            line
            for index in range(1, 8)
            if (line := _text(address.get(f"ligne{index}"))) is not None
        )
        matches.append(
            ContractMatch(
                id=contract_id,
                prm=normalize_prm(prm),
                holder=_text(row.get("nomClientFinalOuDenominationSociale")) or "",
                category=_text(row.get("categorieClientFinalCode")),
                address=lines,
            )
        )
    return matches


def parse_ask(body: Any) -> Ask:
    """Parse an Ask (``POST /ask``, ``GET /ask/{id}``, items of ``GET /ask``)."""
    ask = _require_dict(body, "ask")
    ask_id = _require_id(ask, "ask")
    details = _dict(ask.get("consentCollectionDetails"))
    consent_ids = {
        normalize_prm(str(prm)): consent
        for prm, value in _dict(ask.get("consentIds")).items()
        if (consent := _text(value)) is not None
    }
    address_checks: dict[str, str] = {}
    for prm, value in _dict(ask.get("addressCheckResults")).items():
        status = _text(value.get("status")) if isinstance(value, dict) else _text(value)
        if status is not None:
            address_checks[normalize_prm(str(prm))] = status.upper()
    create_args = _dict(ask.get("createArgs"))
    sources = [
        *_as_list(ask.get("contracts")),
        *_as_list(create_args.get("electricityContracts")),
    ]
    prms = [
        normalize_prm(listed)
        for source in sources
        if isinstance(source, dict) and (listed := _text(source.get("prm")))
    ]
    prms.extend([*consent_ids, *address_checks])
    accepted_at = parse_datetime(ask.get("acceptedAt"))
    status = _enum(AskStatus, ask.get("status"))
    expires_at = parse_datetime(ask.get("expiresAt") or ask.get("consentExpiresAt"))
    if expires_at is None and status is AskStatus.ACCEPTED:
        expires_at = consent_expiry(accepted_at, create_args.get("consentDuration"))
    return Ask(
        id=ask_id,
        status=status,
        created_at=parse_datetime(ask.get("createdAt")),
        # The seed example shows acceptedAt on an unsigned Ask: trust the status.
        accepted_at=accepted_at if status is AskStatus.ACCEPTED else None,
        user_url=_text(details.get("userUrl")),
        consent_ids=consent_ids,
        address_checks=address_checks,
        prms=tuple(dict.fromkeys(prms)),
        expires_at=expires_at,
        revoked_at=parse_datetime(ask.get("revokedAt")),
    )


def parse_ask_page(body: Any) -> tuple[list[Ask], int | None]:
    """Parse one ``GET /ask`` page: the Asks and ``totalItemsCount`` (if any)."""
    if isinstance(body, list):
        return [parse_ask(item) for item in body], len(body)
    page = _require_dict(body, "ask list")
    items = page.get("items")
    if not isinstance(items, list):
        raise InvalidResponse("ask list: no items list")
    raw_total = page.get("totalItemsCount")
    total = whole_number(raw_total, _MAX_ASKS)
    if total is None and raw_total is not None:
        raise InvalidResponse("ask list: totalItemsCount is not a count")
    return [parse_ask(item) for item in items], total


def _parse_request_state(row: Any) -> OrderRequestState:
    request = _require_dict(row, "order request")
    curve = request.get("loadCurve")
    message = _text(request.get("errorMessage"))
    return OrderRequestState(
        id=_text(request.get("id")),
        type=(_text(request.get("type")) or "").upper(),
        direction=_text(request.get("direction")),
        status=_enum(RequestStatus, request.get("status")),
        ordered_at=parse_datetime(request.get("orderedAt")),
        completed_at=parse_datetime(request.get("completedAt")),
        data_url=_text(request.get("dataUrl")),
        error_message=None if message is None else redact(message, 400),
        load_curve=parse_load_curve(curve) if isinstance(curve, dict) else None,
        prms=tuple(
            normalize_prm(prm)
            for value in _as_list(request.get("prms"))
            if (prm := _text(value)) is not None
        ),
    )


def parse_order(body: Any) -> Order:
    """Parse an Order (``POST /order``, ``GET /order/{id}``); may be megabytes."""
    order = _require_dict(body, "order")
    requests = order.get("requests")
    if not isinstance(requests, list):
        raise InvalidResponse("order without a requests list")
    return Order(
        id=_require_id(order, "order"),
        status=_enum(OrderStatus, order.get("status")),
        requests=tuple(_parse_request_state(row) for row in requests),
    )


# -- C68 ----------------------------------------------------------------------------


def _clock_time(hour: str, minute: str, *, is_end: bool) -> time | None:
    hours, minutes = int(hour), int(minute or 0)
    if hours == 24 and minutes == 0 and is_end:
        return time(0, 0)  # 24H00 ends a range at midnight
    if hours > 23 or minutes > 59:
        return None
    return time(hours, minutes)


def parse_off_peak_text(text: str | None) -> tuple[TimeRange, ...]:
    """Parse Enedis off-peak windows: ``HC (22H30-6H30)``, ``HC (1H30-7H30;12H30-14H30)``.

    Minute offsets (``1H28-6H58``), lowercase, ``:`` separators and en dashes
    are accepted; a window may cross midnight (start > end). A window whose
    start equals its end (``HC (0H00-24H00)``) is the whole day, as in the
    options' parser (`tariffs.parse_off_peak_hours`); ``24H00`` only ends a
    window. Unreadable pieces are left out.
    """
    if not text:
        return ()
    ranges: list[TimeRange] = []
    for match in _OFF_PEAK_RANGE.finditer(text):
        start = _clock_time(match.group(1), match.group(2), is_end=False)
        end = _clock_time(match.group(3), match.group(4), is_end=True)
        if start is not None and end is not None:
            ranges.append(TimeRange(start=start, end=end))
    return tuple(ranges)


def _c68_points(raw: Any) -> Iterator[dict[str, Any]]:
    """Yield each PRM object of a C68 answer, unwrapped."""
    for item in _as_list(raw):
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("point"), dict):
            yield {**item["point"], **{k: v for k, v in item.items() if k != "point"}}
        else:
            yield item


def _point_prm(point: Mapping[str, Any]) -> str | None:
    for key in ("idPrm", "id", "prm", "pointId"):
        if prm := _text(point.get(key)):
            return normalize_prm(prm)
    attributes = _dict(point.get("attributes"))
    prm = _text(attributes.get("id"))
    return None if prm is None else normalize_prm(prm)


def _current_situation(point: Mapping[str, Any]) -> dict[str, Any]:
    """Return the contractual situation in force (the plural variant lists several)."""
    situations = [
        s
        for s in [
            *_as_list(point.get("situationContractuelle")),
            *_as_list(point.get("situationsContractuelles")),
        ]
        if isinstance(s, dict)
    ]
    if not situations:
        return {}

    def rank(situation: Mapping[str, Any]) -> tuple[bool, str]:
        open_ended = _text(situation.get("dateFin")) is None
        return open_ended, _text(situation.get("dateDebut")) or ""

    return max(situations, key=rank)


def _kva(value: Any) -> float | None:
    """Read a power `{valeur, unite}` (or a number, or "9 kVA") in kVA."""
    unit = "kVA"
    if isinstance(value, dict):
        unit = _label(value.get("unite")) or unit
        value = value.get("valeur")
    elif isinstance(value, str) and (match := _POWER_TEXT.fullmatch(value)):
        value, unit = match.group(1), match.group(2) or unit
    number = non_negative(value)
    if number is None:
        return None
    return number / 1000 if unit.upper() in {"VA", "W"} else number


def _off_peak_source(point: Mapping[str, Any], key_future: bool = False) -> str | None:
    comptage = _dict(point.get("situationComptage"))
    if key_future:
        return _label(comptage.get("futuresPlagesHeuresCreuses"))
    dispositif = _dict(comptage.get("dispositifComptage"))
    for holder in (dispositif, comptage):
        if text := _label(_dict(holder.get("relais")).get("plageHeuresCreuses")):
            return text
        compteurs = _dict(holder.get("compteurs"))
        for compteur in _as_list(compteurs.get("compteur") or holder.get("compteur")):
            if isinstance(compteur, dict) and (
                text := _label(compteur.get("plagesHeuresCreuses"))
            ):
                return text
    return None


def _parse_day(value: Any) -> date | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return plausible_day(date.fromisoformat(text[:10]))
    except ValueError:
        return None


def parse_contract(c68_raw: Any, prm: str) -> SwitchgridContract:
    """Parse a C68 answer into the contract of ``prm``.

    ``contracted_power_kw`` is the subscribed power **in kVA** (one value).
    ``tariff_code`` is the FTA code (``BTINFCU4``), ``tariff_name`` its label.
    ``off_peak_hours`` is empty when the contract has a single time class
    (base: FTA ``…ST``/``…LU`` and no HP/HC supplier calendar, or a "Base"
    supplier calendar), even if the meter's relay keeps a programme.
    """
    wanted = normalize_prm(prm)
    points = list(_c68_points(c68_raw))
    point = next((p for p in points if _point_prm(p) == wanted), None)
    if point is None and len(points) == 1 and _point_prm(points[0]) is None:
        point = points[0]
    if point is None:
        raise InvalidResponse("C68 answer without the requested PRM")

    situation = _current_situation(point)
    structure = _dict(situation.get("structureTarifaire"))
    fta = structure.get("formuleTarifaireAcheminement")
    tariff_code = _code(fta)
    tariff_name = _text(fta.get("libelle")) if isinstance(fta, dict) else None
    power = _kva(structure.get("puissanceSouscriteMax"))
    if power is None:
        power = _kva(structure.get("puissanceSouscrite"))
    calendar = _label(structure.get("calendrierFrn"))
    general = _dict(point.get("donneesGenerales"))
    comptage = _dict(point.get("situationComptage"))
    dispositif = _dict(comptage.get("dispositifComptage"))

    off_peak_text = _off_peak_source(point)
    future_text = _off_peak_source(point, key_future=True)
    calendar_text = (calendar or "").lower()
    single_class = "base" in calendar_text or (
        tariff_code is not None
        and _SINGLE_CLASS_FTA.search(tariff_code.upper()) is not None
        and "creuse" not in calendar_text
    )
    off_peak = () if single_class else parse_off_peak_text(off_peak_text)
    option: str | None = None
    if "tempo" in calendar_text:
        option = "TEMPO"
    elif off_peak or "creuse" in calendar_text:
        option = "HPHC"
    elif single_class:
        option = "BASE"
    return SwitchgridContract(
        meter_id=wanted,
        contracted_power_kw=() if power is None else (power,),
        tariff_code=tariff_code,
        tariff_name=tariff_name,
        distributor="Enedis",
        start=_parse_day(situation.get("dateDebut")),
        end=_parse_day(situation.get("dateFin")),
        off_peak_hours=off_peak,
        subscribed_power_kva=power,
        off_peak_text=off_peak_text,
        future_off_peak_text=future_text,
        future_off_peak_hours=parse_off_peak_text(future_text),
        supplier_calendar=calendar,
        tariff_option=option,
        meter_type=_code(dispositif.get("typeComptage"))
        or _code(comptage.get("typeComptage")),
        segment=_code(general.get("segment")),
        contract_state=_code(general.get("etatContractuel")),
    )


# -- R6x (M023) ---------------------------------------------------------------------


def _r6x_blocks(raw: Any) -> Iterator[dict[str, Any]]:
    """Yield the per-PRM blocks: ``mesures[]``, a bare block, or a list of either."""
    for item in _as_list(raw):
        if not isinstance(item, dict):
            continue
        if "mesures" in item:
            yield from (b for b in _as_list(item["mesures"]) if isinstance(b, dict))
        else:
            yield item


def _grandeurs(block: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield every ``grandeur`` of a block, also under ``contexte[]``."""
    for holder in [block, *_as_list(block.get("contexte"))]:
        if isinstance(holder, dict):
            yield from (
                g for g in _as_list(holder.get("grandeur")) if isinstance(g, dict)
            )


def _points(grandeur: Mapping[str, Any]) -> Iterator[tuple[Any, float | None]]:
    """Yield (stamp, value) of each point.

    The value is None when it is not a finite, non-negative number (energies,
    indexes and powers all are).
    """
    for point in _as_list(grandeur.get("points") or grandeur.get("mesure")):
        if isinstance(point, dict):
            yield (
                point.get("d", point.get("date")),
                non_negative(point.get("v", point.get("valeur"))),
            )
        else:
            yield None, None


def _log_skipped(what: str, skipped: int) -> None:
    if skipped:
        _LOGGER.debug("Switchgrid %s: %d unusable points skipped", what, skipped)


def _energy_factor(unit: str | None) -> float:
    """Factor from an Enedis energy unit to kWh (Wh unless told otherwise)."""
    return 1.0 if (unit or "Wh").lower() == "kwh" else 0.001


def _physical(grandeur: Mapping[str, Any]) -> str:
    return (_code(grandeur.get("grandeurPhysique")) or "").upper()


def parse_daily_max_power(r66_raw: Any) -> list[PowerPeak]:
    """Parse R66 daily maximum powers into UTC peaks, in kW.

    Enedis gives apparent power in VA (``PMA``): the value is divided by 1000
    and stored as kW (kVA ≈ kW for a household). ``d`` is the instant of the
    maximum; without an offset it is Paris local time. Per-phase ``PMA1..3``
    are left out (the total ``PMA`` is the one compared with the contract).
    """
    peaks: dict[datetime, PowerPeak] = {}
    skipped = 0
    for block in _r6x_blocks(r66_raw):
        for grandeur in _grandeurs(block):
            if _physical(grandeur) not in {"", "PMA"}:
                continue
            unit = (_label(grandeur.get("unite")) or "VA").upper()
            divisor = 1.0 if unit in {"KVA", "KW"} else 1000.0
            for stamp, value in _points(grandeur):
                at = parse_datetime(stamp, naive_zone=PARIS)
                if at is None or value is None:
                    skipped += 1
                    continue
                peaks[at] = PowerPeak(at=at, kw=value / divisor)
    _log_skipped("R66", skipped)
    return [peaks[at] for at in sorted(peaks)]


def parse_daily_energy(r65_raw: Any) -> dict[date, float]:
    """Parse R65 daily energies (Wh) into kWh per Paris day.

    A day given as an instant is placed on its Paris calendar day. A later
    value for the same day replaces an earlier one.
    """
    days: dict[date, float] = {}
    skipped = 0
    for block in _r6x_blocks(r65_raw):
        for grandeur in _grandeurs(block):
            if _physical(grandeur) not in {"", "EA"}:
                continue
            factor = _energy_factor(_label(grandeur.get("unite")))
            for stamp, value in _points(grandeur):
                day = _paris_day(stamp)
                if day is None or value is None:
                    skipped += 1
                    continue
                days[day] = value * factor
    _log_skipped("R65", skipped)
    return dict(sorted(days.items()))


def parse_daily_indexes(r64_raw: Any) -> dict[date, dict[str, float]]:
    """Parse R64 daily indexes into kWh per Paris day and time class.

    Keys are ``idClasseTemporelle`` (``HP``, ``HC``, ``HPH``, ...) plus
    ``TOTAL`` for the totalising register (``cadranTotalisateur``). When
    several calendars name the same class, the first one wins.
    """
    days: dict[date, dict[str, float]] = {}
    skipped = 0

    def put(stamp: Any, value: float | None, key: str, factor: float) -> None:
        nonlocal skipped
        day = _paris_day(stamp)
        if day is None or value is None:
            skipped += 1
            return
        days.setdefault(day, {}).setdefault(key, value * factor)

    for block in _r6x_blocks(r64_raw):
        for grandeur in _grandeurs(block):
            if _physical(grandeur) not in {"", "EA"}:
                continue
            factor = _energy_factor(_label(grandeur.get("unite")))
            for calendar in _as_list(grandeur.get("calendrier")):
                for klass in _as_list(_dict(calendar).get("classeTemporelle")):
                    key = _text(_dict(klass).get("idClasseTemporelle"))
                    if key is None:
                        continue
                    for stamp, value in _points({"points": _dict(klass).get("valeur")}):
                        put(stamp, value, key.upper(), factor)
            totaliser = _dict(grandeur.get("cadranTotalisateur"))
            for stamp, value in _points({"points": totaliser.get("valeur")}):
                put(stamp, value, "TOTAL", factor)
    _log_skipped("R64", skipped)
    return dict(sorted(days.items()))
