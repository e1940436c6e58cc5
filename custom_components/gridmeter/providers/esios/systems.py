"""Spain's electric systems and PVPC zones, and which one a supply is in.

Red Eléctrica runs five separate electric systems: the peninsula and the
non-peninsular ones (Canary Islands, Balearic Islands, Ceuta, Melilla). A
supply's system follows from its province: Spanish postal codes start with
the two digits of the province code (01-52), which Datadis also gives as
``provinceCode``.

The PVPC has two zones: ``PCB`` (peninsula, Canary and Balearic Islands) and
``CYM`` (Ceuta and Melilla). Its prices apply by local civil hour: a Canary
supply pays the price of hour 10-11 from 10:00 Canary time, one hour after
the peninsula (aiopvpc v2.1.1 changelog, kept by ``esios_api``'s parsers,
which shift prices into the supply's time zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal
from zoneinfo import ZoneInfo

MADRID: Final = ZoneInfo("Europe/Madrid")
CANARY: Final = ZoneInfo("Atlantic/Canary")
CEUTA: Final = ZoneInfo("Africa/Ceuta")
"""Ceuta and Melilla keep the peninsula's offsets and DST rules."""


class ElectricSystem(StrEnum):
    """One of Red Eléctrica's electric systems."""

    PENINSULAR = "peninsular"
    CANARIAS = "canarias"
    BALEARES = "baleares"
    CEUTA = "ceuta"
    MELILLA = "melilla"


_BY_PROVINCE: Final[dict[str, ElectricSystem]] = {
    "35": ElectricSystem.CANARIAS,  # Las Palmas
    "38": ElectricSystem.CANARIAS,  # Santa Cruz de Tenerife
    "07": ElectricSystem.BALEARES,  # Illes Balears
    "51": ElectricSystem.CEUTA,
    "52": ElectricSystem.MELILLA,
}
_LAST_PROVINCE: Final = 52

SYSTEM_TIME_ZONES: Final[dict[ElectricSystem, ZoneInfo]] = {
    ElectricSystem.PENINSULAR: MADRID,
    ElectricSystem.CANARIAS: CANARY,
    ElectricSystem.BALEARES: MADRID,
    ElectricSystem.CEUTA: CEUTA,
    ElectricSystem.MELILLA: CEUTA,
}
"""Local civil time of each system (REE's timestamps are in it)."""


def _in_range(digits: str) -> str | None:
    """Return a two-digit province code 01-52, or None."""
    if not (digits.isascii() and digits.isdigit()):
        return None
    return digits if 1 <= int(digits) <= _LAST_PROVINCE else None


def electric_system_for(
    province_code: str | None, postal_code: str | None
) -> ElectricSystem:
    """Return the electric system of a supply from its province or postal code.

    The province code (one or two digits) wins: it is the hub's own field.
    The first two digits of a five-digit postal code are the fallback. Raise
    ValueError when neither names a Spanish province.
    """
    province = (province_code or "").strip()
    code = _in_range(province.zfill(2)) if 1 <= len(province) <= 2 else None
    if code is None:
        postal = (postal_code or "").strip()
        if len(postal) == 5 and postal.isascii() and postal.isdigit():
            code = _in_range(postal[:2])
    if code is None:
        raise ValueError("no Spanish province code in the province or postal code")
    return _BY_PROVINCE.get(code, ElectricSystem.PENINSULAR)


type PvpcTariff = Literal["PCB", "CYM"]


@dataclass(frozen=True, slots=True)
class PvpcZone:
    """Where a PVPC supply is: the day file's column and the local hours."""

    tariff: PvpcTariff
    time_zone: ZoneInfo

    @property
    def key(self) -> str:
        """Stable name of the zone (storage keys, logs)."""
        return f"{self.tariff}:{self.time_zone.key}"


PVPC_PENINSULA: Final = PvpcZone("PCB", MADRID)
"""Peninsula and Balearic Islands."""
PVPC_CANARIAS: Final = PvpcZone("PCB", CANARY)
PVPC_CEUTA_MELILLA: Final = PvpcZone("CYM", MADRID)


def pvpc_zone_for(system: ElectricSystem) -> PvpcZone:
    """Return the PVPC zone of a supply in `system`."""
    if system is ElectricSystem.CANARIAS:
        return PVPC_CANARIAS
    if system in (ElectricSystem.CEUTA, ElectricSystem.MELILLA):
        return PVPC_CEUTA_MELILLA
    return PVPC_PENINSULA
