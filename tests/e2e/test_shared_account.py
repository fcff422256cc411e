"""A real account is shared: a person trades by hand beside the bot (issue 10).

The person uses the same account, on a dex the bot does not trade (``flx``) and on a
market it does (BTC), with orders that carry no cloid of the bot's, before the bot
starts and while it runs. The bot must end on the venue's positions on every dex,
report no drift, and leave the person's resting orders alone at shutdown.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR, ROUND_UP, Decimal
from typing import Any

import trio
import trio.testing

from hip3.bot import Bot
from hip3.clients import ExchangeClient, InfoClient, NonceGenerator, OrderRequest
from hip3.sim import SimConfig, SimServer
from hip3.types import round_price, round_size

from .harness import BOT_KEY, check_accounting, fills_seen, run_bot_on_sim, unexplained_drift

D = Decimal


async def person_trades(
    sim: SimServer,
    orders: list[tuple[str, bool, Decimal, str]],
    *,
    clock_ms: Callable[[], int],
) -> list[Any]:
    """``(coin, is_buy, notional, kind)`` for the account, no cloid; kind ``"take"``
    crosses the book, ``"rest"`` rests 5% behind the touch (never filled here)."""
    dexes = sorted({c.partition(":")[0] if ":" in c else "" for c, *_ in orders})
    results: list[Any] = []
    async with InfoClient(sim.url) as info:
        universe = await info.universe(dexes)
        # A person's nonces come from another device: keep them apart from the bot's.
        client = ExchangeClient(
            sim.url,
            BOT_KEY,
            BOT_KEY.address,
            universe=universe,
            info=info,
            mainnet=False,
            nonces=NonceGenerator(lambda: clock_ms() + 3_600_000),
        )
        for coin, is_buy, notional, kind in orders:
            bids, asks = (await info.l2_book(coin)).levels
            market = universe.market(coin)
            if kind == "take":
                touch = D((asks if is_buy else bids)[0].px)
                px = touch * (D("1.01") if is_buy else D("0.99"))
                tif = "Ioc"
            else:
                touch = D((bids if is_buy else asks)[0].px)
                px = touch * (D("0.95") if is_buy else D("1.05"))
                tif = "Alo"
            px = round_price(px, market.sz_decimals, rounding=ROUND_FLOOR)
            sz = round_size(notional / touch, market.sz_decimals, rounding=ROUND_UP)
            request = OrderRequest(coin, is_buy, sz, px, tif=tif, cloid=None)
            results.extend(await client.place_orders([request]))
    return results


async def test_a_person_trading_by_hand_on_the_account_is_tracked_and_left_alone(
    autojump_clock: trio.testing.MockClock,
) -> None:
    person: dict[str, list[Any]] = {}

    async def before(sim: SimServer, clock_ms: Callable[[], int]) -> None:
        # Held before the bot starts, on a dex the bot does not trade.
        person["before"] = await person_trades(
            sim,
            [("flx:GOLD", True, D(300), "take"), ("flx:GOLD", False, D(200), "rest")],
            clock_ms=clock_ms,
        )

    async def during(sim: SimServer, bot: Bot) -> None:
        await trio.sleep(1.5)
        person["during"] = await person_trades(
            sim,
            [
                ("flx:GOLD", False, D(120), "take"),
                ("BTC", True, D(100), "rest"),  # on a market the bot quotes
            ],
            clock_ms=bot.clock_ms,
        )

    run = await run_bot_on_sim(
        SimConfig(auto_accounts=True, seed=21),
        secs=4,
        before=before,
        during=during,
        until=lambda bot: fills_seen(bot) >= 4 and "during" in person,
    )
    s = run.summary
    truth = run.truth_positions()
    assert "flx:GOLD" in truth  # the person's position is real ...
    assert s.positions == truth  # ... and the tracker holds it, with the bot's own
    assert s.exchange_positions == truth
    assert "flx" in run.bot.account_dexes
    assert unexplained_drift(s) == [] and s.tracker_stats.drift_events == 0
    assert s.tracker_stats.foreign_fills > 0 and s.tracker_stats.own_fills > 0
    # The person's resting orders are still open on the venue after the bot stopped.
    resting = [r.oid for r in person["before"] + person["during"] if type(r).__name__ == "Resting"]
    assert len(resting) == 2
    assert set(resting) <= {o.oid for o in run.venue_open_orders}  # read after the stop
    check_accounting(run)


async def test_cancel_scope_account_cancels_the_persons_orders_too(
    autojump_clock: trio.testing.MockClock,
) -> None:
    person: dict[str, list[Any]] = {}

    async def before(sim: SimServer, clock_ms: Callable[[], int]) -> None:
        # On a market the bot trades, and on a dex it does not trade and holds nothing on.
        person["before"] = await person_trades(
            sim,
            [("BTC", True, D(100), "rest"), ("flx:GOLD", True, D(100), "rest")],
            clock_ms=clock_ms,
        )

    run = await run_bot_on_sim(
        SimConfig(auto_accounts=True, seed=22),
        secs=2,
        noise=False,
        before=before,
        cancel_scope="account",
    )
    assert "flx" in run.bot.account_dexes  # found by its open order alone
    assert run.venue_open_orders == []
    assert run.summary.errors == []
    check_accounting(run)


async def test_the_accounts_spot_balances_are_reported_apart_from_perp_positions(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async def before(sim: SimServer, clock_ms: Callable[[], int]) -> None:
        sim.credit_spot(BOT_KEY.address, "PURR", D("125"))

    run = await run_bot_on_sim(
        SimConfig(auto_accounts=True, seed=23), secs=2, noise=False, before=before
    )
    balances = run.summary.spot_balances
    assert balances == {"PURR": D("125")}  # perp margin is not a spot balance here
    assert "PURR" not in run.summary.positions  # a balance, never a perp position
    check_accounting(run)
