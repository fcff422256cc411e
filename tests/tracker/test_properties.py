"""Hypothesis: random order flows under hostile delivery end with the tracker == the venue.

The venue model (tests/tracker/_venue.py) trades with tids and answers posts;
the machine below chooses what reaches the tracker when: post answers before
or after their fills, fills split, reordered and duplicated, resting orders
filled later, fills of orders placed elsewhere and liquidations (no cloid),
lost answers resolved by orderStatus, reconnects (undelivered fills lost, the
resubscribe snapshot replays recent ones), resync snapshots taken at one
moment and delivered after more fills, and LRU eviction (a small dedup
capacity). At the end everything queued is delivered and a fresh snapshot of
each dex is offered: positions equal the venue's, every snapshot was adopted
without unexplained drift, and open orders match.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from hip3.tracker import TrackerState
from hip3.tracker.state import dex_of
from hip3.types import Side

from ._seed import SeedTracker
from ._venue import COINS, Answer, Driver, Event, Fills, Sent, Snapshot, StateSink

TENTH = Decimal("0.1")
units = st.integers(min_value=1, max_value=4)


class SeedSink:
    """Feeds the seed design's cloid-set tracker (only positions matter)."""

    def __init__(self) -> None:
        self.seed = SeedTracker(clear_at=1000)

    def deliver(self, event: Event) -> None:
        from hip3.wire import to_domain

        if isinstance(event, Sent):
            self.seed.order_sent(event.cloid, event.coin, event.side)
        elif isinstance(event, Answer) and "filled" in event.status:
            self.seed.order_filled(event.cloid, Decimal(event.status["filled"]["totalSz"]))
        elif isinstance(event, Fills):
            self.seed.fills(to_domain.fills_from_json(list(event.fills)))
        elif isinstance(event, Snapshot):
            self.seed.snapshot(to_domain.account_snapshot_from_json(event.dex, event.state))


class TrackerMachine(RuleBasedStateMachine):
    @initialize(capacity=st.sampled_from([2000, 2000, 12]))
    def start(self, capacity: int) -> None:
        self.capacity = capacity
        self.state = TrackerState(dedup_capacity=capacity)
        self.sink = StateSink(self.state)
        self.driver = Driver([self.sink], snapshot_size=min(capacity // 3, 2000))
        self.driver.emit(Fills((), is_snapshot=True))  # the subscribe ack: no history

    # -- venue activity ---------------------------------------------------------

    @precondition(lambda self: len(self.driver.pending_fills) < 6)
    @rule(
        coin=st.sampled_from(COINS),
        buy=st.booleans(),
        parts=st.lists(units, max_size=3),
        extra=st.integers(min_value=0, max_value=3),
        tif=st.sampled_from(["Ioc", "Gtc"]),
        reject=st.integers(min_value=0, max_value=9),
        lose=st.integers(min_value=0, max_value=5),
    )
    def place(
        self, coin: str, buy: bool, parts: list[int], extra: int, tif: str, reject: int, lose: int
    ) -> None:
        sz = (sum(parts) + extra or 1) * TENTH
        self.driver.place(
            coin,
            Side.from_is_buy(buy),
            sz,
            tif,
            [p * TENTH for p in parts],
            reject=reject == 0,
            lose_answer=lose == 0,
        )

    @precondition(
        lambda self: len(self.driver.pending_fills) < 6 and self.driver.venue.open_orders()
    )
    @rule(index=st.integers(min_value=0), n=units)
    def fill_resting(self, index: int, n: int) -> None:
        open_orders = self.driver.venue.open_orders()
        self.driver.fill_resting(open_orders[index % len(open_orders)], n * TENTH)

    @precondition(lambda self: len(self.driver.pending_fills) < 6)
    @rule(coin=st.sampled_from(COINS), buy=st.booleans(), n=units, liquidation=st.booleans())
    def foreign_fill(self, coin: str, buy: bool, n: int, liquidation: bool) -> None:
        self.driver.foreign_fill(coin, Side.from_is_buy(buy), n * TENTH, liquidation)

    @precondition(lambda self: self.driver.venue.open_orders())
    @rule(index=st.integers(min_value=0))
    def cancel(self, index: int) -> None:
        open_orders = self.driver.venue.open_orders()
        self.driver.cancel(open_orders[index % len(open_orders)])

    @rule(dex=st.sampled_from(["", "xyz"]))
    def take_snapshot(self, dex: str) -> None:
        self.driver.take_snapshot(dex)

    # -- hostile delivery ---------------------------------------------------------

    @precondition(lambda self: self.driver.pending_answers)
    @rule(index=st.integers(min_value=0))
    def deliver_answer(self, index: int) -> None:
        self.driver.deliver_answer(index)

    @precondition(lambda self: self.driver.pending_fills)
    @rule(picks=st.lists(st.integers(min_value=0, max_value=7), min_size=1, max_size=4))
    def deliver_fills(self, picks: list[int]) -> None:
        self.driver.deliver_fills(picks)

    def _vouched(self, fills: Sequence[dict[str, Any]]) -> bool:
        """Can the tracker promise exactly-once for these fills? (design.md's contract)

        With a capacity far above the venue's snapshot (2000 vs the handful
        here), always. With tiny dedup memory, only for fills it never saw, still
        remembers, or a snapshot it adopted already holds: a duplicate older than
        all of that is the case design.md accepts as undecidable.
        """
        if self.capacity >= 2000:
            return True
        # The len(fills) oldest remembered trades may be evicted by this very
        # batch before their turn comes.
        seen, by_time = self.state.dedup_state()[:2]
        at_risk = {key for _, _, key in heapq.nsmallest(len(fills), by_time)}
        safe = set(seen) - at_risk
        for f in fills:
            if f["tid"] not in self.driver.delivered_tids:
                continue
            if (f["coin"], f["tid"]) in safe:
                continue
            dex = dex_of(f["coin"])
            adopted = self.state.adopted_time_ms(dex) if dex is not None else None
            if adopted is None or f["time"] > adopted:
                return False
        return True

    @precondition(lambda self: self.driver.delivered_batches)
    @rule(back=st.integers(min_value=0, max_value=4))
    def duplicate(self, back: int) -> None:
        batch = self.driver.recent_batch(back)
        if batch is not None and self._vouched(batch.fills):
            self.driver.duplicate(back)

    @precondition(lambda self: self.driver.pending_updates)
    @rule(index=st.integers(min_value=0))
    def deliver_update(self, index: int) -> None:
        self.driver.deliver_update(index)

    @precondition(lambda self: self.driver.pending_snapshots)
    @rule(index=st.integers(min_value=0))
    def deliver_snapshot(self, index: int) -> None:
        self.driver.deliver_snapshot(index)

    @rule()
    def reconnect(self) -> None:
        # The venue's snapshot holds its most recent fills; a fill still in
        # flight but older than that window is a real gap (backfilled with
        # userFillsByTime), outside what the tracker alone can promise.
        recent = self.driver.venue.recent_fills(self.driver.snapshot_size)
        window = {f["tid"] for f in recent}
        if all(f["tid"] in window for f in self.driver.pending_fills) and self._vouched(recent):
            self.driver.reconnect()

    @precondition(lambda self: self.driver.venue.trades)
    @rule(index=st.integers(min_value=0))
    def replay_old_fill(self, index: int) -> None:
        trades = self.driver.venue.trades
        trade = trades[index % len(trades)]
        delivered = trade["tid"] in self.driver.delivered_tids
        if delivered and self._vouched([trade]):
            self.driver.replay_old_fill(index)

    # -- checks -------------------------------------------------------------------

    @invariant()
    def quiet_means_equal(self) -> None:
        if (
            hasattr(self, "driver")
            and not self.driver.pending_answers
            and not self.driver.pending_fills
        ):
            assert self.state.positions() == self.driver.venue.positions()

    @invariant()
    def never_overfilled(self) -> None:
        if hasattr(self, "state"):
            assert self.state.stats().overfills == 0

    def teardown(self) -> None:
        if not hasattr(self, "driver"):
            return
        driver = self.driver
        while driver.pending_snapshots:
            driver.deliver_snapshot(0)
        driver.settle()
        assert self.state.positions() == driver.venue.positions()
        final = self.sink.outcomes[-2:]
        assert all(outcome.adopted for outcome in final), final
        stats = self.state.stats()
        if self.capacity >= 2000:
            # Every disagreement a snapshot found was latency (userFills overtaken
            # by the snapshot) and the late fills explained it. With tiny dedup memory a
            # late fill and a replay of a forgotten one look alike, so drift is
            # only guaranteed explained with the realistic capacity.
            unexplained = [e for e in self.state.drift_events() if not e.explained]
            assert unexplained == [], unexplained
            assert stats.drift_events == 0 and stats.baseline_adjustments == 0
        ours_open = {o.cloid for o in driver.venue.open_orders()}
        tracked_open = {o.cloid for o in self.state.open_orders()}
        assert tracked_open == ours_open
        assert stats.dedup_size <= self.capacity


TrackerMachine.TestCase.settings = settings(max_examples=500, stateful_step_count=60, deadline=None)
test_tracker_matches_the_venue_under_hostile_delivery = TrackerMachine.TestCase


def test_seed_design_fails_the_same_flows() -> None:
    """The seed's cloid-set dedup, fed the same kind of flow, drifts from the venue."""
    seed_sink = SeedSink()
    state = TrackerState()
    driver = Driver([StateSink(state), seed_sink])
    driver.emit(Fills((), is_snapshot=True))
    # A taker order filled in three trades whose userFills beat the post answer,
    # a resting order filled in two pieces, and a liquidation replayed on reconnect.
    driver.place("BTC", Side.BUY, Decimal(3), "Ioc", [Decimal(1)] * 3)
    driver.deliver_fills([0, 0, 0])
    driver.deliver_answer(0)
    driver.place("ETH", Side.SELL, Decimal(2), "Gtc", [])
    driver.deliver_answer(0)
    (resting,) = driver.venue.open_orders()
    driver.fill_resting(resting, Decimal(1))
    driver.fill_resting(resting, Decimal(1))
    driver.foreign_fill("xyz:TSLA", Side.SELL, Decimal(1), liquidation=True)
    driver.flush()
    driver.reconnect()
    truth = driver.venue.positions()
    assert state.positions() == truth
    seed = {c: sz for c, sz in seed_sink.seed.positions.items() if sz}
    assert seed != truth
    assert seed["BTC"] == 1 and seed["ETH"] == -1 and seed["xyz:TSLA"] == -2
