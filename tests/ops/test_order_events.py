"""Structured order events of a resting order filled later: on the simulator, and the
bookkeeping under any interleaving of answers, fills, duplicates and updates."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import pytest
import trio
import trio.testing
from hypothesis import given, settings
from hypothesis import strategies as st

from hip3.bot import Bot
from hip3.bot.book import Book
from hip3.bot.strategy import StrategyContext
from hip3.clients import ExchangeClient, InfoClient, NonceGenerator
from hip3.domain import Fill, OrderUpdate
from hip3.executor import Intent, Outcome, OutcomeStatus, PlaceOrder
from hip3.executor.intents import Cancel
from hip3.ops.events import EVENT_ATTR, OrderEvents
from hip3.sim import SimConfig, SimServer
from hip3.types import Cloid, Side, Tif, round_price
from tests.e2e.harness import NOISE_KEY, run_bot_on_sim, trio_clock_ms


class RestOnce:
    """One GTC bid inside the spread (the best bid alone), then nothing."""

    def __init__(self) -> None:
        self.placed = False

    def on_start(self, ctx: StrategyContext) -> Sequence[Intent]:
        return []

    def on_book(self, book: Book, ctx: StrategyContext) -> Sequence[Intent]:
        if self.placed or book.coin != "BTC" or book.best_bid is None:
            return []
        self.placed = True
        market = ctx.markets["BTC"]
        px = round_price(book.best_bid + 1, market.sz_decimals, rounding=ROUND_FLOOR)
        return [PlaceOrder("BTC", Side.BUY, px, Decimal("0.002"))]

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> Sequence[Intent]:
        return []

    def on_timer(self, ctx: StrategyContext) -> Sequence[Intent]:
        return []

    def on_stop(self, ctx: StrategyContext) -> Sequence[Intent]:
        return []


def _events(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [
        getattr(r, EVENT_ATTR) for r in caplog.records if r.name == "hip3.orders"
    ]  # fmt: skip


async def test_a_resting_quote_filled_later_tells_each_fill(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hip3.orders")
    done: list[bool] = []
    venue_fills: list[Any] = []

    async def take(sim: SimServer, bot: Bot) -> None:
        while not [e for e in _events(caplog) if e["status"] == "resting"]:
            await trio.sleep(0.05)
        (resting,) = [e for e in _events(caplog) if e["status"] == "resting"]
        async with InfoClient(sim.url) as info:
            universe = await info.universe([""])
            taker = ExchangeClient(
                sim.url, NOISE_KEY, NOISE_KEY.address, universe=universe, info=info,
                mainnet=False, nonces=NonceGenerator(trio_clock_ms()),
            )  # fmt: skip
            for want in ("partiallyFilled", "filled"):
                # A new order each time: a PlaceOrder carries its cloid, which names one order.
                sell = PlaceOrder("BTC", Side.SELL, Decimal(resting["px"]), Decimal("0.001"),
                                  tif=Tif.IOC)  # fmt: skip
                await taker.place_orders([sell])
                while not [e for e in _events(caplog) if e["status"] == want]:
                    await trio.sleep(0.05)
            venue_fills.extend(await info.user_fills(bot.user))
        done.append(True)

    run = await run_bot_on_sim(
        SimConfig(
            auto_accounts=True, seed=3, tick_ms=3_600_000, schedule_cancel_min_volume=Decimal(0)
        ),  # quiet: only our taker trades
        secs=0.5,
        strategy=RestOnce(),
        noise=False,
        during=take,
        until=lambda bot: bool(done),
    )
    events = _events(caplog)
    resting = next(e for e in events if e["kind"] == "place")
    oid = resting["oid"]
    assert resting["status"] == "resting"
    mine = [e for e in events if e.get("oid") == oid]
    assert [(e["kind"], e["status"]) for e in mine] == [
        ("place", "resting"),
        ("fill", "partiallyFilled"),
        ("fill", "filled"),
    ]
    partial, full = mine[1], mine[2]
    assert (partial["sz"], partial["filled_sz"], partial["remaining_sz"]) == (
        "0.001",
        "0.001",
        "0.001",
    )
    assert (full["sz"], full["filled_sz"], full["remaining_sz"]) == ("0.001", "0.002", "0")
    assert full["orig_sz"] == "0.002" and full["cloid"] == resting["cloid"]
    assert full["side"] == "B" and full["px"] == resting["px"] and full["crossed"] is False
    assert run.bot.order_events.following == 0
    venue = [f for f in venue_fills if f.oid == oid]
    assert sorted(f.tid for f in venue) == sorted([partial["tid"], full["tid"]])


# -- the bookkeeping alone, under any interleaving -----------------------------------------

_PX = Decimal(100)


def _fill(oid: int, tid: int, sz: str) -> Fill:
    return Fill("BTC", _PX, Decimal(sz), Side.SELL, 1_000 + tid, oid, tid)


def _resting(cloid: Cloid, oid: int, sz: str) -> Outcome:
    return Outcome(
        PlaceOrder("BTC", Side.SELL, _PX, Decimal(sz), cloid=cloid), OutcomeStatus.RESTING, oid=oid
    )


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    parts=st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=6),
    answer_at=st.integers(min_value=0, max_value=12),
    duplicates=st.lists(st.integers(min_value=0, max_value=5), max_size=4),
    data=st.data(),
)
def test_each_trade_of_a_resting_order_is_told_once_in_any_order(
    parts: list[int], answer_at: int, duplicates: list[int], data: st.DataObject
) -> None:
    """The post answer may come before, between or after the fills; deliveries may repeat.
    Every distinct trade is one event, sizes add up, and only the last says filled."""
    caplog_records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            caplog_records.append(record)

    logger = logging.getLogger("hip3.orders")
    handler = Keep(level=logging.INFO)
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        orig = sum(parts)
        fills = [_fill(7, tid, f"0.00{p}") for tid, p in enumerate(parts)]
        deliveries = fills + [fills[i % len(fills)] for i in duplicates]
        deliveries = data.draw(st.permutations(deliveries))
        events = OrderEvents()
        at = min(answer_at, len(deliveries))
        for fill in deliveries[:at]:
            events.fills([fill])
        events.outcome(_resting(Cloid.from_int(1), 7, f"0.00{orig}" if orig < 10 else f"0.0{orig}"))
        for fill in deliveries[at:]:
            events.fills([fill])
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    told = [getattr(r, EVENT_ATTR) for r in caplog_records]
    assert told[0]["kind"] == "place" and told[0]["status"] == "resting"
    fill_events = [e for e in told if e["kind"] == "fill"]
    assert sorted(e["tid"] for e in fill_events) == list(range(len(parts)))
    assert [e["status"] for e in fill_events] == ["partiallyFilled"] * (len(parts) - 1) + ["filled"]
    assert Decimal(fill_events[-1]["filled_sz"]) == Decimal(orig) / 1000
    assert fill_events[-1]["remaining_sz"] == "0"
    assert events.following == 0


def test_a_venue_cancel_of_a_resting_order_is_one_event_and_a_bot_cancel_none_more(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="hip3.orders")
    events = OrderEvents()
    events.outcome(_resting(Cloid.from_int(1), 7, "0.003"))
    events.fills([_fill(7, 1, "0.001")])
    update = OrderUpdate("BTC", 7, Side.SELL, _PX, Decimal("0.002"), Decimal("0.003"),
                         "scheduledCancel", 5_000)  # fmt: skip
    events.order_update(update)
    events.order_update(update)  # told once: the order is no longer followed
    events.outcome(_resting(Cloid.from_int(2), 8, "0.001"))
    events.outcome(Outcome(Cancel("BTC", cloid=Cloid.from_int(2)), OutcomeStatus.CANCELLED))
    events.order_update(attrs_evolve(update, oid=8, status="canceled"))
    told = _events(caplog)
    assert [(e["kind"], e["status"], e.get("oid")) for e in told] == [
        ("place", "resting", 7),
        ("fill", "partiallyFilled", 7),
        ("update", "cancelled", 7),
        ("place", "resting", 8),
        ("cancel", "cancelled", None),
    ]
    assert told[2]["venue_status"] == "scheduledCancel" and told[2]["filled_sz"] == "0.001"
    assert events.following == 0


def attrs_evolve(obj: Any, **changes: Any) -> Any:
    import attrs

    return attrs.evolve(obj, **changes)
