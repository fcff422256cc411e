"""Whole-account rules of the tracker (issue 10): market kinds, own vs foreign,
deferrals that name their blockers and age, forced adoption, unconfirmed fills,
and drift bookkeeping that neither caps nor double counts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hip3.domain import OrderStatus
from hip3.tracker import TrackerState, dex_of, market_kind
from hip3.types import Cloid, Side

from ._build import fill, snapshot, update

C1 = Cloid.from_int(1)
C2 = Cloid.from_int(2)


class Clock:
    def __init__(self) -> None:
        self.now_ms = 0

    def __call__(self) -> int:
        return self.now_ms


def fresh(capacity: int = 2000, clock: Clock | None = None) -> TrackerState:
    state = TrackerState(dedup_capacity=capacity, clock_ms=clock)
    state.apply_fills([], is_snapshot=True)
    return state


@pytest.mark.parametrize(
    ("coin", "kind", "dex"),
    [
        ("BTC", "perp", ""),
        ("xyz:TSLA", "perp", "xyz"),
        ("kPEPE", "perp", ""),
        ("PURR/USDC", "spot", None),
        ("@107", "spot", None),
        ("#20", "outcome", None),
        ("+5", "outcome", None),
    ],
)
def test_coins_are_classified_by_what_the_venue_names_them(
    coin: str, kind: str, dex: str | None
) -> None:
    assert market_kind(coin) == kind
    assert dex_of(coin) == dex


def test_spot_and_outcome_fills_never_become_perp_positions_nor_drift() -> None:
    state = fresh()
    state.apply_fills(
        [
            fill(1, "2", coin="@107"),
            fill(2, "1", Side.SELL, coin="@107"),
            fill(3, "5", coin="#20"),
            fill(4, "1", coin="BTC"),
        ]
    )
    assert state.positions() == {"BTC": 1}
    assert state.non_perp_fills() == {"@107": 1, "#20": 5}
    outcome = state.adopt_snapshot(snapshot("", 5_000, BTC="1"))
    assert outcome.adopted and outcome.drift == ()
    stats = state.stats()
    assert stats.spot_fills == 2 and stats.outcome_fills == 1 and stats.drift_events == 0
    # A replayed spot trade is still a duplicate.
    state.apply_fill(fill(1, "2", coin="@107"))
    assert state.non_perp_fills()["@107"] == 1


def test_orders_and_fills_are_attributed_to_the_bot_or_to_someone_else() -> None:
    state = fresh()
    state.order_sent(C1, "BTC", Side.BUY, Decimal(100), Decimal(1), tif="Gtc")
    state.order_resting(C1, 10)
    # A person's order on the same account, seen only through orderUpdates.
    state.order_update(update(20, "open", coin="flx:GOLD", sz="2", orig_sz="2"))
    assert [o.cloid for o in state.own_open_orders()] == [C1]
    assert [o.oid for o in state.foreign_open_orders()] == [20]
    assert {o.oid: o.own for o in state.open_orders()} == {10: True, 20: False}
    state.apply_fill(fill(1, "1", oid=10, cloid=C1))
    state.apply_fill(fill(2, "1", coin="flx:GOLD", oid=20))
    stats = state.stats()
    assert stats.own_fills == 1 and stats.foreign_fills == 1
    assert state.positions() == {"BTC": 1, "flx:GOLD": 1}


def test_deferral_names_its_blockers_and_since_when() -> None:
    clock = Clock()
    state = fresh(clock=clock)
    clock.now_ms = 500
    state.order_sent(C1, "BTC", Side.BUY, Decimal(100), Decimal(1), tif="Ioc")
    first = state.adopt_snapshot(snapshot("", 1_000))
    assert not first
    [blocker] = first.blockers
    assert blocker.kind == "in_flight" and blocker.cloid == C1 and blocker.since_ms == 500
    assert first.deferred_since_ms == 1_000
    state.order_filled(C1, 7, Decimal(1))  # provisional, never confirmed
    second = state.adopt_snapshot(snapshot("", 4_000, BTC="1"))
    assert not second and second.deferred_since_ms == 1_000
    assert [b.kind for b in second.blockers] == ["unconfirmed_provisional"]
    # Another dex is not blocked by it.
    assert state.adopt_snapshot(snapshot("xyz", 4_000))


def test_a_stalled_dex_can_be_adopted_with_a_cause_that_names_the_order() -> None:
    state = fresh()
    assert state.adopt_snapshot(snapshot("", 500))  # the baseline
    state.order_sent(C1, "BTC", Side.BUY, Decimal(100), Decimal(2), tif="Ioc")
    state.order_filled(C1, 7, Decimal(2))  # the venue answered filled 2 ...
    state.apply_fill(fill(1, "1", oid=7, cloid=C1, time_ms=900))  # ... one trade of 1 came
    assert state.position("BTC") == 2
    assert not state.adopt_snapshot(snapshot("", 1_000, BTC="1"))
    outcome = state.adopt_snapshot(
        snapshot("", 2_000, BTC="1"), force_cause="orderStatus and userFillsByTime found no trade"
    )
    assert outcome.adopted and outcome.forced
    [event] = outcome.drift
    assert event.forced and not event.baseline
    assert event.cause is not None and str(C1) in event.cause and "userFillsByTime" in event.cause
    assert state.position("BTC") == 1
    stats = state.stats()
    assert stats.snapshots_forced == 1 and stats.drift_events == 1
    # The dex is free again: the next snapshot is adopted normally.
    assert state.adopt_snapshot(snapshot("", 3_000, BTC="1")).forced is False


def test_forced_adoption_still_refuses_a_stale_snapshot() -> None:
    state = fresh()
    assert state.adopt_snapshot(snapshot("", 2_000, BTC="1"))
    outcome = state.adopt_snapshot(snapshot("", 1_000), force_cause="test")
    assert not outcome and (outcome.reason or "").startswith("stale")


def test_unconfirmed_lists_orders_the_venue_said_filled_beyond_their_trades() -> None:
    clock = Clock()
    state = fresh(clock=clock)
    state.order_sent(C1, "BTC", Side.BUY, Decimal(100), Decimal(3), tif="Ioc")
    clock.now_ms = 1_000
    state.order_filled(C1, 7, Decimal(3))
    # A resting order whose orderUpdate says filled while no trade arrived.
    state.order_sent(C2, "ETH", Side.SELL, Decimal(100), Decimal(1), tif="Gtc")
    state.order_resting(C2, 8)
    clock.now_ms = 2_000
    state.order_update(update(8, "filled", coin="ETH", side=Side.SELL, cloid=C2))
    found = state.unconfirmed()
    assert [(u.oid, u.source, u.expected_sz, u.confirmed_sz, u.since_ms) for u in found] == [
        (7, "post", 3, 0, 1_000),
        (8, "venue", 1, 0, 2_000),
    ]
    assert state.oldest_unconfirmed_age_ms(5_000) == 4_000
    state.apply_fill(fill(1, "3", oid=7, cloid=C1, time_ms=1_500))
    state.apply_fill(fill(2, "1", Side.SELL, coin="ETH", oid=8, cloid=C2, time_ms=1_600))
    assert state.unconfirmed() == [] and state.oldest_unconfirmed_age_ms(5_000) is None
    assert state.stats().unconfirmed_orders == 0


def test_a_late_trade_already_in_the_snapshot_still_confirms_its_order() -> None:
    state = fresh()
    state.order_sent(C1, "BTC", Side.BUY, Decimal(100), Decimal(1), tif="Gtc")
    state.order_resting(C1, 7)
    state.order_update(update(7, "filled", cloid=C1))
    assert [u.oid for u in state.unconfirmed()] == [7]
    assert state.adopt_snapshot(snapshot("", 2_000, BTC="1"))
    state.apply_fill(fill(1, "1", oid=7, cloid=C1, time_ms=1_500))  # covered by the snapshot
    assert state.unconfirmed() == [] and state.position("BTC") == 1


def test_a_foreign_order_seen_after_its_trades_is_credited_with_them() -> None:
    state = fresh()
    state.apply_fill(fill(1, "1", coin="flx:GOLD", oid=30))
    state.order_update(update(30, "filled", coin="flx:GOLD", orig_sz="1"))
    assert state.unconfirmed() == []
    # One first seen partly filled (its early trades predate the tracker) is not
    # reported as missing them.
    state.order_update(update(31, "open", coin="flx:GOLD", sz="1", orig_sz="3"))
    assert state.unconfirmed() == []
    state.order_update(update(31, "filled", coin="flx:GOLD", sz="0", orig_sz="3"))
    assert [(u.oid, u.expected_sz, u.confirmed_sz) for u in state.unconfirmed()] == [(31, 3, 2)]
    state.apply_fill(fill(2, "1", coin="flx:GOLD", oid=31, time_ms=2_000))
    assert state.unconfirmed() == []


def test_any_number_of_open_drifts_per_coin_can_be_explained() -> None:
    # Each snapshot overtakes userFills by one trade; all the trades come late.
    state = fresh()
    assert state.adopt_snapshot(snapshot("", 1_000))
    late = []
    for i in range(1, 21):
        t = 1_000 + i * 1_000
        late.append(fill(i, "1", oid=i, time_ms=t - 500))
        assert state.adopt_snapshot(snapshot("", t, BTC=str(i)))
    assert state.stats().drift_events == 20
    for trade in late:
        state.apply_fill(trade)
    stats = state.stats()
    assert stats.drift_events == 0 and stats.drift_explained == 20
    assert all(e.explained for e in state.drift_events())
    assert state.position("BTC") == 20


def test_a_starting_position_is_a_baseline_and_never_counts_as_drift() -> None:
    # A restart with a position already open: the history trade arrives after the
    # baseline snapshot that already holds it.
    state = TrackerState()
    outcome = state.adopt_snapshot(snapshot("", 5_000, BTC="2"))
    [event] = outcome.drift
    assert event.baseline and event.cause == "baseline"
    state.apply_fill(fill(1, "2", time_ms=4_000))
    stats = state.stats()
    assert stats.baseline_adjustments == 0 and stats.drift_events == 0
    assert stats.drift_explained == 0  # a baseline explained is no drift explained
    assert state.position("BTC") == 2


def test_finished_orders_that_still_block_are_held_apart_from_pruning() -> None:
    state = fresh(capacity=100)
    state.order_sent(C1, "BTC", Side.BUY, Decimal(100), Decimal(1), tif="Ioc")
    state.order_filled(C1, 1, Decimal(1))  # unconfirmed provisional: held
    for i in range(1, 400):
        cloid = Cloid.from_int(1000 + i)
        state.order_sent(cloid, "ETH", Side.BUY, Decimal(100), Decimal(1), tif="Ioc")
        state.order_rejected(cloid, "no")
    assert state.order(cloid=C1) is not None
    assert state.order(cloid=C1).status is OrderStatus.FILLED  # type: ignore[union-attr]
    state.apply_fill(fill(1, "1", oid=1, cloid=C1))
    assert state.position("BTC") == 1  # confirmed once, not twice
    assert state.stats().tracked_orders <= 101


def test_a_trade_applied_before_its_order_is_announced_counts_once() -> None:
    # A capture whose fill line precedes the order's post line (written after the send,
    # by older journals): the post answer must not count the trade again.
    state = fresh()
    state.apply_fill(fill(1, "2", oid=7, cloid=C1, time_ms=1_000))
    state.order_sent(C1, "BTC", Side.BUY, Decimal(100), Decimal(2), tif="Ioc")
    state.order_filled(C1, 7, Decimal(2))
    assert state.position("BTC") == 2
    assert state.unconfirmed() == []
    assert state.order(cloid=C1).status is OrderStatus.FILLED  # type: ignore[union-attr]


def test_a_cloid_used_again_after_its_order_ended_names_a_new_order() -> None:
    # A person runs the SDK's example twice: cloid 0x...01 is placed, cancelled, then
    # placed again (the venue allows it once the first order ended). The second order's
    # updates and trades must not land on the first one.
    state = fresh()
    state.order_update(update(40, "open", sz="1", orig_sz="1", cloid=C1))
    state.order_update(update(40, "canceled", sz="1", orig_sz="1", cloid=C1))
    state.order_update(update(41, "open", sz="2", orig_sz="2", cloid=C1))
    state.apply_fill(fill(1, "2", oid=41, cloid=C1))
    state.order_update(update(41, "filled", sz="0", orig_sz="2", cloid=C1))
    orders = {o.oid: o for o in state.orders()}
    assert orders[40].status is OrderStatus.CANCELLED and orders[40].filled_sz == 0
    assert orders[41].status is OrderStatus.FILLED and orders[41].filled_sz == 2
    assert state.unconfirmed() == [] and state.stats().overfills == 0
    assert state.positions() == {"BTC": 2}
