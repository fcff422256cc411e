"""`hip3 trade`'s order counts: per order, the same in the live view and the JSON summary."""

from __future__ import annotations

from pathlib import Path

from hip3.app import LiveState, OrderCounts, TradeSummary, run_from_config
from hip3.config import load_config
from hip3_cli.trade import render_line, render_summary

PER_ORDER = {
    "placed",
    "filled",
    "partially_filled",
    "resting",
    "cancelled",
    "rejected",
    "venue_rejections",
    "gate_rejections",
    "untracked",
    "unknown_outcomes",
}
STATUSES = {"filled", "resting", "cancelled", "rejected"}


async def test_orders_are_per_order_live_and_final_and_intents_are_apart(
    fast_sim_config: Path,
) -> None:
    updates: list[LiveState] = []
    summary = await run_from_config(
        load_config(fast_sim_config), duration=3, on_update=updates.append, update_interval_secs=0.5
    )
    data = summary.to_json()
    orders, intents = data["orders"], data["intents"]
    assert set(orders) == PER_ORDER
    assert set(intents) == {"place", "modify", "cancel"}
    assert all(set(counts) == STATUSES for counts in intents.values())
    # Each order sent ends in one state; refused ones say by whom.
    assert orders["placed"] > 0 and orders["resting"] == 0  # cancelled at shutdown
    assert orders["placed"] == (
        orders["filled"]
        + orders["cancelled"]
        + orders["venue_rejections"]
        + orders["resting"]
        + orders["untracked"]
    )
    assert orders["rejected"] == orders["venue_rejections"] + orders["gate_rejections"]
    # The intents: every place intent sent is an order; cancels are not orders.
    place = intents["place"]
    assert sum(place.values()) == orders["placed"] + orders["gate_rejections"]
    assert orders["filled"] >= place["filled"]  # plus quotes filled after resting
    assert sum(intents["cancel"].values()) > 0
    # Fills: distinct trades; deliveries (duplicates, snapshots) apart.
    assert isinstance(data["fills"], int) and data["fill_deliveries"] >= data["fills"]
    # The live view counts the same way: per order, never decreasing, at most the end's.
    assert len(updates) >= 3
    keys = ("placed", "filled", "cancelled", "rejected", "venue_rejections", "gate_rejections")
    for earlier, later in zip(updates, [*updates[1:], None], strict=True):
        live = earlier.orders.to_json()
        assert set(live) == PER_ORDER
        assert (
            live["placed"]
            == (live["filled"] + live["cancelled"] + live["venue_rejections"] + live["resting"])
            + live["untracked"]
        )
        after = orders if later is None else later.orders.to_json()
        assert all(live[k] <= after[k] for k in keys), (live, after)
        line = render_line(earlier)
        assert f"placed={live['placed']} filled={live['filled']}" in line
        assert f"rejected={live['rejected']}" in line


def test_summary_text_names_rejections_by_source_and_intents_apart() -> None:
    counts = OrderCounts(
        placed=10, filled=6, cancelled=3, rejected=3, venue_rejections=1, gate_rejections=2
    )
    state = LiveState(
        elapsed_secs=1.0, mode="trading", account="0x" + "ab" * 20, positions={},
        open_orders=[], recent_fills=[], fills=6, realized_pnl={}, fees={},
        orders=counts, drift_events=0, snapshots_adopted=1, snapshots_deferred=0,
        duplicates_dropped=0,
    )  # fmt: skip
    assert "placed=10 filled=6 resting=0 cancelled=3 rejected=3" in render_line(state)
    summary = _summary_with(counts)
    text = render_summary(summary)
    assert "orders: placed 10, filled 6, resting 0, cancelled 3, rejected 3 (venue 1, gates 2)" in (
        text
    )
    assert "intents: place resting 9, rejected 3; cancel rejected 4" in text
    data = summary.to_json()
    assert data["intents"]["cancel"] == {"filled": 0, "resting": 0, "cancelled": 0, "rejected": 4}
    assert data["orders"]["rejected"] == 3 and data["fill_deliveries"] == 9


def _summary_with(counts: OrderCounts) -> TradeSummary:
    zero = {"filled": 0, "resting": 0, "cancelled": 0, "rejected": 0}
    return TradeSummary(
        mode="trading", network="sim", account="0x" + "ab" * 20, markets=("BTC",),
        duration_secs=3.0, interrupted=False, fills=2, positions={}, exchange_positions={},
        drift=[], drift_explained=0, orders=counts, resync={
            "snapshots_adopted": 1, "deferrals": 0, "fetch_failures": 0},
        dedup={"duplicates_dropped": 0, "capacity": 10}, realized_pnl={},
        fees={}, unrealized_pnl=None,
        intents={
            "place": {**zero, "resting": 9, "rejected": 3},
            "modify": dict(zero),
            "cancel": {**zero, "rejected": 4},
        },
        fill_deliveries=9,
    )  # fmt: skip


def test_rejections_are_explained_by_gate_and_by_venue_text() -> None:
    from hip3.bot import OrderLedger
    from hip3.executor import Cancel, Outcome, PlaceOrder
    from hip3.types import Cloid, Side

    ledger = OrderLedger()
    for px in ("1", "2", "3"):
        ledger.record(
            Outcome.rejected(PlaceOrder("BTC", Side.BUY, px, "1"), "budget", gate="rate_limit")
        )
    ledger.record(
        Outcome.rejected(PlaceOrder("BTC", Side.BUY, "4", "1"), "big", gate="max_position")
    )
    for _ in range(2):  # the same cause with different ids is one reason
        cloid = Cloid.random()
        ledger.record(
            Outcome.rejected(Cancel("BTC", cloid=cloid), f"not sent: order {cloid} never rested")
        )
    assert ledger.rejections == {
        "place": {"gate rate_limit": 3, "gate max_position": 1},
        "cancel": {"not sent: order … never rested": 2},
    }
    counts = OrderCounts(placed=0, rejected=4, gate_rejections=4)
    text = render_summary(_summary_with(counts), ledger.rejections)
    assert "  place rejected: gate rate_limit 3; gate max_position 1" in text
    assert "  cancel rejected: not sent: order … never rested 2" in text
