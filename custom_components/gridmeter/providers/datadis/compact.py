r"""The rows of a Datadis answer as the query ledger keeps them.

The ledger serves an identical query again within 24 hours, so it keeps what
the parsers need to read an answer again, and nothing else: the fields the
parsers read (no CUPS or address repeated on every row), and consumption
rows packed day by day as text (a 24-month answer is ~17,500 rows: as JSON
objects it would make every write of the account store slow). Replaying is
parsing the rows again, so a replayed answer is read exactly like a fresh one.

Forms of the consumption rows under ``timeCurve``:

* today's: ``{"days": [[date, rows], ...], "other": n}``; ``rows`` has one
  line per row, ``time \t consumption \t E (estimated) or "" \t surplus \t
  generation \t self-consumption`` (trailing blanks cut); ``other`` counts
  rows that were not objects (they are skipped again on replay);
* GridMeter 0.1's: one text, a line per row, the seven fields of
  `_FIRST_FIELDS` separated by tabs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

CONSUMPTION_KEY: Final = "timeCurve"

_FIRST_FIELDS: Final = (
    "date",
    "time",
    "consumptionKWh",
    "obtainMethod",
    "surplusEnergyKWh",
    "generationEnergyKWh",
    "selfConsumptionEnergyKWh",
)
_DAY_FIELDS: Final = (
    "time",
    "consumptionKWh",
    "obtainMethod",
    "surplusEnergyKWh",
    "generationEnergyKWh",
    "selfConsumptionEnergyKWh",
)
_ESTIMATED: Final = frozenset({"estimada", "estimated"})
_SEPARATORS: Final = str.maketrans("\t\n\r", "   ")
_MAX_OTHER: Final = 100_000

# The fields the parsers read of the other answers' rows.
KEPT_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "supplies": (
        "cups",
        "distributorCode",
        "provinceCode",
        "postalCode",
        "address",
        "municipality",
        "province",
        "distributor",
        "pointType",
        "validDateFrom",
        "validDateTo",
    ),
    "contract": (
        "contractedPowerkW",
        "startDate",
        "endDate",
        "installedCapacityKW",
        "installedCapacity",
        "selfConsumptionTypeCode",
        "codeFare",
        "accessFare",
        "accesFare",
        "distributor",
        "marketer",
        "modePowerControl",
    ),
    "maxPower": ("date", "time", "maxPower", "period"),
}
ERROR_FIELDS: Final = (
    "distributorCode",
    "distributorName",
    "errorCode",
    "errorDescription",
)


def kept(row: Any, fields: tuple[str, ...]) -> Any:
    """Keep the fields a parser reads of one row (other values as they are)."""
    if not isinstance(row, dict):
        return row
    return {field: row[field] for field in fields if field in row}


def compact_rows(rows_key: str, rows: list[Any]) -> Any:
    """Return the ledger's form of an answer's rows."""
    if rows_key == CONSUMPTION_KEY:
        return pack_consumption(rows)
    return [kept(row, KEPT_FIELDS[rows_key]) for row in rows]


def rows_of(rows_key: str, stored: Any) -> list[Any] | None:
    """Return the rows of a stored answer, None when unusable (either form)."""
    if rows_key == CONSUMPTION_KEY:
        return unpack_consumption(stored)
    return stored if isinstance(stored, list) else None


def _text(value: Any) -> str:
    """Return a field as packed text ("" for what the parsers read as absent)."""
    kind = type(value)
    if kind is float or kind is int:  # most values: no separator possible
        return str(value)
    if kind is str:
        return value.translate(_SEPARATORS)  # type: ignore[no-any-return]
    if value is None or isinstance(value, bool | dict | list):
        return ""
    return str(value).translate(_SEPARATORS)


def pack_consumption(rows: list[Any]) -> dict[str, Any]:
    """Pack consumption rows day by day (the rows of a day keep their order)."""
    days: dict[str, list[str]] = {}
    other = 0
    for row in rows:
        if not isinstance(row, dict):
            other += 1
            continue
        get = row.get
        method = get("obtainMethod")
        estimated = isinstance(method, str) and method.strip().lower() in _ESTIMATED
        line = "\t".join(
            (
                _text(get("time")),
                _text(get("consumptionKWh")),
                "E" if estimated else "",
                _text(get("surplusEnergyKWh")),
                _text(get("generationEnergyKWh")),
                _text(get("selfConsumptionEnergyKWh")),
            )
        ).rstrip("\t")
        day = _text(get("date"))
        if (lines := days.get(day)) is None:
            days[day] = [line]
        else:
            lines.append(line)
    return {
        "days": [[day, "\n".join(lines)] for day, lines in days.items()],
        "other": other,
    }


def unpack_consumption(packed: Any) -> list[Any] | None:
    """Rebuild consumption rows from either packed form (None if neither)."""
    if isinstance(packed, str):  # GridMeter 0.1
        return [_row(_FIRST_FIELDS, line) for line in packed.split("\n") if line]
    if not isinstance(packed, dict) or not isinstance(packed.get("days"), list):
        return None
    rows: list[Any] = []
    for item in packed["days"]:
        if not (isinstance(item, list) and len(item) == 2):
            return None
        day, lines = item
        if not isinstance(day, str) or not isinstance(lines, str):
            return None
        for line in lines.split("\n"):
            row = _row(_DAY_FIELDS, line)
            row["date"] = day or None
            if row.get("obtainMethod") == "E":
                row["obtainMethod"] = "Estimada"
            rows.append(row)
    other = packed.get("other")
    if isinstance(other, int) and 0 < other <= _MAX_OTHER:
        rows.extend([None] * other)
    return rows


def _row(fields: tuple[str, ...], line: str) -> dict[str, Any]:
    """Rebuild one row (numbers come back as text: they are parsed later)."""
    return {
        field: value or None
        for field, value in zip(fields, line.split("\t"), strict=False)
    }
