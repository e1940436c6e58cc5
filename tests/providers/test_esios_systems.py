"""Spain's electric systems, PVPC zones and the publication schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given, strategies as st
import pytest

from custom_components.gridmeter.providers.esios import (
    PVPC_CANARIAS,
    PVPC_CEUTA_MELILLA,
    PVPC_PENINSULA,
    ElectricSystem,
    electric_system_for,
    last_expected_day,
    pvpc_expected_at,
    pvpc_zone_for,
    tomorrow_prices_expected_at,
)

ISLANDS = {
    "35": ElectricSystem.CANARIAS,
    "38": ElectricSystem.CANARIAS,
    "07": ElectricSystem.BALEARES,
    "51": ElectricSystem.CEUTA,
    "52": ElectricSystem.MELILLA,
}


@pytest.mark.parametrize("province", [f"{n:02d}" for n in range(1, 53)])
def test_every_province_prefix(province: str) -> None:
    """Each of the 52 province codes, given as code or as postal prefix."""
    expected = ISLANDS.get(province, ElectricSystem.PENINSULAR)
    assert electric_system_for(province, None) is expected
    assert electric_system_for(None, f"{province}123") is expected
    assert electric_system_for(str(int(province)), "") is expected


def test_province_code_wins_over_postal_code() -> None:
    """The hub's province code is trusted before the postal code."""
    assert electric_system_for("38", "28001") is ElectricSystem.CANARIAS
    assert electric_system_for("28", "35001") is ElectricSystem.PENINSULAR


@pytest.mark.parametrize(
    ("province", "postal"),
    [
        (None, None),
        ("", ""),
        ("00", "00123"),
        ("53", "53001"),
        ("99", "9900"),
        ("3a", "3a001"),
        ("١٢", "١٢٣٤٥"),
        ("123", "123456"),
    ],
)
def test_no_province_is_an_error(province: str | None, postal: str | None) -> None:
    """Nothing that names a Spanish province: ValueError, never a guess."""
    with pytest.raises(ValueError, match="province"):
        electric_system_for(province, postal)


def test_bad_province_code_falls_back_to_postal_code() -> None:
    """An unusable province code lets the postal code decide."""
    assert electric_system_for("xx", "07001") is ElectricSystem.BALEARES


@given(
    st.one_of(st.none(), st.text(max_size=8)), st.one_of(st.none(), st.text(max_size=8))
)
def test_electric_system_for_any_text(province: str | None, postal: str | None) -> None:
    """Any input gives a system or ValueError, nothing else."""
    try:
        system = electric_system_for(province, postal)
    except ValueError:
        return
    assert isinstance(system, ElectricSystem)


def test_pvpc_zones() -> None:
    """Canary supplies pay PCB in Canary hours, Ceuta and Melilla CYM."""
    assert pvpc_zone_for(ElectricSystem.PENINSULAR) == PVPC_PENINSULA
    assert pvpc_zone_for(ElectricSystem.BALEARES) == PVPC_PENINSULA
    assert pvpc_zone_for(ElectricSystem.CANARIAS) == PVPC_CANARIAS
    assert pvpc_zone_for(ElectricSystem.CEUTA) == PVPC_CEUTA_MELILLA
    assert pvpc_zone_for(ElectricSystem.MELILLA) == PVPC_CEUTA_MELILLA
    assert PVPC_CANARIAS.key == "PCB:Atlantic/Canary"
    assert PVPC_CEUTA_MELILLA.tariff == "CYM"


def test_publication_schedule() -> None:
    """Day D is expected at 20:30 Madrid on D-1, in summer and in winter."""
    assert pvpc_expected_at(date(2026, 7, 2)) == datetime(
        2026, 7, 1, 18, 30, tzinfo=UTC
    )
    assert pvpc_expected_at(date(2026, 12, 2)) == datetime(
        2026, 12, 1, 19, 30, tzinfo=UTC
    )
    before = datetime(2026, 12, 1, 19, 29, tzinfo=UTC)
    after = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)
    assert tomorrow_prices_expected_at(before) == after
    assert last_expected_day(before) == date(2026, 12, 1)
    assert last_expected_day(after) == date(2026, 12, 2)
    # 23:30 UTC is already the next Madrid day.
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    assert tomorrow_prices_expected_at(late) == datetime(
        2026, 12, 2, 19, 30, tzinfo=UTC
    )
