"""The live :class:`~hip3.executor.ports.OrderVenue`: ``hip3.clients.ExchangeClient``.

The client signs, posts (ws post when it has a ws client, else HTTP) and
already resolves a lost answer by cloid; this adapter only hands it the orders
(a :class:`~hip3.types.PlaceOrder` is the client's request too; a Modify sends
its replacement) and hands its typed answers (:data:`hip3.domain.OrderAnswer`)
to the executor as they are, and reads ``orderStatus`` into an
:class:`~hip3.domain.OrderUpdate` for the executor's own resolution path (taken
when the client could not resolve: ``UnknownOutcomeError``).
"""

from __future__ import annotations

from collections.abc import Sequence

from hip3.clients.exchange import ExchangeClient
from hip3.domain import CancelSuccess, OrderAnswer, OrderUpdate
from hip3.executor.intents import Modify, PlaceOrder
from hip3.executor.ports import CancelTarget
from hip3.types import Cloid

__all__ = ["ExchangeVenue"]


class ExchangeVenue:
    def __init__(self, client: ExchangeClient) -> None:
        self.client = client

    async def place_orders(self, orders: Sequence[PlaceOrder]) -> Sequence[OrderAnswer]:
        return await self.client.place_orders(orders)

    async def modify_order(self, modify: Modify) -> OrderAnswer:
        ref: int | Cloid
        if modify.cloid is not None:
            ref = modify.cloid
        else:
            assert modify.oid is not None  # Modify validates exactly one target
            ref = modify.oid
        return await self.client.modify(ref, modify.replacement())

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
