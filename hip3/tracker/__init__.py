"""Position tracker: one trio task owning positions and orders, exactly once.

See :mod:`hip3.tracker.actor` for the handle API and :mod:`hip3.tracker.state`
for the accounting rules.
"""

from __future__ import annotations

from hip3.tracker.actor import (
    DEFAULT_CHANNEL_SIZE,
    OrderToSend,
    PositionTracker,
    TrackerHandle,
    TrackerStopped,
)
from hip3.tracker.state import (
    DEFAULT_DEDUP_CAPACITY,
    Blocker,
    DriftEvent,
    MarketKind,
    OverfillEvent,
    SnapshotOutcome,
    TrackerState,
    TrackerStats,
    Unconfirmed,
    dex_of,
    market_kind,
)

__all__ = [
    "DEFAULT_CHANNEL_SIZE",
    "DEFAULT_DEDUP_CAPACITY",
    "Blocker",
    "DriftEvent",
    "MarketKind",
    "OrderToSend",
    "OverfillEvent",
    "PositionTracker",
    "SnapshotOutcome",
    "TrackerHandle",
    "TrackerState",
    "TrackerStats",
    "TrackerStopped",
    "Unconfirmed",
    "dex_of",
    "market_kind",
]
