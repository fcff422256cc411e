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
    DriftEvent,
    OverfillEvent,
    SnapshotOutcome,
    TrackerState,
    TrackerStats,
    dex_of,
)

__all__ = [
    "DEFAULT_CHANNEL_SIZE",
    "DEFAULT_DEDUP_CAPACITY",
    "DriftEvent",
    "OrderToSend",
    "OverfillEvent",
    "PositionTracker",
    "SnapshotOutcome",
    "TrackerHandle",
    "TrackerState",
    "TrackerStats",
    "TrackerStopped",
    "dex_of",
]
