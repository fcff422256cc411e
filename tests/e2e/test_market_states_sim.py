"""HIP-3 market states on the simulator: an OI-capped, halted or delisted market is not quoted.

The bot quotes BTC and xyz:TSLA with the MarketMaker; the simulator caps, halts or delists
xyz:TSLA. BTC trades on; xyz:TSLA gets no order that grows a position.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import attrs
import trio
import trio.testing

from hip3.bot import Book, Bot, Mode, Strategy, StrategyContext
from hip3.bot.strategies import MarketMaker, MarketMakerParams
from hip3.clients import ExchangeClient, Filled, InfoClient, NonceGenerator
from hip3.domain import Fill
from hip3.executor import Intent, OutcomeStatus, PlaceOrder
from hip3.signing import PrivateKey
from hip3.sim import SimConfig, SimServer, open_simulator
from hip3.types import Side

from .harness import BOT_KEY, trio_clock_ms

D = Decimal
PERSON = PrivateKey.coerce("0x" + "7e" * 32)
TSLA = "xyz:TSLA"


def _config(tsla_cap: Decimal | None = None) -> SimConfig:
    config = SimConfig(seed=21, auto_accounts=False, accounts=(BOT_KEY.address, PERSON.address))
    dexes = list(config.dexes)
    dexes[1] = attrs.evolve(
        dexes[1],
        markets=tuple(
            attrs.evolve(m, oi_cap=tsla_cap) if m.name == TSLA else m for m in dexes[1].markets
        ),
    )
    return attrs.evolve(config, dexes=tuple(dexes))


class Prober:
    """On every timer tick, one small xyz:TSLA bid at a fixed price: a strategy that would
    quote a market with no book (as one pricing from its own model)."""

    def on_start(self, ctx: StrategyContext) -> Sequence[Intent]:
        return ()

    def on_book(self, book: Book, ctx: StrategyContext) -> Sequence[Intent]:
        return ()

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> Sequence[Intent]:
        return ()

    def on_timer(self, ctx: StrategyContext) -> Sequence[Intent]:
        if any(order.coin == TSLA for order in ctx.open_orders):
            return ()
        return (PlaceOrder(TSLA, Side.BUY, D(200), D("0.1")),)

    def on_stop(self, ctx: StrategyContext) -> Sequence[Intent]:
        return ()


def _bot(sim: SimServer, strategy: Strategy | None = None) -> Bot:
    return Bot.create(
        base_url=sim.url,
        ws_url=sim.ws_url,
        account=BOT_KEY.address,
        markets=["BTC", TSLA],
        strategy=strategy
        or MarketMaker(
            MarketMakerParams(half_spread_bps=D(5), order_notional_usd=D(100), requote_bps=D(2))
        ),
        mode=Mode.TRADING,
        key=BOT_KEY,
        mainnet=False,
        clock_ms=trio_clock_ms(),
        dead_mans_switch_secs=None,
        strategy_interval_secs=0.2,
    )


async def _run(sim: SimServer, seconds: float, strategy: Strategy | None = None) -> Bot:
    bot = _bot(sim, strategy)
    async with trio.open_nursery() as nursery:
        await nursery.start(bot.run)
        await trio.sleep(seconds)
        bot.stop()
    return bot


def _places(bot: Bot, coin: str) -> list[tuple[OutcomeStatus, str | None]]:
    return [
        (o.status, o.gate)
        for o in bot.outcomes
        if isinstance(o.intent, PlaceOrder) and o.intent.coin == coin
    ]


async def _person_buys_tsla(sim: SimServer, size: str) -> None:
    async with InfoClient(sim.url) as info:
        universe = await info.universe(["", "xyz"])
        client = ExchangeClient(
            sim.url,
            PERSON,
            PERSON.address,
            universe=universe,
            info=info,
            mainnet=False,
            nonces=NonceGenerator(trio_clock_ms()),
        )
        mid = D(sim.exchange.info({"type": "allMids", "dex": "xyz"})[TSLA])
        px = universe.market(TSLA).round_price(mid * D("1.01"))
        [result] = await client.place_orders([PlaceOrder(TSLA, Side.BUY, px, D(size), tif="Ioc")])
        assert isinstance(result, Filled), result


async def test_an_oi_capped_market_is_not_quoted(autojump_clock: trio.testing.MockClock) -> None:
    async with open_simulator(_config(tsla_cap=D(1000))) as sim:
        await _person_buys_tsla(sim, "5")  # ~$1250 of open interest: over the cap
        assert sim.exchange.info({"type": "perpsAtOpenInterestCap", "dex": "xyz"}) == [TSLA]
        bot = await _run(sim, 5)
    tsla = _places(bot, TSLA)
    assert tsla and all(entry == (OutcomeStatus.REJECTED, "oi_cap") for entry in tsla), tsla
    assert any(status is OutcomeStatus.RESTING for status, _ in _places(bot, "BTC"))
    summary = bot.summary()
    assert TSLA not in summary.positions and summary.positions == summary.exchange_positions


async def test_a_market_below_its_cap_is_quoted(autojump_clock: trio.testing.MockClock) -> None:
    async with open_simulator(_config(tsla_cap=D(100_000))) as sim:
        await _person_buys_tsla(sim, "5")
        bot = await _run(sim, 5)
    assert any(status is OutcomeStatus.RESTING for status, _ in _places(bot, TSLA))


async def test_a_halted_market_is_not_quoted_after_the_venues_refusal(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with open_simulator(_config()) as sim:
        sim.exchange.halt(TSLA, True)
        bot = await _run(sim, 8, Prober())
    tsla = _places(bot, TSLA)
    by_venue = [entry for entry in tsla if entry == (OutcomeStatus.REJECTED, None)]
    gated = [entry for entry in tsla if entry == (OutcomeStatus.REJECTED, "market_halted")]
    # The venue publishes no halt flag: the first order meets its refusal, every later one
    # (one a tick) stops at the gate for 30 s.
    assert len(by_venue) == 1 and len(gated) > 10 and len(tsla) == len(by_venue) + len(gated)
    # the summary counts the venue's refusal by its typed reason
    assert bot.summary().venue_rejects == {"halted": 1}
    assert sim.exchange.info({"type": "openOrders", "user": BOT_KEY.address, "dex": "xyz"}) == []


async def test_a_delisted_market_is_never_quoted(autojump_clock: trio.testing.MockClock) -> None:
    async with open_simulator(_config()) as sim:
        sim.exchange.halt(TSLA, True, delist=True)
        bot = await _run(sim, 5, Prober())
    tsla = _places(bot, TSLA)
    assert tsla and all(entry == (OutcomeStatus.REJECTED, "market_halted") for entry in tsla)
