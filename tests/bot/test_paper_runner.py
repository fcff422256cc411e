"""Strategy runner + executor + paper venue: a whole paper-trading loop in one process."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import pytest
import trio
import trio.testing

from hip3.bot.book import Book, Level
from hip3.bot.paper import MAKER_FEE, TAKER_FEE, PaperVenue
from hip3.bot.runner import StrategyRunner
from hip3.bot.strategies import MarketMaker, MarketMakerParams
from hip3.domain import Fill, OrderState, OrderStatus, OrderUpdate
from hip3.errors import ValidationError
from hip3.executor import Executor, Intent, Outcome, OutcomeStatus, PlaceOrder, Tif
from hip3.risk import MarketLimits, RiskGates, RiskLimits
from hip3.types import Cloid, Coin, Side
from hip3.universe import Market as UniverseMarket

D = Decimal


@attrs.frozen
class Market:
    coin: str
    sz_decimals: int
    is_spot: bool = False


GOLD = Market("xyz:GOLD", 2)


class Tracker:
    """Minimal accounting for this test: positions by tid, orders by cloid."""

    def __init__(self) -> None:
        self.by_cloid: dict[Cloid, OrderState] = {}
        self.position: dict[str, Decimal] = {}
        self.tids: set[int] = set()
        self.provisional: dict[int, Decimal] = {}

    async def order_sent(self, order: PlaceOrder) -> None:
        self.by_cloid[order.cloid] = OrderState(
            order.coin,
            order.side,
            order.px,
            order.sz,
            OrderStatus.PENDING,
            cloid=order.cloid,
            own=True,
        )

    def _set(self, cloid: Cloid, status: OrderStatus, oid: int | None) -> None:
        self.by_cloid[cloid] = attrs.evolve(self.by_cloid[cloid], status=status, oid=oid)

    async def order_resting(self, cloid: Cloid, oid: int) -> None:
        if not self.by_cloid[cloid].status.is_terminal:
            self._set(cloid, OrderStatus.RESTING, oid)

    async def order_filled(
        self, cloid: Cloid, oid: int, total_sz: Decimal, avg_px: Decimal | None
    ) -> None:
        self._set(cloid, OrderStatus.FILLED, oid)

    async def order_rejected(self, cloid: Cloid, reason: str) -> None:
        self._set(cloid, OrderStatus.REJECTED, None)

    async def order_cancelled(
        self, cloid: Cloid | None = None, oid: int | None = None, reason: str | None = None
    ) -> None:
        if cloid is not None and cloid in self.by_cloid:
            self._set(cloid, OrderStatus.CANCELLED, self.by_cloid[cloid].oid)

    async def order_update(self, update: OrderUpdate) -> None:
        if update.cloid in self.by_cloid:
            self._set(update.cloid, update.order_status, update.oid)

    async def fill(self, fill: Fill) -> None:
        if fill.tid in self.tids:
            return
        assert fill.tid is not None
        self.tids.add(fill.tid)
        self.position[fill.coin] = self.position.get(fill.coin, D(0)) + fill.signed_sz

    async def positions(self) -> Mapping[str, Decimal]:
        return dict(self.position)

    async def open_orders(self) -> Sequence[OrderState]:
        return [o for o in self.by_cloid.values() if not o.status.is_terminal]

    async def unconfirmed(self) -> list[Any]:
        return []  # paper fills arrive with the answer: nothing is ever missing

    async def oldest_unconfirmed_age_ms(self) -> int | None:
        return None

    async def non_perp_fills(self) -> dict[str, Decimal]:
        return {}

    async def foreign_open_orders(self) -> Sequence[OrderState]:
        return []

    async def orders(self) -> Sequence[OrderState]:
        return list(self.by_cloid.values())


def book(bid: str, ask: str) -> Book:
    return Book(GOLD.coin, 0, (Level(D(bid), D(5)),), (Level(D(ask), D(5)),))


async def test_paper_market_maker_quotes_fills_requotes_and_cancels_on_stop(
    autojump_clock: trio.testing.MockClock,
) -> None:
    tracker = Tracker()
    paper = PaperVenue(now_ms=lambda: int(trio.current_time() * 1000))
    intents_send, intents_recv = trio.open_memory_channel[Intent](8)
    events_send, events_recv = trio.open_memory_channel[Book | Fill](8)
    outcomes_send, outcomes_recv = trio.open_memory_channel[Outcome](8)
    params = MarketMakerParams(half_spread_bps=10, order_notional_usd=200, max_position_usd=1000)
    runner = StrategyRunner(
        MarketMaker(params),
        markets={GOLD.coin: GOLD},
        tracker=tracker,
        intents=intents_send,
        timer_interval_secs=1,
        now_ms=lambda: int(trio.current_time() * 1000),
    )
    executor = Executor(
        venue=paper,
        tracker=tracker,
        gates=RiskGates(
            RiskLimits(default=MarketLimits(max_position_sz=D(1)), price_band_bps=D(100))
        ),
        market_data=runner.market_data,
    )
    outcomes: list[Outcome] = []

    async def pump_paper_events() -> None:
        while True:
            for event in await paper.receive_events():
                if isinstance(event, Fill):
                    await tracker.fill(event)
                    await events_send.send(event)
                else:
                    await tracker.order_update(event)

    async def collect() -> None:
        async for outcome in outcomes_recv:
            outcomes.append(outcome)

    async def publish(b: Book) -> None:
        paper.update_book(b)
        await events_send.send(b)
        await trio.testing.wait_all_tasks_blocked()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(collect)
        await nursery.start(executor.run, intents_recv, outcomes_send)
        await nursery.start(runner.run, events_recv)
        nursery.start_soon(pump_paper_events)
        await publish(book("1999", "2001"))
        quotes = {o.side: o for o in await tracker.open_orders()}
        assert set(quotes) == {Side.BUY, Side.SELL}
        assert quotes[Side.BUY].limit_px < D(2000) < quotes[Side.SELL].limit_px

        # The market trades down through our bid: it fills, inventory skews the requote.
        await publish(book("1990", "1992"))
        assert tracker.position[GOLD.coin] == quotes[Side.BUY].orig_sz
        after = {o.side: o for o in await tracker.open_orders()}
        assert after[Side.SELL].limit_px < D(1991) * D("1.001")

        # An ALO order through the book is refused with the venue's text.
        (refused,) = await executor.execute(
            PlaceOrder(GOLD.coin, Side.BUY, "1992", "0.1", tif=Tif.ALO)
        )
        assert refused.status is OutcomeStatus.REJECTED and "Post only" in str(refused.reason)

        await events_send.aclose()  # stop: on_stop cancels, runner closes intents, executor ends
        await trio.testing.wait_all_tasks_blocked()
        nursery.cancel_scope.cancel()

    assert await tracker.open_orders() == []
    assert tracker.position == paper.positions
    statuses = {o.status for o in outcomes}
    assert OutcomeStatus.CANCELLED in statuses and OutcomeStatus.RESTING in statuses
    assert len(outcomes) == runner.intents_sent


async def test_paper_fills_charge_the_venues_fees_in_the_markets_collateral() -> None:
    """A paper fill pays what the venue would charge: the taker rate when the order
    crossed the book, the maker rate when it rested and was traded through later, in
    the token the market's dex settles in."""
    tokens = {"xyz:GOLD": "USDH"}
    paper = PaperVenue(now_ms=lambda: 1, fee_token=lambda coin: tokens.get(coin, "USDC"))
    paper.update_book(book("2000", "2001"))
    taker = PlaceOrder(GOLD.coin, Side.BUY, D("2001"), D("0.5"), tif=Tif.IOC)
    maker = PlaceOrder(GOLD.coin, Side.SELL, D("2002"), D("0.25"))
    await paper.place_orders([taker, maker])
    paper.update_book(book("2003", "2004"))  # a later book trades through the resting ask
    fills = [e for e in await paper.receive_events() if isinstance(e, Fill)]
    crossed, rested = fills
    assert crossed.crossed and crossed.fee == D("2001") * D("0.5") * TAKER_FEE
    assert not rested.crossed and rested.fee == (D("2002") * D("0.25") * MAKER_FEE).quantize(
        D("0.000001")
    )
    assert crossed.fee_token == rested.fee_token == "USDH"


def test_paper_fees_are_checked() -> None:
    with pytest.raises(ValidationError) as caught:
        PaperVenue(taker_fee=D("0.0001"), maker_fee=D("0.0002"))
    assert caught.value.field == "taker_fee"


async def test_paper_fills_on_a_hip3_market_pay_its_fee_multiplier() -> None:
    """The deployer fee scale and growth mode apply to paper fills as on the venue: the
    market's ``fee_multiplier`` times the rate (here a scale of 0.5: 1.5 times)."""
    gold = UniverseMarket(Coin(GOLD.coin), 110_000, "xyz", 2, 10, deployer_fee_scale=D("0.5"))
    paper = PaperVenue(now_ms=lambda: 1, fee_multiplier=lambda coin: gold.fee_multiplier)
    paper.update_book(book("2000", "2001"))
    await paper.place_orders([PlaceOrder(GOLD.coin, Side.BUY, D("2001"), D("0.5"), tif=Tif.IOC)])
    [fill] = [e for e in await paper.receive_events() if isinstance(e, Fill)]
    assert gold.fee_multiplier == D("1.5")
    assert fill.fee == (D("2001") * D("0.5") * TAKER_FEE * D("1.5")).quantize(D("0.000001"))
