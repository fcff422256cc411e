"""The bot's default parts: hip3's own tracker, universe and wire converters.

Used when a :class:`~hip3.bot.Bot` is not given replacements (tests and users may pass
their own: the bot is written against :mod:`hip3.bot.ports`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from hip3.bot.ports import MarketUniverse, TrackerService, WireConverters
from hip3.clients import InfoClient
from hip3.domain import AccountSnapshot, Fill, OrderUpdate
from hip3.errors import WireError
from hip3.tracker import PositionTracker
from hip3.wire.frames import decode_order_updates_frame, decode_user_fills_frame
from hip3.wire.models import ClearinghouseState
from hip3.wire.to_domain import (
    account_snapshot,
    account_snapshot_from_json,
    decode_fills,
    order_updates_from_json,
)

__all__ = ["converters", "load_universe", "tracker"]

log = logging.getLogger(__name__)


def tracker(dedup_capacity: int) -> TrackerService:
    return PositionTracker(dedup_capacity=dedup_capacity)


async def load_universe(info: InfoClient, dexes: Sequence[str]) -> MarketUniverse:
    """perpDexs plus ``meta`` of every dex traded, as a ``hip3.universe.Universe``."""
    return await info.universe(dexes)


class _WireConverters:
    def __init__(self) -> None:
        self.skipped_fills = 0

    def fills(self, data: Mapping[str, Any]) -> list[Fill]:
        # Raw ws data: anything may arrive; what is not a userFills object is a WireError (the
        # feeds count it as malformed and go on), never an AttributeError ending the feed.
        if not isinstance(data, Mapping):
            raise WireError(f"expected an object, got {data!r:.60}", kind="userFills")
        decoded = decode_fills(data.get("fills", []), kind="userFills")
        self._note_skipped(decoded.skipped, decoded.first_error)
        return list(decoded.fills)

    def order_updates(self, data: Any) -> list[OrderUpdate]:
        return list(order_updates_from_json(data))

    def fills_frame(self, raw: str | bytes) -> tuple[list[Fill], bool]:
        """A raw ``userFills`` frame: (good fills, the venue's isSnapshot), one msgspec pass."""
        decoded = decode_user_fills_frame(raw)
        self._note_skipped(decoded.skipped, decoded.first_error)
        return decoded.fills, decoded.is_snapshot

    def order_updates_frame(self, raw: str | bytes) -> list[OrderUpdate]:
        """A raw ``orderUpdates`` frame, one msgspec pass."""
        return decode_order_updates_frame(raw)

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
        if isinstance(data, ClearinghouseState):
            return account_snapshot(dex, data)
        return account_snapshot_from_json(dex, data)


def converters() -> WireConverters:
    return _WireConverters()
