"""TrackerState rules one at a time: identity, memory bounds, snapshots, drift, order states."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hip3.domain import OrderStatus
from hip3.tracker import TrackerState
from hip3.types import Cloid, Side

from ._build import fill, snapshot, update

C1 = Cloid.from_int(1)


def fresh(capacity: int = 2000) -> TrackerState:
    state = TrackerState(dedup_capacity=capacity)
    state.apply_fills([], is_snapshot=True)
    return state


def test_same_tid_on_another_coin_is_another_trade() -> None:
    state = fresh()
    state.apply_fills([fill(1, "1", coin="BTC"), fill(1, "2", coin="ETH")])
    assert state.positions() == {"BTC": 1, "ETH": 2}


def test_fills_without_tid_fall_back_to_a_derived_identity_and_are_counted() -> None:
    state = fresh()
    old = fill(None, "1", oid=5, time_ms=10, hash_="0x01")
    other = fill(None, "1", oid=5, time_ms=11, hash_="0x01")
    state.apply_fills([old, other, old])
    assert state.position("BTC") == 2
    stats = state.stats()
    assert stats.fills_without_tid == 3 and stats.duplicates_dropped == 1


def test_dedup_memory_stays_within_capacity_and_evicts_the_oldest_by_time() -> None:
    state = fresh(capacity=100)
    state.apply_fills(fill(i, "1", oid=i, time_ms=10_000 - i) for i in range(1000))
    stats = state.stats()
    assert stats.dedup_size == 100 and stats.dedup_evictions == 900
    # The newest trades (lowest i here) are the ones still remembered.
    assert state.remembers("BTC", 0) and not state.remembers("BTC", 999)


def test_reconnect_snapshot_newest_first_keeps_the_newest_remembered() -> None:
    # The venue lists a snapshot's fills newest first; memory must keep the
    # newest, which the next snapshot repeats, not the order they came in.
    state = fresh(capacity=4)
    trades = [fill(i, "1", oid=i, time_ms=1_000 + i) for i in range(8)]
    state.apply_fills(trades)
    state.apply_fills(list(reversed(trades[-4:])), is_snapshot=True)
    state.apply_fill(fill(8, "1", oid=8, time_ms=1_008))
    state.apply_fills(
        list(reversed([*trades[-3:], fill(8, "1", oid=8, time_ms=1_008)])), is_snapshot=True
    )
    assert state.position("BTC") == 9


def test_first_snapshot_batch_is_history_until_a_baseline() -> None:
    state = TrackerState()
    state.apply_fills([fill(1, "3"), fill(2, "1", Side.SELL)], is_snapshot=True)
    assert state.positions() == {}
    assert state.stats().history_fills == 2
    outcome = state.adopt_snapshot(snapshot("", 5_000, BTC="2"))
    assert outcome.adopted and state.position("BTC") == 2
    (event,) = outcome.drift
    assert event.baseline and event.cause == "baseline"
    assert state.stats().drift_events == 0 and state.stats().baseline_adjustments == 1
    state.apply_fills([fill(1, "3")], is_snapshot=True)  # history again, deduplicated
    assert state.position("BTC") == 2


def test_history_rule_off_applies_the_first_snapshot() -> None:
    state = TrackerState(initial_snapshot_is_history=False)
    state.apply_fills([fill(1, "3")], is_snapshot=True)
    assert state.position("BTC") == 3


def test_drift_is_reported_with_local_exchange_delta_and_counted() -> None:
    state = fresh()
    state.adopt_snapshot(snapshot("", 1_000))
    state.apply_fill(fill(1, "1", time_ms=1_500, liquidation=True))
    outcome = state.adopt_snapshot(snapshot("", 2_000, BTC="0.5", ETH="-1"))
    assert outcome.adopted
    by_coin = {e.coin: e for e in outcome.drift}
    assert by_coin["BTC"].local == 1 and by_coin["BTC"].exchange == Decimal("0.5")
    assert by_coin["BTC"].delta == Decimal("-0.5") and by_coin["BTC"].cause == "liquidation"
    assert by_coin["ETH"].delta == -1 and not by_coin["ETH"].baseline
    assert state.stats().drift_events == 2
    assert state.positions() == {"BTC": Decimal("0.5"), "ETH": Decimal(-1)}


def test_drift_from_a_snapshot_that_overtook_userfills_is_explained_by_the_late_fill() -> None:
    state = fresh()
    state.adopt_snapshot(snapshot("", 1_000))
    outcome = state.adopt_snapshot(snapshot("", 2_000, BTC="1"))
    assert [e.delta for e in outcome.drift] == [1]
    state.apply_fill(fill(7, "1", time_ms=1_500))  # happened before the snapshot
    assert state.position("BTC") == 1
    (event,) = state.drift_events()
    assert event.explained and state.stats().drift_events == 0
    assert state.stats().drift_explained == 1


def test_fills_after_the_snapshot_time_are_kept_on_top_of_it() -> None:
    state = fresh()
    state.apply_fills([fill(1, "1", time_ms=900), fill(2, "2", time_ms=1_100)])
    outcome = state.adopt_snapshot(snapshot("", 1_000, BTC="1"))
    assert outcome.adopted and outcome.drift == ()
    assert state.position("BTC") == 3


def test_snapshot_older_than_the_adopted_one_is_stale() -> None:
    state = fresh()
    assert state.adopt_snapshot(snapshot("", 2_000, BTC="1"))
    outcome = state.adopt_snapshot(snapshot("", 1_000, BTC="5"))
    assert not outcome and (outcome.reason or "").startswith("stale")
    assert state.position("BTC") == 1 and state.stats().snapshots_stale == 1


def test_snapshot_of_one_dex_ignores_orders_and_positions_of_another() -> None:
    state = fresh()
    state.order_sent(C1, "xyz:TSLA", Side.BUY, Decimal(1), Decimal(1))
    state.apply_fill(fill(1, "2", coin="ETH"))
    state.apply_fill(fill(2, "1", coin="@107"))  # spot: no perp snapshot covers it
    assert state.adopt_snapshot(snapshot("", 5_000, ETH="2")).adopted
    assert not state.adopt_snapshot(snapshot("xyz", 5_000)).adopted
    assert state.positions() == {"ETH": 2}
    assert state.non_perp_fills() == {"@107": 1}  # kept apart, never a perp position


def test_snapshot_deferred_when_a_fill_after_it_was_forgotten() -> None:
    state = fresh(capacity=2)
    state.apply_fills([fill(i, "1", oid=i, time_ms=1_000 + i) for i in range(5)])
    outcome = state.adopt_snapshot(snapshot("", 1_001, BTC="2"))
    assert not outcome and "dedup memory" in (outcome.reason or "")


def test_order_states_only_move_forward() -> None:
    state = fresh()
    state.order_sent(C1, "BTC", Side.BUY, Decimal(100), Decimal(2), tif="Gtc")
    assert state.order(C1).status is OrderStatus.PENDING  # type: ignore[union-attr]
    state.apply_fill(fill(1, "1", cloid=C1, oid=9))
    assert state.order(C1).status is OrderStatus.PARTIALLY_FILLED  # type: ignore[union-attr]
    state.order_resting(C1, 9)  # a late answer cannot move it back
    assert state.order(C1).status is OrderStatus.PARTIALLY_FILLED  # type: ignore[union-attr]
    state.order_update(update(9, "canceled", sz="1", orig_sz="2", cloid=C1))
    state.order_update(update(9, "open", sz="1", orig_sz="2", cloid=C1))
    order = state.order(oid=9)
    assert order is not None and order.status is OrderStatus.CANCELLED and order.filled_sz == 1
    assert state.open_orders() == []


def test_rejected_order_keeps_the_venue_text() -> None:
    state = fresh()
    state.order_sent(C1, "BTC", Side.BUY, Decimal(100), Decimal(2))
    state.order_rejected(C1, "Order must have minimum value of $10.")
    order = state.order(C1)
    assert order is not None and order.status is OrderStatus.REJECTED
    assert order.reason == "Order must have minimum value of $10."


def test_overfill_is_detected_and_reported() -> None:
    state = fresh()
    state.order_sent(C1, "BTC", Side.BUY, Decimal(100), Decimal(1), tif="Gtc")
    state.order_resting(C1, 9)
    state.apply_fills([fill(1, "1", cloid=C1, oid=9), fill(2, "0.5", cloid=C1, oid=9)])
    assert state.position("BTC") == Decimal("1.5")  # the venue's trades are the truth
    (event,) = state.overfill_events()
    assert event.orig_sz == 1 and event.filled_sz == Decimal("1.5")
    assert state.stats().overfills == 1


def test_outcome_unknown_keeps_the_order_in_flight_until_resolved() -> None:
    state = fresh()
    state.order_sent(C1, "BTC", Side.BUY, Decimal(100), Decimal(1))
    state.order_outcome_unknown(C1)
    assert not state.adopt_snapshot(snapshot("", 5_000))
    state.order_update(update(9, "open", sz="1", orig_sz="1", cloid=C1))
    assert state.adopt_snapshot(snapshot("", 5_000))


def test_provisional_arriving_after_an_adoption_is_not_applied_twice() -> None:
    state = fresh()
    state.order_sent(C1, "BTC", Side.BUY, Decimal(100), Decimal(1), tif="Ioc")
    # orderUpdates told us the order exists (so it is not in flight any more),
    # then a snapshot holding its trade is adopted, then the post answer comes.
    state.order_update(update(9, "filled", sz="0", orig_sz="1", cloid=C1))
    assert state.adopt_snapshot(snapshot("", 5_000, BTC="1"))
    state.order_filled(C1, 9, Decimal(1))
    state.apply_fill(fill(1, "1", cloid=C1, oid=9, time_ms=4_000))
    assert state.position("BTC") == 1
    assert state.stats().provisional_skipped == 1


def test_orders_placed_elsewhere_appear_from_order_updates() -> None:
    state = fresh()
    state.order_update(update(77, "open", coin="ETH", sz="2", orig_sz="2"))
    (order,) = state.open_orders()
    assert order.oid == 77 and order.cloid is None and order.status is OrderStatus.RESTING
    state.apply_fill(fill(1, "2", coin="ETH", oid=77))
    assert state.open_orders() == [] and state.position("ETH") == 2


def test_finished_orders_are_forgotten_beyond_capacity_and_not_revived() -> None:
    state = fresh(capacity=1)  # terminal memory floor is 100 orders
    for i in range(150):
        cloid = Cloid.from_int(1000 + i)
        state.order_sent(cloid, "BTC", Side.BUY, Decimal(1), Decimal(1), tif="Ioc")
        state.order_filled(cloid, 5000 + i, Decimal(1))
        state.apply_fill(fill(i, "1", cloid=cloid, oid=5000 + i, time_ms=1_000 + i))
    assert state.stats().tracked_orders == 100
    state.order_update(update(5000, "open", sz="1", orig_sz="1"))  # stale, for a forgotten order
    assert state.open_orders() == [] and state.stats().stale_updates == 1
    assert state.position("BTC") == 150


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="dedup_capacity"):
        TrackerState(dedup_capacity=0)
