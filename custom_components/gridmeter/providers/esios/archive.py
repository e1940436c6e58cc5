"""The public PVPC day file (ESIOS archive 70, no token needed).

``GET /archives/70/download_json?locale=es&date=YYYY-MM-DD`` answers one day
as JSON ``{"PVPC": [{"Dia": "DD/MM/YYYY", "Hora": "HH-HH", "PCB": "133,45",
"CYM": "133,45", ...}, ...]}`` (every number a string with a decimal comma,
€/MWh; 23, 24 or 25 rows). With ``start_date``/``end_date`` it answers a ZIP
holding one such file per day; since July 2026 even the one-day answer may
come zipped (served as ``text/html``). Both shapes are read here.

Each file is checked (one ``Dia``, ordered distinct ``Hora`` labels, prices
written as ESIOS writes them) and then handed to ``esios_api``'s own parser,
the one Home Assistant core uses, which places row *i* at local midnight + *i*
hours of the zone. Whatever that parser raises makes the day rejected.
"""

from __future__ import annotations

from datetime import date, datetime
import io
import json
import re
from typing import Any, Final, cast
import zipfile

from esios_api.parser import (  # type: ignore[import-untyped]
    extract_prices_from_esios_public,
)

from ..errors import InvalidResponse
from .prices import DayCollector, DayRejected
from .systems import PvpcZone

PROVIDER: Final = "ESIOS"
ZIP_MAGIC: Final = b"PK\x03\x04"
MAX_DAY_FILE_BYTES: Final = 128 * 1024
"""A day file is about 15 KB; anything far bigger is not one."""
MAX_ROWS: Final = 25
_DAY: Final = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")
_HOUR_LABEL: Final = re.compile(r"([0-9]{2})-([0-9]{2})")
_PRICE: Final = re.compile(r"-?[0-9]{1,6}(,[0-9]{1,6})?")
_PARSER_ERRORS: Final = (
    KeyError,
    IndexError,
    TypeError,
    ValueError,
    AttributeError,
    ArithmeticError,
)


def _members(body: bytes, max_members: int) -> list[bytes]:
    """Return the day files of an answer: the body itself, or a ZIP's members."""
    if not body.startswith(ZIP_MAGIC):
        return [body]
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            if len(infos) > max_members:
                raise InvalidResponse(f"{PROVIDER} sent {len(infos)} files")
            files = []
            for info in infos:
                with archive.open(info) as member:
                    files.append(member.read(MAX_DAY_FILE_BYTES + 1))
            return files
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as err:
        raise InvalidResponse(f"{PROVIDER} sent a broken ZIP") from err
    except (NotImplementedError, RuntimeError) as err:  # encrypted, unknown method
        raise InvalidResponse(f"{PROVIDER} sent an unreadable ZIP") from err


def _day_of(rows: list[Any]) -> date:
    """Return the one `Dia` of a day file's rows (DayRejected otherwise)."""
    labels = {
        label if isinstance(label := row.get("Dia"), str) else None for row in rows
    }
    text = labels.pop() if len(labels) == 1 else None
    match = _DAY.fullmatch(text) if text is not None else None
    if match is None:
        raise DayRejected("rows do not share one valid Dia")
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError as err:
        raise DayRejected("Dia is not a date") from err


def _check_rows(rows: list[Any], tariff: str) -> None:
    """Ordered, distinct ``HH-(HH+1)`` labels and ESIOS-written prices."""
    previous = -1
    for row in rows:
        label = row.get("Hora")
        match = _HOUR_LABEL.fullmatch(label) if isinstance(label, str) else None
        if match is None:
            raise DayRejected("a row has no valid Hora")
        start, end = int(match[1]), int(match[2])
        if start <= previous or end != start + 1:
            raise DayRejected("Hora labels are not ordered hours")
        previous = start
        price = row.get(tariff)
        if not isinstance(price, str) or _PRICE.fullmatch(price) is None:
            raise DayRejected("a price is not written as ESIOS writes it")


def parse_day_file(data: Any, zone: PvpcZone) -> tuple[date, dict[datetime, float]]:
    """Read one day file: its day and UTC hour start -> €/kWh.

    DayRejected when the file is not a day of prices; an empty ``PVPC`` list
    (a day not published) is rejected too, and callers tell it apart first.
    """
    rows = data.get("PVPC") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not 1 <= len(rows) <= MAX_ROWS:
        raise DayRejected("no PVPC rows")
    if not all(isinstance(row, dict) for row in rows):
        raise DayRejected("a PVPC row is not an object")
    day = _day_of(rows)
    _check_rows(rows, zone.tariff)
    try:
        answer = extract_prices_from_esios_public(
            {"PVPC": rows}, zone.tariff, zone.time_zone
        )
        prices = cast(dict[datetime, float], answer.series["PVPC"])
    except _PARSER_ERRORS as err:
        raise DayRejected(f"esios_api could not read the file: {err!r}") from err
    return day, dict(prices)


def _decode(raw: bytes) -> list[Any] | None:
    """Return the ``PVPC`` rows of a day file, or None when it is not one."""
    if len(raw) > MAX_DAY_FILE_BYTES:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    rows = data.get("PVPC") if isinstance(data, dict) else None
    return rows if isinstance(rows, list) else None


def read_archive(body: bytes, collector: DayCollector, *, max_files: int) -> None:
    """Add every day of an archive answer (JSON or ZIP) to `collector`.

    A lone body that is not a day file is InvalidResponse; inside a ZIP a bad
    file only rejects its day. An empty ``PVPC`` list is a day not published
    yet: nothing is added and nothing is rejected.
    """
    zipped = body.startswith(ZIP_MAGIC)
    for raw in _members(body, max_files):
        rows = _decode(raw)
        if rows is None:
            if not zipped:
                raise InvalidResponse(f"{PROVIDER} sent something else than a day file")
            collector.rejected += 1
            continue
        if not rows:
            continue
        try:
            day, prices = parse_day_file({"PVPC": rows}, collector.zone)
        except DayRejected:
            collector.rejected += 1
            continue
        collector.add(day, prices)
