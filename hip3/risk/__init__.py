"""Pre-trade risk gates and the kill switch."""

from __future__ import annotations

from hip3.risk.gates import (
    GATES,
    KillSwitch,
    MarketData,
    MarketLimits,
    RiskGates,
    RiskLimits,
    RiskRejection,
    RiskView,
)
from hip3.risk.market_state import MarketStates, MarketStateWatch, MarketStatus
from hip3.risk.rejects import VenueReject, classify_reject

__all__ = [
    "GATES",
    "KillSwitch",
    "MarketData",
    "MarketLimits",
    "MarketStateWatch",
    "MarketStates",
    "MarketStatus",
    "RiskGates",
    "RiskLimits",
    "RiskRejection",
    "RiskView",
    "VenueReject",
    "classify_reject",
]
