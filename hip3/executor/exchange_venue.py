"""The live :class:`~hip3.executor.ports.OrderVenue`: ``hip3.clients.ExchangeClient``.

The client signs, posts (ws post when it has a ws client, else HTTP) and
already resolves a lost answer by cloid; this adapter only translates between
intents and the client's requests and typed results (Resting / Filled /
Rejected / Waiting, or Resolved after a lost answer), and reads ``orderStatus``
into an :class:`~hip3.domain.OrderUpdate` for the executor's own resolution
path (taken when the client could not resolve: ``UnknownOutcomeError``).
"""

from __future__ import annotations

from collections.abc import Sequence

from hip3.clients.exchange import (
    CancelSuccess,
    ExchangeClient,
    Filled,
    OrderOutcome,
    OrderRequest,
    Rejected,
    Resolved,
    Resting,
)
from hip3.domain import OrderStatus, OrderUpdate
from hip3.executor.intents import Modify, PlaceOrder
from hip3.executor.ports import CancelTarget, OrderResult
from hip3.types import Cloid

__all__ = ["ExchangeVenue"]


class ExchangeVenue:
    def __init__(self, client: ExchangeClient) -> None:
        self.client = client

    async def place_orders(self, orders: Sequence[PlaceOrder]) -> Sequence[OrderResult]:
        results = await self.client.place_orders([_request(o, o.cloid) for o in orders])
        return [_result(r) for r in results]

    async def modify_order(self, modify: Modify) -> OrderResult:
        ref: int | Cloid
        if modify.cloid is not None:
            ref = modify.cloid
        else:
            assert modify.oid is not None  # Modify validates exactly one target
            ref = modify.oid
        return _result(await self.client.modify(ref, _request(modify, modify.new_cloid)))

    async def cancel_orders(self, targets: Sequence[CancelTarget]) -> Sequence[str | None]:
        # The venue has separate actions for cancel by oid and by cloid: send each group once.
        results: list[str | None] = ["no oid or cloid to cancel by"] * len(targets)
        groups: dict[bool, list[tuple[int, tuple[str, int | Cloid]]]] = {True: [], False: []}
        for i, target in enumerate(targets):
            if target.cloid is not None:
                groups[True].append((i, (target.coin, target.cloid)))
            elif target.oid is not None:
                groups[False].append((i, (target.coin, target.oid)))
        for group in groups.values():
            if not group:
                continue
            statuses = await self.client.cancel_many([ref for _, ref in group])
            for (i, _), status in zip(group, statuses, strict=True):
                results[i] = None if isinstance(status, CancelSuccess) else status.error
        return results

    async def order_status(self, cloid: Cloid) -> OrderUpdate | None:
        return await self.client.info.order_update(self.client.user, cloid)

    async def schedule_cancel(self, time_ms: int | None) -> None:
        await self.client.schedule_cancel(time_ms)


def _request(order: PlaceOrder | Modify, cloid: Cloid) -> OrderRequest:
    return OrderRequest(
        coin=order.coin,
        is_buy=order.side.is_buy,
        sz=order.sz,
        limit_px=order.px,
        tif=order.tif.value,  # Tif values are the venue's spellings
        reduce_only=order.reduce_only,
        cloid=cloid,
    )


def _result(result: OrderOutcome) -> OrderResult:
    if isinstance(result, Resting):
        return OrderResult("resting", oid=result.oid)
    if isinstance(result, Filled):
        return OrderResult("filled", oid=result.oid, total_sz=result.total_sz, avg_px=result.avg_px)
    if isinstance(result, Rejected):
        return OrderResult("error", error=result.error)
    if isinstance(result, Resolved):
        return _resolved(result)
    # Waiting: a TP/SL leg of a grouped order; this adapter only sends ungrouped orders.
    return OrderResult("error", error=f"unexpected {result.status} for an ungrouped order")


def _resolved(result: Resolved) -> OrderResult:
    """The answer was lost; the venue's orderStatus says what became of the order."""
    update = result.update
    if update is None:
        return OrderResult("not_found")
    status = update.order_status
    if status in (OrderStatus.RESTING, OrderStatus.PARTIALLY_FILLED):
        return OrderResult("resting", oid=update.oid, total_sz=result.filled_sz)
    if status is OrderStatus.FILLED:
        # orderStatus has no average price; the fills (userFills) carry the prices.
        return OrderResult("filled", oid=update.oid, total_sz=update.orig_sz)
    if status is OrderStatus.REJECTED:
        return OrderResult("error", oid=update.oid, error=update.status)
    return OrderResult("canceled", oid=update.oid, total_sz=result.filled_sz)
