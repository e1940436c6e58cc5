"""Stored state: every earlier version loads, nothing that matters is lost.

The fixtures are documents as GridMeter 0.1 (store version 1) wrote them,
one per hub, with every field its `_document()` wrote.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
import hashlib
from typing import Any

from homeassistant.core import HomeAssistant
import pytest

from custom_components.gridmeter.hubs.datadis.state import (
    SCHEMA as DATADIS,
    MonthStatus,
)
from custom_components.gridmeter.hubs.digiwatt.state import SCHEMA as DIGIWATT
from custom_components.gridmeter.hubs.switchgrid.state import SCHEMA as SWITCHGRID
from custom_components.gridmeter.providers.ledger import QueryLedger
from custom_components.gridmeter.providers.models import EnergyKind
from custom_components.gridmeter.storage import (
    AccountStore,
    StateSchema,
    account_key,
    schema_fingerprint,
)

from .conftest import NOW

SENT = (NOW - timedelta(hours=2)).isoformat()
CUPS = "ES0031408273645190LY0F"
METER = CUPS[:20]
PRM = "24115050375840"

DATADIS_V1: dict[str, Any] = {
    "ledger": {
        "consumption|ES0031408273645190LY0F|2024/12|2026/11|0": {
            "sent_at": SENT,
            "outcome": "ok",
            "ttl": 86400.0,
            "answer": [{"cups": CUPS, "date": "2026/11/08", "time": "01:00"}],
        },
        "supplies|": {
            "sent_at": SENT,
            "outcome": "rate_limited",
            "ttl": 86400.0,
            "answer": None,
        },
    },
    "token": {
        "token": "eyJ.header.sig",
        "expires": (NOW + timedelta(hours=20)).isoformat(),
    },
    "supplies": [
        {
            "provider": "datadis",
            "meter_id": METER,
            "timezone": "Europe/Madrid",
            "address": "CALLE MAYOR 1",
            "postal_code": "28004",
            "municipality": "MADRID",
            "province": "MADRID",
            "region_code": "28",
            "distributor": "I-DE",
            "point_type": 5,
            "valid_from": "2021-03-01",
            "valid_to": None,
            "cups": CUPS,
            "distributor_code": "2",
        }
    ],
    "contracts": {
        METER: {
            "meter_id": METER,
            "contracted_power_kw": [4.6, 4.6],
            "tariff_code": "2T",
            "tariff_name": "2.0TD",
            "tariff_option": None,
            "distributor": "I-DE",
            "marketer": "ACME",
            "start": "2021-03-01",
            "end": None,
            "power_control": "ICP",
            "off_peak_hours": [],
            "self_consumption": False,
            "installed_generation_kw": None,
        }
    },
    "months": {
        METER: {
            "2026-10": {"month": "2026-10-01", "status": "ok", "at": SENT, "tries": 0},
            "2026-09": {
                "month": "2026-09-01",
                "status": "failed",
                "at": SENT,
                "tries": 3,
                "reason": "distributorError",
            },
            # Very early 0.1 marks had no "tries" (read as 1).
            "2024-12": {"month": "2024-12-01", "status": "empty", "at": SENT},
        }
    },
    "peak_months": {
        METER: {
            "2026-10": {"month": "2026-10-01", "status": "ok", "at": SENT, "tries": 0}
        }
    },
    "peaks": {
        METER: {
            "2026-10|p1": {"at": "2026-10-14T18:00:00+00:00", "kw": 3.9, "period": "p1"}
        }
    },
    "kinds": {METER: ["consumption", "return"]},
    "area": {
        METER: {"day": "2026-11-08", "average_kwh": 8.2, "homes": 412, "area": "28004"}
    },
    "area_day": {METER: "2026-11-10"},
    "no_supplies": False,
    "last_success": SENT,
}

SWITCHGRID_V1: dict[str, Any] = {
    "contract": {
        "meter_id": PRM,
        "contracted_power_kw": [9.0],
        "tariff_code": "BTINFMUDT",
        "tariff_name": None,
        "tariff_option": "HPHC",
        "distributor": "Enedis",
        "marketer": None,
        "start": "2019-05-02",
        "end": None,
        "power_control": None,
        "off_peak_hours": [{"start": "22:30:00", "end": "06:30:00"}],
        "self_consumption": False,
        "installed_generation_kw": None,
        "off_peak_text": "HC (22H30-6H30)",
    },
    "contract_at": SENT,
    "peaks": {
        "2026-11-08T17:40:00+00:00": {
            "at": "2026-11-08T17:40:00+00:00",
            "kw": 6.1,
            "period": None,
        }
    },
    "kinds": ["consumption", "return"],
    "orders": {
        "ord-1": {"at": SENT, "day": "2026-11-10", "curve": True, "history": True},
        "ord-2": {
            "at": SENT,
            "day": "2026-11-09",
            "curve": True,
            "history": False,
            "waiting": True,
        },
    },
    "history_for": "22:30:00-06:30:00",
    "activation_requested": SENT,
    "last_order_day": "2026-11-10",
    "last_curve": "2026-11-10|22:30:00-06:30:00",
    "consent_expires": "2029-11-10T09:00:00+00:00",
    "last_success": SENT,
    "directions": {"req-1": "CONSUMPTION", "ord-2#0": "INJECTION"},
}

DIGIWATT_V1: dict[str, Any] = {
    "insights": {
        "period": "this-month",
        "appliances": {"fridge": 12.5, "airConditioner": 30.0},
        "appliance_shares": {"fridge": 0.2},
        "total_kwh": 150.0,
        "previous_kwh": 160.0,
        "change_ratio": -0.0625,
        "similar_min_kwh": 100.0,
        "similar_max_kwh": 220.0,
        "you_kwh": 150.0,
        "habits": {"night": 0.2, "morning": 0.3, "afternoon": 0.2, "evening": 0.3},
        "saving_kwh": 10.0,
        "saving_euro": 3.0,
        "energy_30d_kwh": 180.0,
        "cost_30d_euro": 50.0,
        "bands_12m_kwh": {"f1": 900.0, "f2": 700.0, "f3": 1100.0},
    },
    "insights_at": SENT,
    "insights_for": '{"adults": 2}',
    "windows": [
        {
            "start": "2026-11-10T11:00:00+00:00",
            "end": "2026-11-10T14:00:00+00:00",
            "renewable_share": 0.62,
        }
    ],
    "last_success": SENT,
}


async def _load_v1(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    provider: str,
    schema: StateSchema[Any],
    document: dict[str, Any],
) -> Any:
    key = account_key(provider, "account")
    hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": document}
    return await AccountStore(hass, provider, "account", schema).async_load_state()


@pytest.mark.freeze_time(NOW)
async def test_datadis_version_1_loads_whole(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Ledger, token, supplies, contracts, month marks and peaks survive."""
    state = await _load_v1(hass, hass_storage, "datadis", DATADIS, DATADIS_V1)
    ledger = QueryLedger.from_dict(state.ledger)
    assert ledger.lookup("consumption|ES0031408273645190LY0F|2024/12|2026/11|0")
    # A refused query is still held (the 24-hour rule outlives the upgrade).
    assert "supplies|" in ledger.blocked()
    assert state.token == DATADIS_V1["token"]
    supply = state.supplies[METER]
    assert supply.cups == CUPS
    assert supply.point_type == 5
    assert supply.valid_from == date(2021, 3, 1)
    assert state.contracts[METER].contracted_power_kw == (4.6, 4.6)
    marks = state.months[METER]
    assert marks["2026-10"].status is MonthStatus.OK
    assert marks["2026-09"].status is MonthStatus.FAILED
    assert marks["2026-09"].tries == 3
    assert marks["2026-09"].reason == "distributorError"
    assert marks["2024-12"].tries == 1
    assert marks["2026-10"].at == datetime.fromisoformat(SENT)
    assert state.peak_months[METER]["2026-10"].status is MonthStatus.OK
    assert state.peaks[METER]["2026-10|p1"].kw == 3.9
    assert state.kinds[METER] == frozenset({EnergyKind.CONSUMPTION, EnergyKind.RETURN})
    assert state.area[METER].homes == 412
    assert state.area_day[METER] == date(2026, 11, 10)
    assert state.last_success == datetime.fromisoformat(SENT)


async def test_switchgrid_version_1_keeps_open_orders(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Open orders (typed now), the contract, history marks and directions."""
    state = await _load_v1(hass, hass_storage, "switchgrid", SWITCHGRID, SWITCHGRID_V1)
    assert set(state.orders) == {"ord-1", "ord-2"}
    first, second = state.orders["ord-1"], state.orders["ord-2"]
    assert first.id == "ord-1"
    assert first.history
    assert not first.waiting
    assert first.day == date(2026, 11, 10)
    assert second.waiting
    assert state.contract.tariff_option == "HPHC"
    assert state.contract.off_peak_text == "HC (22H30-6H30)"
    assert state.contract.off_peak_hours[0].start.hour == 22
    assert state.history_for == "22:30:00-06:30:00"
    assert state.last_order_day == date(2026, 11, 10)
    assert state.last_curve == "2026-11-10|22:30:00-06:30:00"
    assert state.activation_requested == datetime.fromisoformat(SENT)
    assert state.consent_expires == datetime(2029, 11, 10, 9, tzinfo=UTC)
    assert state.kinds == frozenset({EnergyKind.CONSUMPTION, EnergyKind.RETURN})
    assert state.directions == SWITCHGRID_V1["directions"]
    assert len(state.peaks) == 1


async def test_digiwatt_version_1_keeps_windows_and_analytics(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """The analytics and the green windows an automation waits for."""
    state = await _load_v1(hass, hass_storage, "digiwatt", DIGIWATT, DIGIWATT_V1)
    assert state.insights.total_kwh == 150.0
    assert state.insights.appliances["airConditioner"] == 30.0
    assert state.insights.bands_12m_kwh["f3"] == 1100.0
    (window,) = state.windows
    assert window.renewable_share == 0.62
    assert window.start == datetime(2026, 11, 10, 11, tzinfo=UTC)
    assert state.insights_for == '{"adults": 2}'


async def test_round_trip_and_a_damaged_field(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Saved state reads back equal; an unreadable field resets alone."""
    state = await _load_v1(hass, hass_storage, "switchgrid", SWITCHGRID, SWITCHGRID_V1)
    store = AccountStore(hass, "switchgrid", "account", SWITCHGRID)
    await store.async_save_state(state)
    again = await AccountStore(
        hass, "switchgrid", "account", SWITCHGRID
    ).async_load_state()
    assert again == state
    damaged = SWITCHGRID.dump(state)
    damaged["orders"] = "not an object"
    damaged["last_order_day"] = "yesterday"
    loaded = SWITCHGRID.load(damaged)
    assert loaded.orders == {}
    assert loaded.last_order_day is None
    assert loaded.history_for == state.history_for
    assert loaded.contract == state.contract


# The fingerprint of each schema version's model. Changing a stored model
# (a field renamed, retyped, added) changes its fingerprint: bump the schema's
# version, add a migration from the previous one (and a fixture above), then
# record the new fingerprint here.
FINGERPRINTS = {
    ("datadis", 2): DATADIS,
    ("switchgrid", 2): SWITCHGRID,
    ("digiwatt", 2): DIGIWATT,
}
RECORDED = {
    "datadis": "1ec8a17cf07450c7",
    "switchgrid": "8410ec14682e8a15",
    "digiwatt": "6761d506d3d33a13",
}


@pytest.mark.parametrize(("hub", "version"), list(FINGERPRINTS))
def test_schema_changes_come_with_a_version(hub: str, version: int) -> None:
    """A stored model never changes under the same version number."""
    schema = FINGERPRINTS[(hub, version)]
    assert schema.version == version, f"{hub}: record the new version's fingerprint"
    assert set(schema.migrations) == set(range(1, version))
    fingerprint = schema_fingerprint(schema.model)
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
    assert digest == RECORDED[hub], (
        f"{hub}'s stored model changed: bump its schema version, migrate, and "
        f"record {digest} for it. The model now reads: {fingerprint}"
    )


def test_keys_come_back_as_their_type() -> None:
    """JSON object keys are strings: a dict keyed by dates, integers or an
    enum is rebuilt with those keys (the PVPC and Tempo stores are keyed by
    day), and an unreadable key resets the field, not the model.
    """
    from dataclasses import dataclass, field

    from custom_components.gridmeter.price_sources import PvpcState, TempoState
    from custom_components.gridmeter.providers.signals import TempoColour
    from custom_components.gridmeter.storage import from_json, to_json

    pvpc = PvpcState(days={date(2026, 3, 29): (0.1, 0.2)}, requests=2)
    assert from_json(PvpcState, to_json(pvpc)) == pvpc
    tempo = TempoState(days={date(2026, 12, 7): TempoColour.RED})
    assert from_json(TempoState, to_json(tempo)) == tempo

    @dataclass
    class Keyed:
        by_number: dict[int, str] = field(default_factory=dict)
        by_kind: dict[EnergyKind, int] = field(default_factory=dict)

    keyed = Keyed(by_number={-3: "a", 12: "b"}, by_kind={EnergyKind.CONSUMPTION: 1})
    assert from_json(Keyed, to_json(keyed)) == keyed
    damaged = from_json(Keyed, {"by_number": {"x": "a"}, "by_kind": {"nope": 1}})
    assert damaged == Keyed()
