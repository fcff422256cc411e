"""Each flaw of the seed design (design.md "Where it comes from"), shown on hip3 and on the seed.

Every scenario is run twice: hip3's TrackerState ends with the exchange's
position; the seed's cloid-set model (tests/tracker/_seed.py) does not.
"""

from __future__ import annotations

from decimal import Decimal

from hip3.domain import OrderStatus
from hip3.tracker import TrackerState
from hip3.types import Cloid, Side

from ._build import fill, snapshot
from ._seed import SeedTracker

C1 = Cloid.from_int(1)


def _fresh() -> TrackerState:
    state = TrackerState()
    state.apply_fills([], is_snapshot=True)  # the subscribe ack: no history
    return state


# -- flaw 1: one order, several trades with the same cloid ---------------------


def test_order_filled_in_three_trades_counts_once_when_userfills_beat_the_post_response() -> None:
    trades = [fill(10 + i, "1", cloid=C1, oid=7, time_ms=1_000) for i in range(3)]
    hip3 = _fresh()
    hip3.order_sent(C1, "BTC", Side.BUY, Decimal(100), Decimal(3), tif="Ioc")
    hip3.apply_fills(trades)
    hip3.order_filled(C1, 7, Decimal(3))
    assert hip3.position("BTC") == 3
    assert hip3.order(C1) is not None and hip3.order(C1).status is OrderStatus.FILLED  # type: ignore[union-attr]

    seed = SeedTracker()
    seed.order_sent(C1, "BTC", Side.BUY)
    seed.fills(trades)
    seed.order_filled(C1, Decimal(3))
    assert seed.position("BTC") == 1  # the second and third trades were dropped


def test_post_response_first_then_split_trades_counts_once() -> None:
    hip3 = _fresh()
    hip3.order_sent(C1, "BTC", Side.SELL, Decimal(100), Decimal(3), tif="Ioc")
    hip3.order_filled(C1, 7, Decimal(3))
    assert hip3.position("BTC") == -3  # applied at once (seed P0-1)
    for i in range(3):
        hip3.apply_fill(fill(10 + i, "1", Side.SELL, cloid=C1, oid=7))
        assert hip3.position("BTC") == -3  # each trade confirms, never adds twice


def test_resting_order_filled_later_in_pieces_counts_every_piece() -> None:
    pieces = [fill(20 + i, "0.5", cloid=C1, oid=8, time_ms=2_000 + i) for i in range(4)]
    hip3 = _fresh()
    hip3.order_sent(C1, "BTC", Side.BUY, Decimal(100), Decimal(2), tif="Gtc")
    hip3.order_resting(C1, 8)
    hip3.apply_fills(pieces[:1])
    assert hip3.order(C1).status is OrderStatus.PARTIALLY_FILLED  # type: ignore[union-attr]
    hip3.apply_fills(pieces[1:])
    assert hip3.position("BTC") == 2
    assert hip3.order(C1).status is OrderStatus.FILLED  # type: ignore[union-attr]

    seed = SeedTracker()
    seed.order_sent(C1, "BTC", Side.BUY)
    seed.fills(pieces)
    assert seed.position("BTC") == Decimal("0.5")


def test_partial_ioc_then_trades_in_any_split() -> None:
    hip3 = _fresh()
    hip3.order_sent(C1, "ETH", Side.BUY, Decimal(10), Decimal(5), tif="Ioc")
    hip3.apply_fill(fill(1, "1", coin="ETH", cloid=C1, oid=3))
    hip3.order_filled(C1, 3, Decimal("2.5"))  # provisional 2.5, confirmed 1
    assert hip3.position("ETH") == Decimal("2.5")
    hip3.apply_fill(fill(2, "1.5", coin="ETH", cloid=C1, oid=3))
    assert hip3.position("ETH") == Decimal("2.5")
    order = hip3.order(C1)
    assert (
        order is not None
        and order.status is OrderStatus.CANCELLED
        and order.filled_sz == Decimal("2.5")
    )


# -- flaw 2: fills without cloid ---------------------------------------------------


def test_no_cloid_fills_are_not_counted_again_by_the_resubscribe_snapshot() -> None:
    liquidation = fill(30, "2", Side.SELL, oid=900, liquidation=True)
    elsewhere = fill(31, "1", oid=901)
    hip3 = _fresh()
    hip3.apply_fills([liquidation, elsewhere])
    hip3.apply_fills([elsewhere, liquidation], is_snapshot=True)  # reconnect replay
    assert hip3.position("BTC") == -1
    assert hip3.stats().duplicates_dropped == 2

    seed = SeedTracker()
    seed.fills([liquidation, elsewhere])
    seed.fills([elsewhere, liquidation])
    assert seed.position("BTC") == -2


# -- flaw 3: clearing the set at 1000 ------------------------------------------------


def test_replay_after_1000_orders_is_still_recognised() -> None:
    n = 1001
    trades = [fill(i, "1", cloid=Cloid.from_int(100 + i), oid=100 + i) for i in range(n)]
    hip3 = TrackerState(dedup_capacity=2000)
    hip3.apply_fills([], is_snapshot=True)
    hip3.apply_fills(trades)
    hip3.apply_fills(trades[:10], is_snapshot=True)  # reconnect replays the oldest again
    assert hip3.position("BTC") == n

    seed = SeedTracker()
    seed.fills(trades)
    seed.fills(trades[:10])
    assert seed.position("BTC") == n + 10


def test_trade_evicted_from_the_lru_is_dropped_once_a_snapshot_covers_it() -> None:
    hip3 = TrackerState(dedup_capacity=4)
    hip3.apply_fills([], is_snapshot=True)
    trades = [fill(i, "1", oid=i, time_ms=1_000 + i) for i in range(10)]
    hip3.apply_fills(trades)
    assert hip3.adopt_snapshot(snapshot("", 1_009, BTC="10")).adopted
    hip3.apply_fills(trades[:3])  # forgotten by the LRU, older than the snapshot
    assert hip3.position("BTC") == 10
    stats = hip3.stats()
    assert stats.covered_by_snapshot == 3 and stats.dedup_size == 4 and stats.drift_events == 0


# -- flaw 4: snapshot adopted while fills are in flight ---------------------------


def test_snapshot_while_an_order_is_in_flight_is_deferred_not_double_counted() -> None:
    # The exchange filled the order at t=1500 and reports it in the snapshot at
    # t=2000, but the post response is still on its way.
    hip3 = _fresh()
    hip3.order_sent(C1, "BTC", Side.BUY, Decimal(100), Decimal(1), tif="Ioc")
    outcome = hip3.adopt_snapshot(snapshot("", 2_000, BTC="1"))
    assert not outcome.adopted and hip3.stats().snapshots_deferred == 1
    hip3.order_filled(C1, 7, Decimal(1))
    hip3.apply_fill(fill(1, "1", cloid=C1, oid=7, time_ms=1_500))
    assert hip3.adopt_snapshot(snapshot("", 2_000, BTC="1")).adopted
    assert hip3.position("BTC") == 1 and hip3.stats().drift_events == 0

    seed = SeedTracker()
    seed.order_sent(C1, "BTC", Side.BUY)
    seed.snapshot(snapshot("", 2_000, BTC="1"))
    seed.order_filled(C1, Decimal(1))
    assert seed.position("BTC") == 2  # double-counted


def test_unconfirmed_provisional_defers_the_snapshot() -> None:
    hip3 = _fresh()
    hip3.order_sent(C1, "BTC", Side.BUY, Decimal(100), Decimal(2), tif="Ioc")
    hip3.order_filled(C1, 7, Decimal(2))
    outcome = hip3.adopt_snapshot(snapshot("", 900, BTC="0"))  # taken before the trades
    assert not outcome.adopted and "unconfirmed" in (outcome.reason or "")
    hip3.apply_fills([fill(1, "2", cloid=C1, oid=7, time_ms=1_000)])
    assert hip3.adopt_snapshot(snapshot("", 900, BTC="0")).adopted
    assert hip3.position("BTC") == 2  # snapshot 0 + the trade after it


def test_snapshot_racing_fills_loses_nothing_and_counts_nothing_twice() -> None:
    hip3 = _fresh()
    early = fill(1, "1", time_ms=1_000)  # in the snapshot, delivered after it
    late = fill(2, "2", time_ms=3_000)  # after the snapshot, delivered before it
    hip3.apply_fill(late)
    assert hip3.adopt_snapshot(snapshot("", 2_000, BTC="1")).adopted
    assert hip3.position("BTC") == 3
    hip3.apply_fill(early)
    assert hip3.position("BTC") == 3
    assert hip3.stats().covered_by_snapshot == 1

    seed = SeedTracker()
    seed.fills([late])
    seed.snapshot(snapshot("", 2_000, BTC="1"))
    seed.fills([early])
    assert seed.position("BTC") == 2  # lost `late`, counted `early` twice


def test_replay_of_forgotten_trades_newer_than_the_snapshot_is_not_counted_again() -> None:
    """More trades between two snapshots than the dedup memory holds, then a replay of them.

    They are newer than the adopted snapshot, so "covered by the snapshot" cannot
    drop them; the seed's cleared set recounts them too.
    """
    hip3 = TrackerState(dedup_capacity=4)
    hip3.apply_fills([], is_snapshot=True)
    assert hip3.adopt_snapshot(snapshot("", 999, BTC="0")).adopted
    trades = [fill(i, "1", oid=i, time_ms=1_000 + i) for i in range(10)]
    hip3.apply_fills(trades)
    hip3.apply_fills(list(reversed(trades)), is_snapshot=True)  # reconnect: newest first
    assert hip3.position("BTC") == 10
    stats = hip3.stats()
    assert stats.beyond_memory == 6 and stats.duplicates_dropped == 4 and stats.overfills == 0
    # The next snapshot after the forgotten stretch is adopted without drift.
    assert hip3.adopt_snapshot(snapshot("", 1_009, BTC="10")).adopted
    assert hip3.stats().drift_events == 0

    seed = SeedTracker(clear_at=4)
    seed.fills(trades)
    seed.fills(list(reversed(trades)))
    assert seed.position("BTC") == 20
