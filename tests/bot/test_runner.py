from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import attrs
import trio
import trio.testing

from hip3.bot.book import Book, Level
from hip3.bot.runner import StrategyRunner
from hip3.bot.strategy import StrategyContext
from hip3.domain import Fill, OrderState
from hip3.executor import Cancel, Intent
from hip3.types import Side


@attrs.frozen
class Market:
    coin: str
    sz_decimals: int = 2
    is_spot: bool = False


class Recorder:
    """A strategy that logs each callback and answers on_stop with one cancel."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, Decimal]] = []

    def on_start(self, ctx: StrategyContext) -> Sequence[Intent]:
        self.calls.append(("start", ctx.now_ms, ctx.position("BTC")))
        return []

    def on_book(self, book: Book, ctx: StrategyContext) -> Sequence[Intent]:
        self.calls.append(("book", ctx.now_ms, ctx.position("BTC")))
        return []

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> Sequence[Intent]:
        self.calls.append(("fill", ctx.now_ms, ctx.position("BTC")))
        return []

    def on_timer(self, ctx: StrategyContext) -> Sequence[Intent]:
        self.calls.append(("timer", ctx.now_ms, ctx.position("BTC")))
        return []

    def on_stop(self, ctx: StrategyContext) -> Sequence[Intent]:
        self.calls.append(("stop", ctx.now_ms, ctx.position("BTC")))
        return [Cancel("BTC", oid=7)]


class Positions:
    def __init__(self) -> None:
        self.btc = Decimal(0)

    async def positions(self) -> Mapping[str, Decimal]:
        return {"BTC": self.btc}

    async def open_orders(self) -> Sequence[OrderState]:
        return []


async def test_runner_calls_strategy_in_order_with_timer_and_closes_intents_after_stop(
    autojump_clock: trio.testing.MockClock,
) -> None:
    strategy, positions = Recorder(), Positions()
    events_send, events_recv = trio.open_memory_channel[Book | Fill](4)
    intents_send, intents_recv = trio.open_memory_channel[Intent](4)
    runner = StrategyRunner(
        strategy,
        markets={"BTC": Market("BTC")},
        tracker=positions,
        intents=intents_send,
        timer_interval_secs=2,
        now_ms=lambda: int(trio.current_time() * 1000),
    )
    start_ms = int(trio.current_time() * 1000)
    async with trio.open_nursery() as nursery:
        await nursery.start(runner.run, events_recv)
        await trio.sleep(3)  # one timer tick at +2 s
        book = Book("BTC", 0, (Level(Decimal(99), Decimal(1)),), (Level(Decimal(101), Decimal(1)),))
        await events_send.send(book)
        await events_send.send(Book("ETH", 0))  # not a market of ours: ignored
        positions.btc = Decimal("0.5")
        await events_send.send(Fill("BTC", Decimal(100), Decimal("0.5"), Side.BUY, 0, 1, 1))
        await trio.sleep(2)  # the +4 s tick
        await events_send.aclose()
        received = [intent async for intent in intents_recv]
    kinds = [(kind, ms - start_ms) for kind, ms, _ in strategy.calls]
    assert kinds == [
        ("start", 0),
        ("timer", 2000),
        ("book", 3000),
        ("fill", 3000),
        ("timer", 4000),
        ("stop", 5000),
    ]
    assert strategy.calls[3][2] == Decimal("0.5")  # the fill callback saw the new position
    assert received == [Cancel("BTC", oid=7)]
    assert runner.market_data()["BTC"].mid == Decimal(100)
    assert "ETH" not in runner.market_data()


async def test_on_stop_cancels_are_withheld_when_open_orders_must_stay() -> None:
    # cancel_open_orders = false: whatever the strategy's on_stop asks, its cancels are
    # not sent (the market maker's on_stop cancels every quote, for instance).
    events_send, events_recv = trio.open_memory_channel[Book | Fill](4)
    intents_send, intents_recv = trio.open_memory_channel[Intent](4)
    runner = StrategyRunner(
        Recorder(),
        markets={"BTC": Market("BTC")},
        tracker=Positions(),
        intents=intents_send,
        timer_interval_secs=60,
        cancel_on_stop=False,
    )
    async with trio.open_nursery() as nursery:
        await nursery.start(runner.run, events_recv)
        await events_send.aclose()
        received = [intent async for intent in intents_recv]
    assert received == [] and runner.cancels_withheld == 1
