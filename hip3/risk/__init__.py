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

__all__ = [
    "GATES",
    "KillSwitch",
    "MarketData",
    "MarketLimits",
    "RiskGates",
    "RiskLimits",
    "RiskRejection",
    "RiskView",
]
