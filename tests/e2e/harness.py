"""The bot against hip3.sim over loopback, and the accounting checks every run ends with.

Shared by tests/e2e, tests/chaos and tests/soak. A run is: a simulator (with
whatever faults the caller configures), the Bot in some mode on BTC (main dex)
and xyz:TSLA (a HIP-3 dex), optionally a *noise trader* -- another account
sending IOC orders through the book, so the bot's resting quotes fill without a
post response of its own -- for a given length of (trio) time, then a clean
stop. :func:`check_accounting` then holds the bot to its promises:

* the tracker's positions equal the exchange's truth for the bot's account;
* every intent the strategy sent was executed and ended in one outcome
  (filled / resting / cancelled / rejected, rejections with a reason), and
  every order the tracker knows is either finished or still open on the venue;
* no drift event, or each one explained (by late userFills, or by a fault the
  simulator counted: a dropped userFills message is a fill the bot never saw
  until the next snapshot);
* no trio task leaked by the bot.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_UP, Decimal
from typing import Any

import attrs
import trio

from hip3.app.divergence import DivergenceMeter, DivergenceReport, sample_divergence
from hip3.bot import Bot, BotSummary, Mode
from hip3.bot.book import Book
from hip3.bot.strategies import MarketMaker, MarketMakerParams
from hip3.bot.strategy import StrategyContext
from hip3.clients import ExchangeClient, InfoClient, NonceGenerator
from hip3.domain import Fill, OrderStatus
from hip3.errors import Hip3Error
from hip3.executor import Intent, Modify, OutcomeStatus, PlaceOrder, Tif
from hip3.signing import PrivateKey
from hip3.sim import SimConfig, SimServer, open_simulator
from hip3.tracker import PositionTracker
from hip3.types import Side, round_price, round_size

# Test-only keys: never used anywhere but this simulator.
BOT_KEY = PrivateKey.coerce("0x" + "5a" * 32)
NOISE_KEY = PrivateKey.coerce("0x" + "c3" * 32)
MARKETS = ("BTC", "xyz:TSLA")
MIN_NOTIONAL = Decimal(10)


def trio_clock_ms() -> Callable[[], int]:
    """Wall time at the call plus trio time since: what the simulator's exchange clock is.

    Under trio's MockClock the simulator's time runs with trio's, so nonces and
    expiresAfter must too (the venue refuses an action whose expiresAfter passed).
    """
    epoch_ms = time.time_ns() // 1_000_000
    start = trio.current_time()
    return lambda: epoch_ms + int((trio.current_time() - start) * 1000)


class MakerTaker:
    """The MarketMaker, plus every ``take_every`` timer ticks one small IOC across the touch.

    The IOC orders fill at once (a ``filled`` post response: the provisional path), in
    one or several trades; the side is chosen against the position so it stays small.
    """

    def __init__(
        self,
        maker: MarketMaker | None = None,
        *,
        take_every: int = 3,
        take_notional: Decimal = Decimal(30),
    ) -> None:
        self.maker = maker or MarketMaker(
            MarketMakerParams(half_spread_bps=Decimal(1), order_notional_usd=Decimal(40))
        )
        self.take_every = take_every
        self.take_notional = take_notional
        self._ticks = 0

    def on_start(self, ctx: StrategyContext) -> Sequence[Intent]:
        return self.maker.on_start(ctx)

    def on_book(self, book: Book, ctx: StrategyContext) -> Sequence[Intent]:
        return self.maker.on_book(book, ctx)

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> Sequence[Intent]:
        return self.maker.on_fill(fill, ctx)

    def on_stop(self, ctx: StrategyContext) -> Sequence[Intent]:
        return self.maker.on_stop(ctx)

    def on_timer(self, ctx: StrategyContext) -> Sequence[Intent]:
        intents = list(self.maker.on_timer(ctx))
        self._ticks += 1
        if self.take_every and self._ticks % self.take_every == 0:
            intents.extend(self._take(ctx))
        return intents

    def _take(self, ctx: StrategyContext) -> list[Intent]:
        coins = sorted(ctx.books)
        if not coins:
            return []
        coin = coins[(self._ticks // self.take_every) % len(coins)]
        book, market = ctx.books[coin], ctx.markets[coin]
        side = Side.SELL if ctx.position(coin) > 0 else Side.BUY
        touch = book.best_ask if side is Side.BUY else book.best_bid
        if touch is None:
            return []
        far = touch * (Decimal("1.002") if side is Side.BUY else Decimal("0.998"))
        px = round_price(
            far, market.sz_decimals, rounding=ROUND_CEILING if side is Side.BUY else ROUND_FLOOR
        )
        size = max(self.take_notional, MIN_NOTIONAL * Decimal("1.2")) / touch
        sz = round_size(size, market.sz_decimals, rounding=ROUND_UP)
        return [PlaceOrder(coin, side, px, sz, tif=Tif.IOC)]


@attrs.define
class NoiseStats:
    orders: int = 0
    errors: int = 0


async def noise_trader(
    url: str,
    *,
    coins: Sequence[str] = MARKETS,
    every_secs: float = 0.3,
    notional: Decimal = Decimal(400),
    seed: int = 0,
    clock_ms: Callable[[], int],
    stats: NoiseStats,
) -> None:
    """Another account sweeping the top of the book with IOC orders, forever.

    Its orders hit the bot's resting quotes (fills the bot learns of only from
    userFills/orderUpdates). Errors (faults hit it too) are counted, never fatal.
    """
    rng = random.Random(seed)
    dexes = sorted({coin.partition(":")[0] if ":" in coin else "" for coin in coins})
    async with InfoClient(url) as info:
        universe = await info.universe(dexes)
        client = ExchangeClient(
            url,
            NOISE_KEY,
            NOISE_KEY.address,
            universe=universe,
            info=info,
            mainnet=False,
            nonces=NonceGenerator(clock_ms),
        )
        while True:
            await trio.sleep(every_secs * (0.5 + rng.random()))
            coin = rng.choice(list(coins))
            is_buy = rng.random() < 0.5
            try:
                book = await info.l2_book(coin)
                bids, asks = book.levels
                touch_level = asks[0] if is_buy else bids[0]
                touch = Decimal(touch_level.px)
                market = universe.market(coin)
                px = round_price(
                    touch * (Decimal("1.003") if is_buy else Decimal("0.997")),
                    market.sz_decimals,
                    rounding=ROUND_CEILING if is_buy else ROUND_FLOOR,
                )
                sz = round_size(notional / touch, market.sz_decimals, rounding=ROUND_UP)
                await client.place_orders(
                    [PlaceOrder(coin, Side.from_is_buy(is_buy), px, sz, tif="Ioc")]
                )
                stats.orders += 1
            except (Hip3Error, IndexError):
                stats.errors += 1


async def trade_as(
    sim: SimServer,
    key: PrivateKey,
    orders: Sequence[tuple[str, bool, Decimal, str]],
    *,
    clock_ms: Callable[[], int],
) -> list[Any]:
    """Place ``(coin, is_buy, notional_usd, tif)`` orders for ``key``'s account from
    outside the bot, priced through the touch (Ioc) or just behind it (Alo)."""
    results: list[Any] = []
    dexes = sorted({coin.partition(":")[0] if ":" in coin else "" for coin, *_ in orders})
    async with InfoClient(sim.url) as info:
        universe = await info.universe(dexes)
        client = ExchangeClient(
            sim.url,
            key,
            key.address,
            universe=universe,
            info=info,
            mainnet=False,
            nonces=NonceGenerator(clock_ms),
        )
        for coin, is_buy, notional, tif in orders:
            bids, asks = (await info.l2_book(coin)).levels
            market = universe.market(coin)
            if tif == "Ioc":
                touch = Decimal((asks if is_buy else bids)[0].px)
                factor = Decimal("1.003") if is_buy else Decimal("0.997")
            else:
                touch = Decimal((bids if is_buy else asks)[0].px)
                factor = Decimal("0.9995") if is_buy else Decimal("1.0005")
            px = round_price(
                touch * factor,
                market.sz_decimals,
                rounding=ROUND_CEILING if is_buy == (tif == "Ioc") else ROUND_FLOOR,
            )
            sz = round_size(notional / touch, market.sz_decimals, rounding=ROUND_UP)
            order = PlaceOrder(coin, Side.from_is_buy(is_buy), px, sz, tif=tif)
            results.extend(await client.place_orders([order]))
    return results


@attrs.define
class Run:
    """What a run leaves for the checks."""

    sim: SimServer
    bot: Bot
    tracker: PositionTracker
    summary: BotSummary
    truth: dict[str, Any]
    venue_open_orders: list[Any]
    tasks_before: int
    tasks_after: int
    noise: NoiseStats
    divergence: DivergenceReport

    @property
    def user(self) -> str:
        return self.bot.user

    def truth_positions(self) -> dict[str, Decimal]:
        held = self.truth["positions"].get(self.user, {})
        return {coin: Decimal(sz) for coin, sz in held.items() if Decimal(sz) != 0}


async def run_bot_on_sim(
    config: SimConfig,
    *,
    secs: float,
    mode: Mode = Mode.TRADING,
    markets: Sequence[str] = MARKETS,
    strategy: Any = None,
    noise: bool = True,
    noise_every_secs: float = 0.3,
    until: Callable[[Bot], bool] | None = None,
    until_timeout_secs: float = 60.0,
    before: Callable[[SimServer, Callable[[], int]], Any] | None = None,
    during: Callable[[SimServer, Bot], Any] | None = None,
    linger_secs: float = 0.0,
    **bot_params: Any,
) -> Run:
    """Run the bot on a fresh simulator for ``secs`` of trio time, then stop it cleanly.

    ``until``, if given, is a condition on the running bot waited for after
    ``secs`` (at most ``until_timeout_secs``): a run that must contain some
    event (fills, a reconnect) waits for it instead of hoping a fixed time sufficed.
    ``before(sim, clock_ms)`` runs once before the bot starts (e.g. to open a
    position it must find); ``during(sim, bot)`` runs alongside it. The venue's open
    orders are read ``linger_secs`` after the bot stopped.
    """
    async with open_simulator(config) as sim:
        clock_ms = trio_clock_ms()
        if before is not None:
            await before(sim, clock_ms)
            # Under MockClock no time passes during loopback I/O; two nonce generators of
            # one signer (``before``'s and the bot's) must not start on the same ms.
            await trio.sleep(0.01)
        noise_stats = NoiseStats()
        params: dict[str, Any] = {
            "strategy_interval_secs": 0.2,
            "dead_mans_switch_secs": 30.0,
            "position_resync_interval_secs": 1.0,
        }
        params.update(bot_params)
        tracker = PositionTracker(dedup_capacity=params.pop("dedup_capacity", 2000))
        bot = Bot.create(
            base_url=sim.url,
            ws_url=sim.ws_url,
            account=BOT_KEY.address,
            markets=list(markets),
            strategy=strategy if strategy is not None else MakerTaker(),
            mode=mode,
            key=BOT_KEY if mode is Mode.TRADING else None,
            mainnet=False,
            clock_ms=clock_ms,
            tracker=tracker,
            **params,
        )
        tasks_before = trio.lowlevel.current_statistics().tasks_living
        async with trio.open_nursery() as nursery:
            if noise:
                nursery.start_soon(
                    lambda: noise_trader(
                        sim.url,
                        coins=markets,
                        every_secs=noise_every_secs,
                        clock_ms=clock_ms,
                        stats=noise_stats,
                    )
                )
            done = trio.Event()

            async def run_bot(task_status: trio.TaskStatus[None]) -> None:
                try:
                    await bot.run(task_status=task_status)
                finally:
                    done.set()

            await nursery.start(run_bot)
            # Until the bot is asked to stop: how long the tracker differs from the truth.
            meter = DivergenceMeter()
            sampling = trio.CancelScope()

            async def sample() -> None:
                with sampling:
                    await sample_divergence(
                        meter,
                        bot.tracker.positions,
                        lambda: sim.exchange.positions_of(bot.user),
                        every_secs=0.1,
                    )

            nursery.start_soon(sample)
            if during is not None:
                nursery.start_soon(during, sim, bot)
            await trio.sleep(secs)
            if until is not None:
                with trio.fail_after(until_timeout_secs):
                    while not until(bot):
                        await trio.sleep(0.05)
            sampling.cancel()
            bot.stop()
            await done.wait()
            nursery.cancel_scope.cancel()
        # The simulator's per-connection tasks end once the bot's sockets are closed: wait
        # for that (bounded); a socket the bot left open would keep its task alive.
        with trio.move_on_after(5):
            while trio.lowlevel.current_statistics().tasks_living > tasks_before:
                await trio.sleep(0.01)
        tasks_after = trio.lowlevel.current_statistics().tasks_living
        await trio.sleep(linger_secs)
        truth = sim.truth()
        open_orders: list[Any] = []
        async with InfoClient(sim.url) as info:
            for dex in bot.account_dexes:
                open_orders.extend(await _retrying(lambda d=dex: info.open_orders(bot.user, d)))
        return Run(
            sim,
            bot,
            tracker,
            bot.summary(),
            truth,
            open_orders,
            tasks_before,
            tasks_after,
            noise_stats,
            meter.report(),
        )


async def _retrying(call: Callable[[], Any], attempts: int = 20) -> Any:
    """An info request against a simulator that may answer 429/5xx (chaos runs)."""
    for attempt in range(attempts):
        try:
            return await call()
        except Hip3Error:
            if attempt + 1 == attempts:
                raise
            await trio.sleep(0.05)
    raise AssertionError("unreachable")


def fills_seen(bot: Bot) -> int:
    return bot._fills_seen


def unexplained_drift(summary: BotSummary) -> list[Any]:
    return [e for e in summary.drift_events if not e.baseline and not e.explained]


def check_accounting(
    run: Run, *, drift_explained_by: Sequence[str] = (), orders_remembered: bool = True
) -> None:
    """The promises every run must keep (module docstring). Raises AssertionError.

    ``orders_remembered=False`` for runs whose tracker was meant to forget old
    finished orders (a small ``dedup_capacity`` bounds that memory too).
    """
    summary = run.summary
    # Positions: the tracker's equal the exchange's truth, and the bot's own final
    # clearinghouseState read agrees.
    assert summary.positions == run.truth_positions(), (summary.positions, run.truth)
    if summary.mode is not Mode.PAPER:
        assert summary.exchange_positions == run.truth_positions()
        assert summary.baseline
    if summary.mode is Mode.TRADING:
        assert summary.final_resync, summary.errors
    # Intents: every one the strategy sent was executed, each ended in one outcome.
    assert summary.intents_executed >= summary.intents_sent
    outcomes = list(run.bot.outcomes)
    complete = len(outcomes) == sum(run.bot.outcome_counts.values())  # else: history overflowed
    placed = [o for o in outcomes if isinstance(o.intent, PlaceOrder)]
    assert len({id(o.intent) for o in placed}) == len(placed), "an intent ended twice"
    for outcome in outcomes:
        assert outcome.status in OutcomeStatus
        if outcome.status is OutcomeStatus.REJECTED:
            assert outcome.reason, outcome
    # Orders: nothing is left in flight, nor open on one side only.
    stats = summary.tracker_stats
    tracked = run.tracker.state.orders()
    still_open = {o.oid for o in tracked if not o.status.is_terminal}
    assert still_open == {o.oid for o in run.venue_open_orders}, (still_open, run.venue_open_orders)
    if summary.mode is Mode.TRADING and complete and orders_remembered:
        # Every order the bot placed is in the tracker with its end (or still resting).
        ended = {o.cloid for o in tracked}
        assert all(o.intent.cloid in ended for o in placed if o.oid is not None)
    if run.bot.settings.orders.cancel_on_shutdown and summary.mode is Mode.TRADING:
        # The bot's own orders are gone; someone else's on the account stay (cancel_scope).
        own = {t.oid for t in tracked if t.own}
        if run.bot.settings.orders.cancel_scope == "account":
            assert run.venue_open_orders == []
        assert [o for o in run.venue_open_orders if o.oid in own] == []
    # Orders, counted per order: each sent one ends in exactly one state.
    o = summary.orders
    assert o.placed == summary.executor.placed, (o, summary.executor)
    assert o.placed == o.filled + o.cancelled + o.venue_rejections + o.resting + o.untracked, o
    assert o.rejected == o.venue_rejections + o.gate_rejections
    assert o.gate_rejections == summary.executor.gate_rejections
    if summary.mode is Mode.TRADING and orders_remembered:
        # Filled orders are those the tracker has filled, however they got there (post
        # answer, or resting then filled by userFills), never the outcomes' count.
        sent = {
            (o.intent.cloid if isinstance(o.intent, PlaceOrder) else o.intent.new_cloid)
            for o in outcomes
            if isinstance(o.intent, (PlaceOrder, Modify)) and o.gate is None
        }
        if complete:
            ended = [t for t in tracked if t.cloid in sent]
            assert o.untracked == 0
            assert o.filled == sum(t.status is OrderStatus.FILLED for t in ended), o
            assert o.cancelled == sum(t.status is OrderStatus.CANCELLED for t in ended), o
            assert o.resting == sum(not t.status.is_terminal for t in ended), o
    if run.bot.settings.orders.cancel_on_shutdown and summary.mode is Mode.TRADING:
        assert o.resting == 0, o
    # Intents, counted apart by kind: every outcome recorded once.
    assert sum(sum(c.values()) for c in summary.intents.values()) == sum(
        run.bot.outcome_counts.values()
    )
    # Fills: distinct trades the tracker applied; deliveries count every copy.
    assert summary.fills == stats.fills_applied <= stats.fills_received
    assert summary.fill_deliveries + summary.backfilled_fills == stats.fills_received
    assert stats.overfills == 0 and stats.errors == 0
    # Drift: none, or explained.
    drift = unexplained_drift(summary)
    if drift:
        faults = run.truth["faults"]
        causes = {name: faults.get(name, 0) for name in drift_explained_by}
        assert any(causes.values()), f"unexplained drift {drift} with no fault to explain it"
    # Tasks: the bot's nursery left nothing behind, nor any connection open.
    assert run.tasks_after == run.tasks_before, (run.tasks_before, run.tasks_after)
