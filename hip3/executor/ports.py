"""What the executor needs of the venue and of the tracker, as protocols.

The executor is written against these two small interfaces so its rules
(gates first, tracker told before the post, unknown outcomes resolved by
asking, never by re-posting) do not depend on transport details. The bot
adapts ``hip3.clients.ExchangeClient``/``InfoClient`` and the tracker's handle
to them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Protocol

import attrs

from hip3.domain import OrderAnswer, OrderState, OrderUpdate
from hip3.executor.intents import Modify, PlaceOrder
from hip3.types import Cloid

__all__ = ["CancelTarget", "ExecutorTracker", "OrderVenue"]


@attrs.frozen(slots=True)
class CancelTarget:
    coin: str
    cloid: Cloid | None = None
    oid: int | None = None


class OrderVenue(Protocol):
    """Signed actions and order lookups.

    ``place_orders`` and ``modify_order`` raise ``hip3.errors.UnknownOutcomeError``
    when the request may have been executed without an answer arriving (ws post
    timeout, connection lost after sending), any other
    ``hip3.errors.TransportError`` when it certainly never reached the venue,
    and ``hip3.errors.ExchangeError`` for a whole-request ``{"status":"err"}``.
    """

    async def place_orders(self, orders: Sequence[PlaceOrder]) -> Sequence[OrderAnswer]:
        """One answer per order, in order: the venue's status (Resting, Filled, Rejected,
        Waiting), or Resolved when the venue resolved a lost answer itself."""
        ...

    async def modify_order(self, modify: Modify) -> OrderAnswer: ...

    async def cancel_orders(self, targets: Sequence[CancelTarget]) -> Sequence[str | None]:
        """Per target: None for ``"success"``, else the venue's error text."""
        ...

    async def order_status(self, cloid: Cloid) -> OrderUpdate | None:
        """The venue's view of the order with ``cloid``; None for ``unknownOid``."""
        ...

    async def schedule_cancel(self, time_ms: int | None) -> None:
        """Arm (or with None, disarm) the venue's dead-man's switch."""
        ...


class ExecutorTracker(Protocol):
    """The tracker messages the executor sends and the views the gates read."""

    async def order_sent(self, order: PlaceOrder) -> None: ...

    async def order_resting(self, cloid: Cloid, oid: int) -> None: ...

    async def order_filled(self, cloid: Cloid, oid: int, total_sz: Decimal) -> None:
        """Filled at placement: the tracker applies it as a provisional fill of ``oid``."""
        ...

    async def order_rejected(self, cloid: Cloid, reason: str) -> None: ...

    async def order_cancelled(
        self, cloid: Cloid | None = None, oid: int | None = None, reason: str | None = None
    ) -> None:
        """The order ended without the venue's orderUpdate (e.g. replaced by a modify)."""
        ...

    async def order_update(self, update: OrderUpdate) -> None: ...

    async def positions(self) -> Mapping[str, Decimal]: ...

    async def open_orders(self) -> Sequence[OrderState]: ...
