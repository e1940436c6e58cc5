"""Value readers shared by the providers' parsers."""

from __future__ import annotations

from typing import Any


def lenient_number(value: Any) -> float | None:
    """Read a number sent as a number or a string (``"1,5"`` too).

    None for null, a boolean, blank text or garbage.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip().replace(",", "."))
    except ValueError:
        return None
