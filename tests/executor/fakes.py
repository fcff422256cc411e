"""An in-process venue and tracker for executor tests (the executor's two ports)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from hip3.domain import Filled, OrderAnswer, OrderState, OrderStatus, OrderUpdate, Rejected, Resting
from hip3.errors import TransportError, UnknownOutcomeError
from hip3.executor import CancelTarget, Modify, PlaceOrder
from hip3.types import Cloid, Side

D = Decimal


class Venue:
    """Rests every order whose px is below ``cross_px`` (buys) and fills the rest."""

    def __init__(self) -> None:
        self.cross_px = D(100)
        self.next_oid = 1
        self.posts: list[Cloid] = []
        self.orders: dict[Cloid, OrderUpdate] = {}
        self.lose_next_response = False
        self.fail_next = False
        self.error_text: str | None = None
        self.status_calls = 0
        self.scheduled: list[int | None] = []
        self.known_after_status_calls = 0
        self.swallow_next = False  # the post is lost before the venue sees it

    async def place_orders(self, orders: Sequence[PlaceOrder]) -> Sequence[OrderAnswer]:
        if self.fail_next:
            self.fail_next = False
            raise TransportError("connection refused")
        if self.swallow_next:
            self.swallow_next = False
            raise UnknownOutcomeError("ws post timed out")
        results = []
        for order in orders:
            self.posts.append(order.cloid)
            if self.error_text is not None:
                results.append(Rejected(self.error_text))
                continue
            oid = self.next_oid
            self.next_oid += 1
            fills = order.side is Side.BUY and order.limit_px >= self.cross_px
            status = "filled" if fills else "open"
            remaining = D(0) if fills else order.sz
            self.orders[order.cloid] = OrderUpdate(
                order.coin,
                oid,
                order.side,
                order.limit_px,
                remaining,
                order.sz,
                status,
                1,
                cloid=order.cloid,
            )
            if fills:
                results.append(Filled(order.sz, order.limit_px, oid, order.cloid))
            else:
                results.append(Resting(oid, order.cloid))
        if self.lose_next_response:
            self.lose_next_response = False
            raise UnknownOutcomeError("ws post timed out")
        return results

    async def modify_order(self, modify: Modify) -> OrderAnswer:
        (result,) = await self.place_orders(
            [
                PlaceOrder(
                    modify.coin, modify.side, modify.limit_px, modify.sz, cloid=modify.new_cloid
                )
            ]
        )
        return result

    async def cancel_orders(self, targets: Sequence[CancelTarget]) -> Sequence[str | None]:
        out: list[str | None] = []
        for target in targets:
            order = self.orders.get(target.cloid) if target.cloid else None
            if order is None or order.status != "open":
                out.append("Order was never placed, already canceled, or filled.")
            else:
                self.orders[target.cloid] = OrderUpdate(  # type: ignore[index]
                    order.coin,
                    order.oid,
                    order.side,
                    order.limit_px,
                    order.sz,
                    order.orig_sz,
                    "canceled",
                    2,
                    cloid=order.cloid,
                )
                out.append(None)
        return out

    async def order_status(self, cloid: Cloid) -> OrderUpdate | None:
        self.status_calls += 1
        if self.status_calls <= self.known_after_status_calls:
            return None  # the venue has not processed the action yet
        return self.orders.get(cloid)

    async def schedule_cancel(self, time_ms: int | None) -> None:
        self.scheduled.append(time_ms)


class Tracker:
    """Records the executor's messages in order and keeps a minimal order table."""

    def __init__(self) -> None:
        self.log: list[tuple[str, object]] = []
        self.orders: dict[Cloid, OrderState] = {}
        self.position: dict[str, Decimal] = {}

    async def order_sent(self, order: PlaceOrder) -> None:
        self.log.append(("sent", order.cloid))
        self.orders[order.cloid] = OrderState(
            order.coin,
            order.side,
            order.limit_px,
            order.sz,
            OrderStatus.PENDING,
            cloid=order.cloid,
            own=True,
        )

    async def order_resting(self, cloid: Cloid, oid: int) -> None:
        self.log.append(("resting", cloid))
        self.orders[cloid] = _evolve(self.orders[cloid], OrderStatus.RESTING, oid)

    async def order_filled(self, cloid: Cloid, oid: int, total_sz: Decimal) -> None:
        self.log.append(("filled", cloid))
        order = self.orders[cloid]
        self.orders[cloid] = _evolve(order, OrderStatus.FILLED, oid)
        self.position[order.coin] = self.position.get(order.coin, D(0)) + order.side.sign * total_sz

    async def order_rejected(self, cloid: Cloid, reason: str) -> None:
        self.log.append(("rejected", reason))
        self.orders[cloid] = _evolve(self.orders[cloid], OrderStatus.REJECTED, None)

    async def order_cancelled(
        self, cloid: Cloid | None = None, oid: int | None = None, reason: str | None = None
    ) -> None:
        self.log.append(("cancelled", reason))
        for key, order in self.orders.items():
            if (cloid is not None and key == cloid) or (oid is not None and order.oid == oid):
                self.orders[key] = _evolve(order, OrderStatus.CANCELLED, order.oid)

    async def order_update(self, update: OrderUpdate) -> None:
        self.log.append(("update", update.status))
        if update.cloid in self.orders:
            self.orders[update.cloid] = _evolve(
                self.orders[update.cloid], update.order_status, update.oid
            )

    async def positions(self) -> Mapping[str, Decimal]:
        return dict(self.position)

    async def open_orders(self) -> Sequence[OrderState]:
        return [o for o in self.orders.values() if not o.status.is_terminal]

    # The bot's reports (this fake never misses a fill nor sees someone else's order).

    async def unconfirmed(self) -> list[Any]:
        return []

    async def oldest_unconfirmed_age_ms(self) -> int | None:
        return None

    async def non_perp_fills(self) -> dict[str, Decimal]:
        return {}

    async def foreign_open_orders(self) -> Sequence[OrderState]:
        return [o for o in await self.open_orders() if not o.own]


def _evolve(order: OrderState, status: OrderStatus, oid: int | None) -> OrderState:
    return OrderState(
        order.coin,
        order.side,
        order.limit_px,
        order.orig_sz,
        status,
        oid=oid,
        cloid=order.cloid,
        own=order.own,
    )
