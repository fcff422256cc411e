"""The bot's default parts: hip3's own tracker, universe and wire converters.

Looked up when a bot first runs (importlib), so :mod:`hip3.bot` imports and
type-checks on its own and a caller can pass replacements for any of them.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any, cast

from hip3.bot.ports import MarketUniverse, TrackerService, WireConverters
from hip3.clients import InfoClient
from hip3.domain import AccountSnapshot, Fill, OrderUpdate
from hip3.errors import WireError

__all__ = ["converters", "load_universe", "tracker"]

log = logging.getLogger(__name__)


def tracker(dedup_capacity: int) -> TrackerService:
    module = importlib.import_module("hip3.tracker")
    return cast(TrackerService, module.PositionTracker(dedup_capacity=dedup_capacity))


async def load_universe(info: InfoClient, dexes: Sequence[str]) -> MarketUniverse:
    """perpDexs plus ``meta`` of every dex traded, as a ``hip3.universe.Universe``."""
    return cast(MarketUniverse, await info.universe(dexes))


class _WireConverters:
    def __init__(self) -> None:
        self._convert: Any = importlib.import_module("hip3.wire.to_domain")
        self._models: Any = importlib.import_module("hip3.wire.models")
        self._frames: Any = importlib.import_module("hip3.wire.frames")
        self.skipped_fills = 0

    def fills(self, data: Mapping[str, Any]) -> list[Fill]:
        # Raw ws data: anything may arrive; what is not a userFills object is a WireError (the
        # feeds count it as malformed and go on), never an AttributeError ending the feed.
        if not isinstance(data, Mapping):
            raise WireError(f"expected an object, got {data!r:.60}", kind="userFills")
        decoded = self._convert.decode_fills(data.get("fills", []), kind="userFills")
        self._note_skipped(decoded.skipped, decoded.first_error)
        return list(decoded.fills)

    def order_updates(self, data: Any) -> list[OrderUpdate]:
        return list(self._convert.order_updates_from_json(data))

    def fills_frame(self, raw: str | bytes) -> tuple[list[Fill], bool]:
        """A raw ``userFills`` frame: (good fills, the venue's isSnapshot), one msgspec pass."""
        decoded = self._frames.decode_user_fills_frame(raw)
        self._note_skipped(decoded.skipped, decoded.first_error)
        return decoded.fills, decoded.is_snapshot

    def order_updates_frame(self, raw: str | bytes) -> list[OrderUpdate]:
        """A raw ``orderUpdates`` frame, one msgspec pass."""
        return cast(list[OrderUpdate], self._frames.decode_order_updates_frame(raw))

    def _note_skipped(self, skipped: int, first_error: str | None) -> None:
        if skipped:
            self.skipped_fills += skipped
            log.warning(
                "userFills: %d malformed fill(s) skipped, the rest kept (%d so far): %s",
                skipped,
                self.skipped_fills,
                first_error,
            )

    def account_snapshot(self, dex: str, data: Mapping[str, Any] | Any) -> AccountSnapshot:
        # InfoClient.clearinghouse_state answers a typed ClearinghouseState; raw JSON (a
        # journal, a caller's own request) is structured first.
        if isinstance(data, self._models.ClearinghouseState):
            return cast(AccountSnapshot, self._convert.account_snapshot(dex, data))
        return cast(AccountSnapshot, self._convert.account_snapshot_from_json(dex, data))


def converters() -> WireConverters:
    return _WireConverters()
