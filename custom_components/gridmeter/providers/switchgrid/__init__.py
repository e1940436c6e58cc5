"""Enedis (France) through Switchgrid's "Enedis Raw Data API" (v2)."""

from .client import DEFAULT_BASE_URL, SwitchgridClient, serialize_order_request
from .models import (
    Ask,
    AskStatus,
    ContractMatch,
    LoadCurve,
    Order,
    OrderRequest,
    OrderRequestState,
    OrderStatus,
    RequestStatus,
    Signer,
    SwitchgridContract,
)
from .parsing import (
    load_curve_readings,
    parse_contract,
    parse_daily_energy,
    parse_daily_indexes,
    parse_daily_max_power,
    parse_iso_duration,
    parse_load_curve,
    parse_load_curve_csv,
    parse_off_peak_text,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "Ask",
    "AskStatus",
    "ContractMatch",
    "LoadCurve",
    "Order",
    "OrderRequest",
    "OrderRequestState",
    "OrderStatus",
    "RequestStatus",
    "Signer",
    "SwitchgridClient",
    "SwitchgridContract",
    "load_curve_readings",
    "parse_contract",
    "parse_daily_energy",
    "parse_daily_indexes",
    "parse_daily_max_power",
    "parse_iso_duration",
    "parse_load_curve",
    "parse_load_curve_csv",
    "parse_off_peak_text",
    "serialize_order_request",
]
