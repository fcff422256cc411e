"""Drives a strategy: books and fills in, intents out, a timer in between.

One task calls the strategy, so its callbacks never run concurrently. Before
each callback it asks the tracker for positions and open orders (in-flight
orders included), so a strategy never quotes on a stale idea of its
inventory. Intents go to the executor over a bounded channel that this
runner owns and closes when it stops (after ``on_stop``'s intents, typically
cancels), which lets the executor drain them and finish.

It also keeps the latest book per market as :class:`~hip3.risk.MarketData`
for the risk gates' price band and staleness checks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Protocol

import trio

from hip3.bot.book import Book
from hip3.bot.strategy import MarketRules, Strategy, StrategyContext
from hip3.domain import Fill, OrderState
from hip3.executor.intents import Cancel, CancelAll, Intent
from hip3.risk.gates import MarketData

log = logging.getLogger(__name__)

__all__ = ["StrategyRunner", "TrackerView"]


class TrackerView(Protocol):
    async def positions(self) -> Mapping[str, Decimal]: ...

    async def open_orders(self) -> Sequence[OrderState]: ...


class StrategyRunner:
    def __init__(
        self,
        strategy: Strategy,
        *,
        markets: Mapping[str, MarketRules],
        tracker: TrackerView,
        intents: trio.MemorySendChannel[Intent],
        timer_interval_secs: float = 1.0,
        now_ms: Callable[[], int] | None = None,
        cancel_on_stop: bool = True,
    ) -> None:
        self.strategy = strategy
        # False when the user configured open orders to stay after shutdown
        # (cancel_open_orders = false): on_stop's cancels are then dropped, whatever
        # the strategy asks.
        self.cancel_on_stop = cancel_on_stop
        self.cancels_withheld = 0
        self.markets = dict(markets)
        self.tracker = tracker
        self._intents = intents
        self.timer_interval_secs = timer_interval_secs
        self._now_ms = now_ms if now_ms is not None else (lambda: time.time_ns() // 1_000_000)
        self.books: dict[str, Book] = {}
        self._market_data: dict[str, MarketData] = {}
        self.intents_sent = 0

    def _stop_intents(self, intents: Sequence[Intent]) -> Sequence[Intent]:
        if self.cancel_on_stop:
            return intents
        kept = [i for i in intents if not isinstance(i, Cancel | CancelAll)]
        withheld = len(intents) - len(kept)
        if withheld:
            self.cancels_withheld += withheld
            log.info(
                "on_stop: %d cancel(s) withheld: open orders stay (cancel_open_orders = false)",
                withheld,
            )
        return kept

    def market_data(self) -> Mapping[str, MarketData]:
        """Latest prices per market, stamped with local receive time (for the gates)."""
        return self._market_data

    async def _context(self) -> StrategyContext:
        return StrategyContext(
            now_ms=self._now_ms(),
            markets=self.markets,
            positions=await self.tracker.positions(),
            open_orders=await self.tracker.open_orders(),
            books=dict(self.books),
        )

    async def _send(self, intents: Iterable[Intent]) -> None:
        for intent in intents:
            await self._intents.send(intent)
            self.intents_sent += 1

    async def on_book(self, book: Book) -> None:
        if book.coin not in self.markets:
            return
        self.books[book.coin] = book
        self._market_data[book.coin] = MarketData(book.coin, self._now_ms(), mid=book.mid)
        await self._send(self.strategy.on_book(book, await self._context()))

    async def on_fill(self, fill: Fill) -> None:
        await self._send(self.strategy.on_fill(fill, await self._context()))

    async def on_timer(self) -> None:
        await self._send(self.strategy.on_timer(await self._context()))

    async def run(
        self,
        events: trio.MemoryReceiveChannel[Book | Fill],
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Feed events to the strategy until ``events`` closes; then on_stop, then close."""
        async with self._intents, events:
            await self._send(self.strategy.on_start(await self._context()))
            task_status.started()
            deadline = trio.current_time() + self.timer_interval_secs
            while True:
                event: Book | Fill | None = None
                with trio.move_on_at(deadline):
                    try:
                        event = await events.receive()
                    except trio.EndOfChannel:
                        break
                if event is None:
                    deadline += self.timer_interval_secs
                    deadline = max(deadline, trio.current_time())
                    await self.on_timer()
                elif isinstance(event, Book):
                    await self.on_book(event)
                else:
                    await self.on_fill(event)
            await self._send(self._stop_intents(self.strategy.on_stop(await self._context())))
