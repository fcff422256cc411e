"""Paper trading: an :class:`~hip3.executor.OrderVenue` simulated locally against the book.

Nothing is posted. An order that crosses the latest book fills at once at the
opposite touch (depth is not consumed: paper fills are optimistic); one that
does not rests and fills, at its own limit, when a later book trades through
it. Add-liquidity-only orders that would cross and IOC orders that would not
are rejected with the venue's texts, so a strategy sees what it would live.

Fills and order updates come out of :meth:`PaperVenue.receive_events` in the
shapes the live feeds produce (a ``tid`` per trade, ``orderUpdates``
statuses), so the tracker accounts paper trading exactly as it accounts real
trading. They are buffered rather than pushed: the executor calls this venue,
and pushing into the strategy's (bounded) channel from inside the executor
would close a cycle -- strategy waits on executor, executor on strategy. The
buffer holds at most one fill and a few updates per order placed since the
last drain.
"""

from __future__ import annotations

import collections
import itertools
import time
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal

import attrs
import trio

from hip3.bot.book import Book
from hip3.domain import Fill, Filled, OrderAnswer, OrderUpdate, Rejected, Resting
from hip3.errors import ValidationError
from hip3.executor.intents import Modify, PlaceOrder
from hip3.executor.ports import CancelTarget
from hip3.types import Cloid, Side, Tif

__all__ = ["MAKER_FEE", "TAKER_FEE", "PaperEvent", "PaperVenue"]

#: The venue's base-tier perp fees (taker 0.045%, maker 0.015% of the notional), what a
#: paper fill charges by default: taker when it crossed the book, maker when it rested,
#: times the market's ``fee_multiplier`` (HIP-3: the deployer fee scale, growth mode).
TAKER_FEE = Decimal("0.00045")
MAKER_FEE = Decimal("0.00015")
_FEE_QUANTUM = Decimal("0.000001")  # the collateral's 6 decimals

PaperEvent = Fill | OrderUpdate

# The venue's own texts for these rejections (hyperliquid-api.md, order responses).
ALO_WOULD_CROSS = "Post only order would have immediately matched, bbo was {bid}@{ask}."
IOC_NO_MATCH = "Order could not immediately match against any resting orders."
NO_BOOK = "No book for {coin} yet (paper trading needs a book to price against)."
CANCEL_MISSING = "Order was never placed, already canceled, or filled."


@attrs.define
class _Resting:
    order: PlaceOrder
    oid: int


class PaperVenue:
    def __init__(
        self,
        *,
        now_ms: Callable[[], int] | None = None,
        taker_fee: Decimal = TAKER_FEE,
        maker_fee: Decimal = MAKER_FEE,
        fee_token: Callable[[str], str] | None = None,
        fee_multiplier: Callable[[str], Decimal] | None = None,
    ) -> None:
        if not Decimal(0) <= maker_fee <= taker_fee < 1:
            raise ValidationError(
                f"paper fees need 0 <= maker_fee <= taker_fee < 1, got {maker_fee}, {taker_fee}",
                field="taker_fee",
            )
        self.taker_fee = taker_fee
        self.maker_fee = maker_fee
        self._fee_token = fee_token if fee_token is not None else (lambda coin: "USDC")
        # the venue's multiplier per market (HIP-3 deployer fee scale, growth mode)
        self._fee_multiplier = fee_multiplier
        self._pending: collections.deque[PaperEvent] = collections.deque()
        self._wakeup = trio.Event()
        self._now_ms = now_ms if now_ms is not None else (lambda: time.time_ns() // 1_000_000)
        self._oids = itertools.count(1)
        self._tids = itertools.count(1)
        self.books: dict[str, Book] = {}
        self.resting: dict[Cloid, _Resting] = {}
        self.statuses: dict[Cloid, OrderUpdate] = {}
        self.positions: dict[str, Decimal] = {}
        self.scheduled_cancel_ms: int | None = None

    async def receive_events(self) -> list[PaperEvent]:
        """Wait for, then return, every fill and order update since the last call."""
        while not self._pending:
            await self._wakeup.wait()
            self._wakeup = trio.Event()
        events = list(self._pending)
        self._pending.clear()
        return events

    def _emit(self, event: PaperEvent) -> None:
        self._pending.append(event)
        self._wakeup.set()

    # -- the book drives resting fills ----------------------------------------

    def update_book(self, book: Book) -> None:
        """Remember the book and fill resting orders it trades through."""
        self.books[book.coin] = book
        for cloid, rest in list(self.resting.items()):
            order = rest.order
            if order.coin != book.coin or not self._crosses(order, book):
                continue
            del self.resting[cloid]
            self._fill(order, rest.oid, order.limit_px, crossed=False)

    @staticmethod
    def _crosses(order: PlaceOrder | Modify, book: Book) -> bool:
        if order.side is Side.BUY:
            return book.best_ask is not None and order.limit_px >= book.best_ask
        return book.best_bid is not None and order.limit_px <= book.best_bid

    def _fill(self, order: PlaceOrder, oid: int, px: Decimal, *, crossed: bool) -> None:
        now = self._now_ms()
        start = self.positions.get(order.coin, Decimal(0))
        self.positions[order.coin] = start + order.side.sign * order.sz
        rate = self.taker_fee if crossed else self.maker_fee
        if self._fee_multiplier is not None:
            rate *= self._fee_multiplier(order.coin)
        fee = (px * order.sz * rate).quantize(_FEE_QUANTUM, rounding=ROUND_HALF_EVEN)
        self._emit(
            Fill(
                order.coin,
                px,
                order.sz,
                order.side,
                now,
                oid,
                next(self._tids),
                cloid=order.cloid,
                start_position=start,
                fee=fee,
                fee_token=self._fee_token(order.coin),
                crossed=crossed,
            )
        )
        self._update(order, oid, "filled", remaining=Decimal(0))

    def _update(self, order: PlaceOrder, oid: int, status: str, *, remaining: Decimal) -> None:
        now = self._now_ms()
        update = OrderUpdate(
            order.coin,
            oid,
            order.side,
            order.limit_px,
            remaining,
            order.sz,
            status,
            now,
            now,
            cloid=order.cloid,
            reduce_only=order.reduce_only,
        )
        self.statuses[order.cloid] = update
        self._emit(update)

    # -- OrderVenue --------------------------------------------------------------

    async def place_orders(self, orders: Sequence[PlaceOrder]) -> Sequence[OrderAnswer]:
        return [await self._place(order) for order in orders]

    async def _place(self, order: PlaceOrder) -> OrderAnswer:
        book = self.books.get(order.coin)
        if book is None:
            return Rejected(NO_BOOK.format(coin=order.coin))
        crosses = self._crosses(order, book)
        if order.tif is Tif.ALO and crosses:
            return Rejected(ALO_WOULD_CROSS.format(bid=book.best_bid, ask=book.best_ask))
        if order.tif is Tif.IOC and not crosses:
            return Rejected(IOC_NO_MATCH)
        oid = next(self._oids)
        if crosses:
            touch = book.best_ask if order.side is Side.BUY else book.best_bid
            px = touch if touch is not None else order.limit_px
            self._fill(order, oid, px, crossed=True)
            return Filled(order.sz, px, oid, order.cloid)
        self.resting[order.cloid] = _Resting(order, oid)
        self._update(order, oid, "open", remaining=order.sz)
        return Resting(oid, order.cloid)

    async def modify_order(self, modify: Modify) -> OrderAnswer:
        target = self._find(CancelTarget(modify.coin, cloid=modify.cloid, oid=modify.oid))
        if target is None:
            return Rejected("Cannot modify canceled or filled order")
        self._cancel(target)
        replacement = modify.replacement()
        return await self._place(replacement)

    def _find(self, target: CancelTarget) -> _Resting | None:
        for cloid, rest in self.resting.items():
            if (target.cloid is not None and cloid == target.cloid) or (
                target.oid is not None and rest.oid == target.oid
            ):
                return rest
        return None

    def _cancel(self, rest: _Resting) -> None:
        del self.resting[rest.order.cloid]
        self._update(rest.order, rest.oid, "canceled", remaining=rest.order.sz)

    async def cancel_orders(self, targets: Sequence[CancelTarget]) -> Sequence[str | None]:
        results: list[str | None] = []
        for target in targets:
            rest = self._find(target)
            if rest is None:
                results.append(CANCEL_MISSING)
            else:
                self._cancel(rest)
                results.append(None)
        return results

    async def order_status(self, cloid: Cloid) -> OrderUpdate | None:
        return self.statuses.get(cloid)

    async def schedule_cancel(self, time_ms: int | None) -> None:
        # Paper orders live only in this process: nothing outlives the bot to cancel.
        self.scheduled_cancel_ms = time_ms
