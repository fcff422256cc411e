"""Order execution: intents in, signed posts out, every intent ending in an :class:`Outcome`."""

from __future__ import annotations

from hip3.executor.intents import (
    Cancel,
    CancelAll,
    Intent,
    Modify,
    Outcome,
    OutcomeStatus,
    PlaceOrder,
    Tif,
)

__all__ = [
    "Cancel",
    "CancelAll",
    "Intent",
    "Modify",
    "Outcome",
    "OutcomeStatus",
    "PlaceOrder",
    "Tif",
]
