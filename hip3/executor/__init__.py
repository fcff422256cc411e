"""Order execution: intents in, signed posts out, every intent ending in an :class:`Outcome`."""

from __future__ import annotations

from hip3.executor.deadman import disarm_dead_mans_switch, run_dead_mans_switch
from hip3.executor.executor import Executor, ExecutorStats
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
from hip3.executor.ports import CancelTarget, ExecutorTracker, OrderVenue

__all__ = [
    "Cancel",
    "CancelAll",
    "CancelTarget",
    "Executor",
    "ExecutorStats",
    "ExecutorTracker",
    "Intent",
    "Modify",
    "OrderVenue",
    "Outcome",
    "OutcomeStatus",
    "PlaceOrder",
    "Tif",
    "disarm_dead_mans_switch",
    "run_dead_mans_switch",
]
