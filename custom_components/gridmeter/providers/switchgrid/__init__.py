"""Enedis (France) through Switchgrid's "Enedis Raw Data API" (v2)."""

from .client import DEFAULT_BASE_URL, SwitchgridClient
from .curve import CurveEnergy, load_curve_energy, load_curve_readings
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

__all__ = [
    "DEFAULT_BASE_URL",
    "Ask",
    "AskStatus",
    "ContractMatch",
    "CurveEnergy",
    "LoadCurve",
    "Order",
    "OrderRequest",
    "OrderRequestState",
    "OrderStatus",
    "RequestStatus",
    "Signer",
    "SwitchgridClient",
    "SwitchgridContract",
    "load_curve_energy",
    "load_curve_readings",
]
