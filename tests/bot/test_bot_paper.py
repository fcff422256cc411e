"""Bot.run in paper mode over a real loopback websocket serving l2Book.

A stand-in for hip3.sim (not landed when this was written): a few lines of
trio-websocket that ack subscriptions and push scripted books. The tracker
and converters are this test's own (the bot takes them as parameters).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import orjson
import trio
import trio_websocket

from hip3.bot.bot import Bot, Mode
from hip3.bot.strategies import MarketMaker, MarketMakerParams
from hip3.domain import AccountSnapshot, Fill, OrderUpdate
from hip3.executor import OutcomeStatus
from hip3.risk import MarketLimits, RiskLimits
from hip3.tracker import TrackerStats

from .test_paper_runner import Tracker

D = Decimal


@attrs.frozen
class Market:
    coin: str
    sz_decimals: int
    is_spot: bool = False


class Universe:
    def __init__(self) -> None:
        self.markets = {"BTC": Market("BTC", 5), "xyz:GOLD": Market("xyz:GOLD", 2)}

    def asset(self, coin: str) -> int:
        return {"BTC": 0, "xyz:GOLD": 110000}[coin]

    def market(self, coin: str) -> Market:
        return self.markets[coin]


class TrackerService(Tracker):
    def __init__(self) -> None:
        super().__init__()
        self.snapshots_seen = 0

    async def run(self, *, task_status: trio.TaskStatus[Any] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started(self)
        await trio.sleep_forever()

    async def fills(self, fills: Sequence[Fill], *, is_snapshot: bool = False) -> None:
        for fill in fills:
            await self.fill(fill)

    async def snapshot(
        self, snapshot: AccountSnapshot, *, force_cause: str | None = None
    ) -> object:
        self.snapshots_seen += 1
        return True

    async def drift_events(self) -> Sequence[Any]:
        return []

    async def stats(self) -> TrackerStats:
        return TrackerStats(fills_applied=len(self.tids))


class NoConverters:
    def fills(self, data: Mapping[str, Any]) -> list[Fill]:
        raise AssertionError("paper mode does not follow userFills")

    def order_updates(self, data: Any) -> list[OrderUpdate]:
        raise AssertionError("paper mode does not follow orderUpdates")

    def account_snapshot(self, dex: str, data: Mapping[str, Any]) -> AccountSnapshot:
        raise AssertionError("paper mode does not resync")


class BookServer:
    def __init__(self) -> None:
        self.conns: list[tuple[trio_websocket.WebSocketConnection, str]] = []
        self.subscribed = trio.Event()

    async def handler(self, request: trio_websocket.WebSocketRequest) -> None:
        conn = await request.accept()
        while True:
            try:
                msg = orjson.loads(await conn.get_message())
            except trio_websocket.ConnectionClosed:
                return
            if msg.get("method") == "ping":
                await conn.send_message(orjson.dumps({"channel": "pong"}).decode())
            elif msg.get("method") == "subscribe":
                sub = msg["subscription"]
                ack = {"channel": "subscriptionResponse", "data": msg}
                await conn.send_message(orjson.dumps(ack).decode())
                self.conns.append((conn, sub["coin"]))
                if len(self.conns) == 2:
                    self.subscribed.set()

    async def push(self, coin: str, bid: str, ask: str) -> None:
        data = {
            "coin": coin,
            "time": 1,
            "levels": [[{"px": bid, "sz": "10", "n": 1}], [{"px": ask, "sz": "10", "n": 1}]],
        }
        for conn, sub_coin in self.conns:
            if sub_coin == coin:
                msg = {"channel": "l2Book", "data": data}
                await conn.send_message(orjson.dumps(msg).decode())


async def wait_until(predicate: Any) -> None:
    with trio.fail_after(10):
        while not predicate():
            await trio.sleep(0.01)


async def test_paper_bot_quotes_main_and_hip3_markets_fills_and_shuts_down_clean() -> None:
    server = BookServer()
    tracker = TrackerService()
    with trio.fail_after(20):
        bot = await run_scenario(server, tracker)
    summary = bot.summary()
    assert summary.mode is Mode.PAPER
    assert summary.fills == 2
    assert summary.positions["xyz:GOLD"] > 0 > summary.positions["BTC"]
    assert bot.paper is not None and summary.positions == {
        c: p for c, p in bot.paper.positions.items() if p != 0
    }
    assert not bot.paper.resting  # every quote cancelled at shutdown
    # No placement was refused; a cancel may race its quote's fill (the venue then says
    # "already filled"), exactly as it can live.
    assert summary.executor.rejected == 0 and summary.orders.gate_rejections == 0
    assert summary.orders.rejected == summary.orders.venue_rejections == 0
    # Per order: the two quotes the book traded through rested first and were filled by
    # the paper venue's events (no post answer said "filled"); every other quote was
    # cancelled, nothing is left open.
    orders = summary.orders
    assert orders.filled == 2 and bot.outcome_counts[OutcomeStatus.FILLED] == 0
    assert orders.placed == summary.executor.placed == orders.filled + orders.cancelled
    assert orders.cancelled >= 2 and orders.resting == 0 and orders.untracked == 0
    # Per intent: a cancel that raced its quote's fill ends rejected there, not in orders.
    assert summary.intents["cancel"]["rejected"] == summary.executor.cancel_failures
    assert summary.intents["place"]["resting"] == orders.placed
    assert summary.fills == 2 == summary.fill_deliveries
    assert summary.exchange_positions is None and summary.drift_events == []


async def run_scenario(server: BookServer, tracker: TrackerService) -> Bot:
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(
            trio_websocket.serve_websocket, server.handler, "127.0.0.1", 0, None
        )
        bot = Bot.create(
            base_url="http://127.0.0.1:9",  # never called in paper mode with a universe given
            ws_url=f"ws://127.0.0.1:{listeners.port}/ws",
            account="0x" + "ab" * 20,
            markets=["BTC", "xyz:GOLD"],
            strategy=MarketMaker(MarketMakerParams(order_notional_usd=100)),
            mode=Mode.PAPER,
            risk_limits=RiskLimits(default=MarketLimits(max_notional_usd=D(1000))),
            universe=Universe(),
            tracker=tracker,
            converters=NoConverters(),
            strategy_interval_secs=0.05,
        )
        async with trio.open_nursery() as bot_nursery:
            await bot_nursery.start(bot.run)
            await server.subscribed.wait()
            await server.push("BTC", "100000", "100010")
            await server.push("xyz:GOLD", "2000", "2001")
            await wait_until(lambda: len(resting(bot)) == 4)
            # GOLD trades down through our bid; BTC up through our ask.
            await server.push("xyz:GOLD", "1990", "1991")
            await server.push("BTC", "100200", "100210")
            await wait_until(lambda: len(tracker.tids) == 2)
            bot.stop()
        nursery.cancel_scope.cancel()
    return bot


def resting(bot: Bot) -> list[object]:
    return [o for o in bot.outcomes if o.status is OutcomeStatus.RESTING]
