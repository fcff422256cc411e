"""The bot's default parts: hip3's own tracker, universe and wire converters.

Looked up when a bot first runs (importlib), so :mod:`hip3.bot` imports and
type-checks on its own and a caller can pass replacements for any of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any, cast

from hip3.bot.ports import MarketUniverse, TrackerService, WireConverters
from hip3.clients import InfoClient
from hip3.domain import AccountSnapshot, Fill, OrderUpdate

__all__ = ["converters", "load_universe", "tracker"]


def tracker(dedup_capacity: int) -> TrackerService:
    module = importlib.import_module("hip3.tracker")
    return cast(TrackerService, module.PositionTracker(dedup_capacity=dedup_capacity))


async def load_universe(info: InfoClient, dexes: Sequence[str]) -> MarketUniverse:
    """perpDexs plus ``meta`` of every dex traded, as a ``hip3.universe.Universe``."""
    module = importlib.import_module("hip3.universe")
    perp_dexs = await info.perp_dexs()
    metas = {dex: await info.meta(dex) for dex in dexes}
    return cast(MarketUniverse, module.Universe.from_meta(perp_dexs, metas))


class _WireConverters:
    def __init__(self) -> None:
        self._convert: Any = importlib.import_module("hip3.wire.convert")

    def fills(self, data: Mapping[str, Any]) -> list[Fill]:
        return list(self._convert.fills_from_json(data.get("fills", [])))

    def order_updates(self, data: Any) -> list[OrderUpdate]:
        return list(self._convert.order_updates_from_json(data))

    def account_snapshot(self, dex: str, data: Mapping[str, Any]) -> AccountSnapshot:
        return cast(AccountSnapshot, self._convert.account_snapshot_from_json(dex, data))


def converters() -> WireConverters:
    return _WireConverters()
