"""What a run's summary counts: orders per order, fills as distinct trades.

Under duplicated userFills a run delivers many more fills than it trades, and its
resting quotes are filled by the stream (no post answer says "filled"); cancels racing
those fills end rejected. None of that may leak into ``orders`` or ``fills``.
"""

from __future__ import annotations

import trio.testing

from hip3.bot import Bot
from hip3.executor import OutcomeStatus
from hip3.sim import FaultConfig, SimConfig

from .harness import check_accounting, fills_seen, run_bot_on_sim


def _quotes_filled_while_resting(bot: Bot) -> bool:
    return fills_seen(bot) > 2 * bot.outcome_counts[OutcomeStatus.FILLED] + 4


async def test_orders_are_counted_per_order_and_fills_per_distinct_trade(
    autojump_clock: trio.testing.MockClock,
) -> None:
    faults = FaultConfig(ws_duplicate=0.5, channels=("userFills",))
    run = await run_bot_on_sim(
        SimConfig(auto_accounts=True, seed=21, faults=faults),
        secs=3,
        noise_every_secs=0.1,
        until=lambda bot: _quotes_filled_while_resting(bot) and fills_seen(bot) >= 12,
    )
    check_accounting(run)
    s, stats = run.summary, run.summary.tracker_stats
    assert run.truth["faults"]["ws_duplicate"] > 0

    # Fills: the distinct trades applied; every copy the feed delivered is counted apart.
    venue_fills = run.sim.exchange.info({"type": "userFills", "user": run.user})
    assert stats.history_fills == 0  # the account traded only during this run
    assert s.fills + stats.covered_by_snapshot + stats.beyond_memory == len(venue_fills)
    assert s.fills == stats.fills_applied < s.fill_deliveries  # the ws copies
    # Every copy handed over (ws, and the resyncs' REST backfills) is either a trade
    # counted once or dropped as known.
    assert s.fill_deliveries + s.backfilled_fills == stats.fills_received
    assert stats.fills_received == (
        s.fills + stats.duplicates_dropped + stats.covered_by_snapshot + stats.beyond_memory
    )

    # Orders: the tracker's final state of each, not the post answers' statuses.
    orders, place, cancel = s.orders, s.intents["place"], s.intents["cancel"]
    assert orders.placed == s.executor.placed == sum(place.values()) - orders.gate_rejections
    assert orders.filled > place["filled"]  # quotes that rested, then filled on the stream
    assert orders.resting == 0  # cancel_on_shutdown
    # Cancels refused by the venue (their quote had just filled) are the cancel intents'
    # business: orders.rejected counts refused orders only.
    assert orders.rejected == orders.venue_rejections + orders.gate_rejections
    assert orders.venue_rejections == place["rejected"] - orders.gate_rejections
    assert sum(cancel.values()) > 0
    assert set(s.intents) == {"place", "modify", "cancel"}
