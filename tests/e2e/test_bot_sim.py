"""The Bot end to end against hip3.sim over loopback: trading, observe and paper modes.

Runs under trio's MockClock (autojump): the simulator's exchange clock follows
trio time, so a run of several simulated seconds takes a fraction of a second
of real time. Each run ends with the checks of :func:`harness.check_accounting`.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import trio
import trio.testing

from hip3.bot import Bot, Mode
from hip3.bot.strategies import MarketMaker, MarketMakerParams
from hip3.clients import InfoClient
from hip3.executor import OutcomeStatus, PlaceOrder
from hip3.journal import CaptureWriter
from hip3.journal.replay import replay_async
from hip3.sim import SimConfig, SimServer, open_simulator

from .harness import (
    BOT_KEY,
    MakerTaker,
    check_accounting,
    fills_seen,
    run_bot_on_sim,
    trade_as,
    trio_clock_ms,
)

D = Decimal


def _resting_orders_filled(bot: Bot) -> bool:
    """Some of the bot's resting quotes were hit by the noise trader (no post response)."""
    return fills_seen(bot) > bot.outcome_counts[OutcomeStatus.FILLED]


async def test_trading_bot_market_makes_btc_and_hip3_tsla_and_ends_equal_to_truth(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async def open_positions_first(sim: SimServer, clock_ms: Callable[[], int]) -> None:
        # Held before the bot starts: only the baseline snapshot can tell it about these.
        await trade_as(
            sim,
            BOT_KEY,
            [("BTC", True, D(150), "Ioc"), ("xyz:TSLA", False, D(80), "Ioc")],
            clock_ms=clock_ms,
        )

    run = await run_bot_on_sim(
        SimConfig(auto_accounts=True, seed=11),
        secs=5,
        before=open_positions_first,
        until=lambda bot: _resting_orders_filled(bot) and fills_seen(bot) >= 8,
    )
    check_accounting(run)
    s = run.summary
    assert set(run.truth_positions()) <= {"BTC", "xyz:TSLA"}
    # Both paths of accounting were exercised: IOC fills answered "filled" (provisional,
    # then confirmed by userFills) and resting quotes filled later.
    assert s.tracker_stats.provisional_fills > 0 and s.intents["place"]["resting"] > 0
    assert s.tracker_stats.fills_applied > s.tracker_stats.provisional_fills
    # Periodic resyncs ran (interval 1 s here) and found nothing to correct.
    assert s.resync.ticks >= 4 and s.resync.snapshots_adopted > 2 * s.resync.ticks // 2
    assert s.tracker_stats.drift_events == 0
    # The baseline found the positions opened before the run (the userFills subscribe
    # snapshot then showed the trades that made them: "explained").
    assert {e.coin for e in s.drift_events} == {"BTC", "xyz:TSLA"}
    assert all(e.baseline for e in s.drift_events)
    assert s.executor.unknown_outcomes == 0 and s.errors == []
    # Every outcome the strategy saw: resting quotes, IOCs filled, cancels, and rejections
    # with the venue's text (an ALO quote that would cross, a cancel of a filled quote).
    for outcome in run.bot.outcomes:
        if outcome.status is OutcomeStatus.REJECTED:
            assert outcome.gate is None and outcome.reason
            assert "would have immediately matched" in outcome.reason or (
                "already canceled, or filled" in outcome.reason
            ), outcome.reason


async def test_observe_bot_follows_an_account_trading_elsewhere(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async def open_positions_first(sim: SimServer, clock_ms: Callable[[], int]) -> None:
        await trade_as(
            sim,
            BOT_KEY,
            [("BTC", False, D(200), "Ioc"), ("xyz:TSLA", True, D(120), "Ioc")],
            clock_ms=clock_ms,
        )

    async def trade_elsewhere(sim: SimServer, bot: Bot) -> None:
        from .harness import trio_clock_ms

        clock_ms = trio_clock_ms()
        await trio.sleep(0.5)
        await trade_as(
            sim,
            BOT_KEY,
            [
                ("BTC", True, D(60), "Ioc"),
                ("xyz:TSLA", False, D(50), "Alo"),  # rests; the noise trader may hit it
                ("BTC", True, D(40), "Alo"),
                ("xyz:TSLA", True, D(30), "Ioc"),
            ],
            clock_ms=clock_ms,
        )

    run = await run_bot_on_sim(
        SimConfig(auto_accounts=True, seed=12),
        secs=4,
        mode=Mode.OBSERVE,
        during=trade_elsewhere,
        until=lambda bot: fills_seen(bot) >= 2,
    )
    check_accounting(run)
    s = run.summary
    assert run.truth_positions()  # the positions opened before the run are still there
    assert s.baseline and s.orders.placed == 0 and s.orders.rejected == 0
    # The strategy ran; nothing it asked for was sent.
    assert s.intents_sent > 0 and run.bot.outcome_counts[OutcomeStatus.REJECTED] == s.intents_sent
    assert all(o.reason == "observe mode: no orders are sent" for o in run.bot.outcomes)
    # Orders placed elsewhere are followed: the ones still resting are open in the tracker.
    assert s.tracker_stats.open_orders == len(run.venue_open_orders)


async def test_paper_bot_trades_on_the_simulators_books_and_sends_nothing(
    autojump_clock: trio.testing.MockClock,
) -> None:
    run = await run_bot_on_sim(
        SimConfig(auto_accounts=True, seed=13),
        secs=3,
        mode=Mode.PAPER,
        until=lambda bot: bot.paper is not None and len(bot.paper.positions) == 2,
    )
    s = run.summary
    paper = run.bot.paper
    assert paper is not None
    assert s.positions == {c: p for c, p in paper.positions.items() if p != 0} != {}
    assert run.truth_positions() == {} and run.venue_open_orders == []
    assert not paper.resting  # every paper quote cancelled at shutdown
    assert s.exchange_positions is None and s.drift_events == []
    assert s.intents_executed >= s.intents_sent > 0
    placed = [o for o in run.bot.outcomes if isinstance(o.intent, PlaceOrder)]
    assert {o.status for o in placed} <= {
        OutcomeStatus.FILLED,
        OutcomeStatus.RESTING,
        OutcomeStatus.REJECTED,
    }
    assert run.tasks_after == run.tasks_before


async def test_kill_switch_cancels_every_order_on_the_venue_and_stops_quoting(
    autojump_clock: trio.testing.MockClock,
) -> None:
    after_kill: dict[str, Any] = {}

    async def kill_midway(sim: SimServer, bot: Bot) -> None:
        with trio.fail_after(30):
            while bot.outcome_counts[OutcomeStatus.RESTING] < 4:
                await trio.sleep(0.05)
        await bot.kill("test: max loss")
        async with InfoClient(sim.url) as info:
            after_kill["open"] = [
                o for dex in bot.dexes for o in await info.open_orders(bot.user, dex)
            ]
        after_kill["outcomes"] = len(bot.outcomes)

    run = await run_bot_on_sim(
        SimConfig(auto_accounts=True, seed=14), secs=4, during=kill_midway, noise=False
    )
    check_accounting(run)
    assert after_kill["open"] == []
    later = list(run.bot.outcomes)[after_kill["outcomes"] :]
    later_orders = [o for o in later if isinstance(o.intent, PlaceOrder)]
    assert later_orders, "the strategy kept asking"
    assert all(o.gate == "kill_switch" for o in later_orders)
    assert run.bot.kill_switch.engaged


async def test_replay_of_the_bots_own_capture_ends_where_the_bot_did(
    autojump_clock: trio.testing.MockClock, tmp_path: Path
) -> None:
    """``hip3 replay`` on a capture the bot recorded: same positions as the bot, as the truth."""
    capture = tmp_path / "run.jsonl"
    with CaptureWriter(capture) as journal:
        run = await run_bot_on_sim(
            SimConfig(auto_accounts=True, seed=15),
            secs=4,
            journal=journal,
            until=lambda bot: _resting_orders_filled(bot) and fills_seen(bot) >= 6,
        )
    check_accounting(run)
    result = await replay_async(capture)
    assert result.positions == run.summary.positions == run.truth_positions()
    assert [e for e in result.drift_events if not e.baseline] == []
    assert result.malformed_lines == 0 and result.malformed_messages == 0
    assert result.stats.fills_applied > 0 and result.stats.overfills == 0


async def test_orders_left_resting_without_cancel_on_shutdown_match_the_venue(
    autojump_clock: trio.testing.MockClock,
) -> None:
    class KeepQuotes(MakerTaker):
        def on_stop(self, ctx: Any) -> list[Any]:
            return []  # leave the quotes resting

    run = await run_bot_on_sim(
        SimConfig(auto_accounts=True, seed=16),
        secs=2,
        noise=False,
        # Quoted 2% away, so nothing fills while the orders rest on after the run.
        strategy=KeepQuotes(
            MarketMaker(MarketMakerParams(half_spread_bps=D(200), skew_bps=D(0))), take_every=0
        ),
        cancel_on_shutdown=False,
        # Longer than the dead-man's switch window (30 s here): a clean stop disarmed it,
        # so the venue has not cancelled the orders meant to stay.
        linger_secs=45,
        until=lambda bot: bot.outcome_counts[OutcomeStatus.RESTING] >= 2,
    )
    check_accounting(run)  # tracker's open orders == the venue's, order by order
    assert run.venue_open_orders and run.summary.tracker_stats.open_orders == len(
        run.venue_open_orders
    )


async def test_a_cancelled_bot_leaves_the_dead_mans_switch_to_cancel_its_quotes(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """No clean stop (a crash, a cancelled task): nothing more is sent, the switch fires."""
    # An account past the venue's $1M volume gate (here: the gate off).
    async with open_simulator(
        SimConfig(auto_accounts=True, seed=17, schedule_cancel_min_volume=D(0))
    ) as sim:
        bot = Bot.create(
            base_url=sim.url,
            ws_url=sim.ws_url,
            account=BOT_KEY.address,
            markets=["BTC", "xyz:TSLA"],
            strategy=MakerTaker(
                MarketMaker(MarketMakerParams(half_spread_bps=D(200), skew_bps=D(0))),
                take_every=0,
            ),
            mode=Mode.TRADING,
            key=BOT_KEY,
            mainnet=False,
            clock_ms=trio_clock_ms(),
            dead_mans_switch_secs=10,
            strategy_interval_secs=0.2,
        )
        with trio.CancelScope() as scope:
            async with trio.open_nursery() as nursery:
                await nursery.start(bot.run)
                with trio.fail_after(30):
                    while bot.outcome_counts[OutcomeStatus.RESTING] < 2:
                        await trio.sleep(0.05)
                scope.cancel()
        async with InfoClient(sim.url) as info:
            resting = [o for dex in bot.dexes for o in await info.open_orders(bot.user, dex)]
            assert resting  # the bot was cancelled mid-run: its quotes are still there
            await trio.sleep(12)  # past the 10 s window
            left = [o for dex in bot.dexes for o in await info.open_orders(bot.user, dex)]
        assert left == []
