"""What the bot needs of the tracker, the universe and the wire converters.

The bot is written against these protocols; :mod:`hip3.bot.defaults` finds
hip3's own implementations (``hip3.tracker``, ``hip3.universe``,
``hip3.wire.to_domain``) at run time, and tests or users may pass their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

import trio

from hip3.bot.strategy import MarketRules
from hip3.domain import AccountSnapshot, Fill, OrderState, OrderUpdate
from hip3.executor.ports import ExecutorTracker
from hip3.tracker.state import Unconfirmed

__all__ = [
    "BotTracker",
    "FrameConverters",
    "MarketUniverse",
    "TrackerService",
    "WireConverters",
]


class BotTracker(ExecutorTracker, Protocol):
    """The tracker handle: executor messages plus feeds, snapshots and reports."""

    async def fills(self, fills: Sequence[Fill], *, is_snapshot: bool = False) -> None: ...

    async def snapshot(
        self, snapshot: AccountSnapshot, *, force_cause: str | None = None
    ) -> object:
        """Offer a resync snapshot; returns False when the tracker deferred it. With
        ``force_cause``, adopt it despite its blockers (drift then names them)."""
        ...

    async def unconfirmed(self) -> Sequence[Unconfirmed]:
        """Orders the venue said filled beyond the trades received (see FillWatch)."""
        ...

    async def oldest_unconfirmed_age_ms(self) -> int | None: ...

    async def non_perp_fills(self) -> Mapping[str, Decimal]: ...

    async def foreign_open_orders(self) -> Sequence[OrderState]: ...

    async def drift_events(self) -> Sequence[Any]: ...

    async def orders(self) -> Sequence[OrderState]:
        """Open orders and the recently finished ones still remembered (by cloid)."""
        ...

    async def stats(self) -> Any: ...


class TrackerService(Protocol):
    async def run(self, *, task_status: trio.TaskStatus[Any] = ...) -> None:
        """Serve until cancelled; reports its :class:`BotTracker` handle when started."""
        ...


class MarketUniverse(Protocol):
    def asset(self, coin: str) -> int: ...

    def market(self, coin: str) -> MarketRules: ...


class WireConverters(Protocol):
    """Raw venue JSON (as the ws client hands it over) to domain records."""

    def fills(self, data: Mapping[str, Any]) -> list[Fill]:
        """A ``userFills`` message's data (``{"isSnapshot"?, "user", "fills": [...]}``)."""
        ...

    def order_updates(self, data: Any) -> list[OrderUpdate]:
        """An ``orderUpdates`` message's data (a list of WsOrder)."""
        ...

    def account_snapshot(self, dex: str, data: Mapping[str, Any]) -> AccountSnapshot:
        """A ``clearinghouseState`` answer for ``dex``."""
        ...


class FrameConverters(WireConverters, Protocol):
    """Converters that also take the raw ws frame (``WsEvent.raw``): the bot's feeds use
    these when a converter has them (hip3's own do), one decode per frame."""

    def fills_frame(self, raw: str | bytes) -> tuple[list[Fill], bool]:
        """A raw ``userFills`` frame: (its good fills, the venue's ``isSnapshot``)."""
        ...

    def order_updates_frame(self, raw: str | bytes) -> list[OrderUpdate]:
        """A raw ``orderUpdates`` frame."""
        ...
